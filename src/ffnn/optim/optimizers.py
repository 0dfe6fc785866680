"""Gradient methods, kept outside the network.

An optimizer never sees the network. It is a pair of functions over explicit state, in the
spirit of optax:

- ``state = opt.init(params, mask=None)``
- ``updates, state = opt.update(grads, state, params)``, then ``params += updates``
  (:func:`apply_updates`).

``params`` and ``grads`` are flat arrays laid out alike (``network.params`` and
``network.gradient(...)``). ``update`` returns a new state and leaves the old one untouched, so
a state saved midway (:func:`state_to_arrays`) resumes the run exactly. ``mask`` is the
network's :meth:`~ffnn.Network.weight_mask` (1 for weights, 0 for biases), used by decoupled
weight decay. Pieces compose with :func:`chain`: each transforms the vector it receives, and
the last one produces the parameter update, e.g. ``chain(ClipGradNorm(1.0), Adam(1e-3))``.

Every method follows PyTorch's formulation with its default arguments (``g`` the gradient,
``t`` the step count from 1, ``lr`` the learning rate at this step):

==============  ===========================================================================
``SGD``/``GD``  ``θ ← θ - lr g``
``Momentum``    ``b ← μ b + g``;  ``θ ← θ - lr b``
``Nesterov``    ``b ← μ b + g``;  ``θ ← θ - lr (g + μ b)``
``Adagrad``     ``G ← G + g²``;  ``θ ← θ - lr g / (√G + ε)`` (optionally with momentum)
``RMSprop``     ``v ← α v + (1 - α) g²``;  ``θ ← θ - lr g / (√v + ε)``
``Adam``        ``m ← β₁ m + (1 - β₁) g``;  ``v ← β₂ v + (1 - β₂) g²``;
                ``θ ← θ - lr m̂ / (√v̂ + ε)`` with ``m̂ = m / (1 - β₁ᵗ)``, ``v̂ = v / (1 - β₂ᵗ)``
``AdamW``       ``θ ← θ - lr λ mask θ``, then Adam
``NAdam``       Adam's ``m`` and ``v`` with Nesterov momentum through ``μₜ = β₁ (1 - ½ 0.96^(ψt))``:
                ``θ ← θ - lr (1 - μₜ) g / ((1 - Πμ) d) - lr μₜ₊₁ m / ((1 - Πμ μₜ₊₁) d)``,
                ``d = √(v / (1 - β₂ᵗ)) + ε``
``Adamax``      Adam's ``m``;  ``u ← max(β₂ u, |g| + ε)``;  ``θ ← θ - lr m / ((1 - β₁ᵗ) u)``
``RAdam``       Adam's ``m`` and ``v``;  with ``ρ∞ = 2 / (1 - β₂) - 1``,
                ``ρₜ = ρ∞ - 2 t β₂ᵗ / (1 - β₂ᵗ)``: ``θ ← θ - lr m̂ r √(1 - β₂ᵗ) / (√v + ε)``
                while ``ρₜ > 5``, with ``r = √((ρₜ - 4)(ρₜ - 2) ρ∞ / ((ρ∞ - 4)(ρ∞ - 2) ρₜ))``,
                else ``θ ← θ - lr m̂``
==============  ===========================================================================

Each class declares what the rest of the library reads (:mod:`ffnn.core.registry`): its names, its
the paths that cannot run it, scikit-learn's parameter names for its
hyperparameters (``sklearn_params``) and the ``torch.optim`` class it reproduces.
"""

from __future__ import annotations

import copy
import math
from collections.abc import Callable, Mapping, Sequence
from typing import Any

import numpy as np

from ..core.registry import Component, Registry
from ..core.validation import is_integer, is_real
from ..core.xp import as_dtype
from .schedules import Schedule, as_schedule

__all__ = [
    "GradientTransformation",
    "SGD",
    "GD",
    "Momentum",
    "Nesterov",
    "SklearnSGD",
    "SklearnAdam",
    "Adagrad",
    "RMSprop",
    "Adam",
    "AdamW",
    "NAdam",
    "Adamax",
    "RAdam",
    "ClipGradNorm",
    "Chain",
    "chain",
    "apply_updates",
    "copy_state",
    "state_layout",
    "state_to_arrays",
    "state_from_arrays",
    "get_optimizer",
    "OPTIMIZERS",
    "OPTIMIZER_NAMES",
    "LBFGS",
]

#: The built-in optimizers (see :mod:`ffnn.core.registry`).
OPTIMIZERS = Registry("optimizer")

State = Any  # a dict of arrays and numbers, or a tuple of such dicts for a chain


def _unit_interval(value, name: str) -> float:
    if not is_real(value) or not math.isfinite(value):
        raise TypeError(f"{name} must be a number in [0, 1), got {value!r}")
    if not 0 <= value < 1:
        raise ValueError(f"{name} must be in [0, 1), got {value}")
    return float(value)


def _non_negative(value, name: str) -> float:
    if not is_real(value) or not math.isfinite(value):
        raise TypeError(f"{name} must be a finite number >= 0, got {value!r}")
    if value < 0:
        raise ValueError(f"{name} must be >= 0, got {value}")
    return float(value)


class GradientTransformation(Component):
    """Base class: ``init(params, mask) -> state`` and ``update(grads, state, params)``.

    Attributes
    ----------
    sklearn_params : dict
        ``{parameter: scikit-learn MLP parameter}`` (a pair of names for ``betas``): what an
        estimator passes on (``{"betas": ("beta_1", "beta_2"), "eps": "epsilon"}``).
    torch : str or None
        The ``torch.optim`` class whose formulas (with its defaults) it reproduces.
    stack_shared : dict of str to str
        ``{hyperparameter: why}`` for those the networks of one stack must share (they
        change the shape of the state), e.g. Adagrad's ``momentum``.
    sklearn_solver : str or None
        The scikit-learn MLP ``solver`` whose formula it is (``"sgd"``, ``"adam"``): what the
        estimators' ``solver=`` of that name trains with.
    full_batch : bool
        A method over the whole data set with a line search (:class:`ffnn.optim.lbfgs.LBFGS`)
        rather than a per-step update: the trainer runs it through its own path
        (:mod:`ffnn.backends.lbfgs`), full batch, without chains or per-epoch callbacks.
    """

    sklearn_params: Mapping[str, Any] = {}
    torch: str | None = None
    stack_shared: Mapping[str, str] = {}
    sklearn_solver: str | None = None
    full_batch: bool = False

    def init(self, params: np.ndarray, mask: np.ndarray | None = None) -> State:
        """The state before the first step, for parameters shaped like ``params``."""
        return {"step": 0}

    def update(self, grads: np.ndarray, state: State, params: np.ndarray
               ) -> tuple[np.ndarray, State]:
        """Transform ``grads`` into updates (or into the next piece's input, in a chain)."""
        return self.transform(grads, state, params, self.rate(state["step"]))

    def transform(self, grads: np.ndarray, state: State, params: np.ndarray, lr,
                  xp=np) -> tuple[np.ndarray, State]:
        """The formula: ``(updates, new_state)`` at learning rate ``lr``, written against the
        array namespace ``xp`` (:mod:`ffnn.core.xp`), so that the JAX engine traces this very
        text (``state["step"]`` and ``lr`` then traced too). :meth:`update` is it at
        the schedule's rate for the state's step."""
        raise NotImplementedError(f"{type(self).__name__} must implement update or transform")

    def step(self, params: np.ndarray, grads: np.ndarray, state: State,
             scratch: np.ndarray) -> State:
        """``update`` and ``params += updates`` in place: the training engine's form.

        The same operations in the same order as :meth:`update` (so the same bits), but the
        state's arrays, ``grads`` and ``scratch`` (an array like ``params``) are overwritten
        instead of new ones being made. Returns the state (the same object, advanced).
        """
        updates, state = self.update(grads, state, params)
        params += updates
        return state

    def rate(self, step: int) -> float:
        """The learning rate at ``step`` as a Python float (so float32 stays float32); an
        array where the rate is one per network of a stack (:meth:`with_values`)."""
        rate = self.lr(step)
        return rate if isinstance(rate, np.ndarray) else float(rate)

    def with_values(self, **values) -> GradientTransformation:
        """A copy of this optimizer with the hyperparameters ``values`` as given, unchecked:
        one value per network of a stack (a (K, 1) column for the NumPy stack, a traced
        value in the JAX engine's vmapped program), which the formulas broadcast; ``lr`` may
        be any function of the step (giving such a column). This optimizer is unchanged.
        Names that are not its hyperparameters raise ValueError."""
        unknown = sorted(set(values) - set(type(self).params()))
        if unknown:
            raise ValueError(f"{type(self).__name__} has no hyperparameter {unknown[0]!r} "
                             f"(it has {', '.join(type(self).params())})")
        new = copy.copy(self)
        vars(new).update(values)
        return new

    @property
    def schedules(self) -> list[Schedule]:
        """The learning-rate schedules inside (the training loop reports losses to them)."""
        lr = getattr(self, "lr", None)
        return [lr] if isinstance(lr, Schedule) else []

    def __repr__(self) -> str:
        params = ", ".join(f"{k}={v!r}" for k, v in vars(self).items())
        return f"{type(self).__name__}({params})"


@OPTIMIZERS.register
class SGD(GradientTransformation):
    """Plain (stochastic) gradient descent: ``θ ← θ - lr g``.

    Parameters
    ----------
    lr : float or Schedule, default 0.01
    """

    name = "sgd"
    aliases = ("gd",)
    torch = "SGD"

    def __init__(self, lr: float | Schedule = 0.01):
        self.lr = as_schedule(lr)

    def transform(self, grads, state, params, lr, xp=np):
        return -as_dtype(lr, grads.dtype, xp) * grads, {"step": state["step"] + 1}

    def step(self, params, grads, state, scratch):
        grads *= -self.rate(state["step"])
        params += grads
        state["step"] += 1
        return state


GD = SGD


@OPTIMIZERS.register
class Momentum(GradientTransformation):
    """Gradient descent with momentum (PyTorch's SGD with ``momentum``, no dampening).

    ``b ← μ b + g`` (``b = g`` at the first step), ``θ ← θ - lr b``.

    Parameters
    ----------
    lr : float or Schedule, default 0.01
    momentum : float in [0, 1), default 0.9
    """

    name = "momentum"
    sklearn_params = {"momentum": "momentum"}
    torch = "SGD"
    nesterov = False

    def __init__(self, lr: float | Schedule = 0.01, momentum: float = 0.9):
        self.lr = as_schedule(lr)
        self.momentum = _unit_interval(momentum, "momentum")

    def init(self, params, mask=None):
        return {"step": 0, "velocity": np.zeros_like(params)}

    def transform(self, grads, state, params, lr, xp=np):
        mu = as_dtype(self.momentum, grads.dtype, xp)
        velocity = mu * state["velocity"] + grads
        direction = grads + mu * velocity if self.nesterov else velocity
        return (-as_dtype(lr, grads.dtype, xp) * direction,
                {"step": state["step"] + 1, "velocity": velocity})

    def step(self, params, grads, state, scratch):
        lr, velocity = self.rate(state["step"]), state["velocity"]
        velocity *= self.momentum
        velocity += grads
        if self.nesterov:
            np.multiply(self.momentum, velocity, out=scratch)
            grads += scratch
            grads *= -lr
            params += grads
        else:
            np.multiply(-lr, velocity, out=scratch)
            params += scratch
        state["step"] += 1
        return state


@OPTIMIZERS.register
class Nesterov(Momentum):
    """Nesterov momentum as in PyTorch: ``b ← μ b + g``, ``θ ← θ - lr (g + μ b)``."""

    name = "nesterov"

    nesterov = True


@OPTIMIZERS.register
class SklearnSGD(GradientTransformation):
    """Momentum with the learning rate inside the velocity, as scikit-learn's ``"sgd"``
    solver: ``v ← μ v - lr g``, then ``θ ← θ + v``, or with ``nesterov`` (its default)
    ``θ ← θ + μ v - lr g``.

    The same steps as :class:`Momentum` and :class:`Nesterov` while ``lr`` is constant; when
    it changes (a schedule) the velocity keeps the earlier rates, where PyTorch's scales the
    whole velocity by the current one. ``FFNNClassifier(solver="sgd")`` trains with it.

    Parameters
    ----------
    lr : float or Schedule, default 0.01
    momentum : float in [0, 1), default 0.9
    nesterov : bool, default True
    """

    name = "sklearn_sgd"
    sklearn_solver = "sgd"
    sklearn_params = {"momentum": "momentum", "nesterov": "nesterovs_momentum"}

    def __init__(self, lr: float | Schedule = 0.01, momentum: float = 0.9,
                 nesterov: bool = True):
        self.lr = as_schedule(lr)
        self.momentum = _unit_interval(momentum, "momentum")
        if not isinstance(nesterov, (bool, np.bool_)):
            raise TypeError(f"nesterov must be True or False, got {nesterov!r}")
        self.nesterov = bool(nesterov)

    def init(self, params, mask=None):
        return {"step": 0, "velocity": np.zeros_like(params)}

    def transform(self, grads, state, params, lr, xp=np):
        mu = as_dtype(self.momentum, grads.dtype, xp)
        scaled = -as_dtype(lr, grads.dtype, xp) * grads
        velocity = mu * state["velocity"] + scaled
        updates = mu * velocity + scaled if self.nesterov else velocity
        return updates, {"step": state["step"] + 1, "velocity": velocity}

    def step(self, params, grads, state, scratch):
        velocity = state["velocity"]
        grads *= -self.rate(state["step"])  # -lr g
        velocity *= self.momentum
        velocity += grads
        if self.nesterov:
            np.multiply(self.momentum, velocity, out=scratch)
            scratch += grads
            params += scratch
        else:
            params += velocity
        state["step"] += 1
        return state


@OPTIMIZERS.register
class Adagrad(GradientTransformation):
    """Adagrad: ``G ← G + g²``, ``θ ← θ - lr g / (√G + ε)`` (PyTorch's, no lr decay).

    With ``momentum > 0`` (the course's variant, not in PyTorch) the scaled gradient feeds a
    momentum buffer: ``b ← μ b + g / (√G + ε)``, ``θ ← θ - lr b``.

    Parameters
    ----------
    lr : float or Schedule, default 0.01
    eps : float, default 1e-10
    momentum : float in [0, 1), default 0
    """

    name = "adagrad"
    torch = "Adagrad"

    stack_shared = {"momentum": "it switches the momentum buffer of the state on or off"}

    def __init__(self, lr: float | Schedule = 0.01, eps: float = 1e-10, momentum: float = 0.0):
        self.lr = as_schedule(lr)
        self.eps = _non_negative(eps, "eps")
        self.momentum = _unit_interval(momentum, "momentum")

    def init(self, params, mask=None):
        state = {"step": 0, "sum_squares": np.zeros_like(params)}
        if self.momentum:
            state["velocity"] = np.zeros_like(params)
        return state

    def transform(self, grads, state, params, lr, xp=np):
        dtype = grads.dtype
        sum_squares = state["sum_squares"] + grads * grads
        direction = grads / (xp.sqrt(sum_squares) + as_dtype(self.eps, dtype, xp))
        new_state = {"step": state["step"] + 1, "sum_squares": sum_squares}
        if "velocity" in state:  # momentum > 0: its buffer (the state's layout says so)
            direction = as_dtype(self.momentum, dtype, xp) * state["velocity"] + direction
            new_state["velocity"] = direction
        return -as_dtype(lr, grads.dtype, xp) * direction, new_state

    def step(self, params, grads, state, scratch):
        lr, sum_squares = self.rate(state["step"]), state["sum_squares"]
        np.multiply(grads, grads, out=scratch)
        sum_squares += scratch
        np.sqrt(sum_squares, out=scratch)
        scratch += self.eps
        grads /= scratch  # the direction g / (√G + ε)
        if self.momentum:
            velocity = state["velocity"]
            velocity *= self.momentum
            velocity += grads
            np.multiply(-lr, velocity, out=scratch)
            params += scratch
        else:
            grads *= -lr
            params += grads
        state["step"] += 1
        return state


@OPTIMIZERS.register
class RMSprop(GradientTransformation):
    """RMSprop: ``v ← α v + (1 - α) g²``, ``θ ← θ - lr g / (√v + ε)`` (PyTorch's).

    Parameters
    ----------
    lr : float or Schedule, default 0.01
    alpha : float in [0, 1), default 0.99
        Decay of the running mean of squared gradients.
    eps : float, default 1e-8
    """

    name = "rmsprop"
    torch = "RMSprop"

    def __init__(self, lr: float | Schedule = 0.01, alpha: float = 0.99, eps: float = 1e-8):
        self.lr = as_schedule(lr)
        self.alpha = _unit_interval(alpha, "alpha")
        self.eps = _non_negative(eps, "eps")

    def init(self, params, mask=None):
        return {"step": 0, "mean_square": np.zeros_like(params)}

    def transform(self, grads, state, params, lr, xp=np):
        dtype = grads.dtype
        mean_square = (as_dtype(self.alpha, dtype, xp) * state["mean_square"]
                       + as_dtype(1 - self.alpha, dtype, xp) * grads * grads)
        direction = grads / (xp.sqrt(mean_square) + as_dtype(self.eps, dtype, xp))
        return (-as_dtype(lr, grads.dtype, xp) * direction,
                {"step": state["step"] + 1, "mean_square": mean_square})

    def step(self, params, grads, state, scratch):
        lr, mean_square = self.rate(state["step"]), state["mean_square"]
        mean_square *= self.alpha
        np.multiply(1 - self.alpha, grads, out=scratch)
        scratch *= grads
        mean_square += scratch
        np.sqrt(mean_square, out=scratch)
        scratch += self.eps
        grads /= scratch
        grads *= -lr
        params += grads
        state["step"] += 1
        return state


def _moments(grads, state, beta_1, beta_2, xp=np):
    """Adam's running moments ``β₁ m + (1 - β₁) g`` and ``β₂ v + (1 - β₂) g²``, each
    coefficient computed as Python computes it and then taken in the gradient's dtype."""
    dtype = grads.dtype
    m = (as_dtype(beta_1, dtype, xp) * state["m"] + as_dtype(1 - beta_1, dtype, xp) * grads)
    v = (as_dtype(beta_2, dtype, xp) * state["v"]
         + as_dtype(1 - beta_2, dtype, xp) * grads * grads)
    return m, v


def _moments_into(grads, state, beta_1, beta_2, scratch) -> None:
    """:func:`_moments` in place, into ``state["m"]`` and ``state["v"]`` (the same
    operations in the same order as NumPy evaluates it; ``scratch`` is overwritten)."""
    m, v = state["m"], state["v"]
    m *= beta_1
    np.multiply(1 - beta_1, grads, out=scratch)
    m += scratch
    v *= beta_2
    np.multiply(1 - beta_2, grads, out=scratch)
    scratch *= grads
    v += scratch


def _check_betas(betas) -> tuple[float, float]:
    if not (isinstance(betas, Sequence) and len(betas) == 2):
        raise TypeError(f"betas must be a pair (beta_1, beta_2), got {betas!r}")
    return _unit_interval(betas[0], "beta_1"), _unit_interval(betas[1], "beta_2")


@OPTIMIZERS.register
class Adam(GradientTransformation):
    """Adam (Kingma & Ba; PyTorch's formulation).

    ``m ← β₁ m + (1 - β₁) g``, ``v ← β₂ v + (1 - β₂) g²``, and with the bias-corrected
    ``m̂ = m / (1 - β₁ᵗ)``, ``v̂ = v / (1 - β₂ᵗ)``: ``θ ← θ - lr m̂ / (√v̂ + ε)``.

    Parameters
    ----------
    lr : float or Schedule, default 0.001
    betas : (float, float), default (0.9, 0.999)
        Each in [0, 1).
    eps : float, default 1e-8
        Added to ``√v̂``.
    """

    name = "adam"
    sklearn_params = {"betas": ("beta_1", "beta_2"), "eps": "epsilon"}
    torch = "Adam"

    def __init__(self, lr: float | Schedule = 0.001, betas=(0.9, 0.999), eps: float = 1e-8):
        self.lr = as_schedule(lr)
        self.betas = _check_betas(betas)
        self.eps = _non_negative(eps, "eps")

    def init(self, params, mask=None):
        return {"step": 0, "m": np.zeros_like(params), "v": np.zeros_like(params)}

    def transform(self, grads, state, params, lr, xp=np):
        beta_1, beta_2 = self.betas
        dtype = grads.dtype
        t = state["step"] + 1
        m, v = _moments(grads, state, beta_1, beta_2, xp)
        # the bias corrections in float64 (as Python computes them), then in the dtype
        m_hat = m / as_dtype(1 - beta_1**t, dtype, xp)
        v_hat = v / as_dtype(1 - beta_2**t, dtype, xp)
        updates = (-as_dtype(lr, dtype, xp) * m_hat
                   / (xp.sqrt(v_hat) + as_dtype(self.eps, dtype, xp)))
        return updates, {**state, "step": t, "m": m, "v": v}

    def _adam_into(self, grads, state, scratch) -> float:
        """:meth:`transform` in place: the updates into ``grads``; returns this step's
        ``lr``."""
        beta_1, beta_2 = self.betas
        step = state["step"]
        t = step + 1
        _moments_into(grads, state, beta_1, beta_2, scratch)
        m, v = state["m"], state["v"]
        lr = self.rate(step)
        np.divide(m, 1 - beta_1**t, out=grads)  # m̂
        grads *= -lr
        np.divide(v, 1 - beta_2**t, out=scratch)  # v̂
        np.sqrt(scratch, out=scratch)
        scratch += self.eps
        grads /= scratch
        state["step"] = t
        return lr

    def step(self, params, grads, state, scratch):
        self._adam_into(grads, state, scratch)
        params += grads
        return state


@OPTIMIZERS.register
class SklearnAdam(Adam):
    """Adam as scikit-learn's ``"adam"`` solver writes it: the bias corrections folded into
    the rate, ``ε`` added to ``√v``.

    ``m ← β₁ m + (1 - β₁) g``, ``v ← β₂ v + (1 - β₂) g²``,
    ``θ ← θ - lr √(1 - β₂ᵗ) / (1 - β₁ᵗ) · m / (√v + ε)``: :class:`Adam`'s steps with
    ``ε √(1 - β₂ᵗ)`` in place of its ``ε``, so the two agree for a small ``ε`` and part
    for a large one. ``FFNNClassifier(solver="adam")`` trains with it.

    Parameters
    ----------
    lr : float or Schedule, default 0.001
    betas : (float, float), default (0.9, 0.999)
    eps : float, default 1e-8
        Added to ``√v``.
    """

    name = "sklearn_adam"
    sklearn_solver = "adam"
    torch = None  # Adam's parameters and state, scikit-learn's formula: no PyTorch peer

    def transform(self, grads, state, params, lr, xp=np):
        beta_1, beta_2 = self.betas
        dtype = grads.dtype
        t = state["step"] + 1
        m, v = _moments(grads, state, beta_1, beta_2, xp)
        rate = as_dtype(lr, dtype, xp) * as_dtype((1 - beta_2**t) ** 0.5 / (1 - beta_1**t),
                                                  dtype, xp)
        updates = -rate * m / (xp.sqrt(v) + as_dtype(self.eps, dtype, xp))
        return updates, {**state, "step": t, "m": m, "v": v}

    def step(self, params, grads, state, scratch):
        beta_1, beta_2 = self.betas
        step = state["step"]
        t = step + 1
        _moments_into(grads, state, beta_1, beta_2, scratch)
        rate = self.rate(step) * ((1 - beta_2**t) ** 0.5 / (1 - beta_1**t))
        np.multiply(-rate, state["m"], out=grads)
        np.sqrt(state["v"], out=scratch)
        scratch += self.eps
        grads /= scratch
        params += grads
        state["step"] = t
        return state


@OPTIMIZERS.register
class AdamW(Adam):
    """Adam with decoupled weight decay (Loshchilov & Hutter; PyTorch's AdamW).

    ``θ ← θ - lr λ mask θ``, then the Adam step. ``mask`` comes from ``init`` (the network's
    weight mask: weights decay, biases do not); without one every parameter decays, as in
    PyTorch without parameter groups. The L1/L2 penalties of the cost are separate from this.

    Parameters
    ----------
    lr : float or Schedule, default 0.001
    betas : (float, float), default (0.9, 0.999)
    eps : float, default 1e-8
    weight_decay : float, default 0.01
        ``λ``.
    """

    name = "adamw"
    torch = "AdamW"

    def __init__(self, lr: float | Schedule = 0.001, betas=(0.9, 0.999), eps: float = 1e-8,
                 weight_decay: float = 0.01):
        super().__init__(lr, betas, eps)
        self.weight_decay = _non_negative(weight_decay, "weight_decay")

    def init(self, params, mask=None):
        decay = np.ones_like(params) if mask is None else np.asarray(mask, dtype=params.dtype)
        if decay.shape != params.shape:
            raise ValueError(
                f"mask must have the shape of params {params.shape}, got {decay.shape}"
            )
        return {**super().init(params), "decay_mask": decay}

    def transform(self, grads, state, params, lr, xp=np):
        updates, new_state = super().transform(grads, state, params, lr, xp)
        decay = as_dtype(lr * self.weight_decay, grads.dtype, xp)
        return updates - decay * state["decay_mask"] * params, new_state

    def step(self, params, grads, state, scratch):
        lr = self._adam_into(grads, state, scratch)
        np.multiply(lr * self.weight_decay, state["decay_mask"], out=scratch)
        scratch *= params
        grads -= scratch
        params += grads
        return state


@OPTIMIZERS.register
class NAdam(Adam):
    """NAdam: Adam with Nesterov momentum (Dozat; PyTorch's formulation and defaults).

    With ``μₜ = β₁ (1 - ½ · 0.96^(t ψ))`` and ``Πμ = μ₁ ⋯ μₜ``: ``m`` and ``v`` as Adam's,
    ``d = √(v / (1 - β₂ᵗ)) + ε`` and
    ``θ ← θ - lr (1 - μₜ) / (1 - Πμ) · g / d - lr μₜ₊₁ / (1 - Πμ μₜ₊₁) · m / d``.

    Parameters
    ----------
    lr : float or Schedule, default 0.002
    betas : (float, float), default (0.9, 0.999)
    eps : float, default 1e-8
    momentum_decay : float, default 0.004
        ``ψ``.
    """

    name = "nadam"
    torch = "NAdam"

    def __init__(self, lr: float | Schedule = 0.002, betas=(0.9, 0.999), eps: float = 1e-8,
                 momentum_decay: float = 0.004):
        super().__init__(lr, betas, eps)
        self.momentum_decay = _non_negative(momentum_decay, "momentum_decay")

    def init(self, params, mask=None):
        # Πμ in float64 whatever the parameters' dtype (PyTorch keeps it in its default
        # float dtype); a column per network when stacked.
        return {**super().init(params), "mu_product": np.ones(1)}

    def _coefficients(self, state, lr, dtype, xp=np):
        """This step's ``t``, ``1 - β₂ᵗ`` (in ``dtype``), the two coefficients of ``g / d``
        and ``m / d`` (in ``dtype``) and the new ``Πμ`` (float64)."""
        beta_1, beta_2 = self.betas
        t = state["step"] + 1
        mu = beta_1 * (1 - 0.5 * 0.96 ** (t * self.momentum_decay))
        mu_next = beta_1 * (1 - 0.5 * 0.96 ** ((t + 1) * self.momentum_decay))
        mu_product = state["mu_product"] * mu
        c_grad = xp.asarray(-lr * (1 - mu) / (1 - mu_product), dtype=dtype)
        c_m = xp.asarray(-lr * mu_next / (1 - mu_product * mu_next), dtype=dtype)
        return t, as_dtype(1 - beta_2**t, dtype, xp), c_grad, c_m, mu_product

    def transform(self, grads, state, params, lr, xp=np):
        beta_1, beta_2 = self.betas
        t, correction_2, c_grad, c_m, mu_product = self._coefficients(state, lr, grads.dtype,
                                                                      xp)
        m, v = _moments(grads, state, beta_1, beta_2, xp)
        d = xp.sqrt(v / correction_2) + as_dtype(self.eps, grads.dtype, xp)
        updates = (grads / d) * c_grad + (m / d) * c_m
        return updates, {**state, "step": t, "m": m, "v": v, "mu_product": mu_product}

    def step(self, params, grads, state, scratch):
        beta_1, beta_2 = self.betas
        t, correction_2, c_grad, c_m, mu_product = self._coefficients(
            state, self.rate(state["step"]), grads.dtype)
        _moments_into(grads, state, beta_1, beta_2, scratch)
        m, v = state["m"], state["v"]
        np.divide(v, correction_2, out=scratch)
        np.sqrt(scratch, out=scratch)
        scratch += self.eps  # d
        grads /= scratch
        grads *= c_grad
        np.divide(m, scratch, out=scratch)
        scratch *= c_m
        grads += scratch
        params += grads
        state["step"] = t
        state["mu_product"] = mu_product
        return state


@OPTIMIZERS.register
class Adamax(Adam):
    """Adamax: Adam with the infinity norm (Kingma & Ba; PyTorch's formulation and defaults).

    ``m ← β₁ m + (1 - β₁) g``, ``u ← max(β₂ u, |g| + ε)`` (PyTorch 2's: ``ε`` inside the
    maximum, so ``u > 0`` from the first step), ``θ ← θ - lr / (1 - β₁ᵗ) · m / u``.

    Parameters
    ----------
    lr : float or Schedule, default 0.002
    betas : (float, float), default (0.9, 0.999)
        Each in [0, 1).
    eps : float, default 1e-8
    """

    name = "adamax"
    sklearn_params = {}  # scikit-learn's MLP has no Adamax
    torch = "Adamax"

    def __init__(self, lr: float | Schedule = 0.002, betas=(0.9, 0.999), eps: float = 1e-8):
        super().__init__(lr, betas, eps)

    def init(self, params, mask=None):
        return {"step": 0, "m": np.zeros_like(params), "u": np.zeros_like(params)}

    def transform(self, grads, state, params, lr, xp=np):
        beta_1, beta_2 = self.betas
        dtype = grads.dtype
        t = state["step"] + 1
        m = as_dtype(beta_1, dtype, xp) * state["m"] + as_dtype(1 - beta_1, dtype, xp) * grads
        u = xp.maximum(as_dtype(beta_2, dtype, xp) * state["u"],
                       xp.abs(grads) + as_dtype(self.eps, dtype, xp))
        # the bias correction folded into the rate in float64, then in the dtype
        updates = (m / u) * as_dtype(-lr / (1 - beta_1**t), dtype, xp)
        return updates, {**state, "step": t, "m": m, "u": u}

    def step(self, params, grads, state, scratch):
        beta_1, beta_2 = self.betas
        step = state["step"]
        t = step + 1
        m, u = state["m"], state["u"]
        m *= beta_1
        np.multiply(1 - beta_1, grads, out=scratch)
        m += scratch
        u *= beta_2
        np.abs(grads, out=scratch)
        scratch += self.eps
        np.maximum(u, scratch, out=u)
        np.divide(m, u, out=grads)
        grads *= -self.rate(step) / (1 - beta_1**t)
        params += grads
        state["step"] = t
        return state


@OPTIMIZERS.register
class RAdam(Adam):
    """RAdam: Adam with its adaptive rate rectified (Liu et al.; PyTorch's formulation and
    defaults, without weight decay).

    ``m`` and ``v`` as Adam's, ``m̂ = m / (1 - β₁ᵗ)``. The length of the approximated simple
    moving average, ``ρₜ = ρ∞ - 2 t β₂ᵗ / (1 - β₂ᵗ)`` with ``ρ∞ = 2 / (1 - β₂) - 1``, grows
    with ``t`` from 1 towards ``ρ∞``. While ``ρₜ ≤ 5`` (the first 5 steps with the default
    ``β₂``; always when ``ρ∞ ≤ 5``, i.e. ``β₂ ≤ 2/3``) the step is momentum alone,
    ``θ ← θ - lr m̂``; after, ``θ ← θ - lr r m̂ √(1 - β₂ᵗ) / (√v + ε)`` with the
    rectification ``r = √((ρₜ - 4)(ρₜ - 2) ρ∞ / ((ρ∞ - 4)(ρ∞ - 2) ρₜ))``.

    Which of the two applies depends on ``t`` and ``β₂`` only: it is chosen by
    ``where`` on scalars, not by a branch, so that the step may be traced (the JAX engine)
    and ``β₂`` may differ across a stack.

    Parameters
    ----------
    lr : float or Schedule, default 0.001
    betas : (float, float), default (0.9, 0.999)
        Each in [0, 1).
    eps : float, default 1e-8
        Added to ``√v`` (not to ``√v̂``, as PyTorch).
    """

    name = "radam"
    sklearn_params = {}  # scikit-learn's MLP has no RAdam
    torch = "RAdam"

    def _coefficients(self, t, lr, dtype, xp=np):
        """Whether ``ρₜ > 5`` (rectified), and the coefficient of the step's direction (in
        ``dtype``): of ``m / (√v + ε)`` when rectified, of ``m`` when not."""
        beta_1, beta_2 = self.betas
        correction_1 = 1 - beta_1**t
        correction_2 = 1 - beta_2**t
        rho_inf = 2 / (1 - beta_2) - 1
        rho_t = rho_inf - 2 * t * beta_2**t / correction_2
        rectified = rho_t > 5
        # ρₜ < ρ∞, so both exceed 5 when rectified; otherwise r is not used, and the clamp
        # at 5 only keeps it finite (ρ∞ may be 2 or 4, ρₜ between 2 and 4).
        rho, rho_max = xp.maximum(rho_t, 5.0), xp.maximum(rho_inf, 5.0)
        r = xp.sqrt((rho - 4) * (rho - 2) * rho_max / ((rho_max - 4) * (rho_max - 2) * rho))
        coefficient = xp.where(rectified, -lr * r * xp.sqrt(correction_2) / correction_1,
                               -lr / correction_1)
        return rectified, xp.asarray(coefficient, dtype=dtype)

    def transform(self, grads, state, params, lr, xp=np):
        beta_1, beta_2 = self.betas
        t = state["step"] + 1
        m, v = _moments(grads, state, beta_1, beta_2, xp)
        rectified, coefficient = self._coefficients(t, lr, grads.dtype, xp)
        d = xp.where(rectified, xp.sqrt(v) + as_dtype(self.eps, grads.dtype, xp), 1.0)
        return (m / d) * coefficient, {**state, "step": t, "m": m, "v": v}

    def step(self, params, grads, state, scratch):
        beta_1, beta_2 = self.betas
        step = state["step"]
        t = step + 1
        rectified, coefficient = self._coefficients(t, self.rate(step), grads.dtype)
        _moments_into(grads, state, beta_1, beta_2, scratch)
        m, v = state["m"], state["v"]
        np.sqrt(v, out=scratch)
        scratch += self.eps
        np.copyto(scratch, 1, where=np.logical_not(rectified))  # d
        np.divide(m, scratch, out=grads)
        grads *= coefficient
        params += grads
        state["step"] = t
        return state


class ClipGradNorm(GradientTransformation):
    """Scale the gradient down to a global norm of at most ``max_norm`` (PyTorch's rule).

    ``g ← g · min(1, max_norm / (‖g‖ + 1e-6))``. Put it first in a :func:`chain`.

    Parameters
    ----------
    max_norm : float
    """

    def __init__(self, max_norm: float):
        self.max_norm = _non_negative(max_norm, "max_norm")
        if self.max_norm == 0:
            raise ValueError("max_norm must be > 0, got 0")

    def init(self, params, mask=None):
        return {}

    def update(self, grads, state, params):
        coefficient = self.max_norm / (float(np.linalg.norm(grads)) + 1e-6)
        return (grads * coefficient if coefficient < 1 else grads), state


class Chain(GradientTransformation):
    """Several transformations applied in turn; the state is the tuple of their states."""

    def __init__(self, *transforms: GradientTransformation):
        if not transforms:
            raise ValueError("chain needs at least one transformation")
        for i, t in enumerate(transforms):
            if not isinstance(t, GradientTransformation):
                raise TypeError(
                    f"chain: item {i} must be a GradientTransformation, got {type(t).__name__}"
                )
            if t.full_batch:
                raise ValueError(f"chain: item {i}, {type(t).__name__}, searches its own steps "
                                 "over the whole data set and cannot be chained")
        self.transforms = transforms

    def init(self, params, mask=None):
        return tuple(t.init(params, mask) for t in self.transforms)

    def update(self, grads, state, params):
        new_states = []
        for t, s in zip(self.transforms, state):
            grads, s = t.update(grads, s, params)
            new_states.append(s)
        return grads, tuple(new_states)

    def step(self, params, grads, state, scratch):
        new_states = []
        for t, s in zip(self.transforms[:-1], state[:-1]):
            grads, s = t.update(grads, s, params)
            new_states.append(s)
        if not all(type(t) is ClipGradNorm for t in self.transforms[:-1]):
            # Another piece may hand on an array it keeps (its state): the last piece's
            # in-place step must not write into it.
            grads = grads.copy()
        new_states.append(self.transforms[-1].step(params, grads, state[-1], scratch))
        return tuple(new_states)

    @property
    def schedules(self):
        return [s for t in self.transforms for s in t.schedules]


def chain(*transforms: GradientTransformation) -> Chain:
    """Compose transformations: ``chain(ClipGradNorm(1.0), Adam(1e-3))``."""
    return Chain(*transforms)


def apply_updates(params: np.ndarray, updates: np.ndarray) -> None:
    """``params += updates`` in place (the network's buffer stays the same array)."""
    params += updates


# -- L-BFGS: a method over the whole data set, not a per-step update ------------------------

#: SciPy's default ``ftol`` for L-BFGS-B (``factr = 1e7`` times the machine epsilon).
FTOL = 1e7 * np.finfo(float).eps


@OPTIMIZERS.register
class LBFGS(GradientTransformation):
    """Full-batch L-BFGS-B (SciPy) with the network's own cost and gradient.

    A quasi-Newton method, not a per-step update: each iteration takes the cost ``C(θ)`` and
    gradient ``∇C(θ)`` of the full batch (one forward and one backward pass, the hand-written
    backprop), keeps the last ``memory`` pairs ``(θ_{k+1} − θ_k, ∇C_{k+1} − ∇C_k)`` as an
    estimate ``H_k`` of the inverse Hessian, and moves along ``−H_k ∇C_k`` by a line search
    (no learning rate). It stops when converged (``gtol``, ``ftol``), or after ``max_iter``
    iterations (``ffnn.train``'s ``epochs``, the estimators' ``max_iter``) or ``max_fun``
    evaluations: scikit-learn's ``solver="lbfgs"``, whose ``tol`` is ``gtol``.
    ``ffnn.train(net, X, Y, loss, optimizer="lbfgs")`` runs it (:mod:`ffnn.backends.lbfgs`);
    an epoch is an iteration.

    Parameters
    ----------
    gtol : float, default 1e-5
        Stop when every component of the projected gradient is at most this in magnitude
        (scikit-learn's ``tol``).
    ftol : float, default 2.2e-9
        Stop when ``(C_k − C_{k+1}) / max(|C_k|, |C_{k+1}|, 1) ≤ ftol``.
    max_fun : int, default 15000
        The most evaluations of the cost and gradient (scikit-learn's ``max_fun``); the line
        search may take several per iteration.
    memory : int, default 10
        How many past steps estimate the curvature (SciPy's ``maxcor``).

    Notes
    -----
    It is not a per-step update: :meth:`transform` refuses, and :func:`ffnn.train` runs it
    over the full batch (no mini-batches, no validation-based early stopping, no
    checkpoints: as in scikit-learn). An L1 penalty makes the cost non-smooth at 0, where
    the line search may stop early (``history.message`` says so).
    """

    name = "lbfgs"
    full_batch = True
    sklearn_solver = "lbfgs"
    sklearn_params = {"gtol": "tol", "max_fun": "max_fun"}
    unsupported = {
        "jax": "a line search over the whole data set: SciPy's L-BFGS-B on the NumPy engine",
        "stacked": "each network takes its own line search, so no two share their steps",
    }

    def __init__(self, gtol: float = 1e-5, ftol: float = FTOL, max_fun: int = 15000,
                 memory: int = 10):
        for value, name in ((gtol, "gtol"), (ftol, "ftol")):
            if not is_real(value) or not (math.isfinite(value) and value >= 0):
                raise ValueError(f"{name} must be a finite number >= 0, got {value!r}")
        for value, name in ((max_fun, "max_fun"), (memory, "memory")):
            if not is_integer(value) or value < 1:
                raise ValueError(f"{name} must be a positive integer, got {value!r}")
        self.gtol, self.ftol = float(gtol), float(ftol)
        self.max_fun, self.memory = int(max_fun), int(memory)

    def update(self, grads, state, params):
        return self.transform(grads, state, params, None)

    def transform(self, grads, state, params, lr, xp=np):
        raise TypeError("LBFGS is not a per-step update: it searches each step over the whole "
                        "data set; train with ffnn.train(..., optimizer='lbfgs') (or "
                        "FFNNClassifier(solver='lbfgs'))")

    def minimize(self, cost_and_gradient: Callable[[np.ndarray], tuple[float, np.ndarray]],
                 x0: np.ndarray, max_iter: int,
                 callback: Callable[[np.ndarray, float], None] | None = None):
        """Minimize ``cost_and_gradient`` (``θ ↦ (C(θ), ∇C(θ))``, float64) from ``x0``.

        Parameters
        ----------
        cost_and_gradient : callable
            One pass: the cost and its gradient, shape ``x0.shape``.
        x0 : ndarray, shape (n_params,)
            The start (float64).
        max_iter : int
            The most iterations.
        callback : callable, optional
            ``callback(θ_k, C_k)`` after each iteration.

        Returns
        -------
        scipy.optimize.OptimizeResult
            ``x``, ``fun``, ``nit``, ``nfev``, ``status`` (0 converged, 1 a limit reached,
            2 the line search failed) and ``message``.
        """
        from scipy.optimize import minimize

        def heard(intermediate_result):
            callback(intermediate_result.x, float(intermediate_result.fun))

        return minimize(cost_and_gradient, x0, method="L-BFGS-B", jac=True,
                        callback=None if callback is None else heard,
                        options={"maxiter": max_iter, "maxfun": self.max_fun,
                                 "gtol": self.gtol, "ftol": self.ftol,
                                 "maxcor": self.memory})


# -- saving and restoring state ---------------------------------------------------------------

def copy_state(state: State) -> State:
    """An independent copy of a state (its arrays copied)."""
    if isinstance(state, tuple):
        return tuple(copy_state(part) for part in state)
    return {k: v.copy() if isinstance(v, np.ndarray) else v for k, v in state.items()}


def state_layout(state: State) -> dict[str, tuple[int, ...]]:
    """The names and shapes of a state's arrays: two states fit the same optimizer and
    parameters when their layouts are equal."""
    return {k: v.shape for k, v in state_to_arrays(state).items()}


def state_to_arrays(state: State) -> dict[str, np.ndarray]:
    """Flatten a state (a dict, or a chain's tuple of dicts) into named arrays for ``np.savez``."""
    if isinstance(state, tuple):
        arrays = {"chain": np.array(len(state))}
        for i, part in enumerate(state):
            arrays.update({f"{i}/{k}": v for k, v in state_to_arrays(part).items()})
        return arrays
    return {k: np.array(v) for k, v in state.items()}


def state_from_arrays(arrays) -> State:
    """The state that :func:`state_to_arrays` flattened (arrays copied; step counts as ints)."""
    arrays = dict(arrays)
    if "chain" in arrays:
        n = int(arrays.pop("chain"))
        parts = [{} for _ in range(n)]
        for key, value in arrays.items():
            i, name = key.split("/", 1)
            parts[int(i)][name] = value
        return tuple(state_from_arrays(part) for part in parts)
    return {k: int(v) if k == "step" else np.array(v) for k, v in arrays.items()}


# -- names ------------------------------------------------------------------------------------

OPTIMIZER_NAMES: tuple[str, ...] = OPTIMIZERS.names


def get_optimizer(spec, **kwargs) -> GradientTransformation:
    """An optimizer from a name (``"adam"``, with keyword arguments) or itself."""
    if isinstance(spec, GradientTransformation):
        if kwargs:
            raise TypeError("optimizer: keyword arguments go with a name, not an optimizer object")
        return spec
    if isinstance(spec, str):
        cls = OPTIMIZERS.lookup(spec, "optimizer")
        unknown = sorted(set(kwargs) - set(cls.params()))
        if unknown:
            raise TypeError(f"optimizer {cls.name!r} takes {', '.join(cls.params())}; got "
                            f"{', '.join(unknown)}")
        return cls(**kwargs)
    raise TypeError(
        f"optimizer must be a name ({', '.join(OPTIMIZER_NAMES)}) or a GradientTransformation, "
        f"got {spec!r}"
    )
