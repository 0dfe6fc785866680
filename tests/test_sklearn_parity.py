"""FFNNClassifier/FFNNRegressor beside scikit-learn's MLPClassifier/MLPRegressor: the same
stopping rule, counters, attributes, learning rates, class bookkeeping and errors.

Where scikit-learn is deterministic the two run side by side: from the same weights, with the
batches in order (shuffle=False) and plain SGD, both follow the same loss curve to rounding,
so they stop at the same epoch; elsewhere the rule is fed the same numbers directly."""

import pickle
import re
import warnings

import numpy as np
import pytest
from sklearn.base import clone
from sklearn.datasets import load_diabetes, load_iris, make_multilabel_classification
from sklearn.exceptions import ConvergenceWarning
from sklearn.model_selection import train_test_split
from sklearn.neural_network import MLPClassifier, MLPRegressor
from sklearn.preprocessing import StandardScaler

import ffnn
from ffnn.core.activations import Tanh
from ffnn.sklearn.estimators import FFNNClassifier, FFNNRegressor, update_no_improvement_count

X_IRIS, Y_IRIS = load_iris(return_X_y=True)
X_IRIS = StandardScaler().fit_transform(X_IRIS)
X_DIA, Y_DIA = load_diabetes(return_X_y=True)
X_DIA = StandardScaler().fit_transform(X_DIA)
Y_DIA = (Y_DIA - Y_DIA.mean()) / Y_DIA.std()

# scikit-learn's and ours: each warns ConvergenceWarning at max_iter in short fits
quiet = pytest.mark.filterwarnings("ignore::sklearn.exceptions.ConvergenceWarning")


def _both(ours, theirs, **params):
    return ours(**params), theirs(**params)


# -- the stopping rule, fed the same numbers ------------------------------------------------

def _curves():
    rng = np.random.default_rng(0)
    walk = 1 + np.cumsum(rng.normal(-0.01, 0.02, 60))
    plateau = np.r_[np.linspace(1, 0.5, 10), np.full(15, 0.5), 0.5 - 1e-4, 0.5 - 2e-4, 0.4]
    exact = np.array([1.0, 0.9, 0.8, 0.8, 0.7000001, 0.6, 0.6, 0.6])  # steps of tol = 0.1
    odd = np.array([1.0, np.nan, 0.9, np.inf, 0.8, np.nan, np.nan, 0.85, 0.7, -np.inf, 0.5])
    return {"walk": walk, "plateau": plateau, "exact": exact, "nan-inf": odd}


@pytest.mark.parametrize("tol", [0.0, 1e-4, 0.1])
@pytest.mark.parametrize("curve", list(_curves()), ids=str)
@pytest.mark.parametrize("early_stopping", [False, True], ids=["loss", "score"])
def test_the_stopping_rule_is_scikit_learns_step_by_step(curve, tol, early_stopping):
    values = list(_curves()[curve])
    if early_stopping:
        values = [-v for v in values]  # scores go up
    mlp = MLPRegressor(tol=tol, early_stopping=early_stopping)
    mlp.coefs_, mlp.intercepts_ = [np.zeros(1)], [np.zeros(1)]
    mlp._no_improvement_count, mlp.loss_curve_ = 0, []
    mlp.best_loss_, mlp.best_validation_score_ = np.inf, -np.inf
    mlp.validation_scores_ = []
    fed = iter(values)
    mlp._score = lambda X, y, sample_weight=None: next(fed)
    count, best = 0, (-np.inf if early_stopping else np.inf)
    for value in values:
        mlp.loss_curve_.append(value)
        mlp._update_no_improvement_count(early_stopping, None, None, None)
        count, best, _ = update_no_improvement_count(value, best, count, tol,
                                                     higher_is_better=early_stopping)
        theirs = mlp.best_validation_score_ if early_stopping else mlp.best_loss_
        assert count == mlp._no_improvement_count
        assert best == theirs or (np.isnan(best) and np.isnan(theirs))


# -- side by side from the same weights ---------------------------------------------------

def _from_the_same_start(ours, theirs, X, y, **params):
    """Both fitted one epoch, then given the same weights and a fresh rule (as after
    scikit-learn's _initialize), ready for a warm fit or partial_fit."""
    common = {"hidden_layer_sizes": (5,), "solver": "sgd", "momentum": 0.0, "shuffle": False,
              "batch_size": 50, "max_iter": 1, "warm_start": True, "random_state": 0, **params}
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ConvergenceWarning)
        theirs = theirs(**common).fit(X, y)
        ours = ours(**common).fit(X, y)
    ours.coefs_, ours.intercepts_ = theirs.coefs_, theirs.intercepts_  # copied into views
    for est in (ours, theirs):
        est.loss_curve_, est.best_loss_, est._no_improvement_count, est.t_ = [], np.inf, 0, 0
    return ours, theirs


CASES = {
    "multiclass": (FFNNClassifier, MLPClassifier, X_IRIS, Y_IRIS,
                   {"learning_rate_init": 0.05, "tol": 1e-3}, {}),
    "binary-invscaling": (FFNNClassifier, MLPClassifier, X_IRIS, Y_IRIS % 2,
                          {"learning_rate_init": 0.05, "tol": 1e-3,
                           "learning_rate": "invscaling", "power_t": 0.25}, {}),
    "adaptive": (FFNNClassifier, MLPClassifier, X_IRIS, Y_IRIS,
                 {"learning_rate_init": 0.5, "tol": 1e-2, "n_iter_no_change": 2,
                  "learning_rate": "adaptive"}, {}),
    # issue 25: scikit-learn's momentum with a changing rate, and Adam's epsilon
    "momentum-invscaling": (FFNNClassifier, MLPClassifier, X_IRIS, Y_IRIS,
                            {"learning_rate_init": 0.05, "tol": 1e-3, "momentum": 0.9,
                             "learning_rate": "invscaling", "power_t": 0.25}, {}),
    "momentum-adaptive": (FFNNClassifier, MLPClassifier, X_IRIS, Y_IRIS,
                          {"learning_rate_init": 0.3, "tol": 1e-2, "n_iter_no_change": 2,
                           "momentum": 0.9, "nesterovs_momentum": False,
                           "learning_rate": "adaptive"}, {}),
    "adam-epsilon": (FFNNClassifier, MLPClassifier, X_IRIS, Y_IRIS,
                     {"solver": "adam", "learning_rate_init": 0.01, "tol": 1e-3,
                      "epsilon": 1e-3}, {}),
    # scikit-learn halves the squared error: half its rate and twice its tol are ours
    "regressor": (FFNNRegressor, MLPRegressor, X_DIA, Y_DIA,
                  {"learning_rate_init": 0.01, "tol": 1e-4},
                  {"learning_rate_init": 0.005, "tol": 2e-4}),
}


@pytest.mark.parametrize("case", list(CASES))
def test_same_start_same_curve_same_stop(case):
    ours_cls, theirs_cls, X, y, params, ours_params = CASES[case]
    ours, theirs = _from_the_same_start(ours_cls, theirs_cls, X, y, alpha=0.0)
    theirs.set_params(max_iter=500, **params).fit(X, y)
    ours.set_params(max_iter=500, **{**params, **ours_params}).fit(X, y)
    assert ours.n_iter_ == theirs.n_iter_ < 500  # stopped by the rule, at the same epoch
    assert ours.t_ == theirs.t_ == ours.n_iter_ * len(X)
    scale = 2.0 if theirs_cls is MLPRegressor else 1.0
    np.testing.assert_allclose(ours.loss_curve_, scale * np.array(theirs.loss_curve_),
                               rtol=1e-12)
    assert ours.loss_ == ours.loss_curve_[-1] and theirs.loss_ == theirs.loss_curve_[-1]
    assert ours.best_loss_ == pytest.approx(scale * theirs.best_loss_, rel=1e-12)
    for a, b in zip(ours.coefs_ + ours.intercepts_, theirs.coefs_ + theirs.intercepts_):
        np.testing.assert_allclose(a, b, rtol=1e-9, atol=1e-12)
    if params.get("learning_rate") == "adaptive":
        assert ours._trainer.optimizer.lr(0) == theirs._optimizer.learning_rate <= 1e-6


def test_partial_fit_continues_scikit_learns_invscaling_rate():
    ours, theirs = _from_the_same_start(FFNNClassifier, MLPClassifier, X_IRIS, Y_IRIS,
                                        learning_rate="invscaling", learning_rate_init=0.1,
                                        alpha=0.0)
    ours.t_ = theirs.t_ = len(X_IRIS)  # the rate each optimizer holds after its epoch
    for _ in range(6):
        theirs.partial_fit(X_IRIS, Y_IRIS)
        ours.partial_fit(X_IRIS, Y_IRIS)
    assert ours.n_iter_ == theirs.n_iter_ == 1 and ours.t_ == theirs.t_ == 7 * 150
    assert ours._trainer.optimizer.lr(0) == pytest.approx(theirs._optimizer.learning_rate,
                                                          rel=1e-15)
    np.testing.assert_allclose(ours.loss_curve_, theirs.loss_curve_, rtol=1e-12)
    np.testing.assert_allclose(ours.coefs_[0], theirs.coefs_[0], rtol=1e-9, atol=1e-12)


# -- counters and attributes ----------------------------------------------------------------

@quiet
@pytest.mark.parametrize("pair", [(FFNNClassifier, MLPClassifier),
                                  (FFNNRegressor, MLPRegressor)], ids=["classifier", "regressor"])
def test_n_iter_is_per_call_and_t_counts_every_sample(pair):
    X, y = (X_IRIS, Y_IRIS) if pair[0] is FFNNClassifier else (X_DIA, Y_DIA)
    for est in _both(*pair, hidden_layer_sizes=(4,), max_iter=3, warm_start=True,
                     n_iter_no_change=np.inf, random_state=0):
        est.fit(X, y)
        est.fit(X, y)
        assert (est.n_iter_, est.t_, len(est.loss_curve_)) == (3, 6 * len(X), 6)
    kwargs = {"classes": np.unique(y)} if pair[0] is FFNNClassifier else {}
    for est in _both(*pair, hidden_layer_sizes=(4,), random_state=0):
        for _ in range(3):
            est.partial_fit(X, y, **kwargs)
        assert (est.n_iter_, est.t_, len(est.loss_curve_)) == (1, 3 * len(X), 3)


@quiet
@pytest.mark.parametrize("early_stopping", [False, True])
@pytest.mark.parametrize("pair", [(FFNNClassifier, MLPClassifier),
                                  (FFNNRegressor, MLPRegressor)], ids=["classifier", "regressor"])
def test_fitted_attributes_are_scikit_learns(pair, early_stopping):
    X, y = (X_IRIS, Y_IRIS) if pair[0] is FFNNClassifier else (X_DIA, Y_DIA)
    ours, theirs = _both(*pair, hidden_layer_sizes=(4,), max_iter=8,
                         early_stopping=early_stopping, random_state=0)
    for est in (ours.fit(X, y), theirs.fit(X, y)):
        assert est.loss_ == est.loss_curve_[-1] and len(est.loss_curve_) == est.n_iter_
        assert est.t_ == est.n_iter_ * (len(X) - int(np.ceil(0.1 * len(X))) if early_stopping
                                        else len(X))
        if early_stopping:
            assert est.best_loss_ is None and len(est.validation_scores_) == est.n_iter_
            assert est.best_validation_score_ == max(est.validation_scores_)
        else:
            assert est.validation_scores_ is None and est.best_validation_score_ is None
            assert est.best_loss_ == min(est.loss_curve_)
    curve = ours.validation_loss_curve_  # ffnn's own, with the scores
    assert (curve is None) if not early_stopping else len(curve) == ours.n_iter_


@pytest.mark.parametrize("early_stopping", [False, True], ids=["loss", "score"])
@pytest.mark.parametrize("pair", [(FFNNClassifier, MLPClassifier),
                                  (FFNNRegressor, MLPRegressor)], ids=["classifier", "regressor"])
def test_a_tol_nothing_reaches_stops_both_after_n_iter_no_change_plus_two(pair, early_stopping):
    X, y = (X_IRIS, Y_IRIS) if pair[0] is FFNNClassifier else (X_DIA, Y_DIA)
    for est in _both(*pair, hidden_layer_sizes=(4,), tol=1e9, n_iter_no_change=3,
                     early_stopping=early_stopping, random_state=0):
        with warnings.catch_warnings():
            warnings.simplefilter("error", ConvergenceWarning)  # not at max_iter
            est.fit(X, y)
        assert est.n_iter_ == 5 and est._no_improvement_count == 4


@pytest.mark.parametrize("pair", [(FFNNClassifier, MLPClassifier),
                                  (FFNNRegressor, MLPRegressor)], ids=["classifier", "regressor"])
def test_n_iter_no_change_inf_runs_to_max_iter_and_warns_alike(pair):
    X, y = (X_IRIS, Y_IRIS) if pair[0] is FFNNClassifier else (X_DIA, Y_DIA)
    for est in _both(*pair, hidden_layer_sizes=(4,), tol=1e9, n_iter_no_change=np.inf,
                     max_iter=6, random_state=0):
        with pytest.warns(ConvergenceWarning, match=re.escape(
                "Stochastic Optimizer: Maximum iterations (6) reached and the optimization "
                "hasn't converged yet.")):
            est.fit(X, y)
        assert est.n_iter_ == 6
    with pytest.raises(ValueError, match="n_iter_no_change must be a positive integer or"):
        FFNNClassifier(n_iter_no_change=2.5).fit(X_IRIS, Y_IRIS)


def test_early_stopping_ends_with_the_best_scoring_weights():
    est = FFNNClassifier((8,), early_stopping=True, n_iter_no_change=4, tol=0.0,
                         learning_rate_init=0.05, max_iter=300, random_state=0)
    est.fit(X_IRIS, Y_IRIS)
    scores = est.validation_scores_
    assert est.n_iter_ < 300 and est.best_validation_score_ == max(scores)
    assert est.history_.best_epoch == int(np.argmax(scores)) > 0  # the first best, as there
    # the validation part of this fit, drawn again from its seed as scikit-learn draws it
    # (train_test_split, not stratified for three classes): the model scores the best
    _, val = train_test_split(np.arange(150), random_state=est._validation_seed,
                              test_size=0.1)
    assert est.score(X_IRIS[val], Y_IRIS[val]) == est.best_validation_score_
    assert est.history_.message == ("Validation score did not improve more than "
                                     "tol=0.000000 for 4 consecutive epochs. Stopping.")


@quiet
def test_an_early_stopping_warm_start_trains_on_from_the_weights_themselves():
    """scikit-learn's coefs_ *are* its _best_coefs after early stopping, so a warm fit that
    never beats the old best score ends with the weights it trained, not the old best."""
    est = FFNNClassifier((6,), early_stopping=True, warm_start=True, max_iter=5,
                         random_state=0).fit(X_IRIS, Y_IRIS)
    est.best_validation_score_ = 2.0  # nothing beats it
    before = est.network_.params.copy()
    est.fit(X_IRIS, Y_IRIS)
    assert est.best_validation_score_ == 2.0 and est.history_.best_epoch is None
    assert not np.array_equal(est.network_.params, before)


# -- shuffle --------------------------------------------------------------------------------

@pytest.mark.parametrize("engine", ["numpy", "jax"])
def test_shuffle_false_takes_the_batches_in_order_on_every_path(engine):
    if engine == "jax":
        pytest.importorskip("jax", reason="the JAX engine needs JAX (the fast extra)")
    Y = np.eye(3)[Y_IRIS]
    runs = {}
    for shuffle in (False, True):
        net = ffnn.Network(4, [5, 3], ["tanh", "softmax"], seed=0)
        trainer = ffnn.Trainer(net, "cross_entropy", "sgd", learning_rate=0.1, batch_size=32,
                               shuffle=shuffle, seed=1, verbose=0, engine=engine)
        rng_before = trainer.rng.bit_generator.state
        assert trainer.fit(X_IRIS, Y, 3).engine == engine
        assert (trainer.rng.bit_generator.state == rng_before) == (not shuffle)
        runs[shuffle] = net.params.copy()
    # in order: the notebook's loop over slices, by hand
    net = ffnn.Network(4, [5, 3], ["tanh", "softmax"], seed=0)
    for _ in range(3):
        for start in range(0, 150, 32):
            rows = slice(start, start + 32)
            net.params -= 0.1 * net.gradient(X_IRIS[rows], Y[rows], "cross_entropy")
    np.testing.assert_allclose(runs[False], net.params, rtol=1e-10, atol=1e-13)
    assert not np.allclose(runs[True], runs[False])


def test_the_estimators_shuffle_parameter():
    est = FFNNClassifier((4,), shuffle=False, max_iter=2, random_state=0)
    assert est.get_params()["shuffle"] is False and clone(est).shuffle is False
    with pytest.warns(ConvergenceWarning):
        est.fit(X_IRIS, Y_IRIS)
    assert est._trainer.shuffle is False
    with pytest.raises(ValueError, match="shuffle must be True or False, got 'no'"):
        FFNNClassifier(shuffle="no").fit(X_IRIS, Y_IRIS)


@pytest.mark.auto_jax
def test_the_rule_keeps_the_jax_engine():
    """scikit-learn's stopping rule is a callback the JAX engine runs: "auto" keeps JAX."""
    pytest.importorskip("jax", reason="the JAX engine needs JAX (the fast extra)")
    est = FFNNClassifier((8,), max_iter=400, batch_size=16, tol=1e-3, n_iter_no_change=5,
                         random_state=0)
    est.fit(X_IRIS, Y_IRIS)
    assert est.engine_ == "jax" and est.n_iter_ < 400  # stopped by the rule, on JAX
    assert est.history_.stop_reason == "early_stopping"


# -- classes ----------------------------------------------------------------------------------

def _messages(call):
    """What each of ours and scikit-learn's raise for ``call(estimator)``."""
    found = []
    for est in _both(FFNNClassifier, MLPClassifier, hidden_layer_sizes=(3,), max_iter=2,
                     random_state=0):
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", ConvergenceWarning)
            with pytest.raises(ValueError) as error:
                call(est)
        found.append(str(error.value))
    return found


@pytest.mark.parametrize("call", [
    lambda e: e.partial_fit(X_IRIS, Y_IRIS),
    lambda e: e.partial_fit(*make_multilabel_classification(20, random_state=0)[:2]),
    lambda e: e.partial_fit(X_IRIS, Y_IRIS, classes=[0, 1]),
    lambda e: e.partial_fit(X_IRIS, Y_IRIS, classes=[0, 1, 2]).partial_fit(
        X_IRIS, Y_IRIS, classes=[0, 1, 2, 3]),
    lambda e: e.partial_fit(X_IRIS, Y_IRIS, classes=[0, 1, 2]).partial_fit(
        X_IRIS, np.full(150, 7)),
    lambda e: e.set_params(warm_start=True).fit(X_IRIS, Y_IRIS).fit(
        X_IRIS[:100], Y_IRIS[:100]),
    lambda e: e.set_params(warm_start=True).partial_fit(X_IRIS, Y_IRIS, classes=[0, 1, 2])
    .partial_fit(X_IRIS[:100], Y_IRIS[:100]),
], ids=["no-classes", "no-classes-multilabel", "label-outside", "changed-classes",
        "unseen-label", "warm-fewer-classes", "warm-partial-fewer-classes"])
def test_class_bookkeeping_refuses_what_scikit_learn_refuses_in_its_words(call):
    ours, theirs = _messages(call)
    assert ours == theirs


@quiet
def test_class_bookkeeping_accepts_what_scikit_learn_accepts():
    for est in _both(FFNNClassifier, MLPClassifier, hidden_layer_sizes=(3,), random_state=0):
        est.partial_fit(X_IRIS[:50], Y_IRIS[:50], classes=[2, 0, 1])  # one class here: fine
        est.partial_fit(X_IRIS, Y_IRIS, classes=np.array([0, 1, 2]))  # same set, any order
        est.partial_fit(X_IRIS[50:], Y_IRIS[50:])
        assert est.classes_.tolist() == [0, 1, 2]
        est.set_params(warm_start=True).fit(X_IRIS, Y_IRIS)  # the same classes: fine
    for est in _both(FFNNClassifier, MLPClassifier, hidden_layer_sizes=(3,), max_iter=20,
                     random_state=0):
        est.fit(X_IRIS, np.full(150, 7))  # one class: fitted, and always predicted
        assert est.classes_.tolist() == [7] and (est.predict(X_IRIS) == 7).all()
        assert est.predict_proba(X_IRIS[:5]).shape == (5, 2)  # scikit-learn's two columns


@pytest.mark.parametrize("early_stopping", [False, True])
def test_verbose_prints_scikit_learns_lines(early_stopping, capsys):
    X, y = X_IRIS[::3], (Y_IRIS[::3] > 0).astype(int)
    lines = []
    for est in _both(FFNNClassifier, MLPClassifier, hidden_layer_sizes=(3,), solver="sgd",
                     max_iter=4, verbose=True, early_stopping=early_stopping,
                     n_iter_no_change=2, tol=0.5, random_state=0):
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", ConvergenceWarning)
            est.fit(X, y)
        out = capsys.readouterr().out.splitlines()
        lines.append([re.sub(r"\d+\.\d+", "x", line) for line in out])  # the words, not values
        assert sum(line.startswith("Iteration ") for line in out) == est.n_iter_
    assert lines[0] == lines[1]
    assert lines[0][0] == "Iteration 1, loss = x"
    assert lines[0][-1].endswith("for 2 consecutive epochs. Stopping.")


# -- errors -------------------------------------------------------------------------------------

def test_weights_that_would_stop_being_finite_raise_scikit_learns_error():
    X = np.random.default_rng(0).standard_normal((60, 3)) * 10
    y = X @ [1.0, 2.0, 3.0]
    ours, theirs = _both(FFNNRegressor, MLPRegressor, hidden_layer_sizes=(8,), solver="sgd",
                         learning_rate_init=1.0, max_iter=50, random_state=0)
    messages = []
    for est in (ours, theirs):
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            with pytest.raises(ValueError, match="Solver produced non-finite parameter weights")\
                    as error:
                est.fit(X, y)
        messages.append(str(error.value))
    assert messages[0] == messages[1]
    assert not hasattr(ours, "network_")  # ours: nothing half-made (scikit-learn keeps it)


@pytest.mark.parametrize(("n", "fraction"), [(10, 0.1), (20, 0.05), (3, 0.3)])
def test_a_validation_set_too_small_is_refused_in_scikit_learns_words(n, fraction):
    for est in _both(FFNNRegressor, MLPRegressor, early_stopping=True, max_iter=2,
                     validation_fraction=fraction):
        with pytest.raises(ValueError, match=re.escape(
                "The validation set is too small. Increase 'validation_fraction' or the size "
                "of your dataset.")):
            est.fit(X_DIA[:n], Y_DIA[:n])
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", ConvergenceWarning)
            est.fit(X_DIA[:n + 1], Y_DIA[:n + 1])  # one more sample: 2 to validate, fine


def test_a_diverging_fit_with_early_stopping_ends_on_the_best_weights_as_scikit_learns():
    X = np.random.default_rng(0).standard_normal((60, 3)) * 10
    y = X @ [1.0, 2.0, 3.0]
    ours, theirs = _both(FFNNRegressor, MLPRegressor, hidden_layer_sizes=(8,), solver="sgd",
                         learning_rate_init=1.0, max_iter=20, early_stopping=True,
                         random_state=0)
    for est in (ours, theirs):
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", RuntimeWarning)  # scikit-learn's overflows
            with pytest.warns(ConvergenceWarning):
                est.fit(X, y)  # no error: the best-scoring weights are finite
        assert np.isnan(est.validation_scores_[-1]) and isinstance(est.validation_scores_[-1],
                                                                   float)
        assert np.isfinite(est.predict(X)).all()
        assert len(est.validation_scores_) == est.n_iter_ == len(est.loss_curve_)
        assert est.t_ == est.n_iter_ * 54  # samples seen (60 - 6 validated), diverged too
    # scikit-learn runs on to max_iter on NaN weights; ffnn stops at the epoch that diverged
    assert ours.n_iter_ <= theirs.n_iter_


@quiet
def test_the_validation_part_is_stratified_as_scikit_learns():
    X4 = [[1, 2], [2, 3], [3, 4], [4, 5]]
    for est in _both(FFNNClassifier, MLPClassifier, early_stopping=True):
        # binary targets: stratified, so a class of one sample is refused in its words
        with pytest.raises(ValueError, match=r"The least populated classes in y have only 1 "
                           r"member.*Classes with too few members are: \['True'\]"):
            est.fit(X4, [0, 0, 0, 1])
    X = np.random.default_rng(0).standard_normal((40, 2))
    y = np.r_[np.zeros(20), np.ones(19), 2]  # three classes, one of one sample
    for est in _both(FFNNClassifier, MLPClassifier, early_stopping=True, max_iter=3,
                     validation_fraction=0.5):
        est.fit(X, y)  # multiclass: not stratified, fitted
        np.testing.assert_array_equal(est.classes_, [0, 1, 2])


class _MyTanh(Tanh):
    """tanh, but not the built-in itself: the JAX engine does not run it."""


@pytest.mark.auto_jax
def test_no_engine_warning_reaches_scikit_learns_users():
    """A custom activation runs on the NumPy engine: engine_reason_ says so, no warning (no
    user chose an engine); early stopping with sample weights runs on JAX."""
    pytest.importorskip("jax", reason="the JAX engine needs JAX (the fast extra)")
    weights = np.linspace(1, 2, 150)
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        history = ffnn.train(ffnn.Network(4, [5, 3], [_MyTanh(), "softmax"], seed=0), X_IRIS,
                             np.eye(3)[Y_IRIS], "cross_entropy", epochs=1, verbose=0)
    assert history.engine == "numpy" and "not a built-in" in history.engine_reason
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        warnings.simplefilter("ignore", ConvergenceWarning)
        est = FFNNClassifier((5,), _MyTanh(), early_stopping=True, max_iter=3).fit(
            X_IRIS, Y_IRIS, sample_weight=weights)
        assert est.engine_ == "numpy" and "not a built-in" in est.engine_reason_
        est = FFNNClassifier((5,), early_stopping=True, max_iter=3).fit(X_IRIS, Y_IRIS,
                                                                        sample_weight=weights)
        assert (est.engine_, est.engine_reason_) == ("jax", "")


# -- coefs_, intercepts_, out_activation_ -------------------------------------------------------

def _poisson_regressor() -> bool:
    try:
        return FFNNRegressor(loss="poisson")._output() == "exp"
    except ValueError:
        return False


@quiet
def test_coefs_and_intercepts_are_the_networks_views():
    est = FFNNClassifier((4,), max_iter=3, random_state=0).fit(X_IRIS, Y_IRIS)
    W, b = est.coefs_[1], est.intercepts_[1]
    assert np.shares_memory(W, est.network_.params) and np.shares_memory(b, est.network_.params)
    before = est.predict_proba(X_IRIS[:5])
    W[...] = 0
    b[...] = [5.0, 0.0, 0.0]  # edits the model
    np.testing.assert_allclose(est.predict_proba(X_IRIS[:5]).argmax(1), 0)
    assert not np.allclose(before, est.predict_proba(X_IRIS[:5]))
    est.coefs_ = [np.ones((4, 4)), np.ones((4, 3))]  # a list copies values in
    assert (est.network_.layers[0][0] == 1).all()
    with pytest.raises(ValueError, match="coefs_ must be a list of 2 arrays, got 1"):
        est.coefs_ = [np.ones((4, 4))]
    with pytest.raises(ValueError, match=r"intercepts_: layer 1 needs W of shape \(4, 3\)"):
        est.intercepts_ = [np.zeros(4), np.zeros(2)]
    # nothing stored twice: not in the pickle, not in clone
    state = pickle.loads(pickle.dumps(est)).__dict__
    assert "coefs_" not in state and "intercepts_" not in state
    assert not hasattr(clone(est), "network_")


@quiet
@pytest.mark.parametrize(("make", "X", "y"), [
    (lambda cls: cls(hidden_layer_sizes=(3,)), X_IRIS, Y_IRIS % 2),
    (lambda cls: cls(hidden_layer_sizes=(3,)), X_IRIS, Y_IRIS),
    (lambda cls: cls(hidden_layer_sizes=(3,)),
     *make_multilabel_classification(30, n_classes=3, random_state=0)[:2]),
    (lambda cls: cls(hidden_layer_sizes=(3,)), X_DIA, Y_DIA),
    pytest.param(lambda cls: cls(hidden_layer_sizes=(3,), loss="poisson"), X_DIA,
                 np.exp(Y_DIA), marks=pytest.mark.skipif(
                     not _poisson_regressor(), reason="FFNNRegressor has no poisson loss yet")),
], ids=["binary", "multiclass", "multilabel", "regression", "poisson"])
def test_out_activation_uses_scikit_learns_names(make, X, y):
    is_classifier = np.issubdtype(np.asarray(y).dtype, np.integer)
    ours_cls, theirs_cls = ((FFNNClassifier, MLPClassifier) if is_classifier
                            else (FFNNRegressor, MLPRegressor))
    ours = make(ours_cls).set_params(max_iter=2, random_state=0).fit(X, y)
    theirs = make(theirs_cls).set_params(max_iter=2, random_state=0).fit(X, y)
    assert ours.out_activation_ == theirs.out_activation_


# -- model files --------------------------------------------------------------------------------

@quiet
@pytest.mark.parametrize("early_stopping", [False, True])
def test_model_files_keep_the_rule_and_counters(tmp_path, early_stopping):
    est = FFNNClassifier((4,), solver="sgd", learning_rate="adaptive", tol=0.5,
                         n_iter_no_change=2, early_stopping=early_stopping, max_iter=12,
                         random_state=0).fit(X_IRIS, Y_IRIS)
    est.save(tmp_path / "m.npz")
    loaded = FFNNClassifier.load(tmp_path / "m.npz")
    names = ("n_iter_", "t_", "loss_", "loss_curve_", "best_loss_", "validation_scores_",
             "best_validation_score_", "validation_loss_curve_", "_no_improvement_count")
    assert {n: getattr(loaded, n) for n in names} == {n: getattr(est, n) for n in names}
    assert loaded._trainer.optimizer.lr(0) == est._trainer.optimizer.lr(0)
    for model in (est, loaded):
        model.set_params(warm_start=True, max_iter=3).fit(X_IRIS, Y_IRIS)
    np.testing.assert_array_equal(loaded.network_.params, est.network_.params)
    assert loaded.t_ == est.t_ and loaded.best_loss_ == est.best_loss_


@quiet
def test_a_file_from_before_the_counters_still_loads(tmp_path):
    from test_io import edit_metadata

    est = FFNNClassifier((4,), solver="sgd", learning_rate="adaptive", max_iter=4,
                         random_state=0).fit(X_IRIS, Y_IRIS)
    path = tmp_path / "old.npz"
    est.save(path)

    def as_0_1(metadata):  # what ffnn 0.1 wrote: no counters, lists, a plateau schedule's state
        info = metadata["extra"]["estimator"]
        for key in ("t", "loss", "no_improvement_count", "best_validation_score"):
            del info[key]
        info["validation_scores"] = info["validation_loss_curve"] = []
        info["trainer"]["schedules"] = [{"current": 0.001, "best": 1.0, "bad_epochs": 0}]

    edit_metadata(path, as_0_1, rehash=True)
    loaded = FFNNClassifier.load(path)
    assert loaded.validation_scores_ is None and loaded.t_ == 0
    assert loaded.loss_ == est.loss_ and loaded.best_loss_ == est.best_loss_
    assert loaded._trainer.optimizer.lr(0) == 0.001


def test_assigning_one_layer_of_coefs_edits_the_model_as_in_scikit_learn():
    X, y = np.random.default_rng(0).standard_normal((30, 3)), np.arange(30) % 2
    est = ffnn.estimators.FFNNClassifier(hidden_layer_sizes=(4,), max_iter=2,
                                         random_state=0)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        est.fit(X, y)
    W = np.full((3, 4), 0.5)
    coefs = est.coefs_
    coefs[0] = W
    b = est.intercepts_
    b[1] = np.array([0.25])
    assert np.array_equal(est.network_.layers[0][0], W)
    assert np.array_equal(est.network_.layers[1][1], [0.25])
    with pytest.raises(ValueError, match=r"coefs_\[0\] must have shape \(3, 4\)"):
        est.coefs_[0] = np.zeros((4, 3))
    with pytest.raises(ValueError, match="finite"):
        est.intercepts_[0] = np.full(4, np.nan)
    assert np.array_equal(est.network_.layers[0][0], W)
