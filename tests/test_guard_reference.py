"""The divergence guard's reference, the loss before any update, computed only when an epoch
needs it (``driver.PendingReference``): every decision, weight, message and saved state must
equal those of computing it up front (the reference forced eager by patching
``NumpyPath.defer_initial_loss`` to decline)."""

from __future__ import annotations

import numpy as np
import pytest

import ffnn
from ffnn import driver, engine
from ffnn.core.losses import MSE
from ffnn.data.datasets import franke
from ffnn.training.loop import Callback, initial_loss


@pytest.fixture
def resolves(monkeypatch) -> list:
    """Each computation of a pending reference, counted."""
    calls: list = []
    real = driver.PendingReference.resolve

    def counted(self):
        calls.append(self)
        return real(self)

    monkeypatch.setattr(driver.PendingReference, "resolve", counted)
    return calls


def eager(monkeypatch) -> None:
    monkeypatch.setattr(engine.NumpyPath, "defer_initial_loss", lambda self: None)
    try:
        from ffnn import jax_engine
    except ImportError:  # pragma: no cover - the module imports JAX lazily
        return
    monkeypatch.setattr(jax_engine.JaxPath, "defer_initial_loss", lambda self: None)


def run(engine_name: str = "numpy", factor: float = 1000.0, lr: float = 0.05, weights=None,
        loss="mse", callbacks=(), epochs: int = 8):
    X, y = franke(120, noise=0.05, seed=1)
    net = ffnn.Network(2, [10, 1], ["tanh", "identity"], seed=0)
    history = ffnn.train(net, X, y, loss, learning_rate=lr, epochs=epochs, batch_size=10,
                         seed=0, verbose=0, divergence_factor=factor, sample_weight=weights,
                         engine=engine_name, callbacks=list(callbacks))
    return net, history


def same(one, other) -> None:
    (net_a, hist_a), (net_b, hist_b) = one, other
    np.testing.assert_array_equal(net_a.params, net_b.params)
    assert hist_a.history == hist_b.history
    assert (hist_a.stop_reason, hist_a.message) == (hist_b.stop_reason, hist_b.message)


@pytest.mark.parametrize("engine_name", ["numpy", "jax"])
@pytest.mark.parametrize("weighted", [False, True])
def test_a_run_that_trains_well_never_computes_it_and_ends_the_same(engine_name, weighted,
                                                                    resolves, monkeypatch):
    """Neither engine computes it when no epoch's loss could trip the test (the JAX engine
    checks the bound inside its program), and the run ends as with it computed first."""
    if engine_name == "jax":
        pytest.importorskip("jax", reason="the JAX engine needs JAX (the fast extra)")
    weights = np.linspace(0.5, 2.0, 120) if weighted else None
    lazy = run(engine_name, weights=weights)
    assert resolves == [] and lazy[1].stop_reason is None and lazy[1].engine == engine_name
    eager(monkeypatch)
    same(lazy, run(engine_name, weights=weights))


@pytest.mark.parametrize("engine_name", ["numpy", "jax"])
@pytest.mark.parametrize("factor,lr", [(1.5, 2.0), (3.0, 1.0), (1000.0, 5.0)])
@pytest.mark.parametrize("weighted", [False, True])
def test_a_run_whose_loss_trips_the_test_computes_it_and_stops_alike(engine_name, factor, lr,
                                                                    weighted, resolves,
                                                                    monkeypatch):
    """Losses above the bound: the reference computed, the same epoch stops, the same
    weights are kept, and the message names the same loss before training (on JAX the
    program stops before such an epoch, the host computes it, and the epoch runs again)."""
    if engine_name == "jax":
        pytest.importorskip("jax", reason="the JAX engine needs JAX (the fast extra)")
    weights = np.linspace(0.5, 2.0, 120) if weighted else None
    lazy = run(engine_name, factor=factor, lr=lr, weights=weights, epochs=30)
    assert lazy[1].diverged and lazy[1].engine == engine_name
    assert len(resolves) == 1
    eager(monkeypatch)
    same(lazy, run(engine_name, factor=factor, lr=lr, weights=weights, epochs=30))


def test_a_trainer_that_trains_on_keeps_the_exact_reference_not_the_data():
    X, y = franke(120, noise=0.05, seed=1)
    net = ffnn.Network(2, [10, 1], ["tanh", "identity"], seed=0)
    before = initial_loss(net, X, y, MSE(), 0.0, 0.01)
    trainer = ffnn.Trainer(net, "mse", "sgd", learning_rate=0.05, batch_size=10, l2=0.01,
                           seed=0, verbose=0, engine="numpy")
    trainer.fit(X, y, 3)
    assert trainer.first_pending is None and trainer.first_loss == before
    trainer.fit(X, y, 2)  # the reference stays that of the first fit
    assert trainer.first_loss == before


def test_train_leaves_it_pending_and_reading_it_gives_the_exact_value():
    X, y = franke(120, noise=0.05, seed=1)
    net = ffnn.Network(2, [10, 1], ["tanh", "identity"], seed=0)
    before = initial_loss(net, X, y, MSE(), 0.0, 0.0)
    kept = []

    class Keep(Callback):
        def on_train_begin(self, trainer):
            kept.append(trainer)

    ffnn.train(net, X, y, "mse", learning_rate=0.05, epochs=3, batch_size=10, verbose=0,
               callbacks=[Keep()], engine="numpy")
    assert kept[0].first_pending is not None
    assert kept[0].first_loss == before and kept[0].first_pending is None


def test_weights_moved_before_the_first_batch_give_no_bound(resolves, monkeypatch):
    """A callback that changes the weights after the reference was taken: the first batch
    is not at its weights, so it bounds nothing and the reference is computed."""

    class Nudge(Callback):
        def on_epoch_begin(self, trainer, epoch):
            if epoch == 0:
                trainer.network.params[:] *= 1.01

    lazy = run(callbacks=[Nudge()])
    assert len(resolves) == 1
    eager(monkeypatch)
    same(lazy, run(callbacks=[Nudge()]))


def test_a_loss_that_does_not_declare_its_costs_nonnegative_is_computed_up_front(resolves):
    class Shifted(MSE):  # a subclass may change the cost: it does not inherit the claim
        def value(self, y_pred, y):
            return super().value(y_pred, y) - 1.0

    _, history = run(loss=Shifted())
    assert resolves == [] and history.stop_reason is None
    assert MSE.nonnegative_costs and "nonnegative_costs" not in Shifted.__dict__


def test_an_infinite_factor_needs_no_reference(monkeypatch):
    calls = []
    monkeypatch.setattr(engine, "initial_loss", lambda *a, **k: calls.append(1))
    monkeypatch.setattr(driver.PendingReference, "resolve", lambda self: calls.append(1))
    X, y = franke(60, noise=0.05, seed=1)
    trainer = ffnn.Trainer(ffnn.Network(2, [4, 1], ["tanh", "identity"], seed=0), "mse",
                           "sgd", learning_rate=0.05, verbose=0, divergence_factor=np.inf,
                           engine="numpy")
    trainer.fit(X, y, 3)
    assert calls == [] and trainer.first_loss is None


def test_a_checkpoint_saves_the_exact_reference(tmp_path, monkeypatch):
    X, y = franke(120, noise=0.05, seed=1)
    states = []
    for lazy in (True, False):
        if not lazy:
            eager(monkeypatch)
        net = ffnn.Network(2, [10, 1], ["tanh", "identity"], seed=0)
        path = tmp_path / f"{lazy}.npz"
        ffnn.train(net, X, y, "mse", learning_rate=0.05, epochs=2, batch_size=10, seed=0,
                   verbose=0, checkpoint_path=path, engine="numpy")
        trainer = ffnn.Trainer(ffnn.Network(2, [10, 1], ["tanh", "identity"], seed=0),
                               "mse", "sgd", learning_rate=0.05, verbose=0)
        trainer.load_checkpoint(path)
        states.append(trainer.first_loss)
    assert states[0] == states[1] is not None


class KeepTrainer(Callback):
    """Keeps the trainer it runs in (module level: picklable)."""

    trainers: list = []

    def on_train_begin(self, trainer):
        KeepTrainer.trainers.append(trainer)


def test_a_pickled_trainer_carries_the_value_not_the_data():
    import pickle

    X, y = franke(60, noise=0.05, seed=1)
    net = ffnn.Network(2, [4, 1], ["tanh", "identity"], seed=0)
    before = initial_loss(net, X, y, MSE(), 0.0, 0.0)
    ffnn.train(net, X, y, "mse", learning_rate=0.05, epochs=2, verbose=0,
               callbacks=[KeepTrainer()], engine="numpy")
    trainer = KeepTrainer.trainers.pop()
    assert trainer.first_pending is not None
    copy = pickle.loads(pickle.dumps(trainer))
    assert copy.first_pending is None and copy.first_loss == before


@pytest.mark.parametrize("stop", [KeyboardInterrupt, ValueError])
def test_a_run_ended_by_ctrl_c_or_an_error_keeps_it_pending_and_exact(stop):
    """Nothing more runs after Ctrl-C or an error (no forward pass over the data then); the
    reference stays pending, and reading it later gives the exact value."""
    X, y = franke(120, noise=0.05, seed=1)
    net = ffnn.Network(2, [10, 1], ["tanh", "identity"], seed=0)
    before = initial_loss(net, X, y, MSE(), 0.0, 0.0)

    class Stop(Callback):
        def on_epoch_end(self, trainer, epoch, logs):
            if epoch == 1:
                raise stop("stop here")

    trainer = ffnn.Trainer(net, "mse", "sgd", learning_rate=0.05, batch_size=10, seed=0,
                           verbose=0, engine="numpy", callbacks=[Stop()])
    if stop is ValueError:
        with pytest.raises(ValueError, match="stop here"):
            trainer.fit(X, y, 5)
    else:
        assert trainer.fit(X, y, 5).stop_reason == "interrupted"
    assert trainer.first_pending is not None
    assert trainer.first_loss == before
