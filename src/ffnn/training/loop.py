"""The epoch driver: one loop for every training path.

A path (the NumPy engine in :mod:`ffnn.backends.numpy_engine`, the JAX engine in
:mod:`ffnn.backends.jax_engine`) knows how to train epochs: a batch's forward, backward and
update, and how to put its weights and optimizer state back when the guard trips. Everything
around the epochs lives here, once: the divergence rule and its message, the
:class:`History`, callbacks, schedules that hear losses, the progress bar, stopping and
Ctrl-C. The stacked trainer (:mod:`ffnn.backends.stacked`) trains K networks in one loop
without callbacks, and uses the same rule, message and History.
"""

from __future__ import annotations

import math
import time
from collections.abc import ItemsView, Iterator, KeysView, ValuesView
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Protocol

import numpy as np

if TYPE_CHECKING:
    from .trainer import Trainer

__all__ = ["History", "Callback", "EpochsRun", "Path", "diverged", "divergence_message",
           "check_divergence", "initial_loss", "parameter_limit", "largest_magnitude",
           "run_epochs"]


@dataclass
class History:
    """What a training run recorded, Keras-style.

    A History reads as the mapping of its curves: ``history["val_accuracy"]``,
    ``history.keys()``, ``items()``, ``values()``, ``get()``, ``"loss" in history``,
    ``len(history)`` (the number of curves) and iteration over their names.

    Attributes
    ----------
    history : dict of str to list of float
        Per-epoch values: ``"loss"`` and the metric (``"accuracy"`` or ``"r2"``), and with
        validation ``"val_loss"`` and ``"val_<metric>"``.
    epochs : int
        Epochs completed.
    stop_reason : str or None
        ``"early_stopping"``, ``"diverged"``, ``"interrupted"`` or None (ran to the end); a
        full-batch method (L-BFGS) ends with ``"converged"``, ``"limit"`` (its epochs or
        evaluations ran out) or ``"line search"`` (no lower cost along its direction).
    message : str
        A sentence for the user when the run stopped early.
    best_epoch : int or None
        The epoch (from 0) whose weights early stopping restored.
    engine : str or None
        The path that trained: ``"numpy"``, ``"jax"`` or ``"stacked"``.
    engine_reason : str
        Why ``engine="auto"`` (or the caller) did not take the JAX engine, when it did not.
    """

    history: dict[str, list[float]] = field(default_factory=dict)
    epochs: int = 0
    stop_reason: str | None = None
    message: str = ""
    best_epoch: int | None = None
    engine: str | None = None
    engine_reason: str = ""

    def __getitem__(self, key: str) -> list[float]:
        return self.history[key]

    # The read-only mapping of ``history`` (Keras' ``History.history``), on the History itself.
    def keys(self) -> KeysView[str]:
        """The names of the recorded curves (``"loss"``, ``"val_accuracy"``, ...)."""
        return self.history.keys()

    def values(self) -> ValuesView[list[float]]:
        """The recorded curves, each a list of one value per epoch."""
        return self.history.values()

    def items(self) -> ItemsView[str, list[float]]:
        """``(name, curve)`` pairs, as ``history.history.items()``."""
        return self.history.items()

    def get(self, key: str, default=None):
        """The curve ``key``, or ``default`` when it was not recorded."""
        return self.history.get(key, default)

    def __iter__(self) -> Iterator[str]:
        return iter(self.history)

    def __len__(self) -> int:
        return len(self.history)

    def __bool__(self) -> bool:
        return True  # a History is a result, also when nothing was recorded

    def __repr__(self) -> str:
        last = ", ".join(f"{key}={values[-1]:.4g}" for key, values in self.history.items()
                         if values)
        stop = "" if self.stop_reason is None else f", stopped: {self.stop_reason}"
        return (f"History({self.epochs} epochs{', ' + last if last else ''}, engine="
                f"{self.engine}{stop})")

    def __contains__(self, key: str) -> bool:
        return key in self.history

    @property
    def diverged(self) -> bool:
        return self.stop_reason == "diverged"

    @classmethod
    def start(cls, metric: str | None, **fields) -> History:
        """An empty History whose ``"loss"`` (and metric) curves exist from the start, so a
        run that stops in its first epoch still has them (empty)."""
        keys = ["loss"] + ([metric] if metric else [])
        return cls(history={key: [] for key in keys}, **fields)

    def record(self, logs: dict[str, float]) -> None:
        """Append one epoch's values."""
        for key, value in logs.items():
            self.history.setdefault(key, []).append(value)
        self.epochs += 1

    def plot(self, path=None):
        """Loss and metric per epoch, training and validation; see :func:`ffnn.plotting`."""
        from ..plotting import plot_history

        return plot_history(self, path)


class Callback:
    """Hooks into training. ``trainer`` is the running :class:`~ffnn.Trainer`.

    Set ``trainer.stop_training = True`` to end the run after the current epoch.
    """

    def on_train_begin(self, trainer: Trainer) -> None: ...

    def on_epoch_begin(self, trainer: Trainer, epoch: int) -> None: ...

    def on_batch_end(self, trainer: Trainer, batch: int, logs: dict) -> None: ...

    def on_epoch_end(self, trainer: Trainer, epoch: int, logs: dict) -> None: ...

    def on_train_end(self, trainer: Trainer) -> None: ...

    def epochs_heard_late(self, trainer: Trainer) -> int:
        """How many of the coming epochs a path may train in one call before this callback
        hears of them (default 1: each epoch as it happens).

        A callback that returns ``k > 1`` hears of up to ``k`` epochs after they ran, through
        :meth:`on_epochs_end`, and promises that this changes nothing: for all but the last
        of them it reads only their logs (not the weights), and neither stops the run nor
        changes the trainer. The JAX engine then trains ``k`` epochs a call instead of one.
        """
        return 1

    def on_epochs_end(self, trainer: Trainer, first_epoch: int, logs: list[dict]) -> None:
        """The epochs ``first_epoch, first_epoch + 1, ...`` (their ``logs``, in order) that a
        path trained in one call, heard late (see :meth:`epochs_heard_late`). By default
        ``on_epoch_begin`` and ``on_epoch_end`` of each in turn."""
        for i, entry in enumerate(logs):
            self.on_epoch_begin(trainer, first_epoch + i)
            self.on_epoch_end(trainer, first_epoch + i, entry)


def batch_listeners(callbacks) -> list[Callback]:
    """The callbacks that listen to batches (override ``on_batch_end``): only for them is a
    batch's loss computed, and they keep a fit off the JAX engine."""
    return [cb for cb in callbacks if type(cb).on_batch_end is not Callback.on_batch_end]


# -- the divergence guard ---------------------------------------------------------------------

def diverged(loss: float, first_loss: float, factor: float, largest: float,
             limit: float) -> bool:
    """The divergence rule: the epoch's loss is not finite or exceeds ``factor × first_loss``
    (the loss before the first update), or a parameter is not finite or larger than
    ``limit`` in magnitude (``largest``: the largest magnitude, NaN when any is NaN).

    ``first_loss`` NaN (unknown) or 0 (a perfect start) leaves the loss test to finiteness.
    Plain scalar code (the JAX engine and the stacked trainer apply it to arrays).
    """
    return (not math.isfinite(loss) or (first_loss > 0 and loss > factor * first_loss)
            or not largest <= limit)


def parameter_limit(dtype) -> float:
    """The largest parameter magnitude the guard lets pass: ``√(largest float)``, beyond which
    a weight's own square (the L2 penalty) overflows: 1.3e154 in float64, 1.8e19 in float32."""
    return float(np.sqrt(np.finfo(dtype).max))


def largest_magnitude(params: np.ndarray) -> float:
    """``max |θ|`` without a temporary (NaN when a parameter is NaN)."""
    if params.size == 0:
        return 0.0
    return float(max(-np.minimum.reduce(params, axis=None), np.maximum.reduce(params, axis=None)))


def check_divergence(trainer, loss: float) -> tuple[bool, float]:
    """Apply :func:`diverged` to an epoch's loss and the network's parameters; returns
    whether it diverged and the largest parameter magnitude."""
    pending = trainer.first_pending
    if pending is not None and (not math.isfinite(loss)
                                or pending.clears(loss, trainer.divergence_factor)):
        first = math.nan  # the loss test cannot fire (or the loss alone trips the guard)
    else:
        first = math.nan if trainer.first_loss is None else trainer.first_loss
    params = trainer.network.params
    largest = largest_magnitude(params)
    return diverged(loss, first, trainer.divergence_factor, largest,
                    parameter_limit(params.dtype)), largest


def initial_loss(network, X, Y, loss, l1: float, l2: float, weights=None,
                 chunk: int = 4096, penalize_biases: bool = False) -> float:
    """The cost at the current weights before any update (the guard's reference), from
    forward passes over ``chunk`` rows at a time (no full-size temporaries)."""
    n = X.shape[0]
    total_weight = n if weights is None else float(weights.sum())
    if total_weight <= 0:
        return network.penalty(l1, l2, penalize_biases)
    total = 0.0
    with np.errstate(over="ignore", invalid="ignore", divide="ignore", under="ignore"):
        for start in range(0, n, chunk):
            rows = slice(start, start + chunk)
            w = None if weights is None else weights[rows]
            _, zs, output = network.feed_forward_saver(X[rows])
            part = network.loss_value(zs[-1], output, Y[rows], loss, w)
            total += part * (output.shape[0] if w is None else float(w.sum()))
    return total / total_weight + network.penalty(l1, l2, penalize_biases)


class PendingReference:
    """The guard's reference, the loss before any update, computed only when an epoch's loss
    could exceed ``divergence_factor`` times it (then exactly, from the weights it was
    taken at): a forward pass over the whole training set, a sixth to a quarter of a
    one-epoch run on a large network, which :func:`initial_loss` would spend up front.

    ``bound`` is a lower bound of the reference from the first batch, whose outputs the
    first step computes at these very weights: its costs summed over the total weight, plus
    the penalty. It bounds the reference only for losses whose every sample's cost is ≥ 0
    (the built-ins declare it, ``Loss.nonnegative_costs``, on the targets they accept); an
    epoch's loss ≤ ``factor × bound`` cannot trip the loss test. A margin of 1e-4 covers
    the rounding between the batch's forward pass and the reference's chunked one.
    """

    MARGIN = 1e-4

    def __init__(self, network, X, Y, loss, l1: float, l2: float, weights=None,
                 penalize_biases: bool = False):
        self.network, self.params = network, network.params.copy()
        self.X, self.Y, self.loss, self.weights = X, Y, loss, weights
        self.l1, self.l2, self.penalize_biases = l1, l2, penalize_biases
        self.total_weight = X.shape[0] if weights is None else float(weights.sum())
        self.penalty = network.penalty(l1, l2, penalize_biases)
        self.bound: float | None = None

    def note_first_batch(self, z, output, Y, weights) -> None:
        """The first batch's outputs (and logits ``z``), at the reference's weights unless
        something moved them since (then no bound: the reference is computed if needed)."""
        if self.bound is not None or not np.array_equal(self.network.params, self.params):
            return
        with np.errstate(over="ignore", invalid="ignore", divide="ignore", under="ignore"):
            mean = self.network.loss_value(z, output, Y, self.loss, weights)
        share = output.shape[0] if weights is None else float(weights.sum())
        if math.isfinite(mean) and mean >= 0:
            self.bound = mean * share / self.total_weight + self.penalty

    def clears(self, loss: float, factor: float) -> bool:
        """Whether ``loss`` is certainly not above ``factor ×`` the reference."""
        return self.bound is not None and loss <= factor * self.bound * (1 - self.MARGIN)

    def resolve(self) -> float:
        """The reference itself: :func:`initial_loss` at the weights it was taken at."""
        network = self.network.copy()
        network.params[...] = self.params
        return initial_loss(network, self.X, self.Y, self.loss, self.l1, self.l2,
                            self.weights, penalize_biases=self.penalize_biases)


def divergence_message(epoch: int, loss: float, first_loss: float | None,
                       largest: float | None = None) -> str:
    """What a run that diverged at ``epoch`` tells the user."""
    first = "" if first_loss is None else f", before training {first_loss:.4g}"
    weights = "" if largest is None else f", largest weight {largest:.3g}"
    return (f"training diverged at epoch {epoch} (loss {loss:.4g}{first}{weights}): stopped "
            "and kept the last good weights; try a smaller learning rate")


# -- the loop ---------------------------------------------------------------------------------

@dataclass
class EpochsRun:
    """What one call of a path trained.

    Attributes
    ----------
    logs : list of dict
        One entry per epoch that passed the guard, in order.
    diverged_loss : float or None
        The loss of the epoch after them, which failed the guard (the path has already put
        the weights and state of the last good epoch back); None when none failed.
    diverged_largest : float or None
        The largest parameter magnitude after that epoch.
    interrupted : bool
        Ctrl-C came during the call (held until its epochs were complete): the driver
        records them, then stops the run.
    """

    logs: list[dict[str, float]]
    diverged_loss: float | None = None
    diverged_largest: float | None = None
    interrupted: bool = False


class Path(Protocol):
    """How a path trains: ``run(count)`` trains up to ``count`` epochs (``count`` is 1
    unless :meth:`epochs_per_call` allowed more); ``initial_loss()`` is the cost on its
    training data before any update, and ``defer_initial_loss()`` the same to compute when
    an epoch needs it (a :class:`PendingReference`), or None to compute it now."""

    name: str

    def epochs_per_call(self, per_epoch: bool) -> int: ...

    def initial_loss(self) -> float: ...

    def defer_initial_loss(self) -> PendingReference | None: ...

    def run(self, count: int) -> EpochsRun: ...


def run_epochs(trainer: Trainer, path: Path, epochs: int, history: History, bar) -> None:
    """Train ``epochs`` epochs through ``path``: the one loop around every path.

    Per epoch: ``on_epoch_begin``, the path's epoch, the guard, the History, the schedules
    that hear losses (the validation loss when there is one), ``on_epoch_end``, the progress
    bar and the stop flag. When nothing listens per epoch (no callbacks, bar or listening
    schedule) a path may train several epochs per call; so it may when the callbacks let it
    (:meth:`Callback.epochs_heard_late`), and they then hear of those epochs after the call.
    Ctrl-C ends the run with the weights trained so far.
    """
    callbacks = trainer.callbacks
    if bar is not None and history.engine:
        # The engine "auto" took, said without a warning (History.engine_reason: why).
        bar.set_description(f"training ({history.engine} engine)")
    listening = bar is not None or any(s.hears_losses for s in trainer.optimizer.schedules)
    chunk = path.epochs_per_call(listening)  # the callbacks may cut it (to 1 by default)
    # a path that trains the whole run in one call (L-BFGS: its memory lives in one SciPy
    # call) is called once, its callbacks hearing late (Trainer checks they can)
    whole_run = getattr(path, "whole_run", False)
    epoch = 0
    if not trainer.reference_known and math.isfinite(trainer.divergence_factor):
        # the guard's reference: the loss before any update (never needed with an infinite
        # factor), computed now or, where the path can, when an epoch needs it
        pending = path.defer_initial_loss()
        if pending is None:
            first = path.initial_loss()
            trainer.first_loss = first if math.isfinite(first) else None
        else:
            trainer.first_pending = pending
    settled = False  # the run ended by itself: its epochs, a stop or a divergence
    started = time.perf_counter()
    try:
        while epoch < epochs:
            count = min(chunk, epochs - epoch)
            for cb in callbacks if not whole_run else ():
                count = min(count, max(1, cb.epochs_heard_late(trainer)))
            late = count > 1 and bool(callbacks)  # they hear of these epochs after the call
            heard = listening or bool(callbacks) or chunk == 1  # every epoch's hooks run
            if heard and not late:
                for cb in callbacks:
                    cb.on_epoch_begin(trainer, epoch)
            done = path.run(count)
            if bar is not None and epoch == 0 and path.name == "jax" \
                    and time.perf_counter() - started > 1.0:
                # the first call compiled (JAX): the bar's clock starts now, or its rate
                # would count the compile as an epoch and its ETA run to hours
                bar.reset(total=bar.total)
            start = epoch
            for logs in done.logs:
                history.record(logs)
            trainer.epoch += len(done.logs)
            epoch += len(done.logs)
            if late and done.logs:
                for cb in callbacks:
                    cb.on_epochs_end(trainer, start, done.logs)
            elif heard:
                for i, logs in enumerate(done.logs):
                    _hear_epoch(trainer, start + i, logs, bar)
            if done.diverged_loss is not None:
                params = trainer.network.params
                largest = done.diverged_largest
                trainer.stop_reason = "diverged"
                trainer.stop_message = divergence_message(
                    epoch, done.diverged_loss, trainer.first_loss,
                    None if largest is None or largest <= parameter_limit(params.dtype)
                    else largest)
                break
            if done.interrupted:
                raise KeyboardInterrupt
            if trainer.stop_training or whole_run:  # a whole-run path decides its own end
                break
        settled = True
    except KeyboardInterrupt:
        trainer.stop_reason = "interrupted"
        trainer.stop_message = (f"interrupted after {history.epochs} epochs; the network "
                                "keeps the weights trained so far")
    # A trainer that trains on keeps the reference, not the data it would be computed from
    # (train() discards its trainer: nothing to compute); after Ctrl-C or an error nothing
    # more is run, and the pending reference stays exact.
    if settled and trainer.first_pending is not None and trainer.keep_reference:
        trainer.first_loss  # noqa: B018  (reading it computes it)


def _hear_epoch(trainer: Trainer, epoch: int, logs: dict, bar) -> None:
    """An epoch's hooks as it happens: the schedules that hear losses, ``on_epoch_end``, the
    progress bar."""
    monitored = logs.get("val_loss", logs["loss"])
    for schedule in trainer.optimizer.schedules:
        schedule.report(monitored)
    for cb in trainer.callbacks:
        cb.on_epoch_end(trainer, epoch, logs)
    if bar is not None:
        bar.update(1)
        bar.set_postfix({k: f"{v:.4g}" for k, v in logs.items()}, refresh=False)
