"""Where batch jobs run: in this process, in a local process pool, or on a Dask distributed cluster.

Every runner yields one outcome per job as jobs finish, and keeps only a bounded window of jobs in
flight (a few per worker), so a ten-million-file run holds no ten million futures. A job whose
worker fails outright (a crashed process, a killed Dask worker) becomes ``job.failed(message)``.
"""

from __future__ import annotations

import multiprocessing
import os
from collections.abc import Callable, Iterator, Sequence
from concurrent.futures import FIRST_COMPLETED, Future, ProcessPoolExecutor, wait
from concurrent.futures.process import BrokenProcessPool
from itertools import islice
from multiprocessing.context import BaseContext
from typing import Any, Protocol, TypeVar

from .errors import BatchError, ParameterError

IN_FLIGHT_PER_WORKER = 4


class Failable(Protocol):
    """A job: it can say what its outcome is when its worker fails outright."""

    def failed(self, error: str) -> Any: ...


J = TypeVar("J", bound=Failable)
S = TypeVar("S")
R = TypeVar("R")


def check_runner(workers: int, dask: Any) -> None:
    """Refuse a bad worker count, or ``dask`` without Dask distributed installed, before any work
    (a batch calls this before it creates OUT_DIR or the manifest)."""
    if not isinstance(workers, int) or workers < 1:
        raise ParameterError(f"workers must be a positive integer, not {workers!r}")
    if dask is not None:
        _distributed()


def _distributed() -> Any:
    try:
        import distributed
    except ImportError:
        raise ParameterError("--dask needs Dask distributed, which is not installed",
                             hint="pip install 'securecomp[dask]'") from None
    return distributed


def run_jobs(function: Callable[[J, S], R], jobs: Sequence[J], settings: S, *, workers: int = 1,
             dask: Any = None) -> Iterator[R]:
    check_runner(workers, dask)
    if dask is not None:
        return _run_dask(function, jobs, settings, dask, workers)
    if workers > 1:
        return _run_pool(function, jobs, settings, workers)
    return (function(job, settings) for job in jobs)


def failed(job: Failable, exc: BaseException) -> Any:
    return job.failed(f"worker failed: {type(exc).__name__}: {exc}")


# --- local process pool -----------------------------------------------------------------------

def _pool_context() -> BaseContext:
    # forkserver: children start from a clean server process, not from this one with its threads
    # (progress bar, executor manager); fork after threads can deadlock.
    method = "forkserver" if "forkserver" in multiprocessing.get_all_start_methods() else "spawn"
    return multiprocessing.get_context(method)


def _run_pool(function: Callable[[J, S], R], jobs: Sequence[J], settings: S, workers: int) -> Iterator[R]:
    pool = ProcessPoolExecutor(max_workers=workers, mp_context=_pool_context())
    remaining, pending = iter(jobs), dict[Future[R], J]()
    try:
        for job in islice(remaining, workers * IN_FLIGHT_PER_WORKER):
            pending[pool.submit(function, job, settings)] = job
        while pending:
            done, _ = wait(pending, return_when=FIRST_COMPLETED)
            for future in done:
                yield _pool_result(future, pending.pop(future))
                for job in islice(remaining, 1):
                    pending[pool.submit(function, job, settings)] = job
    finally:
        pool.shutdown(wait=True, cancel_futures=True)


def _pool_result(future: Future[R], job: J) -> R:
    try:
        return future.result()
    except BrokenProcessPool:
        raise BatchError("a worker process died (out of memory or killed)",
                         hint="the manifest keeps what was finished; run the same command again to resume") from None
    except Exception as exc:
        return failed(job, exc)


# --- Dask distributed --------------------------------------------------------------------------

def _run_dask(function: Callable[[J, S], R], jobs: Sequence[J], settings: S, dask: Any,
              workers: int) -> Iterator[R]:
    as_completed = _distributed().as_completed
    client, owned = _dask_client(dask, workers)
    try:
        window = max(1, sum(_dask_threads(client).values())) * IN_FLIGHT_PER_WORKER
        shared = client.scatter(settings, broadcast=True, hash=False)    # once per worker, not per job
        remaining, pending = iter(jobs), dict[Any, J]()
        queue = as_completed()
        for job in islice(remaining, window):
            queue.add(_submit(client, function, job, shared, pending))
        for future in queue:
            yield _dask_result(future, pending.pop(future.key))
            for job in islice(remaining, 1):
                queue.add(_submit(client, function, job, shared, pending))
    finally:
        if owned:
            _close(client)


def _submit(client: Any, function: Callable[[J, S], R], job: J, shared: Any, pending: dict[Any, J]) -> Any:
    future = client.submit(function, job, shared, pure=False, retries=0)
    pending[future.key] = job
    return future


def _dask_result(future: Any, job: J) -> Any:
    try:
        return future.result()
    except Exception as exc:            # e.g. KilledWorker: the job is recorded as failed
        return failed(job, exc)
    finally:
        future.release()


def _dask_client(dask: Any, workers: int) -> tuple[Any, bool]:
    """(client, whether this run created it): a Client as given, ``"local"``, or a scheduler address."""
    from distributed import Client, LocalCluster

    if isinstance(dask, Client):
        return dask, False
    if dask == "local":
        cluster = LocalCluster(n_workers=workers if workers > 1 else (os.cpu_count() or 1), threads_per_worker=1,
                               processes=True, dashboard_address=None)
        return Client(cluster), True
    if not isinstance(dask, str) or not dask:
        raise ParameterError(f"dask= takes 'local', a scheduler address or a Client, not {dask!r}")
    try:
        return Client(dask, timeout="20s"), True
    except OSError as exc:
        raise ParameterError(f"cannot reach the Dask scheduler at {dask}: {exc}",
                         hint="check the address (e.g. tcp://host:8786) and that the scheduler runs") from None


def _dask_threads(client: Any) -> dict[str, int]:
    return client.nthreads()


def _close(client: Any) -> None:
    cluster = client.cluster
    client.close()
    if cluster is not None:
        cluster.close()
