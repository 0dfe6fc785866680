"""``learning_rate='invscaling'`` as a function of the optimizer's step.

scikit-learn sets the rate ``lr / (t + 1)^power_t`` after every epoch (``t``: samples seen).
The estimators' schedule computes the rate that would have been set from an anchor (the step
and samples seen where its current rate started), so the stopping rule need not hear each
epoch and the JAX engine trains many epochs a call. Each run here is compared, bit for bit,
with the same run on the same engine with the rate as it was: constant within an epoch, set by
the rule, which hears every epoch.
"""

from __future__ import annotations

import contextlib
import functools
import itertools
import warnings

import numpy as np
import pytest
from sklearn.exceptions import ConvergenceWarning
from sklearn.neural_network import MLPClassifier, MLPRegressor

from _problems import count_jax_calls
from ffnn import estimators
from ffnn.sklearn.estimators import FFNNClassifier, FFNNRegressor
from ffnn.sklearn.stopping import ScikitLearnRate, ScikitLearnRule
from ffnn.training.trainer import Trainer
from test_sklearn_parity import X_DIA, X_IRIS, Y_DIA, Y_IRIS, _from_the_same_start

pytestmark = pytest.mark.filterwarnings("ignore::sklearn.exceptions.ConvergenceWarning")

_rng = np.random.default_rng(0)
X_REG = _rng.standard_normal((120, 3))
Y_REG = np.sin(X_REG).sum(axis=1)
DATA = {"classifier": (FFNNClassifier, X_IRIS, Y_IRIS),  # 150 samples (120 with early stopping)
        "regressor": (FFNNRegressor, X_REG, Y_REG)}  # 120 samples (96 with early stopping)
SOLVERS = {"sgd": {"solver": "sgd", "momentum": 0.0},
           "momentum": {"solver": "sgd", "momentum": 0.9, "nesterovs_momentum": False},
           "nesterov": {"solver": "sgd", "momentum": 0.9},
           "adam": {"solver": "adam"}}
FOREVER = {"tol": 0.0, "n_iter_no_change": np.inf}  # every epoch of max_iter


@contextlib.contextmanager
def per_epoch(monkeypatch):
    """The rate as it was before it became a function of the step: constant within an
    epoch, set by the rule's ``iteration_ends``, the rule hearing every epoch."""
    with monkeypatch.context() as patch:
        patch.setattr(ScikitLearnRule, "epochs_heard_late", lambda self, trainer: 1)
        patch.setattr(ScikitLearnRate, "__call__", lambda self, step: self._current)
        yield


def on_engine(monkeypatch, engine: str) -> None:
    """The estimators' trainers on ``engine`` (they choose as ``ffnn.train`` does)."""
    monkeypatch.setattr(estimators, "Trainer", functools.partial(Trainer, engine=engine))


def needs_jax(engine: str) -> None:
    if engine == "jax":
        pytest.importorskip("jax", reason="the JAX engine needs JAX (the fast extra)")


def fitted(est) -> tuple:
    """Everything a run leaves that the rate reaches."""
    return (est.engine_, est.n_iter_, est.t_, est.loss_curve_, est.best_loss_,
            est.validation_scores_, est.best_validation_score_, est._no_improvement_count,
            est.network_.params.tobytes(), est._trainer.optimizer.lr.state_dict())


def both_ways(monkeypatch, run):
    """``run()`` with the rate of the step, then with the rate set after every epoch."""
    now = run()
    with per_epoch(monkeypatch):
        before = run()
    return now, before


# NumPy: every combination; JAX (a compiled program per configuration and chunk length): a
# few that between them take each kind, dtype, solver, batch size (30 divides the training
# samples, 32 does not), length, and early stopping
RATE_CASES = [
    *[(*case, "numpy", early_stopping) for early_stopping in (False, True)
      for case in itertools.product(DATA, ["float64", "float32"], SOLVERS, [30, 32],
                                    [1, 4, 25])],
    ("classifier", "float64", "sgd", 32, 25, "jax", False),
    ("classifier", "float32", "nesterov", 30, 4, "jax", False),
    ("regressor", "float32", "momentum", 30, 25, "jax", False),
    ("regressor", "float64", "adam", 32, 25, "jax", False),
    ("classifier", "float64", "adam", 32, 1, "jax", False),
    ("regressor", "float64", "sgd", 32, 4, "jax", True),
]


@pytest.mark.parametrize("kind, dtype, solver, batch_size, max_iter, engine, early_stopping",
                         RATE_CASES)
def test_the_rate_of_the_step_is_the_rate_set_every_epoch(monkeypatch, kind, dtype, solver,
                                                          batch_size, max_iter, engine,
                                                          early_stopping):
    make, X, y = DATA[kind]
    needs_jax(engine)
    on_engine(monkeypatch, engine)

    def run():
        est = make((6,), "tanh", learning_rate="invscaling", learning_rate_init=0.05,
                   power_t=0.25, batch_size=batch_size, max_iter=max_iter,
                   early_stopping=early_stopping, validation_fraction=0.2, random_state=0,
                   **SOLVERS[solver], **FOREVER)
        return fitted(est.fit(X.astype(dtype), y))

    now, before = both_ways(monkeypatch, run)
    assert now == before
    assert now[0] == engine and now[1] == max_iter
    n_train = len(X) - (len(X) // 5 if early_stopping else 0)
    assert now[2] == max_iter * n_train
    assert now[-1] == {"current": 0.05 / (max_iter * n_train + 1) ** 0.25}


@pytest.mark.parametrize("engine", ["numpy", "jax"])
@pytest.mark.parametrize("kind", list(DATA))
def test_a_stop_by_the_rule_and_a_warm_start_are_unchanged(monkeypatch, kind, engine):
    """The rule stops within a call of many epochs; a warm start's new rate starts at
    ``learning_rate_init`` with ``t_`` running on."""
    make, X, y = DATA[kind]
    needs_jax(engine)
    on_engine(monkeypatch, engine)

    def run():
        est = make((6,), "tanh", solver="sgd", learning_rate="invscaling",
                   learning_rate_init=0.5, batch_size=32, max_iter=300, tol=1e-2,
                   n_iter_no_change=3, random_state=0)
        states = [fitted(est.fit(X, y))]
        est.set_params(warm_start=True, max_iter=7, n_iter_no_change=np.inf)
        states.append(fitted(est.fit(X, y)))
        return states, est.history_.stop_reason

    now, before = both_ways(monkeypatch, run)
    assert now == before
    (first, warm), _ = now
    assert first[1] < 300 and warm[1] == 7  # the first stopped by the rule
    assert warm[2] == first[2] + 7 * len(X)


@pytest.mark.parametrize("engine", ["numpy", "jax"])
def test_partial_fit_carries_the_rate_over_as_before(monkeypatch, tmp_path, engine):
    """Calls of other sizes and batch sizes, a fit before them, and a model file between
    them: the rate each call starts from is the one the last call left."""
    needs_jax(engine)
    on_engine(monkeypatch, engine)
    sizes = [150, 150, 97, 150, 61]

    def run():
        est = FFNNClassifier((5,), solver="sgd", learning_rate="invscaling",
                             learning_rate_init=0.2, power_t=0.5, batch_size=32,
                             max_iter=5, tol=0.0, n_iter_no_change=10**9,  # inf: no file
                             random_state=0).fit(X_IRIS, Y_IRIS)
        states = [fitted(est)]
        for i, n in enumerate(sizes):
            est.set_params(batch_size=[32, 50, 20][i % 3])
            est.partial_fit(X_IRIS[:n], Y_IRIS[:n])
            states.append(fitted(est))
            if i == 2:
                est.save(tmp_path / "m.npz")
                est = FFNNClassifier.load(tmp_path / "m.npz")
        return states

    now, before = both_ways(monkeypatch, run)
    assert now == before
    t = 5 * 150 + sum(sizes)
    assert now[-1][2] == t and now[-1][-1] == {"current": 0.2 / (t + 1) ** 0.5}


@pytest.mark.parametrize("kind, batch_size, engine", [
    *[(kind, batch_size, "numpy") for kind in ("classifier", "regressor")
      for batch_size in (50, 32)],
    ("classifier", 32, "jax"), ("regressor", 50, "jax"),  # neither divides the samples
])
def test_invscaling_is_scikit_learns_side_by_side(monkeypatch, kind, batch_size, engine):
    """As tests/test_sklearn_parity.py runs both: from the same weights, batches in order,
    plain SGD; scikit-learn's squared error is halved, so its rate is twice ours."""
    needs_jax(engine)
    on_engine(monkeypatch, engine)
    ours_cls, theirs_cls, X, y = ((FFNNClassifier, MLPClassifier, X_IRIS, Y_IRIS)
                                  if kind == "classifier"
                                  else (FFNNRegressor, MLPRegressor, X_DIA, Y_DIA))
    scale = 2.0 if kind == "regressor" else 1.0
    params = {"learning_rate": "invscaling", "power_t": 0.25, "tol": 1e-3, "max_iter": 500,
              "batch_size": batch_size}

    def run():
        ours, theirs = _from_the_same_start(ours_cls, theirs_cls, X, y, alpha=0.0,
                                            batch_size=batch_size)
        theirs.set_params(learning_rate_init=0.05 * scale, **params).fit(X, y)
        ours.set_params(learning_rate_init=0.05, **{**params, "tol": 1e-3 * scale}).fit(X, y)
        return ours, theirs

    (ours, theirs), (ours_before, _) = both_ways(monkeypatch, run)
    assert fitted(ours) == fitted(ours_before)
    assert ours.engine_ == engine
    assert ours.n_iter_ == theirs.n_iter_ < 500  # stopped by the rule, at the same epoch
    assert ours.t_ == theirs.t_ == ours.n_iter_ * len(X)
    assert ours._trainer.optimizer.lr(0) * scale == pytest.approx(
        theirs._optimizer.learning_rate, rel=1e-15)
    np.testing.assert_allclose(ours.loss_curve_, scale * np.array(theirs.loss_curve_),
                               rtol=1e-12)
    for a, b in zip(ours.coefs_ + ours.intercepts_, theirs.coefs_ + theirs.intercepts_):
        np.testing.assert_allclose(a, b, rtol=1e-9, atol=1e-12)


@pytest.mark.auto_jax
def test_invscaling_runs_many_epochs_a_jax_call(monkeypatch):
    """The estimator's own choice ("auto", JAX under the mark): one call of the compiled
    program for all epochs, where the rate set after every epoch took one call an epoch."""
    needs_jax("jax")
    calls = count_jax_calls(monkeypatch)

    def run():
        calls.clear()
        est = FFNNClassifier((8,), solver="sgd", learning_rate="invscaling", max_iter=400,
                             random_state=0, **FOREVER).fit(X_IRIS, Y_IRIS)
        return fitted(est), len(calls)

    now, before = both_ways(monkeypatch, run)
    assert now[0] == before[0] and now[0][0] == "jax"
    assert (now[1], before[1]) == (1, 400)  # all epochs in one call; was one call an epoch
    calls.clear()
    est = FFNNClassifier((8,), solver="sgd", learning_rate="invscaling", max_iter=400,
                         tol=1e-4, n_iter_no_change=10, random_state=0).fit(X_IRIS, Y_IRIS)
    assert len(calls) <= est.n_iter_ / 11 + 1  # as 'constant': n_iter_no_change + 1 a call


def test_the_anchor_is_not_state():
    """``state_dict`` holds the current rate only, as files written before hold it; each
    call anchors again, and unanchored the rate is the current one."""
    rate = ScikitLearnRate(0.1, "invscaling", 0.5)
    assert rate.state_dict() == {"current": 0.1} and rate(10**6) == 0.1
    rate.anchor(step=8, samples=300, n_train=100, batch_size=30)  # 4 steps an epoch
    assert [rate(s) for s in (0, 8, 11)] == [0.1, 0.1, 0.1]
    assert rate(12) == rate(15) == 0.1 / 401 ** 0.5 and rate(16) == 0.1 / 501 ** 0.5
    rate.iteration_ends(400, 12)
    assert rate(12) == rate(15) == 0.1 / 401 ** 0.5 and rate(16) == 0.1 / 501 ** 0.5
    loaded = ScikitLearnRate(0.1, "invscaling", 0.5)
    loaded.load_state_dict(rate.state_dict())
    assert loaded(10**6) == 0.1 / 401 ** 0.5
    adaptive = ScikitLearnRate(0.1, "adaptive")
    adaptive.anchor(step=0, samples=0, n_train=100, batch_size=30)
    assert adaptive(10**6) == 0.1


def test_a_file_written_with_the_per_epoch_rate_continues_alike(monkeypatch, tmp_path):
    with per_epoch(monkeypatch), warnings.catch_warnings():
        warnings.simplefilter("ignore", ConvergenceWarning)
        est = FFNNClassifier((5,), solver="sgd", learning_rate="invscaling", max_iter=6,
                             random_state=0).fit(X_IRIS, Y_IRIS)
        est.save(tmp_path / "old.npz")
        est.partial_fit(X_IRIS, Y_IRIS)
        est.set_params(warm_start=True).fit(X_IRIS, Y_IRIS)
    loaded = FFNNClassifier.load(tmp_path / "old.npz")
    loaded.partial_fit(X_IRIS, Y_IRIS)
    loaded.set_params(warm_start=True).fit(X_IRIS, Y_IRIS)
    assert fitted(loaded) == fitted(est)
