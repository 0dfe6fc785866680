"""ffnn.model: a network with its classes, feature names and standardisation, in one file.

Predictions are compared with the network's own outputs and scikit-learn's scaler; files
are edited through ffnn.io.read_model_file/write_model_file, which keep the checksums right,
so that load_model's own checks (not the digests) must refuse the edits.
"""

from __future__ import annotations

import copy
import warnings

import numpy as np
import pytest
from sklearn.exceptions import ConvergenceWarning
from sklearn.preprocessing import StandardScaler

import ffnn
from ffnn import Network
from ffnn.io.container import ModelFileError, read_model_file, write_model_file
from ffnn.io.model import Model, load_model
from ffnn.sklearn.estimators import FFNNClassifier, FFNNRegressor


@pytest.fixture
def rng():
    return np.random.default_rng(7)


def softmax_net(n_in=4, k=3, seed=0):
    return Network(n_in, [6, k], ["tanh", "softmax"], seed=seed)


def full_model(seed=0) -> tuple[Model, np.ndarray]:
    """A standardised three-class model and the data its scaler was fitted on."""
    rng = np.random.default_rng(seed)
    X = rng.standard_normal((30, 4)) * [1, 10, 0.1, 5] + [0, 50, -1, 3]
    scaler = StandardScaler().fit(X)
    model = Model(softmax_net(seed=seed), "classification",
                  np.array(["setosa", "versicolor", "virginica"]),
                  ("sepal length", "sepal width", "petal length", "petal width"), "species",
                  scaler.mean_, scaler.scale_, "cross_entropy", "flowers.csv",
                  {"lr": 0.1, "hidden": [6], "standardize": True, "batch_size": None})
    return model, X


def assert_same_model(a: Model, b: Model) -> None:
    assert a.task == b.task
    assert (a.classes is None) == (b.classes is None)
    if a.classes is not None:
        assert a.classes.tolist() == b.classes.tolist()
        assert a.classes.dtype.kind == b.classes.dtype.kind
    assert a.feature_names == b.feature_names
    assert a.target == b.target
    for name in ("mean", "scale"):
        left, right = getattr(a, name), getattr(b, name)
        assert (left is None) == (right is None)
        if left is not None:
            np.testing.assert_array_equal(left, right)
    assert (a.loss, a.data, a.options) == (b.loss, b.data, b.options)
    assert str(a.network) == str(b.network)
    np.testing.assert_array_equal(a.network.params, b.network.params)


# -- round trip and prediction ------------------------------------------------------------------


def test_round_trip_keeps_every_field_and_every_bit(tmp_path, rng):
    model, _ = full_model()
    path = tmp_path / "model.npz"
    model.save(path)
    loaded = load_model(path)
    assert_same_model(model, loaded)
    X_new = rng.standard_normal((20, 4)) * 5
    np.testing.assert_array_equal(loaded.outputs(X_new), model.outputs(X_new))
    np.testing.assert_array_equal(loaded.predict_proba(X_new), model.predict_proba(X_new))
    np.testing.assert_array_equal(loaded.predict(X_new), model.predict(X_new))
    # the file is an ordinary model file: ffnn.load reads the network alone
    network = ffnn.load(path)
    np.testing.assert_array_equal(network.params, model.network.params)
    # config() is what the file holds
    _, metadata = read_model_file(path)
    assert metadata["extra"]["model"] == model.config()


def test_round_trip_of_integer_classes_and_no_scaler(tmp_path):
    model = Model(softmax_net(k=3), "classification", [2, 5, 9])
    model.save(tmp_path / "m.npz")
    loaded = load_model(tmp_path / "m.npz")
    assert_same_model(model, loaded)
    assert loaded.classes.dtype.kind == "i"
    assert loaded.mean is None and loaded.feature_names is None


def test_transform_is_the_scaler_fitted_on_the_training_data(rng):
    model, X = full_model()
    scaler = StandardScaler().fit(X)
    X_new = rng.standard_normal((10, 4)) * 3
    np.testing.assert_allclose(model.transform(X_new), scaler.transform(X_new),
                               rtol=0, atol=1e-12)
    np.testing.assert_allclose(model.transform(X).mean(axis=0), 0, atol=1e-12)
    np.testing.assert_allclose(model.transform(X).std(axis=0), 1, atol=1e-12)
    np.testing.assert_array_equal(model.outputs(X_new),
                                  model.network.predict(model.transform(X_new)))
    unscaled = Model(model.network, "classification", model.classes)
    np.testing.assert_array_equal(unscaled.transform(X_new), X_new)
    with pytest.raises(ValueError, match=r"X must have shape \(n_samples, 4\), got \(10, 3\)"):
        model.transform(X_new[:, :3])


def test_binary_model_with_one_sigmoid_output(rng):
    network = Network(3, [5, 1], ["tanh", "sigmoid"], seed=3)
    model = Model(network, "classification", np.array(["no", "yes"]))
    X = rng.standard_normal((40, 3)) * 3
    a = network.predict(X)[:, 0]
    assert 0 < (a > 0.5).sum() < 40  # both classes predicted: the test can tell them apart
    p = model.predict_proba(X)
    assert p.shape == (40, 2)
    np.testing.assert_array_equal(p[:, 1], a)
    np.testing.assert_allclose(p.sum(axis=1), 1)
    np.testing.assert_array_equal(model.predict(X), np.where(a > 0.5, "yes", "no"))
    # the loss takes the positive class's column
    y = np.array(["yes", "no", "no", "yes"])
    np.testing.assert_array_equal(model.targets(y), [[1], [0], [0], [1]])
    np.testing.assert_array_equal(model.class_index(y), [1, 0, 0, 1])


def test_softmax_model_predicts_the_largest_output(rng):
    network = softmax_net(k=4, seed=5)
    model = Model(network, "classification", np.array([10, 20, 30, 40]))
    X = rng.standard_normal((50, 4)) * 3
    out = network.predict(X)
    np.testing.assert_array_equal(model.predict_proba(X), out)
    np.testing.assert_array_equal(model.predict(X), np.array([10, 20, 30, 40])[out.argmax(1)])
    assert len(set(model.predict(X).tolist())) > 1
    np.testing.assert_array_equal(model.targets([20, 40]), [[0, 1, 0, 0], [0, 0, 0, 1]])


@pytest.mark.parametrize("n_out", [1, 3])
def test_regression_model(rng, n_out):
    network = Network(2, [4, n_out], ["relu", "identity"], seed=1)
    model = Model(network, "regression", mean=[1.0, -2.0], scale=[2.0, 0.5])
    X = rng.standard_normal((7, 2))
    expected = network.predict((X - [1.0, -2.0]) / [2.0, 0.5])
    predicted = model.predict(X)
    if n_out == 1:
        assert predicted.shape == (7,)
        np.testing.assert_array_equal(predicted, expected[:, 0])
    else:
        assert predicted.shape == (7, n_out)
        np.testing.assert_array_equal(predicted, expected)
    np.testing.assert_array_equal(model.targets(np.arange(7)), np.arange(7.0).reshape(7, 1))
    with pytest.raises(ValueError, match="a regression model has no class probabilities"):
        model.predict_proba(X)
    with pytest.raises(ValueError, match="a regression model has no classes"):
        model.class_index([1])


def test_class_index_compares_labels_as_text_and_names_unknown_ones():
    model = Model(softmax_net(k=3), "classification", np.array([0, 1, 2]))
    np.testing.assert_array_equal(model.class_index(["2", "0", 1, np.int64(2)]), [2, 0, 1, 2])
    with pytest.raises(ValueError) as error:
        model.class_index([0, 7, "x", 1, 7])
    message = str(error.value)
    assert "labels ['7', 'x'] are not among the model's classes ['0', '1', '2']" in message
    named = Model(softmax_net(k=3), "classification", np.array(["a", "b", "c"]))
    with pytest.raises(ValueError, match=r"labels \['d'\] are not among"):
        named.targets(["a", "d"])


# -- invalid models -----------------------------------------------------------------------------

INVALID = [
    (dict(task="clustering", classes=None), "task must be one of classification, regression"),
    (dict(classes=None), "a classification model needs its classes"),
    (dict(classes=[0, 1]), "2 classes do not fit the network's 3 output(s)"),
    (dict(classes=[0, 1, 2, 3]), "4 classes do not fit"),
    (dict(classes=[0, 1, 1]), "classes must be distinct"),
    (dict(classes=[0.5, float("nan"), 2.5]), "classes must be distinct integers, finite "
                                             "numbers or strings"),
    (dict(classes=[[0], [1], [2]]), "classes must be distinct integers, finite numbers"),
    (dict(task="regression", classes=[0, 1, 2]), "a regression model has no classes"),
    (dict(feature_names=("a", "b")), "feature_names must be 4 strings"),
    (dict(feature_names=("a", "b", "c", 4)), "feature_names must be 4 strings"),
    (dict(feature_names="abcd"), "feature_names must be 4 strings"),
    (dict(mean=np.zeros(4)), "mean and scale go together"),
    (dict(scale=np.ones(4)), "mean and scale go together"),
    (dict(mean=np.zeros(3), scale=np.ones(3)), "mean must be 4 finite numbers, got shape (3,)"),
    (dict(mean=np.zeros((1, 4)), scale=np.ones(4)), "mean must be 4 finite numbers"),
    (dict(mean=[0, np.nan, 0, 0], scale=np.ones(4)), "mean must be 4 finite numbers"),
    (dict(mean=np.zeros(4), scale=[1, np.inf, 1, 1]), "scale must be 4 finite numbers"),
    (dict(mean=np.zeros(4), scale=[1, 0, 1, 1]), "scale must be > 0 everywhere"),
    (dict(mean=np.zeros(4), scale=[1, 1, -2, 1]), "scale must be > 0 everywhere"),
    (dict(target=3), "target must be a string or None"),
    (dict(loss=["mse"]), "loss must be a string or None"),
    (dict(options=[("lr", 1)]), "options must be a dict"),
]


@pytest.mark.parametrize(("changes", "message"), INVALID)
def test_invalid_models_are_refused(changes, message):
    fields = dict(task="classification", classes=[0, 1, 2])
    fields.update(changes)
    with pytest.raises(ValueError) as error:
        Model(softmax_net(k=3), **fields)
    assert message in str(error.value)


def test_one_sigmoid_output_takes_exactly_two_classes():
    network = Network(2, [1], ["sigmoid"], seed=0)
    Model(network, "classification", ["a", "b"])  # fine
    with pytest.raises(ValueError, match="3 classes do not fit the network's 1 output"):
        Model(network, "classification", ["a", "b", "c"])


# -- edited and damaged files -------------------------------------------------------------------


def _edit(path, change) -> None:
    """Rewrite the file with ``change(model_config)`` applied, checksums recomputed."""
    arrays, metadata = read_model_file(path)
    metadata = copy.deepcopy(metadata)
    result = change(metadata["extra"]["model"])
    if result is not None:
        metadata["extra"]["model"] = result
    write_model_file(path, arrays, metadata)


def _set(key, value):
    def change(config):
        config[key] = value
    return change


def _set_scaler(key, value):
    def change(config):
        config["scaler"][key] = value
    return change


EDITS = [
    ("a list", lambda config: [config], "must be a JSON object, got list"),
    ("an entry less", lambda config: config.pop("target") and None, "entries"),
    ("an entry more", _set("weights", [1]), "entries"),
    ("unknown task", _set("task", "ranking"), "task must be one of"),
    ("no classes", _set("classes", None), "a classification model needs its classes"),
    ("empty classes", _set("classes", []), "classes must be a list of integers or of strings"),
    ("mixed classes", _set("classes", ["a", 1, "c"]), "classes must be a list of integers"),
    ("bool classes", _set("classes", [True, False, True]), "classes must be a list of integers"),
    ("float classes", _set("classes", [0.0, 1.0, 2.0]), "classes must be a list of integers"),
    ("too few classes", _set("classes", ["a", "b"]), "2 classes do not fit"),
    ("repeated classes", _set("classes", ["a", "b", "a"]), "classes must be distinct"),
    ("classes as text", _set("classes", "abc"), "classes must be a list"),
    ("regression with classes", _set("task", "regression"), "a regression model has no classes"),
    ("feature count", _set("feature_names", ["a", "b"]), "feature_names must be 4 strings"),
    ("feature names as text", _set("feature_names", "abcd"), "feature_names must be 4 strings"),
    ("feature names as numbers", _set("feature_names", [1, 2, 3, 4]),
     "feature_names must be 4 strings"),
    ("scaler not an object", _set("scaler", [0, 1]), "scaler must be null or {mean, scale}"),
    ("scaler keys", _set("scaler", {"mean": [0] * 4}), "scaler must be null or {mean, scale}"),
    ("mean length", _set_scaler("mean", [0.0, 0.0]), "mean must be 4 finite numbers"),
    ("mean text", _set_scaler("mean", ["0", 0, 0, 0]), "scaler.mean must be a list of finite"),
    ("mean bools", _set_scaler("mean", [True, 0, 0, 0]), "scaler.mean must be a list of finite"),
    ("mean not a list", _set_scaler("mean", 0.0), "scaler.mean must be a list"),
    ("scale zero", _set_scaler("scale", [1.0, 0.0, 1.0, 1.0]), "scale must be > 0"),
    ("scale negative", _set_scaler("scale", [1.0, 1.0, -1.0, 1.0]), "scale must be > 0"),
    ("target number", _set("target", 5), "target must be a string or None"),
    ("loss object", _set("loss", {"name": "mse"}), "loss must be a string or None"),
    ("options list", _set("options", ["lr"]), "options must be a dict"),
]


@pytest.mark.parametrize(("what", "change", "message"), EDITS, ids=[e[0] for e in EDITS])
def test_edited_model_entries_are_refused(tmp_path, what, change, message):
    model, _ = full_model()
    path = tmp_path / "edited.npz"
    model.save(path)
    _edit(path, change)
    with pytest.raises(ModelFileError) as error:
        load_model(path)
    text = str(error.value)
    assert text.startswith(f"{path}: extra.model: "), text
    assert message in text, text
    assert error.value.path == str(path)


def test_a_rewrite_without_edits_still_loads(tmp_path):
    """The editing helper itself keeps a file valid: the refusals above are the edits'."""
    model, _ = full_model()
    path = tmp_path / "same.npz"
    model.save(path)
    _edit(path, lambda config: None)
    assert_same_model(load_model(path), model)


def test_a_damaged_file_is_a_model_file_error(tmp_path):
    model, _ = full_model()
    path = tmp_path / "damaged.npz"
    model.save(path)
    data = bytearray(path.read_bytes())
    arrays, _ = read_model_file(path)
    params = arrays["params"].tobytes()
    at = bytes(data).find(params)
    assert at > 0
    data[at + len(params) // 2] ^= 0xFF
    path.write_bytes(bytes(data))
    with pytest.raises(ModelFileError, match=str(path)):
        load_model(path)
    with pytest.raises(FileNotFoundError):
        load_model(tmp_path / "absent.npz")


# -- estimator files and bare networks ----------------------------------------------------------


@pytest.fixture
def iris_frame():
    pandas = pytest.importorskip("pandas")
    from sklearn.datasets import load_iris

    iris = load_iris(as_frame=True)
    labels = pandas.Series(np.array(iris.target_names)[iris.target], name="species")
    return iris.data, labels


def _fit(estimator, X, y):
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ConvergenceWarning)
        return estimator.fit(X, y)


def test_classifier_file_carries_feature_names_and_classes(tmp_path, iris_frame):
    X, y = iris_frame
    est = _fit(FFNNClassifier(hidden_layer_sizes=(5,), max_iter=30, random_state=0), X, y)
    path = tmp_path / "clf.npz"
    est.save(path)
    model = load_model(path)
    assert model.task == "classification"
    assert model.classes.tolist() == ["setosa", "versicolor", "virginica"]
    assert model.feature_names == tuple(X.columns)
    assert model.loss == "cross_entropy"
    assert model.mean is None and model.target is None
    assert model.options["max_iter"] == 30
    values = X.to_numpy()
    np.testing.assert_array_equal(model.predict(values), est.predict(X))
    np.testing.assert_array_equal(model.predict_proba(values), est.predict_proba(X))


def test_binary_classifier_file(tmp_path, rng):
    X = rng.standard_normal((60, 3))
    y = np.where(X[:, 0] - X[:, 2] > 0, 7, 3)
    est = _fit(FFNNClassifier(hidden_layer_sizes=(4,), max_iter=40, random_state=1), X, y)
    est.save(tmp_path / "bin.npz")
    model = load_model(tmp_path / "bin.npz")
    assert model.network.n_outputs == 1 and model.classes.tolist() == [3, 7]
    assert model.loss == "binary_cross_entropy" and model.feature_names is None
    np.testing.assert_array_equal(model.predict(X), est.predict(X))
    np.testing.assert_array_equal(model.predict_proba(X), est.predict_proba(X))


@pytest.mark.parametrize("n_targets", [1, 2])
def test_regressor_file(tmp_path, rng, n_targets):
    pandas = pytest.importorskip("pandas")
    X = pandas.DataFrame(rng.standard_normal((40, 3)), columns=["u", "v", "w"])
    y = X.to_numpy() @ rng.standard_normal((3, n_targets))
    y = y[:, 0] if n_targets == 1 else y
    est = _fit(FFNNRegressor(hidden_layer_sizes=(4,), max_iter=20, random_state=0), X, y)
    est.save(tmp_path / "reg.npz")
    model = load_model(tmp_path / "reg.npz")
    assert model.task == "regression" and model.classes is None
    assert model.feature_names == ("u", "v", "w")
    assert model.loss == "mse"
    np.testing.assert_array_equal(model.predict(X.to_numpy()), est.predict(X))


def test_multilabel_classifier_file_is_refused_clearly(tmp_path, rng):
    X = rng.standard_normal((30, 2))
    Y = np.column_stack([X[:, 0] > 0, X[:, 1] > 0, X.sum(axis=1) > 0]).astype(int)
    est = _fit(FFNNClassifier(hidden_layer_sizes=(3,), max_iter=5, random_state=0), X, Y)
    est.save(tmp_path / "multi.npz")
    with pytest.raises(ModelFileError) as error:
        load_model(tmp_path / "multi.npz")
    text = str(error.value)
    assert str(tmp_path / "multi.npz") in text
    assert "multilabel" in text and "FFNNClassifier.load" in text


def test_bare_networks_get_a_task_from_their_output(tmp_path, rng):
    X = rng.standard_normal((9, 4))
    softmax = softmax_net(k=3, seed=2)
    ffnn.save(softmax, tmp_path / "soft.npz")
    model = load_model(tmp_path / "soft.npz")
    assert model.task == "classification"
    assert model.classes.tolist() == [0, 1, 2]
    assert model.feature_names is None and model.mean is None and model.loss is None
    np.testing.assert_array_equal(model.predict(X), softmax.predict(X).argmax(axis=1))

    identity = Network(4, [3, 2], ["relu", "identity"], seed=2)
    ffnn.save(identity, tmp_path / "lin.npz")
    model = load_model(tmp_path / "lin.npz")
    assert model.task == "regression" and model.classes is None
    np.testing.assert_array_equal(model.predict(X), identity.predict(X))


def test_bare_network_with_a_stored_loss(tmp_path):
    network = Network(2, [1], ["sigmoid"], seed=0)
    ffnn.save(network, tmp_path / "b.npz", metadata={"loss": "binary_cross_entropy",
                                                      "dataset": "moons"})
    model = load_model(tmp_path / "b.npz")
    assert model.task == "classification" and model.classes.tolist() == [0, 1]
    assert model.loss == "binary_cross_entropy" and model.data == "moons"
    ffnn.save(network, tmp_path / "r.npz", metadata={"loss": "mse"})
    assert load_model(tmp_path / "r.npz").task == "regression"


def test_repr_names_the_task():
    model, _ = full_model()
    text = repr(model)
    assert "classification" in text and "3 classes" in text and "standardized" in text


def test_a_bare_multilabel_network_is_not_read_as_classes(tmp_path):
    net = ffnn.Network(3, [4, 2], ["tanh", "sigmoid"], seed=0)
    path = tmp_path / "multilabel.npz"
    ffnn.save(net, path, metadata={"loss": "binary_cross_entropy"})
    with pytest.raises(ffnn.io.ModelFileError, match="multilabel"):
        load_model(path)


def test_labels_that_read_alike_as_numbers_stay_distinct():
    """Long identifiers, nan and "1"/"1.0" are not merged by the comparison as numbers."""
    net = Network(1, [2], ["softmax"], seed=0)
    ids = Model(net, "classification", np.array(["12345678901234567890",
                                                 "12345678901234567891"]))
    assert ids.class_index(["12345678901234567891", "12345678901234567890"]).tolist() == [1, 0]
    text = Model(net, "classification", np.array(["1", "1.0"]))
    assert text.class_index(["1.0", "1"]).tolist() == [1, 0]
    odd = Model(net, "classification", np.array(["nan", "NaN"]))
    assert odd.class_index(["NaN"]).tolist() == [1]
    floats = Model(net, "classification", np.array([0.0, 1.0]))
    assert floats.class_index(["1", "0.0", 1]).tolist() == [1, 0, 1]
