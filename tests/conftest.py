import os

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
