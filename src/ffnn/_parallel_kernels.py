"""Multi-threaded numba kernels for the work between the matrix products (see
:mod:`ffnn._parallel`).

Each kernel is one pass over its arrays, split over numba's threads (``prange``) in
contiguous blocks: bias + activation forward (blocks of rows), activation backward (blocks
of rows) then the bias gradient's column sums (blocks of columns), the fused output gradient
``(p - y) / n`` (also with its column sums), the batch's row gather, and the optimizer steps
over the flat parameter buffer (one pass for Adam instead of NumPy's thirteen). The formulas
are not written here: every element goes through the functions of :mod:`ffnn._kernels`
(``activation_rows``, ``activation_backward_rows``, ``softmax_row``, ``sgd_update``,
``momentum_update``, ``adam_update``), the very ones the compiled loop runs, chosen by the
kernel codes that the built-ins declare.

Arithmetic: the optimizer steps, ReLU-type activations, the output gradient and the column
sums do the NumPy engine's operations in its order and in the dtype (the column sums add the
rows one after the other, as ``np.add.reduce(axis=0)`` does), so they give its bits; the
activations that call ``exp``/``tanh``/``erf`` use libm's scalar functions where NumPy uses
its SIMD ones, and compute in float64 where the compiled loop does (one ulp apart, at most, in
float64). No ``fastmath``: reassociation would change the bits, and ``nnan`` would hide the
NaN that the divergence guard must see. Each block's inner loop is a plain contiguous loop
that LLVM vectorises (division and square root included: they are exact in SIMD too).

Every kernel is compiled twice from one Python function: ``parallel=True`` (``prange``
spreads the blocks over the threads) and serial (``prange`` is ``range``) for arrays too
small to pay for waking the threads. ``parts`` is the number of blocks (the thread count, 1
for the serial forms). Results do not depend on
it: the blocks split independent elements, rows or columns, never a sum.
"""

import os
import types

# numba's OpenMP threads, once started, spin between kernels unless told to sleep; on a machine
# whose cores BLAS's threads need for the next product, spinning took the cores from them (a
# step's Adam kernel: 37.7 ms against 0.73 ms with sleeping threads, measured on 2 busy
# cores). Set before the runtime starts (the first threaded call); a value the user set stays.
os.environ.setdefault("OMP_WAIT_POLICY", "PASSIVE")

from numba import njit, prange

from ._kernels import (
    IDENTITY,
    SOFTMAX,
    activation_backward_rows,
    activation_rows,
    adam_update,
    momentum_update,
    sgd_update,
    softmax_row,
)

_OPTIONS = {"cache": True, "error_model": "numpy"}


def _both(function):
    """(parallel, serial) compiled forms of one kernel. The serial one is compiled from a
    copy of the function under another name: numba's on-disk cache keys its entries by the
    function's name and signature, not by ``parallel``, so one name would mix the two."""
    serial = types.FunctionType(function.__code__, function.__globals__,
                                f"{function.__name__}_serial", function.__defaults__)
    serial.__qualname__ = f"{function.__qualname__}_serial"
    return (njit(parallel=True, **_OPTIONS)(function), njit(**_OPTIONS)(serial))


@njit(**_OPTIONS)
def _blocks(n: int, parts: int) -> int:
    """The size of each of ``parts`` contiguous blocks covering ``n`` items."""
    return max(1, (n + parts - 1) // parts)


@njit(**_OPTIONS)
def _add_row(row, sums, first: bool) -> None:
    """``sums = row`` for the first row, else ``sums += row``: a column sum, row by row in
    order and in the dtype (``np.add.reduce(axis=0)``'s bits)."""
    if first:
        for j in range(row.shape[0]):
            sums[j] = row[j]
    else:
        for j in range(row.shape[0]):
            sums[j] += row[j]


# Each block works on 1-D views that start at its first element: LLVM then proves the loops
# free of aliasing at run time and vectorises them (indexing the whole arrays from lo to hi
# left every loop scalar).

def _gather_rows(parts, X, rows, out):
    """``out[i] = X[rows[i]]`` (the batch's rows; ``np.take(X, rows, axis=0, out=out)``)."""
    n, k = out.shape
    for i in prange(n):
        source, target = X[rows[i]], out[i]
        for j in range(k):
            target[j] = source[j]


def _bias_activation(parts, code, alpha, z, b, a):
    """``z += b``, ``a = f(z)``, the threads taking blocks of rows (``a`` may be ``z``:
    identity)."""
    n, k = z.shape
    size = _blocks(n, parts)
    for block in prange(parts):
        lo, hi = block * size, min(n, block * size + size)
        for i in range(lo, hi):
            zi = z[i]
            for j in range(k):
                zi[j] += b[j]
        if code == SOFTMAX:
            for i in range(lo, hi):
                softmax_row(z[i], a[i])
        elif lo < hi:
            activation_rows(code, alpha, z[lo:hi], a[lo:hi])


def _backward_sums(parts, code, alpha, z, a, dC_da, dC_dz, dC_db):
    """``dC_dz = f'(z) ⊙ dC_da`` (``dC_dz`` may be ``dC_da``), the threads taking blocks of
    rows, then ``dC_db = Σ_rows dC_dz``, the threads taking blocks of columns; rows are
    added in order, in the dtype (``IDENTITY`` with ``dC_dz`` = ``dC_da``: the column sums
    alone)."""
    n, k = z.shape
    size = _blocks(n, parts)
    for block in prange(parts):
        lo, hi = block * size, min(n, block * size + size)
        if lo < hi:
            activation_backward_rows(code, alpha, z[lo:hi], a[lo:hi], dC_da[lo:hi],
                                     dC_dz[lo:hi])
    size = _blocks(k, parts)
    for block in prange(parts):
        lo, hi = block * size, min(k, block * size + size)
        sums = dC_db[lo:hi]
        for i in range(n):
            _add_row(dC_dz[i, lo:hi], sums, i == 0)


def _fused_output(parts, a, Y, n, dC_dz, dC_db):
    """``dC_dz = (a - y) / n`` (the fused softmax/sigmoid/exp output of its loss) and
    ``dC_db = Σ_rows dC_dz``; ``n`` in the dtype."""
    rows, k = a.shape
    size = _blocks(k, parts)
    for block in prange(parts):
        lo, hi = block * size, min(k, block * size + size)
        sums = dC_db[lo:hi]
        for i in range(rows):
            ai, yi, out = a[i, lo:hi], Y[i, lo:hi], dC_dz[i, lo:hi]
            for j in range(hi - lo):
                out[j] = (ai[j] - yi[j]) / n
            _add_row(out, sums, i == 0)


def _sgd(parts, params, grads, lr):
    size = _blocks(params.shape[0], parts)
    for block in prange(parts):
        lo, hi = block * size, min(params.shape[0], block * size + size)
        P, G = params[lo:hi], grads[lo:hi]
        for p in range(hi - lo):
            P[p] = sgd_update(P[p], G[p], lr)


def _momentum(parts, params, grads, velocity, mu, lr, nesterov):
    size = _blocks(params.shape[0], parts)
    for block in prange(parts):
        lo, hi = block * size, min(params.shape[0], block * size + size)
        P, G, B = params[lo:hi], grads[lo:hi], velocity[lo:hi]
        for p in range(hi - lo):
            P[p], B[p] = momentum_update(P[p], G[p], B[p], mu, lr, nesterov)


def _adam(parts, params, grads, m, v, beta_1, beta_2, one_minus_beta_1, one_minus_beta_2,
          eps, lr, c1, c2):
    size = _blocks(params.shape[0], parts)
    for block in prange(parts):
        lo, hi = block * size, min(params.shape[0], block * size + size)
        P, G, M, V = params[lo:hi], grads[lo:hi], m[lo:hi], v[lo:hi]
        for p in range(hi - lo):
            P[p], M[p], V[p] = adam_update(P[p], G[p], M[p], V[p], beta_1, beta_2,
                                           one_minus_beta_1, one_minus_beta_2, eps, lr, c1, c2)


gather_rows = _both(_gather_rows)
bias_activation = _both(_bias_activation)
backward_sums = _both(_backward_sums)
fused_output = _both(_fused_output)
sgd = _both(_sgd)
momentum = _both(_momentum)
adam = _both(_adam)
__all__ = ["gather_rows", "bias_activation", "backward_sums", "fused_output", "sgd", "momentum",
           "adam", "IDENTITY", "SOFTMAX"]
