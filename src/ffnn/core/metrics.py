"""The training metrics: accuracy after a cross-entropy, R² otherwise.

Each takes the outputs of one network, shape (n, k), or of a stack of K networks, shape
(K, n, k), with targets (n, k) (accuracy: or integer labels (n,)); every training path
(NumPy, JAX, stacked) reports them.
"""

from __future__ import annotations

import numpy as np

from .losses import Loss

__all__ = ["accuracy", "r2", "METRICS", "METRIC_FUNCTIONS", "resolve_metric"]

METRICS = ("auto", "accuracy", "r2", None)


def accuracy(output: np.ndarray, Y: np.ndarray, loss: Loss | str | None = None, xp=np):
    """Share of samples whose predicted class is right.

    Parameters
    ----------
    output : array, shape (n, k), or (K, n, k) for a stack of K networks
        A network's outputs (probabilities or scores).
    Y : array, shape (n, k), or (n,) of integer labels
        The targets: one-hot rows (or 0/1 per output), or class labels ``0 … k-1`` (after
        one output column: 0 or 1).
    loss : Loss, str or None, optional
        The loss the network was trained with. None (the default) reads the rule from
        ``output``: one column is thresholded at 0.5, several take the argmax of the row. A
        loss with independent outputs (binary cross-entropy) thresholds every output at 0.5
        and counts a sample when every output is right (subset accuracy, as scikit-learn's
        for multilabel targets).
    xp : module, optional
        The array namespace (:mod:`ffnn.core.xp`; ``jax.numpy`` inside the JAX engine).

    Returns
    -------
    float, or array of shape (K,)
        A float for (n, k) outputs; one value per network for (K, n, k) (a traced scalar
        under JAX).

    Examples
    --------
    >>> accuracy(np.array([[0.9, 0.1], [0.2, 0.8]]), np.array([0, 0]))
    0.5
    """
    if isinstance(loss, str):
        from .losses import get_loss

        loss = get_loss(loss)
    independent = loss is not None and loss.independent_outputs
    if xp is np:
        output, Y = np.asarray(output), np.asarray(Y)
    labels = Y.ndim == 1
    if xp is np:
        _check_accuracy_inputs(output, Y, labels, independent)
    if labels:
        if output.shape[-1] == 1:
            right = (output[..., 0] > 0.5) == (Y > 0.5)
        else:
            right = xp.argmax(output, axis=-1) == Y
    elif independent or output.shape[-1] == 1:
        right = xp.all((output > 0.5) == (Y > 0.5), axis=-1)
    else:
        right = xp.argmax(output, axis=-1) == xp.argmax(Y, axis=-1)
    score = xp.count_nonzero(right, axis=-1) / Y.shape[0]
    return float(score) if output.ndim == 2 and xp is np else score


def _check_accuracy_inputs(output, Y, labels: bool, independent: bool) -> None:
    """Refuse targets whose shape does not fit ``output``, naming both shapes."""
    if output.ndim not in (2, 3):
        raise ValueError(f"output must have shape (n, k) or (K, n, k), got shape "
                         f"{output.shape}")
    n, k = output.shape[-2:]
    if labels:
        if Y.shape != (n,):
            raise ValueError(f"Y must have shape ({n}, {k}) or ({n},) (integer labels) for "
                             f"output of shape {output.shape}, got shape {Y.shape}")
        if independent and k > 1:
            raise ValueError(f"Y must have shape ({n}, {k}) (0/1 per output) after a loss "
                             f"with independent outputs, got labels of shape {Y.shape}")
        classes = max(k, 2)  # one output column: labels 0 and 1
        whole = Y.dtype.kind in "biu" or (Y.dtype.kind == "f" and bool(
            np.all(np.isfinite(Y)) and np.all(np.round(Y) == Y)))
        if not whole or (Y.size and (Y.min() < 0 or Y.max() >= classes)):
            shown = np.unique(Y)[:5].tolist() if Y.dtype.kind in "biuf" else np.unique(
                Y.astype(str))[:5].tolist()
            raise ValueError(f"Y as labels must be the class numbers 0 … {classes - 1} (the "
                             f"columns of output), got {shown}"
                             + (" …" if np.unique(Y).size > 5 else "")
                             + "; encode labels first (ffnn.datasets.encode_labels)")
    elif Y.shape != (n, k):
        raise ValueError(f"Y must have shape ({n}, {k}) or ({n},) (integer labels) for "
                         f"output of shape {output.shape}, got shape {Y.shape}")


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
