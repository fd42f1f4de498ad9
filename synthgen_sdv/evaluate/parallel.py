"""Run a comparison's independent jobs (one entry's scores, one plot) in forked workers.

Why: the entries of a comparison (the ceiling, each candidate, the written output) and its
plots do not depend on each other, and each costs seconds of single-threaded pandas, so on two
or more cores they overlap. Results come back in the order the jobs were given, whatever order
they finish in. Every job starts from the same global numpy random state and runs with one
BLAS/OpenMP thread, so a number of the report does not depend on the worker count or on which
job ran before it in the same process. The costliest jobs start first (``Job.cost``), so a
long scoring job does not start last behind the plots.

Workers are forked (the jobs are closures over the data, which is not copied or pickled on the
way in; only results travel back). One worker runs the jobs in this process.
"""

from __future__ import annotations

import multiprocessing as mp
import os
import signal
import time
from collections.abc import Callable, Iterator
from concurrent.futures import ProcessPoolExecutor, as_completed
from dataclasses import dataclass
from typing import Any

import numpy as np

from synthgen_sdv.core.progress import QUIET, Progress

#: the global numpy seed every job starts from (SDMetrics draws some samples from it)
JOB_SEED = 0
#: at most this many workers by default: more than 4 concurrent SDMetrics reports only add
#: memory on the sizes a comparison scores
MAX_AUTO_WORKERS = 4

_JOBS: list[Job] = []


@dataclass
class Job:
    """One independent piece of a comparison: ``run()`` returns what the parent needs (a
    picklable value); ``cost`` orders the start (larger first); ``label`` names it in the line
    said when it finishes, unless ``loud`` is False (a plot: the caller sums those up)."""

    label: str
    run: Callable[[], Any]
    cost: float = 1.0
    loud: bool = True


def available_cpus() -> int:
    """Cores this process may run on (the affinity mask, not the machine's count)."""
    try:
        return len(os.sched_getaffinity(0))
    except AttributeError:  # not on Linux
        return os.cpu_count() or 1


def auto_workers(jobs: int) -> int:
    """The default worker count: ``$SYNTHGEN_COMPARE_WORKERS`` when set (benchmarks), else one
    per available core, at most ``MAX_AUTO_WORKERS``; never more than there are jobs."""
    env = os.environ.get("SYNTHGEN_COMPARE_WORKERS", "").strip()
    wanted = int(env) if env.isdigit() and int(env) > 0 else min(available_cpus(), MAX_AUTO_WORKERS)
    return max(1, min(wanted, jobs))


def _worker_signals() -> None:
    """A worker leaves Ctrl-C to the parent (which stops the pool) and dies quietly on the
    parent's terminate, whatever handlers the parent had installed."""
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    signal.signal(signal.SIGTERM, signal.SIG_DFL)


def _call(job: Job) -> tuple[Any, float]:
    from threadpoolctl import threadpool_limits

    start = time.perf_counter()
    np.random.seed(JOB_SEED)
    with threadpool_limits(1):
        result = job.run()
    return result, time.perf_counter() - start


def _call_index(index: int) -> tuple[int, Any, float]:
    result, seconds = _call(_JOBS[index])
    return index, result, seconds


def _finished(jobs: list[Job], order: list[int], workers: int) -> Iterator[tuple[int, Any, float]]:
    if workers <= 1:
        for i in order:
            yield (i, *_call(jobs[i]))
        return
    global _JOBS
    _JOBS = jobs  # the forked workers find the jobs here: nothing is pickled on the way in
    pool = ProcessPoolExecutor(
        workers, mp_context=mp.get_context("fork"), initializer=_worker_signals
    )
    try:
        futures = [pool.submit(_call_index, i) for i in order]  # the costliest first
        for future in as_completed(futures):
            yield future.result()
    except BaseException:
        for process in list((getattr(pool, "_processes", None) or {}).values()):
            process.terminate()  # an error or Ctrl-C: stop the running jobs now
        raise
    finally:
        pool.shutdown(wait=True, cancel_futures=True)
        _JOBS = []


def run_jobs(
    jobs: list[Job],
    workers: int | None = None,
    *,
    say: Callable[[str], None] = lambda _m: None,
    reporter: Progress = QUIET,
    desc: str = "compare",
) -> list[Any]:
    """Every job's result, in the order of ``jobs``. ``workers`` None picks ``auto_workers``.
    ``say`` gets a line per finished loud job (label and seconds); ``reporter`` draws a bar
    over all of them on a terminal. An exception of a job is raised here, after the workers
    are stopped."""
    if not jobs:
        return []
    n = auto_workers(len(jobs)) if workers is None else max(1, min(workers, len(jobs)))
    if mp.current_process().daemon:  # inside a pool worker: a daemon may not fork children
        n = 1
    order = sorted(range(len(jobs)), key=lambda i: -jobs[i].cost)
    results: list[Any] = [None] * len(jobs)
    finished = _finished(jobs, order, n)
    for done, (index, result, seconds) in enumerate(
        reporter.bar(finished, total=len(jobs), desc=desc), start=1
    ):
        results[index] = result
        if jobs[index].loud:
            say(f"{jobs[index].label}: {seconds:.1f} s ({done}/{len(jobs)} jobs)")
    return results
