"""Issue 25, estimator files: each field checked before use (a crafted file is a
ModelFileError naming the field, never a traceback, in Python and through ffnn predict),
and every legitimate file loads: labels of every kind scikit-learn's classifiers take
(integers, floats, strings) and every target type (binary, multiclass, multilabel)."""

from __future__ import annotations

import contextlib
import io
import warnings

import numpy as np
import pytest
from sklearn.datasets import make_multilabel_classification

import ffnn
from ffnn.cli.main import main
from ffnn.io.container import ModelFileError, read_model_file, write_model_file
from ffnn.sklearn.estimators import FFNNClassifier

X, T = ffnn.datasets.load_iris()


def fitted(y, **params):
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        return FFNNClassifier(hidden_layer_sizes=(3,), max_iter=5, random_state=0,
                              **params).fit(X[:len(y)], y)


def edited(path, tmp_path, change):
    arrays, metadata = read_model_file(path)
    change(metadata["extra"]["estimator"])
    out = tmp_path / "edited.npz"
    write_model_file(out, arrays, {k: v for k, v in metadata.items()
                                   if k not in ("arrays", "metadata_sha256")})
    return out


def cli(*argv):
    out, err = io.StringIO(), io.StringIO()
    with contextlib.redirect_stdout(out), contextlib.redirect_stderr(err):
        status = main(list(argv))
    return status, out.getvalue(), err.getvalue()


@pytest.fixture
def saved(tmp_path):
    path = tmp_path / "est.npz"
    fitted(T.argmax(1)).save(path)
    return path


@pytest.mark.parametrize(("change", "message"), [
    (lambda e: e["target"].update(y_type=3), r"target.y_type must be one of binary, "
                                             r"multiclass, multilabel-indicator, got 3"),
    (lambda e: e["target"].update(y_type="continuous"), r"got 'continuous'"),
    (lambda e: e["target"].update(classes=[[0], [1]]), r"target.classes must be a list of "
                                                       r"class labels"),
    (lambda e: e["target"].update(classes=[]), r"target.classes must be a list"),
    (lambda e: e["target"].update(classes=[True, False]), r"target.classes must be a list"),
    (lambda e: e["params"].update(hidden_layer_sizes=[7]), r"hidden_layer_sizes=\[7\] and "
                                                           r"activation='relu' describe other "
                                                           r"hidden layers"),
    (lambda e: e["params"].update(activation="tanh"), r"activation='tanh' describe other"),
])
def test_a_crafted_estimator_file_is_refused_by_field(saved, tmp_path, change, message):
    path = edited(saved, tmp_path, change)
    with pytest.raises(ModelFileError, match=message):
        FFNNClassifier.load(path)
    data = tmp_path / "x.csv"
    data.write_text("a,b,c,d\n1,2,3,4\n")
    status, out, err = cli("predict", str(path), "--data", str(data))
    assert status == 2 and out == "" and "Traceback" not in err
    assert len(err.strip().splitlines()) == 1 and "extra.estimator" in err


@pytest.mark.parametrize("labels", [
    T.argmax(1), T.argmax(1).astype(float), np.array(["setosa", "versicolor",
                                                      "virginica"])[T.argmax(1)],
    (T.argmax(1) > 0).astype(float), np.where(T.argmax(1) > 0, -1, 1)])
def test_every_kind_of_labels_loads_and_predicts_through_the_cli(tmp_path, labels):
    """Issue 25: a classifier fitted on float labels was refused by ffnn predict."""
    est = fitted(labels)
    path = tmp_path / "est.npz"
    est.save(path)
    again = FFNNClassifier.load(path)
    assert np.array_equal(again.predict(X), est.predict(X))
    data = tmp_path / "x.csv"
    rows = "\n".join(",".join(map(str, [*x, y])) for x, y in zip(X.tolist(), labels.tolist()))
    data.write_text("a,b,c,d,y\n" + rows + "\n")
    status, out, err = cli("predict", str(path), "--data", str(data), "--target", "y")
    assert status == 0, err
    assert out.split()[1:] == [str(v) for v in est.predict(X).tolist()]
    status, out, err = cli("evaluate", str(path), "--data", str(data), "--target", "y")
    assert status == 0 and "accuracy" in out, err


def test_a_multilabel_classifier_file_loads(tmp_path):
    Xm, Ym = make_multilabel_classification(n_samples=60, n_features=4, n_classes=3,
                                            random_state=0)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        est = FFNNClassifier(hidden_layer_sizes=(3,), max_iter=5, random_state=0).fit(Xm, Ym)
    assert est.y_type_ == "multilabel-indicator"
    est.save(tmp_path / "ml.npz")
    again = FFNNClassifier.load(tmp_path / "ml.npz")
    assert np.array_equal(again.predict(Xm), est.predict(Xm))


def test_a_warm_start_onto_another_optimizer_starts_its_state_afresh():
    """Momentum's velocity b and SklearnSGD's -lr b have the same arrays, not the same
    meaning: switching solver starts the state again."""
    est = fitted(T.argmax(1), solver="momentum", momentum=0.9, warm_start=True)
    assert np.any(est._trainer.opt_state["velocity"])
    est.set_params(solver="sgd")
    est._refresh_trainer(incremental=False)
    assert not np.any(est._trainer.opt_state["velocity"])


def test_an_sgd_file_written_before_scikit_learns_formula_converts_its_velocity(tmp_path):
    est = fitted(T.argmax(1), solver="sgd", momentum=0.9, learning_rate_init=0.1)
    v = est._trainer.opt_state["velocity"].copy()
    est.save(tmp_path / "new.npz")
    arrays, metadata = read_model_file(tmp_path / "new.npz")
    info = metadata["extra"]["estimator"]
    assert info.pop("optimizer") == "sklearn_sgd"
    arrays = {k: (-a / 0.1 if k.endswith("velocity") else a) for k, a in arrays.items()}
    write_model_file(tmp_path / "old.npz", arrays, {
        k: val for k, val in metadata.items() if k not in ("arrays", "metadata_sha256")})
    again = FFNNClassifier.load(tmp_path / "old.npz")
    np.testing.assert_allclose(again._trainer.opt_state["velocity"], v, rtol=1e-12)
