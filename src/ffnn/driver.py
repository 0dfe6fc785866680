"""The epoch driver: one loop for every training path.

A path (the NumPy engine in :mod:`ffnn.engine`, the compiled loop in :mod:`ffnn._compiled`)
knows how to train epochs: a batch's forward, backward and update, and how to put its
weights and optimizer state back when the guard trips. Everything around the epochs lives
here, once: the divergence rule and its message, the :class:`History`, callbacks, schedules
that hear losses, the progress bar, stopping and Ctrl-C. The stacked trainer
(:mod:`ffnn.stacked`) trains K networks in one loop without callbacks, and uses the same rule,
message and History.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Protocol

if TYPE_CHECKING:
    from .training import Trainer

__all__ = ["History", "Callback", "EpochsRun", "Path", "diverged", "divergence_message",
           "check_divergence", "run_epochs"]


@dataclass
class History:
    """What a training run recorded, Keras-style.

    Attributes
    ----------
    history : dict of str to list of float
        Per-epoch values: ``"loss"`` and the metric (``"accuracy"`` or ``"r2"``), and with
        validation ``"val_loss"`` and ``"val_<metric>"``.
    epochs : int
        Epochs completed.
    stop_reason : str or None
        ``"early_stopping"``, ``"diverged"``, ``"interrupted"`` or None (ran to the end).
    message : str
        A sentence for the user when the run stopped early.
    best_epoch : int or None
        The epoch (from 0) whose weights early stopping restored.
    engine : str or None
        The path that trained: ``"numpy"``, ``"compiled"`` or ``"stacked"``.
    engine_reason : str
        Why ``engine="auto"`` (or the caller) did not take the compiled loop, when it did not.
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

    def __contains__(self, key: str) -> bool:
        return key in self.history

    @property
    def diverged(self) -> bool:
        return self.stop_reason == "diverged"

    def record(self, logs: dict[str, float]) -> None:
        """Append one epoch's values."""
        for key, value in logs.items():
            self.history.setdefault(key, []).append(value)
        self.epochs += 1

    def plot(self, path=None):
        """Loss and metric per epoch, training and validation; see :func:`ffnn.plotting`."""
        from .plotting import plot_history

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


# -- the divergence guard ---------------------------------------------------------------------

def diverged(loss: float, first_loss: float, factor: float) -> bool:
    """The divergence rule: the loss is not finite, or exceeds ``factor × first_loss``.

    ``first_loss`` is NaN until a first epoch has passed (then only a non-finite loss counts),
    and a first loss of 0 (a perfect start) leaves only non-finite losses as divergence.
    Plain scalar code: the compiled kernels compile this very function.
    """
    return not math.isfinite(loss) or (first_loss > 0 and loss > factor * first_loss)


def check_divergence(trainer, loss: float) -> bool:
    """Apply :func:`diverged` to an epoch's loss; the first loss that passes is kept."""
    first = math.nan if trainer.first_loss is None else trainer.first_loss
    if diverged(loss, first, trainer.divergence_factor):
        return True
    if trainer.first_loss is None:
        trainer.first_loss = loss
    return False


def divergence_message(epoch: int, loss: float, first_loss: float | None) -> str:
    """What a run that diverged at ``epoch`` tells the user."""
    first = "" if first_loss is None else f", first {first_loss:.4g}"
    return (f"training diverged at epoch {epoch} (loss {loss:.4g}{first}): stopped and kept "
            "the last good weights; try a smaller learning rate")


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
    """

    logs: list[dict[str, float]]
    diverged_loss: float | None = None


class Path(Protocol):
    """How a path trains: ``run(count)`` trains up to ``count`` epochs (``count`` is 1
    unless :meth:`epochs_per_call` allowed more)."""

    name: str

    def epochs_per_call(self, per_epoch: bool) -> int: ...

    def run(self, count: int) -> EpochsRun: ...


def run_epochs(trainer: Trainer, path: Path, epochs: int, history: History, bar) -> None:
    """Train ``epochs`` epochs through ``path``: the one loop around every path.

    Per epoch: ``on_epoch_begin``, the path's epoch, the guard, the History, the schedules
    that hear losses (the validation loss when there is one), ``on_epoch_end``, the progress
    bar and the stop flag. When nothing listens per epoch (no callbacks, bar or listening
    schedule) a path may train several epochs per call. Ctrl-C ends the run with the weights
    trained so far.
    """
    per_epoch = (bool(trainer.callbacks) or bar is not None
                 or any(s.hears_losses for s in trainer.optimizer.schedules))
    chunk = path.epochs_per_call(per_epoch)
    epoch = 0
    try:
        while epoch < epochs:
            count = min(chunk, epochs - epoch)
            if per_epoch:
                for cb in trainer.callbacks:
                    cb.on_epoch_begin(trainer, epoch)
            done = path.run(count)
            for logs in done.logs:
                history.record(logs)
            trainer.epoch += len(done.logs)
            epoch += len(done.logs)
            if done.diverged_loss is not None:
                trainer.stop_reason = "diverged"
                trainer.stop_message = divergence_message(epoch, done.diverged_loss,
                                                          trainer.first_loss)
                return
            if per_epoch:
                logs = done.logs[-1]
                monitored = logs.get("val_loss", logs["loss"])
                for schedule in trainer.optimizer.schedules:
                    schedule.report(monitored)
                for cb in trainer.callbacks:
                    cb.on_epoch_end(trainer, epoch - 1, logs)
                if bar is not None:
                    bar.update(1)
                    bar.set_postfix({k: f"{v:.4g}" for k, v in logs.items()}, refresh=False)
            if trainer.stop_training:
                return
    except KeyboardInterrupt:
        trainer.stop_reason = "interrupted"
        trainer.stop_message = (f"interrupted after {history.epochs} epochs; the network "
                                "keeps the weights trained so far")
