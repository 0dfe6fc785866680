"""A user's own data from a file: a CSV table with a header row, or an ``.npz`` of arrays.

``ffnn train --data FILE --target COLUMN`` and ``ffnn predict``/``ffnn evaluate`` read files
through :func:`read_data`; in Python, :func:`read_data` gives a :class:`DataFile` whose
:meth:`DataFile.dataset` is the :class:`~ffnn.data.datasets.Dataset` that training takes.

CSV
    The first row names the columns; every other row holds one sample, as many fields as
    the header. Feature columns hold numbers (``1.5``, ``-2e-3``); the target column holds
    numbers or names (``setosa``). Empty lines are skipped; a missing, non-numeric or
    non-finite feature value, a row of the wrong length, a repeated column name or a target
    column that is not there is an error naming the file, the line and the column.
``.npz``
    ``X`` (n_samples, n_features) and, for training and evaluation, the targets ``y``
    (n_samples,) (``--target`` names another array); optionally ``feature_names``
    (n_features,) of strings.

The task follows the target unless given: names, or whole numbers written without a decimal
point (``0``, ``1``, ``2``), are classes; any number with a point or an exponent (``1.5``,
``3.0``) makes it regression.
"""

from __future__ import annotations

import csv
import os
import re
import zipfile
from dataclasses import dataclass

import numpy as np

from ..data.datasets import Dataset, encode_labels

__all__ = ["DataFile", "read_data"]

_INTEGER = re.compile(r"^[+-]?\d+$")
TASKS = ("classification", "regression")


@dataclass
class DataFile:
    """The features and targets read from one file.

    Attributes
    ----------
    X : ndarray of float64, shape (n_samples, n_features)
    y : ndarray, shape (n_samples,), or None
        The target column as read: int64 (whole numbers), float64 or str; None when the file
        has no target (a file to predict on).
    feature_names : tuple of str or None
        The feature columns' names (None for an ``.npz`` without ``feature_names``).
    target : str or None
        The target column's (or array's) name.
    path : str
    """

    X: np.ndarray
    y: np.ndarray | None
    feature_names: tuple[str, ...] | None
    target: str | None
    path: str

    def __repr__(self) -> str:
        return (f"DataFile({self.path!r}, {self.X.shape[0]} samples x {self.X.shape[1]} "
                f"features, target {self.target!r})")

    def task(self, task: str | None = None) -> str:
        """``task`` checked, or the task the targets suggest (see the module's notes)."""
        if self.y is None:
            raise ValueError(f"{self.path} has no target to learn from")
        if task is not None:
            if task not in TASKS:
                raise ValueError(f"task must be one of {', '.join(TASKS)}, got {task!r}")
            return task
        return "regression" if self.y.dtype.kind == "f" else "classification"

    def dataset(self, task: str | None = None, flag: str = "--data") -> Dataset:
        """The :class:`~ffnn.data.datasets.Dataset` to train on: one-hot targets and classes for
        classification, the values as one column for regression."""
        task = self.task(task)
        if task == "classification":
            targets, classes = encode_labels(self.y)
            if len(classes) < 2:
                raise ValueError(f"{flag} {self.path}: the target column {self.target!r} holds "
                                 f"one class only ({classes.tolist()[0]!r}); a classifier needs "
                                 "two")
        else:
            if self.y.dtype.kind not in "iuf":
                raise ValueError(f"{flag} {self.path}: regression needs numbers in the target "
                                 f"column {self.target!r}, got values such as {self.y[0].item()!r}")
            targets, classes = self.y.astype(np.float64).reshape(-1, 1), None
        names = self.feature_names or tuple(f"x{i}" for i in range(self.X.shape[1]))
        return Dataset(X=self.X, targets=targets, task=task, classes=classes,
                       feature_names=names, name=self.path,
                       class_names=None if classes is None else tuple(map(str, classes)))


def read_data(path, *, target: str | None = None, features=None,
              require_target: bool = True, default_target: str | None = None,
              flag: str = "--data") -> DataFile:
    """Read features and targets from a CSV file with a header row or an ``.npz`` file.

    Parameters
    ----------
    path : str or os.PathLike
        ``*.csv`` or ``*.npz`` (see the module's notes for the formats).
    target : str, optional
        The target column (CSV) or array (``.npz``, default ``"y"``). By default a CSV's
        target is the last column, or, with ``features``, the one column left over.
    features : sequence of str, optional
        The feature columns to take, in this order (a saved model's ``feature_names``);
        other columns are ignored. By default every column but the target.
    require_target : bool, default True
        Refuse a file without a target (False: a file to predict on; its target column,
        which may be blank, is then not read, and ``y`` is None).
    default_target : str, optional
        The target's name when ``target`` is not given and the file has it (a saved
        model's ``target``); ignored when the file does not.
    flag : str
        How messages name the file's argument.

    Returns
    -------
    DataFile

    Raises
    ------
    ValueError
        A file that cannot be read as described, naming the file, line and column.
    """
    path = os.fspath(path)
    shown = f"{flag} {path}"
    if not os.path.isfile(path):
        raise ValueError(f"{shown}: no such file" if not os.path.exists(path)
                         else f"{shown}: not a file")
    extension = os.path.splitext(path)[1].lower()
    if extension == ".csv":
        return _read_csv(path, target, features, require_target, default_target, shown)
    if extension == ".npz":
        return _read_npz(path, target, features, require_target, default_target, shown)
    raise ValueError(f"{shown}: expected a .csv file with a header row or an .npz file with "
                     f"arrays X and y, got a {extension or 'file without extension'}")


def _rows(path: str, shown: str) -> tuple[list[str], list[tuple[int, list[str]]]]:
    """The header and the non-empty rows with their line numbers, as text."""
    try:
        with open(path, encoding="utf-8-sig", newline="") as file:
            reader = csv.reader(file)
            # blank lines only: a row of empty fields (",,") is a sample with missing values
            rows = [(reader.line_num, row) for row in reader
                    if row and (len(row) > 1 or row[0].strip())]
    except UnicodeDecodeError as exc:
        raise ValueError(f"{shown}: not a UTF-8 text file ({exc.reason} at byte "
                         f"{exc.start})") from None
    except csv.Error as exc:
        raise ValueError(f"{shown}: not a CSV table ({exc})") from None
    if not rows:
        raise ValueError(f"{shown}: the file is empty; expected a header row and samples")
    (_, header), *body = rows
    header = [name.strip() for name in header]
    if all(_is_number(name) for name in header):
        raise ValueError(f"{shown}: the first row holds numbers, not column names; add a "
                         "header row naming the columns")
    if "" in header:
        raise ValueError(f"{shown}: column {header.index('') + 1} of the header has no name")
    repeated = sorted({name for name in header if header.count(name) > 1})
    if repeated:
        raise ValueError(f"{shown}: the header names {repeated} more than once")
    if not body:
        raise ValueError(f"{shown}: the header is there but no samples follow")
    for line, row in body:
        if len(row) != len(header):
            raise ValueError(f"{shown}: line {line} has {len(row)} fields, the header "
                             f"{len(header)}")
    return header, body


def _is_number(text: str) -> bool:
    try:
        float(text)
    except ValueError:
        return False
    return True


def _columns(header: list[str], target: str | None, features, require_target: bool,
             default_target: str | None, shown: str) -> tuple[list[str], str | None]:
    """The feature columns and the target column (None: none) of a CSV header."""
    def missing(names, what):
        return ValueError(f"{shown}: no {what} {', '.join(map(repr, names))}; the columns "
                          f"are {', '.join(map(repr, header))}")

    if target is not None and target not in header:
        raise missing([target], "target column")
    if target is None and default_target in header and default_target not in (features or ()):
        target = default_target
    if features is not None:
        features = [str(name) for name in features]
        absent = [name for name in features if name not in header]
        if absent:
            raise missing(absent, "feature column" + "s" * (len(absent) > 1))
        if target is None:
            rest = [name for name in header if name not in features]
            target = rest[0] if len(rest) == 1 else None
    else:
        if target is None and require_target:
            target = header[-1]
        features = [name for name in header if name != target]
        if not features:
            raise ValueError(f"{shown}: only the target column {target!r}; no features")
    if require_target and target is None:
        raise ValueError(f"{shown}: which column is the target? name it with --target "
                         f"(the columns are {', '.join(map(repr, header))})")
    if target in features:
        raise ValueError(f"{shown}: {target!r} is the target and a feature")
    return features, target


def _read_csv(path, target, features, require_target, default_target, shown) -> DataFile:
    header, body = _rows(path, shown)
    features, target = _columns(header, target, features, require_target, default_target,
                                shown)
    cells = np.array([row for _, row in body], dtype=str)
    index = {name: i for i, name in enumerate(header)}
    text = cells[:, [index[name] for name in features]]
    try:
        X = np.char.strip(text).astype(np.float64)
    except ValueError:
        X = None
    if X is None or not np.isfinite(X).all():
        _bad_cell(text, body, features, shown)
    # a file to predict on may leave its target column blank: it is not read
    y = None if target is None or not require_target else \
        _target_values(cells[:, index[target]], target, body, shown)
    return DataFile(X=X, y=y, feature_names=tuple(features), target=target, path=path)


def _bad_cell(text: np.ndarray, body, features, shown):
    """Raise, naming the first feature value that is not a finite number."""
    for r, row in enumerate(text):
        for c, cell in enumerate(row):
            value = cell.strip()
            problem = ("is empty" if not value else
                       f"{value!r} is not a number" if not _is_number(value) else
                       f"{value!r} is not finite" if not np.isfinite(float(value)) else None)
            if problem:
                raise ValueError(f"{shown}: line {body[r][0]}, column {features[c]!r}: "
                                 f"{problem}; features must be finite numbers (fill or drop "
                                 "missing values first)")
    raise AssertionError("no bad cell found")  # pragma: no cover


def _target_values(column: np.ndarray, name: str, body, shown) -> np.ndarray:
    """A target column: int64 for whole numbers, float64 for other numbers, else str."""
    column = np.char.strip(column)
    empty = np.flatnonzero(column == "")
    if empty.size:
        raise ValueError(f"{shown}: line {body[empty[0]][0]}, target column {name!r}: empty")
    values = column.tolist()
    if all(_INTEGER.match(v) for v in values):
        try:
            return np.array([int(v) for v in values], dtype=np.int64)
        except OverflowError:  # beyond int64: identifiers, kept as names
            return column.astype(str)
    if all(_is_number(v) for v in values):
        y = column.astype(np.float64)
        bad = np.flatnonzero(~np.isfinite(y))
        if bad.size:
            raise ValueError(f"{shown}: line {body[bad[0]][0]}, target column {name!r}: "
                             f"{values[bad[0]]!r} is not finite")
        return y
    return column.astype(str)


def _read_npz(path, target, features, require_target, default_target, shown) -> DataFile:
    if not zipfile.is_zipfile(path):  # np.load would take it for a .npy file or a pickle
        raise ValueError(f"{shown}: not a readable .npz file (not a zip archive of arrays; "
                         "np.savez writes one)")
    try:
        with np.load(path, allow_pickle=False) as archive:
            arrays = {key: archive[key] for key in archive.files}
    except (zipfile.BadZipFile, OSError, EOFError) as exc:
        raise ValueError(f"{shown}: not a readable .npz file ({exc})") from None
    except ValueError as exc:  # object arrays (pickles) are not read
        raise ValueError(f"{shown}: {exc}; store numbers and strings only") from None
    keys = ", ".join(sorted(arrays)) or "none"
    if "X" not in arrays:
        raise ValueError(f"{shown}: no array X (the features); its arrays are {keys}")
    X = arrays["X"]
    if X.ndim != 2 or X.dtype.kind not in "biuf":
        raise ValueError(f"{shown}: X must be a 2-D array of numbers (n_samples, n_features), "
                         f"got {X.dtype} of shape {X.shape}")
    if 0 in X.shape:
        raise ValueError(f"{shown}: X holds no " + ("samples" if X.shape[0] == 0 else
                                                   "features") + f" (shape {X.shape})")
    X = X.astype(np.float64)
    if not np.isfinite(X).all():
        row, col = np.argwhere(~np.isfinite(X))[0]
        raise ValueError(f"{shown}: X[{row}, {col}] is {X[row, col]}; features must be finite")
    names = None
    if "feature_names" in arrays:
        names = arrays["feature_names"]
        if names.shape != (X.shape[1],) or names.dtype.kind not in "US":
            raise ValueError(f"{shown}: feature_names must be {X.shape[1]} strings, one per "
                             f"column of X, got {names.dtype} of shape {names.shape}")
        names = tuple(str(n) for n in names)
    if features is not None and names is not None:
        features = [str(name) for name in features]
        absent = [name for name in features if name not in names]
        if absent:
            raise ValueError(f"{shown}: no feature(s) {absent} among its feature_names")
        X = X[:, [names.index(name) for name in features]]
        names = tuple(features)
    key = target or (default_target if default_target in arrays else "y")
    if key in ("X", "feature_names"):
        raise ValueError(f"{shown}: --target {key} names the features; the targets are "
                         f"another array (default y); its arrays are {keys}")
    y = arrays.get(key)
    if y is None:
        if require_target or target is not None:
            raise ValueError(f"{shown}: no array {key!r} (the targets); its arrays are {keys}")
        return DataFile(X=X, y=None, feature_names=names, target=None, path=path)
    if y.ndim == 2 and y.shape[1] == 1:
        y = y[:, 0]
    if y.shape != (X.shape[0],) or y.dtype.kind not in "biufUS":
        raise ValueError(f"{shown}: {key} must be a 1-D array of {X.shape[0]} labels or values "
                         f"(one per row of X), got {y.dtype} of shape {y.shape}")
    if y.dtype.kind == "f" and not np.isfinite(y).all():
        raise ValueError(f"{shown}: {key} holds non-finite values")
    y = y.astype(np.int64) if y.dtype.kind in "biu" else y.astype(str) if y.dtype.kind == "S" \
        else y
    return DataFile(X=X, y=y, feature_names=names, target=key, path=path)
