"""The L1 and L2 penalties of the cost, written once for every path.

The cost gains ``l1 Σ|W| + (l2/2) Σ W²`` over the weights (not the biases), independent of
the batch size, and each weight's gradient ``l2 W + l1 sign(W)``. Each form sits next to the
others: the array forms (the reference and the NumPy engine), the scalar forms that the
compiled kernels compile as they are, and the stacked forms over K networks' rows.
"""

from __future__ import annotations

from collections.abc import Iterable

import numpy as np

__all__ = ["value", "add_gradient", "term", "add_gradient_term", "stack_values",
           "add_stack_gradient"]


def value(weights: Iterable[np.ndarray], l1: float, l2: float) -> float:
    """``Σ_W l1 Σ|W| + (l2/2) Σ W²`` over the weight matrices ``weights``."""
    total = 0.0
    for W in weights:
        if l2:
            total += 0.5 * l2 * float(np.vdot(W, W))
        if l1:
            total += l1 * float(np.abs(W).sum())
    return total


def add_gradient(W: np.ndarray, dC_dW: np.ndarray, l1: float, l2: float,
                 scratch: np.ndarray | None = None) -> None:
    """``dC_dW += l2 W``, then ``dC_dW += l1 sign(W)``, in place (``scratch``: an array like
    ``W`` to work in; one is made when none is given)."""
    if not (l1 or l2):
        return
    if scratch is None:
        scratch = np.empty_like(W)
    if l2:
        np.multiply(l2, W, out=scratch)
        dC_dW += scratch
    if l1:
        np.sign(W, out=scratch)
        scratch *= l1
        dC_dW += scratch


# -- scalar forms (the compiled kernels compile these functions themselves) -------------------

def term(w: float, l1: float, l2: float) -> float:
    """One weight's share of the penalty: ``(l2/2) w² + l1 |w|``."""
    return 0.5 * l2 * w * w + l1 * abs(w)


def add_gradient_term(g: float, w: float, l1: float, l2: float) -> float:
    """``g`` plus one weight's penalty gradient, in :func:`add_gradient`'s order."""
    if l2:
        g += l2 * w
    if l1:
        g += l1 * np.sign(w)
    return g


# -- stacked forms: K networks, strengths per network -----------------------------------------

def stack_values(weights: Iterable[np.ndarray], l1: np.ndarray, l2: np.ndarray) -> np.ndarray:
    """Each network's penalty, shape (K,), for (K, n_in, n_out) weights and strengths of
    shape (K,); a network whose strength is 0 gets exactly 0 (never 0 · inf)."""
    weights = list(weights)
    total = np.zeros(len(l1))
    for W in weights:
        if l2.any():
            total += np.where(l2 > 0, 0.5 * l2 * np.einsum("kij,kij->k", W, W), 0.0)
        if l1.any():
            total += np.where(l1 > 0, l1 * np.abs(W).sum(axis=(1, 2)), 0.0)
    return total


def add_stack_gradient(P: np.ndarray, G: np.ndarray, l1_rows: np.ndarray | None,
                       l2_rows: np.ndarray | None, scratch: np.ndarray) -> None:
    """``G += l2 P``, then ``G += l1 sign(P)``, over whole rows of the flat (K, n_params)
    arrays, with the strengths spread over the weights (0 on biases) in ``l1_rows`` and
    ``l2_rows`` (None: no such penalty in the stack). Only where a strength is > 0: a network
    without a penalty must not get 0 · inf = NaN from its own overflowing weights."""
    if l2_rows is not None:
        where = l2_rows > 0
        np.multiply(P, l2_rows, out=scratch, where=where)
        np.add(G, scratch, out=G, where=where)
    if l1_rows is not None:
        where = l1_rows > 0
        np.sign(P, out=scratch, where=where)
        np.multiply(scratch, l1_rows, out=scratch, where=where)
        np.add(G, scratch, out=G, where=where)
