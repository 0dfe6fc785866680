"""The command line's parser: the commands and their options, errors on one line."""

from __future__ import annotations

import argparse
import sys
from collections.abc import Sequence

from ..core.activations import ACTIVATION_NAMES
from ..core.losses import LOSS_NAMES
from ..core.network import INITIALIZERS
from ..data.datasets import (
    DATASET_NAMES,
)
from ..optim.optimizers import OPTIMIZER_NAMES, OPTIMIZERS
from ..optim.schedules import SCHEDULE_NAMES
from ..training.paths import ENGINES
from .common import DATASET_DEFAULTS, defaults_words

#: ``--header``'s help, for ffnn train and sweep and for predict and evaluate.
HEADER_HELP = ("a CSV without a header row: none (its columns are x0, x1, ...) or the names, "
               "comma-separated; first: the first row names the columns even if it looks "
               "like a sample (default: it names them unless it looks like one)")


def _having(parameter: str) -> str:
    """The optimizers that take ``parameter`` (the registry's), for a flag's help."""
    return ", ".join(cls.name for cls in OPTIMIZERS if parameter in cls.params())

class Parser(argparse.ArgumentParser):
    """argparse, with errors on one line (no usage block), that lists the actions its
    options made (``actions``; argparse keeps its own list private)."""

    def __init__(self, *args, **kwargs):
        self.actions: list[argparse.Action] = []  # argparse makes groups while it starts
        super().__init__(*args, **kwargs)

    def add_argument(self, *args, **kwargs) -> argparse.Action:
        action = super().add_argument(*args, **kwargs)
        self.actions.append(action)
        return action

    def add_argument_group(self, *args, **kwargs):
        return _Group(super().add_argument_group(*args, **kwargs), self.actions)

    def add_subparsers(self, **kwargs):
        self.commands = super().add_subparsers(**kwargs)
        return self.commands

    def parse_args(self, args=None, namespace=None):
        """argparse's, with arguments it does not know reported by the command's own
        parser (``ffnn train: error: ...``) and, after a one-value list option, with how
        to write several values (:func:`list_hint`)."""
        argv = sys.argv[1:] if args is None else list(args)
        namespace, extras = self.parse_known_args(argv, namespace)
        if extras:
            command = getattr(namespace, "command", None)
            commands = getattr(self, "commands", None)
            parser = self if command is None or commands is None else commands.choices[command]
            parser.error(f"unrecognized arguments: {' '.join(extras)}"
                         + list_hint(parser, argv, extras))
        return namespace

    def error(self, message):
        self.exit(2, f"{self.prog}: error: {message}\n")


class _Group:
    """An argument group whose options' actions are listed on their parser too."""

    def __init__(self, group, actions: list[argparse.Action]):
        self._group, self._actions = group, actions

    def add_argument(self, *args, **kwargs) -> argparse.Action:
        action = self._group.add_argument(*args, **kwargs)
        self._actions.append(action)
        return action

    def __getattr__(self, name):
        return getattr(self._group, name)


def int_list(text: str) -> list[int]:
    try:
        return [int(part) for part in text.split(",")]
    except ValueError:
        raise argparse.ArgumentTypeError(
            f"expected comma-separated integers such as 8,3, got {text!r}"
        ) from None


def name_list(text: str) -> list[str]:
    return [part.strip() for part in text.split(",")]


def _add_network_options(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--initializer", choices=list(INITIALIZERS), default="glorot",
                        help="weight initialisation (default: %(default)s)")
    parser.add_argument("--dtype", choices=["float64", "float32"], default="float64",
                        help="parameter and computation dtype (default: %(default)s)")
    parser.add_argument("--seed", type=int, default=0,
                        help="seed of the initial weights and the data (default: %(default)s)")


def build_parser() -> argparse.ArgumentParser:
    from .. import __version__

    parser = Parser(
        prog="ffnn", description="Feed-forward neural networks with backpropagation by hand."
    )
    parser.add_argument("--version", action="version", version=f"ffnn {__version__}")
    commands = parser.add_subparsers(dest="command", parser_class=Parser)

    iris = commands.add_parser(
        "iris", help="the notebook's iris network: shapes, cost and a gradient check"
    )
    _add_network_options(iris)

    check = commands.add_parser(
        "gradcheck", help="check backpropagation against autograd and finite differences"
    )
    check.add_argument("--input-size", type=int, default=4, help="number of input features")
    check.add_argument("--hidden", type=sizes, nargs="+", action=Joined, default=None,
                       metavar="SIZES",
                       help="hidden layer sizes, as ffnn train spells them (default: 8)")
    check.add_argument("--activation", type=name_list, nargs="+", action=Joined, default=None,
                       metavar="NAMES",
                       help="hidden activation(s), one for all or one per layer, as ffnn "
                            f"train ({', '.join(ACTIVATION_NAMES)}; default: sigmoid)")
    check.add_argument("--output-activation", default=None,
                       help="default: softmax after cross_entropy, sigmoid after "
                            "binary_cross_entropy, exp after poisson, identity after mse")
    check.add_argument("--outputs", type=int, default=None,
                       help="output size (default: 3, or 1 after binary_cross_entropy)")
    check.add_argument("--layers", type=sizes, nargs="+", action=Joined, default=None,
                       metavar="SIZES",
                       help="instead of --hidden/--outputs: every layer's size, the output "
                            "last (16,8,1 or 16 8 1)")
    check.add_argument("--activations", type=name_list, nargs="+", action=Joined,
                       default=None, metavar="NAMES",
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
        p.add_argument("--header", metavar="none|first|NAMES", default=None, help=HEADER_HELP)
    predict.add_argument("--out", metavar="FILE", default=None,
                         help="write the predictions as CSV (default: print them)")
    predict.add_argument("--proba", action="store_true",
                         help="also each class's probability (classifiers)")
    evaluate.add_argument("--plot", metavar="FILE", default=None,
                          help="write the confusion matrix as a figure (classifiers; the "
                               "format follows the extension, e.g. .png)")


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
    add_training_options(p, sweep=True)
    s = p.add_argument_group("sweep")
    s.add_argument("--grid", action="append", default=[], metavar="NAME=VALUES",
                   help="an option and its values: lr=0.001,0.01 or lr=logspace:-5:1:7 "
                        "(also linspace:START:STOP:NUM); list-valued options separate values "
                        "with '/': hidden=50/50,50/none. Repeat for more options")
    s.add_argument("--random", type=int, default=None, metavar="N",
                   help="random search: N points, each option drawn from its --grid values "
                        "(or loguniform:LOW:HIGH, uniform:LOW:HIGH)")
    s.add_argument("--seeds", type=int_list, default=None,
                   help="run each configuration once per seed (default: --seed)")
    s.add_argument("--folds", type=int, default=None,
                   help="k-fold cross-validation instead of one --validation-fraction")
    s.add_argument("--scoring", default=None,
                   help="the validation metric that ranks configurations: accuracy, r2, mse, "
                        "loss (default: accuracy or r2)")
    s.add_argument("--n-jobs", type=int, default=None,
                   help="local worker processes (-1: one per core; 1: in this process; "
                        "default: in this process unless the work is large enough to pay "
                        "for starting a worker per core, ~6 s)")
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
    stacking = s.add_mutually_exclusive_group()
    stacking.add_argument("--stack", action="store_true",
                          help="train runs that differ only in lr, l1, l2, momentum, beta1, "
                               "beta2, eps, weight decay and initial seed as stacks, "
                               "whatever their size (default: stacks for networks of at most "
                               "16000 parameters, where they win; larger ones one by one)")
    stacking.add_argument("--no-stack", action="store_true",
                          help="train every run alone, never in stacks")
    s.add_argument("--threads", type=int, default=None, metavar="N",
                   help="BLAS threads each run (or stack) may use (default: 1, so that runs "
                        "sharing the cores do not oversubscribe them)")
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
                    "5000 epochs, no split, as the notebook. Every other --dataset comes "
                    "with settings of its own for the options not given (printed before "
                    "training; any option you give wins, and --hidden, --activation and "
                    "--optimizer, --lr go in pairs: giving one leaves the other at the "
                    "plain default): " + dataset_defaults_help(),
    )
    add_training_options(p)
    out = p.add_argument_group("output")
    out.add_argument("--plot", metavar="FILE", default=None,
                     help="write loss and metric curves as an image; the format follows the "
                          "extension (.png, .pdf, .svg, ...); written after --save")
    out.add_argument("--save", metavar="FILE", default=None,
                     help="write the trained model (an ffnn model file, .npz; ffnn.load) when "
                          "training ends; Ctrl-C (exit status 130) writes nothing, neither "
                          "--save nor --plot, and says so")


def add_training_options(p: argparse.ArgumentParser, *, sweep: bool = False) -> None:
    """The data, network, optimizer and training options of ``ffnn train`` (and sweep).

    Long because it is the list of the options, one declaration each, in the groups and
    the order that ``--help`` shows them."""
    data = p.add_argument_group("data")
    data.add_argument("--dataset", default=None, help=f"{', '.join(DATASET_NAMES)} "
                      "(default: iris)")
    data.add_argument("--data", metavar="FILE", default=None,
                      help="your own data instead of --dataset: a CSV file with a header row "
                           "or an .npz file with arrays X and y")
    data.add_argument("--target", metavar="COLUMN", default=None,
                      help="with --data: the target column (default: the last) or array "
                           "(default: y)")
    data.add_argument("--header", metavar="none|first|NAMES", default=None, help=HEADER_HELP)
    data.add_argument("--task", choices=("classification", "regression"), default=None,
                      help="with --data: what to learn (default: classes for names or whole "
                           "numbers, regression for numbers with a decimal point)")
    data.add_argument("--test-fraction", type=float, default=0.0,
                      help="hold out this share for testing, stratified for classification "
                           "(default: 0, no split; mnist and fashion-mnist have their own)")
    data.add_argument("--validation-fraction", type=float, default=0.2 if sweep else None,
                      help="hold out this share of the training part for validation"
                           + (" (default: 0.2; see --folds)" if sweep else ""))
    data.add_argument("--standardize", action=argparse.BooleanOptionalAction, default=False,
                      help="scale features to mean 0 and std 1, fitted on the training part "
                           "(--no-standardize: the features as they are)")
    data.add_argument("--samples", type=int, default=None,
                      help="samples to generate (franke, runge, runge2d, polynomial)")
    data.add_argument("--noise", type=float, default=None,
                      help="noise std (franke, runge, runge2d, polynomial)")
    data.add_argument("--data-home", metavar="DIR", default=None,
                      help="mnist, fashion-mnist: the folder of the four IDX files (or its "
                           "subfolder mnist, fashion-mnist); fetched from OpenML into it when "
                           "they are not there (default: scikit-learn's data home)")
    net = p.add_argument_group("network")
    net.add_argument("--hidden", type=int_list_or_none, nargs="+", action=Joined,
                     default=[8], metavar="SIZES",
                     help="hidden layer sizes, 16 32 or 16,32 for two layers, or 'none' "
                          "(default: 8)")
    net.add_argument("--activation", type=name_list, nargs="+", action=Joined,
                     default=["sigmoid"], metavar="NAMES",
                     help="hidden activation(s), one for all or one per layer, relu tanh or "
                          f"relu,tanh ({', '.join(ACTIVATION_NAMES)}; default: sigmoid)")
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
                     help=f"momentum ({_having('momentum')})")
    opt.add_argument("--beta1", type=float, default=None, help=f"beta_1 ({_having('betas')})")
    opt.add_argument("--beta2", type=float, default=None, help=f"beta_2 ({_having('betas')})")
    opt.add_argument("--eps", type=float, default=None, help=f"epsilon ({_having('eps')})")
    opt.add_argument("--weight-decay", type=float, default=None,
                     help=f"decoupled weight decay ({_having('weight_decay')})")
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
    run.add_argument("--batch-size", type=batch_size, default=None,
                     help="mini-batch size, or 'full' (default: the full batch)")
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
    if not sweep:
        run.add_argument("--threads", type=int, default=None, metavar="N",
                         help="BLAS threads for the fit (default: BLAS's own, usually one "
                              "per core); on a shared machine, timings need a fixed count")
    run.add_argument("--engine", choices=ENGINES, default="auto",
                     help="the NumPy engine, the JAX engine (the same formulas compiled by "
                          "XLA; the 'fast' extra), or auto: JAX where it is installed, "
                          "runs the training and the training pays for compiling (default)")
    run.add_argument("--device", choices=("cpu", "gpu"), default=None,
                     help="where the JAX engine trains (default: JAX's default device; "
                          "'gpu' needs JAX for CUDA, see the README)")


def int_list_or_none(text: str) -> list[int]:
    return [] if text.strip().lower() in ("none", "") else int_list(text)


def sizes(text: str) -> list[int]:
    """``16,8`` or one of several values (``--layers 16 8``): layer sizes."""
    return int_list(text)


def batch_size(text: str) -> int | None:
    """``--batch-size``: a number of samples, or ``full`` (None: the full batch)."""
    if text.strip().lower() == "full":
        return None
    try:
        return int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(
            f"expected a number of samples or 'full', got {text!r}") from None


class Joined(argparse.Action):
    """A list option that takes its values apart or comma-separated (``--hidden 16 32``,
    ``--hidden 16,32``), each parsed by the option's type into a list: the lists joined.
    ``none`` (no hidden layer) stands alone."""

    def __call__(self, parser, namespace, values, option_string=None):
        if len(values) > 1 and any(value == [] for value in values):
            parser.error(f"argument {option_string}: 'none' (no hidden layer) goes alone, "
                         f"got {len(values)} values")
        setattr(namespace, self.dest, [part for value in values for part in value])


def list_hint(parser: argparse.ArgumentParser, argv: list[str], extras: list[str]) -> str:
    """How to give several values to a one-value list option (``--header a,b``, ``--seeds
    0,1``, ``--grid lr=0.1,0.2``) whose value ``extras`` follow in ``argv``; "" when they
    follow none."""
    lists = {string: action for action in getattr(parser, "actions", ())
             for string in action.option_strings
             if action.nargs is None and (action.type in (int_list, name_list)
                                          or action.dest in ("header", "grid"))}
    first = extras[0]
    for i, token in enumerate(argv):
        if token == first and i >= 2 and argv[i - 2] in lists:
            option = argv[i - 2]
            following = argv[i - 1:i + 1]
            for later in argv[i + 1:]:
                if later.startswith("-") or later not in extras:
                    break
                following.append(later)
            return (f" ({option} takes one value: several are written with commas, "
                    f"{option} {','.join(following)})")
    return ""


def given_options(argv: Sequence[str] | None) -> frozenset[str]:
    """The options (their ``dest``) that ``argv`` gives itself, whatever their values:
    what a command must not replace by a default of its own (a data set's)."""
    parser = build_parser()
    for command in parser.commands.choices.values():
        for action in command.actions:
            action.default = argparse.SUPPRESS
    for action in parser.actions:
        action.default = argparse.SUPPRESS
    namespace, _ = parser.parse_known_args(sys.argv[1:] if argv is None else list(argv))
    return frozenset(vars(namespace)) - {"command"}


def dataset_defaults_help() -> str:
    """``ffnn train --help``'s list of each data set's settings."""
    return "; ".join(f"{name}: {defaults_words(values)}"
                     for name, values in DATASET_DEFAULTS.items()) + "."
