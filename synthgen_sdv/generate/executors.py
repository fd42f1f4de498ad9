"""Where chunk tasks run: in this process, or in forked worker processes (Spark: ``spark.py``).

An executor opens a session per family with the family's ``FamilyJob`` and maps a task
function over small argument tuples, yielding results in argument order. Results are small
(encoded pieces and a few arrays), so the main process only appends them; order is what makes
the output the same for any number of workers.
"""

from __future__ import annotations

import contextlib
import ctypes
import gc
import multiprocessing as mp
from abc import ABC, abstractmethod
from collections import deque
from collections.abc import Callable, Iterable, Iterator
from contextlib import contextmanager
from typing import Any

from synthgen_sdv.core.registry import Registry
from synthgen_sdv.generate.tasks import ChunkResult, FamilyJob

Task = Callable[..., Any]  # task(job, *args)


class Session(ABC):
    """A family's tasks, running where the executor put them."""

    @abstractmethod
    def map(self, task: Task, items: Iterable[tuple[Any, ...]]) -> Iterator[Any]:
        """``task(job, *item)`` for every item, results in item order."""

    def hold(self, result: Any) -> None:
        """A result made before the session (chunk 0, which decided the types), its pieces
        maybe still encoding: yielded first by ``map``, settled. Only sessions that run tasks
        in this process take one."""
        raise NotImplementedError(f"{type(self).__name__} makes every result itself")


class Executor(ABC):
    """Opens a session per family (``with executor.session(job) as s: s.map(...)``)."""

    #: processes (or Spark cores) the executor uses, for messages
    parallelism: int = 1
    #: tasks run in argument order in processes forked from this one, so a ``Ledger`` made
    #: before the session is shared (keys need no pre-pass); False: tasks are independent
    shares_memory: bool = False
    #: tasks run in other processes of this machine, which write encoded pieces into the
    #: output files themselves rather than send them back (``FamilyJob.placement``)
    places: bool = False
    #: tasks run one after another in this process (so chunk 0 can be made whole before the
    #: others and decide the types, instead of a probe making its typed columns twice)
    inline: bool = False

    @abstractmethod
    def session(self, job: FamilyJob) -> Any:
        """A context manager yielding a ``Session`` for ``job``."""

    def close(self) -> None:  # noqa: B027 - optional hook
        """Release what the executor started (a Spark session)."""


#: results the inline session holds back while it makes the next chunks. Two cut the main
#: thread's waits on a big chunk's encoding with 10,000-row chunks (scale 300, full run, under
#: load: 0.66-0.97 s -> 0.18-0.25 s), but with 20,000-row chunks they gain nothing (scale 300
#: full 1.88 vs 1.82 s, clean 1.34 vs 1.36 s, at real-time priority) and hold one more chunk
#: (peak RSS 536 vs 476 MB), so one.
INLINE_DEPTH = 1


class _Inline(Session):
    """Tasks in this process. A chunk's pieces encode in threads (``tasks._encoder``) while
    the next chunks are made here: its result is yielded once ``INLINE_DEPTH`` more tasks ran."""

    def __init__(self, job: FamilyJob):
        self.job = job
        self.held: deque[Any] = deque()

    def hold(self, result: Any) -> None:
        """Chunk 0, made before the session: its pieces encode while chunk 1 is made."""
        self.held.append(result)

    def map(self, task: Task, items: Iterable[tuple[Any, ...]]) -> Iterator[Any]:
        """``task(job, *item)`` for every item, in order (after the held ones),
        ``INLINE_DEPTH`` results held back."""
        self.job.defer_encoding = True
        try:
            held, self.held = self.held, deque()
            for item in items:
                held.append(task(self.job, *item))
                if len(held) > INLINE_DEPTH:
                    yield _settled(held.popleft())
            while held:
                yield _settled(held.popleft())
        finally:
            self.job.defer_encoding = False


def _settled(result: Any) -> Any:
    """A result with its deferred encoding finished (results without any are as they are)."""
    return result.settle() if isinstance(result, ChunkResult) else result


_JOB: FamilyJob | None = None  # the job of the forked pool's session (inherited, not pickled)


def _call(args: tuple[Task, tuple[Any, ...]]) -> Any:
    task, item = args
    assert _JOB is not None  # set before the pool forks
    return task(_JOB, *item)


class _Forked(Session):
    def __init__(self, pool: Any, window: int):
        self.pool, self.window = pool, window

    def map(self, task: Task, items: Iterable[tuple[Any, ...]]) -> Iterator[Any]:
        """Ordered, with at most ``window`` tasks in flight (bounded memory in the main
        process, whatever the number of chunks)."""
        pending: deque[Any] = deque()
        it = iter(items)
        for item in it:
            pending.append(self.pool.apply_async(_call, ((task, item),)))
            if len(pending) >= self.window:
                break
        while pending:
            result = pending.popleft().get()
            item = next(it, None)
            if item is not None:
                pending.append(self.pool.apply_async(_call, ((task, item),)))
            yield result


_M_TRIM_THRESHOLD, _M_MMAP_THRESHOLD = -1, -3  # glibc's mallopt parameters


def _keep_heap() -> None:
    """In a worker: glibc serves chunk-sized arrays (up to 32 MB) from its heap and keeps what
    is freed for the next chunk, which allocates the same sizes, instead of a fresh mmap and
    its page faults per array (half the workers' page faults; the worker's peak is the same,
    and it exits with its family)."""
    with contextlib.suppress(OSError, AttributeError):  # not glibc: its defaults
        libc = ctypes.CDLL("libc.so.6")
        libc.mallopt(_M_MMAP_THRESHOLD, 32 << 20)
        libc.mallopt(_M_TRIM_THRESHOLD, 256 << 20)


class LocalExecutor(Executor):
    """``workers`` forked processes (1: everything in this process).

    Workers are forked per family, after the tables it looks up exist, so they inherit the
    plan, the kept tables and the Faker pools without pickling.
    """

    shares_memory = True

    def __init__(self, workers: int = 1):
        self.parallelism = max(1, workers)
        self.places = self.parallelism > 1
        self.inline = self.parallelism == 1

    @contextmanager
    def session(self, job: FamilyJob) -> Iterator[Session]:
        """Tasks inline for one worker; else a fork pool for the family."""
        global _JOB
        if self.parallelism == 1:
            yield _Inline(job)
            return
        _JOB = job
        gc.freeze()  # objects made so far are not scanned again, so forked pages stay shared
        try:
            with mp.get_context("fork").Pool(self.parallelism, initializer=_keep_heap) as pool:
                yield _Forked(pool, window=2 * self.parallelism)
        finally:
            _JOB = None
            gc.unfreeze()


EXECUTORS: Registry[Callable[..., Executor]] = Registry("generation engine")
EXECUTORS.register("local")(LocalExecutor)
