"""Two one-hot classes meet one sigmoid output: the targets take the second column, on every
entry point (cost, backprop, gradcheck, train), exactly as if it had been given alone."""

from __future__ import annotations

import numpy as np
import pytest

import ffnn


@pytest.fixture(scope="module")
def problem():
    rng = np.random.default_rng(3)
    X = rng.standard_normal((40, 5))
    labels = rng.integers(0, 2, 40)
    return X, ffnn.datasets.one_hot(labels, 2), labels.reshape(-1, 1).astype(float)


def net():
    return ffnn.Network(5, [6, 1], ["tanh", "sigmoid"], seed=0)


def test_cost_and_gradient_equal_those_of_the_positive_column(problem):
    X, onehot, column = problem
    loss = "binary_cross_entropy"
    assert net().cost(X, onehot, loss, l2=0.1) == net().cost(X, column, loss, l2=0.1)
    for g, h in zip(net().backprop(X, onehot, loss), net().backprop(X, column, loss)):
        assert np.array_equal(g[0], h[0]) and np.array_equal(g[1], h[1])
    assert ffnn.gradcheck(net(), X, onehot, loss).passed
    # one sample, 1-D
    assert net().cost(X[0], onehot[0], loss) == net().cost(X[0], column[0], loss)


def test_training_on_two_one_hot_columns_equals_training_on_one(problem):
    X, onehot, column = problem
    trained = []
    for targets in (onehot, column):
        network = net()
        ffnn.train(network, X, targets, "binary_cross_entropy", epochs=5, batch_size=8,
                   seed=1, validation_fraction=0.25, verbose=0, engine="numpy")
        trained.append(network.params.copy())
    assert np.array_equal(*trained)


def test_two_columns_that_are_not_one_hot_are_still_refused(problem):
    X, onehot, _ = problem
    both = onehot.copy()
    both[0] = [1.0, 1.0]  # two labels at once: not two classes
    with pytest.raises(ValueError, match=r"expected shape \(40, 1\), got \(40, 2\)"):
        net().cost(X, both, "binary_cross_entropy")


def test_a_softmax_over_two_outputs_keeps_both_columns(problem):
    X, onehot, _ = problem
    network = ffnn.Network(5, [6, 2], ["tanh", "softmax"], seed=0)
    a = network.predict(X)
    expected = -np.mean(np.sum(onehot * np.log(a), axis=1))
    assert network.cost(X, onehot, "cross_entropy") == pytest.approx(expected, rel=1e-12)
