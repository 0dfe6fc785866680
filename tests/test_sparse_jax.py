"""Sparse X on the JAX engine: each batch densified inside the compiled program from the
matrix's rows (never the whole matrix), so the weights are those of the same data dense;
engine="auto" keeps sparse input on NumPy (faster: it multiplies stored values only)."""

from __future__ import annotations

import numpy as np
import pytest
import scipy.sparse as sp

import ffnn
from ffnn.backends.jax_engine import SparseRows, rows_of

pytest.importorskip("jax", reason="the JAX engine needs JAX (the fast extra)")

RNG = np.random.default_rng(0)
X = RNG.standard_normal((120, 30)) * (RNG.random((120, 30)) < 0.1)
X[5] = 0  # an empty row
Y = np.eye(3)[(X[:, :3].sum(axis=1) > 0).astype(int) + (X[:, 3] > 0.5)]


def _fit(data, engine, dtype="float64", **options):
    net = ffnn.Network(30, [6, 3], ["tanh", "softmax"], seed=0, dtype=dtype)
    history = ffnn.train(net, data, Y, "cross_entropy", optimizer="adam", learning_rate=1e-2,
                         epochs=4, seed=0, verbose=0, engine=engine, **options)
    return net, history


@pytest.mark.parametrize("options", [{"batch_size": 16}, {"batch_size": None},
                                     {"batch_size": 7, "validation_fraction": 0.25}],
                         ids=["batches", "full-batch", "padded-with-validation"])
@pytest.mark.parametrize("dtype", ["float64", "float32"])
def test_sparse_on_jax_equals_dense_on_jax_and_sparse_on_numpy(options, dtype):
    dense, dense_history = _fit(X, "jax", dtype, **options)
    for to_sparse in (sp.csr_matrix, sp.csc_array):
        sparse, history = _fit(to_sparse(X), "jax", dtype, **options)
        assert history.engine == "jax"
        np.testing.assert_array_equal(sparse.params, dense.params)  # the same dense batches
        assert history.history == dense_history.history
    numpy, _ = _fit(sp.csr_matrix(X), "numpy", dtype, **options)
    largest = np.abs(numpy.params).max()
    rtol = 1e-12 if dtype == "float64" else 1e-5
    np.testing.assert_allclose(sparse.params, numpy.params, rtol=0, atol=rtol * 4 * largest)


def test_the_rows_densify_exactly():
    import jax
    import jax.numpy as jnp

    matrix = sp.csc_matrix(X)
    rows = SparseRows.from_scipy(matrix)
    assert rows.cols.shape == rows.vals.shape == (120, max(np.diff(sp.csr_matrix(X).indptr)))
    with jax.enable_x64(True):  # as inside ffnn's calls
        rows = SparseRows(*(jnp.asarray(part) for part in rows))
        np.testing.assert_array_equal(np.asarray(rows_of(rows, None, 30)), X)
        index = np.array([5, 0, 119, 5])
        np.testing.assert_array_equal(np.asarray(rows_of(rows, index, 30)), X[index])


def test_auto_keeps_sparse_input_on_numpy_and_says_why():
    _, history = _fit(sp.csr_matrix(X), "auto", batch_size=16)
    assert history.engine == "numpy" and "X is sparse" in history.engine_reason


def test_a_batch_too_large_to_densify_is_refused_with_its_size(monkeypatch):
    from ffnn.backends import jax_engine

    monkeypatch.setattr(jax_engine, "SPARSE_BATCH_BYTES", 16 * 30 * 8 - 1)
    with pytest.raises(ValueError, match=r"a batch of 16 rows would take 0 MB dense"):
        _fit(sp.csr_matrix(X), "jax", batch_size=16)
    _fit(sp.csr_matrix(X), "jax", batch_size=15)  # fits
