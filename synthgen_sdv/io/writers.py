"""Table formats (CSV, Parquet): plug-ins that encode chunks as pieces and append them to
data/ and data_dirty/.

A chunk is encoded where it is made (a worker, a Spark task) as a self-contained piece; the
main process appends pieces in chunk order to one file per table (``FileSink``), so files are
the same whichever process encoded which chunk. Column types come from the plan's logical
types, never from a chunk's pandas dtypes, so every piece of a table has the same schema.
"""

from __future__ import annotations

import os
from abc import ABC, abstractmethod
from collections import deque
from collections.abc import Mapping
from concurrent.futures import Future, ThreadPoolExecutor, wait
from pathlib import Path
from typing import Any, BinaryIO

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.csv as pacsv
import pyarrow.parquet as pq

from synthgen_sdv.core.registry import Registry
from synthgen_sdv.core.values import text
from synthgen_sdv.io import layout
from synthgen_sdv.io.parquet_append import ParquetAppender, encode_piece, encode_view, place_piece
from synthgen_sdv.io.sink import Piece, Placed, Prepared, Sink

ARROW_TYPES = {
    "int": pa.int64(),
    "float": pa.float64(),
    "string": pa.string(),
    "bool": pa.bool_(),
    "date": pa.date32(),
    "datetime": pa.timestamp("us"),
}


def to_arrow(frame: pd.DataFrame | Mapping[str, pd.Series], types: dict[str, str]) -> pa.Table:
    """One Arrow table of ``frame`` (or its columns) in the declared logical ``types`` (the same
    schema for every chunk)."""
    arrays = [_column(frame[col], kind) for col, kind in types.items()]
    return pa.Table.from_arrays(arrays, schema=schema_for(types))


def _column(s: pd.Series, kind: str) -> pa.Array:
    if kind in ("date", "datetime"):
        if not pd.api.types.is_datetime64_any_dtype(s.dtype):
            s = pd.to_datetime(s)
        values = s.to_numpy().astype("datetime64[D]" if kind == "date" else "datetime64[us]")
        return pa.array(values, type=ARROW_TYPES[kind], from_pandas=True)
    if kind == "string":
        return _strings(s)
    if isinstance(s.dtype, np.dtype) and s.dtype.kind == {"int": "i", "float": "f"}.get(kind):
        return pa.array(s.to_numpy(), type=ARROW_TYPES[kind], from_pandas=True)
    return pa.array(s, type=ARROW_TYPES[kind], from_pandas=True)


def _strings(s: pd.Series) -> pa.Array:
    if isinstance(s.dtype, pd.ArrowDtype):
        arr = pa.array(s)
        arr = arr.combine_chunks() if isinstance(arr, pa.ChunkedArray) else arr
        if arr.type == pa.string():
            return arr
    if len(s) == 0:  # an empty column keeps its declared type, whatever pandas typed it
        return pa.array([], type=pa.string())
    try:
        return pa.array(s, type=pa.string(), from_pandas=True)
    except (pa.ArrowTypeError, pa.ArrowInvalid):  # mixed values (e.g. drifted numbers): as text
        return pa.array(
            s.map(lambda v: None if pd.isna(v) else str(v)), type=pa.string(), from_pandas=True
        )


def schema_for(types: dict[str, str]) -> pa.Schema:
    """The Arrow schema of logical ``types``."""
    return pa.schema([pa.field(c, ARROW_TYPES[k]) for c, k in types.items()])


class TableFormat(ABC):
    """An output format: encodes a chunk as a self-contained piece, and appends pieces, in
    order, into one file per table (so pieces can be encoded by any process)."""

    suffix: str

    @abstractmethod
    def encode(self, table: pa.Table, compression: str = "snappy") -> bytes:
        """One chunk (an Arrow table in the declared types) as a piece."""

    @abstractmethod
    def open(self, path: Path, schema: pa.Schema, compression: str = "snappy") -> Appender:
        """The table's file, ready to take pieces (encoded with the same ``compression``)."""

    def place(self, piece: bytes) -> tuple[bytes, Any]:
        """The bytes of ``piece`` that go into the table's file, and what the appender needs
        to know of them (formats whose pieces carry a footer parse it here, in the worker)."""
        return piece, None

    def prepare(self, table: pa.Table, compression: str = "snappy") -> Prepared:
        """``place(encode(table))`` for a piece that stays in this process (its body may be a
        view of the encoder's buffer rather than bytes)."""
        return Prepared(*self.place(self.encode(table, compression)))


class Appender(ABC):
    """One table's file, taking encoded pieces in order."""

    path: Path

    @property
    @abstractmethod
    def position(self) -> int:
        """Where the next piece's bytes go in the file (workers write ``Placed`` pieces there)."""

    @abstractmethod
    def append(self, piece: Piece) -> None:
        """Add a piece (as encoded by the format, or ``Placed`` by a worker at ``position``)
        after the previous ones."""

    @abstractmethod
    def close(self) -> None:
        """Finish the file (a footer, for Parquet)."""


WRITERS: Registry[TableFormat] = Registry("output format")


def _register(name: str, fmt: TableFormat) -> None:
    WRITERS.register(name)(fmt)


#: Parquet codecs a run may choose; snappy by default (as Spark and tpcgen-cli): it encodes
#: about 1.5x faster than zstd for about 1.8x the bytes (benchmarks/bench_encoding.py)
COMPRESSIONS = ("snappy", "zstd", "lz4", "gzip", "brotli", "none")
DEFAULT_COMPRESSION = "snappy"


def parquet_options(schema: pa.Schema, compression: str = DEFAULT_COMPRESSION) -> dict[str, Any]:
    """Parquet settings of every piece of a table (the same for all pieces of one file):
    the codec, and dictionary pages only for text, where values repeat (pools, categories);
    numbers, dates and keys are mostly distinct, so a dictionary costs time and bytes.

    Integer columns (keys, counts, date keys) are delta-encoded (``DELTA_BINARY_PACKED``, a
    standard Parquet encoding every reader here decodes): a sequential key packs to a few
    bits a row and the codec then has little left to compress, so a chunk of transactions
    encodes ~20 % faster and its integer columns take a third of the bytes or less
    (benchmarks/bench_encoding.py)."""
    text = [f.name for f in schema if pa.types.is_string(f.type)]
    options: dict[str, Any] = {"compression": compression, "use_dictionary": text or False}
    ints = {f.name: "DELTA_BINARY_PACKED" for f in schema if pa.types.is_integer(f.type)}
    if ints:
        options["column_encoding"] = ints
    return options


#: pieces of one file whose bodies may wait for the writer thread (their memory is held)
WRITE_BEHIND = 4


class _ParquetAppender(Appender):
    """A table's Parquet file. Bodies of pieces encoded in this process (``Prepared``) are
    written by a writer thread at the offsets the appender gives them, so the thread that
    appends (the one-worker run's making thread) only records footers: at scale 1000 the
    writes were 0.39 of its CPU s (0.61 with the dirty copies), copying ~380 MB into the
    page cache on the run's critical path."""

    def __init__(self, path: Path, schema: pa.Schema, compression: str):
        self.path = path
        self._fh = open(path, "wb")  # noqa: SIM115 - closed in close()
        options = parquet_options(schema, compression)
        self._pending: deque[Future[None]] = deque()
        self._appender = ParquetAppender(self._fh, schema, write_at=self._write_at, **options)
        self._fh.flush()  # the magic is in the file before workers write after it

    @property
    def position(self) -> int:
        return self._appender.position

    def append(self, piece: Piece) -> None:
        self._appender.append(piece)

    def _write_at(self, body: bytes | memoryview, offset: int) -> None:
        while len(self._pending) >= WRITE_BEHIND:  # bounded: a slow disk holds few bodies
            self._pending.popleft().result()
        # the job holds the file object, not its number: a sink dropped after an error cannot
        # have it closed (and the number reused by another file) under a write still queued
        self._pending.append(_writer().submit(_pwrite, self._fh, body, offset))

    def close(self) -> None:
        try:
            while self._pending:  # every body in place before the footer goes after them
                self._pending.popleft().result()
            self._appender.close()
        finally:
            for future in self._pending:
                future.cancel()
            wait(self._pending)
            self._fh.close()


def _pwrite(fh: BinaryIO, body: bytes | memoryview, offset: int) -> None:
    fd = fh.fileno()
    view = memoryview(body)
    while view:
        n = os.pwrite(fd, view, offset)
        view, offset = view[n:], offset + n


_WRITER: tuple[int, ThreadPoolExecutor] | None = None  # (pid, pool): threads do not fork


def _writer() -> ThreadPoolExecutor:
    """This process's writer thread (made again in a forked process)."""
    global _WRITER
    if _WRITER is None or _WRITER[0] != os.getpid():
        _WRITER = (os.getpid(), ThreadPoolExecutor(1, thread_name_prefix="write"))
    return _WRITER[1]


class ParquetFormat(TableFormat):
    """Parquet, zstd-compressed; a piece is a complete small file, appended without decoding."""

    suffix = ".parquet"

    def encode(self, table: pa.Table, compression: str = DEFAULT_COMPRESSION) -> bytes:
        """A complete Parquet file of the chunk (one row group)."""
        return encode_piece(table, **parquet_options(table.schema, compression))

    def open(
        self, path: Path, schema: pa.Schema, compression: str = DEFAULT_COMPRESSION
    ) -> Appender:
        """The table's Parquet file."""
        return _ParquetAppender(path, schema, compression)

    def place(self, piece: bytes) -> tuple[bytes, Any]:
        """The piece's body; its footer decoded here (in the worker)."""
        return place_piece(piece)  # type: ignore[return-value]

    def prepare(self, table: pa.Table, compression: str = DEFAULT_COMPRESSION) -> Prepared:
        """The piece split for its file, its body a view of Arrow's buffer: the encoding
        thread copies no piece into ``bytes`` (twice: the piece, then its body), which held
        the GIL the thread making chunks waits for."""
        view = encode_view(table, **parquet_options(table.schema, compression))
        return Prepared(*place_piece(view))


_CSV_OPTIONS = {"quoting_style": "needed"}


class _CsvAppender(Appender):
    def __init__(self, path: Path, schema: pa.Schema):
        self.path = path
        self._fh = open(path, "wb")  # noqa: SIM115 - closed in close()
        header = pa.BufferOutputStream()
        pacsv.CSVWriter(header, schema, write_options=pacsv.WriteOptions(**_CSV_OPTIONS)).close()
        self._fh.write(header.getvalue().to_pybytes())
        self._fh.flush()
        self._pos = self._fh.tell()

    @property
    def position(self) -> int:
        return self._pos

    def append(self, piece: Piece) -> None:
        if isinstance(piece, Placed):
            if piece.offset != self._pos:
                raise OSError(f"{self.path}: piece placed at byte {piece.offset}, not {self._pos}")
            self._pos += piece.length
            return
        body = piece.body if isinstance(piece, Prepared) else piece
        if self._fh.tell() != self._pos:  # after pieces placed by workers
            self._fh.seek(self._pos)
        self._fh.write(body)
        self._pos += len(body)

    def close(self) -> None:
        self._fh.close()


class CsvFormat(TableFormat):
    """Arrow's CSV writer: header row, empty field = NULL ("" = empty text), ISO dates; a piece
    is the chunk's rows without the header."""

    suffix = ".csv"

    def encode(self, table: pa.Table, compression: str = DEFAULT_COMPRESSION) -> bytes:
        """The chunk's rows as CSV text, no header (CSV is not compressed)."""
        buf = pa.BufferOutputStream()
        options = pacsv.WriteOptions(include_header=False, **_CSV_OPTIONS)
        pacsv.write_csv(table, buf, write_options=options)
        return buf.getvalue().to_pybytes()

    def open(
        self, path: Path, schema: pa.Schema, compression: str = DEFAULT_COMPRESSION
    ) -> Appender:
        """The table's CSV file, its header written."""
        return _CsvAppender(path, schema)


_register("parquet", ParquetFormat())
_register("csv", CsvFormat())

Pieces = dict[tuple[str, str], Piece]  # (data | data_dirty, format) -> an encoded piece


class FileSink(Sink):
    """Appends clean pieces to data/ and dirty ones to data_dirty/, in every format asked."""

    places = True

    def __init__(self, root: Path, formats: list[str], compression: str = DEFAULT_COMPRESSION):
        self.root: Path | None = root
        self.formats = tuple(formats)
        self.compression = compression
        self._open: dict[tuple[str, str, str], Appender] = {}  # (table, folder, format)
        self._types: dict[tuple[str, str], dict[str, str]] = {}
        self.files: dict[str, dict[str, str]] = {}
        self.dirty_files: dict[str, dict[str, str]] = {}

    def _open_all(
        self, folder: str, table: str, types: dict[str, str], record: dict[str, dict[str, str]]
    ) -> None:
        root = self.root
        assert root is not None
        (root / folder).mkdir(parents=True, exist_ok=True)
        self._types[(table, folder)] = types
        for fmt in self.formats:
            writer = WRITERS.get(fmt)
            path = layout.table_path(root, folder, table, writer.suffix)
            self._open[(table, folder, fmt)] = writer.open(
                path, schema_for(types), self.compression
            )
            record.setdefault(table, {})[fmt] = layout.table_file(folder, table, writer.suffix)

    def begin(self, table: str, types: dict[str, str], dirty_types: dict[str, str] | None) -> None:
        """Open the table's files in data/ (and data_dirty/ when it has a dirty variant)."""
        self._open_all(layout.DATA, table, types, self.files)
        if dirty_types is not None:
            self._open_all(layout.DATA_DIRTY, table, dirty_types, self.dirty_files)

    def append(self, table: str, pieces: Pieces) -> None:
        """Append encoded pieces (from ``encode_chunk``) to the table's files."""
        for (folder, fmt), piece in pieces.items():
            self._open[(table, folder, fmt)].append(piece)

    def write(self, table: str, frame: pd.DataFrame, dirty: pd.DataFrame | None) -> None:
        """Encode a chunk given as frames here, and append it."""
        types = self._types[(table, layout.DATA)]
        self.append(table, encode_chunk(self.formats, layout.DATA, frame, types, self.compression))
        if dirty is not None:
            types = self._types[(table, layout.DATA_DIRTY)]
            pieces = encode_chunk(self.formats, layout.DATA_DIRTY, dirty, types, self.compression)
            self.append(table, pieces)

    def placement(self, table: str) -> dict[tuple[str, str], tuple[str, int]]:
        """(folder, format) -> (the table's file, where its next piece goes)."""
        return {
            (folder, fmt): (str(appender.path), appender.position)
            for (name, folder, fmt), appender in self._open.items()
            if name == table
        }

    def end(self, table: str) -> None:
        """Close the table's files."""
        for key in [k for k in self._open if k[0] == table]:
            self._open.pop(key).close()


def encode_chunk(
    formats: tuple[str, ...],
    folder: str,
    frame: pd.DataFrame | pa.Table,
    types: dict[str, str],
    compression: str = DEFAULT_COMPRESSION,
    prepared: bool = False,
) -> Pieces:
    """A chunk encoded in every format (nothing for an empty chunk). ``prepared``: each piece
    split for its file too (``Prepared``), as the encoding thread returns them, so the main
    thread only writes bytes."""
    table = frame if isinstance(frame, pa.Table) else to_arrow(frame, types)
    if not table.num_rows:
        return {}
    out: Pieces = {}
    for fmt in formats:
        writer = WRITERS.get(fmt)
        if prepared:
            out[(folder, fmt)] = writer.prepare(table, compression)
        else:
            out[(folder, fmt)] = writer.encode(table, compression)
    return out


# logical type -> the dtype a column already in that type has: its conversion is a no-op, and
# pd.to_datetime on a datetime column still builds a Timestamp per value for its cache check
_TYPED = ("int", "float", "date", "datetime", "bool")  # every other kind is text
READY_DTYPES = {
    "datetime": "datetime64[ns]",
    "float": "float64",
    "int": "Int64",
    "bool": "boolean",
}


def to_logical_types(frame: pd.DataFrame, types: dict[str, str]) -> pd.DataFrame:
    """``frame`` with each column in its logical type, index reset.

    Tables that did not come from the engine (sampled by SDV, which may hand back floats for
    integers, or read from a user's files) are made to fit the writers' types first; a column
    already in its type passes through as it is.
    """
    out = {}
    for col in frame.columns:
        s, kind = frame[col], types.get(col, "string")
        if kind in READY_DTYPES and s.dtype == READY_DTYPES[kind]:
            pass
        elif kind == "int" and s.dtype == np.int64:  # what the general path makes of it,
            # without a coercion and a rounding of numbers that are whole already
            s = s.astype("Int64")
        elif kind not in _TYPED and s.dtype == object and not pd.isna(s.to_numpy()).any():
            pass  # text with no nulls: ``astype(object).where(notna)`` gives it back as it is
        elif kind == "int":
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


def decode_parquet(piece: bytes) -> pd.DataFrame:
    """An encoded Parquet piece as a frame, for sinks that keep chunks in memory: integers
    with nulls as ``Int64``, text Arrow-backed (``core.values.text``), dates as datetime64."""
    table = pq.read_table(pa.BufferReader(piece))
    cols: dict[str, pd.Series] = {}
    for name, col in zip(table.column_names, table.columns, strict=True):
        if pa.types.is_string(col.type):
            cols[name] = text(col)
        elif pa.types.is_integer(col.type) and col.null_count:
            cols[name] = col.to_pandas(types_mapper={pa.int64(): pd.Int64Dtype()}.get)
        else:
            cols[name] = col.to_pandas(date_as_object=False)
    return pd.DataFrame(cols, index=pd.RangeIndex(table.num_rows))
