"""Data sets of the course: scikit-learn's shipped copies, MNIST and the regression generators.

Classification: ``iris``, ``breast-cancer``, ``digits`` and ``wine``, read from the files that
ship with scikit-learn (nothing is downloaded), with one-hot targets; ``mnist`` and
``fashion-mnist`` (28 x 28 images of ten classes, with their standard test part), read from
the four IDX files in a data folder or fetched once from OpenML (see :func:`load_dataset`).
Regression: the Franke function on the unit square, the 2-D Runge function on ``[-1, 1]²``,
the Runge function and a polynomial on ``[-1, 1]``, sampled uniformly with Gaussian noise.
``load_dataset`` gives either kind as a ``Dataset``; ``split`` and ``standardize`` wrap
scikit-learn's ``train_test_split`` and ``StandardScaler``.

>>> data = load_dataset("wine")
>>> X_train, X_test, y_train, y_test = split(data.X, data.targets, seed=0)
>>> X_train, X_test, scaler = standardize(X_train, X_test)
>>> X_train.shape, y_train.shape
((142, 13), (142, 3))
"""

from __future__ import annotations

import math
import numbers
from collections.abc import Sequence
from dataclasses import dataclass
from types import SimpleNamespace

import numpy as np

from ..core.validation import (
    FLOAT_DTYPES,
    as_float_array,
    check_penalty,
    check_positive_int,
    check_seed,
    is_integer,
    is_real,
    is_sparse,
)

__all__ = [
    "DATASET_NAMES",
    "Dataset",
    "load_dataset",
    "load_iris",
    "one_hot",
    "encode_labels",
    "franke",
    "franke_function",
    "runge",
    "runge_function",
    "runge2d",
    "runge2d_function",
    "polynomial",
    "split",
    "standardize",
]

#: Names accepted by :func:`load_dataset` (``_`` may stand for ``-``).
DATASET_NAMES: tuple[str, ...] = (
    "iris",
    "breast-cancer",
    "digits",
    "wine",
    "mnist",
    "fashion-mnist",
    "franke",
    "runge",
    "runge2d",
    "polynomial",
)

_SHIPPED = {
    "iris": "load_iris",
    "breast-cancer": "load_breast_cancer",
    "digits": "load_digits",
    "wine": "load_wine",
}
_GENERATED = ("franke", "runge", "runge2d", "polynomial")
#: The image sets read from IDX files (or OpenML), which come with a standard test part.
_IMAGES = ("mnist", "fashion-mnist")
_FASHION_CLASSES = ("T-shirt/top", "Trouser", "Pullover", "Dress", "Coat", "Sandal", "Shirt",
                    "Sneaker", "Bag", "Ankle boot")


# ---------------------------------------------------------------------------------------------
# Class labels and one-hot targets
# ---------------------------------------------------------------------------------------------


def one_hot(labels, n_classes: int | None = None) -> np.ndarray:
    """Targets with a 1 in the column of each sample's class, as in the notebook.

    Parameters
    ----------
    labels : array-like of int, shape (n_samples,)
        Class indices ``0 .. n_classes - 1``.
    n_classes : int, optional
        Number of columns; by default ``max(labels) + 1``.

    Returns
    -------
    ndarray of float64, shape (n_samples, n_classes)
    """
    labels = np.asarray(labels)
    if labels.ndim != 1 or labels.dtype.kind not in "iu":
        raise ValueError(
            f"labels must be a 1-D array of class indices, got dtype {labels.dtype} "
            f"and shape {labels.shape}"
        )
    if labels.size and labels.min() < 0:
        raise ValueError(f"labels must be >= 0, got {labels.min()}")
    n = int(labels.max()) + 1 if n_classes is None and labels.size else int(n_classes or 0)
    if labels.size and labels.max() >= n:
        raise ValueError(f"labels go up to {labels.max()}, more than n_classes={n} allows")
    targets = np.zeros((labels.size, n))
    targets[np.arange(labels.size), labels] = 1.0
    return targets


def _as_label_array(values, name: str) -> np.ndarray:
    """Return class labels as a 1-D array of integers, booleans or strings."""
    array = np.asarray(values)
    if array.ndim != 1:
        raise ValueError(
            f"{name} must be a 1-D array of class labels (integers or strings), "
            f"got an array of shape {array.shape}"
        )
    if array.dtype.kind == "O":
        if all(isinstance(v, str) for v in array.tolist()):
            array = array.astype(str)
        elif all(
            is_integer(v) for v in array.tolist()
        ):
            array = array.astype(np.int64)
        else:
            kinds = sorted({type(v).__name__ for v in array.tolist()})
            raise TypeError(
                f"{name} must hold class labels of one kind (all integers or all strings), "
                f"got values of types {kinds}"
            )
    if array.dtype.kind == "f":
        integral = np.isfinite(array) & (array == np.round(array))
        if not integral.all():
            raise ValueError(
                f"{name} must be class labels (integers or strings), got non-integer numbers "
                f"such as {array[~integral][0].item()!r}; regression targets have no classes"
            )
        array = array.astype(np.int64)
    if array.dtype.kind not in "biuUS":
        raise TypeError(
            f"{name} must hold class labels (integers or strings), got dtype {array.dtype}"
        )
    return array


def encode_labels(labels, classes=None) -> tuple[np.ndarray, np.ndarray]:
    """One-hot targets from class labels, and the classes that name the columns.

    Parameters
    ----------
    labels : array-like of int or str, shape (n_samples,)
        The class of each sample, e.g. ``[0, 2, 1]`` or ``["setosa", "virginica"]``. Floats
        are accepted when they are whole numbers.
    classes : array-like of int or str, shape (n_classes,), optional
        The classes, one per column of the targets, in this order (so all classes get a
        column even when some are missing from ``labels``). By default the sorted distinct
        values of ``labels``, like scikit-learn's ``classes_``.

    Returns
    -------
    targets : ndarray of float64, shape (n_samples, n_classes)
        ``targets[i, k] == 1`` when sample ``i`` is of class ``classes[k]``, else 0.
    classes : ndarray, shape (n_classes,)
        ``classes[targets.argmax(axis=1)]`` gives back ``labels``.

    Raises
    ------
    ValueError
        If a label is not among ``classes`` (the unknown labels are named), if ``classes``
        repeats a value, or if there are no labels to learn the classes from.
    """
    labels = _as_label_array(labels, "labels")
    if classes is None:
        if labels.size == 0:
            raise ValueError(
                "labels must hold at least one label to learn the classes from, got none; "
                "pass classes= to encode an empty set of labels"
            )
        classes, index = np.unique(labels, return_inverse=True)
        return one_hot(index.reshape(-1), classes.size), classes

    classes = _as_label_array(classes, "classes")
    if classes.size == 0:
        raise ValueError("classes must hold at least one class, got an empty array")
    distinct, counts = np.unique(classes, return_counts=True)
    if distinct.size != classes.size:
        raise ValueError(
            f"classes must be distinct, got {distinct[counts > 1].tolist()} more than once"
        )
    if labels.size == 0:
        return np.zeros((0, classes.size)), classes
    strings = labels.dtype.kind in "US"
    if strings != (classes.dtype.kind in "US"):
        known = np.zeros(labels.size, dtype=bool)
        index = np.zeros(labels.size, dtype=np.intp)
    else:
        order = np.argsort(classes, kind="stable")
        position = np.searchsorted(classes, labels, sorter=order).clip(max=classes.size - 1)
        index = order[position]
        known = classes[index] == labels
    if not known.all():
        unknown = np.unique(labels[~known])
        shown = ", ".join(repr(v) for v in unknown[:10].tolist())
        more = f" and {unknown.size - 10} more" if unknown.size > 10 else ""
        raise ValueError(
            f"labels contain {unknown.size} value(s) not in classes: {shown}{more}; "
            f"classes are {classes.tolist()}"
        )
    return one_hot(index, classes.size), classes


# ---------------------------------------------------------------------------------------------
# Regression generators
# ---------------------------------------------------------------------------------------------


def _check_noise(noise) -> float:
    return check_penalty(noise, "noise")


def franke_function(x, y) -> np.ndarray:
    """The Franke function, a test surface on the unit square (noiseless).

    .. math::

        f(x, y) = \\tfrac34 e^{-(9x-2)^2/4 - (9y-2)^2/4}
                + \\tfrac34 e^{-(9x+1)^2/49 - (9y+1)/10}
                + \\tfrac12 e^{-(9x-7)^2/4 - (9y-3)^2/4}
                - \\tfrac15 e^{-(9x-4)^2 - (9y-7)^2}

    Parameters
    ----------
    x, y : array-like of float
        Coordinates, broadcast against each other (usually in ``[0, 1]``).

    Returns
    -------
    ndarray of float64, the broadcast shape of ``x`` and ``y``
    """
    x = as_float_array(x, "x", np.dtype(np.float64))
    y = as_float_array(y, "y", np.dtype(np.float64))
    term1 = 0.75 * np.exp(-((9 * x - 2) ** 2) / 4 - (9 * y - 2) ** 2 / 4)
    term2 = 0.75 * np.exp(-((9 * x + 1) ** 2) / 49 - (9 * y + 1) / 10)
    term3 = 0.5 * np.exp(-((9 * x - 7) ** 2) / 4 - (9 * y - 3) ** 2 / 4)
    term4 = -0.2 * np.exp(-((9 * x - 4) ** 2) - (9 * y - 7) ** 2)
    return term1 + term2 + term3 + term4


def runge_function(x) -> np.ndarray:
    """The Runge function ``1 / (1 + 25 x²)`` (noiseless).

    Parameters
    ----------
    x : array-like of float
        Points, usually in ``[-1, 1]``.

    Returns
    -------
    ndarray of float64, the shape of ``x``
    """
    x = as_float_array(x, "x", np.dtype(np.float64))
    return 1.0 / (1.0 + 25.0 * x**2)


def franke(
    n_samples: int = 400, noise: float = 0.05, seed: int | np.random.Generator | None = None
) -> tuple[np.ndarray, np.ndarray]:
    """Noisy samples of the Franke function at uniform points of the unit square.

    ``X`` is drawn first and the noise after it, so one seed gives the same ``X`` for every
    ``noise`` (and ``noise=0`` gives the function itself).

    Parameters
    ----------
    n_samples : int, default 400
        Number of points.
    noise : float, default 0.05
        Standard deviation of the Gaussian noise added to ``y`` (finite, >= 0).
    seed : int, numpy.random.Generator or None
        Source of randomness (``np.random.default_rng(seed)``); None draws fresh entropy.

    Returns
    -------
    X : ndarray of float64, shape (n_samples, 2)
        Columns ``x`` and ``y``, uniform in ``[0, 1]``.
    y : ndarray of float64, shape (n_samples, 1)
        ``franke_function(x, y) + noise · ε`` with ``ε ~ N(0, 1)``.
    """
    return _noisy_2d(franke_function, 0.0, 1.0, n_samples, noise, seed)


def runge(
    n_samples: int = 200, noise: float = 0.05, seed: int | np.random.Generator | None = None
) -> tuple[np.ndarray, np.ndarray]:
    """Noisy samples of the Runge function at uniform points of ``[-1, 1]``.

    Parameters
    ----------
    n_samples : int, default 200
        Number of points.
    noise : float, default 0.05
        Standard deviation of the Gaussian noise added to ``y`` (finite, >= 0).
    seed : int, numpy.random.Generator or None
        Source of randomness (``np.random.default_rng(seed)``); None draws fresh entropy.

    Returns
    -------
    X : ndarray of float64, shape (n_samples, 1)
        ``x``, uniform in ``[-1, 1]``.
    y : ndarray of float64, shape (n_samples, 1)
        ``1 / (1 + 25 x²) + noise · ε`` with ``ε ~ N(0, 1)``.
    """
    n_samples = check_positive_int(n_samples, "n_samples")
    noise = _check_noise(noise)
    rng = check_seed(seed)
    X = rng.uniform(-1.0, 1.0, size=(n_samples, 1))
    y = runge_function(X) + noise * rng.standard_normal((n_samples, 1))
    return X, y


def runge2d_function(x, y) -> np.ndarray:
    """The 2-D Runge function ``1 / (1 + 25 (x² + y²))`` (noiseless).

    Parameters
    ----------
    x, y : array-like of float
        Coordinates, broadcast against each other (usually in ``[-1, 1]``).

    Returns
    -------
    ndarray of float64, the broadcast shape of ``x`` and ``y``
    """
    x = as_float_array(x, "x", np.dtype(np.float64))
    y = as_float_array(y, "y", np.dtype(np.float64))
    return 1.0 / (1.0 + 25.0 * (x**2 + y**2))


def _noisy_2d(function, low: float, high: float, n_samples, noise, seed):
    """``X`` uniform in ``[low, high]²`` (drawn first), then ``function(x, y) + noise · ε``."""
    n_samples = check_positive_int(n_samples, "n_samples")
    noise = _check_noise(noise)
    rng = check_seed(seed)
    X = rng.uniform(low, high, size=(n_samples, 2))
    y = function(X[:, 0], X[:, 1]) + noise * rng.standard_normal(n_samples)
    return X, y.reshape(-1, 1)


def runge2d(
    n_samples: int = 400, noise: float = 0.05, seed: int | np.random.Generator | None = None
) -> tuple[np.ndarray, np.ndarray]:
    """Noisy samples of the 2-D Runge function at uniform points of ``[-1, 1]²``.

    ``X`` is drawn first and the noise after it, as for :func:`franke`, so one seed gives the
    same ``X`` for every ``noise`` (and ``noise=0`` gives the function itself).

    Parameters
    ----------
    n_samples : int, default 400
        Number of points.
    noise : float, default 0.05
        Standard deviation of the Gaussian noise added to ``y`` (finite, >= 0).
    seed : int, numpy.random.Generator or None
        Source of randomness (``np.random.default_rng(seed)``); None draws fresh entropy.

    Returns
    -------
    X : ndarray of float64, shape (n_samples, 2)
        Columns ``x`` and ``y``, uniform in ``[-1, 1]``.
    y : ndarray of float64, shape (n_samples, 1)
        ``1 / (1 + 25 (x² + y²)) + noise · ε`` with ``ε ~ N(0, 1)``.
    """
    return _noisy_2d(runge2d_function, -1.0, 1.0, n_samples, noise, seed)


def polynomial(
    n_samples: int = 200,
    coefficients: Sequence[float] = (1.0, -2.0, 0.5),
    noise: float = 0.05,
    seed: int | np.random.Generator | None = None,
) -> tuple[np.ndarray, np.ndarray]:
    """Noisy samples of a polynomial ``Σ_k c_k x^k`` at uniform points of ``[-1, 1]``.

    Parameters
    ----------
    n_samples : int, default 200
        Number of points.
    coefficients : sequence of float, shape (degree + 1,), default (1.0, -2.0, 0.5)
        ``c_0, c_1, ..., c_degree``, lowest degree first (NumPy's ``polynomial.polyval``
        order), so the default is ``1 - 2x + 0.5x²``.
    noise : float, default 0.05
        Standard deviation of the Gaussian noise added to ``y`` (finite, >= 0).
    seed : int, numpy.random.Generator or None
        Source of randomness (``np.random.default_rng(seed)``); None draws fresh entropy.

    Returns
    -------
    X : ndarray of float64, shape (n_samples, 1)
        ``x``, uniform in ``[-1, 1]``.
    y : ndarray of float64, shape (n_samples, 1)
        ``Σ_k c_k x^k + noise · ε`` with ``ε ~ N(0, 1)``.
    """
    n_samples = check_positive_int(n_samples, "n_samples")
    c = as_float_array(coefficients, "coefficients", np.dtype(np.float64))
    if c.ndim != 1 or c.size == 0:
        raise ValueError(
            "coefficients must be a non-empty 1-D sequence c_0, c_1, ... (lowest degree "
            f"first), got an array of shape {c.shape}"
        )
    noise = _check_noise(noise)
    rng = check_seed(seed)
    X = rng.uniform(-1.0, 1.0, size=(n_samples, 1))
    y = np.polynomial.polynomial.polyval(X, c) + noise * rng.standard_normal((n_samples, 1))
    return X, y


# ---------------------------------------------------------------------------------------------
# Named data sets
# ---------------------------------------------------------------------------------------------


@dataclass(frozen=True, eq=False)
class Dataset:
    """A data set ready for a network: inputs, targets and what they mean.

    Most sets are one part, to split as the study needs (:func:`split`). MNIST and
    Fashion-MNIST come with the standard test part of their publishers (the ``t10k`` files):
    then ``X`` and ``targets`` are the standard training part (60000 images) and ``X_test``
    and ``targets_test`` the test part (10000), kept apart so that results compare with
    published ones. For every other set ``X_test`` and ``targets_test`` are None.

    Attributes
    ----------
    X : ndarray of float64, shape (n_samples, n_features)
        The inputs, unscaled (see :func:`standardize`); the training part where the set has
        a standard test part. C-contiguous.
    targets : ndarray of float64, shape (n_samples, n_classes) or (n_samples, 1)
        One-hot rows for classification (also for two classes, which a network with one
        sigmoid output takes as they are: it learns the second column); the noisy function
        values for regression.
    task : {"classification", "regression"}
    classes : ndarray, shape (n_classes,), or None
        The class of each column of ``targets`` (scikit-learn's integer targets for the
        shipped sets); None for regression.
    feature_names : tuple of str, length n_features
    name : str
        The canonical name, one of ``DATASET_NAMES``.
    class_names : tuple of str, length n_classes, or None
        Human-readable names of ``classes`` (e.g. breast cancer's class 0 is
        ``"malignant"``); None for regression.
    X_test : ndarray of float64, shape (n_test, n_features), or None
        The standard test part's inputs (MNIST and Fashion-MNIST); None for the other sets.
    targets_test : ndarray of float64, shape (n_test, n_classes), or None
        Its one-hot targets, columns as ``targets``; None when ``X_test`` is.

    Each part has the same views: ``labels``/``labels_test`` (class indices) and
    ``n_samples``/``n_test``.
    """

    X: np.ndarray
    targets: np.ndarray
    task: str
    classes: np.ndarray | None
    feature_names: tuple[str, ...]
    name: str
    class_names: tuple[str, ...] | None = None
    X_test: np.ndarray | None = None
    targets_test: np.ndarray | None = None

    def __repr__(self) -> str:
        kind = (f"{len(self.classes)} classes" if self.task == "classification"
                else f"{self.targets.shape[1]} output(s)")
        test = "" if self.X_test is None else f", {len(self.X_test)} standard test samples"
        return (f"Dataset({self.name!r}, {self.n_samples} samples x {self.n_features} "
                f"features, {self.task}, {kind}{test})")

    @property
    def labels(self) -> np.ndarray:
        """The class index of each sample, ``targets.argmax(axis=1)``, shape (n_samples,).

        Only classification data sets have labels; ``classes[labels]`` gives the classes.
        """
        self._check_labels("labels")
        return self.targets.argmax(axis=1)

    @property
    def labels_test(self) -> np.ndarray | None:
        """The class index of each sample of the standard test part,
        ``targets_test.argmax(axis=1)``, shape (n_test,); None when the set has no test part.

        Only classification data sets have labels, as for :attr:`labels`.
        """
        self._check_labels("labels_test")
        return None if self.targets_test is None else self.targets_test.argmax(axis=1)

    def _check_labels(self, name: str) -> None:
        if self.task != "classification":
            raise AttributeError(
                f"{name} exist only for classification data sets; {self.name!r} is a "
                f"{self.task} data set, its targets are function values"
            )

    @property
    def n_samples(self) -> int:
        """Number of samples, ``X.shape[0]``."""
        return self.X.shape[0]

    @property
    def n_test(self) -> int:
        """Number of samples of the standard test part, ``X_test.shape[0]`` (0 without
        one)."""
        return 0 if self.X_test is None else self.X_test.shape[0]

    @property
    def n_features(self) -> int:
        """Number of input features, ``X.shape[1]``."""
        return self.X.shape[1]


def is_generated(name: str) -> bool:
    """Whether ``name`` is a data set drawn at random (franke, runge, runge2d, polynomial),
    which a seed makes the same every time."""
    return isinstance(name, str) and name.strip().lower().replace("_", "-") in _GENERATED


def has_standard_test(name: str) -> bool:
    """Whether ``name`` is a data set with a standard test part of its own (mnist,
    fashion-mnist: ``Dataset.X_test``), read from IDX files in a data folder."""
    return isinstance(name, str) and name.strip().lower().replace("_", "-") in _IMAGES


def _canonical_name(name) -> str:
    if not isinstance(name, str):
        raise TypeError(
            f"name must be a string, one of {list(DATASET_NAMES)}, got {name!r} "
            f"({type(name).__name__})"
        )
    canonical = name.strip().lower().replace("_", "-")
    if canonical not in DATASET_NAMES:
        raise ValueError(
            f"name must be one of {list(DATASET_NAMES)} ('_' may stand for '-'), got {name!r}"
        )
    return canonical


def load_dataset(
    name: str,
    *,
    n_samples: int | None = None,
    noise: float | None = None,
    seed: int | np.random.Generator | None = None,
    data_home=None,
) -> Dataset:
    """Load a shipped scikit-learn data set, MNIST, or draw a generated one, by name.

    Parameters
    ----------
    name : str
        One of ``DATASET_NAMES``: ``"iris"`` (150, 4; 3 classes), ``"breast-cancer"``
        (569, 30; 2 classes), ``"digits"`` (1797, 64; 10 classes), ``"wine"`` (178, 13;
        3 classes), ``"mnist"`` and ``"fashion-mnist"`` (60000 + 10000 test, 784; 10
        classes), or the regression generators ``"franke"``, ``"runge"``, ``"runge2d"``,
        ``"polynomial"``. Case and ``_`` for ``-`` do not matter.
    n_samples, noise, seed : optional
        Passed to the generator (:func:`franke`, :func:`runge`, :func:`runge2d`,
        :func:`polynomial`; their defaults when None). The fixed sets refuse them.
    data_home : path-like, optional
        MNIST and Fashion-MNIST only: the folder of the four IDX files
        (``train-images-idx3-ubyte``, ``train-labels-idx1-ubyte``, ``t10k-images-idx3-ubyte``,
        ``t10k-labels-idx1-ubyte``, each gzipped or not), looked for in
        ``data_home/mnist`` (``data_home/fashion-mnist``) and then in ``data_home`` itself.
        By default scikit-learn's ``get_data_home()`` (``~/scikit_learn_data``). Where the
        files are not, the set is fetched once with scikit-learn's ``fetch_openml``
        (``mnist_784`` or ``Fashion-MNIST``, cached in ``data_home/openml``) and the four
        files are written, gzipped, to ``data_home/mnist`` (``data_home/fashion-mnist``) for
        the next time. Offline and without the files, a ``FileNotFoundError`` naming them and
        the folder comes within a few seconds.

    Returns
    -------
    Dataset
        Classification sets have one-hot float64 ``targets`` (n_samples, n_classes) and
        integer ``classes``; regression sets have ``targets`` (n_samples, 1) and
        ``classes=None``. MNIST's pixels are scaled to ``[0, 1]`` (divided by 255), one
        image a row of ``X`` (row-major), with the standard test part in ``X_test`` and
        ``targets_test``.

    Raises
    ------
    ValueError
        For an unknown name, options that do not apply to the set, or a damaged IDX file
        (naming the file and what is wrong with it).
    FileNotFoundError
        MNIST without its files and without a connection to OpenML.
    """
    canonical = _canonical_name(name)
    given = {"n_samples": n_samples, "noise": noise, "seed": seed}
    given = {key: value for key, value in given.items() if value is not None}
    if data_home is not None and canonical not in _IMAGES:
        raise ValueError(f"data_home applies only to {' and '.join(_IMAGES)} (their IDX files' "
                         f"folder), not to {canonical!r}, got data_home={data_home!r}")

    if canonical in _SHIPPED or canonical in _IMAGES:
        if given:
            shown = ", ".join(f"{key}={value!r}" for key, value in given.items())
            raise ValueError(
                f"n_samples, noise and seed apply only to the generated data sets "
                f"{list(_GENERATED)}; {canonical!r} is a fixed data set, got {shown}"
            )
        if canonical in _IMAGES:
            return _load_images(canonical, data_home)
        if canonical == "iris":  # the main job's data: embedded, no scikit-learn import
            bunch = _iris()
        else:
            import sklearn.datasets

            bunch = getattr(sklearn.datasets, _SHIPPED[canonical])()
        targets, classes = encode_labels(bunch.target)
        return Dataset(
            X=np.asarray(bunch.data, dtype=np.float64),
            targets=targets,
            task="classification",
            classes=classes,
            feature_names=tuple(str(f) for f in bunch.feature_names),
            name=canonical,
            class_names=tuple(str(bunch.target_names[k]) for k in classes),
        )

    generator = {"franke": franke, "runge": runge, "runge2d": runge2d,
                 "polynomial": polynomial}[canonical]
    X, y = generator(**given)
    return Dataset(
        X=X,
        targets=y,
        task="regression",
        classes=None,
        feature_names=("x", "y") if X.shape[1] == 2 else ("x",),
        name=canonical,
    )


def _load_images(name: str, data_home) -> Dataset:
    """MNIST or Fashion-MNIST as a Dataset with its standard test part (see load_dataset)."""
    from ..io import idx as _idx

    images, labels, images_test, labels_test = _idx.load_images(name, data_home)
    n_features = math.prod(images.shape[1:])
    classes = np.arange(_idx.N_CLASSES)
    return Dataset(
        # uint8 / 255.0: new C-contiguous float64 arrays, the fast path of every engine
        X=images.reshape(len(images), n_features) / 255.0,
        targets=one_hot(labels.astype(np.intp), _idx.N_CLASSES),
        task="classification",
        classes=classes,
        feature_names=tuple(f"pixel{i}" for i in range(1, n_features + 1)),
        name=name,
        class_names=_FASHION_CLASSES if name == "fashion-mnist"
        else tuple(str(k) for k in classes),
        X_test=images_test.reshape(len(images_test), n_features) / 255.0,
        targets_test=one_hot(labels_test.astype(np.intp), _idx.N_CLASSES),
    )


def _iris() -> SimpleNamespace:
    """Fisher's iris, from the copy of scikit-learn's ``iris.csv`` embedded in ffnn (the
    same values; reading it skips importing scikit-learn on a first run)."""
    from importlib.resources import files

    text = files("ffnn").joinpath("data", "iris.csv").read_text(encoding="utf-8")
    header, *rows = text.split()
    table = np.array([row.split(",") for row in rows], dtype=np.float64)
    return SimpleNamespace(
        data=table[:, :4], target=table[:, 4].astype(np.int64),
        feature_names=["sepal length (cm)", "sepal width (cm)", "petal length (cm)",
                       "petal width (cm)"],
        target_names=np.array(header.split(",")[2:]))


def load_iris() -> tuple[np.ndarray, np.ndarray]:
    """The iris data set as the notebook uses it: ``X`` (150, 4) and one-hot targets (150, 3)."""
    iris = _iris()
    return iris.data, one_hot(iris.target, 3)


# ---------------------------------------------------------------------------------------------
# Splitting and scaling
# ---------------------------------------------------------------------------------------------


def class_labels(targets: np.ndarray) -> np.ndarray | None:
    """Class index per sample when ``targets`` look like classes, else None (regression).

    One-hot rows (2-D, more than one column of 0/1 values, each row summing to 1) give their
    argmax; a single column (or 1-D array) of 0/1 values gives itself.
    """
    if targets.dtype.kind not in "biuf" or targets.size == 0:
        return None
    binary = np.isin(targets, (0, 1)).all()
    if not binary:
        return None
    if targets.ndim == 2 and targets.shape[1] > 1:
        return targets.argmax(axis=1) if (targets.sum(axis=1) == 1).all() else None
    if targets.ndim == 1 or (targets.ndim == 2 and targets.shape[1] == 1):
        return targets.reshape(-1).astype(np.int64)
    return None


def _random_state(seed) -> int:
    """An int seed for scikit-learn from an int, a Generator or None (fresh entropy)."""
    if is_integer(seed) and seed >= 2**32:
        raise ValueError(f"seed must be below 2**32 for scikit-learn, got {seed}")
    rng = check_seed(seed)
    if isinstance(seed, numbers.Integral):
        return int(seed)
    return int(rng.integers(0, 2**32))


def split(
    X,
    targets,
    test_size: float | int = 0.2,
    *,
    stratify: bool = True,
    seed: int | np.random.Generator | None = None,
) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """Split inputs and targets into a training and a test part (scikit-learn's
    ``train_test_split``), keeping the class proportions for classification targets.

    Parameters
    ----------
    X : array-like, shape (n_samples, n_features)
    targets : array-like, shape (n_samples, n_outputs) or (n_samples,)
    test_size : float in (0, 1) or int in [1, n_samples - 1], default 0.2
        The test part's fraction of the samples, or its number of samples.
    stratify : bool, default True
        Keep each class's share in both parts when ``targets`` are one-hot (2-D, more than
        one column of 0/1 values, rows summing to 1; classes by ``argmax``) or a single 0/1
        column. Ignored for any other (regression) targets.
    seed : int, numpy.random.Generator or None
        An int is scikit-learn's ``random_state``; a Generator gives one by a draw (and so
        advances); None draws fresh entropy (never NumPy's global state).

    Returns
    -------
    X_train : ndarray, shape (n_train, n_features)
    X_test : ndarray, shape (n_test, n_features)
    y_train : ndarray, shape (n_train, n_outputs)
    y_test : ndarray, shape (n_test, n_outputs)
    """
    from sklearn.model_selection import train_test_split

    X = X.tocsr() if is_sparse(X) else np.asarray(X)  # a sparse X's rows split as they are
    targets = np.asarray(targets)
    if X.ndim == 0 or targets.ndim == 0:
        raise ValueError(
            f"X and targets must have one row per sample, got shapes {X.shape} and "
            f"{targets.shape}"
        )
    n_samples = X.shape[0]
    if targets.shape[0] != n_samples:
        raise ValueError(
            f"targets must have one row per sample of X ({n_samples}), got shape "
            f"{targets.shape} for X of shape {X.shape}"
        )
    if n_samples < 2:
        raise ValueError(f"X must hold at least 2 samples to split, got shape {X.shape}")
    if not is_real(test_size):
        raise TypeError(
            f"test_size must be a fraction in (0, 1) or a number of samples, got "
            f"{test_size!r} ({type(test_size).__name__})"
        )
    if isinstance(test_size, numbers.Integral):
        if not 1 <= test_size <= n_samples - 1:
            raise ValueError(
                f"test_size as a number of samples must be in [1, {n_samples - 1}] for "
                f"{n_samples} samples, got {test_size}"
            )
        test_size = int(test_size)
    else:
        test_size = float(test_size)
        if not 0.0 < test_size < 1.0:
            raise ValueError(f"test_size as a fraction must be in (0, 1), got {test_size}")
    if not isinstance(stratify, (bool, np.bool_)):
        raise TypeError(f"stratify must be True or False, got {stratify!r}")

    labels = class_labels(targets) if stratify else None
    try:
        X_train, X_test, y_train, y_test = train_test_split(
            X, targets, test_size=test_size, random_state=_random_state(seed), stratify=labels
        )
    except ValueError as exc:
        if labels is None:
            raise
        raise ValueError(
            f"cannot split these targets with stratify=True: {exc} "
            "(pass stratify=False, or a test_size that gives every class a place)"
        ) from exc
    return X_train, X_test, y_train, y_test


def _check_features(X, name: str, n_features: int | None = None) -> np.ndarray:
    if is_sparse(X):
        raise TypeError(f"{name} is a SciPy sparse matrix: standardizing centres every "
                        "feature, which would fill it in; pass X.toarray(), or scale it "
                        "without centring (sklearn.preprocessing.MaxAbsScaler)")
    array = np.asarray(X)
    dtype = array.dtype if array.dtype in FLOAT_DTYPES else np.dtype(np.float64)
    array = as_float_array(array, name, dtype)
    if array.ndim != 2:
        raise ValueError(
            f"{name} must have shape (n_samples, n_features), got an array of shape "
            f"{array.shape}"
        )
    if n_features is not None and array.shape[1] != n_features:
        raise ValueError(
            f"{name} must have the {n_features} features of X_train, got shape {array.shape}"
        )
    return array


def standardize(X_train, *others) -> tuple:
    """Scale features to mean 0 and standard deviation 1 on the training part only.

    A scikit-learn ``StandardScaler`` is fitted on ``X_train``; the same shift and scale are
    applied to ``others`` (test or validation inputs), so nothing about them leaks into the
    fit. Constant features are shifted but not scaled.

    Parameters
    ----------
    X_train : array-like, shape (n_train, n_features)
    *others : array-like, each of shape (n_i, n_features)

    Returns
    -------
    tuple
        ``(X_train_scaled, *others_scaled, scaler)``: the scaled arrays (float64, or float32
        for float32 inputs) in the order given, then the fitted ``StandardScaler`` (for
        ``scaler.transform`` of new data or ``scaler.inverse_transform``).
    """
    from sklearn.preprocessing import StandardScaler

    X_train = _check_features(X_train, "X_train")
    if X_train.shape[0] == 0:
        raise ValueError(f"X_train must hold at least one sample, got shape {X_train.shape}")
    n_features = X_train.shape[1]
    checked = [
        _check_features(X, f"others[{i}]", n_features) for i, X in enumerate(others)
    ]
    scaler = StandardScaler().fit(X_train)
    return (scaler.transform(X_train), *(scaler.transform(X) for X in checked), scaler)
