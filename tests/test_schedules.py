"""Learning-rate schedules: formulas, warm-up, plateaus, their state, use inside optimizers."""

from __future__ import annotations

import io
import itertools
import json
import math

import numpy as np
import pytest

from ffnn.optim.optimizers import (
    SGD,
    Adam,
    Momentum,
    apply_updates,
    state_from_arrays,
    state_to_arrays,
)
from ffnn.optim.schedules import (
    Constant,
    Cosine,
    Exponential,
    InverseTime,
    ReduceOnPlateau,
    Schedule,
    StepDecay,
    Warmup,
    as_schedule,
)

STEPS = [0, 1, 2, 7, 50, 999]


# -- formulas -------------------------------------------------------------------------------


@pytest.mark.parametrize("lr", [1e-4, 0.3, 2.0])
def test_constant(lr):
    schedule = Constant(lr)
    assert all(schedule(step) == lr for step in STEPS)
    assert as_schedule(lr) == schedule
    assert as_schedule(schedule) is schedule


@pytest.mark.parametrize(("t0", "t1"), [(5.0, 50.0), (1.0, 10.0), (0.3, 2.5)])
def test_inverse_time(t0, t1):
    schedule = InverseTime(t0, t1)
    for step in STEPS:
        assert schedule(step) == pytest.approx(t0 / (step + t1), rel=1e-15)
    assert schedule(0) == pytest.approx(t0 / t1, rel=1e-15)


def test_inverse_time_defaults_are_the_course_schedule():
    assert InverseTime()(0) == pytest.approx(5 / 50, rel=1e-15)
    assert InverseTime()(100) == pytest.approx(5 / 150, rel=1e-15)


@pytest.mark.parametrize(("lr", "gamma"), [(0.1, 0.999), (1.0, 0.5), (0.02, 1.0)])
def test_exponential(lr, gamma):
    schedule = Exponential(lr, gamma)
    for step in STEPS:
        assert schedule(step) == pytest.approx(lr * math.exp(step * math.log(gamma)), rel=1e-12)


@pytest.mark.parametrize(("step_size", "gamma"), [(1, 0.5), (3, 0.1), (10, 0.9)])
def test_step_decay_drops_exactly_at_multiples_of_step_size(step_size, gamma):
    lr = 0.4
    schedule = StepDecay(lr, step_size, gamma)
    for drops in range(4):
        first, last = drops * step_size, (drops + 1) * step_size - 1
        expected = lr * gamma**drops
        assert schedule(first) == pytest.approx(expected, rel=1e-14)
        assert schedule(last) == pytest.approx(expected, rel=1e-14)
        if first > 0:
            assert schedule(first - 1) == pytest.approx(expected / gamma, rel=1e-14)


@pytest.mark.parametrize(
    ("lr", "lr_min", "total"), [(0.1, 0.0, 100), (1.0, 0.05, 7), (0.3, 0.3, 5)]
)
def test_cosine(lr, lr_min, total):
    schedule = Cosine(lr, total, lr_min)
    assert schedule(0) == pytest.approx(lr, rel=1e-15)
    for step in range(total + 1):
        half_cosine = (1 + math.cos(math.pi * step / total)) / 2
        assert schedule(step) == pytest.approx(lr_min + (lr - lr_min) * half_cosine, abs=1e-15)
    assert schedule(total) == pytest.approx(lr_min, abs=1e-15)
    for step in (total + 1, 2 * total, 10**6):
        assert schedule(step) == schedule(total)  # stays at the end value
    values = [schedule(step) for step in range(total + 1)]
    assert all(a >= b for a, b in itertools.pairwise(values))


def test_cosine_midpoint_is_the_mean():
    assert Cosine(0.8, 10, 0.2)(5) == pytest.approx(0.5, rel=1e-14)


@pytest.mark.parametrize("start", [0.0, 0.1, 0.5, 1.0])
@pytest.mark.parametrize("after", [0.2, Exponential(0.2, 0.9), Cosine(0.2, 30, 0.01)])
def test_warmup_ramps_linearly_then_hands_over(start, after):
    warmup_steps = 8
    schedule = Warmup(after, warmup_steps, start)
    inner = as_schedule(after)
    peak = inner(0)
    ramp = [schedule(step) for step in range(warmup_steps)]
    assert ramp[0] == pytest.approx(start * peak, abs=1e-15)
    # Equal increments, and the ramp continued one step lands on the inner schedule's start.
    increments = np.diff(ramp + [peak])
    np.testing.assert_allclose(increments, (1 - start) * peak / warmup_steps, atol=1e-15)
    for step in range(warmup_steps):
        expected = peak * (start + (1 - start) * step / warmup_steps)
        assert schedule(step) == pytest.approx(expected, abs=1e-15)
    for step in (warmup_steps, warmup_steps + 1, warmup_steps + 25, 10**4):
        assert schedule(step) == inner(step - warmup_steps)


def test_warmup_passes_reports_and_state_to_the_inner_schedule():
    plateau = ReduceOnPlateau(0.1, factor=0.5, patience=2)
    schedule = Warmup(plateau, 3)
    for loss in (1.0, 1.0, 1.0):
        schedule.report(loss)
    assert plateau(0) == pytest.approx(0.05)
    assert schedule(100) == pytest.approx(0.05)
    copy_ = Warmup(ReduceOnPlateau(0.1, factor=0.5, patience=2), 3)
    copy_.load_state_dict(schedule.state_dict())
    assert copy_(100) == schedule(100)
    assert schedule.state_dict() == plateau.state_dict()


# -- ReduceOnPlateau --------------------------------------------------------------------------


@pytest.mark.parametrize("patience", [1, 2, 5])
def test_reduce_on_plateau_reduces_after_patience_bad_reports(patience):
    lr, factor = 0.4, 0.5
    schedule = ReduceOnPlateau(lr, factor=factor, patience=patience)
    schedule.report(10.0)  # the first report sets the best
    expected = lr
    for _round in range(3):
        for _ in range(patience - 1):
            schedule.report(10.0)
            assert schedule(0) == pytest.approx(expected)
        schedule.report(10.0)  # the patience-th non-improving report
        expected *= factor
        assert schedule(0) == pytest.approx(expected)
        assert schedule(12345) == schedule(0)  # does not depend on the step


def test_reduce_on_plateau_improvement_restarts_the_count():
    schedule = ReduceOnPlateau(1.0, factor=0.1, patience=3, threshold=0.01)
    for loss in (5.0, 6.0, 5.0, 4.0, 4.0, 4.0):  # improvement at 4.0 resets the count
        schedule.report(loss)
    assert schedule(0) == 1.0
    # An improvement smaller than the relative threshold does not count.
    schedule.report(4.0 * (1 - 0.005))
    assert schedule(0) == pytest.approx(0.1)
    schedule.report(4.0 * (1 - 0.02))  # a real improvement
    schedule.report(10.0)
    schedule.report(10.0)
    assert schedule(0) == pytest.approx(0.1)


def test_reduce_on_plateau_nan_is_not_an_improvement():
    schedule = ReduceOnPlateau(1.0, factor=0.5, patience=2)
    schedule.report(1.0)
    schedule.report(math.nan)
    schedule.report(math.nan)
    assert schedule(0) == pytest.approx(0.5)


def test_reduce_on_plateau_respects_min_lr():
    schedule = ReduceOnPlateau(1.0, factor=0.1, patience=1, min_lr=0.05)
    values = []
    for _ in range(5):
        schedule.report(3.0)
        values.append(schedule(0))
    # the first report is an improvement (from inf), then each one reduces
    expected = [1.0]
    for _ in range(4):
        expected.append(max(expected[-1] * 0.1, 0.05))
    assert values == pytest.approx(expected)
    assert values[-1] == 0.05 and min(values) == 0.05


def test_reduce_on_plateau_never_raises_the_rate():
    """``min_lr`` above ``lr`` must not turn a reduction into an increase."""
    try:
        schedule = ReduceOnPlateau(0.01, factor=0.5, patience=1, min_lr=0.1)
    except ValueError as error:  # refusing the combination is fine too
        assert "min_lr" in str(error)
        return
    for loss in (1.0, 1.0, 1.0):
        schedule.report(loss)
        assert schedule(0) <= 0.01


def _report_all(schedule, losses):
    return [(schedule.report(loss), schedule(0))[1] for loss in losses]


@pytest.mark.parametrize("via", ["dict", "json", "npz"])
def test_reduce_on_plateau_state_dict_round_trips(via):
    rng = np.random.default_rng(0)
    losses = list(np.maximum.accumulate(rng.uniform(0, 1, 40))[::-1] + rng.uniform(0, 0.05, 40))
    kwargs = {"lr": 0.5, "factor": 0.3, "patience": 3, "threshold": 1e-3, "min_lr": 1e-3}
    original = ReduceOnPlateau(**kwargs)
    _report_all(original, losses[:17])
    state = original.state_dict()
    if via == "json":
        state = json.loads(json.dumps(state))
    elif via == "npz":
        buffer = io.BytesIO()
        np.savez(buffer, **state)
        buffer.seek(0)
        with np.load(buffer) as arrays:
            state = dict(arrays)
    resumed = ReduceOnPlateau(**kwargs)
    resumed.load_state_dict(state)
    assert resumed(0) == original(0)
    assert resumed == original
    assert _report_all(resumed, losses[17:]) == _report_all(original, losses[17:])
    # The tail changed the rate, so the state carried something.
    assert original(0) < 0.5


def test_reduce_on_plateau_state_dict_before_any_report():
    fresh = ReduceOnPlateau(0.1, patience=2)
    other = ReduceOnPlateau(0.1, patience=2)
    other.load_state_dict(fresh.state_dict())
    assert _report_all(other, [3.0, 3.0, 3.0]) == _report_all(fresh, [3.0, 3.0, 3.0])


def test_pure_schedules_have_no_state_and_ignore_reports():
    for schedule in (Constant(0.1), Exponential(0.1, 0.9), Cosine(0.1, 10), StepDecay(0.1, 2)):
        before = [schedule(step) for step in STEPS]
        schedule.report(1.0)
        schedule.report(2.0)
        assert [schedule(step) for step in STEPS] == before
        assert schedule.state_dict() == {}


# -- schedules inside optimizers ----------------------------------------------------------------


def test_sgd_evaluates_the_schedule_at_its_step_count():
    lr, gamma = 0.2, 0.7
    optimizer = SGD(Exponential(lr, gamma))
    grads = np.array([1.0, -2.0, 0.5])
    theta = np.zeros(3)
    state = optimizer.init(theta)
    for step in range(6):
        updates, state = optimizer.update(grads, state, theta)
        np.testing.assert_allclose(updates, -lr * gamma**step * grads, rtol=1e-14)
        apply_updates(theta, updates)
    # The parameters moved by the sum of the rates.
    total = lr * (1 - gamma**6) / (1 - gamma)
    np.testing.assert_allclose(theta, -total * grads, rtol=1e-13)


def test_restored_state_continues_the_schedule():
    optimizer = Momentum(StepDecay(0.1, step_size=2, gamma=0.5), momentum=0.5)
    theta = np.ones(2)
    state = optimizer.init(theta)
    for _ in range(3):
        _, state = optimizer.update(np.ones(2), state, theta)
    restored = state_from_arrays(state_to_arrays(state))
    assert restored["step"] == 3
    u_restored, _ = optimizer.update(np.zeros(2), restored, theta)
    # Step 3 uses lr(3) = 0.05 on the velocity 0.5 b.
    np.testing.assert_allclose(u_restored, -0.05 * 0.5 * state["velocity"], rtol=1e-14)


def test_adam_scales_its_step_by_the_scheduled_rate():
    rng = np.random.default_rng(1)
    scheduled = Adam(Exponential(0.3, 0.5))
    theta = rng.standard_normal(4)
    state = scheduled.init(theta)
    for step in range(4):
        grads = rng.standard_normal(4)
        constant = Adam(0.3 * 0.5**step)  # the same state, with this step's rate fixed
        expected, _ = constant.update(grads, state, theta)
        updates, state = scheduled.update(grads, state, theta)
        np.testing.assert_allclose(updates, expected, rtol=1e-14)


def test_reduce_on_plateau_as_an_optimizer_rate():
    schedule = ReduceOnPlateau(0.1, factor=0.5, patience=1)
    optimizer = SGD(schedule)
    theta, grads = np.zeros(2), np.ones(2)
    state = optimizer.init(theta)
    first, state = optimizer.update(grads, state, theta)
    schedule.report(1.0)
    schedule.report(1.0)  # one non-improving epoch: halve
    second, state = optimizer.update(grads, state, theta)
    np.testing.assert_allclose(second, first / 2, rtol=1e-15)


# -- validation ---------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("make", "name"),
    [
        (lambda: Constant(0), "lr"),
        (lambda: Constant(-0.1), "lr"),
        (lambda: InverseTime(t0=0), "t0"),
        (lambda: InverseTime(t1=-1), "t1"),
        (lambda: Exponential(0.1, gamma=0), "gamma"),
        (lambda: Exponential(0.1, gamma=1.5), "gamma"),
        (lambda: Exponential(-0.1), "lr"),
        (lambda: StepDecay(0.1, step_size=0), "step_size"),
        (lambda: StepDecay(0.1, step_size=2.5), "step_size"),
        (lambda: StepDecay(0.1, step_size=3, gamma=2.0), "gamma"),
        (lambda: Cosine(0.1, total_steps=0), "total_steps"),
        (lambda: Cosine(0.1, 10, lr_min=0.2), "lr_min"),
        (lambda: Cosine(0.1, 10, lr_min=-0.01), "lr_min"),
        (lambda: Warmup(0.1, warmup_steps=0), "warmup_steps"),
        (lambda: Warmup(0.1, 5, start=1.5), "start"),
        (lambda: Warmup(0.1, 5, start=-0.1), "start"),
        (lambda: Warmup(0, 5), "after"),
        (lambda: ReduceOnPlateau(0.1, factor=1.0), "factor"),
        (lambda: ReduceOnPlateau(0.1, factor=0.0), "factor"),
        (lambda: ReduceOnPlateau(0.1, patience=0), "patience"),
        (lambda: ReduceOnPlateau(0.1, threshold=-1e-4), "threshold"),
        (lambda: ReduceOnPlateau(0.1, min_lr=-1.0), "min_lr"),
        (lambda: as_schedule(0.0), "lr"),
        (lambda: as_schedule(-3), "lr"),
        (lambda: as_schedule(math.inf), "lr"),
    ],
)
def test_invalid_arguments_are_refused_with_their_name(make, name):
    with pytest.raises(ValueError, match=name):
        make()


@pytest.mark.parametrize("value", ["0.1", None, True, [0.1], math.nan])
def test_rates_of_the_wrong_type_are_refused(value):
    with pytest.raises((TypeError, ValueError), match="lr"):
        as_schedule(value)
    with pytest.raises((TypeError, ValueError), match="lr"):
        Exponential(value)


def test_base_schedule_is_abstract():
    with pytest.raises(NotImplementedError):
        Schedule()(0)
