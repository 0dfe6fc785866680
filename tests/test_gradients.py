"""Backpropagation equals autograd and central finite differences for every combination.

Every hidden activation × every valid output/loss pair × depth 1 to 4 × one sample and a
batch × with and without L1/L2 penalties.
"""

import itertools
import zlib

import numpy as np
import pytest

import ffnn
from _problems import ALL_ACTIVATIONS, VALID_PAIRS, make_problem

AUTOGRAD_TOL = 1e-9
FD_TOL = 1e-6
PENALTIES = [(0.0, 0.0), (0.03, 0.07)]  # (l1, l2)
SHAPES = [(True, 1), (False, 7)]  # (one_sample, n_samples)

CASES = [
    (hidden, output, loss, depth)
    for depth in (1, 2, 3, 4)
    for hidden in (ALL_ACTIVATIONS if depth > 1 else ("none",))
    for output, loss in VALID_PAIRS
]


@pytest.mark.parametrize(("hidden", "output", "loss", "depth"), CASES)
def test_backprop_matches_autograd_and_finite_differences(hidden, output, loss, depth):
    sizes = [4, 3, 5][: depth - 1] + [3]
    activations = [hidden] * (depth - 1) + [output]
    seed = zlib.crc32(f"{hidden}-{output}-{loss}-{depth}".encode())
    for (one_sample, n_samples), (l1, l2) in itertools.product(SHAPES, PENALTIES):
        network, X, targets = make_problem(
            seed, sizes, activations, loss, n_samples, one_sample=one_sample
        )
        result = ffnn.gradcheck(network, X, targets, loss, l1=l1, l2=l2)
        case = f"{activations}, {loss}, one_sample={one_sample}, l1={l1}, l2={l2}"
        assert result.max_error("autograd") <= AUTOGRAD_TOL, f"{case}: {result.errors}"
        assert result.max_error("finite_differences") <= FD_TOL, f"{case}: {result.errors}"
        assert not result.near_kink, case


@pytest.mark.parametrize(("output", "loss"), VALID_PAIRS)
@pytest.mark.parametrize("hidden", ["sigmoid", "relu", "softmax"])
def test_float32_network_gives_float32_close_to_float64(hidden, output, loss):
    network, X, targets = make_problem(5, [6, 4], [hidden, output], loss, 9)
    net32 = network.astype("float32")
    out32 = net32.predict(X)  # float64 X is cast to the network's dtype
    assert out32.dtype == np.float32
    np.testing.assert_allclose(out32, network.predict(X), rtol=1e-5, atol=1e-6)

    grads32, grads64 = net32.backprop(X, targets, loss), network.backprop(X, targets, loss)
    for (gW32, gb32), (gW64, gb64) in zip(grads32, grads64):
        assert gW32.dtype == gb32.dtype == np.float32
        scale = np.linalg.norm(np.concatenate([gW64.ravel(), gb64]))
        error = np.linalg.norm(np.concatenate([(gW32 - gW64).ravel(), gb32 - gb64]))
        assert error <= 1e-4 * scale + 1e-6
    assert ffnn.gradcheck(net32, X, targets, loss).passed
    # Every intermediate quantity stays float32 (the flat gradient's dtype alone would hide an
    # upcast inside the backward pass, since it is written into a float32 buffer).
    trace = net32.backprop_trace(X, targets, loss)
    for layer in trace.layers:
        for name in ("layer_input", "z", "a", "dC_da", "da_dz", "dC_dz", "dC_dW", "dC_db"):
            assert getattr(layer, name).dtype == np.float32, name


def test_a_float32_cost_is_close_to_the_float64_one():
    network, X, targets = make_problem(1, [4, 3], ["tanh", "softmax"], "cross_entropy", 5)
    c64 = network.cost(X, targets, "cross_entropy")
    c32 = network.astype(np.float32).cost(X, targets, "cross_entropy")
    assert c32 == pytest.approx(c64, rel=1e-5)
