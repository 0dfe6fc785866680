"""The training engine: backpropagation into preallocated buffers.

:meth:`Network._backprop_into` is the readable reference: it allocates every ``z``, ``a`` and
``dC_dz`` afresh. The training loop runs the same chain rule here, with the same operations
in the same order (so the same bits, which the tests check), but writes every intermediate
into a :class:`Workspace` made once per batch size and reused for every step:

    z_l = a_{l-1} @ W_l + b_l           np.matmul(a, W, out=z); z += b
    a_l = f_l(z_l)                      f.forward_into(z, out=a)
    dC_dz_L = (p - y) / n               (fused path) or f.backward_into(z, a, dC/dŷ, out)
    dC_dW_l = a_{l-1}ᵀ @ dC_dz_l        np.matmul(a.T, dC_dz, out=dC_dW)
    dC_da_{l-1} = dC_dz_l @ W_lᵀ        np.matmul(dC_dz, W.T, out=dC_da)

A workspace belongs to the loop that made it, never to the network (which holds parameters
only); its arrays are overwritten by the next step.
"""

from __future__ import annotations

import functools

import numpy as np

from .activations import Activation, Identity
from .losses import Loss
from .network import Network, weight_scale

__all__ = ["Workspace", "backprop", "fast_form"]


@functools.cache
def _owner(cls: type, name: str) -> type:
    return next(klass for klass in cls.__mro__ if name in vars(klass))


def fast_form(obj, fast: str, *readable: str) -> bool:
    """Whether ``obj``'s in-place method ``fast`` may stand for its ``readable`` ones: true
    unless a subclass below the class that wrote ``fast`` overrides one of them (a subclass
    of Sigmoid with its own ``forward`` must not run Sigmoid's ``forward_into``)."""
    cls = type(obj)
    return all(issubclass(_owner(cls, fast), _owner(cls, name)) for name in readable)


def _in_place_forms(f: Activation):
    """The activation's (forward_into, backward_into), or the base's copying forms where a
    subclass overrides the readable ones."""
    forward = f.forward_into if fast_form(f, "forward_into", "forward") else \
        functools.partial(Activation.forward_into, f)
    backward = f.backward_into if fast_form(f, "backward_into", "backward", "derivative") \
        else functools.partial(Activation.backward_into, f)
    return forward, backward



class Workspace:
    """Buffers for one network and one batch size ``n``.

    Attributes
    ----------
    X, Y : ndarray, shapes (n, n_features) and (n, n_outputs)
        Where mini-batch rows are gathered.
    z, a : lists of ndarray, shapes (n, n_out) per layer
        Forward pass (an identity layer's ``a`` is its ``z``).
    dC_dz, dC_da : lists of ndarray
        Backward pass; ``dC_da[l]`` is the gradient with respect to layer ``l``'s output,
        for every layer but the last.
    scratch : list of ndarray, shapes of the weights
        For the penalties' gradients.
    """

    def __init__(self, network: Network, n: int, gather: bool = True):
        dtype = network.dtype
        sizes = network.layer_output_sizes
        self.n = n
        # Full-batch training reads X itself: no copy of the data set is made for it.
        self.X = np.empty((n, network.network_input_size), dtype) if gather else None
        self.Y = np.empty((n, network.n_outputs), dtype) if gather else None
        self.z = [np.empty((n, k), dtype) for k in sizes]
        self.a = [
            z if type(f) is Identity else np.empty_like(z)
            for z, f in zip(self.z, network.activation_funcs)
        ]
        self.dC_dz = [np.empty((n, k), dtype) for k in sizes]
        self.dC_da = [np.empty((n, k), dtype) for k in sizes[:-1]]
        self.scratch = [np.empty_like(W) for W, _ in network.layers]
        self.forms = [_in_place_forms(f) for f in network.activation_funcs]
        self._network = network
        self._grads: tuple[np.ndarray, list] | None = None  # (flat buffer, its layer views)

    def grad_views(self, out: np.ndarray) -> list:
        """``network.unflatten(out)``, kept while the same ``out`` buffer comes back."""
        if self._grads is None or self._grads[0] is not out:
            self._grads = (out, self._network.unflatten(out))
        return self._grads[1]


def backprop(network: Network, ws: Workspace, X: np.ndarray, Y: np.ndarray, loss: Loss,
             l1: float, l2: float, out: np.ndarray,
             sample_weight: np.ndarray | None = None) -> tuple[np.ndarray, np.ndarray]:
    """:meth:`Network._backprop_into` written into ``ws``: the flat gradient into ``out``.

    ``X`` and ``Y`` have ``ws.n`` rows (they may be ``ws.X`` and ``ws.Y``). Returns the output
    layer's ``z`` and ``a`` (views into ``ws``, valid until the next call).
    """
    layers, funcs = network._layers, network.activation_funcs
    last = len(layers) - 1
    a = X
    for (W, b), (forward_into, _), z, a_next in zip(layers, ws.forms, ws.z, ws.a):
        np.matmul(a, W, out=z)
        z += b
        a = forward_into(z, a_next)
    grads = ws.grad_views(out)
    for i in range(last, -1, -1):
        f, z, a, dC_dz = funcs[i], ws.z[i], ws.a[i], ws.dC_dz[i]
        if i == last:
            if loss.fuses_with(f):
                if _owner(type(loss), "logits_gradient") is Loss:  # the base's (p - y) / n
                    np.subtract(a, Y, out=dC_dz)
                    dC_dz /= a.shape[0]
                else:
                    dC_dz[...] = loss.logits_gradient(a, Y)
            else:
                ws.forms[i][1](z, a, loss.gradient(a, Y), dC_dz)
            if sample_weight is not None:
                dC_dz *= weight_scale(sample_weight)[:, None].astype(dC_dz.dtype, copy=False)
        else:
            dC_da = ws.dC_da[i]
            np.matmul(ws.dC_dz[i + 1], layers[i + 1][0].T, out=dC_da)
            ws.forms[i][1](z, a, dC_da, dC_dz)
        layer_input = X if i == 0 else ws.a[i - 1]
        dC_dW, dC_db = grads[i]
        np.matmul(layer_input.T, dC_dz, out=dC_dW)
        np.add.reduce(dC_dz, axis=0, out=dC_db)  # np.sum without its Python wrapper
        if l2 or l1:
            W, scratch = layers[i][0], ws.scratch[i]
            if l2:
                np.multiply(l2, W, out=scratch)
                dC_dW += scratch
            if l1:
                np.sign(W, out=scratch)
                scratch *= l1
                dC_dW += scratch
    return ws.z[last], ws.a[last]
