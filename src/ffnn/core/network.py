"""The network: parameters, the forward pass and backpropagation written by hand.

A network of ``L`` layers maps ``X`` of shape ``(n_samples, n_features)`` through

    z_l = a_{l-1} @ W_l + b_l,      a_l = f_l(z_l),      a_0 = X,

with ``W_l`` of shape ``(n_in, n_out)`` and ``b_l`` of shape ``(n_out,)``. Backpropagation runs
the chain rule from the cost back to the input, layer by layer:

    dC_da_L = dC/dŷ                                   (the loss's gradient)
    dC_dz_l = dC_da_l · da_l/dz_l                     (the activation's backward)
    dC_dW_l = a_{l-1}ᵀ @ dC_dz_l,   dC_db_l = Σ_samples dC_dz_l
    dC_da_{l-1} = dC_dz_l @ W_lᵀ

The network holds parameters only: nothing about the data passed through it is stored on it.
Gradient methods live outside it and work on ``layer_grads`` (or the flat gradient).
"""

from __future__ import annotations

import itertools
from collections.abc import Callable, Sequence
from dataclasses import dataclass

import numpy as np
from numpy.typing import ArrayLike

from . import penalties
from .activations import Activation, ActivationLike, get_activation, is_single_activation
from .losses import Loss, LossLike, get_loss
from .validation import (
    as_float_array,
    check_flag,
    check_float_dtype,
    check_inputs,
    check_penalty,
    check_positive_int,
    check_seed,
    check_targets,
    is_sparse,
)

__all__ = ["Network", "LayerTrace", "BackpropTrace", "INITIALIZERS"]

Layers = list[tuple[np.ndarray, np.ndarray]]


def _glorot(rng: np.random.Generator, n_in: int, n_out: int):
    bound = np.sqrt(6.0 / (n_in + n_out))
    return rng.uniform(-bound, bound, size=(n_in, n_out)), np.zeros(n_out)


def _he(rng: np.random.Generator, n_in: int, n_out: int):
    return rng.normal(0.0, np.sqrt(2.0 / n_in), size=(n_in, n_out)), np.zeros(n_out)


def _normal(rng: np.random.Generator, n_in: int, n_out: int):
    # The notebook's create_layers: standard normal weights and biases.
    return rng.standard_normal((n_in, n_out)), rng.standard_normal(n_out)


INITIALIZERS: dict[str, Callable] = {"glorot": _glorot, "he": _he, "normal": _normal}


@dataclass
class LayerTrace:
    """The chain rule's quantities for one layer, as in the notebook's exercises.

    Shapes are those of the input: ``(n_samples, n)`` for a batch, ``(n,)`` for one sample.

    Attributes
    ----------
    layer_input : ndarray
        ``a_{l-1}``, the layer's input.
    z : ndarray
        ``z_l = a_{l-1} @ W_l + b_l``.
    a : ndarray
        ``a_l = f_l(z_l)``.
    dC_da : ndarray
        ``dC/da_l``; for the output layer the loss's gradient (also on the fused path, where
        it is shown for comparison but ``dC_dz`` is computed from the logits).
    da_dz : ndarray or None
        ``f'(z_l)`` for an elementwise activation; for softmax the per-sample Jacobians
        ``(..., k, k)``; None for a custom non-elementwise activation.
    dC_dz : ndarray
        ``dC/dz_l``.
    dC_dW : ndarray, shape (n_in, n_out)
    dC_db : ndarray, shape (n_out,)
    """

    layer_input: np.ndarray
    z: np.ndarray
    a: np.ndarray
    dC_da: np.ndarray
    da_dz: np.ndarray | None
    dC_dz: np.ndarray
    dC_dW: np.ndarray
    dC_db: np.ndarray


@dataclass
class BackpropTrace:
    """What :meth:`Network.backprop_trace` returns.

    Attributes
    ----------
    layers : list of LayerTrace
        One per layer, first to last.
    output : ndarray
        The prediction ``ŷ = a_L``.
    cost : float
        The cost including penalties.
    fused : bool
        Whether the output layer's ``dC_dz`` came from the fused logits path ``(p - y) / n``.
    """

    layers: list[LayerTrace]
    output: np.ndarray
    cost: float
    fused: bool

    @property
    def layer_grads(self) -> Layers:
        """The gradients as ``[(dC_dW, dC_db), ...]``."""
        return [(t.dC_dW, t.dC_db) for t in self.layers]


class Network:
    """A feed-forward network held as one flat parameter buffer.

    Parameters
    ----------
    network_input_size : int
        Number of input features.
    layer_output_sizes : sequence of int
        Output size of each layer, the last being the network's output size.
    activation_funcs : sequence or str or Activation
        One activation per layer: a name (``"sigmoid"``), an
        :class:`~ffnn.core.activations.Activation`
        or a pair ``(f, f_prime)``. A single name or Activation is used for every layer.
    initializer : {"glorot", "he", "normal"} or callable, default "glorot"
        ``"glorot"``: weights uniform in ``±sqrt(6 / (n_in + n_out))``, biases 0;
        ``"he"``: weights normal with std ``sqrt(2 / n_in)``, biases 0;
        ``"normal"``: weights and biases standard normal (the notebook's).
        A callable ``init(rng, n_in, n_out) -> (W, b)`` is also accepted.
    dtype : {"float64", "float32"}, default "float64"
        Dtype of the parameters and of every computation; inputs are cast to it.
    seed : int, numpy.random.Generator or None
        Source of the initial weights. None draws fresh entropy (never NumPy's global state).

    Attributes
    ----------
    params : ndarray, shape (n_params,)
        All parameters, layer by layer ``[W_1.ravel(), b_1, W_2.ravel(), b_2, ...]``.
    layers : list of (W, b)
        Views into ``params``: ``W`` of shape ``(n_in, n_out)``, ``b`` of shape ``(n_out,)``.
        Changing them in place changes the network.
    activation_funcs : tuple of Activation
    """

    def __init__(
        self,
        network_input_size: int,
        layer_output_sizes: Sequence[int],
        activation_funcs: ActivationLike | Sequence[ActivationLike],
        *,
        initializer: str | Callable = "glorot",
        dtype="float64",
        seed: int | np.random.Generator | None = None,
    ):
        self.network_input_size = check_positive_int(network_input_size, "network_input_size")
        self.layer_output_sizes = self._check_sizes(layer_output_sizes)
        self.activation_funcs = self._check_activations(activation_funcs)
        self.dtype = check_float_dtype(dtype)
        self._build_layout()
        self._params = np.empty(self.n_params, dtype=self.dtype)
        self._layers = self.unflatten(self._params)
        self._initialize(initializer, seed)

    # -- construction ------------------------------------------------------------------------

    @staticmethod
    def _check_sizes(sizes) -> tuple[int, ...]:
        if isinstance(sizes, np.ndarray) and sizes.ndim == 1:
            sizes = sizes.tolist()
        if isinstance(sizes, (str, bytes)) or not isinstance(sizes, Sequence):
            raise TypeError(
                "layer_output_sizes must be a sequence of positive integers, "
                f"got {sizes!r} ({type(sizes).__name__})"
            )
        if len(sizes) == 0:
            raise ValueError("layer_output_sizes must name at least one layer, got []")
        return tuple(
            check_positive_int(size, f"layer_output_sizes[{i}]") for i, size in enumerate(sizes)
        )

    def _check_activations(self, funcs) -> tuple[Activation, ...]:
        n_layers = len(self.layer_output_sizes)
        # One spec for every layer: a name, an Activation or its class, or one (f, f_prime)
        # pair (two plain functions cannot be two layers' activations: they lack derivatives).
        if is_single_activation(funcs):
            return tuple(get_activation(funcs, f"activation_funcs[{i}]") for i in range(n_layers))
        if not isinstance(funcs, (list, tuple)):
            raise TypeError(
                "activation_funcs must be a list with one activation per layer (names, "
                f"Activations or (f, f_prime) pairs), got {type(funcs).__name__}"
            )
        if len(funcs) != n_layers:
            raise ValueError(
                f"activation_funcs must have one entry per layer: expected {n_layers} for "
                f"layer_output_sizes {list(self.layer_output_sizes)}, got {len(funcs)}"
            )
        return tuple(get_activation(f, f"activation_funcs[{i}]") for i, f in enumerate(funcs))

    def _build_layout(self) -> None:
        sizes = (self.network_input_size, *self.layer_output_sizes)
        self.shapes = list(itertools.pairwise(sizes))
        self.slices = []  # (W slice, b slice) per layer in the flat buffer
        offset = 0
        for n_in, n_out in self.shapes:
            w = slice(offset, offset + n_in * n_out)
            b = slice(w.stop, w.stop + n_out)
            self.slices.append((w, b))
            offset = b.stop
        self.n_params = offset

    def _initialize(self, initializer, seed) -> None:
        rng = check_seed(seed)
        if isinstance(initializer, str):
            if initializer not in INITIALIZERS:
                raise ValueError(
                    f"initializer: unknown name {initializer!r}; valid names are "
                    f"{', '.join(INITIALIZERS)}"
                )
            init = INITIALIZERS[initializer]
        elif callable(initializer):
            init = initializer
        else:
            raise TypeError(
                f"initializer must be one of {', '.join(INITIALIZERS)} or a callable "
                f"init(rng, n_in, n_out) -> (W, b), got {initializer!r}"
            )
        # Drawn in float64 and then cast, so float32 and float64 networks of one seed agree.
        self.assign_layers(
            [init(rng, n_in, n_out) for n_in, n_out in self.shapes], "initializer"
        )

    def assign_layers(self, new_layers, name: str) -> None:
        """Check every ``(W, b)`` against the layout, then copy them all in (all or nothing)."""
        if isinstance(new_layers, (str, bytes)) or not isinstance(new_layers, Sequence):
            raise TypeError(
                f"{name} must be a list of {self.n_layers} (W, b) pairs, "
                f"got {type(new_layers).__name__}"
            )
        if len(new_layers) != self.n_layers:
            raise ValueError(
                f"{name} must be a list of {self.n_layers} (W, b) pairs, got {len(new_layers)}"
            )
        checked = []
        for i, (pair, (W, b)) in enumerate(zip(new_layers, self._layers)):
            if not (isinstance(pair, Sequence) and len(pair) == 2):
                raise TypeError(f"{name}: layer {i} must be a pair (W, b), got {pair!r}")
            W_new = as_float_array(pair[0], f"{name}: layer {i} W", self.dtype)
            b_new = as_float_array(pair[1], f"{name}: layer {i} b", self.dtype)
            if W_new.shape != W.shape or b_new.shape != b.shape:
                raise ValueError(
                    f"{name}: layer {i} needs W of shape {W.shape} and b of shape {b.shape}, "
                    f"got {W_new.shape} and {b_new.shape}"
                )
            checked.append((W_new, b_new))
        for (W, b), (W_new, b_new) in zip(self._layers, checked):
            W[...] = W_new
            b[...] = b_new

    # -- layout ------------------------------------------------------------------------------

    def unflatten(self, flat: np.ndarray) -> Layers:
        """Views ``[(W, b), ...]`` into any flat vector laid out like ``params``."""
        if np.shape(flat) != (self.n_params,):
            raise ValueError(
                f"flat must have shape ({self.n_params},) like params, got {np.shape(flat)}"
            )
        return [
            (flat[w].reshape(n_in, n_out), flat[b])
            for (n_in, n_out), (w, b) in zip(self.shapes, self.slices)
        ]

    @property
    def params(self) -> np.ndarray:
        """All parameters in one flat array; ``layers`` are views into it."""
        return self._params

    @params.setter
    def params(self, values) -> None:
        if values is self._params:  # an in-place update such as ``net.params -= step``
            return
        values = as_float_array(values, "params", self.dtype)
        if values.shape != self._params.shape:
            raise ValueError(
                f"params must have shape {self._params.shape}, got {values.shape}"
            )
        self._params[...] = values

    @property
    def layers(self) -> Layers:
        """``[(W, b), ...]``: views into ``params``; assign a list of arrays to copy values in."""
        return list(self._layers)

    @layers.setter
    def layers(self, new_layers) -> None:
        self.assign_layers(new_layers, "layers")

    def weight_mask(self) -> np.ndarray:
        """A flat boolean array laid out like ``params``: True for weights, False for biases.

        Decoupled weight decay (:class:`~ffnn.optim.optimizers.AdamW`) uses it to spare the biases.
        """
        mask = np.zeros(self.n_params, dtype=bool)
        for w, _ in self.slices:
            mask[w] = True
        return mask

    @property
    def n_layers(self) -> int:
        return len(self.shapes)

    @property
    def n_outputs(self) -> int:
        return self.layer_output_sizes[-1]

    def copy(self) -> Network:
        """An independent copy (own buffer) of this network."""
        return self.astype(self.dtype)

    def astype(self, dtype) -> Network:
        """A copy of this network with parameters in ``dtype``."""
        new = object.__new__(type(self))
        new.__setstate__({**self.__getstate__(), "dtype": check_float_dtype(dtype)})
        return new

    def __getstate__(self) -> dict:
        return {
            "network_input_size": self.network_input_size,
            "layer_output_sizes": self.layer_output_sizes,
            "activation_funcs": self.activation_funcs,
            "dtype": self.dtype,
            "params": self._params,
        }

    def __setstate__(self, state: dict) -> None:
        self.network_input_size = state["network_input_size"]
        self.layer_output_sizes = tuple(state["layer_output_sizes"])
        self.activation_funcs = tuple(state["activation_funcs"])
        self.dtype = np.dtype(state["dtype"])
        self._build_layout()
        self._params = np.array(state["params"], dtype=self.dtype)  # always an own copy
        self._layers = self.unflatten(self._params)

    def summary(self) -> str:
        """A per-layer table (Keras-like): output shape, activation and parameter count.

        Returns
        -------
        str
            One row per layer and a total, e.g. for ``Network(4, [8, 3], ["sigmoid",
            "softmax"])``::

                layer  W shape  b shape  output     activation  parameters
                    1      4x8     (8,)  (None, 8)  sigmoid             40
                    2      8x3     (3,)  (None, 3)  softmax             27
                total: 67 parameters (float64, 536 bytes)
        """
        rows = [("layer", "W shape", "b shape", "output", "activation", "parameters")]
        for i, ((n_in, n_out), f) in enumerate(zip(self.shapes, self.activation_funcs)):
            rows.append((str(i + 1), f"{n_in}x{n_out}", f"({n_out},)", f"(None, {n_out})",
                         f.name, str(n_in * n_out + n_out)))
        widths = [max(len(row[c]) for row in rows) for c in range(len(rows[0]))]
        right = {0, 1, 2, 5}
        lines = ["  ".join(cell.rjust(w) if c in right else cell.ljust(w)
                           for c, (cell, w) in enumerate(zip(row, widths))).rstrip()
                 for row in rows]
        lines.append(f"total: {self.n_params} parameters ({self.dtype.name}, "
                     f"{self.n_params * self.dtype.itemsize} bytes)")
        return "\n".join(lines)

    def __repr__(self) -> str:
        parts = [str(self.network_input_size)] + [
            f"{n} {f.name}" for n, f in zip(self.layer_output_sizes, self.activation_funcs)
        ]
        return f"Network({' -> '.join(parts)}, {self.n_params} parameters, {self.dtype.name})"

    # -- validation at the public entry points -----------------------------------------------

    def check_learnable(self) -> None:
        """Refuse an output layer that cannot learn: fewer outputs than its activation needs
        (``min_outputs``: a softmax over one output is always 1, whatever the weights)."""
        out = self.activation_funcs[-1]
        if self.n_outputs < getattr(out, "min_outputs", 1):
            raise ValueError(
                f"the output layer's {out.name} over {self.n_outputs} output"
                f"{'s' * (self.n_outputs > 1)} is constant and learns nothing (it needs "
                f"{out.min_outputs}); use a sigmoid for one output (two classes, or a "
                "binary cross-entropy) or one output per class")

    def check_X(self, X) -> tuple[np.ndarray, bool]:
        one_sample = np.ndim(X) == 1
        return check_inputs(X, self.network_input_size, self.dtype), one_sample

    def check_problem(self, X, targets, loss, l1, l2):
        X2, one_sample = self.check_X(X)
        Y = check_targets(targets, X2.shape[0], self.n_outputs, self.dtype, one_sample)
        loss = get_loss(loss)
        loss.check_output(self.activation_funcs[-1])
        loss.check_targets(Y)
        return X2, Y, loss, check_penalty(l1, "l1"), check_penalty(l2, "l2"), one_sample

    # -- forward -----------------------------------------------------------------------------

    def predict(self, X: ArrayLike) -> np.ndarray:
        """The network's output for ``X``.

        Parameters
        ----------
        X : array-like, shape (n_samples, n_features) or (n_features,)

        Returns
        -------
        ndarray, shape (n_samples, n_outputs) or (n_outputs,) for a 1-D ``X``
        """
        X2, one_sample = self.check_X(X)
        a = self._forward(X2)
        return a[0] if one_sample else a

    def _forward(self, X: np.ndarray) -> np.ndarray:
        a = X
        for (W, b), f in zip(self._layers, self.activation_funcs):
            a = f.forward(a @ W + b)
        return a

    def feed_forward_saver(self, X: np.ndarray):
        """The forward pass keeping each layer's input and ``z`` (the notebook's saver)."""
        layer_inputs, zs = [], []
        a = X
        for (W, b), f in zip(self._layers, self.activation_funcs):
            layer_inputs.append(a)
            z = a @ W + b
            a = f.forward(z)
            zs.append(z)
        return layer_inputs, zs, a

    # -- cost --------------------------------------------------------------------------------

    def cost(
        self, X: ArrayLike, targets: ArrayLike, loss: LossLike, l1: float = 0.0, l2: float = 0.0,
        *, penalize_biases: bool = False
    ) -> float:
        """The cost ``C(ŷ, y) + l1 Σ|W| + (l2 / 2) Σ‖W‖²`` (weights only, unless
        ``penalize_biases``).

        Parameters
        ----------
        X : array-like, shape (n_samples, n_features) or (n_features,)
        targets : array-like, shape (n_samples, n_outputs) or (n_outputs,)
        loss : str, Loss or (cost, cost_der)
        l1, l2 : float, default 0
            Penalty strengths, independent of the batch size.
        penalize_biases : bool, default False
            Penalize the biases too, exactly as the weights (same ``l1`` and ``l2``).
        """
        X2, Y, loss, l1, l2, _ = self.check_problem(X, targets, loss, l1, l2)
        penalize_biases = check_flag(penalize_biases, "penalize_biases")
        return self.cost_unchecked(X2, Y, loss, l1, l2, penalize_biases)

    def cost_unchecked(self, X, Y, loss: Loss, l1: float, l2: float,
              penalize_biases: bool = False) -> float:
        _, zs, output = self.feed_forward_saver(X)
        return self.loss_value(zs[-1], output, Y, loss) + self.penalty(l1, l2,
                                                                         penalize_biases)

    def loss_value(self, z_last, output, Y, loss: Loss,
                    sample_weight: np.ndarray | None = None) -> float:
        """The loss from the logits on the fused path, from the output otherwise; with
        ``sample_weight`` the weighted mean ``Σ wᵢ Cᵢ / Σ wᵢ`` of the per-sample costs."""
        fused = loss.fuses_with(self.activation_funcs[-1])
        if sample_weight is None:
            return loss.logits_value(z_last, Y) if fused else loss.value(output, Y)
        total = sample_weight.sum()
        if total == 0:  # weightless samples cost nothing
            return 0.0
        costs = loss.logits_per_sample(z_last, Y) if fused else loss.per_sample(output, Y)
        return float(np.dot(sample_weight, costs) / total)

    def penalty(self, l1: float, l2: float, penalize_biases: bool = False) -> float:
        return penalties.value(penalties.penalized(self._layers, penalize_biases), l1, l2)

    # -- backpropagation ---------------------------------------------------------------------

    def backprop(
        self, X: ArrayLike, targets: ArrayLike, loss: LossLike, l1: float = 0.0, l2: float = 0.0,
        *, penalize_biases: bool = False
    ) -> Layers:
        """Gradients of :meth:`cost` with respect to every ``W`` and ``b``, by backpropagation
        (``penalize_biases``: as in :meth:`cost`).

        Returns
        -------
        layer_grads : list of (dC_dW, dC_db)
            Shaped like :attr:`layers`; views into one new flat array that is the caller's own.
        """
        return self.unflatten(self.gradient(X, targets, loss, l1, l2,
                                            penalize_biases=penalize_biases))

    def gradient(
        self, X: ArrayLike, targets: ArrayLike, loss: LossLike, l1: float = 0.0, l2: float = 0.0,
        *, penalize_biases: bool = False
    ) -> np.ndarray:
        """The gradient of :meth:`cost` as one flat vector laid out like :attr:`params`."""
        X2, Y, loss, l1, l2, _ = self.check_problem(X, targets, loss, l1, l2)
        penalize_biases = check_flag(penalize_biases, "penalize_biases")
        out = np.empty_like(self._params)
        self.backprop_into(X2, Y, loss, l1, l2, out, penalize_biases=penalize_biases)
        return out

    def backprop_trace(
        self, X: ArrayLike, targets: ArrayLike, loss: LossLike, l1: float = 0.0, l2: float = 0.0,
        *, penalize_biases: bool = False
    ) -> BackpropTrace:
        """Backpropagation returning every quantity of the chain rule, layer by layer.

        For learning: compare ``trace.layers[i].dC_dz`` and friends with your own by hand.
        Nothing is stored on the network.
        """
        X2, Y, loss, l1, l2, one_sample = self.check_problem(X, targets, loss, l1, l2)
        penalize_biases = check_flag(penalize_biases, "penalize_biases")
        out = np.empty_like(self._params)
        records: list[dict] = []
        z_last, output = self.backprop_into(X2, Y, loss, l1, l2, out, records,
                                             penalize_biases=penalize_biases)
        cost = self.loss_value(z_last, output, Y, loss) + self.penalty(l1, l2, penalize_biases)

        def own(x):
            """A copy of its own (one sample: 1-D), so no two fields share memory."""
            if x is None:
                return None
            if is_sparse(x):  # a sparse X, the first layer's input
                return x.copy()
            return np.array(x[0] if one_sample else x)

        layers = [
            LayerTrace(**{k: own(v) for k, v in record.items()}, dC_dW=dC_dW, dC_db=dC_db)
            for record, (dC_dW, dC_db) in zip(records, self.unflatten(out))
        ]
        fused = loss.fuses_with(self.activation_funcs[-1])
        return BackpropTrace(layers=layers, output=own(output), cost=cost, fused=fused)

    def backprop_into(self, X, Y, loss: Loss, l1: float, l2: float, out: np.ndarray,
                       records: list | None = None, sample_weight: np.ndarray | None = None,
                       penalize_biases: bool = False) -> tuple[np.ndarray, np.ndarray]:
        """Write the flat gradient into ``out``; return the output layer's ``z`` and ``a``
        (for the loss value, see :meth:`loss_value`). Inputs must already be checked.

        With ``sample_weight`` the cost is ``Σ wᵢ Cᵢ / Σ wᵢ``: every loss here is a mean of
        per-sample terms, so the output layer's ``dC_dz`` rows are scaled by ``n wᵢ / Σ w``.
        """
        layer_inputs, zs, output = self.feed_forward_saver(X)
        grads = self.unflatten(out)
        last = self.n_layers - 1
        if records is not None:
            records.extend({} for _ in range(self.n_layers))
        for i in range(last, -1, -1):
            f, z = self.activation_funcs[i], zs[i]
            a = output if i == last else layer_inputs[i + 1]
            if i == last:
                if loss.fuses_with(f):
                    dC_dz = loss.logits_gradient(a, Y)
                    dC_da = loss.gradient(a, Y) if records is not None else None
                else:
                    dC_da = loss.gradient(a, Y)
                    dC_dz = f.backward(z, a, dC_da)
                if sample_weight is not None:
                    scale = weight_scale(sample_weight)
                    dC_dz = dC_dz * scale[:, None].astype(dC_dz.dtype, copy=False)
            else:
                W_next = self._layers[i + 1][0]
                dC_da = dC_dz @ W_next.T
                dC_dz = f.backward(z, a, dC_da)
            dC_dW, dC_db = grads[i]
            product_into(layer_inputs[i].T, dC_dz, dC_dW)
            np.sum(dC_dz, axis=0, out=dC_db)
            penalties.add_layer_gradient(*self._layers[i], dC_dW, dC_db, l1, l2,
                                         penalize_biases)
            if records is not None:
                records[i].update(
                    layer_input=layer_inputs[i], z=z, a=a, dC_da=dC_da,
                    da_dz=_da_dz(f, z, a), dC_dz=dC_dz,
                )
        return zs[-1], output


def product_into(a, b: np.ndarray, out: np.ndarray) -> np.ndarray:
    """``out[...] = a @ b`` without a new array when ``a`` is an ndarray. A sparse ``a`` (the
    first layer's input ``X`` or its transpose, in CSR or CSC form) is multiplied by SciPy
    over its stored values only, and the product copied into ``out``."""
    if isinstance(a, np.ndarray):
        return np.matmul(a, b, out=out)
    np.copyto(out, a @ b)
    return out


def weight_scale(sample_weight: np.ndarray, xp=np) -> np.ndarray:
    """``n wᵢ / Σ w``: each row's factor in the weighted mean of per-sample costs; zeros
    when ``Σ w = 0`` (a batch of weightless samples then moves nothing but the penalties)."""
    total = xp.sum(sample_weight)
    safe = xp.where(total == 0, 1, total)  # no 0/0 on the branch that is not taken
    return xp.where(total == 0, 0, sample_weight * (len(sample_weight) / safe))


def _da_dz(f: Activation, z: np.ndarray, a: np.ndarray) -> np.ndarray | None:
    if f.elementwise:
        return np.broadcast_to(f.derivative(z, a), z.shape).copy()
    jacobian = getattr(f, "jacobian", None)
    return jacobian(z, a) if jacobian is not None else None
