"""Training: the notebook's study, real runs, early stopping, guards, seeds, callbacks."""

import numpy as np
import pytest
from sklearn.metrics import accuracy_score, r2_score

import ffnn
from ffnn.data.datasets import franke, load_dataset, split, standardize
from ffnn.optim.optimizers import SGD, Adam, AdamW, Momentum
from ffnn.optim.schedules import ReduceOnPlateau
from ffnn.training.trainer import Callback, EarlyStopping, Trainer, accuracy, r2, train

IRIS_X, IRIS_T = ffnn.datasets.load_iris()


def iris_net(seed=0, **kwargs):
    return ffnn.Network(4, [8, 3], ["sigmoid", "softmax"], seed=seed, **kwargs)


# -- the studies ------------------------------------------------------------------------------


def test_the_notebooks_iris_study_reaches_its_accuracy_over_ten_seeds():
    # Full-batch GD, mean cross-entropy at lr 0.01 (the notebook's 0.005 on 2 (p - y) / n).
    accuracies = []
    for seed in range(10):
        net = iris_net(seed)
        history = train(
            net, IRIS_X, IRIS_T, "cross_entropy", learning_rate=0.01, epochs=5000, verbose=0
        )
        assert history.epochs == 5000 and history.stop_reason is None
        accuracies.append(history["accuracy"][-1])
        predicted = net.predict(IRIS_X).argmax(axis=1)
        assert history["accuracy"][-1] == pytest.approx(
            accuracy_score(IRIS_T.argmax(axis=1), predicted), abs=0.02
        )
    assert np.median(accuracies) >= 0.96, accuracies


def test_minibatch_adam_on_breast_cancer_reaches_095_test_accuracy():
    data = load_dataset("breast-cancer")
    X_train, X_test, y_train, y_test = split(data.X, data.targets[:, 1:], 0.2, seed=0)
    X_train, X_test, _ = standardize(X_train, X_test)
    net = ffnn.Network(30, [16, 1], ["relu", "sigmoid"], seed=0)
    train(
        net,
        X_train,
        y_train,
        "binary_cross_entropy",
        optimizer=Adam(1e-3),
        epochs=40,
        batch_size=32,
        seed=0,
        verbose=0,
    )
    test_accuracy = accuracy_score(y_test[:, 0], net.predict(X_test)[:, 0] > 0.5)
    assert test_accuracy >= 0.95


def test_regression_on_the_franke_function_reaches_r2_09():
    X, y = franke(400, noise=0.05, seed=0)
    X_train, X_test, y_train, y_test = split(X, y, 0.2, stratify=False, seed=0)
    net = ffnn.Network(2, [30, 30, 1], ["tanh", "tanh", "identity"], seed=0)
    history = train(
        net,
        X_train,
        y_train,
        "mse",
        optimizer=Adam(0.01),
        epochs=300,
        batch_size=32,
        seed=0,
        verbose=0,
    )
    assert r2_score(y_test, net.predict(X_test)) >= 0.9
    assert history["r2"][-1] == pytest.approx(r2_score(y_train, net.predict(X_train)), abs=0.05)


# -- metrics ----------------------------------------------------------------------------------


def test_metrics_agree_with_scikit_learn():
    rng = np.random.default_rng(0)
    p = rng.dirichlet(np.ones(4), 50)
    y = ffnn.datasets.one_hot(rng.integers(0, 4, 50), 4)
    assert accuracy(p, y, ffnn.cross_entropy) == accuracy_score(y.argmax(1), p.argmax(1))
    p1, y1 = rng.uniform(size=(50, 1)), rng.integers(0, 2, (50, 1)).astype(float)
    assert accuracy(p1, y1, ffnn.binary_cross_entropy) == accuracy_score(y1, p1 > 0.5)
    pm, ym = rng.uniform(size=(50, 3)), rng.integers(0, 2, (50, 3)).astype(float)
    assert accuracy(pm, ym, ffnn.binary_cross_entropy) == accuracy_score(ym, pm > 0.5)
    yr, pr = rng.normal(size=(50, 2)), rng.normal(size=(50, 2))
    assert r2(pr, yr) == pytest.approx(r2_score(yr, pr))


# -- history, validation, callbacks -----------------------------------------------------------


def test_history_records_train_and_validation_curves():
    net = iris_net()
    history = train(
        net,
        IRIS_X,
        IRIS_T,
        "cross_entropy",
        optimizer=Adam(0.01),
        epochs=7,
        batch_size=16,
        validation_fraction=0.2,
        seed=1,
        verbose=0,
    )
    assert set(history.history) == {"loss", "accuracy", "val_loss", "val_accuracy"}
    assert all(len(v) == 7 for v in history.history.values()) and history.epochs == 7
    assert history["loss"][-1] < history["loss"][0]


def test_validation_fraction_is_stratified_and_seeded():
    seen = []

    class Record(Callback):
        def on_epoch_end(self, trainer, epoch, logs):
            seen.append(logs["val_loss"])

    for _ in range(2):
        train(
            iris_net(),
            IRIS_X,
            IRIS_T,
            "cross_entropy",
            epochs=1,
            validation_fraction=0.2,
            seed=3,
            verbose=0,
            callbacks=[Record()],
        )
    assert seen[0] == seen[1]
    _, _, _, y_val = split(IRIS_X, IRIS_T, 0.2, seed=0)
    np.testing.assert_array_equal(y_val.sum(axis=0), [10, 10, 10])


def test_callbacks_are_called_at_each_hook():
    calls = {"train_begin": 0, "epoch_begin": 0, "batch_end": 0, "epoch_end": 0, "train_end": 0}

    class Count(Callback):
        def on_train_begin(self, trainer):
            calls["train_begin"] += 1

        def on_epoch_begin(self, trainer, epoch):
            calls["epoch_begin"] += 1

        def on_batch_end(self, trainer, batch, logs):
            calls["batch_end"] += 1
            assert logs["size"] in (32, 150 - 4 * 32)

        def on_epoch_end(self, trainer, epoch, logs):
            calls["epoch_end"] += 1

        def on_train_end(self, trainer):
            calls["train_end"] += 1

    train(
        iris_net(),
        IRIS_X,
        IRIS_T,
        "cross_entropy",
        epochs=3,
        batch_size=32,
        callbacks=[Count()],
        verbose=0,
    )
    assert calls == {
        "train_begin": 1,
        "epoch_begin": 3,
        "batch_end": 15,
        "epoch_end": 3,
        "train_end": 1,
    }


# -- early stopping, divergence, interruption -------------------------------------------------


def test_early_stopping_stops_and_restores_the_best_weights():
    # A wide network on 30 noisy samples overfits: the validation loss turns up.
    rng = np.random.default_rng(0)
    X = rng.uniform(-1, 1, (60, 1))
    y = np.sin(3 * X) + rng.normal(0, 0.3, (60, 1))
    snapshots = []

    class Snapshot(Callback):
        def on_epoch_end(self, trainer, epoch, logs):
            snapshots.append(trainer.network.params.copy())

    net = ffnn.Network(1, [64, 64, 1], ["tanh", "tanh", "identity"], seed=0)
    history = train(
        net,
        X[:30],
        y[:30],
        "mse",
        optimizer=Adam(0.01),
        epochs=2000,
        validation_data=(X[30:], y[30:]),
        early_stopping=True,
        patience=20,
        callbacks=[Snapshot()],
        seed=0,
        verbose=0,
    )
    assert history.stop_reason == "early_stopping" and history.epochs < 2000
    best = int(np.argmin(history["val_loss"]))
    assert history.best_epoch == best == history.epochs - 21
    np.testing.assert_array_equal(net.params, snapshots[best])
    assert "did not improve" in history.message


def test_a_diverging_run_stops_with_finite_weights_and_says_so(capsys):
    X, y = franke(100, noise=0.05, seed=1)
    net = ffnn.Network(2, [10, 1], ["tanh", "identity"], seed=0)
    before = net.cost(X, y, "mse")
    history = train(
        net, X, y, "mse", learning_rate=5.0, epochs=100, batch_size=10, seed=0, verbose=1
    )
    assert history.diverged and history.epochs < 100
    assert "smaller learning rate" in history.message
    assert f"before training {before:.4g}" in history.message
    assert "smaller learning rate" in capsys.readouterr().out
    assert np.isfinite(net.params).all()
    # The kept weights are those of the last epoch that passed the guard, whose reference
    # is the loss before any update (here the first epoch already blows up).
    assert net.cost(X, y, "mse") < 1000 * before


def test_mse_divergence_to_inf_is_caught_too():
    net = ffnn.Network(2, [4, 1], ["identity", "identity"], seed=0)
    X = np.random.default_rng(0).normal(size=(20, 2)) * 10
    history = train(net, X, X[:, :1] * 3, "mse", learning_rate=1.0, epochs=500, verbose=0)
    assert history.diverged and np.isfinite(net.params).all()


def test_ctrl_c_keeps_the_model_trained_so_far():
    class Interrupt(Callback):
        def on_batch_end(self, trainer, batch, logs):
            if trainer_epochs[0] == 3:
                raise KeyboardInterrupt

        def on_epoch_end(self, trainer, epoch, logs):
            trainer_epochs[0] += 1

    trainer_epochs = [0]
    net = iris_net()
    before = net.params.copy()
    history = train(
        net,
        IRIS_X,
        IRIS_T,
        "cross_entropy",
        epochs=50,
        batch_size=50,
        callbacks=[Interrupt()],
        verbose=0,
    )
    assert history.stop_reason == "interrupted" and history.epochs == 3
    assert not np.array_equal(net.params, before) and np.isfinite(net.params).all()


# -- seeds and continuation -------------------------------------------------------------------


def test_the_same_seeds_give_bit_identical_weights():
    def run(init_seed, shuffle_seed):
        net = iris_net(init_seed)
        train(
            net,
            IRIS_X,
            IRIS_T,
            "cross_entropy",
            optimizer=Adam(0.01),
            epochs=5,
            batch_size=16,
            validation_fraction=0.1,
            seed=shuffle_seed,
            verbose=0,
        )
        return net.params

    np.testing.assert_array_equal(run(0, 1), run(0, 1))
    assert not np.array_equal(run(0, 1), run(0, 2))  # another shuffle, same start
    assert not np.array_equal(run(1, 1), run(0, 1))


def test_fitting_twice_continues_exactly():
    one = Trainer(iris_net(), "cross_entropy", Adam(0.01), batch_size=16, seed=5, verbose=0)
    one.fit(IRIS_X, IRIS_T, 4)
    one.fit(IRIS_X, IRIS_T, 6)
    other = Trainer(iris_net(), "cross_entropy", Adam(0.01), batch_size=16, seed=5, verbose=0)
    other.fit(IRIS_X, IRIS_T, 10)
    np.testing.assert_array_equal(one.network.params, other.network.params)
    assert one.opt_state["step"] == other.opt_state["step"] == 10 * 10


def test_full_batch_training_matches_the_notebooks_update_by_hand():
    net = iris_net()
    by_hand = net.copy()
    train(net, IRIS_X, IRIS_T, "cross_entropy", optimizer=SGD(0.05), epochs=3, verbose=0)
    for _ in range(3):
        grads = by_hand.backprop(IRIS_X, IRIS_T, "cross_entropy")
        for (W, b), (dC_dW, dC_db) in zip(by_hand.layers, grads):
            W -= 0.05 * dC_dW
            b -= 0.05 * dC_db
    np.testing.assert_allclose(net.params, by_hand.params, rtol=1e-14, atol=1e-15)


# -- optimizers and schedules inside the loop -------------------------------------------------


def test_adamw_gets_the_networks_weight_mask():
    trainer = Trainer(iris_net(), "cross_entropy", AdamW(0.01), verbose=0)
    np.testing.assert_array_equal(
        trainer.opt_state["decay_mask"], trainer.network.weight_mask().astype(float)
    )


def test_reduce_on_plateau_hears_the_epoch_loss():
    schedule = ReduceOnPlateau(0.5, factor=0.5, patience=2)
    net = ffnn.Network(1, [1], "identity", seed=0)
    X = np.ones((4, 1))
    # lr 0.5 on this problem oscillates without improving: the rate must come down.
    trainer = Trainer(net, "mse", SGD(schedule), verbose=0)
    trainer.fit(X, 3 * X, 30)
    assert trainer.optimizer.lr(0) < 0.5
    # The trainer works on its own copy: the caller's schedule starts the next run afresh.
    assert schedule(0) == 0.5


def test_after_a_divergence_weights_and_optimizer_state_are_the_last_good_ones():
    X, y = franke(100, noise=0.05, seed=1)
    snapshots = []

    class Snapshot(Callback):
        def on_epoch_begin(self, trainer, epoch):
            snapshots.append((trainer.network.params.copy(), trainer.opt_state["velocity"].copy()))

    for early_stopping in (False, True):
        snapshots.clear()
        net = ffnn.Network(2, [10, 1], ["tanh", "identity"], seed=2)
        trainer = Trainer(
            net,
            "mse",
            Momentum(0.5, 0.9),
            batch_size=10,
            seed=0,
            verbose=0,
            callbacks=[Snapshot()] + ([EarlyStopping(5)] if early_stopping else []),
        )
        history = trainer.fit(X, y, 100)
        assert history.diverged
        # The start of the last epoch that passed the guard: the second-to-last snapshot.
        params, velocity = snapshots[-2]
        np.testing.assert_array_equal(net.params, params)
        np.testing.assert_array_equal(trainer.opt_state["velocity"], velocity)
        # Following the advice works: a smaller rate continues from finite state.
        trainer.optimizer.lr = ffnn.schedules.as_schedule(1e-3)
        assert not trainer.fit(X, y, 5).diverged


def test_float32_training_stays_float32():
    net = iris_net(dtype="float32")
    history = train(
        net,
        IRIS_X,
        IRIS_T,
        "cross_entropy",
        optimizer=Adam(0.01),
        epochs=20,
        batch_size=32,
        verbose=0,
    )
    assert net.params.dtype == np.float32 and history["accuracy"][-1] > 0.6


def test_progress_bar_only_when_verbose(capsys):
    train(iris_net(), IRIS_X, IRIS_T, "cross_entropy", epochs=3, verbose=0)
    assert capsys.readouterr().err == ""
    train(iris_net(), IRIS_X, IRIS_T, "cross_entropy", epochs=3, verbose=1)
    assert "training" in capsys.readouterr().err


def test_history_plot_writes_a_png(tmp_path):
    history = train(
        iris_net(), IRIS_X, IRIS_T, "cross_entropy", epochs=5, validation_fraction=0.2, verbose=0
    )
    figure = history.plot(tmp_path / "curves.png")
    assert len(figure.axes) == 2
    assert (tmp_path / "curves.png").read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"


# -- bad input --------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("kwargs", "error", "pattern"),
    [
        ({"epochs": -1}, ValueError, r"epochs must be an integer >= 0, got -1"),
        ({"batch_size": 0}, ValueError, r"batch_size must be a positive integer or None, got 0"),
        ({"optimizer": "adamm"}, ValueError, r"unknown optimizer 'adamm'; valid names are sgd"),
        ({"optimizer": Adam(), "learning_rate": 0.1}, TypeError, r"learning_rate goes with"),
        ({"learning_rate": -0.1}, ValueError, r"lr must be a positive number"),
        ({"validation_fraction": 1.5}, ValueError, r"validation_fraction must be in \(0, 1\)"),
        (
            {"validation_fraction": 0.2, "validation_data": (IRIS_X, IRIS_T)},
            ValueError,
            r"not both",
        ),
        ({"metric": "f1"}, ValueError, r"metric must be one of"),
        ({"l2": -1.0}, ValueError, r"l2 must be a finite number >= 0"),
        ({"patience": 0, "early_stopping": True}, ValueError, r"patience must be a positive"),
    ],
)
def test_bad_arguments_are_refused_clearly(kwargs, error, pattern):
    with pytest.raises(error, match=pattern):
        train(iris_net(), IRIS_X, IRIS_T, "cross_entropy", **{"epochs": 1, "verbose": 0, **kwargs})


def test_bad_data_is_refused_before_training():
    net = iris_net()
    before = net.params.copy()
    with pytest.raises(ValueError, match="X has 3 features"):
        train(net, IRIS_X[:, :3], IRIS_T, "cross_entropy", epochs=1, verbose=0)
    with pytest.raises(ValueError, match="must be 2-D"):
        train(net, IRIS_X[0], IRIS_T[0], "cross_entropy", epochs=1, verbose=0)
    with pytest.raises(ValueError, match="needs predictions in"):
        train(ffnn.Network(4, [3], "relu"), IRIS_X, IRIS_T, "cross_entropy", verbose=0)
    np.testing.assert_array_equal(net.params, before)


# -- sample weights ---------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("output", "loss"),
    [
        ("softmax", "cross_entropy"),
        ("sigmoid", "binary_cross_entropy"),
        ("identity", "mse"),
        ("softmax", "mse"),
    ],
)
def test_integer_sample_weights_equal_repeated_samples(output, loss):
    rng = np.random.default_rng(4)
    X = rng.normal(size=(12, 4))
    targets = ffnn.datasets.one_hot(rng.integers(0, 3, 12), 3)
    weights = rng.integers(0, 4, 12)
    weights[0] = 2
    repeated = np.repeat(np.arange(12), weights)
    nets = [ffnn.Network(4, [5, 3], ["tanh", output], seed=1) for _ in range(2)]
    weighted = train(
        nets[0], X, targets, loss, optimizer=SGD(0.1), epochs=5, sample_weight=weights, verbose=0
    )
    plain = train(
        nets[1], X[repeated], targets[repeated], loss, optimizer=SGD(0.1), epochs=5, verbose=0
    )
    np.testing.assert_allclose(nets[0].params, nets[1].params, rtol=1e-12, atol=1e-14)
    np.testing.assert_allclose(weighted["loss"], plain["loss"], rtol=1e-12)


def test_unit_sample_weights_change_nothing():
    nets = [iris_net() for _ in range(2)]
    train(
        nets[0],
        IRIS_X,
        IRIS_T,
        "cross_entropy",
        optimizer=Adam(0.01),
        epochs=3,
        batch_size=32,
        seed=0,
        sample_weight=np.ones(150),
        verbose=0,
        engine="numpy",
    )
    train(
        nets[1],
        IRIS_X,
        IRIS_T,
        "cross_entropy",
        optimizer=Adam(0.01),
        epochs=3,
        batch_size=32,
        seed=0,
        verbose=0,
        engine="numpy",  # as the weighted run: the same engine, so the same bits
    )
    np.testing.assert_array_equal(nets[0].params, nets[1].params)


@pytest.mark.parametrize(
    ("weights", "pattern"),
    [
        (np.ones(3), r"sample_weight must have shape \(150,\)"),
        (-np.ones(150), "finite and >= 0"),
        (np.zeros(150), "not be all zero"),
    ],
)
def test_bad_sample_weights_are_refused(weights, pattern):
    with pytest.raises(ValueError, match=pattern):
        train(iris_net(), IRIS_X, IRIS_T, "cross_entropy", sample_weight=weights, verbose=0)


# -- checkpoints ------------------------------------------------------------------------------


def test_resuming_from_a_checkpoint_is_bit_identical(tmp_path):
    from ffnn.optim.schedules import Cosine

    def run(**kwargs):
        net = iris_net(seed=3)
        optimizer = ffnn.chain(ffnn.ClipGradNorm(5.0), Adam(Cosine(0.02, 200)))
        history = train(
            net,
            IRIS_X,
            IRIS_T,
            "cross_entropy",
            optimizer=optimizer,
            epochs=12,
            batch_size=16,
            validation_fraction=0.2,
            seed=7,
            verbose=0,
            **kwargs,
        )
        return net, history

    path = tmp_path / "checkpoint.npz"
    straight, _ = run()
    checkpointed, _ = run(checkpoint_path=path, checkpoint_every=5)  # last written at epoch 10
    np.testing.assert_array_equal(checkpointed.params, straight.params)
    resumed, history = run(resume_from=path)
    assert history.epochs == 2
    np.testing.assert_array_equal(resumed.params, straight.params)


def test_resuming_with_a_plateau_schedule_and_sample_weights_is_bit_identical(tmp_path):
    weights = np.random.default_rng(0).uniform(0.5, 2.0, 150)

    def run(**kwargs):
        net = iris_net(seed=4)
        optimizer = ffnn.Momentum(ReduceOnPlateau(0.5, factor=0.5, patience=1), 0.9)
        train(
            net,
            IRIS_X,
            IRIS_T,
            "cross_entropy",
            optimizer=optimizer,
            epochs=9,
            batch_size=25,
            sample_weight=weights,
            seed=3,
            verbose=0,
            **kwargs,
        )
        return net.params

    path = tmp_path / "plateau.npz"
    straight = run()
    np.testing.assert_array_equal(run(checkpoint_path=path, checkpoint_every=4), straight)
    np.testing.assert_array_equal(run(resume_from=path), straight)


def test_a_checkpoint_before_any_epoch_is_valid_json(tmp_path):
    trainer = Trainer(iris_net(), "cross_entropy", SGD(ReduceOnPlateau(0.1)), verbose=0)
    trainer.save_checkpoint(tmp_path / "fresh.npz")  # best loss still infinite
    trainer.load_checkpoint(tmp_path / "fresh.npz")
    assert trainer.epoch == 0


def test_a_checkpoint_of_another_network_is_refused(tmp_path):
    trainer = Trainer(iris_net(), "cross_entropy", Adam(0.01), verbose=0)
    trainer.save_checkpoint(tmp_path / "c.npz")
    other = Trainer(ffnn.Network(4, [5, 3], ["tanh", "softmax"]), "cross_entropy", Adam(0.01))
    with pytest.raises(ValueError, match="holds Network\\(4 -> 8 sigmoid"):
        other.load_checkpoint(tmp_path / "c.npz")
    tanh = Trainer(ffnn.Network(4, [8, 3], ["tanh", "softmax"]), "cross_entropy", Adam(0.01))
    with pytest.raises(ValueError, match="holds Network"):
        tanh.load_checkpoint(tmp_path / "c.npz")
    sgd = Trainer(iris_net(), "cross_entropy", SGD(0.1))
    with pytest.raises(ValueError, match="does not fit SGD"):
        sgd.load_checkpoint(tmp_path / "c.npz")
    ffnn.io.save(iris_net(), tmp_path / "plain.npz")
    with pytest.raises(ffnn.io.ModelFileError, match="not a training checkpoint"):
        trainer.load_checkpoint(tmp_path / "plain.npz")


@pytest.mark.parametrize("engine", ["numpy", "jax"])
def test_a_first_epoch_that_blows_up_is_caught(engine):
    """The guard's reference is the loss before any update: a learning rate of 1e300 with
    batches of one explodes within the first epoch, and the run keeps its initial weights."""
    if engine == "jax":
        pytest.importorskip("jax", reason="the JAX engine needs JAX (the fast extra)")
    X, T = ffnn.datasets.load_iris()
    net = ffnn.Network(4, [8, 3], ["sigmoid", "softmax"], seed=0)
    start = net.params.copy()
    history = train(net, X, T, "cross_entropy", learning_rate=1e300, batch_size=1, epochs=5,
                    verbose=0, engine=engine)
    assert (history.stop_reason, history.epochs) == ("diverged", 0)
    assert "at epoch 0" in history.message and "largest weight" in history.message
    np.testing.assert_array_equal(net.params, start)


@pytest.mark.parametrize("engine", ["numpy", "jax"])
def test_absurd_weights_are_divergence_even_when_the_loss_looks_fine(engine):
    """A weight beyond √(largest float) trips the guard although the loss stays finite and
    small (here the weight multiplies an input that is always 0)."""
    if engine == "jax":
        pytest.importorskip("jax", reason="the JAX engine needs JAX (the fast extra)")
    rng = np.random.default_rng(0)
    X = rng.standard_normal((40, 3))
    X[:, 0] = 0.0
    T = ffnn.datasets.one_hot(rng.integers(0, 2, 40), 2)

    class Poison(Callback):
        def on_epoch_begin(self, trainer, epoch):
            if epoch == 2:
                trainer.network.params[0] = 1e200  # W[0, 0] of the first layer

    net = ffnn.Network(3, [4, 2], ["tanh", "softmax"], seed=0)
    history = train(net, X, T, "cross_entropy", learning_rate=0.1, epochs=6, verbose=0,
                    callbacks=[Poison()], engine=engine)
    assert (history.stop_reason, history.epochs) == ("diverged", 2)
    assert np.isfinite(history["loss"]).all() and max(history["loss"]) < 10
    assert "largest weight 1e+200" in history.message
    assert np.abs(net.params).max() < 1e3  # the start of the last good epoch


def test_the_guard_rule():
    from ffnn.training.loop import diverged, parameter_limit

    limit = parameter_limit(np.float64)
    assert limit == pytest.approx(1.34e154, rel=1e-2)
    assert parameter_limit(np.float32) == pytest.approx(1.84e19, rel=1e-2)
    assert not diverged(1.0, 1.0, 1000.0, 5.0, limit)
    assert diverged(float("nan"), 1.0, 1000.0, 5.0, limit)
    assert diverged(1001.0, 1.0, 1000.0, 5.0, limit)
    assert not diverged(1001.0, float("nan"), 1000.0, 5.0, limit)  # no reference yet
    assert not diverged(1001.0, 0.0, 1000.0, 5.0, limit)  # a perfect start
    assert diverged(1.0, 1.0, 1000.0, 2e154, limit)
    assert diverged(1.0, 1.0, 1000.0, float("nan"), limit)


def test_stacks_catch_a_first_epoch_blow_up_too():
    X, T = ffnn.datasets.load_iris()
    nets = [ffnn.Network(4, [8, 3], ["sigmoid", "softmax"], seed=s) for s in (0, 1)]
    start = nets[0].params.copy()
    from ffnn.backends.stacked import train_stack

    histories = train_stack(nets, X, T, "cross_entropy",
                            [ffnn.SGD(1e300), ffnn.SGD(0.1)], batch_size=1, epochs=3,
                            seed=0)
    assert [(h.stop_reason, h.epochs) for h in histories] == [("diverged", 0), (None, 3)]
    assert histories[0].engine == "stacked"
    np.testing.assert_array_equal(nets[0].params, start)


@pytest.mark.parametrize("scale", [1.0, 0.1, 3e5])
def test_equal_sample_weights_of_any_scale_are_the_unweighted_fit(scale):
    X, T = ffnn.datasets.load_iris()
    runs = []
    for weights in (None, np.full(len(X), scale)):
        net = ffnn.Network(4, [6, 3], ["tanh", "softmax"], seed=0)
        history = train(net, X, T, "cross_entropy", learning_rate=0.1, epochs=20,
                        batch_size=16, seed=1, verbose=0, sample_weight=weights)
        runs.append((net.params, history["loss"], history.engine))
    np.testing.assert_array_equal(runs[0][0], runs[1][0])
    assert runs[0][1:] == runs[1][1:]
