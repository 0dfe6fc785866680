"""SciPy sparse inputs (CSR, CSC and the other formats) on every path that takes data:
``Network`` (predict, cost, gradient, trace), ``train()`` and the estimators. The first layer
multiplies the stored values only, so each result is the dense one to rounding; the data set
itself is never densified (measured with tracemalloc); the paths that need a dense ``X`` say
so in one line."""

import tracemalloc
import warnings

import numpy as np
import pytest
import scipy.sparse as sp
from sklearn.exceptions import ConvergenceWarning
from sklearn.neural_network import MLPClassifier, MLPRegressor

import ffnn
from ffnn.backends.stacked import train_stack
from ffnn.sklearn.estimators import FFNNClassifier, FFNNRegressor

FORMATS = ["csr_matrix", "csc_matrix", "csr_array", "coo_array"]


def _data(n=120, n_features=30, density=0.15, seed=0, classes=3):
    rng = np.random.default_rng(seed)
    dense = np.where(rng.random((n, n_features)) < density, rng.normal(size=(n, n_features)), 0.0)
    dense[3] = 0.0  # an empty row
    labels = rng.integers(0, classes, n)
    return dense, labels, np.eye(classes)[labels]


def _as(dense, fmt):
    return getattr(sp, fmt)(dense)


def _close(a, b, dtype):
    rtol = 1e-12 if dtype == np.float64 else 2e-5  # float32: different summation orders
    np.testing.assert_allclose(a, b, rtol=rtol, atol=rtol * max(1.0, np.abs(b).max()))


# -- Network -------------------------------------------------------------------------------

@pytest.mark.parametrize("fmt", FORMATS)
@pytest.mark.parametrize("dtype", [np.float64, np.float32])
def test_network_methods_give_the_dense_results(fmt, dtype):
    dense, _, T = _data()
    X = _as(dense, fmt)
    net = ffnn.Network(30, [8, 3], ["tanh", "softmax"], seed=1, dtype=dtype)
    _close(net.predict(X), net.predict(dense), dtype)
    _close(net.cost(X, T, "cross_entropy", l2=0.1), net.cost(dense, T, "cross_entropy", l2=0.1),
           dtype)
    _close(net.gradient(X, T, "cross_entropy"), net.gradient(dense, T, "cross_entropy"), dtype)
    trace = net.backprop_trace(X, T, "cross_entropy")
    assert sp.issparse(trace.layers[0].layer_input)  # the input as given, a copy of its own
    assert trace.layers[0].layer_input is not X
    dense_trace = net.backprop_trace(dense, T, "cross_entropy")
    for mine, theirs in zip(trace.layers, dense_trace.layers):
        _close(mine.dC_dW, theirs.dC_dW, dtype)
        _close(mine.dC_dz, theirs.dC_dz, dtype)


def test_gradient_on_sparse_input_passes_autograd_and_finite_differences():
    dense, _, T = _data(n=20, n_features=6, density=0.4)
    net = ffnn.Network(6, [5, 3], ["sigmoid", "softmax"], seed=0)
    result = ffnn.gradcheck(net, sp.csr_matrix(dense), T, "cross_entropy", l2=0.01)
    assert result.passed, result


# -- train() -------------------------------------------------------------------------------

@pytest.mark.parametrize("fmt", FORMATS)
@pytest.mark.parametrize("dtype", [np.float64, np.float32])
@pytest.mark.parametrize("batch_size", [None, 16])
def test_training_on_sparse_input_is_training_on_the_dense_values(fmt, dtype, batch_size):
    dense, _, T = _data()
    net = ffnn.Network(30, [8, 3], ["relu", "softmax"], seed=2, dtype=dtype)
    twin = net.copy()
    options = dict(optimizer=ffnn.Adam(0.01), epochs=4, batch_size=batch_size, seed=3,
                   verbose=0, l1=1e-4, l2=1e-3)
    history = ffnn.train(net, _as(dense, fmt), T, "cross_entropy", **options)
    dense_history = ffnn.train(twin, dense, T, "cross_entropy", engine="numpy", **options)
    _close(net.params, twin.params, dtype)
    _close(history["loss"], dense_history["loss"], dtype)
    assert history.engine == "numpy"
    assert "sparse" in history.engine_reason


def test_validation_and_sample_weights_on_sparse_input():
    dense, _, T = _data()
    weights = np.random.default_rng(1).random(len(dense))
    results = []
    for X in (sp.csr_matrix(dense), dense):
        net = ffnn.Network(30, [6, 3], ["tanh", "softmax"], seed=0)
        h = ffnn.train(net, X, T, "cross_entropy", optimizer=ffnn.SGD(0.1), epochs=3,
                       batch_size=32, seed=0, verbose=0, validation_fraction=0.25,
                       sample_weight=weights, engine="numpy")
        results.append((net.params, h["val_loss"]))
    _close(results[0][0], results[1][0], np.float64)
    _close(results[0][1], results[1][1], np.float64)


@pytest.mark.auto_jax  # "auto" as users get it: JAX where it can, so sparse X is what keeps it off
def test_auto_engine_takes_sparse_input_quietly():
    dense, _, T = _data()
    net = ffnn.Network(30, [4, 3], ["tanh", "softmax"], seed=0)
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        history = ffnn.train(net, sp.csr_matrix(dense), T, "cross_entropy", epochs=2,
                             verbose=0, seed=0)
    assert history.engine == "numpy"


def test_the_data_set_is_never_densified():
    # 4 000 x 50 000 at 0.02 %: 1.6 GB dense in float64, 0.5 MB sparse
    rng = np.random.default_rng(0)
    n, n_features = 4000, 50_000
    X = sp.random(n, n_features, density=2e-4, format="csr", random_state=rng)
    T = np.eye(2)[rng.integers(0, 2, n)]
    net = ffnn.Network(n_features, [4, 2], ["relu", "softmax"], seed=0)
    tracemalloc.start()
    try:
        ffnn.train(net, X, T, "cross_entropy", optimizer=ffnn.SGD(0.1), epochs=1,
                   batch_size=200, seed=0, verbose=0)
        net.predict(X)
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    dense_batch = 200 * n_features * 8
    assert peak < 4 * dense_batch  # the weights and their gradients (50 000 x 4 each), no X
    assert peak < n * n_features * 8 / 100


@pytest.mark.parametrize("bad, error, message", [
    (sp.csr_matrix(np.array([[np.nan, 1.0, 0.0]])), ValueError,
     r"X \(its stored values\) must be finite"),
    (sp.csr_matrix(np.array([[1e300, 1.0, 0.0]])), ValueError, "must fit in float32"),
    (sp.csr_matrix(np.array([[1j, 0, 0]])), TypeError, "must hold real numbers"),
    (sp.csr_matrix(np.ones((2, 4))), ValueError, "4 features per sample"),
    (sp.csr_matrix((0, 3)), ValueError, "at least one sample"),
    (sp.coo_array(np.ones(3)), ValueError, "must be a 2-D sparse matrix"),
])
def test_bad_sparse_inputs_are_named(bad, error, message):
    net = ffnn.Network(3, [2], ["softmax"], dtype=np.float32)
    with pytest.raises(error, match=message):
        net.predict(bad)


def test_paths_that_need_dense_input_say_so():
    dense, labels, T = _data()
    X = sp.csr_matrix(dense)
    nets = [ffnn.Network(30, [4, 3], ["tanh", "softmax"], seed=s) for s in range(2)]
    with pytest.raises(TypeError, match="train_stack needs a dense array"):
        train_stack(nets, X, T, "cross_entropy", "sgd", epochs=1)
    with pytest.raises(TypeError, match="sweep needs a dense X"):
        ffnn.sweep((X, labels), grid={"lr": [0.1]})
    with pytest.raises(TypeError, match="standardizing centres every feature"):
        ffnn.datasets.standardize(X)
    X_train, X_test, T_train, _ = ffnn.datasets.split(X, T, 0.25, seed=0)
    assert sp.issparse(X_train) and X_train.shape == (90, 30) and T_train.shape == (90, 3)
    assert sp.issparse(X_test)


# -- the estimators, beside scikit-learn's -------------------------------------------------

@pytest.mark.filterwarnings("ignore::sklearn.exceptions.ConvergenceWarning")
@pytest.mark.parametrize("fmt", ["csr_matrix", "csc_matrix", "csr_array"])
@pytest.mark.parametrize("early_stopping", [False, True])
def test_classifier_on_sparse_input_predicts_as_on_dense(fmt, early_stopping):
    dense, labels, _ = _data(n=200)
    X = _as(dense, fmt)
    params = dict(hidden_layer_sizes=(10,), max_iter=15, random_state=0,
                  early_stopping=early_stopping)
    ours, ours_dense = FFNNClassifier(**params).fit(X, labels), FFNNClassifier(**params).fit(
        dense, labels)
    theirs = MLPClassifier(**params).fit(X, labels)  # scikit-learn takes the same input
    np.testing.assert_array_equal(ours.classes_, theirs.classes_)
    assert ours.n_iter_ == ours_dense.n_iter_
    _close(ours.predict_proba(X), ours_dense.predict_proba(dense), np.float64)
    np.testing.assert_array_equal(ours.predict(X), ours_dense.predict(dense))
    np.testing.assert_array_equal(ours.predict(X), ours.predict(dense))


@pytest.mark.parametrize("dtype", [np.float64, np.float32])
def test_partial_fit_and_regressor_on_sparse_input(dtype):
    dense, labels, _ = _data(n=150)
    X = sp.csr_matrix(dense.astype(dtype))
    ours, twin = FFNNClassifier(random_state=0), FFNNClassifier(random_state=0)
    for _ in range(3):
        ours.partial_fit(X, labels, classes=np.arange(3))
        twin.partial_fit(dense.astype(dtype), labels, classes=np.arange(3))
    assert ours.network_.dtype == dtype
    _close(ours.predict_proba(X), twin.predict_proba(dense.astype(dtype)), dtype)
    y = dense @ np.linspace(-1, 1, 30)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ConvergenceWarning)
        reg = FFNNRegressor(hidden_layer_sizes=(8,), max_iter=20, random_state=0).fit(X, y)
        reg_dense = FFNNRegressor(hidden_layer_sizes=(8,), max_iter=20, random_state=0).fit(
            dense.astype(dtype), y)
        MLPRegressor(hidden_layer_sizes=(8,), max_iter=20, random_state=0).fit(X, y)
    _close(reg.predict(X), reg_dense.predict(dense.astype(dtype)), dtype)


def test_estimators_declare_sparse_input():
    for est in (FFNNClassifier(), FFNNRegressor()):
        assert est.__sklearn_tags__().input_tags.sparse
