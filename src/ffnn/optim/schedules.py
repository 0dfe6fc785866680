"""Learning-rate schedules: the learning rate as a function of the optimizer's step count.

A schedule is called with ``step``, the number of optimizer steps taken before this one
(0 for the first update), and returns the learning rate for that update. Anywhere a learning
rate goes, a number or a schedule is accepted.

===================  ================================================================
``Constant(lr)``     ``lr``
``InverseTime``      ``t0 / (step + t1)`` (the course's SGD schedule)
``InverseScaling``   ``lr / (step + 1)^power`` (scikit-learn's ``'invscaling'``, per step)
``Exponential``      ``lr · gamma^step``
``StepDecay``        ``lr · gamma^(step // step_size)``
``Cosine``           ``lr_min + (lr - lr_min) (1 + cos(π min(step, T) / T)) / 2``
``Warmup``           linear from ``start · lr`` up to the inner schedule over ``warmup_steps``
``ReduceOnPlateau``  ``lr`` times ``factor`` each time the reported loss stalls ``patience`` times
===================  ================================================================
"""

from __future__ import annotations

import math
from types import SimpleNamespace

from ..core.registry import PATHS, Component, Registry
from ..core.validation import is_integer, is_real

__all__ = [
    "Schedule",
    "Constant",
    "InverseTime",
    "InverseScaling",
    "Exponential",
    "StepDecay",
    "Cosine",
    "Warmup",
    "ReduceOnPlateau",
    "as_schedule",
    "SCHEDULES",
    "SCHEDULE_NAMES",
]

#: The built-in schedules by their ``ffnn train --schedule`` names (see :mod:`ffnn.core.registry`).
SCHEDULES = Registry("schedule")


def _positive(value, name: str, *, allow_zero: bool = False) -> float:
    if not is_real(value) or not math.isfinite(value):
        raise TypeError(f"{name} must be a finite number, got {value!r}")
    if value < 0 or (value == 0 and not allow_zero):
        expected = ">= 0" if allow_zero else "> 0"
        raise ValueError(f"{name} must be {expected}, got {value}")
    return float(value)


def _count(value, name: str) -> int:
    if not is_integer(value) or value < 1:
        raise ValueError(f"{name} must be a positive integer, got {value!r}")
    return int(value)


def _factor(value, name: str) -> float:
    value = _positive(value, name)
    if value > 1:
        raise ValueError(f"{name} must be in (0, 1], got {value}")
    return value


class Schedule(Component):
    """Base class: ``schedule(step) -> learning rate``."""

    def __call__(self, step: int) -> float:
        raise NotImplementedError

    #: Whether the schedule changes with the losses it hears (then every epoch must be
    #: reported to it, one network's at a time).
    hears_losses: bool = False

    @classmethod
    def supports(cls, path: str) -> bool:
        """Every path runs a schedule of the step (the JAX engine gets its rates
        computed ahead), unless the class declares otherwise."""
        if path not in PATHS:
            raise ValueError(f"path must be one of {PATHS}, got {path!r}")
        return path not in cls.unsupported

    @classmethod
    def from_options(cls, lr: float, options: SimpleNamespace, steps_per_epoch: int
                     ) -> Schedule:
        """The schedule that ``ffnn train --schedule NAME --lr LR`` and its options mean
        (``options`` has the attributes of :data:`ffnn.sweeps.recipe.TRAIN_OPTIONS`)."""
        raise NotImplementedError(f"{cls.__name__} is not built from training options")

    def report(self, value: float) -> None:
        """Hear the epoch's monitored loss (only :class:`ReduceOnPlateau` listens)."""

    def state_dict(self) -> dict:
        """What a resumed run needs besides the step count (nothing for pure schedules)."""
        return {}

    def load_state_dict(self, state: dict) -> None:
        """Restore what :meth:`state_dict` gave."""

    def __repr__(self) -> str:
        params = ", ".join(f"{k}={v!r}" for k, v in vars(self).items() if not k.startswith("_"))
        return f"{type(self).__name__}({params})"

    def __eq__(self, other) -> bool:
        return type(self) is type(other) and vars(self) == vars(other)

    __hash__ = None  # schedules with state are mutable


@SCHEDULES.register
class Constant(Schedule):
    """``lr`` at every step."""

    name = "constant"

    @classmethod
    def from_options(cls, lr, options, steps_per_epoch):
        return as_schedule(lr, "--lr")

    def __init__(self, lr: float):
        self.lr = _positive(lr, "lr")

    def __call__(self, step):
        return self.lr


@SCHEDULES.register
class InverseTime(Schedule):
    """``t0 / (step + t1)``: the course's decaying SGD rate (starts at ``t0 / t1``)."""

    name = "inverse-time"

    @classmethod
    def from_options(cls, lr, options, steps_per_epoch):  # starts at lr; t1 default 50
        t1 = 50.0 if options.t1 is None else options.t1
        return cls(lr * t1, t1)

    def __init__(self, t0: float = 5.0, t1: float = 50.0):
        self.t0 = _positive(t0, "t0")
        self.t1 = _positive(t1, "t1")

    def __call__(self, step):
        return self.t0 / (step + self.t1)


@SCHEDULES.register
class InverseScaling(Schedule):
    """``lr / (step + 1)^power``: scikit-learn's ``learning_rate='invscaling'``.

    scikit-learn counts samples seen; this counts optimizer steps, like every schedule here.
    """

    name = "invscaling"

    @classmethod
    def from_options(cls, lr, options, steps_per_epoch):
        return cls(lr)

    def __init__(self, lr: float, power: float = 0.5):
        self.lr = _positive(lr, "lr")
        self.power = _positive(power, "power", allow_zero=True)

    def __call__(self, step):
        return self.lr / (step + 1) ** self.power


@SCHEDULES.register
class Exponential(Schedule):
    """``lr · gamma^step``."""

    name = "exponential"

    @classmethod
    def from_options(cls, lr, options, steps_per_epoch):
        return cls(lr, 0.999 if options.gamma is None else options.gamma)

    def __init__(self, lr: float, gamma: float = 0.999):
        self.lr = _positive(lr, "lr")
        self.gamma = _factor(gamma, "gamma")

    def __call__(self, step):
        return self.lr * self.gamma**step


@SCHEDULES.register
class StepDecay(Schedule):
    """``lr · gamma^(step // step_size)``: multiplied by ``gamma`` every ``step_size`` steps."""

    name = "step"

    @classmethod
    def from_options(cls, lr, options, steps_per_epoch):  # default: every 100 epochs
        step_size = 100 * steps_per_epoch if options.step_size is None else options.step_size
        return cls(lr, step_size, 0.1 if options.gamma is None else options.gamma)

    def __init__(self, lr: float, step_size: int, gamma: float = 0.1):
        self.lr = _positive(lr, "lr")
        self.step_size = _count(step_size, "step_size")
        self.gamma = _factor(gamma, "gamma")

    def __call__(self, step):
        return self.lr * self.gamma ** (step // self.step_size)


@SCHEDULES.register
class Cosine(Schedule):
    """Cosine annealing from ``lr`` to ``lr_min`` over ``total_steps``, then ``lr_min``."""

    name = "cosine"

    @classmethod
    def from_options(cls, lr, options, steps_per_epoch):  # over the whole run
        return cls(lr, max(1, options.epochs * steps_per_epoch))

    def __init__(self, lr: float, total_steps: int, lr_min: float = 0.0):
        self.lr = _positive(lr, "lr")
        self.total_steps = _count(total_steps, "total_steps")
        self.lr_min = _positive(lr_min, "lr_min", allow_zero=True)
        if self.lr_min > self.lr:
            raise ValueError(f"lr_min must be <= lr ({self.lr}), got {self.lr_min}")

    def __call__(self, step):
        progress = min(step, self.total_steps) / self.total_steps
        return self.lr_min + (self.lr - self.lr_min) * (1 + math.cos(math.pi * progress)) / 2


class Warmup(Schedule):
    """Linear warm-up to another schedule (or a number).

    For ``step < warmup_steps`` the rate rises linearly from ``start · after(0)`` to
    ``after(0)``; from then on it is ``after(step - warmup_steps)``.
    """

    def __init__(self, after: float | Schedule, warmup_steps: int, start: float = 0.0):
        self.after = as_schedule(after, "after")
        self.warmup_steps = _count(warmup_steps, "warmup_steps")
        self.start = _positive(start, "start", allow_zero=True)
        if self.start > 1:
            raise ValueError(f"start must be a fraction in [0, 1], got {self.start}")

    def __call__(self, step):
        if step < self.warmup_steps:
            fraction = self.start + (1 - self.start) * step / self.warmup_steps
            return fraction * self.after(0)
        return self.after(step - self.warmup_steps)

    @property
    def hears_losses(self) -> bool:
        return self.after.hears_losses

    def report(self, value):
        self.after.report(value)

    def state_dict(self):
        return self.after.state_dict()

    def load_state_dict(self, state):
        self.after.load_state_dict(state)


@SCHEDULES.register
class ReduceOnPlateau(Schedule):
    """Multiply the rate by ``factor`` when the reported loss stops improving.

    The training loop reports the monitored loss once per epoch (the validation loss when
    there is validation data, the training loss otherwise). An epoch improves when the loss
    falls below ``best · (1 - threshold)``; after ``patience`` epochs without improvement the
    rate is multiplied by ``factor`` (not below ``min_lr``) and the count restarts. This one
    counts epochs through :meth:`report`, not optimizer steps.
    """

    name = "plateau"
    hears_losses = True
    unsupported = {"stacked": "it listens to each network's loss, which a stack shares"}

    @classmethod
    def from_options(cls, lr, options, steps_per_epoch):
        return cls(lr, patience=options.plateau_patience)

    def __init__(self, lr: float, factor: float = 0.1, patience: int = 10,
                 threshold: float = 1e-4, min_lr: float = 0.0):
        self.lr = _positive(lr, "lr")
        self.factor = _factor(factor, "factor")
        if self.factor == 1:
            raise ValueError("factor must be < 1, got 1")
        self.patience = _count(patience, "patience")
        self.threshold = _positive(threshold, "threshold", allow_zero=True)
        if self.threshold >= 1:
            raise ValueError(f"threshold must be a fraction in [0, 1), got {self.threshold}")
        self.min_lr = _positive(min_lr, "min_lr", allow_zero=True)
        if self.min_lr > self.lr:
            raise ValueError(f"min_lr must be <= lr ({self.lr}), got {self.min_lr}")
        self._current = self.lr
        self._best = math.inf
        self._bad_epochs = 0

    def __call__(self, step):
        return self._current

    def report(self, value):
        if value < self._best * (1 - self.threshold):
            self._best, self._bad_epochs = value, 0
            return
        self._bad_epochs += 1
        if self._bad_epochs >= self.patience:
            self._current = max(self._current * self.factor, self.min_lr)
            self._bad_epochs = 0

    def state_dict(self):
        best = None if math.isinf(self._best) else self._best  # JSON has no infinity
        return {"current": self._current, "best": best, "bad_epochs": self._bad_epochs}

    def load_state_dict(self, state):
        self._current = float(state["current"])
        self._best = math.inf if state["best"] is None else float(state["best"])
        self._bad_epochs = int(state["bad_epochs"])


def as_schedule(lr, name: str = "lr") -> Schedule:
    """A schedule from a number (constant) or a schedule (itself)."""
    if isinstance(lr, Schedule):
        return lr
    if not is_real(lr):
        raise TypeError(f"{name} must be a positive number or a Schedule, got {lr!r}")
    if not (math.isfinite(lr) and lr > 0):
        raise ValueError(f"{name} must be a positive number or a Schedule, got {lr}")
    return Constant(lr)


SCHEDULE_NAMES: tuple[str, ...] = SCHEDULES.names
