"""The first fifteen minutes: names a newcomer reaches for exist and take what they would
pass (ffnn.plotting after ``import ffnn``, accuracy without a loss, ``labels_test``, the
History as a mapping), and the Lasso baseline reaches its optimum without a warning."""

from __future__ import annotations

import subprocess
import sys
import warnings

import numpy as np
import pytest

import ffnn
from ffnn.core.metrics import accuracy


def test_plotting_is_an_attribute_after_import_ffnn_without_loading_matplotlib():
    code = ("import sys, ffnn; assert 'matplotlib' not in sys.modules; "
            "assert 'ffnn.plotting' not in sys.modules; "
            "f = ffnn.plotting.confusion_matrix; assert 'matplotlib' not in sys.modules; "
            "print(f.__name__)")
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                          check=False)
    assert done.returncode == 0, done.stderr
    assert done.stdout.strip() == "confusion_matrix"


def test_accuracy_without_a_loss_reads_the_rule_from_the_output():
    probs = np.array([[0.9, 0.1], [0.2, 0.8], [0.6, 0.4]])
    one_hot = np.eye(2)[[0, 1, 1]]
    assert accuracy(probs, one_hot) == pytest.approx(2 / 3)
    assert accuracy(probs, one_hot, ffnn.get_loss("cross_entropy")) == pytest.approx(2 / 3)
    assert accuracy(probs, np.array([0, 1, 1])) == pytest.approx(2 / 3)  # integer labels
    column = np.array([[0.7], [0.2], [0.4]])
    assert accuracy(column, np.array([[1.0], [0.0], [1.0]])) == pytest.approx(2 / 3)
    assert accuracy(column, np.array([1, 0, 1])) == pytest.approx(2 / 3)
    assert accuracy(probs, one_hot, "cross_entropy") == pytest.approx(2 / 3)
    stack = np.stack([probs, probs[:, ::-1]])
    np.testing.assert_allclose(accuracy(stack, one_hot), [2 / 3, 1 / 3])
    np.testing.assert_allclose(accuracy(stack, np.array([0, 1, 1])), [2 / 3, 1 / 3])


def test_accuracy_names_the_shapes_it_cannot_compare():
    with pytest.raises(ValueError, match=r"Y must have shape \(3, 2\) or \(3,\).*got shape "
                                         r"\(4,\)"):
        accuracy(np.zeros((3, 2)), np.zeros(4, int))
    with pytest.raises(ValueError, match=r"independent outputs"):
        accuracy(np.zeros((3, 2)), np.zeros(3, int), "binary_cross_entropy")


def test_dataset_has_labels_for_both_parts():
    iris = ffnn.datasets.load_dataset("iris")
    assert iris.labels_test is None and iris.n_test == 0
    X = np.zeros((6, 2))
    data = ffnn.datasets.Dataset(X, np.eye(3)[[0, 1, 2, 0, 1, 2]], "classification",
                                 np.arange(3), ("a", "b"), "iris", X_test=X[:2],
                                 targets_test=np.eye(3)[[2, 1]])
    np.testing.assert_array_equal(data.labels_test, [2, 1])
    assert data.n_test == 2
    franke = ffnn.datasets.load_dataset("franke")
    with pytest.raises(AttributeError, match="labels_test exist only for classification"):
        franke.labels_test  # noqa: B018


def test_history_reads_as_a_mapping():
    X, T = ffnn.datasets.load_iris()
    history = ffnn.train(ffnn.Network(4, [3], "softmax", seed=0), X, T, "cross_entropy",
                         epochs=3, validation_fraction=0.2, seed=0, verbose=0)
    keys = ["loss", "accuracy", "val_loss", "val_accuracy"]
    assert sorted(history.keys()) == sorted(keys) == sorted(history)
    assert len(history) == 4 and "val_accuracy" in history and "r2" not in history
    assert dict(history.items()) == history.history
    assert list(history.values()) == list(history.history.values())
    assert history.get("val_accuracy") is history["val_accuracy"]
    assert history.get("r2") is None
    assert bool(ffnn.History())  # a result, even empty


def test_lasso_baseline_reaches_the_optimum_without_a_warning():
    from sklearn.pipeline import make_pipeline
    from sklearn.preprocessing import PolynomialFeatures, StandardScaler

    from ffnn.sklearn.baselines import linear_baselines

    # Standardized polynomial features of the Runge data: where scikit-learn's own stopping
    # rule stalled within a million iterations (the regression studies' data).
    X, y = ffnn.datasets.runge(200, 0.05, seed=2)
    Phi = make_pipeline(PolynomialFeatures(10, include_bias=False),
                        StandardScaler()).fit_transform(X[:160])
    y = y[:160, 0]
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        lasso = linear_baselines(Phi, y, l1=1e-4)["Lasso"]
    net = ffnn.Network(Phi.shape[1], [1], ["identity"])
    net.layers = [(lasso.coef_.reshape(-1, 1).copy(), np.array([lasso.intercept_]))]
    (dW, db), = net.backprop(Phi, y[:, None], "mse")
    W = lasso.coef_.reshape(-1, 1)
    violation = np.where(W != 0, np.abs(dW + 1e-4 * np.sign(W)),
                         np.maximum(np.abs(dW) - 1e-4, 0))
    assert max(violation.max(), abs(db).max()) < 1e-8


@pytest.mark.parametrize("labels", [np.array(["a", "b"]), np.array([1, 2]),
                                    np.array([0.5, 1.0]), np.array([-1, 0])])
def test_accuracy_refuses_labels_that_are_not_class_numbers(labels):
    """Labels other than 0 … k-1 would be counted wrong without a word."""
    output = np.array([[0.9, 0.1], [0.2, 0.8]])
    with pytest.raises(ValueError, match=r"class numbers 0 … 1.*encode_labels"):
        accuracy(output, labels)
    assert accuracy(output, [0, 1]) == 1.0  # a list is an array of labels
    assert accuracy(output, np.array([0.0, 1.0])) == 1.0  # whole floats are labels


def test_linear_baselines_pass_on_warnings_other_than_convergence(monkeypatch):
    """Only the coordinate-descent rounds' ConvergenceWarnings are the loop's to judge;
    scikit-learn's other warnings reach the caller."""
    from sklearn.linear_model import Lasso

    from ffnn.sklearn import baselines

    fit = Lasso.fit

    def fit_saying(self, X, y, *args, **kwargs):
        warnings.warn("a warning of scikit-learn's", FutureWarning, stacklevel=2)
        return fit(self, X, y, *args, **kwargs)

    monkeypatch.setattr(Lasso, "fit", fit_saying)
    rng = np.random.default_rng(0)
    X, y = rng.normal(size=(40, 3)), rng.normal(size=40)
    with pytest.warns(FutureWarning, match="a warning of scikit-learn's"):
        baselines._descend(Lasso(alpha=0.1), X, y, 1000)
