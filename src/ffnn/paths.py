"""Which path trains a fit, and why: the one place that decides.

Two paths train a network: the NumPy engine (:mod:`ffnn.engine`, the reference, every
configuration, sparse ``X`` included) and the JAX engine (:mod:`ffnn.jax_engine`: the same
formulas compiled whole by XLA, for the built-ins). :func:`choose` decides for
:class:`~ffnn.Trainer` (so for :func:`ffnn.train`, the estimators and the command line) and
:func:`check_engine` reads what a caller asked for; the stacked trainer and sweeps ask the
same function (:func:`jax_reason`).
"""

from __future__ import annotations

from ._validation import is_sparse, warn_caller

__all__ = ["ENGINES", "AUTO_JAX", "FallbackWarning", "check_engine", "check_device", "choose",
           "jax_reason"]

#: What ``engine=`` accepts.
ENGINES = ("auto", "numpy", "jax")
#: The names of the numba paths that the JAX engine replaced: read as "jax", with a warning.
RETIRED = ("compiled", "parallel")
#: Whether ``engine="auto"`` takes JAX when it is installed and runs the fit. The test suite
#: turns it off where it checks the NumPy engine under "auto" (tests/conftest.py).
AUTO_JAX = True


class FallbackWarning(UserWarning):
    """``engine="auto"`` could not take the JAX engine for this fit's configuration (a custom
    activation, loss or optimizer, a callback that listens to batches) and runs the NumPy
    engine instead (``History.engine_reason`` says why)."""


def check_engine(engine, choices: tuple[str, ...] = ENGINES, name: str = "engine") -> str:
    """``engine`` checked against ``choices``; the retired numba names read as ``"jax"``."""
    if engine in RETIRED and "jax" in choices:
        warn_caller(f"{name}={engine!r} (the numba path) is now {name}='jax', the compiled "
                    "JAX engine", FutureWarning)
        return "jax"
    if engine not in choices:
        raise ValueError(f"{name} must be one of {', '.join(map(repr, choices))}, got "
                         f"{engine!r}")
    return engine


def check_device(device, name: str = "device"):
    """``device`` as given when it is None, ``"cpu"``, ``"gpu"`` or a JAX device (an object
    with a ``platform``); which devices exist is asked of JAX when a fit starts."""
    if device is None or device in ("cpu", "gpu") or hasattr(device, "platform"):
        return device
    raise ValueError(f"{name} must be 'cpu', 'gpu', a jax.Device or None, got {device!r}")


def jax_reason(trainer, X) -> str | None:
    """Why the JAX engine cannot run ``trainer``'s fit on ``X``, or None."""
    from . import jax_engine

    return jax_engine.unsupported(trainer, X)


def choose(trainer, X) -> tuple[str, str]:
    """``(path, reason)``: ``"jax"`` or ``"numpy"`` for ``trainer.engine`` on ``X``, and why
    not JAX when it is not ("" when it is).

    ``engine="jax"`` refuses (ImportError without JAX, ValueError with the reason) a fit it
    cannot run; ``"auto"`` takes JAX when it is installed and runs the fit, else NumPy,
    warning (:class:`FallbackWarning`) when JAX is there but the configuration keeps it off
    (nothing to say on a light install or for sparse ``X``).
    """
    if trainer.engine == "numpy":
        return "numpy", "engine='numpy' was asked for"
    reason = jax_reason(trainer, X)
    if reason is None:
        if trainer.engine == "jax" or AUTO_JAX:
            return "jax", ""
        return "numpy", "engine='auto' takes NumPy here (ffnn.paths.AUTO_JAX is off)"
    from .jax_engine import NO_JAX

    if trainer.engine == "jax":
        if reason == NO_JAX:
            raise ImportError("engine='jax' needs JAX, which is not installed: pip install "
                              "'ffnn[fast]'")
        raise ValueError(f"engine='jax' cannot run this fit: {reason}; use engine='numpy' "
                         "or 'auto'")
    if reason != NO_JAX and not is_sparse(X):
        warn_caller(f"engine='auto' runs the NumPy engine: {reason}", FallbackWarning)
    return "numpy", reason
