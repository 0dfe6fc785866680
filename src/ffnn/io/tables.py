"""A user's own data from a file: a CSV table with a header row, or an ``.npz`` of arrays.

``ffnn train --data FILE --target COLUMN`` and ``ffnn predict``/``ffnn evaluate`` read files
through :func:`read_data`; in Python, :func:`read_data` gives a :class:`DataFile` whose
:meth:`DataFile.dataset` is the :class:`~ffnn.data.datasets.Dataset` that training takes.

CSV
    The first row names the columns; every other row holds one sample, as many fields as
    the header. The delimiter is the header line's most frequent of ``,`` ``;`` tab ``|``.
    Feature columns hold numbers (``1.5``, ``-2e-3``); the target column holds numbers or
    names (``setosa``). Empty lines are skipped. Errors name the file, the line and the
    column: a missing, non-numeric or non-finite feature value; a row of the wrong length;
    a quote left open (a quoted field may not run over a line end) or text after a closing
    quote; a repeated column name; a target column that is not there; a target that is
    missing (empty, or ``NA``, ``?``, ``nan`` … among numbers). A first row that looks like
    a sample (numbers over every column of numbers) is refused with the ways to read it:
    ``header="none"`` (columns ``x0``, ``x1``, …), names, or ``"first"``. The file is read
    in chunks of rows, each converted to numbers at once: memory holds the numbers, not the
    text, and columns that are not read cost nothing.
``.npz``
    ``X`` (n_samples, n_features) and, for training and evaluation, the targets ``y``
    (n_samples,) (``--target`` names another array); optionally ``feature_names``
    (n_features,) of distinct strings (bytes are decoded as UTF-8). Each array's header is
    checked against the data its entry holds, and their inflated size against half the
    machine's memory, before anything is inflated or allocated.

The task follows the target unless given: names, or whole numbers written without a decimal
point (``0``, ``1``, ``2``), are classes; any number with a point or an exponent (``1.5``,
``3.0``) makes it regression. Whole numbers with about as many classes as samples (over ten
classes, under two samples each: prices, identifiers) are refused with a pointer to
``task="regression"`` (``--task regression``) rather than trained as thousands of classes.
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
        inferred = task is None
        task = self.task(task)
        if task == "classification":
            _check_class_count(self.y, self.path, self.target, flag, inferred)
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


#: One-hot targets larger than this many bytes are refused (n_samples × n_classes × 8).
ONE_HOT_LIMIT = 2**30


def _check_class_count(y: np.ndarray, path: str, target, flag: str, inferred: bool) -> None:
    """Refuse a classification whose classes are about as many as its samples (an average
    under two samples a class: values read as labels) or whose one-hot targets would not
    fit in memory."""
    n = len(y)
    k = len(np.unique(y))
    numbers = y.dtype.kind in "iu"
    if inferred and numbers and k > 10 and 2 * k > n:
        raise ValueError(f"{flag} {path}: the target column {target!r} has {k} classes for "
                         f"{n} samples (whole numbers read as class labels); for a quantity "
                         "use --task regression (in Python task='regression')")
    if n * k * 8 > ONE_HOT_LIMIT:
        raise ValueError(f"{flag} {path}: the target column {target!r} has {k} classes for "
                         f"{n} samples: their one-hot targets would take {n * k * 8 / 2**30:.1f}"
                         " GiB" + ("; for a quantity use --task regression (in Python "
                                   "task='regression')" if numbers else ""))


def read_data(path, *, target: str | None = None, features=None,
              require_target: bool = True, default_target: str | None = None,
              flag: str = "--data", header=None) -> DataFile:
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
    header : None, "first", "none" or sequence of str
        A CSV's column names. None: its first row, unless that row looks like a sample
        (numbers over every column of numbers), which is an error that says what to give;
        ``"first"``: its first row, whatever it holds; ``"none"``: the first row is a sample
        and the columns are ``x0``, ``x1``, …; names (a list, or one comma-separated string):
        the first row is a sample and these name the columns.

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
        return _read_csv(path, target, features, require_target, default_target, shown,
                         header)
    if extension == ".npz":
        return _read_npz(path, target, features, require_target, default_target, shown)
    raise ValueError(f"{shown}: expected a .csv file with a header row or an .npz file with "
                     f"arrays X and y, got a {extension or 'file without extension'}")


#: Delimiters a CSV may use; the header line picks one (the most frequent outside quotes).
DELIMITERS = (",", ";", "\t", "|")
#: How a missing value is written in a target column of numbers.
MISSING = frozenset({"", "na", "n/a", "nan", "null", "none", "?", "-", "#n/a"})
_CHUNK = 4096  # rows parsed as text before their numbers are converted


def _delimiter(first_line: str) -> str:
    """The delimiter of a header line: the most frequent of :data:`DELIMITERS` outside
    quotes (a comma when none appears: a one-column file)."""
    outside = re.sub(r'"[^"]*"', "", first_line)
    counts = {d: outside.count(d) for d in DELIMITERS}
    best = max(DELIMITERS, key=lambda d: counts[d])
    return best if counts[best] else ","


def _records(file, delimiter: str, shown: str):
    """``(line, fields)`` for each non-blank row; strict about quotes: a quoted field that
    runs over a line end or to the end of the file (an unmatched quote) and text after a
    closing quote are errors naming the line."""
    reader = csv.reader(file, delimiter=delimiter, strict=True)
    last = 0
    while True:
        try:
            row = next(reader)
        except StopIteration:
            return
        except csv.Error as exc:
            raise ValueError(f"{shown}: line {last + 1}: not a CSV row ({exc}; an unmatched "
                             "quote?)") from None
        if reader.line_num - last > 1:
            raise ValueError(f"{shown}: line {last + 1}: a quoted field runs over "
                             f"{reader.line_num - last} lines (an unmatched quote?); quote "
                             "each field on one line")
        line, last = last + 1, reader.line_num
        if row and (len(row) > 1 or row[0].strip()):  # blank lines are skipped
            yield line, row


def _is_number(text: str) -> bool:
    try:
        float(text)
    except ValueError:
        return False
    return True


def _looks_like_data(first: list[str], second: list[str] | None) -> bool:
    """Whether a first row is a sample: numbers over every column of numbers (the next
    row's), or numbers only."""
    first = [field.strip() for field in first]
    if second is None or len(second) != len(first):
        return all(_is_number(field) for field in first)
    numeric = [i for i, field in enumerate(second) if _is_number(field.strip())]
    return bool(numeric) and all(_is_number(first[i]) for i in numeric)


def _header(first: list[str], second: list[str] | None, header,
            shown: str) -> tuple[list[str], bool]:
    """The column names, and whether the first row is data (``header="none"`` or names)."""
    names = [name.strip() for name in first]
    if header is None and _looks_like_data(first, second):
        raise ValueError(
            f"{shown}: the first row ({', '.join(names[:5])}{', ...' if len(names) > 5 else ''}"
            ") looks like a sample, not column names: numbers where the columns hold numbers; "
            "read it as data with --header none (the columns are then x0, x1, ...) or "
            "--header a,b,c (their names), or keep it as the names with --header first (in "
            "Python header='none', ['a', 'b', 'c'] or 'first')")
    if header is None or (isinstance(header, str) and header.strip().lower() == "first"):
        return names, False
    if isinstance(header, str) and header.strip().lower() == "none":
        return [f"x{i}" for i in range(len(first))], True
    names = [str(name).strip() for name in
             (header.split(",") if isinstance(header, str) else header)]
    if len(names) != len(first):
        raise ValueError(f"{shown}: header gives {len(names)} names, the first row has "
                         f"{len(first)} fields")
    return names, True


def _check_header(names: list[str], shown: str) -> None:
    if "" in names:
        raise ValueError(f"{shown}: column {names.index('') + 1} of the header has no name")
    repeated = sorted({name for name in names if names.count(name) > 1})
    if repeated:
        raise ValueError(f"{shown}: the header names {repeated} more than once")


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


class _NumericTarget:
    """A target column read a chunk of rows at a time while it holds numbers: whole numbers
    as int64, others as float64, so that memory holds the numbers, not the text. A name
    among them (a label column) sets ``labels``: the column is then read again as text."""

    def __init__(self, name: str, shown: str):
        self.name, self.shown = name, shown
        self.chunks: list[np.ndarray] = []
        self.whole = True  # every value so far a whole number (int64 chunks)
        self.labels = False
        self.missing: tuple[int, str, int] | None = None  # first (line, value), count

    def add(self, values: list[str], lines: list[int]) -> None:
        if self.labels:
            return
        values = [v.strip() for v in values]
        for i, value in enumerate(values):
            if not value:
                raise ValueError(f"{self.shown}: line {lines[i]}, target column "
                                 f"{self.name!r}: empty; drop the rows without a target or "
                                 "fill them in")
        if self.whole and all(_INTEGER.match(v) for v in values):
            try:
                self.chunks.append(np.array([int(v) for v in values], dtype=np.int64))
                return
            except OverflowError:  # beyond int64: identifiers, read as names
                self.labels = True
                return
        numbers = np.full(len(values), np.nan)
        for i, value in enumerate(values):
            try:
                numbers[i] = float(value)
            except ValueError:
                if value.lower() not in MISSING:
                    self.labels = True
                    return
                line, first, count = self.missing or (lines[i], value, 0)
                self.missing = (line, first, count + 1)
                continue
            if value.lower() in MISSING:  # "nan", "NaN": a missing value written as one
                line, first, count = self.missing or (lines[i], value, 0)
                self.missing = (line, first, count + 1)
            elif not np.isfinite(numbers[i]):
                raise ValueError(f"{self.shown}: line {lines[i]}, target column "
                                 f"{self.name!r}: {value!r} is not finite")
        if self.whole:
            self.chunks = [c.astype(np.float64) for c in self.chunks]
            self.whole = False
        self.chunks.append(numbers)

    def values(self, n: int) -> np.ndarray:
        if self.missing is not None:
            line, value, count = self.missing
            raise ValueError(f"{self.shown}: line {line}, target column {self.name!r}: "
                             f"{value!r} is a missing value ({count} of {n} rows have no "
                             "target); drop those rows or fill them in")
        return np.concatenate(self.chunks) if len(self.chunks) > 1 else self.chunks[0]


def _read_csv(path, target, features, require_target, default_target, shown,
              header=None) -> DataFile:
    """Stream the file: the feature columns converted to float64 a chunk of rows at a time
    and a target of numbers likewise (memory: the numbers, not the text); other columns are
    not kept. A target of names is read again as text."""
    try:
        with open(path, encoding="utf-8-sig", newline="") as file:
            delimiter = _delimiter(next((line for line in file if line.strip()), ""))
            file.seek(0)
            rows = _records(file, delimiter, shown)
            first = next(rows, None)
            if first is None:
                raise ValueError(f"{shown}: the file is empty; expected a header row and "
                                 "samples")
            second = next(rows, None)
            names, first_is_data = _header(first[1], None if second is None else second[1],
                                           header, shown)
            _check_header(names, shown)
            features, target = _columns(names, target, features, require_target,
                                        default_target, shown)
            take = [names.index(name) for name in features]
            at = names.index(target) if target is not None and require_target else None
            column = None if at is None else _NumericTarget(target, shown)
            rows = _chain([first] if first_is_data else [], [second] if second else [], rows)
            chunks, n = [], 0
            for pending in _chunks(rows, len(names), delimiter, shown):
                lines = [line for line, _ in pending]
                text = [[row[i] for i in take] for _, row in pending]
                try:
                    numbers = np.array(text, dtype=np.float64).reshape(len(text), len(take))
                except ValueError:
                    numbers = None
                if numbers is None or not np.isfinite(numbers).all():
                    _bad_cell(text, pending, features, shown)
                chunks.append(numbers)
                if column is not None:
                    column.add([row[at] for _, row in pending], lines)
                n += len(pending)
    except UnicodeDecodeError as exc:
        raise ValueError(f"{shown}: not a UTF-8 text file ({exc.reason} at byte "
                         f"{exc.start})") from None
    if not n:
        raise ValueError(f"{shown}: the header is there but no samples follow")
    X = np.concatenate(chunks) if len(chunks) > 1 else chunks[0]
    del chunks
    y = None
    if column is not None and not column.labels:
        y = column.values(n)
    elif column is not None:
        y = _target_values(*_text_column(path, delimiter, at, first_is_data, shown),
                           target, shown)
    return DataFile(X=X, y=y, feature_names=tuple(features), target=target, path=path)


def _chunks(rows, width: int, delimiter: str, shown: str):
    """Lists of ``_CHUNK`` rows ``(line, fields)``, each row checked for its width."""
    pending = []
    for line, row in rows:
        if len(row) != width:
            raise ValueError(f"{shown}: line {line} has {len(row)} fields, the header "
                             f"{width}" + (f" (the delimiter is {delimiter!r})"
                                           if len(row) == 1 else ""))
        pending.append((line, row))
        if len(pending) == _CHUNK:
            yield pending
            pending = []
    if pending:
        yield pending


def _text_column(path, delimiter: str, at: int, first_is_data: bool,
                 shown: str) -> tuple[list[str], list[int]]:
    """One column of the file as text, with the rows' line numbers (a target of names)."""
    with open(path, encoding="utf-8-sig", newline="") as file:
        rows = _records(file, delimiter, shown)
        if not first_is_data:
            next(rows)
        values, lines = [], []
        for line, row in rows:
            values.append(row[at])
            lines.append(line)
    return values, lines


def _chain(*parts):
    for part in parts:
        yield from part


def _bad_cell(text: list[list[str]], rows, features, shown):
    """Raise, naming the first feature value that is not a finite number."""
    for r, row in enumerate(text):
        for c, cell in enumerate(row):
            value = cell.strip()
            problem = ("is empty" if not value else
                       f"{value!r} is not a number" if not _is_number(value) else
                       f"{value!r} is not finite" if not np.isfinite(float(value)) else None)
            if problem:
                raise ValueError(f"{shown}: line {rows[r][0]}, column {features[c]!r}: "
                                 f"{problem}; features must be finite numbers (fill or drop "
                                 "missing values first)")
    raise AssertionError("no bad cell found")  # pragma: no cover


def _target_values(column: list[str], lines: list[int], name: str, shown) -> np.ndarray:
    """A target column: int64 for whole numbers, float64 for other numbers, else str. A
    missing value (empty, ``NA``, ``nan``, ``?`` …) among numbers or names is refused."""
    column = [value.strip() for value in column]
    numbers = [i for i, value in enumerate(column)
               if value.lower() not in MISSING and _is_number(value)]
    # Empty is missing anywhere; "NA", "?" … are missing among numbers (among names they
    # may be a class: "none").
    missing = [i for i, value in enumerate(column)
               if not value or (numbers and value.lower() in MISSING)]
    if missing:
        i = missing[0]
        problem = "empty" if not column[i] else f"{column[i]!r} is a missing value"
        raise ValueError(f"{shown}: line {lines[i]}, target column {name!r}: {problem} "
                         f"({len(missing)} of {len(column)} rows have no target); drop "
                         "those rows or fill them in")
    if all(_INTEGER.match(v) for v in column):
        try:
            return np.array([int(v) for v in column], dtype=np.int64)
        except OverflowError:  # beyond int64: identifiers, kept as names
            return np.array(column, dtype=str)
    if len(numbers) == len(column):
        y = np.array(column, dtype=np.float64)
        bad = np.flatnonzero(~np.isfinite(y))
        if bad.size:
            raise ValueError(f"{shown}: line {lines[bad[0]]}, target column {name!r}: "
                             f"{column[bad[0]]!r} is not finite")
        return y
    return np.array(column, dtype=str)


def _check_members(path: str, shown: str) -> None:
    """Each array's ``.npy`` header against what its entry holds (nothing allocated beyond
    the data), and their inflated size against the machine's memory: a compressed .npz of
    zeros (a bomb) is refused before it is inflated."""
    from .container import member_header

    with zipfile.ZipFile(path) as archive:
        infos = [i for i in archive.infolist() if i.filename.endswith(".npy")]
        for info in infos:
            member_header(archive, info, info.filename[:-4], shown, objects=(
                "holds Python objects (dtype object), which are never unpickled "
                "(allow_pickle=False); store numbers and strings only"))
    inflated = sum(info.file_size for info in infos)
    memory = _physical_memory()
    if memory and inflated > memory // 2:
        raise ValueError(f"{shown}: its arrays inflate to {inflated / 2**30:.1f} GiB, more "
                         f"than half this machine's memory ({memory / 2**30:.1f} GiB)")


def _physical_memory() -> int | None:
    try:
        return os.sysconf("SC_PHYS_PAGES") * os.sysconf("SC_PAGE_SIZE")
    except (AttributeError, ValueError, OSError):  # not POSIX: no limit known
        return None


def _read_npz(path, target, features, require_target, default_target, shown) -> DataFile:
    if not zipfile.is_zipfile(path):  # np.load would take it for a .npy file or a pickle
        raise ValueError(f"{shown}: not a readable .npz file (not a zip archive of arrays; "
                         "np.savez writes one)")
    _check_members(path, shown)
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
        try:
            names = tuple(n.decode("utf-8") if isinstance(n, bytes) else str(n)
                          for n in names.tolist())
        except UnicodeDecodeError:
            raise ValueError(f"{shown}: feature_names must be UTF-8 text") from None
        repeated = sorted({n for n in names if names.count(n) > 1})
        if repeated:
            raise ValueError(f"{shown}: feature_names names {repeated} more than once")
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
