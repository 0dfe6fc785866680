"""``ffnn iris``, ``ffnn gradcheck`` and ``ffnn train``: the notebook's network, a gradient
check on random data, and a training run with its report, model file and curves."""

from __future__ import annotations

import argparse
import contextlib
import io
import sys

import numpy as np

from ..core.gradcheck import gradcheck
from ..core.losses import get_loss
from ..core.network import Network
from ..data.datasets import (
    load_iris,
    split,
    standardize,
)
from ..io.model import Model
from ..sweeps import recipe
from ..training.trainer import accuracy, r2, train
from .common import (
    Data,
    Stopped,
    apply_dataset_defaults,
    check_data_flags,
    check_outputs,
    defaults_words,
    late,
    scale_note,
)


def run_iris(args: argparse.Namespace) -> int:
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
    return X, loss.example_targets(rng, args.samples, n_outputs)


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
    binary = loss.independent_outputs
    output = args.output_activation or loss.output_activation
    outputs = args.outputs if args.outputs is not None else (1 if binary else 3)
    if outputs < 1:
        raise ValueError(f"--outputs must be a positive integer, got {outputs}")
    return [*hidden, outputs], [*(activation * len(hidden) if len(activation) == 1
                                  else activation), output]


def run_gradcheck(args: argparse.Namespace) -> int:
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


def run_train(args: argparse.Namespace) -> int:
    # Everything that can fail is checked before the header: flags, output paths, the
    # recipe, the targets against the loss and what --engine jax cannot run.
    check_data_flags(args)
    applied = apply_dataset_defaults(args)
    if args.threads is not None and args.threads < 1:  # the words of ffnn sweep's --threads
        raise ValueError(f"--threads must be a positive integer (BLAS threads for the fit), "
                         f"got {args.threads}")
    check_outputs(args, {"--save": "save", "--plot": "plot"})
    if args.plot and args.epochs == 0:
        raise ValueError("--plot: there are no curves to draw with --epochs 0")
    source = Data(args)
    data = source.dataset
    classification = data.task == "classification"
    options = {k: v for k, v in vars(args).items() if k in recipe.TRAIN_OPTIONS}
    loss = recipe.default_loss(options, classification)
    X, targets, X_test, targets_test, scaler = _parts(args, data, loss)
    n_train = X.shape[0] if not args.validation_fraction else \
        X.shape[0] - int(np.ceil(X.shape[0] * args.validation_fraction))
    if n_train < 1:
        raise ValueError(f"--validation-fraction {args.validation_fraction} leaves no "
                         f"training samples of {X.shape[0]}")
    built = recipe.build(options, X.shape[1], targets.shape[1], classification, n_train)
    recipe.check_fit(built, X, targets, source.flag,
                     validation=args.validation_fraction is not None)
    network, optimizer, metric = built.network, built.optimizer, built.train_kwargs["metric"]
    if applied:
        print(f"defaults of --dataset {data.name} (an option you give wins): "
              f"{defaults_words(applied)}")
    print(f"data: {source.described}, {X.shape[0]} training samples"
          + (f", {X_test.shape[0]} test samples" if X_test is not None else ", no test split")
          + (" (its standard test part)" if data.X_test is not None else "")
          + (", standardized" if args.standardize else ""))
    print(f"network: {network}")
    print(f"training: {optimizer}, {loss.name}, {_training_words(args)}", flush=True)
    # Not after --no-standardize: the user has decided.
    note = None if args.standardize or "standardize" in getattr(args, "given", ()) else \
        scale_note(X, source.feature_names)
    if note:
        print(f"ffnn train: note: {note}", file=sys.stderr, flush=True)
    # Said below, in the run's own words: the fallback, and the stop message that train()
    # prints beside its progress bar (on Ctrl-C it would say the weights are kept).
    verbose = 0 if args.quiet or not sys.stderr.isatty() else 1
    with contextlib.redirect_stdout(io.StringIO()):
        history = train(
            network, X, targets, loss, optimizer=optimizer,
            validation_fraction=args.validation_fraction, verbose=verbose,
            threads=args.threads, **built.train_kwargs,
        )
    if history.stop_reason == "interrupted":  # train() kept Ctrl-C and the weights so far
        unwritten = " and ".join(f"{flag_} {path}" for flag_, path in
                                 (("--save", args.save), ("--plot", args.plot)) if path)
        raise Stopped(f"interrupted after {history.epochs} of {args.epochs} epochs"
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
    if args.save:
        classes = data.classes if data.class_names is None else np.array(data.class_names)
        model = Model(network, data.task, classes, source.feature_names, source.target,
                      None if scaler is None else scaler.mean_, None if scaler is None else
                      scaler.scale_, loss.name, data.name,
                      {**options, "standardize": args.standardize,
                       "test_fraction": args.test_fraction,
                       "validation_fraction": args.validation_fraction})
    _write_outputs(args, history, model if args.save else None)
    return 1 if history.diverged else 0


def _parts(args: argparse.Namespace, data, loss):
    """The training part and the test part (``--test-fraction``, or MNIST's own; None for
    none) with their targets for ``loss``, standardized with ``--standardize``: ``(X,
    targets, X_test, targets_test, scaler)``, the scaler None without it."""
    X, targets = data.X, recipe.binary_targets(loss, data.targets)
    if args.test_fraction:
        X, X_test, targets, targets_test = split(
            X, targets, args.test_fraction, stratify=data.task == "classification",
            seed=args.seed)
    elif data.X_test is not None:  # mnist's own test part (--test-fraction is refused)
        X_test, targets_test = data.X_test, recipe.binary_targets(loss, data.targets_test)
    else:
        X_test = targets_test = None
    scaler = None
    if args.standardize:
        X, *rest, scaler = standardize(X, *([] if X_test is None else [X_test]))
        X_test = rest[0] if X_test is not None else None
    return X, targets, X_test, targets_test, scaler


def _training_words(args: argparse.Namespace) -> str:
    """``batch 32, 200 epochs, l1=0, l2=0.001, seed 0``: how ffnn train trains."""
    return (f"{'full batch' if args.batch_size is None else f'batch {args.batch_size}'}, "
            f"{args.epochs} epochs, l1={args.l1:g}, l2={args.l2:g}"
            + (" (weights and biases)" if args.penalize_biases else "")
            + f", seed {args.seed}"
            + (f", {args.threads} BLAS thread{'s' * (args.threads > 1)}" if args.threads
               else ""))


def _write_outputs(args: argparse.Namespace, history, model) -> None:
    """``--save`` (``model``) then ``--plot``: the model first, so that a figure that fails
    to save cannot lose it."""
    if args.save:
        model.save(args.save)
        vars(args).setdefault("written", []).append(f"--save {args.save}")
        print(f"model written to {args.save} (ffnn predict and ffnn.load_model read it)")
    if args.plot:
        if history.epochs:
            late("--plot", args.plot, lambda: history.plot(args.plot),
                  f"the model is in {args.save}" if args.save else "")
            vars(args).setdefault("written", []).append(f"--plot {args.plot}")
            print(f"curves written to {args.plot}")
        else:
            print(f"no curves written to {args.plot}: no epoch was completed")
