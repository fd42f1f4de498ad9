"""Tables too large to hold, kept on disk as one Parquet part per batch and read back in slices.

A sample at scale is drawn in batches of root rows (``synth.batches``). Instead of gathering the
batches into whole frames, each batch's table is written here as it is sampled (``Spill``), and
the writer reads the rows it needs a chunk at a time (``SpilledTable.iloc``), so the peak memory
of a sample does not grow with its size. A ``SpilledTable`` answers what the engine asks of a
given (pinned) table: its length, its columns, a slice of rows, one column (for lookups by
popularity: those are kept once read, as a generated dimension's looked-up columns are).

Each part keeps the pandas types of its batch (Arrow's pandas metadata), so a slice reads back
the frame the batch was, byte for byte once written.
"""

from __future__ import annotations

import bisect
import shutil
import tempfile
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pandas as pd
import pyarrow as pa
import pyarrow.parquet as pq

#: a spill part is read back often and lives minutes: fast codec, no dictionary guessing
_CODEC = "lz4"


class SpilledTable:
    """A table as Parquet parts on disk, read like the frame it stands for (``len``,
    ``columns``, ``iloc[a:b]``, ``table[col]``, ``frame()``)."""

    def __init__(
        self,
        name: str,
        parts: list[Path],
        rows: list[int],
        columns: list[str],
        dtypes: list[dict[str, Any]] | None = None,
    ):
        self.name, self.parts, self.rows = name, parts, rows
        self.dtypes = dtypes or [{} for _ in parts]  # each part's pandas types, as written
        self._columns = pd.Index(columns)
        self.starts = [0]
        for n in rows:
            self.starts.append(self.starts[-1] + n)
        self._kept: dict[str, pd.Series] = {}
        self._asked: set[str] = set()
        self._last: tuple[int, pd.DataFrame] | None = None  # the part read last (chunks walk on)

    def __len__(self) -> int:
        return self.starts[-1]

    def __getstate__(self) -> dict[str, Any]:  # to a Spark task: paths, not what was read
        return {**self.__dict__, "_kept": {}, "_asked": set(), "_last": None}

    @property
    def columns(self) -> pd.Index:
        """The table's columns."""
        return self._columns

    @property
    def empty(self) -> bool:
        """Whether the table has no rows."""
        return len(self) == 0

    @property
    def iloc(self) -> _Rows:
        """Rows by position: only slices (what the engine reads of a given table)."""
        return _Rows(self)

    def _part(self, i: int) -> pd.DataFrame:
        if self._last is None or self._last[0] != i:
            self._last = (i, _frame(pq.read_table(self.parts[i]), self.dtypes[i]))
        return self._last[1]

    def rows_between(self, start: int, stop: int) -> pd.DataFrame:
        """Rows ``start`` to ``stop`` (exclusive) as a frame with a fresh index."""
        start, stop = max(0, start), min(len(self), stop)
        if stop <= start:
            return self._part(0).iloc[0:0].reset_index(drop=True) if self.parts else pd.DataFrame()
        first = bisect.bisect_right(self.starts, start) - 1
        pieces = []
        i = first
        while i < len(self.parts) and self.starts[i] < stop:
            part = self._part(i)
            lo, hi = max(start - self.starts[i], 0), min(stop - self.starts[i], self.rows[i])
            pieces.append(part.iloc[lo:hi])
            i += 1
        out = pieces[0] if len(pieces) == 1 else pd.concat(pieces, ignore_index=True)
        return out.reset_index(drop=True)

    def __getitem__(self, key: str | list[str]) -> Any:
        if isinstance(key, list):
            return self.frame()[key]
        if key in self._kept:
            return self._kept[key]
        if key not in self._columns:
            raise KeyError(key)
        pieces = [
            _frame(pq.read_table(p, columns=[key]), d)[key]
            for p, d in zip(self.parts, self.dtypes, strict=True)
        ]
        column = pieces[0] if len(pieces) == 1 else pd.concat(pieces, ignore_index=True)
        if key in self._asked:  # read again: a lookup's column, kept (once is a scan: not)
            self._kept[key] = column
        self._asked.add(key)
        return column

    def frames(self) -> Iterator[pd.DataFrame]:
        """The table a part (one batch) at a time."""
        for path, dtypes in zip(self.parts, self.dtypes, strict=True):
            yield _frame(pq.read_table(path), dtypes)

    def frame(self) -> pd.DataFrame:
        """The whole table in memory (for callers that need it whole, e.g. a report)."""
        pieces = list(self.frames())
        return pieces[0] if len(pieces) == 1 else pd.concat(pieces, ignore_index=True)

    def memory_usage(self, deep: bool = True) -> pd.Series:
        """Bytes held in memory: the kept (looked-up) columns only."""
        return pd.Series({c: int(s.memory_usage(deep=deep)) for c, s in self._kept.items()})


def _frame(table: pa.Table, dtypes: dict[str, Any]) -> pd.DataFrame:
    """A part back in pandas, in the types its frame had: Arrow's pandas metadata restores
    most; Arrow-backed columns and the string storage it does not are set again."""
    arrow = [c for c in table.column_names if isinstance(dtypes.get(c), pd.ArrowDtype)]
    frame = table.drop_columns(arrow).to_pandas() if arrow else table.to_pandas()
    columns = {}
    for c in table.column_names:
        if c in arrow:
            columns[c] = pd.Series(pd.arrays.ArrowExtensionArray(table.column(c)))
        elif c in dtypes and frame[c].dtype != dtypes[c]:
            columns[c] = frame[c].astype(dtypes[c])
    if not columns:
        return frame
    return pd.DataFrame({c: columns.get(c, frame.get(c)) for c in table.column_names})


class _Rows:
    """``SpilledTable.iloc``: a slice of rows."""

    def __init__(self, table: SpilledTable):
        self.table = table

    def __getitem__(self, key: slice) -> pd.DataFrame:
        if not isinstance(key, slice) or key.step not in (None, 1):
            raise TypeError("a spilled table reads slices of rows only")
        start = 0 if key.start is None else key.start
        stop = len(self.table) if key.stop is None else key.stop
        return self.table.rows_between(start, stop)


class Spill:
    """A folder of spilled tables, written a batch at a time and removed by ``close``.

    The folder is hidden beside the output (same disk, not a RAM-backed /tmp), or in the
    system's temporary folder when no place is given.
    """

    def __init__(self, near: Path | None = None):
        parent = Path(near) if near is not None else None
        if parent is not None:
            parent.mkdir(parents=True, exist_ok=True)
        self.root = Path(tempfile.mkdtemp(prefix=".synthgen-spill-", dir=parent))
        self._parts: dict[str, list[Path]] = {}
        self._rows: dict[str, list[int]] = {}
        self._columns: dict[str, list[str]] = {}
        self._dtypes: dict[str, list[dict[str, Any]]] = {}

    def append(self, name: str, frame: pd.DataFrame) -> None:
        """Write ``frame`` as the next part of table ``name``."""
        parts = self._parts.setdefault(name, [])
        path = self.root / f"{list(self._parts).index(name)}-{len(parts):06d}.parquet"
        table = pa.Table.from_pandas(frame, preserve_index=False)
        pq.write_table(table, path, compression=_CODEC, use_dictionary=False)
        parts.append(path)
        self._rows.setdefault(name, []).append(len(frame))
        self._columns.setdefault(name, list(map(str, frame.columns)))
        self._dtypes.setdefault(name, []).append({str(c): frame[c].dtype for c in frame.columns})

    def tables(self) -> dict[str, SpilledTable]:
        """Every table appended to, readable."""
        return {
            n: SpilledTable(n, list(p), list(self._rows[n]), self._columns[n], self._dtypes[n])
            for n, p in self._parts.items()
        }

    def close(self) -> None:
        """Remove the folder and everything in it."""
        shutil.rmtree(self.root, ignore_errors=True)

    def __enter__(self) -> Spill:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()


def first_batch(table: Any) -> pd.DataFrame:
    """``table``'s first batch (a frame as it is): a sample too large to read whole is scored
    on it, since a batch holds whole root rows with all their descendants (its foreign keys
    resolve inside it) and at least the fitted rows (``synth.batches.batch_scale`` >= 1)."""
    if isinstance(table, SpilledTable) and table.parts:
        return next(table.frames())
    return in_memory(table)


def in_memory(table: Any) -> pd.DataFrame:
    """``table`` as a frame: a spilled table read whole, a frame as it is."""
    return table.frame() if isinstance(table, SpilledTable) else table
