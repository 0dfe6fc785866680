"""Verify gradients against autograd and against central finite differences.

Two checks share one set of references, both computed in float64:

- :func:`gradcheck` checks this library's ``Network.backprop``;
- :func:`check_gradient` checks a student's own gradient code: any ``cost(params)`` and
  ``gradient(params)`` over a list of arrays or of ``(W, b)`` tuples.

The references:

- **autograd** differentiates the cost written with ``autograd.numpy`` (for a network, every
  activation's and loss's ``reference`` formula, never the hand-written backward passes);
- **central finite differences** of the cost itself, one parameter at a time, with the
  fourth-order stencil
  ``(-C(θ + 2h e_j) + 8 C(θ + h e_j) - 8 C(θ - h e_j) + C(θ - 2h e_j)) / 12h`` and
  ``h = step · max(1, |θ_j|)`` (:func:`_central_differences`, the one copy of that maths).
  Its truncation error is O(h⁴), so a step of 1e-4 keeps both truncation and rounding near
  1e-12, where the two-point rule cannot go below about 1e-8.

Each is compared per layer (``gradcheck``: W and b together) or per array
(``check_gradient``) by the relative error ``‖g - g_ref‖ / max(‖g_ref‖, floor)``: 1e-12 for
``gradcheck``, and for ``check_gradient`` the noise finite differences leave at the cost's
size (a gradient that is 0 up to rounding passes); ``check_gradient`` compares a value at a
kink with the one-sided derivative it matches.
"""

from __future__ import annotations

import numbers
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field

import numpy as np
from numpy.typing import ArrayLike

from . import penalties
from .losses import LossLike
from .network import Network
from .validation import check_flag, is_real, is_sparse

__all__ = ["gradcheck", "GradcheckResult", "check_gradient", "CheckGradientResult", "METHODS",
           "format_table"]

METHODS = ("autograd", "finite_differences")
# The methods as the printed tables name them.
_METHOD_LABELS = {"finite_differences": "finite differences", "autograd": "autograd"}

# Finite-difference steps tried in turn until the stencil stays clear of every kink.
_STEPS = (1e-4, 1e-6, 1e-8)

# Default tolerances (relative error per layer) by the network's dtype.
_TOLERANCES = {
    np.dtype(np.float64): {"autograd": 1e-7, "finite_differences": 1e-5},
    np.dtype(np.float32): {"autograd": 1e-3, "finite_differences": 1e-3},
}


def format_table(names: Sequence[str], shapes: Sequence[str], norms: Sequence[float],
                 errors: dict[str, Sequence[float]], tolerances: dict[str, float],
                 counted: Sequence[str] | None = None) -> str:
    """The table that :func:`gradcheck` and :func:`check_gradient` print, one format for both.

    Columns ``array``, ``shape``, ``|grad|``, then one relative error per method of
    :data:`METHODS` (``n/a`` where it did not run) and ``ok``/``FAIL`` per row; under them
    one line with the tolerances.

    Parameters
    ----------
    names, shapes : sequence of str, length n_rows
        Each row's array (``"layer 1 W"``, ``"layer 1 W, b"``) and its shape as text.
    norms : sequence of float, length n_rows
        ``‖g‖`` of the gradient under test, per row.
    errors : dict of str to sequence of float
        ``errors[method][row]``, for the methods that ran.
    tolerances : dict of str to float
        The largest relative error each method may show.
    counted : sequence of str, optional
        The methods whose errors decide a row's ``ok`` (default: all that ran); the others
        are shown and marked "not counted" on the tolerance line.

    Returns
    -------
    str
        The lines of the table and the tolerance line, without a trailing newline.
    """
    counted = tuple(errors) if counted is None else tuple(counted)
    header = ["array", "shape", "|grad|", *(_METHOD_LABELS[m] for m in METHODS), ""]
    rows = [
        [name, shape, f"{norm:.2e}"]
        + [f"{errors[m][i]:.2e}" if m in errors else "n/a" for m in METHODS]
        + ["ok" if all(errors[m][i] <= tolerances[m] for m in counted) else "FAIL"]
        for i, (name, shape, norm) in enumerate(zip(names, shapes, norms))
    ]
    widths = [max(len(r[c]) for r in [header, *rows]) for c in range(len(header))]
    lines = [
        "  ".join(cell.ljust(w) if c in (0, 1, len(r) - 1) else cell.rjust(w)
                  for c, (cell, w) in enumerate(zip(r, widths))).rstrip()
        for r in [header, *rows]
    ]
    limits = [f"{_METHOD_LABELS[m]} {tolerances[m]:.0e}"
              + ("" if m in counted or m not in errors else " (not counted)")
              for m in METHODS if m in tolerances]
    lines.append("tolerance (relative error per row): " + ", ".join(limits))
    return "\n".join(lines)


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
        """The errors as a plain-text table, one row per layer (:func:`format_table`, the
        format of :meth:`CheckGradientResult.table` too), then the verdict."""
        names = [f"layer {i + 1} W, b" for i in range(len(self.shapes))]
        shapes = [f"{n_in}x{n_out}, {n_out}" for n_in, n_out in self.shapes]
        lines = [format_table(names, shapes, self.norms, self.errors, self.tolerances,
                              self.counted)]
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
    penalize_biases: bool = False,
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
    penalize_biases : bool, default False
        The penalties cover the biases too, as in :meth:`Network.cost` (autograd's cost then
        penalizes them as well).
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
    X_net, Y_net, loss, l1, l2, _ = network.check_problem(X, targets, loss, l1, l2)
    biases = check_flag(penalize_biases, "penalize_biases")
    grad = np.empty_like(network.params)
    _, prediction = network.backprop_into(X_net, Y_net, loss, l1, l2, grad,
                                           penalize_biases=biases)
    grad = grad.astype(np.float64)
    clipped = not loss.fuses_with(network.activation_funcs[-1]) and loss.clipped(prediction)
    reference = network.astype(np.float64)
    X64, Y64 = X_net.astype(np.float64), Y_net.astype(np.float64)
    if is_sparse(X64):  # the references run on the dense values; the gradient under test
        X64 = X64.toarray()  # went through the sparse products

    near_kink = False
    if "finite_differences" in methods:
        for candidate in (step,) if step is not None else _STEPS:
            near_kink = _near_kink(reference, X64, candidate, l1, biases)
            if not near_kink:
                break
        step = candidate

    errors, reference_norms = {}, {}
    for method in methods:
        if method == "autograd":
            ref = _autograd_gradient(reference, X64, Y64, loss, l1, l2, biases)
        else:
            ref = _central_differences(
                lambda: reference.cost_unchecked(X64, Y64, loss, l1, l2, biases), reference.params,
                float(step)
            )
        layers = [(grad[w.start : b.stop], ref[w.start : b.stop]) for w, b in reference.slices]
        errors[method] = [_relative_error(g, g_ref) for g, g_ref in layers]
        reference_norms[method] = [float(np.linalg.norm(g_ref)) for _, g_ref in layers]
    return GradcheckResult(
        errors=errors,
        tolerances=limits,
        shapes=list(reference.shapes),
        norms=[float(np.linalg.norm(grad[w.start : b.stop])) for w, b in reference.slices],
        reference_norms=reference_norms,
        near_kink=near_kink,
        clipped=clipped,
        step=float(step) if "finite_differences" in methods else None,
    )


def _relative_error(g: np.ndarray, g_ref: np.ndarray, floor: float = 1e-12) -> float:
    """``‖g - g_ref‖ / max(‖g_ref‖, floor)``: relative, and absolute below ``floor``."""
    return float(np.linalg.norm(g - g_ref) / max(np.linalg.norm(g_ref), floor))


def _autograd_gradient(network: Network, X, Y, loss, l1: float, l2: float,
                       penalize_biases: bool = False) -> np.ndarray:
    import autograd.numpy as anp
    from autograd import grad

    shapes, slices, funcs = network.shapes, network.slices, network.activation_funcs

    def cost(theta):
        a = X
        penalty = 0.0
        for (n_in, n_out), (w, b), f in zip(shapes, slices, funcs):
            W = anp.reshape(theta[w], (n_in, n_out))
            a = f.reference(anp.dot(a, W) + theta[b])
            # written again here (not ffnn.penalties): an independent reference
            for P in (W, theta[b]) if penalize_biases else (W,):
                penalty = penalty + 0.5 * l2 * anp.sum(P * P) + l1 * anp.sum(anp.abs(P))
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


def _central_differences(
    cost: Callable[[], float], theta: np.ndarray, step: float, indices: Sequence[int] | None = None
) -> np.ndarray:
    """The fourth-order central difference of ``cost()`` in each ``theta[j]``, j in ``indices``
    (all by default), with ``h = step · max(1, |θ_j|)``.

    ``cost`` reads ``theta`` (a float64 buffer), which is perturbed in place, one entry at a
    time, and restored. Returns the derivatives in the order of ``indices``.
    """
    indices = range(theta.size) if indices is None else indices
    ref = np.empty(len(indices))
    for i, j in enumerate(indices):
        original = theta[j]
        h = step * max(1.0, abs(original))
        values = {}
        try:
            for k in (-2, -1, 1, 2):
                theta[j] = original + k * h
                values[k] = cost()
        finally:
            theta[j] = original
        # Differences first: a parameter that does not change the cost gives exactly 0.
        ref[i] = ((values[-2] - values[2]) + 8 * (values[1] - values[-1])) / (12 * h)
    return ref


def _near_kink(network: Network, X, step: float, l1: float,
               penalize_biases: bool = False) -> bool:
    """Whether the stencil's perturbations (up to ``2h``) could cross a kink: of an
    activation at some ``z``, or of the L1 penalty's ``|θ|`` at a penalized parameter near 0
    (a weight, or with ``penalize_biases`` a bias)."""
    if l1 and any(np.abs(P).min() <= 2 * step
                  for P in penalties.penalized(network.layers, penalize_biases)):
        return True
    layer_inputs, zs, _ = network.feed_forward_saver(X)
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


# -- check_gradient: a student's own cost and gradient ---------------------------------------

_NO_AUTOGRAD = "autograd: not available for this cost (it uses numpy, not autograd.numpy)"


@dataclass
class CheckGradientResult:
    """A student's gradient against finite differences and autograd, one row per array.

    ``print(result)`` shows the table and a summary line naming the arrays that fail.

    Attributes
    ----------
    ok : bool
        Whether every array is within ``rtol`` of every reference that ran.
    names : list of str
        One per array: ``"layer 1 W"``, ``"layer 1 b"``, ... when ``params`` is a list of
        ``(W, b)`` pairs, ``"params[3]"`` (or ``"params[3][0]"``) otherwise.
    shapes : list of tuple
        Each array's shape, as given.
    norms : list of float
        ``‖g‖`` of the gradient under test, per array.
    errors : dict of str to list of float
        ``errors[method][i]``: relative error ``‖g - g_ref‖ / max(‖g_ref‖, floor)`` of array
        ``i`` against ``"finite_differences"`` and, when autograd could differentiate the
        cost, ``"autograd"``. ``floor`` is what finite differences can resolve over the
        tolerance, ``100 ε max(1, |C|) √size / h / rtol`` (``ε`` of the gradient's dtype,
        ``h`` = 1e-4): a gradient that is 0 up to rounding (at a minimum) passes.
    tolerances : dict of str to float
        The largest relative error each method may show.
    step : float
        The relative finite-difference step (the first one tried, when automatic).
    steps : list of float
        The step that each array's row shows: ``step``, or a smaller one that agreed where
        ``step`` did not.
    hints : dict of str to str
        For a failing array, what its gradient resembles, where something simple fits
        ("has the wrong sign", "is transposed", "is 1.01 times the reference").
    autograd_note : str or None
        Why autograd was not used (``None`` when it was).
    kinks : dict of str to int
        Per array, how many values sit at a kink (ReLU's 0, ``|x|``'s 0): there the two
        sides differ, central differences (and autograd) give neither, and the value is
        compared with the one-sided derivative it matches.
    """

    names: list[str]
    shapes: list[tuple[int, ...]]
    norms: list[float]
    errors: dict[str, list[float]]
    tolerances: dict[str, float]
    step: float
    steps: list[float]
    hints: dict[str, str] = field(default_factory=dict)
    autograd_note: str | None = None
    kinks: dict[str, int] = field(default_factory=dict)
    ok: bool = field(init=False)

    def __post_init__(self) -> None:
        self.ok = not self.failed

    @property
    def passed(self) -> bool:
        """The same as ``ok`` (the name :class:`GradcheckResult` uses)."""
        return self.ok

    @property
    def failed(self) -> list[str]:
        """The names of the arrays outside the tolerance of some reference."""
        return [name for i, name in enumerate(self.names) if not self._row_ok(i)]

    def _row_ok(self, i: int) -> bool:
        return all(errs[i] <= self.tolerances[m] for m, errs in self.errors.items())

    def max_error(self, method: str = "finite_differences") -> float:
        """The largest per-array error against ``method``."""
        return max(self.errors[method])

    def summary(self) -> str:
        """One line: PASSED, or FAILED with the failing arrays named."""
        if self.ok:
            against = " and ".join(_METHOD_LABELS[m] for m in self.errors)
            return f"check_gradient PASSED: all {len(self.names)} arrays agree with {against}"
        return f"check_gradient FAILED: {', '.join(self.failed)}"

    def table(self) -> str:
        """The errors as a plain-text table, one row per array (:func:`format_table`, the
        format of :meth:`GradcheckResult.table` too), then the summary."""
        shapes = ["x".join(map(str, shape)) or "scalar" for shape in self.shapes]
        lines = [format_table(self.names, shapes, self.norms, self.errors, self.tolerances)]
        lines.append(self.summary())
        lines += [f"  {name}: {hint}" for name, hint in self.hints.items()]
        if self.autograd_note:
            lines.append(self.autograd_note)
        for name, count in self.kinks.items():
            lines.append(f"{name}: {count} value{'s' * (count > 1)} at a kink, compared with "
                         "the one-sided derivative it matches")
        others = [f"{n} at {s:.0e}" for n, s in zip(self.names, self.steps) if s != self.step]
        if others:
            lines.append(f"finite differences agreed only at a smaller step than {self.step:.0e} "
                         f"for {', '.join(others)} (a kink inside the wider stencil?)")
        return "\n".join(lines)

    def __str__(self) -> str:
        return self.table()

    def __repr__(self) -> str:
        worst = max((max(errs) for errs in self.errors.values()), default=0.0)
        return (f"CheckGradientResult(ok={self.ok}, arrays={len(self.names)}, "
                f"failed={self.failed}, max_error={worst:.1e}, "
                f"autograd={'autograd' in self.errors})")


@dataclass(frozen=True)
class _Layout:
    """Where each array of ``params`` sits: the containers to rebuild, names, shapes, slices
    of one flat float64 vector."""

    outer: type  # list or tuple
    inner: tuple  # per entry: None (an array) or (container type, length)
    names: tuple[str, ...]
    shapes: tuple[tuple[int, ...], ...]
    slices: tuple[slice, ...]

    def build(self, arrays) -> list | tuple:
        """``params``' structure around ``arrays`` (in order)."""
        arrays = iter(arrays)
        return self.outer(
            next(arrays) if kind is None else kind[0](next(arrays) for _ in range(kind[1]))
            for kind in self.inner
        )

    def unflatten(self, theta: np.ndarray) -> list | tuple:
        """Fresh arrays holding ``theta``'s values, in ``params``' structure."""
        return self.build(theta[s].reshape(shape).copy()
                          for s, shape in zip(self.slices, self.shapes))

    def describe(self) -> str:
        if all(kind == (tuple, 2) or kind == (list, 2) for kind in self.inner):
            return f"a {self.outer.__name__} of {len(self.inner)} (W, b) pairs"
        if all(kind is None for kind in self.inner):
            return f"a {self.outer.__name__} of {len(self.inner)} arrays"
        return f"a {self.outer.__name__} of {len(self.inner)} arrays or tuples of arrays"


def _layout(params) -> tuple[_Layout, list[np.ndarray]]:
    """Check ``params`` and describe it; returns the layout and the student's arrays."""
    if not isinstance(params, (list, tuple)):
        hint = " (wrap a single array in a list: [W])" if isinstance(params, np.ndarray) else ""
        raise TypeError("params must be a list of arrays or of (W, b) tuples, got "
                        f"{type(params).__name__}{hint}")
    if not params:
        raise ValueError("params is empty: give the arrays to check, e.g. [(W1, b1), (W2, b2)]")
    pairs = all(isinstance(e, (list, tuple)) and len(e) == 2 for e in params)
    inner, names, labels, arrays = [], [], [], []
    for i, entry in enumerate(params):
        if isinstance(entry, (list, tuple)):
            if not entry:
                raise ValueError(f"params[{i}] is an empty {type(entry).__name__}")
            inner.append((tuple if isinstance(entry, tuple) else list, len(entry)))
            for j, leaf in enumerate(entry):
                names.append(f"layer {i + 1} {'Wb'[j]}" if pairs else f"params[{i}][{j}]")
                labels.append(f"params[{i}][{j}]")
                arrays.append(leaf)
        else:
            inner.append(None)
            names.append(f"params[{i}]")
            labels.append(f"params[{i}]")
            arrays.append(entry)
    for leaf, name, label in zip(arrays, names, labels):
        what = label if name == label else f"{label} ({name})"
        if not isinstance(leaf, np.ndarray):
            raise TypeError(f"{what} must be a NumPy array, got {type(leaf).__name__}")
        if not np.issubdtype(leaf.dtype, np.floating):
            raise TypeError(f"{what} must be an array of floats, got dtype {leaf.dtype} "
                            "(convert it with .astype(float))")
        if not np.all(np.isfinite(leaf)):
            raise ValueError(f"{what} has {int(np.sum(~np.isfinite(leaf)))} non-finite "
                             "values (nan or inf); check the gradient at finite parameters")
    stops = np.cumsum([a.size for a in arrays])
    layout = _Layout(
        outer=tuple if isinstance(params, tuple) else list,
        inner=tuple(inner),
        names=tuple(names),
        shapes=tuple(a.shape for a in arrays),
        slices=tuple(slice(int(stop) - a.size, int(stop)) for a, stop in zip(arrays, stops)),
    )
    return layout, arrays


def _leaves(value, layout: _Layout, who: str, dtypes: list | None = None) -> list[np.ndarray]:
    """The arrays of a returned gradient, checked against ``params``' structure, shapes,
    dtypes and finiteness, as float64; ``who`` names the function in the messages, and
    ``dtypes`` (a list) receives each array's own dtype."""
    expected = f"the structure of params ({layout.describe()})"
    if not isinstance(value, (list, tuple)):
        raise TypeError(f"{who} must return {expected}, got {type(value).__name__}")
    if len(value) != len(layout.inner):
        raise ValueError(f"{who} returned {len(value)} entries; params has {len(layout.inner)} "
                         f"({layout.describe()})")
    leaves = []
    for i, (entry, kind) in enumerate(zip(value, layout.inner)):
        if kind is None and isinstance(entry, (list, tuple)):
            raise TypeError(f"{who} returned a {type(entry).__name__} at [{i}] where params[{i}] "
                            "is an array")
        if kind is not None and (not isinstance(entry, (list, tuple)) or len(entry) != kind[1]):
            got = (f"a {type(entry).__name__} of {len(entry)}" if isinstance(entry, (list, tuple))
                   else f"a {type(entry).__name__}")
            raise TypeError(f"{who} returned {got} at [{i}] where params[{i}] is a "
                            f"{kind[0].__name__} of {kind[1]} arrays")
        leaves.extend([entry] if kind is None else entry)
    arrays = []
    for leaf, name, shape in zip(leaves, layout.names, layout.shapes):
        try:
            array = np.asarray(leaf)
        except ValueError as exc:  # ragged nested lists
            raise TypeError(f"{who} returned something that is not an array for {name}") from exc
        if not np.issubdtype(array.dtype, np.floating):
            raise TypeError(f"{who} returned dtype {array.dtype} for {name}; a gradient is an "
                            "array of floats like the parameter it belongs to")
        if array.shape != shape:
            transposed = (" (transposed: dC/dW has the shape of W)"
                          if array.shape == shape[::-1] and len(shape) == 2 else "")
            raise ValueError(f"{who} returned shape {array.shape} for {name}, whose shape is "
                             f"{shape}{transposed}")
        if not np.all(np.isfinite(array)):
            raise ValueError(f"{who} returned {int(np.sum(~np.isfinite(array)))} non-finite "
                             f"values (nan or inf) in {name}")
        if dtypes is not None:
            dtypes.append(array.dtype)
        arrays.append(array.astype(np.float64))
    return arrays


def _cost_value(value, where: str) -> float:
    """``cost``'s return value as a float, or an error saying what came instead."""
    if isinstance(value, np.ndarray) and value.ndim == 0:
        value = value[()]
    if isinstance(value, (bool, np.bool_)) or not isinstance(value, numbers.Real):
        if isinstance(value, np.ndarray):
            got = f"an array of shape {value.shape} (reduce it to one number: np.mean, np.sum)"
        elif value is None:
            got = "None (a missing return?)"
        else:
            got = f"a {type(value).__name__}"
        raise TypeError(f"cost must return one real number, got {got} {where}")
    value = float(value)
    if not np.isfinite(value):
        raise ValueError(f"cost returned {value} {where}; the check needs a finite cost there")
    return value


def _changed(given, originals: list[np.ndarray], layout: _Layout) -> str | None:
    """The name of the first array a function modified in place, if any."""
    flat = []
    for entry, kind in zip(given, layout.inner):
        flat.extend([entry] if kind is None else entry)
    for array, original, name in zip(flat, originals, layout.names):
        if not (isinstance(array, np.ndarray) and np.array_equal(array, original)):
            return name
    return None


def _autograd_reference(cost: Callable, layout: _Layout, theta: np.ndarray):
    """autograd's gradient of ``cost`` at ``theta`` (as arrays), or None and the reason."""
    import warnings

    from autograd import grad

    try:
        with warnings.catch_warnings(record=True) as caught:
            warnings.simplefilter("always")
            value = grad(cost)(layout.unflatten(theta))
    except Exception as exc:  # a cost that autograd cannot trace: plain numpy, float(), ...
        said = str(exc).strip().splitlines()[0][:120] if str(exc).strip() else ""
        return None, f"{_NO_AUTOGRAD}\n  (autograd said {type(exc).__name__}: {said})"
    if any("independent of input" in str(w.message) for w in caught):
        return None, f"{_NO_AUTOGRAD}\n  (autograd saw a cost that does not depend on params)"
    try:
        return _leaves(value, layout, "autograd"), None
    except (TypeError, ValueError) as exc:
        return None, f"{_NO_AUTOGRAD}\n  ({exc})"


def _hint(g: np.ndarray, ref: np.ndarray, tol: float) -> str | None:
    """What a wrong gradient resembles, when something simple fits."""
    if not np.any(ref):
        return "should be 0 (the cost does not change with it)"
    if not np.any(g):
        return "is 0, but the cost changes with it"
    if g.ndim == 2 and g.shape[0] == g.shape[1] and _relative_error(g.T, ref) <= tol:
        return "is transposed"
    if _relative_error(-g, ref) <= tol:
        return "has the wrong sign"
    factor = float(np.vdot(g, ref) / np.vdot(ref, ref))
    # Only a factor clearly not 1 explains the error: a near miss is no factor.
    if factor and abs(factor - 1) > 1e-3 and _relative_error(g / factor, ref) <= tol:
        return f"is {factor:.4g} times the reference (a missing or extra factor?)"
    return None


def check_gradient(
    cost: Callable,
    gradient: Callable,
    params: list | tuple,
    *,
    rtol: float | dict[str, float] | None = None,
    step: float | None = None,
) -> CheckGradientResult:
    """Check your own gradient code against finite differences and, if it can, autograd.

    Parameters
    ----------
    cost : callable
        ``cost(params) -> float``, the number your gradient differentiates. Written with
        ``autograd.numpy``, it is also differentiated by autograd; with plain ``numpy`` the
        result says autograd was not available and finite differences alone decide.
    gradient : callable
        ``gradient(params)``: the gradient under test, in the structure of ``params`` (a list
        of arrays, or of ``(dC_dW, dC_db)`` tuples), each array the shape of its parameter.
    params : list of arrays, or list of (W, b) tuples
        Where to check, e.g. the notebook's ``layers``. Any orientation of ``W`` (``(n_in,
        n_out)`` as ffnn stores it, ``(n_out, n_in)`` as in the notebook) and of ``b`` (1-D
        or 2-D): each array is compared with its own derivative. Never modified: ``cost``
        and ``gradient`` get copies (finite differences perturb float64 copies).
    rtol : float or dict, optional
        The largest relative error ``‖g - g_ref‖ / max(‖g_ref‖, 1e-12)`` an array may show.
        By default 1e-5 against finite differences and 1e-7 against autograd (1e-3 for both
        when some array is float32), as in :func:`gradcheck`; a number sets both, a dict
        ``{"finite_differences": ..., "autograd": ...}`` either.
    step : float, optional
        Relative finite-difference step ``h`` (fourth-order central differences, ``h =
        step · max(1, |θ|)``). By default 1e-4, and for an array that disagrees at 1e-4,
        1e-6 then 1e-8 (a kink such as ReLU's at 0 inside the stencil); the smallest error
        is shown. Each step costs four evaluations of ``cost`` per number in ``params``.

    Returns
    -------
    CheckGradientResult
        ``ok``, ``failed`` (the names of the failing arrays), and per-array errors;
        ``print(result)`` shows the table.

    Raises
    ------
    TypeError, ValueError
        Naming the argument: ``params`` empty or not float arrays; ``gradient`` returning
        another structure or shape, a dtype other than float (float32 for float64 params is
        accepted), non-finite values, or modifying its input;
        ``cost`` not returning one finite number.
    """
    for name, function in (("cost", cost), ("gradient", gradient)):
        if not callable(function):
            raise TypeError(f"{name} must be a function of params, got "
                            f"{type(function).__name__} (pass the function, not its value)")
    layout, arrays = _layout(params)
    if step is not None and (not is_real(step) or not 0 < step < 1):
        raise ValueError(f"step must be a number in (0, 1), got {step!r}")
    if rtol is not None:
        _check_gradient_tolerances(rtol, arrays)  # a bad rtol before any call of the user's

    given = layout.build(a.copy() for a in arrays)
    given_dtypes: list[np.dtype] = []
    grads = _leaves(gradient(given), layout, "gradient", given_dtypes)
    # float32 parameters or a float32 gradient: float32's tolerances
    limits = _check_gradient_tolerances(rtol, [*arrays, *(np.empty(0, d) for d in given_dtypes)])
    if (name := _changed(given, arrays, layout)) is not None:
        raise ValueError(f"gradient modified the params it was given ({name}); it must leave "
                         "them unchanged (compute dC_dW = ..., never W -= ...)")
    theta = np.concatenate([a.astype(np.float64).ravel() for a in arrays])
    given = layout.unflatten(theta)
    c0 = _cost_value(cost(given), "at params")
    if (name := _changed(given, [theta[s].reshape(sh) for s, sh in
                                 zip(layout.slices, layout.shapes)], layout)) is not None:
        raise ValueError(f"cost modified the params it was given ({name}); it must leave them "
                         "unchanged")

    # What finite differences can resolve at the cost's size: the rounding of C over the
    # step, C evaluated at float64 copies of the parameters (whatever their dtype)
    noise = [100 * np.finfo(np.float64).eps * max(1.0, abs(c0)) / _STEPS[0] for _ in arrays]
    refs, steps = _check_gradient_differences(cost, layout, theta, grads, limits, step)
    autograd_refs, note = _autograd_reference(cost, layout, theta)
    kinks = _one_sided_at_kinks(cost, layout, theta, grads, refs, autograd_refs, limits,
                                noise)

    def errors_against(references, method):
        return [_relative_error(g, r, n * np.sqrt(g.size) / limits[method])
                for g, r, n in zip(grads, references, noise)]

    errors = {"finite_differences": errors_against(refs, "finite_differences")}
    if autograd_refs is not None:
        errors["autograd"] = errors_against(autograd_refs, "autograd")
        refs = autograd_refs  # the hints compare with the exact reference
    result = CheckGradientResult(
        names=list(layout.names), shapes=list(layout.shapes),
        norms=[float(np.linalg.norm(g)) for g in grads], errors=errors, tolerances=limits,
        step=float(step or _STEPS[0]), steps=steps, autograd_note=note,
        kinks={layout.names[i]: n for i, n in kinks.items()},
    )
    for i, name in enumerate(result.names):
        if name in result.failed:
            hint = _hint(grads[i], refs[i], limits["finite_differences"])
            if hint:
                result.hints[name] = hint
    return result


#: The most values per array tried as kinks (each costs four more evaluations of cost).
_MAX_KINKS = 1000


def _one_sided_at_kinks(cost, layout: _Layout, theta, grads, refs, autograd_refs, limits,
                        noise) -> dict[int, int]:
    """Values of the gradient that disagree with central differences (or autograd) but match
    a one-sided derivative (second order, step 1e-6) where the two sides differ: a kink
    (ReLU's 0), at which the gradient took one side. Their references become that side, in
    place; returns the count per array index."""
    def cost_at() -> float:
        return _cost_value(cost(layout.unflatten(theta)), "at a kink")

    found = {}
    tol = limits["finite_differences"]
    for i, (s, g) in enumerate(zip(layout.slices, grads)):
        flat_g, flat_ref = g.ravel().astype(np.float64), refs[i].reshape(-1)
        flat_ag = None if autograd_refs is None else autograd_refs[i].reshape(-1)
        floor = noise[i] / tol
        suspects = _off(flat_g, flat_ref, tol, floor)
        if flat_ag is not None:
            suspects |= _off(flat_g, flat_ag, tol, floor)
        count = 0
        for k in np.flatnonzero(suspects)[:_MAX_KINKS]:
            right, left = _one_sided(cost_at, theta, s.start + k)
            if abs(right - left) <= tol * max(abs(right), abs(left), floor):
                continue  # smooth here: no kink excuses the disagreement
            side = next((d for d in (right, left)
                         if abs(flat_g[k] - d) <= tol * max(abs(d), floor)), None)
            if side is not None:
                flat_ref[k] = side
                if flat_ag is not None:
                    flat_ag[k] = side
                count += 1
        if count:
            found[i] = count
    return found


def _off(g: np.ndarray, reference: np.ndarray, tol: float, floor: float) -> np.ndarray:
    """Which values of ``g`` disagree with ``reference`` (relatively, absolutely below
    ``floor``)."""
    return np.abs(g - reference) > tol * np.maximum(np.abs(reference), floor)


def _one_sided(cost_at, theta: np.ndarray, j: int) -> tuple[float, float]:
    """The right and left derivatives in ``theta[j]``, second-order one-sided differences
    with ``h = 1e-6 · max(1, |θ_j|)`` (``theta`` restored)."""
    original = theta[j]
    h = 1e-6 * max(1.0, abs(original))
    values = {}
    try:
        for m in (-2, -1, 0, 1, 2):
            theta[j] = original + m * h
            values[m] = cost_at()
    finally:
        theta[j] = original
    right = (-3 * values[0] + 4 * values[1] - values[2]) / (2 * h)
    left = (3 * values[0] - 4 * values[-1] + values[-2]) / (2 * h)
    return right, left


def _check_gradient_tolerances(rtol, arrays: list[np.ndarray]) -> dict[str, float]:
    low = any(a.dtype.itemsize < 8 for a in arrays)
    limits = dict(_TOLERANCES[np.dtype(np.float32 if low else np.float64)])
    if rtol is None:
        return limits
    given = rtol if isinstance(rtol, dict) else dict.fromkeys(METHODS, rtol)
    unknown = sorted(set(given) - set(METHODS))
    if unknown:
        raise ValueError(f"rtol: unknown methods {unknown}; valid ones are {list(METHODS)}")
    for method, value in given.items():
        if not is_real(value) or not 0 < value < np.inf:
            raise ValueError(f"rtol must be a positive number (or a dict of them), got {value!r}")
        limits[method] = float(value)
    return limits


def _check_gradient_differences(cost, layout: _Layout, theta, grads, limits, step):
    """Finite differences per array at the first step; an array that disagrees there is
    retried at the smaller steps, and the first step that agrees replaces it (a kink inside
    the wider stencil). Returns the references and the step each one used."""
    where = ["at params"]

    def cost_at() -> float:
        return _cost_value(cost(layout.unflatten(theta)), where[0])

    refs, steps = [], []
    for name, s, g in zip(layout.names, layout.slices, grads):
        for h in (step,) if step is not None else _STEPS:
            where[0] = f"with {name} perturbed by finite differences (step {h:.0e})"
            ref = _central_differences(cost_at, theta, h, range(s.start, s.stop)).reshape(g.shape)
            if h == (step or _STEPS[0]):
                kept = (ref, h)
            if _relative_error(g, ref) <= limits["finite_differences"]:
                kept = (ref, h)
                break
        refs.append(kept[0])
        steps.append(kept[1])
    return refs, steps
