"""Train K networks of one architecture at once: a learning rate × penalty grid as one stack.

The networks of a grid see the same mini-batches in the same order and differ only in
numbers (learning rate, L1/L2 penalty, momentum/β, ε, initial weights), so every array gains
a leading axis of length K and each layer of all K becomes one batched matrix product:

    z_l = a_{l-1} @ W_l + b_l          W_l: (K, n_in, n_out), a: (K, n, n_in) or the shared X
    dC_dW_l = a_{l-1}ᵀ @ dC_dz_l        (K, n_in, n_out)
    dC_da_{l-1} = dC_dz_l @ W_lᵀ

The optimizer is the networks' own class given its hyperparameters as (K, 1) columns
(:meth:`~ffnn.optim.optimizers.GradientTransformation.with_values`; a hyperparameter that all K
share stays a number), so its in-place ``step`` updates the
stacked (K, n_params) parameters with the same formulas. Each network ends where training it
alone with :func:`ffnn.train` and the same seeds ends, to rounding (the products sum in
another order); the tests compare both. A network whose loss stops being finite or exceeds
``divergence_factor`` × its first gets its last good weights back and leaves the stack, so
nothing non-finite reaches the others.
"""

from __future__ import annotations

import copy
import os
import threading
from collections.abc import Sequence
from dataclasses import dataclass, replace

import numpy as np

from ..core import penalties
from ..core.activations import ACTIVATIONS, Identity, Softmax
from ..core.losses import MSE, Loss, LossLike, get_loss
from ..core.metrics import METRIC_FUNCTIONS, resolve_metric
from ..core.network import Network
from ..core.validation import (
    check_batch_size,
    check_divergence_factor,
    check_epochs,
    check_flag,
    check_penalty,
    check_seed,
    is_real,
    is_sparse,
)
from ..optim.optimizers import OPTIMIZERS, GradientTransformation, get_optimizer
from ..optim.schedules import Constant, Schedule
from ..training.loop import History, divergence_message, initial_loss, parameter_limit
from ..training.loop import diverged as diverged_rule
from ..training.paths import check_device, check_engine
from . import numpy_engine as engine

__all__ = ["train_stack", "stack_unsupported", "stackable_optimizers", "ENGINES"]

#: How :func:`train_stack` trains: see its ``engine``.
ENGINES = ("auto", "stacked", "jax")


def stackable_optimizers() -> tuple[type, ...]:
    """The optimizer classes the stacked trainer runs: the built-ins that do not declare
    ``"stacked"`` unsupported."""
    return tuple(cls for cls in OPTIMIZERS if cls.supports("stacked"))


def stack_unsupported(networks: Sequence[Network], loss: Loss,
                      optimizers: Sequence[GradientTransformation]) -> str | None:
    """Why these networks and optimizers cannot train as one stack, or None."""
    first = networks[0]
    for net in networks[1:]:
        if (net.network_input_size, net.layer_output_sizes, net.activation_funcs,
                net.dtype) != (first.network_input_size, first.layer_output_sizes,
                               first.activation_funcs, first.dtype):
            return f"the networks differ in architecture ({first} and {net})"
    for f in first.activation_funcs:
        if ACTIVATIONS.is_builtin(f) and not type(f).supports("stacked"):
            return f"activation {f.name!r} has no stacked form ({type(f).unsupported['stacked']})"
    output = first.activation_funcs[-1]
    fused = loss.fuses_with(output) and engine.fast_form(loss, "logits_gradient_into",
                                                         "logits_gradient")
    if not (fused or type(loss) is MSE):
        return f"{loss.name} after {output.name} has no stacked form (fused pairs and mse)"
    if type(loss) is MSE and isinstance(output, Softmax):
        return "mse after softmax has no stacked form"
    kinds = {type(o) for o in optimizers}
    stackable = stackable_optimizers()
    if len(kinds) != 1 or next(iter(kinds)) not in stackable:
        names = ", ".join(k.__name__ for k in stackable)
        return (f"the optimizers must be all of one kind among {names}, got "
                f"{', '.join(sorted(k.__name__ for k in kinds))}")
    for opt in optimizers:
        if isinstance(opt.lr, Schedule) and opt.lr.hears_losses:
            return f"{type(opt.lr).__name__} listens to each network's loss: not stacked"
    kind = type(optimizers[0])
    for name, why in kind.stack_shared.items():
        if len({getattr(o, name) for o in optimizers}) > 1:
            return f"{kind.__name__}'s {name} must be the same in a stack: {why}"
    return None


def _column(values: list, dtype):
    """One number when all K agree (the same arithmetic as alone), else a (K, 1) column."""
    if values and all(v == values[0] for v in values):
        return values[0]
    return np.array(values, dtype)[:, None]


@dataclass(frozen=True)
class StackProblem:
    """One stack's training, checked: what the NumPy and the JAX loop of a stack read.

    ``networks`` (K of one architecture) with one optimizer and one ``l1``/``l2`` each, the
    data ``X`` (n, features) and ``Y`` (n, outputs), and the options they share.
    """

    networks: list[Network]
    optimizers: list[GradientTransformation]
    l1s: list[float]
    l2s: list[float]
    penalize_biases: bool
    X: np.ndarray
    Y: np.ndarray
    loss: Loss
    epochs: int
    batch: int
    metric: str | None
    divergence_factor: float

    def block(self, indices: Sequence[int]) -> StackProblem:
        """The same problem for the networks at ``indices``."""
        return replace(self, **{name: [getattr(self, name)[i] for i in indices]
                                for name in ("networks", "optimizers", "l1s", "l2s")})


class _Rates:
    """The K optimizers' learning rates at a step: one number when they agree, else a
    (K, 1) column: the ``lr`` of a stack's optimizer
    (:meth:`~ffnn.optim.optimizers.GradientTransformation.with_values`)."""

    def __init__(self, optimizers: Sequence[GradientTransformation], dtype):
        self.optimizers, self.dtype = list(optimizers), dtype
        constant = all(type(o.lr) is Constant for o in self.optimizers)
        self.fixed = _column([o.lr.lr for o in self.optimizers], dtype) if constant else None

    def __call__(self, step: int):
        if self.fixed is not None:
            return self.fixed
        return _column([o.rate(step) for o in self.optimizers], self.dtype)

    def take(self, rows) -> _Rates:
        """The rates of the stack rows ``rows`` only."""
        return _Rates([self.optimizers[r] for r in rows], self.dtype)


def _stack_optimizer(optimizers: Sequence[GradientTransformation], dtype):
    """The first optimizer's class with every hyperparameter a column over the K."""
    first = optimizers[0]
    values: dict = {"lr": _Rates(optimizers, dtype)}
    for name, value in vars(first).items():
        if name == "lr":
            continue
        each = [getattr(o, name) for o in optimizers]
        if name == "betas":
            values["betas"] = tuple(_column([v[i] for v in each], dtype) for i in range(2))
        elif is_real(value):
            values[name] = _column([float(v) for v in each], dtype)
        elif any(v != value for v in each):
            raise ValueError(f"the optimizers differ in {name}, which cannot be stacked")
    return first.with_values(**values)


class _Stack:
    """Parameters (K, n_params), their layer views, gradients and optimizer state."""

    def __init__(self, networks, optimizers, l1, l2, penalize_biases=False):
        first = networks[0]
        self.dtype = first.dtype
        self.shapes, self.slices = first.shapes, first.slices
        self.index = list(range(len(networks)))  # rows -> positions in the caller's lists
        self.P = np.stack([net.params for net in networks])
        self.optimizer = _stack_optimizer(optimizers, self.dtype)
        states = [opt.init(net.params, net.weight_mask())
                  for opt, net in zip(optimizers, networks)]
        self.state = {key: np.stack([s[key] for s in states])
                      if isinstance(value, np.ndarray) else value
                      for key, value in states[0].items()}
        self.l1 = np.array(l1, self.dtype)[:, None, None]
        self.l2 = np.array(l2, self.dtype)[:, None, None]
        self.penalized = bool(self.l1.any() or self.l2.any())
        self.penalize_biases = penalize_biases
        # 1 where the penalties apply (the weights; the biases too with penalize_biases)
        self.mask = penalties.flat_mask(first, penalize_biases).astype(self.dtype)
        self._views()

    def _views(self) -> None:
        K = len(self.P)
        mask = self.mask
        self.l1_rows = self.l1[:, :, 0] * mask if self.l1.any() else None
        self.l2_rows = self.l2[:, :, 0] * mask if self.l2.any() else None
        self.G = np.empty_like(self.P)
        self.scratch = np.empty_like(self.P)
        self.layers = [(self.P[:, w].reshape(K, n_in, n_out), self.P[:, b])
                       for (n_in, n_out), (w, b) in zip(self.shapes, self.slices)]
        self.grads = [(self.G[:, w].reshape(K, n_in, n_out), self.G[:, b])
                      for (n_in, n_out), (w, b) in zip(self.shapes, self.slices)]

    def keep(self, rows: np.ndarray) -> None:
        """Only the stack rows ``rows`` go on (the others left it)."""
        self.P = self.P[rows]
        self.index = [self.index[r] for r in rows]
        self.state = {k: v[rows] if isinstance(v, np.ndarray) and v.ndim == 2 else v
                      for k, v in self.state.items()}
        opt = self.optimizer
        values = {name: value[rows] for name, value in vars(opt).items()
                  if isinstance(value, np.ndarray)}
        if "betas" in vars(opt):
            values["betas"] = tuple(b[rows] if isinstance(b, np.ndarray) else b
                                    for b in opt.betas)
        self.optimizer = opt.with_values(lr=opt.lr.take(rows), **values)
        self.l1, self.l2 = self.l1[rows], self.l2[rows]
        self.penalized = bool(self.l1.any() or self.l2.any())
        self._views()


class _Workspace:
    """Buffers for K networks and batches of n rows (big temporaries would each cost fresh
    pages): z, a, dC_dz, dC_da per layer as (K, n, n_out) arrays.

    The first layer's are views of (n, K, n_out) buffers: its product with the shared X is
    then one matrix product for all K, ``X @ [W¹ … Wᴷ]`` (n, n_in) @ (n_in, K·n_out), and its
    weight gradient one more, ``Xᵀ @ [dC_dz¹ … dC_dzᴷ]``, instead of K small ones each.
    """

    def __init__(self, K: int, n: int, n_in: int, sizes, funcs, dtype):
        def buffers():
            first = np.empty((n, K, sizes[0]), dtype)
            return [first.transpose(1, 0, 2)] + [np.empty((K, n, k), dtype) for k in sizes[1:]]

        self.z, self.dC_dz, self.dC_da = buffers(), buffers(), buffers()
        self.a = []
        for i, (z, f) in enumerate(zip(self.z, funcs)):
            if type(f) is Identity:
                self.a.append(z)
            else:
                self.a.append(np.empty((n, K, sizes[0]), dtype).transpose(1, 0, 2) if i == 0
                              else np.empty_like(z))
        # [X 1] and [[W¹ … Wᴷ]; [b¹ … bᴷ]]: the first layer's bias rides in its product, and
        # its gradient comes out of the weight gradient's product as the last row.
        self.X1 = np.ones((n, n_in + 1), dtype)
        self.Wb0 = np.empty((n_in + 1, K, sizes[0]), dtype)
        self.dWb0 = np.empty_like(self.Wb0)
        self.forms = [engine.in_place_forms(f) for f in funcs]

    @staticmethod
    def wide(view: np.ndarray) -> np.ndarray:
        """A first-layer (K, n, k) view as the (n, K·k) matrix it is in memory."""
        n = view.shape[1]
        return view.transpose(1, 0, 2).reshape(n, -1)


def _forward(stack: _Stack, ws: _Workspace, X) -> None:
    """Every layer's z and a into ``ws``; the first layer reads the shared X."""
    (W0, b0), n_in = stack.layers[0], X.shape[1]
    ws.X1[:, :n_in] = X
    np.copyto(ws.Wb0[:n_in], W0.transpose(1, 0, 2))
    ws.Wb0[n_in] = b0
    np.matmul(ws.X1, ws.Wb0.reshape(n_in + 1, -1), out=ws.wide(ws.z[0]))
    a = None
    for i, ((W, b), (forward_into, _), z, a_next) in enumerate(
            zip(stack.layers, ws.forms, ws.z, ws.a)):
        if i > 0:
            np.matmul(a, W, out=z)
            z += b[:, None, :]
        a = forward_into(z, a_next)


def _backward(stack: _Stack, ws: _Workspace, funcs, X, Y, loss: Loss) -> None:
    """The stacked gradient into ``stack.G`` (penalties included)."""
    n_in = X.shape[1]
    last = len(funcs) - 1
    for i in range(last, -1, -1):
        z, a, dC_dz, backward_into = ws.z[i], ws.a[i], ws.dC_dz[i], ws.forms[i][1]
        if i == last:
            if loss.fuses_with(funcs[i]):
                loss.logits_gradient_into(a, Y, dC_dz)  # (p - y) / n
            else:  # mse: 2 (a - y) / (n × outputs) for each network, then through f
                backward_into(z, a, loss.gradient_into(a, Y, ws.dC_da[i]), dC_dz)
        else:
            W_next = stack.layers[i + 1][0]
            if W_next.shape[2] == 1:  # one output: an outer product, faster by broadcasting
                if i == 0:  # written in the buffer's own (n, K, k) order
                    np.multiply(ws.dC_dz[1].transpose(1, 0, 2), W_next[None, :, :, 0],
                                out=ws.dC_da[0].transpose(1, 0, 2))
                else:
                    np.multiply(ws.dC_dz[i + 1], W_next.transpose(0, 2, 1), out=ws.dC_da[i])
            else:
                np.matmul(ws.dC_dz[i + 1], W_next.transpose(0, 2, 1), out=ws.dC_da[i])
            backward_into(z, a, ws.dC_da[i], dC_dz)
        dC_dW, dC_db = stack.grads[i]
        if i == 0:
            np.matmul(ws.X1.T, ws.wide(dC_dz), out=ws.dWb0.reshape(n_in + 1, -1))
            np.copyto(dC_dW, ws.dWb0[:n_in].transpose(1, 0, 2))
            np.copyto(dC_db, ws.dWb0[n_in])
        else:
            np.matmul(ws.a[i - 1].transpose(0, 2, 1), dC_dz, out=dC_dW)
            np.add.reduce(dC_dz, axis=1, out=dC_db)
    if stack.penalized:
        _penalty_gradients(stack)


def _penalty_gradients(stack: _Stack) -> None:
    """The penalties' gradients over whole rows of the flat (K, n_params) arrays:
    contiguous passes, several times faster than the strided (K, n_in, n_out) views."""
    penalties.add_stack_gradient(stack.P, stack.G, stack.l1_rows, stack.l2_rows, stack.scratch)


def _penalties(stack: _Stack) -> np.ndarray:
    """Each network's penalty, shape (K,)."""
    return penalties.stack_values(penalties.penalized(stack.layers, stack.penalize_biases),
                                  stack.l1[:, 0, 0], stack.l2[:, 0, 0])


def _per_network(values, K: int, name: str, default=0.0) -> list:
    if values is None:
        values = default
    if is_real(values):
        return [float(values)] * K
    values = list(values)
    if len(values) != K:
        raise ValueError(f"{name} must be one number or one per network ({K}), got "
                         f"{len(values)}")
    return [float(v) for v in values]


def train_stack(networks: Sequence[Network], X, targets, loss: LossLike,
                optimizers: Sequence[GradientTransformation | str] | GradientTransformation,
                *, epochs: int = 100, batch_size: int | None = None,
                l1: float | Sequence[float] = 0.0, l2: float | Sequence[float] = 0.0,
                penalize_biases: bool = False, seed=None, metric="auto",
                divergence_factor: float = 1000.0, n_threads: int | None = None,
                block_size: int = 32, stop_event: threading.Event | None = None,
                engine: str = "stacked", device=None) -> list[History]:
    """Train ``networks`` (one architecture) together on the same batches; in place.

    Parameters
    ----------
    networks : sequence of Network, length K
        Same sizes, activations and dtype; their own initial weights.
    X : array-like, shape (n_samples, n_features)
    targets : array-like, shape (n_samples, n_outputs)
    loss : str or Loss
        A fused pair (softmax + cross-entropy, sigmoid + binary cross-entropy) or mse.
    optimizers : one optimizer, or one per network
        All of one class among :func:`stackable_optimizers`; their learning rates (any
        schedule of the step), momenta, βs and ε may differ.
    epochs, batch_size : as :func:`ffnn.train`
    l1, l2 : float or sequence of K floats
    penalize_biases : bool, default False
        The penalties cover the biases too, as :func:`ffnn.train`'s; one value for the stack.
    seed : int or Generator
        The one shuffling seed of the stack (as ``train(seed=)`` of each network alone).
    metric, divergence_factor : as :func:`ffnn.train`
    n_threads : int, optional
        Threads over the stack's blocks (default: every core); each matrix product then
        uses one BLAS thread. The results do not depend on it.
    block_size : int, default 32
        The networks are trained in blocks of at most this many (sizes fixed by K alone),
        which the threads share.
    stop_event : threading.Event, optional
        Set it (from another thread) to stop every block at its next batch (on the JAX
        engine: before its next call, a chunk of epochs); the call then raises
        KeyboardInterrupt and leaves the networks as they were, as on Ctrl-C.
    engine : {"stacked", "auto", "jax"}, default "stacked"
        ``"stacked"``: the K networks as one stack of batched NumPy products (this module).
        ``"jax"``: the stack as one vmapped program on the JAX engine
        (:func:`ffnn.backends.jax_engine.train_stack`; the hyperparameters in which the networks
        differ are traced); each ends where ``ffnn.train(..., engine="jax")`` with the same
        seeds ends it, to rounding. Refused with the reason where JAX cannot run the networks.
        ``"auto"``: JAX where ``ffnn.train(engine="auto")`` would take it for one of these
        networks alone with the work of the whole stack
        (:func:`ffnn.training.paths.worth_compiling`), stacked otherwise (sweeps ask for "auto").
    device : {"cpu", "gpu"}, jax.Device or None, default None
        Where the JAX engine trains the stack (as ``ffnn.train``'s ``device``).

    Returns
    -------
    list of History
        One per network, as :func:`ffnn.train` would return it (without a progress bar).
    """
    networks = list(networks)
    if not networks or not all(isinstance(net, Network) for net in networks):
        raise TypeError("networks must be a non-empty sequence of ffnn.Network")
    engine = check_engine(engine, ENGINES)
    device = check_device(device)
    K = len(networks)
    loss = get_loss(loss)
    if isinstance(optimizers, (str, GradientTransformation)):
        optimizers = [optimizers] * K
    optimizers = [copy.deepcopy(get_optimizer(o)) for o in optimizers]
    if len(optimizers) != K:
        raise ValueError(f"optimizers must be one optimizer or one per network ({K}), got "
                         f"{len(optimizers)}")
    networks[0].check_learnable()
    reason = stack_unsupported(networks, loss, optimizers)
    if reason is not None:
        raise ValueError(f"these networks cannot train as one stack: {reason}")
    l1s = [check_penalty(v, "l1") for v in _per_network(l1, K, "l1")]
    l2s = [check_penalty(v, "l2") for v in _per_network(l2, K, "l2")]
    penalize_biases = check_flag(penalize_biases, "penalize_biases")
    epochs = check_epochs(epochs)
    batch_size = check_batch_size(batch_size)
    divergence_factor = check_divergence_factor(divergence_factor)
    first = networks[0]
    X, Y, *_ = first.check_problem(X, targets, loss, 0.0, 0.0)
    if is_sparse(X):
        raise TypeError("X: train_stack needs a dense array, got a SciPy sparse matrix; "
                        "pass X.toarray(), or train each network with ffnn.train, which "
                        "takes sparse X")
    metric = resolve_metric(metric, loss)
    rng = check_seed(seed)
    n = X.shape[0]
    batch = n if batch_size is None else min(batch_size, n)
    threads = n_threads or usable_cores()
    problem = StackProblem(list(networks), optimizers, l1s, l2s, penalize_biases, X, Y, loss,
                           epochs, batch, metric, divergence_factor)
    if engine != "stacked" and _jax_engine(engine, networks[0], loss, optimizers[0], X, batch,
                                            epochs, K):
        from . import jax_engine

        histories, params = jax_engine.train_stack(problem, copy.deepcopy(rng), stop_event,
                                                   device)
        for net, p in zip(networks, params):  # all or nothing: after the last call
            net.params[...] = p
        return histories
    # Fixed blocks (their size depends on K only, never on the threads), each a stack of
    # its own drawing the same batches from its own copy of the generator.
    blocks = [list(b) for b in np.array_split(np.arange(K), -(-K // block_size))]
    histories: list[History | None] = [None] * K

    # Any failure or Ctrl-C here ends every block at its next batch; the caller's event
    # stops them too, but is never set from here (an error is not a stop for the caller).
    failed = threading.Event()

    def stop() -> bool:
        return failed.is_set() or (stop_event is not None and stop_event.is_set())

    trained: list[tuple[list[int], list[History], list[np.ndarray]]] = []

    def run(block: list[int]) -> None:
        histories, params = _train_block(problem.block(block), copy.deepcopy(rng), stop)
        trained.append((block, histories, params))

    _run_all(run, blocks, min(len(blocks), threads), failed)
    result: list[History | None] = [None] * K
    for block, histories, params in trained:
        for i, history, p in zip(block, histories, params):
            networks[i].params[...] = p
            result[i] = history
    return result


def _run_all(run, items: list, threads: int, failed: threading.Event) -> None:
    """``run(item)`` for every item, here or on ``threads`` threads (one BLAS thread each).
    A failure (or Ctrl-C) sets ``failed``, which the running items check to stop, and is
    raised once all have stopped."""
    from concurrent.futures import ThreadPoolExecutor

    from threadpoolctl import threadpool_limits

    try:
        if threads == 1:
            for item in items:
                run(item)
            return
        with threadpool_limits(1), ThreadPoolExecutor(threads) as pool:
            futures = [pool.submit(run, item) for item in items]
            try:
                for future in futures:
                    future.result()
            except BaseException:
                failed.set()
                raise
    except BaseException:
        failed.set()
        raise  # all or nothing: the callers keep the networks' weights


def _jax_engine(engine: str, network, loss, optimizer, X, batch: int, epochs: int,
                runs: int) -> bool:
    """Whether the stack of ``runs`` networks trains as one vmapped program on the JAX engine
    (``engine`` "jax", or "auto" by :func:`ffnn.training.paths.choose`'s rule for one of its
    networks alone, with the work of the whole stack)."""
    from ..training import paths
    from ..training.trainer import Trainer

    reason = paths.jax_reason(Trainer(network, loss, optimizer, verbose=0), X)
    if engine == "jax":
        paths.refuse_jax(reason, "engine='jax'", "train these networks",
                         "engine='stacked' or 'auto'")
        return True
    return reason is None and paths.worth_compiling(network, X.shape[0], batch, epochs,
                                                    runs) is None


def usable_cores() -> int:
    """The cores this process may run on (its affinity mask; ``os.cpu_count()`` where there
    is none)."""
    try:
        return len(os.sched_getaffinity(0))
    except AttributeError:
        return os.cpu_count() or 1


def _train_block(problem: StackProblem, rng, stop) -> tuple[list[History], list[np.ndarray]]:
    """The epochs of one stack: :func:`train_stack`'s loop. Returns the histories and the
    trained parameters (the caller puts them in the networks); raises KeyboardInterrupt when
    ``stop()`` says so."""
    networks, X, Y, loss, batch = problem.networks, problem.X, problem.Y, problem.loss, \
        problem.batch
    l1s, l2s, penalize_biases = problem.l1s, problem.l2s, problem.penalize_biases
    metric, divergence_factor = problem.metric, problem.divergence_factor
    K, n = len(networks), X.shape[0]
    first = networks[0]
    funcs = first.activation_funcs
    fused = loss.fuses_with(funcs[-1])
    stack = _Stack(networks, problem.optimizers, l1s, l2s, penalize_biases)
    histories = [History.start(metric, engine="stacked") for _ in range(K)]
    workspaces: dict[tuple[int, int], _Workspace] = {}
    # The guard's references: each network's loss before any update (NaN when not finite).
    first_losses = np.array([initial_loss(net, X, Y, loss, a, b,
                                          penalize_biases=penalize_biases)
                             for net, a, b in zip(networks, l1s, l2s)])
    first_losses[~np.isfinite(first_losses)] = np.nan
    limit = parameter_limit(first.dtype)
    good_P = stack.P.copy()  # the start of the last epoch that passed the guard
    params = [net.params.copy() for net in networks]  # where each network ends
    with np.errstate(over="ignore", invalid="ignore", divide="ignore", under="ignore"):
        for epoch in range(problem.epochs):
            if not stack.index:
                break
            start_P = stack.P.copy()
            order = np.arange(n) if batch == n else rng.permutation(n)
            rows_K = len(stack.index)
            outputs = np.empty((rows_K, n, first.n_outputs), first.dtype)
            logits = np.empty_like(outputs) if fused else None
            penalty_sums = np.zeros(rows_K)
            for start in range(0, n, batch):
                if stop():
                    raise KeyboardInterrupt
                index = order[start:start + batch]
                Xb, Yb = (X, Y) if batch == n else (X[index], Y[index])
                key = (rows_K, len(index))
                if key not in workspaces:
                    workspaces[key] = _Workspace(*key, first.network_input_size,
                                                 first.layer_output_sizes, funcs, first.dtype)
                ws = workspaces[key]
                _forward(stack, ws, Xb)
                outputs[:, index] = ws.a[-1]
                if fused:
                    logits[:, index] = ws.z[-1]
                if stack.penalized:
                    penalty_sums += _penalties(stack) * len(index)
                _backward(stack, ws, funcs, Xb, Yb, loss)
                stack.state = stack.optimizer.step(stack.P, stack.G, stack.state,
                                                   stack.scratch)
            costs = loss.logits_per_sample(logits, Y) if fused else loss.per_sample(outputs, Y)
            losses = costs.mean(axis=1) + penalty_sums / n
            largest = np.maximum(-stack.P.min(axis=1), stack.P.max(axis=1))
            bad = np.array([diverged_rule(value, reference, divergence_factor, big, limit)
                            for value, reference, big in zip(losses.tolist(),
                                                             first_losses[stack.index].tolist(),
                                                             largest.tolist())])
            scores = None if metric is None else METRIC_FUNCTIONS[metric](outputs, Y, loss)
            for r, k in enumerate(stack.index):
                history = histories[k]
                if bad[r]:
                    params[k] = good_P[r].copy()
                    history.stop_reason = "diverged"
                    history.message = divergence_message(
                        epoch, float(losses[r]),
                        None if np.isnan(first_losses[k]) else float(first_losses[k]),
                        None if largest[r] <= limit else float(largest[r]))
                    continue
                history.history.setdefault("loss", []).append(float(losses[r]))
                if metric is not None:
                    history.history.setdefault(metric, []).append(float(scores[r]))
                history.epochs += 1
            good_P = start_P
            if bad.any():
                rows = np.flatnonzero(~bad)
                stack.keep(rows)
                good_P = good_P[rows]
                workspaces.clear()
    for r, k in enumerate(stack.index):
        params[k] = stack.P[r].copy()
    return histories, params
