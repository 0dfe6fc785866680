"""Stacked training: K networks trained together end where each trained alone ends."""

from __future__ import annotations

import re

import numpy as np
import pytest

import ffnn
from _problems import make_targets
from ffnn.backends.stacked import stackable_optimizers, train_stack
from ffnn.core.validation import install_command
from ffnn.optim.optimizers import (
    SGD,
    Adagrad,
    Adam,
    AdamW,
    ClipGradNorm,
    Momentum,
    NAdam,
    Nesterov,
    RMSprop,
    chain,
)
from ffnn.optim.schedules import InverseTime, ReduceOnPlateau

RTOL = 1e-10  # the bound after a full training; here a few epochs


def optimizers_for(kind: str, lrs):
    make = {
        "sgd": lambda lr, i: SGD(lr),
        "momentum": lambda lr, i: Momentum(lr, 0.5 + 0.2 * i),
        "nesterov": lambda lr, i: Nesterov(lr, 0.9),
        "adagrad": lambda lr, i: Adagrad(lr, eps=1e-10 * (i + 1)),
        "adagrad_momentum": lambda lr, i: Adagrad(lr, momentum=0.5),
        "rmsprop": lambda lr, i: RMSprop(lr, alpha=0.9 + 0.04 * i),
        "adam": lambda lr, i: Adam(lr, betas=(0.9, 0.99 + 0.004 * i)),
        "adamw": lambda lr, i: AdamW(lr, weight_decay=0.01 * i),
        "nadam": lambda lr, i: NAdam(lr, betas=(0.8 + 0.05 * i, 0.999), momentum_decay=0.004),
    }.get(kind)
    if make is None:  # a built-in without its own variation here: its defaults, by name
        return [ffnn.optimizers.get_optimizer(kind, lr=lr) for lr in lrs]
    return [make(lr, i) for i, lr in enumerate(lrs)]


PROBLEMS = [("softmax", "cross_entropy"), ("sigmoid", "binary_cross_entropy"),
            ("identity", "mse"), ("tanh", "mse"), ("exp", "poisson")]


def data(loss: str, n: int = 50, n_out: int = 3, seed: int = 0):
    rng = np.random.default_rng(seed)
    X = rng.standard_normal((n, 4))
    Y = make_targets(rng, loss, n, n_out, hard=True)
    return X, Y


def alone_and_stacked(sizes, activations, X, Y, loss, optimizers, l1, l2, seeds,
                      alone_engine="numpy", stack_engine="stacked", dtype="float64",
                      **kwargs):
    """Each network trained alone (the NumPy engine) and all of them as one stack (the
    NumPy stack unless said)."""
    alone, histories = [], []
    for opt, a, b, s in zip(optimizers, l1, l2, seeds):
        net = ffnn.Network(X.shape[1], sizes, activations, seed=s, dtype=dtype)
        histories.append(ffnn.train(net, X, Y, loss, optimizer=opt, l1=a, l2=b, verbose=0,
                                    engine=alone_engine, **kwargs))
        alone.append(net)
    stacked = [ffnn.Network(X.shape[1], sizes, activations, seed=s, dtype=dtype)
               for s in seeds]
    stacked_histories = train_stack(stacked, X, Y, loss, optimizers, l1=l1, l2=l2,
                                    engine=stack_engine, **kwargs)
    return alone, histories, stacked, stacked_histories


def assert_same(alone, histories, stacked, stacked_histories, rtol=RTOL):
    for a, h, s, sh in zip(alone, histories, stacked, stacked_histories):
        assert (h.epochs, h.stop_reason) == (sh.epochs, sh.stop_reason)
        np.testing.assert_allclose(s.params, a.params, rtol=0,
                                   atol=rtol * np.abs(a.params).max())
        assert h.history.keys() == sh.history.keys()
        for key in h.history:
            np.testing.assert_allclose(sh.history[key], h.history[key], rtol=rtol, atol=1e-14)


@pytest.mark.parametrize("kind", [cls.name for cls in stackable_optimizers()]
                         + ["adagrad_momentum"])
@pytest.mark.parametrize("hidden", [cls.name for cls in ffnn.activations.ACTIVATIONS
                                    if cls.elementwise])
@pytest.mark.parametrize("output,loss", PROBLEMS)
def test_every_optimizer_and_activation_agrees_with_training_alone(kind, hidden, output,
                                                                  loss):
    X, Y = data(loss)
    lrs = [0.01, 0.05, 0.002]
    runs = alone_and_stacked([6, 5, 3], [hidden, hidden, output], X, Y, loss,
                             optimizers_for(kind, lrs), l1=[0.0, 1e-3, 0.0],
                             l2=[0.0, 0.0, 1e-2], seeds=[1, 2, 3], epochs=4, batch_size=16,
                             seed=7)
    assert_same(*runs)


def test_full_batch_one_network_and_schedules():
    X, Y = data("cross_entropy")
    assert_same(*alone_and_stacked([8, 3], ["sigmoid", "softmax"], X, Y, "cross_entropy",
                                   [SGD(0.1)], [0.0], [0.0], [0], epochs=20))
    assert_same(*alone_and_stacked([8, 3], ["tanh", "softmax"], X, Y, "cross_entropy",
                                   [SGD(InverseTime(1.0, 5.0)), SGD(0.1)], [0.0, 0.0],
                                   [0.0, 0.0], [0, 1], epochs=10, batch_size=7, seed=0))


def test_diverging_networks_in_the_middle_leave_the_others_untouched():
    X, Y = data("binary_cross_entropy")
    X *= 20
    lrs = [0.01, 1e4, 0.05, 1e5, 0.1]
    seeds = [0, 1, 2, 3, 4]
    nets = [ffnn.Network(4, [6, 3], ["relu", "sigmoid"], seed=s) for s in seeds]
    histories = train_stack(nets, X, Y, "binary_cross_entropy", [SGD(lr) for lr in lrs],
                            epochs=15, batch_size=10, seed=0, engine="stacked")
    assert [h.diverged for h in histories] == [False, True, False, True, False]
    assert all(np.isfinite(net.params).all() for net in nets)
    assert all(np.isfinite(h["loss"]).all() for h in histories)
    kept = [0, 2, 4]
    without = [ffnn.Network(4, [6, 3], ["relu", "sigmoid"], seed=seeds[i]) for i in kept]
    train_stack(without, X, Y, "binary_cross_entropy", [SGD(lrs[i]) for i in kept],
                epochs=15, batch_size=10, seed=0, engine="stacked")
    for i, net in zip(kept, without):
        np.testing.assert_allclose(nets[i].params, net.params, rtol=RTOL)
    # and each diverged network is where training it alone leaves it
    for i in (1, 3):
        alone = ffnn.Network(4, [6, 3], ["relu", "sigmoid"], seed=seeds[i])
        history = ffnn.train(alone, X, Y, "binary_cross_entropy", optimizer=SGD(lrs[i]),
                             epochs=15, batch_size=10, seed=0, verbose=0, engine="numpy")
        assert history.diverged and history.epochs == histories[i].epochs
        np.testing.assert_allclose(nets[i].params, alone.params, rtol=RTOL)


@pytest.mark.parametrize("make,pattern", [
    (lambda: ([ffnn.Network(4, [5, 3], ["relu", "softmax"], seed=0),
               ffnn.Network(4, [6, 3], ["relu", "softmax"], seed=0)], [SGD(0.1)] * 2),
     "differ in architecture"),
    (lambda: ([ffnn.Network(4, [5, 3], ["relu", "softmax"], seed=0)] * 2,
              [SGD(0.1), Adam(0.1)]), "all of one kind"),
    (lambda: ([ffnn.Network(4, [5, 3], ["relu", "softmax"], seed=0)] * 2,
              [chain(ClipGradNorm(1.0), SGD(0.1))] * 2), "all of one kind"),
    (lambda: ([ffnn.Network(4, [5, 3], ["relu", "softmax"], seed=0)] * 2,
              [SGD(ReduceOnPlateau(0.1))] * 2), "listens to each network's loss"),
])
def test_what_cannot_be_stacked_is_refused_with_the_reason(make, pattern):
    X, Y = data("cross_entropy")
    networks, optimizers = make()
    before = [net.params.copy() for net in networks]
    with pytest.raises(ValueError, match=pattern):
        train_stack(networks, X, Y, "cross_entropy", optimizers, epochs=1)
    for net, params in zip(networks, before):
        np.testing.assert_array_equal(net.params, params)


def test_float32_stacks_stay_float32_and_agree_loosely():
    X, Y = data("cross_entropy")
    nets = [ffnn.Network(4, [8, 3], ["relu", "softmax"], seed=s, dtype="float32")
            for s in (0, 1)]
    alone = [net.copy() for net in nets]
    train_stack(nets, X, Y, "cross_entropy", [Adam(0.01), Adam(0.02)], epochs=5,
                batch_size=16, seed=0, engine="stacked")
    for net, lr in zip(alone, (0.01, 0.02)):
        ffnn.train(net, X, Y, "cross_entropy", optimizer=Adam(lr), epochs=5, batch_size=16,
                   seed=0, verbose=0, engine="numpy")
    for a, s in zip(alone, nets):
        assert s.params.dtype == np.float32
        np.testing.assert_allclose(s.params, a.params, rtol=0, atol=1e-5)


def test_a_network_without_penalty_takes_no_nan_from_its_neighbours_penalty():
    """0 · inf is NaN: the penalty of 0 of an overflowing network must not be multiplied in
    (alone it diverges with an infinite loss, not a NaN one)."""
    from ffnn import stacked

    nets = [ffnn.Network(4, [3], ["identity"], seed=s) for s in (0, 1)]
    stack = stacked._Stack(nets, [SGD(0.1), SGD(0.1)], l1=[0.0, 1e-3], l2=[0.0, 1e-2])
    stack.P[0] = np.inf
    stack.G[...] = 1.0
    with np.errstate(all="ignore"):  # as in training
        stacked._penalty_gradients(stack)
        penalties = stacked._penalties(stack)
    assert (stack.G[0] == 1.0).all()  # untouched: no penalty, no NaN
    assert np.isfinite(stack.G[1]).all() and (stack.G[1] != 1.0).any()
    assert penalties[0] == 0.0 and penalties[1] > 0


def test_warmup_stacks_and_plateau_inside_warmup_does_not():
    from ffnn.backends.stacked import stack_unsupported
    from ffnn.optim.schedules import Warmup

    nets = [ffnn.Network(4, [5, 3], ["relu", "softmax"], seed=0)] * 2
    loss = ffnn.losses.get_loss("cross_entropy")
    assert stack_unsupported(nets, loss, [SGD(Warmup(0.1, 5))] * 2) is None
    assert "listens" in stack_unsupported(nets, loss, [SGD(Warmup(ReduceOnPlateau(0.1), 5))] * 2)
    X, Y = data("cross_entropy")
    assert_same(*alone_and_stacked([5, 3], ["relu", "softmax"], X, Y, "cross_entropy",
                                   [SGD(Warmup(0.1, 7)), SGD(Warmup(0.3, 7))], [0.0, 0.0],
                                   [0.0, 0.0], [0, 1], epochs=5, batch_size=16, seed=0))


@pytest.mark.skipif(not hasattr(__import__("signal"), "SIGINT"), reason="needs SIGINT")
@pytest.mark.parametrize("n_threads", [1, 2])
def test_ctrl_c_stops_a_stack_at_once_and_leaves_the_networks_as_they_were(n_threads):
    import os
    import signal
    import threading
    import time

    X, Y = data("cross_entropy", n=400)
    nets = [ffnn.Network(4, [32, 3], ["tanh", "softmax"], seed=s) for s in range(4)]
    before = [net.params.copy() for net in nets]
    timer = threading.Timer(0.5, os.kill, (os.getpid(), signal.SIGINT))
    started = time.perf_counter()
    timer.start()
    try:
        with pytest.raises(KeyboardInterrupt):
            train_stack(nets, X, Y, "cross_entropy", [SGD(0.01 * (i + 1)) for i in range(4)],
                        epochs=100_000, batch_size=8, seed=0, n_threads=n_threads,
                        block_size=2, engine="stacked")
    finally:
        timer.cancel()
    assert time.perf_counter() - started < 5
    for net, params in zip(nets, before):
        np.testing.assert_array_equal(net.params, params)


def test_an_error_in_a_stack_does_not_set_the_callers_stop_event(monkeypatch):
    """A failed stack is the caller's error, not a stop for everything else it runs."""
    import threading

    from ffnn import stacked

    def fail(*args):
        raise MemoryError("simulated")

    monkeypatch.setattr(stacked, "_forward", fail)
    X, Y = data("cross_entropy")
    nets = [ffnn.Network(4, [5, 3], ["relu", "softmax"], seed=s) for s in (0, 1)]
    event = threading.Event()
    with pytest.raises(MemoryError):
        train_stack(nets, X, Y, "cross_entropy", [SGD(0.1)] * 2, epochs=2, stop_event=event,
                    engine="stacked")
    assert not event.is_set()


# -- the JAX engine: each network on the JAX engine, one program for all ---------------------

JAX_OPTIMIZERS = ["sgd", "momentum", "adam", "nadam"]


@pytest.fixture(scope="module")
def jax_installed():
    pytest.importorskip("jax", reason="the JAX engine needs JAX (the fast extra)")


# every optimizer kind on one problem (float32 with Adam, whose g/(√v + ε) magnifies
# rounding most), every problem with one kind: each case compiles two programs (~2 s each;
# penalties on every network, so that the three alone share one; stacks with unpenalized
# networks are in test_stacks_that_sweep_hyperparameters_on_the_jax_engine)
JAX_CASES = ([(*PROBLEMS[0], kind, "float64") for kind in JAX_OPTIMIZERS]
             + [(*PROBLEMS[0], "adam", "float32")]
             + [(*problem, "momentum", "float64") for problem in PROBLEMS[1:]])


@pytest.mark.parametrize("output,loss,kind,dtype", JAX_CASES)
def test_the_jax_engine_is_each_network_alone_on_the_jax_engine(jax_installed, output, loss,
                                                                 kind, dtype):
    """ffnn.train(engine="jax") with the same seeds, histories included, to rounding: one
    vmapped program runs the stack (its batched sums may round otherwise)."""
    X, Y = data(loss, n=40)
    # the first two differ in rate only (traced: one program alone), the third in its other
    # hyperparameters too (a program of its own alone; traced in the stack's)
    optimizers = optimizers_for(kind, [0.01, 0.002, 0.002])
    optimizers[1] = optimizers_for(kind, [0.05])[0]
    alone, histories, stacked, stacked_histories = alone_and_stacked(
        [6, 5, 3], ["tanh", "relu", output], X, Y, loss, optimizers, l1=[1e-4, 1e-3, 1e-4],
        l2=[1e-3, 1e-4, 1e-2], seeds=[1, 2, 3], alone_engine="jax", stack_engine="jax",
        dtype=dtype,
        epochs=3, batch_size=16, seed=7)
    for s, sh in zip(stacked, stacked_histories):
        assert s.params.dtype == np.dtype(dtype) and sh.engine == "jax"
    assert_same(alone, histories, stacked, stacked_histories,
                rtol=RTOL if dtype == "float64" else 1e-5)


@pytest.mark.parametrize("dtype", ["float64", "float32"])
@pytest.mark.parametrize("optimizers", [
    [Adam(0.01, betas=(0.9, 0.999)), Adam(0.02, betas=(0.8, 0.99), eps=1e-6)],
    [ffnn.Momentum(0.05, momentum=0.5), ffnn.Momentum(0.05, momentum=0.95)],
    [Adagrad(0.05, momentum=0.9), Adagrad(0.01, eps=1e-6, momentum=0.9)],
], ids=["adam-betas", "momentum", "adagrad-momentum"])
def test_stacks_that_sweep_hyperparameters_on_the_jax_engine(jax_installed, dtype,
                                                            optimizers):
    """The swept hyperparameters are traced in the one program: each network still ends
    where it ends alone."""
    from ffnn import jax_engine

    X, Y = data("cross_entropy", n=40)
    runs = alone_and_stacked([6, 3], ["tanh", "softmax"], X, Y, "cross_entropy", optimizers,
                             [0.0, 1e-3], [1e-2, 0.0], [1, 2], alone_engine="jax",
                             stack_engine="jax", dtype=dtype, epochs=4, batch_size=16, seed=7)
    assert_same(*runs, rtol=RTOL if dtype == "float64" else 1e-5)
    assert jax_engine.swept_hyperparameters(optimizers) == {
        "adam": ("betas", "eps"), "momentum": ("momentum",),
        "adagrad": ("eps",)}[optimizers[0].name]


@pytest.mark.parametrize("dtype,rtol", [("float64", RTOL), ("float32", 1e-4)])
def test_the_jax_engine_agrees_with_the_numpy_stack_and_the_reference(jax_installed, dtype,
                                                                      rtol):
    X, Y = data("binary_cross_entropy", n=60, n_out=1)
    args = ([8, 1], ["sigmoid", "sigmoid"], X, Y, "binary_cross_entropy",
            [SGD(lr) for lr in (0.01, 0.1, 1.0)], [0.0, 1e-3, 0.0], [1e-2, 0.0, 0.0],
            [0, 1, 2])
    kwargs = dict(dtype=dtype, epochs=10, batch_size=16, seed=3)
    on_jax = alone_and_stacked(*args, stack_engine="jax", **kwargs)
    numpy_stack = alone_and_stacked(*args, stack_engine="stacked", **kwargs)
    assert_same(*on_jax, rtol=rtol)
    for c, s in zip(on_jax[2], numpy_stack[2]):
        np.testing.assert_allclose(c.params, s.params, rtol=0, atol=rtol * np.abs(s.params).max())


def test_diverging_networks_on_the_jax_engine_end_as_alone(jax_installed):
    X, Y = data("binary_cross_entropy")
    X *= 20
    lrs = [0.01, 1e4, 0.05, 1e5, 0.1]
    alone, histories, stacked, stacked_histories = alone_and_stacked(
        [6, 3], ["relu", "sigmoid"], X, Y, "binary_cross_entropy", [SGD(lr) for lr in lrs],
        [0.0] * 5, [0.0] * 5, list(range(5)), alone_engine="jax",
        stack_engine="jax", epochs=15, batch_size=10, seed=0)
    assert [h.diverged for h in stacked_histories] == [False, True, False, True, False]
    assert_same(alone, histories, stacked, stacked_histories)
    for h, sh in zip(histories, stacked_histories):
        assert (sh.epochs, sh.stop_reason, sh.message) == (h.epochs, h.stop_reason, h.message)


@pytest.mark.auto_jax
def test_auto_takes_the_jax_engine_where_train_would(jax_installed):
    X, Y = data("cross_entropy")
    small = [ffnn.Network(4, [5, 3], ["relu", "softmax"], seed=s) for s in (0, 1)]

    def engines(networks, optimizers, **kwargs):
        return [h.engine for h in train_stack(networks, X, Y, "cross_entropy", optimizers,
                                              epochs=2, batch_size=10, seed=0, engine="auto",
                                              **kwargs)]

    assert engines(small, [Adagrad(0.1), Adagrad(0.2)]) == ["jax", "jax"]
    # the default is the NumPy stack
    assert train_stack(small, X, Y, "cross_entropy", SGD(0.1), epochs=1)[0].engine == "stacked"


def test_the_jax_engine_refuses_what_it_cannot_run(jax_installed):
    X, Y = data("cross_entropy")
    pair = ffnn.activations.FunctionActivation(np.tanh, lambda z: 1 - np.tanh(z) ** 2)
    nets = [ffnn.Network(4, [5, 3], [pair, "softmax"], seed=s) for s in (0, 1)]
    before = [net.params.copy() for net in nets]
    with pytest.raises(ValueError, match="engine='jax' cannot train these networks: "
                                         "activation 'tanh' is not a built-in"):
        train_stack(nets, X, Y, "cross_entropy", [SGD(0.1)] * 2, epochs=1, engine="jax")
    with pytest.raises(ValueError, match="engine must be one of 'auto', 'stacked', 'jax'"):
        train_stack(nets, X, Y, "cross_entropy", [SGD(0.1)] * 2, epochs=1, engine="numba")
    for net, params in zip(nets, before):
        np.testing.assert_array_equal(net.params, params)


def test_a_stop_on_the_jax_engine_leaves_the_networks_as_they_were(jax_installed):
    import threading

    X, Y = data("cross_entropy")
    nets = [ffnn.Network(4, [5, 3], ["relu", "softmax"], seed=s) for s in range(4)]
    before = [net.params.copy() for net in nets]
    event = threading.Event()
    event.set()
    with pytest.raises(KeyboardInterrupt):
        train_stack(nets, X, Y, "cross_entropy", [SGD(0.1)] * 4, epochs=3, stop_event=event,
                    engine="jax")
    for net, params in zip(nets, before):
        np.testing.assert_array_equal(net.params, params)


@pytest.mark.auto_jax
def test_without_jax_auto_stacks_quietly_and_jax_names_the_extra(monkeypatch):
    import warnings

    from ffnn import jax_engine

    monkeypatch.setattr(jax_engine, "available", lambda: False)
    X, Y = data("cross_entropy")
    nets = [ffnn.Network(4, [5, 3], ["relu", "softmax"], seed=s) for s in (0, 1)]
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        histories = train_stack(nets, X, Y, "cross_entropy", SGD(0.1), epochs=1,
                                engine="auto")
    assert [h.engine for h in histories] == ["stacked", "stacked"]
    with pytest.raises(ImportError, match="needs JAX.*" + re.escape(install_command("fast"))):
        train_stack(nets, X, Y, "cross_entropy", SGD(0.1), epochs=1, engine="jax")
