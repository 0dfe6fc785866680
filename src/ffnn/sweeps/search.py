"""Sweeps: a grid or a random search over training options, run in-process, on local
processes or on a Dask cluster, with every finished run written to disk at once.

>>> result = ffnn.sweep("breast-cancer", grid={"lr": [1e-3, 1e-2, 1e-1],
...                                          "l2": [0, 1e-3, 1e-2]},
...                     options={"hidden": [50], "epochs": 60, "batch_size": 32},
...                     standardize=True, n_jobs=1)
>>> result.best["params"]
>>> result.plot_heatmap("lr", "l2", "val_accuracy")

A *run* is one training: one point of the grid (``params``, by the names of ``ffnn train``'s
options, see :data:`ffnn.sweeps.recipe.TRAIN_OPTIONS`), one ``seed`` (initial weights and shuffles)
and one ``fold``. Each run trains on its training part and reports train, validation and
test metrics. Runs are independent, use one BLAS thread each (threadpoolctl; ``threads=``
gives them more), and give the same numbers wherever they run.

Where: in this process unless local processes or a cluster are asked for (``n_jobs`` > 1 or
-1, ``scheduler=``) or, with Dask installed and ``n_jobs=None``, the work is large enough
that starting a LocalCluster pays (:data:`CLUSTER_START_SECONDS`); the header of a verbose
sweep says where it runs and why, and whether it stacked.

Durability: only the client writes the results file (JSON lines: a header naming the sweep,
then one line per finished run, flushed and fsynced as it arrives), and only one sweep at a
time: it holds an exclusive lock on the file (``fcntl.flock``) from start to end, so a second
sweep on the same file is refused at once. A file that is not a results file is never
overwritten. A file of the same sweep (the same id) is continued: its runs are read back and
skipped (by sweep id, parameters, seed and fold), a half-written last line is tolerated, and
the sweep ends with the same table as an uninterrupted one (so running a script or a command
twice gives the table at once); a file of another sweep is refused with the reason. On Dask, a run
whose worker dies is run again elsewhere (the scheduler's own retry); the client still writes
it once.

Ctrl-C (KeyboardInterrupt) stops a sweep wherever it runs: the runs being trained are
dropped, never recorded as finished (``train()`` itself would keep an interrupted run's
weights and return), every finished run stays in the file, and :class:`SweepInterrupted`
says how many; ``resume=True`` then runs the rest.
"""

from __future__ import annotations

import hashlib
import math
import numbers
import os
from collections.abc import Mapping, Sequence
from dataclasses import dataclass

import numpy as np

from ..core.validation import installed, is_sparse, require
from ..data.datasets import (
    class_labels,
    encode_labels,
    is_generated,
    load_dataset,
    split,
)
from ..training.signals import held_sigint
from . import recipe
from .analysis import SweepResult
from .cluster import local_workers, on_dask
from .grid import canonical, digest, draw, expand_grid, plain
from .results import FORMAT, LATER_DEFAULTS, UNSET, ResultsFile
from .runner import Tasks, in_process, tasks

__all__ = ["sweep", "SweepInterrupted", "CLUSTER_START_SECONDS"]

#: What a sweep's own LocalCluster costs before and after its runs (starting the worker
#: processes, importing ffnn in each, scattering the data, closing them), in seconds: 6.0-7.7
#: s for 2 workers on the 2-core development machine (benchmarks/README.md, "Where a sweep
#: runs by default"). With ``n_jobs=None`` a sweep starts one only where its estimated work
#: spread over the workers saves more than this.
CLUSTER_START_SECONDS = 6.0


# -- the grid -----------------------------------------------------------------------------------


# -- identities ---------------------------------------------------------------------------------


# -- one run ------------------------------------------------------------------------------------


# -- the results file ---------------------------------------------------------------------------


# -- the result ---------------------------------------------------------------------------------


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


def _check_where(n_jobs, scheduler, timeout, stack=None, threads=None) -> None:
    """``n_jobs``, ``timeout``, ``stack`` and ``threads``, checked before any work."""
    valid_jobs = n_jobs is None or (isinstance(n_jobs, numbers.Integral)
                                    and not isinstance(n_jobs, bool) and n_jobs >= -1
                                    and n_jobs != 0)
    if scheduler is None and not valid_jobs:
        raise ValueError(f"n_jobs must be a positive integer or -1, got {n_jobs!r}")
    if isinstance(timeout, bool) or not isinstance(timeout, numbers.Real) or \
            not timeout > 0 or not math.isfinite(timeout):
        raise ValueError(f"timeout must be a number of seconds > 0, got {timeout!r}")
    if stack not in (None, True, False) or not isinstance(stack, (bool, type(None))):
        raise ValueError(f"stack must be None (stack where it wins), True or False, got "
                         f"{stack!r}")
    if threads is not None and (isinstance(threads, bool)
                                or not isinstance(threads, numbers.Integral) or threads < 1):
        raise ValueError(f"threads must be a positive integer (BLAS threads per run) or None "
                         f"(one), got {threads!r}")


def _with_data_home(data, dataset_options: Mapping | None, data_home) -> Mapping | None:
    """``dataset_options`` with ``data_home`` (sweep()'s own argument) in it."""
    if data_home is None:
        return dataset_options
    if not isinstance(data, str):
        raise ValueError(f"data_home is the folder of a named data set's files (mnist, "
                         f"fashion-mnist), but data is {type(data).__name__}, not a name")
    options = dict(dataset_options or {})
    if os.fspath(options.get("data_home", data_home)) != os.fspath(data_home):
        raise ValueError(f"data_home={data_home!r} and dataset_options['data_home']="
                         f"{options['data_home']!r}: give one")
    options["data_home"] = data_home
    return options


def _load(data, task: str | None, dataset_options: Mapping | None, random_state: int = 0):
    """(X, targets, classification, description of the data for the sweep id, the data
    set's standard test part (X_test, targets_test) or None)."""
    if isinstance(data, str):
        dataset_options = dict(dataset_options or {})
        if is_generated(data):
            dataset_options.setdefault("seed", random_state)  # the same draw every time
        loaded = load_dataset(data, **dataset_options)
        test = None if loaded.X_test is None else (loaded.X_test, loaded.targets_test)
        spec = {"dataset": loaded.name,
                **{k: v for k, v in dataset_options.items() if k != "data_home"}}
        if test is not None:  # read from files (MNIST's): what they hold, wherever they are
            spec["content"] = _content(loaded.X, loaded.targets, *test)
        return loaded.X, loaded.targets, loaded.task == "classification", spec, test
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
    return X, targets, task == "classification", {"arrays": _content(X, targets),
                                                  "shape": list(X.shape)}, None


def _content(*arrays: np.ndarray) -> str:
    """A digest of the arrays' values: a sweep's data by what it is."""
    digest = hashlib.sha256()
    for array in arrays:
        digest.update(np.ascontiguousarray(array).tobytes())
    return digest.hexdigest()[:16]


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
        return list(splitter.split(X, class_labels(T) if classification else None)), None
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
          data_home=None, n_jobs: int | None = None, scheduler=None, timeout: float = 10.0,
          out=None, resume: bool = False, random_state: int = 0, stack: bool | None = None,
          threads: int | None = None, verbose: int = 0) -> SweepResult:
    """Train every configuration of a grid (or ``n_iter`` random ones) and measure each.

    Parameters
    ----------
    data : str or (X, y)
        A data set name (``ffnn.datasets.DATASET_NAMES``) or arrays: ``X`` of shape
        (n_samples, n_features) and ``y`` labels (classification) or values (regression).
    grid : mapping name -> list of values
        Training options to sweep, by the names of ``ffnn train``'s options
        (:data:`ffnn.sweeps.recipe.TRAIN_OPTIONS`: ``lr``, ``l2``, ``hidden``, ``activation``,
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
    dataset_options : mapping, optional
        Keyword arguments of :func:`ffnn.datasets.load_dataset` (``n_samples``, ``noise``,
        ``seed`` for the generated sets).
    data_home : path-like, optional
        MNIST and Fashion-MNIST: the folder of the four IDX files
        (``train-images-idx3-ubyte``, ``train-labels-idx1-ubyte``, ``t10k-images-idx3-ubyte``,
        ``t10k-labels-idx1-ubyte``, each may be gzipped), or the folder holding them in its
        subfolder ``mnist`` (``fashion-mnist``); fetched from OpenML into it when they are not
        there (default: scikit-learn's data home). The same as
        ``dataset_options={"data_home": ...}`` (``ffnn sweep --data-home DIR``); where the
        files are is not part of the sweep's id, what they hold is.
    n_jobs : int, optional
        Local worker processes (a Dask ``LocalCluster``, the ``dask`` extra), each kept on
        one core (one BLAS thread, one XLA thread); -1: one per core; 1: this process.
        Default (None): this process, unless Dask is installed and the sweep's work
        (estimated by the NumPy engine's cost model, over the runs or stacks) is large
        enough that spreading it over one worker per core saves more than starting them
        costs (:data:`CLUSTER_START_SECONDS`, ~6 s; a few seconds of work stay here).
    scheduler : str or distributed.Client, optional
        A Dask scheduler address (``tcp://host:8786``) or a client: run there.
    timeout : float, default 10
        Seconds to wait for the scheduler to answer.
    out : path, optional
        JSON-lines results file, written as runs finish and locked for the whole sweep (a
        second sweep on it is refused). A file that holds anything but a results file (or
        a header torn while written) is refused and left as it is.
    resume : bool
        Continue the sweep in ``out``: runs already there are not run again. A file of the
        same sweep is continued without it too; ``resume=True`` says so explicitly (and needs
        ``out``).
    random_state : int
        Seeds the splits, the folds and the random search.
    stack : bool, optional
        Train runs that differ only in learning rate, L1/L2, momentum/β/ε, weight decay and
        initial seed, and share their shuffling seed and fold, as one stack
        (:func:`ffnn.backends.stacked.train_stack`), in stacks of at most 32 (fewer when memory
        asks), each a task for a worker (in-process, stacks share the cores by threads); the table
        is that of one-by-one training to rounding. Default (None): stack where it wins,
        networks of at most :data:`ffnn.sweeps.runner.STACK_MAX_PARAMS` (16 000) parameters
        (iris, breast cancer, digits with a hidden layer of tens), and train larger ones
        (MNIST's 784 inputs and up) one by one. True stacks whatever can stack; False trains
        each run alone.
    threads : int, optional
        BLAS threads (threadpoolctl) each run or stack may use. Default (None): one, so that
        runs sharing the cores (stacks in threads, local workers) do not oversubscribe them;
        more can speed up a few large runs in this process (``n_jobs=1``). Not part of the
        sweep's id.
    verbose : int, default 0
        1 prints the sweep's id, the swept values, the number of runs, where they run and
        whether they stack (and why) before they start; 2 also shows a progress bar (runs
        done of all, failures, the best score so far, time left).

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
    _check_where(n_jobs, scheduler, timeout, stack, threads)
    dataset_options = _with_data_home(data, dataset_options, data_home)
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
        points = draw(distributions, int(n_iter), np.random.default_rng(random_state))
    seeds = [int(s) for s in seeds]
    if not seeds:
        raise ValueError("seeds must hold at least one seed")
    search = _Search(grid, distributions, n_iter, points, options, seeds, folds,
                     validation_fraction, test_fraction, standardize, scoring, random_state)
    plan = _plan(search, *_load(data, task, dataset_options, random_state))
    where = _Where(n_jobs, scheduler, timeout, stack, threads)
    return _run_plan(plan, out, resume, where, verbose)


@dataclass(frozen=True)
class _Search:
    """What a sweep searches, checked: with the data, everything its id says."""

    grid: Mapping | None
    distributions: Mapping | None
    n_iter: int | None
    points: list[dict]
    options: dict
    seeds: list[int]
    folds: int | None
    validation_fraction: float
    test_fraction: float
    standardize: bool
    scoring: str | None
    random_state: int


@dataclass(frozen=True)
class _Where:
    """Where a sweep's runs train (see :func:`sweep`'s ``n_jobs`` … ``stack``)."""

    n_jobs: int | None
    scheduler: object
    timeout: float
    stack: bool | None
    threads: int | None


@dataclass(frozen=True)
class _Plan:
    """A sweep ready to run: its id and spec (the results file's header), its jobs in
    order, the context every run reads, the score it ranks by and its description."""

    sweep_id: str
    spec: dict
    jobs: list[dict]
    context: dict
    scoring: str
    described: str


def _plan(search: _Search, X, T, classification: bool, data_spec: dict, test) -> _Plan:
    """The points, the data's parts and the jobs of ``search`` on loaded data."""
    s = search
    scoring = s.scoring or ("accuracy" if classification else "r2")
    valid = ("accuracy", "loss") if classification else ("r2", "mse", "loss")
    if scoring not in valid:
        raise ValueError(f"scoring must be one of {', '.join(valid)} for {data_spec}, got "
                         f"{scoring!r}")
    X_test, T_test = test if test is not None else (None, None)
    if s.test_fraction and test is not None:
        raise ValueError(f"test_fraction: {data_spec['dataset']} comes with its standard test "
                         f"part ({len(X_test)} samples), reported as test_*; leave "
                         "test_fraction at 0")
    if s.test_fraction:
        X, X_test, T, T_test = split(X, T, s.test_fraction, stratify=classification,
                                     seed=s.random_state)
    fold_splits, holdout = _validation_parts(X, T, classification, s.folds,
                                             s.validation_fraction, s.random_state)
    points = [{name: recipe.normalize(name, value) for name, value in point.items()}
              for point in s.points]
    swept = s.grid if s.grid is not None else s.distributions
    # Options added since results files were first written, at the default that leaves the
    # runs as they were, stay out of the id: such a file still resumes.
    hashed = {k: v for k, v in s.options.items() if LATER_DEFAULTS.get(k, UNSET) != v}
    spec = plain({"data": data_spec, "options": hashed, "swept": sorted(swept),
                   "n_iter": s.n_iter, "points": sorted(points, key=canonical),
                   "seeds": s.seeds, "folds": s.folds,
                   "validation_fraction": None if s.folds else s.validation_fraction,
                   "test_fraction": s.test_fraction, "standardize": s.standardize,
                   "scoring": scoring, "random_state": s.random_state})
    sweep_id = digest(spec)
    jobs = []
    for point in points:
        for seed in s.seeds:
            for fold in range(s.folds or 1):
                params = plain(point)
                jobs.append({"index": len(jobs), "params": params, "seed": seed, "fold": fold,
                             "run": digest([sweep_id, params, seed, fold])})
    context = {"sweep": sweep_id, "X": X, "T": T, "X_test": X_test, "T_test": T_test,
               "classification": classification, "options": s.options,
               "folds": fold_splits, "holdout": holdout, "standardize": s.standardize}
    described = _describe_points(s.grid, s.distributions, s.n_iter, points, s.seeds, s.folds)
    return _Plan(sweep_id, spec, jobs, context, scoring, described)


def _run_plan(plan: _Plan, out, resume: bool, where: _Where, verbose: int) -> SweepResult:
    """Run the jobs of ``plan`` not yet in ``out``, writing each record as it comes."""
    results = None if out is None else ResultsFile(
        out, {"format": FORMAT, "sweep": plan.sweep_id, "spec": plan.spec}, resume)
    jobs, scoring = plan.jobs, plan.scoring
    context = {**plan.context, "threads": where.threads}
    done: dict = {}
    try:
        done = {} if results is None else dict(results.done)
        todo = [job for job in jobs if job["run"] not in done]
        cut = tasks(context, todo, where.stack)
        here, why = _choose_where(where, cut, len(todo))
        header = (f"sweep {plan.sweep_id}: {len(jobs)} runs, {len(jobs) - len(todo)} already "
                  f"done\n{plan.described}\nwhere: {why}\nstacks: {cut.stacking}")
        progress = _Progress(len(todo), f"val_{scoring}", scoring in ("accuracy", "r2"),
                             header if verbose else None, verbose >= 2)
        stacked = 0
        try:
            for task in _execute(context, cut, here, where, progress.start):
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
    return SweepResult(records, scoring, plan.sweep_id, None if out is None else str(out),
                       plan.spec, stacked, len(todo))


def _choose_where(where: _Where, cut: Tasks, runs: int) -> tuple[bool, str]:
    """(whether the runs train in this process, where and why in a few words). With
    ``n_jobs=None`` and Dask installed: here unless a LocalCluster of one worker per core
    finishes sooner, its start (:data:`CLUSTER_START_SECONDS`) counted; the work is the
    estimate of :func:`ffnn.sweeps.runner.estimated_seconds`, spread here over the threads
    that stacks share (runs alone go one after the other) and there over the workers."""
    if where.scheduler is not None:
        shown = where.scheduler if isinstance(where.scheduler, str) else "of the given client"
        return False, f"the Dask cluster {shown} (scheduler=)"
    if where.n_jobs == 1:
        return True, "in this process (n_jobs=1, --n-jobs 1)"
    if where.n_jobs is not None:
        return False, (f"{local_workers(where.n_jobs)} local worker processes "
                       f"(n_jobs={where.n_jobs})")
    if not installed("distributed"):
        return True, ("in this process (n_jobs=None without Dask; the dask extra runs sweeps "
                      "on local processes)")
    if not runs:
        return True, "in this process (nothing to run)"
    workers, chunks = local_workers(None), cut.chunks
    threads_here = min(workers, len(chunks)) if any(len(c) > 1 for c in chunks) else 1
    work_here = cut.seconds / threads_here
    work_there = cut.seconds / min(workers, len(chunks))
    work = f"{runs} runs, ~{cut.seconds / runs:.2g} s of work each"
    if workers == 1 or work_here <= CLUSTER_START_SECONDS + work_there:
        return True, (f"in this process: {work}, ~{work_here:.2g} s in all, less than "
                      f"starting {workers} local worker{'s' * (workers > 1)} "
                      f"(~{CLUSTER_START_SECONDS:g} s) would save (n_jobs=-1, --n-jobs -1, "
                      "starts them)")
    return False, (f"{workers} local worker processes: {work}, ~{work_here:.2g} s here "
                   f"against ~{work_there:.2g} s on them, more than starting them costs "
                   f"(~{CLUSTER_START_SECONDS:g} s; n_jobs=1, --n-jobs 1, stays here)")


def _execute(context: dict, cut: Tasks, here: bool, where: _Where, started=lambda: None):
    """Yield the records of the tasks of ``cut`` as they finish, here or on Dask, a task's
    (a run's or a stack's) at a time; ``started()`` is called once the runs can start
    (after connecting to a cluster)."""
    if not cut.chunks:
        started()
        return
    if here:
        started()
        yield from in_process(context, cut.chunks)
        return
    require("distributed", "a sweep on local processes or a cluster (n_jobs, scheduler)")
    yield from on_dask(context, cut.chunks, where.n_jobs, where.scheduler, where.timeout,
                       started)
