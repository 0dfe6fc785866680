"""Heatmaps of hyperparameter sweeps: the data behind them, then what the figure holds."""

import math
import random

import matplotlib
import numpy as np
import pandas as pd
import pytest

matplotlib.use("Agg")

from ffnn.plotting import heatmap_data, plot_heatmap

LRS = [1e-3, 1e-2, 1e-1]
L2S = [0.0, 1e-3, 1e-2]
# Mean of the metric at (l2 = L2S[j], lr = LRS[i]): 10 * j + i, so rows and columns differ.
EXPECTED = np.array([[0.0, 1.0, 2.0], [10.0, 11.0, 12.0], [20.0, 21.0, 22.0]])


def grid_records(skip=()):
    """Two seeds per (lr, l2) pair, metric = mean ± 0.5, shuffled; pairs in skip left out."""
    records = []
    for j, l2 in enumerate(L2S):
        for i, lr in enumerate(LRS):
            if (lr, l2) in skip:
                continue
            for seed, offset in ((0, -0.5), (1, 0.5)):
                records.append(
                    {
                        "params": {"lr": lr, "l2": l2, "hidden": [8], "seed": seed},
                        "val_accuracy": EXPECTED[j, i] + offset,
                        "test_mse": 1.0,
                    }
                )
    random.Random(0).shuffle(records)
    return records


@pytest.fixture
def figures():
    made = []
    yield made
    for fig in made:
        fig.clear()


def draw(figures, *args, **kwargs):
    fig = plot_heatmap(*args, **kwargs)
    figures.append(fig)
    return fig, fig.axes[0]


def cell_texts(ax):
    return {
        (round(t.get_position()[0]), round(t.get_position()[1])): t.get_text() for t in ax.texts
    }


# --- heatmap_data -------------------------------------------------------------------------


def test_heatmap_data_means_over_seeds_with_zero_as_its_own_row():
    x_values, y_values, matrix = heatmap_data(grid_records(), "lr", "l2", "val_accuracy")
    assert x_values == LRS
    assert y_values == [0.0, 1e-3, 1e-2]  # λ = 0 kept, first
    assert matrix.shape == (3, 3)
    np.testing.assert_array_equal(matrix, EXPECTED)


def test_heatmap_data_transposes_when_axes_swap():
    x_values, y_values, matrix = heatmap_data(grid_records(), "l2", "lr", "val_accuracy")
    assert x_values == L2S and y_values == LRS
    np.testing.assert_array_equal(matrix, EXPECTED.T)


def test_heatmap_data_means_over_the_other_parameters_too():
    records = grid_records()
    for record in grid_records():  # the same grid at another width, every value + 4
        record["params"]["hidden"] = [16]
        record["val_accuracy"] += 4
        records.append(record)
    _, _, matrix = heatmap_data(records, "lr", "l2", "val_accuracy")
    np.testing.assert_array_equal(matrix, EXPECTED + 2)


def test_failed_runs_are_skipped():
    records = grid_records()
    bad = {"lr": 1e-3, "l2": 0.0, "hidden": [8], "seed": 2}
    records += [
        {"params": bad, "val_accuracy": None},
        {"params": bad, "val_accuracy": math.nan},
        {"params": bad, "val_accuracy": math.inf},
        {"params": bad},
        {"params": {**bad, "lr": 1.0}, "val_accuracy": None},  # a sweep value that only failed
    ]
    x_values, _, matrix = heatmap_data(records, "lr", "l2", "val_accuracy")
    assert x_values == LRS
    np.testing.assert_array_equal(matrix, EXPECTED)


def test_missing_pair_is_nan():
    _, _, matrix = heatmap_data(grid_records(skip={(1e-1, 1e-3)}), "lr", "l2", "val_accuracy")
    expected = EXPECTED.copy()
    expected[1, 2] = np.nan
    np.testing.assert_array_equal(matrix, expected)  # NaN compares equal here


@pytest.mark.parametrize("flat", [False, True])
def test_dataframe_gives_the_same_matrix(flat):
    records = grid_records(skip={(1e-1, 1e-3)})
    if flat:  # one column per parameter, no "params" column
        records = [{**r["params"], "val_accuracy": r["val_accuracy"]} for r in records]
    frame = pd.DataFrame(records)
    assert ("params" in frame.columns) is not flat
    expected = heatmap_data(grid_records(skip={(1e-1, 1e-3)}), "lr", "l2", "val_accuracy")
    x_values, y_values, matrix = heatmap_data(frame, "lr", "l2", "val_accuracy")
    assert x_values == expected[0] and y_values == expected[1]
    np.testing.assert_array_equal(matrix, expected[2])


def test_list_values_become_sorted_tuples():
    records = [
        {"params": {"hidden": hidden, "lr": lr}, "val_accuracy": value}
        for hidden, lr, value in [
            ([50, 50], 0.1, 1.0),
            ([8], 0.1, 2.0),
            ([16], 0.1, 3.0),
            ([8], 0.01, 4.0),
            (np.array([8]), 0.01, 6.0),
        ]
    ]
    x_values, y_values, matrix = heatmap_data(records, "hidden", "lr", "val_accuracy")
    assert x_values == [(8,), (16,), (50, 50)]
    assert y_values == [0.01, 0.1]
    np.testing.assert_array_equal(matrix, [[5.0, np.nan, np.nan], [2.0, 3.0, 1.0]])


def test_incomparable_values_sort_by_repr():
    records = [
        {"params": {"act": act, "lr": 0.1}, "val_accuracy": 1.0} for act in ["relu", None, 3]
    ]
    # None is a missing value (skipped); "relu" and 3 cannot be compared: sorted by repr,
    # and repr("relu") == "'relu'" comes before "3"
    x_values, _, _ = heatmap_data(records, "act", "lr", "val_accuracy")
    assert x_values == ["relu", 3]


@pytest.mark.parametrize("argument", ["x", "y"])
def test_unknown_parameter_is_named(argument):
    names = {"x": "lr", "y": "l2", argument: "momentum"}
    with pytest.raises(ValueError, match=rf"{argument}='momentum'.*not a parameter") as info:
        heatmap_data(grid_records(), names["x"], names["y"], "val_accuracy")
    assert "['hidden', 'l2', 'lr', 'seed']" in str(info.value)


def test_unknown_metric_lists_the_metrics():
    with pytest.raises(ValueError, match=r"metric='val_loss' is in no record") as info:
        heatmap_data(grid_records(), "lr", "l2", "val_loss")
    assert "['test_mse', 'val_accuracy']" in str(info.value)


@pytest.mark.parametrize("empty", [[], pd.DataFrame()])
def test_empty_records(empty):
    with pytest.raises(ValueError, match="records is empty"):
        heatmap_data(empty, "lr", "l2", "val_accuracy")


def test_no_finite_metric():
    records = [{"params": {"lr": 0.1, "l2": 0.0}, "val_accuracy": None}]
    with pytest.raises(ValueError, match="no record has a finite value"):
        heatmap_data(records, "lr", "l2", "val_accuracy")


# --- plot_heatmap -------------------------------------------------------------------------


def test_plot_image_ticks_and_labels(figures):
    fig, ax = draw(figures, grid_records(), "lr", "l2", "val_accuracy")
    image = ax.images[0].get_array()
    assert image.shape == (3, 3)
    np.testing.assert_array_equal(np.ma.filled(image, np.nan), EXPECTED)
    assert ax.images[0].origin == "lower"  # row 0 (smallest l2) at the bottom
    assert [t.get_text() for t in ax.get_xticklabels()] == ["0.001", "0.01", "0.1"]
    assert [t.get_text() for t in ax.get_yticklabels()] == ["0", "0.001", "0.01"]
    np.testing.assert_array_equal(ax.get_xticks(), [0, 1, 2])
    np.testing.assert_array_equal(ax.get_yticks(), [0, 1, 2])
    assert ax.get_xlabel() == "lr (log-spaced)"
    # l2's non-zero values are only 1e-3 and 1e-2: fewer than 3, so not called log-spaced
    assert ax.get_ylabel() == "l2"
    assert ax.get_title() == "val_accuracy (l2 × lr)"
    assert fig.axes[1].get_ylabel() == "val_accuracy"  # the colorbar


def test_three_nonzero_log_values_with_zero_are_log_spaced(figures):
    records = grid_records() + [
        {"params": {"lr": 1e-3, "l2": 1e-1}, "val_accuracy": 0.0},
    ]
    _, ax = draw(figures, records, "lr", "l2", "val_accuracy")
    assert ax.get_ylabel() == "l2 (log-spaced)"
    assert [t.get_text() for t in ax.get_yticklabels()] == ["0", "0.001", "0.01", "0.1"]


@pytest.mark.parametrize(
    ("values", "log"),
    [
        ([1, 2, 3], False),  # ratios 2, 1.5 and max/min 3
        ([1, 2, 4, 8], True),  # constant ratio 2
        ([1e-5, 3e-5, 1e-4], True),  # ratios ≈3.3, 3 and ≥ 2
        ([10, 20, 30, 1000], True),  # max/min ≥ 100
        ([-1e-3, 1e-2, 1e-1], False),  # a negative value
        ([1e-4, 1e-1], False),  # only two values
    ],
)
def test_log_spacing_rule(figures, values, log):
    records = [{"params": {"v": v, "w": 0}, "m": 1.0} for v in values]
    _, ax = draw(figures, records, "v", "w", "m")
    assert ax.get_xlabel() == ("v (log-spaced)" if log else "v")
    assert ax.get_ylabel() == "w"


def test_cell_texts(figures):
    _, ax = draw(figures, grid_records(), "lr", "l2", "val_accuracy", fmt=".1f")
    texts = cell_texts(ax)
    assert len(ax.texts) == 9
    assert texts == {(i, j): f"{EXPECTED[j, i]:.1f}" for j in range(3) for i in range(3)}
    assert texts[(2, 1)] == "12.0"


def test_text_colour_contrasts_with_the_cell(figures):
    _, ax = draw(figures, grid_records(), "lr", "l2", "val_accuracy")
    colours = {cell: t.get_color() for cell, t in zip(cell_texts(ax), ax.texts)}
    assert colours[(0, 0)] == "white"  # viridis minimum: dark purple
    assert colours[(2, 2)] == "black"  # viridis maximum: yellow


def test_missing_pair_leaves_a_blank_cell(figures):
    records = grid_records(skip={(1e-1, 1e-3)})
    _, ax = draw(figures, records, "lr", "l2", "val_accuracy", title="sweep")
    image = ax.images[0].get_array()
    assert image.mask[1, 2] and image.mask.sum() == 1
    texts = cell_texts(ax)
    assert len(ax.texts) == 8 and (2, 1) not in texts
    assert texts[(1, 1)] == "11"
    assert ax.get_title() == "sweep"


def test_dataframe_plot_matches(figures):
    _, ax_records = draw(figures, grid_records(), "lr", "l2", "val_accuracy")
    _, ax_frame = draw(figures, pd.DataFrame(grid_records()), "lr", "l2", "val_accuracy")
    np.testing.assert_array_equal(ax_frame.images[0].get_array(), ax_records.images[0].get_array())


def test_hidden_sizes_as_an_axis(figures):
    records = [
        {"params": {"hidden": hidden, "lr": 0.01}, "test_mse": value}
        for hidden, value in [([50, 50], 0.25), ([8], 0.5), ((16,), 0.75)]
    ]
    _, ax = draw(figures, records, "hidden", "lr", "test_mse")
    assert [t.get_text() for t in ax.get_xticklabels()] == ["8", "16", "50,50"]
    assert ax.get_xlabel() == "hidden"
    np.testing.assert_array_equal(ax.images[0].get_array(), [[0.5, 0.75, 0.25]])


def test_draws_on_a_given_axes(figures):
    from matplotlib.figure import Figure

    fig = Figure()
    figures.append(fig)
    ax = fig.subplots()
    assert plot_heatmap(grid_records(), "lr", "l2", "val_accuracy", ax=ax) is fig
    assert len(ax.images) == 1


def test_plot_raises_like_heatmap_data():
    with pytest.raises(ValueError, match=r"x='momentum'"):
        plot_heatmap(grid_records(), "momentum", "l2", "val_accuracy")
