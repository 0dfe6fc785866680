"""What the commands share: output paths checked before any work, the data a command
trains on (a data set or the user's file) with its flags, and the late writes that come
after the work."""

from __future__ import annotations

import argparse
import math
import os

import numpy as np

from ..core.losses import get_loss
from ..core.validation import check_output_path
from ..data.datasets import (
    DATASET_NAMES,
    has_standard_test,
    is_generated,
    load_dataset,
)
from ..io.tables import read_data
from ..optim.optimizers import OPTIMIZERS


def _check_output(path: str | None, flag: str) -> None:
    """An output file: a file name (not a folder) in a folder that exists and is writable."""
    if path:
        check_output_path(path, flag)


def check_outputs(args: argparse.Namespace, flags: dict[str, str]) -> None:
    """Every output path (``flags``: flag -> attribute) checked, and no two the same file."""
    from ..plotting import check_figure_path

    seen: dict[str, str] = {}
    for flag_, attr in flags.items():
        path = getattr(args, attr)
        if not path:
            continue
        if flag_ == "--plot":
            check_figure_path(path, "--plot")
        else:
            _check_output(path, flag_)
        real = os.path.realpath(path)
        if real in seen:
            raise ValueError(f"{seen[real]} and {flag_} name the same file, {path}")
        seen[real] = flag_


def check_data_flags(args: argparse.Namespace) -> None:
    """--dataset, --samples, --noise, --seed, --test-fraction, --validation-fraction."""
    if args.seed < 0:  # it draws the generated data sets and the splits too
        raise ValueError(f"--seed must be an integer >= 0, got {args.seed}")
    if args.data is not None:
        if args.dataset is not None:
            raise ValueError("--data and --dataset: give one (your file, or a built-in set)")
        given = [f for f, v in (("--samples", args.samples), ("--noise", args.noise))
                 if v is not None]
        if given:
            verb = "applies" if len(given) == 1 else "apply"
            raise ValueError(f"{' and '.join(given)} {verb} only to the generated data sets "
                             "(franke, runge, runge2d, polynomial), not to --data")
        if args.data_home is not None:
            raise ValueError("--data-home goes with --dataset mnist or fashion-mnist (their "
                             "files' folder), not with --data")
    else:
        for flag_, value in (("--target", args.target), ("--task", args.task),
                             ("--header", args.header)):
            if value is not None:
                raise ValueError(f"{flag_} goes with --data (your file), which is not given")
        args.dataset = args.dataset or "iris"
        _check_dataset_flags(args)
    if not 0 <= args.test_fraction < 1:
        raise ValueError(f"--test-fraction must be in [0, 1) (0: no test part), got "
                         f"{args.test_fraction}")
    if args.validation_fraction is not None and not 0 < args.validation_fraction < 1:
        raise ValueError(f"--validation-fraction must be in (0, 1), got "
                         f"{args.validation_fraction}")


def _check_dataset_flags(args: argparse.Namespace) -> None:
    """--dataset and the generators' --samples and --noise."""
    name = args.dataset.strip().lower().replace("_", "-")
    if name not in DATASET_NAMES:
        raise ValueError(f"--dataset must be one of {', '.join(DATASET_NAMES)}, got "
                         f"{args.dataset!r}")
    if not is_generated(name):
        given = [f for f, v in (("--samples", args.samples), ("--noise", args.noise))
                 if v is not None]
        if given:
            verb = "applies" if len(given) == 1 else "apply"
            raise ValueError(f"{' and '.join(given)} {verb} only to the generated data sets "
                             f"(franke, runge, runge2d, polynomial), not to --dataset {name}")
    if not has_standard_test(name) and args.data_home is not None:
        raise ValueError(f"--data-home applies only to mnist and fashion-mnist (the folder of "
                         f"their IDX files), not to --dataset {name}")
    if has_standard_test(name) and args.test_fraction:
        raise ValueError(f"--test-fraction: {name} comes with its standard test part (the "
                         "t10k files), on which the test metrics are reported; leave "
                         "--test-fraction out")
    if args.samples is not None and args.samples < 1:
        raise ValueError(f"--samples must be a positive integer, got {args.samples}")
    if args.noise is not None and not (math.isfinite(args.noise) and args.noise >= 0):
        raise ValueError(f"--noise must be a finite number >= 0, got {args.noise}")


class Data:
    """The data of a command: the :class:`~ffnn.data.datasets.Dataset`, its feature names when
    known, its target's name, and how messages name it (``--dataset iris``)."""

    def __init__(self, args: argparse.Namespace):
        if args.data is None:
            options = {"n_samples": args.samples, "noise": args.noise}
            options = {k: v for k, v in options.items() if v is not None}
            if is_generated(args.dataset):
                options["seed"] = args.seed
            if args.data_home is not None:
                if os.path.exists(args.data_home) and not os.path.isdir(args.data_home):
                    raise ValueError(f"--data-home {args.data_home}: not a folder (the folder "
                                     f"of {args.dataset}'s four IDX files)")
                options["data_home"] = args.data_home
            try:
                self.dataset = load_dataset(args.dataset, **options)
            except OSError as exc:
                if args.data_home is None or not exc.strerror:  # ours: a sentence already
                    raise
                raise OSError(f"--data-home {args.data_home}: {os_error_words(exc)}") from None
            self.feature_names, self.target = self.dataset.feature_names, None
            self.flag = f"--dataset {self.dataset.name}"
        else:
            file = read_data(args.data, target=args.target, header=args.header)
            task = args.task
            if task is None and args.loss is not None and \
                    get_loss(args.loss, "--loss").task != "classification":
                task = "regression"  # --loss mse or poisson: counts are values, not classes
            self.dataset = file.dataset(task)
            self.feature_names, self.target = file.feature_names, file.target
            self.flag = f"--data {args.data}"

    @property
    def described(self) -> str:
        """``iris`` or ``file.csv (target 'species': classification, 3 classes)``."""
        data = self.dataset
        if self.target is None:
            return data.name
        kind = (f"{len(data.classes)} classes" if data.task == "classification"
                else "regression")
        return f"{data.name} (target {self.target!r}: {kind})"


class Stopped(KeyboardInterrupt):
    """Ctrl-C, with what the command line says about it (one line, exit status 130)."""


def late(flag_: str, path: str, write, kept: str) -> None:
    """A figure written after the work: any failure is one line saying what was kept."""
    try:
        write()
    except Exception as exc:
        detail = " ".join(f"{type(exc).__name__}: {exc}".split())
        raise OSError(f"{flag_}: could not write {path} ({detail})"
                      + (f"; {kept}" if kept else "")) from None


def os_error_words(exc: OSError) -> str:
    """An operating system's error in words, without its number: ``no such file or
    directory: 'x/y'``."""
    words = (exc.strerror or str(exc)).rstrip(".")
    words = words[:1].lower() + words[1:]
    return f"{words}: {exc.filename!r}" if exc.filename is not None else words


# -- each data set's own settings (ffnn train --dataset NAME) ------------------------------------

_IMAGES = {"hidden": [100], "activation": ["relu"], "optimizer": "adam", "lr": 1e-3,
           "batch_size": 64, "epochs": 10}
_TABLE = {"standardize": True, "test_fraction": 0.2, "activation": ["relu"],
          "optimizer": "adam", "lr": 1e-3, "batch_size": 32}
_CURVE = {"test_fraction": 0.2, "hidden": [30, 30], "activation": ["tanh"],
          "optimizer": "adam", "lr": 0.01, "batch_size": 32, "epochs": 300}

#: What ``ffnn train --dataset NAME`` trains with where the user gives no option of a kind
#: (iris has none: its plain defaults are the notebook's network). MNIST follows the
#: course's 2025 project (examples/project2_2025.py: one ReLU layer of 100, Adam at 1e-3,
#: batches of 64, 10 epochs; its pixels are already in [0, 1]); the tables are standardized
#: (their columns' scales differ by up to 10⁵) with a test part, Adam and mini-batches; the
#: generated curves (inputs in [-1, 1] or [0, 1]) have two tanh layers of 30, Adam at 0.01
#: (test R² 0.92 to 1.00 in 4 s; the project's one sigmoid layer of 50 needs 1000 epochs
#: for Runge's 0.92). Tables: test accuracy 0.97 (breast cancer, digits), 1.00 (wine).
DATASET_DEFAULTS: dict[str, dict[str, object]] = {
    "breast-cancer": {**_TABLE, "hidden": [16], "epochs": 50},
    "digits": {**_TABLE, "hidden": [64], "epochs": 30},
    "wine": {**_TABLE, "hidden": [16], "batch_size": 16, "epochs": 100},
    "mnist": _IMAGES,
    "fashion-mnist": _IMAGES,
    "franke": _CURVE,
    "runge": _CURVE,
    "runge2d": _CURVE,
    "polynomial": _CURVE,
}

_ORDER = ("standardize", "test_fraction", "hidden", "activation", "optimizer", "lr",
          "batch_size", "epochs")

#: Options that go together: giving one leaves the others at the plain defaults (a data
#: set's activation is chosen for its layers, its lr for its optimizer, and an optimizer's
#: own flag, --momentum say, asks for an optimizer of the user's choosing).
_PAIRS = (("hidden", "activation"),
          ("optimizer", "lr", "momentum", "beta1", "beta2", "eps", "weight_decay"))


def defaults_words(values: dict[str, object]) -> str:
    """Options as the command line writes them: ``--hidden 16 --optimizer adam ...``."""
    words = []
    for name in sorted(values, key=lambda k: _ORDER.index(k) if k in _ORDER else len(_ORDER)):
        value = values[name]
        flag_ = "--" + name.replace("_", "-")
        if value is True:
            words.append(flag_)
        elif isinstance(value, list):
            words.append(f"{flag_} {','.join(map(str, value))}")
        else:
            words.append(f"{flag_} {value:g}" if isinstance(value, float) else
                         f"{flag_} {value}")
    return " ".join(words)


def apply_dataset_defaults(args: argparse.Namespace) -> dict[str, object]:
    """Set ``--dataset``'s own settings (:data:`DATASET_DEFAULTS`) on ``args`` for the
    options the command line did not give (``args.given``, the options it named; a
    namespace without it is taken as it is); returns those set, by option."""
    given = getattr(args, "given", None)
    if args.data is not None or given is None:
        return {}
    name = args.dataset.strip().lower().replace("_", "-")
    settings = DATASET_DEFAULTS.get(name, {})
    settings = {k: settings[k] for k in _ORDER if k in settings}  # --help's order
    taken = set(given)
    for pair in _PAIRS:
        if taken & set(pair):
            taken |= set(pair)
    optimizer = OPTIMIZERS.find(getattr(args, "optimizer", None))
    if "optimizer" in taken and optimizer is not None and optimizer.full_batch:
        taken.add("batch_size")  # L-BFGS takes the whole data set: no mini-batches
    applied = {k: v for k, v in settings.items() if k not in taken}
    for k, v in applied.items():
        setattr(args, k, list(v) if isinstance(v, list) else v)
    return applied


def scale_note(X, feature_names) -> str | None:
    """A note when the features look unscaled, for a run without ``--standardize``.

    The rule: some column's typical size, its root mean square ``sqrt(mean(x²))`` (spread
    and offset alike: a column of years near 2000 is large), is over 10 times the smallest
    column's, that one counted as at least 1. Glorot's initial weights are made for inputs
    of size about 1; inputs of size 10 and more saturate sigmoid and tanh units from the
    start, and a first-layer gradient grows with its input, so one learning rate cannot
    suit columns of sizes far apart (wine's proline is ~800, its hue ~1: accuracy 0.37).
    Counting small columns as 1 keeps data scaled into [0, 1] quiet, such as MNIST's
    pixels, whose border columns are nearly empty, and iris (sizes 1.4 to 5.9).

    Parameters
    ----------
    X : ndarray or sparse matrix, shape (n_samples, n_features)
        The training features.
    feature_names : sequence of str, length n_features, or None

    Returns
    -------
    str or None
        The note, one line; None when the sizes are alike.
    """
    if X.shape[0] == 0 or X.shape[1] == 0:
        return None
    if hasattr(X, "multiply"):  # SciPy sparse: no dense copy
        sizes = np.sqrt(np.asarray(X.multiply(X).mean(axis=0), dtype=np.float64).ravel())
    else:
        sizes = np.sqrt(np.mean(np.square(X, dtype=np.float64), axis=0))
    if not np.isfinite(sizes).all():
        return None
    big, small = int(np.argmax(sizes)), int(np.argmin(sizes))
    if sizes[big] <= 10 * max(1.0, sizes[small]):
        return None

    def named(j: int) -> str:
        return repr(feature_names[j]) if feature_names is not None else f"column {j}"

    return (f"the features' sizes differ widely ({named(big)} is typically "
            f"{sizes[big]:.3g}, {named(small)} {sizes[small]:.3g}), which slows or stops "
            "learning: --standardize scales each to mean 0 and std 1")
