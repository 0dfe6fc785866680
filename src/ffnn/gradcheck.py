"""Verify backpropagation against autograd and against central finite differences.

Two independent references, both computed in float64:

- **autograd** differentiates the cost written again with ``autograd.numpy``: every
  activation's and loss's ``reference`` formula, never the hand-written backward passes;
- **central finite differences** of the network's own cost, one parameter at a time, with
  the fourth-order stencil
  ``(-C(θ + 2h e_j) + 8 C(θ + h e_j) - 8 C(θ - h e_j) + C(θ - 2h e_j)) / 12h`` and
  ``h = step · max(1, |θ_j|)``. Its truncation error is O(h⁴), so a step of 1e-4 keeps both
  truncation and rounding near 1e-12, where the two-point rule cannot go below about 1e-8.

Each is compared per layer (W and b together) by the relative error
``‖g - g_ref‖ / max(‖g_ref‖, 1e-12)``.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np
from numpy.typing import ArrayLike

from ._validation import is_real
from .losses import LossLike
from .network import Network

__all__ = ["gradcheck", "GradcheckResult", "METHODS"]

METHODS = ("autograd", "finite_differences")

# Finite-difference steps tried in turn until the stencil stays clear of every kink.
_STEPS = (1e-4, 1e-6, 1e-8)

# Default tolerances (relative error per layer) by the network's dtype.
_TOLERANCES = {
    np.dtype(np.float64): {"autograd": 1e-7, "finite_differences": 1e-5},
    np.dtype(np.float32): {"autograd": 1e-3, "finite_differences": 1e-3},
}


@dataclass
class GradcheckResult:
    """Per-layer relative errors of backpropagation against each reference.

    Attributes
    ----------
    errors : dict of str to list of float
        ``errors[method][l]``: relative error of layer ``l`` against ``method``.
    tolerances : dict of str to float
        The largest error each method may show for the check to pass.
    passed : bool
        Whether every error is within its tolerance. When ``near_kink`` is set and autograd
        was run, the finite-difference errors are shown but do not count.
    near_kink : bool
        Whether some ``z`` lies within the finite-difference stencil's reach of a kink of its
        activation (ReLU at 0, say), or with L1 a weight near 0, even at the smallest step.
    clipped : bool
        Whether some prediction reached a cross-entropy's clip ``[ε, 1 - ε]`` on the general
        (not fused) path, where the cost is flat and the references need not agree.
    shapes : list of tuple
        ``(n_in, n_out)`` of each layer.
    norms : list of float
        ``‖g‖`` of each layer's backprop gradient (W and b together): a relative error means
        little where this is close to 0.
    reference_norms : dict of str to list of float
        ``‖g_ref‖`` of each layer for each method.
    step : float or None
        The relative finite-difference step used (None without finite differences).
    """

    errors: dict[str, list[float]]
    tolerances: dict[str, float]
    shapes: list[tuple[int, int]]
    norms: list[float]
    reference_norms: dict[str, list[float]]
    near_kink: bool = False
    clipped: bool = False
    step: float | None = None
    passed: bool = field(init=False)

    @property
    def counted(self) -> tuple[str, ...]:
        """The methods whose errors decide ``passed``."""
        if self.near_kink and "autograd" in self.errors:
            return ("autograd",)
        return tuple(self.errors)

    def __post_init__(self) -> None:
        self.passed = all(
            err <= self.tolerances[method] for method in self.counted
            for err in self.errors[method]
        )

    def max_error(self, method: str) -> float:
        """The largest per-layer error against ``method``."""
        return max(self.errors[method])

    def table(self) -> str:
        """The errors as a plain-text table, one row per layer."""
        methods = list(self.errors)
        header = ["layer", "W shape", "|grad|"] + [
            f"{m} (tol {self.tolerances[m]:.0e})" if m in self.counted else f"{m} (not counted)"
            for m in methods
        ]
        rows = [
            [str(i + 1), f"{n_in}x{n_out}", f"{norm:.2e}"]
            + [f"{self.errors[m][i]:.2e}" for m in methods]
            for i, ((n_in, n_out), norm) in enumerate(zip(self.shapes, self.norms))
        ]
        widths = [max(len(r[c]) for r in [header, *rows]) for c in range(len(header))]
        lines = ["  ".join(cell.rjust(w) for cell, w in zip(r, widths)) for r in [header, *rows]]
        verdict = "PASSED" if self.passed else "FAILED"
        lines.append(f"gradient check {verdict}")
        if self.near_kink:
            lines.append("note: some z lie within a step of an activation's kink (or, with L1, "
                         "a weight near 0); finite differences are not reliable there")
        if self.clipped:
            lines.append("note: some predictions reached the loss's clip [eps, 1 - eps]; "
                         "the gradient there is that of the clipped value")
        return "\n".join(lines)

    def __str__(self) -> str:
        return self.table()


def gradcheck(
    network: Network,
    X: ArrayLike,
    targets: ArrayLike,
    loss: LossLike,
    *,
    l1: float = 0.0,
    l2: float = 0.0,
    methods: tuple[str, ...] = METHODS,
    step: float | None = None,
    tolerances: dict[str, float] | None = None,
) -> GradcheckResult:
    """Compare ``network.backprop`` with autograd and with central finite differences.

    Parameters
    ----------
    network : Network
    X : array-like, shape (n_samples, n_features) or (n_features,)
    targets : array-like, shape (n_samples, n_outputs) or (n_outputs,)
    loss : str, Loss or (cost, cost_der)
    l1, l2 : float, default 0
        Penalty strengths, as in :meth:`Network.cost`.
    methods : tuple of {"autograd", "finite_differences"}
        References to compare with.
    step : float, optional
        Relative finite-difference step ``h``; the stencil reaches ``±2h``. By default the
        first of 1e-4, 1e-6 and 1e-8 whose stencil stays clear of every kink.
    tolerances : dict, optional
        Per-method limits on the relative error; by default 1e-7 (autograd) and 1e-5 (finite
        differences) for float64 networks, 1e-3 for both in float32.

    Returns
    -------
    GradcheckResult
        Per-layer errors, ``passed`` and a printable ``table()``.
    """
    if not isinstance(network, Network):
        raise TypeError(f"network must be an ffnn.Network, got {type(network).__name__}")
    methods = (methods,) if isinstance(methods, str) else tuple(methods)
    unknown = [m for m in methods if m not in METHODS]
    if unknown or not methods:
        raise ValueError(f"methods must be a non-empty subset of {METHODS}, got {methods}")
    if step is not None and (
        not is_real(step) or not 0 < step < 1
    ):
        raise ValueError(f"step must be a number in (0, 1), got {step!r}")
    unknown = sorted(set(tolerances or {}) - set(METHODS))
    if unknown:
        raise ValueError(f"tolerances: unknown methods {unknown}; valid ones are {METHODS}")
    limits = {**_TOLERANCES[network.dtype], **(tolerances or {})}
    limits = {m: float(limits[m]) for m in methods}

    # The gradient under test, in the network's own dtype.
    X_net, Y_net, loss, l1, l2, _ = network._check_problem(X, targets, loss, l1, l2)
    grad = np.empty_like(network.params)
    _, prediction = network._backprop_into(X_net, Y_net, loss, l1, l2, grad)
    grad = grad.astype(np.float64)
    clipped = not loss.fuses_with(network.activation_funcs[-1]) and loss.clipped(prediction)
    reference = network.astype(np.float64)
    X64, Y64 = X_net.astype(np.float64), Y_net.astype(np.float64)

    near_kink = False
    if "finite_differences" in methods:
        for candidate in (step,) if step is not None else _STEPS:
            near_kink = _near_kink(reference, X64, candidate, l1)
            if not near_kink:
                break
        step = candidate

    errors, reference_norms = {}, {}
    for method in methods:
        if method == "autograd":
            ref = _autograd_gradient(reference, X64, Y64, loss, l1, l2)
        else:
            ref = _finite_difference_gradient(reference, X64, Y64, loss, l1, l2, float(step))
        layers = [(grad[w.start : b.stop], ref[w.start : b.stop]) for w, b in reference._slices]
        errors[method] = [_relative_error(g, g_ref) for g, g_ref in layers]
        reference_norms[method] = [float(np.linalg.norm(g_ref)) for _, g_ref in layers]
    return GradcheckResult(
        errors=errors,
        tolerances=limits,
        shapes=list(reference._shapes),
        norms=[float(np.linalg.norm(grad[w.start : b.stop])) for w, b in reference._slices],
        reference_norms=reference_norms,
        near_kink=near_kink,
        clipped=clipped,
        step=float(step) if "finite_differences" in methods else None,
    )


def _relative_error(g: np.ndarray, g_ref: np.ndarray) -> float:
    return float(np.linalg.norm(g - g_ref) / max(np.linalg.norm(g_ref), 1e-12))


def _autograd_gradient(network: Network, X, Y, loss, l1: float, l2: float) -> np.ndarray:
    import autograd.numpy as anp
    from autograd import grad

    shapes, slices, funcs = network._shapes, network._slices, network.activation_funcs

    def cost(theta):
        a = X
        penalty = 0.0
        for (n_in, n_out), (w, b), f in zip(shapes, slices, funcs):
            W = anp.reshape(theta[w], (n_in, n_out))
            a = f.reference(anp.dot(a, W) + theta[b])
            penalty = penalty + 0.5 * l2 * anp.sum(W * W) + l1 * anp.sum(anp.abs(W))
        return loss.reference(a, Y) + penalty

    try:
        return np.asarray(grad(cost)(network.params.copy()), dtype=np.float64)
    except Exception as exc:  # a user's function that autograd cannot trace
        names = [f.name for f in funcs] + [loss.name]
        raise TypeError(
            "gradcheck: autograd could not differentiate the cost; custom activations and "
            "losses must be written with autograd.numpy (or define reference()). "
            f"Functions involved: {', '.join(names)}. Use methods=('finite_differences',) to "
            f"skip autograd. autograd said: {type(exc).__name__}: {exc}"
        ) from exc


def _finite_difference_gradient(network: Network, X, Y, loss, l1, l2, step: float) -> np.ndarray:
    theta = network.params  # the float64 copy's own buffer, perturbed in place
    ref = np.empty_like(theta)
    for j in range(theta.size):
        original = theta[j]
        h = step * max(1.0, abs(original))
        cost = {}
        for k in (-2, -1, 1, 2):
            theta[j] = original + k * h
            cost[k] = network._cost(X, Y, loss, l1, l2)
        theta[j] = original
        # Differences first: a parameter that does not change the cost gives exactly 0.
        ref[j] = ((cost[-2] - cost[2]) + 8 * (cost[1] - cost[-1])) / (12 * h)
    return ref


def _near_kink(network: Network, X, step: float, l1: float) -> bool:
    """Whether the stencil's perturbations (up to ``2h``) could cross a kink: of an
    activation at some ``z``, or of the L1 penalty's ``|W|`` at a weight near 0."""
    if l1 and any(np.abs(W).min() <= 2 * step for W, _ in network.layers):
        return True
    layer_inputs, zs, _ = network._feed_forward_saver(X)
    for z, a_in, f in zip(zs, layer_inputs, network.activation_funcs):
        if not f.kinks:
            continue
        # A step h·max(1, |θ|) in one weight moves z by at most that times the largest input.
        reach = 2 * step * max(1.0, float(np.abs(network.params).max())) * max(
            1.0, float(np.abs(a_in).max())
        )
        if any(np.abs(z - kink).min() <= reach for kink in f.kinks):
            return True
    return False
