"""Confusion-matrix figures: the numbers are scikit-learn's, the cells say them; and
``ffnn evaluate --plot``, which draws one for a saved classifier."""

import contextlib
import io

import matplotlib
import numpy as np
import pytest
from sklearn import metrics

matplotlib.use("Agg")

from ffnn.cli.main import main
from ffnn.plotting import confusion_matrix

PNG = b"\x89PNG\r\n\x1a\n"
NAMES = np.array(["cat", "dog", "emu"])


@pytest.fixture
def figures():
    made = []
    yield made
    for fig in made:
        fig.clear()


def labelled(n=60, seed=0):
    """True labels and predictions that are right about 70 % of the time, as names."""
    rng = np.random.default_rng(seed)
    true = rng.integers(0, 3, n)
    predicted = np.where(rng.random(n) < 0.7, true, rng.integers(0, 3, n))
    return NAMES[true], NAMES[predicted]


def cell_texts(ax) -> dict:
    return {(round(t.get_position()[1]), round(t.get_position()[0])): t.get_text()
            for t in ax.texts}


def test_counts_are_sklearns_and_every_cell_says_its_count(figures):
    y_true, y_pred = labelled()
    fig = confusion_matrix(y_true, y_pred)
    figures.append(fig)
    ax = fig.axes[0]
    expected = metrics.confusion_matrix(y_true, y_pred)
    assert expected.trace() < len(y_true)  # some mistakes, so off-diagonal cells count
    np.testing.assert_array_equal(ax.images[0].get_array(), expected)
    assert cell_texts(ax) == {(j, i): str(expected[j, i]) for j in range(3) for i in range(3)}
    assert [t.get_text() for t in ax.get_xticklabels()] == list(NAMES)
    assert [t.get_text() for t in ax.get_yticklabels()] == list(NAMES)
    assert (ax.get_xlabel(), ax.get_ylabel()) == ("predicted", "true")
    assert ax.get_title() == "confusion matrix"
    assert fig.axes[1].get_ylabel() == "count"


def test_labels_set_the_order_and_keep_classes_that_never_occur(figures):
    y_true, y_pred = labelled()
    labels = ["emu", "cat", "dog", "yak"]
    fig = confusion_matrix(y_true, y_pred, labels=labels)
    figures.append(fig)
    ax = fig.axes[0]
    expected = metrics.confusion_matrix(y_true, y_pred, labels=labels)
    assert expected.shape == (4, 4) and not expected[3].any()
    np.testing.assert_array_equal(ax.images[0].get_array(), expected)
    assert [t.get_text() for t in ax.get_yticklabels()] == labels
    assert cell_texts(ax)[(0, 1)] == str(expected[0, 1])  # true emu, predicted cat


def test_row_normalised(figures):
    y_true, y_pred = labelled()
    fig = confusion_matrix(y_true, y_pred, normalize="true", title="rows")
    figures.append(fig)
    ax = fig.axes[0]
    expected = metrics.confusion_matrix(y_true, y_pred, normalize="true")
    image = np.asarray(ax.images[0].get_array())
    np.testing.assert_allclose(image, expected)
    np.testing.assert_allclose(image.sum(axis=1), 1.0)
    assert cell_texts(ax) == {(j, i): f"{expected[j, i]:.2f}" for j in range(3)
                              for i in range(3)}
    assert ax.get_title() == "rows" and fig.axes[1].get_ylabel() == "fraction"


def test_numbers_as_labels_path_and_a_given_axes(figures, tmp_path):
    from matplotlib.figure import Figure

    fig = Figure()
    figures.append(fig)
    ax = fig.subplots()
    path = tmp_path / "cm.png"
    assert confusion_matrix([0, 1, 1, 2], [0, 1, 2, 2], ax=ax, path=path) is fig
    assert path.read_bytes()[:8] == PNG
    assert [t.get_text() for t in ax.get_xticklabels()] == ["0", "1", "2"]
    assert cell_texts(ax)[(1, 2)] == "1"


def test_bad_arguments_are_refused():
    with pytest.raises(ValueError, match=r"normalize must be None, 'true', 'pred' or 'all'"):
        confusion_matrix([0, 1], [0, 1], normalize="rows")
    with pytest.raises(ValueError, match="inconsistent numbers of samples"):
        confusion_matrix([0, 1, 1], [0, 1])


# -- ffnn evaluate --plot -----------------------------------------------------------------------


def run(argv: list[str]) -> tuple[int, str]:
    out = io.StringIO()
    with contextlib.redirect_stdout(out):
        status = main(argv)
    return status, out.getvalue()


def refused(argv: list[str], capsys) -> str:
    """Status 2, one line on stderr, nothing on stdout."""
    status = main(argv)
    captured = capsys.readouterr()
    assert status == 2, (captured.out, captured.err)
    assert captured.out == ""
    lines = captured.err.strip().splitlines()
    assert len(lines) == 1, lines
    return lines[0]


@pytest.fixture(scope="module")
def models(tmp_path_factory):
    """A classifier saved from the iris data set, its data as .npz with the labels, and a
    regression model with its data."""
    from sklearn.datasets import load_iris

    folder = tmp_path_factory.mktemp("models")
    iris = load_iris()
    iris_data = str(folder / "iris.npz")
    np.savez(iris_data, X=iris.data, y=iris.target)
    classifier = str(folder / "classifier.npz")
    status, out = run(["train", "--data", iris_data, "--task", "classification",
                       "--standardize", "--epochs", "40", "--lr", "0.5", "--save",
                       classifier, "--quiet"])
    assert status == 0, out
    rng = np.random.default_rng(0)
    reg_data = str(folder / "reg.npz")
    np.savez(reg_data, X=rng.standard_normal((20, 3)), y=rng.standard_normal(20))
    regressor = str(folder / "regressor.npz")
    status, out = run(["train", "--data", reg_data, "--save", regressor, "--epochs", "2",
                       "--quiet"])
    assert status == 0, out
    return {"classifier": classifier, "iris": iris_data, "regressor": regressor,
            "reg_data": reg_data, "iris_y": iris.target}


def test_evaluate_plot_writes_the_confusion_matrix(models, tmp_path, monkeypatch):
    import ffnn.plotting

    drawn = []

    def keep(*args, **kwargs):
        drawn.append(fig := confusion_matrix(*args, **kwargs))
        return fig

    monkeypatch.setattr(ffnn.plotting, "confusion_matrix", keep)
    path = tmp_path / "cm.png"
    status, out = run(["evaluate", models["classifier"], "--data", models["iris"], "--plot",
                       str(path)])
    assert status == 0, out
    assert out.splitlines()[-1] == f"confusion matrix written to {path}"
    assert path.read_bytes()[:8] == PNG
    # the figure holds the matrix evaluate printed, computed again from the model
    from ffnn import load_model

    model = load_model(models["classifier"])
    iris = np.load(models["iris"])
    true = model.class_index(iris["y"])
    expected = metrics.confusion_matrix(true, model.predict_proba(iris["X"]).argmax(axis=1),
                                        labels=range(len(model.classes)))
    assert expected.shape == (3, 3) and expected.trace() > 100
    (fig,) = drawn
    np.testing.assert_array_equal(fig.axes[0].images[0].get_array(), expected)
    assert [t.get_text() for t in fig.axes[0].get_yticklabels()] == \
        [str(c) for c in model.classes.tolist()]
    assert "accuracy" in fig.axes[0].get_title() and "classifier.npz" in fig.axes[0].get_title()


def test_evaluate_plot_is_refused_for_a_regressor(models, tmp_path, capsys):
    path = tmp_path / "cm.png"
    line = refused(["evaluate", models["regressor"], "--data", models["reg_data"], "--plot",
                    str(path)], capsys)
    assert line == (f"ffnn evaluate: error: --plot: {models['regressor']} is a regression "
                    f"model; the confusion matrix is for classifiers")
    assert not path.exists()


def test_evaluate_plot_path_is_checked_before_the_model_is_read(tmp_path, capsys):
    missing_model = str(tmp_path / "no-model.npz")
    line = refused(["evaluate", missing_model, "--data", missing_model, "--plot",
                    str(tmp_path / "cm.txt")], capsys)
    assert line.startswith("ffnn evaluate: error: --plot:") and ".txt" in line
    line = refused(["evaluate", missing_model, "--data", missing_model, "--plot",
                    str(tmp_path / "no-folder" / "cm.png")], capsys)
    assert line.startswith("ffnn evaluate: error: --plot:")
