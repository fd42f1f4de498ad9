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
