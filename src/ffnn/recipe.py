"""Training options, by the names of ``ffnn train``'s flags, turned into a network, a loss, an
optimizer and the arguments of :func:`ffnn.train`.

One recipe serves the command line and sweeps, so that ``--grid lr=0.01,0.1`` means exactly
what ``--lr 0.01`` means. Options are a mapping with the flags' names in snake case
(``batch_size`` for ``--batch-size``); :data:`TRAIN_OPTIONS` holds every name with its
default.
"""

from __future__ import annotations

import numbers
from collections.abc import Mapping
from dataclasses import dataclass
from types import SimpleNamespace

import numpy as np

from . import schedules
from .losses import BinaryCrossEntropy, Loss, get_loss
from .network import Network
from .optimizers import (
    OPTIMIZERS,
    ClipGradNorm,
    GradientTransformation,
    chain,
)
from .schedules import SCHEDULE_NAMES

__all__ = ["TRAIN_OPTIONS", "SCHEDULE_NAMES", "Recipe", "build", "check_options",
           "default_loss", "binary_targets", "normalize"]


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
    "epochs": 5000, "batch_size": None, "l1": 0.0, "l2": 0.0, "early_stopping": False,
    "patience": 10, "min_delta": 0.0, "seed": 0, "init_seed": None, "shuffle_seed": None,
    "engine": "auto",
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
    if isinstance(loss, BinaryCrossEntropy) and targets.shape[1] == 2:
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
    loss = default_loss(o, classification)
    default_output = ("sigmoid" if isinstance(loss, BinaryCrossEntropy) else "softmax") \
        if classification else "identity"
    hidden = list(o["hidden"])
    activation = o["activation"]
    activation = [activation] if isinstance(activation, str) else list(activation)
    activations = activation * len(hidden) if len(activation) == 1 else activation
    if len(activations) != len(hidden):
        raise ValueError(f"--activation needs one name or one per hidden layer "
                         f"({len(hidden)}), got {len(activation)}")
    seed = o["seed"]
    init_seed = seed if o["init_seed"] is None else o["init_seed"]
    shuffle_seed = seed if o["shuffle_seed"] is None else o["shuffle_seed"]
    network = Network(n_features, [*hidden, n_outputs],
                      [*activations, o["output_activation"] or default_output],
                      initializer=o["initializer"], dtype=o["dtype"], seed=init_seed)
    steps = int(np.ceil(n_train / (o["batch_size"] or n_train))) if n_train else 1
    args = SimpleNamespace(**o)
    train_kwargs = dict(epochs=o["epochs"], batch_size=o["batch_size"], l1=o["l1"], l2=o["l2"],
                        early_stopping=o["early_stopping"], patience=o["patience"],
                        min_delta=o["min_delta"], seed=shuffle_seed, engine=o["engine"])
    return Recipe(network, loss, optimizer(args, steps), train_kwargs)


def optimizer(args, steps_per_epoch: int) -> GradientTransformation:
    """The optimizer of the options in ``args`` (attributes), with its schedule."""
    cls = OPTIMIZERS.lookup(args.optimizer, "--optimizer")
    kwargs = {"lr": schedule(args, steps_per_epoch)}
    params = cls.params()
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


def schedule(args, steps_per_epoch: int) -> schedules.Schedule:
    """The learning-rate schedule of the options in ``args`` (attributes)."""
    cls = schedules.SCHEDULES.lookup(args.schedule, "--schedule")
    result = cls.from_options(args.lr, args, steps_per_epoch)
    return result if args.warmup is None else schedules.Warmup(result, args.warmup)
