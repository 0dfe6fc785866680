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


def test_values_of_different_kinds_sort_numbers_first():
    records = [
        {"params": {"act": act, "lr": 0.1}, "val_accuracy": 1.0}
        for act in ["relu", None, 10, (8,), 3, "elu", (50, 50), 2.5]
    ]
    # None is a missing value (skipped); numbers by value (10 after 3, not as text), then
    # tuples, then strings
    x_values, _, _ = heatmap_data(records, "act", "lr", "val_accuracy")
    assert x_values == [2.5, 3, 10, (8,), (50, 50), "elu", "relu"]


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
    assert [t.get_text() for t in ax.get_xticklabels()] == ["8", "16", "50/50"]
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


# --- failed and diverged runs -------------------------------------------------------------


def marked_records():
    """lr × l2 where (0.1, 0) diverged (a finite but meaningless loss), (0.1, 0.01) failed,
    (0.01, 0.01) has 1 of 3 runs scored and 2 diverged, (0.001, 0.01) one diverged and one
    failed; lr=1.0 only failed."""
    def run(lr, l2, value, diverged=False, error=None):
        return {"params": {"lr": lr, "l2": l2}, "val_mse": value, "diverged": diverged,
                "error": error}

    return [
        run(0.001, 0.0, 0.5), run(0.01, 0.0, 0.25),
        run(0.1, 0.0, 148.0, diverged=True), run(0.1, 0.0, 90.0, diverged=True),
        run(0.1, 0.01, None, diverged=None, error="ValueError: boom"),
        run(0.01, 0.01, 0.3), run(0.01, 0.01, 7.0, diverged=True),
        run(0.01, 0.01, None, diverged=True),
        run(0.001, 0.01, 3.0, diverged=True), run(0.001, 0.01, None, None, "OverflowError"),
        run(1.0, 0.0, None, diverged=None, error="FloatingPointError"),
    ]


def test_failed_and_diverged_runs_are_not_in_the_mean():
    x_values, y_values, matrix = heatmap_data(marked_records(), "lr", "l2", "val_mse")
    assert x_values == [0.001, 0.01, 0.1, 1.0]  # lr=1.0 only failed: still a column
    assert y_values == [0.0, 0.01]
    np.testing.assert_array_equal(matrix, [[0.5, 0.25, np.nan, np.nan],
                                           [np.nan, 0.3, np.nan, np.nan]])


def test_failed_and_diverged_cells_are_marked_grey_and_hatched(figures):
    _, ax = draw(figures, marked_records(), "lr", "l2", "val_mse")
    texts = cell_texts(ax)
    assert texts == {
        (0, 0): "0.5", (1, 0): "0.25", (2, 0): "diverged", (3, 0): "failed",
        (0, 1): "1/2 diverged\n1/2 failed", (1, 1): "0.3\n2/3 diverged", (2, 1): "failed",
    }
    assert (3, 1) not in texts  # no run there: blank
    hatched = {(round(p.get_x() + 0.5), round(p.get_y() + 0.5)) for p in ax.patches
               if p.get_hatch() == "//"}
    assert hatched == {(2, 0), (3, 0), (0, 1), (2, 1)}  # the cells without a score
    image = ax.images[0].get_array()
    assert image.mask.tolist() == [[False, False, True, True], [True, False, True, True]]
    # the diverged 148 and 90 are not on the colour scale
    assert ax.images[0].norm.vmax == 0.5 and ax.images[0].norm.vmin == 0.25


def test_unmarked_runs_without_a_value_say_n_a(figures):
    records = marked_records() + [
        {"params": {"lr": 0.001, "l2": 0.0}, "val_mse": None},
        {"params": {"lr": 1.0, "l2": 0.01}, "val_mse": math.nan},
    ]
    _, ax = draw(figures, records, "lr", "l2", "val_mse")
    texts = cell_texts(ax)
    assert texts[(0, 0)] == "0.5\n1/2 n/a"
    assert texts[(3, 1)] == "n/a"


def test_a_dataframe_with_nan_for_none_gives_the_same_marks(figures):
    records = marked_records()
    frame = pd.DataFrame(records)
    assert frame["error"].isna().sum() == 8  # pandas' missing values, not None
    _, ax_records = draw(figures, records, "lr", "l2", "val_mse")
    _, ax_frame = draw(figures, frame, "lr", "l2", "val_mse")
    assert cell_texts(ax_frame) == cell_texts(ax_records)
    flat = pd.DataFrame([{**r["params"], **{k: v for k, v in r.items() if k != "params"}}
                         for r in records])
    _, ax_flat = draw(figures, flat, "lr", "l2", "val_mse")
    assert cell_texts(ax_flat) == cell_texts(ax_records)


def test_every_run_failed_or_diverged_still_draws_the_marks(figures):
    records = [r for r in marked_records() if r["diverged"] or r["error"]]
    _, _, matrix = heatmap_data(records, "lr", "l2", "val_mse")
    assert np.isnan(matrix).all()
    fig, ax = draw(figures, records, "lr", "l2", "val_mse")
    assert cell_texts(ax)[(2, 0)] == "diverged"
    assert len(fig.axes) == 1  # no colour scale without a score


def test_a_real_sweep_marks_its_diverged_and_failed_runs(figures):
    from ffnn import sweep

    rng = np.random.default_rng(0)
    X = rng.standard_normal((80, 3))
    result = sweep((X, X @ [1.0, -2.0, 0.5]), n_jobs=1,
                   grid={"lr": [0.01, 1e6], "activation": ["tanh", "nope"]},
                   options={"epochs": 20, "hidden": [5]})
    fig = result.plot_heatmap("lr", "activation", "val_mse")
    figures.append(fig)
    texts = cell_texts(fig.axes[0])
    assert texts[(1, 1)] == "diverged"  # lr=1e6, tanh
    assert texts[(0, 0)] == texts[(1, 0)] == "failed"  # activation "nope"
    assert float(texts[(0, 1)]) > 0  # lr=0.01, tanh: a score


# --- colour scales ------------------------------------------------------------------------


def scored(values, metric="val_mse"):
    """One run per lr, ``values[i]`` at lr = 10^-i, one l2."""
    return [{"params": {"lr": 10.0 ** -i, "l2": 0.0}, metric: v} for i, v in enumerate(values)]


def norm_of(figures, records, metric="val_mse", **kwargs):
    from matplotlib.colors import LogNorm

    fig, ax = draw(figures, records, "lr", "l2", metric, **kwargs)
    norm = ax.images[0].norm
    return isinstance(norm, LogNorm), norm, fig


@pytest.mark.parametrize(
    ("values", "metric", "log"),
    [
        ([0.01, 0.05, 148.0], "val_mse", True),  # a nearly diverged run: 4 decades
        ([0.02, 0.9, 2.5], "train_loss", True),  # > 100
        ([0.2, 0.3, 0.5], "val_mse", False),  # narrow
        ([1.0, 10.0, 99.0], "val_mse", False),  # < 2 decades
        ([0.0, 0.05, 148.0], "val_mse", False),  # a zero: no log
        ([0.001, 0.5, 0.99], "val_accuracy", False),  # higher is better: linear
        ([0.001, 0.5, 0.99], "test_r2", False),
    ],
)
def test_auto_scale_is_log_when_values_span_two_decades(figures, values, metric, log):
    is_log, norm, _ = norm_of(figures, scored(values, metric), metric)
    assert is_log is log
    assert (norm.vmin, norm.vmax) == (min(values), max(values))


def test_explicit_scale_is_honoured(figures):
    assert not norm_of(figures, scored([0.01, 0.05, 148.0]), scale="linear")[0]
    assert norm_of(figures, scored([0.2, 0.3, 0.5]), scale="log")[0]
    assert norm_of(figures, scored([0.5, 0.5]), scale="log")[0]  # one value: no crash
    with pytest.raises(ValueError, match=r"scale='log'.*values ≤ 0.*vmin > 0"):
        plot_heatmap(scored([0.0, 0.3]), "lr", "l2", "val_mse", scale="log")
    with pytest.raises(ValueError, match=r"scale must be 'auto', 'linear' or 'log'"):
        plot_heatmap(scored([0.2, 0.3]), "lr", "l2", "val_mse", scale="logarithmic")


def test_vmin_vmax_clip_the_colours_not_the_values(figures):
    records = scored([0.1, 0.2, 148.0])
    is_log, norm, fig = norm_of(figures, records, scale="linear", vmax=1.0)
    assert not is_log and (norm.vmin, norm.vmax) == (0.1, 1.0)
    ax = fig.axes[0]
    assert cell_texts(ax)[(0, 0)] == "148"  # the cell still says its value
    assert fig.axes[1].get_label() == "<colorbar>" and fig.axes[1]._colorbar.extend == "max"
    # a log scale clipped below: the zero takes the lowest colour
    is_log, norm, fig = norm_of(figures, scored([0.0, 0.01, 148.0]), scale="log", vmin=1e-3)
    assert is_log and norm.vmin == 1e-3
    assert fig.axes[1]._colorbar.extend == "min"
    with pytest.raises(ValueError, match=r"vmin \(2\) must be below vmax \(1\)"):
        plot_heatmap(records, "lr", "l2", "val_mse", vmin=2, vmax=1)


def test_r2_below_zero_does_not_wash_out_the_scale(figures):
    is_log, norm, fig = norm_of(figures, scored([-250.0, 0.8, 0.9], "val_r2"), "val_r2")
    assert not is_log and (norm.vmin, norm.vmax) == (0.0, 0.9)
    assert fig.axes[1]._colorbar.extend == "min"
    _, norm, _ = norm_of(figures, scored([-250.0, 0.8, 0.9], "val_r2"), "val_r2", vmin=-300)
    assert norm.vmin == -300


# --- layers × nodes -----------------------------------------------------------------------


def hidden_records():
    widths = {(50,): 0.90, (50, 50): 0.92, (100,): 0.94, (100, 100): 0.96, (): 0.5,
              (100, 50): 0.7}
    return [{"params": {"hidden": list(hidden), "lr": 0.1, "seed": seed},
             "test_accuracy": value + offset}
            for hidden, value in widths.items() for seed, offset in ((0, -0.01), (1, 0.01))]


def test_layers_and_nodes_are_derived_from_hidden():
    records = [r for r in hidden_records() if len(set(r["params"]["hidden"])) == 1]
    x_values, y_values, matrix = heatmap_data(records, "nodes", "layers", "test_accuracy")
    assert x_values == [50, 100] and y_values == [1, 2]
    np.testing.assert_allclose(matrix, [[0.90, 0.94], [0.92, 0.96]])


def test_layers_by_nodes_heatmap_with_unequal_widths_and_no_layer(figures):
    _, ax = draw(figures, hidden_records(), "nodes", "layers", "test_accuracy", fmt=".2f")
    # no hidden layer: 0 nodes; unequal widths stay a tuple, after the numbers
    assert [t.get_text() for t in ax.get_xticklabels()] == ["0", "50", "100", "100/50"]
    assert [t.get_text() for t in ax.get_yticklabels()] == ["0", "1", "2"]
    assert ax.get_xlabel() == "nodes" and ax.get_ylabel() == "layers"
    texts = cell_texts(ax)
    assert texts[(0, 0)] == "0.50" and texts[(3, 2)] == "0.70" and texts[(2, 2)] == "0.96"


def test_a_parameter_named_layers_wins_over_the_derived_one():
    records = [{"params": {"layers": 3, "hidden": [8], "lr": 0.1}, "m": 1.0}]
    x_values, _, _ = heatmap_data(records, "layers", "lr", "m")
    assert x_values == [3]


def test_layers_without_hidden_is_refused():
    x_values, _, _ = heatmap_data(grid_records(), "layers", "l2", "val_accuracy")
    assert x_values == [1]  # grid_records have hidden=[8]
    with pytest.raises(ValueError, match=r"x='depth' is not a parameter") as info:
        heatmap_data(grid_records(), "depth", "l2", "val_accuracy")
    assert "(and 'layers', 'nodes', derived from 'hidden')" in str(info.value)
    records = [{"params": {"lr": 0.1, "l2": 0.0}, "m": 1.0}]
    with pytest.raises(ValueError, match=r"y='nodes' is not a parameter") as info:
        heatmap_data(records, "lr", "nodes", "m")
    assert "derived" not in str(info.value)


def test_a_saved_figure_is_written(figures, tmp_path):
    path = tmp_path / "heat.png"
    draw(figures, marked_records(), "lr", "l2", "val_mse", path=path)
    assert path.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"


def test_ffnn_sweep_plots_nodes_by_layers(tmp_path, capsys, monkeypatch):
    from ffnn.cli.main import main
    from ffnn.sweeps.analysis import SweepResult

    drawn = []
    original = SweepResult.plot_heatmap

    def keep(self, *args, **kwargs):
        drawn.append(fig := original(self, *args, **kwargs))
        return fig

    monkeypatch.setattr(SweepResult, "plot_heatmap", keep)
    png = tmp_path / "layers.png"
    argv = ["sweep", "--dataset", "iris", "--epochs", "2", "--n-jobs", "1", "--grid",
            "hidden=4/4,4/8/8,8"]
    assert main([*argv, "--plot", str(png), "--plot-x", "nodes", "--plot-y", "layers"]) == 0
    assert f"heatmap written to {png}" in capsys.readouterr().out
    assert png.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    ax = drawn[0].axes[0]
    assert [t.get_text() for t in ax.get_xticklabels()] == ["4", "8"]
    assert [t.get_text() for t in ax.get_yticklabels()] == ["1", "2"]
    # without hidden swept there is nothing to derive them from
    assert main(["sweep", "--dataset", "iris", "--epochs", "2", "--grid", "lr=0.1,1",
                 "--plot", str(png), "--plot-x", "layers"]) == 2
    assert "--plot-x: 'layers' is not swept; swept options are lr" in capsys.readouterr().err
