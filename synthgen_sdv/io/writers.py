"""Table writers (CSV, Parquet): plug-ins that stream chunks to data/ and data_dirty/.

Column types come from the plan's logical types, never from a chunk's pandas dtypes, so every
chunk of a table has the same schema and files are byte-identical for the same input.
"""

from __future__ import annotations

from abc import ABC, abstractmethod
from pathlib import Path
from typing import IO

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.parquet as pq

from synthgen_sdv.generate.engine import Sink
from synthgen_sdv.registry import Registry

ARROW_TYPES = {
    "int": pa.int64(),
    "float": pa.float64(),
    "string": pa.string(),
    "bool": pa.bool_(),
    "date": pa.date32(),
    "datetime": pa.timestamp("us"),
}
CSV_FORMATS = {"date": "%Y-%m-%d", "datetime": "%Y-%m-%d %H:%M:%S"}


def to_arrow(frame: pd.DataFrame, types: dict[str, str]) -> pa.Table:
    arrays = []
    for col, kind in types.items():
        s = frame[col]
        if kind in ("date", "datetime"):
            values = pd.to_datetime(s).to_numpy()
            unit = "datetime64[D]" if kind == "date" else "datetime64[us]"
            arrays.append(pa.array(values.astype(unit), type=ARROW_TYPES[kind], from_pandas=True))
        elif kind == "string":
            arrays.append(
                pa.array(
                    s.astype(object)
                    .where(s.notna(), None)
                    .map(lambda v: v if v is None or isinstance(v, str) else str(v)),
                    type=pa.string(),
                )
            )
        else:
            arrays.append(pa.array(s, type=ARROW_TYPES[kind], from_pandas=True))
    return pa.Table.from_arrays(arrays, schema=schema_for(types))


def schema_for(types: dict[str, str]) -> pa.Schema:
    return pa.schema([pa.field(c, ARROW_TYPES[k]) for c, k in types.items()])


class TableWriter(ABC):
    """Writes one table file chunk by chunk."""

    suffix: str

    def __init__(self, path: Path, types: dict[str, str]):
        self.path, self.types = path, types

    @abstractmethod
    def write(self, frame: pd.DataFrame) -> None: ...

    @abstractmethod
    def close(self) -> None: ...


WRITERS: Registry[type[TableWriter]] = Registry("output format")


@WRITERS.register("parquet")
class ParquetWriter(TableWriter):
    suffix = ".parquet"

    def __init__(self, path: Path, types: dict[str, str]):
        super().__init__(path, types)
        self._writer = pq.ParquetWriter(path, schema_for(types), compression="zstd")

    def write(self, frame: pd.DataFrame) -> None:
        if len(frame):
            self._writer.write_table(to_arrow(frame, self.types))

    def close(self) -> None:
        self._writer.close()


@WRITERS.register("csv")
class CsvWriter(TableWriter):
    """Header row, empty field = NULL, ISO dates, booleans as true/false."""

    suffix = ".csv"

    def __init__(self, path: Path, types: dict[str, str]):
        super().__init__(path, types)
        self._file: IO[str] = open(path, "w", encoding="utf-8", newline="")  # noqa: SIM115
        pd.DataFrame(columns=list(types)).to_csv(self._file, index=False, lineterminator="\n")

    def write(self, frame: pd.DataFrame) -> None:
        if not len(frame):
            return
        out = {}
        for col, kind in self.types.items():
            s = frame[col]
            if kind in CSV_FORMATS:
                out[col] = pd.to_datetime(s).dt.strftime(CSV_FORMATS[kind])
            elif kind == "bool":
                out[col] = s.map({True: "true", False: "false"}, na_action="ignore")
            elif kind == "float":
                out[col] = s.astype(float).map(_float_text, na_action="ignore")
            else:
                out[col] = s
        pd.DataFrame(out).to_csv(self._file, index=False, header=False, lineterminator="\n")

    def close(self) -> None:
        self._file.close()


def _float_text(v: float) -> str:
    """Shortest round-trip text; integral floats keep '.0' so readers see a float."""
    return repr(float(v)) if np.isfinite(v) else ""


class FileSink(Sink):
    """Streams clean chunks to data/ and dirty chunks to data_dirty/, in every format asked."""

    def __init__(self, root: Path, formats: list[str]):
        self.root, self.formats = root, formats
        self._clean: dict[str, list[TableWriter]] = {}
        self._dirty: dict[str, list[TableWriter]] = {}
        self.files: dict[str, dict[str, str]] = {}
        self.dirty_files: dict[str, dict[str, str]] = {}

    def _open(self, folder: str, table: str, types: dict[str, str], record: dict) -> list:
        (self.root / folder).mkdir(parents=True, exist_ok=True)
        writers = []
        for fmt in self.formats:
            cls = WRITERS.get(fmt)
            rel = f"{folder}/{table}{cls.suffix}"
            writers.append(cls(self.root / rel, types))
            record.setdefault(table, {})[fmt] = rel
        return writers

    def begin(self, table, types, dirty_types) -> None:
        self._clean[table] = self._open("data", table, types, self.files)
        if dirty_types is not None:
            self._dirty[table] = self._open("data_dirty", table, dirty_types, self.dirty_files)

    def write(self, table, frame, dirty) -> None:
        for w in self._clean[table]:
            w.write(frame)
        if dirty is not None:
            for w in self._dirty[table]:
                w.write(dirty)

    def end(self, table) -> None:
        for w in [*self._clean.pop(table, []), *self._dirty.pop(table, [])]:
            w.close()
