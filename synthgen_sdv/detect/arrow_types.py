"""Parquet columns whose Arrow type neither pandas' typing nor SDV can model, made into ones
that can be, each with a note.

A warehouse export can hold nested values (lists, structs, maps: pandas gives numpy arrays and
dicts, which no synthesizer models) and unsigned 64-bit integers above int64's range (hashes,
external ids: pandas keeps them as uint64, which nothing downstream can cast) and binary
values (hashes, UUIDs as 16 bytes: pandas gives Python bytes, written back as "b'...'" text).
Nested values become their JSON text, modelled as text. Unsigned 64-bit integers that all fit
int64 become int64; otherwise decimal text, because a float would round them and they are
identifiers. Binary values become their hexadecimal text.
"""

from __future__ import annotations

import json

import pyarrow as pa
import pyarrow.compute as pc

INT64_MAX = 2**63 - 1


def _is_nested(kind: pa.DataType) -> bool:
    return pa.types.is_nested(kind) or pa.types.is_union(kind)


def _as_json(column: pa.ChunkedArray) -> pa.Array:
    """Each value's JSON text (Arrow's own Python conversion, so keys keep their order)."""
    return pa.array(
        [None if v is None else json.dumps(v, default=str) for v in column.to_pylist()],
        pa.string(),
    )


def _as_hex(column: pa.ChunkedArray) -> pa.Array:
    return pa.array([None if v is None else v.hex() for v in column.to_pylist()], pa.string())


def _is_binary(kind: pa.DataType) -> bool:
    return (
        pa.types.is_binary(kind)
        or pa.types.is_large_binary(kind)
        or pa.types.is_fixed_size_binary(kind)
    )


def _unsigned_64(column: pa.ChunkedArray) -> tuple[pa.Array | pa.ChunkedArray, str]:
    top = pc.max(column).as_py()
    if top is None or top <= INT64_MAX:
        return column.cast(pa.int64()), ""
    return column.cast(pa.string()), f"values up to {top:,} exceed int64, read as text"


def readable(table: pa.Table, file_name: str) -> tuple[pa.Table, list[str]]:
    """``table`` with nested, binary and out-of-range unsigned columns converted, each noted."""
    notes = []
    for i, name in enumerate(table.column_names):
        column, kind = table.column(i), table.schema.field(i).type
        if _is_nested(kind):
            table = table.set_column(i, name, _as_json(column))
            notes.append(f"{file_name}: {name}: nested values ({kind}) read as JSON text")
        elif _is_binary(kind):
            table = table.set_column(i, name, _as_hex(column))
            notes.append(f"{file_name}: {name}: binary values read as hexadecimal text")
        elif pa.types.is_uint64(kind):
            converted, why = _unsigned_64(column)
            table = table.set_column(i, name, converted)
            if why:
                notes.append(f"{file_name}: {name}: unsigned 64-bit integers: {why}")
    return table, notes
