"""The compiled training loop: whole epochs in one numba call.

For small networks NumPy's cost per call (a few µs for each of ~40 calls a step) outweighs
their arithmetic: the notebook's iris network takes ~80 µs a step on the NumPy engine and
~16 µs here. :func:`fit` drives the kernels of :mod:`ffnn._kernels` for a
:class:`~ffnn.Trainer`: the same epochs, shuffles (the trainer's generator), learning rates,
history, divergence guard and callbacks as the NumPy engine, with results equal to rounding
(sums run in another order), which the tests check. Only what the kernels were written for
goes through it (:func:`unsupported`); the NumPy engine stays the reference.

numba is imported only when a fit takes this path.
"""

from __future__ import annotations

import contextlib
import math
import signal
import threading
from importlib.util import find_spec

import numpy as np

from .activations import ELU, Identity, LeakyReLU, ReLU, Sigmoid, Softmax, Tanh
from .losses import MSE, BinaryCrossEntropy, CrossEntropy
from .optimizers import SGD, Adam, Momentum, Nesterov
from .schedules import Constant

# The kernels' integer codes (as in ffnn._kernels, which needs numba to import).
_ACTIVATIONS = {Identity: 0, Sigmoid: 1, Tanh: 2, ReLU: 3, LeakyReLU: 4, ELU: 5, Softmax: 6}
_LOSSES = {MSE: 0, CrossEntropy: 1, BinaryCrossEntropy: 2}
_OPTIMIZERS = {SGD: 0, Momentum: 1, Nesterov: 2, Adam: 3}
METRIC_NONE, METRIC_ARGMAX, METRIC_THRESHOLD, METRIC_R2 = range(4)
DIVERGED = 1


def unsupported(trainer, weights, validation: bool) -> str | None:
    """Why the compiled loop cannot run this fit, or None when it can.

    Exact types only: a subclass may override the formulas that the kernels hard-code.
    """
    from .training import Callback

    network, loss, optimizer = trainer.network, trainer.loss, trainer.optimizer
    funcs = network.activation_funcs
    for i, f in enumerate(funcs):
        if type(f) not in _ACTIVATIONS:
            return f"activation {f.name!r} has no compiled form"
        if type(f) is Softmax and (i < len(funcs) - 1 or type(loss) is not CrossEntropy):
            return "softmax is compiled only as the output layer of a cross-entropy"
    if type(loss) not in _LOSSES:
        return f"loss {loss.name!r} has no compiled form"
    if type(loss) is not MSE and not loss.fuses_with(funcs[-1]):
        return "the cross-entropies are compiled only after their softmax/sigmoid"
    if type(optimizer) not in _OPTIMIZERS:
        return f"optimizer {type(optimizer).__name__} has no compiled form"
    if weights is not None:
        return "sample weights are not compiled"
    if validation:
        return "validation is not compiled"
    if any(type(cb).on_batch_end is not Callback.on_batch_end for cb in trainer.callbacks):
        return "a callback listens to batches (on_batch_end)"
    if find_spec("numba") is None:
        return "numba is not installed"
    try:
        from . import _kernels  # noqa: F401
    except Exception as exc:  # numba present but broken (say, built for another NumPy)
        return f"numba does not import ({type(exc).__name__}: {exc})"
    return None


@contextlib.contextmanager
def _deferred_interrupt():
    """Hold Ctrl-C until the block ends, so that a kernel's results are recorded in full
    (numba does not check for signals; Python would raise right after the call returns)."""
    if threading.current_thread() is not threading.main_thread():
        yield
        return
    caught = []
    previous = signal.signal(signal.SIGINT, lambda signum, frame: caught.append(frame))
    try:
        yield
    finally:
        signal.signal(signal.SIGINT, previous)
    if caught and previous is not signal.SIG_IGN:
        if callable(previous):
            previous(signal.SIGINT, caught[0])
        else:  # SIG_DFL
            raise KeyboardInterrupt


def _metric_code(metric, loss, Y) -> int:
    if metric is None:
        return METRIC_NONE
    if metric == "r2":
        return METRIC_R2
    # as training.accuracy: thresholds after a binary cross-entropy or for one output
    if isinstance(loss, BinaryCrossEntropy) or Y.shape[1] == 1:
        return METRIC_THRESHOLD
    return METRIC_ARGMAX


def _rates(optimizer, step: int, count: int, dtype) -> np.ndarray:
    """The learning rates of steps ``step … step + count - 1``."""
    if type(optimizer.lr) is Constant:  # a subclass may compute its own rate
        return np.full(count, optimizer.lr.lr, dtype)
    return np.array([optimizer._rate(step + s) for s in range(count)], dtype)


def fit(trainer, X: np.ndarray, Y: np.ndarray, epochs: int, history, bar) -> None:
    """Train ``trainer.network`` for ``epochs`` epochs with the kernels, as the trainer's
    NumPy loop would: history, ``trainer.epoch``, ``first_loss``, ``opt_state`` and the stop
    reason end up the same (to rounding).

    What a callback may change between epochs (``opt_state``, ``l1``/``l2``, the batch
    size, the optimizer's hyperparameters) is read again before every call.
    """
    from . import _kernels
    from .training import divergence_message

    net = trainer.network
    dtype = net.dtype
    n = len(X)
    X, Y = np.ascontiguousarray(X), np.ascontiguousarray(Y)
    acts = np.array([_ACTIVATIONS[type(f)] for f in net.activation_funcs], np.int64)
    alphas = np.array([getattr(f, "alpha", 0.0) for f in net.activation_funcs], dtype)
    metric_code = _metric_code(trainer.metric, trainer.loss, Y)
    ss_tot = (((Y - Y.mean(axis=0)) ** 2).sum(axis=0, dtype=np.float64)
              if metric_code == METRIC_R2 else np.empty(0))
    layout = np.array([(n_in, n_out, w.start, b.start)
                       for (n_in, n_out), (w, b) in zip(net._shapes, net._slices)], np.int64)
    grads = trainer._buffers()[0]
    # The start of the last epoch that passed the guard: where a divergence goes back to.
    good = [net.params.copy(), *(a.copy() for a in _state_arrays(trainer.opt_state, dtype))]
    good_step = int(trainer.opt_state["step"])
    # Callbacks, the progress bar and a schedule that hears losses see every epoch.
    per_epoch = (bool(trainer.callbacks) or bar is not None
                 or any(s.hears_losses for s in trainer.optimizer.schedules))
    chunk = 1 if per_epoch else max(1, min(2**22 // n, 10**8 // (n * net.n_params)))
    epoch = 0
    while epoch < epochs:
        count = min(chunk, epochs - epoch)
        if per_epoch:
            for cb in trainer.callbacks:
                cb.on_epoch_begin(trainer, epoch)
        optimizer, state = trainer.optimizer, trainer.opt_state
        velocity, m, v = _state_arrays(state, dtype)
        batch = n if trainer.batch_size is None else min(trainer.batch_size, n)
        shuffle = batch < n
        # Scalars in the network's dtype, as NumPy casts Python floats; 1 - β in float64.
        betas = np.array(getattr(optimizer, "betas", (0.0, 0.0)), np.float64)
        hyper = np.array([getattr(optimizer, "momentum", 0.0), *betas,
                          getattr(optimizer, "eps", 0.0), *(1 - betas), trainer.l1,
                          trainer.l2], dtype)
        rng_state = trainer.rng.bit_generator.state if shuffle else None
        orders = (np.stack([trainer.rng.permutation(n) for _ in range(count)]) if shuffle
                  else np.arange(n)[None])
        lrs = _rates(optimizer, int(state["step"]), count * -(-n // batch), dtype)
        losses, metrics = np.empty(count), np.empty(count)
        first = math.nan if trainer.first_loss is None else float(trainer.first_loss)
        with _deferred_interrupt():
            done, status, first, step, good_step = _kernels.train_epochs(
                X, Y, orders, shuffle, batch, net.params, grads, layout, acts, alphas,
                _LOSSES[type(trainer.loss)], metric_code, ss_tot,
                _OPTIMIZERS[type(optimizer)], hyper, betas, lrs, trainer.divergence_factor,
                first, int(state["step"]), velocity, m, v, good_step, *good, losses, metrics,
            )
            state["step"] = step
            trainer.first_loss = None if math.isnan(first) else first
            if done:
                history.history.setdefault("loss", []).extend(losses[:done].tolist())
                if trainer.metric:
                    history.history.setdefault(trainer.metric, []).extend(
                        metrics[:done].tolist())
            history.epochs += done
            trainer.epoch += done
            epoch += done
            if status == DIVERGED:
                if shuffle:  # the NumPy loop would have drawn the orders up to this epoch
                    trainer.rng.bit_generator.state = rng_state
                    for _ in range(done + 1):
                        trainer.rng.permutation(n)
                trainer.stop_reason = "diverged"
                trainer.stop_message = divergence_message(epoch, losses[done],
                                                          trainer.first_loss)
                return
        if per_epoch:
            logs = {"loss": history.history["loss"][-1]}
            if trainer.metric:
                logs[trainer.metric] = history.history[trainer.metric][-1]
            for schedule in optimizer.schedules:
                schedule.report(logs["loss"])
            for cb in trainer.callbacks:
                cb.on_epoch_end(trainer, epoch - 1, logs)
            if bar is not None:
                bar.update(1)
                bar.set_postfix({k: f"{v:.4g}" for k, v in logs.items()}, refresh=False)
        if trainer.stop_training:
            return


def _state_arrays(state: dict, dtype) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """The optimizer's velocity, m and v (empty where it has none), made writable and
    contiguous in place in ``state`` if they were not."""
    arrays = []
    for key in ("velocity", "m", "v"):
        if key in state:
            state[key] = np.require(state[key], dtype, ("C", "W"))
            arrays.append(state[key])
        else:
            arrays.append(np.empty(0, dtype))
    return tuple(arrays)
