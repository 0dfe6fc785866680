"""Checkpoints: a training run's whole state in one model file, to continue it exactly.

A checkpoint holds the weights, the optimizer state, the epoch count, the shuffling
generator, the first epoch's loss (for the divergence guard), the validation split's seed,
the schedules' state and whether the penalties cover the biases, written atomically by
:func:`ffnn.io.container.save`. Resuming from it gives the run that never stopped, bit for bit;
callbacks' own state (early stopping's patience count) starts afresh. A trainer whose
``penalize_biases`` differs from the checkpoint's is refused (it would train another cost).

Loading is all or nothing: the file, the architecture, the optimizer state's layout, the
schedules' states and every field of the trainer state (their JSON types and values) are
checked before anything is assigned, so a checkpoint that does not fit, or a damaged or
crafted one, leaves the trainer and its network exactly as they were.
"""

from __future__ import annotations

import copy
import math
from typing import TYPE_CHECKING

import numpy as np

from ..core.validation import brief, check_integer, is_integer, is_real
from ..optim.schedules import ReduceOnPlateau, Warmup
from .loop import Callback

if TYPE_CHECKING:
    from .trainer import Trainer

__all__ = ["Checkpoint", "training_state", "set_training_state", "save_checkpoint",
           "load_checkpoint"]

_STATE_KEYS = ("epoch", "rng", "first_loss", "split_seed", "schedules", "penalize_biases")
#: Keys that states written before them lack (read as their value then: biases unpenalized).
_OPTIONAL_KEYS = {"penalize_biases": False}


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
        "split_seed": trainer.split_seed,
        "schedules": [schedule.state_dict() for schedule in trainer.optimizer.schedules],
        "penalize_biases": trainer.penalize_biases,
    }


class _MalformedStateError(ValueError):
    """A training state's field has the wrong JSON type or value (not a mismatch)."""


def _finite(value) -> bool:
    try:
        return is_real(value) and math.isfinite(value)
    except OverflowError:  # an int beyond any float
        return False


def _state_problem(expected, given, where: str) -> str | None:
    """What makes ``given`` not an optimizer state of ``expected``'s layout (None if it is)."""
    if isinstance(expected, tuple):
        if not isinstance(given, tuple) or len(given) != len(expected):
            return (f"{where} must be a chain's tuple of {len(expected)} states, got "
                    f"{type(given).__name__}" + (f" of {len(given)}"
                                                 if isinstance(given, tuple) else ""))
        for i, (e, g) in enumerate(zip(expected, given)):
            problem = _state_problem(e, g, f"{where}[{i}]")
            if problem:
                return problem
        return None
    if not isinstance(given, dict):
        return f"{where} must be a dict, got {type(given).__name__}"
    if set(given) != set(expected):
        return f"{where} holds {sorted(map(str, given))}, expected {sorted(expected)}"
    for key, e in expected.items():
        g, at = given[key], f"{where}[{key!r}]"
        if is_integer(e):  # the step count
            if not is_integer(g) or g < 0:
                return f"{at} must be a non-negative integer, got {brief(g)}"
        elif isinstance(e, np.ndarray):
            if not isinstance(g, np.ndarray) or g.shape != e.shape or g.dtype != e.dtype:
                found = (f"an array of shape {g.shape} and dtype {g.dtype}"
                         if isinstance(g, np.ndarray) else type(g).__name__)
                return f"{at} must be an array of shape {e.shape} and dtype {e.dtype}, got {found}"
        elif is_real(e) and not _finite(g):
            return f"{at} must be a finite number, got {brief(g)}"
    return None


def _same_structure(current, given, where: str) -> str | None:
    """``given`` has the form of the generator state ``current`` (keys, str names, ints)."""
    if isinstance(current, dict):
        if not isinstance(given, dict):
            return f"{where} must be a JSON object, got {brief(given)}"
        if set(given) != set(current):
            return f"{where} holds {brief(sorted(map(str, given)))}, expected {sorted(current)}"
        for key in current:
            problem = _same_structure(current[key], given[key], f"{where}.{key}")
            if problem:
                return problem
        return None
    if isinstance(current, str):
        if given != current:
            return f"{where} must be {current!r} (the trainer's generator), got {brief(given)}"
        return None
    if is_integer(current):
        if not is_integer(given) or given < 0:
            return f"{where} must be a non-negative integer, got {brief(given)}"
        if where.endswith(".has_uint32") and given not in (0, 1):
            return f"{where} must be 0 or 1, got {brief(given)}"
        return None
    return None  # other forms are left to the generator's own check


def _checked_rng(trainer, value, where: str) -> dict:
    bit_generator = trainer.rng.bit_generator
    problem = _same_structure(bit_generator.state, value, where)
    if problem:
        raise _MalformedStateError(problem)
    name = type(bit_generator).__name__
    try:
        trial = copy.deepcopy(bit_generator)  # tried on a copy: the trainer's is untouched
        trial.state = value
    except (TypeError, ValueError, KeyError, OverflowError) as exc:
        raise _MalformedStateError(f"{where} is not a valid {name} state: {exc}") from exc
    if trial.state != value:  # the generator took something else (bits cut off)
        raise _MalformedStateError(f"{where} is not a valid {name} state: it reads back as "
                                   f"{brief(trial.state)}")
    return value


def _plateau_problem(state: dict, where: str) -> str | None:
    if not (_finite(state["current"]) and state["current"] > 0):
        return f"{where}.current must be a positive finite number, got {brief(state['current'])}"
    if state["best"] is not None and not _finite(state["best"]):
        return f"{where}.best must be a finite number or null, got {brief(state['best'])}"
    if not is_integer(state["bad_epochs"]) or state["bad_epochs"] < 0:
        return (f"{where}.bad_epochs must be a non-negative integer, got "
                f"{brief(state['bad_epochs'])}")
    return None


def _checked_schedules(schedules: list, saved, where: str) -> list:
    if not isinstance(saved, list) or not all(isinstance(s, dict) for s in saved):
        raise _MalformedStateError(f"{where}.schedules must be a list of JSON objects, got "
                                   f"{brief(saved)}")
    if len(schedules) != len(saved):
        raise ValueError(f"the saved state has {len(saved)} schedule(s), the optimizer "
                         f"{len(schedules)}")
    for i, (schedule, state) in enumerate(zip(schedules, saved)):
        at = f"{where}.schedules[{i}]"
        keys = sorted(schedule.state_dict())
        if sorted(map(str, state)) != keys:
            raise ValueError(f"{at} holds {brief(sorted(map(str, state)))}, but "
                             f"{schedule!r} keeps {keys}")
        inner = schedule
        while isinstance(inner, Warmup):
            inner = inner.after
        problem = _plateau_problem(state, at) if type(inner) is ReduceOnPlateau else None
        if problem:
            raise _MalformedStateError(problem)
        try:  # tried on a copy: the optimizer's schedule is untouched
            copy.deepcopy(schedule).load_state_dict(state)
        except (TypeError, ValueError, KeyError, OverflowError, AttributeError) as exc:
            raise _MalformedStateError(f"{at} cannot be loaded into {schedule!r}: "
                                       f"{exc}") from exc
    return saved


def _checked_training_state(trainer: Trainer, state, opt_state, where: str) -> dict:
    """Every field of a training state and the optimizer state, checked against the
    trainer before anything is assigned (raises ValueError; ``_MalformedStateError`` for a
    field of the wrong JSON type or value)."""
    if not isinstance(state, dict):
        raise _MalformedStateError(f"{where} must be a JSON object, got {brief(state)}")
    state = {**_OPTIONAL_KEYS, **state}
    if set(state) != set(_STATE_KEYS):
        missing = sorted(set(_STATE_KEYS) - set(state))
        unexpected = sorted(map(str, set(state) - set(_STATE_KEYS)))
        raise _MalformedStateError(
            f"{where} must hold exactly {', '.join(_STATE_KEYS)}"
            + (f"; missing {missing}" if missing else "")
            + (f"; unexpected {brief(unexpected)}" if unexpected else ""))
    epoch = state["epoch"]
    if not is_integer(epoch) or epoch < 0:
        raise _MalformedStateError(f"{where}.epoch must be a non-negative integer, got "
                                   f"{brief(epoch)}")
    first_loss = state["first_loss"]
    if first_loss is not None and not _finite(first_loss):
        raise _MalformedStateError(f"{where}.first_loss must be a finite number or null, got "
                                   f"{brief(first_loss)}")
    split_seed = state["split_seed"]
    if split_seed is not None and (not is_integer(split_seed) or split_seed < 0):
        raise _MalformedStateError(f"{where}.split_seed must be a non-negative integer or "
                                   f"null, got {brief(split_seed)}")
    penalize_biases = state["penalize_biases"]
    if not isinstance(penalize_biases, bool):
        raise _MalformedStateError(f"{where}.penalize_biases must be true or false, got "
                                   f"{brief(penalize_biases)}")
    if penalize_biases != trainer.penalize_biases:
        raise ValueError(f"the state was trained with penalize_biases={penalize_biases}, "
                         f"this trainer has penalize_biases={trainer.penalize_biases} (another "
                         "cost): pass the same")
    rng = _checked_rng(trainer, state["rng"], f"{where}.rng")
    schedules = _checked_schedules(trainer.optimizer.schedules, state["schedules"], where)
    expected = trainer.optimizer.init(trainer.network.params, trainer.network.weight_mask())
    problem = _state_problem(expected, opt_state, "opt_state")
    if problem:
        raise ValueError(f"the saved optimizer state does not fit {trainer.optimizer!r}: "
                         f"{problem}")
    return {"epoch": int(epoch), "rng": rng,
            "first_loss": None if first_loss is None else float(first_loss),
            "split_seed": None if split_seed is None else int(split_seed),
            "schedules": schedules, "opt_state": opt_state}


def _assign(trainer: Trainer, checked: dict, resume_split: bool) -> None:
    """Assign a checked state (nothing here can fail on what was checked)."""
    trainer.rng.bit_generator.state = checked["rng"]
    for schedule, schedule_state in zip(trainer.optimizer.schedules, checked["schedules"]):
        schedule.load_state_dict(schedule_state)
    trainer.opt_state = checked["opt_state"]
    trainer.epoch = checked["epoch"]
    trainer.first_loss = checked["first_loss"]
    trainer._resumed_split_seed = checked["split_seed"] if resume_split else None


def set_training_state(trainer: Trainer, state: dict, opt_state, *,
                       resume_split: bool = True) -> None:
    """Restore what :func:`training_state` gave, with the optimizer state: all or nothing.

    Every field is checked first (``epoch`` a non-negative integer, ``rng`` a valid state of
    the trainer's bit generator, ``first_loss`` a finite number or None, ``split_seed`` a
    non-negative integer or None, ``schedules`` one state dict per schedule of the
    optimizer, ``penalize_biases`` the trainer's own (absent: False), and ``opt_state``
    laid out as the optimizer's own ``init`` gives it: the same arrays with the same shapes
    and dtypes, step counts non-negative integers); on any problem a ``ValueError`` names
    it and the trainer is left exactly as it was.

    With ``resume_split`` the next fit reuses the saved validation split (a checkpoint's
    run continues); without, it draws a new one as any later fit does.
    """
    try:
        checked = _checked_training_state(trainer, state, opt_state, "state")
    except _MalformedStateError as exc:
        raise ValueError(str(exc)) from None
    _assign(trainer, checked, resume_split)


def save_checkpoint(trainer: Trainer, path) -> None:
    """Write weights, optimizer state, epoch count, shuffling generator and validation
    split to one model file (see :mod:`ffnn.io`), atomically."""
    from ..io.networks import save

    save(trainer.network, path, opt_state=trainer.opt_state,
         metadata={"trainer": training_state(trainer)})


def load_checkpoint(trainer: Trainer, path, *, custom_objects=None) -> None:
    """Continue from a checkpoint written by :func:`save_checkpoint` with the same
    network architecture, loss and optimizer (their hyperparameters are not stored).

    All or nothing: the file, the architecture, the optimizer state's layout, the schedules
    and every field of the trainer state are checked before the weights or anything else
    is assigned, so on any failure the trainer and its network are exactly as they were.

    Raises
    ------
    ModelFileError
        For a damaged or malformed file (see :func:`ffnn.io.container.load_with_state`), one without
        a trainer state, or a trainer state whose fields have the wrong types or values.
    ValueError
        When the checkpoint does not fit this trainer: another architecture, an optimizer
        state of another layout, another number or kind of schedules, another
        ``penalize_biases``.
    """
    from ..io import ModelFileError, load_with_state

    network, opt_state, extra = load_with_state(path, custom_objects=custom_objects)
    state = extra.get("trainer")
    if state is None or opt_state is None:
        raise ModelFileError(f"{path}: not a training checkpoint (no trainer state)", str(path))
    if (network.layer_output_sizes != trainer.network.layer_output_sizes
            or network.network_input_size != trainer.network.network_input_size
            or network.activation_funcs != trainer.network.activation_funcs
            or network.dtype != trainer.network.dtype):
        raise ValueError(f"checkpoint {path} holds {network}, but this trainer trains "
                         f"{trainer.network}")
    try:
        checked = _checked_training_state(trainer, state, opt_state, "extra.trainer")
    except _MalformedStateError as exc:
        raise ModelFileError(f"{path}: {exc}", str(path)) from None
    except ValueError as exc:
        raise ValueError(f"checkpoint {path}: {exc}") from None
    trainer.network.params[...] = network.params  # same shape and dtype: cannot fail
    _assign(trainer, checked, resume_split=True)
