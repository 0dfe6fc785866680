"""The ``ffnn`` command line.

``ffnn iris``
    Builds the notebook's iris network (4 → 8 sigmoid → 3 softmax), prints its shapes, its
    cross-entropy cost on iris and a gradient check.
``ffnn gradcheck``
    Checks backpropagation of a network given by options on random data and prints the table.
``ffnn train``
    Trains a network on one of the course's data sets; with no options, the notebook's study
    (iris, 4 → 8 sigmoid → 3 softmax, cross-entropy, full-batch GD, 5000 epochs, no split).

Bad options end with one line on stderr and exit status 2, never a traceback.
"""

from __future__ import annotations

import argparse
import os
import sys
from collections.abc import Sequence

import numpy as np

from . import schedules
from .activations import ACTIVATION_NAMES
from .datasets import DATASET_NAMES, load_dataset, load_iris, one_hot, split, standardize
from .gradcheck import gradcheck
from .io import save
from .losses import LOSS_NAMES, BinaryCrossEntropy, CrossEntropy, get_loss
from .network import INITIALIZERS, Network
from .optimizers import OPTIMIZER_NAMES, ClipGradNorm, chain, get_optimizer
from .training import train

SCHEDULE_NAMES = ("constant", "inverse-time", "exponential", "step", "cosine", "plateau")


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
    parser = _Parser(
        prog="ffnn", description="Feed-forward neural networks with backpropagation by hand."
    )
    commands = parser.add_subparsers(dest="command", required=True, parser_class=_Parser)

    iris = commands.add_parser(
        "iris", help="the notebook's iris network: shapes, cost and a gradient check"
    )
    _add_network_options(iris)

    check = commands.add_parser(
        "gradcheck", help="check backpropagation against autograd and finite differences"
    )
    check.add_argument("--input-size", type=int, default=4, help="number of input features")
    check.add_argument("--layers", type=_int_list, default=[8, 3],
                       help="comma-separated output size of each layer (default: 8,3)")
    check.add_argument("--activations", type=_name_list, default=["sigmoid", "softmax"],
                       help="comma-separated activation per layer, or one for all "
                            f"({', '.join(ACTIVATION_NAMES)}; default: sigmoid,softmax)")
    check.add_argument("--loss", default="cross_entropy",
                       help=f"{', '.join(LOSS_NAMES)} (default: %(default)s)")
    check.add_argument("--samples", type=int, default=16,
                       help="number of random samples (default: %(default)s)")
    check.add_argument("--l1", type=float, default=0.0, help="L1 penalty (default: 0)")
    check.add_argument("--l2", type=float, default=0.0, help="L2 penalty (default: 0)")
    check.add_argument("--step", type=float, default=None,
                       help="relative finite-difference step (default: the first of 1e-4, "
                            "1e-6, 1e-8 that keeps clear of kinks)")
    _add_network_options(check)
    _add_train_parser(commands)
    return parser


def _add_train_parser(commands) -> None:
    p = commands.add_parser(
        "train", help="train a network (no options: the notebook's iris study)",
        description="Train a network on one of the course's data sets. With no options: iris, "
                    "4 -> 8 sigmoid -> 3 softmax, cross-entropy, full-batch GD at lr 0.01, "
                    "5000 epochs, no split, as the notebook.",
    )
    data = p.add_argument_group("data")
    data.add_argument("--dataset", default="iris", help=f"{', '.join(DATASET_NAMES)} "
                      "(default: %(default)s)")
    data.add_argument("--test-fraction", type=float, default=0.0,
                      help="hold out this share for testing, stratified for classification "
                           "(default: 0, no split)")
    data.add_argument("--validation-fraction", type=float, default=None,
                      help="hold out this share of the training part for validation")
    data.add_argument("--standardize", action="store_true",
                      help="scale features to mean 0 and std 1, fitted on the training part")
    data.add_argument("--samples", type=int, default=None,
                      help="samples to generate (franke, runge, polynomial)")
    data.add_argument("--noise", type=float, default=None,
                      help="noise std (franke, runge, polynomial)")
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
    run.add_argument("--early-stopping", action="store_true",
                     help="stop when the validation (or training) loss stalls")
    run.add_argument("--patience", type=int, default=10, help="early-stopping patience")
    run.add_argument("--min-delta", type=float, default=0.0, help="early-stopping tolerance")
    run.add_argument("--seed", type=int, default=0,
                     help="seed of initialisation, shuffling and splits (default: 0)")
    run.add_argument("--init-seed", type=int, default=None, help="initialisation seed only")
    run.add_argument("--shuffle-seed", type=int, default=None, help="shuffling seed only")
    run.add_argument("--quiet", action="store_true", help="no progress bar")
    run.add_argument("--engine", choices=("auto", "numpy", "compiled"), default="auto",
                     help="the NumPy engine, the compiled loop for small networks (numba), "
                          "or auto: compiled where it applies (default)")
    out = p.add_argument_group("output")
    out.add_argument("--plot", metavar="FILE", default=None,
                     help="write loss and metric curves as an image (PNG)")
    out.add_argument("--save", metavar="FILE", default=None,
                     help="write the trained model (an ffnn model file, .npz; ffnn.load)")


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
    else:
        targets = rng.standard_normal((args.samples, n_outputs))
    return X, targets


def _run_gradcheck(args: argparse.Namespace) -> int:
    activations = args.activations[0] if len(args.activations) == 1 else args.activations
    network = Network(args.input_size, args.layers, activations, initializer=args.initializer,
                      dtype=args.dtype, seed=args.seed)
    loss = get_loss(args.loss, "--loss")
    if args.samples < 1:
        raise ValueError(f"--samples must be at least 1, got {args.samples}")
    X, targets = _random_problem(args, loss, network.n_outputs)
    result = gradcheck(network, X, targets, loss, l1=args.l1, l2=args.l2, step=args.step)
    print(f"{network}, {loss.name} loss, {args.samples} random samples, "
          f"l1={args.l1:g}, l2={args.l2:g}")
    print(result.table())
    return 0 if result.passed else 1


def _optimizer(args, steps_per_epoch: int):
    kwargs = {"lr": _schedule(args, steps_per_epoch)}
    applies = {
        "momentum": ("momentum", ("momentum", "nesterov", "adagrad")),
        "eps": ("eps", ("adagrad", "rmsprop", "adam", "adamw")),
        "weight_decay": ("weight_decay", ("adamw",)),
    }
    name = args.optimizer.strip().lower()
    for flag, (key, names) in applies.items():
        value = getattr(args, flag)
        if value is not None:
            if name not in names:
                raise ValueError(f"--{flag.replace('_', '-')} applies to {', '.join(names)}, "
                                 f"not to --optimizer {args.optimizer}")
            kwargs[key] = value
    if args.beta1 is not None or args.beta2 is not None:
        if name not in ("adam", "adamw"):
            raise ValueError(f"--beta1/--beta2 apply to adam and adamw, not {args.optimizer}")
        kwargs["betas"] = (0.9 if args.beta1 is None else args.beta1,
                           0.999 if args.beta2 is None else args.beta2)
    optimizer = get_optimizer(name, **kwargs) if name in OPTIMIZER_NAMES else \
        get_optimizer(args.optimizer)  # an unknown name: get_optimizer says which are valid
    return optimizer if args.clip is None else chain(ClipGradNorm(args.clip), optimizer)


def _schedule(args, steps_per_epoch: int):
    name = args.schedule.strip().lower()
    lr = args.lr
    if name == "constant":
        schedule = schedules.as_schedule(lr, "--lr")
    elif name == "inverse-time":
        t1 = 50.0 if args.t1 is None else args.t1
        schedule = schedules.InverseTime(lr * t1, t1)
    elif name == "exponential":
        schedule = schedules.Exponential(lr, 0.999 if args.gamma is None else args.gamma)
    elif name == "step":
        step_size = 100 * steps_per_epoch if args.step_size is None else args.step_size
        schedule = schedules.StepDecay(lr, step_size,
                                       0.1 if args.gamma is None else args.gamma)
    elif name == "cosine":
        schedule = schedules.Cosine(lr, max(1, args.epochs * steps_per_epoch))
    elif name == "plateau":
        schedule = schedules.ReduceOnPlateau(lr, patience=args.plateau_patience)
    else:
        raise ValueError(f"--schedule: unknown name {args.schedule!r}; valid names are "
                         f"{', '.join(SCHEDULE_NAMES)}")
    return schedule if args.warmup is None else schedules.Warmup(schedule, args.warmup)


def _run_train(args: argparse.Namespace) -> int:
    if args.epochs < 0:
        raise ValueError(f"--epochs must be >= 0, got {args.epochs}")
    options = {"n_samples": args.samples, "noise": args.noise}
    options = {k: v for k, v in options.items() if v is not None}
    if args.dataset.replace("_", "-").strip().lower() in ("franke", "runge", "polynomial"):
        options["seed"] = args.seed
    data = load_dataset(args.dataset, **options)
    classification = data.task == "classification"
    loss = get_loss(args.loss or ("cross_entropy" if classification else "mse"), "--loss")
    default_output = ("sigmoid" if isinstance(loss, BinaryCrossEntropy) else "softmax") \
        if classification else "identity"
    output = args.output_activation or default_output
    if args.save and not os.path.isdir(os.path.dirname(os.path.abspath(args.save))):
        raise ValueError(f"--save: the folder of {args.save} does not exist")
    X, targets = data.X, data.targets
    if isinstance(loss, BinaryCrossEntropy) and targets.shape[1] == 2:
        targets = targets[:, 1:]  # two classes: one sigmoid output for the second
    if args.test_fraction:
        X, X_test, targets, targets_test = split(
            X, targets, args.test_fraction, stratify=classification, seed=args.seed
        )
    else:
        X_test = targets_test = None
    if args.standardize:
        X, *rest = standardize(X, *([] if X_test is None else [X_test]))
        X_test = rest[0] if X_test is not None else None
    activations = args.activation * len(args.hidden) if len(args.activation) == 1 else \
        args.activation
    if len(activations) != len(args.hidden):
        raise ValueError(f"--activation needs one name or one per hidden layer "
                         f"({len(args.hidden)}), got {len(args.activation)}")
    init_seed = args.seed if args.init_seed is None else args.init_seed
    shuffle_seed = args.seed if args.shuffle_seed is None else args.shuffle_seed
    network = Network(X.shape[1], [*args.hidden, targets.shape[1]], [*activations, output],
                      initializer=args.initializer, dtype=args.dtype, seed=init_seed)
    n_train = X.shape[0] if not args.validation_fraction else \
        X.shape[0] - int(np.ceil(X.shape[0] * args.validation_fraction))
    steps = int(np.ceil(n_train / (args.batch_size or n_train)))
    optimizer = _optimizer(args, steps)
    print(f"data: {data.name}, {X.shape[0]} training samples"
          + (f", {X_test.shape[0]} test samples" if X_test is not None else ", no test split")
          + (", standardized" if args.standardize else ""))
    print(f"network: {network}")
    print(f"training: {optimizer}, {loss.name}, "
          f"{'full batch' if args.batch_size is None else f'batch {args.batch_size}'}, "
          f"{args.epochs} epochs, l1={args.l1:g}, l2={args.l2:g}, seed {args.seed}")
    history = train(
        network, X, targets, loss, optimizer=optimizer, epochs=args.epochs,
        batch_size=args.batch_size, l1=args.l1, l2=args.l2,
        validation_fraction=args.validation_fraction, early_stopping=args.early_stopping,
        patience=args.patience, min_delta=args.min_delta, seed=shuffle_seed,
        verbose=0 if args.quiet or not sys.stderr.isatty() else 1, engine=args.engine,
    )
    metric = "accuracy" if classification else "r2"
    print(f"epochs run: {history.epochs}" + (f" ({history.message})" if history.message else ""))
    if history.epochs:
        print(f"train loss: {history['loss'][-1]:.6g}")
        print(f"train {metric}: {history[metric][-1]:.4f}")
        if "val_loss" in history:
            print(f"validation {metric}: {history['val_' + metric][-1]:.4f}")
    if X_test is not None:
        from .training import accuracy, r2

        score = (accuracy if classification else r2)(network.predict(X_test), targets_test, loss)
        print(f"test {metric}: {score:.4f}")
    if args.plot and history.epochs:
        history.plot(args.plot)
        print(f"curves written to {args.plot}")
    if args.save:
        save(network, args.save, metadata={"loss": loss.name, "dataset": data.name})
        print(f"model written to {args.save} (ffnn.load reads it)")
    return 1 if history.diverged else 0


def main(argv: Sequence[str] | None = None) -> int:
    """Run the command line; return the exit status."""
    parser = build_parser()
    args = parser.parse_args(argv)
    runners = {"iris": _run_iris, "gradcheck": _run_gradcheck, "train": _run_train}
    try:
        return runners[args.command](args)
    except (ValueError, TypeError, OSError) as exc:
        print(f"ffnn {args.command}: error: {exc}", file=sys.stderr)
        return 2


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
