"""ffnn.baselines: the penalty conversions checked by fitting both sides to one optimum.

scikit-learn fits Ridge, Lasso and ElasticNet at the converted alpha; at its coefficients
ffnn's linear model must have a zero (sub)gradient at the original l1/l2, and a mis-scaled
alpha must not pass. The MLP's alpha is checked on its gradient (one full-batch SGD step of
scikit-learn against ffnn's backprop), which fixes the stationary points for any depth.
"""

from __future__ import annotations

import subprocess
import sys
import warnings

import numpy as np
import pytest
from sklearn.exceptions import ConvergenceWarning
from sklearn.linear_model import ElasticNet, Lasso, Ridge
from sklearn.neural_network import MLPClassifier, MLPRegressor

import ffnn
from ffnn import baselines
from ffnn.sklearn.baselines import (
    elastic_net_params,
    l1_from_lasso_alpha,
    l2_from_mlp_alpha,
    l2_from_ridge_alpha,
    lasso_alpha,
    linear_baselines,
    mlp_alpha,
    penalties_from_elastic_net,
    ridge_alpha,
)

N, P = 60, 5


def problem(k: int, seed: int = 0):
    """Standardised inputs, targets with an offset, and two irrelevant features (so that
    the L1 penalty zeroes some coefficients)."""
    rng = np.random.default_rng(seed)
    X = rng.normal(size=(N, P))
    X = (X - X.mean(0)) / X.std(0)
    W = rng.normal(size=(P, k))
    W[-2:] = 0.0
    Y = X @ W + 0.5 * rng.normal(size=(N, k)) + 1.5
    return X, Y


def linear_net(coef: np.ndarray, intercept, k: int) -> ffnn.Network:
    """ffnn's linear model holding scikit-learn's coefficients (``coef_`` is (k, p) or (p,))."""
    net = ffnn.Network(P, [k], ["identity"])
    net.layers = [(np.asarray(coef, dtype=float).reshape(k, P).T.copy(),
                   np.asarray(intercept, dtype=float).reshape(k))]
    return net


def targets(Y, k):
    return Y if k > 1 else Y[:, :1]


def ridge_gradient(alpha: float, l2: float, k: int) -> np.ndarray:
    X, Y = problem(k)
    Y = targets(Y, k)
    ridge = Ridge(alpha=alpha).fit(X, Y if k > 1 else Y[:, 0])
    return linear_net(ridge.coef_, ridge.intercept_, k).gradient(X, Y, "mse", l2=l2)


def subgradient_violation(model, l1: float, l2: float, k: int) -> tuple[float, int, int]:
    """The largest violation of ffnn's optimality conditions at ``model``'s coefficients
    (l2 included in the smooth part), and the counts of zero and nonzero weights."""
    X, Y = problem(k)
    Y = targets(Y, k)
    net = linear_net(model.coef_, model.intercept_, k)
    (dW, db), = net.backprop(X, Y, "mse", l2=l2)
    W = net.layers[0][0]
    nonzero = W != 0
    violation = np.where(nonzero, np.abs(dW + l1 * np.sign(W)), np.maximum(np.abs(dW) - l1, 0))
    return max(violation.max(), np.abs(db).max()), int((~nonzero).sum()), int(nonzero.sum())


# -- the linear models: zero gradient at scikit-learn's optimum ---------------------------------

@pytest.mark.parametrize("k", [1, 2])
def test_ridge_at_the_converted_alpha_is_ffnns_optimum(k):
    l2 = 0.3
    assert np.abs(ridge_gradient(ridge_alpha(l2, N, n_outputs=k), l2, k)).max() < 1e-12
    # the check can fail: alpha = n l2 (a factor 2 off) or the single-output alpha for k = 2
    assert np.abs(ridge_gradient(N * k * l2, l2, k)).max() > 1e-2
    if k > 1:
        assert np.abs(ridge_gradient(ridge_alpha(l2, N), l2, k)).max() > 1e-2


@pytest.mark.parametrize("k", [1, 2])
def test_lasso_at_the_converted_alpha_is_ffnns_optimum(k):
    X, Y = problem(k)
    Y = targets(Y, k)
    l1 = 0.2

    def fit(alpha):
        return Lasso(alpha=alpha, tol=1e-14, max_iter=100_000).fit(X, Y if k > 1 else Y[:, 0])

    violation, zeros, nonzeros = subgradient_violation(fit(lasso_alpha(l1, n_outputs=k)),
                                                       l1, 0.0, k)
    assert zeros and nonzeros  # both conditions were exercised
    assert violation < 1e-8
    assert subgradient_violation(fit(k * l1), l1, 0.0, k)[0] > 1e-2  # a factor 2 off
    if k > 1:
        assert subgradient_violation(fit(lasso_alpha(l1)), l1, 0.0, k)[0] > 1e-2


@pytest.mark.parametrize("k", [1, 2])
def test_elastic_net_at_the_converted_parameters_is_ffnns_optimum(k):
    X, Y = problem(k)
    Y = targets(Y, k)
    l1, l2 = 0.2, 0.5

    def fit(alpha, l1_ratio):
        return ElasticNet(alpha=alpha, l1_ratio=l1_ratio, tol=1e-14,
                          max_iter=100_000).fit(X, Y if k > 1 else Y[:, 0])

    alpha, l1_ratio = elastic_net_params(l1, l2, n_outputs=k)
    violation, zeros, nonzeros = subgradient_violation(fit(alpha, l1_ratio), l1, l2, k)
    assert zeros and nonzeros and violation < 1e-8
    assert subgradient_violation(fit(alpha, l2 / (l1 + l2)), l1, l2, k)[0] > 1e-2  # ρ swapped


def test_a_linear_network_trained_by_gradient_descent_reaches_ridge():
    """Both sides fitted: ffnn's full-batch gradient descent at l2 lands on Ridge's answer."""
    X, Y = problem(1)
    l2 = 0.1
    net = ffnn.Network(P, [1], ["identity"], seed=0)
    ffnn.train(net, X, Y[:, :1], "mse", optimizer="gd", learning_rate=0.2, epochs=1500,
               batch_size=None, l2=l2, seed=0, verbose=0)
    ridge = Ridge(alpha=ridge_alpha(l2, N)).fit(X, Y[:, 0])
    W, b = net.layers[0]
    np.testing.assert_allclose(W[:, 0], ridge.coef_, rtol=0, atol=1e-9)
    np.testing.assert_allclose(b, [ridge.intercept_], rtol=0, atol=1e-9)
    assert np.abs(W[:, 0] - Ridge(alpha=N * l2).fit(X, Y[:, 0]).coef_).max() > 1e-3


@pytest.mark.parametrize("l1, l2, keys", [
    (0.0, 0.0, ["OLS"]),
    (0.0, 0.3, ["OLS", "Ridge"]),
    (0.2, 0.0, ["OLS", "Lasso"]),
    (0.2, 0.3, ["OLS", "Ridge", "Lasso", "ElasticNet"]),
])
@pytest.mark.parametrize("k", [1, 2])
def test_linear_baselines_fit_ffnns_optimum_for_each_penalty(l1, l2, keys, k):
    X, Y = problem(k)
    Y = targets(Y, k)
    models = linear_baselines(X, Y if k > 1 else Y[:, 0], l1=l1, l2=l2)
    assert list(models) == keys
    penalties = {"OLS": (0.0, 0.0), "Ridge": (0.0, l2), "Lasso": (l1, 0.0),
                 "ElasticNet": (l1, l2)}
    for name, model in models.items():
        assert subgradient_violation(model, *penalties[name], k)[0] < 1e-7, name


# -- the MLPs: ffnn's gradient against scikit-learn's, from one full-batch SGD step -------------

def sklearn_gradient(mlp, X, y, lr: float):
    """scikit-learn's gradient at its weights θ₀, from θ₁ = θ₀ - lr g (plain SGD, one batch)."""
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ConvergenceWarning)
        kwargs = {"classes": np.unique(y)} if isinstance(mlp, MLPClassifier) else {}
        mlp.partial_fit(X, y, **kwargs)  # initialises, then one step: θ₀
        before = [a.copy() for a in mlp.coefs_ + mlp.intercepts_]
        mlp.partial_fit(X, y)  # θ₁
        after = mlp.coefs_ + mlp.intercepts_
    n_layers = len(mlp.coefs_)
    grads = [(b - a) / lr for b, a in zip(before, after)]
    layers = list(zip(before[:n_layers], before[n_layers:]))
    return layers, list(zip(grads[:n_layers], grads[n_layers:]))


def sgd_mlp(cls, alpha, batch_size):
    return cls(hidden_layer_sizes=(4,), activation="tanh", solver="sgd", alpha=alpha,
               learning_rate_init=1e-3, momentum=0.0, nesterovs_momentum=False,
               batch_size=batch_size, shuffle=False, random_state=0)


def max_difference(ours, theirs, scale: float) -> float:
    return max(np.abs(g - scale * h).max() for pair, other in zip(ours, theirs)
               for g, h in zip(pair, other))


@pytest.mark.parametrize("k", [1, 2])
def test_mlp_regressor_alpha_gives_ffnns_gradient(k):
    X, Y = problem(k)
    Y = targets(Y, k)
    l2 = 0.3
    mlp = sgd_mlp(MLPRegressor, mlp_alpha(l2, N, n_outputs=k), N)
    layers, theirs = sklearn_gradient(mlp, X, Y if k > 1 else Y[:, 0], 1e-3)
    net = ffnn.Network(P, [4, k], ["tanh", "identity"])
    net.layers = layers
    ours = net.backprop(X, Y, "mse", l2=l2)
    # ffnn's cost is 2/k times the function scikit-learn's gradient descends
    assert max_difference(ours, theirs, 2 / k) < 1e-8
    # the check can fail: alpha / batch_size (the classifiers' rule), or k left out
    wrong_l2 = mlp.alpha / N if k == 1 else l2_from_mlp_alpha(mlp.alpha, N)
    wrong = net.backprop(X, Y, "mse", l2=wrong_l2)
    assert max_difference(wrong, theirs, 2 / k) > 1e-3


@pytest.mark.parametrize("n_classes", [2, 3])
def test_mlp_classifier_alpha_gives_ffnns_gradient(n_classes):
    X, Y = problem(1)
    labels = np.digitize(Y[:, 0], np.quantile(Y[:, 0], np.linspace(0, 1, n_classes + 1)[1:-1]))
    l2 = 0.3
    mlp = sgd_mlp(MLPClassifier, mlp_alpha(l2, N, loss="log_loss"), N)
    layers, theirs = sklearn_gradient(mlp, X, labels, 1e-3)
    if n_classes == 2:
        net = ffnn.Network(P, [4, 1], ["tanh", "sigmoid"])
        T, loss = labels[:, None].astype(float), "binary_cross_entropy"
    else:
        net = ffnn.Network(P, [4, n_classes], ["tanh", "softmax"])
        T, loss = np.eye(n_classes)[labels], "cross_entropy"
    net.layers = layers
    assert max_difference(net.backprop(X, T, loss, l2=l2), theirs, 1.0) < 1e-8
    wrong = net.backprop(X, T, loss, l2=l2_from_mlp_alpha(mlp.alpha, N))  # the regressor's
    assert max_difference(wrong, theirs, 1.0) > 1e-3


def test_mlp_poisson_alpha_gives_ffnns_gradient():
    X, Y = problem(1)
    counts = np.random.default_rng(5).poisson(np.exp(0.5 * np.tanh(Y[:, 0])))
    l2 = 0.3
    mlp = sgd_mlp(MLPRegressor, mlp_alpha(l2, N, loss="poisson"), N).set_params(loss="poisson")
    layers, theirs = sklearn_gradient(mlp, X, counts.astype(float), 1e-3)
    net = ffnn.Network(P, [4, 1], ["tanh", "exp"])
    net.layers = layers
    T = counts[:, None].astype(float)
    assert max_difference(net.backprop(X, T, "poisson", l2=l2), theirs, 1.0) < 1e-8
    wrong = net.backprop(X, T, "poisson", l2=l2_from_mlp_alpha(mlp.alpha, N))  # squared error's
    assert max_difference(wrong, theirs, 1.0) > 1e-3


def test_a_linear_mlp_with_lbfgs_lands_on_ridge():
    """The three sides at one optimum: MLPRegressor (no hidden layer, lbfgs) at mlp_alpha,
    Ridge at ridge_alpha, and ffnn's zero gradient at l2."""
    X, Y = problem(1)
    l2 = 0.3
    mlp = MLPRegressor(hidden_layer_sizes=(), solver="lbfgs", alpha=mlp_alpha(l2, N),
                       tol=1e-14, max_iter=10_000, random_state=0).fit(X, Y[:, 0])
    ridge = Ridge(alpha=ridge_alpha(l2, N)).fit(X, Y[:, 0])
    np.testing.assert_allclose(mlp.coefs_[0][:, 0], ridge.coef_, rtol=0, atol=1e-5)
    np.testing.assert_allclose(mlp.intercepts_[0], [ridge.intercept_], rtol=0, atol=1e-5)
    assert np.abs(mlp.coefs_[0][:, 0] - Ridge(alpha=N * l2).fit(X, Y[:, 0]).coef_).max() > 1e-3


# -- the formulas, their inverses, and bad inputs -----------------------------------------------

def test_the_numbers():
    assert ridge_alpha(0.1, 100) == pytest.approx(5.0)
    assert ridge_alpha(0.1, 100, n_outputs=3) == pytest.approx(15.0)
    assert lasso_alpha(0.1) == pytest.approx(0.05)
    assert elastic_net_params(0.1, 0.3) == pytest.approx((0.2, 0.25))
    assert mlp_alpha(0.1, 32) == pytest.approx(1.6)
    assert mlp_alpha(0.1, 32, loss="cross_entropy") == pytest.approx(3.2)
    assert mlp_alpha(0.1, 32, loss="log_loss", n_outputs=5) == pytest.approx(3.2)


@pytest.mark.parametrize("value", [0.0, 1e-6, 0.37, 12.5])
@pytest.mark.parametrize("n, k", [(1, 1), (400, 1), (77, 3)])
def test_the_inverses_round_trip(value, n, k):
    pairs = [
        (lambda v: ridge_alpha(v, n, n_outputs=k),
         lambda a: l2_from_ridge_alpha(a, n, n_outputs=k)),
        (lambda v: lasso_alpha(v, n_outputs=k), lambda a: l1_from_lasso_alpha(a, n_outputs=k)),
        (lambda v: mlp_alpha(v, n, n_outputs=k), lambda a: l2_from_mlp_alpha(a, n, n_outputs=k)),
        (lambda v: mlp_alpha(v, n, loss="log_loss"),
         lambda a: l2_from_mlp_alpha(a, n, loss="log_loss")),
    ]
    for forward, inverse in pairs:
        assert inverse(forward(value)) == pytest.approx(value, rel=1e-14, abs=0)
        assert forward(inverse(value)) == pytest.approx(value, rel=1e-14, abs=0)
    if value:
        l1, l2 = penalties_from_elastic_net(*elastic_net_params(value, 2 * value, n_outputs=k),
                                            n_outputs=k)
        assert (l1, l2) == pytest.approx((value, 2 * value), rel=1e-14)
        for ratio in (0.0, 0.3, 1.0):
            alpha, back = elastic_net_params(*penalties_from_elastic_net(value, ratio,
                                                                         n_outputs=k),
                                             n_outputs=k)
            assert (alpha, back) == pytest.approx((value, ratio), rel=1e-14, abs=1e-15)


@pytest.mark.parametrize("call, error, name", [
    (lambda: ridge_alpha(-0.1, 10), ValueError, "l2"),
    (lambda: ridge_alpha(float("nan"), 10), ValueError, "l2"),
    (lambda: ridge_alpha(0.1, 0), ValueError, "n_samples"),
    (lambda: ridge_alpha(0.1, 2.5), TypeError, "n_samples"),
    (lambda: ridge_alpha(0.1, True), TypeError, "n_samples"),
    (lambda: ridge_alpha(0.1, 10, n_outputs=0), ValueError, "n_outputs"),
    (lambda: l2_from_ridge_alpha(-1.0, 10), ValueError, "alpha"),
    (lambda: l2_from_ridge_alpha(1.0, -3), ValueError, "n_samples"),
    (lambda: lasso_alpha(-0.1), ValueError, "l1"),
    (lambda: lasso_alpha(float("inf")), ValueError, "l1"),
    (lambda: lasso_alpha("0.1"), TypeError, "l1"),
    (lambda: lasso_alpha(0.1, 100), TypeError, "positional"),  # n_samples does not enter
    (lambda: l1_from_lasso_alpha(-2.0), ValueError, "alpha"),
    (lambda: elastic_net_params(0.1, -0.1), ValueError, "l2"),
    (lambda: elastic_net_params(0.0, 0.0), ValueError, "LinearRegression"),
    (lambda: penalties_from_elastic_net(1.0, 1.5), ValueError, "l1_ratio"),
    (lambda: mlp_alpha(-0.1, 32), ValueError, "l2"),
    (lambda: mlp_alpha(0.1, 0), ValueError, "batch_size"),
    (lambda: mlp_alpha(0.1, 32, loss="gamma"), ValueError, "loss"),
    (lambda: l2_from_mlp_alpha(0.1, 32, loss="hinge"), ValueError, "loss"),
    (lambda: linear_baselines(np.zeros((5, 2)), np.zeros(4)), ValueError, "y"),
    (lambda: linear_baselines(np.zeros((5, 2)), np.zeros(5), l1=-1), ValueError, "l1"),
])
def test_bad_inputs_name_the_argument(call, error, name):
    with pytest.raises(error, match=name):
        call()


def test_the_module_is_reachable_from_the_package():
    assert ffnn.baselines is baselines
    code = ("import sys, ffnn; assert 'sklearn' not in sys.modules; "
            "assert ffnn.baselines.ridge_alpha(0.1, 100) == 5.0; "
            "assert 'baselines' in ffnn.__all__")
    subprocess.run([sys.executable, "-c", code], check=True, timeout=120)
