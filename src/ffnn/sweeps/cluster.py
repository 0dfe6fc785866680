"""Sweeps on Dask: a scheduler's address or a client, or a LocalCluster of workers pinned to
one core each; tasks resubmitted when a worker dies, Ctrl-C stopping them all."""

from __future__ import annotations

import contextlib
import os
import signal
import threading

from .grid import plain
from .runner import PIN_CORES, blas_threads, record_head, run_chunk


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


def local_workers(n_jobs) -> int:
    """The workers of a sweep's own LocalCluster: ``n_jobs``, or every usable core for None
    and -1."""
    from ..backends.stacked import usable_cores

    return usable_cores() if n_jobs in (None, -1) else int(n_jobs)


def on_dask(context, chunks, n_jobs, scheduler, timeout, started):
    """Yield the records of ``chunks`` (tasks: a run or a stack each) as they finish on Dask:
    on ``scheduler`` (an address or a client), else on a LocalCluster of
    :func:`local_workers` processes; ``started()`` is called once they can start."""
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
            workers = local_workers(n_jobs)
            with _sigint_ignored():  # Ctrl-C is this process's to handle, not the workers'
                # one core each, when there are enough (see _pin_worker)
                cores = (sorted(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity")
                         else [])
                # runs of several BLAS threads (threads=) get the cores to share
                pin = ({PIN_CORES: ",".join(map(str, cores))}
                       if workers <= len(cores) and blas_threads(context) == 1 else {})
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
        futures = {client.submit(run_chunk, shared, chunk, pure=False,
                                 key=f"ffnn-runs-{chunk[0]['run']}-{len(chunk)}"): chunk
                   for chunk in chunks}
        for future in as_completed(futures):
            taken.add(future)
            try:
                records = future.result()
            except KilledWorker as exc:  # the run killed the workers that tried it
                records = [plain({**record_head(context, job), "epochs": None,
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
