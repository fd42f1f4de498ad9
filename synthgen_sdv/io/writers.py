"""Table writers (CSV, Parquet): plug-ins that stream chunks to data/ and data_dirty/.

Column types come from the plan's logical types, never from a chunk's pandas dtypes, so every
chunk of a table has the same schema and files are byte-identical for the same input.
"""

from __future__ import annotations

from abc import ABC, abstractmethod
from pathlib import Path

import pandas as pd
import pyarrow as pa
import pyarrow.csv as pacsv
import pyarrow.parquet as pq

from synthgen_sdv.core.registry import Registry
from synthgen_sdv.io import layout
from synthgen_sdv.io.sink import Sink

ARROW_TYPES = {
    "int": pa.int64(),
    "float": pa.float64(),
    "string": pa.string(),
    "bool": pa.bool_(),
    "date": pa.date32(),
    "datetime": pa.timestamp("us"),
}


def to_arrow(frame: pd.DataFrame, types: dict[str, str]) -> pa.Table:
    """One Arrow table of ``frame`` in the declared logical ``types`` (the same schema for every
    chunk)."""
    arrays = []
    for col, kind in types.items():
        s = frame[col]
        if kind in ("date", "datetime"):
            values = pd.to_datetime(s).to_numpy()
            unit = "datetime64[D]" if kind == "date" else "datetime64[us]"
            arrays.append(pa.array(values.astype(unit), type=ARROW_TYPES[kind], from_pandas=True))
        elif kind == "string":
            arrays.append(_strings(s))
        else:
            arrays.append(pa.array(s, type=ARROW_TYPES[kind], from_pandas=True))
    return pa.Table.from_arrays(arrays, schema=schema_for(types))


def _strings(s: pd.Series) -> pa.Array:
    try:
        return pa.array(s, type=pa.string(), from_pandas=True)
    except (pa.ArrowTypeError, pa.ArrowInvalid):  # mixed values (e.g. drifted numbers): as text
        return pa.array(s.map(lambda v: None if pd.isna(v) else str(v)), type=pa.string())


def schema_for(types: dict[str, str]) -> pa.Schema:
    """The Arrow schema of logical ``types``."""
    return pa.schema([pa.field(c, ARROW_TYPES[k]) for c, k in types.items()])


class TableWriter(ABC):
    """Writes one table file chunk by chunk."""

    suffix: str

    def __init__(self, path: Path, types: dict[str, str]):
        self.path, self.types = path, types

    @abstractmethod
    def write(self, table: pa.Table) -> None:
        """Append a chunk (an Arrow table in the declared types)."""

    @abstractmethod
    def close(self) -> None:
        """Finish the file (a writer holds it open between chunks)."""


WRITERS: Registry[type[TableWriter]] = Registry("output format")


@WRITERS.register("parquet")
class ParquetWriter(TableWriter):
    """Parquet files, zstd-compressed."""

    suffix = ".parquet"

    def __init__(self, path: Path, types: dict[str, str]):
        super().__init__(path, types)
        self._writer = pq.ParquetWriter(path, schema_for(types), compression="zstd")

    def write(self, table: pa.Table) -> None:
        """Append a chunk (empty chunks write nothing)."""
        if table.num_rows:
            self._writer.write_table(table)

    def close(self) -> None:
        """Finish the file."""
        self._writer.close()


@WRITERS.register("csv")
class CsvWriter(TableWriter):
    """Arrow's CSV writer: header row, empty field = NULL ("" = empty text), ISO dates."""

    suffix = ".csv"

    def __init__(self, path: Path, types: dict[str, str]):
        super().__init__(path, types)
        self._writer = pacsv.CSVWriter(
            str(path), schema_for(types), write_options=pacsv.WriteOptions(quoting_style="needed")
        )

    def write(self, table: pa.Table) -> None:
        """Append a chunk (empty chunks write nothing)."""
        if table.num_rows:
            self._writer.write_table(table)

    def close(self) -> None:
        """Finish the file."""
        self._writer.close()


class FileSink(Sink):
    """Streams clean chunks to data/ and dirty chunks to data_dirty/, in every format asked."""

    def __init__(self, root: Path, formats: list[str]):
        self.root, self.formats = root, formats
        self._clean: dict[str, list[TableWriter]] = {}
        self._dirty: dict[str, list[TableWriter]] = {}
        self.files: dict[str, dict[str, str]] = {}
        self.dirty_files: dict[str, dict[str, str]] = {}

    def _open(
        self,
        folder: str,
        table: str,
        types: dict[str, str],
        record: dict[str, dict[str, str]],
    ) -> list[TableWriter]:
        (self.root / folder).mkdir(parents=True, exist_ok=True)
        writers = []
        for fmt in self.formats:
            cls = WRITERS.get(fmt)
            path = layout.table_path(self.root, folder, table, cls.suffix)
            writers.append(cls(path, types))
            record.setdefault(table, {})[fmt] = layout.table_file(folder, table, cls.suffix)
        return writers

    def begin(self, table: str, types: dict[str, str], dirty_types: dict[str, str] | None) -> None:
        """Open the table's files in data/ (and data_dirty/ when it has a dirty variant)."""
        self._clean[table] = self._open(layout.DATA, table, types, self.files)
        if dirty_types is not None:
            self._dirty[table] = self._open(layout.DATA_DIRTY, table, dirty_types, self.dirty_files)

    def write(self, table: str, frame: pd.DataFrame, dirty: pd.DataFrame | None) -> None:
        """Append a chunk to the table's files, the dirty copy to its data_dirty/ files."""
        self._write(self._clean[table], frame)
        if dirty is not None:
            self._write(self._dirty[table], dirty)

    @staticmethod
    def _write(writers: list[TableWriter], frame: pd.DataFrame) -> None:
        if writers and len(frame):
            arrow = to_arrow(frame, writers[0].types)  # converted once for every format
            for w in writers:
                w.write(arrow)

    def end(self, table: str) -> None:
        """Close the table's files."""
        for w in [*self._clean.pop(table, []), *self._dirty.pop(table, [])]:
            w.close()


def to_logical_types(frame: pd.DataFrame, types: dict[str, str]) -> pd.DataFrame:
    """``frame`` with each column in its logical type, index reset.

    Tables that did not come from the engine (sampled by SDV, which may hand back floats for
    integers, or read from a user's files) are made to fit the writers' types first.
    """
    out = {}
    for col in frame.columns:
        s, kind = frame[col], types.get(col, "string")
        if kind == "int":
            s = pd.to_numeric(s, errors="coerce").round().astype("Int64")
        elif kind == "float":
            s = pd.to_numeric(s, errors="coerce").astype("float64")
        elif kind in ("date", "datetime"):
            s = pd.to_datetime(s, errors="coerce")
            if kind == "date":
                s = s.dt.normalize()
        elif kind == "bool":
            s = s.astype("boolean")
        else:
            s = s.astype(object).where(s.notna(), None)
        out[col] = s
    return pd.DataFrame(out, index=frame.index).reset_index(drop=True)
