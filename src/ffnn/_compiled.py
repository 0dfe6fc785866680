"""The compiled training loop: whole epochs in one numba call, as a path of the epoch driver.

For small networks NumPy's cost per call (a few µs for each of ~40 calls a step) outweighs
their arithmetic: the notebook's iris network takes ~80 µs a step on the NumPy engine and
~16 µs here. :class:`CompiledPath` drives the kernels of :mod:`ffnn._kernels` for a
:class:`~ffnn.Trainer` under :func:`ffnn.driver.run_epochs`: the same epochs, shuffles (the
trainer's generator), learning rates, guard and optimizer state as the NumPy engine, with
results equal to rounding (sums run in another order), which the tests check. Which built-ins
it runs is read from their declarations (``kernel``, :mod:`ffnn.registry`); the NumPy engine
stays the reference.

numba is imported only when a fit takes this path.
"""

from __future__ import annotations

import logging
import math
from importlib.util import find_spec

import numpy as np

from ._kernel_codes import (
    ACTIVATION_KERNELS,
    ACTIVATION_PARAMS,
    BETA_1,
    BETA_2,
    DIVERGED,
    EPS,
    LOSS_KERNELS,
    METRIC_ARGMAX,
    METRIC_NONE,
    METRIC_R2,
    METRIC_THRESHOLD,
    MU,
    N_HYPER,
    ONE_MINUS_BETA_1,
    ONE_MINUS_BETA_2,
    OPTIMIZER_KERNELS,
)
from ._signals import held_sigint as _deferred_interrupt
from .activations import ACTIVATIONS, Softmax
from .driver import EpochsRun, batch_listeners, initial_loss, parameter_limit
from .losses import LOSSES, BinaryCrossEntropy, CrossEntropy
from .optimizers import OPTIMIZERS
from .schedules import Constant

__all__ = ["CompiledPath", "unsupported", "kernel_code", "NO_NUMBA"]

#: The reason when numba is missing: ``engine="auto"`` then takes NumPy without a word.
NO_NUMBA = "numba is not installed (the 'fast' extra: pip install 'ffnn[fast]')"


def kernel_code(obj, registry, table: dict[str, int]) -> int | None:
    """The kernel code of a built-in ``obj`` (exact registered type), or None."""
    if not registry.is_builtin(obj):
        return None  # a subclass may override the formulas that the kernels hard-code
    name = type(obj).kernel
    if name is None:
        return None
    if name not in table:
        raise ValueError(f"{type(obj).__name__} declares kernel {name!r}, which the compiled "
                         f"loop does not have (it has {', '.join(table)})")
    return table[name]


def _activation_param(f) -> float:
    """The activation's parameter for its kernel (0 when it has none)."""
    values = [getattr(f, p) for p in type(f).params()]
    if len(values) > ACTIVATION_PARAMS:
        raise ValueError(f"{type(f).__name__} has {len(values)} parameters; an activation "
                         f"kernel takes at most {ACTIVATION_PARAMS}")
    return float(values[0]) if values else 0.0


def _reason_of(obj, registry, table, what: str, path: str = "compiled",
               form: str = "compiled form") -> str | None:
    """Why ``obj`` has no kernel on ``path`` (its declared reason, for a built-in), or None."""
    if kernel_code(obj, registry, table) is not None:
        return None
    declared = type(obj).unsupported.get(path) if registry.is_builtin(obj) else None
    label = type(obj).__name__ if what == "optimizer" else repr(obj.name)
    return f"{what} {label} has no {form}" + (f" ({declared})" if declared else "")


def unsupported(trainer, weights, validation: bool) -> str | None:
    """Why the compiled loop cannot run this fit, or None when it can. Without numba that
    is the reason, whatever else the fit asks (a light install has nothing to warn about)."""
    if find_spec("numba") is None:
        return NO_NUMBA
    network, loss, optimizer = trainer.network, trainer.loss, trainer.optimizer
    funcs = network.activation_funcs
    for i, f in enumerate(funcs):
        reason = _reason_of(f, ACTIVATIONS, ACTIVATION_KERNELS, "activation")
        if reason:
            return reason
        if type(f) is Softmax and (i < len(funcs) - 1 or type(loss) is not CrossEntropy):
            return "softmax is compiled only as the output layer of a cross-entropy"
    reason = _reason_of(loss, LOSSES, LOSS_KERNELS, "loss")
    if reason:
        return reason
    if loss.kernel != "mse" and not loss.fuses_with(funcs[-1]):
        output = getattr(loss.fused_activation, "name", "fused")
        return (f"{loss.name} is compiled only after its {output} output (the "
                "cross-entropies after softmax/sigmoid, poisson after exp)")
    reason = _reason_of(optimizer, OPTIMIZERS, OPTIMIZER_KERNELS, "optimizer")
    if reason:
        return reason
    if weights is not None:
        return "sample weights are not compiled"
    if validation:
        return "validation is not compiled"
    if batch_listeners(trainer.callbacks):
        return "a callback listens to batches (on_batch_end)"
    try:
        from . import _kernels  # noqa: F401
    except Exception as exc:  # numba present but broken (say, built for another NumPy)
        return f"numba does not import ({type(exc).__name__}: {exc})"
    return None


def _metric_code(metric, loss, Y) -> int:
    if metric is None:
        return METRIC_NONE
    if metric == "r2":
        return METRIC_R2
    # as ffnn.metrics.accuracy: thresholds after a binary cross-entropy or for one output
    if isinstance(loss, BinaryCrossEntropy) or Y.shape[1] == 1:
        return METRIC_THRESHOLD
    return METRIC_ARGMAX


def _rates(optimizer, step: int, count: int, dtype) -> np.ndarray:
    """The learning rates of steps ``step … step + count - 1``."""
    if type(optimizer.lr) is Constant:  # a subclass may compute its own rate
        return np.full(count, optimizer.lr.lr, dtype)
    return np.array([optimizer._rate(step + s) for s in range(count)], dtype)


def _hyper(optimizer, dtype) -> tuple[np.ndarray, np.ndarray]:
    """The kernel's hyperparameter slots in the network's dtype (as NumPy casts Python
    floats; 1 - β computed in float64) and (β₁, β₂) in float64."""
    betas = np.array(getattr(optimizer, "betas", (0.0, 0.0)), np.float64)
    hyper = np.zeros(N_HYPER, np.float64)
    hyper[MU] = getattr(optimizer, "momentum", 0.0)
    hyper[BETA_1], hyper[BETA_2] = betas
    hyper[EPS] = getattr(optimizer, "eps", 0.0)
    hyper[ONE_MINUS_BETA_1], hyper[ONE_MINUS_BETA_2] = 1 - betas
    return hyper.astype(dtype), betas


def _state_arrays(state: dict, dtype) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """The optimizer's velocity, m and v (empty where it has none), made writable and
    contiguous in place in ``state`` if they were not."""
    arrays = []
    for key in ("velocity", "m", "v"):
        if key in state:
            state[key] = np.require(state[key], dtype, ("C", "W"))
            arrays.append(state[key])
        else:
            arrays.append(np.empty(0, dtype))
    return tuple(arrays)


#: What compiling the kernels costs once per installation and dtype (measured on a 2-core VM:
#: 24–35 s), and what a compiled step saves against the NumPy engine on the small networks
#: the loop takes (iris: ~80 µs → ~15 µs a step). engine="auto" compiles a fit that is not
#: compiled yet only when its steps win the compile time back.
COMPILE_SECONDS = 30.0
SAVED_PER_STEP = 6e-5

_announced: set[str] = set()
logger = logging.getLogger("ffnn")


def _type_key(argument):
    """What numba's type of ``argument`` depends on for the loop's arguments (an array's
    dtype, dimensions, layout, writability and alignment; a scalar's type: the loop's
    integers stay far below 2⁶³, where numba would type one uint64), read in microseconds:
    ``numba.typeof`` of the loop's nested argument tuples costs ~1.5 ms, felt by every
    ``partial_fit``."""
    if isinstance(argument, tuple):
        return tuple(_type_key(a) for a in argument)
    if isinstance(argument, np.ndarray):
        flags = argument.flags
        return (argument.dtype, argument.ndim, flags.c_contiguous, flags.f_contiguous,
                flags.writeable, flags.aligned)
    return type(argument)


#: (kernel, argument type key) pairs found compiled in this process: they stay compiled.
_found: set[tuple] = set()


def is_compiled(kernel, arguments) -> bool:
    """Whether ``kernel`` has code for these arguments' types, in memory or in numba's
    on-disk cache (read from its index; when that cannot be read, not compiled)."""
    from numba import typeof

    if not hasattr(kernel, "signatures"):
        return True  # not a numba dispatcher (a stand-in): nothing to compile
    key = (kernel, _type_key(tuple(arguments)))
    if key in _found:
        return True
    signature = tuple(typeof(a) for a in arguments)
    if any(tuple(s) == signature for s in kernel.signatures):
        _found.add(key)
        return True
    try:
        index = kernel._cache._cache_file._load_index()
    except Exception:
        return False
    if any(entry[0] == signature for entry in index):
        _found.add(key)
        return True
    return False


def announce_compile(kernel, arguments, dtype) -> None:
    """Say once per dtype and process, before numba compiles (the only long silence): one
    line on stderr through the ``ffnn`` logger (silence it with
    ``logging.getLogger("ffnn").setLevel(logging.ERROR)``)."""
    if dtype.name in _announced:
        return
    if is_compiled(kernel, arguments):  # found once, not looked up again (~1 ms a fit)
        _announced.add(dtype.name)
        return
    _announced.add(dtype.name)
    logger.warning("ffnn: compiling the training loop for %s with numba, once per "
                   "installation (~%d s; later runs load it in about a second)", dtype.name,
                   COMPILE_SECONDS)


class CompiledPath:
    """The kernels as a path of :func:`ffnn.driver.run_epochs`.

    What a callback may change between epochs (``opt_state``, ``l1``/``l2``,
    ``penalize_biases``, the batch size, the optimizer's hyperparameters) is read again
    before every call.
    """

    name = "compiled"

    def __init__(self, trainer, X: np.ndarray, Y: np.ndarray):
        from . import _kernels

        self._train_epochs = _kernels.train_epochs
        self.trainer = trainer
        net = trainer.network
        self.X, self.Y = np.ascontiguousarray(X), np.ascontiguousarray(Y)
        self.acts = np.array([kernel_code(f, ACTIVATIONS, ACTIVATION_KERNELS)
                              for f in net.activation_funcs], np.int64)
        self.act_params = np.array([_activation_param(f) for f in net.activation_funcs],
                                   net.dtype)
        self.loss_code = kernel_code(trainer.loss, LOSSES, LOSS_KERNELS)
        self.metric_code = _metric_code(trainer.metric, trainer.loss, self.Y)
        self.ss_tot = (((self.Y - self.Y.mean(axis=0)) ** 2).sum(axis=0, dtype=np.float64)
                       if self.metric_code == METRIC_R2 else np.empty(0))
        self.layout = np.array([(n_in, n_out, w.start, b.start) for (n_in, n_out), (w, b)
                                in zip(net._shapes, net._slices)], np.int64)
        # The start of the last epoch that passed the guard: where a divergence goes back to.
        self.good = [net.params.copy(),
                     *(a.copy() for a in _state_arrays(trainer.opt_state, net.dtype))]
        self.good_step = int(trainer.opt_state["step"])
        self._announced = False

    def epochs_per_call(self, per_epoch: bool) -> int:
        n, n_params = len(self.X), self.trainer.network.n_params
        return 1 if per_epoch else max(1, min(2**22 // n, 10**8 // (n * n_params)))

    def initial_loss(self) -> float:
        t = self.trainer
        return initial_loss(t.network, self.X, self.Y, t.loss, t.l1, t.l2,
                            penalize_biases=t.penalize_biases)

    def defer_initial_loss(self) -> None:
        """None: the kernel takes the reference as an argument (and on the small networks
        it runs, the forward pass costs little)."""
        return None

    def _arguments(self, orders, batch: int, lrs, out, first: float) -> tuple:
        """The kernel's arguments, grouped by role (see :func:`ffnn._kernels.train_epochs`)."""
        trainer, net = self.trainer, self.trainer.network
        dtype, state = net.dtype, trainer.opt_state
        velocity, m, v = _state_arrays(state, dtype)
        hyper, betas = _hyper(trainer.optimizer, dtype)
        return (
            (self.X, self.Y, orders, batch < len(self.X) and trainer.shuffle, batch),
            (net.params, trainer._buffers()[0], self.layout, self.acts, self.act_params),
            (self.loss_code, self.metric_code, self.ss_tot, dtype.type(trainer.l1),
             dtype.type(trainer.l2), bool(trainer.penalize_biases)),
            (OPTIMIZER_KERNELS[trainer.optimizer.kernel], hyper, betas, lrs),
            (trainer.divergence_factor, first, parameter_limit(dtype)),
            (int(state["step"]), velocity, m, v),
            (self.good_step, *self.good),
            out,
        )

    def ready(self) -> bool:
        """Whether the kernel for this fit's argument types is compiled in this process or
        cached on disk (so that the run starts without compiling)."""
        n, dtype = len(self.X), self.trainer.network.dtype
        batch = n if self.trainer.batch_size is None else min(self.trainer.batch_size, n)
        out = (np.empty(1), np.empty(1), np.empty(1))
        return is_compiled(self._train_epochs, self._arguments(
            np.empty((1, n), np.int64), batch, np.empty(1, dtype), out, math.nan))

    def run(self, count: int) -> EpochsRun:
        trainer, net = self.trainer, self.trainer.network
        dtype, n = net.dtype, len(self.X)
        optimizer, state = trainer.optimizer, trainer.opt_state
        batch = n if trainer.batch_size is None else min(trainer.batch_size, n)
        shuffle = batch < n and trainer.shuffle
        rng_state = trainer.rng.bit_generator.state if shuffle else None
        orders = (np.stack([trainer.rng.permutation(n) for _ in range(count)]) if shuffle
                  else np.arange(n)[None])
        lrs = _rates(optimizer, int(state["step"]), count * -(-n // batch), dtype)
        losses, metrics, largests = np.empty(count), np.empty(count), np.empty(count)
        first = math.nan if trainer.first_loss is None else float(trainer.first_loss)
        arguments = self._arguments(orders, batch, lrs, (losses, metrics, largests), first)
        if not self._announced:  # once a fit: the types stay (a check costs ~50 µs)
            announce_compile(self._train_epochs, arguments, dtype)
            self._announced = True
        result = None
        try:
            with _deferred_interrupt():
                done, status, step, self.good_step = self._train_epochs(*arguments)
                state["step"] = step
                logs = [{"loss": float(losses[e])} for e in range(done)]
                if trainer.metric:
                    for e, entry in enumerate(logs):
                        entry[trainer.metric] = float(metrics[e])
                if status != DIVERGED:
                    result = EpochsRun(logs)
                    return result
                if shuffle:  # the NumPy loop would have drawn the orders up to this epoch
                    trainer.rng.bit_generator.state = rng_state
                    for _ in range(done + 1):
                        trainer.rng.permutation(n)
                result = EpochsRun(logs, float(losses[done]), float(largests[done]))
                return result
        except KeyboardInterrupt:  # held during the call: its epochs are recorded first
            if result is None:
                raise
            result.interrupted = True
            return result
