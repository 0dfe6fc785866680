"""The scikit-learn estimators: the estimator contract, pipelines, warm starts, logistic
regression against scikit-learn's, and clear errors."""

import pickle
import re

import numpy as np
import pytest
from sklearn.base import clone
from sklearn.datasets import load_breast_cancer, load_iris, make_multilabel_classification
from sklearn.exceptions import ConvergenceWarning, NotFittedError
from sklearn.linear_model import LogisticRegression
from sklearn.model_selection import GridSearchCV, cross_val_score, train_test_split
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import StandardScaler
from sklearn.utils.estimator_checks import parametrize_with_checks

import ffnn
from ffnn.sklearn.estimators import FFNNClassifier, FFNNRegressor

# Most fits here are short on purpose (QUIET: 30 epochs), where stopping at max_iter with a
# ConvergenceWarning is expected; tests about that warning catch it with pytest.warns.
pytestmark = pytest.mark.filterwarnings("ignore::sklearn.exceptions.ConvergenceWarning")

X_IRIS, Y_IRIS = load_iris(return_X_y=True)
X_BC, Y_BC = load_breast_cancer(return_X_y=True)
QUIET = {"max_iter": 30, "n_iter_no_change": 1000, "random_state": 0}


@parametrize_with_checks([FFNNClassifier(random_state=0), FFNNRegressor(random_state=0)])
@pytest.mark.filterwarnings("ignore::sklearn.exceptions.ConvergenceWarning")
def test_scikit_learn_estimator_checks(estimator, check):
    # ConvergenceWarning: the checks fit with the default max_iter on small problems, where
    # stopping at max_iter is expected; it is not a failure of the contract.
    check(estimator)


# -- in scikit-learn's tools ------------------------------------------------------------------


@pytest.mark.filterwarnings("ignore::sklearn.exceptions.ConvergenceWarning")
def test_grid_search_in_a_pipeline_on_breast_cancer():
    X_train, X_test, y_train, y_test = train_test_split(
        X_BC, Y_BC, test_size=0.2, stratify=Y_BC, random_state=0
    )
    pipeline = make_pipeline(StandardScaler(), FFNNClassifier(random_state=0))
    grid = GridSearchCV(
        pipeline,
        {
            "ffnnclassifier__hidden_layer_sizes": [(16,), (32,)],
            "ffnnclassifier__alpha": [1e-2, 1e-1],
        },
        cv=3,
    )
    grid.fit(X_train, y_train)
    assert grid.score(X_test, y_test) >= 0.96
    scores = cross_val_score(grid.best_estimator_, X_train, y_train, cv=3)
    assert scores.shape == (3,) and scores.min() > 0.9


def test_clone_and_pickle():
    est = FFNNClassifier(hidden_layer_sizes=(5,), **QUIET).fit(X_IRIS, Y_IRIS)
    twin = pickle.loads(pickle.dumps(est))
    np.testing.assert_array_equal(twin.predict_proba(X_IRIS), est.predict_proba(X_IRIS))
    fresh = clone(est)
    assert fresh.get_params() == est.get_params() and not hasattr(fresh, "network_")


# -- warm starts ------------------------------------------------------------------------------


def test_warm_start_continues_with_the_optimizer_state():
    params = {
        "hidden_layer_sizes": (6,),
        "batch_size": 32,
        "n_iter_no_change": 1000,
        "tol": 0.0,
        "random_state": 1,
    }
    with pytest.warns(ConvergenceWarning):
        once = FFNNClassifier(max_iter=20, **params).fit(X_IRIS, Y_IRIS)
    twice = FFNNClassifier(max_iter=10, warm_start=True, **params)
    with pytest.warns(ConvergenceWarning):
        twice.fit(X_IRIS, Y_IRIS)
    moments = twice._trainer.opt_state["m"].copy()
    assert np.abs(moments).sum() > 0
    with pytest.warns(ConvergenceWarning):
        twice.fit(X_IRIS, Y_IRIS)
    np.testing.assert_array_equal(twice.network_.params, once.network_.params)
    # n_iter_ is the last call's (scikit-learn's); the curve and t_ run on
    assert twice.n_iter_ == 10 and len(twice.loss_curve_) == 20 and twice.t_ == 20 * 150
    assert twice._trainer.opt_state["step"] == once._trainer.opt_state["step"]


def test_partial_fit_continues_with_the_optimizer_state():
    params = {
        "hidden_layer_sizes": (6,),
        "batch_size": 50,
        "random_state": 2,
        "n_iter_no_change": 1000,
        "tol": 0.0,
    }
    incremental = FFNNClassifier(**params)
    for _ in range(5):
        incremental.partial_fit(X_IRIS, Y_IRIS, classes=[0, 1, 2])
    with pytest.warns(ConvergenceWarning):
        whole = FFNNClassifier(max_iter=5, **params).fit(X_IRIS, Y_IRIS)
    np.testing.assert_array_equal(incremental.network_.params, whole.network_.params)
    assert incremental._trainer.opt_state["step"] == 5 * 3
    with pytest.raises(ValueError, match="classes must be passed"):
        FFNNClassifier().partial_fit(X_IRIS, Y_IRIS)
    regressor = FFNNRegressor(hidden_layer_sizes=(4,), random_state=0)
    regressor.partial_fit(X_IRIS[:, :3], X_IRIS[:, 3])
    regressor.partial_fit(X_IRIS[:, :3], X_IRIS[:, 3])
    assert regressor.n_iter_ == 1 and len(regressor.loss_curve_) == 2  # scikit-learn's


# -- logistic regression ----------------------------------------------------------------------


@pytest.mark.parametrize("loader", [load_breast_cancer, load_iris], ids=["binary", "multinomial"])
def test_no_hidden_layer_is_scikit_learns_logistic_regression(loader):
    X, y = loader(return_X_y=True)
    X = StandardScaler().fit_transform(X)
    n, C = len(X), 1.0
    reference = LogisticRegression(C=C, tol=1e-10, max_iter=10_000).fit(X, y)
    ours = FFNNClassifier(
        hidden_layer_sizes=(),
        alpha=1 / (C * n),
        solver="gd",
        learning_rate_init=0.5,
        max_iter=5000,
        batch_size=n,
        tol=0.0,
        n_iter_no_change=10**6,
        random_state=0,
    )
    with pytest.warns(ConvergenceWarning):
        ours.fit(X, y)
    ours_d, ref_d = ours.decision_function(X), reference.decision_function(X)
    assert np.linalg.norm(ours_d - ref_d) / np.linalg.norm(ref_d) <= 1e-3
    assert ours.network_.n_layers == 1
    np.testing.assert_allclose(ours.predict_proba(X), reference.predict_proba(X), atol=1e-3)


# -- targets and dtypes -----------------------------------------------------------------------


def test_binary_multiclass_and_multilabel_outputs():
    binary = FFNNClassifier(hidden_layer_sizes=(4,), **QUIET).fit(X_BC[:, :5], Y_BC)
    assert binary.network_.layer_output_sizes[-1] == 1 and binary.out_activation_ == "logistic"
    assert binary.predict_proba(X_BC[:3, :5]).shape == (3, 2)
    assert binary.decision_function(X_BC[:3, :5]).shape == (3,)
    multi = FFNNClassifier(hidden_layer_sizes=(4,), **QUIET).fit(X_IRIS, Y_IRIS)
    assert multi.out_activation_ == "softmax" and multi.predict_proba(X_IRIS).shape == (150, 3)
    np.testing.assert_allclose(multi.predict_log_proba(X_IRIS), np.log(multi.predict_proba(X_IRIS)))
    X, Y = make_multilabel_classification(n_samples=60, n_classes=3, random_state=0)
    labels = FFNNClassifier(hidden_layer_sizes=(4,), **QUIET).fit(X, Y)
    assert labels.out_activation_ == "logistic" and labels.predict(X).shape == (60, 3)
    named = FFNNClassifier(hidden_layer_sizes=(4,), **QUIET).fit(
        X_IRIS, np.array(["setosa", "versicolor", "virginica"])[Y_IRIS]
    )
    assert set(named.predict(X_IRIS)) <= {"setosa", "versicolor", "virginica"}


def test_multi_output_regression_and_float32():
    X = X_IRIS[:, :2].astype(np.float32)
    Y = X_IRIS[:, 2:].astype(np.float32)
    est = FFNNRegressor(hidden_layer_sizes=(8,), **QUIET).fit(X, Y)
    prediction = est.predict(X)
    assert prediction.shape == (150, 2) and prediction.dtype == np.float32
    assert est.network_.params.dtype == np.float32 and est.coefs_[0].dtype == np.float32
    single = FFNNRegressor(hidden_layer_sizes=(8,), **QUIET).fit(X, Y[:, 0])
    assert single.predict(X).shape == (150,)


def test_per_layer_and_custom_activations_and_losses():
    est = FFNNRegressor(
        hidden_layer_sizes=(6, 5), activation=["leaky_relu", ffnn.ELU(0.5)], loss="mse", **QUIET
    ).fit(X_IRIS[:, :3], X_IRIS[:, 3])
    assert [f.name for f in est.network_.activation_funcs] == ["leaky_relu", "elu", "identity"]
    logistic = FFNNClassifier(hidden_layer_sizes=(3,), activation="logistic", **QUIET)
    assert logistic.fit(X_IRIS, Y_IRIS).network_.activation_funcs[0].name == "sigmoid"


def test_early_stopping_records_validation_curves_and_stops():
    est = FFNNClassifier(
        hidden_layer_sizes=(16,),
        early_stopping=True,
        n_iter_no_change=5,
        max_iter=500,
        random_state=0,
    )
    est.fit(StandardScaler().fit_transform(X_BC), Y_BC)
    assert est.n_iter_ < 500
    assert len(est.validation_loss_curve_) == len(est.validation_scores_) == est.n_iter_
    # scikit-learn's: stopped on the validation score, best_loss_ None
    assert est.best_validation_score_ == max(est.validation_scores_) and est.best_loss_ is None


def test_reaching_max_iter_warns():
    with pytest.warns(ConvergenceWarning, match=r"Maximum iterations \(3\) reached"):
        FFNNClassifier(hidden_layer_sizes=(3,), max_iter=3, random_state=0).fit(X_IRIS, Y_IRIS)


@pytest.mark.parametrize(
    ("solver", "learning_rate"),
    [
        ("sgd", "constant"),
        ("sgd", "invscaling"),
        ("sgd", "adaptive"),
        ("rmsprop", "constant"),
        ("adagrad", "constant"),
        ("adamw", "constant"),
        ("nesterov", "constant"),
        (ffnn.Adam(0.01), "constant"),
    ],
)
def test_every_solver_trains(solver, learning_rate):
    est = FFNNClassifier(
        hidden_layer_sizes=(8,),
        solver=solver,
        learning_rate=learning_rate,
        learning_rate_init=0.01,
        **QUIET,
    )
    est.fit(StandardScaler().fit_transform(X_IRIS), Y_IRIS)
    assert est.loss_curve_[-1] < est.loss_curve_[0]


# -- bad input --------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("X", "y", "error", "pattern"),
    [
        (np.empty((0, 4)), np.empty(0), ValueError, "0 sample"),
        (np.where(X_IRIS > 7, np.nan, X_IRIS), Y_IRIS, ValueError, "NaN"),
        (np.full((3, 4), "a"), [0, 1, 0], ValueError, "could not convert"),
        (X_IRIS, Y_IRIS + 0.5, ValueError, "Unknown label type"),
    ],
    ids=["empty", "nan", "strings", "continuous"],
)
def test_bad_training_data_gets_scikit_learn_style_errors(X, y, error, pattern):
    with pytest.raises(error, match=pattern):
        FFNNClassifier(**QUIET).fit(X, y)


def test_bad_prediction_input_gets_clear_errors():
    est = FFNNClassifier(hidden_layer_sizes=(3,), **QUIET)
    with pytest.raises(NotFittedError):
        est.predict(X_IRIS)
    est.fit(X_IRIS, Y_IRIS)
    with pytest.raises(ValueError, match="X has 3 features, but FFNNClassifier is expecting 4"):
        est.predict(X_IRIS[:, :3])
    with pytest.raises(ValueError, match="NaN"):
        est.predict(np.full((2, 4), np.nan))


@pytest.mark.parametrize(
    ("params", "pattern"),
    [
        ({"hidden_layer_sizes": (0,)}, "hidden_layer_sizes must be > 0"),
        ({"activation": "relu6"}, "unknown activation 'relu6'"),
        ({"activation": ["relu", "tanh"]}, "one per hidden layer"),
        ({"solver": "newton"}, "solver must be one of"),
        ({"learning_rate": "cyclic"}, "learning_rate must be one of"),
        ({"learning_rate_init": 0}, "learning_rate_init must be a number > 0"),
        ({"alpha": -1}, "alpha must be a number >= 0"),
        ({"max_iter": 0}, "max_iter must be a positive integer"),
        ({"batch_size": 0}, "batch_size must be 'auto' or a positive integer"),
        ({"validation_fraction": 1.0}, "validation_fraction must be in"),
    ],
)
def test_bad_parameters_are_refused_at_fit(params, pattern):
    est = FFNNClassifier(**params)  # no checks in __init__, as scikit-learn requires
    with pytest.raises(ValueError, match=pattern):
        est.fit(X_IRIS, Y_IRIS)


# -- model files ------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("make", "X", "y"),
    [
        (
            lambda: FFNNClassifier(
                hidden_layer_sizes=(5,), activation=ffnn.LeakyReLU(0.2), **QUIET
            ),
            X_IRIS,
            np.array(["a", "b", "c"])[Y_IRIS],
        ),
        (lambda: FFNNClassifier(hidden_layer_sizes=(), **QUIET), X_BC[:, :4], Y_BC),
        (
            lambda: FFNNRegressor(hidden_layer_sizes=(6, 3), batch_size=16, **QUIET),
            X_IRIS[:, :3],
            X_IRIS[:, 3],
        ),
    ],
    ids=["multiclass-strings", "binary-logistic", "regressor"],
)
def test_saved_estimators_predict_identically_and_continue_training(tmp_path, make, X, y):
    est = make().fit(X, y)
    est.save(tmp_path / "model.npz")
    loaded = type(est).load(tmp_path / "model.npz")
    assert loaded.get_params() == est.get_params()
    np.testing.assert_array_equal(loaded.predict(X), est.predict(X))
    if hasattr(est, "predict_proba"):
        np.testing.assert_array_equal(loaded.predict_proba(X), est.predict_proba(X))
        np.testing.assert_array_equal(loaded.classes_, est.classes_)
    assert loaded.loss_curve_ == est.loss_curve_ and loaded.n_iter_ == est.n_iter_
    # Both continue the same way: optimizer state and shuffling generator came along.
    est.partial_fit(X, y)
    loaded.partial_fit(X, y)
    np.testing.assert_array_equal(loaded.network_.params, est.network_.params)


def test_estimator_files_refuse_what_they_cannot_hold(tmp_path):
    est = FFNNClassifier(solver=ffnn.Adam(0.01), **QUIET).fit(X_IRIS, Y_IRIS)
    with pytest.raises(TypeError, match="cannot save parameter solver"):
        est.save(tmp_path / "m.npz")
    FFNNRegressor(**QUIET).fit(X_IRIS[:, :3], X_IRIS[:, 3]).save(tmp_path / "r.npz")
    with pytest.raises(ffnn.io.ModelFileError, match="holds FFNNRegressor, not a FFNNClassifier"):
        FFNNClassifier.load(tmp_path / "r.npz")
    with pytest.raises(NotFittedError):
        FFNNClassifier().save(tmp_path / "unfitted.npz")


def test_warm_start_rereads_the_parameters_and_keeps_the_moments():
    est = FFNNClassifier(
        hidden_layer_sizes=(6,), warm_start=True, early_stopping=True, max_iter=20, random_state=0
    )
    est.fit(X_IRIS, Y_IRIS)
    moments = est._trainer.opt_state["m"].copy()
    est.set_params(learning_rate_init=0.01, alpha=0.5, early_stopping=False, max_iter=1)
    est.fit(X_IRIS, Y_IRIS)
    trainer = est._trainer
    assert trainer.optimizer.lr(0) == 0.01 and trainer.l2 == 0.5
    assert trainer.opt_state["step"] > 0 and not np.array_equal(trainer.opt_state["m"], moments)
    est.set_params(solver="sgd", momentum=0.0)  # another optimizer: its own, fresh state
    est.fit(X_IRIS, Y_IRIS)
    assert set(est._trainer.opt_state) == {"step"}
    est.set_params(hidden_layer_sizes=(7,))
    with pytest.raises(ValueError, match="need the architecture of the previous fit"):
        est.fit(X_IRIS, Y_IRIS)


def test_partial_fit_refuses_early_stopping_like_scikit_learn():
    with pytest.raises(ValueError, match="partial_fit does not support early_stopping=True"):
        FFNNClassifier(early_stopping=True).partial_fit(X_IRIS, Y_IRIS, classes=[0, 1, 2])


def test_adaptive_learning_rate_drops_and_then_stops_training():
    X = StandardScaler().fit_transform(X_IRIS)
    est = FFNNClassifier(
        hidden_layer_sizes=(4,),
        solver="sgd",
        learning_rate="adaptive",
        learning_rate_init=0.5,
        n_iter_no_change=2,
        tol=0.5,
        max_iter=500,
        random_state=0,
    )
    est.fit(X, Y_IRIS)
    assert est._trainer.optimizer.lr(0) <= 1e-6 and est.n_iter_ < 500
    assert "Learning rate too small. Stopping." in est.history_.message


def test_a_warm_fit_restarts_the_adaptive_rate_but_partial_fit_continues_it():
    X = StandardScaler().fit_transform(X_IRIS)
    est = FFNNClassifier(
        hidden_layer_sizes=(4,),
        solver="sgd",
        learning_rate="adaptive",
        learning_rate_init=0.5,
        n_iter_no_change=2,
        tol=0.5,
        max_iter=500,
        warm_start=True,
        random_state=0,
    )
    est.fit(X, Y_IRIS)
    assert est._trainer.optimizer.lr(0) <= 1e-6
    est.partial_fit(X, Y_IRIS)
    assert est._trainer.optimizer.lr(0) <= 1e-6
    est.set_params(max_iter=1)
    est.fit(X, Y_IRIS)
    # a fresh rate of 0.5, which the rule may already have divided by 5 once: the
    # no-improvement count runs on over warm starts, as scikit-learn's
    assert est._trainer.optimizer.lr(0) in (0.5, 0.1)


def test_a_tuple_of_activation_objects_is_one_per_hidden_layer():
    """Two Activation objects are callable, but they are two layers' activations, never a
    function and its derivative."""
    X, y = np.random.default_rng(0).standard_normal((30, 3)), np.arange(30.0)
    est = FFNNRegressor(hidden_layer_sizes=(5, 5), activation=(ffnn.ReLU(), ffnn.Tanh()),
                        **QUIET).fit(X, y)
    assert [type(f) for f in est.network_.activation_funcs] == [ffnn.ReLU, ffnn.Tanh,
                                                                ffnn.Identity]
    net = ffnn.Network(3, [5, 1], (ffnn.ReLU(), ffnn.Tanh()), seed=0)
    assert [type(f) for f in net.activation_funcs] == [ffnn.ReLU, ffnn.Tanh]
    with pytest.raises(TypeError, match="activation must be an activation name"):
        ffnn.get_activation((ffnn.ReLU(), ffnn.Tanh()))
    # a pair of plain functions is still one activation, for every layer
    pair = (np.tanh, lambda z: 1 - np.tanh(z) ** 2)
    est = FFNNRegressor(hidden_layer_sizes=(5, 5), activation=pair, **QUIET)
    assert all(type(f) is ffnn.FunctionActivation
               for f in est.fit(X, y).network_.activation_funcs[:2])


def test_partial_fit_refuses_labels_outside_classes_and_changed_classes():
    X = np.random.default_rng(0).standard_normal((30, 3))
    y = np.arange(30) % 3
    est = FFNNClassifier((4,), **QUIET)
    with pytest.raises(ValueError, match=r"`y` has classes not in `self.classes_`"):
        est.partial_fit(X, y, classes=[0, 1])
    assert not hasattr(est, "network_") and not hasattr(est, "classes_")  # nothing half-made
    est.partial_fit(X, y, classes=[0, 1, 2])
    with pytest.raises(ValueError, match="is not the same as on last call to partial_fit"):
        est.partial_fit(X, y, classes=[0, 1, 2, 3])
    with pytest.raises(ValueError, match=r"'y' has \[7\]"):
        est.partial_fit(X, np.full(30, 7))


@pytest.mark.parametrize("params", [
    {"hidden_layer_sizes": "10"}, {"hidden_layer_sizes": (5.5,)}, {"alpha": -1.0},
    {"solver": "newton"}, {"max_fun": 0}, {"activation": "relu6"}, {"learning_rate_init": 0.0},
])
def test_a_refit_that_fails_leaves_the_fitted_model_as_it_was(params):
    X, y = load_iris(return_X_y=True)
    est = FFNNClassifier((4,), **QUIET).fit(X, y)
    before = {k: v for k, v in vars(est).items()}
    params_before = est.network_.params.copy()
    state_before = est._trainer.rng.bit_generator.state
    est.set_params(**params)
    with pytest.raises(ValueError):
        est.fit(X[:, :3], y % 2)  # new features and classes: would reset both
    assert vars(est).keys() == before.keys()
    assert est.n_features_in_ == 4 and est.classes_.tolist() == [0, 1, 2]
    assert est.network_ is before["network_"]
    np.testing.assert_array_equal(est.network_.params, params_before)
    assert est._trainer.rng.bit_generator.state == state_before
    assert est.predict(X).shape == (150,)


def _set(path: str, value):
    def edit(metadata):
        *keys, last = path.split(".")
        node = metadata["extra"]["estimator"]
        for key in keys:
            node = node[key]
        node[last] = value
    return edit


@pytest.mark.parametrize("edit,fragment", [
    (_set("params", [1, 2]), "params must be a dict"),
    (_set("n_iter", 2.5), "n_iter must be an integer >= 0"),
    (_set("n_iter", True), "n_iter must be an integer >= 0"),
    (_set("n_features_in", 7), "n_features_in is 7 but the network takes 4"),
    (_set("best_loss", "low"), "best_loss must be a number, \"inf\", \"-inf\" or null"),
    (_set("t", -1), "t must be an integer >= 0"),
    (_set("validation_scores", "x"), "validation_scores must be a list of numbers"),
    (_set("loss_curve", [1.0, "x"]), "loss_curve must be a list of numbers"),
    (_set("params.hidden_layer_sizes", {"tuple": "ab"}), "a parameter object must be"),
    (_set("params.activation", {"evil": 1}), "a parameter object must be"),
    (_set("params.tol", {"float": "huge"}), "a parameter object must be"),
    (_set("params.no_such_parameter", 1), "unexpected keyword argument"),
    (_set("target", None), "target must be a dict"),
    (_set("surprise", 1), "unexpected entries ['surprise']"),
])
def test_a_crafted_estimator_file_is_refused_naming_the_field(tmp_path, edit, fragment):
    from ffnn.io.container import ModelFileError
    from test_io import edit_metadata

    X, y = load_iris(return_X_y=True)
    path = tmp_path / "est.npz"
    FFNNClassifier((4,), **QUIET).fit(X, y).save(path)
    edit_metadata(path, edit, rehash=True)
    with pytest.raises(ModelFileError, match=re.escape(fragment)):
        FFNNClassifier.load(path)


@pytest.mark.parametrize("cls", [FFNNClassifier, FFNNRegressor])
def test_parameters_json_cannot_hold_are_saved_and_loaded(tmp_path, cls):
    """``n_iter_no_change=np.inf`` (scikit-learn's way to never stop early) and other
    non-finite numbers: JSON has no infinity, so the file tags them."""
    X, y = load_iris(return_X_y=True)
    est = cls((4,), n_iter_no_change=np.inf, max_iter=3, random_state=0, verbose=False)
    est.fit(X, y)  # ConvergenceWarning ignored by the module's mark
    est.save(tmp_path / "est.npz")
    loaded = cls.load(tmp_path / "est.npz")
    assert loaded.get_params() == est.get_params()
    assert loaded.n_iter_no_change == np.inf
    np.testing.assert_array_equal(loaded.predict(X), est.predict(X))


@pytest.mark.parametrize("cls", [FFNNClassifier, FFNNRegressor])
def test_the_docstring_documents_every_parameter(cls):
    doc = cls.__doc__
    section = doc[doc.index("Parameters\n    ----------"):doc.index("Attributes")]
    documented = set()
    for line in section.splitlines():
        if line.startswith("    ") and not line.startswith("     ") and " : " in line:
            documented.update(name.strip() for name in line.split(" : ")[0].split(","))
    assert documented == set(cls().get_params())


def test_a_warm_fit_that_fails_late_gives_back_the_curves_too():
    import warnings

    X, y = load_iris(return_X_y=True)
    est = FFNNRegressor((4,), max_iter=5, random_state=0, n_iter_no_change=1000,
                        warm_start=True)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ConvergenceWarning)
        est.fit(X, y)
    before = (est.n_iter_, list(est.loss_curve_), est.network_.params.copy())
    with warnings.catch_warnings():
        warnings.simplefilter("error", ConvergenceWarning)  # raised after the epochs ran
        with pytest.raises(ConvergenceWarning):
            est.fit(X, y)
    assert (est.n_iter_, est.loss_curve_) == before[:2]
    np.testing.assert_array_equal(est.network_.params, before[2])
