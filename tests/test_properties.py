"""Property-based: hypothesis draws networks and data; backprop must match finite differences.

Depth 1–4, widths 1–16, batches 1–64, every activation, every valid output/loss pair, both
dtypes, with and without penalties. Derandomized in CI (see conftest.py).
"""

import numpy as np
from hypothesis import assume, given
from hypothesis import strategies as st

import ffnn
from _problems import ALL_ACTIVATIONS, VALID_PAIRS, random_problem

# Tolerances: relative to the layer's gradient, plus a floor for gradients near zero, where
# only the rounding of the cost (float64: ~1e-16 · C / h) or of the float32 arithmetic is left.
TOLERANCE = {"float64": (1e-6, 1e-8), "float32": (2e-3, 1e-4)}


@st.composite
def problems(draw):
    depth = draw(st.integers(1, 4))
    sizes = [draw(st.integers(1, 16)) for _ in range(depth)]
    output, loss = draw(st.sampled_from(VALID_PAIRS))
    activations = [draw(st.sampled_from(ALL_ACTIVATIONS)) for _ in range(depth - 1)] + [output]
    n_inputs = draw(st.integers(1, 16))
    n_samples = draw(st.integers(1, 64))
    one_sample = n_samples == 1 and draw(st.booleans())
    dtype = draw(st.sampled_from(["float64", "float32"]))
    l1, l2 = draw(st.sampled_from([(0.0, 0.0), (0.0, 0.05), (0.02, 0.0), (0.01, 0.1)]))
    rng = np.random.default_rng(draw(st.integers(0, 2**32 - 1)))
    network, X, targets = random_problem(
        rng, n_inputs, sizes, activations, loss, n_samples, one_sample, dtype
    )
    return network, X, targets, loss, l1, l2


@given(problems())
def test_backprop_matches_finite_differences(problem):
    network, X, targets, loss, l1, l2 = problem
    # gradcheck shrinks its step until the stencil is clear of ReLU-type kinks.
    result = ffnn.gradcheck(network, X, targets, loss, l1=l1, l2=l2, methods="finite_differences")
    # Near a kink, or where a cross-entropy clips the prediction, the cost is not smooth.
    assume(not result.near_kink and not result.clipped)
    rel, floor = TOLERANCE[network.dtype.name]
    scale = max(1.0, network.astype("float64").cost(X, targets, loss, l1=l1, l2=l2))
    for (n_in, n_out), ref_norm, error in zip(
        result.shapes,
        result.reference_norms["finite_differences"],
        result.errors["finite_differences"],
    ):
        absolute = error * max(ref_norm, 1e-12)  # ‖g - g_ref‖
        allowed = rel * ref_norm + floor * scale * np.sqrt(n_in * n_out + n_out)
        assert absolute <= allowed, (network, loss, l1, l2, result.errors, result.norms)
