"""One Parquet file from many encoded pieces, without decoding a value.

Workers (local processes or Spark tasks) encode each chunk of a table as a small, complete
Parquet file in memory. The main process appends them, in chunk order, to the table's one
file: the bytes between a piece's leading ``PAR1`` and its footer (column chunks, and page
indexes or bloom filters if any) are copied as they are, and the piece's row groups join the
file's footer with their byte offsets moved by where the piece landed. So ``data/<table>
.parquet`` stays one file for every reader, while encoding runs in parallel and nothing is
decoded twice.

The footer is Thrift compact protocol. ``_Compact`` reads any struct into ``(field id, type,
value)`` triples and writes them back in the same order, so fields this module does not know
(statistics, size statistics, future additions) are carried over byte for byte; only the
offsets listed in ``_OFFSETS`` and the row-group ordinal are changed. Every piece must have the
same schema and key-value metadata as the first (the same writer settings), which is checked.
"""

from __future__ import annotations

import io
import struct
from collections.abc import Callable
from pathlib import Path
from typing import Any, BinaryIO

import pyarrow as pa
import pyarrow.parquet as pq

from synthgen_sdv.io.sink import Placed, Prepared

MAGIC = b"PAR1"

# compact protocol type ids
_TRUE, _FALSE, _BYTE, _I16, _I32, _I64, _DOUBLE, _BINARY, _LIST, _SET, _MAP, _STRUCT = range(1, 13)

# field ids in parquet.thrift
_FILE_NUM_ROWS, _FILE_ROW_GROUPS = 3, 4
_RG_COLUMNS, _RG_FILE_OFFSET, _RG_ORDINAL = 1, 5, 7
_CC_FILE_OFFSET, _CC_META, _CC_OFFSET_INDEX, _CC_COLUMN_INDEX, _CC_CRYPTO = 2, 3, 4, 6, 8
_CC_ENCRYPTED_META = 9
_CM_DATA_PAGE, _CM_INDEX_PAGE, _CM_DICT_PAGE, _CM_BLOOM = 9, 10, 11, 14
_FILE_ENCRYPTION = 8

Struct = list[tuple[int, int, Any]]  # (field id, type, value), in file order
Spec = dict[int, Any] | None  # field id -> nested spec (a struct or a list of them) or True


class Raw:
    """A field value kept as its encoded bytes (not needed, so not decoded)."""

    __slots__ = ("data",)

    def __init__(self, data: bytes):
        self.data = data

    def __eq__(self, other: object) -> bool:
        return isinstance(other, Raw) and other.data == self.data

    def __hash__(self) -> int:
        return hash(self.data)


class ParquetAppendError(ValueError):
    """A piece that cannot be appended (not Parquet, another schema, encrypted)."""


class _Compact:
    """Thrift compact protocol: generic read and write of structs (see the module docstring)."""

    def __init__(self, data: bytes):
        self.data, self.pos = data, 0

    # ---- reading
    def _byte(self) -> int:
        b = self.data[self.pos]
        self.pos += 1
        return b

    def _varint(self) -> int:
        shift = result = 0
        while True:
            b = self._byte()
            result |= (b & 0x7F) << shift
            if not b & 0x80:
                return result
            shift += 7

    def _zigzag(self) -> int:
        n = self._varint()
        return (n >> 1) ^ -(n & 1)

    def _skip(self, ttype: int) -> None:
        """Move past a value without building it."""
        if ttype in (_TRUE, _FALSE, _BYTE):
            self.pos += 1
        elif ttype in (_I16, _I32, _I64):
            while self._byte() & 0x80:
                pass
        elif ttype == _DOUBLE:
            self.pos += 8
        elif ttype == _BINARY:
            n = self._varint()  # read first: `pos += varint()` would add to the old pos
            self.pos += n
        elif ttype in (_LIST, _SET):
            header = self._byte()
            size, etype = header >> 4, header & 0x0F
            if size == 15:
                size = self._varint()
            if etype in (_TRUE, _FALSE, _BYTE):
                self.pos = self.pos + size
            else:
                for _ in range(size):
                    self._skip(etype)
        elif ttype == _MAP:
            size = self._varint()
            if size:
                kinds = self._byte()
                for _ in range(size):
                    self._skip(kinds >> 4)
                    self._skip(kinds & 0x0F)
        elif ttype == _STRUCT:
            while True:
                header = self._byte()
                if header == 0:
                    return
                if not header >> 4:
                    self._zigzag()
                ftype = header & 0x0F
                if ftype not in (_TRUE, _FALSE):
                    self._skip(ftype)
        else:
            raise ParquetAppendError(f"unknown thrift compact type {ttype}")

    def _value(self, ttype: int, spec: Spec = None) -> Any:
        if spec is not None and ttype in (_LIST, _SET):
            header = self._byte()
            size, etype = header >> 4, header & 0x0F
            if size == 15:
                size = self._varint()
            return (etype, [self._value(etype, spec) for _ in range(size)])
        if spec is not None and ttype == _STRUCT:
            return self.read_struct(spec)
        if ttype in (_TRUE, _FALSE):  # inside a list: one byte, 1 = true
            return self._byte() == _TRUE
        if ttype == _BYTE:
            return self._byte()
        if ttype in (_I16, _I32, _I64):
            return self._zigzag()
        if ttype == _DOUBLE:
            value = struct.unpack_from("<d", self.data, self.pos)[0]
            self.pos += 8
            return value
        if ttype == _BINARY:
            n = self._varint()
            value = self.data[self.pos : self.pos + n]
            self.pos += n
            return value
        if ttype in (_LIST, _SET):
            header = self._byte()
            size, etype = header >> 4, header & 0x0F
            if size == 15:
                size = self._varint()
            return (etype, [self._value(etype) for _ in range(size)])
        if ttype == _MAP:
            size = self._varint()
            if not size:
                return (0, 0, [])
            kinds = self._byte()
            ktype, vtype = kinds >> 4, kinds & 0x0F
            return (ktype, vtype, [(self._value(ktype), self._value(vtype)) for _ in range(size)])
        if ttype == _STRUCT:
            return self.read_struct()
        raise ParquetAppendError(f"unknown thrift compact type {ttype}")

    def read_struct(self, spec: Spec = None) -> Struct:
        """The next struct's fields; booleans keep their type (_TRUE or _FALSE) as value.

        ``spec`` (field id -> nested spec, or True) names the fields to decode; the others
        are kept as ``Raw`` bytes, written back as they were. None decodes everything.
        """
        fields: Struct = []
        last = 0
        while True:
            header = self._byte()
            if header == 0:
                return fields
            delta, ttype = header >> 4, header & 0x0F
            fid = last + delta if delta else self._zigzag()
            if ttype in (_TRUE, _FALSE):
                value: Any = ttype == _TRUE
            elif spec is None:
                value = self._value(ttype)
            elif fid in spec:
                inner = spec[fid]
                value = self._value(ttype, inner if isinstance(inner, dict) else None)
            else:
                start = self.pos
                self._skip(ttype)
                value = Raw(self.data[start : self.pos])
            fields.append((fid, ttype, value))
            last = fid

    # ---- writing
    @staticmethod
    def _w_varint(out: bytearray, n: int) -> None:
        while n > 0x7F:
            out.append((n & 0x7F) | 0x80)
            n >>= 7
        out.append(n)

    @classmethod
    def _w_zigzag(cls, out: bytearray, n: int) -> None:
        cls._w_varint(out, (n << 1) ^ (n >> 63))

    @classmethod
    def _w_value(cls, out: bytearray, ttype: int, value: Any) -> None:
        if isinstance(value, Raw):
            out += value.data
        elif ttype in (_TRUE, _FALSE):
            out.append(_TRUE if value else _FALSE)
        elif ttype == _BYTE:
            out.append(value & 0xFF)
        elif ttype in (_I16, _I32, _I64):
            cls._w_zigzag(out, value)
        elif ttype == _DOUBLE:
            out += struct.pack("<d", value)
        elif ttype == _BINARY:
            cls._w_varint(out, len(value))
            out += value
        elif ttype in (_LIST, _SET):
            etype, items = value
            if len(items) < 15:
                out.append((len(items) << 4) | etype)
            else:
                out.append(0xF0 | etype)
                cls._w_varint(out, len(items))
            for item in items:
                cls._w_value(out, etype, item)
        elif ttype == _MAP:
            ktype, vtype, items = value
            cls._w_varint(out, len(items))
            if items:
                out.append((ktype << 4) | vtype)
                for k, v in items:
                    cls._w_value(out, ktype, k)
                    cls._w_value(out, vtype, v)
        elif ttype == _STRUCT:
            cls.write_struct(out, value)
        else:
            raise ParquetAppendError(f"unknown thrift compact type {ttype}")

    @classmethod
    def write_struct(cls, out: bytearray, fields: Struct) -> None:
        """Append a struct read by ``read_struct`` (or built alike) to ``out``."""
        last = 0
        for fid, ttype, value in fields:
            wire = (_TRUE if value else _FALSE) if ttype in (_TRUE, _FALSE) else ttype
            if 0 < fid - last <= 15:
                out.append(((fid - last) << 4) | wire)
            else:
                out.append(wire)
                cls._w_zigzag(out, fid)
            if ttype not in (_TRUE, _FALSE):
                cls._w_value(out, ttype, value)
            last = fid
        out.append(0)


def encode_struct(fields: Struct) -> bytes:
    """Thrift compact bytes of a struct (the inverse of ``decode_struct``)."""
    out = bytearray()
    _Compact.write_struct(out, fields)
    return bytes(out)


def decode_struct(data: bytes) -> Struct:
    """The fields of the Thrift compact struct at the start of ``data``."""
    return _Compact(data).read_struct()


def _get(fields: Struct, fid: int, default: Any = None) -> Any:
    return next((v for f, _, v in fields if f == fid), default)


def _set(fields: Struct, fid: int, value: Any) -> Struct:
    return [(f, t, value if f == fid else v) for f, t, v in fields]


def _shift(fields: Struct, fids: tuple[int, ...], delta: int) -> Struct:
    return [(f, t, v + delta if f in fids and v else v) for f, t, v in fields]


#: what appending needs decoded: row counts and every byte offset (the rest stays raw)
_COLUMN_META: dict[int, Any] = {
    f: True for f in (_CM_DATA_PAGE, _CM_INDEX_PAGE, _CM_DICT_PAGE, _CM_BLOOM)
}
_COLUMN_CHUNK: dict[int, Any] = {
    _CC_FILE_OFFSET: True,
    _CC_META: _COLUMN_META,
    _CC_OFFSET_INDEX: True,
    _CC_COLUMN_INDEX: True,
    _CC_CRYPTO: True,
    _CC_ENCRYPTED_META: True,
}
_ROW_GROUP: dict[int, Any] = {_RG_COLUMNS: _COLUMN_CHUNK, _RG_FILE_OFFSET: True, _RG_ORDINAL: True}
_FOOTER: dict[int, Any] = {
    _FILE_NUM_ROWS: True,
    _FILE_ROW_GROUPS: _ROW_GROUP,
    _FILE_ENCRYPTION: True,
}


def split_piece(data: bytes | memoryview) -> tuple[bytes | memoryview, Struct]:
    """A complete Parquet file's body (after the leading magic) and its footer, decoded as far
    as appending needs (a memoryview's body is a view: no copy of the piece)."""
    if len(data) < 12 or data[:4] != MAGIC or data[-4:] != MAGIC:
        raise ParquetAppendError("not a Parquet file (no PAR1 magic at both ends)")
    footer_len = int.from_bytes(data[-8:-4], "little")
    start = len(data) - 8 - footer_len
    if start < 4:
        raise ParquetAppendError("damaged Parquet footer length")
    footer = _Compact(bytes(data[start : len(data) - 8])).read_struct(_FOOTER)
    if _get(footer, _FILE_ENCRYPTION) is not None:
        raise ParquetAppendError("encrypted Parquet pieces cannot be appended")
    return data[4:start], footer


def _moved_row_group(rg: Struct, delta: int, ordinal: int) -> Struct:
    etype, columns = _get(rg, _RG_COLUMNS)
    moved = []
    for cc in columns:
        if _get(cc, _CC_CRYPTO) is not None or _get(cc, _CC_ENCRYPTED_META) is not None:
            raise ParquetAppendError("encrypted column chunks cannot be appended")
        cc = _shift(cc, (_CC_FILE_OFFSET, _CC_OFFSET_INDEX, _CC_COLUMN_INDEX), delta)
        meta = _get(cc, _CC_META)
        if meta is not None:
            meta = _shift(meta, (_CM_DATA_PAGE, _CM_INDEX_PAGE, _CM_DICT_PAGE, _CM_BLOOM), delta)
            cc = _set(cc, _CC_META, meta)
        moved.append(cc)
    rg = _set(rg, _RG_COLUMNS, (etype, moved))
    rg = _shift(rg, (_RG_FILE_OFFSET,), delta)
    return _set(rg, _RG_ORDINAL, ordinal) if _get(rg, _RG_ORDINAL) is not None else rg


def _template_key(footer: Struct) -> bytes:
    """Everything of a footer but its row groups and row count: must match between pieces."""
    return encode_struct([f for f in footer if f[0] not in (_FILE_NUM_ROWS, _FILE_ROW_GROUPS)])


class ParquetAppender:
    """Builds one Parquet file from pieces appended in order (see the module docstring).

    ``schema`` and ``write_options`` give the file written when no piece has rows (an empty
    table with the schema), so every table has a file, as with a single writer.
    """

    def __init__(
        self,
        sink: BinaryIO,
        schema: pa.Schema,
        write_at: Callable[[bytes | memoryview, int], None] | None = None,
        **write_options: Any,
    ):
        self._sink = sink
        #: writes a piece's body at a byte offset of the file (elsewhere: in a writer thread);
        #: None: written here. Its writes must be finished before ``close``.
        self._write_at = write_at
        self._schema, self._options = schema, write_options
        self._sink.write(MAGIC)
        self._pos = len(MAGIC)
        self._template: Struct | None = None
        self._key: bytes | None = None
        #: every row group so far, moved and already Thrift-encoded (``Raw``): encoded as its
        #: piece arrives, the footer at ``close`` is one join, not a serial 0.15 s (scale 1000,
        #: four tables) after a family's last chunk
        self._row_groups: list[Raw] = []
        self._rows = 0

    @property
    def num_rows(self) -> int:
        """Rows appended so far."""
        return self._rows

    @property
    def position(self) -> int:
        """Where the next piece's body goes in the file."""
        return self._pos

    def append(self, piece: bytes | Placed | Prepared) -> None:
        """Append a complete Parquet file (its row groups) written with the same settings: its
        bytes, or a ``Placed`` body a worker already wrote at ``position`` (its footer decoded
        there, ``place_piece``)."""
        if isinstance(piece, Placed):
            if piece.offset != self._pos:
                raise ParquetAppendError(
                    f"piece placed at byte {piece.offset}, but the file continues at {self._pos}"
                )
            footer, key = piece.meta
            self._add_footer(footer, key)
            self._pos += piece.length
            return
        if isinstance(piece, Prepared):  # split in the encoding thread
            body, (footer, key) = piece.body, piece.meta
        else:
            body, footer = split_piece(piece)
            key = _template_key(footer)
        self._add_footer(footer, key)
        if self._write_at is not None:
            self._write_at(body, self._pos)
        else:
            self._seek()
            self._sink.write(body)
        self._pos += len(body)

    def _seek(self) -> None:
        """Continue after the last piece (workers may have written ``Placed`` ones)."""
        if self._sink.tell() != self._pos:
            self._sink.seek(self._pos)

    def _add_footer(self, footer: Struct, key: bytes) -> None:
        if self._template is None:
            self._template, self._key = footer, key
        elif key != self._key:
            raise ParquetAppendError(
                "piece has another schema or writer settings than the first piece"
            )
        _, groups = _get(footer, _FILE_ROW_GROUPS, (_STRUCT, []))
        delta = self._pos - len(MAGIC)
        for rg in groups:
            moved = _moved_row_group(rg, delta, len(self._row_groups))
            self._row_groups.append(Raw(encode_struct(moved)))
        self._rows += _get(footer, _FILE_NUM_ROWS, 0)

    def close(self) -> None:
        """Write the footer (the first piece's, with every row group and the total rows)."""
        template = self._template
        if template is None:  # no piece had rows: the footer of an empty file of the schema
            buf = io.BytesIO()
            pq.ParquetWriter(buf, self._schema, **self._options).close()
            _, template = split_piece(buf.getvalue())
        footer = _set(template, _FILE_NUM_ROWS, self._rows)
        footer = _set(footer, _FILE_ROW_GROUPS, (_STRUCT, self._row_groups))
        data = encode_struct(footer)
        self._seek()
        self._sink.write(data)
        self._sink.write(len(data).to_bytes(4, "little"))
        self._sink.write(MAGIC)


def place_piece(piece: bytes | memoryview) -> tuple[bytes | memoryview, Any]:
    """A piece's body and what ``ParquetAppender.append`` needs of its footer (the footer and
    its template key), decoded in the worker that writes the body in place (``Placed``)."""
    body, footer = split_piece(piece)
    return body, (footer, _template_key(footer))


def encode_piece(table: pa.Table, **write_options: Any) -> bytes:
    """``table`` as a complete Parquet file in memory (one piece for ``ParquetAppender``)."""
    return encode_view(table, **write_options).tobytes()


def encode_view(table: pa.Table, **write_options: Any) -> memoryview:
    """``encode_piece`` as a view of Arrow's buffer: for a piece split and written in this
    process, no copy into ``bytes`` (a copy of every piece, made holding the GIL)."""
    buf = pa.BufferOutputStream()
    with pq.ParquetWriter(buf, table.schema, **write_options) as writer:
        writer.write_table(table)
    return memoryview(buf.getvalue())


def concat_files(parts: list[Path], target: Path, schema: pa.Schema, **write_options: Any) -> None:
    """Write ``target`` from the Parquet files ``parts``, in order, without decoding."""
    with open(target, "wb") as fh:
        appender = ParquetAppender(fh, schema, **write_options)
        for part in parts:
            appender.append(Path(part).read_bytes())
        appender.close()
