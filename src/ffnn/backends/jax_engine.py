"""The JAX engine: the built-ins' own formulas, traced by JAX and compiled whole by XLA.

The backward pass is written by hand here, as in :meth:`ffnn.Network.backprop` (the
notebook's loop from the last layer to the first); every formula inside it is the built-in's
own text, called with ``xp=jax.numpy`` (:mod:`ffnn.core.xp`): an activation's ``forward`` and
``backward``, a loss's per-sample costs and ``dC/dŷ`` (or the fused ``(p − y)/n``), the
penalty's flat form, the optimizer's ``transform`` and the metric. ``jax.grad`` is never
used: it appears in the tests only, as one more oracle.

A call of the compiled program trains up to a chunk of epochs: a ``lax.while_loop`` over
epochs (stopping at the first that fails the divergence guard), a ``lax.scan`` over each
epoch's mini-batches (a last, smaller one padded with rows that count for nothing, so that one
compiled step serves every batch). The trainer's generator
draws the epochs' permutations on the host, exactly as the NumPy engine draws them; the
schedule gives each step's rate on the host too, so every schedule runs. The epoch's loss and
metric are those of the NumPy engine (each batch's outputs before its update, the penalty at
each batch's weights), validation is measured after each epoch, and the guard's decision and
the weights it keeps are the NumPy engine's (:class:`ffnn.backends.numpy_engine.NumpyPath`).

Computation runs with 64-bit types enabled inside ffnn's calls only (``jax.enable_x64``), so
float64 networks stay float64 and the user's own JAX settings are left alone. JAX is imported
when a fit takes this path.
"""

from __future__ import annotations

import copy
import functools
import logging
import math
import os
import threading
from typing import Any, NamedTuple

import numpy as np

from ..core import penalties
from ..core.activations import ACTIVATIONS
from ..core.losses import LOSSES
from ..core.metrics import METRIC_FUNCTIONS
from ..core.network import weight_scale
from ..core.validation import install_command, installed
from ..optim.optimizers import OPTIMIZERS
from ..optim.schedules import Constant
from ..training.loop import (
    EpochsRun,
    PendingReference,
    batch_listeners,
    initial_loss,
    parameter_limit,
)
from ..training.signals import held_sigint

__all__ = ["JaxPath", "unsupported", "NO_JAX", "available", "train_stack"]

#: The reason when JAX is missing: ``engine="auto"`` then takes NumPy without a word.
NO_JAX = "JAX is not installed"


def no_jax() -> str:
    """:data:`NO_JAX` with the command that installs the 'fast' extra (worked out when said:
    it depends on the folder the process is in)."""
    return f"{NO_JAX} (the 'fast' extra: {install_command('fast')})"


def available() -> bool:
    """Whether JAX can be imported (without importing it)."""
    return installed("jax")


def _reason(obj, registry, what: str) -> str | None:
    """Why the JAX engine cannot run the component ``obj``, or None."""
    label = type(obj).__name__ if what == "optimizer" else repr(obj.name)
    if hasattr(obj, "transforms"):  # a chain: say of what
        label = f"chain({', '.join(type(t).__name__ for t in obj.transforms)})"
    if not registry.is_builtin(obj):
        return (f"{what} {label} is not a built-in (its formulas are not written for the "
                "array namespace)")
    declared = type(obj).unsupported.get("jax")
    return None if declared is None else f"{what} {label} does not run on JAX ({declared})"


def unsupported(trainer, X) -> str | None:
    """Why the JAX engine cannot run this fit, or None when it can. Without JAX that is the
    reason, whatever else the fit asks (a light install has nothing to warn about)."""
    if not available():
        return no_jax()
    if not isinstance(X, np.ndarray):
        batch = trainer.batch_size or X.shape[0]
        itemsize = trainer.network.dtype.itemsize
        dense = min(batch, X.shape[0]) * X.shape[1] * itemsize
        if dense > SPARSE_BATCH_BYTES:
            return (f"X is sparse and a batch of {min(batch, X.shape[0])} rows would take "
                    f"{dense / 2**20:.0f} MB dense on the device (over "
                    f"{SPARSE_BATCH_BYTES / 2**20:.0f} MB); smaller batches train there")
        longest = int(np.diff(X.tocsr().indptr).max(initial=0))
        padded = X.shape[0] * max(1, longest) * (itemsize + 4)
        if padded > max(SPARSE_BATCH_BYTES, 4 * X.nnz * (itemsize + 4)):
            return (f"X is sparse with rows of very different lengths: the JAX engine pads "
                    f"every row to the longest ({longest} values), {padded / 2**20:.0f} MB "
                    "on the device")
    for f in trainer.network.activation_funcs:
        reason = _reason(f, ACTIVATIONS, "activation")
        if reason:
            return reason
    reason = (_reason(trainer.loss, LOSSES, "loss")
              or _reason(trainer.optimizer, OPTIMIZERS, "optimizer"))
    if reason:
        return reason
    if batch_listeners(trainer.callbacks):
        return "a callback listens to batches (on_batch_end)"
    return None


#: The most bytes a batch of a sparse ``X`` may take dense on the device: the JAX engine
#: densifies each batch inside its program (:class:`SparseRows`), never the whole matrix;
#: its padded rows (the longest row's length each) may take this much too, or four times
#: the stored values.
SPARSE_BATCH_BYTES = 2**28


class SparseRows(NamedTuple):
    """A sparse ``X`` on the device, row by row (the ELL layout): each row's column indices
    and values, ``(n, k)`` both, padded to the longest row with column 0 and value 0, which
    add nothing. Inside the program a batch's rows become a dense ``(batch, n_features)``
    array (:func:`rows_of`): the products are then the dense program's, on the same numbers
    as ``X[rows].toarray()``."""

    cols: Any
    vals: Any

    @classmethod
    def from_scipy(cls, X) -> SparseRows:
        """The rows of a SciPy sparse matrix (any format), on the host."""
        X = X.tocsr()
        if not X.has_canonical_format:  # summed in a copy: the caller's arrays stay theirs
            X = X.copy()
            X.sum_duplicates()
        lengths = np.diff(X.indptr)
        width = max(1, int(lengths.max(initial=0)))
        cols = np.zeros((X.shape[0], width), np.int32)
        vals = np.zeros((X.shape[0], width), X.dtype)
        slot = np.arange(X.nnz) - np.repeat(X.indptr[:-1], lengths)  # place within its row
        row = np.repeat(np.arange(X.shape[0]), lengths)
        cols[row, slot], vals[row, slot] = X.indices, X.data
        return cls(cols, vals)


def n_rows(X) -> int:
    """Rows of a dense array or of :class:`SparseRows`."""
    return (X.vals if isinstance(X, SparseRows) else X).shape[0]


def rows_of(X, index, n_features: int):
    """The rows ``index`` of ``X`` (all of them for None) as a dense array: gathered from a
    dense ``X``, densified from :class:`SparseRows`."""
    import jax.numpy as jnp

    if not isinstance(X, SparseRows):
        return X if index is None else X.at[index].get(mode="clip")
    cols, vals = X
    if index is not None:
        cols, vals = cols.at[index].get(mode="clip"), vals.at[index].get(mode="clip")
    rows = jnp.arange(cols.shape[0])[:, None]
    return jnp.zeros((cols.shape[0], n_features), vals.dtype).at[rows, cols].add(vals)


def _rates(optimizer, step: int, count: int) -> np.ndarray:
    """The learning rates of steps ``step … step + count - 1`` (float64, as Python's)."""
    if type(optimizer.lr) is Constant:  # a subclass may compute its own rate
        return np.full(count, optimizer.lr.lr)
    return np.array([optimizer.rate(step + s) for s in range(count)], np.float64)


def _padded(count: int) -> int:
    """The chunk length a call is compiled for: the next power of two (a few programs per
    fit at most, whatever the epoch counts)."""
    return 1 << max(0, count - 1).bit_length()


def _orders(rng, n: int, batch: int, count: int, length: int, shuffle: bool = True
            ) -> np.ndarray:
    """The sample orders of a call's ``length`` epochs, shape (length, n): ``count``
    permutations drawn from ``rng`` as the NumPy engine draws them (without ``shuffle``, and
    for the epochs past ``count``, the identity); no columns for full batches."""
    orders = np.empty((length, n if batch < n else 0), np.int32)
    for e in range(length if batch < n else 0):
        orders[e] = rng.permutation(n) if shuffle and e < count else np.arange(n)
    return orders


def _hyperparameters(obj, skip: tuple[str, ...] = ()) -> tuple:
    """What of a built-in the compiled program depends on: its type and parameters (the
    optimizer's rate excepted, which comes per step, and the ``skip``-ped ones, traced)."""
    return (type(obj), tuple((p, repr(getattr(obj, p))) for p in type(obj).params()
                             if p != "lr" and p not in skip))


class JaxPath:
    """The compiled program as a path of :func:`ffnn.training.loop.run_epochs`.

    What a callback may change between epochs (``opt_state``, ``l1``/``l2``,
    ``penalize_biases``, the batch size, ``shuffle``) is read again before every call.
    """

    name = "jax"

    def __init__(self, trainer, X, Y, weights, validation_data):
        # Ctrl-C is held over JAX's import and the transfers: raised inside one of JAX's
        # garbage-collector callbacks it would be swallowed (Python ignores exceptions there)
        with held_sigint():
            self._start(trainer, X, Y, weights, validation_data)

    def _start(self, trainer, X, Y, weights, validation_data):
        import jax

        _configure(jax)
        self.jax = jax
        self.trainer = trainer
        self.n = X.shape[0]
        self.device = resolve_device(jax, getattr(trainer, "device", None))
        with jax.enable_x64(True):
            put = functools.partial(jax.device_put, device=self.device)
            self.X, self.Y = put(_on_device(X)), put(Y)
            self.weights = None if weights is None else put(weights)
            self.validation = (None if validation_data is None
                               else tuple(put(_on_device(a)) for a in validation_data))
        self.host = (X, Y, weights)
        net = trainer.network
        # The start of the last epoch that passed the guard: where a divergence goes back to.
        self.good = (net.params.copy(), _state_to_jax(trainer.opt_state, jax))

    def epochs_per_call(self, per_epoch: bool) -> int:
        n, n_params = self.n, self.trainer.network.n_params
        return 1 if per_epoch else max(1, min(2**22 // n, 10**9 // (n * n_params)))

    def initial_loss(self) -> float:
        t = self.trainer
        X, Y, weights = self.host
        return initial_loss(t.network, X, Y, t.loss, t.l1, t.l2, weights,
                            penalize_biases=t.penalize_biases)

    def defer_initial_loss(self) -> PendingReference | None:
        """The guard's reference to compute when an epoch needs it, as the NumPy engine
        (:meth:`ffnn.backends.numpy_engine.NumpyPath.defer_initial_loss`): bounded from below by
        the first batch (its forward pass here, on the host), checked in the program, computed (with
        NumPy) when an epoch's loss could pass ``factor ×`` it."""
        t = self.trainer
        if not type(t.loss).__dict__.get("nonnegative_costs", False):
            return None
        X, Y, weights = self.host
        return PendingReference(t.network, X, Y, t.loss, t.l1, t.l2, weights,
                                penalize_biases=t.penalize_biases)

    def _bound(self, order, batch: int) -> float:
        """The pending reference's lower bound (NaN when there is none): from the first
        batch of this call's first epoch, at the weights it was taken at."""
        pending = self.trainer.first_pending
        if pending is None:
            return math.nan
        if pending.bound is None:
            X, Y, weights = self.host
            rows = slice(None) if order is None else order[:batch]
            _, zs, output = self.trainer.network.feed_forward_saver(X[rows])
            pending.note_first_batch(zs[-1], output, Y[rows],
                                     None if weights is None else weights[rows])
        return math.nan if pending.bound is None else pending.bound

    def run(self, count: int) -> EpochsRun:
        logs: list[dict] = []
        while True:
            result, status = self._call(count - len(logs))
            result.logs = logs = logs + result.logs
            # status 2: the program stopped before an epoch that needed the guard's
            # reference, now computed: the rest of the chunk runs (its hooks heard once)
            if status != 2 or result.interrupted:
                return result

    def _call(self, count: int) -> tuple[EpochsRun, int]:
        """One call of the program for up to ``count`` epochs: what it trained and its
        status (0 ran them, 1 diverged, 2 stopped for the reference)."""
        jax, trainer, net = self.jax, self.trainer, self.trainer.network
        n, dtype = self.n, net.dtype
        batch = n if trainer.batch_size is None else min(trainer.batch_size, n)
        shuffle = batch < n and trainer.shuffle
        steps = -(-n // batch)
        length = _padded(count)
        rng_state = trainer.rng.bit_generator.state if shuffle else None
        orders = _orders(trainer.rng, n, batch, count, length, shuffle)
        rates = np.zeros(length * steps)
        rates[:count * steps] = _rates(trainer.optimizer, int(trainer.opt_state["step"]),
                                       count * steps)
        program = _program(net, trainer.loss, trainer.optimizer, trainer.metric, batch,
                           self.weights is not None, self.validation is not None,
                           penalized=(trainer.l1 > 0, trainer.l2 > 0))
        bound = self._bound(orders[0] if batch < n else None, batch)
        if trainer.first_pending is not None and math.isnan(bound):
            trainer.first_loss  # noqa: B018  (no bound to test against: computed now)
        pending = trainer.first_pending is not None
        first = (math.nan if pending or trainer.first_loss is None
                 else float(trainer.first_loss))
        covered = np.array([True, trainer.penalize_biases])  # weights, biases
        result, status = None, 0
        try:
            with held_sigint(), jax.enable_x64(True):
                arguments = (
                    (net.params, _state_to_jax(trainer.opt_state, jax)), self.good,
                    (self.X, self.Y, self.weights, self.validation),
                    orders, rates.reshape(length, steps), np.int32(count),
                    (dtype.type(trainer.l1), dtype.type(trainer.l2), covered),
                    (np.float64(first), np.float64(trainer.divergence_factor),
                     np.float64(parameter_limit(dtype)), np.float64(bound)), {})
                out = jax.device_get(_executable(program, arguments, self.device)(*arguments))
                result, status = self._finish(out, rng_state, shuffle)
                return result, status
        except KeyboardInterrupt:  # held during the call: its epochs are recorded first
            if result is None:
                raise
            result.interrupted = True
            return result, status

    def _finish(self, out, rng_state, shuffle: bool) -> tuple[EpochsRun, int]:
        """Write the call's weights and state back; what it trained and its status."""
        trainer, net = self.trainer, self.trainer.network
        (params, state), good, done, records, status = out
        done, status = int(done), int(status)
        net.params[...] = params
        trainer.opt_state = _state_from_jax(state)
        self.good = good
        names = ["loss"] + ([trainer.metric] if trainer.metric else [])
        if self.validation is not None:
            names += [f"val_{name}" for name in names]
        sizes = {"accuracy": self.n,
                 "val_accuracy": None if self.validation is None else n_rows(self.validation[0])}
        logs = [{name: _value(records[name][e], sizes.get(name)) for name in names}
                for e in range(done)]
        if status == 0:
            return EpochsRun(logs), status
        if shuffle:  # the orders drawn up to this epoch (and its own, when it diverged)
            trainer.rng.bit_generator.state = rng_state
            for _ in range(done + (status == 1)):
                trainer.rng.permutation(self.n)
        if status == 2:  # the reference is needed: computed now, and the epoch runs again
            trainer.first_loss  # noqa: B018  (reading it computes it)
            return EpochsRun(logs), status
        return (EpochsRun(logs, float(records["loss"][done]), float(records["largest"][done])),
                status)


def swept_hyperparameters(optimizers) -> tuple[str, ...]:
    """The hyperparameters (besides the rate) in which a stack's optimizers differ: traced
    in the stack's program (their states have one layout: ffnn.stacked refuses others)."""
    first = optimizers[0]
    return tuple(name for name in type(first).params() if name != "lr"
                 and any(getattr(o, name) != getattr(first, name) for o in optimizers))


def train_stack(problem, rng, stop_event=None, device=None):
    """K networks of one architecture on the same batches as one vmapped program: the
    JAX form of :func:`ffnn.backends.stacked.train_stack` (see there), each network's formulas,
    guard and History as :class:`JaxPath` gives them alone. ``problem``: a checked
    :class:`ffnn.backends.stacked.StackProblem`. Returns the histories and the trained
    parameters (the caller puts them in the networks); raises KeyboardInterrupt when
    ``stop_event`` is set (checked between calls). ``device``: as :class:`JaxPath`'s."""
    import jax

    from ..training.loop import History, divergence_message

    networks, optimizers, X, Y, loss = (problem.networks, problem.optimizers, problem.X,
                                        problem.Y, problem.loss)
    l1s, l2s, penalize_biases = problem.l1s, problem.l2s, problem.penalize_biases
    epochs, batch, metric = problem.epochs, problem.batch, problem.metric
    divergence_factor = problem.divergence_factor

    swept = swept_hyperparameters(optimizers)
    _configure(jax)
    device = resolve_device(jax, device)
    K, n, first_net = len(networks), X.shape[0], networks[0]
    dtype = first_net.dtype
    steps = -(-n // batch)
    params = np.stack([net.params for net in networks])
    states = [opt.init(net.params, net.weight_mask()) for net, opt in zip(networks, optimizers)]
    state = {k: np.stack([np.asarray(s[k]) for s in states]) for k in states[0]}
    firsts = np.array([initial_loss(net, X, Y, loss, a, b, penalize_biases=penalize_biases)
                       for net, a, b in zip(networks, l1s, l2s)])
    firsts[~np.isfinite(firsts)] = np.nan
    histories = [History.start(metric, engine="jax") for _ in range(K)]
    names = ["loss"] + ([metric] if metric else [])
    program = _program(first_net, loss, optimizers[0], metric, batch, False, False, swept,
                       penalized=(max(l1s) > 0, max(l2s) > 0))
    hyper = {name: _column([getattr(o, name) for o in optimizers]) for name in swept}
    strengths = (np.array(l1s, dtype), np.array(l2s, dtype),
                 np.array([True, penalize_biases]))  # the penalty covers weights, biases
    guard = (firsts, np.float64(divergence_factor), np.float64(parameter_limit(dtype)),
             np.full(K, np.nan))  # the references are computed up front: nothing pending
    with jax.enable_x64(True):
        data = (jax.device_put(X, device), jax.device_put(Y, device), None, None)
    good = (params.copy(), {k: v.copy() for k, v in state.items()})
    active = np.ones(K, bool)
    chunk = max(1, min(2**22 // n, 10**9 // (n * first_net.n_params * K)))
    epoch = 0
    while epoch < epochs and active.any():
        if stop_event is not None and stop_event.is_set():
            raise KeyboardInterrupt
        count = min(chunk, epochs - epoch)
        length = _padded(count)
        orders = _orders(rng, n, batch, count, length)
        rates = np.zeros((K, length * steps))
        for k, opt in enumerate(optimizers):
            rates[k, :count * steps] = _rates(opt, int(state["step"][k]), count * steps)
        arguments = ((params, state), good, data, orders, rates.reshape(K, length, steps),
                     np.where(active, count, 0).astype(np.int32), strengths, guard, hyper)
        with held_sigint(), jax.enable_x64(True):
            out = jax.device_get(_executable(program, arguments, device)(*arguments))
        (params, state), good, done, records, status = out
        params, state = np.array(params), {k: np.array(v) for k, v in state.items()}
        for k in np.flatnonzero(active):
            history = histories[k]
            for e in range(int(done[k])):
                for name in names:
                    history.history[name].append(_value(records[name][k, e],
                                                        n if name == "accuracy" else None))
                history.epochs += 1
            if status[k] == 1:
                largest = float(records["largest"][k, done[k]])
                history.stop_reason = "diverged"
                history.message = divergence_message(
                    epoch + int(done[k]), float(records["loss"][k, done[k]]),
                    None if np.isnan(firsts[k]) else float(firsts[k]),
                    None if largest <= guard[2] else largest)
                active[k] = False
        epoch += count
    return histories, list(params)


def _value(value, count: int | None) -> float:
    """A recorded value as a Python float; an accuracy (``count`` samples) made the exact
    ratio NumPy computes: XLA's CPU division by a constant is not correctly rounded (50/150
    comes out an ulp high), and a share of samples should not depend on the engine."""
    if count is None:
        return float(value)
    return round(float(value) * count) / count


def _column(values) -> object:
    """One swept hyperparameter over the stack: an array of K values, or a tuple of such
    arrays for a tuple-valued one (Adam's ``betas``)."""
    if isinstance(values[0], tuple):
        return tuple(np.array(v, np.float64) for v in zip(*values))
    return np.array(values, np.float64)


def resolve_device(jax, device):
    """The JAX device that ``device`` (None, ``"cpu"``, ``"gpu"`` or a device) names; None
    stays None (JAX's default). A kind with no device raises ValueError naming those there
    are."""
    if device is None or not isinstance(device, str):
        return device
    try:
        return jax.devices(device)[0]
    except RuntimeError:
        there = ", ".join(sorted({d.platform for d in jax.devices()}))
        raise ValueError(f"device={device!r}: JAX has no {device} device here (it has "
                         f"{there}); for a GPU install JAX with CUDA (see the README)") from None


def _state_to_jax(state: dict, jax) -> dict:
    with jax.enable_x64(True):
        return {k: jax.device_put(np.int64(v) if k == "step" else v) for k, v in state.items()}


def _state_from_jax(state: dict) -> dict:
    return {k: int(v) if k == "step" else np.array(v) for k, v in state.items()}


class Spec:
    """What the formulas of a network need: its activations, loss and layer sizes."""

    def __init__(self, funcs, loss, n_in: int, sizes: tuple):
        self.funcs, self.loss, self.n_in = tuple(funcs), loss, n_in
        self.shapes = list(zip((n_in, *sizes[:-1]), sizes))
        self.fused = loss.fuses_with(self.funcs[-1])

    @classmethod
    def of(cls, network, loss) -> Spec:
        return cls(network.activation_funcs, loss, network.network_input_size,
                   tuple(network.layer_output_sizes))


def unflatten(spec: Spec, flat) -> list:
    """The arrays ``[W₁, b₁, W₂, b₂, …]`` laid out in ``flat`` as in ``Network.params``.
    Inside the program parameters, gradients and optimizer states are such lists: XLA then
    updates each array in place, where slices of one flat vector and its concatenation
    would copy it several times a step."""
    leaves, start = [], 0
    for fan_in, fan_out in spec.shapes:
        leaves.append(flat[start:start + fan_in * fan_out].reshape(fan_in, fan_out))
        start += fan_in * fan_out
        leaves.append(flat[start:start + fan_out])
        start += fan_out
    return leaves


def flatten(leaves):
    """The flat vector of :func:`unflatten`'s arrays."""
    import jax.numpy as jnp

    return jnp.concatenate([leaf.ravel() for leaf in leaves])


def _pairs(leaves) -> list:
    return list(zip(leaves[::2], leaves[1::2]))


def feed_forward(spec: Spec, layers, X) -> tuple[list, list]:
    """Every layer's input (the output last) and every layer's logits ``z``."""
    import jax.numpy as jnp

    inputs, zs = [X], []
    for (W, b), f in zip(layers, spec.funcs):
        zs.append(inputs[-1] @ W + b)
        inputs.append(f.forward(zs[-1], jnp))
    return inputs, zs


def _outputs(spec: Spec, layers, X):
    """The output layer's ``z`` and output for every row of ``X``: at once for a dense
    ``X``; for :class:`SparseRows` in chunks of rows densified in turn (a validation part
    is never densified whole)."""
    import jax.numpy as jnp
    from jax import lax

    if not isinstance(X, SparseRows):
        inputs, zs = feed_forward(spec, layers, X)
        return zs[-1], inputs[-1]
    n, width = X.cols.shape
    chunk = max(1, min(n, SPARSE_BATCH_BYTES // (spec.n_in * X.vals.dtype.itemsize)))
    pad = -n % chunk

    def one(part):
        inputs, zs = feed_forward(spec, layers, rows_of(SparseRows(*part), None, spec.n_in))
        return zs[-1], inputs[-1]

    parts = tuple(jnp.pad(a, ((0, pad), (0, 0))).reshape(-1, chunk, width) for a in X)
    z, output = lax.map(one, parts)
    return z.reshape(-1, z.shape[-1])[:n], output.reshape(-1, output.shape[-1])[:n]


def _on_device(X):
    """What goes to the device for ``X``: itself, or a sparse matrix's :class:`SparseRows`."""
    return X if isinstance(X, np.ndarray) else SparseRows.from_scipy(X)


def backprop(spec: Spec, leaves, X, Y, w=None, scale=None):
    """The gradient of the batch's cost (penalties not included) as arrays like ``leaves``
    (:func:`unflatten`), its logits and its outputs: the chain rule from the last layer to
    the first, by hand, as :meth:`ffnn.Network.backprop` (``w``: sample weights, the cost
    ``Σ wᵢ Cᵢ / Σ wᵢ``; ``scale``: a factor per row of ``dC/dz`` at the output, a padded
    batch's: 0 on padding, ``batch / rows`` on the rest)."""
    import jax.numpy as jnp

    layers = _pairs(leaves)
    inputs, zs = feed_forward(spec, layers, X)
    last = len(layers) - 1
    grads = [None] * len(layers)
    for i in range(last, -1, -1):
        f, z, a = spec.funcs[i], zs[i], inputs[i + 1]
        if i == last:
            if spec.fused:
                dC_dz = spec.loss.logits_gradient(a, Y, jnp)
            else:
                dC_dz = f.backward(z, a, spec.loss.gradient(a, Y, jnp), jnp)
            if w is not None:
                dC_dz = dC_dz * weight_scale(w, jnp)[:, None].astype(dC_dz.dtype)
            if scale is not None:
                dC_dz = dC_dz * scale[:, None]
        else:
            dC_dz = f.backward(z, a, dC_dz @ layers[i + 1][0].T, jnp)
        grads[i] = (inputs[i].T @ dC_dz, jnp.sum(dC_dz, axis=0))  # dC_dW, dC_db
    return [g for pair in grads for g in pair], zs[-1], inputs[-1]


#: After how many seconds of compiling a program the engine says so (once per program).
ANNOUNCE_AFTER = 2.0
logger = logging.getLogger("ffnn")
class Program:
    """A jitted program and its executables by argument types and device."""

    def __init__(self, jitted):
        self.jitted = jitted
        self.executables: dict[tuple, object] = {}


def _executable(program: Program, arguments, device=None):
    """The compiled form of ``program`` for these arguments' types (shapes, dtypes, which
    are None) on ``device``: compiled on first use (loaded from JAX's persistent cache when
    an earlier process compiled it), saying so on the ``ffnn`` logger when that takes over
    :data:`ANNOUNCE_AFTER` seconds."""
    import jax

    leaves, tree = jax.tree.flatten(arguments)
    key = (str(device), tree,
           tuple((np.shape(x), getattr(x, "dtype", type(x))) for x in leaves))
    compiled = program.executables.get(key)
    if compiled is None:
        timer = threading.Timer(ANNOUNCE_AFTER, logger.warning, (
            "ffnn: compiling the JAX engine's program for this network, once per "
            "configuration and process (on disk: %s)", _cache_folder(jax) or "FFNN_JAX_CACHE=1"),)
        timer.daemon = True
        timer.start()
        try:
            compiled = program.jitted.lower(*arguments).compile()
        finally:
            timer.cancel()
        program.executables[key] = compiled
    return compiled


_configured = False


def _configure(jax) -> None:
    """Once per process, when ``FFNN_JAX_CACHE`` asks for it (``1``: the user's cache folder,
    ``$XDG_CACHE_HOME/ffnn/jax`` or ``~/.cache/ffnn/jax``; any other value but ``0``: that
    folder): JAX's persistent compilation cache, with a 0.2 s threshold (JAX's default is
    1 s), so that a later process loads a program instead of compiling it. Not by default:
    a process reading an entry that others are writing can crash in JAX's cache read (see
    benchmarks/README.md), which a sweep's workers would risk. A folder the user
    set for JAX is left as it is."""
    global _configured
    if _configured:
        return
    _configured = True
    wish = os.environ.get("FFNN_JAX_CACHE", "0")
    if wish in ("", "0") or jax.config.jax_compilation_cache_dir:
        return
    base = os.environ.get("XDG_CACHE_HOME") or os.path.join(os.path.expanduser("~"), ".cache")
    folder = os.path.join(base, "ffnn", "jax") if wish == "1" else wish
    jax.config.update("jax_compilation_cache_dir", folder)
    jax.config.update("jax_persistent_cache_min_compile_time_secs", 0.2)


def _cache_folder(jax) -> str | None:
    return jax.config.jax_compilation_cache_dir


#: Compiled programs by configuration (jax.jit keeps one executable per argument shapes).
_PROGRAMS: dict[tuple, object] = {}


def _program(network, loss, optimizer, metric, batch: int, weighted: bool, validated: bool,
             swept: tuple[str, ...] | None = None, penalized: tuple[bool, bool] = (True, True)):
    """The compiled program for this configuration, built once per process. ``swept``: a
    stack's program (vmapped over networks), whose optimizers differ in these
    hyperparameters (traced, so one program serves every value). ``penalized``: whether
    an L1 and an L2 penalty are there at all (a program without one computes nothing for
    it: four passes over the parameters a step)."""
    funcs = tuple(network.activation_funcs)
    fixed = _hyperparameters(optimizer, skip=swept or ())
    key = (tuple(_hyperparameters(f) for f in funcs), _hyperparameters(loss), fixed,
           network.network_input_size, tuple(network.layer_output_sizes), metric, batch,
           weighted, validated, swept, penalized)
    if key not in _PROGRAMS:
        if len(_PROGRAMS) >= 64:  # its executables go with it
            _PROGRAMS.pop(next(iter(_PROGRAMS)))
        # copies: the program depends on its key only, not on objects a caller may change
        funcs, loss, optimizer = copy.deepcopy((funcs, loss, optimizer))
        _PROGRAMS[key] = Program(_build(funcs, loss, optimizer, network.network_input_size,
                                        tuple(network.layer_output_sizes), metric, batch,
                                        validated, swept is not None, penalized))
    return _PROGRAMS[key]


def _mean_cost(spec: Spec, z, output, Y, w):
    """The weighted mean of the per-sample costs (``Network.loss_value``)."""
    import jax.numpy as jnp

    costs = (spec.loss.logits_per_sample(z, Y, jnp) if spec.fused
             else spec.loss.per_sample(output, Y, jnp))
    if w is None:
        return jnp.mean(costs)
    total = jnp.sum(w)
    return jnp.where(total == 0, 0.0, jnp.dot(w, costs) / jnp.where(total == 0, 1, total))


def _penalty(leaves, strengths):
    """The penalty of the parameters ``leaves`` (float64); ``strengths`` = (l1, l2, one
    flag per array: whether the penalty covers it)."""
    import jax.numpy as jnp

    l1, l2, covered = strengths
    return sum(penalties.flat_value(leaf, covered[k], l1, l2, jnp).astype(jnp.float64)
               for k, leaf in enumerate(leaves))


def _transform(opt, grads, state, leaves, lr):
    """The optimizer's ``transform`` array by array: ``state`` holds a list of arrays for
    what is laid out like the parameters, one value for the rest (the step, NAdam's Πμ,
    the same for every array)."""
    import jax.numpy as jnp

    new_leaves, new_state = [], {}
    for k, (g, p) in enumerate(zip(grads, leaves)):
        part = {key: value[k] if isinstance(value, list) else value
                for key, value in state.items()}
        updates, part = opt.transform(g, part, p, lr, jnp)
        new_leaves.append(p + updates)
        for key, value in part.items():
            if isinstance(state[key], list):
                new_state.setdefault(key, []).append(value)
            else:
                new_state[key] = value
    return new_leaves, new_state


def _arrays(spec: Spec, point):
    """(flat parameters, flat state) → (their arrays, the state with lists of arrays for
    what is laid out like the parameters)."""
    flat, state = point
    n_params = flat.shape[0]
    return unflatten(spec, flat), {
        key: unflatten(spec, value) if value.shape == (n_params,) else value
        for key, value in state.items()}


def _flat(point):
    """What :func:`_arrays` took apart, flat again."""
    leaves, state = point
    return flatten(leaves), {key: flatten(value) if isinstance(value, list) else value
                             for key, value in state.items()}


def _build(funcs, loss, optimizer, n_in: int, sizes: tuple, metric, batch: int,
           validated: bool, stacked: bool = False, penalized=(True, True)):
    """The program: ``run`` below under ``jax.jit`` (and ``jax.vmap`` over the networks of a
    stack: their parameters, states, rates, penalties, guard references and swept
    hyperparameters; the data and the batches are shared). Long because its three pieces
    (a step, an epoch, the run) share the configuration through one closure."""
    import jax
    import jax.numpy as jnp
    from jax import lax

    spec = Spec(funcs, loss, n_in, sizes)
    metric_function = METRIC_FUNCTIONS.get(metric)

    def step(carry, index, lr, data, strengths, opt, padded=False):
        """One mini-batch: forward, backward, penalties, the optimizer's transform.
        ``padded``: the epoch's last batch is short, and every batch comes as ``batch``
        indices, the short one padded with ``n`` (rows that count for nothing), so that one
        compiled step serves them all; on full batches its factors are exactly 1."""
        (leaves, state), outputs, logits, paid = carry
        X, Y, w, _ = data
        scale = share = None
        Xb = rows_of(X, index, n_in)  # a sparse X's batch densified here
        if index is None:
            Yb, wb = Y, w
        else:
            Yb = Y.at[index].get(mode="clip")
            wb = None if w is None else w.at[index].get(mode="clip")
            if padded:
                real = index < n_rows(X)
                if wb is None:
                    rows = jnp.sum(real)
                    scale = jnp.where(real, batch / rows, 0).astype(Xb.dtype)
                    share = rows
                else:
                    wb = jnp.where(real, wb, 0)
        grads, z, output = backprop(spec, leaves, Xb, Yb, wb, scale)
        if any(penalized):
            if share is None:
                share = Xb.shape[0] if wb is None else jnp.sum(wb)
            paid = paid + _penalty(leaves, strengths) * share
            l1, l2, covered = strengths
            grads = [penalties.add_flat_gradient(g, p, covered[k], l1, l2, jnp)
                     for k, (g, p) in enumerate(zip(grads, leaves))]
        current = _transform(opt, grads, state, leaves, lr)
        if index is None:
            outputs, logits = output, z
        else:
            outputs = outputs.at[index].set(output, mode="drop")
            logits = logits.at[index].set(z, mode="drop")
        return (current, outputs, logits, paid)

    def epoch(current, order, rates, data, strengths, opt):
        """One epoch from ``current`` (parameters, state); the new ones and its logs."""
        X, Y, w, validation = data
        n = n_rows(X)
        blank = jnp.zeros((n, sizes[-1]), Y.dtype)
        carry = (current, blank, blank, jnp.float64(0))
        if batch >= n:
            carry = step(carry, None, rates[0], data, strengths, opt)
        else:
            steps, padded = -(-n // batch), n % batch != 0

            def body(carry, xs):
                return step(carry, xs[0], xs[1], data, strengths, opt, padded), None

            if padded:
                order = jnp.concatenate([order, jnp.full(steps * batch - n, n, order.dtype)])
            carry, _ = lax.scan(body, carry, (order.reshape(steps, batch), rates[:steps]))
        new, outputs, logits, paid = carry
        total = n if w is None else jnp.sum(w)
        logs = {"loss": _mean_cost(spec, logits, outputs, Y, w).astype(jnp.float64)
                + paid / total}
        if metric_function is not None:
            logs[metric] = metric_function(outputs, Y, loss, jnp).astype(jnp.float64)
        if validation is not None:
            X_val, Y_val = validation
            z_val, output_val = _outputs(spec, _pairs(new[0]), X_val)
            logs["val_loss"] = (_mean_cost(spec, z_val, output_val, Y_val, None)
                                .astype(jnp.float64) + _penalty(new[0], strengths))
            if metric_function is not None:
                logs[f"val_{metric}"] = metric_function(output_val, Y_val, loss,
                                                        jnp).astype(jnp.float64)
        return new, logs

    def run(current, good, data, orders, rates, count, strengths, guard, hyper):
        """Up to ``count`` epochs; stops after the first that fails the guard, with the
        weights and state of the start of the last epoch that passed (status 1), or, while
        the guard's reference is pending (``first`` NaN, ``bound`` its lower bound: see
        :class:`ffnn.training.loop.PendingReference`), before an epoch whose loss could trip it,
        with the weights and state of that epoch's start (status 2: the host computes the
        reference and the epoch runs again). ``hyper``: the optimizer's hyperparameters that
        a stack sweeps (traced), else empty."""
        first, factor, limit, bound = guard
        pending = jnp.isnan(first) & jnp.isfinite(bound)
        opt = optimizer.with_values(**hyper)  # the same formulas with the swept values
        l1, l2, mask = strengths
        # a penalty that is not there is a Python 0: its terms fold away when compiled
        strengths = (l1 if penalized[0] else 0.0, l2 if penalized[1] else 0.0,
                     [mask[0], mask[1]] * len(spec.shapes))  # weights, biases
        length = rates.shape[0]
        names = ["loss"] + ([metric] if metric_function else [])
        if validated:
            names += [f"val_{name}" for name in names]
        records = {name: jnp.full(length, jnp.nan) for name in [*names, "largest"]}

        def cond(loop):
            e, status = loop[0], loop[1]
            return (e < count) & (status == 0)

        def body(loop):
            e, _, current, good, records = loop
            order = orders[e] if orders.shape[1] else None
            new, logs = epoch(current, order, rates[e], data, strengths, opt)
            loss_value = logs["loss"]
            largest = jnp.max(jnp.stack([jnp.max(jnp.abs(leaf)) for leaf in new[0]]))
            largest = largest.astype(jnp.float64)
            # driver.diverged, on traced scalars (and PendingReference.clears)
            broken = ~jnp.isfinite(loss_value) | ~(largest <= limit)
            bad = broken | ((first > 0) & (loss_value > factor * first))
            undecided = (~broken & pending
                         & (loss_value > factor * bound * (1 - PendingReference.MARGIN)))
            status = jnp.where(bad, 1, jnp.where(undecided, 2, 0)).astype(jnp.int32)
            records = {name: records[name].at[e].set(
                largest if name == "largest" else logs[name]) for name in records}
            ahead = jax.tree.map(lambda back, start, end: jnp.where(
                bad, back, jnp.where(undecided, start, end)), good, current, new)
            behind = jax.tree.map(lambda old, start: jnp.where(status == 0, start, old),
                                  good, current)
            return e + jnp.where(status == 0, 1, 0), status, ahead, behind, records

        e, status, current, good, records = lax.while_loop(
            cond, body, (jnp.int32(0), jnp.int32(0), _arrays(spec, current),
                         _arrays(spec, good), records))
        return _flat(current), _flat(good), e, records, status

    if stacked:
        run = jax.vmap(run, in_axes=(0, 0, None, None, 0, 0, (0, 0, None), (0, None, None, 0),
                                     0))
    return jax.jit(run)
