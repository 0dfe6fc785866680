"""Issue 25, names and shapes: every door that takes named columns matches them by name or
refuses; names are unique and text; output layers that cannot learn are refused before
training; the estimators' output shapes are scikit-learn's."""

from __future__ import annotations

import contextlib
import io

import numpy as np
import pandas as pd
import pytest
from sklearn.neural_network import MLPRegressor

import ffnn
from ffnn.backends.stacked import train_stack
from ffnn.cli.main import main
from ffnn.io.model import Model
from ffnn.io.tables import read_data
from ffnn.sklearn.estimators import FFNNRegressor

X, T = ffnn.datasets.load_iris()
NAMES = ("sepal_length", "sepal_width", "petal_length", "petal_width")


@pytest.fixture(scope="module")
def model():
    net = ffnn.Network(4, [6, 3], ["tanh", "softmax"], seed=0)
    ffnn.train(net, X, T, "cross_entropy", epochs=30, seed=0, verbose=0)
    return Model(net, "classification", np.array(["a", "b", "c"]), NAMES)


def test_a_dataframe_is_matched_by_column_name(model):
    """Before: the columns were taken by position (51 of 150 predictions matched)."""
    frame = pd.DataFrame(X, columns=NAMES)
    shuffled = frame[["petal_width", "sepal_length", "petal_length", "sepal_width"]]
    assert np.array_equal(model.predict(shuffled), model.predict(X))
    assert np.array_equal(model.predict_proba(shuffled), model.predict_proba(X))
    extra = shuffled.assign(note="ignored")
    assert np.array_equal(model.predict(extra), model.predict(X))


@pytest.mark.parametrize(("columns", "message"), [
    (["sepal_length", "sepal_width", "petal_length", "width"], r"X has no column "
                                                               r"'petal_width'"),
    (["sepal_length", "sepal_width", "petal_length", "petal_width", "petal_width"],
     r"X names the columns \['petal_width'\] more than once"),
])
def test_a_dataframe_without_the_models_columns_is_refused(model, columns, message):
    frame = pd.DataFrame(np.ones((2, len(columns))), columns=columns)
    with pytest.raises(ValueError, match=message):
        model.predict(frame)


def test_a_model_with_repeated_feature_names_is_refused():
    net = ffnn.Network(2, [2], ["softmax"], seed=0)
    with pytest.raises(ValueError, match=r"feature_names names \['a'\] more than once"):
        Model(net, "classification", np.array([0, 1]), ("a", "a"))


def test_npz_feature_names_are_unique_and_decoded(tmp_path):
    path = tmp_path / "d.npz"
    np.savez(path, X=np.ones((3, 2)), y=np.array([0, 1, 0]), feature_names=np.array(["a", "a"]))
    with pytest.raises(ValueError, match=r"feature_names names \['a'\] more than once"):
        read_data(path)
    np.savez(path, X=np.ones((3, 2)), y=np.array([0, 1, 0]),
             feature_names=np.array([b"left", b"right"]))
    assert read_data(path).feature_names == ("left", "right")  # not "b'left'"


def test_a_softmax_over_one_output_is_refused_in_python_and_the_cli(tmp_path):
    """Before: binary cross-entropy after a one-unit softmax trained (loss stuck at 12.87,
    exit 0): the output is 1 whatever the weights."""
    net = ffnn.Network(4, [3, 1], ["tanh", "softmax"], seed=0)
    y = (X[:, :1] > 5.8).astype(float)
    with pytest.raises(ValueError, match=r"softmax over 1 output is constant and learns "
                                         r"nothing"):
        ffnn.train(net, X, y, "binary_cross_entropy", epochs=2, verbose=0)
    with pytest.raises(ValueError, match="learns nothing"):
        train_stack([net, net.copy()], X, y, "binary_cross_entropy",
                    "sgd", epochs=2)
    out, err = io.StringIO(), io.StringIO()
    with contextlib.redirect_stdout(out), contextlib.redirect_stderr(err):
        status = main(["train", "--dataset", "breast-cancer", "--loss",
                       "binary_cross_entropy", "--output-activation", "softmax", "--epochs",
                       "2"])
    assert status == 2 and out.getvalue() == ""  # refused before any output
    assert "--output-activation: the output layer's softmax over 1 output" in err.getvalue()


def test_a_regressor_predicts_one_dimension_for_one_output_as_scikit_learn():
    """Before: fitted on y of shape (n, 1), FFNNRegressor predicted (n, 1)."""
    rng = np.random.default_rng(0)
    Xr, y = rng.normal(size=(40, 3)), rng.normal(size=(40, 1))
    ours = FFNNRegressor(hidden_layer_sizes=(4,), max_iter=3, random_state=0)
    theirs = MLPRegressor(hidden_layer_sizes=(4,), max_iter=3, random_state=0)
    with pytest.warns(Warning):
        ours.fit(Xr, y)
    with pytest.warns(Warning):
        theirs.fit(Xr, y)
    assert ours.predict(Xr).shape == theirs.predict(Xr).shape == (40,)
    two = FFNNRegressor(hidden_layer_sizes=(4,), max_iter=3, random_state=0)
    with pytest.warns(Warning):
        two.fit(Xr, np.hstack([y, y]))
    assert two.predict(Xr).shape == (40, 2)
