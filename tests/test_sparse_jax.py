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


def test_the_validation_part_is_measured_in_chunks(monkeypatch):
    """A validation part larger than one chunk (and not a multiple of it) gives the logs of
    the dense run: the chunks, their padding and their order."""
    from ffnn.backends import jax_engine

    monkeypatch.setattr(jax_engine, "SPARSE_BATCH_BYTES", 7 * 30 * 8)  # 7 rows a chunk
    sparse, history = _fit(sp.csr_matrix(X), "jax", batch_size=7, validation_fraction=0.3)
    assert history.engine == "jax"
    dense, dense_history = _fit(X, "jax", batch_size=7, validation_fraction=0.3)
    np.testing.assert_array_equal(sparse.params, dense.params)
    np.testing.assert_allclose(history["val_loss"], dense_history["val_loss"], rtol=1e-14)
    assert history["val_accuracy"] == dense_history["val_accuracy"]


def test_rows_of_very_different_lengths_are_refused_and_the_callers_matrix_kept(monkeypatch):
    from ffnn.backends import jax_engine

    monkeypatch.setattr(jax_engine, "SPARSE_BATCH_BYTES", 2**20)
    lopsided = sp.lil_matrix((2000, 3000))
    lopsided[0, :] = 1.0  # one full row: every row would be padded to 3000
    lopsided[1:, 0] = 1.0
    lopsided = sp.csr_matrix(lopsided)
    net = ffnn.Network(3000, [2], "softmax", seed=0)
    trainer = ffnn.Trainer(net, "cross_entropy", batch_size=16, engine="jax")
    assert "rows of very different lengths" in jax_engine.unsupported(trainer, lopsided)
    duplicated = sp.csr_matrix((np.array([1.0, 2.0, 3.0]), np.array([2, 2, 0]),
                                np.array([0, 2, 3])), shape=(2, 4))
    indices = duplicated.indices.copy()
    rows = SparseRows.from_scipy(duplicated)
    np.testing.assert_array_equal(duplicated.indices, indices)  # not summed in place
    assert rows.vals[0].tolist() == [3.0]
