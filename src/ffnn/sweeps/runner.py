"""What a worker does: one run (build, train, measure), a chunk of runs, or a stack of runs
trained as one (:func:`ffnn.backends.stacked.train_stack`), in-process or on a worker
pinned to one core."""

from __future__ import annotations

import itertools
import math
import os
import socket
import threading
import time
from dataclasses import dataclass

import numpy as np

from ..data.datasets import (
    standardize,
)
from ..training.loop import Callback
from . import recipe
from .grid import canonical, plain

__all__ = ["PIN_CORES", "STACK_MAX_PARAMS", "Tasks", "tasks", "estimated_seconds",
           "blas_threads"]


def _metrics(network, X, targets, loss, classification: bool, prefix: str) -> dict:
    from ..core.losses import mse
    from ..training.trainer import accuracy, r2

    if X is None or len(X) == 0:
        return {}
    _, zs, output = network.feed_forward_saver(network.check_X(X)[0])
    values = {f"{prefix}_loss": network.loss_value(zs[-1], output, targets, loss)}
    if classification:
        values[f"{prefix}_accuracy"] = accuracy(output, targets, loss)
    else:
        values[f"{prefix}_r2"] = r2(output, targets)
        values[f"{prefix}_mse"] = mse(output, targets)
    # JSON has no inf or NaN: a value that is not finite is recorded as null
    return {k: v if math.isfinite(v) else None for k, v in values.items()}


def _worker_name() -> str:
    try:
        from distributed import get_worker

        return get_worker().address
    except (ImportError, ValueError):
        return f"{socket.gethostname()}:{os.getpid()}"


def _parts(context: dict, fold: int):
    """(X, T) of the training, validation and test parts of ``fold``, features scaled on
    the training part when asked (targets one-hot for classification)."""
    X_train, T_train, X_val, T_val = _fold(context, fold)
    X_test, T_test = context["X_test"], context["T_test"]
    if context["standardize"]:
        X_train, X_val, X_test = _standardized(X_train, X_val, X_test)
    return [(X_train, T_train), (X_val, T_val), (X_test, T_test)]


def _build(context: dict, job: dict, parts):
    """The run's recipe and its parts with the targets its loss wants (one sigmoid output
    for two classes under a binary cross-entropy, as ``ffnn train``)."""
    options = _run_options(context, job)
    loss = recipe.default_loss(options, context["classification"])
    parts = [(X, None if T is None else recipe.binary_targets(loss, T)) for X, T in parts]
    (X_train, T_train) = parts[0]
    built = recipe.build(options, X_train.shape[1], T_train.shape[1],
                         context["classification"], len(X_train))
    return built, parts


def _measure(record: dict, context: dict, built, parts, history) -> dict:
    for prefix, (X, T) in zip(("train", "val", "test"), parts):
        record.update(_metrics(built.network, X, T, built.loss, context["classification"],
                               prefix))
    record.update(epochs=history.epochs, diverged=history.diverged, error=None)
    return record


def record_head(context: dict, job: dict) -> dict:
    """Which run a record is: sweep id, run id, index, parameters, seed, fold."""
    return {"sweep": context["sweep"], "run": job["run"], "index": job["index"],
            "params": job["params"], "seed": job["seed"], "fold": job["fold"]}


def blas_threads(context: dict) -> int:
    """The BLAS threads each run (or stack) of the sweep may use (its ``threads``, 1 by
    default: runs that share the cores do not oversubscribe them)."""
    return context.get("threads") or 1


def _run_one(context: dict, job: dict, stop: threading.Event | None = None) -> dict:
    """Train one run and measure it; an error becomes the record's ``error``."""
    from threadpoolctl import threadpool_limits

    from ..training.trainer import train

    record = record_head(context, job)
    started = time.perf_counter()
    try:
        with threadpool_limits(blas_threads(context)), np.errstate(all="ignore"):
            built, parts = _build(context, job, _parts(context, job["fold"]))
            (X_train, T_train), validation = parts[0], parts[1]
            kwargs = dict(built.train_kwargs)
            if kwargs["early_stopping"]:  # it watches the validation part, as scikit-learn's
                kwargs["validation_data"] = validation
            if stop is not None:
                kwargs["callbacks"] = [_StopOn(stop)]
            history = train(built.network, X_train, T_train, built.loss,
                            optimizer=built.optimizer, verbose=0, **kwargs)
            if history.stop_reason == "interrupted":  # train() kept Ctrl-C: not finished,
                raise KeyboardInterrupt  # so not recorded (resume runs it again)
            _measure(record, context, built, parts, history)
    except Exception as exc:  # recorded, and the sweep goes on
        record.update(epochs=None, diverged=None, error=f"{type(exc).__name__}: {exc}")
    record["seconds"] = round(time.perf_counter() - started, 4)
    record["worker"] = _worker_name()
    return plain(record)


#: Set by :func:`on_dask` in the workers of the LocalCluster a sweep starts: the cores
#: they share, one each (:func:`_pin_worker`).
PIN_CORES = "FFNN_SWEEP_CORES"


def _pin_worker() -> None:
    """In a worker of a sweep's own LocalCluster, keep this process on one core (the one its
    worker number picks from :data:`PIN_CORES`), once, before its first run starts JAX: XLA
    sizes its thread pool by the cores a process may use, so n workers on n cores would
    otherwise run n × n threads of products (NumPy's BLAS is held to one thread by
    threadpoolctl). The bits of a JAX fit do not depend on it beyond rounding
    (tests/test_jax_engine.py)."""
    cores = os.environ.pop(PIN_CORES, "")
    if not cores or not hasattr(os, "sched_setaffinity"):
        return
    try:
        from distributed import get_worker

        number = int(get_worker().name)
        choice = [int(c) for c in cores.split(",")]
        os.sched_setaffinity(0, {choice[number % len(choice)]})
    except (ImportError, ValueError, TypeError, OSError):
        pass  # not such a worker, or a core we may not take: leave the process as it is


def run_chunk(context: dict, jobs: list[dict], stop: threading.Event | None = None
               ) -> list[dict]:
    """The records of a chunk: trained as one stack when it holds more than one run (and
    one by one if the stack cannot train them), else alone. Setting ``stop`` ends it at the
    next batch (a stack) or epoch (a run alone) with KeyboardInterrupt or _Cancelled."""
    _pin_worker()
    if len(jobs) > 1:
        try:
            return _run_stacked(context, jobs, stop)
        except Exception:  # not stackable after all (Adagrad momenta that differ, a bad
            pass  # option, memory): one by one, each error recorded as it is alone
    return [_run_one(context, job, stop) for job in jobs]


def _run_options(context: dict, job: dict) -> dict:
    return {**context["options"], "seed": job["seed"], **job["params"]}


def _run_stacked(context: dict, jobs: list[dict], stop: threading.Event | None = None
                 ) -> list[dict]:
    """Train the chunk's runs together (:func:`ffnn.backends.stacked.train_stack`): they share the
    architecture, batches and epochs, and differ in rates, penalties, βs and initial seeds.
    Each run's ``seconds`` is its share of the chunk's time."""
    from threadpoolctl import threadpool_limits

    from ..backends.stacked import train_stack

    started = time.perf_counter()
    with threadpool_limits(blas_threads(context)), np.errstate(all="ignore"):
        shared = _parts(context, jobs[0]["fold"])
        built_parts = [_build(context, job, shared) for job in jobs]
        built = [b for b, _ in built_parts]
        parts = built_parts[0][1]
        (X_train, T_train) = parts[0]
        kwargs = built[0].train_kwargs
        histories = train_stack(
            [b.network for b in built], X_train, T_train, built[0].loss,
            [b.optimizer for b in built], epochs=kwargs["epochs"],
            batch_size=kwargs["batch_size"], l1=[b.train_kwargs["l1"] for b in built],
            l2=[b.train_kwargs["l2"] for b in built],
            penalize_biases=kwargs["penalize_biases"], seed=kwargs["seed"],
            n_threads=context.get("stack_threads", 1),
            block_size=len(built), stop_event=stop, device=kwargs["device"],
            # one vmapped JAX program where JAX pays for the stack (the table is then
            # --no-stack's to rounding); NumPy runs stack as NumPy
            engine={"numpy": "stacked", "jax": "jax"}.get(kwargs["engine"], "auto"))
        if any(h.stop_reason == "interrupted" for h in histories):  # as in _run_one
            raise KeyboardInterrupt
        records = [_measure(record_head(context, job), context, b, parts, history)
                   for job, b, history in zip(jobs, built, histories)]
    seconds = round((time.perf_counter() - started) / len(jobs), 4)
    worker = _worker_name()
    # "_stack" tells the client the run was stacked; it never reaches the table.
    return [plain({**r, "seconds": seconds, "worker": worker, "_stack": len(jobs)})
            for r in records]


# Options in which the runs of one stack may differ (besides the initial seed); every other
# option is shared by a stack (penalize_biases too: runs that differ in it never stack).
_STACKABLE = ("lr", "l1", "l2", "momentum", "beta1", "beta2", "eps", "weight_decay")


def _stackable_schedule(name) -> bool:
    from ..optim.schedules import SCHEDULES

    try:
        return SCHEDULES.lookup(str(name)).supports("stacked")
    except ValueError:
        return False


def _stackable_optimizer(name) -> bool:
    from ..optim.optimizers import OPTIMIZERS

    try:
        return OPTIMIZERS.lookup(str(name)).supports("stacked")
    except ValueError:
        return False


_STACK_BUDGET = 256 * 2**20  # bytes of stacked arrays per chunk


def _stack_groups(context: dict, jobs: list[dict]) -> list[list[dict]]:
    """The jobs grouped by what a stack must share: options other than rates, penalties,
    βs and ε, the shuffling seed and the fold; a group of runs that cannot stack is split
    into runs of their own."""
    groups: dict[str, list[dict]] = {}
    for job in jobs:
        options = _run_options(context, job)
        shuffle = options["seed"] if options["shuffle_seed"] is None else options["shuffle_seed"]
        shared = {k: v for k, v in options.items()
                  if k not in _STACKABLE and k not in ("seed", "init_seed", "shuffle_seed")}
        key = canonical([shared, shuffle, job["fold"]])
        groups.setdefault(key, []).append(job)
    out = []
    for group in groups.values():
        options = _run_options(context, group[0])
        stackable = (len(group) > 1 and not options["early_stopping"]
                     and options["clip"] is None and _stackable_schedule(options["schedule"])
                     and options["engine"] != "jax"  # may refuse
                     and _stackable_optimizer(options["optimizer"]))
        out.extend([group] if stackable else ([job] for job in group))
    return out


_STACK_SIZE = 32  # runs per stacked task, at most

#: ``stack=None`` ("auto") stacks the runs of networks of at most this many parameters and
#: trains larger ones one by one. A stack saves each step's Python overhead (per layer and
#: step, shared by the K networks) but holds K networks' parameters and optimizer state at
#: once; past ~16 000 parameters a network (784 -> 32 and larger) the products and the
#: memory traffic dominate and the stack loses (benchmarks/README.md, "Where a sweep runs by
#: default": 16 runs, 2000 samples, NumPy engine, stacked / one by one 0.42-0.85 up to 12 730
#: parameters, 1.07-1.71 from 21 110).
STACK_MAX_PARAMS = 16_000


@dataclass(frozen=True)
class Tasks:
    """A sweep's runs cut into tasks (:func:`tasks`): ``chunks`` (one run each, or a stack),
    ``stacking`` (whether and why runs were stacked, for the sweep's header) and ``seconds``
    (the work, estimated by the NumPy engine's cost model, :func:`estimated_seconds`)."""

    chunks: list[list[dict]]
    stacking: str
    seconds: float


def _widths(context: dict, options: dict) -> list[int]:
    """The layer widths of a run's network: inputs, hidden layers, outputs (raises
    TypeError or ValueError for a malformed ``hidden``)."""
    X, T = context["X"], context["T"]
    return [X.shape[1], *(int(h) for h in options["hidden"]), T.shape[1]]


def _n_params(widths: list[int]) -> int:
    return sum((a + 1) * b for a, b in itertools.pairwise(widths))


def _train_size(context: dict, fold: int) -> int:
    if context["folds"] is not None:
        return len(context["folds"][fold][0])
    return len(context["holdout"][0])


def estimated_seconds(context: dict, chunk: list[dict]) -> float:
    """About how long a task takes on the NumPy engine: the cost model of
    :func:`ffnn.training.paths.numpy_seconds` (steps × the per-step and per-layer overhead,
    plus ``6 × epochs × samples × parameters`` flops a network), with the overhead paid once
    for a stack. 0 for a run whose options are malformed (it fails at once)."""
    from ..training import paths

    try:
        options = _run_options(context, chunk[0])
        widths = _widths(context, options)
        n = _train_size(context, chunk[0]["fold"])
        epochs = int(options["epochs"])
        batch = n if options["batch_size"] is None else max(1, min(int(options["batch_size"]), n))
    except (TypeError, ValueError, KeyError):
        return 0.0
    steps = epochs * -(-n // batch)
    per_step = paths.STEP_SECONDS + paths.LAYER_SECONDS * (len(widths) - 1)
    flops = 6.0 * epochs * n * _n_params(widths) * len(chunk)
    return steps * per_step + flops / paths.FLOP_RATE


def tasks(context: dict, jobs: list[dict], stack: bool | None) -> Tasks:
    """The runs cut into tasks: one run each, or a stackable group cut into even stacks of
    at most ``_STACK_SIZE`` runs (fewer when their arrays would pass the memory budget).
    ``stack=None`` stacks a group only where its networks have at most
    :data:`STACK_MAX_PARAMS` parameters; True wherever the runs can share a stack; False
    nowhere. The cut depends on the group alone, so a run's numbers do not depend on where
    it ran."""
    if stack is False:
        out = [[job] for job in jobs]
        return Tasks(out, _stacking(stack, len(jobs), 0, 0, set(), set()),
                     _seconds(context, out))
    X, T = context["X"], context["T"]
    out: list[list[dict]] = []
    stacked, stacks, sizes_stacked, sizes_alone = 0, 0, set(), set()
    for group in _stack_groups(context, jobs):
        if len(group) == 1:
            out.append(group)
            continue
        options = _run_options(context, group[0])
        try:
            widths = _widths(context, options)
            sizes = widths[1:]
            n_params = _n_params(widths)
            itemsize = np.dtype(options["dtype"]).itemsize
            batch = min(options["batch_size"] or len(X), len(X))
            per_network = int(itemsize * (8 * n_params + 6 * batch * sum(sizes)
                                          + 2 * len(X) * T.shape[1]))
        except (TypeError, ValueError):  # a malformed option: each run reports it alone
            out.extend([job] for job in group)
            continue
        if stack is None and n_params > STACK_MAX_PARAMS:
            sizes_alone.add(n_params)
            out.extend([job] for job in group)
            continue
        sizes_stacked.add(n_params)
        size = max(1, min(_STACK_SIZE, _STACK_BUDGET // per_network))
        parts = -(-len(group) // size)
        stacked, stacks = stacked + len(group), stacks + parts
        out.extend(list(part) for part in np.array_split(np.array(group, dtype=object),
                                                         parts))
    return Tasks(out, _stacking(stack, len(jobs), stacked, stacks, sizes_stacked,
                                sizes_alone), _seconds(context, out))


def _seconds(context: dict, chunks: list[list[dict]]) -> float:
    return sum(estimated_seconds(context, chunk) for chunk in chunks)


def _stacking(stack: bool | None, runs: int, stacked: int, stacks: int, sizes_stacked: set,
              sizes_alone: set) -> str:
    """Whether runs were stacked and why, in a few words for the sweep's header."""
    def shown(sizes: set) -> str:
        low, high = min(sizes), max(sizes)
        return f"{low}" if low == high else f"{low}-{high}"

    if stack is False:
        return "none (stack=False, --no-stack: each run alone)"
    if stacked:
        head = f"{stacked} of {runs} runs in {stacks} stack{'s' * (stacks > 1)}"
        if stack:
            return head + " (stack=True, --stack)"
        alone = f"; those of {shown(sizes_alone)} alone" if sizes_alone else ""
        return (f"{head} (networks of {shown(sizes_stacked)} parameters: stacks win up to "
                f"{STACK_MAX_PARAMS}{alone})")
    if sizes_alone:
        return (f"none: networks of {shown(sizes_alone)} parameters, over the "
                f"{STACK_MAX_PARAMS} up to which stacks win (stack=True, --stack, stacks them)")
    return "none: no runs that can share a stack"


def chunks(context: dict, jobs: list[dict], stack: bool | None) -> list[list[dict]]:
    """The tasks of :func:`tasks`, without their description."""
    return tasks(context, jobs, stack).chunks


class _Cancelled(BaseException):
    """Raised in a run alone that an interrupted in-process sweep stops (at its next epoch):
    neither a run's ``except Exception`` nor train()'s own Ctrl-C handling keeps it."""


class _StopOn(Callback):
    """Ends a run alone at its next epoch once ``stop`` is set (runs in threads do not hear
    Ctrl-C: Python delivers it to the main thread only)."""

    def __init__(self, stop: threading.Event):
        self.stop = stop

    def on_epoch_begin(self, trainer, epoch):
        if self.stop.is_set():
            raise _Cancelled


def in_process(context: dict, chunks: list[list[dict]]):
    """The chunks here: stacks share the cores by threads (one BLAS thread each); runs
    alone go one after the other. On Ctrl-C the chunks not started are dropped, the running
    ones stopped (their runs are not finished: not recorded), and the records of chunks that
    had finished are still handed out before the interrupt goes on."""
    if all(len(chunk) == 1 for chunk in chunks):
        for chunk in chunks:
            yield run_chunk(context, chunk)
        return
    from concurrent.futures import ThreadPoolExecutor, as_completed

    from threadpoolctl import threadpool_limits

    from ..backends.stacked import usable_cores

    pool = ThreadPoolExecutor(usable_cores())
    # NumPy stacks are one block each; the chunks share the cores.
    context = {**context, "stack_threads": usable_cores()}
    stop, futures, taken = threading.Event(), [], set()
    try:
        with threadpool_limits(blas_threads(context)):
            futures = [pool.submit(run_chunk, context, chunk, stop) for chunk in chunks]
            for future in as_completed(futures):
                taken.add(future)
                yield future.result()
    except BaseException as exc:
        stop.set()  # the running chunks end at their next batch or epoch
        pool.shutdown(wait=True, cancel_futures=True)
        if isinstance(exc, KeyboardInterrupt):
            for future in futures:
                if future not in taken and not future.cancelled() and \
                        future.exception() is None:
                    taken.add(future)
                    yield future.result()
        raise
    finally:
        pool.shutdown(wait=True, cancel_futures=True)


def _fold(context: dict, fold: int):
    X, T, folds = context["X"], context["T"], context["folds"]
    if folds is None:
        train_index, val_index = context["holdout"]
    else:
        train_index, val_index = folds[fold]
    return X[train_index], T[train_index], X[val_index], T[val_index]


def _standardized(X_train, X_val, X_test):
    others = [X for X in (X_val, X_test) if X is not None and len(X)]
    scaled = standardize(X_train, *others)
    X_train, rest = scaled[0], list(scaled[1:-1])  # the last is the scaler
    X_val = rest.pop(0) if X_val is not None and len(X_val) else X_val
    X_test = rest.pop(0) if X_test is not None and len(X_test) else X_test
    return X_train, X_val, X_test
