"""Data sets of the course, from scikit-learn's shipped copies (no download needed)."""

from __future__ import annotations

import numpy as np

__all__ = ["one_hot", "load_iris"]


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


def load_iris() -> tuple[np.ndarray, np.ndarray]:
    """The iris data set as the notebook uses it: ``X`` (150, 4) and one-hot targets (150, 3)."""
    from sklearn.datasets import load_iris as _load

    iris = _load()
    return iris.data.astype(np.float64), one_hot(iris.target, 3)
