"""The L1 and L2 penalties of the cost, written once for every path.

The cost gains ``l1 Σ|θ| + (l2/2) Σ θ²`` over the penalized parameters θ, independent of the
batch size, and each of them the gradient ``l2 θ + l1 sign(θ)``. The penalized parameters are
the weights; with ``biases=True`` (``penalize_biases=True`` in the public calls) the biases
too, with the same terms and strengths. Which parameters those are is said here once, for
each form (:func:`penalized`, :func:`add_layer_gradient`, :func:`flat_mask`). Each form sits
next to the others: the array forms (the reference and the NumPy engine), the flat forms over
an array namespace (the JAX engine, where the strengths may be traced or batched), and the
stacked forms over K networks' rows.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator

import numpy as np

__all__ = ["penalized", "value", "add_gradient", "add_layer_gradient", "flat_mask",
           "flat_value", "add_flat_gradient", "stack_values", "add_stack_gradient"]


def penalized(layers: Iterable[tuple[np.ndarray, np.ndarray]], biases: bool = False
              ) -> Iterator[np.ndarray]:
    """The arrays the penalty covers, in the flat parameters' order: each layer's ``W``,
    then its ``b`` when ``biases``. ``layers`` may be stacked ((K, …) arrays) too."""
    for W, b in layers:
        yield W
        if biases:
            yield b


def value(arrays: Iterable[np.ndarray], l1: float, l2: float) -> float:
    """``Σ_θ l1 Σ|θ| + (l2/2) Σ θ²`` over the penalized arrays (see :func:`penalized`)."""
    total = 0.0
    for W in arrays:
        if l2:
            total += 0.5 * l2 * float(np.vdot(W, W))
        if l1:
            total += l1 * float(np.abs(W).sum())
    return total


def add_gradient(W: np.ndarray, dC_dW: np.ndarray, l1: float, l2: float,
                 scratch: np.ndarray | None = None) -> None:
    """``dC_dW += l2 W``, then ``dC_dW += l1 sign(W)``, in place, for one penalized array
    ``W`` (weights or biases; ``scratch``: an array like ``W`` to work in; one is made when
    none is given)."""
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


def add_layer_gradient(W: np.ndarray, b: np.ndarray, dC_dW: np.ndarray, dC_db: np.ndarray,
                       l1: float, l2: float, biases: bool = False,
                       scratch: np.ndarray | None = None) -> None:
    """One layer's penalty gradients: :func:`add_gradient` on its weights, and on its biases
    when ``biases`` (``scratch``: an array like ``W``; its first row serves the biases)."""
    add_gradient(W, dC_dW, l1, l2, scratch)
    if biases:
        add_gradient(b, dC_db, l1, l2, None if scratch is None else scratch[0])


def flat_mask(network, biases: bool = False) -> np.ndarray:
    """A flat boolean array laid out like ``network.params``: True where the penalty
    applies (the weights; every parameter when ``biases``)."""
    if biases:
        return np.ones(network.n_params, dtype=bool)
    return network.weight_mask()


# -- flat forms over an array namespace (the JAX engine; vmapped over networks' strengths) ----

def flat_value(params, mask, l1, l2, xp=np):
    """:func:`value` over the flat parameters: ``l1 Σ|θ| + (l2/2) Σ θ²`` over the θ where
    ``mask`` (:func:`flat_mask`) is true; a strength that is 0 contributes exactly 0 (never
    0 · inf). ``l1``/``l2`` may be traced or batched (``xp``: see :mod:`ffnn.core.xp`)."""
    theta = xp.where(mask, params, 0)
    return (xp.where(l2 > 0, 0.5 * l2 * xp.sum(theta * theta), 0)
            + xp.where(l1 > 0, l1 * xp.sum(xp.abs(theta)), 0))


def add_flat_gradient(grads, params, mask, l1, l2, xp=np):
    """``grads + l2 θ + l1 sign(θ)`` where ``mask``, in :func:`add_gradient`'s order; where a
    strength is 0 its term is left out (never 0 · inf)."""
    grads = xp.where(mask & (l2 > 0), grads + l2 * params, grads)
    return xp.where(mask & (l1 > 0), grads + l1 * xp.sign(params), grads)


# -- stacked forms: K networks, strengths per network -----------------------------------------

def stack_values(arrays: Iterable[np.ndarray], l1: np.ndarray, l2: np.ndarray) -> np.ndarray:
    """Each network's penalty, shape (K,), over penalized arrays of K networks
    ((K, n_in, n_out) weights, (K, n_out) biases) and strengths of shape (K,); a network whose
    strength is 0 gets exactly 0 (never 0 · inf)."""
    total = np.zeros(len(l1))
    for W in arrays:
        if W.ndim == 2:  # biases: one row each
            W = W[:, None, :]
        if l2.any():
            total += np.where(l2 > 0, 0.5 * l2 * np.einsum("kij,kij->k", W, W), 0.0)
        if l1.any():
            total += np.where(l1 > 0, l1 * np.abs(W).sum(axis=(1, 2)), 0.0)
    return total


def add_stack_gradient(P: np.ndarray, G: np.ndarray, l1_rows: np.ndarray | None,
                       l2_rows: np.ndarray | None, scratch: np.ndarray) -> None:
    """``G += l2 P``, then ``G += l1 sign(P)``, over whole rows of the flat (K, n_params)
    arrays, with the strengths spread over the penalized parameters (0 elsewhere, see
    :func:`flat_mask`) in ``l1_rows`` and ``l2_rows`` (None: no such penalty in the stack).
    Only where a strength is > 0: a network without a penalty must not get 0 · inf = NaN from
    its own overflowing weights."""
    if l2_rows is not None:
        where = l2_rows > 0
        np.multiply(P, l2_rows, out=scratch, where=where)
        np.add(G, scratch, out=G, where=where)
    if l1_rows is not None:
        where = l1_rows > 0
        np.sign(P, out=scratch, where=where)
        np.multiply(scratch, l1_rows, out=scratch, where=where)
        np.add(G, scratch, out=G, where=where)
