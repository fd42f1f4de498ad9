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
from multiprocessing import connection as mp_connection
from typing import Any

from synthgen_sdv.core.errors import SynthgenError
from synthgen_sdv.core.registry import Registry
from synthgen_sdv.generate.tasks import ChunkResult, FamilyJob

Task = Callable[..., Any]  # task(job, *args)


class Session(ABC):
    """A family's tasks, running where the executor put them."""

    @abstractmethod
    def map(self, task: Task, items: Iterable[tuple[Any, ...]]) -> Iterator[Any]:
        """``task(job, *item)`` for every item, results in item order."""

    def start(self, task: Task, items: Iterable[tuple[Any, ...]]) -> None:  # noqa: B027
        """Begin ``task`` on ``items`` before ``map`` is iterated (forked workers make their
        first chunks while this process still decides the types, ``FamilyJob.late``); a
        later ``map`` yields their results. Sessions that start nothing early ignore it."""

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


_JOB: FamilyJob | None = None  # the job of the forked session (inherited, not pickled)


class WorkerFailed(SynthgenError):
    """A worker process of the family stopped without sending its result (killed, or an
    error that could not be sent back)."""


def _serve(task: Task, worker: int, items: list[tuple[Any, ...]], conn: Any) -> None:
    """A worker's life: its share of the items, in order, each result sent as it is made.
    Sending blocks until the main process reads, which it does up to ``2 n`` results past the
    one it yields next (``_in_order``): bounded memory whatever the number of chunks."""
    _keep_heap()
    job = _JOB
    assert job is not None  # set before the fork
    job.in_worker = True  # this process's copy: no encoding threads, kept text as Arrow
    if job.late is not None:
        job.late.enter(worker)
    try:
        for item in items:
            conn.send((True, task(job, *item)))
    except BaseException as exc:  # sent back, raised there (the main process cleans up)
        try:
            conn.send((False, exc))
        except Exception:  # unpicklable: its text
            conn.send((False, WorkerFailed(f"{type(exc).__name__}: {exc}")))
    finally:
        conn.close()


class _Forked(Session):
    """``parallelism`` processes forked by ``start`` (or ``map``), item ``k`` made by process
    ``k % parallelism``; each sends its results down its own pipe and the main process yields
    them in item order. No task queue, no result-handler threads: multiprocessing.Pool's
    worker handler busy-waits while a result sits unread in its queue (2.8 CPU s of a
    two-worker scale-1000 run at real-time priority), and its tasks and results go through
    one shared queue each."""

    def __init__(self, job: FamilyJob, parallelism: int):
        self.job, self.parallelism = job, parallelism
        self.procs: list[Any] = []
        self.conns: list[Any] = []
        self.count: int | None = None

    def start(self, task: Task, items: Iterable[tuple[Any, ...]]) -> None:
        """Fork the workers; they inherit ``items`` and the job (nothing is pickled)."""
        global _JOB
        items = list(items)
        self.count = len(items)
        n = min(self.parallelism, len(items))
        ctx = mp.get_context("fork")
        _JOB = self.job
        gc.freeze()  # objects made so far are not scanned again, so forked pages stay shared
        try:
            for w in range(n):
                recv, send = ctx.Pipe(duplex=False)
                proc = ctx.Process(target=_serve, args=(task, w, items[w::n], send), daemon=True)
                proc.start()
                send.close()
                self.procs.append(proc)
                self.conns.append(recv)
        finally:
            _JOB = None
            gc.unfreeze()

    def map(self, task: Task, items: Iterable[tuple[Any, ...]]) -> Iterator[Any]:
        """Ordered results (of the items ``start`` was given, if it was called)."""
        if self.count is None:
            self.start(task, items)
        assert self.count is not None
        try:
            if self.conns:
                yield from _in_order(self.conns, self.count)
            for proc in self.procs:
                proc.join()
        finally:
            self._end_workers()

    def _end_workers(self) -> None:
        for proc in self.procs:
            if proc.is_alive():
                proc.kill()
            proc.join()
        for conn in self.conns:
            conn.close()
        self.procs, self.conns, self.count = [], [], None

    def close(self) -> None:
        """End the workers still running (the family failed or stopped early)."""
        self._end_workers()
        if self.job.late is not None:
            self.job.late.close()


def _in_order(conns: list[Any], count: int) -> Iterator[Any]:
    """Results ``0 .. count - 1`` (result ``k`` from worker ``k % len(conns)``), each read as
    soon as its worker sends it rather than in order: a result (~2 MB at scale 1000) does not
    fit a pipe, so a worker whose result waited for the one before it (from another worker)
    could not start its next chunk. At most ``2 * n`` results wait here; errors are raised
    in chunk order too."""
    n = len(conns)
    ready: dict[int, Any] = {}
    expected = list(range(n))  # the item each worker sends next
    for k in range(count):
        while k not in ready:
            window = [conns[w] for w in range(n) if expected[w] < min(count, k + 2 * n)]
            for conn in mp_connection.wait(window):
                w = conns.index(conn)
                try:
                    ok, result = conn.recv()
                except EOFError:
                    ok, result = (
                        False,
                        WorkerFailed(
                            f"worker {w} of {n} exited before sending chunk {expected[w]}'s result"
                        ),
                    )
                ready[expected[w]] = (ok, result)
                expected[w] = expected[w] + n if ok else count  # a failed worker sends no more
        ok, result = ready.pop(k)
        if not ok:  # the first failed chunk's error (a later one's may only say it waited)
            raise result
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
        """Tasks inline for one worker; else workers forked for the family (``_Forked``)."""
        if self.parallelism == 1:
            yield _Inline(job)
            return
        session = _Forked(job, self.parallelism)
        try:
            yield session
        finally:
            session.close()


EXECUTORS: Registry[Callable[..., Executor]] = Registry("generation engine")
EXECUTORS.register("local")(LocalExecutor)
