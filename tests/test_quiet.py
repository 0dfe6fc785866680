"""Quiet happy paths: engine="auto" taking the NumPy engine is not the user's to act on, so
it says why in the History (and the progress bar names the engine) instead of warning;
engine="jax" that cannot run stays an error."""

from __future__ import annotations

import warnings

import numpy as np
import pytest

import ffnn


class _MyTanh(ffnn.Tanh):
    """tanh, but not the built-in itself: the JAX engine does not run it."""


@pytest.mark.auto_jax
def test_auto_on_numpy_for_a_configuration_jax_cannot_run_does_not_warn():
    pytest.importorskip("jax", reason="the fallback exists only where JAX is installed")
    X, T = ffnn.datasets.load_iris()
    net = ffnn.Network(4, [5, 3], [_MyTanh(), "softmax"], seed=0)
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        history = ffnn.train(net, X, T, "cross_entropy", epochs=2, verbose=0)
    assert history.engine == "numpy" and "not a built-in" in history.engine_reason
    with pytest.raises(ValueError, match=r"^engine='jax' cannot run this fit: activation"):
        ffnn.train(net, X, T, "cross_entropy", epochs=2, verbose=0, engine="jax")


@pytest.mark.auto_jax
@pytest.mark.parametrize("optimizer", ["adagrad", "rmsprop"])
def test_small_runge_networks_train_quietly(optimizer):
    X, y = ffnn.datasets.runge(100, 0.05, seed=0)
    net = ffnn.Network(1, [10, 1], ["sigmoid", "identity"], seed=0)
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        history = ffnn.train(net, X, y, "mse", optimizer=optimizer, epochs=3,
                             batch_size=32, seed=0, verbose=0)
    assert history.epochs == 3 and np.all(np.isfinite(history["loss"]))


def test_the_progress_bar_names_the_engine(capsys):
    X, T = ffnn.datasets.load_iris()
    ffnn.train(ffnn.Network(4, [3], "softmax", seed=0), X, T, "cross_entropy", epochs=2,
               engine="numpy", verbose=1)
    assert "training (numpy engine)" in capsys.readouterr().err
