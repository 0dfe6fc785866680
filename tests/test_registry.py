"""Coverage of the registry: every built-in × every execution path is checked against the
reference path or declared unsupported with a reason (in the built-in's own class).

The lists here are read from :mod:`ffnn.registry`, never written by hand: a new activation,
loss, optimizer or schedule is covered on every path the moment it registers, and a built-in
that forgets to say how a path runs it fails here (shown by registering a dummy).
"""

from __future__ import annotations

import json
import math
from pathlib import Path

import numpy as np
import pytest

import ffnn
import ffnn.io as fio
import ffnn.sklearn.interop
import ffnn.sweeps.recipe
from _problems import make_targets
from ffnn.backends.stacked import train_stack
from ffnn.core.activations import ACTIVATIONS, Activation
from ffnn.core.losses import LOSSES
from ffnn.core.registry import PATHS
from ffnn.optim.optimizers import OPTIMIZERS
from ffnn.optim.schedules import SCHEDULES

TRAJECTORIES = json.loads(
    (Path(__file__).parent / "reference" / "torch_trajectories.json").read_text("utf-8")
)["trajectories"]


def _data(loss: str, n: int = 24, n_in: int = 3, n_out: int = 3, seed: int = 0):
    rng = np.random.default_rng(seed)
    X = rng.standard_normal((n, n_in))
    Y = make_targets(rng, loss, n, n_out, hard=True)
    return X, Y


def _setting(kind: str, cls):
    """(network activations, loss, optimizer factory) exercising the built-in ``cls``."""
    if kind == "activation":
        if cls.name == "softmax":
            return ["tanh", "softmax"], "cross_entropy", lambda lr: ffnn.SGD(lr)
        return [cls.name, cls.name, "identity"], "mse", lambda lr: ffnn.SGD(lr)
    if kind == "loss":  # after the output it fuses with (softmax, sigmoid, exp), if any
        output = cls.fused_activation.name if cls.fused_activation else "identity"
        return ["tanh", output], cls.name, lambda lr: ffnn.SGD(lr)
    if kind == "optimizer":  # a full-batch method (L-BFGS) takes no learning rate
        return (["tanh", "softmax"], "cross_entropy",
                lambda lr: cls() if cls.full_batch else cls(lr))
    # a schedule: its parameters from the training options' defaults
    options = ffnn.recipe.check_options({"epochs": 4})
    from types import SimpleNamespace

    args = SimpleNamespace(**options)
    return (["tanh", "softmax"], "cross_entropy",
            lambda lr: ffnn.SGD(cls.from_options(lr, args, 3)))


def _train(sizes, activations, loss, optimizer, engine, seed=1):
    X, Y = _data(loss)
    net = ffnn.Network(X.shape[1], sizes, activations, seed=seed)
    history = ffnn.train(net, X, Y, loss, optimizer=optimizer, epochs=3,
                         batch_size=None if optimizer.full_batch else 8, seed=5,
                         l1=1e-3, l2=1e-2, verbose=0, engine=engine)
    return net, history


def _reference_run(sizes, activations, loss, optimizer, seed=1):
    """The readable path: Network.gradient and optimizer.update, batch by batch (a
    full-batch method: SciPy's L-BFGS-B on Network.cost and Network.gradient)."""
    X, Y = _data(loss)
    net = ffnn.Network(X.shape[1], sizes, activations, seed=seed)
    if optimizer.full_batch:
        from scipy.optimize import minimize

        def cost_and_gradient(theta):
            net.params = theta
            return (net.cost(X, Y, loss, l1=1e-3, l2=1e-2),
                    net.gradient(X, Y, loss, l1=1e-3, l2=1e-2))

        result = minimize(cost_and_gradient, net.params.copy(), method="L-BFGS-B", jac=True,
                          options={"maxiter": 3, "gtol": optimizer.gtol,
                                   "ftol": optimizer.ftol, "maxcor": optimizer.memory,
                                   "maxfun": optimizer.max_fun})
        net.params = result.x
        return net
    rng = np.random.default_rng(5)
    state = optimizer.init(net.params, net.weight_mask())
    for _ in range(3):
        order = rng.permutation(len(X))
        for start in range(0, len(X), 8):
            rows = order[start:start + 8]
            grads = net.gradient(X[rows], Y[rows], loss, l1=1e-3, l2=1e-2)
            updates, state = optimizer.update(grads, state, net.params)
            ffnn.optimizers.apply_updates(net.params, updates)
    return net


def check_path(kind: str, cls, path: str) -> None:
    """Run the built-in ``cls`` on ``path`` and compare with the reference, or check that
    the path refuses it with the reason the class declares. Raises AssertionError when the
    built-in neither runs on the path nor declares why not."""
    if not cls.supports(path):
        reason = cls.unsupported.get(path)
        assert isinstance(reason, str) and reason, (
            f"{kind} {cls.name!r} ({cls.__name__}) neither runs on path {path!r} nor declares "
            f"why not (unsupported[{path!r}])")
    activations, loss, make_optimizer = _setting(kind, cls)
    sizes = [5] * (len(activations) - 1) + [3]
    if path == "reference":
        X, Y = _data(loss)
        net = ffnn.Network(X.shape[1], sizes, activations, seed=1)
        result = ffnn.gradcheck(net, X[:6], Y[:6], loss, l1=1e-3, l2=1e-2)
        assert max(result.errors["autograd"]) <= 1e-9, result
        return
    if path == "engine":
        net, _ = _train(sizes, activations, loss, make_optimizer(0.05), "numpy")
        reference = _reference_run(sizes, activations, loss, make_optimizer(0.05))
        np.testing.assert_allclose(net.params, reference.params, rtol=1e-12, atol=1e-14)
        return
    if path == "jax":  # the formulas traced by JAX against the NumPy engine
        pytest.importorskip("jax", reason="the JAX engine needs JAX (the fast extra)")
        if not cls.supports(path):
            with pytest.raises(ValueError, match=cls.unsupported[path].split(":")[0]):
                _train(sizes, activations, loss, make_optimizer(0.05), path)
            return
        fast, fast_history = _train(sizes, activations, loss, make_optimizer(0.05), path)
        assert fast_history.engine == path
        slow, slow_history = _train(sizes, activations, loss, make_optimizer(0.05), "numpy")
        np.testing.assert_allclose(fast.params, slow.params, rtol=0,
                                   atol=1e-12 * np.abs(slow.params).max())
        np.testing.assert_allclose(fast_history["loss"], slow_history["loss"], rtol=1e-12)
        return
    assert path == "stacked"
    X, Y = _data(loss)
    nets = [ffnn.Network(X.shape[1], sizes, activations, seed=s) for s in (1, 2)]
    optimizers = [make_optimizer(0.05), make_optimizer(0.02)]
    if not cls.supports("stacked"):
        with pytest.raises(ValueError, match="cannot train as one stack"):
            train_stack(nets, X, Y, loss, optimizers, epochs=3, batch_size=8, seed=5)
        return
    histories = train_stack(nets, X, Y, loss, optimizers, epochs=3, batch_size=8, seed=5,
                            l1=1e-3, l2=1e-2)
    for net, opt, history, seed in zip(nets, (0.05, 0.02), histories, (1, 2)):
        alone, alone_history = _train(sizes, activations, loss, make_optimizer(opt), "numpy",
                                      seed=seed)
        np.testing.assert_allclose(net.params, alone.params, rtol=0,
                                   atol=1e-10 * np.abs(alone.params).max())
        np.testing.assert_allclose(history["loss"], alone_history["loss"], rtol=1e-10)


REGISTRIES = {"activation": ACTIVATIONS, "loss": LOSSES, "optimizer": OPTIMIZERS,
              "schedule": SCHEDULES}
CASES = [(kind, cls, path) for kind, registry in REGISTRIES.items() for cls in registry
         for path in PATHS]


@pytest.mark.parametrize("kind,cls,path", CASES,
                         ids=[f"{k}-{c.name}-{p}" for k, c, p in CASES])
def test_every_builtin_on_every_path(kind, cls, path):
    check_path(kind, cls, path)


class _Dummy(Activation):
    """A built-in that registers but writes its formulas for NumPy only (no ``xp``)."""

    name = "dummy"

    def forward(self, z):
        return np.tanh(z)

    def derivative(self, z, a):
        return 1 - a * a

    def reference(self, z):
        import autograd.numpy as anp

        return anp.tanh(z)


def test_a_builtin_without_coverage_fails_the_check():
    pytest.importorskip("jax", reason="the JAX engine needs JAX (the fast extra)")
    ACTIVATIONS.register(_Dummy)
    try:
        assert _Dummy in list(ACTIVATIONS)  # the parametrized test above would take it
        check_path("activation", _Dummy, "engine")  # the paths that need nothing pass
        # the JAX engine calls its formulas with the namespace: a built-in must take it,
        # or declare unsupported["jax"]
        with pytest.raises(TypeError, match=r"xp|positional argument"):
            check_path("activation", _Dummy, "jax")
    finally:
        ACTIVATIONS.unregister(_Dummy)
    assert "dummy" not in ffnn.activations.ACTIVATIONS.names


# -- peers and files, from the same declarations ----------------------------------------------

@pytest.mark.parametrize("cls", list(ACTIVATIONS), ids=lambda c: c.name)
def test_every_activation_round_trips_through_a_model_file(cls, tmp_path):
    f = cls()
    net = ffnn.Network(3, [4, 2], [f, "identity"] if cls.elementwise else ["tanh", f], seed=0)
    ffnn.save(net, tmp_path / "m.npz")
    loaded = ffnn.load(tmp_path / "m.npz")
    assert loaded.activation_funcs == net.activation_funcs
    assert fio.activation_from_config(fio.activation_to_config(f)) == f


@pytest.mark.parametrize("cls", list(ACTIVATIONS), ids=lambda c: c.name)
def test_every_activation_maps_to_scikit_learn_as_declared(cls):
    net = ffnn.Network(3, [4, 1], [cls(), "identity"], seed=0)
    if cls.sklearn is None or not cls.elementwise:
        with pytest.raises(ValueError, match="scikit-learn's MLP offers"):
            ffnn.interop.to_sklearn(net)
        return
    mlp = ffnn.interop.to_sklearn(net)
    assert mlp.activation == cls.sklearn
    X = np.random.default_rng(0).standard_normal((5, 3))
    np.testing.assert_allclose(mlp.predict(X), net.predict(X)[:, 0], rtol=1e-12)
    assert ffnn.interop.from_sklearn(mlp).activation_funcs == net.activation_funcs


@pytest.mark.parametrize("cls", list(ACTIVATIONS), ids=lambda c: c.name)
def test_every_activation_maps_to_pytorch_as_declared(cls):
    activations = [cls(), "identity"] if cls.elementwise else ["tanh", cls()]
    net = ffnn.Network(3, [4, 2], activations, seed=0)
    if cls.torch is None:
        with pytest.raises(ValueError, match="cannot be exported to PyTorch"):
            ffnn.interop.to_torch_state_dict(net)
        return
    torch = pytest.importorskip("torch", reason="PyTorch is optional (comparisons only)")
    module = ffnn.interop.to_torch(net)
    X = np.random.default_rng(0).standard_normal((5, 3))
    with torch.no_grad():
        out = module(torch.from_numpy(X)).numpy()
    # PyTorch's Softplus is linear above 20 (exp(-20) ≈ 2e-9 away): inputs here stay below
    np.testing.assert_allclose(out, net.predict(X), rtol=1e-12, atol=1e-14)
    assert ffnn.interop.from_torch(module).activation_funcs == net.activation_funcs


@pytest.mark.parametrize("cls", [c for c in OPTIMIZERS if c.torch], ids=lambda c: c.name)
def test_every_optimizer_with_a_pytorch_peer_has_a_recorded_trajectory(cls):
    """test_optimizers.py replays them: a new optimizer is not done until it has one."""
    kinds = {record["torch_optimizer"] for record in TRAJECTORIES.values()}
    assert cls.torch in kinds


def test_every_optimizer_name_reaches_the_cli_sweeps_and_estimators():
    from ffnn.sklearn.estimators import SOLVERS
    from ffnn.sweeps.recipe import build

    X, Y = _data("cross_entropy", n=30)
    for cls in OPTIMIZERS:
        recipe = build({"optimizer": cls.name, "hidden": [4], "epochs": 1}, X.shape[1],
                       Y.shape[1], True, len(X))
        assert type(recipe.optimizer) is cls
        assert cls.name in SOLVERS or cls.name == "sgd"
        if "betas" in cls.params():
            recipe = build({"optimizer": cls.name, "beta1": 0.5}, 3, 3, True, 30)
            assert recipe.optimizer.betas[0] == 0.5


def test_every_schedule_is_built_from_the_cli_options():
    options = ffnn.recipe.check_options({"epochs": 4})
    from types import SimpleNamespace

    for cls in SCHEDULES:
        schedule = cls.from_options(0.1, SimpleNamespace(**options), 3)
        assert isinstance(schedule, cls)
        assert math.isclose(schedule(0), 0.1)  # every schedule starts at --lr


def test_the_penalty_forms_agree():
    """ffnn.penalties: the array forms, the flat forms over a namespace (the JAX engine's,
    here on NumPy and on jax.numpy) and the stacked forms are one definition."""
    from ffnn import penalties

    rng = np.random.default_rng(0)
    W = rng.standard_normal((4, 3))
    W[0, 0] = 0.0  # sign(0) = 0
    for l1, l2 in [(0.0, 0.0), (1e-2, 0.0), (0.0, 0.3), (1e-2, 0.3)]:
        expected = l1 * np.abs(W).sum() + 0.5 * l2 * (W * W).sum()
        assert math.isclose(penalties.value([W], l1, l2), expected, rel_tol=1e-14)
        mask = np.ones(W.size, bool)
        mask[-1] = False  # a parameter the penalty does not cover (a bias)
        covered = W.ravel()[:-1]
        flat_expected = l1 * np.abs(covered).sum() + 0.5 * l2 * (covered * covered).sum()
        for xp in _namespaces():
            assert math.isclose(float(penalties.flat_value(xp.asarray(W.ravel()), mask, l1, l2,
                                                           xp)),
                                flat_expected, rel_tol=1e-14, abs_tol=1e-300)
        g = rng.standard_normal(W.shape)
        array = g.copy()
        penalties.add_gradient(W, array, l1, l2)
        for xp in _namespaces():
            flat = np.asarray(penalties.add_flat_gradient(xp.asarray(g.ravel()),
                                                          xp.asarray(W.ravel()), mask, l1, l2, xp))
            np.testing.assert_array_equal(flat[:-1], array.ravel()[:-1])
            assert flat[-1] == g.ravel()[-1]
        K = np.stack([W, 2 * W])
        np.testing.assert_allclose(penalties.stack_values([K], np.array([l1, 0.0]),
                                                          np.array([l2, 0.0])),
                                   [expected, 0.0], rtol=1e-14)


def _namespaces():
    """NumPy, and jax.numpy (64-bit) where JAX is installed."""
    yield np
    try:
        import jax
    except ImportError:
        return
    jax.config.update("jax_enable_x64", True)  # undone below: the suite's other tests
    try:
        yield jax.numpy
    finally:
        jax.config.update("jax_enable_x64", False)
