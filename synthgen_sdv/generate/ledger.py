"""Row counts of finished chunks, shared by the worker processes of one family.

Keys of driven tables run on across chunks, so a chunk needs the row counts of every chunk
before it. Local workers take chunks in order, so instead of a pre-pass that counts every
chunk first, each worker makes its chunk, posts its counts here, and waits only until the
chunks before it have posted theirs (they were taken earlier, so they are being made or done:
the wait is short and cannot deadlock). Then it numbers its keys and encodes. Spark tasks run
in any order, so Spark uses the pre-pass instead (``prepass``); both give the same offsets.
"""

from __future__ import annotations

import multiprocessing as mp
from typing import Any

from synthgen_sdv.core.errors import SynthgenError


class ChunkFailed(SynthgenError):
    """Another chunk of the family failed; this one cannot number its keys."""


class Ledger:
    """Per-chunk row counts of the family's member tables, in shared memory (``fork``)."""

    def __init__(self, n_chunks: int, members: tuple[str, ...], context: Any | None = None):
        ctx = context or mp.get_context("fork")
        self.members = members
        self.n_chunks = n_chunks
        self._counts = ctx.Array("q", n_chunks * len(members), lock=False)
        self._posted = ctx.Array("b", n_chunks, lock=False)
        self._failed = ctx.Value("b", 0, lock=False)
        self._cond = ctx.Condition()

    def post(self, chunk: int, rows: dict[str, int]) -> None:
        """Record chunk ``chunk``'s rows per member table."""
        k = len(self.members)
        with self._cond:
            for i, name in enumerate(self.members):
                self._counts[chunk * k + i] = rows[name]
            self._posted[chunk] = 1
            self._cond.notify_all()

    def fail(self) -> None:
        """Tell the waiting workers that a chunk failed (they stop instead of waiting)."""
        with self._cond:
            self._failed.value = 1
            self._cond.notify_all()

    def offsets(self, chunk: int) -> dict[str, int]:
        """The first row of chunk ``chunk`` in each member table, once every earlier chunk
        has posted its counts."""
        k = len(self.members)
        with self._cond:
            while not all(self._posted[c] for c in range(chunk)):
                if self._failed.value:
                    raise ChunkFailed("a chunk before this one failed")
                self._cond.wait(timeout=1.0)
            totals = [0] * k
            for c in range(chunk):
                for i in range(k):
                    totals[i] += self._counts[c * k + i]
        return dict(zip(self.members, totals, strict=True))


class Late:
    """What a family's forked workers learn after they started: the types and where each
    table's pieces go. Worker 0 makes chunk 0 first anyway: it decides the types from it and
    sends them up (``decide``); the main process begins the files and sends (types,
    placement) down to every worker (``send``), which reads it before encoding (``get``).
    So no process makes chunk 0's value-typed columns twice (the main process used to probe
    them, 0.04-0.09 CPU s of a ~0.9 CPU s scale-100 run, on a core the workers needed).

    One pipe per worker down, written once by the main process and read once by the worker
    (which knows its index from ``enter``, called after the fork); one pipe up from worker 0."""

    def __init__(self, workers: int, context: Any | None = None):
        ctx = context or mp.get_context("fork")
        self._pipes = [ctx.Pipe(duplex=False) for _ in range(workers)]
        self._up = ctx.Pipe(duplex=False)  # worker 0 -> the main process: chunk 0's types
        self.worker: int | None = None  # set in a worker's copy
        self._value: Any = None

    def enter(self, worker: int) -> None:
        """In a worker, after the fork: its index; only worker 0 keeps the pipe up open (so
        the main process sees it close if worker 0 stops before deciding)."""
        self.worker = worker
        self._up[0].close()
        if worker != 0:
            self._up[1].close()

    def forked(self) -> None:
        """In the main process, once the workers are forked: its end of the pipe up is read
        only."""
        self._up[1].close()

    def decide(self, types: Any) -> None:
        """In worker 0: the types chunk 0 decided, sent up (small: the pipe holds it)."""
        assert self.worker == 0, "only worker 0 makes chunk 0"
        self._up[1].send(types)
        self._up[1].close()

    def decided(self) -> Any:
        """In the main process: the types worker 0 sent, or None if it stopped before (its
        error comes with its results)."""
        try:
            return self._up[0].recv()
        except EOFError:
            return None

    def send(self, value: Any) -> None:
        """Give every worker ``value`` (small: a pipe holds it without a reader)."""
        for _, send in self._pipes:
            send.send(value)

    def get(self) -> Any:
        """In a worker: the value the main process sent (waits for it, once)."""
        if self._value is None:
            assert self.worker is not None, "Late.get outside a forked worker"
            try:
                self._value = self._pipes[self.worker][0].recv()
            except EOFError:
                raise ChunkFailed("the main process stopped before deciding the types") from None
        return self._value

    def close(self) -> None:
        """Close the pipes (the main process, when the family ends)."""
        for recv, send in [*self._pipes, self._up]:
            recv.close()
            send.close()
