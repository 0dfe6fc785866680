"""L-BFGS (SciPy's L-BFGS-B over the full batch): scikit-learn's solver="lbfgs" to rounding
from the same weights, the gradient gradcheck verifies, its limits and warnings, what it
refuses, float32, warm starts, sparse input, the command line and sweeps."""

from __future__ import annotations

import warnings

import numpy as np
import pytest
import scipy.sparse as sp
from sklearn.datasets import load_breast_cancer, load_diabetes, load_iris
from sklearn.exceptions import ConvergenceWarning
from sklearn.neural_network import MLPClassifier, MLPRegressor
from sklearn.preprocessing import StandardScaler

import ffnn
from ffnn import FFNNClassifier, FFNNRegressor
from ffnn.optim.optimizers import LBFGS, chain


def _scaled(load):
    X, y = load(return_X_y=True)
    X = StandardScaler().fit_transform(X)
    if load is load_diabetes:
        y = (y - y.mean()) / y.std()
    return X, y


def _both_from_the_same_weights(load, alpha, hidden, max_iter, tol):
    """scikit-learn's MLP and ffnn's estimator, L-BFGS from scikit-learn's initial weights,
    at the same cost: ffnn's l2 is alpha/n (a regressor's cost and so its tol twice
    scikit-learn's: its squared error is not halved)."""
    X, y = _scaled(load)
    regression = load is load_diabetes
    theirs_cls, ours_cls = ((MLPRegressor, FFNNRegressor) if regression
                            else (MLPClassifier, FFNNClassifier))
    factor = 2 if regression else 1
    common = dict(hidden_layer_sizes=hidden, solver="lbfgs", activation="tanh",
                  random_state=0, warm_start=True, max_iter=1)
    theirs = theirs_cls(alpha=alpha, tol=tol, **common)
    ours = ours_cls(alpha=factor * alpha / len(X), tol=factor * tol, **common)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ConvergenceWarning)
        theirs.fit(X, y)  # one iteration: the start, scikit-learn's weights
        ours.fit(X, y)
    for mine, given in zip(ours.coefs_ + ours.intercepts_, theirs.coefs_ + theirs.intercepts_):
        mine[...] = given
    theirs.coefs_ = [w.copy() for w in theirs.coefs_]
    theirs.intercepts_ = [b.copy() for b in theirs.intercepts_]
    theirs.max_iter = ours.max_iter = max_iter
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ConvergenceWarning)
        theirs.fit(X, y)
        ours.fit(X, y)
    return theirs, ours, factor


@pytest.mark.parametrize("load", [load_iris, load_breast_cancer, load_diabetes],
                         ids=["iris", "breast-cancer", "diabetes"])
@pytest.mark.parametrize("alpha", [1.0, 0.3])
def test_the_same_minimum_as_scikit_learns_lbfgs(load, alpha):
    """Run to convergence from the same weights: the same loss to 1e-6 (measured: 1e-16 to
    2e-7), whatever rounding makes of the way there."""
    theirs, ours, factor = _both_from_the_same_weights(load, alpha, (5,), 5000, 1e-9)
    assert ours.loss_ / factor == pytest.approx(theirs.loss_, rel=1e-6)
    assert abs(ours.n_iter_ - theirs.n_iter_) <= 0.05 * theirs.n_iter_ + 1


@pytest.mark.parametrize("load", [load_iris, load_breast_cancer, load_diabetes],
                         ids=["iris", "breast-cancer", "diabetes"])
def test_the_same_iterates_as_scikit_learns_lbfgs(load):
    """Twenty iterations from the same weights, not converged: the same loss to 1e-9 (the
    same steps; over hundreds, rounding differences grow as in any chaotic iteration)."""
    theirs, ours, factor = _both_from_the_same_weights(load, 1e-2, (10,), 20, 0.0)
    assert ours.n_iter_ == theirs.n_iter_ == 20
    assert ours.loss_ / factor == pytest.approx(theirs.loss_, rel=1e-9)
    for mine, given in zip(ours.coefs_, theirs.coefs_):
        np.testing.assert_allclose(mine, given, rtol=1e-6, atol=1e-8)


def test_the_gradient_is_the_one_gradcheck_verifies():
    """ffnn.train's L-BFGS equals SciPy's L-BFGS-B on Network.cost and Network.gradient (the
    readable backprop, penalties on the biases too), and that gradient passes gradcheck."""
    from scipy.optimize import minimize

    X, T = ffnn.datasets.load_iris()
    penalties = dict(l1=1e-4, l2=1e-3, penalize_biases=True)
    net = ffnn.Network(4, [6, 3], ["tanh", "softmax"], seed=0)
    start = net.copy()
    history = ffnn.train(net, X, T, "cross_entropy", optimizer="lbfgs", epochs=25, verbose=0,
                         **penalties)

    def cost_and_gradient(theta):
        start.params = theta
        return (start.cost(X, T, "cross_entropy", **penalties),
                start.gradient(X, T, "cross_entropy", **penalties))

    result = minimize(cost_and_gradient, start.params.copy(), method="L-BFGS-B", jac=True,
                      options={"maxiter": 25, "gtol": 1e-5})
    np.testing.assert_allclose(net.params, result.x, rtol=1e-9, atol=1e-12)
    assert history.epochs == result.nit and history["loss"][-1] == pytest.approx(result.fun,
                                                                                 rel=1e-12)
    check = ffnn.gradcheck(net, X, T, "cross_entropy", **penalties)
    assert check.passed, check


def test_limits_warnings_and_curves_as_scikit_learns():
    X, y = _scaled(load_breast_cancer)
    with pytest.warns(ConvergenceWarning, match=r"lbfgs failed to converge after \d+ "):
        limited = FFNNClassifier((20,), solver="lbfgs", max_fun=10, random_state=0).fit(X, y)
    assert limited.n_iter_ <= 10 and len(limited.loss_curve_) == limited.n_iter_
    with pytest.warns(ConvergenceWarning, match="TOTAL NO. OF ITERATIONS"):
        FFNNClassifier((20,), solver="lbfgs", max_iter=3, random_state=0).fit(X, y)
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        done = FFNNClassifier((5,), solver="lbfgs", alpha=1e-2, max_iter=2000,
                              random_state=0).fit(X, y)
    assert done.history_.stop_reason == "converged" and done.n_iter_ < 2000
    assert done.loss_ == done.loss_curve_[-1] < done.loss_curve_[0]
    assert np.all(np.diff(done.loss_curve_) <= 1e-12)  # a line search never goes up
    assert done.score(X, y) > 0.97


def test_partial_fit_is_not_there_for_a_full_batch_solver():
    for cls in (FFNNClassifier, FFNNRegressor):
        assert not hasattr(cls(solver="lbfgs"), "partial_fit")
        assert not hasattr(cls(solver=LBFGS()), "partial_fit")
        assert hasattr(cls(solver="adam"), "partial_fit")
        with pytest.raises(AttributeError, match="no attribute 'partial_fit'") as error:
            cls(solver="lbfgs").partial_fit  # noqa: B018
        assert "lbfgs is not stochastic" in str(error.value.__cause__)


def test_what_lbfgs_refuses_and_why():
    X, T = ffnn.datasets.load_iris()
    net = ffnn.Network(4, [5, 3], ["tanh", "softmax"], seed=0)
    with pytest.raises(ValueError, match=r"batch_size=16: LBFGS takes the whole data set"):
        ffnn.train(net, X, T, "cross_entropy", optimizer="lbfgs", batch_size=16, verbose=0)
    with pytest.raises(ValueError, match=r"EarlyStopping must hear each epoch"):
        ffnn.train(net, X, T, "cross_entropy", optimizer="lbfgs", early_stopping=True,
                   validation_fraction=0.2, verbose=0)
    with pytest.raises(ValueError, match="cannot be chained"):
        chain(ffnn.ClipGradNorm(1.0), LBFGS())
    with pytest.raises(TypeError, match="not a per-step update"):
        LBFGS().update(np.zeros(3), {"step": 0}, np.zeros(3))
    for bad in ({"gtol": -1.0}, {"max_fun": 0}, {"memory": 2.5}):
        with pytest.raises(ValueError, match=next(iter(bad))):
            LBFGS(**bad)
    pytest.importorskip("jax", reason="the JAX engine needs JAX (the fast extra)")
    with pytest.raises(ValueError, match="does not run on JAX"):
        ffnn.train(net, X, T, "cross_entropy", optimizer="lbfgs", engine="jax", verbose=0)


def test_validation_data_is_measured_at_every_iterate():
    X, T = ffnn.datasets.load_iris()
    net = ffnn.Network(4, [5, 3], ["tanh", "softmax"], seed=0)
    history = ffnn.train(net, X, T, "cross_entropy", optimizer="lbfgs", epochs=15,
                         validation_fraction=0.2, seed=0, verbose=0)
    assert len(history["val_loss"]) == len(history["loss"]) == history.epochs == 15
    assert history["accuracy"][-1] > 0.9 and history["val_accuracy"][-1] > 0.8


def test_a_float32_network_trains_in_float32():
    X, T = ffnn.datasets.load_iris()
    nets = {d: ffnn.Network(4, [5, 3], ["tanh", "softmax"], seed=0, dtype=d)
            for d in ("float64", "float32")}
    histories = {d: ffnn.train(net, X, T, "cross_entropy", optimizer="lbfgs", epochs=10,
                               verbose=0) for d, net in nets.items()}
    assert nets["float32"].params.dtype == np.float32
    np.testing.assert_allclose(histories["float32"]["loss"], histories["float64"]["loss"],
                               rtol=1e-4)


def test_a_warm_start_continues_from_the_weights():
    X, y = _scaled(load_iris)
    est = FFNNClassifier((5,), solver="lbfgs", max_iter=10, warm_start=True, random_state=0)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ConvergenceWarning)
        est.fit(X, y)
        first = est.loss_
        est.fit(X, y)
    assert est.loss_curve_[10] <= first + 1e-12 and est.loss_ < first
    assert len(est.loss_curve_) == 10 + est.n_iter_


@pytest.mark.parametrize("to_sparse", [sp.csr_matrix, sp.csc_array])
def test_sparse_and_dense_input_give_the_same_weights(to_sparse):
    """The same gradient to rounding each step (measured: 1e-16 of the largest weight a step;
    1e-15 after 10 iterations, 2e-13 after 30, as rounding grows along the way)."""
    rng = np.random.default_rng(0)
    X = rng.standard_normal((60, 30)) * (rng.random((60, 30)) < 0.1)
    y = (X[:, :3].sum(axis=1) > 0).astype(int)
    dense = FFNNClassifier((6,), solver="lbfgs", max_iter=10, random_state=0, tol=0.0)
    sparse = FFNNClassifier((6,), solver="lbfgs", max_iter=10, random_state=0, tol=0.0)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ConvergenceWarning)
        dense.fit(X, y)
        sparse.fit(to_sparse(X), y)
    largest = np.abs(dense.network_.params).max()
    np.testing.assert_allclose(sparse.network_.params, dense.network_.params, rtol=0,
                               atol=1e-12 * 10 * largest)  # 1e-12 a step, 10 steps


def test_the_command_line_and_sweeps_take_lbfgs(capsys):
    from ffnn.cli.main import main

    assert main(["train", "--optimizer", "lbfgs", "--epochs", "200", "--quiet"]) == 0
    out = capsys.readouterr().out
    assert "training: LBFGS(" in out and "CONVERGENCE" in out
    assert float(out.split("train accuracy:")[1].split()[0]) > 0.95
    result = ffnn.sweep("iris", grid={"l2": [0.0, 1e-3]},
                        options={"optimizer": "lbfgs", "epochs": 50, "hidden": [5]},
                        seeds=[0], n_jobs=1)
    assert len(result.records) == 2 and not any(r["error"] for r in result.records)
    assert all(r["val_accuracy"] > 0.8 for r in result.records)
