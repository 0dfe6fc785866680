"""The training engine: backpropagation into preallocated buffers.

:meth:`Network.backprop_into` is the readable reference: it allocates every ``z``, ``a`` and
``dC_dz`` afresh. The training loop runs the same chain rule here, with the same operations
in the same order (so the same bits, which the tests check), but writes every intermediate
into a :class:`Workspace` made once per batch size and reused for every step:

    z_l = a_{l-1} @ W_l + b_l           np.matmul(a, W, out=z); z += b
    a_l = f_l(z_l)                      f.forward_into(z, out=a)
    dC_dz_L = (p - y) / n               (fused path) or f.backward_into(z, a, dC/dŷ, out)
    dC_dW_l = a_{l-1}ᵀ @ dC_dz_l        np.matmul(a.T, dC_dz, out=dC_dW)
    dC_da_{l-1} = dC_dz_l @ W_lᵀ        np.matmul(dC_dz, W.T, out=dC_da)

A workspace belongs to the loop that made it, never to the network (which holds parameters
only); its arrays are overwritten by the next step. :class:`NumpyPath` runs these steps as a
path of the epoch driver (:func:`ffnn.training.loop.run_epochs`).
"""

from __future__ import annotations

import functools

import numpy as np

from ..core import penalties
from ..core.activations import Activation, Identity
from ..core.losses import Loss
from ..core.metrics import METRIC_FUNCTIONS
from ..core.network import Network, product_into, weight_scale
from ..optim.optimizers import GradientTransformation, copy_state
from ..training.loop import (
    EpochsRun,
    PendingReference,
    batch_listeners,
    check_divergence,
    initial_loss,
)

__all__ = ["Workspace", "backprop", "fast_form", "NumpyPath"]


@functools.cache
def _owner(cls: type, name: str) -> type:
    return next(klass for klass in cls.__mro__ if name in vars(klass))


def fast_form(obj, fast: str, *readable: str) -> bool:
    """Whether ``obj``'s in-place method ``fast`` may stand for its ``readable`` ones: true
    unless a subclass below the class that wrote ``fast`` overrides one of them (a subclass
    of Sigmoid with its own ``forward`` must not run Sigmoid's ``forward_into``)."""
    return _fast_form(type(obj), fast, readable)


@functools.cache
def _fast_form(cls: type, fast: str, readable: tuple[str, ...]) -> bool:  # asked every step
    return all(issubclass(_owner(cls, fast), _owner(cls, name)) for name in readable)


def in_place_forms(f: Activation):
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
        For the penalties' gradients (a row of each serves the biases').
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
        self.forms = [in_place_forms(f) for f in network.activation_funcs]
        self._network = network
        self._grads: tuple[np.ndarray, list] | None = None  # (flat buffer, its layer views)

    def grad_views(self, out: np.ndarray) -> list:
        """``network.unflatten(out)``, kept while the same ``out`` buffer comes back."""
        if self._grads is None or self._grads[0] is not out:
            self._grads = (out, self._network.unflatten(out))
        return self._grads[1]


def backprop(network: Network, ws: Workspace, X: np.ndarray, Y: np.ndarray, loss: Loss,
             l1: float, l2: float, out: np.ndarray,
             sample_weight: np.ndarray | None = None,
             penalize_biases: bool = False) -> tuple[np.ndarray, np.ndarray]:
    """:meth:`Network.backprop_into` written into ``ws``: the flat gradient into ``out``.

    ``X`` and ``Y`` have ``ws.n`` rows (they may be ``ws.X`` and ``ws.Y``). Returns the output
    layer's ``z`` and ``a`` (views into ``ws``, valid until the next call).
    """
    layers, funcs = network.layers, network.activation_funcs
    last = len(layers) - 1
    a = X
    for (W, b), (forward_into, _), z, a_next in zip(layers, ws.forms, ws.z, ws.a):
        product_into(a, W, z)  # np.matmul(a, W, out=z); SciPy's product for a sparse X
        z += b
        a = forward_into(z, a_next)
    grads = ws.grad_views(out)
    for i in range(last, -1, -1):
        f, z, a, dC_dz = funcs[i], ws.z[i], ws.a[i], ws.dC_dz[i]
        if i == last:
            if loss.fuses_with(f):
                if fast_form(loss, "logits_gradient_into", "logits_gradient"):
                    loss.logits_gradient_into(a, Y, dC_dz)  # (p - y) / n
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
        product_into(layer_input.T, dC_dz, dC_dW)
        np.add.reduce(dC_dz, axis=0, out=dC_db)  # np.sum without its Python wrapper
        penalties.add_layer_gradient(*layers[i], dC_dW, dC_db, l1, l2, penalize_biases,
                                     ws.scratch[i])
    return ws.z[last], ws.a[last]


class NumpyPath:
    """The NumPy engine as a path of :func:`ffnn.training.loop.run_epochs`: one epoch per call,
    a :class:`Workspace` per batch size, the optimizer's in-place ``step``.

    Parameters
    ----------
    trainer : Trainer
        Its network, loss, optimizer and state, penalties, batch size, generator, metric
        and callbacks (``on_batch_end`` hears every batch here).
    X, Y : ndarray
        The training data, checked.
    weights : ndarray or None
        Sample weights.
    validation_data : (X_val, Y_val) or None
        Measured after each epoch.
    """

    name = "numpy"

    def __init__(self, trainer, X, Y, weights, validation_data):
        self.trainer = trainer
        self.X, self.Y, self.weights, self.validation_data = X, Y, weights, validation_data
        # The last good weights: the start of the last epoch whose loss passed the guard (an
        # epoch's loss is measured along the way from its starting weights).
        self.good_params = trainer.network.params.copy()
        self.good_state = copy_state(trainer.opt_state)

    def epochs_per_call(self, per_epoch: bool) -> int:
        return 1

    # What a batch runs (a subclass may replace these three).
    backprop = staticmethod(backprop)

    @staticmethod
    def gather(X, Y, index, ws: Workspace) -> tuple[np.ndarray, np.ndarray]:
        """The batch's rows of ``X`` and ``Y`` into the workspace (no new arrays)."""
        # mode="clip": the indices are valid, and "raise" would buffer a copy first
        return (np.take(X, index, axis=0, out=ws.X, mode="clip"),
                np.take(Y, index, axis=0, out=ws.Y, mode="clip"))

    def stepper(self, optimizer):
        """The optimizer's in-place step, unless a subclass overrides ``update`` below the
        class that wrote it."""
        return optimizer.step if fast_form(optimizer, "step", "update") else \
            functools.partial(GradientTransformation.step, optimizer)

    def initial_loss(self) -> float:
        t = self.trainer
        return initial_loss(t.network, self.X, self.Y, t.loss, t.l1, t.l2, self.weights,
                            penalize_biases=t.penalize_biases)

    def defer_initial_loss(self) -> PendingReference | None:
        """The guard's reference to compute when an epoch needs it, bounded from below by
        the first batch (:class:`ffnn.training.loop.PendingReference`); None (compute it now) for
        a loss that does not declare its costs ≥ 0."""
        t = self.trainer
        if not type(t.loss).__dict__.get("nonnegative_costs", False):
            return None
        return PendingReference(t.network, self.X, self.Y, t.loss, t.l1, t.l2, self.weights,
                                penalize_biases=t.penalize_biases)

    def run(self, count: int) -> EpochsRun:
        trainer = self.trainer
        start_params = trainer.network.params.copy()
        start_state = copy_state(trainer.opt_state)
        logs = self.epoch()
        bad, largest = check_divergence(trainer, logs["loss"])
        if bad:
            trainer.network.params[...] = self.good_params
            trainer.opt_state = self.good_state  # the moments would be poisoned too
            return EpochsRun([], logs["loss"], largest)
        self.good_params, self.good_state = start_params, start_state
        return EpochsRun([logs])

    def epoch(self) -> dict[str, float]:
        """One epoch over the (shuffled) mini-batches; returns its logs."""
        trainer, X, Y, weights = self.trainer, self.X, self.Y, self.weights
        net, loss, optimizer = trainer.network, trainer.loss, trainer.optimizer
        l1, l2, biases = trainer.l1, trainer.l2, trainer.penalize_biases
        n = X.shape[0]
        batch_size = n if trainer.batch_size is None else min(trainer.batch_size, n)
        order = (trainer.rng.permutation(n) if batch_size < n and trainer.shuffle
                 else np.arange(n))
        grads, scratch = trainer.buffers()
        step = self.stepper(optimizer)
        # Each batch's outputs (and logits, for a fused loss) are kept, before its update, so
        # the epoch's loss and metric are computed once over all of them, not per batch.
        fused = loss.fuses_with(net.activation_funcs[-1])
        outputs = np.empty((n, net.n_outputs), dtype=net.dtype)
        logits = np.empty_like(outputs) if fused else None
        penalties = 0.0
        listeners = batch_listeners(trainer.callbacks)
        sparse = not isinstance(X, np.ndarray)
        for batch, start in enumerate(range(0, n, batch_size)):
            index = order[start:start + batch_size]
            ws = trainer.workspace(len(index), gather=batch_size < n and not sparse)
            if batch_size == n:
                Xb, Yb = X, Y
            elif sparse:  # a CSR batch: its sparse products beat densifying it
                Xb, Yb = X[index], Y[index]
            else:  # gather the batch's rows into the workspace (no new arrays)
                Xb, Yb = self.gather(X, Y, index, ws)
            wb = None if weights is None else weights[index]
            z_last, output = self.backprop(net, ws, Xb, Yb, loss, l1, l2, grads, wb, biases)
            if batch == 0 and trainer.first_pending is not None:
                trainer.first_pending.note_first_batch(z_last, output, Yb, wb)
            outputs[index] = output
            if fused:
                logits[index] = z_last
            # The penalty at this batch's weights, before its update (0 without l1 and l2).
            penalty = net.penalty(l1, l2, biases) if l1 or l2 else 0.0
            penalties += penalty * (len(index) if wb is None else wb.sum())
            if listeners:
                batch_loss = net.loss_value(z_last, output, Yb, loss, wb) + penalty
            trainer.opt_state = step(net.params, grads, trainer.opt_state, scratch)
            for cb in listeners:
                cb.on_batch_end(trainer, batch, {"loss": batch_loss, "size": len(index)})
        total_weight = n if weights is None else weights.sum()
        logs = {"loss": net.loss_value(logits, outputs, Y, loss, weights)
                + penalties / total_weight}
        if trainer.metric:
            logs[trainer.metric] = METRIC_FUNCTIONS[trainer.metric](outputs, Y, loss)
        if self.validation_data is not None:
            X_val, Y_val = self.validation_data
            _, zs, output = net.feed_forward_saver(X_val)
            logs["val_loss"] = (net.loss_value(zs[-1], output, Y_val, loss)
                                + net.penalty(l1, l2, biases))
            if trainer.metric:
                logs[f"val_{trainer.metric}"] = METRIC_FUNCTIONS[trainer.metric](output, Y_val,
                                                                                   loss)
        return logs
