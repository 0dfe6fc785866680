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

import numpy as np

from ..data.datasets import (
    standardize,
)
from ..training.loop import Callback
from . import recipe
from .grid import canonical, plain

__all__ = ["PIN_CORES"]


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


def _run_one(context: dict, job: dict, stop: threading.Event | None = None) -> dict:
    """Train one run and measure it; an error becomes the record's ``error``."""
    from threadpoolctl import threadpool_limits

    from ..training.trainer import train

    record = record_head(context, job)
    started = time.perf_counter()
    try:
        with threadpool_limits(1), np.errstate(all="ignore"):
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
    with threadpool_limits(1), np.errstate(all="ignore"):
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


def chunks(context: dict, jobs: list[dict], stack: bool) -> list[list[dict]]:
    """Tasks: one run each, or a stackable group cut into even stacks of at most
    ``_STACK_SIZE`` runs (fewer when their arrays would pass the memory budget). The cut
    depends on the group alone, so a run's numbers do not depend on where it ran."""
    if not stack:
        return [[job] for job in jobs]
    X, T = context["X"], context["T"]
    chunks = []
    for group in _stack_groups(context, jobs):
        if len(group) == 1:
            chunks.append(group)
            continue
        options = _run_options(context, group[0])
        try:
            sizes = [*options["hidden"], T.shape[1]]
            widths = [X.shape[1], *sizes]
            n_params = sum((a + 1) * b for a, b in itertools.pairwise(widths))
            itemsize = np.dtype(options["dtype"]).itemsize
            batch = min(options["batch_size"] or len(X), len(X))
            per_network = int(itemsize * (8 * n_params + 6 * batch * sum(sizes)
                                          + 2 * len(X) * T.shape[1]))
        except (TypeError, ValueError):  # a malformed option: each run reports it alone
            chunks.extend([job] for job in group)
            continue
        size = max(1, min(_STACK_SIZE, _STACK_BUDGET // per_network))
        parts = -(-len(group) // size)
        chunks.extend(list(part) for part in np.array_split(np.array(group, dtype=object),
                                                            parts))
    return chunks


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
        with threadpool_limits(1):
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
