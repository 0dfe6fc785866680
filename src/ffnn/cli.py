"""The ``ffnn`` command line.

``ffnn iris``
    Builds the notebook's iris network (4 → 8 sigmoid → 3 softmax), prints its shapes, its
    cross-entropy cost on iris and a gradient check.
``ffnn gradcheck``
    Checks backpropagation of a network given by options on random data and prints the table.
``ffnn train``
    Trains a network on one of the course's data sets; with no options, the notebook's study
    (iris, 4 → 8 sigmoid → 3 softmax, cross-entropy, full-batch GD, 5000 epochs, no split).
``ffnn sweep``
    Trains a grid of configurations (``--grid lr=0.001,0.01``), here or on a Dask cluster,
    with ``ffnn train``'s options; results as JSON lines, a heatmap.

Bad options end with one line on stderr and exit status 2, never a traceback: everything that
can be checked (options and their combinations, output paths, the recipe against the data) is
checked before the first line of output and any training. Ctrl-C ends a command with one line
on stderr and exit status 130: ``ffnn train`` then writes nothing (no --save, no --plot), and
``ffnn sweep`` keeps every finished run in --out (--resume runs the rest). Output written after
the work (a figure) that still fails comes after what was computed (the model, the results).
"""

from __future__ import annotations

import argparse
import contextlib
import io
import logging
import math
import os
import signal
import sys
import threading
import warnings
from collections.abc import Sequence

import numpy as np

from . import recipe
from ._validation import check_output_path
from .activations import ACTIVATION_NAMES
from .datafiles import read_data
from .datasets import (
    DATASET_NAMES,
    has_standard_test,
    is_generated,
    load_dataset,
    load_iris,
    one_hot,
    split,
    standardize,
)
from .gradcheck import gradcheck
from .losses import LOSS_NAMES, BinaryCrossEntropy, CrossEntropy, Poisson, get_loss
from .model import Model
from .network import INITIALIZERS, Network
from .optimizers import OPTIMIZER_NAMES
from .paths import ENGINES
from .schedules import SCHEDULE_NAMES
from .training import FallbackWarning, accuracy, r2, train


class _Parser(argparse.ArgumentParser):
    """argparse, with errors on one line (no usage block)."""

    def error(self, message):
        self.exit(2, f"{self.prog}: error: {message}\n")


def _int_list(text: str) -> list[int]:
    try:
        return [int(part) for part in text.split(",")]
    except ValueError:
        raise argparse.ArgumentTypeError(
            f"expected comma-separated integers such as 8,3, got {text!r}"
        ) from None


def _name_list(text: str) -> list[str]:
    return [part.strip() for part in text.split(",")]


def _add_network_options(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--initializer", choices=list(INITIALIZERS), default="glorot",
                        help="weight initialisation (default: %(default)s)")
    parser.add_argument("--dtype", choices=["float64", "float32"], default="float64",
                        help="parameter and computation dtype (default: %(default)s)")
    parser.add_argument("--seed", type=int, default=0,
                        help="seed of the initial weights and the data (default: %(default)s)")


def build_parser() -> argparse.ArgumentParser:
    from . import __version__

    parser = _Parser(
        prog="ffnn", description="Feed-forward neural networks with backpropagation by hand."
    )
    parser.add_argument("--version", action="version", version=f"ffnn {__version__}")
    commands = parser.add_subparsers(dest="command", parser_class=_Parser)

    iris = commands.add_parser(
        "iris", help="the notebook's iris network: shapes, cost and a gradient check"
    )
    _add_network_options(iris)

    check = commands.add_parser(
        "gradcheck", help="check backpropagation against autograd and finite differences"
    )
    check.add_argument("--input-size", type=int, default=4, help="number of input features")
    check.add_argument("--hidden", type=_int_list, default=None,
                       help="hidden layer sizes, as ffnn train spells them (default: 8)")
    check.add_argument("--activation", type=_name_list, default=None,
                       help="hidden activation(s), one for all or one per layer, as ffnn "
                            f"train ({', '.join(ACTIVATION_NAMES)}; default: sigmoid)")
    check.add_argument("--output-activation", default=None,
                       help="default: softmax after cross_entropy, sigmoid after "
                            "binary_cross_entropy, exp after poisson, identity after mse")
    check.add_argument("--outputs", type=int, default=None,
                       help="output size (default: 3, or 1 after binary_cross_entropy)")
    check.add_argument("--layers", type=_int_list, default=None,
                       help="instead of --hidden/--outputs: every layer's size, the output "
                            "last (e.g. 16,8,1)")
    check.add_argument("--activations", type=_name_list, default=None,
                       help="with --layers: every layer's activation, or one for all")
    check.add_argument("--loss", default="cross_entropy",
                       help=f"{', '.join(LOSS_NAMES)} (default: %(default)s)")
    check.add_argument("--samples", type=int, default=16,
                       help="number of random samples (default: %(default)s)")
    check.add_argument("--l1", type=float, default=0.0, help="L1 penalty (default: 0)")
    check.add_argument("--l2", type=float, default=0.0, help="L2 penalty (default: 0)")
    check.add_argument("--penalize-biases", action="store_true",
                       help="the penalties cover the biases too (default: weights only)")
    check.add_argument("--step", type=float, default=None,
                       help="relative finite-difference step (default: the first of 1e-4, "
                            "1e-6, 1e-8 that keeps clear of kinks)")
    _add_network_options(check)
    _add_train_parser(commands)
    _add_sweep_parser(commands)
    _add_model_parsers(commands)
    return parser


def _add_model_parsers(commands) -> None:
    """``ffnn predict`` and ``ffnn evaluate``: a saved model on a data file."""
    predict = commands.add_parser(
        "predict", help="predict with a saved model on a data file",
        description="Predict with a model file (ffnn train --save, an estimator's save) on "
                    "a CSV file with a header row or an .npz file with X. The model's own "
                    "standardisation is applied; CSV columns are matched by the feature "
                    "names the model was trained with (other columns are ignored).",
        epilog="Example: ffnn train --data flowers.csv --target species --standardize "
               "--save model.npz && ffnn predict model.npz --data new.csv --out labels.csv")
    evaluate = commands.add_parser(
        "evaluate", help="score a saved model on labelled data (metrics, confusion matrix)",
        description="Score a model file on a CSV file with a header row (features and the "
                    "target) or an .npz file with X and y: loss and accuracy with a "
                    "confusion matrix and per-class precision and recall for a classifier; "
                    "loss, MSE, MAE and R² for a regressor.")
    for p in (predict, evaluate):
        p.add_argument("model", metavar="MODEL", help="the model file (.npz)")
        p.add_argument("--data", metavar="FILE", required=True,
                       help="a CSV file with a header row, or an .npz file with X (and y)")
        p.add_argument("--target", metavar="COLUMN", default=None,
                       help="the target column or array (default: the model's target, or "
                            "the one column that is not a feature)")
    predict.add_argument("--out", metavar="FILE", default=None,
                         help="write the predictions as CSV (default: print them)")
    predict.add_argument("--proba", action="store_true",
                         help="also each class's probability (classifiers)")
    evaluate.add_argument("--plot", metavar="FILE", default=None,
                          help="write the confusion matrix as a figure (classifiers; the "
                               "format follows the extension, e.g. .png; the plot extra)")


def _add_sweep_parser(commands) -> None:
    p = commands.add_parser(
        "sweep", help="train a grid (or a random search) of configurations; heatmaps",
        description="Train every configuration of a grid over ffnn train's options, on one "
                    "machine or a Dask cluster, writing each finished run to --out at once. "
                    "Every option of ffnn train sets what the runs share.",
        epilog="Example: ffnn sweep --dataset breast-cancer --standardize --hidden 50 "
               "--epochs 60 --batch-size 32 --grid lr=0.001,0.01,0.1 --grid l2=0,0.001,0.01 "
               "--out runs.jsonl --plot heatmap.png",
    )
    _add_training_options(p, sweep=True)
    s = p.add_argument_group("sweep")
    s.add_argument("--grid", action="append", default=[], metavar="NAME=VALUES",
                   help="an option and its values: lr=0.001,0.01 or lr=logspace:-5:1:7 "
                        "(also linspace:START:STOP:NUM); list-valued options separate values "
                        "with '/': hidden=50/50,50/none. Repeat for more options")
    s.add_argument("--random", type=int, default=None, metavar="N",
                   help="random search: N points, each option drawn from its --grid values "
                        "(or loguniform:LOW:HIGH, uniform:LOW:HIGH)")
    s.add_argument("--seeds", type=_int_list, default=None,
                   help="run each configuration once per seed (default: --seed)")
    s.add_argument("--folds", type=int, default=None,
                   help="k-fold cross-validation instead of one --validation-fraction")
    s.add_argument("--scoring", default=None,
                   help="the validation metric that ranks configurations: accuracy, r2, mse, "
                        "loss (default: accuracy or r2)")
    s.add_argument("--n-jobs", type=int, default=None,
                   help="local worker processes (default: all cores; 1: in this process)")
    s.add_argument("--scheduler", default=None, metavar="ADDRESS",
                   help="run on a Dask cluster: the scheduler's address, tcp://host:8786")
    s.add_argument("--timeout", type=float, default=10.0,
                   help="seconds to wait for the scheduler (default: %(default)s)")
    s.add_argument("--out", default=None, metavar="FILE",
                   help="results file (JSON lines), one line per finished run; locked while "
                        "the sweep runs (a second sweep on it is refused); a file that is not "
                        "a results file is never overwritten. Ctrl-C keeps the finished runs")
    s.add_argument("--resume", action="store_true",
                   help="continue the sweep in --out (after Ctrl-C, say): runs already there "
                        "are skipped, the others run; the table is that of an uninterrupted "
                        "sweep")
    s.add_argument("--no-stack", action="store_true",
                   help="train every run alone, not runs that differ only in lr, l1, l2, "
                        "momentum, beta1, beta2, eps, weight decay and initial seed as stacks")
    s.add_argument("--csv", default=None, metavar="FILE", help="also write the table as CSV")
    s.add_argument("--plot", default=None, metavar="FILE",
                   help="heatmap of two swept options against the scoring metric; the format "
                        "follows the extension (.png, .pdf, .svg, ...); written last")
    s.add_argument("--plot-x", default=None, help="heatmap columns (default: the first "
                   "--grid option; layers or nodes when hidden is swept)")
    s.add_argument("--plot-y", default=None, help="heatmap rows (default: the second)")
    s.add_argument("--plot-metric", default=None,
                   help="heatmap metric (default: val_ of --scoring; test_accuracy, ...)")


def _add_train_parser(commands) -> None:
    p = commands.add_parser(
        "train", help="train a network (no options: the notebook's iris study)",
        description="Train a network on one of the course's data sets. With no options: iris, "
                    "4 -> 8 sigmoid -> 3 softmax, cross-entropy, full-batch GD at lr 0.01, "
                    "5000 epochs, no split, as the notebook.",
    )
    _add_training_options(p)
    out = p.add_argument_group("output")
    out.add_argument("--plot", metavar="FILE", default=None,
                     help="write loss and metric curves as an image; the format follows the "
                          "extension (.png, .pdf, .svg, ...); written after --save")
    out.add_argument("--save", metavar="FILE", default=None,
                     help="write the trained model (an ffnn model file, .npz; ffnn.load) when "
                          "training ends; Ctrl-C (exit status 130) writes nothing, neither "
                          "--save nor --plot, and says so")


def _add_training_options(p: argparse.ArgumentParser, *, sweep: bool = False) -> None:
    """The data, network, optimizer and training options of ``ffnn train`` (and sweep)."""
    data = p.add_argument_group("data")
    data.add_argument("--dataset", default=None, help=f"{', '.join(DATASET_NAMES)} "
                      "(default: iris)")
    data.add_argument("--data", metavar="FILE", default=None,
                      help="your own data instead of --dataset: a CSV file with a header row "
                           "or an .npz file with arrays X and y")
    data.add_argument("--target", metavar="COLUMN", default=None,
                      help="with --data: the target column (default: the last) or array "
                           "(default: y)")
    data.add_argument("--task", choices=("classification", "regression"), default=None,
                      help="with --data: what to learn (default: classes for names or whole "
                           "numbers, regression for numbers with a decimal point)")
    data.add_argument("--test-fraction", type=float, default=0.0,
                      help="hold out this share for testing, stratified for classification "
                           "(default: 0, no split; mnist and fashion-mnist have their own)")
    data.add_argument("--validation-fraction", type=float, default=0.2 if sweep else None,
                      help="hold out this share of the training part for validation"
                           + (" (default: 0.2; see --folds)" if sweep else ""))
    data.add_argument("--standardize", action="store_true",
                      help="scale features to mean 0 and std 1, fitted on the training part")
    data.add_argument("--samples", type=int, default=None,
                      help="samples to generate (franke, runge, runge2d, polynomial)")
    data.add_argument("--noise", type=float, default=None,
                      help="noise std (franke, runge, runge2d, polynomial)")
    data.add_argument("--data-home", metavar="DIR", default=None,
                      help="mnist, fashion-mnist: the folder of the four IDX files (or its "
                           "subfolder mnist, fashion-mnist); fetched from OpenML into it when "
                           "they are not there (default: scikit-learn's data home)")
    net = p.add_argument_group("network")
    net.add_argument("--hidden", type=_int_list_or_none, default=[8],
                     help="comma-separated hidden layer sizes, or 'none' (default: 8)")
    net.add_argument("--activation", type=_name_list, default=["sigmoid"],
                     help="hidden activation(s), one for all or one per layer "
                          f"({', '.join(ACTIVATION_NAMES)}; default: sigmoid)")
    net.add_argument("--output-activation", default=None,
                     help="default: softmax for classification, identity for regression")
    net.add_argument("--loss", default=None,
                     help="default: cross_entropy for classification, mse for regression "
                          "(binary_cross_entropy with a sigmoid output for two classes)")
    net.add_argument("--initializer", choices=list(INITIALIZERS), default="glorot",
                     help="weight initialisation (default: %(default)s)")
    net.add_argument("--dtype", choices=["float64", "float32"], default="float64")
    opt = p.add_argument_group("optimizer")
    opt.add_argument("--optimizer", default="sgd",
                     help=f"{', '.join(OPTIMIZER_NAMES)} (default: %(default)s)")
    opt.add_argument("--lr", type=float, default=0.01, help="learning rate (default: 0.01)")
    opt.add_argument("--momentum", type=float, default=None,
                     help="momentum (momentum, nesterov, adagrad)")
    opt.add_argument("--beta1", type=float, default=None, help="Adam's beta_1")
    opt.add_argument("--beta2", type=float, default=None, help="Adam's beta_2")
    opt.add_argument("--eps", type=float, default=None, help="epsilon (adagrad, rmsprop, adam)")
    opt.add_argument("--weight-decay", type=float, default=None,
                     help="decoupled weight decay (adamw)")
    opt.add_argument("--clip", type=float, default=None, help="clip the gradient norm to this")
    opt.add_argument("--schedule", default="constant",
                     help=f"{', '.join(SCHEDULE_NAMES)} (default: %(default)s)")
    opt.add_argument("--gamma", type=float, default=None,
                     help="decay factor (exponential: per step; step: per --step-size steps)")
    opt.add_argument("--step-size", type=int, default=None, help="steps between step decays")
    opt.add_argument("--t1", type=float, default=None,
                     help="inverse-time: lr (t1 / (t + t1)); default 50")
    opt.add_argument("--warmup", type=int, default=None, help="linear warm-up steps")
    opt.add_argument("--plateau-patience", type=int, default=10,
                     help="plateau: epochs without improvement before the lr drops")
    run = p.add_argument_group("training")
    run.add_argument("--epochs", type=int, default=5000, help="(default: %(default)s)")
    run.add_argument("--batch-size", type=int, default=None,
                     help="mini-batch size (default: the full batch)")
    run.add_argument("--l1", type=float, default=0.0, help="L1 penalty (default: 0)")
    run.add_argument("--l2", type=float, default=0.0, help="L2 penalty (default: 0)")
    run.add_argument("--penalize-biases", action="store_true",
                     help="the L1/L2 penalties cover the biases too, as the weights (default: "
                          "weights only)")
    run.add_argument("--early-stopping", action="store_true",
                     help="stop when the validation (or training) loss stalls")
    run.add_argument("--patience", type=int, default=10, help="early-stopping patience")
    run.add_argument("--min-delta", type=float, default=0.0, help="early-stopping tolerance")
    run.add_argument("--seed", type=int, default=0,
                     help="seed of initialisation, shuffling and splits (default: 0)")
    run.add_argument("--init-seed", type=int, default=None, help="initialisation seed only")
    run.add_argument("--shuffle-seed", type=int, default=None, help="shuffling seed only")
    run.add_argument("--quiet", action="store_true", help="no progress bar")
    run.add_argument("--engine", choices=ENGINES, default="auto",
                     help="the NumPy engine, the JAX engine (the same formulas compiled by "
                          "XLA; the 'fast' extra), or auto: JAX where it is installed, "
                          "runs the training and the training pays for compiling (default)")
    run.add_argument("--device", choices=("cpu", "gpu"), default=None,
                     help="where the JAX engine trains (default: JAX's default device; "
                          "'gpu' needs JAX for CUDA, see the README)")


def _int_list_or_none(text: str) -> list[int]:
    return [] if text.strip().lower() in ("none", "") else _int_list(text)


def _run_iris(args: argparse.Namespace) -> int:
    X, targets = load_iris()
    network = Network(4, [8, 3], ["sigmoid", "softmax"], initializer=args.initializer,
                      dtype=args.dtype, seed=args.seed)
    print("The notebook's iris network")
    print(f"  {network}")
    for i, (W, b) in enumerate(network.layers, start=1):
        print(f"  layer {i}: W {W.shape}, b {b.shape}, {network.activation_funcs[i - 1].name}")
    print(f"data: X {X.shape}, targets {targets.shape} (iris, one-hot)")
    cost = network.cost(X, targets, "cross_entropy")
    accuracy = np.mean(network.predict(X).argmax(axis=1) == targets.argmax(axis=1))
    print(f"cross-entropy cost (untrained): {cost:.6f}")
    print(f"accuracy (untrained): {accuracy:.3f}")
    layer_grads = network.backprop(X, targets, "cross_entropy")
    for i, (dC_dW, dC_db) in enumerate(layer_grads, start=1):
        print(f"  layer {i}: |dC_dW| = {np.linalg.norm(dC_dW):.6f}, "
              f"|dC_db| = {np.linalg.norm(dC_db):.6f}")
    print("gradient check on all 150 samples:")
    result = gradcheck(network, X, targets, "cross_entropy")
    print(result.table())
    return 0 if result.passed else 1


def _random_problem(args: argparse.Namespace, loss, n_outputs: int):
    rng = np.random.default_rng(args.seed)
    X = rng.standard_normal((args.samples, args.input_size))
    if isinstance(loss, CrossEntropy):
        targets = one_hot(rng.integers(0, n_outputs, args.samples), n_outputs)
    elif isinstance(loss, BinaryCrossEntropy):
        targets = rng.integers(0, 2, (args.samples, n_outputs)).astype(float)
    elif isinstance(loss, Poisson):
        targets = rng.poisson(1.0, (args.samples, n_outputs)).astype(float)
    else:
        targets = rng.standard_normal((args.samples, n_outputs))
    return X, targets


def _gradcheck_layers(args: argparse.Namespace, loss) -> tuple[list[int], list[str]]:
    """The network's sizes and activations: ffnn train's spelling (--hidden, --activation,
    --output-activation, --outputs) or every layer at once (--layers, --activations)."""
    train_style = [flag for flag, value in (
        ("--hidden", args.hidden), ("--activation", args.activation),
        ("--output-activation", args.output_activation), ("--outputs", args.outputs))
        if value is not None]
    if args.layers is not None or args.activations is not None:
        if train_style:
            raise ValueError(f"--layers/--activations describe every layer; drop "
                             f"{', '.join(train_style)} (or use those instead)")
        layers = args.layers or [8, 3]
        activations = args.activations or ["sigmoid", "softmax"]
        return layers, activations * len(layers) if len(activations) == 1 else activations
    hidden = [8] if args.hidden is None else args.hidden
    activation = args.activation or ["sigmoid"]
    if len(activation) not in (1, len(hidden)):
        raise ValueError(f"--activation needs one name or one per hidden layer "
                         f"({len(hidden)}), got {len(activation)}")
    binary = isinstance(loss, BinaryCrossEntropy)
    # the output the loss is made for (its fused pair), identity after mse
    output = args.output_activation or (
        loss.fused_activation.name if loss.fused_activation is not None else "identity")
    outputs = args.outputs if args.outputs is not None else (1 if binary else 3)
    if outputs < 1:
        raise ValueError(f"--outputs must be a positive integer, got {outputs}")
    return [*hidden, outputs], [*(activation * len(hidden) if len(activation) == 1
                                  else activation), output]


def _run_gradcheck(args: argparse.Namespace) -> int:
    loss = get_loss(args.loss, "--loss")
    layers, activations = _gradcheck_layers(args, loss)
    network = Network(args.input_size, layers, activations, initializer=args.initializer,
                      dtype=args.dtype, seed=args.seed)
    if args.samples < 1:
        raise ValueError(f"--samples must be at least 1, got {args.samples}")
    X, targets = _random_problem(args, loss, network.n_outputs)
    result = gradcheck(network, X, targets, loss, l1=args.l1, l2=args.l2,
                       penalize_biases=args.penalize_biases, step=args.step)
    print(f"{network}, {loss.name} loss, {args.samples} random samples, "
          f"l1={args.l1:g}, l2={args.l2:g}"
          + (" (weights and biases)" if args.penalize_biases else ""))
    print(result.table())
    return 0 if result.passed else 1


def _check_output(path: str | None, flag: str) -> None:
    """An output file: a file name (not a folder) in a folder that exists and is writable."""
    if path:
        check_output_path(path, flag)


def _check_outputs(args: argparse.Namespace, flags: dict[str, str]) -> None:
    """Every output path (``flags``: flag -> attribute) checked, and no two the same file."""
    from .plotting import check_figure_path

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


def _check_data_flags(args: argparse.Namespace) -> None:
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
        for flag_, value in (("--target", args.target), ("--task", args.task)):
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


class _Data:
    """The data of a command: the :class:`~ffnn.datasets.Dataset`, its feature names when
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
            file = read_data(args.data, target=args.target)
            task = args.task
            if task is None and args.loss is not None and not isinstance(
                    get_loss(args.loss, "--loss"), (CrossEntropy, BinaryCrossEntropy)):
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


class _Stopped(KeyboardInterrupt):
    """Ctrl-C, with what the command line says about it (one line, exit status 130)."""


def _run_train(args: argparse.Namespace) -> int:
    # Everything that can fail is checked before the header: flags, output paths, the
    # recipe, the targets against the loss and what --engine jax cannot run.
    _check_data_flags(args)
    _check_outputs(args, {"--save": "save", "--plot": "plot"})
    if args.plot and args.epochs == 0:
        raise ValueError("--plot: there are no curves to draw with --epochs 0")
    source = _Data(args)
    data = source.dataset
    classification = data.task == "classification"
    options = {k: v for k, v in vars(args).items() if k in recipe.TRAIN_OPTIONS}
    loss = recipe.default_loss(options, classification)
    X, targets = data.X, recipe.binary_targets(loss, data.targets)
    if args.test_fraction:
        X, X_test, targets, targets_test = split(
            X, targets, args.test_fraction, stratify=classification, seed=args.seed
        )
    elif data.X_test is not None:  # mnist's own test part (--test-fraction is refused)
        X_test, targets_test = data.X_test, recipe.binary_targets(loss, data.targets_test)
    else:
        X_test = targets_test = None
    scaler = None
    if args.standardize:
        X, *rest, scaler = standardize(X, *([] if X_test is None else [X_test]))
        X_test = rest[0] if X_test is not None else None
    n_train = X.shape[0] if not args.validation_fraction else \
        X.shape[0] - int(np.ceil(X.shape[0] * args.validation_fraction))
    if n_train < 1:
        raise ValueError(f"--validation-fraction {args.validation_fraction} leaves no "
                         f"training samples of {X.shape[0]}")
    built = recipe.build(options, X.shape[1], targets.shape[1], classification, n_train)
    recipe.check_fit(built, X, targets, source.flag,
                     validation=args.validation_fraction is not None)
    network, optimizer, metric = built.network, built.optimizer, built.train_kwargs["metric"]
    print(f"data: {source.described}, {X.shape[0]} training samples"
          + (f", {X_test.shape[0]} test samples" if X_test is not None else ", no test split")
          + (" (its standard test part)" if data.X_test is not None else "")
          + (", standardized" if args.standardize else ""))
    print(f"network: {network}")
    print(f"training: {optimizer}, {loss.name}, "
          f"{'full batch' if args.batch_size is None else f'batch {args.batch_size}'}, "
          f"{args.epochs} epochs, l1={args.l1:g}, l2={args.l2:g}"
          + (" (weights and biases)" if args.penalize_biases else "")
          + f", seed {args.seed}", flush=True)
    # Said below, in the run's own words: the fallback, and the stop message that train()
    # prints beside its progress bar (on Ctrl-C it would say the weights are kept).
    with warnings.catch_warnings(), contextlib.redirect_stdout(io.StringIO()):
        warnings.simplefilter("ignore", FallbackWarning)
        history = train(
            network, X, targets, loss, optimizer=optimizer,
            validation_fraction=args.validation_fraction,
            verbose=0 if args.quiet or not sys.stderr.isatty() else 1, **built.train_kwargs,
        )
    if history.stop_reason == "interrupted":  # train() kept Ctrl-C and the weights so far
        unwritten = " and ".join(f"{flag_} {path}" for flag_, path in
                                 (("--save", args.save), ("--plot", args.plot)) if path)
        raise _Stopped(f"interrupted after {history.epochs} of {args.epochs} epochs"
                       + (f"; nothing written ({unwritten}: only a finished run is)"
                          if unwritten else ""))
    print(f"engine: {history.engine}" + (f" ({history.engine_reason})"
                                         if history.engine_reason else ""))
    print(f"epochs run: {history.epochs}" + (f" ({history.message})" if history.message else ""))
    if history.epochs:
        print(f"train loss: {history['loss'][-1]:.6g}")
        print(f"train {metric}: {history[metric][-1]:.4f}")
        if "val_loss" in history:
            print(f"validation {metric}: {history['val_' + metric][-1]:.4f}")
    if X_test is not None:
        score = (accuracy if classification else r2)(network.predict(X_test), targets_test,
                                                      loss)
        print(f"test {metric}: {score:.4f}")
    # The model first: a figure that fails to save must not lose it.
    if args.save:
        classes = data.classes if data.class_names is None else np.array(data.class_names)
        Model(network, data.task, classes, source.feature_names, source.target,
              None if scaler is None else scaler.mean_, None if scaler is None else
              scaler.scale_, loss.name, data.name,
              {**options, "standardize": args.standardize, "test_fraction": args.test_fraction,
               "validation_fraction": args.validation_fraction}).save(args.save)
        print(f"model written to {args.save} (ffnn predict and ffnn.load_model read it)")
    if args.plot:
        if history.epochs:
            _late("--plot", args.plot, lambda: history.plot(args.plot),
                  f"the model is in {args.save}" if args.save else "")
            print(f"curves written to {args.plot}")
        else:
            print(f"no curves written to {args.plot}: no epoch was completed")
    return 1 if history.diverged else 0


def _load_model(args: argparse.Namespace):
    from .model import load_model

    if os.path.realpath(args.model) == os.path.realpath(args.data):
        raise ValueError(f"--data names the model file {args.model}; give the data's file")
    return load_model(args.model)


def _model_data(args: argparse.Namespace, model, require_target: bool):
    """The file's data, the features matched to the model's."""
    file = read_data(args.data, target=args.target, features=model.feature_names,
                     require_target=require_target, default_target=model.target)
    if file.X.shape[1] != model.n_features:
        columns = "" if file.feature_names is None else f" ({', '.join(file.feature_names)})"
        raise ValueError(f"--data {args.data}: {file.X.shape[1]} features{columns}, but the "
                         f"model takes {model.n_features}")
    return file


def _run_predict(args: argparse.Namespace) -> int:
    if args.out:
        _check_outputs(args, {"--out": "out"})
        for flag_, path in (("MODEL", args.model), ("--data", args.data)):
            if os.path.realpath(args.out) == os.path.realpath(path):
                raise ValueError(f"--out names the {flag_} file {path}; give a new file")
    model = _load_model(args)
    if args.proba and model.task != "classification":
        raise ValueError("--proba: a regression model has no class probabilities")
    file = _model_data(args, model, require_target=False)
    predicted = model.predict(file.X).reshape(len(file.X), -1)
    header = ([model.target or "prediction"] if predicted.shape[1] == 1 else
              [f"prediction_{k}" for k in range(predicted.shape[1])])
    rows = [[_cell(v) for v in row] for row in predicted.tolist()]
    if args.proba:
        header += [f"p_{c}" for c in model.classes.tolist()]
        for row, p in zip(rows, model.predict_proba(file.X).tolist()):
            row += [_cell(v) for v in p]
    if args.out:
        _write_csv(args.out, header, rows)
        print(f"{len(rows)} predictions written to {args.out}")
    else:
        import csv

        writer = csv.writer(sys.stdout, lineterminator="\n")
        writer.writerow(header)
        writer.writerows(rows)
    return 0


def _cell(value):
    """A CSV field: numbers as Python reads them back exactly (repr), labels as they are."""
    return repr(value) if isinstance(value, float) else value


def _write_csv(path: str, header: list[str], rows: list[list]) -> None:
    """Write a CSV file at once or not at all (a temporary file, then renamed)."""
    import csv
    import tempfile

    folder = os.path.dirname(os.path.abspath(path))
    handle, temporary = tempfile.mkstemp(dir=folder, prefix=".ffnn-", suffix=".csv")
    try:
        with os.fdopen(handle, "w", newline="", encoding="utf-8") as file:
            writer = csv.writer(file, lineterminator="\n")
            writer.writerow(header)
            writer.writerows(rows)
        os.replace(temporary, path)
    except BaseException:
        with contextlib.suppress(OSError):
            os.unlink(temporary)
        raise


def _run_evaluate(args: argparse.Namespace) -> int:
    from sklearn import metrics

    if args.plot:
        _check_outputs(args, {"--plot": "plot"})
    model = _load_model(args)
    if args.plot and model.task != "classification":
        raise ValueError(f"--plot: {args.model} is a regression model; the confusion matrix "
                         f"is for classifiers")
    file = _model_data(args, model, require_target=True)
    if model.task == "regression" and file.y.dtype.kind not in "iuf":
        raise ValueError(f"--data {args.data}: the target {file.target!r} holds labels such "
                         f"as {file.y.tolist()[0]!r}; the model predicts numbers")
    try:
        targets = model.targets(file.y)
    except ValueError as exc:
        raise ValueError(f"--data {args.data}, target {file.target!r}: {exc}") from None
    if targets.shape[1] != model.network.n_outputs:
        raise ValueError(f"--data {args.data}: {targets.shape[1]} target column(s), the model "
                         f"has {model.network.n_outputs} output(s)")
    outputs = model.outputs(file.X)
    print(f"model: {args.model} ({model.network}" + (", standardized" if model.mean
                                                      is not None else "")
          + (f", trained on {model.data}" if model.data else "") + ")")
    print(f"data: {args.data}, {len(file.X)} samples, target {file.target!r}")
    if model.loss:
        print(f"loss ({model.loss}): {get_loss(model.loss)(outputs, targets):.6g}")
    if model.task == "regression":
        print(f"mse: {metrics.mean_squared_error(targets, outputs):.6g}")
        print(f"mae: {metrics.mean_absolute_error(targets, outputs):.6g}")
        print(f"r2: {r2(outputs, targets):.4f}")
        return 0
    true = model.class_index(file.y)
    predicted = model.probabilities(outputs).argmax(axis=1)
    names = [str(c) for c in model.classes.tolist()]
    print(f"accuracy: {np.mean(true == predicted):.4f}")
    matrix = metrics.confusion_matrix(true, predicted, labels=range(len(names)))
    print("confusion matrix (rows: true class, columns: predicted):")
    width = max(len(n) for n in [*names, str(matrix.max())]) + 2
    print(" " * width + "".join(n.rjust(width) for n in names))
    for name, row in zip(names, matrix):
        print(name.ljust(width) + "".join(str(v).rjust(width) for v in row))
    print(metrics.classification_report(true, predicted, labels=range(len(names)),
                                        target_names=names, digits=4, zero_division=0))
    if args.plot:
        from .plotting import confusion_matrix

        title = (f"{os.path.basename(args.model)} on {os.path.basename(args.data)} "
                 f"(accuracy {np.mean(true == predicted):.4f})")
        _late("--plot", args.plot, lambda: confusion_matrix(
            model.classes[true], model.classes[predicted], labels=model.classes,
            title=title, path=args.plot), "")
        print(f"confusion matrix written to {args.plot}")
    return 0


def _late(flag_: str, path: str, write, kept: str) -> None:
    """A figure written after the work: any failure is one line saying what was kept."""
    try:
        write()
    except Exception as exc:
        detail = " ".join(f"{type(exc).__name__}: {exc}".split())
        raise OSError(f"{flag_}: could not write {path} ({detail})"
                      + (f"; {kept}" if kept else "")) from None


def _option_actions() -> dict[str, argparse.Action]:
    """The training options' argparse actions (their types parse grid values)."""
    probe = _Parser(prog="ffnn sweep")
    _add_training_options(probe, sweep=True)
    return {a.dest: a for a in probe._actions if a.dest in recipe.TRAIN_OPTIONS}


def _grid_value(action: argparse.Action, text: str):
    if text.strip().lower() == "none" and recipe.TRAIN_OPTIONS[action.dest] is None:
        return None  # an option that may be unset: batch_size=none,32
    if isinstance(action, argparse._StoreTrueAction):
        lowered = text.strip().lower()
        if lowered not in ("true", "false", "1", "0", "yes", "no"):
            raise ValueError(f"--grid {action.dest}: expected true or false, got {text!r}")
        return lowered in ("true", "1", "yes")
    if action.type is None:
        return text.strip()
    try:
        value = action.type(text.strip())
    except (argparse.ArgumentTypeError, ValueError) as exc:
        raise ValueError(f"--grid {action.dest}: {exc}") from None
    if action.choices is not None and value not in action.choices:
        raise ValueError(f"--grid {action.dest}: {value!r} is not one of "
                         f"{', '.join(map(str, action.choices))}")
    return value


def _parse_grid(entries: list[str], random: bool) -> dict:
    from .sweeps import parse_values

    actions = _option_actions()
    grid: dict = {}
    for entry in entries:
        name, sep, text = entry.partition("=")
        name = name.strip().replace("-", "_")
        if not sep or not name:
            raise ValueError(f"--grid: expected NAME=VALUES such as lr=0.001,0.01, got {entry!r}")
        if name not in recipe.TRAIN_OPTIONS:
            raise ValueError(f"--grid: unknown option {name!r}; valid names are "
                             f"{', '.join(recipe.TRAIN_OPTIONS)}")
        if name in grid:
            raise ValueError(f"--grid: {name} is given twice")
        action, text = actions[name], text.strip()
        if not text:
            raise ValueError(f"--grid {name}: no values")
        if random and text.split(":")[0] in ("loguniform", "uniform"):
            kind, *bounds = text.split(":")
            try:
                low, high = (float(b) for b in bounds)
            except ValueError:
                raise ValueError(f"--grid {name}: expected {kind}:LOW:HIGH, got {text!r}") \
                    from None
            if not (math.isfinite(low) and math.isfinite(high) and low <= high) or \
                    (kind == "loguniform" and low <= 0):
                raise ValueError(f"--grid {name}: {kind} needs finite bounds LOW <= HIGH"
                                 + (" with LOW > 0" if kind == "loguniform" else "")
                                 + f", got {text!r}")
            grid[name] = (kind, low, high)
        elif text.split(":")[0] in ("logspace", "linspace"):
            grid[name] = parse_values(text)
        else:
            listed = action.type in (_int_list, _int_list_or_none, _name_list)
            if listed and "," in text and "/" not in text:
                print(f"ffnn sweep: note: --grid {name}={text} is one value (a list: "
                      f"{text}); to try each, separate the values with '/': "
                      f"{name}={text.replace(',', '/')}", file=sys.stderr)
            separator = "/" if listed else ","
            grid[name] = [_grid_value(action, part) for part in text.split(separator)]
    return grid


def _check_sweep_flags(args: argparse.Namespace) -> None:
    """The sweep's own flags and their combinations."""
    _check_data_flags(args)
    if args.seeds is not None and any(seed < 0 for seed in args.seeds):
        raise ValueError(f"--seeds must be integers >= 0, got {args.seeds}")
    if args.n_jobs is not None and args.scheduler is not None:
        raise ValueError("--n-jobs and --scheduler: give one (--n-jobs starts local "
                         "processes, --scheduler runs on that cluster's workers)")
    if args.n_jobs is not None and (args.n_jobs == 0 or args.n_jobs < -1):
        raise ValueError(f"--n-jobs must be a positive integer or -1 (every core), got "
                         f"{args.n_jobs}")
    if not (math.isfinite(args.timeout) and args.timeout > 0):
        raise ValueError(f"--timeout must be a number of seconds > 0, got {args.timeout}")
    if args.folds is not None and args.folds < 2:
        raise ValueError(f"--folds must be an integer >= 2, got {args.folds}")
    if args.random is not None and args.random < 1:
        raise ValueError(f"--random must be a positive integer, got {args.random}")
    if args.resume and not args.out:
        raise ValueError("--resume needs --out (the results file to continue)")
    for flag_, value in (("--plot-x", args.plot_x), ("--plot-y", args.plot_y),
                         ("--plot-metric", args.plot_metric)):
        if value is not None and not args.plot:
            raise ValueError(f"{flag_} goes with --plot (the heatmap), which is not given")
    _check_outputs(args, {"--out": "out", "--csv": "csv", "--plot": "plot"})


def _check_metrics(args: argparse.Namespace, classification: bool, dataset: str) -> None:
    """--scoring and --plot-metric against the task (and the parts there will be)."""
    valid = ("accuracy", "loss") if classification else ("r2", "mse", "loss")
    if args.scoring is not None and args.scoring not in valid:
        raise ValueError(f"--scoring must be one of {', '.join(valid)} for {dataset}, got "
                         f"{args.scoring!r}")
    if args.plot_metric is not None:
        test = args.test_fraction or (args.data is None and has_standard_test(args.dataset))
        parts = ("train", "val", "test") if test else ("train", "val")
        metrics = [f"{part}_{name}" for part in parts for name in valid]
        if args.plot_metric not in metrics:
            raise ValueError(f"--plot-metric must be one of {', '.join(metrics)} for "
                             f"{dataset}"
                             + ("" if test else " (test_*: with --test-fraction)")
                             + f", got {args.plot_metric!r}")


def _shown(value) -> str:
    """A grid value as --grid spells it."""
    if value is None:
        return "none"
    if isinstance(value, (list, tuple)):
        return "/".join(_shown(v) for v in value) or "none"
    return str(value).lower() if isinstance(value, bool) else str(value)


def _check_points(args: argparse.Namespace, grid: dict, options: dict, data,
                  flag: str) -> None:
    """Build every grid point's recipe (for --random, each option's values one at a time)
    and check it against the data, as each run would: a point that would fail is refused
    now, naming it. When every point fails alike, the shared options are to blame."""
    from .sweeps import expand_grid

    classification = data.task == "classification"
    if args.random is None:
        points = expand_grid(grid)
    else:
        points = [{name: value} for name, spec in grid.items()
                  for value in (spec[1:] if isinstance(spec, tuple) else spec)]
    held_out = 1 / args.folds if args.folds else args.validation_fraction
    n_train = max(1, int(len(data.X) * (1 - args.test_fraction) * (1 - held_out)))
    seed = (args.seeds or [args.seed])[0]
    errors, passed = [], False
    for point in points:
        run = {**options, "seed": seed,
               **{k: recipe.normalize(k, v) for k, v in point.items()}}
        try:
            loss = recipe.default_loss(run, classification)
            targets = recipe.binary_targets(loss, data.targets)
            built = recipe.build(run, data.X.shape[1], targets.shape[1], classification,
                                 n_train)
            recipe.check_fit(built, data.X, targets, flag,
                             validation=bool(run.get("early_stopping")))
        except (ValueError, TypeError) as exc:
            errors.append((point, exc))
        else:
            passed = True
        if passed and errors:
            break
    if errors:
        point, exc = errors[0]
        if not passed and all(str(e) == str(exc) for _, e in errors):
            raise exc
        shown = ", ".join(f"{k}={_shown(v)}" for k, v in point.items())
        raise ValueError(f"--grid {shown}: {exc}") from None


# sweep()'s argument names, as they begin its messages, and the flags that set them.
_SWEEP_FLAGS = {"out": "--out", "resume": "--resume", "scheduler": "--scheduler",
                "n_jobs": "--n-jobs", "folds": "--folds", "timeout": "--timeout",
                "validation_fraction": "--validation-fraction", "scoring": "--scoring",
                "test_fraction": "--test-fraction"}


def _in_cli_terms(message: str) -> str:
    """A sweep's message with its arguments named as the command line's flags."""
    for python, cli in (("resume=True (ffnn sweep --resume)", "--resume"),
                        ("resume=True (--resume)", "--resume"), ("out= (--out)", "--out"),
                        ("resume (--resume)", "--resume")):
        message = message.replace(python, cli)
    for name, cli in _SWEEP_FLAGS.items():
        for sep in (": ", " "):
            if message.startswith(name + sep):
                return cli + message[len(name):]
    return message


def _run_sweep(args: argparse.Namespace) -> int:
    from .sweeps import sweep

    if not args.grid:
        raise ValueError("--grid: give at least one option to sweep, e.g. --grid lr=0.01,0.1")
    grid = _parse_grid(args.grid, args.random is not None)
    names = list(grid)
    _check_sweep_flags(args)
    options = {k: v for k, v in vars(args).items()
               if k in recipe.TRAIN_OPTIONS and k not in grid and k != "seed"}
    dataset_options = {k: v for k, v in {"n_samples": args.samples, "noise": args.noise,
                                         "data_home": args.data_home}.items()
                       if v is not None}
    plot_x = args.plot_x or names[0]
    plot_y = args.plot_y or next((name for name in names if name != plot_x), None)
    if args.plot:  # checked before the sweep runs, not after
        if plot_y is None:
            raise ValueError("--plot needs two swept options (or --plot-y)")
        for flag_, name in (("--plot-x", plot_x), ("--plot-y", plot_y)):
            derived = name in ("layers", "nodes") and "hidden" in names  # from hidden
            if name not in names and not derived:
                raise ValueError(f"{flag_}: {name!r} is not swept; swept options are "
                                 f"{', '.join(names)}"
                                 + (" (and layers, nodes: from hidden)" if "hidden" in names
                                    else ""))
    source = _Data(args)
    data = source.dataset
    _check_metrics(args, data.task == "classification", source.flag)
    _check_points(args, grid, options, data, source.flag)
    random = args.random is not None
    if args.data is None:
        where, task = args.dataset, None
    else:  # the file's values, as the sweep's (X, y)
        y = data.classes[data.labels] if data.task == "classification" else data.targets[:, 0]
        where, task = (data.X, y), data.task
    try:
        result = sweep(
            where, task=task, grid=None if random else grid,
            distributions=grid if random else None, n_iter=args.random, options=options,
            seeds=args.seeds if args.seeds is not None else [args.seed], folds=args.folds,
            validation_fraction=args.validation_fraction, test_fraction=args.test_fraction,
            standardize=args.standardize, scoring=args.scoring,
            dataset_options=dataset_options, n_jobs=args.n_jobs, scheduler=args.scheduler,
            timeout=args.timeout, out=args.out, resume=args.resume, random_state=args.seed,
            stack=not args.no_stack,
            verbose=1 if args.quiet or not sys.stderr.isatty() else 2,  # 2: a progress bar
        )
    except ConnectionError as exc:  # the cluster lost runs: the finished ones are kept
        raise ConnectionError(_in_cli_terms(str(exc))) from None
    except (ValueError, TypeError) as exc:
        raise ValueError(_in_cli_terms(str(exc))) from None
    configs = result.configurations()
    failed = sum(1 for r in result.records if r["error"])
    diverged = sum(1 for r in result.records if r["diverged"])
    print(f"{len(result.records)} runs ({failed} failed, {diverged} diverged, "
          f"{result.stacked} trained in stacks), {len(configs)} configurations, ranked by "
          f"{result.metric} (mean ± std over seeds and folds):")
    for config in configs[:10]:
        shown = ", ".join(f"{k}={v}" for k, v in config["params"].items())
        spread = (f" ± {config['std']:.4f} (n={config['n']})" if config["n"] > 1
                  else " (one run)")
        print(f"  {config['mean']:.4f}{spread}  {shown}")
    if len(configs) > 10:
        print(f"  ... {len(configs) - 10} more")
    best = configs[0]
    print("best: " + ", ".join(f"{k}={v}" for k, v in best["params"].items())
          + f" ({result.metric} {best['mean']:.4f})")
    kept = []
    if args.out:
        print(f"results: {args.out}")
        kept.append(f"the results are in {args.out}")
    if args.csv:
        result.save_csv(args.csv)
        print(f"table written to {args.csv}")
        kept.append(f"the table in {args.csv}")
    if args.plot:
        _late("--plot", args.plot,
              lambda: result.plot_heatmap(plot_x, plot_y, args.plot_metric, path=args.plot),
              " and ".join(kept))
        print(f"heatmap written to {args.plot}")
    return 1 if failed == len(result.records) else 0


def _interrupted(args: argparse.Namespace, exc: KeyboardInterrupt) -> str:
    """The one line that Ctrl-C ends a command with."""
    from .sweeps import SweepInterrupted

    if isinstance(exc, _Stopped):
        return str(exc)
    if isinstance(exc, SweepInterrupted):
        return (f"interrupted: {exc.finished} of {exc.total} runs finished"
                + (f"; they are in {exc.path}: the same command with --resume runs the rest"
                   if exc.path else "; without --out nothing was kept"))
    if args.command == "train":
        return "interrupted before training ended" + ("; nothing written" if args.save or
                                                      args.plot else "")
    return "interrupted"


@contextlib.contextmanager
def _interrupts(command: str):
    """Ctrl-C raises KeyboardInterrupt once (train() and sweeps stop cleanly on it); a
    second one while the first is being handled (a cluster closing, say) ends the process
    at once. The handler yields a dict whose ``"said"`` tells it the line was printed."""
    state = {"count": 0, "said": False}
    if threading.current_thread() is not threading.main_thread() or \
            signal.getsignal(signal.SIGINT) is not signal.default_int_handler:
        yield state
        return

    def handler(signum, frame):
        state["count"] += 1
        if state["count"] == 1:
            raise KeyboardInterrupt
        if not state["said"]:
            os.write(2, f"ffnn {command}: interrupted twice: stopped at once\n".encode())
        os._exit(130)

    previous = signal.signal(signal.SIGINT, handler)
    try:
        yield state
    finally:
        signal.signal(signal.SIGINT, previous)


def main(argv: Sequence[str] | None = None) -> int:
    """Run the command line; return the exit status (2: bad options, 130: Ctrl-C)."""
    parser = build_parser()
    args = parser.parse_args(argv)
    if args.command is None:  # bare `ffnn`: what it can do, not an error
        parser.print_help()
        return 0
    runners = {"iris": _run_iris, "gradcheck": _run_gradcheck, "train": _run_train,
               "sweep": _run_sweep, "predict": _run_predict, "evaluate": _run_evaluate}
    with _interrupts(args.command) as state:
        try:
            return runners[args.command](args)
        except KeyboardInterrupt as exc:
            message = _interrupted(args, exc)
            # The one line below is all: a cluster client cut short may leave futures whose
            # timeouts asyncio and Dask would report on their loggers as the process exits.
            for name in ("asyncio", "distributed", "tornado"):
                logging.getLogger(name).disabled = True
            sys.stdout.flush()
            print(f"ffnn {args.command}: {message}", file=sys.stderr, flush=True)
            state["said"] = True
            return 130
        except BrokenPipeError:  # `ffnn predict ... | head`: the reader has had enough
            with contextlib.suppress(OSError):
                os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
            return 141  # 128 + SIGPIPE, as a shell reports it
        except (ValueError, TypeError, OSError, ImportError) as exc:
            message = " ".join(str(exc).split())  # one line, whatever came
            print(f"ffnn {args.command}: error: {message}", file=sys.stderr)
            return 2


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
