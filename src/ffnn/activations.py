"""Activation functions with their vector-Jacobian products.

A layer computes ``z = a_prev @ W + b`` and ``a = f(z)``. Backpropagation needs, for each
layer, ``dC_dz`` from ``dC_da``: the vector-Jacobian product of ``f``. For an elementwise
``f`` that is ``dC_da * f'(z)``; for softmax, whose Jacobian is full, it is
``a * (dC_da - sum(dC_da * a))`` row by row. Every activation here offers

- ``forward(z)``: ``a``, same shape and dtype as ``z``;
- ``backward(z, a, dC_da)``: ``dC_dz``, the vector-Jacobian product;
- ``derivative(z, a)``: ``da_dz`` elementwise (elementwise activations only);
- ``reference(z)``: the same function written with ``autograd.numpy``, the independent
  oracle that :func:`ffnn.gradcheck` differentiates.

Anywhere an activation is expected, a name (``"relu"``), an object (``LeakyReLU(0.2)``) or a
pair ``(f, f_prime)`` as in the course notebook is accepted; see :func:`get_activation`.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import Any

import numpy as np

from ._autograd import anp, asp
from ._validation import check_pair, is_function_pair, is_real
from .registry import Component, Registry

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
    "exp",
    "softmax",
    "get_activation",
    "is_single_activation",
    "ACTIVATIONS",
    "ACTIVATION_NAMES",
    "ActivationLike",
]


#: The built-in activations (see :mod:`ffnn.registry`).
ACTIVATIONS = Registry("activation")


class Activation(Component):
    """Base class of activations.

    Subclass it and implement ``forward`` and ``derivative`` for an elementwise function, or
    ``forward`` and ``backward`` (and set ``elementwise = False``) for one that mixes a row.
    Write ``forward`` with ``autograd.numpy`` (or override ``reference``) so that
    :func:`ffnn.gradcheck` can differentiate it.

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
    kinks: tuple[float, ...] = ()
    sklearn: str | None = None
    torch: str | None = None
    torch_params: Mapping[str, str] = {}
    torch_fixed: Mapping[str, Any] = {}

    def forward(self, z: np.ndarray) -> np.ndarray:
        """Return ``a = f(z)``."""
        raise NotImplementedError(f"{type(self).__name__} must implement forward(z)")

    def derivative(self, z: np.ndarray, a: np.ndarray) -> np.ndarray:
        """Return ``da_dz = f'(z)`` elementwise, given ``z`` and ``a = f(z)``."""
        raise NotImplementedError(
            f"{type(self).__name__} must implement derivative(z, a) or backward(z, a, dC_da)"
        )

    def backward(self, z: np.ndarray, a: np.ndarray, dC_da: np.ndarray) -> np.ndarray:
        """Return ``dC_dz``, the vector-Jacobian product ``dC_da · da/dz``."""
        return dC_da * self.derivative(z, a)

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
    kernel = "identity"
    sklearn = "identity"
    torch = "Identity"

    def forward(self, z):
        return z

    def derivative(self, z, a):
        return np.ones_like(z)

    def backward(self, z, a, dC_da):
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

    Computed as written, with NumPy's vectorised ``exp`` (2–3× faster than
    :func:`scipy.special.expit`, the same values to an ulp): for very negative ``z``,
    ``exp(-z)`` overflows to inf and the result is exactly 0 (the overflow is expected and
    not reported); both tails keep their relative accuracy.
    """

    name = "sigmoid"
    aliases = ("logistic",)  # scikit-learn's name
    outputs_probabilities = True
    kernel = "sigmoid"
    sklearn = "logistic"
    torch = "Sigmoid"

    def forward(self, z):
        with np.errstate(over="ignore"):
            return 1 / (1 + np.exp(-z))

    def derivative(self, z, a):
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
    kernel = "tanh"
    sklearn = "tanh"
    torch = "Tanh"

    def forward(self, z):
        return np.tanh(z)

    def derivative(self, z, a):
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
    kernel = "relu"
    sklearn = "relu"
    torch = "ReLU"

    def forward(self, z):
        return np.maximum(z, 0)

    def derivative(self, z, a):
        return (z > 0).astype(z.dtype)

    def backward(self, z, a, dC_da):
        return np.where(z > 0, dC_da, 0)

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
    kernel = "leaky_relu"
    torch = "LeakyReLU"
    torch_params = {"alpha": "negative_slope"}

    def __init__(self, alpha: float = 0.01):
        self.alpha = _check_alpha(alpha, "LeakyReLU alpha")

    def forward(self, z):
        return np.where(z > 0, z, self.alpha * z)

    def derivative(self, z, a):
        return np.where(z > 0, _one(z), z.dtype.type(self.alpha))

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
    kernel = "elu"
    torch = "ELU"
    torch_params = {"alpha": "alpha"}

    def __init__(self, alpha: float = 1.0):
        self.alpha = _check_alpha(alpha, "ELU alpha")

    def forward(self, z):
        # min(z, 0) keeps exp from overflowing on the branch that np.where discards.
        return np.where(z > 0, z, self.alpha * np.expm1(np.minimum(z, 0)))

    def derivative(self, z, a):
        return np.where(z > 0, _one(z), a + z.dtype.type(self.alpha))

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


def _erf(x):
    """SciPy's vectorised ``erf``, imported on first use (SciPy's import costs ~0.5 s that
    ``import ffnn`` need not pay)."""
    from scipy.special import erf

    return erf(x)


_SQRT_HALF = 0.7071067811865476  # 1/√2 as a Python float: float32 stays float32
_INV_SQRT_2PI = 0.3989422804014327  # 1/√(2π)


def _sigmoid(z):
    with np.errstate(over="ignore"):
        return 1 / (1 + np.exp(-z))


@ACTIVATIONS.register
class Softplus(Activation):
    """``f(z) = log(1 + exp(z))``, ``f'(z) = 1 / (1 + exp(-z))`` (the sigmoid).

    Computed as ``logaddexp(0, z)``: no overflow for large ``z``, full accuracy for very
    negative ``z``. (PyTorch's ``Softplus`` returns ``z`` itself above ``z = 20``, where the
    two differ by less than ``exp(-20) ≈ 2e-9``.)
    """

    name = "softplus"
    kernel = "softplus"
    torch = "Softplus"
    torch_fixed = {"beta": 1.0, "threshold": 20.0}  # a lower threshold cuts it off earlier

    def forward(self, z):
        with np.errstate(invalid="ignore"):  # NaN in, NaN out, as the other activations
            return np.logaddexp(0, z)

    def derivative(self, z, a):
        return _sigmoid(z)

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
    kernel = "silu"
    torch = "SiLU"

    def forward(self, z):
        with np.errstate(over="ignore"):
            return z / (1 + np.exp(-z))

    def derivative(self, z, a):
        s = _sigmoid(z)
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
    kernel = "gelu"
    torch = "GELU"
    torch_fixed = {"approximate": "none"}

    def forward(self, z):
        return 0.5 * z * (1 + _erf(z * _SQRT_HALF))

    def derivative(self, z, a):
        return 0.5 * (1 + _erf(z * _SQRT_HALF)) + z * np.exp(-0.5 * z * z) * _INV_SQRT_2PI

    def reference(self, z):
        return 0.5 * z * (1 + asp.erf(z * _SQRT_HALF))


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
    kernel = "exp"
    # scikit-learn's MLP has "exp" as an output only (loss="poisson"), not as a hidden
    # activation: interop maps the output by hand, so no hidden peer is declared here.
    sklearn = None
    torch = None  # torch.nn has no Exp module

    def forward(self, z):
        with np.errstate(over="ignore"):
            return np.exp(z)

    def derivative(self, z, a):
        return a

    def backward(self, z, a, dC_da):
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
    kernel = "softmax"  # compiled as the output layer of a cross-entropy only
    torch = "Softmax"
    torch_fixed = {"dim": -1}

    def forward(self, z):
        e = np.exp(z - z.max(axis=-1, keepdims=True))
        e /= e.sum(axis=-1, keepdims=True)
        return e

    def backward(self, z, a, dC_da):
        return a * (dC_da - np.sum(dC_da * a, axis=-1, keepdims=True))

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

    def derivative(self, z, a):
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

    def forward(self, z):
        return np.asarray(self.f(z), dtype=z.dtype)

    def derivative(self, z, a):
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
