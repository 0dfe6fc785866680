"""The training metrics: accuracy after a cross-entropy, R² otherwise.

Each takes the outputs of one network, shape (n, k), or of a stack of K networks, shape
(K, n, k), with targets (n, k); every training path (NumPy, JAX, stacked) reports them.
"""

from __future__ import annotations

import numpy as np

from .losses import Loss

__all__ = ["accuracy", "r2", "METRICS", "METRIC_FUNCTIONS", "resolve_metric"]

METRICS = ("auto", "accuracy", "r2", None)


def accuracy(output: np.ndarray, Y: np.ndarray, loss: Loss, xp=np):
    """Share of samples whose predicted class is right.

    After a cross-entropy the class is the argmax of the row; after a binary cross-entropy
    each output is thresholded at 0.5 and a sample counts when every output is right (subset
    accuracy, as scikit-learn's for multilabel targets). ``output`` (n, k) gives a float; with
    leading axes, (K, n, k) for a stack of networks, an array of K values (``xp``: the
    array namespace, see :mod:`ffnn.core.xp`; a traced scalar under JAX).
    """
    if (loss is not None and loss.independent_outputs) or output.shape[-1] == 1:
        right = xp.all((output > 0.5) == (Y > 0.5), axis=-1)
    else:
        right = xp.argmax(output, axis=-1) == xp.argmax(Y, axis=-1)
    score = xp.count_nonzero(right, axis=-1) / Y.shape[0]
    return float(score) if output.ndim == 2 and xp is np else score


def r2(output: np.ndarray, Y: np.ndarray, loss: Loss | None = None, xp=np):
    """Coefficient of determination ``1 - SS_res / SS_tot``, averaged over the outputs
    (a float for (n, k) outputs, one per network for (K, n, k))."""
    ss_res = xp.sum((Y - output) ** 2, axis=-2)
    ss_tot = xp.sum((Y - xp.mean(Y, axis=0)) ** 2, axis=0)
    with np.errstate(divide="ignore", invalid="ignore"):
        per_output = xp.where(ss_tot > 0, 1 - ss_res / ss_tot, xp.where(ss_res > 0, 0.0, 1.0))
    score = xp.mean(per_output, axis=-1)
    return float(score) if output.ndim == 2 and xp is np else score


METRIC_FUNCTIONS = {"accuracy": accuracy, "r2": r2}


def resolve_metric(metric, loss: Loss) -> str | None:
    """``"auto"`` made concrete: accuracy after a cross-entropy, R² otherwise."""
    if metric not in METRICS:
        raise ValueError(f"metric must be one of {METRICS}, got {metric!r}")
    if metric == "auto":
        return "accuracy" if loss.task == "classification" else "r2"
    return metric
