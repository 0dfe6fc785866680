"""The array namespace that the built-ins' formulas are written against.

Every built-in formula (an activation's ``forward``/``derivative``/``backward``, a loss's
per-sample costs and gradients, a penalty, an optimizer's ``transform``) takes ``xp``: NumPy
(the default: the readable reference and the NumPy engine) or ``jax.numpy`` (the JAX engine
traces the same text under ``jax.jit``), in the style of scikit-learn's Array API support.
The two share almost every name; what they do not share is here.
"""

from __future__ import annotations

import numpy as np

__all__ = ["erf", "as_dtype"]


def erf(x, xp=np):
    """The error function in ``xp``: SciPy's for NumPy (imported on first use, so that
    ``import ffnn`` does not import SciPy), JAX's for ``jax.numpy``."""
    if xp is np:
        from scipy.special import erf as scipy_erf

        return scipy_erf(x)
    from jax.scipy.special import erf as jax_erf

    return jax_erf(x)


def as_dtype(value, dtype, xp=np):
    """A scalar in ``dtype``: what NumPy does with a Python float next to an array of that
    dtype (it is rounded to it first), said explicitly so that a traced float64 scalar does
    not promote a float32 array under JAX. A Python number stays as it is for NumPy."""
    if xp is np and isinstance(value, (int, float)):
        return value
    return xp.asarray(value, dtype=dtype)
