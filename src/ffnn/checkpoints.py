"""Checkpoints: a training run's whole state in one model file, to continue it exactly.

A checkpoint holds the weights, the optimizer state, the epoch count, the shuffling
generator, the first epoch's loss (for the divergence guard), the validation split's seed
and the schedules' state, written atomically by :func:`ffnn.io.save`. Resuming from it gives
the run that never stopped, bit for bit; callbacks' own state (early stopping's patience
count) starts afresh.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from ._validation import check_integer
from .driver import Callback
from .optimizers import state_layout

if TYPE_CHECKING:
    from .training import Trainer

__all__ = ["Checkpoint", "training_state", "set_training_state", "save_checkpoint",
           "load_checkpoint"]


class Checkpoint(Callback):
    """Save the training state every ``every`` epochs to ``path`` (atomically, one file).

    The file holds the weights, the optimizer state, the epoch count, the shuffling generator
    and the validation split, so :meth:`Trainer.load_checkpoint` (or ``train(resume_from=)``)
    continues bit-identically. Callbacks' own state (early stopping's patience count) is not
    saved.
    """

    def __init__(self, path, every: int = 1):
        try:
            every = check_integer(every, "every", 1)
        except TypeError:
            raise ValueError(f"every must be a positive integer, got {every!r}") from None
        self.path = path
        self.every = every

    def on_epoch_end(self, trainer, epoch, logs):
        if trainer.epoch % self.every == 0:
            save_checkpoint(trainer, self.path)


def training_state(trainer: Trainer) -> dict:
    """What besides the weights and ``opt_state`` a resumed run needs (JSON types)."""
    return {
        "epoch": trainer.epoch,
        "rng": trainer.rng.bit_generator.state,
        "first_loss": trainer.first_loss,
        "split_seed": trainer._split_seed,
        "schedules": [schedule.state_dict() for schedule in trainer.optimizer.schedules],
    }


def set_training_state(trainer: Trainer, state: dict, opt_state, *,
                       resume_split: bool = True) -> None:
    """Restore what :func:`training_state` gave, with the optimizer state.

    With ``resume_split`` the next fit reuses the saved validation split (a checkpoint's
    run continues); without, it draws a new one as any later fit does.
    """
    expected = state_layout(trainer.optimizer.init(trainer.network.params,
                                                   trainer.network.weight_mask()))
    given = state_layout(opt_state)
    if given != expected:
        raise ValueError(
            f"the saved optimizer state (arrays {sorted(given)}) does not fit "
            f"{trainer.optimizer!r} (arrays {sorted(expected)})"
        )
    schedules = trainer.optimizer.schedules
    if len(schedules) != len(state["schedules"]):
        raise ValueError(f"the saved state has {len(state['schedules'])} schedule(s), "
                         f"the optimizer {len(schedules)}")
    trainer.opt_state = opt_state
    trainer.epoch = int(state["epoch"])
    trainer.rng.bit_generator.state = state["rng"]
    trainer.first_loss = state["first_loss"]
    trainer._resumed_split_seed = state["split_seed"] if resume_split else None
    for schedule, schedule_state in zip(schedules, state["schedules"]):
        schedule.load_state_dict(schedule_state)


def save_checkpoint(trainer: Trainer, path) -> None:
    """Write weights, optimizer state, epoch count, shuffling generator and validation
    split to one model file (see :mod:`ffnn.io`), atomically."""
    from .io import save

    save(trainer.network, path, opt_state=trainer.opt_state,
         metadata={"trainer": training_state(trainer)})


def load_checkpoint(trainer: Trainer, path, *, custom_objects=None) -> None:
    """Continue from a checkpoint written by :func:`save_checkpoint` with the same
    network architecture, loss and optimizer (their hyperparameters are not stored)."""
    from .io import ModelFileError, load_with_state

    network, opt_state, extra = load_with_state(path, custom_objects=custom_objects)
    state = extra.get("trainer") if isinstance(extra, dict) else None
    if state is None or opt_state is None:
        raise ModelFileError("not a training checkpoint (no trainer state)", str(path))
    if (network.layer_output_sizes != trainer.network.layer_output_sizes
            or network.network_input_size != trainer.network.network_input_size
            or network.activation_funcs != trainer.network.activation_funcs
            or network.dtype != trainer.network.dtype):
        raise ValueError(f"checkpoint {path} holds {network}, but this trainer trains "
                         f"{trainer.network}")
    trainer.network.params[...] = network.params
    set_training_state(trainer, state, opt_state)
