"""Sweeps: a grid or a random search over training options, run in-process, on local
processes or on a Dask cluster, with every finished run written to disk at once.

>>> result = ffnn.sweep("breast-cancer", grid={"lr": [1e-3, 1e-2, 1e-1],
...                                          "l2": [0, 1e-3, 1e-2]},
...                     options={"hidden": [50], "epochs": 60, "batch_size": 32},
...                     standardize=True, n_jobs=1)
>>> result.best["params"]
>>> result.plot_heatmap("lr", "l2", "val_accuracy")

A *run* is one training: one point of the grid (``params``, by the names of ``ffnn train``'s
options, see :data:`ffnn.recipe.TRAIN_OPTIONS`), one ``seed`` (initial weights and shuffles)
and one ``fold``. Each run trains on its training part and reports train, validation and
test metrics. Runs are independent, use one BLAS thread each (threadpoolctl), and give the
same numbers wherever they run.

Durability: only the client writes the results file (JSON lines: a header naming the sweep,
then one line per finished run, flushed and fsynced as it arrives), and only one sweep at a
time: it holds an exclusive lock on the file (``fcntl.flock``) from start to end, so a second
sweep on the same file is refused at once. A file that is not a results file is never
overwritten. ``resume=True`` reads it back, skips the runs already there (by sweep id,
parameters, seed and fold), tolerates a half-written last line, refuses a file of another
sweep with the reason, and ends with the same table as an uninterrupted sweep. On Dask, a run
whose worker dies is run again elsewhere (the scheduler's own retry); the client still writes
it once.

Ctrl-C (KeyboardInterrupt) stops a sweep wherever it runs: the runs being trained are
dropped, never recorded as finished (``train()`` itself would keep an interrupted run's
weights and return), every finished run stays in the file, and :class:`SweepInterrupted`
says how many; ``resume=True`` then runs the rest.
"""

from __future__ import annotations

import contextlib
import hashlib
import itertools
import json
import math
import numbers
import os
import signal
import socket
import stat
import threading
import time
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

from . import recipe
from ._signals import held_sigint
from ._validation import installed, is_sparse, require
from .datasets import _class_labels, encode_labels, is_generated, load_dataset, split, standardize
from .driver import Callback
from .io import _json_default as io_json_default

try:
    import fcntl
except ImportError:  # pragma: no cover - Windows: results files are not locked
    fcntl = None

__all__ = ["sweep", "SweepResult", "SweepInterrupted", "expand_grid", "parse_values",
           "METRICS"]

FORMAT = "ffnn-sweep/1"
# How every header line starts (json.dumps of {"format", "sweep", "spec"}): a file holding
# only a prefix of this, or a longer line starting with it, is a header torn while written.
_HEADER_START = b'{"format": "' + FORMAT.encode() + b'", "sweep": "'
#: Scoring names; ``loss`` and ``mse`` are better when lower.
METRICS = ("accuracy", "r2", "mse", "loss")
_LOWER_IS_BETTER = ("mse", "loss")
# Fields that say where and how fast a run went, not what it found.
_CIRCUMSTANCES = ("seconds", "worker")


# -- the grid -----------------------------------------------------------------------------------

def parse_values(text: str) -> list:
    """A grid's values from text: ``logspace:-5:1:7`` (7 values 10⁻⁵ … 10¹),
    ``linspace:0:1:5``, or comma-separated numbers and words (``0,0.001,0.01``)."""
    text = text.strip()
    for kind in ("logspace", "linspace"):
        if text.startswith(kind + ":"):
            parts = text.split(":")[1:]
            try:
                start, stop, num = float(parts[0]), float(parts[1]), int(parts[2])
                if len(parts) != 3 or num < 1:
                    raise ValueError
            except (ValueError, IndexError):
                raise ValueError(f"expected {kind}:START:STOP:NUM such as {kind}:-5:1:7, got "
                                 f"{text!r}") from None
            values = getattr(np, kind)(start, stop, num)
            return [float(f"{v:.12g}") for v in values]  # 1e-05, not 1.0000000000000001e-05
    return [_scalar(part) for part in text.split(",")]


def _scalar(text: str):
    text = text.strip()
    for kind in (int, float):
        try:
            return kind(text)
        except ValueError:
            pass
    return text


def expand_grid(grid: Mapping[str, Sequence]) -> list[dict]:
    """Every combination of the grid's values, the last name varying fastest."""
    names = list(grid)
    for name in names:
        values = grid[name]
        if isinstance(values, (str, bytes)) or not isinstance(values, Sequence):
            raise TypeError(f"grid[{name!r}] must be a list of values, got {values!r}")
        if len(values) == 0:
            raise ValueError(f"grid[{name!r}] is empty: give at least one value")
    return [dict(zip(names, combo)) for combo in itertools.product(*(grid[n] for n in names))]


def _draw(distributions: Mapping, n_iter: int, rng: np.random.Generator) -> list[dict]:
    """``n_iter`` random points: a list is drawn from uniformly, a ``("loguniform", a, b)``
    or ``("uniform", a, b)`` triple continuously, an object with ``rvs`` (scipy.stats) by
    its own method."""
    points = []
    for _ in range(n_iter):
        point = {}
        for name, spec in distributions.items():
            if isinstance(spec, tuple) and len(spec) == 3 and spec[0] in ("loguniform",
                                                                          "uniform"):
                kind, low, high = spec
                if kind == "loguniform":
                    value = float(np.exp(rng.uniform(np.log(low), np.log(high))))
                else:
                    value = float(rng.uniform(low, high))
            elif hasattr(spec, "rvs"):
                value = spec.rvs(random_state=rng)
                value = value.item() if hasattr(value, "item") else value
            elif isinstance(spec, Sequence) and not isinstance(spec, (str, bytes)) and spec:
                value = spec[int(rng.integers(len(spec)))]
            else:
                raise ValueError(f"distributions[{name!r}]: expected a list of values, "
                                 "('loguniform', low, high), ('uniform', low, high) or a "
                                 f"scipy.stats distribution, got {spec!r}")
            point[name] = value
        points.append(point)
    return points


# -- identities ---------------------------------------------------------------------------------

def _json_default(value):
    if isinstance(value, np.ndarray):
        return value.tolist()
    return io_json_default(value)  # NumPy scalars, as model files write them


def _canonical(value) -> str:
    return json.dumps(value, sort_keys=True, default=_json_default, separators=(",", ":"))


def _digest(value, n: int = 16) -> str:
    return hashlib.sha256(_canonical(value).encode()).hexdigest()[:n]


def _plain(value):
    """JSON's view of a value (tuples become lists, NumPy scalars Python ones), in order."""
    return json.loads(json.dumps(value, default=_json_default))


# -- one run ------------------------------------------------------------------------------------

def _metrics(network, X, targets, loss, classification: bool, prefix: str) -> dict:
    from .losses import mse
    from .training import accuracy, r2

    if X is None or len(X) == 0:
        return {}
    _, zs, output = network._feed_forward_saver(network._check_X(X)[0])
    values = {f"{prefix}_loss": network._loss_value(zs[-1], output, targets, loss)}
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


def _record_head(context: dict, job: dict) -> dict:
    """Which run a record is: sweep id, run id, index, parameters, seed, fold."""
    return {"sweep": context["sweep"], "run": job["run"], "index": job["index"],
            "params": job["params"], "seed": job["seed"], "fold": job["fold"]}


def _run_one(context: dict, job: dict, stop: threading.Event | None = None) -> dict:
    """Train one run and measure it; an error becomes the record's ``error``."""
    from threadpoolctl import threadpool_limits

    from .training import train

    record = _record_head(context, job)
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
    return _plain(record)


#: Set by :func:`_on_dask` in the workers of the LocalCluster a sweep starts: the cores
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


def _run_chunk(context: dict, jobs: list[dict], stop: threading.Event | None = None
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
    """Train the chunk's runs together (:func:`ffnn.stacked.train_stack`): they share the
    architecture, batches and epochs, and differ in rates, penalties, βs and initial seeds.
    Each run's ``seconds`` is its share of the chunk's time."""
    from threadpoolctl import threadpool_limits

    from .stacked import train_stack

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
        records = [_measure(_record_head(context, job), context, b, parts, history)
                   for job, b, history in zip(jobs, built, histories)]
    seconds = round((time.perf_counter() - started) / len(jobs), 4)
    worker = _worker_name()
    # "_stack" tells the client the run was stacked; it never reaches the table.
    return [_plain({**r, "seconds": seconds, "worker": worker, "_stack": len(jobs)})
            for r in records]


# Options in which the runs of one stack may differ (besides the initial seed); every other
# option is shared by a stack (penalize_biases too: runs that differ in it never stack).
_STACKABLE = ("lr", "l1", "l2", "momentum", "beta1", "beta2", "eps", "weight_decay")


def _stackable_schedule(name) -> bool:
    from .schedules import SCHEDULES

    try:
        return SCHEDULES.lookup(str(name)).supports("stacked")
    except ValueError:
        return False


def _stackable_optimizer(name) -> bool:
    from .optimizers import OPTIMIZERS

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
        key = _canonical([shared, shuffle, job["fold"]])
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


def _chunks(context: dict, jobs: list[dict], stack: bool) -> list[list[dict]]:
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


def _in_process(context: dict, chunks: list[list[dict]]):
    """The chunks here: stacks share the cores by threads (one BLAS thread each); runs
    alone go one after the other. On Ctrl-C the chunks not started are dropped, the running
    ones stopped (their runs are not finished: not recorded), and the records of chunks that
    had finished are still handed out before the interrupt goes on."""
    if all(len(chunk) == 1 for chunk in chunks):
        for chunk in chunks:
            yield _run_chunk(context, chunk)
        return
    from concurrent.futures import ThreadPoolExecutor, as_completed

    from threadpoolctl import threadpool_limits

    from .stacked import usable_cores

    pool = ThreadPoolExecutor(usable_cores())
    # NumPy stacks are one block each; the chunks share the cores.
    context = {**context, "stack_threads": usable_cores()}
    stop, futures, taken = threading.Event(), [], set()
    try:
        with threadpool_limits(1):
            futures = [pool.submit(_run_chunk, context, chunk, stop) for chunk in chunks]
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


# -- the results file ---------------------------------------------------------------------------

class _ResultsFile:
    """JSON lines: a header, then one record per finished run, each flushed and fsynced.

    One writer at a time: the file is opened (created when missing) and locked
    (``fcntl.flock``, exclusive, non-blocking) for the whole sweep, so a second sweep on the
    same file is refused at once. A file that is not a results file of this format (its
    first line is not a header, or the text without a newline is not the start of one) is
    refused and left as it is, with or without ``resume``. Nothing is written until the first
    record: a file this sweep created and never wrote to is removed again on close.
    """

    def __init__(self, path, header: dict, resume: bool):
        self.path = Path(path)
        self.header = header
        self.done: dict[str, dict] = {}
        self.file = None
        self.created = self.written = False
        if self.path.is_dir():
            raise ValueError(f"out: {self.path} is a folder; give a file name")
        if not self.path.parent.is_dir():
            raise ValueError(f"out: the folder of {self.path} does not exist")
        self._open_locked()
        try:
            data = self._read_all()
            complete = data[: data.rfind(b"\n") + 1]  # a half-written last line is dropped
            if not complete:  # empty, or a header torn while written: ours to start afresh
                torn = data[len(complete):]
                if torn and not (_HEADER_START.startswith(torn) or torn.startswith(_HEADER_START)):
                    raise ValueError(self._foreign(torn))
            else:
                self._read_back(complete, resume)
            self.fresh = not complete
            self.keep = len(complete)
        except BaseException:
            self.close()
            raise

    def _open_locked(self) -> None:
        try:
            fd = os.open(self.path, os.O_RDWR | os.O_CREAT | os.O_EXCL, 0o666)
            self.created = True
        except FileExistsError:
            fd = os.open(self.path, os.O_RDWR)
        self.file = os.fdopen(fd, "r+b")
        if not stat.S_ISREG(os.fstat(fd).st_mode):
            self.file.close()
            self.file = None
            raise ValueError(f"out: {self.path} is not a regular file; give a file name")
        if fcntl is None:  # pragma: no cover - Windows: no advisory lock
            return
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except OSError:
            self.file.close()
            self.file = None
            raise ValueError(f"out: {self.path} is in use by another sweep (it holds the "
                             "file's lock); wait for that one to end, or give another file") \
                from None

    def _read_all(self) -> bytes:
        self.file.seek(0)
        return self.file.read()

    def _foreign(self, start: bytes) -> str:
        shown = start[:40].decode("utf-8", errors="replace")
        return (f"out: {self.path} is not an ffnn sweep results file (it starts with "
                f"{shown!r}); it is left as it is: give another file")

    def _read_back(self, complete: bytes, resume: bool) -> None:
        lines = complete.decode("utf-8", errors="replace").splitlines()
        try:
            header = json.loads(lines[0])
        except json.JSONDecodeError:
            header = None
        if not isinstance(header, dict) or header.get("format") != FORMAT or \
                not isinstance(header.get("spec"), dict) or "sweep" not in header:
            raise ValueError(self._foreign(complete))
        if header["sweep"] != self.header["sweep"]:
            differs = sorted(k for k in set(header["spec"]) | set(self.header["spec"])
                             if header["spec"].get(k) != self.header["spec"].get(k))
            raise ValueError(
                f"{'resume' if resume else 'out'}: {self.path} holds another sweep (id "
                f"{header['sweep']}, this one {self.header['sweep']}); they differ in: "
                f"{', '.join(differs) or 'the data'}; give another file"
            )
        if not resume:
            raise ValueError(f"out: {self.path} already holds results; give resume=True "
                             "(--resume) to continue that sweep, or another file")
        for line in lines[1:]:
            try:
                record = json.loads(line)
            except json.JSONDecodeError:
                continue  # a torn line in the middle: that run is simply run again
            if isinstance(record, dict) and record.get("sweep") == header["sweep"] \
                    and isinstance(record.get("run"), str):
                self.done[record["run"]] = record

    def _write(self, record: dict) -> None:
        line = json.dumps(record, default=_json_default, allow_nan=False) + "\n"
        self.file.write(line.encode("utf-8"))
        self.file.flush()
        os.fsync(self.file.fileno())

    def append(self, record: dict) -> None:
        if not self.written:  # a fresh file gets the header, a resumed one loses a torn line
            self.file.seek(0 if self.fresh else self.keep)
            self.file.truncate()
            if self.fresh:
                self._write(self.header)
            self.written = True
        self._write(record)
        self.done[record["run"]] = record

    def close(self) -> None:
        if self.file is None:
            return
        try:
            if self.created and not self.written:  # still under the lock: nobody else wrote
                with contextlib.suppress(OSError):
                    self.path.unlink()
        finally:
            self.file.close()  # and with it the lock
            self.file = None


#: Options newer than the results-file format, with the default that changes nothing.
_LATER_DEFAULTS = {"penalize_biases": False, "device": None}
_UNSET = object()


# -- the result ---------------------------------------------------------------------------------

@dataclass(repr=False)
class SweepResult:
    """The table of a sweep: one record (dict) per run, in the sweep's order.

    Attributes
    ----------
    records : list of dict
        ``sweep``, ``run`` (ids), ``index``, ``params``, ``seed``, ``fold``, the metrics
        (``train_loss``, ``val_accuracy``, ``test_r2``, ...), ``epochs``, ``diverged``,
        ``error``, ``seconds``, ``worker``.
    scoring : str
        The validation metric that ranks configurations (``val_<scoring>``).
    sweep_id : str
    stacked : int
        How many of the runs this call trained were trained in stacks.
    """

    records: list[dict]
    scoring: str
    sweep_id: str
    path: str | None = None
    spec: dict = field(default_factory=dict)
    stacked: int = 0  # runs of this call trained as stacks (ffnn.stacked)

    @property
    def metric(self) -> str:
        return f"val_{self.scoring}"

    def __repr__(self) -> str:
        failed = sum(1 for r in self.records if r.get("error"))
        diverged = sum(1 for r in self.records if r.get("diverged"))
        shown = (f"SweepResult({self.sweep_id}: {len(self.records)} runs ({failed} failed, "
                 f"{diverged} diverged)")
        configs = self.configurations() if self.records else []
        if not configs or math.isnan(configs[0]["mean"]):
            return shown + ")"
        best = configs[0]
        spread = f" ± {best['std']:.4g} (n={best['n']})" if best["n"] > 1 else ""
        params = ", ".join(f"{k}={v}" for k, v in best["params"].items())
        return (f"{shown}, {len(configs)} configurations; best {self.metric} "
                f"{best['mean']:.4g}{spread}: {params})")

    def to_pandas(self):
        """The table as a pandas DataFrame, one column per swept parameter."""
        pd = require("pandas", "SweepResult.to_pandas")

        from .plotting import _hashable

        rows = [{**{f"param_{k}": _hashable(v) for k, v in r["params"].items()},
                 **{k: v for k, v in r.items() if k != "params"}} for r in self.records]
        return pd.DataFrame(rows)

    def configurations(self, metric: str | None = None) -> list[dict]:
        """Each parameter point with the mean and standard deviation of ``metric`` (default
        ``val_<scoring>``) over its seeds and folds, best first (lower is better for losses
        and MSE); runs that failed, diverged or have no value do not count (as in
        :meth:`plot_heatmap`: :func:`ffnn.plotting.run_score`)."""
        from .plotting import run_score

        metric = metric or self.metric
        groups: dict[str, dict] = {}
        for r in self.records:
            key = _canonical(r["params"])
            group = groups.setdefault(key, {"params": r["params"], "scores": [], "runs": 0})
            group["runs"] += 1
            value = run_score(r, metric)
            if value is not None:
                group["scores"].append(value)
        out = []
        for group in groups.values():
            scores = group.pop("scores")
            group["n"] = len(scores)
            group["mean"] = float(np.mean(scores)) if scores else math.nan
            group["std"] = float(np.std(scores)) if scores else math.nan
            out.append(group)
        sign = 1 if metric.endswith(_LOWER_IS_BETTER) else -1
        out.sort(key=lambda g: (math.isnan(g["mean"]), sign * g["mean"]
                                if not math.isnan(g["mean"]) else 0))
        return out

    @property
    def best(self) -> dict:
        """The configuration with the best mean validation score."""
        return self.configurations()[0]

    def save_csv(self, path) -> None:
        """The table as CSV: one column per swept parameter (``param_<name>``), then the
        record's fields; lists are written as JSON."""
        import csv

        params = list(dict.fromkeys(k for r in self.records for k in r["params"]))
        fields = list(dict.fromkeys(k for r in self.records for k in r if k != "params"))
        with open(path, "w", newline="", encoding="utf-8") as f:
            writer = csv.writer(f)
            writer.writerow([f"param_{k}" for k in params] + fields)
            for r in self.records:
                cells = [r["params"].get(k) for k in params] + [r.get(k) for k in fields]
                writer.writerow([json.dumps(c) if isinstance(c, (list, dict)) else
                                 ("" if c is None else c) for c in cells])

    def heatmap_data(self, x: str, y: str, metric: str | None = None):
        from .plotting import heatmap_data

        return heatmap_data(self.records, x, y, metric or self.metric)

    def plot_heatmap(self, x: str, y: str, metric: str | None = None, **kwargs):
        """Two swept parameters against a metric (the mean over the other parameters, seeds
        and folds), values in the cells; see :func:`ffnn.plotting.plot_heatmap`."""
        from .plotting import plot_heatmap

        return plot_heatmap(self.records, x, y, metric or self.metric, **kwargs)

    def comparable(self) -> list[dict]:
        """The records without where and how fast they ran: equal for equal sweeps."""
        return [{k: v for k, v in r.items() if k not in _CIRCUMSTANCES} for r in self.records]


# -- the sweep ----------------------------------------------------------------------------------

class SweepInterrupted(KeyboardInterrupt):
    """Ctrl-C stopped a sweep. ``finished`` of ``total`` runs are done (those of this call
    and any resumed ones); with a results file (``path``) they are all in it and
    ``resume=True`` runs only the rest. A run that was training is not recorded."""

    def __init__(self, finished: int, total: int, path: str | None):
        self.finished, self.total, self.path = finished, total, path
        kept = (f"; they are in {path}: resume=True (ffnn sweep --resume) runs the rest"
                if path else "; nothing is kept without out= (--out)")
        super().__init__(f"sweep interrupted: {finished} of {total} runs finished{kept}")


def _check_where(n_jobs, scheduler, timeout) -> None:
    """``n_jobs`` and ``timeout``, checked before any work."""
    valid_jobs = n_jobs is None or (isinstance(n_jobs, numbers.Integral)
                                    and not isinstance(n_jobs, bool) and n_jobs >= -1
                                    and n_jobs != 0)
    if scheduler is None and not valid_jobs:
        raise ValueError(f"n_jobs must be a positive integer or -1, got {n_jobs!r}")
    if isinstance(timeout, bool) or not isinstance(timeout, numbers.Real) or \
            not timeout > 0 or not math.isfinite(timeout):
        raise ValueError(f"timeout must be a number of seconds > 0, got {timeout!r}")


def _load(data, task: str | None, dataset_options: Mapping | None, random_state: int = 0):
    """(X, targets, classification, description of the data for the sweep id, the data
    set's standard test part (X_test, targets_test) or None)."""
    if isinstance(data, str):
        dataset_options = dict(dataset_options or {})
        if is_generated(data):
            dataset_options.setdefault("seed", random_state)  # the same draw every time
        loaded = load_dataset(data, **dataset_options)
        test = None if loaded.X_test is None else (loaded.X_test, loaded.targets_test)
        return loaded.X, loaded.targets, loaded.task == "classification", {
            "dataset": loaded.name,  # where MNIST's files are (data_home) is not what they are
            **{k: v for k, v in dataset_options.items() if k != "data_home"}}, test
    if not (isinstance(data, (tuple, list)) and len(data) == 2):
        raise TypeError("data must be a data set name or a pair (X, y), got "
                        f"{type(data).__name__}")
    if is_sparse(data[0]):
        raise TypeError("data: sweep needs a dense X, got a SciPy sparse matrix; pass "
                        "X.toarray() (ffnn.train and the estimators take sparse X)")
    X, y = np.asarray(data[0], dtype=np.float64), np.asarray(data[1])
    if X.ndim != 2:
        raise ValueError(f"data: X must be 2-D (n_samples, n_features), got shape {X.shape}")
    if len(y) != len(X):
        raise ValueError(f"data: X has {len(X)} samples but y has {len(y)}")
    if task is None:
        task = "classification" if (y.ndim == 1 and (y.dtype.kind in "biuOUS")) \
            else "regression"
    if task == "classification":
        targets = encode_labels(y)[0] if y.ndim == 1 else y.astype(np.float64)
    elif task == "regression":
        targets = (y.reshape(-1, 1) if y.ndim == 1 else y).astype(np.float64)
    else:
        raise ValueError(f"task must be 'classification' or 'regression', got {task!r}")
    digest = hashlib.sha256(np.ascontiguousarray(X).tobytes()
                            + np.ascontiguousarray(targets).tobytes()).hexdigest()[:16]
    return X, targets, task == "classification", {"arrays": digest, "shape": list(X.shape)}, \
        None


class _Progress:
    """What a sweep says as it goes: its header once the runs can start (after connecting to
    a cluster), then a bar of runs done, failures and the best score so far."""

    def __init__(self, total: int, metric: str, higher_is_better: bool, header: str | None,
                 bar: bool):
        self.total, self.metric, self.header, self.want_bar = total, metric, header, bar
        self.sign = 1.0 if higher_is_better else -1.0  # mse and loss: lower is better
        self.failed, self.best, self.bar = 0, -math.inf, None

    def start(self) -> None:
        if self.header:
            print(self.header, flush=True)
        if self.want_bar and self.total:
            from tqdm.auto import tqdm

            self.bar = tqdm(total=self.total, desc="sweep", unit="run", leave=False)

    def update(self, record: dict) -> None:
        self.failed += bool(record["error"])
        score = record.get(self.metric)
        if score is not None and math.isfinite(score):
            self.best = max(self.best, self.sign * score)
        if self.bar is not None:
            self.bar.update(1)
            shown = "-" if math.isinf(self.best) else f"{self.sign * self.best:.4g}"
            self.bar.set_postfix({"failed": self.failed, f"best {self.metric}": shown},
                                 refresh=False)

    def close(self) -> None:
        if self.bar is not None:
            self.bar.close()


def _describe_points(grid, distributions, n_iter, points, seeds, folds) -> str:
    """The swept values, as a sweep runs them: ``lr: 0.001, 0.01 × l2: 0, 0.1 = 4 points``."""
    runs = f" × {len(seeds)} seed(s)" + (f" × {folds} folds" if folds else "")
    if grid:
        axes = " × ".join(f"{name}: {', '.join(map(str, values))}"
                          for name, values in grid.items())
        return f"grid {axes} = {len(points)} points{runs}"
    shown = ", ".join(f"{name} ~ {spec}" for name, spec in distributions.items())
    return f"random search: {n_iter} points of {shown}{runs}"


def _validation_parts(X, T, classification: bool, folds, validation_fraction: float,
                      random_state: int):
    """``(fold_splits, None)`` for k folds (stratified for classification), else
    ``(None, (train_index, val_index))`` for one holdout of ``validation_fraction``."""
    if folds is not None:
        from sklearn.model_selection import KFold, StratifiedKFold

        if isinstance(folds, bool) or not isinstance(folds, numbers.Integral) or folds < 2:
            raise ValueError(f"folds must be an integer >= 2, got {folds!r}")
        splitter = (StratifiedKFold if classification else KFold)(
            int(folds), shuffle=True, random_state=random_state)
        return list(splitter.split(X, _class_labels(T) if classification else None)), None
    if not 0 < validation_fraction < 1:
        raise ValueError(f"validation_fraction must be in (0, 1), got {validation_fraction!r}")
    index = np.arange(len(X))[:, None]
    train_index, val_index, _, _ = split(index, T, validation_fraction,
                                         stratify=classification, seed=random_state)
    return None, (train_index[:, 0], val_index[:, 0])


def sweep(data="iris", *, grid: Mapping[str, Sequence] | None = None,
          distributions: Mapping | None = None, n_iter: int | None = None,
          options: Mapping | None = None, seeds: Sequence[int] = (0,),
          folds: int | None = None, validation_fraction: float = 0.2,
          test_fraction: float = 0.0, standardize: bool = False, scoring: str | None = None,
          task: str | None = None, dataset_options: Mapping | None = None,
          n_jobs: int | None = None, scheduler=None, timeout: float = 10.0, out=None,
          resume: bool = False, random_state: int = 0, stack: bool = True,
          verbose: int = 0) -> SweepResult:
    """Train every configuration of a grid (or ``n_iter`` random ones) and measure each.

    Parameters
    ----------
    data : str or (X, y)
        A data set name (``ffnn.datasets.DATASET_NAMES``) or arrays: ``X`` of shape
        (n_samples, n_features) and ``y`` labels (classification) or values (regression).
    grid : mapping name -> list of values
        Training options to sweep, by the names of ``ffnn train``'s options
        (:data:`ffnn.recipe.TRAIN_OPTIONS`: ``lr``, ``l2``, ``hidden``, ``activation``,
        ``optimizer``, ``momentum``, ``batch_size``, ``epochs``, ``seed``, ...).
    distributions, n_iter : random search instead of a grid: ``n_iter`` points, each option
        drawn from a list, ``("loguniform", low, high)``, ``("uniform", low, high)`` or a
        scipy.stats distribution (with ``random_state``).
    options : mapping
        Options shared by every run (defaults: those of ``ffnn train``).
    seeds : sequence of int, default (0,)
        Each configuration runs once per seed (initial weights and shuffles).
    folds : int, optional
        k-fold cross-validation (stratified for classification) instead of one holdout of
        ``validation_fraction``.
    test_fraction : float, default 0
        A test part set aside first (the same for every run), reported as ``test_*``. MNIST
        and Fashion-MNIST bring their standard test part instead (``test_*``; each run
        trains and validates on the training part), and refuse a ``test_fraction``.
    standardize : bool
        Scale features on each run's training part.
    scoring : {"accuracy", "r2", "mse", "loss"}, optional
        Ranks configurations by ``val_<scoring>`` (default accuracy or r2).
    n_jobs : int, optional
        Local worker processes (a Dask ``LocalCluster``, the ``dask`` extra), each kept on
        one core (one BLAS thread, one XLA thread); default all cores, or this process when
        Dask is not installed; 1 runs in this process.
    scheduler : str or distributed.Client, optional
        A Dask scheduler address (``tcp://host:8786``) or a client: run there.
    timeout : float, default 10
        Seconds to wait for the scheduler to answer.
    out : path, optional
        JSON-lines results file, written as runs finish and locked for the whole sweep (a
        second sweep on it is refused). A file that holds anything but a results file (or
        a header torn while written) is refused and left as it is.
    resume : bool
        Continue the sweep in ``out``: runs already there are not run again.
    random_state : int
        Seeds the splits, the folds and the random search.
    stack : bool, default True
        Train runs that differ only in learning rate, L1/L2, momentum/β/ε, weight decay and
        initial seed, and share their shuffling seed and fold, as one stack
        (:func:`ffnn.stacked.train_stack`), in stacks of at most 32 (fewer when memory asks),
        each a task for a worker (in-process, stacks share the cores by threads); the table
        is that of one-by-one training to rounding. False trains each run alone.
    verbose : int, default 0
        1 prints the sweep's id, the swept values and the number of runs before they start;
        2 also shows a progress bar (runs done of all, failures, the best score so far, time
        left).

    Returns
    -------
    SweepResult

    Raises
    ------
    SweepInterrupted
        On Ctrl-C (a KeyboardInterrupt): the finished runs are in ``out``, the unfinished
        ones nowhere; ``resume=True`` runs them.
    """
    if grid is None and distributions is None:
        raise ValueError("give a grid or distributions (with n_iter) to sweep")
    _check_where(n_jobs, scheduler, timeout)
    if resume and out is None:
        raise ValueError("resume needs out (the results file to continue)")
    if grid is not None and distributions is not None:
        raise ValueError("give a grid or distributions, not both")
    swept = dict(grid if grid is not None else distributions)
    if not swept:
        raise ValueError("grid is empty: give at least one option to sweep")
    recipe.check_options(swept, "grid" if grid is not None else "distributions")
    # Every option spelled out (defaults too), so that equal sweeps get equal ids however
    # they were given; swept options and the seed (see seeds) come from each run.
    options = {k: recipe.normalize(k, v)
               for k, v in recipe.check_options(dict(options or {}), "options").items()
               if k not in swept and k != "seed"}
    if grid is not None:
        points = expand_grid(grid)
    else:
        if isinstance(n_iter, bool) or not isinstance(n_iter, numbers.Integral) or n_iter < 1:
            raise ValueError(f"n_iter must be a positive integer with distributions, got "
                             f"{n_iter!r}")
        points = _draw(distributions, int(n_iter), np.random.default_rng(random_state))
    seeds = [int(s) for s in seeds]
    if not seeds:
        raise ValueError("seeds must hold at least one seed")
    X, T, classification, data_spec, test = _load(data, task, dataset_options, random_state)
    scoring = scoring or ("accuracy" if classification else "r2")
    valid = ("accuracy", "loss") if classification else ("r2", "mse", "loss")
    if scoring not in valid:
        raise ValueError(f"scoring must be one of {', '.join(valid)} for {data_spec}, got "
                         f"{scoring!r}")
    X_test, T_test = test if test is not None else (None, None)
    if test_fraction and test is not None:
        raise ValueError(f"test_fraction: {data_spec['dataset']} comes with its standard test "
                         f"part ({len(X_test)} samples), reported as test_*; leave "
                         "test_fraction at 0")
    if test_fraction:
        X, X_test, T, T_test = split(X, T, test_fraction, stratify=classification,
                                     seed=random_state)
    fold_splits, holdout = _validation_parts(X, T, classification, folds, validation_fraction,
                                             random_state)
    points = [{name: recipe.normalize(name, value) for name, value in point.items()}
              for point in points]
    # Options added since results files were first written, at the default that leaves the
    # runs as they were, stay out of the id: such a file still resumes.
    hashed = {k: v for k, v in options.items() if _LATER_DEFAULTS.get(k, _UNSET) != v}
    spec = _plain({"data": data_spec, "options": hashed, "swept": sorted(swept),
                   "n_iter": n_iter, "points": sorted(points, key=_canonical),
                   "seeds": seeds, "folds": folds,
                   "validation_fraction": None if folds else validation_fraction,
                   "test_fraction": test_fraction, "standardize": standardize,
                   "scoring": scoring, "random_state": random_state})
    sweep_id = _digest(spec)
    jobs = []
    for point in points:
        for seed in seeds:
            for fold in range(folds or 1):
                params = _plain(point)
                jobs.append({"index": len(jobs), "params": params, "seed": seed, "fold": fold,
                             "run": _digest([sweep_id, params, seed, fold])})
    context = {"sweep": sweep_id, "X": X, "T": T, "X_test": X_test, "T_test": T_test,
               "classification": classification, "options": options, "folds": fold_splits,
               "holdout": holdout, "standardize": standardize}
    results = None if out is None else _ResultsFile(
        out, {"format": FORMAT, "sweep": sweep_id, "spec": spec}, resume)
    done: dict = {}
    try:
        done = {} if results is None else dict(results.done)
        todo = [job for job in jobs if job["run"] not in done]

        header = (f"sweep {sweep_id}: {len(jobs)} runs, {len(jobs) - len(todo)} already "
                  f"done\n{_describe_points(grid, distributions, n_iter, points, seeds, folds)}")
        progress = _Progress(len(todo), f"val_{scoring}", scoring in ("accuracy", "r2"),
                             header if verbose else None, verbose >= 2)
        stacked = 0
        try:
            for task in _execute(context, todo, n_jobs, scheduler, timeout, stack,
                                 progress.start):
                with held_sigint():  # a stack's runs are written all or none
                    for record in task:
                        stacked += record.pop("_stack", 0) > 1
                        done[record["run"]] = record
                        if results is not None:
                            results.append(record)
                        progress.update(record)
        finally:
            progress.close()
    except KeyboardInterrupt:  # every finished run is in the file; the others are not
        kept = done if results is None else results.done
        finished = sum(1 for job in jobs if job["run"] in kept)
        raise SweepInterrupted(finished, len(jobs), None if out is None else str(out)) \
            from None
    finally:
        if results is not None:
            results.close()
    records = [{**done[job["run"]], "index": job["index"]} for job in jobs]
    return SweepResult(records, scoring, sweep_id, None if out is None else str(out), spec,
                       stacked)


def _execute(context: dict, jobs: list[dict], n_jobs, scheduler, timeout: float,
             stack: bool, started=lambda: None):
    """Yield the records of ``jobs`` as they finish, wherever they run, a task's (a run's
    or a stack's) at a time; ``started()`` is called once the runs can start (after
    connecting to a cluster)."""
    if not jobs:
        started()
        return
    if scheduler is None and (n_jobs == 1 or (n_jobs is None and not installed("distributed"))):
        started()  # n_jobs=None without Dask: here, as with n_jobs=1 (the core install)
        yield from _in_process(context, _chunks(context, jobs, stack))
        return
    require("distributed", "a sweep on local processes or a cluster (n_jobs, scheduler)")
    yield from _on_dask(context, jobs, n_jobs, scheduler, timeout, stack, started)


def _connect(Client, address: str, timeout: float):
    """A client of the scheduler at ``address`` with at least one worker, or a ValueError
    within about ``timeout`` seconds (a listener that never answers must not hang us)."""
    import threading

    made: list = []

    def connect() -> None:
        try:
            made.append(Client(address, timeout=timeout))
        except Exception as exc:  # reported below
            made.append(exc)

    thread = threading.Thread(target=connect, daemon=True)
    thread.start()
    thread.join(timeout + 2)
    if not made or isinstance(made[0], Exception):
        detail = f" ({made[0]})" if made else ""
        raise ValueError(f"scheduler {address}: no answer within {timeout:g} s{detail}; is "
                         "`dask scheduler` running there?")
    client = made[0]
    try:
        client.wait_for_workers(1, timeout=timeout)
    except Exception:
        client.close()
        raise ValueError(f"scheduler {address}: no worker joined within {timeout:g} s; start "
                         "some with `dask worker " + address + "`") from None
    return client


@contextlib.contextmanager
def _sigint_ignored():
    """SIGINT ignored while the block starts worker processes: they inherit the ignored
    signal (a blocked one would not survive multiprocessing's spawn), so a Ctrl-C sent to
    the whole process group (the terminal's) is this process's alone to handle, and it
    stops them without a traceback from each. A Ctrl-C during the block (the cluster's
    start, a second or two) is lost."""
    if threading.current_thread() is not threading.main_thread():
        yield
        return
    previous = signal.signal(signal.SIGINT, signal.SIG_IGN)
    try:
        yield
    finally:
        signal.signal(signal.SIGINT, signal.SIG_DFL if previous is None else previous)


def _stop_workers(cluster, timeout: float = 0.5) -> None:
    """Close a LocalCluster's workers at once, killing those still busy after ``timeout``
    seconds (their runs are unfinished: nothing of theirs is recorded)."""
    import asyncio

    async def close_all():
        await asyncio.gather(*(worker.close(timeout=timeout)
                               for worker in list(cluster.workers.values())),
                             return_exceptions=True)

    with contextlib.suppress(Exception):
        cluster.sync(close_all)


def _on_dask(context, jobs, n_jobs, scheduler, timeout, stack, started):
    import logging

    try:
        from distributed import Client, LocalCluster, as_completed
        from distributed.scheduler import KilledWorker
    except ImportError as exc:  # pragma: no cover - distributed is a dependency
        raise ImportError("running a sweep on processes or a cluster needs dask "
                          "distributed (pip install distributed)") from exc
    cluster = own_client = None
    quiet = logging.getLogger("distributed")
    level = quiet.level
    futures: dict = {}
    taken: set = set()
    try:
        if scheduler is None:
            workers = (os.cpu_count() or 1) if n_jobs in (None, -1) else int(n_jobs)
            with _sigint_ignored():  # Ctrl-C is this process's to handle, not the workers'
                # one core each, when there are enough (see _pin_worker)
                cores = (sorted(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity")
                         else [])
                pin = {PIN_CORES: ",".join(map(str, cores))} if workers <= len(cores) else {}
                cluster = LocalCluster(n_workers=workers, threads_per_worker=1,
                                       processes=True, dashboard_address=":0",
                                       silence_logs=logging.CRITICAL, env=pin)
                client = own_client = Client(cluster)
        elif isinstance(scheduler, str):
            client = own_client = _connect(Client, scheduler, timeout)
        else:
            client = scheduler
        # One fresh key for this sweep's data (a scattered dict would share its keys with
        # every other sweep on the cluster).
        [shared] = client.scatter([context], broadcast=True, hash=False)
        started()
        futures = {client.submit(_run_chunk, shared, chunk, pure=False,
                                 key=f"ffnn-runs-{chunk[0]['run']}-{len(chunk)}"): chunk
                   for chunk in _chunks(context, jobs, stack)}
        for future in as_completed(futures):
            taken.add(future)
            try:
                records = future.result()
            except KilledWorker as exc:  # the run killed the workers that tried it
                records = [_plain({**_record_head(context, job), "epochs": None,
                                   "diverged": None,
                                   "error": f"{type(exc).__name__}: {exc}",
                                   "seconds": None, "worker": None})
                           for job in futures[future]]
            except Exception as exc:  # the cluster's failure, not the run's: not recorded
                raise ConnectionError(
                    f"the cluster lost runs ({type(exc).__name__}: {exc}); the finished ones "
                    "are kept: run again with resume (--resume) for the rest") from exc
            yield records
    except KeyboardInterrupt:
        # Ctrl-C: runs that had finished are kept; the others are not recorded.
        quiet.setLevel(logging.CRITICAL)  # the teardown's noise (put back below)
        for future in futures:
            if future not in taken and future.status == "finished":
                try:
                    records = future.result(timeout=5)
                except Exception:  # gone with the interrupt: resume runs it again
                    continue
                yield records
        if cluster is not None:  # our own workers: their running tasks are not waited for
            _stop_workers(cluster)
        raise
    finally:
        if len(taken) < len(futures) and own_client is None:
            with contextlib.suppress(Exception):  # a caller's client: free its workers
                client.cancel(list(futures))
        if own_client is not None:
            own_client.close()
        if cluster is not None:
            cluster.close()
        quiet.setLevel(level)
