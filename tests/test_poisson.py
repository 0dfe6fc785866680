"""loss="poisson" with an exp output: scikit-learn's MLPRegressor(loss="poisson"), by hand.

scikit-learn's ``poisson_loss`` is half the Poisson deviance, ``Σ_outputs mean_samples
[ŷ - y + xlogy(y, y / ŷ)]`` (constants included), after an ``exp`` output; its backprop starts
from ``δ = ŷ - y`` (divided by the batch size). ffnn's ``poisson`` is that same function, with
the fused path from the logits; the registry's coverage (tests/test_registry.py) runs it on
every path. Here: equal to scikit-learn's loss and gradient on the same weights, autograd and
finite differences, numerics at the extremes, the estimator, interop and files.
"""

from __future__ import annotations

import warnings

import numpy as np
import pytest
from sklearn.exceptions import ConvergenceWarning
from sklearn.metrics import mean_poisson_deviance
from sklearn.neural_network import MLPRegressor
from sklearn.neural_network._base import LOSS_FUNCTIONS

import ffnn
from _problems import make_problem
from ffnn.sklearn.interop import from_sklearn, to_sklearn, to_torch_state_dict

RNG = np.random.default_rng(16)


def counts(n: int = 300, n_features: int = 3, seed: int = 0):
    """Poisson counts whose log-mean is a smooth function of X."""
    rng = np.random.default_rng(seed)
    X = rng.standard_normal((n, n_features))
    mu = np.exp(0.6 * X[:, 0] - 0.4 * X[:, 1] ** 2 + 0.3 * np.sin(2 * X[:, 2]) + 0.5)
    return X, rng.poisson(mu).astype(float)


def _sklearn_backprop(mlp: MLPRegressor, X, Y):
    """scikit-learn's own loss and gradient (``_backprop``) at the MLP's weights."""
    layers = len(mlp.coefs_)
    coef_grads = [np.empty_like(W) for W in mlp.coefs_]
    intercept_grads = [np.empty_like(b) for b in mlp.intercepts_]
    loss, coef_grads, intercept_grads = mlp._backprop(
        X, Y, None, [X] + [None] * layers, [None] * layers, coef_grads, intercept_grads)
    return loss, np.concatenate([np.concatenate([W.ravel(), b])
                                 for W, b in zip(coef_grads, intercept_grads)])


# -- the loss: scikit-learn's, exactly --------------------------------------------------------


def test_the_loss_is_scikit_learns_half_poisson_deviance():
    z = RNG.normal(0, 1.5, (40, 3))
    y = RNG.poisson(2.0, (40, 3)).astype(float)
    y[:5] = 0.0  # xlogy(0, ·) = 0
    expected = LOSS_FUNCTIONS["poisson"](y, np.exp(z))
    loss = ffnn.get_loss("poisson")
    assert loss.logits_value(z, y) == pytest.approx(expected, rel=1e-13)  # fused, from z
    assert loss.value(np.exp(z), y) == pytest.approx(expected, rel=1e-13)  # from ŷ
    assert float(loss.reference(np.exp(z), y)) == pytest.approx(expected, rel=1e-13)
    np.testing.assert_allclose(loss.per_sample(np.exp(z), y), loss.logits_per_sample(z, y),
                               rtol=1e-13)
    # half the deviance that scikit-learn's metric reports (one output)
    assert loss.value(np.exp(z[:, :1]), y[:, :1]) == pytest.approx(
        mean_poisson_deviance(y[:, 0], np.exp(z[:, 0])) / 2, rel=1e-13)
    positive = y[y.min(axis=1) > 0]
    assert loss.logits_value(np.log(positive), positive) == 0.0  # a perfect fit costs 0


@pytest.mark.parametrize("n_outputs", [1, 2])
def test_loss_and_gradient_equal_scikit_learns_on_the_same_weights(n_outputs):
    """scikit-learn's MLPRegressor(loss="poisson")._backprop at ffnn's weights: its alpha
    is divided by the batch size, so alpha = n · l2 is ffnn's l2."""
    X = RNG.standard_normal((30, 4))
    Y = RNG.poisson(1.5, (30, n_outputs)).astype(float)
    net = ffnn.Network(4, [6, 5, n_outputs], ["tanh", "tanh", "exp"], seed=3)
    mlp = to_sklearn(net)
    assert (mlp.loss, mlp.out_activation_) == ("poisson", "exp")
    for l2 in (0.0, 0.03):
        mlp.alpha = len(X) * l2
        sk_loss, sk_grad = _sklearn_backprop(mlp, X, Y)
        assert net.cost(X, Y, "poisson", l2=l2) == pytest.approx(sk_loss, rel=1e-13)
        np.testing.assert_allclose(net.gradient(X, Y, "poisson", l2=l2), sk_grad,
                                   rtol=1e-12, atol=1e-15)


def test_the_output_gradient_is_exp_z_minus_y_over_n():
    net = ffnn.Network(3, [4, 2], ["relu", "exp"], seed=0)
    X, Y = RNG.standard_normal((9, 3)), RNG.poisson(3.0, (9, 2)).astype(float)
    trace = net.backprop_trace(X, Y, "poisson")
    assert trace.fused
    out = trace.layers[-1]
    np.testing.assert_allclose(out.dC_dz, (np.exp(out.z) - Y) / 9, rtol=1e-15)


# -- gradients: autograd and finite differences -----------------------------------------------


@pytest.mark.parametrize("hidden", [["tanh"], ["relu", "sigmoid"], ["exp"], ["exp", "exp"]])
@pytest.mark.parametrize("one_sample,n", [(True, 1), (False, 11)])
@pytest.mark.parametrize("l1,l2", [(0.0, 0.0), (0.02, 0.05)])
def test_gradient_matches_autograd_and_finite_differences(hidden, one_sample, n, l1, l2):
    sizes = [5, 4][: len(hidden)] + [3]
    net, X, Y = make_problem(len(hidden) + 7 * n, sizes, [*hidden, "exp"], "poisson", n,
                             one_sample=one_sample)
    result = ffnn.gradcheck(net, X, Y, "poisson", l1=l1, l2=l2)
    assert result.max_error("autograd") <= 1e-9, result.errors
    assert result.max_error("finite_differences") <= 1e-6, result.errors
    assert result.passed and not result.near_kink


def test_the_general_path_after_an_exp_subclass_gives_the_fused_gradient():
    """A subclass of Exp is not fused (it might change the formula): the general path
    ``(1 - y/ŷ)/n`` through exp's VJP gives the same gradient and cost."""

    class MyExp(ffnn.Exp):
        pass

    X, Y = RNG.standard_normal((8, 3)), RNG.poisson(1.0, (8, 2)).astype(float)
    fused = ffnn.Network(3, [5, 2], ["tanh", "exp"], seed=1)
    general = ffnn.Network(3, [5, 2], ["tanh", MyExp()], seed=1)
    assert not general.backprop_trace(X, Y, "poisson").fused
    np.testing.assert_allclose(general.gradient(X, Y, "poisson"), fused.gradient(X, Y, "poisson"),
                               rtol=1e-12, atol=1e-16)
    assert general.cost(X, Y, "poisson") == pytest.approx(fused.cost(X, Y, "poisson"), rel=1e-13)
    assert ffnn.gradcheck(general, X, Y, "poisson").passed


# -- numerics ---------------------------------------------------------------------------------


def test_the_fused_cost_stays_accurate_near_the_fit():
    """y (expm1(d) - d), d = z - log y: exp(z) - y z + y log y - y would cancel to ~1e-8."""
    y = np.array([[1e6, 3.0, 1e-3]])
    d = np.array([[1e-6, -2e-7, 5e-5]])
    z = np.log(y) + d
    exact = float(np.sum(y * (d**2 / 2 + d**3 / 6 + d**4 / 24)))  # the series, to ~1e-20
    assert ffnn.poisson.logits_value(z, y) == pytest.approx(exact, rel=1e-9)
    assert ffnn.poisson.logits_value(z, y) >= 0


def test_extreme_logits_and_targets():
    loss = ffnn.poisson
    y = np.array([[0.0, 5.0, 1e12]])
    z = np.array([[-1e4, -1e4, -1e4]])
    cost = loss.logits_value(z, y)  # no warning (warnings are errors here)
    # ŷ - y + y log(y / ŷ) with ŷ = exp(-1e4) = 0 to the last bit: y (1e4 + log y - 1)
    expected = 5.0 * (1e4 + np.log(5.0) - 1) + 1e12 * (1e4 + np.log(1e12) - 1)
    assert np.isfinite(cost) and cost == pytest.approx(expected, rel=1e-12)
    grad = loss.logits_gradient(np.exp(z), y)
    np.testing.assert_allclose(grad, -y, rtol=1e-15)  # (exp(z) - y) / 1
    # beyond log(largest float) the prediction and the cost are inf: training stops there
    assert loss.logits_value(np.array([[800.0]]), np.array([[1.0]])) == np.inf
    assert loss.value(np.array([[0.0]]), np.array([[2.0]])) == np.inf  # ŷ = 0 for a count
    assert loss.value(np.array([[0.0]]), np.array([[0.0]])) == 0.0
    assert np.isfinite(loss.gradient(np.array([[0.0]]), np.array([[0.0]]))).all()


def test_an_exploding_run_stops_as_diverged_with_finite_weights():
    X, y = counts(60)
    net = ffnn.Network(3, [4, 1], ["relu", "exp"], seed=0)
    history = ffnn.train(net, X * 50, y[:, None], "poisson", optimizer=ffnn.SGD(10.0),
                         epochs=20, verbose=0, engine="numpy")
    assert history.diverged and np.isfinite(net.params).all()


# -- what it accepts --------------------------------------------------------------------------


def test_poisson_needs_an_exp_output_and_non_negative_targets():
    net = ffnn.Network(3, [4, 2], ["tanh", "identity"], seed=0)
    X, Y = RNG.standard_normal((5, 3)), RNG.poisson(1.0, (5, 2)).astype(float)
    with pytest.raises(ValueError, match=r"poisson needs an exp output layer .* got identity"):
        net.cost(X, Y, "poisson")
    net = ffnn.Network(3, [4, 2], ["tanh", "exp"], seed=0)
    with pytest.raises(ValueError, match=r"targets: some value\(s\) are negative, which is not "
                                         r"allowed for Poisson regression .* smallest is -1"):
        net.cost(X, Y - 1, "poisson")
    assert np.isfinite(net.cost(X, 0.5 * Y, "poisson"))  # rates, not only counts
    # exp after anything, with mse, is fine
    assert np.isfinite(net.cost(X, Y - 1, "mse"))


# -- the estimator ----------------------------------------------------------------------------


def test_the_regressor_fits_counts_and_beats_a_constant_in_deviance():
    X, y = counts()
    X_test, y_test = counts(200, seed=1)
    model = ffnn.FFNNRegressor((16,), loss="poisson", learning_rate_init=0.01, max_iter=300,
                               random_state=0).fit(X, y)
    assert model.out_activation_ == "exp"
    predicted = model.predict(X_test)
    assert predicted.shape == y_test.shape and (predicted > 0).all()
    model_deviance = mean_poisson_deviance(y_test, predicted)
    constant = mean_poisson_deviance(y_test, np.full_like(y_test, y.mean()))
    assert model_deviance < 0.8 * constant, (model_deviance, constant)
    # loss_curve_ is half the deviance (plus the penalty), as scikit-learn's loss_
    net = model.network_
    assert net.cost(X, y[:, None], "poisson") == pytest.approx(
        mean_poisson_deviance(y, model.predict(X)) / 2, rel=1e-10)
    assert model.loss_curve_[-1] == pytest.approx(
        net.cost(X, y[:, None], "poisson", l2=model.alpha), rel=0.05)  # before the last steps


def test_scikit_learns_poisson_mlp_reaches_a_similar_deviance():
    X, y = counts()
    ours = ffnn.FFNNRegressor((16,), loss="poisson", learning_rate_init=0.01, max_iter=300,
                              random_state=0).fit(X, y)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ConvergenceWarning)
        theirs = MLPRegressor(hidden_layer_sizes=(16,), loss="poisson", learning_rate_init=0.01,
                              max_iter=300, random_state=0).fit(X, y)
    ours_dev = mean_poisson_deviance(y, ours.predict(X))
    theirs_dev = mean_poisson_deviance(y, theirs.predict(X))
    assert ours_dev < 1.25 * theirs_dev, (ours_dev, theirs_dev)


def test_the_regressor_refuses_negative_y_in_scikit_learns_words():
    X, y = counts(40)
    model = ffnn.FFNNRegressor((4,), loss="poisson", max_iter=2)
    with pytest.raises(ValueError, match=r"^y: some value\(s\) are negative, which is not allowed "
                                         "for Poisson regression"):
        model.fit(X, y - 3)
    assert not hasattr(model, "network_")
    with pytest.raises(ValueError, match="negative"):
        model.partial_fit(X, -y - 1)
    # squared error takes any y; its output stays identity
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ConvergenceWarning)
        plain = ffnn.FFNNRegressor((4,), max_iter=2, random_state=0).fit(X, y - 3)
    assert plain.out_activation_ == "identity"


@pytest.mark.auto_jax
def test_the_regressor_with_poisson_saves_loads_and_trains_on_jax(tmp_path):
    pytest.importorskip("jax", reason="the JAX engine needs JAX (the fast extra)")
    X, y = counts(80)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ConvergenceWarning)
        model = ffnn.FFNNRegressor((5,), loss="poisson", max_iter=5, random_state=0,
                                   batch_size=16).fit(X, y)
    assert model.engine_ == "jax"  # "auto" takes it (the auto_jax mark)
    model.save(tmp_path / "poisson.npz")
    loaded = ffnn.FFNNRegressor.load(tmp_path / "poisson.npz")
    assert loaded.out_activation_ == "exp" and loaded.loss == "poisson"
    np.testing.assert_array_equal(loaded.predict(X), model.predict(X))
    # the JAX engine runs poisson after exp, equal to the NumPy engine to rounding
    runs = []
    for engine in ("numpy", "jax"):
        net = ffnn.Network(3, [6, 1], ["relu", "exp"], seed=2)
        history = ffnn.train(net, X, y[:, None], "poisson", optimizer=ffnn.Adam(0.01),
                             epochs=5, batch_size=16, l2=1e-3, seed=4, verbose=0, engine=engine)
        assert history.engine == engine
        runs.append((net.params, history["loss"], history["r2"]))
    for a, b in zip(*runs):
        np.testing.assert_allclose(b, a, rtol=1e-12, atol=1e-14)


def test_ffnn_train_picks_the_exp_output_for_poisson():
    from ffnn.sweeps.recipe import build

    recipe = build({"loss": "poisson", "hidden": [4], "epochs": 1}, 3, 1, False, 50)
    assert recipe.network.activation_funcs[-1].name == "exp"
    with pytest.raises(ValueError, match="poisson needs an exp output"):
        build({"loss": "poisson", "output_activation": "identity"}, 3, 1, False, 50)


# -- interop and files ------------------------------------------------------------------------


def test_scikit_learns_poisson_mlp_round_trips():
    X, y = counts(60)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ConvergenceWarning)
        mlp = MLPRegressor(hidden_layer_sizes=(5,), loss="poisson", max_iter=5,
                           random_state=0).fit(X, y)
    net = from_sklearn(mlp)
    assert [f.name for f in net.activation_funcs] == ["relu", "exp"]
    np.testing.assert_allclose(net.predict(X)[:, 0], mlp.predict(X), rtol=1e-12)
    back = to_sklearn(net)
    assert isinstance(back, MLPRegressor) and back.loss == "poisson"
    np.testing.assert_allclose(back.predict(X), mlp.predict(X), rtol=1e-12)
    with pytest.raises(ValueError, match="classes is for classifiers"):
        to_sklearn(net, classes=[0, 1])


def test_exp_cannot_be_a_hidden_layer_for_scikit_learn_nor_go_to_pytorch(tmp_path):
    net = ffnn.Network(3, [4, 1], ["exp", "exp"], seed=0)
    with pytest.raises(ValueError, match=r"scikit-learn's MLP offers .* hidden layer 0 uses 'exp'"):
        to_sklearn(net)
    with pytest.raises(ValueError, match=r"'exp' .* cannot be exported to PyTorch"):
        to_torch_state_dict(net)
    ffnn.save(net, tmp_path / "exp.npz")
    assert ffnn.load(tmp_path / "exp.npz").activation_funcs == net.activation_funcs


def test_ffnn_gradcheck_takes_poisson_with_its_exp_output(capsys):
    from ffnn.cli.main import main

    assert main(["gradcheck", "--loss", "poisson", "--hidden", "5", "--activation",
                 "tanh"]) == 0
    out = capsys.readouterr().out
    assert "exp" in out and "poisson" in out and "gradient check PASSED" in out
