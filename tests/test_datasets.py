"""Data sets: labels to one-hot targets, the regression generators, loading, splitting, scaling."""

import math

import numpy as np
import pytest

import ffnn
from ffnn.data.datasets import (
    DATASET_NAMES,
    Dataset,
    encode_labels,
    franke,
    franke_function,
    load_dataset,
    load_iris,
    one_hot,
    polynomial,
    runge,
    runge2d,
    runge2d_function,
    runge_function,
    split,
    standardize,
)

GENERATORS = [franke, runge, runge2d, polynomial]


# --- encode_labels ---------------------------------------------------------------------------


def test_encode_labels_strings_round_trip():
    labels = np.array(["virginica", "setosa", "versicolor", "setosa"])
    targets, classes = encode_labels(labels)
    assert classes.tolist() == ["setosa", "versicolor", "virginica"]
    assert targets.dtype == np.float64
    assert targets.shape == (4, 3)
    np.testing.assert_array_equal(targets.sum(axis=1), 1.0)
    np.testing.assert_array_equal(classes[targets.argmax(axis=1)], labels)


def test_encode_labels_ints_sorted_and_round_trip():
    labels = [7, 3, 3, 10, 7]
    targets, classes = encode_labels(labels)
    assert classes.tolist() == [3, 7, 10]
    np.testing.assert_array_equal(targets.argmax(axis=1), [1, 0, 0, 2, 1])
    np.testing.assert_array_equal(classes[targets.argmax(axis=1)], labels)


def test_encode_labels_matches_one_hot_for_indices():
    labels = np.array([0, 2, 1, 2])
    targets, classes = encode_labels(labels)
    np.testing.assert_array_equal(targets, one_hot(labels))
    np.testing.assert_array_equal(classes, [0, 1, 2])


def test_encode_labels_given_classes_keep_their_order_and_missing_columns():
    targets, classes = encode_labels(["b", "b"], classes=["c", "b", "a"])
    assert classes.tolist() == ["c", "b", "a"]
    np.testing.assert_array_equal(targets, [[0, 1, 0], [0, 1, 0]])


def test_encode_labels_whole_floats_are_labels():
    targets, classes = encode_labels(np.array([1.0, 0.0, 1.0]))
    np.testing.assert_array_equal(classes, [0, 1])
    np.testing.assert_array_equal(targets.argmax(axis=1), [1, 0, 1])


def test_encode_labels_unknown_labels_are_named():
    with pytest.raises(ValueError, match=r"2 value\(s\) not in classes: 'dog', 'emu'"):
        encode_labels(["cat", "dog", "emu", "dog"], classes=["cat", "cow"])
    with pytest.raises(ValueError, match=r"not in classes: 5"):
        encode_labels([0, 1, 5], classes=[0, 1, 2])
    with pytest.raises(ValueError, match=r"not in classes: 1"):
        encode_labels([1], classes=["a", "b"])  # an int is never a string class


@pytest.mark.parametrize(
    ("labels", "classes", "error", "pattern"),
    [
        ([[0, 1], [1, 0]], None, ValueError, "labels must be a 1-D array"),
        ([0.5, 1.0], None, ValueError, "non-integer numbers such as 0.5"),
        ([], None, ValueError, "at least one label"),
        ([0, 1], [0, 1, 1], ValueError, r"classes must be distinct, got \[1\]"),
        ([0, 1], [], ValueError, "classes must hold at least one class"),
        (np.array([1, "a", 2.5], dtype=object), None, TypeError, "one kind"),
    ],
)
def test_encode_labels_bad_arguments(labels, classes, error, pattern):
    with pytest.raises(error, match=pattern):
        encode_labels(labels, classes)


def test_one_hot_and_load_iris_unchanged():
    np.testing.assert_array_equal(one_hot([1, 0], 3), [[0, 1, 0], [1, 0, 0]])
    X, targets = load_iris()
    assert X.shape == (150, 4) and targets.shape == (150, 3)
    assert X.dtype == np.float64
    np.testing.assert_array_equal(targets.sum(axis=0), [50, 50, 50])


# --- the noiseless functions -----------------------------------------------------------------


def test_franke_function_at_hand_computed_points():
    # At (0, 0): 0.75 e^{-(4+4)/4} + 0.75 e^{-1/49 - 1/10} + 0.5 e^{-(49+9)/4} - 0.2 e^{-16-49}
    expected = (
        0.75 * math.exp(-2.0)
        + 0.75 * math.exp(-1 / 49 - 0.1)
        + 0.5 * math.exp(-58 / 4)
        - 0.2 * math.exp(-65.0)
    )
    assert franke_function(0.0, 0.0) == pytest.approx(expected, rel=1e-14)
    assert franke_function(0.0, 0.0) == pytest.approx(0.76642059, abs=1e-8)
    # At (2/9, 2/9) the first bump is at its peak (e^0): 0.75 + 0.75 e^{-9/49 - 3/10} + ...
    x = 2 / 9
    expected = (
        0.75
        + 0.75 * math.exp(-9 / 49 - 0.3)
        + 0.5 * math.exp(-25 / 4 - 1 / 4)
        - 0.2 * math.exp(-4 - 25)
    )
    assert franke_function(x, x) == pytest.approx(expected, rel=1e-14)


def test_franke_function_broadcasts():
    x = np.linspace(0, 1, 5)
    grid = franke_function(x[:, None], x[None, :])
    assert grid.shape == (5, 5)
    assert grid[3, 1] == pytest.approx(franke_function(x[3], x[1]))


def test_runge_function_values():
    np.testing.assert_allclose(runge_function([0.0, 0.2, -1.0]), [1.0, 0.5, 1 / 26])


# --- generators ------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("generator", "n_features", "low", "high"),
    [(franke, 2, 0.0, 1.0), (runge, 1, -1.0, 1.0), (polynomial, 1, -1.0, 1.0)],
)
def test_generator_shapes_and_domain(generator, n_features, low, high):
    X, y = generator(n_samples=50, seed=0)
    assert X.shape == (50, n_features) and y.shape == (50, 1)
    assert X.dtype == np.float64 and y.dtype == np.float64
    assert X.min() >= low and X.max() <= high


def _noiseless(generator, X):
    if generator is franke:
        return franke_function(X[:, 0], X[:, 1]).reshape(-1, 1)
    if generator is runge:
        return runge_function(X)
    if generator is runge2d:
        return runge2d_function(X[:, 0], X[:, 1]).reshape(-1, 1)
    return np.polynomial.polynomial.polyval(X, (1.0, -2.0, 0.5))


@pytest.mark.parametrize("generator", GENERATORS)
def test_generator_noise_statistics(generator):
    n, noise = 20_000, 0.3
    X, y = generator(n_samples=n, noise=noise, seed=1)
    residual = y - _noiseless(generator, X)
    # The sample std of n normal draws is off by about noise / sqrt(2n) ≈ 0.0015.
    assert residual.std() == pytest.approx(noise, abs=0.01)
    assert abs(residual.mean()) < 4 * noise / math.sqrt(n)


@pytest.mark.parametrize("generator", GENERATORS)
def test_generator_without_noise_is_the_function(generator):
    X, y = generator(n_samples=30, noise=0, seed=2)
    np.testing.assert_allclose(y, _noiseless(generator, X), rtol=0, atol=1e-15)


@pytest.mark.parametrize("generator", GENERATORS)
def test_generator_seeds(generator):
    X1, y1 = generator(n_samples=20, seed=5)
    X2, y2 = generator(n_samples=20, seed=5)
    X3, y3 = generator(n_samples=20, seed=6)
    np.testing.assert_array_equal(X1, X2)
    np.testing.assert_array_equal(y1, y2)
    assert not np.allclose(X1, X3)
    assert not np.allclose(y1, y3)
    # A Generator is accepted and advances; the noise level does not move X.
    rng = np.random.default_rng(5)
    X4, _ = generator(n_samples=20, seed=rng)
    X5, _ = generator(n_samples=20, seed=rng)
    np.testing.assert_array_equal(X4, X1)
    assert not np.allclose(X4, X5)
    X6, _ = generator(n_samples=20, noise=1.0, seed=5)
    np.testing.assert_array_equal(X6, X1)


def test_polynomial_coefficients_lowest_degree_first():
    X, y = polynomial(n_samples=10, coefficients=[0.0, 0.0, 0.0, 2.0], noise=0.0, seed=0)
    np.testing.assert_allclose(y, 2 * X**3)
    X, y = polynomial(n_samples=10, coefficients=[3.0], noise=0.0, seed=0)
    np.testing.assert_array_equal(y, 3.0)


@pytest.mark.parametrize("generator", GENERATORS)
@pytest.mark.parametrize(
    ("kwargs", "error", "pattern"),
    [
        ({"n_samples": 0}, ValueError, "n_samples must be a positive integer, got 0"),
        ({"n_samples": 10.0}, TypeError, "n_samples must be a positive integer"),
        ({"n_samples": True}, TypeError, "n_samples must be a positive integer"),
        ({"noise": -0.1}, ValueError, r"noise must be a finite number >= 0, got -0.1"),
        ({"noise": float("nan")}, ValueError, "noise must be a finite number >= 0"),
        ({"noise": float("inf")}, ValueError, "noise must be a finite number >= 0"),
        ({"noise": "0.1"}, TypeError, "noise must be a non-negative number"),
        ({"seed": -1}, ValueError, "seed must be a non-negative int"),
        ({"seed": 1.5}, TypeError, "seed must be an int, a numpy.random.Generator or None"),
    ],
)
def test_generator_bad_arguments(generator, kwargs, error, pattern):
    with pytest.raises(error, match=pattern):
        generator(**kwargs)


@pytest.mark.parametrize(
    "coefficients", [[], [[1.0, 2.0]], [1.0, float("nan")], ["a"]]
)
def test_polynomial_bad_coefficients(coefficients):
    with pytest.raises((ValueError, TypeError), match="coefficients"):
        polynomial(coefficients=coefficients)


# --- load_dataset ----------------------------------------------------------------------------

SHIPPED = [
    ("iris", (150, 4), 3),
    ("breast-cancer", (569, 30), 2),
    ("digits", (1797, 64), 10),
    ("wine", (178, 13), 3),
]


@pytest.mark.parametrize(("name", "shape", "n_classes"), SHIPPED)
def test_load_dataset_classification(name, shape, n_classes):
    data = load_dataset(name)
    assert isinstance(data, Dataset)
    assert data.name == name and data.task == "classification"
    assert data.X.shape == shape and data.X.dtype == np.float64
    assert data.targets.shape == (shape[0], n_classes) and data.targets.dtype == np.float64
    assert np.isin(data.targets, (0.0, 1.0)).all()
    np.testing.assert_array_equal(data.targets.sum(axis=1), 1.0)
    np.testing.assert_array_equal(data.classes, np.arange(n_classes))
    assert len(data.feature_names) == shape[1]
    assert all(isinstance(f, str) for f in data.feature_names)
    assert len(data.class_names) == n_classes
    np.testing.assert_array_equal(data.labels, data.targets.argmax(axis=1))
    assert data.labels.shape == (shape[0],)
    assert set(np.unique(data.labels)) == set(range(n_classes))  # every class is present
    assert (data.n_samples, data.n_features) == shape


def test_load_dataset_iris_matches_load_iris():
    X, targets = load_iris()
    data = load_dataset("iris")
    np.testing.assert_array_equal(data.X, X)
    np.testing.assert_array_equal(data.targets, targets)


def test_load_dataset_breast_cancer_class_names_follow_sklearn():
    data = load_dataset("breast_cancer")  # '_' stands for '-'
    assert data.name == "breast-cancer"
    assert data.class_names == ("malignant", "benign")
    np.testing.assert_array_equal(data.targets.sum(axis=0), [212, 357])


@pytest.mark.parametrize(("name", "n_features"),
                         [("franke", 2), ("runge", 1), ("runge2d", 2), ("polynomial", 1)])
def test_load_dataset_regression(name, n_features):
    data = load_dataset(name, n_samples=40, noise=0.0, seed=3)
    assert data.task == "regression" and data.classes is None and data.class_names is None
    assert data.X.shape == (40, n_features) and data.targets.shape == (40, 1)
    assert len(data.feature_names) == n_features
    generator = {"franke": franke, "runge": runge, "runge2d": runge2d,
                 "polynomial": polynomial}[name]
    X, y = generator(n_samples=40, noise=0.0, seed=3)
    np.testing.assert_array_equal(data.X, X)
    np.testing.assert_array_equal(data.targets, y)
    with pytest.raises(AttributeError, match="only for classification"):
        _ = data.labels


def test_load_dataset_generator_defaults():
    assert load_dataset("franke", seed=0).X.shape == (400, 2)
    assert load_dataset("runge", seed=0).X.shape == (200, 1)


def test_dataset_names_all_load():
    assert set(DATASET_NAMES) == {
        "iris", "breast-cancer", "digits", "wine", "mnist", "fashion-mnist", "franke",
        "runge", "runge2d", "polynomial"
    }
    assert ffnn.datasets.DATASET_NAMES is DATASET_NAMES


def test_load_dataset_unknown_name_lists_valid_ones():
    with pytest.raises(ValueError, match=r"one of \['iris', 'breast-cancer'.*got 'cifar10'"):
        load_dataset("cifar10")
    with pytest.raises(TypeError, match="name must be a string"):
        load_dataset(3)


@pytest.mark.parametrize("kwargs", [{"n_samples": 10}, {"noise": 0.1}, {"seed": 0}])
def test_load_dataset_refuses_generator_arguments_for_shipped_sets(kwargs):
    with pytest.raises(ValueError, match="apply only to the generated data sets"):
        load_dataset("wine", **kwargs)


def test_load_dataset_checks_generator_arguments():
    with pytest.raises(ValueError, match="n_samples must be a positive integer"):
        load_dataset("runge", n_samples=-3)


# --- split -----------------------------------------------------------------------------------


def test_split_stratified_keeps_class_proportions():
    data = load_dataset("wine")
    X_train, X_test, y_train, y_test = split(data.X, data.targets, test_size=0.25, seed=0)
    n_test = X_test.shape[0]
    assert n_test + X_train.shape[0] == data.n_samples
    assert y_test.shape == (n_test, 3) and y_train.shape[1] == 3
    full = data.targets.mean(axis=0)
    assert np.all(np.abs(y_test.mean(axis=0) - full) <= 1 / n_test)
    assert np.all(np.abs(y_train.mean(axis=0) - full) <= 1 / X_train.shape[0])


def test_split_stratifies_a_single_binary_column():
    y = np.zeros((100, 1))
    y[:10] = 1.0  # 10 % positives
    X = np.arange(100.0).reshape(-1, 1)
    for seed in range(5):
        _, X_test, _, y_test = split(X, y, test_size=0.2, seed=seed)
        assert y_test.sum() == 2
        np.testing.assert_array_equal(y_test[:, 0], X_test[:, 0] < 10)  # rows stay paired


def test_split_unstratified_can_lose_proportions():
    y = np.zeros((100, 1))
    y[:10] = 1.0
    X = np.arange(100.0).reshape(-1, 1)
    counts = {split(X, y, test_size=0.2, stratify=False, seed=s)[3].sum() for s in range(20)}
    assert counts != {2.0}


def test_split_regression_and_seeds():
    X, y = runge(n_samples=50, seed=0)
    a = split(X, y, seed=1)
    b = split(X, y, seed=1)
    c = split(X, y, seed=2)
    assert a[1].shape == (10, 1) and a[3].shape == (10, 1)
    for left, right in zip(a, b):
        np.testing.assert_array_equal(left, right)
    assert not np.array_equal(a[1], c[1])
    # Rows stay paired: each test target is the target of its test input.
    index = {x: i for i, x in enumerate(X[:, 0])}
    np.testing.assert_array_equal(a[3][:, 0], [y[index[x], 0] for x in a[1][:, 0]])


def test_split_accepts_a_generator_seed():
    X, y = load_iris()
    first = split(X, y, seed=np.random.default_rng(4))
    again = split(X, y, seed=np.random.default_rng(4))
    np.testing.assert_array_equal(first[1], again[1])
    rng = np.random.default_rng(4)
    split(X, y, seed=rng)
    assert not np.array_equal(split(X, y, seed=rng)[1], first[1])


def test_split_int_test_size():
    X, y = load_iris()
    X_train, X_test, _, y_test = split(X, y, test_size=30, seed=0)
    assert X_test.shape == (30, 4) and X_train.shape == (120, 4)
    np.testing.assert_array_equal(y_test.sum(axis=0), [10, 10, 10])


@pytest.mark.parametrize(
    ("args", "kwargs", "error", "pattern"),
    [
        ((np.zeros((5, 2)), np.zeros((4, 1))), {}, ValueError, "one row per sample of X"),
        ((np.zeros((5, 2)), np.zeros((5, 1)), 1.5), {}, ValueError, r"in \(0, 1\), got 1.5"),
        ((np.zeros((5, 2)), np.zeros((5, 1)), 0.0), {}, ValueError, r"in \(0, 1\)"),
        ((np.zeros((5, 2)), np.zeros((5, 1)), 5), {}, ValueError, r"in \[1, 4\]"),
        ((np.zeros((5, 2)), np.zeros((5, 1)), "a"), {}, TypeError, "test_size must be"),
        ((np.zeros((5, 2)), np.zeros((5, 1))), {"stratify": "yes"}, TypeError, "stratify"),
        ((np.zeros((5, 2)), np.zeros((5, 1))), {"seed": -2}, ValueError, "seed must be"),
        ((np.zeros((1, 2)), np.zeros((1, 1))), {}, ValueError, "at least 2 samples"),
        ((np.zeros((6, 2)), one_hot([0, 0, 0, 0, 0, 1])), {}, ValueError, "stratify=False"),
    ],
)
def test_split_bad_arguments(args, kwargs, error, pattern):
    with pytest.raises(error, match=pattern):
        split(*args, **kwargs)


# --- standardize -----------------------------------------------------------------------------


def test_standardize_fits_on_the_training_part_only():
    rng = np.random.default_rng(0)
    X_train = rng.normal(5.0, 2.0, size=(200, 3))
    X_test = rng.normal(8.0, 4.0, size=(50, 3))  # shifted: must stay shifted after scaling
    originals = X_train.copy(), X_test.copy()
    X_train_s, X_test_s, scaler = standardize(X_train, X_test)
    np.testing.assert_allclose(X_train_s.mean(axis=0), 0.0, atol=1e-12)
    np.testing.assert_allclose(X_train_s.std(axis=0), 1.0, rtol=1e-12)
    np.testing.assert_allclose(X_test_s, (X_test - X_train.mean(0)) / X_train.std(0))
    assert np.all(X_test_s.mean(axis=0) > 0.5)
    np.testing.assert_allclose(scaler.mean_, X_train.mean(axis=0))
    np.testing.assert_allclose(scaler.inverse_transform(X_test_s), X_test)
    np.testing.assert_array_equal(X_train, originals[0])  # the inputs are left as they were
    np.testing.assert_array_equal(X_test, originals[1])


def test_standardize_many_or_none_and_dtypes():
    X, _ = load_iris()
    X_train_s, scaler = standardize(X)
    assert X_train_s.shape == X.shape and hasattr(scaler, "scale_")
    a, b, c, _ = standardize(X[:100], X[100:120], X[120:])
    np.testing.assert_allclose(np.vstack([b, c]), (X[100:] - X[:100].mean(0)) / X[:100].std(0))
    assert a.shape == (100, 4)
    X32 = X.astype(np.float32)
    assert standardize(X32)[0].dtype == np.float32
    digits = load_dataset("digits").X  # constant (all-zero) pixels: shifted, not divided by 0
    assert np.isfinite(standardize(digits)[0]).all()


@pytest.mark.parametrize(
    ("args", "error", "pattern"),
    [
        ((np.zeros(3),), ValueError, r"X_train must have shape \(n_samples, n_features\)"),
        ((np.zeros((4, 3)), np.zeros((2, 2))), ValueError, r"others\[0\] must have the 3"),
        ((np.array([[1.0, np.nan]]),), ValueError, "X_train must be finite"),
        ((np.zeros((0, 3)),), ValueError, "at least one sample"),
        ((np.array([["a", "b"]]),), TypeError, "X_train must hold real numbers"),
    ],
)
def test_standardize_bad_arguments(args, error, pattern):
    with pytest.raises(error, match=pattern):
        standardize(*args)


def test_the_embedded_iris_is_scikit_learns():
    from sklearn.datasets import load_iris as sklearn_iris

    reference = sklearn_iris()
    dataset = load_dataset("iris")
    np.testing.assert_array_equal(dataset.X, reference.data)
    np.testing.assert_array_equal(dataset.labels, reference.target)
    assert dataset.feature_names == tuple(reference.feature_names)
    assert dataset.class_names == tuple(reference.target_names)
    X, T = ffnn.datasets.load_iris()
    np.testing.assert_array_equal(X, reference.data)
    np.testing.assert_array_equal(T.argmax(axis=1), reference.target)
