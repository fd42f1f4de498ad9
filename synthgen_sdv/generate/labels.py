"""The labels of a run, collected in chunk order: rows each anomaly touched, hidden entity links.

Labels grow with the data (about 1 % of the rows of corrupted tables, and one entity link per
legacy customer), so they are never held whole: each anomaly's keys, and each group of entity
links, stay in labels.json while small (``INLINE_MAX``) and past that stream into a Parquet
file beside it (``metadata/labels/``), written a block at a time. labels.json then names the
file and its row count (``rows_file`` / ``entity_link_files``); ``io.reader.load_labels`` reads
both forms.
"""

from __future__ import annotations

from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import dataclass, field
from functools import partial
from pathlib import Path
from typing import Any

import pyarrow as pa
import pyarrow.parquet as pq

from synthgen_sdv.io import layout
from synthgen_sdv.schema.plan import Plan

#: rows of one anomaly (or links of one column) kept inline in labels.json
INLINE_MAX = 10_000
_BLOCK = 262_144  # rows per row group of a label file


@dataclass
class _Stream:
    """One growing list of labels: inline until it outgrows INLINE_MAX, then a Parquet file."""

    relative: str  # the file's path in the output folder, if it spills
    names: tuple[str, ...]  # Parquet column names
    buffer: list[tuple[pa.Array, ...]] = field(default_factory=list)
    buffered: int = 0
    rows: int = 0
    writer: pq.ParquetWriter | None = None
    #: blocks being written by the collector's label thread, in order (``flush``)
    pending: list[Future[None]] = field(default_factory=list)
    thread: ThreadPoolExecutor | None = None

    def add(self, arrays: tuple[pa.Array, ...], root: Path | None) -> None:
        if not len(arrays[0]):
            return
        self.buffer.append(arrays)
        self.buffered += len(arrays[0])
        self.rows += len(arrays[0])
        if root is None:
            return
        # spill once past INLINE_MAX, then write a block at a time (not a row group per chunk)
        if self.buffered >= _BLOCK if self.writer is not None else self.rows > INLINE_MAX:
            self.flush(root)

    def _table(self) -> pa.Table:
        return _joined(self.names, self.buffer)

    def flush(self, root: Path) -> None:
        """Write the buffered block: joined and encoded in ``thread`` when there is one (a
        block of 262,144 entity links is ~0.06 CPU s of zstd Parquet, off the thread that
        gathers chunks), blocks in order, so the file's bytes are the same."""
        if not self.buffer:
            return
        buffer, self.buffer, self.buffered = self.buffer, [], 0
        if self.writer is None:  # the file is made here, in the (staged) output folder
            path = layout.inside(root, self.relative, "label file")
            path.parent.mkdir(parents=True, exist_ok=True)
            schema = pa.schema([(n, a.type) for n, a in zip(self.names, buffer[0], strict=True)])
            self.writer = pq.ParquetWriter(path, schema, compression="zstd")
        write = partial(_write_block, self.writer, self.names, buffer)
        if self.thread is None:
            write()
        else:
            self.pending.append(self.thread.submit(write))

    def close(self, root: Path | None) -> bool:
        """Finish; True when the labels went to a file."""
        if self.writer is None:
            return False
        assert root is not None
        self.flush(root)
        self.wait()
        self.writer.close()
        return True

    def wait(self) -> None:
        """Every block handed to the label thread written (its error raised here)."""
        pending, self.pending = self.pending, []
        for future in pending:
            future.result()

    def inline(self) -> list[tuple[Any, ...]]:
        if not self.buffer:
            return []
        return list(zip(*(c.to_pylist() for c in self._table().columns), strict=True))


def _joined(names: tuple[str, ...], buffer: list[tuple[pa.Array, ...]]) -> pa.Table:
    columns = [pa.concat_arrays([b[i] for b in buffer]) for i in range(len(names))]
    return pa.Table.from_arrays(columns, names=list(names))


def _write_block(
    writer: pq.ParquetWriter, names: tuple[str, ...], buffer: list[tuple[pa.Array, ...]]
) -> None:
    writer.write_table(_joined(names, buffer))


class LabelCollector:
    """Keys touched per anomaly and entity links, added chunk by chunk in the main process;
    the ones that grow large go to files in the (staged) output folder ``root``, if any."""

    def __init__(self, plan: Plan, root: Path | None = None):
        self.plan, self.root = plan, root
        self._touched: dict[int, _Stream] = {}
        self._links: dict[tuple[str, str], _Stream] = {}
        self._closed = False
        #: writes the label files' blocks while chunks keep arriving (``_Stream.flush``)
        self._thread = None if root is None else ThreadPoolExecutor(1, "labels")

    def _stream(self, relative: str, names: tuple[str, ...]) -> _Stream:
        return _Stream(relative, names, thread=self._thread)

    def wait(self) -> None:
        """Every label block handed to the label thread written: before forking workers (no
        thread busy inside Arrow when the process forks) and at the end."""
        for stream in [*self._touched.values(), *self._links.values()]:
            stream.wait()

    def add(
        self,
        table: str,
        chunk: int,
        touched: dict[int, pa.Array],
        links: dict[str, tuple[pa.Array, pa.Array]],
    ) -> None:
        """One chunk's labels of ``table`` (chunks arrive in order)."""
        for i, rows in touched.items():
            anomaly = self.plan.anomalies[i]
            name = f"{anomaly.table}.{anomaly.kind}.{i}"
            stream = self._touched.get(i) or self._touched.setdefault(
                i, self._stream(f"{layout.LABELS_DIR}/{name}.parquet", ("key",))
            )
            stream.add((rows,), self.root)
        for col, (keys, targets) in links.items():
            stream = self._links.get((table, col)) or self._links.setdefault(
                (table, col),
                self._stream(
                    f"{layout.LABELS_DIR}/entity_links.{table}.{col}.parquet", ("key", "links_to")
                ),
            )
            stream.add((keys, targets), self.root)

    def close(self) -> None:
        """Finish the label files (once every chunk is in)."""
        if not self._closed:
            try:
                for stream in [*self._touched.values(), *self._links.values()]:
                    stream.close(self.root)
            finally:
                if self._thread is not None:
                    self._thread.shutdown()
            self._closed = True

    def anomalies(self) -> list[dict[str, Any]]:
        """Every configured anomaly with the primary keys of the rows it touched (inline, or
        the file that holds them)."""
        self.close()
        out = []
        for i, anomaly in enumerate(self.plan.anomalies):
            tp = self.plan.tables[anomaly.table]
            stream = self._touched.get(i)
            entry: dict[str, Any] = {
                "id": f"{anomaly.table}.{anomaly.kind}.{i}",
                "kind": anomaly.kind,
                "table": anomaly.table,
                "column": anomaly.column,
                "primary_key": tp.primary_key,
                "rows": [],
                "row_count": stream.rows if stream else 0,
                "params": anomaly.params(),
                "description": anomaly.description or type(anomaly).__doc__.strip().splitlines()[0],
            }
            if stream is not None and stream.writer is not None:
                entry["rows_file"] = stream.relative
            elif stream is not None:
                entry["rows"] = [row[0] for row in stream.inline()]
            out.append(entry)
        return out

    def _link_groups(self) -> list[tuple[str, str, str, _Stream]]:
        self.close()
        return [
            (table, col, self.plan.tables[table].columns[col].foreign_key_target or "", stream)
            for (table, col), stream in self._links.items()
        ]

    def entity_links(self) -> list[dict[str, Any]]:
        """Rows of ``ground_truth`` lookups and the row each one is secretly linked to (the
        groups small enough to stay inline)."""
        out = []
        for table, col, target, stream in self._link_groups():
            if stream.writer is None:
                out.extend(
                    {"table": table, "key": k, "links_to": {"table": target, "key": t}, "via": col}
                    for k, t in stream.inline()
                )
        return out

    def entity_link_files(self) -> list[dict[str, Any]]:
        """The groups of entity links written to Parquet (columns ``key``, ``links_to``)."""
        return [
            {"table": table, "via": col, "links_to": target, "file": s.relative, "rows": s.rows}
            for table, col, target, s in self._link_groups()
            if s.writer is not None
        ]
