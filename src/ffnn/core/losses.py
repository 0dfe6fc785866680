"""Costs with their gradients with respect to the prediction.

Every cost is a mean over samples, so a learning rate does not depend on the batch size.
Arrays are ``(n_samples, n_outputs)``; a 1-D prediction is one sample.

==========================  ==========================================  ==========================
loss                        value C                                     gradient dC/dŷ
==========================  ==========================================  ==========================
``mse``                     ``mean((ŷ - y)²)`` over all elements        ``2 (ŷ - y) / ŷ.size``
``binary_cross_entropy``    ``-Σ [y log ŷ + (1-y) log(1-ŷ)] / n``       ``(ŷ - y) / (ŷ (1-ŷ)) / n``
``cross_entropy``           ``-Σ y log ŷ / n``                          ``-y / ŷ / n``
``poisson``                 ``Σ [ŷ - y + y log(y / ŷ)] / n``            ``(1 - y / ŷ) / n``
==========================  ==========================================  ==========================

The cross-entropies sum over outputs and average over the ``n`` samples (scikit-learn's
log-loss). They need predictions in (0, 1), so they follow a sigmoid or softmax output layer
(any activation with ``outputs_probabilities = True``). On their general path ``ŷ`` is clipped
to ``[ε, 1 - ε]``, ε = 1e-15 in float64 and 1e-7 in float32, so predictions of exactly 0 or 1
stay finite. Softmax + cross-entropy and sigmoid + binary cross-entropy also have a fused path
from the logits ``z``: the value via log-sum-exp and softplus, and ``dC/dz = (p - y) / n``,
exact and stable for any logits.

``poisson`` is scikit-learn's ``MLPRegressor(loss="poisson")``: half the Poisson deviance,
summed over outputs and averaged over samples, constants included (0 at a perfect fit), after
an ``exp`` output (the log link). Its fused path from the logits gives ``dC/dz = (ŷ - y) / n``
as well.
"""

from __future__ import annotations

from collections.abc import Callable

import numpy as np

from .activations import Activation, Exp, Sigmoid, Softmax
from .autodiff import anp
from .registry import Component, Registry
from .validation import check_pair, is_function_pair

__all__ = [
    "Loss",
    "MSE",
    "BinaryCrossEntropy",
    "CrossEntropy",
    "Poisson",
    "FunctionLoss",
    "mse",
    "binary_cross_entropy",
    "cross_entropy",
    "poisson",
    "get_loss",
    "LOSSES",
    "LOSS_NAMES",
    "LossLike",
]


def _n_samples(y_pred) -> int:
    return y_pred.shape[0] if np.ndim(y_pred) == 2 else 1


def clip_epsilon(dtype) -> float:
    """ε for clipping probabilities: 1e-15 in float64, 1e-7 in float32."""
    return 1e-7 if np.dtype(dtype) == np.float32 else 1e-15


def _clip(p, xp=np):
    """``p`` clipped to ``[ε, 1 - ε]`` (``xp``: numpy, or autograd.numpy for references)."""
    eps = clip_epsilon(p.dtype)
    return xp.clip(p, eps, 1 - eps)


#: The built-in losses (see :mod:`ffnn.core.registry`).
LOSSES = Registry("loss")


class Loss(Component):
    """Base class of costs.

    Subclass it and implement ``value`` and ``gradient``; write ``value`` with
    ``autograd.numpy`` (or override ``reference``) so that gradcheck can differentiate it.

    Attributes
    ----------
    requires_probabilities : bool
        Whether predictions must lie in (0, 1) (the output activation must say it gives them).
    fused_activation : type or None
        The output activation with which :meth:`logits_value` and :meth:`logits_gradient`
        give the cost and ``dC/dz`` straight from the logits.
    nonnegative_costs : bool
        Whether every sample's cost is ≥ 0 on the targets :meth:`check_targets` accepts;
        read from the class's own body only (a subclass that changes the cost does not
        inherit it). The NumPy engine then computes the divergence guard's reference only
        when an epoch needs it (:class:`ffnn.training.loop.PendingReference`).
    task : {"regression", "classification"}
        What the targets are: numbers, or class labels (one-hot rows, or 0/1 per label).
    independent_outputs : bool
        Each output is a yes/no label of its own (thresholded at 0.5; several outputs are
        several labels), not one class among the outputs.
    sklearn : str or None
        scikit-learn MLP's name for the same cost (``MLPRegressor(loss=...)``), if any.
    """

    name: str = "loss"
    requires_probabilities: bool = False
    fused_activation: type[Activation] | None = None
    nonnegative_costs: bool = False
    task: str = "regression"
    independent_outputs: bool = False
    sklearn: str | None = None

    @property
    def output_activation(self) -> str:
        """The output layer the cost is made for: its fused activation, else identity."""
        return "identity" if self.fused_activation is None else self.fused_activation.name

    def example_targets(self, rng: np.random.Generator, n_samples: int,
                        n_outputs: int) -> np.ndarray:
        """Random targets of the kind the cost takes, shape (n_samples, n_outputs) (for a
        gradient check on random data)."""
        return rng.standard_normal((n_samples, n_outputs))

    def value(self, y_pred: np.ndarray, y: np.ndarray) -> float:
        """Return the cost ``C(ŷ, y)``."""
        raise NotImplementedError(f"{type(self).__name__} must implement value(y_pred, y)")

    def gradient(self, y_pred: np.ndarray, y: np.ndarray, xp=np) -> np.ndarray:
        """Return ``dC_da`` of the output layer, shape of ``y_pred`` (``xp``: the array
        namespace, see :mod:`ffnn.core.xp`)."""
        raise NotImplementedError(f"{type(self).__name__} must implement gradient(y_pred, y)")

    def reference(self, y_pred, y):
        """The cost, traceable by autograd (defaults to ``value``)."""
        return self.value(y_pred, y)

    def __call__(self, y_pred: np.ndarray, y: np.ndarray) -> float:
        return self.value(y_pred, y)

    def per_sample(self, y_pred: np.ndarray, y: np.ndarray, xp=np) -> np.ndarray:
        """Each sample's cost, shape ``(n_samples,)``; the cost is their mean.

        Needed for sample weights: the weighted cost is ``Σ wᵢ Cᵢ / Σ wᵢ``.
        """
        raise NotImplementedError(
            f"{self.name} does not give per-sample costs (per_sample), which sample weights need"
        )

    def logits_per_sample(self, z: np.ndarray, y: np.ndarray, xp=np) -> np.ndarray:
        """Each sample's cost from the logits (fused path)."""
        raise NotImplementedError

    def fuses_with(self, activation: Activation) -> bool:
        """Whether the fused path from the logits applies after ``activation``."""
        return self.fused_activation is not None and type(activation) is self.fused_activation

    def logits_value(self, z: np.ndarray, y: np.ndarray) -> float:
        """The cost from the output layer's logits ``z`` (fused path)."""
        raise NotImplementedError

    def logits_gradient(self, a: np.ndarray, y: np.ndarray, xp=np) -> np.ndarray:
        """``dC_dz = (a - y) / n`` from the output ``a`` (fused path)."""
        return (a - y) / _n_samples(a)

    def logits_gradient_into(self, a: np.ndarray, y: np.ndarray, out: np.ndarray) -> np.ndarray:
        """:meth:`logits_gradient` written into ``out`` (the same operations, so the same
        bits); ``a`` may have a leading axis of K networks, ``(K, n, k)``."""
        np.subtract(a, y, out=out)
        out /= a.shape[-2]
        return out

    def gradient_into(self, y_pred: np.ndarray, y: np.ndarray, out: np.ndarray) -> np.ndarray:
        """:meth:`gradient` written into ``out`` (the default copies)."""
        out[...] = self.gradient(y_pred, y)
        return out

    def check_output(self, activation: Activation, name: str = "loss") -> None:
        """Refuse an output activation whose values may leave (0, 1) when they must not."""
        if self.requires_probabilities and not activation.outputs_probabilities:
            raise ValueError(
                f"{name}: {self.name} needs predictions in (0, 1), so the output layer must "
                f"be sigmoid or softmax, got {activation.name}"
            )

    def check_targets(self, y: np.ndarray, name: str = "targets") -> None:
        """Refuse targets that the cost is not defined for (nothing to check by default)."""

    def clipped(self, y_pred: np.ndarray) -> bool:
        """Whether some prediction lies where the general path clips it (the cost is flat
        there, and the gradient is that of the clipped value)."""
        return False

    def __repr__(self) -> str:
        return f"{type(self).__name__}()"

    def __eq__(self, other) -> bool:
        return type(self) is type(other) and vars(self) == vars(other)

    def __hash__(self) -> int:
        return hash(type(self))


@LOSSES.register
class MSE(Loss):
    """Mean squared error over all elements.

    ``C = mean((ŷ - y)²)`` and ``dC/dŷ = 2 (ŷ - y) / ŷ.size`` (the notebook's ``mse_der``).
    """

    name = "mse"
    nonnegative_costs = True
    aliases = ("squared_error",)  # scikit-learn's name
    sklearn = "squared_error"

    def value(self, y_pred, y):
        diff = y_pred - y
        return float(np.vdot(diff, diff) / diff.size)

    def gradient(self, y_pred, y, xp=np):
        return (2 / y_pred.size) * (y_pred - y)

    def gradient_into(self, y_pred, y, out):
        # per network when stacked, (K, n, k): 2 / (n k)
        np.subtract(y_pred, y, out=out)
        out *= 2 / (y_pred.shape[-2] * y_pred.shape[-1])
        return out

    def reference(self, y_pred, y):
        return anp.mean((y_pred - y) ** 2)

    def per_sample(self, y_pred, y, xp=np):
        return xp.mean((y_pred - y) ** 2, axis=-1)


def _outside_clip(y_pred: np.ndarray) -> bool:
    eps = clip_epsilon(y_pred.dtype)
    return bool(((y_pred < eps) | (y_pred > 1 - eps)).any())


def _check_unit_interval(y: np.ndarray, name: str, loss: str) -> None:
    if y.size and (y.min() < 0 or y.max() > 1):
        raise ValueError(
            f"{name}: {loss} needs targets in [0, 1], got values from {y.min():g} to {y.max():g}"
        )


@LOSSES.register
class BinaryCrossEntropy(Loss):
    """Binary cross-entropy, summed over outputs and averaged over samples.

    ``C = -Σ [y log ŷ + (1 - y) log(1 - ŷ)] / n`` and
    ``dC/dŷ = (-y / ŷ + (1 - y) / (1 - ŷ)) / n``, with ŷ clipped to ``[ε, 1 - ε]``.
    After a sigmoid output the fused path gives ``C = Σ [softplus(z) - y z] / n`` and
    ``dC/dz = (σ(z) - y) / n``.
    """

    name = "binary_cross_entropy"
    nonnegative_costs = True
    requires_probabilities = True
    fused_activation = Sigmoid
    task = "classification"
    independent_outputs = True
    sklearn = "log_loss"

    def example_targets(self, rng, n_samples, n_outputs):
        return rng.integers(0, 2, (n_samples, n_outputs)).astype(float)

    def value(self, y_pred, y):
        p = _clip(y_pred)
        return float(-np.sum(y * np.log(p) + (1 - y) * np.log1p(-p)) / _n_samples(y_pred))

    def gradient(self, y_pred, y, xp=np):
        p = _clip(y_pred, xp)
        return (p - y) / (p * (1 - p)) / _n_samples(y_pred)

    def reference(self, y_pred, y):
        p = _clip(y_pred, anp)
        return -anp.sum(y * anp.log(p) + (1 - y) * anp.log(1 - p)) / _n_samples(y_pred)

    def logits_value(self, z, y):
        # softplus(z) - y z, with softplus(z) = max(z, 0) + log1p(exp(-|z|)).
        softplus = np.maximum(z, 0) + np.log1p(np.exp(-np.abs(z)))
        return float(np.sum(softplus - y * z) / _n_samples(z))

    def per_sample(self, y_pred, y, xp=np):
        p = _clip(y_pred, xp)
        return -xp.sum(y * xp.log(p) + (1 - y) * xp.log1p(-p), axis=-1)

    def logits_per_sample(self, z, y, xp=np):
        # softplus(z) - y z, with softplus(z) = max(z, 0) + log1p(exp(-|z|)).
        return xp.sum(xp.maximum(z, 0) + xp.log1p(xp.exp(-xp.abs(z))) - y * z, axis=-1)

    def check_targets(self, y, name="targets"):
        _check_unit_interval(y, name, self.name)

    def clipped(self, y_pred):
        return _outside_clip(y_pred)


@LOSSES.register
class CrossEntropy(Loss):
    """Categorical cross-entropy, summed over classes and averaged over samples.

    ``C = -Σ y log ŷ / n`` and ``dC/dŷ = -y / ŷ / n``, with ŷ clipped to ``[ε, 1 - ε]``.
    Each row of ``y`` is a distribution over the classes (one-hot for hard labels). After a
    softmax output the fused path gives ``C = Σ_i [logsumexp(z_i) - y_i · z_i] / n`` and
    ``dC/dz = (softmax(z) - y) / n``.
    """

    name = "cross_entropy"
    nonnegative_costs = True
    requires_probabilities = True
    fused_activation = Softmax
    task = "classification"
    sklearn = "log_loss"

    def example_targets(self, rng, n_samples, n_outputs):
        return np.eye(n_outputs)[rng.integers(0, n_outputs, n_samples)]

    def value(self, y_pred, y):
        return float(-np.sum(y * np.log(_clip(y_pred))) / _n_samples(y_pred))

    def gradient(self, y_pred, y, xp=np):
        return -y / _clip(y_pred, xp) / _n_samples(y_pred)

    def reference(self, y_pred, y):
        return -anp.sum(y * anp.log(_clip(y_pred, anp))) / _n_samples(y_pred)

    def logits_value(self, z, y):
        return float(np.sum(self.logits_per_sample(z, y)) / _n_samples(z))

    def per_sample(self, y_pred, y, xp=np):
        return -xp.sum(y * xp.log(_clip(y_pred, xp)), axis=-1)

    def logits_per_sample(self, z, y, xp=np):
        # log Σ exp(z) with the row max taken out, inline: scipy's logsumexp is a Python call
        # per batch that costs more than the sum
        z_max = xp.max(z, axis=-1, keepdims=True)
        lse = z_max + xp.log(xp.sum(xp.exp(z - z_max), axis=-1, keepdims=True))
        return xp.sum(y * (lse - z), axis=-1)

    def check_output(self, activation, name="loss"):
        super().check_output(activation, name)
        if not activation.outputs_distribution:
            raise ValueError(
                f"{name}: cross_entropy needs outputs that sum to one (a softmax output), got "
                f"{activation.name}; after sigmoid outputs use binary_cross_entropy (each "
                "output its own yes/no)"
            )

    def check_targets(self, y, name="targets"):
        _check_unit_interval(y, name, self.name)
        sums = y.sum(axis=-1)
        tol = 1e-4 if y.dtype == np.float32 else 1e-8
        if not np.allclose(sums, 1, rtol=0, atol=tol * y.shape[-1]):
            worst = sums.flat[np.argmax(np.abs(sums - 1))]
            raise ValueError(
                f"{name}: cross_entropy needs each row of targets to sum to 1 (one-hot or a "
                f"distribution over the classes), got a row summing to {worst:g}"
            )

    def clipped(self, y_pred):
        return _outside_clip(y_pred)


def _log_targets(y: np.ndarray, xp=np) -> np.ndarray:
    """``log y`` where ``y > 0``, 0 elsewhere (those terms are multiplied by ``y = 0``)."""
    return xp.log(xp.where(y > 0, y, 1))


@LOSSES.register
class Poisson(Loss):
    """Half the Poisson deviance, summed over outputs and averaged over samples: scikit-learn's
    ``MLPRegressor(loss="poisson")`` (its ``poisson_loss``, constants included).

    ``C = Σ [ŷ - y + y log(y / ŷ)] / n`` (``y log y = 0`` at ``y = 0``), 0 when ``ŷ = y``, and
    ``dC/dŷ = (1 - y / ŷ) / n``. The targets are counts or rates, ``y >= 0``; the output layer
    is ``exp`` (the log link, as scikit-learn's), whose fused path from the logits ``z`` gives
    ``dC/dz = (exp(z) - y) / n`` and each term as ``y (expm1(d) - d)`` with ``d = z - log y``
    (``exp(z)`` where ``y = 0``): never negative, and accurate near the fit, where the
    terms ``exp(z) - y z`` and ``y log y - y`` would cancel. Nothing is clipped: a logit
    beyond ``log`` of the largest float makes the cost inf, which stops training as diverged.
    """

    name = "poisson"
    nonnegative_costs = True
    fused_activation = Exp
    sklearn = "poisson"

    def example_targets(self, rng, n_samples, n_outputs):
        return rng.poisson(1.0, (n_samples, n_outputs)).astype(float)

    def per_sample(self, y_pred, y, xp=np):
        with np.errstate(divide="ignore", invalid="ignore", over="ignore"):
            log_ratio = _log_targets(y, xp) - xp.log(y_pred)  # log(y / ŷ), y > 0
            terms = y_pred - y + xp.where(y > 0, y * log_ratio, 0)
        return xp.sum(terms, axis=-1)

    def value(self, y_pred, y):
        return float(np.sum(self.per_sample(y_pred, y)) / _n_samples(y_pred))

    def gradient(self, y_pred, y, xp=np):
        with np.errstate(divide="ignore", invalid="ignore"):
            ratio = xp.where(y > 0, y / y_pred, 0)
        return (1 - ratio) / _n_samples(y_pred)

    def reference(self, y_pred, y):
        constant = np.where(y > 0, y * _log_targets(y), 0) - y  # y log y - y: no gradient
        log_pred = anp.log(anp.where(y > 0, y_pred, 1.0))
        return anp.sum(y_pred - y * log_pred + constant) / _n_samples(y_pred)

    def logits_per_sample(self, z, y, xp=np):
        # y (e^d - 1 - d), d = z - log y: the same terms, without cancellation near ŷ = y.
        with np.errstate(over="ignore", invalid="ignore"):
            d = z - _log_targets(y, xp)
            terms = xp.where(y > 0, y * (xp.expm1(d) - d), xp.exp(z))
        return xp.sum(terms, axis=-1)

    def logits_value(self, z, y):
        return float(np.sum(self.logits_per_sample(z, y)) / _n_samples(z))

    def check_output(self, activation, name="loss"):
        if not isinstance(activation, Exp):
            raise ValueError(
                f"{name}: poisson needs an exp output layer (the log link, as scikit-learn's "
                f"MLPRegressor(loss='poisson')), got {activation.name}"
            )

    def check_targets(self, y, name="targets"):
        if y.size and y.min() < 0:
            raise ValueError(
                f"{name}: some value(s) are negative, which is not allowed for Poisson "
                f"regression (poisson needs counts or rates >= 0; the smallest is {y.min():g})"
            )


class FunctionLoss(Loss):
    """A cost from a pair ``(C, dC_dŷ)`` of functions of ``(y_pred, y)``, as in the notebook.

    Parameters
    ----------
    f : callable
        ``f(y_pred, y) -> float``. Write it with ``autograd.numpy`` for gradcheck.
    f_der : callable
        ``f_der(y_pred, y) -> dC_dŷ`` of the shape of ``y_pred``; the result is cast to the
        dtype of ``y_pred`` and refused if its shape differs.
    name : str, optional

    To pickle a network trained with it, use functions defined at module level (autograd's
    wrapped functions such as ``autograd.numpy.sin`` cannot be pickled).
    """

    def __init__(self, f: Callable, f_der: Callable, name: str | None = None):
        check_pair(f, f_der, "a loss pair (cost, cost_der)")
        self.f = f
        self.f_der = f_der
        self.name = name or getattr(f, "__name__", "custom")

    def value(self, y_pred, y):
        return float(self.f(y_pred, y))

    def gradient(self, y_pred, y, xp=np):
        dC_da = np.asarray(self.f_der(y_pred, y), dtype=y_pred.dtype)
        if dC_da.shape != y_pred.shape:
            raise ValueError(
                f"loss: the gradient function {getattr(self.f_der, '__name__', self.f_der)!r} "
                f"must return dC/dŷ of the prediction's shape {y_pred.shape}, got {dC_da.shape}"
            )
        return dC_da

    def reference(self, y_pred, y):
        return self.f(y_pred, y)

    def __hash__(self) -> int:
        return hash((type(self), self.f, self.f_der))


mse = MSE()
binary_cross_entropy = BinaryCrossEntropy()
cross_entropy = CrossEntropy()
poisson = Poisson()

LOSS_NAMES: tuple[str, ...] = LOSSES.names

#: What may stand for a loss: a name, an object, its class, or a pair (cost, cost_der).
LossLike = str | Loss | type[Loss] | tuple[Callable, Callable]


def get_loss(spec: LossLike, name: str = "loss") -> Loss:
    """Resolve a name, a :class:`Loss`, its class, or a ``(cost, cost_der)`` pair."""
    if isinstance(spec, Loss):
        return spec
    if isinstance(spec, str):
        return LOSSES.lookup(spec, name)()
    if isinstance(spec, type) and issubclass(spec, Loss):
        return spec()
    if is_function_pair(spec, (tuple, list)):
        return FunctionLoss(*spec)
    raise TypeError(
        f"{name} must be a loss name ({', '.join(LOSS_NAMES)}), a Loss, or a pair "
        f"(cost, cost_der); got {spec!r} ({type(spec).__name__})"
    )
