"""What the commands share: output paths checked before any work, the data a command
trains on (a data set or the user's file) with its flags, and the late writes that come
after the work."""

from __future__ import annotations

import argparse
import math
import os

from ..core.losses import get_loss
from ..core.validation import check_output_path
from ..data.datasets import (
    DATASET_NAMES,
    has_standard_test,
    is_generated,
    load_dataset,
)
from ..io.tables import read_data


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
                options["data_home"] = args.data_home
            self.dataset = load_dataset(args.dataset, **options)
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
