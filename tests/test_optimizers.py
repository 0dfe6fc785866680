"""Optimizers: PyTorch's trajectories replayed, convergence, exact resume, purity, masks,
clipping, argument checks, float32.

The PyTorch references live in ``tests/reference/torch_trajectories.json``, recorded by hand
with ``tests/reference/record_torch_trajectories.py``; torch is not needed to run these tests.
"""

from __future__ import annotations

import copy
import io
import json
import math
from pathlib import Path

import numpy as np
import pytest

from ffnn.optim.optimizers import (
    GD,
    LBFGS,
    OPTIMIZER_NAMES,
    SGD,
    Adagrad,
    Adam,
    Adamax,
    AdamW,
    Chain,
    ClipGradNorm,
    GradientTransformation,
    Momentum,
    NAdam,
    Nesterov,
    RAdam,
    RMSprop,
    SklearnAdam,
    SklearnSGD,
    apply_updates,
    chain,
    get_optimizer,
    state_from_arrays,
    state_to_arrays,
)
from ffnn.optim.schedules import Cosine, Exponential, ReduceOnPlateau, Schedule, StepDecay

REFERENCE = json.loads(
    (Path(__file__).parent / "reference" / "torch_trajectories.json").read_text(encoding="utf-8")
)
PROBLEM = REFERENCE["problem"]
A_REF = np.array(PROBLEM["A"])
C_REF = np.array(PROBLEM["c"])
TRAJECTORIES = REFERENCE["trajectories"]


def _state_arrays(state):
    """Every array in a state (a dict, or a chain's tuple of dicts)."""
    parts = state if isinstance(state, tuple) else (state,)
    return [v for part in parts for v in part.values() if isinstance(v, np.ndarray)]


def _assert_states_equal(a, b):
    assert type(a) is type(b)
    if isinstance(a, tuple):
        assert len(a) == len(b)
        for x, y in zip(a, b):
            _assert_states_equal(x, y)
        return
    assert a.keys() == b.keys()
    for key in a:
        x, y = a[key], b[key]
        if isinstance(x, np.ndarray):
            assert isinstance(y, np.ndarray) and x.dtype == y.dtype, key
            assert np.array_equal(x, y), key
        else:
            assert x == y and type(x) is type(y), key


# -- PyTorch's trajectories -------------------------------------------------------------------


def _ffnn_from_torch(record):
    """The ffnn optimizer (and mask) that does what the recorded torch run did."""
    kind = record["torch_optimizer"]
    hp = record["torch_defaults"]
    # Features of torch that ffnn has not: the recorded runs must leave them off.
    assert not hp.get("maximize", False)
    assert not hp.get("amsgrad", False) and not hp.get("centered", False)
    assert hp.get("dampening", 0) == 0 and hp.get("lr_decay", 0) == 0
    assert hp.get("initial_accumulator_value", 0) == 0
    if kind != "AdamW":
        assert hp.get("weight_decay", 0) == 0  # torch's coupled (L2) decay
    lr = hp["lr"]
    if record["exponential_lr"] is not None:  # ExponentialLR stepped after every step
        lr = Exponential(lr, record["exponential_lr"]["gamma"])
    mask = None
    if kind == "SGD":
        if hp["momentum"] == 0:
            optimizer = SGD(lr)
        elif hp["nesterov"]:
            optimizer = Nesterov(lr, momentum=hp["momentum"])
        else:
            optimizer = Momentum(lr, momentum=hp["momentum"])
    elif kind == "Adagrad":
        optimizer = Adagrad(lr, eps=hp["eps"])
    elif kind == "RMSprop":
        assert hp["momentum"] == 0
        optimizer = RMSprop(lr, alpha=hp["alpha"], eps=hp["eps"])
    elif kind == "Adam":
        optimizer = Adam(lr, betas=hp["betas"], eps=hp["eps"])
    elif kind == "AdamW":
        decay = hp["weight_decay"]
        optimizer = AdamW(lr, betas=hp["betas"], eps=hp["eps"], weight_decay=decay)
        if record["param_groups"] is not None:
            # Groups with the decay are the weights (mask 1), groups without are biases (0).
            mask = np.full(len(PROBLEM["theta0"]), np.nan)
            for group in record["param_groups"]:
                assert group["weight_decay"] in (0, decay)
                assert group["lr"] == hp["lr"] and group["betas"] == hp["betas"]
                assert group["eps"] == hp["eps"]
                mask[group["indices"]] = group["weight_decay"] / decay
            assert not np.isnan(mask).any()
    elif kind == "NAdam":
        # weight_decay is 0 (checked above), so no decay of either kind (L2 or decoupled).
        assert not hp["decoupled_weight_decay"] and record["param_groups"] is None
        optimizer = NAdam(
            lr, betas=hp["betas"], eps=hp["eps"], momentum_decay=hp["momentum_decay"]
        )
    elif kind == "Adamax":
        optimizer = Adamax(lr, betas=hp["betas"], eps=hp["eps"])
    elif kind == "RAdam":
        # weight_decay is 0 (checked above), so no decay of either kind (L2 or decoupled).
        assert not hp["decoupled_weight_decay"] and record["param_groups"] is None
        optimizer = RAdam(lr, betas=hp["betas"], eps=hp["eps"])
    else:
        raise AssertionError(f"no ffnn counterpart written for torch.optim.{kind}")
    if record["clip_grad_norm"] is not None:
        optimizer = chain(ClipGradNorm(record["clip_grad_norm"]["max_norm"]), optimizer)
    return optimizer, mask


def test_reference_file_describes_the_problem():
    assert REFERENCE["dtype"] == "float64"
    assert REFERENCE["torch_version"]
    assert np.array_equal(A_REF, A_REF.T)
    assert np.linalg.eigvalsh(A_REF).min() > 0
    weights, biases = PROBLEM["groups"]["weights"], PROBLEM["groups"]["biases"]
    mask = np.array(PROBLEM["weight_mask"])
    assert sorted(weights + biases) == list(range(len(PROBLEM["theta0"])))
    assert np.all(mask[weights] == 1) and np.all(mask[biases] == 0)
    expected_kinds = {"SGD", "Adagrad", "RMSprop", "Adam", "AdamW", "NAdam", "Adamax", "RAdam"}
    assert {r["torch_optimizer"] for r in TRAJECTORIES.values()} == expected_kinds
    sgd_kinds = {
        (r["torch_defaults"]["momentum"] > 0, r["torch_defaults"]["nesterov"])
        for r in TRAJECTORIES.values()
        if r["torch_optimizer"] == "SGD"
    }
    assert sgd_kinds == {(False, False), (True, False), (True, True)}


@pytest.mark.parametrize("name", sorted(TRAJECTORIES))
def test_replays_torch_trajectory(name):
    record = TRAJECTORIES[name]
    expected = np.array(record["params"])
    assert expected.shape == (REFERENCE["steps"] + 1, len(PROBLEM["theta0"]))
    optimizer, mask = _ffnn_from_torch(record)
    theta = np.array(PROBLEM["theta0"], dtype=np.float64)
    assert np.array_equal(theta, expected[0])
    state = optimizer.init(theta, mask)
    for step in range(1, len(expected)):
        grads = A_REF @ theta - C_REF
        # The gradient torch saw (before clipping) is the one computed here.
        np.testing.assert_allclose(
            np.linalg.norm(grads), record["gradient_norms_before_clipping"][step - 1], rtol=1e-12
        )
        updates, state = optimizer.update(grads, state, theta)
        apply_updates(theta, updates)
        np.testing.assert_allclose(
            theta, expected[step], rtol=1e-10, atol=0, err_msg=f"{name}, step {step}"
        )


def test_references_exercise_what_they_claim():
    """The recorded runs move visibly, and the settings under test change the trajectory."""

    def final(name):
        return np.array(TRAJECTORIES[name]["params"][-1])

    start = np.array(PROBLEM["theta0"])
    for name in TRAJECTORIES:
        assert np.linalg.norm(final(name) - start) > 0.1, name
    pairs = [
        ("sgd", "sgd_lr_0.15"),
        ("momentum", "nesterov"),
        ("adagrad", "adagrad_eps"),
        ("rmsprop", "rmsprop_alpha_eps"),
        ("adam", "adam_betas_eps"),
        ("adam", "adamw"),  # the default decay of 0.01 is visible
        ("adam", "nadam"),
        ("nadam", "nadam_betas_eps_decay"),
        ("adam", "adamax"),
        ("adamax", "adamax_betas_eps"),
        ("adam", "radam"),
        ("radam", "radam_betas_eps"),
        ("adam", "clip_adam"),
        ("momentum_0.5", "sgd_exponential_lr"),
    ]
    for a, b in pairs:
        assert np.linalg.norm(final(a) - final(b)) > 1e-4, (a, b)
    # The clipped run clips some steps and not others.
    record = TRAJECTORIES["clip_adam"]
    norms = np.array(record["gradient_norms_before_clipping"])
    max_norm = record["clip_grad_norm"]["max_norm"]
    assert (norms > 1.1 * max_norm).any() and (norms < 0.9 * max_norm).any()
    # AdamW decays the weights group only.
    groups = TRAJECTORIES["adamw_decay"]["param_groups"]
    assert groups[0]["weight_decay"] > 0 and groups[1]["weight_decay"] == 0


# -- convergence --------------------------------------------------------------------------------


def _quadratic(seed=3, n=10, condition=20.0):
    rng = np.random.default_rng(seed)
    Q, _ = np.linalg.qr(rng.standard_normal((n, n)))
    A = Q @ np.diag(np.geomspace(1, condition, n)) @ Q.T
    c = rng.standard_normal(n)
    return A, c, np.linalg.solve(A, c)


def _rosenbrock_gradient(theta):
    x, y = theta
    return np.array([-2 * (1 - x) - 400 * x * (y - x * x), 200 * (y - x * x)])


def _run(optimizer, gradient, theta, steps, mask=None):
    theta = np.array(theta, dtype=np.float64)
    state = optimizer.init(theta, mask)
    for _ in range(steps):
        updates, state = optimizer.update(gradient(theta), state, theta)
        apply_updates(theta, updates)
    return theta


QUADRATIC_RUNS = {
    "sgd": (lambda: SGD(0.09), 500),
    "momentum": (lambda: Momentum(0.02, 0.9), 500),
    "nesterov": (lambda: Nesterov(0.02, 0.9), 500),
    "adagrad": (lambda: Adagrad(1.0), 500),
    "adagrad_momentum": (lambda: Adagrad(0.1, momentum=0.9), 500),
    "rmsprop": (lambda: RMSprop(Exponential(0.05, 0.99)), 1000),
    "adam": (lambda: Adam(Exponential(0.1, 0.99)), 1000),
    "adamw": (lambda: AdamW(Exponential(0.1, 0.99), weight_decay=1e-4), 1000),
    "clip_adam": (lambda: chain(ClipGradNorm(1.0), Adam(Exponential(0.1, 0.99))), 1000),
}


@pytest.mark.parametrize("name", sorted(QUADRATIC_RUNS))
def test_converges_on_a_quadratic(name):
    make, steps = QUADRATIC_RUNS[name]
    A, c, minimum = _quadratic()
    theta = _run(make(), lambda t: A @ t - c, np.zeros_like(c), steps)
    # AdamW's decay pulls its fixed point slightly towards 0 (by about λ‖θ*‖ here).
    tolerance = 1e-4 if name == "adamw" else 1e-8
    assert np.linalg.norm(theta - minimum) < tolerance * np.linalg.norm(minimum)


ROSENBROCK_RUNS = {
    "sgd": (lambda: SGD(1.5e-3), 20000),
    "momentum": (lambda: Momentum(2e-4, 0.9), 10000),
    "nesterov": (lambda: Nesterov(2e-4, 0.9), 10000),
    "adagrad": (lambda: Adagrad(1.0), 10000),
    "adagrad_momentum": (lambda: Adagrad(0.1, momentum=0.9), 10000),
    "rmsprop": (lambda: RMSprop(Exponential(0.01, 0.999)), 10000),
    "adam": (lambda: Adam(Cosine(0.05, 4000, 1e-4)), 4000),
    "adamw": (lambda: AdamW(Cosine(0.05, 4000, 1e-4), weight_decay=1e-4), 4000),
    "clip_adam": (lambda: chain(ClipGradNorm(1.0), Adam(Cosine(0.05, 3000, 1e-4))), 3000),
}


@pytest.mark.parametrize("name", sorted(ROSENBROCK_RUNS))
def test_reaches_the_rosenbrock_minimum(name):
    make, steps = ROSENBROCK_RUNS[name]
    theta = _run(make(), _rosenbrock_gradient, [-1.2, 1.0], steps)
    assert np.linalg.norm(theta - 1.0) < 1e-2


# -- saving and resuming --------------------------------------------------------------------

RESUMABLE = {
    "sgd": lambda: SGD(0.05),
    "sgd_schedule": lambda: SGD(StepDecay(0.08, step_size=7, gamma=0.5)),
    "momentum": lambda: Momentum(0.02, 0.9),
    "nesterov": lambda: Nesterov(0.02, 0.8),
    "adagrad": lambda: Adagrad(0.3),
    "adagrad_momentum": lambda: Adagrad(0.1, momentum=0.5),
    "rmsprop": lambda: RMSprop(0.01, alpha=0.9),
    "adam": lambda: Adam(Exponential(0.1, 0.97)),
    "adamw": lambda: AdamW(0.05, weight_decay=0.3),
    "chain_clip_adamw": lambda: chain(ClipGradNorm(0.5), AdamW(0.05, weight_decay=0.3)),
    "nested_chain": lambda: chain(ClipGradNorm(2.0), chain(ClipGradNorm(1.0), Momentum(0.05))),
}


def _nonlinear_gradient(A, c):
    # The gradient of ½θᵀAθ − cᵀθ + ¼Σθ⁴: every step depends on the state nonlinearly.
    return lambda theta: A @ theta - c + theta**3


@pytest.mark.parametrize("name", sorted(RESUMABLE))
def test_resume_from_saved_state_is_bit_identical(name):
    rng = np.random.default_rng(11)
    A, c, _ = _quadratic(seed=5, n=8)
    gradient = _nonlinear_gradient(A, c)
    theta0 = rng.standard_normal(8)
    mask = (rng.uniform(size=8) < 0.6).astype(np.float64)
    total, stop = 30, 13

    optimizer = RESUMABLE[name]()
    theta = theta0.copy()
    state = optimizer.init(theta, mask)
    straight = []
    for _ in range(total):
        updates, state = optimizer.update(gradient(theta), state, theta)
        apply_updates(theta, updates)
        straight.append(theta.copy())

    optimizer = RESUMABLE[name]()
    theta = theta0.copy()
    state = optimizer.init(theta, mask)
    for _ in range(stop):
        updates, state = optimizer.update(gradient(theta), state, theta)
        apply_updates(theta, updates)
    buffer, params_buffer = io.BytesIO(), io.BytesIO()
    np.savez(buffer, **state_to_arrays(state))
    np.save(params_buffer, theta)
    del state, theta, optimizer

    buffer.seek(0)
    params_buffer.seek(0)
    optimizer = RESUMABLE[name]()  # a fresh object, as in a new process
    with np.load(buffer) as arrays:
        state = state_from_arrays(arrays)
    theta = np.load(params_buffer)
    for step in range(stop, total):
        updates, state = optimizer.update(gradient(theta), state, theta)
        apply_updates(theta, updates)
        assert np.array_equal(theta, straight[step]), f"step {step + 1}"
    assert not np.array_equal(straight[stop], straight[-1])  # the run kept moving


@pytest.mark.parametrize("name", sorted(RESUMABLE))
def test_state_arrays_round_trip(name):
    optimizer = RESUMABLE[name]()
    rng = np.random.default_rng(2)
    theta = rng.standard_normal(5).astype(np.float32)
    state = optimizer.init(theta, np.ones(5))
    for _ in range(3):
        _, state = optimizer.update(rng.standard_normal(5).astype(np.float32), state, theta)
    arrays = state_to_arrays(state)
    assert all(isinstance(v, np.ndarray) for v in arrays.values())
    _assert_states_equal(state_from_arrays(arrays), state)


# -- purity ---------------------------------------------------------------------------------------

ALL_OPTIMIZERS = {
    "sgd": lambda: SGD(0.1),
    "momentum": lambda: Momentum(0.1, 0.9),
    "nesterov": lambda: Nesterov(0.1, 0.9),
    "adagrad": lambda: Adagrad(0.1),
    "adagrad_momentum": lambda: Adagrad(0.1, momentum=0.9),
    "rmsprop": lambda: RMSprop(0.1),
    "adam": lambda: Adam(0.1),
    "adamw": lambda: AdamW(0.1, weight_decay=0.1),
    "adamax": lambda: Adamax(0.1),
    "radam": lambda: RAdam(0.1),
    "clip": lambda: ClipGradNorm(0.5),
    "chain_clip_adamw": lambda: chain(ClipGradNorm(0.5), AdamW(0.1, weight_decay=0.1)),
}


@pytest.mark.parametrize("name", sorted(ALL_OPTIMIZERS))
def test_update_leaves_old_state_and_inputs_untouched(name):
    rng = np.random.default_rng(4)
    optimizer = ALL_OPTIMIZERS[name]()
    theta = rng.standard_normal(6)
    state = optimizer.init(theta, np.array([1.0, 1, 1, 0, 0, 1]))
    for _ in range(2):  # past the first step, where buffers start from zero
        updates, state = optimizer.update(rng.standard_normal(6), state, theta)
        apply_updates(theta, updates)
    old_state = state
    saved = copy.deepcopy(state)
    grads = rng.standard_normal(6) * 3
    grads_before, theta_before = grads.copy(), theta.copy()

    updates, new_state = optimizer.update(grads, old_state, theta)
    assert np.array_equal(grads, grads_before) and np.array_equal(theta, theta_before)
    _assert_states_equal(old_state, saved)
    # What the caller does next with the results does not reach the old state either.
    apply_updates(theta, updates)
    updates *= 2
    optimizer.update(rng.standard_normal(6), new_state, theta)
    _assert_states_equal(old_state, saved)
    # The same step from the old state gives the same result (update is a pure function).
    again, again_state = optimizer.update(grads_before, old_state, theta_before)
    assert np.array_equal(again * 2, updates)
    _assert_states_equal(again_state, new_state)


@pytest.mark.parametrize("name", sorted(set(ALL_OPTIMIZERS) - {"clip"}))
def test_updates_are_not_views_of_the_state(name):
    rng = np.random.default_rng(5)
    optimizer = ALL_OPTIMIZERS[name]()
    theta = rng.standard_normal(6)
    state = optimizer.init(theta)
    updates, state = optimizer.update(rng.standard_normal(6), state, theta)
    for array in _state_arrays(state):
        assert not np.shares_memory(updates, array)


# -- AdamW's mask, gradient clipping -----------------------------------------------------------


def test_adamw_decays_only_where_the_mask_is_one():
    rng = np.random.default_rng(6)
    theta = rng.standard_normal(7)
    mask = np.array([1.0, 0, 1, 1, 0, 0, 1])
    lr, decay = Exponential(0.1, 0.5), 0.2
    adamw = AdamW(lr, betas=(0.8, 0.9), eps=1e-6, weight_decay=decay)
    adam = Adam(lr, betas=(0.8, 0.9), eps=1e-6)
    state_w, state = adamw.init(theta, mask), adam.init(theta)
    for step in range(3):
        grads = rng.standard_normal(7)
        updates_w, state_w = adamw.update(grads, state_w, theta)
        updates, state = adam.update(grads, state, theta)
        # The difference is the decoupled decay at this step's learning rate, masked.
        expected = -0.1 * 0.5**step * decay * mask * theta
        np.testing.assert_allclose(updates_w - updates, expected, rtol=1e-12, atol=1e-15)
        assert np.array_equal(updates_w[mask == 0], updates[mask == 0])
        apply_updates(theta, updates_w)


def test_adamw_with_zero_gradient_only_decays():
    theta = np.linspace(-2, 2, 6)
    mask = np.array([1.0, 1, 1, 1, 0, 0])
    optimizer = AdamW(0.1, weight_decay=0.5)
    updates, _ = optimizer.update(np.zeros(6), optimizer.init(theta, mask), theta)
    np.testing.assert_allclose(updates, -0.1 * 0.5 * mask * theta, rtol=1e-15)
    assert np.all(updates[4:] == 0)
    # Without a mask every parameter decays (PyTorch without parameter groups).
    updates, _ = optimizer.update(np.zeros(6), optimizer.init(theta), theta)
    np.testing.assert_allclose(updates, -0.1 * 0.5 * theta, rtol=1e-15)


def test_adamw_rejects_a_mask_of_another_shape():
    with pytest.raises(ValueError, match="mask"):
        AdamW().init(np.zeros(5), np.ones(4))


def test_clip_grad_norm_clips_large_gradients_to_the_max_norm():
    rng = np.random.default_rng(8)
    clip = ClipGradNorm(1.5)
    for scale in (2.0, 10.0, 1e6):
        grads = rng.standard_normal(9)
        grads *= scale * 1.5 / np.linalg.norm(grads)
        clipped, _ = clip.update(grads, clip.init(grads), grads)
        assert np.linalg.norm(clipped) == pytest.approx(1.5, rel=1e-6)
        assert np.linalg.norm(clipped) <= 1.5
        # Same direction: a positive multiple of the gradient.
        ratio = clipped / grads
        np.testing.assert_allclose(ratio, ratio[0], rtol=1e-12)
        assert ratio[0] > 0


def test_clip_grad_norm_leaves_small_gradients_alone():
    rng = np.random.default_rng(9)
    clip = ClipGradNorm(1.5)
    for scale in (0.0, 1e-8, 0.5, 0.99):
        grads = rng.standard_normal(9)
        grads *= scale * 1.5 / np.linalg.norm(grads)
        passed, _ = clip.update(grads, clip.init(grads), grads)
        assert np.array_equal(passed, grads)


def test_chain_clips_before_the_optimizer():
    grads = np.full(4, 10.0)  # norm 20
    optimizer = chain(ClipGradNorm(2.0), SGD(0.5))
    updates, _ = optimizer.update(grads, optimizer.init(grads), np.zeros(4))
    assert np.linalg.norm(updates) == pytest.approx(0.5 * 2.0, rel=1e-6)
    assert isinstance(optimizer, Chain) and len(optimizer.transforms) == 2


def test_chain_lists_its_schedules():
    plateau, cosine = ReduceOnPlateau(0.1), Cosine(0.1, 10)
    momentum = Momentum(0.1)
    optimizer = chain(ClipGradNorm(1.0), Adam(plateau), SGD(cosine), momentum)
    # A number becomes a constant schedule, listed too.
    assert [id(s) for s in optimizer.schedules] == [id(plateau), id(cosine), id(momentum.lr)]
    assert isinstance(momentum.lr, Schedule) and momentum.lr(1000) == 0.1
    assert ClipGradNorm(1.0).schedules == []


# -- argument validation ------------------------------------------------------------------------

WITH_LR = [SGD, Momentum, Nesterov, Adagrad, RMSprop, Adam, AdamW]


@pytest.mark.parametrize("cls", WITH_LR, ids=lambda c: c.__name__)
@pytest.mark.parametrize("lr", [0, 0.0, -0.01, -1, math.nan, math.inf])
def test_non_positive_learning_rates_are_refused(cls, lr):
    with pytest.raises(ValueError, match=r"lr must be a positive number"):
        cls(lr)


@pytest.mark.parametrize("cls", WITH_LR, ids=lambda c: c.__name__)
@pytest.mark.parametrize("lr", ["0.1", None, True, [0.1]])
def test_learning_rates_of_the_wrong_type_are_refused(cls, lr):
    with pytest.raises(TypeError, match="lr"):
        cls(lr)


@pytest.mark.parametrize("cls", [Adam, AdamW])
@pytest.mark.parametrize(
    ("betas", "bad"),
    [
        ((1.0, 0.999), "beta_1"),
        ((-0.1, 0.999), "beta_1"),
        ((0.9, 1.0), "beta_2"),
        ((0.9, 1.5), "beta_2"),
        ((0.9, -1e-9), "beta_2"),
    ],
)
def test_betas_outside_the_unit_interval_are_refused(cls, betas, bad):
    with pytest.raises(ValueError, match=rf"{bad} must be in \[0, 1\)"):
        cls(0.1, betas=betas)


@pytest.mark.parametrize("betas", [0.9, (0.9,), (0.9, 0.99, 0.999), "ab", (0.9, "0.99")])
def test_betas_of_the_wrong_form_are_refused(betas):
    with pytest.raises(TypeError, match="beta"):
        Adam(0.1, betas=betas)


@pytest.mark.parametrize("cls", [Adagrad, RMSprop, Adam, AdamW])
def test_negative_eps_is_refused(cls):
    with pytest.raises(ValueError, match="eps must be >= 0"):
        cls(0.1, eps=-1e-8)
    cls(0.1, eps=0.0)  # zero is allowed (as in PyTorch)


@pytest.mark.parametrize("cls", [Momentum, Nesterov, Adagrad])
@pytest.mark.parametrize("momentum", [1.0, 1, 1.5, -0.1])
def test_momentum_outside_the_unit_interval_is_refused(cls, momentum):
    with pytest.raises(ValueError, match=r"momentum must be in \[0, 1\)"):
        cls(0.1, momentum=momentum)


def test_other_hyperparameters_are_checked():
    with pytest.raises(ValueError, match="alpha"):
        RMSprop(0.1, alpha=1.0)
    with pytest.raises(ValueError, match="weight_decay"):
        AdamW(0.1, weight_decay=-0.1)
    with pytest.raises(ValueError, match="max_norm"):
        ClipGradNorm(0)
    with pytest.raises(ValueError, match="max_norm"):
        ClipGradNorm(-1.0)
    with pytest.raises(TypeError, match="max_norm"):
        ClipGradNorm(math.nan)
    with pytest.raises(ValueError, match="at least one"):
        chain()
    with pytest.raises(TypeError, match="item 1"):
        chain(ClipGradNorm(1.0), "adam")


def test_unknown_optimizer_names_list_the_valid_ones():
    with pytest.raises(ValueError, match="adamm") as info:
        get_optimizer("adamm")
    for name in OPTIMIZER_NAMES:
        assert name in str(info.value)
    with pytest.raises(TypeError, match="optimizer must be a name"):
        get_optimizer(3)
    with pytest.raises(TypeError, match="keyword arguments"):
        get_optimizer(Adam(), lr=0.1)
    with pytest.raises(ValueError, match="lr"):
        get_optimizer("adam", lr=-0.1)


def test_get_optimizer_knows_every_name():
    expected = {
        "sgd": SGD,
        "gd": SGD,
        "momentum": Momentum,
        "nesterov": Nesterov,
        "adagrad": Adagrad,
        "rmsprop": RMSprop,
        "adam": Adam,
        "adamw": AdamW,
        "nadam": NAdam,
        "adamax": Adamax,
        "radam": RAdam,
        "sklearn_sgd": SklearnSGD,
        "sklearn_adam": SklearnAdam,
        "lbfgs": LBFGS,
    }
    assert set(OPTIMIZER_NAMES) == set(expected)
    for name, cls in expected.items():
        optimizer = get_optimizer(name)
        assert type(optimizer) is cls and isinstance(optimizer, GradientTransformation)
        kwargs = {"gtol": 1e-3} if cls.full_batch else {"lr": 0.3}  # L-BFGS has no rate
        assert type(get_optimizer(f" {name.upper()} ", **kwargs)) is cls
    assert get_optimizer("adam", lr=0.3).lr(0) == 0.3
    adam = Adam(0.2)
    assert get_optimizer(adam) is adam
    assert GD is SGD


# -- float32 ------------------------------------------------------------------------------------


@pytest.mark.parametrize("name", sorted(ALL_OPTIMIZERS))
@pytest.mark.parametrize("with_schedule", [False, True])
def test_float32_params_give_float32_updates_and_state(name, with_schedule):
    rng = np.random.default_rng(10)
    optimizer = ALL_OPTIMIZERS[name]()
    if with_schedule:
        for transform in getattr(optimizer, "transforms", (optimizer,)):
            if hasattr(transform, "lr"):
                transform.lr = Exponential(0.1, 0.9)
    theta = rng.standard_normal(6).astype(np.float32)
    state = optimizer.init(theta, np.array([1.0, 0, 1, 0, 1, 1]))  # a float64 mask
    for _ in range(3):
        grads = (10 * rng.standard_normal(6)).astype(np.float32)
        updates, state = optimizer.update(grads, state, theta)
        assert updates.dtype == np.float32
        for array in _state_arrays(state):
            assert array.dtype == np.float32
        apply_updates(theta, updates)
        assert theta.dtype == np.float32 and np.isfinite(theta).all()
    restored = state_from_arrays(state_to_arrays(state))
    for array in _state_arrays(restored):
        assert array.dtype == np.float32


def test_float32_follows_the_float64_trajectory():
    A, c, _ = _quadratic(seed=1, n=6)
    theta64 = np.zeros(6)
    theta32 = np.zeros(6, dtype=np.float32)
    A32, c32 = A.astype(np.float32), c.astype(np.float32)
    optimizer = AdamW(0.05, weight_decay=0.1)
    s64, s32 = optimizer.init(theta64), optimizer.init(theta32)
    for _ in range(50):
        u64, s64 = optimizer.update(A @ theta64 - c, s64, theta64)
        u32, s32 = optimizer.update(A32 @ theta32 - c32, s32, theta32)
        apply_updates(theta64, u64)
        apply_updates(theta32, u32)
    np.testing.assert_allclose(theta32, theta64, rtol=1e-4, atol=1e-5)


def test_with_values_gives_a_copy_with_one_value_per_network():
    """The stacks' way to give hyperparameters (no patching): a copy, the values as given
    (columns over K networks, a rate function of the step), the original untouched; the
    step of the copy is each network's own step, row by row."""
    from ffnn.optim.optimizers import Adam

    rng = np.random.default_rng(0)
    params, grads = rng.standard_normal((3, 5)), rng.standard_normal((3, 5))
    alone = [Adam(lr, betas=(b1, 0.999)) for lr, b1 in ((0.1, 0.9), (0.01, 0.8), (0.2, 0.5))]
    first = alone[0]
    stacked = first.with_values(lr=lambda step: np.array([[0.1], [0.01], [0.2]]),
                                betas=(np.array([[0.9], [0.8], [0.5]]), 0.999))
    assert first.betas == (0.9, 0.999) and first.lr(0) == 0.1  # unchanged
    updates, _ = stacked.update(grads, first.init(params), params)
    for k, opt in enumerate(alone):
        expected, _ = opt.update(grads[k], opt.init(params[k]), params[k])
        np.testing.assert_allclose(updates[k], expected, rtol=1e-15)
    with pytest.raises(ValueError, match="Adam has no hyperparameter 'momentum'"):
        first.with_values(momentum=0.5)
