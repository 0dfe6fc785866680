"""The JAX engine (ffnn.jax_engine) against the NumPy engine, the reference.

Every built-in runs on JAX through its own formulas (``xp=jax.numpy``); tests/test_registry.py
runs each activation, loss, optimizer and schedule on it in float64. Here: every optimizer and
every output/loss pair in both dtypes, the options around a fit (penalties on biases, sample
weights, validation, early stopping, shuffling, chunks of epochs), the divergence guard's
decisions, the path choice, and the hand-written backward pass against ``jax.grad``.

Tolerances: 1e-12 relative in float64 (sums run in another order); in float32 1e-5 relative
to the largest parameter, except after Adam-type steps, whose ``g / (√v + ε)`` turns the last
bit of a tiny gradient into a visible step: there the weights agree to 1e-4 (said per case).
"""

from __future__ import annotations

import os
import subprocess
import sys
import warnings
from pathlib import Path

import numpy as np
import pytest

import ffnn
from _problems import make_targets
from ffnn.core.activations import ACTIVATIONS
from ffnn.optim.optimizers import OPTIMIZERS

jax = pytest.importorskip("jax", reason="the JAX engine needs JAX (the fast extra)")

ADAM_LIKE = {"adam", "adamw", "nadam", "rmsprop", "adagrad"}


def data(loss: str, n: int = 45, n_in: int = 4, n_out: int = 3, seed: int = 0):
    rng = np.random.default_rng(seed)
    X = rng.standard_normal((n, n_in))
    return X, make_targets(rng, loss, n, n_out, hard=True)


def both(sizes, activations, loss, dtype="float64", X=None, Y=None, fit=None, **kwargs):
    """The same fit on the NumPy engine and on JAX: [(network, history), ...]."""
    if X is None:
        X, Y = data(loss, n_out=sizes[-1])
    kwargs = {"epochs": 4, "batch_size": 16, "seed": 3, "verbose": 0, **kwargs}
    runs = []
    for engine in ("numpy", "jax"):
        net = ffnn.Network(X.shape[1], sizes, activations, seed=1, dtype=dtype)
        history = (fit or ffnn.train)(net, X, Y, loss, engine=engine, **kwargs)
        runs.append((net, history))
    assert runs[1][1].engine == "jax" and runs[0][1].engine == "numpy"
    return runs


def assert_equal_runs(runs, rtol=1e-12, params_rtol=None):
    (a, ha), (b, hb) = runs
    assert b.params.dtype == a.params.dtype
    scale = np.abs(a.params).max()
    np.testing.assert_allclose(b.params, a.params, rtol=0,
                               atol=(params_rtol or rtol) * scale)
    assert ha.history.keys() == hb.history.keys()
    for key in ha.history:
        np.testing.assert_allclose(hb.history[key], ha.history[key], rtol=rtol, atol=rtol)
    assert (ha.epochs, ha.stop_reason, ha.message) == (hb.epochs, hb.stop_reason, hb.message)


TOLERANCE = {"float64": 1e-12, "float32": 1e-5}


@pytest.mark.parametrize("dtype", ["float64", "float32"])
@pytest.mark.parametrize("name", [cls.name for cls in OPTIMIZERS if cls.supports("jax")])
def test_every_optimizer_in_both_dtypes(name, dtype):
    rtol = TOLERANCE[dtype]
    params_rtol = 1e-4 if dtype == "float32" and name in ADAM_LIKE else None
    runs = both([6, 3], ["tanh", "softmax"], "cross_entropy", dtype, optimizer=name,
                learning_rate=0.02, l1=1e-3, l2=1e-2)
    assert_equal_runs(runs, rtol, params_rtol)


# Every output with every loss it may precede: the fused pairs and the general path (softmax
# with MSE goes through its full Jacobian's vector product).
PAIRS = [("identity", "mse", 2), ("sigmoid", "mse", 2), ("softmax", "mse", 3),
         ("sigmoid", "binary_cross_entropy", 2), ("softmax", "cross_entropy", 3),
         ("exp", "poisson", 2)]


@pytest.mark.parametrize("dtype", ["float64", "float32"])
@pytest.mark.parametrize("output,loss,n_out", PAIRS)
def test_every_output_and_loss_in_both_dtypes(output, loss, n_out, dtype):
    runs = both([5, n_out], ["elu", output], loss, dtype, optimizer="momentum",
                learning_rate=0.05, l2=1e-3)
    assert_equal_runs(runs, TOLERANCE[dtype])


@pytest.mark.parametrize("dtype", ["float64", "float32"])
def test_every_hidden_activation_in_one_deep_network(dtype):
    """Each elementwise built-in as a hidden layer of one network (read from the registry)."""
    hidden = [cls.name for cls in ACTIVATIONS if cls.elementwise and cls.name != "exp"]
    runs = both([4] * len(hidden) + [3], [*hidden, "softmax"], "cross_entropy", dtype,
                optimizer="sgd", learning_rate=0.1)
    assert_equal_runs(runs, TOLERANCE[dtype])


@pytest.mark.parametrize("options", [
    {"penalize_biases": True, "l1": 1e-2, "l2": 1e-2},
    {"validation_fraction": 0.25},
    {"shuffle": False},
    {"batch_size": None},
    {"early_stopping": True, "patience": 2, "validation_fraction": 0.2, "epochs": 30},
], ids=["penalize-biases", "validation", "in-order", "full-batch", "early-stopping"])
def test_the_options_of_a_fit(options):
    runs = both([6, 3], ["relu", "softmax"], "cross_entropy", optimizer="adam",
                learning_rate=0.05, **options)
    assert_equal_runs(runs)
    if "early_stopping" in options:
        assert runs[1][1].stop_reason == "early_stopping"


def test_sample_weights_and_a_batch_that_weighs_nothing():
    X, Y = data("mse", n=40, n_out=2)
    weights = np.random.default_rng(4).uniform(0, 2, 40)
    weights[:16] = 0  # in order, the first batch weighs nothing: only the penalty moves it
    runs = both([5, 2], ["tanh", "identity"], "mse", X=X, Y=Y, optimizer="sgd",
                learning_rate=0.1, sample_weight=weights, shuffle=False, l2=1e-2)
    assert_equal_runs(runs)


@pytest.mark.parametrize("schedule", [ffnn.schedules.StepDecay(0.1, 3, 0.5),
                                      ffnn.schedules.ReduceOnPlateau(0.1, patience=1)],
                         ids=["step-decay", "plateau"])
def test_schedules_of_the_step_and_of_the_loss(schedule):
    runs = both([6, 3], ["sigmoid", "softmax"], "cross_entropy", optimizer=ffnn.SGD(schedule),
                epochs=8)
    assert_equal_runs(runs)


def test_the_guard_stops_where_numpy_stops_with_the_same_weights_and_draws():
    X, Y = data("binary_cross_entropy", n_out=1)
    X = X * 30
    runs = []
    for engine in ("numpy", "jax"):
        net = ffnn.Network(4, [8, 1], ["relu", "sigmoid"], seed=0)
        trainer = ffnn.Trainer(net, "binary_cross_entropy", ffnn.SGD(1e4), batch_size=10,
                               seed=2, verbose=0, engine=engine)
        history = trainer.fit(X, Y, 20)
        runs.append((net, history, trainer.rng.integers(1 << 30), trainer.opt_state["step"]))
    (a, ha, draw_a, step_a), (b, hb, draw_b, step_b) = runs
    assert ha.diverged and hb.diverged and ha.epochs == hb.epochs
    assert ha.message == hb.message
    np.testing.assert_allclose(b.params, a.params, rtol=1e-12)
    assert (draw_a, step_a) == (draw_b, step_b)  # the generator and the step as NumPy's


def test_chunks_are_invisible_and_fits_continue_exactly():
    """fit(4) then fit(6) equals fit(10); a callback that hears each epoch (one epoch a
    call) changes nothing."""
    X, Y = data("cross_entropy")

    def trained(splits, callbacks=()):
        net = ffnn.Network(4, [6, 3], ["tanh", "softmax"], seed=1)
        trainer = ffnn.Trainer(net, "cross_entropy", ffnn.Adam(0.01), batch_size=16, seed=0,
                               verbose=0, engine="jax", callbacks=list(callbacks))
        losses = []
        for epochs in splits:
            losses += trainer.fit(X, Y, epochs)["loss"]
        return net.params, losses

    class Listener(ffnn.Callback):
        def on_epoch_end(self, trainer, epoch, logs):
            pass

    whole = trained([10])
    for other in (trained([4, 6]), trained([10], [Listener()])):
        np.testing.assert_array_equal(other[0], whole[0])
        assert other[1] == whole[1]


def test_the_backward_pass_by_hand_against_jax_grad():
    """jax.grad as one more oracle of the hand-written backward pass, on every output/loss
    pair, with sample weights."""
    import jax.numpy as jnp

    from ffnn import jax_engine

    for output, loss_name, n_out in PAIRS:
        X, Y = data(loss_name, n=12, n_out=n_out, seed=5)
        w = np.random.default_rng(1).uniform(0.5, 2, 12)
        net = ffnn.Network(4, [5, n_out], ["gelu", output], seed=2)
        loss = ffnn.losses.get_loss(loss_name)
        spec = jax_engine.Spec.of(net, loss)

        def cost(params, spec=spec, loss=loss, X=X, Y=Y, w=w):
            layers = list(zip(*[iter(jax_engine.unflatten(spec, params))] * 2))
            inputs, zs = jax_engine.feed_forward(spec, layers, X)
            costs = (loss.logits_per_sample(zs[-1], Y, jnp) if spec.fused
                     else loss.per_sample(inputs[-1], Y, jnp))
            return jnp.dot(w, costs) / jnp.sum(w)

        with jax.enable_x64(True):
            leaves = jax_engine.unflatten(spec, jnp.asarray(net.params))
            by_hand = np.asarray(jax_engine.flatten(jax_engine.backprop(spec, leaves, X, Y,
                                                                        w)[0]))
            oracle = np.asarray(jax.grad(cost)(jnp.asarray(net.params)))
        np.testing.assert_allclose(by_hand, oracle, rtol=1e-10, atol=1e-13)


def test_x64_stays_inside_ffnn():
    """A float64 fit does not switch on the user's 64-bit mode."""
    import jax.numpy as jnp

    before = jax.config.jax_enable_x64
    both([4, 3], ["tanh", "softmax"], "cross_entropy")
    assert jax.config.jax_enable_x64 == before
    assert jnp.ones(1).dtype == (np.float64 if before else np.float32)


# -- the path choice ------------------------------------------------------------------------

@pytest.mark.auto_jax
def test_auto_takes_jax_and_says_why_not_when_it_cannot():
    X, Y = data("cross_entropy")
    net = ffnn.Network(4, [5, 3], ["tanh", "softmax"], seed=0)
    assert ffnn.train(net, X, Y, "cross_entropy", epochs=1, verbose=0).engine == "jax"
    pair = ffnn.activations.FunctionActivation(np.tanh, lambda z: 1 - np.tanh(z) ** 2)
    custom = ffnn.Network(4, [5, 3], [pair, "softmax"], seed=0)
    with warnings.catch_warnings():
        warnings.simplefilter("error")  # "auto" on NumPy: said in the History, not warned
        history = ffnn.train(custom, X, Y, "cross_entropy", epochs=1, verbose=0)
    assert history.engine == "numpy" and "not a built-in" in history.engine_reason
    import scipy.sparse as sp

    sparse = ffnn.train(net.copy(), sp.csr_matrix(X), Y, "cross_entropy", epochs=1, verbose=0)
    assert sparse.engine == "numpy" and "sparse" in sparse.engine_reason


def test_auto_takes_jax_for_the_fits_that_pay_for_compiling(monkeypatch):
    """The rule of ffnn.paths.AUTO_JAX_AFTER: by the fit's estimated time on NumPy alone
    (epochs, batches, layers, parameters, a stack's networks), silently, whatever this
    process compiled before."""
    from ffnn import paths, stacked

    monkeypatch.setattr(paths, "AUTO_JAX_AFTER", 1.5)
    X, Y = data("cross_entropy")  # 60 samples
    net = ffnn.Network(4, [5, 3], ["tanh", "softmax"], seed=0)
    # 60 full-batch steps: 60 × (40 + 2 × 70) µs and next to nothing for the products
    assert paths.numpy_seconds(net, 60, None, 60) == pytest.approx(60 * 180e-6, rel=0.01)
    assert paths.numpy_seconds(net, 60, 16, 60) == pytest.approx(240 * 180e-6, rel=0.01)
    wide = ffnn.Network(784, [256, 10], ["relu", "softmax"], seed=0)
    assert paths.numpy_seconds(wide, 60_000, 128, 1) == pytest.approx(
        469 * 180e-6 + 6 * 60_000 * wide.params.size / 4e10)
    with warnings.catch_warnings():
        warnings.simplefilter("error")  # a short fit on NumPy is a choice, not a fallback
        short = ffnn.train(net.copy(), X, Y, "cross_entropy", epochs=60, verbose=0)
    assert short.engine == "numpy"
    assert short.engine_reason.startswith(
        "a short fit: about 0.011 s on NumPy, under ffnn.paths.AUTO_JAX_AFTER = 1.5 s")
    long = ffnn.train(net.copy(), X, Y, "cross_entropy", epochs=10_000, verbose=0)
    assert long.engine == "jax" and long.engine_reason == ""
    # the same short fit again, its program compiled now: still NumPy
    again = ffnn.train(net.copy(), X, Y, "cross_entropy", epochs=60, engine="jax", verbose=0)
    assert again.engine == "jax"
    assert ffnn.train(net.copy(), X, Y, "cross_entropy", epochs=60, verbose=0).engine == \
        "numpy"
    # a stack weighs its networks' products: 16 at once (2.9 s) are not 1 (0.18 s)
    X_wide = X[:, :1].repeat(784, 1).repeat(100, 0)
    assert stacked._jax_engine("auto", wide, "cross_entropy", ffnn.SGD(0.1), X_wide, 6000, 1,
                               16)
    assert not stacked._jax_engine("auto", wide, "cross_entropy", ffnn.SGD(0.1), X_wide, 6000,
                                   1, 1)
    monkeypatch.setattr(paths, "AUTO_JAX_AFTER", 0.0)
    assert ffnn.train(net.copy(), X, Y, "cross_entropy", epochs=1, verbose=0).engine == "jax"


def test_engine_jax_refuses_what_it_cannot_run_and_the_retired_names_warn():
    X, Y = data("cross_entropy")
    net = ffnn.Network(4, [5, 3], ["tanh", "softmax"], seed=0)
    clipped = ffnn.optimizers.chain(ffnn.optimizers.ClipGradNorm(1.0), ffnn.SGD(0.1))
    before = net.params.copy()
    with pytest.raises(ValueError, match=r"engine='jax' cannot run this fit: optimizer "
                                         r"chain\(ClipGradNorm, SGD\) is not a built-in"):
        ffnn.train(net, X, Y, "cross_entropy", optimizer=clipped, epochs=1, engine="jax")
    np.testing.assert_array_equal(net.params, before)
    with pytest.warns(FutureWarning, match="engine='compiled' .* is now engine='jax'"):
        history = ffnn.train(net, X, Y, "cross_entropy", epochs=1, verbose=0,
                             engine="compiled")
    assert history.engine == "jax"
    with pytest.raises(ValueError, match="engine must be one of 'auto', 'numpy', 'jax'"):
        ffnn.train(net, X, Y, "cross_entropy", epochs=1, engine="numba")


def test_device_cpu_and_a_device_that_is_not_there():
    X, Y = data("cross_entropy")
    net = ffnn.Network(4, [5, 3], ["tanh", "softmax"], seed=0)
    reference = net.copy()
    ffnn.train(reference, X, Y, "cross_entropy", epochs=2, verbose=0, engine="jax")
    for device in ("cpu", jax.devices("cpu")[0]):
        trained = net.copy()
        history = ffnn.train(trained, X, Y, "cross_entropy", epochs=2, verbose=0,
                             engine="jax", device=device)
        assert history.engine == "jax"
        np.testing.assert_array_equal(trained.params, reference.params)
    if not any(d.platform == "gpu" for d in jax.devices()):
        with pytest.raises(ValueError, match="device='gpu': JAX has no gpu device here"):
            ffnn.train(net, X, Y, "cross_entropy", epochs=1, verbose=0, engine="jax",
                       device="gpu")
    with pytest.raises(ValueError, match=r"device must be 'cpu', 'gpu', a jax\.Device or None"):
        ffnn.Trainer(net, "cross_entropy", device="tpu0")


@pytest.mark.auto_jax
@pytest.mark.filterwarnings("ignore::sklearn.exceptions.ConvergenceWarning")  # 3 iterations
def test_device_in_the_estimators_stacks_sweeps_and_the_command_line(tmp_path, capsys):
    """``device=`` reaches the JAX engine from every entry point and is checked there."""
    from ffnn.cli.main import main

    X, Y = data("cross_entropy")
    y = Y.argmax(1)
    cpu = jax.devices("cpu")[0]
    fits = [ffnn.FFNNClassifier((5,), max_iter=3, random_state=0, device=device).fit(X, y)
            for device in (None, "cpu", cpu)]
    for est in fits:
        assert est.engine_ == "jax"
        np.testing.assert_array_equal(est.coefs_[0], fits[0].coefs_[0])
    fits[2].save(tmp_path / "est.npz")  # a device object is kept as its kind
    assert ffnn.FFNNClassifier.load(tmp_path / "est.npz").device == "cpu"
    with pytest.raises(ValueError, match=r"device must be 'cpu', 'gpu', a jax\.Device or None, "
                                         r"got 'tpu'"):
        ffnn.FFNNClassifier((5,), max_iter=3, device="tpu").fit(X, y)
    fits[1].set_params(device="tpu")
    with pytest.raises(ValueError, match="device must be"):  # a warm start checks it too
        fits[1].partial_fit(X, y)
    if not any(d.platform == "gpu" for d in jax.devices()):
        with pytest.raises(ValueError, match="device='gpu': JAX has no gpu device here"):
            ffnn.FFNNClassifier((5,), max_iter=3, device="gpu").fit(X, y)

    nets = [ffnn.Network(4, [5, 3], ["tanh", "softmax"], seed=s) for s in (0, 1)]
    alone = [net.copy() for net in nets]
    ffnn.stacked.train_stack(alone, X, Y, "cross_entropy", ffnn.SGD(0.1), epochs=2,
                             engine="jax", seed=0)
    ffnn.stacked.train_stack(nets, X, Y, "cross_entropy", ffnn.SGD(0.1), epochs=2,
                             engine="jax", seed=0, device="cpu")
    for net, other in zip(nets, alone):
        np.testing.assert_array_equal(net.params, other.params)
    with pytest.raises(ValueError, match="device must be"):
        ffnn.stacked.train_stack(nets, X, Y, "cross_entropy", ffnn.SGD(0.1), device=0)

    assert main(["train", "--quiet", "--epochs", "2", "--device", "cpu"]) == 0
    assert "engine: jax\n" in capsys.readouterr().out


_ONE_CORE = r"""
import os, sys
os.sched_setaffinity(0, {sorted(os.sched_getaffinity(0))[0]})  # before JAX starts
import numpy as np
import ffnn
sys.path.insert(0, sys.argv[1])
from test_jax_engine import thread_problem
net, X, Y = thread_problem(sys.argv[2])
ffnn.train(net, X, Y, "cross_entropy", optimizer=ffnn.Adam(1e-3), epochs=2, batch_size=100,
           l2=1e-4, engine="jax", verbose=0, seed=0)
np.save(sys.argv[3], net.params)
"""


def thread_problem(dtype: str):
    """A network wide enough for XLA to split its products over threads."""
    rng = np.random.default_rng(0)
    X = rng.random((1000, 200)).astype(dtype)
    Y = np.eye(10, dtype=dtype)[rng.integers(0, 10, 1000)]
    return ffnn.Network(200, [256, 10], ["relu", "softmax"], seed=0, dtype=dtype), X, Y


@pytest.mark.skipif(not hasattr(os, "sched_setaffinity"), reason="CPU affinity is Linux's")
@pytest.mark.parametrize("dtype,rtol", [("float64", 1e-12), ("float32", 1e-5)])
def test_results_do_not_depend_on_the_thread_count(dtype, rtol, tmp_path):
    """XLA's threads (as many as the process's cores) split its products' sums, so one core
    and all of them round apart, within the engine's tolerance (measured: 8e-17 in float64,
    4e-8 in float32); a sweep's workers run on one core each (ffnn.sweeps._pin_worker)."""
    out = tmp_path / "params.npy"
    result = subprocess.run([sys.executable, "-c", _ONE_CORE, str(Path(__file__).parent),
                             dtype, str(out)], capture_output=True, text=True, timeout=300,
                            check=False)
    assert result.returncode == 0, result.stderr[-3000:]
    net, X, Y = thread_problem(dtype)
    ffnn.train(net, X, Y, "cross_entropy", optimizer=ffnn.Adam(1e-3), epochs=2, batch_size=100,
               l2=1e-4, engine="jax", verbose=0, seed=0)
    np.testing.assert_allclose(np.load(out), net.params, rtol=0,
                               atol=rtol * np.abs(net.params).max())


def test_a_long_compile_says_so_once(monkeypatch, caplog):
    """The program's first compile for new argument types says so on the ffnn logger when
    it takes longer than ANNOUNCE_AFTER (here: at once)."""
    from ffnn import jax_engine

    monkeypatch.setattr(jax_engine, "ANNOUNCE_AFTER", 0.0)
    X, Y = data("cross_entropy", n=37)  # shapes no other test compiles
    net = ffnn.Network(4, [7, 3], ["softplus", "softmax"], seed=0)
    with caplog.at_level("WARNING", logger="ffnn"):
        ffnn.train(net, X, Y, "cross_entropy", epochs=2, verbose=0, engine="jax")
        ffnn.train(net, X, Y, "cross_entropy", epochs=2, verbose=0, engine="jax")
    said = [r for r in caplog.records if "compiling the JAX engine's program" in r.message]
    assert len(said) == 1


def test_a_changed_optimizer_object_does_not_change_the_cached_program():
    """The program cache is keyed by hyperparameter values: it keeps copies, so a caller
    who changes their optimizer afterwards changes no other run."""
    X, Y = data("cross_entropy", n=30)
    net = ffnn.Network(4, [5, 3], ["tanh", "softmax"], seed=0)
    trainer = ffnn.Trainer(net, "cross_entropy", ffnn.Momentum(0.1, momentum=0.9),
                           batch_size=7, seed=0, verbose=0, engine="jax")
    trainer.fit(X, Y, 2)
    trainer.optimizer.momentum = 0.0
    trainer.fit(X[:29], Y[:29], 2)  # other shapes: the cached program compiles again
    runs = both([5, 3], ["tanh", "softmax"], "cross_entropy", X=X[:29], Y=Y[:29],
                optimizer=ffnn.Momentum(0.1, momentum=0.9), batch_size=7)
    assert_equal_runs(runs)


class _Hears(ffnn.Callback):
    """Scales the weights at the start of the first epoch (after the reference was taken)
    when ``scale`` is set, and records the epochs it hears begin."""

    def __init__(self, scale=None):
        self.scale, self.begun = scale, []

    def on_epoch_begin(self, trainer, epoch):
        self.begun.append(epoch)
        if self.scale is not None and epoch == 0:
            trainer.network.params *= self.scale


@pytest.mark.parametrize("scale,factor,lr", [(3.0, 1.5, 0.05), (None, 1.5, 2.0)],
                         ids=["no-bound", "reference-needed"])
def test_the_pending_reference_decides_as_numpy_and_epochs_are_heard_once(scale, factor, lr):
    """Weights moved before the first batch leave no bound (the reference is computed up
    front); an epoch whose loss could pass the bound stops the program, and the epoch runs
    again after the reference: callbacks hear each epoch begin once, as on NumPy."""
    from ffnn.data.datasets import franke

    X, y = franke(120, noise=0.05, seed=1)
    results = []
    for engine in ("numpy", "jax"):
        net = ffnn.Network(2, [10, 1], ["tanh", "identity"], seed=0)
        hears = _Hears(scale)
        history = ffnn.train(net, X, y, "mse", learning_rate=lr, epochs=6, batch_size=10,
                             seed=0, verbose=0, divergence_factor=factor, engine=engine,
                             callbacks=[hears])
        results.append((net.params.copy(), history, hears.begun))
    (a, ha, begun_a), (b, hb, begun_b) = results
    assert hb.engine == "jax" and (hb.stop_reason, hb.epochs) == (ha.stop_reason, ha.epochs)
    assert ha.stop_reason == "diverged" and hb.message == ha.message
    assert begun_b == begun_a
    np.testing.assert_allclose(b, a, rtol=1e-12)
