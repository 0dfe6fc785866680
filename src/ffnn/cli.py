"""The ``ffnn`` command line.

``ffnn iris``
    Builds the notebook's iris network (4 → 8 sigmoid → 3 softmax), prints its shapes, its
    cross-entropy cost on iris and a gradient check.
``ffnn gradcheck``
    Checks backpropagation of a network given by options on random data and prints the table.
"""

from __future__ import annotations

import argparse
import sys
from collections.abc import Sequence

import numpy as np

from .activations import ACTIVATION_NAMES
from .datasets import load_iris, one_hot
from .gradcheck import gradcheck
from .losses import LOSS_NAMES, BinaryCrossEntropy, CrossEntropy, get_loss
from .network import INITIALIZERS, Network


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
    parser = argparse.ArgumentParser(
        prog="ffnn", description="Feed-forward neural networks with backpropagation by hand."
    )
    commands = parser.add_subparsers(dest="command", required=True)

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
    return parser


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


def main(argv: Sequence[str] | None = None) -> int:
    """Run the command line; return the exit status."""
    parser = build_parser()
    args = parser.parse_args(argv)
    runners = {"iris": _run_iris, "gradcheck": _run_gradcheck}
    try:
        return runners[args.command](args)
    except (ValueError, TypeError) as exc:
        print(f"ffnn {args.command}: error: {exc}", file=sys.stderr)
        return 2


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
