import math
import os
import signal

import pytest
from hypothesis import HealthCheck, settings

# CI draws the same examples every run (derandomized); locally each run explores new ones.
settings.register_profile(
    "ci",
    derandomize=True,
    max_examples=150,
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow],
)
settings.register_profile("dev", max_examples=150, deadline=None)
settings.register_profile("hunt", max_examples=5000, deadline=None)  # a long search, by hand
settings.load_profile(os.environ.get("HYPOTHESIS_PROFILE", "ci" if os.environ.get("CI") else "dev"))


@pytest.fixture(autouse=True)
def _sigint_raises():
    """Ctrl-C raises KeyboardInterrupt in every test, as in a terminal, also where pytest was
    started in the background (a shell starts background jobs with SIGINT ignored, and the
    tests that send themselves SIGINT would then wait for an interrupt that never comes)."""
    ignored = signal.getsignal(signal.SIGINT) is signal.SIG_IGN
    if ignored:
        signal.signal(signal.SIGINT, signal.default_int_handler)
    yield
    if ignored:
        signal.signal(signal.SIGINT, signal.SIG_IGN)


@pytest.fixture(autouse=True)
def _auto_takes_numpy(request, monkeypatch):
    """``engine="auto"`` takes the NumPy engine in the suite, unless a test is marked
    ``auto_jax``: JAX compiles a program per configuration (~1 s each on this machine), and
    the thousands of fits that check the library's behaviour around training would spend
    most of the suite's time compiling. The NumPy engine is the reference those tests check;
    the JAX engine is checked against it in tests/test_jax_engine.py (and "auto" taking it,
    under the mark)."""
    if request.node.get_closest_marker("auto_jax") is None:
        monkeypatch.setattr("ffnn.training.paths.AUTO_JAX_AFTER", math.inf)
    else:  # the mark: "auto" takes JAX whatever the size of the fit
        monkeypatch.setattr("ffnn.training.paths.AUTO_JAX_AFTER", 0.0)
