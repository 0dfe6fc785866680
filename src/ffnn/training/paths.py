"""Which path trains a fit, and why: the one place that decides.

Two paths train a network: the NumPy engine (:mod:`ffnn.backends.numpy_engine`, the reference, every
configuration, sparse ``X`` included) and the JAX engine (:mod:`ffnn.backends.jax_engine`: the same
formulas compiled whole by XLA, for the built-ins). :func:`choose` decides for
:class:`~ffnn.Trainer` (so for :func:`ffnn.train`, the estimators and the command line) and
:func:`check_engine` reads what a caller asked for; the stacked trainer and sweeps ask the
same function (:func:`jax_reason`).
"""

from __future__ import annotations

import math
import os
import warnings

from ..core.validation import is_sparse, missing, warn_caller

__all__ = ["ENGINES", "AUTO_JAX_AFTER", "FallbackWarning", "check_engine", "check_device",
           "choose", "jax_reason", "numpy_seconds", "worth_compiling"]

#: What ``engine=`` accepts.
ENGINES = ("auto", "numpy", "jax")
#: The names of the numba paths that the JAX engine replaced: read as "jax", with a warning.
RETIRED = ("compiled", "parallel")
#: ``engine="auto"`` takes JAX for a fit that the NumPy engine would need longer than this
#: many seconds for (:func:`numpy_seconds`): a shorter fit is over on NumPy before XLA has
#: compiled its program (once per configuration and process; the figures are in
#: benchmarks/README.md, "Figures behind the code's choices"). The choice depends on the
#: fit only, never on what this process compiled before, so that the same fit takes the
#: same engine everywhere (in a notebook, a sweep's worker, a test). 0: always JAX;
#: ``math.inf``: never (the test suite's default, tests/conftest.py). The environment
#: variable ``FFNN_AUTO_JAX_AFTER`` sets it when ffnn is imported (so in a sweep's worker
#: processes too).
AUTO_JAX_AFTER = 1.5
#: The NumPy engine's cost model, fitted to measured fits from iris to MNIST-sized layers
#: (benchmarks/README.md): seconds a step, seconds a step per layer (NumPy's calls), and the
#: rate of the products in flop/s.
STEP_SECONDS, LAYER_SECONDS, FLOP_RATE = 40e-6, 70e-6, 4e10


def _from_environment(default: float) -> float:
    text = os.environ.get("FFNN_AUTO_JAX_AFTER", "").strip()
    if not text:
        return default
    try:
        value = float(text)
    except ValueError:
        value = math.nan
    if not value >= 0:
        warnings.warn(f"FFNN_AUTO_JAX_AFTER must be a number of seconds >= 0 (or inf), got "
                      f"{text!r}; using {default:g}", stacklevel=2)
        return default
    return value


AUTO_JAX_AFTER = _from_environment(AUTO_JAX_AFTER)


class FallbackWarning(UserWarning):
    """Kept for code that filters it: ``engine="auto"`` no longer warns when it runs the
    NumPy engine (the NumPy engine trains every configuration, so nothing is for the user
    to act on); ``History.engine_reason`` says why JAX was not taken, and an explicit
    ``engine="jax"`` that cannot run is an error."""


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
    from ..backends import jax_engine

    return jax_engine.unsupported(trainer, X)


def numpy_seconds(network, n_samples: int, batch_size: int | None, epochs: int,
                  runs: int = 1) -> float:
    """About how long the NumPy engine takes to train ``network`` (``runs`` of them at once:
    a stack) for ``epochs`` epochs of ``n_samples`` in mini-batches of ``batch_size`` (None:
    full batch): ``epochs × ⌈n / batch⌉`` steps, each :data:`STEP_SECONDS` plus
    :data:`LAYER_SECONDS` a layer, plus its products, ``6 × batch × parameters × runs``
    flops (forward and backward), at :data:`FLOP_RATE`."""
    batch = n_samples if batch_size is None else max(1, min(batch_size, n_samples))
    steps = epochs * -(-n_samples // batch)
    per_step = STEP_SECONDS + LAYER_SECONDS * len(network.layer_output_sizes)
    return steps * per_step + 6.0 * epochs * n_samples * network.params.size * runs / FLOP_RATE


def worth_compiling(network, n_samples: int, batch_size: int | None, epochs: int,
                    runs: int = 1) -> str | None:
    """None when ``engine="auto"`` takes JAX for this fit (the NumPy engine would need over
    :data:`AUTO_JAX_AFTER` seconds), else why not."""
    seconds = numpy_seconds(network, n_samples, batch_size, epochs, runs)
    if seconds > AUTO_JAX_AFTER:
        return None
    return (f"a short fit: about {seconds:.2g} s on NumPy, under ffnn.paths.AUTO_JAX_AFTER = "
            f"{AUTO_JAX_AFTER:g} s, what compiling a JAX program may take")


def choose(trainer, X, epochs: int = 1) -> tuple[str, str]:
    """``(path, reason)``: ``"jax"`` or ``"numpy"`` for ``trainer.engine`` on ``X`` for
    ``epochs`` epochs, and why not JAX when it is not ("" when it is).

    ``engine="jax"`` refuses (ImportError without JAX, ValueError with the reason) a fit it
    cannot run; ``"auto"`` takes JAX when it is installed, runs the fit and the fit is long
    enough to pay for compiling (:func:`worth_compiling`), else NumPy, without a warning:
    the reason comes back (``History.engine`` and ``History.engine_reason``, an estimator's
    ``engine_``/``engine_reason_``, the verbose header).
    """
    if trainer.engine == "numpy":
        return "numpy", "engine='numpy' was asked for"
    reason = jax_reason(trainer, X)
    if reason is None:
        if trainer.engine == "jax":
            return "jax", ""
        if is_sparse(X):  # measured in benchmarks/README.md ("Sparse input")
            return "numpy", ("X is sparse: the NumPy engine multiplies its stored values "
                             "only, where JAX densifies each batch (engine='jax' does)")
        short = worth_compiling(trainer.network, X.shape[0], trainer.batch_size, epochs)
        return ("jax", "") if short is None else ("numpy", short)
    if trainer.engine == "jax":
        refuse_jax(reason, "engine='jax'", "run this fit", "engine='numpy' or 'auto'")
    # "auto" promised the right engine, not JAX: the NumPy engine trains every configuration
    # to the same numbers, so there is nothing for the user to act on and nothing to warn of
    # (History.engine_reason and verbose output say it).
    return "numpy", reason


def refuse_jax(reason: str | None, asked: str, what: str, instead: str) -> None:
    """Raise what ``asked`` (``"engine='jax'"``, ``"--engine jax"``) gets when the JAX engine
    cannot ``what`` for ``reason`` (:func:`jax_reason`): JAX not installed is an
    ImportError naming the extra to install, anything else a ValueError that says
    ``instead``; nothing when ``reason`` is None."""
    from ..backends.jax_engine import NO_JAX

    if reason is None:
        return
    if reason.startswith(NO_JAX):
        raise missing("jax", asked, "JAX")
    raise ValueError(f"{asked} cannot {what}: {reason}; use {instead}")
