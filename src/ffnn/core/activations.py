"""Activation functions with their vector-Jacobian products.

A layer computes ``z = a_prev @ W + b`` and ``a = f(z)``. Backpropagation needs, for each
layer, ``dC_dz`` from ``dC_da``: the vector-Jacobian product of ``f``. For an elementwise
``f`` that is ``dC_da * f'(z)``; for softmax, whose Jacobian is full, it is
``a * (dC_da - sum(dC_da * a))`` row by row. Every activation here offers

- ``forward(z)``: ``a``, same shape and dtype as ``z``;
- ``backward(z, a, dC_da)``: ``dC_dz``, the vector-Jacobian product;
- ``derivative(z, a)``: ``da_dz`` elementwise (elementwise activations only);
- ``reference(z)``: the same function written with ``autograd.numpy``, the independent
  oracle that :func:`ffnn.core.gradcheck` differentiates.

Anywhere an activation is expected, a name (``"relu"``), an object (``LeakyReLU(0.2)``) or a
pair ``(f, f_prime)`` as in the course notebook is accepted; see :func:`get_activation`.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import Any

import numpy as np

from .autodiff import anp, asp
from .registry import Component, Registry
from .validation import check_pair, is_function_pair, is_real
from .xp import erf

__all__ = [
    "Activation",
    "Identity",
    "Sigmoid",
    "Tanh",
    "ReLU",
    "LeakyReLU",
    "ELU",
    "Softplus",
    "SiLU",
    "GELU",
    "Mish",
    "SELU",
    "Exp",
    "Softmax",
    "FunctionActivation",
    "identity",
    "sigmoid",
    "tanh",
    "relu",
    "leaky_relu",
    "elu",
    "softplus",
    "silu",
    "gelu",
    "mish",
    "selu",
    "exp",
    "softmax",
    "get_activation",
    "is_single_activation",
    "ACTIVATIONS",
    "ACTIVATION_NAMES",
    "ActivationLike",
]


#: The built-in activations (see :mod:`ffnn.core.registry`).
ACTIVATIONS = Registry("activation")


class Activation(Component):
    """Base class of activations.

    Subclass it and implement ``forward`` and ``derivative`` for an elementwise function, or
    ``forward`` and ``backward`` (and set ``elementwise = False``) for one that mixes a row.
    Write ``forward`` with ``autograd.numpy`` (or override ``reference``) so that
    :func:`ffnn.core.gradcheck` can differentiate it.

    Attributes
    ----------
    name : str
        Short name, used in messages and tables.
    elementwise : bool
        Whether ``a[i]`` depends on ``z[i]`` only, so that ``derivative`` exists.
    outputs_probabilities : bool
        Whether every output lies in (0, 1), so the cross-entropies may follow it.
    outputs_distribution : bool
        Whether each row of outputs sums to one (softmax), as the cross-entropy needs.
    min_outputs : int
        The fewest outputs with which it can learn as an output layer (a softmax over one
        output is always 1: two).
    kinks : tuple of float
        Points where ``f`` is not smooth (its derivative, or a higher one, jumps): finite
        differences whose stencil straddles one lose their accuracy.
    sklearn : str or None
        scikit-learn's MLP name for it as a hidden activation (None: its MLP has none).
    torch : str or None
        The ``torch.nn`` module computing it (None: none does); ``torch_params`` maps its
        parameters to the module's arguments, ``torch_fixed`` gives module arguments that
        must hold these values (checked when reading a module).
    """

    name: str = "activation"
    elementwise: bool = True
    outputs_probabilities: bool = False
    outputs_distribution: bool = False
    min_outputs: int = 1
    kinks: tuple[float, ...] = ()
    sklearn: str | None = None
    torch: str | None = None
    torch_params: Mapping[str, str] = {}
    torch_fixed: Mapping[str, Any] = {}

    def forward(self, z: np.ndarray, xp=np) -> np.ndarray:
        """Return ``a = f(z)`` (``xp``: the array namespace, see :mod:`ffnn.core.xp`)."""
        raise NotImplementedError(f"{type(self).__name__} must implement forward(z)")

    def derivative(self, z: np.ndarray, a: np.ndarray, xp=np) -> np.ndarray:
        """Return ``da_dz = f'(z)`` elementwise, given ``z`` and ``a = f(z)``."""
        raise NotImplementedError(
            f"{type(self).__name__} must implement derivative(z, a) or backward(z, a, dC_da)"
        )

    def backward(self, z: np.ndarray, a: np.ndarray, dC_da: np.ndarray, xp=np) -> np.ndarray:
        """Return ``dC_dz``, the vector-Jacobian product ``dC_da · da/dz``."""
        # A user's subclass may define derivative(z, a) without the namespace (NumPy only).
        return dC_da * (self.derivative(z, a) if xp is np else self.derivative(z, a, xp))

    def reference(self, z):
        """The same function, traceable by autograd (defaults to ``forward``)."""
        return self.forward(z)

    # The training engine's in-place forms: the same operations in the same order as
    # ``forward``/``backward`` (so the same bits), written into ``out``. The defaults copy.

    def forward_into(self, z: np.ndarray, out: np.ndarray) -> np.ndarray:
        """``forward(z)`` written into ``out`` (which may be ``z`` for identity)."""
        out[...] = self.forward(z)
        return out

    def backward_into(self, z: np.ndarray, a: np.ndarray, dC_da: np.ndarray,
                      out: np.ndarray) -> np.ndarray:
        """``backward(z, a, dC_da)`` written into ``out``."""
        out[...] = self.backward(z, a, dC_da)
        return out

    def __call__(self, z: np.ndarray) -> np.ndarray:
        return self.forward(z)

    def __repr__(self) -> str:
        params = ", ".join(f"{k}={v!r}" for k, v in vars(self).items())
        return f"{type(self).__name__}({params})"

    def __eq__(self, other) -> bool:
        return type(self) is type(other) and vars(self) == vars(other)

    def __hash__(self) -> int:
        return hash((type(self), tuple(sorted(vars(self).items()))))


def _one_plus_exp_neg_into(z: np.ndarray, out: np.ndarray) -> np.ndarray:
    """``1 + exp(-z)`` into ``out``, the denominator of the sigmoid (and of softplus' slope
    and SiLU); ``exp(-z)`` overflowing to inf for very negative ``z`` is expected."""
    np.negative(z, out=out)
    with np.errstate(over="ignore"):
        np.exp(out, out=out)
    out += 1
    return out


def _one(z: np.ndarray):
    """1 in the dtype of ``z``: keeps float32 results float32 inside ``np.where``."""
    return z.dtype.type(1)


@ACTIVATIONS.register
class Identity(Activation):
    """``f(z) = z``, ``f'(z) = 1``: the output of a regression network."""

    name = "identity"
    aliases = ("linear",)
    sklearn = "identity"
    torch = "Identity"

    def forward(self, z, xp=np):
        return z

    def derivative(self, z, a, xp=np):
        return xp.ones_like(z)

    def backward(self, z, a, dC_da, xp=np):
        return dC_da

    def forward_into(self, z, out):
        if out is not z:
            np.copyto(out, z)
        return out

    def backward_into(self, z, a, dC_da, out):
        if out is not dC_da:
            np.copyto(out, dC_da)
        return out

    def reference(self, z):
        return z


@ACTIVATIONS.register
class Sigmoid(Activation):
    """``f(z) = 1 / (1 + exp(-z))``, ``f'(z) = f(z) (1 - f(z))``.

    Computed as written, with NumPy's vectorised ``exp`` (faster than
    :func:`scipy.special.expit`, the same values to an ulp): for very negative ``z``,
    ``exp(-z)`` overflows to inf and the result is exactly 0 (the overflow is expected and
    not reported); both tails keep their relative accuracy.
    """

    name = "sigmoid"
    aliases = ("logistic",)  # scikit-learn's name
    outputs_probabilities = True
    sklearn = "logistic"
    torch = "Sigmoid"

    def forward(self, z, xp=np):
        return _sigmoid(z, xp)

    def derivative(self, z, a, xp=np):
        return a * (1 - a)

    def forward_into(self, z, out):
        _one_plus_exp_neg_into(z, out)
        return np.reciprocal(out, out=out)

    def backward_into(self, z, a, dC_da, out):
        np.subtract(1, a, out=out)
        out *= a
        out *= dC_da
        return out

    def reference(self, z):
        return asp.expit(z)


@ACTIVATIONS.register
class Tanh(Activation):
    """``f(z) = tanh(z)``, ``f'(z) = 1 - f(z)²``."""

    name = "tanh"
    sklearn = "tanh"
    torch = "Tanh"

    def forward(self, z, xp=np):
        return xp.tanh(z)

    def derivative(self, z, a, xp=np):
        return 1 - a * a

    def forward_into(self, z, out):
        return np.tanh(z, out=out)

    def backward_into(self, z, a, dC_da, out):
        np.multiply(a, a, out=out)
        np.subtract(1, out, out=out)
        out *= dC_da
        return out

    def reference(self, z):
        return anp.tanh(z)


@ACTIVATIONS.register
class ReLU(Activation):
    """``f(z) = max(z, 0)``, ``f'(z) = 1 if z > 0 else 0`` (0 at the kink, as the notebook)."""

    name = "relu"
    kinks = (0.0,)
    sklearn = "relu"
    torch = "ReLU"

    def forward(self, z, xp=np):
        return xp.maximum(z, 0)

    def derivative(self, z, a, xp=np):
        return (z > 0).astype(z.dtype)

    def backward(self, z, a, dC_da, xp=np):
        return xp.where(z > 0, dC_da, 0)

    def forward_into(self, z, out):
        return np.maximum(z, 0, out=out)

    def backward_into(self, z, a, dC_da, out):
        out.fill(0)
        np.copyto(out, dC_da, where=z > 0)
        return out

    def reference(self, z):
        return anp.where(z > 0, z, 0.0)


def _check_alpha(alpha, name: str) -> float:
    if not is_real(alpha) or not np.isfinite(alpha):
        raise TypeError(f"{name} must be a finite real number, got {alpha!r}")
    if alpha < 0:
        raise ValueError(f"{name} must be >= 0, got {alpha}")
    return float(alpha)


@ACTIVATIONS.register
class LeakyReLU(Activation):
    """``f(z) = z if z > 0 else alpha z``, ``f'(z) = 1 if z > 0 else alpha``.

    Parameters
    ----------
    alpha : float, default 0.01
        Slope for negative ``z``.
    """

    name = "leaky_relu"
    kinks = (0.0,)
    torch = "LeakyReLU"
    torch_params = {"alpha": "negative_slope"}

    def __init__(self, alpha: float = 0.01):
        self.alpha = _check_alpha(alpha, "LeakyReLU alpha")

    def forward(self, z, xp=np):
        return xp.where(z > 0, z, self.alpha * z)

    def derivative(self, z, a, xp=np):
        return xp.where(z > 0, _one(z), z.dtype.type(self.alpha))

    def forward_into(self, z, out):
        np.multiply(z, self.alpha, out=out)
        np.copyto(out, z, where=z > 0)
        return out

    def backward_into(self, z, a, dC_da, out):
        np.multiply(dC_da, z.dtype.type(self.alpha), out=out)
        np.copyto(out, dC_da, where=z > 0)
        return out

    def reference(self, z):
        return anp.where(z > 0, z, self.alpha * z)


@ACTIVATIONS.register
class ELU(Activation):
    """``f(z) = z if z > 0 else alpha (exp(z) - 1)``, ``f'(z) = 1 if z > 0 else f(z) + alpha``.

    Parameters
    ----------
    alpha : float, default 1.0
        ``f`` approaches ``-alpha`` as ``z → -∞``. With ``alpha = 1`` the first derivative is
        continuous at 0 but the second is not, so 0 is a kink for finite differences.
    """

    name = "elu"
    kinks = (0.0,)
    torch = "ELU"
    torch_params = {"alpha": "alpha"}

    def __init__(self, alpha: float = 1.0):
        self.alpha = _check_alpha(alpha, "ELU alpha")

    def forward(self, z, xp=np):
        # min(z, 0) keeps exp from overflowing on the branch that where discards.
        return xp.where(z > 0, z, self.alpha * xp.expm1(xp.minimum(z, 0)))

    def derivative(self, z, a, xp=np):
        return xp.where(z > 0, _one(z), a + z.dtype.type(self.alpha))

    def forward_into(self, z, out):
        np.minimum(z, 0, out=out)
        np.expm1(out, out=out)
        np.multiply(self.alpha, out, out=out)
        np.copyto(out, z, where=z > 0)
        return out

    def backward_into(self, z, a, dC_da, out):
        np.add(a, z.dtype.type(self.alpha), out=out)
        np.copyto(out, 1, where=z > 0)
        out *= dC_da
        return out

    def reference(self, z):
        return anp.where(z > 0, z, self.alpha * anp.expm1(anp.minimum(z, 0.0)))


_SQRT_HALF = 0.7071067811865476  # 1/√2 as a Python float: float32 stays float32
_INV_SQRT_2PI = 0.3989422804014327  # 1/√(2π)


def _sigmoid(z, xp=np):
    """``1 / (1 + exp(-z))``: ``exp(-z)`` overflowing to inf (the result exactly 0) is
    expected for very negative ``z``."""
    with np.errstate(over="ignore"):
        return 1 / (1 + xp.exp(-z))


@ACTIVATIONS.register
class Softplus(Activation):
    """``f(z) = log(1 + exp(z))``, ``f'(z) = 1 / (1 + exp(-z))`` (the sigmoid).

    Computed as ``logaddexp(0, z)``: no overflow for large ``z``, full accuracy for very
    negative ``z``. (PyTorch's ``Softplus`` returns ``z`` itself above ``z = 20``, where the
    two differ by less than ``exp(-20) ≈ 2e-9``.)
    """

    name = "softplus"
    torch = "Softplus"
    torch_fixed = {"beta": 1.0, "threshold": 20.0}  # a lower threshold cuts it off earlier

    def forward(self, z, xp=np):
        with np.errstate(invalid="ignore"):  # NaN in, NaN out, as the other activations
            return xp.logaddexp(0, z)

    def derivative(self, z, a, xp=np):
        return _sigmoid(z, xp)

    def forward_into(self, z, out):
        with np.errstate(invalid="ignore"):
            return np.logaddexp(0, z, out=out)

    def backward_into(self, z, a, dC_da, out):
        _one_plus_exp_neg_into(z, out)
        np.reciprocal(out, out=out)
        out *= dC_da
        return out

    def reference(self, z):
        return anp.logaddexp(0.0, z)


@ACTIVATIONS.register
class SiLU(Activation):
    """``f(z) = z σ(z)`` (SiLU, also called swish), ``f'(z) = σ(z) + f(z) (1 - σ(z))``."""

    name = "silu"
    aliases = ("swish",)
    torch = "SiLU"

    def forward(self, z, xp=np):
        with np.errstate(over="ignore"):
            return z / (1 + xp.exp(-z))

    def derivative(self, z, a, xp=np):
        s = _sigmoid(z, xp)
        return s + a * (1 - s)

    def forward_into(self, z, out):
        _one_plus_exp_neg_into(z, out)
        return np.divide(z, out, out=out)

    def reference(self, z):
        return z * asp.expit(z)


@ACTIVATIONS.register
class GELU(Activation):
    """``f(z) = z Φ(z) = (z / 2) (1 + erf(z / √2))``, ``f'(z) = Φ(z) + z φ(z)``, exact (with
    ``erf``, PyTorch's default), where ``φ(z) = exp(-z² / 2) / √(2π)``."""

    name = "gelu"
    torch = "GELU"
    torch_fixed = {"approximate": "none"}

    def forward(self, z, xp=np):
        return 0.5 * z * (1 + erf(z * _SQRT_HALF, xp))

    def derivative(self, z, a, xp=np):
        return 0.5 * (1 + erf(z * _SQRT_HALF, xp)) + z * xp.exp(-0.5 * z * z) * _INV_SQRT_2PI

    def reference(self, z):
        return 0.5 * z * (1 + asp.erf(z * _SQRT_HALF))


@ACTIVATIONS.register
class Mish(Activation):
    """``f(z) = z tanh(softplus(z))`` (Misra's Mish, PyTorch's ``Mish``) and, with
    ``t = tanh(softplus(z))``, ``f'(z) = t + z σ(z) (1 - t²)`` (``softplus' = σ``,
    ``tanh' = 1 - tanh²``).

    Softplus is ``logaddexp(0, z)`` as in :class:`Softplus`: no overflow for large ``z``
    (where ``f(z) = z`` and ``f'(z) = 1`` exactly), full accuracy for very negative ``z``
    (where both tend to 0).
    """

    name = "mish"
    torch = "Mish"

    def forward(self, z, xp=np):
        with np.errstate(invalid="ignore"):  # NaN in, NaN out
            return z * xp.tanh(xp.logaddexp(0, z))

    def derivative(self, z, a, xp=np):
        with np.errstate(invalid="ignore"):
            t = xp.tanh(xp.logaddexp(0, z))
        return t + z * _sigmoid(z, xp) * (1 - t * t)

    def reference(self, z):
        return z * anp.tanh(anp.logaddexp(0.0, z))


_SELU_ALPHA = 1.6732632423543772848170429916717
_SELU_SCALE = 1.0507009873554804934193349852946


@ACTIVATIONS.register
class SELU(Activation):
    """``f(z) = λ z if z > 0 else λ α (exp(z) - 1)``, ``f'(z) = λ if z > 0 else λ α exp(z)``,
    with the fixed ``λ ≈ 1.0507`` and ``α ≈ 1.6733`` of Klambauer et al. (PyTorch's ``SELU``;
    no parameters). ``f'`` jumps at 0 (from ``λ α ≈ 1.76`` to ``λ``): a kink.
    """

    name = "selu"
    kinks = (0.0,)
    torch = "SELU"

    def forward(self, z, xp=np):
        # min(z, 0) keeps exp from overflowing on the branch that where discards.
        return xp.where(z > 0, _SELU_SCALE * z,
                        (_SELU_SCALE * _SELU_ALPHA) * xp.expm1(xp.minimum(z, 0)))

    def derivative(self, z, a, xp=np):
        # exp(z) itself rather than a + λα: no cancellation for very negative z
        return xp.where(z > 0, z.dtype.type(_SELU_SCALE),
                        (_SELU_SCALE * _SELU_ALPHA) * xp.exp(xp.minimum(z, 0)))

    def reference(self, z):
        return _SELU_SCALE * anp.where(z > 0, z, _SELU_ALPHA * anp.expm1(anp.minimum(z, 0.0)))


@ACTIVATIONS.register
class Exp(Activation):
    """``f(z) = exp(z)``, ``f'(z) = exp(z) = f(z)``: the log link, the output of a Poisson
    regression (``loss="poisson"``, which fuses with it).

    Not clipped (scikit-learn's MLP does not clip its ``exp`` output either): beyond
    ``z ≈ 709`` (88 in float32) ``exp`` overflows to inf, quietly, and a training run stops
    there as diverged (its loss is no longer finite). As a hidden activation it is allowed
    but grows fast: layers of it compound (``exp(exp(z))``). scikit-learn's MLP offers it as
    the output only, and PyTorch has no module for it.
    """

    name = "exp"
    # scikit-learn's MLP has "exp" as an output only (loss="poisson"), not as a hidden
    # activation: interop maps the output by hand, so no hidden peer is declared here.
    sklearn = None
    torch = None  # torch.nn has no Exp module

    def forward(self, z, xp=np):
        with np.errstate(over="ignore"):
            return xp.exp(z)

    def derivative(self, z, a, xp=np):
        return a

    def backward(self, z, a, dC_da, xp=np):
        return dC_da * a

    def forward_into(self, z, out):
        with np.errstate(over="ignore"):
            return np.exp(z, out=out)

    def backward_into(self, z, a, dC_da, out):
        return np.multiply(dC_da, a, out=out)

    def reference(self, z):
        return anp.exp(z)


@ACTIVATIONS.register
class Softmax(Activation):
    """Row-wise ``f(z)_k = exp(z_k) / Σ_j exp(z_j)``; each row of the output sums to 1.

    Stable: each row's maximum is subtracted before ``exp`` (over the last axis; the
    notebook's ``axis=0`` mixed samples). The Jacobian is ``diag(a) - a aᵀ`` per row, so the
    vector-Jacobian product is ``dC_dz = a * (dC_da - Σ_k dC_da_k a_k)``.
    """

    name = "softmax"
    elementwise = False
    outputs_probabilities = True
    outputs_distribution = True
    min_outputs = 2
    torch = "Softmax"
    torch_fixed = {"dim": -1}

    def forward(self, z, xp=np):
        e = xp.exp(z - xp.max(z, axis=-1, keepdims=True))
        return e / xp.sum(e, axis=-1, keepdims=True)

    def backward(self, z, a, dC_da, xp=np):
        return a * (dC_da - xp.sum(dC_da * a, axis=-1, keepdims=True))

    def forward_into(self, z, out):
        # The ufuncs' reduce methods directly: np.max/np.sum without their Python wrappers.
        np.subtract(z, np.maximum.reduce(z, axis=-1, keepdims=True), out=out)
        np.exp(out, out=out)
        out /= np.add.reduce(out, axis=-1, keepdims=True)
        return out

    def backward_into(self, z, a, dC_da, out):
        np.multiply(dC_da, a, out=out)
        row_sums = np.add.reduce(out, axis=-1, keepdims=True)
        np.subtract(dC_da, row_sums, out=out)
        out *= a
        return out

    def jacobian(self, z: np.ndarray, a: np.ndarray) -> np.ndarray:
        """Per-row Jacobians ``da_k/dz_j = a_k (δ_kj - a_j)``, shape ``z.shape + (k,)``."""
        return a[..., :, None] * (np.eye(a.shape[-1], dtype=a.dtype) - a[..., None, :])

    def derivative(self, z, a, xp=np):
        raise TypeError(
            "softmax is not elementwise: use backward(z, a, dC_da) or jacobian(z, a)"
        )

    def reference(self, z):
        return anp.exp(z - asp.logsumexp(z, axis=-1, keepdims=True))


class FunctionActivation(Activation):
    """An activation from a pair ``(f, f_prime)`` of elementwise functions of ``z``.

    Parameters
    ----------
    f : callable
        ``a = f(z)``. Write it with ``autograd.numpy`` so that gradcheck can use autograd.
    f_prime : callable
        ``da_dz = f_prime(z)``, as in the notebook's ``sigmoid_der``.
    name : str, optional
        Name used in messages; defaults to ``f.__name__``.
    kinks : tuple of float, default ()
        Points where ``f_prime`` jumps (``(0.0,)`` for a ReLU), so that gradcheck can warn
        when finite differences straddle one.
    outputs_probabilities : bool, default False
        Declare that every output lies in (0, 1), so a cross-entropy may follow.

    Results are cast to the dtype of ``z``, so a float32 network stays float32 even when
    ``f_prime`` returns integers (as the notebook's ``ReLU_der`` does). To pickle a network
    that uses a pair, define the functions at module level (autograd's wrapped functions such
    as ``autograd.numpy.sin`` cannot be pickled).
    """

    def __init__(self, f: Callable, f_prime: Callable, name: str | None = None,
                 kinks: tuple[float, ...] = (), outputs_probabilities: bool = False):
        check_pair(f, f_prime, "an activation pair (f, f_prime)")
        self.f = f
        self.f_prime = f_prime
        self.name = name or getattr(f, "__name__", "custom")
        self.kinks = tuple(float(k) for k in kinks)
        self.outputs_probabilities = bool(outputs_probabilities)

    def forward(self, z, xp=np):
        return np.asarray(self.f(z), dtype=z.dtype)

    def derivative(self, z, a, xp=np):
        return np.asarray(self.f_prime(z), dtype=z.dtype)

    def reference(self, z):
        return self.f(z)


identity = Identity()
sigmoid = Sigmoid()
tanh = Tanh()
relu = ReLU()
leaky_relu = LeakyReLU()
elu = ELU()
softplus = Softplus()
silu = SiLU()
gelu = GELU()
mish = Mish()
selu = SELU()
exp = Exp()
softmax = Softmax()

#: Every name an activation may be given by (canonical names first, then aliases).
ACTIVATION_NAMES: tuple[str, ...] = ACTIVATIONS.names

#: What may stand for an activation: a name, an object, its class, or a pair (f, f_prime).
ActivationLike = str | Activation | type[Activation] | tuple[Callable, Callable]


def is_single_activation(spec) -> bool:
    """Whether ``spec`` names one activation (a name, an object, its class or one pair), as
    opposed to a sequence of them (one per layer)."""
    return (isinstance(spec, (str, Activation))
            or (isinstance(spec, type) and issubclass(spec, Activation))
            or is_function_pair(spec))


def get_activation(spec: ActivationLike, name: str = "activation") -> Activation:
    """Resolve a name, an :class:`Activation`, its class, or an ``(f, f_prime)`` pair.

    Parameters
    ----------
    spec : str, Activation, type or tuple
        What the user gave.
    name : str
        The argument's name, for error messages.

    Returns
    -------
    Activation
    """
    if isinstance(spec, Activation):
        return spec
    if isinstance(spec, str):
        return ACTIVATIONS.lookup(spec, name)()
    if isinstance(spec, type) and issubclass(spec, Activation):
        return spec()
    if is_function_pair(spec, (tuple, list)):
        return FunctionActivation(*spec)
    if callable(spec):
        raise TypeError(
            f"{name}: a plain function {getattr(spec, '__name__', spec)!r} has no derivative; "
            "pass a pair (f, f_prime), an Activation, or one of the names "
            f"{', '.join(ACTIVATION_NAMES)}"
        )
    raise TypeError(
        f"{name} must be an activation name ({', '.join(ACTIVATION_NAMES)}), an Activation, "
        f"or a pair (f, f_prime); got {spec!r} ({type(spec).__name__})"
    )
