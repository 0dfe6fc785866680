"""The compiled training loop against the NumPy engine (the reference).

Both run the same chain rule, shuffles and optimizer steps; sums run in another order, so
they agree to rounding: relative 1e-12 in float64 over a few epochs, 1e-5 in float32.
"""

from __future__ import annotations

import os
import signal
import warnings

import numpy as np
import pytest

import ffnn
from _problems import make_targets, tame_growth
from ffnn import _compiled
from ffnn.optimizers import SGD, Adam, Momentum, Nesterov
from ffnn.schedules import InverseTime, ReduceOnPlateau
from ffnn.training import COMPILED_MAX_WORK

pytest.importorskip("numba", reason="numba is a dependency; the test needs the compiled loop")

HIDDEN = tuple(cls.name for cls in ffnn.activations.ACTIVATIONS
               if cls.elementwise and cls.supports("compiled"))
OUTPUTS = [("softmax", "cross_entropy"), ("sigmoid", "binary_cross_entropy"),
           ("identity", "mse"), ("sigmoid", "mse"), ("tanh", "mse"), ("exp", "poisson")]
OPTIMIZERS = {"sgd": lambda: SGD(0.05), "momentum": lambda: Momentum(0.05, 0.9),
              "nesterov": lambda: Nesterov(0.05, 0.9), "adam": lambda: Adam(0.01)}


def problem(output: str, loss: str, n: int = 60, n_in: int = 4, n_out: int = 3,
            dtype="float64", seed: int = 0):
    rng = np.random.default_rng(seed)
    X = rng.standard_normal((n, n_in)).astype(dtype)
    Y = make_targets(rng, loss, n, n_out, hard=True)
    return X, Y.astype(dtype)


def both(network_args, X, Y, loss, epochs, **train_kwargs):
    """Train one copy of the network per engine; returns [(network, history), ...]."""
    runs = []
    for engine in ("numpy", "compiled"):
        net = ffnn.Network(*network_args[:2], network_args[2], seed=3,
                           dtype=network_args[3] if len(network_args) > 3 else "float64")
        tame_growth(net, X)  # exp's hidden layers start small (a no-op for the others)
        history = ffnn.train(net, X, Y, loss, epochs=epochs, verbose=0, engine=engine,
                             **train_kwargs)
        runs.append((net, history))
    return runs


def assert_close(runs, rtol):
    (net_a, hist_a), (net_b, hist_b) = runs
    scale = np.abs(net_a.params).max()
    np.testing.assert_allclose(net_b.params, net_a.params, rtol=0, atol=rtol * scale)
    assert hist_a.history.keys() == hist_b.history.keys()
    for key in hist_a.history:
        np.testing.assert_allclose(hist_b.history[key], hist_a.history[key], rtol=rtol,
                                   atol=rtol, err_msg=key)
    assert (hist_a.epochs, hist_a.stop_reason) == (hist_b.epochs, hist_b.stop_reason)


@pytest.mark.parametrize("optimizer", OPTIMIZERS)
@pytest.mark.parametrize("output,loss", OUTPUTS)
@pytest.mark.parametrize("hidden", HIDDEN)
def test_every_activation_loss_and_optimizer_agrees_with_the_numpy_engine(hidden, output, loss,
                                                                         optimizer):
    X, Y = problem(output, loss)
    runs = both((4, [6, 5, 3], [hidden, hidden, output]), X, Y, loss, 4,
                optimizer=OPTIMIZERS[optimizer](), batch_size=16, seed=1, l1=1e-3, l2=1e-2)
    assert_close(runs, 1e-12)


@pytest.mark.parametrize("batch_size", [None, 7, 60, 100])
@pytest.mark.parametrize("dtype,rtol", [("float64", 1e-12), ("float32", 2e-5)])
def test_full_and_mini_batches_in_both_dtypes(batch_size, dtype, rtol):
    X, Y = problem("softmax", "cross_entropy", dtype=dtype)
    runs = both((4, [8, 3], ["sigmoid", "softmax"], dtype), X, Y, "cross_entropy", 5,
                optimizer=Adam(0.01), batch_size=batch_size, seed=2)
    assert all(net.params.dtype == np.dtype(dtype) for net, _ in runs)
    assert_close(runs, rtol)


def test_r2_and_the_no_metric_case():
    X, Y = problem("identity", "mse", n_out=2)
    assert_close(both((4, [5, 2], ["tanh", "identity"]), X, Y, "mse", 5, optimizer=SGD(0.05),
                      metric="r2"), 1e-12)
    runs = both((4, [5, 2], ["tanh", "identity"]), X, Y, "mse", 5, optimizer=SGD(0.05),
                metric=None)
    assert set(runs[1][1].history) == {"loss"}
    assert_close(runs, 1e-12)


def test_one_step_is_the_reference_gradient():
    """One full-batch SGD step moves the parameters by exactly -lr × the network's gradient."""
    X, Y = problem("softmax", "cross_entropy")
    net = ffnn.Network(4, [6, 3], ["elu", "softmax"], seed=0)
    before = net.params.copy()
    grads = net.gradient(X, Y, "cross_entropy", l1=1e-3, l2=1e-2)  # flat, like params
    ffnn.train(net, X, Y, "cross_entropy", optimizer=SGD(0.5), l1=1e-3, l2=1e-2, epochs=1,
               verbose=0, engine="compiled")
    np.testing.assert_allclose((before - net.params) / 0.5, grads, rtol=1e-12, atol=1e-15)


def test_schedules_and_a_plateau_schedule_hear_the_same_losses():
    X, Y = problem("softmax", "cross_entropy")
    assert_close(both((4, [8, 3], ["tanh", "softmax"]), X, Y, "cross_entropy", 30,
                      optimizer=SGD(InverseTime(1.0, 10.0)), batch_size=16, seed=0), 1e-12)
    runs = both((4, [8, 3], ["tanh", "softmax"]), X, Y, "cross_entropy", 60,
                optimizer=Momentum(ReduceOnPlateau(1.0, factor=0.5, patience=1), 0.9))
    assert_close(runs, 1e-11)


def test_a_divergence_stops_at_the_same_epoch_with_the_same_weights_and_generator():
    X, Y = problem("identity", "mse")
    X *= 10
    trainers = []
    for engine in ("numpy", "compiled"):
        net = ffnn.Network(4, [6, 3], ["relu", "identity"], seed=0)
        trainer = ffnn.Trainer(net, "mse", SGD(0.5), batch_size=16, seed=4, verbose=0,
                               engine=engine)
        history = trainer.fit(X, Y, 50)
        assert history.stop_reason == "diverged"
        assert np.isfinite(net.params).all()
        trainers.append((trainer, history))
    (a, hist_a), (b, hist_b) = trainers
    assert hist_a.epochs == hist_b.epochs and a.epoch == b.epoch
    assert hist_a.message.split("(")[0] == hist_b.message.split("(")[0]  # same epoch named
    np.testing.assert_allclose(b.network.params, a.network.params, rtol=1e-12)
    assert a.opt_state["step"] == b.opt_state["step"]
    assert a.rng.bit_generator.state == b.rng.bit_generator.state


def test_a_diverging_first_epoch_keeps_the_starting_weights():
    X, Y = problem("identity", "mse")
    net = ffnn.Network(4, [3], ["identity"], seed=0)
    start = net.params.copy()
    history = ffnn.train(net, X * 1e200, Y, "mse", optimizer=SGD(1.0), epochs=3, verbose=0,
                         engine="compiled")
    assert history.stop_reason == "diverged" and history.epochs == 0
    np.testing.assert_array_equal(net.params, start)


def test_callbacks_see_every_epoch_and_early_stopping_agrees():
    X, Y = problem("softmax", "cross_entropy")
    seen = []

    class Recorder(ffnn.Callback):
        def on_epoch_end(self, trainer, epoch, logs):
            seen.append((epoch, logs["loss"], trainer.network.params.copy()))

    net = ffnn.Network(4, [8, 3], ["sigmoid", "softmax"], seed=0)
    history = ffnn.train(net, X, Y, "cross_entropy", epochs=6, batch_size=16, seed=0,
                         verbose=0, callbacks=[Recorder()], engine="compiled")
    assert [epoch for epoch, _, _ in seen] == list(range(6))
    assert [loss for _, loss, _ in seen] == history.history["loss"]
    np.testing.assert_array_equal(seen[-1][2], net.params)
    runs = both((4, [8, 3], ["sigmoid", "softmax"]), X, Y, "cross_entropy", 400,
                optimizer=SGD(2.0), early_stopping=True, patience=3)
    assert runs[0][1].stop_reason == runs[1][1].stop_reason == "early_stopping"
    assert runs[0][1].best_epoch == runs[1][1].best_epoch
    assert_close(runs, 1e-11)


def test_chunks_callbacks_and_split_fits_give_the_same_bits():
    """The loop's chunking is invisible: one fit of 40 epochs, one with a callback (a call a
    epoch), and two fits of 20 end with the same weights, bit for bit."""
    X, Y = problem("softmax", "cross_entropy")
    results = []
    for how in ("one", "callback", "split"):
        net = ffnn.Network(4, [8, 3], ["tanh", "softmax"], seed=0)
        trainer = ffnn.Trainer(net, "cross_entropy", Adam(0.01), batch_size=16, seed=0,
                               verbose=0, engine="compiled",
                               callbacks=[ffnn.Callback()] if how == "callback" else ())
        for epochs in ((20, 20) if how == "split" else (40,)):
            trainer.fit(X, Y, epochs)
        results.append(net.params)
    np.testing.assert_array_equal(results[0], results[1])
    np.testing.assert_array_equal(results[0], results[2])


def test_extreme_inputs_stay_finite_and_agree():
    """Logits of ±1e4: the sigmoid saturates to exactly 0 and 1, the costs stay finite."""
    X, Y = problem("sigmoid", "binary_cross_entropy")
    for output, loss in (("sigmoid", "binary_cross_entropy"), ("softmax", "cross_entropy")):
        X, Y = problem(output, loss)
        runs = both((4, [6, 3], ["sigmoid", output]), X * 1e4, Y, loss, 3,
                    optimizer=SGD(1e-6))
        assert all(np.isfinite(h.history["loss"]).all() for _, h in runs)
        assert_close(runs, 1e-12)


def test_auto_compiles_small_networks_only():
    """The History names the path that trained and why it was not the compiled loop; only a
    configuration the loop cannot run (not the size) warns."""
    X, Y = problem("softmax", "cross_entropy", n=200, n_in=10)
    small = ffnn.Network(10, [8, 3], ["relu", "softmax"], seed=0)
    ffnn.train(small.copy(), X, Y, "cross_entropy", epochs=1, verbose=0, engine="compiled")
    history = ffnn.train(small, X, Y, "cross_entropy", epochs=1, verbose=0)  # compiled now
    assert (history.engine, history.engine_reason) == ("compiled", "")
    width = COMPILED_MAX_WORK // 200 // 10 + 1  # batch 200 × (10 w + …) > the limit
    big = ffnn.Network(10, [width, 3], ["relu", "softmax"], seed=0)
    with warnings.catch_warnings():
        warnings.simplefilter("error")  # a large network's choice is no fallback
        history = ffnn.train(big, X, Y, "cross_entropy", epochs=1, verbose=0)
    assert history.engine == "numpy" and "batch rows x parameters" in history.engine_reason
    history = ffnn.train(small, X, Y, "cross_entropy", epochs=1, verbose=0, engine="numpy")
    assert history.engine == "numpy" and "engine='numpy'" in history.engine_reason
    with pytest.warns(ffnn.FallbackWarning, match="sample weights are not compiled"):
        history = ffnn.train(small, X, Y, "cross_entropy", epochs=1, verbose=0,
                             sample_weight=np.arange(1.0, 201.0))
    assert history.engine == "numpy"
    assert history.engine_reason == "sample weights are not compiled"


@pytest.mark.parametrize("kwargs,pattern", [
    ({"optimizer": "rmsprop"}, "optimizer RMSprop has no compiled form"),
    ({"validation_fraction": 0.2}, "validation is not compiled"),
    ({"sample_weight": np.linspace(0.5, 1.5, 60)}, "sample weights are not compiled"),
])
def test_engine_compiled_says_why_it_cannot_run(kwargs, pattern):
    X, Y = problem("softmax", "cross_entropy")
    net = ffnn.Network(4, [5, 3], ["relu", "softmax"], seed=0)
    before = net.params.copy()
    with pytest.raises(ValueError, match=pattern):
        ffnn.train(net, X, Y, "cross_entropy", epochs=1, verbose=0, engine="compiled",
                   **kwargs)
    np.testing.assert_array_equal(net.params, before)


def test_unknown_activations_take_the_numpy_engine():
    X, Y = problem("identity", "mse")
    pair = (np.sin, np.cos)
    net = ffnn.Network(4, [5, 3], [pair, "identity"], seed=0)
    with pytest.raises(ValueError, match="activation 'sin' has no compiled form"):
        ffnn.train(net, X, Y, "mse", epochs=1, verbose=0, engine="compiled")
    ffnn.train(net, X, Y, "mse", epochs=1, verbose=0)  # auto: NumPy, no error


def test_a_bad_engine_name_is_refused():
    net = ffnn.Network(4, [3], ["softmax"], seed=0)
    with pytest.raises(ValueError, match="engine must be one of"):
        ffnn.Trainer(net, "cross_entropy", engine="fast")


@pytest.mark.skipif(os.name != "posix", reason="sends SIGINT to itself")
def test_ctrl_c_during_a_kernel_call_waits_for_its_results_to_be_recorded():
    recorded = []
    with pytest.raises(KeyboardInterrupt), _compiled._deferred_interrupt():
        os.kill(os.getpid(), signal.SIGINT)
        recorded.append("after the signal")
    assert recorded == ["after the signal"]


def test_a_zero_denominator_trips_the_guard_as_in_numpy():
    """Adam with eps=0 and a feature that is always 0: 0/0 in the step. NumPy gives NaN and
    the guard restores the weights; the kernels must not raise ZeroDivisionError."""
    X, Y = ffnn.datasets.load_iris()
    X = np.hstack([X, np.zeros((len(X), 1))])
    runs = both((5, [6, 3], ["relu", "softmax"]), X, Y, "cross_entropy", 3,
                optimizer=Adam(0.01, eps=0.0))
    for net, history in runs:
        assert history.stop_reason == "diverged" and np.isfinite(net.params).all()
    assert_close(runs, 1e-12)


def test_nan_from_infinite_inputs_is_not_hidden_by_relu():
    X, Y = problem("identity", "mse")
    results = []
    for engine in ("numpy", "compiled"):
        net = ffnn.Network(4, [3, 3], ["relu", "identity"], seed=0)
        net.layers[0][0][:] = [[1.0, -1.0, 1.0]] * 4  # z = inf - inf = NaN for huge X
        history = ffnn.train(net, np.full_like(X, 1e308), Y, "mse", epochs=3, verbose=0,
                             engine=engine)
        results.append((history.stop_reason, history.epochs, np.isfinite(net.params).all()))
    assert results[0] == results[1] == ("diverged", 0, True)


def test_callbacks_that_change_the_trainer_are_heard():
    X, Y = problem("softmax", "cross_entropy")

    class Change(ffnn.Callback):
        def on_epoch_end(self, trainer, epoch, logs):
            if epoch == 2:
                trainer.l2 = 0.1
                trainer.opt_state = trainer.optimizer.init(trainer.network.params)
            if epoch == 4:
                trainer.batch_size = 7

    runs = both((4, [6, 3], ["tanh", "softmax"]), X, Y, "cross_entropy", 8,
                optimizer=Adam(0.05), batch_size=16, seed=0, callbacks=[Change()])
    assert_close(runs, 1e-12)


def test_a_stop_at_the_start_and_an_immediate_divergence_match_numpy():
    X, Y = problem("softmax", "cross_entropy")

    class StopAtOnce(ffnn.Callback):
        def on_train_begin(self, trainer):
            trainer.stop_training = True

    runs = both((4, [6, 3], ["tanh", "softmax"]), X, Y, "cross_entropy", 5,
                callbacks=[StopAtOnce()])
    assert [h.epochs for _, h in runs] == [1, 1]
    runs = both((4, [3], ["identity"]), X * 1e200, Y, "mse", 3, optimizer=SGD(1.0))
    assert [dict(h.history) for _, h in runs] == [{"loss": [], "r2": []}] * 2
    assert [(h.epochs, h.stop_reason) for _, h in runs] == [(0, "diverged")] * 2


def test_an_engine_refusal_comes_before_anything_starts():
    X, Y = problem("softmax", "cross_entropy")
    began = []

    class Began(ffnn.Callback):
        def on_train_begin(self, trainer):
            began.append(True)

    trainer = ffnn.Trainer(ffnn.Network(4, [3], ["softmax"], seed=0), "cross_entropy",
                           seed=0, verbose=0, engine="compiled", callbacks=[Began()])
    state = trainer.rng.bit_generator.state
    with pytest.raises(ValueError, match="validation is not compiled"):
        trainer.fit(X, Y, 2, validation_fraction=0.2)
    assert not began and trainer.rng.bit_generator.state == state


def test_a_numba_that_does_not_import_leaves_auto_on_numpy(monkeypatch):
    import sys

    monkeypatch.setitem(sys.modules, "ffnn._kernels", None)  # import raises ImportError
    monkeypatch.delattr(ffnn, "_kernels", raising=False)
    X, Y = problem("softmax", "cross_entropy")
    net = ffnn.Network(4, [5, 3], ["relu", "softmax"], seed=0)
    reference = net.copy()
    ffnn.train(net, X, Y, "cross_entropy", epochs=2, verbose=0)
    ffnn.train(reference, X, Y, "cross_entropy", epochs=2, verbose=0, engine="numpy")
    np.testing.assert_array_equal(net.params, reference.params)
    with pytest.raises(ValueError, match="numba does not import"):
        ffnn.train(net, X, Y, "cross_entropy", epochs=1, verbose=0, engine="compiled")


@pytest.mark.skipif(os.name != "posix", reason="sends SIGINT to itself")
def test_an_ignored_ctrl_c_stays_ignored():
    previous = signal.signal(signal.SIGINT, signal.SIG_IGN)
    try:
        with _compiled._deferred_interrupt():
            os.kill(os.getpid(), signal.SIGINT)
    finally:
        signal.signal(signal.SIGINT, previous)


@pytest.mark.skipif(os.name != "posix", reason="sends SIGINT to itself")
@pytest.mark.parametrize("per_epoch", [True, False])
def test_ctrl_c_during_a_kernel_call_keeps_its_epochs(monkeypatch, per_epoch):
    """The interrupt is held until the call ends; the epochs it trained are recorded before
    the run stops (weights, step count, history and epoch count stay consistent)."""
    from ffnn import _kernels

    real, calls = _kernels.train_epochs, []

    def interrupted_on_the_third_call(*args):
        calls.append(1)
        if len(calls) == 3:
            os.kill(os.getpid(), signal.SIGINT)
        return real(*args)

    monkeypatch.setattr(_kernels, "train_epochs", interrupted_on_the_third_call)
    X, Y = problem("softmax", "cross_entropy")
    net = ffnn.Network(4, [8, 3], ["sigmoid", "softmax"], seed=0)
    callbacks = [ffnn.Callback()] if per_epoch else []
    trainer = ffnn.Trainer(net, "cross_entropy", "sgd", learning_rate=0.1, batch_size=20,
                           engine="compiled", seed=1, verbose=0, callbacks=callbacks)
    if not per_epoch:  # several epochs a call: small chunks so that there are three calls
        monkeypatch.setattr(_compiled.CompiledPath, "epochs_per_call", lambda self, p: 2)
    history = trainer.fit(X, Y, epochs=20)
    epochs = 3 if per_epoch else 6
    assert history.stop_reason == "interrupted"
    assert history.epochs == trainer.epoch == len(history["loss"]) == epochs
    assert trainer.opt_state["step"] == epochs * 3  # 60 samples in batches of 20


def test_without_numba_auto_takes_numpy_quietly_and_compiled_names_the_extra(monkeypatch):
    monkeypatch.setattr(_compiled, "find_spec", lambda name: None)
    X, Y = problem("softmax", "cross_entropy")
    net = ffnn.Network(4, [5, 3], ["relu", "softmax"], seed=0)
    with warnings.catch_warnings():
        warnings.simplefilter("error")  # not a word: a light install is no fallback
        history = ffnn.train(net, X, Y, "cross_entropy", epochs=1, verbose=0)
        # what the loop would not compile anyway is no fallback either without numba
        weighted = ffnn.train(net, X, Y, "cross_entropy", epochs=1, verbose=0,
                              validation_fraction=0.2, sample_weight=np.arange(len(X)) + 1.0)
    assert history.engine == "numpy" and "pip install 'ffnn[fast]'" in history.engine_reason
    assert "pip install 'ffnn[fast]'" in weighted.engine_reason
    with pytest.raises(ImportError, match=r"needs numba.*: pip install 'ffnn\[fast\]'$"):
        ffnn.train(net, X, Y, "cross_entropy", epochs=1, verbose=0, engine="compiled")


def test_auto_compiles_only_what_is_compiled_or_wins_its_compile_time_back(monkeypatch, caplog):
    """Not compiled yet: a short run takes NumPy (compiling costs ~30 s, the iris run 0.4 s);
    a run long enough compiles, saying so once on the ffnn logger before it does."""
    X, Y = problem("softmax", "cross_entropy")
    monkeypatch.setattr(_compiled, "is_compiled", lambda kernel, arguments: False)
    monkeypatch.setattr(_compiled, "_announced", set())
    net = ffnn.Network(4, [5, 3], ["relu", "softmax"], seed=0)
    with warnings.catch_warnings():
        warnings.simplefilter("error")  # a choice by measurement, no fallback warning
        history = ffnn.train(net, X, Y, "cross_entropy", epochs=5, verbose=0)
    assert history.engine == "numpy" and "not compiled yet" in history.engine_reason
    monkeypatch.setattr(_compiled, "COMPILE_SECONDS", 1e-6)  # now every run wins it back
    with caplog.at_level("WARNING", logger="ffnn"):
        for _ in range(2):
            history = ffnn.train(net, X, Y, "cross_entropy", epochs=5, verbose=0)
            assert history.engine == "compiled"
    said = [r.getMessage() for r in caplog.records
            if "compiling the training loop" in r.getMessage()]
    assert len(said) == 1 and "float64" in said[0]  # once a dtype and process


def test_the_remembered_compiled_types_tell_apart_what_numba_types_apart(monkeypatch):
    """``is_compiled`` remembers argument types found compiled by a cheap key
    (``_type_key``): two arguments get the same key only where numba gives them the same
    type, so a remembered answer never stands for a signature that is not compiled."""
    from numba import typeof

    a = np.zeros((4, 3))
    readonly = a.copy()
    readonly.flags.writeable = False
    variants = [a, np.asfortranarray(a), a[:, ::2], a.astype(np.float32), a[0], readonly,
                np.zeros((4, 3), np.int64), 1, 1.0, True, np.float32(1), (a, 1), (a, 1.0)]
    for one in variants:
        for other in variants:
            same_key = _compiled._type_key(one) == _compiled._type_key(other)
            assert same_key == (typeof(one) == typeof(other)), (one, other)
    net = ffnn.Network(4, [5, 3], ["relu", "softmax"], seed=0)
    X, Y = problem("softmax", "cross_entropy")
    ffnn.train(net, X, Y, "cross_entropy", epochs=2, verbose=0, engine="compiled")
    trainer = ffnn.Trainer(net, "cross_entropy", "sgd", learning_rate=0.1)
    monkeypatch.setattr(_compiled, "_found", set())
    path = _compiled.CompiledPath(trainer, X, Y)
    assert path.ready() and len(_compiled._found) == 1
    monkeypatch.setattr("numba.typeof", None)  # not asked again: the key answers
    assert path.ready() and len(_compiled._found) == 1
