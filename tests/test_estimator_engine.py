"""The estimators train on the paths ``ffnn.train`` takes (issue 17).

For the same network, data and options an estimator chooses the engine ``train()`` chooses
(JAX where it is JAX, NumPy where it is NumPy, with the same reason) and ends with the same
weights, bit for bit (the same engine, the same arithmetic). scikit-learn's stopping rule
(``ScikitLearnRule``) hears of the JAX engine's epochs after a call that trained several,
which changes nothing: the same epochs, counters, curves and weights as hearing each epoch.
Every test here lets ``engine="auto"`` (the estimators' only choice) take JAX (the
``auto_jax`` mark, tests/conftest.py). No timings here: those are in ``benchmarks/``.
"""

from __future__ import annotations

import math
import warnings

import numpy as np
import pytest
import scipy.sparse
from sklearn.datasets import load_breast_cancer, load_iris

import ffnn
from _problems import count_jax_calls
from ffnn.core.activations import Tanh
from ffnn.optim.optimizers import SGD, Adagrad, SklearnAdam, SklearnSGD
from ffnn.sklearn.estimators import FFNNClassifier, FFNNRegressor
from ffnn.sklearn.stopping import ScikitLearnRule

pytest.importorskip("jax", reason="the JAX engine needs JAX (the fast extra)")
pytestmark = [pytest.mark.auto_jax, pytest.mark.filterwarnings(
    "ignore::sklearn.exceptions.ConvergenceWarning")]

X_IRIS, Y_IRIS = load_iris(return_X_y=True)
X_BC, Y_BC = load_breast_cancer(return_X_y=True)
X_BC = (X_BC - X_BC.mean(axis=0)) / X_BC.std(axis=0)
FOREVER = {"tol": 0.0, "n_iter_no_change": np.inf, "alpha": 0.0}  # every epoch of max_iter


def handing_out(network):
    """An ``initializer`` that gives the estimator ``network``'s weights, layer by layer."""
    layers = iter([(W.astype(np.float64), b.astype(np.float64)) for W, b in network.layers])

    def initializer(rng, n_in, n_out):
        W, b = next(layers)
        assert W.shape == (n_in, n_out)
        return W.copy(), b.copy()

    return initializer


def fit_both(make, X, y, targets, loss, optimizer, *, sizes, activations, batch_size=None,
             **fit_kwargs):
    """``make(initializer)``'s fit, and ``ffnn.train`` on a network with the same initial
    weights, epochs, batches (the estimator's shuffling generator) and optimizer."""
    dtype = X.dtype
    net = ffnn.Network(X.shape[1], sizes, activations, dtype=dtype, seed=3)
    estimator = make(handing_out(net))
    shuffling = estimator._seeds()[1]  # one random_state seeds both: this one shuffles
    estimator.fit(X, y, **fit_kwargs)
    history = ffnn.train(net, X, targets, loss, optimizer=optimizer,
                         epochs=estimator.max_iter, batch_size=batch_size, seed=shuffling,
                         verbose=0, divergence_factor=math.inf, **(
                             {"sample_weight": fit_kwargs["sample_weight"]}
                             if "sample_weight" in fit_kwargs else {}))
    return estimator, net, history


def assert_same_run(estimator, net, history):
    assert (estimator.engine_, estimator.engine_reason_) == (history.engine,
                                                             history.engine_reason)
    assert estimator.n_iter_ == history.epochs
    assert estimator.loss_curve_ == history["loss"]
    np.testing.assert_array_equal(estimator.network_.params, net.params)


@pytest.mark.parametrize("dtype", ["float64", "float32"])
def test_iris_full_batch_gd_is_train_on_the_jax_engine(dtype):
    """Workload S: 4 -> 8 sigmoid -> 3 softmax, full-batch GD."""
    X = X_IRIS.astype(dtype)
    estimator, net, history = fit_both(
        lambda init: FFNNClassifier((8,), "logistic", solver="gd", learning_rate_init=0.01,
                                    batch_size=150, max_iter=300, random_state=0,
                                    initializer=init, **FOREVER),
        X, Y_IRIS, np.eye(3, dtype=dtype)[Y_IRIS], "cross_entropy", SGD(0.01),
        sizes=[8, 3], activations=["sigmoid", "softmax"])
    assert estimator.engine_ == "jax" and estimator.network_.dtype == dtype
    assert_same_run(estimator, net, history)


@pytest.mark.parametrize("dtype", ["float64", "float32"])
def test_breast_cancer_momentum_minibatches_are_train_on_the_jax_engine(dtype):
    """Workload M: one sigmoid output, heavy-ball momentum, shuffled batches of 32."""
    X = X_BC.astype(dtype)
    estimator, net, history = fit_both(
        lambda init: FFNNClassifier((20,), "logistic", solver="sgd", momentum=0.9,
                                    nesterovs_momentum=False, learning_rate_init=0.01,
                                    batch_size=32, max_iter=15, random_state=1,
                                    initializer=init, **FOREVER),
        X, Y_BC, Y_BC.astype(dtype)[:, None], "binary_cross_entropy",
        SklearnSGD(0.01, 0.9, nesterov=False),
        sizes=[20, 1], activations=["sigmoid", "sigmoid"], batch_size=32)
    assert estimator.engine_ == "jax"
    assert_same_run(estimator, net, history)


def test_a_regressor_with_adam_is_train_on_the_jax_engine():
    rng = np.random.default_rng(0)
    X = rng.standard_normal((90, 3))
    y = np.sin(X).sum(axis=1)
    estimator, net, history = fit_both(
        lambda init: FFNNRegressor((6,), "tanh", solver="adam", learning_rate_init=0.01,
                                   batch_size=20, max_iter=25, random_state=2,
                                   initializer=init, **FOREVER),
        X, y, y[:, None], "mse", SklearnAdam(0.01), sizes=[6, 1],
        activations=["tanh", "identity"], batch_size=20)
    assert estimator.engine_ == "jax"
    assert_same_run(estimator, net, history)


def test_sample_weights_and_adagrad_are_train_on_the_jax_engine():
    """What the numba loop sent to NumPy (sample weights, Adagrad): JAX, as in train."""
    weights = np.linspace(0.5, 2.0, len(X_IRIS))
    estimator, net, history = fit_both(
        lambda init: FFNNClassifier((5,), "tanh", solver="adagrad", learning_rate_init=0.05,
                                    batch_size=50, max_iter=4, random_state=0,
                                    initializer=init, **FOREVER),
        X_IRIS, Y_IRIS, np.eye(3)[Y_IRIS], "cross_entropy", Adagrad(0.05), sizes=[5, 3],
        activations=["tanh", "softmax"], batch_size=50, sample_weight=weights)
    assert estimator.engine_ == "jax"
    assert_same_run(estimator, net, history)


class MyTanh(Tanh):
    """tanh, but not the built-in itself: the JAX engine does not run it."""


@pytest.mark.parametrize("case", ["sparse X", "custom activation"])
def test_what_the_jax_engine_cannot_run_goes_to_numpy_as_in_train(case):
    X = scipy.sparse.csr_matrix(X_IRIS) if case == "sparse X" else X_IRIS
    hidden = MyTanh() if case == "custom activation" else "tanh"
    estimator, net, history = fit_both(
        lambda init: FFNNClassifier((5,), hidden, solver="gd", learning_rate_init=0.05,
                                    batch_size=50, max_iter=4, random_state=0,
                                    initializer=init, **FOREVER),
        X, Y_IRIS, np.eye(3)[Y_IRIS], "cross_entropy", SGD(0.05), sizes=[5, 3],
        activations=[hidden, "softmax"], batch_size=50)
    assert estimator.engine_ == "numpy"
    assert ("sparse" if case == "sparse X" else "not a built-in") in estimator.engine_reason_
    assert_same_run(estimator, net, history)


def test_early_stopping_takes_the_engine_of_train_with_validation():
    estimator = FFNNClassifier((5,), "logistic", solver="gd", early_stopping=True,
                               max_iter=5, random_state=0).fit(X_IRIS, Y_IRIS)
    net = ffnn.Network(4, [5, 3], ["sigmoid", "softmax"], seed=0)
    history = ffnn.train(net, X_IRIS, np.eye(3)[Y_IRIS], "cross_entropy", epochs=5,
                         batch_size=135, validation_fraction=0.1, verbose=0)
    assert (estimator.engine_, estimator.engine_reason_) == (history.engine,
                                                             history.engine_reason)
    assert estimator.engine_ == "jax" and estimator.validation_scores_  # validated on JAX


# -- the stopping rule on the JAX engine -------------------------------------------------------

def test_the_stopping_rule_does_not_make_the_engine_call_once_an_epoch(monkeypatch):
    calls = count_jax_calls(monkeypatch)
    estimator = FFNNClassifier((8,), "logistic", solver="gd", learning_rate_init=0.01,
                               batch_size=150, max_iter=400, random_state=0, **FOREVER)
    estimator.fit(X_IRIS, Y_IRIS)
    assert estimator.engine_ == "jax" and estimator.n_iter_ == 400
    assert calls == [400]  # never stops early: all epochs in one call
    calls.clear()
    estimator.set_params(n_iter_no_change=10, tol=1e-4, solver="adam",
                         learning_rate_init=0.05).fit(X_IRIS, Y_IRIS)
    assert estimator.engine_ == "jax"
    assert estimator.n_iter_ < 400  # it stopped, on the epoch the rule says
    assert len(calls) < estimator.n_iter_ / 5  # up to 11 epochs a call (n_iter_no_change + 1)


def fitted_state(estimator) -> tuple:
    return (estimator.n_iter_, estimator.t_, estimator.loss_curve_, estimator.best_loss_,
            estimator._no_improvement_count, estimator.history_.stop_reason,
            estimator.network_.params.tobytes())


@pytest.mark.parametrize("options", [
    {"solver": "adam", "learning_rate_init": 0.05, "n_iter_no_change": 4, "tol": 1e-3},
    {"solver": "sgd", "learning_rate": "adaptive", "learning_rate_init": 0.5, "momentum": 0.9,
     "n_iter_no_change": 3, "tol": 1e-2},
    {"solver": "sgd", "learning_rate": "invscaling", "learning_rate_init": 0.5,
     "n_iter_no_change": 3, "tol": 1e-2},
    {"solver": "gd", "learning_rate_init": 0.5, "n_iter_no_change": 2, "tol": 0.0,
     "batch_size": 30, "warm_start": True},
])
def test_hearing_the_epochs_late_changes_nothing(monkeypatch, options):
    """The rule heard after calls of several epochs against the rule heard every epoch:
    the same stop, counters, curves and weights, over a warm start and partial_fit too."""
    calls = count_jax_calls(monkeypatch)
    runs, chunks = [], []
    for late in (True, False):
        if not late:
            monkeypatch.setattr(ScikitLearnRule, "epochs_heard_late", lambda self, t: 1)
        calls.clear()
        estimator = FFNNClassifier((6,), "tanh", max_iter=300, random_state=0,
                                   **{"batch_size": 50, **options})
        states = []
        for _ in range(2):  # the second: a new fit, or a warm start's continuation
            estimator.fit(X_IRIS, Y_IRIS)
            states.append(fitted_state(estimator))
        estimator.partial_fit(X_IRIS, Y_IRIS)
        states.append(fitted_state(estimator))
        assert estimator.engine_ == "jax"
        runs.append(states)
        chunks.append(max(calls))
    assert runs[0] == runs[1]
    assert chunks == [options["n_iter_no_change"] + 1, 1]  # several epochs a call, then one
    assert runs[0][0][5] == "early_stopping"  # the rule stopped the first fit


def test_an_early_stop_is_train_for_as_many_epochs():
    net = ffnn.Network(4, [8, 3], ["sigmoid", "softmax"], seed=3)
    estimator = FFNNClassifier((8,), "logistic", solver="adam", learning_rate_init=0.05,
                               batch_size=40, max_iter=500, tol=1e-3, alpha=0.0,
                               n_iter_no_change=5, random_state=0, initializer=handing_out(net))
    estimator.fit(X_IRIS, Y_IRIS)
    assert estimator.n_iter_ < 500 and estimator.engine_ == "jax"
    history = ffnn.train(net, X_IRIS, np.eye(3)[Y_IRIS], "cross_entropy",
                         optimizer=SklearnAdam(0.05),
                         epochs=estimator.n_iter_, batch_size=40, verbose=0,
                         seed=estimator._seeds()[1])
    assert estimator.loss_curve_ == history["loss"]
    np.testing.assert_array_equal(estimator.network_.params, net.params)


def test_partial_fit_is_a_trainer_fit_of_one_epoch():
    net = ffnn.Network(4, [8, 3], ["sigmoid", "softmax"], seed=3)
    estimator = FFNNClassifier((8,), "logistic", solver="adam", learning_rate_init=0.01,
                               batch_size=30, random_state=0, initializer=handing_out(net),
                               **FOREVER)
    trainer = ffnn.Trainer(net, "cross_entropy", SklearnAdam(0.01), batch_size=30, verbose=0,
                           seed=estimator._seeds()[1], divergence_factor=math.inf)
    targets = np.eye(3)[Y_IRIS]
    for _ in range(3):
        with warnings.catch_warnings():
            warnings.simplefilter("error", ffnn.FallbackWarning)
            estimator.partial_fit(X_IRIS, Y_IRIS, classes=[0, 1, 2])
        history = trainer.fit(X_IRIS, targets, 1)
        assert (estimator.engine_, estimator.engine_reason_) == (history.engine,
                                                                 history.engine_reason)
        np.testing.assert_array_equal(estimator.network_.params, net.params)
    assert estimator.engine_ == "jax"


@pytest.mark.parametrize("labels, classes", [
    (Y_IRIS, None), (Y_BC, None), (np.array(["b", "a", "c", "a"]), None),
    (np.array([2.0, 1.0, 2.0, 3.0]), None), (np.array(["no", "yes", "yes"]), None),
    (np.array([0, 0, 2]), [0, 1, 2]), (np.array([1, 1]), [0, 1]),
])
def test_the_targets_are_label_binarizers(labels, classes):
    """The estimator's targets, made without LabelBinarizer.transform's sparse detour."""
    X = np.arange(2.0 * len(labels)).reshape(-1, 2)
    estimator = FFNNClassifier((2,), max_iter=1)
    for dtype in (np.float64, np.float32):
        _, Y = estimator._validate_xy(X.astype(dtype), labels, reset=True,
                                      incremental=classes is not None, classes=classes)
        expected = estimator._label_binarizer.transform(labels)
        assert Y.dtype == dtype and Y.shape == expected.shape
        np.testing.assert_array_equal(Y, expected)
