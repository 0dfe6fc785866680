"""The parallel path (ffnn._parallel) against the NumPy engine (the reference).

Both run the same batches, products and per-element operations; where the arithmetic is the
same (ReLU-type and identity layers, the fused output, the column sums, every optimizer step)
the bits are equal, and the activations through ``exp``/``tanh``/``erf`` differ by libm's scalar
functions against NumPy's SIMD ones (an ulp) and by the compiled loop's float64 intermediates:
relative 1e-12 in float64 over a few steps.

float32: an ulp there is 6e-8, and the compiled formulas round once from float64 where NumPy
rounds each of its two to four float32 operations; a few steps of a small network carry these
differences with a gain of order ten (Adam's m / sqrt(v) included), so 2e-5 relative, the
compiled loop's own float32 bound (tests/test_compiled.py), holds with room.

Small networks take the kernels' serial forms (the same Python function compiled without
``parallel=True``); the tests marked with the ``threaded`` fixture run the multi-threaded
forms (``PARALLEL_MIN`` = ``COSTLY_MIN`` = 0) and show them equal to the serial ones bit for bit.
"""

from __future__ import annotations

import warnings

import numpy as np
import pytest

import ffnn
from _problems import VALID_PAIRS, make_targets, tame_growth
from ffnn import training
from ffnn.optimizers import OPTIMIZERS

numba = pytest.importorskip("numba", reason="the parallel path needs numba")
from ffnn import _parallel  # noqa: E402

HIDDEN = tuple(cls.name for cls in ffnn.activations.ACTIVATIONS
               if cls.elementwise and cls.supports("parallel"))
RUNS = tuple(cls for cls in OPTIMIZERS if cls.supports("parallel"))
REFUSED = tuple(cls for cls in OPTIMIZERS if not cls.supports("parallel"))
RTOL = {"float64": 1e-12, "float32": 2e-5}


def _thresholds(monkeypatch, size: int) -> None:
    """Every kernel threaded from ``size`` elements (0: always; 2**62: never)."""
    monkeypatch.setattr(_parallel, "PARALLEL_MIN", size)
    monkeypatch.setattr(_parallel, "COSTLY_MIN", size)


@pytest.fixture
def threaded(monkeypatch):
    """Every kernel in its multi-threaded form, on 2 threads."""
    _thresholds(monkeypatch, 0)
    monkeypatch.setattr(_parallel, "threads", numba.get_num_threads)  # not bound by BLAS's
    before = numba.get_num_threads()
    numba.set_num_threads(min(2, numba.config.NUMBA_NUM_THREADS))
    yield
    numba.set_num_threads(before)


def problem(loss: str, n: int = 40, n_in: int = 4, n_out: int = 3, dtype="float64", seed=0):
    rng = np.random.default_rng(seed)
    X = rng.standard_normal((n, n_in))
    Y = make_targets(rng, loss, n, n_out, hard=True)
    return X.astype(dtype), Y.astype(dtype)


def run(engine, activations, loss, optimizer, dtype="float64", epochs=2, **kwargs):
    X, Y = problem(loss, dtype=dtype)
    net = ffnn.Network(4, [6, 5, 3][-len(activations):], activations, seed=3, dtype=dtype)
    tame_growth(net, X)  # exp's hidden layers start small (a no-op for the others)
    options = dict(batch_size=16, seed=1, l1=1e-3, l2=1e-2)
    history = ffnn.train(net, X, Y, loss, optimizer=optimizer, epochs=epochs, verbose=0,
                         engine=engine, **{**options, **kwargs})
    return net, history


def assert_close(fast, slow, rtol):
    (net_a, hist_a), (net_b, hist_b) = slow, fast
    assert hist_b.engine == "parallel" and hist_a.engine == "numpy"
    np.testing.assert_allclose(net_b.params, net_a.params, rtol=0,
                               atol=rtol * np.abs(net_a.params).max())
    assert hist_a.history.keys() == hist_b.history.keys()
    for key in hist_a.history:
        np.testing.assert_allclose(hist_b.history[key], hist_a.history[key], rtol=rtol,
                                   atol=rtol, err_msg=key)


@pytest.mark.parametrize("dtype", ["float64", "float32"])
@pytest.mark.parametrize("hidden", HIDDEN)
def test_every_activation_loss_and_optimizer_agrees_with_the_numpy_engine(hidden, dtype):
    """Every hidden activation × every valid (output, loss) pair × every optimizer the path
    runs, with penalties, mini-batches and a last partial batch."""
    for output, loss in VALID_PAIRS:
        for cls in RUNS:
            optimizer = cls(0.02)
            fast = run("parallel", [hidden, hidden, output], loss, optimizer, dtype, epochs=1)
            slow = run("numpy", [hidden, hidden, output], loss, optimizer, dtype, epochs=1)
            assert_close(fast, slow, RTOL[dtype])


@pytest.mark.parametrize("dtype", ["float64", "float32"])
def test_relu_layers_and_every_optimizer_step_give_the_engines_bits(dtype):
    """Where the arithmetic is the same, the bits are: ReLU, identity output, MSE, each
    optimizer step, the column sums (rows added in order, in the dtype)."""
    for cls in RUNS:
        fast = run("parallel", ["relu", "leaky_relu", "identity"], "mse", cls(0.02), dtype,
                   l1=0.0, l2=0.0)
        slow = run("numpy", ["relu", "leaky_relu", "identity"], "mse", cls(0.02), dtype,
                   l1=0.0, l2=0.0)
        np.testing.assert_array_equal(fast[0].params, slow[0].params)


def test_the_thread_count_does_not_change_the_results(threaded):
    results = []
    for threads in (1, 2):
        numba.set_num_threads(threads)
        for dtype in ("float64", "float32"):
            net, _ = run("parallel", ["gelu", "tanh", "softmax"], "cross_entropy",
                         ffnn.Adam(0.02), dtype)
            results.append(net.params)
    for one, two in zip(results[:2], results[2:]):
        np.testing.assert_array_equal(one, two)


@pytest.mark.parametrize("hidden", HIDDEN)
def test_the_threaded_forms_give_the_serial_forms_bits(hidden, threaded, monkeypatch):
    """Every activation, output kind and optimizer kernel, threaded against serial."""
    settings = [([hidden, hidden, "softmax"], "cross_entropy", ffnn.Adam(0.02)),
                ([hidden, hidden, "identity"], "mse", ffnn.Momentum(0.05))]
    if hidden == "tanh":  # softmax's NumPy backward with the column sums; SGD; Nesterov
        settings += [(["softmax", "tanh", "softmax"], "mse", ffnn.SGD(0.05)),
                     ([hidden, hidden, "sigmoid"], "binary_cross_entropy",
                      ffnn.Nesterov(0.05))]
    for activations, loss, optimizer in settings:
        _thresholds(monkeypatch, 0)
        fast, fast_history = run("parallel", activations, loss, optimizer,
                                 sample_weight=np.linspace(0.5, 2.0, 40))
        _thresholds(monkeypatch, 2**62)
        slow, slow_history = run("parallel", activations, loss, optimizer,
                                 sample_weight=np.linspace(0.5, 2.0, 40))
        np.testing.assert_array_equal(fast.params, slow.params)
        assert fast_history.history == slow_history.history


def test_validation_sample_weights_schedules_and_full_batches():
    weights = np.linspace(0.5, 2.0, 40)
    for kwargs in ({"validation_fraction": 0.25}, {"sample_weight": weights},
                   {"batch_size": None}, {"shuffle": False}):
        optimizer = ffnn.Adam(ffnn.schedules.InverseTime(0.02, 0.1))
        fast = run("parallel", ["silu", "softplus", "softmax"], "cross_entropy", optimizer,
                   epochs=3, **kwargs)
        slow = run("numpy", ["silu", "softplus", "softmax"], "cross_entropy", optimizer,
                   epochs=3, **kwargs)
        assert_close(fast, slow, 1e-12)


def test_softmax_as_a_hidden_layer_and_before_mse():
    for activations, loss in ((["softmax", "tanh", "identity"], "mse"),
                              (["relu", "tanh", "softmax"], "mse")):
        fast = run("parallel", activations, loss, ffnn.Momentum(0.05))
        slow = run("numpy", activations, loss, ffnn.Momentum(0.05))
        assert_close(fast, slow, 1e-12)


def test_a_divergence_stops_at_the_same_epoch_with_the_same_weights():
    runs = [run(engine, ["relu", "relu", "identity"], "mse", ffnn.SGD(5.0), epochs=6)
            for engine in ("numpy", "parallel")]
    (slow, slow_history), (fast, fast_history) = runs
    assert slow_history.stop_reason == fast_history.stop_reason == "diverged"
    assert slow_history.epochs == fast_history.epochs
    np.testing.assert_array_equal(fast.params, slow.params)


@pytest.mark.parametrize("cls", REFUSED, ids=[cls.name for cls in REFUSED])
def test_what_the_path_cannot_run_is_refused_with_the_declared_reason(cls):
    X, Y = problem("cross_entropy")
    net = ffnn.Network(4, [5, 3], ["relu", "softmax"], seed=0)
    before = net.params.copy()
    with pytest.raises(ValueError, match=cls.unsupported["parallel"].split(":")[0]):
        ffnn.train(net, X, Y, "cross_entropy", optimizer=cls(), epochs=1, verbose=0,
                   engine="parallel")
    np.testing.assert_array_equal(net.params, before)
    custom = ffnn.Network(4, [5, 3], [(np.sin, np.cos), "identity"], seed=0)
    with pytest.raises(ValueError, match="activation 'sin' has no parallel kernel"):
        ffnn.train(custom, X, Y, "mse", epochs=1, verbose=0, engine="parallel")


def large_problem():
    """A network just over the compiled loop's size (batch rows × parameters)."""
    X, Y = problem("cross_entropy", n=200, n_in=10)
    width = training.COMPILED_MAX_WORK // 200 // 10 + 1
    return X, Y, ffnn.Network(10, [width, 3], ["relu", "softmax"], seed=0)


def test_auto_takes_it_for_large_networks_only_and_only_with_numba(monkeypatch):
    monkeypatch.setattr(training, "PARALLEL_AUTO", True)
    X, Y, big = large_problem()
    with warnings.catch_warnings():
        warnings.simplefilter("error")  # a choice by size, no fallback
        history = ffnn.train(big.copy(), X, Y, "cross_entropy", epochs=1, verbose=0)
    assert history.engine == "parallel" and "batch rows x parameters" in history.engine_reason
    small = ffnn.Network(10, [4, 3], ["relu", "softmax"], seed=0)
    history = ffnn.train(small, X, Y, "cross_entropy", epochs=1, verbose=0,
                         validation_fraction=0.2)
    assert history.engine == "numpy"  # too small: the compiled loop's fallback, not this path
    history = ffnn.train(big.copy(), X, Y, "cross_entropy", optimizer="rmsprop", epochs=1,
                         verbose=0)
    assert history.engine == "numpy" and "no parallel kernel" in history.engine_reason
    monkeypatch.setattr(_parallel, "find_spec", lambda name: None)
    history = ffnn.train(big.copy(), X, Y, "cross_entropy", epochs=1, verbose=0)
    assert history.engine == "numpy" and "batch rows x parameters" in history.engine_reason
    with pytest.raises(ImportError, match=r"engine='parallel' needs numba"):
        ffnn.train(big.copy(), X, Y, "cross_entropy", epochs=1, verbose=0, engine="parallel")


def test_a_large_network_agrees_with_the_numpy_engine(threaded):
    X, Y, big = large_problem()
    runs = []
    for engine in ("numpy", "parallel"):
        net = big.copy()
        runs.append((net, ffnn.train(net, X, Y, "cross_entropy", optimizer=ffnn.Adam(1e-3),
                                     epochs=2, batch_size=64, seed=0, verbose=0,
                                     engine=engine)))
    assert_close(runs[1], runs[0], 1e-12)
