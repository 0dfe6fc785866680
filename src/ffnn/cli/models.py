"""``ffnn predict`` and ``ffnn evaluate``: a saved model on a user's CSV or .npz, the
features matched by name."""

from __future__ import annotations

import argparse
import io
import os
import sys

import numpy as np

from ..core.losses import get_loss
from ..io.tables import read_data
from ..training.trainer import r2
from .common import check_outputs, late, os_error_words


def _load_model(args: argparse.Namespace):
    from ..io.model import load_model

    if os.path.realpath(args.model) == os.path.realpath(args.data):
        raise ValueError(f"--data names the model file {args.model}; give the data's file")
    if not os.path.exists(args.model):
        raise FileNotFoundError(f"MODEL: model file {args.model!r} not found")
    if os.path.isdir(args.model):
        raise IsADirectoryError(f"MODEL: {args.model!r} is a folder, not a model file")
    try:
        return load_model(args.model)
    except OSError as exc:
        if not exc.strerror:  # ours: a sentence already
            raise
        raise OSError(f"MODEL: model file {args.model!r} cannot be read "
                      f"({os_error_words(exc)})") from None


def _model_data(args: argparse.Namespace, model, require_target: bool):
    """The file's data, the features matched to the model's."""
    file = read_data(args.data, target=args.target, header=args.header,
                     features=model.feature_names,
                     require_target=require_target, default_target=model.target)
    if file.X.shape[1] != model.n_features:
        columns = "" if file.feature_names is None else f" ({', '.join(file.feature_names)})"
        raise ValueError(f"--data {args.data}: {file.X.shape[1]} features{columns}, but the "
                         f"model takes {model.n_features}")
    return file


def run_predict(args: argparse.Namespace) -> int:
    if args.out:
        check_outputs(args, {"--out": "out"})
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
    """Write a CSV file as the model writer writes a model: at once or not at all, through a
    symbolic link, keeping a replaced file's permissions (a new one gets the umask's)."""
    import csv

    from ..io.container import write_atomically

    def write(binary) -> None:
        file = io.TextIOWrapper(binary, newline="", encoding="utf-8")
        writer = csv.writer(file, lineterminator="\n")
        writer.writerow(header)
        writer.writerows(rows)
        file.flush()
        file.detach()  # the binary file stays open: write_atomically syncs and closes it

    write_atomically(path, write)


def run_evaluate(args: argparse.Namespace) -> int:
    from sklearn import metrics

    if args.plot:
        check_outputs(args, {"--plot": "plot"})
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
        from ..plotting import confusion_matrix

        title = (f"{os.path.basename(args.model)} on {os.path.basename(args.data)} "
                 f"(accuracy {np.mean(true == predicted):.4f})")
        late("--plot", args.plot, lambda: confusion_matrix(
            model.classes[true], model.classes[predicted], labels=model.classes,
            title=title, path=args.plot), "")
        print(f"confusion matrix written to {args.plot}")
    return 0
