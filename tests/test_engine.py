"""The training engine gives the reference path's bits: gradients, outputs and updates."""

import numpy as np
import pytest

import ffnn
from _problems import ALL_ACTIVATIONS, VALID_PAIRS, make_problem
from ffnn import engine
from ffnn.optim.optimizers import (
    SGD,
    Adagrad,
    Adam,
    AdamW,
    ClipGradNorm,
    Momentum,
    Nesterov,
    RMSprop,
    chain,
)
from ffnn.optim.schedules import Cosine, InverseTime


@pytest.mark.parametrize("dtype", ["float64", "float32"])
@pytest.mark.parametrize(("output", "loss"), VALID_PAIRS)
@pytest.mark.parametrize("hidden", ALL_ACTIVATIONS)
def test_engine_backprop_equals_the_reference_bit_for_bit(hidden, output, loss, dtype):
    net, X, targets = make_problem(3, [5, 4, 3], [hidden, hidden, output], loss, 9, dtype=dtype)
    X, targets = X.astype(dtype), targets.astype(dtype)
    loss = ffnn.get_loss(loss)
    workspace = engine.Workspace(net, 9)
    for l1, l2, weights in [(0.0, 0.0, None), (0.1, 0.2, np.arange(1.0, 10.0))]:
        reference, fast = np.empty_like(net.params), np.full_like(net.params, np.nan)
        z_ref, a_ref = net.backprop_into(
            X, targets, loss, l1, l2, reference, sample_weight=weights
        )
        z_fast, a_fast = engine.backprop(net, workspace, X, targets, loss, l1, l2, fast, weights)
        np.testing.assert_array_equal(fast, reference)
        np.testing.assert_array_equal(a_fast, a_ref)
        np.testing.assert_array_equal(z_fast, z_ref)
        assert fast.dtype == np.dtype(dtype)


@pytest.mark.parametrize(
    "activation", [*(a for a in ALL_ACTIVATIONS if a != "softmax"), ffnn.LeakyReLU(1.5),
                   ffnn.ELU(0.3), "softmax"], ids=repr
)
@pytest.mark.parametrize("dtype", [np.float64, np.float32])
def test_in_place_activations_equal_their_readable_forms(activation, dtype):
    f = ffnn.get_activation(activation)
    rng = np.random.default_rng(0)
    z = rng.normal(0, 3, (6, 5)).astype(dtype)
    z[0, 0] = 0.0
    dC_da = rng.normal(size=(6, 5)).astype(dtype)
    a = f.forward(z)
    np.testing.assert_array_equal(f.forward_into(z, np.empty_like(z)), a)
    np.testing.assert_array_equal(
        f.backward_into(z, a, dC_da, np.empty_like(z)), f.backward(z, a, dC_da)
    )


def test_a_custom_activation_without_in_place_forms_still_works():
    pair = ffnn.FunctionActivation(np.sin, np.cos)
    net = ffnn.Network(3, [4, 2], [pair, "identity"], seed=0)
    X, y = np.ones((5, 3)), np.zeros((5, 2))
    reference, fast = np.empty_like(net.params), np.empty_like(net.params)
    net.backprop_into(X, y, ffnn.mse, 0.0, 0.0, reference)
    engine.backprop(net, engine.Workspace(net, 5), X, y, ffnn.mse, 0.0, 0.0, fast)
    np.testing.assert_array_equal(fast, reference)


OPTIMIZERS = [
    SGD(0.1),
    SGD(InverseTime(5, 50)),
    Momentum(0.1),
    Nesterov(0.05, 0.8),
    Adagrad(0.1),
    Adagrad(0.1, momentum=0.5),
    RMSprop(0.01),
    Adam(0.01),
    Adam(Cosine(0.1, 10), (0.8, 0.9)),
    AdamW(0.01, weight_decay=0.1),
    chain(ClipGradNorm(0.5), Adam(0.05)),
    chain(ClipGradNorm(0.5), Nesterov(0.05)),
]
# every built-in at its defaults too, read from the registry (NAdam, Adamax, RAdam, ...)
OPTIMIZERS += [cls(0.05) for cls in ffnn.optimizers.OPTIMIZERS  # the per-step ones (not L-BFGS)
               if cls not in {type(o) for o in OPTIMIZERS} and not cls.full_batch]


@pytest.mark.parametrize("dtype", [np.float64, np.float32])
@pytest.mark.parametrize("optimizer", OPTIMIZERS, ids=repr)
def test_in_place_steps_equal_functional_updates_bit_for_bit(optimizer, dtype):
    rng = np.random.default_rng(1)
    params = rng.normal(size=40).astype(dtype)
    mask = np.arange(40) < 25
    functional, in_place = params.copy(), params.copy()
    state_f, state_i = optimizer.init(functional, mask), optimizer.init(in_place, mask)
    scratch = np.empty_like(in_place)
    for _ in range(12):
        grads = rng.normal(size=40).astype(dtype)
        updates, state_f = optimizer.update(grads.copy(), state_f, functional)
        functional += updates
        state_i = optimizer.step(in_place, grads.copy(), state_i, scratch)
        np.testing.assert_array_equal(in_place, functional)
        assert in_place.dtype == dtype
    flat_f = ffnn.optimizers.state_to_arrays(state_f)
    flat_i = ffnn.optimizers.state_to_arrays(state_i)
    assert flat_f.keys() == flat_i.keys()
    for key in flat_f:
        np.testing.assert_array_equal(flat_i[key], flat_f[key])


def test_training_through_the_engine_equals_training_through_the_reference():
    """A run of the NumPy engine equals the same loop written with the public, reference
    calls, bit for bit (the JAX engine equals it to rounding: test_jax_engine.py)."""
    X, targets = ffnn.datasets.load_iris()
    net = ffnn.Network(4, [8, 3], ["relu", "softmax"], seed=2)
    by_hand = net.copy()
    trainer = ffnn.Trainer(
        net, "cross_entropy", Adam(0.01), l2=1e-3, batch_size=32, seed=5, verbose=0,
        engine="numpy",
    )
    trainer.fit(X, targets, 3)
    rng, optimizer = np.random.default_rng(5), Adam(0.01)
    state = optimizer.init(by_hand.params, by_hand.weight_mask())
    for _ in range(3):
        order = rng.permutation(150)
        for start in range(0, 150, 32):
            index = order[start : start + 32]
            grads = by_hand.gradient(X[index], targets[index], "cross_entropy", l2=1e-3)
            updates, state = optimizer.update(grads, state, by_hand.params)
            by_hand.params += updates
    np.testing.assert_array_equal(net.params, by_hand.params)


# -- subclasses and pieces the engine must not shortcut ---------------------------------------


class ShiftedSigmoid(ffnn.Sigmoid):
    """Overrides forward and derivative only: Sigmoid's in-place forms must not be used."""

    def forward(self, z):
        return super().forward(z + 0.5)

    def derivative(self, z, a):
        return a * (1 - a)

    def reference(self, z):
        return super().reference(z + 0.5)


class HalfCrossEntropy(ffnn.CrossEntropy):
    """Overrides the fused gradient (and its value to match)."""

    def logits_gradient(self, a, y):
        return 0.5 * super().logits_gradient(a, y)

    def logits_value(self, z, y):
        return 0.5 * super().logits_value(z, y)


def test_subclasses_overriding_the_readable_forms_are_not_shortcut():
    rng = np.random.default_rng(0)
    X, y = rng.normal(size=(6, 3)), ffnn.datasets.one_hot(rng.integers(0, 2, 6), 2)
    net = ffnn.Network(3, [4, 2], [ShiftedSigmoid(), "softmax"], seed=0)
    for loss in (ffnn.cross_entropy, HalfCrossEntropy()):
        reference, fast = np.empty_like(net.params), np.empty_like(net.params)
        net.backprop_into(X, y, loss, 0.0, 0.0, reference)
        engine.backprop(net, engine.Workspace(net, 6), X, y, loss, 0.0, 0.0, fast)
        np.testing.assert_array_equal(fast, reference)


class ClippedSGD(SGD):
    """Overrides update only: SGD's in-place step must not be used."""

    def update(self, grads, state, params):
        return super().update(np.clip(grads, -0.01, 0.01), state, params)


class Trace(ffnn.optimizers.GradientTransformation):
    """An optax-style trace: hands on its own state array as the update."""

    def init(self, params, mask=None):
        return {"trace": np.zeros_like(params)}

    def update(self, grads, state, params):
        trace = 0.5 * state["trace"] + grads
        return trace, {"trace": trace}


@pytest.mark.parametrize(
    "optimizer", [ClippedSGD(0.1), chain(Trace(), SGD(0.1)), chain(Trace(), Adam(0.01))], ids=repr
)
def test_training_with_custom_pieces_equals_their_functional_updates(optimizer):
    X, targets = ffnn.datasets.load_iris()
    net = ffnn.Network(4, [5, 3], ["tanh", "softmax"], seed=1)
    by_hand = net.copy()
    ffnn.train(net, X, targets, "cross_entropy", optimizer=optimizer, epochs=3, verbose=0)
    state = optimizer.init(by_hand.params, by_hand.weight_mask())
    for _ in range(3):
        grads = by_hand.gradient(X, targets, "cross_entropy")
        updates, state = optimizer.update(grads, state, by_hand.params)
        by_hand.params += updates
    np.testing.assert_array_equal(net.params, by_hand.params)


def test_a_batch_of_weightless_samples_moves_nothing():
    X, targets = ffnn.datasets.load_iris()
    weights = np.ones(10)
    weights[0] = 0.0
    net = ffnn.Network(4, [5, 3], ["tanh", "softmax"], seed=1)
    # seed 11 puts the weightless sample alone in the last batch of one.
    history = ffnn.train(
        net,
        X[:10],
        targets[:10],
        "cross_entropy",
        epochs=3,
        batch_size=9,
        sample_weight=weights,
        seed=11,
        verbose=0,
    )
    assert not history.diverged and np.isfinite(net.params).all()
    reference = np.empty_like(net.params)
    net.backprop_into(
        X[:1], targets[:1], ffnn.cross_entropy, 0.0, 0.0, reference, sample_weight=np.zeros(1)
    )
    np.testing.assert_array_equal(reference, 0.0)


def test_workspaces_of_earlier_fits_are_released():
    X, targets = ffnn.datasets.load_iris()
    trainer = ffnn.Trainer(
        ffnn.Network(4, [5, 3], ["tanh", "softmax"], seed=1),
        "cross_entropy",
        batch_size=32,
        verbose=0,
        engine="numpy",  # the JAX engine keeps no workspaces: its buffers are XLA's
    )
    for n in (150, 140, 130, 120):
        trainer.fit(X[:n], targets[:n], 1)
    assert len(trainer._workspaces) <= 2  # this fit's full batches and its last one
