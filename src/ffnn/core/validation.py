"""Argument checks shared by the public entry points.

Every check raises a ``ValueError`` or ``TypeError`` whose message names the argument, says
what was expected and shows what came. The checks run once per public call, never inside the
inner loops of the forward and backward passes.
"""

from __future__ import annotations

import functools
import inspect
import numbers
import os
import sys
import warnings
from collections.abc import Callable

import numpy as np

from .registry import Component

FLOAT_DTYPES = (np.dtype(np.float64), np.dtype(np.float32))


def check_float_dtype(dtype, name: str = "dtype") -> np.dtype:
    """Return ``dtype`` as a NumPy dtype, which must be float64 or float32."""
    try:
        resolved = np.dtype(dtype)
    except TypeError as exc:
        raise TypeError(f"{name} must be float64 or float32, got {dtype!r}") from exc
    if resolved not in FLOAT_DTYPES:
        raise ValueError(f"{name} must be float64 or float32, got {resolved.name}")
    return resolved


def is_function_pair(value, kinds: tuple[type, ...] = (tuple,)) -> bool:
    """Whether ``value`` is one ``(f, f_prime)`` pair of plain functions, as in the notebook.

    Two library objects (``(ReLU(), Tanh())``) or classes are callable too, but they are two
    activations (one per layer), never a function and its derivative. A pair is a tuple;
    where only one activation can stand (``kinds=(tuple, list)``) a two-item list is one too,
    whereas a list of two functions given for two layers is one activation per layer.
    """
    return (
        isinstance(value, kinds)
        and len(value) == 2
        and all(callable(f) and not isinstance(f, (Component, type)) for f in value)
    )


def check_pair(f: Callable, f_prime: Callable, what: str) -> None:
    """Refuse a pair whose members are not two plain callables."""
    if not is_function_pair((f, f_prime)):  # two plain callables
        raise TypeError(
            f"{what} must be two plain callables, got ({type(f).__name__}, "
            f"{type(f_prime).__name__})"
        )


def check_seed(seed, name: str = "seed") -> np.random.Generator:
    """``np.random.default_rng(seed)`` for an int >= 0, a Generator or None."""
    if isinstance(seed, bool) or not (
        seed is None or isinstance(seed, (numbers.Integral, np.random.Generator))
    ):
        raise TypeError(f"{name} must be an int, a numpy.random.Generator or None, got {seed!r}")
    if isinstance(seed, numbers.Integral) and seed < 0:
        raise ValueError(f"{name} must be a non-negative int, got {seed}")
    return np.random.default_rng(seed)


def is_integer(value) -> bool:
    """An integer that is not a bool (``True`` is an ``int`` to Python, never a count here)."""
    return isinstance(value, numbers.Integral) and not isinstance(value, bool)


def is_real(value) -> bool:
    """A real number that is not a bool."""
    return isinstance(value, numbers.Real) and not isinstance(value, bool)


def check_integer(value, name: str, minimum: int | None = None) -> int:
    """Return ``value`` as an int, which must be an integer (not a bool) >= ``minimum``."""
    bound = "" if minimum is None else f" >= {minimum}"
    if not is_integer(value):
        raise TypeError(f"{name} must be an integer{bound}, got {value!r} "
                        f"({type(value).__name__})")
    if minimum is not None and value < minimum:
        raise ValueError(f"{name} must be an integer{bound}, got {value}")
    return int(value)


def check_epochs(epochs) -> int:
    """A number of epochs: an integer >= 0."""
    if not (is_integer(epochs) and epochs >= 0):
        raise ValueError(f"epochs must be an integer >= 0, got {epochs!r}")
    return int(epochs)


def check_batch_size(batch_size) -> int | None:
    """A mini-batch size: a positive integer, or None for the full batch."""
    if batch_size is None:
        return None
    if not is_integer(batch_size):
        raise TypeError(f"batch_size must be a positive integer or None, got {batch_size!r}")
    if batch_size < 1:
        raise ValueError(f"batch_size must be a positive integer or None, got {batch_size}")
    return int(batch_size)


def check_divergence_factor(factor) -> float:
    """The divergence guard's factor: a number > 1."""
    if not (is_real(factor) and factor > 1):
        raise ValueError(f"divergence_factor must be a number > 1, got {factor!r}")
    return float(factor)


def check_positive_int(value, name: str) -> int:
    """Return ``value`` as an int, which must be an integer >= 1 (not a bool)."""
    if isinstance(value, bool) or not isinstance(value, numbers.Integral):
        raise TypeError(
            f"{name} must be a positive integer, got {value!r} ({type(value).__name__})"
        )
    if value < 1:
        raise ValueError(f"{name} must be a positive integer, got {value}")
    return int(value)


def check_penalty(value, name: str) -> float:
    """Return a penalty strength as a float, which must be finite and >= 0."""
    if isinstance(value, bool) or not isinstance(value, numbers.Real):
        raise TypeError(
            f"{name} must be a non-negative number, got {value!r} ({type(value).__name__})"
        )
    value = float(value)
    if not np.isfinite(value) or value < 0:
        raise ValueError(f"{name} must be a finite number >= 0, got {value}")
    return value


def check_flag(value, name: str) -> bool:
    """Return a yes/no option as a bool, which must be True or False (or NumPy's bool)."""
    if not isinstance(value, (bool, np.bool_)):
        raise TypeError(f"{name} must be True or False, got {value!r} ({type(value).__name__})")
    return bool(value)


def as_float_array(data, name: str, dtype: np.dtype) -> np.ndarray:
    """Convert ``data`` to an array of ``dtype``, refusing non-numbers, NaN and inf."""
    array = np.asarray(data)
    if array.dtype.kind not in "biuf":
        raise TypeError(f"{name} must hold real numbers, got an array of dtype {array.dtype}")
    # min and max carry any NaN and show any inf without a boolean copy of a large array.
    if array.size and array.dtype.kind == "f" and not (
        np.isfinite(array.min()) and np.isfinite(array.max())
    ):
        bad = int(array.size - np.count_nonzero(np.isfinite(array)))
        raise ValueError(f"{name} must be finite, got {bad} NaN or inf value(s) of {array.size}")
    with np.errstate(over="ignore"):
        cast = np.asarray(array, dtype=dtype)
    if cast is not array and not np.isfinite(cast).all():
        raise ValueError(
            f"{name} must fit in {np.dtype(dtype).name}, got values up to "
            f"{np.abs(array).max():g} (the largest is {np.finfo(dtype).max:g})"
        )
    return cast


def is_sparse(X) -> bool:
    """Whether ``X`` is a SciPy sparse matrix or array (SciPy is not imported to ask: a
    sparse object exists only once ``scipy.sparse`` has been imported)."""
    sparse = sys.modules.get("scipy.sparse")
    return sparse is not None and sparse.issparse(X)


def check_sparse_inputs(X, dtype: np.dtype, name: str = "X"):
    """Return a SciPy sparse ``X`` in CSR form (rows are what a mini-batch gathers) with
    values of ``dtype``, refusing non-numbers, NaN and inf among its stored values. The
    values are copied only where the format or the dtype changes."""
    if X.ndim != 2:
        raise ValueError(f"{name} must be a 2-D sparse matrix (n_samples, n_features), got "
                         f"a {X.ndim}-D sparse array of shape {X.shape}")
    if X.dtype.kind not in "biuf":
        raise TypeError(f"{name} must hold real numbers, got a sparse matrix of dtype "
                        f"{X.dtype}")
    X = X.tocsr()
    data = as_float_array(X.data, f"{name} (its stored values)", dtype)
    if data is X.data:
        return X
    return type(X)((data, X.indices, X.indptr), shape=X.shape)


def check_inputs(X, n_features: int, dtype: np.dtype, name: str = "X") -> np.ndarray:
    """Return ``X`` as a 2-D array ``(n_samples, n_features)`` of ``dtype``.

    A 1-D ``X`` of shape ``(n_features,)`` is one sample and comes back as ``(1, n_features)``.
    A SciPy sparse matrix or array comes back sparse, in CSR form (:func:`check_sparse_inputs`).
    """
    X = check_sparse_inputs(X, dtype, name) if is_sparse(X) else as_float_array(X, name, dtype)
    if X.ndim == 1:
        X = X.reshape(1, -1)
    elif X.ndim != 2:
        raise ValueError(
            f"{name} must have shape (n_samples, {n_features}) or ({n_features},), "
            f"got an array of shape {X.shape}"
        )
    if X.shape[1] != n_features:
        raise ValueError(
            f"{name} has {X.shape[1]} features per sample but the network's input size is "
            f"{n_features}: expected shape (n_samples, {n_features}) or ({n_features},), "
            f"got {X.shape}"
        )
    if X.shape[0] == 0:
        raise ValueError(f"{name} must hold at least one sample, got shape {X.shape}")
    return X


def check_targets(targets, n_samples: int, n_outputs: int, dtype: np.dtype, one_sample: bool,
                  name: str = "targets") -> np.ndarray:
    """Return ``targets`` as a 2-D array ``(n_samples, n_outputs)`` of ``dtype``.

    With one sample (a 1-D input) the targets are ``(n_outputs,)``; with one output a batch's
    targets may also be given as ``(n_samples,)``, and two classes as one-hot rows
    ``(n_samples, 2)`` (as ``ffnn.datasets`` gives them), of which one output (a sigmoid's
    probability of the second class) takes the second column.
    """
    Y = as_float_array(targets, name, dtype)
    if n_outputs == 1 and Y.shape[-1:] == (2,) and Y.ndim == (1 if one_sample else 2) \
            and np.isin(Y, (0, 1)).all() and (Y.sum(axis=-1) == 1).all():
        Y = Y[..., 1:]  # two one-hot classes: the positive class's column
    expected = f"({n_outputs},)" if one_sample else f"({n_samples}, {n_outputs})"
    if (one_sample and Y.shape in ((n_outputs,), (1, n_outputs))) or (
        one_sample and n_outputs == 1 and Y.shape == ()
    ):
        return Y.reshape(1, n_outputs)
    if not one_sample and Y.shape == (n_samples, n_outputs):
        return Y
    if not one_sample and n_outputs == 1 and Y.shape == (n_samples,):
        return Y.reshape(n_samples, 1)
    hint = ""
    if Y.ndim == 1 and n_outputs > 1 and Y.size and np.all(np.mod(Y, 1) == 0):
        hint = (f"; class labels? one-hot encode them into {n_outputs} columns with "
                "ffnn.datasets.one_hot or encode_labels")
    raise ValueError(
        f"{name} must match the network's output: expected shape {expected}, got {Y.shape}"
        + hint
    )


def brief(value, limit: int = 80) -> str:
    """``repr(value)``, cut short: what a file or a user gave must not flood a message."""
    text = repr(value)
    return text if len(text) <= limit else f"{text[:limit]}... ({len(text)} characters)"


_PACKAGE = os.path.dirname(os.path.dirname(os.path.abspath(__file__))) + os.sep  # ffnn/


def warn_caller(message: str, category: type[Warning]) -> None:
    """Warn at the first frame outside this package: the user's line that called in (so the
    default filter shows it once per place in the user's code)."""
    level, frame = 2, inspect.currentframe().f_back  # stacklevel 2: this one's caller
    while frame is not None and os.path.abspath(frame.f_code.co_filename).startswith(_PACKAGE):
        frame, level = frame.f_back, level + 1
    warnings.warn(message, category, stacklevel=level)


#: The extras (pyproject.toml) that bring each optional package (matplotlib is in the core).
EXTRAS = {"jax": "fast", "distributed": "dask", "pandas": "pandas"}


def require(module: str, what: str):
    """Import an optional package, or raise an ImportError that says in one line what needs
    it and the ``pip install`` that brings it."""
    import importlib

    try:
        return importlib.import_module(module)
    except ImportError as exc:
        raise missing(module.split(".")[0], what) from exc


def missing(package: str, what: str, name: str | None = None) -> ImportError:
    """The one-line ImportError for an optional ``package`` that is not installed: ``what``
    needs it (``name``: how to call it, the package's own name by default) and the ``pip
    install`` that brings it (:func:`install_command`)."""
    return ImportError(f"{what} needs {name or package}, which is not installed: "
                       f"{install_command(EXTRAS[package])}")


def install_command(extra: str) -> str:
    """The command that adds ``extra`` to this ffnn, the way this ffnn was installed.

    From the package index: ``pip install 'ffnn[fast]'``. From a source checkout (``pip
    install -e .``) or a checkout on ``sys.path``: ``pip install -e '/path/to/ffnn[fast]'``
    (``'.[fast]'`` from the checkout itself), since no ``ffnn`` on the index is this one;
    from a folder or a wheel file, that folder or file. ``pip`` is this interpreter's
    (``python -m pip`` when the ``pip`` on ``PATH`` would install elsewhere, as in a virtual
    environment that is not activated).
    """
    import shlex
    import shutil

    target, editable = _installed_from()
    if target is None:
        spec = f"ffnn[{extra}]"
    else:
        try:
            here = os.getcwd()
        except OSError:  # the working folder was removed: not the checkout, then
            here = None
        spec = f"{'.' if target == here else target}[{extra}]"
    pip = shutil.which("pip")
    same = pip is not None and os.path.dirname(os.path.abspath(pip)) == os.path.dirname(
        os.path.abspath(sys.executable))
    runner = "pip" if same else f"{shlex.quote(sys.executable)} -m pip"
    quoted = shlex.quote(spec)
    if quoted == spec:  # always quoted: the brackets are a pattern to zsh
        quoted = f"'{spec}'"
    return f"{runner} install {'-e ' * editable}{quoted}"


@functools.cache
def _installed_from() -> tuple[str | None, bool]:
    """``(folder or file, editable)`` that this ffnn was installed from, or ``(None,
    False)`` for an index (read from its ``direct_url.json``, PEP 610)."""
    import json
    from importlib import metadata
    from urllib.parse import unquote, urlparse

    try:
        text = metadata.distribution("ffnn").read_text("direct_url.json")
    except metadata.PackageNotFoundError:  # run from a checkout's src/ on sys.path
        root = os.path.dirname(os.path.dirname(_PACKAGE.rstrip(os.sep)))
        if os.path.isfile(os.path.join(root, "pyproject.toml")):
            return root, True
        return None, False
    origin = json.loads(text) if text else {}
    url = urlparse(origin.get("url", ""))
    if url.scheme == "file" and os.path.exists(unquote(url.path)):
        return (os.path.abspath(unquote(url.path)),
                bool(origin.get("dir_info", {}).get("editable")))
    return None, False


def installed(package: str) -> bool:
    """Whether an optional package can be imported (without importing it)."""
    from importlib.util import find_spec

    try:
        return find_spec(package) is not None
    except (ImportError, ValueError):
        return False


def check_output_path(path, name: str, example: str = "") -> None:
    """Refuse, before any work, a path that writing a file there would refuse: a folder, or
    a folder that does not exist or cannot be written. ``name`` is the argument's name in
    the message (a flag on the command line)."""
    path = os.fspath(path)
    if os.path.isdir(path):
        raise ValueError(f"{name}: {path} is a folder; give a file name"
                         + (f" such as {example}" if example else ""))
    folder = os.path.dirname(os.path.abspath(path))
    if not os.path.isdir(folder):
        raise ValueError(f"{name}: the folder of {path} does not exist")
    if not os.access(folder, os.W_OK):
        raise ValueError(f"{name}: the folder of {path} cannot be written to")
