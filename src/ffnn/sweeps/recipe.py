"""Training options, by the names of ``ffnn train``'s flags, turned into a network, a loss, an
optimizer and the arguments of :func:`ffnn.train`.

One recipe serves the command line and sweeps, so that ``--grid lr=0.01,0.1`` means exactly
what ``--lr 0.01`` means. Options are a mapping with the flags' names in snake case
(``batch_size`` for ``--batch-size``); :data:`TRAIN_OPTIONS` holds every name with its
default. Errors name the flag (``--hidden``, ``--batch-size``), in the command line's terms,
and :func:`build` refuses what training would refuse later, so nothing fails after the start.
"""

from __future__ import annotations

import math
import numbers
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from types import SimpleNamespace

import numpy as np

from ..core.activations import get_activation
from ..core.losses import Loss, get_loss
from ..core.network import Network
from ..core.validation import is_integer, is_real
from ..optim import schedules
from ..optim.optimizers import (
    OPTIMIZERS,
    ClipGradNorm,
    GradientTransformation,
    chain,
)
from ..optim.schedules import SCHEDULE_NAMES

__all__ = ["TRAIN_OPTIONS", "SCHEDULE_NAMES", "Recipe", "build", "check_options",
           "check_fit", "default_loss", "binary_targets", "normalize", "flag"]


#: Every training option with its default (those of ``ffnn train``).
TRAIN_OPTIONS: dict[str, object] = {
    # network
    "hidden": [8], "activation": ["sigmoid"], "output_activation": None, "loss": None,
    "initializer": "glorot", "dtype": "float64",
    # optimizer
    "optimizer": "sgd", "lr": 0.01, "momentum": None, "beta1": None, "beta2": None,
    "eps": None, "weight_decay": None, "clip": None, "schedule": "constant", "gamma": None,
    "step_size": None, "t1": None, "warmup": None, "plateau_patience": 10,
    # training
    "epochs": 5000, "batch_size": None, "l1": 0.0, "l2": 0.0, "penalize_biases": False,
    "early_stopping": False, "patience": 10, "min_delta": 0.0, "seed": 0, "init_seed": None,
    "shuffle_seed": None, "engine": "auto", "device": None,
}


_FLOATS = ("lr", "l1", "l2", "momentum", "beta1", "beta2", "eps", "weight_decay", "clip",
           "gamma", "t1", "min_delta")
_INTS = ("epochs", "batch_size", "patience", "seed", "init_seed", "shuffle_seed", "step_size",
         "warmup", "plateau_patience")


def normalize(name: str, value):
    """An option's value in one spelling (0 and 0.0 alike for a rate, 3.0 and 3 for epochs,
    a tuple of sizes as a list), so that equal sweeps hash alike."""
    if isinstance(value, np.generic):
        value = value.item()
    if name in _FLOATS and isinstance(value, numbers.Real) and not isinstance(value, bool):
        return float(value)
    if name in _INTS and isinstance(value, numbers.Real) and not isinstance(value, bool) \
            and float(value).is_integer():
        return int(value)
    if name == "hidden" and isinstance(value, (list, tuple)):
        return [int(v) if isinstance(v, numbers.Real) and float(v).is_integer() else v
                for v in value]
    if isinstance(value, tuple):
        return list(value)
    return value


@dataclass
class Recipe:
    """What :func:`build` makes: train with ``ffnn.train(network, X, targets, loss,
    optimizer=optimizer, **train_kwargs)``."""

    network: Network
    loss: Loss
    optimizer: GradientTransformation
    train_kwargs: dict


def flag(name: str) -> str:
    """The command-line flag of an option: ``batch_size`` -> ``--batch-size``."""
    return "--" + name.replace("_", "-")


# The parameters of optimizers and schedules that options set, by the flag that sets them
# (their own checks name the parameter; the recipe's errors name the flag).
_PARAMETER_FLAGS = {
    # schedules (inverse-time's t0 is lr × t1)
    "lr": "--lr", "t0": "--lr × --t1", "t1": "--t1", "gamma": "--gamma",
    "step_size": "--step-size", "warmup_steps": "--warmup", "patience": "--plateau-patience",
    "total_steps": "--epochs",
    # optimizers
    "momentum": "--momentum", "eps": "--eps", "beta_1": "--beta1", "beta_2": "--beta2",
    "betas": "--beta1/--beta2", "weight_decay": "--weight-decay", "max_norm": "--clip",
}


def _in_flag_terms(exc: Exception) -> Exception:
    """``momentum must be in [0, 1)`` as ``--momentum must be in [0, 1)``."""
    name, sep, rest = str(exc).partition(" must ")
    if sep and name in _PARAMETER_FLAGS:
        return type(exc)(f"{_PARAMETER_FLAGS[name]} must {rest}")
    return exc


def _check_values(o: Mapping) -> None:
    """The options that the network, the Trainer and train() check, checked here first with
    the flags' names (the optimizer's and schedule's own are renamed, see _in_flag_terms)."""
    hidden = o["hidden"]
    if isinstance(hidden, (str, bytes)) or not isinstance(hidden, Sequence):
        raise TypeError(f"--hidden must be a list of layer sizes, got {hidden!r}")
    for size in hidden:
        if not is_integer(size) or size < 1:
            raise ValueError(f"--hidden: layer sizes must be positive integers, got {size!r}")
    if not is_integer(o["epochs"]) or o["epochs"] < 0:
        raise ValueError(f"--epochs must be >= 0, got {o['epochs']!r}")
    for name in ("seed", "init_seed", "shuffle_seed"):
        value = o[name]
        if value is not None and (not is_integer(value) or value < 0):
            raise ValueError(f"{flag(name)} must be an integer >= 0, got {value!r}")
    for name in ("batch_size", "patience", "plateau_patience", "step_size", "warmup"):
        value = o[name]
        if value is not None and (not is_integer(value) or value < 1):
            raise ValueError(f"{flag(name)} must be a positive integer, got {value!r}")
    for name in ("l1", "l2", "min_delta"):
        value = o[name]
        if not is_real(value) or not math.isfinite(value) or value < 0:
            raise ValueError(f"{flag(name)} must be a finite number >= 0, got {value!r}")
    if not isinstance(o["penalize_biases"], (bool, np.bool_)):
        raise ValueError(f"--penalize-biases is a yes/no option (true or false), got "
                         f"{o['penalize_biases']!r}")
    for name in ("lr", "t1"):
        value = o[name]
        if (value is not None or name == "lr") and \
                (not is_real(value) or not math.isfinite(value) or value <= 0):
            raise ValueError(f"{flag(name)} must be a number > 0, got {value!r}")


def check_options(options: Mapping, name: str = "options") -> dict:
    """``options`` over the defaults; an unknown name is refused with the valid ones."""
    unknown = sorted(set(options) - set(TRAIN_OPTIONS))
    if unknown:
        raise ValueError(f"{name}: unknown training option(s) {', '.join(unknown)}; valid "
                         f"names are {', '.join(TRAIN_OPTIONS)}")
    return {**TRAIN_OPTIONS, **options}


def default_loss(options: Mapping, classification: bool) -> Loss:
    return get_loss(options.get("loss") or ("cross_entropy" if classification else "mse"),
                    "--loss")


def binary_targets(loss: Loss, targets: np.ndarray) -> np.ndarray:
    """Two one-hot classes under a binary cross-entropy: one sigmoid output, the second."""
    if loss.independent_outputs and targets.shape[1] == 2:
        return targets[:, 1:]
    return targets


def build(options: Mapping, n_features: int, n_outputs: int, classification: bool,
          n_train: int) -> Recipe:
    """The network, loss, optimizer and ``train`` arguments that ``options`` describe.

    Parameters
    ----------
    options : mapping
        Training options (see :data:`TRAIN_OPTIONS`); missing ones take their defaults.
    n_features, n_outputs : int
        Input width and output width (after :func:`binary_targets`).
    classification : bool
        Picks the default loss and output activation.
    n_train : int
        Training samples per epoch (schedules in steps need the steps per epoch).
    """
    o = check_options(options)
    _check_values(o)
    loss = default_loss(o, classification)
    if classification:
        default_output = "sigmoid" if loss.independent_outputs else "softmax"
    else:
        default_output = loss.output_activation if loss.task == "regression" else "identity"
    hidden = list(o["hidden"])
    activation = o["activation"]
    activation = [activation] if isinstance(activation, str) else list(activation)
    activations = activation * len(hidden) if len(activation) == 1 else activation
    if len(activations) != len(hidden):
        raise ValueError(f"--activation needs one name or one per hidden layer "
                         f"({len(hidden)}), got {len(activation)}")
    funcs = [get_activation(f, "--activation") for f in activations]
    output = get_activation(o["output_activation"] or default_output, "--output-activation")
    try:
        loss.check_output(output, "--loss")
    except ValueError as exc:
        raise ValueError(f"{exc} (--output-activation)") from None
    seed = o["seed"]
    init_seed = seed if o["init_seed"] is None else o["init_seed"]
    shuffle_seed = seed if o["shuffle_seed"] is None else o["shuffle_seed"]
    network = Network(n_features, [*hidden, n_outputs], [*funcs, output],
                      initializer=o["initializer"], dtype=o["dtype"], seed=init_seed)
    steps = int(np.ceil(n_train / (o["batch_size"] or n_train))) if n_train else 1
    args = SimpleNamespace(**o)
    try:
        opt = optimizer(args, steps)
    except (ValueError, TypeError) as exc:
        raise _in_flag_terms(exc) from None
    # The metric of the task, whatever the loss (accuracy for classification under MSE too).
    train_kwargs = dict(epochs=o["epochs"], batch_size=o["batch_size"], l1=o["l1"], l2=o["l2"],
                        penalize_biases=bool(o["penalize_biases"]),
                        early_stopping=o["early_stopping"], patience=o["patience"],
                        min_delta=o["min_delta"], seed=shuffle_seed, engine=o["engine"],
                        device=o["device"], metric="accuracy" if classification else "r2")
    return Recipe(network, loss, opt, train_kwargs)


def check_fit(built: Recipe, X, targets, data: str, *, validation: bool = False) -> None:
    """Refuse, in the flags' terms and before any training, what ``train()`` would refuse
    about ``built`` on these data: targets that its loss does not take, and a fit that
    ``--engine jax`` cannot run (``validation``: the fit has validation data, which the
    JAX engine runs too)."""
    try:
        built.network.check_problem(X, targets, built.loss, 0.0, 0.0)
    except (ValueError, TypeError) as exc:
        detail = str(exc).removeprefix("targets: ")
        raise type(exc)(f"--loss {built.loss.name} does not fit the targets of {data}: "
                        f"{detail}") from None
    try:
        built.network.check_learnable()
    except ValueError as exc:
        raise ValueError(f"--output-activation: {exc}") from None
    engine = built.train_kwargs["engine"]
    if engine != "jax":
        return
    from ..training.paths import jax_reason, refuse_jax
    from ..training.trainer import EarlyStopping, Trainer

    kwargs = built.train_kwargs
    callbacks = ([EarlyStopping(kwargs["patience"], kwargs["min_delta"])]
                 if kwargs["early_stopping"] else [])
    trainer = Trainer(built.network, built.loss, built.optimizer, l1=kwargs["l1"],
                      l2=kwargs["l2"], penalize_biases=kwargs["penalize_biases"],
                      batch_size=kwargs["batch_size"], callbacks=callbacks,
                      verbose=0, engine=engine)
    refuse_jax(jax_reason(trainer, X), f"--engine {engine}", "run this training",
               "--engine numpy or --engine auto")


def optimizer(args, steps_per_epoch: int) -> GradientTransformation:
    """The optimizer of the options in ``args`` (attributes), with its schedule."""
    cls = OPTIMIZERS.lookup(args.optimizer, "--optimizer")
    params = cls.params()
    # a learning rate where the method takes one (L-BFGS searches its steps: --lr unused)
    kwargs = {"lr": schedule(args, steps_per_epoch)} if "lr" in params else {}
    # Each flag sets the optimizer parameter of its name, where the optimizer has one.
    for flag in ("momentum", "eps", "weight_decay"):
        value = getattr(args, flag)
        if value is not None:
            if flag not in params:
                takers = [c.name for c in OPTIMIZERS if flag in c.params()]
                raise ValueError(f"--{flag.replace('_', '-')} applies to {', '.join(takers)}, "
                                 f"not to --optimizer {args.optimizer}")
            kwargs[flag] = value
    if args.beta1 is not None or args.beta2 is not None:
        if "betas" not in params:
            takers = [c.name for c in OPTIMIZERS if "betas" in c.params()]
            raise ValueError(f"--beta1/--beta2 apply to {', '.join(takers)}, not "
                             f"{args.optimizer}")
        beta_1, beta_2 = params["betas"]
        kwargs["betas"] = (beta_1 if args.beta1 is None else args.beta1,
                           beta_2 if args.beta2 is None else args.beta2)
    opt = cls(**kwargs)
    return opt if args.clip is None else chain(ClipGradNorm(args.clip), opt)


# Options that only some schedules read (given to another, they would be ignored).
_SCHEDULE_OPTIONS = ("gamma", "step_size", "t1")


class _Reading:
    """The options of ``args`` as attributes, noting which ones are read."""

    def __init__(self, args):
        self._args, self._read = args, set()

    def __getattr__(self, name):
        self._read.add(name)
        return getattr(self._args, name)


def _readers(name: str) -> list[str]:
    """The schedules whose ``from_options`` reads the option ``name``."""
    defaults = SimpleNamespace(**TRAIN_OPTIONS)
    readers = []
    for cls in schedules.SCHEDULES:
        reading = _Reading(defaults)
        try:
            cls.from_options(0.01, reading, 1)
        except Exception:  # a schedule that the options cannot build: not a reader
            continue
        if name in reading._read:
            readers.append(cls.name)
    return readers


def schedule(args, steps_per_epoch: int) -> schedules.Schedule:
    """The learning-rate schedule of the options in ``args`` (attributes); an option of
    another schedule (``--gamma`` with ``--schedule constant``) is refused, not ignored."""
    cls = schedules.SCHEDULES.lookup(args.schedule, "--schedule")
    reading = _Reading(args)
    result = cls.from_options(args.lr, reading, steps_per_epoch)
    for name in _SCHEDULE_OPTIONS:
        if getattr(args, name) is not None and name not in reading._read:
            raise ValueError(f"{flag(name)} applies to --schedule "
                             f"{', '.join(_readers(name)) or 'none'}, not to --schedule "
                             f"{args.schedule}")
    return result if args.warmup is None else schedules.Warmup(result, args.warmup)
