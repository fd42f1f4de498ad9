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
from collections.abc import Callable

import pyarrow as pa
import pyarrow.compute as pc

INT64_MAX = 2**63 - 1


def _is_nested(kind: pa.DataType) -> bool:
    return pa.types.is_nested(kind) or pa.types.is_union(kind)


def _as_json(column: pa.ChunkedArray) -> tuple[pa.Array, str]:
    """Each value's JSON text (Arrow's own Python conversion, so keys keep their order)."""
    values = [None if v is None else json.dumps(v, default=str) for v in column.to_pylist()]
    return pa.array(values, pa.string()), f"nested values ({column.type}) read as JSON text"


def _as_hex(column: pa.ChunkedArray) -> tuple[pa.Array, str]:
    values = [None if v is None else v.hex() for v in column.to_pylist()]
    return pa.array(values, pa.string()), "binary values read as hexadecimal text"


def _is_binary(kind: pa.DataType) -> bool:
    return (
        pa.types.is_binary(kind)
        or pa.types.is_large_binary(kind)
        or pa.types.is_fixed_size_binary(kind)
    )


def _unsigned_64(column: pa.ChunkedArray) -> tuple[pa.Array | pa.ChunkedArray, str]:
    top = pc.max(column).as_py()
    if top is None or top <= INT64_MAX:
        return column.cast(pa.int64()), ""  # it fits: a number, no note
    why = f"unsigned 64-bit integers: values up to {top:,} exceed int64, read as text"
    return column.cast(pa.string()), why


Convert = Callable[[pa.ChunkedArray], tuple["pa.Array | pa.ChunkedArray", str]]
# which Arrow types are converted, and how (the converted column and its note, or "")
CONVERSIONS: tuple[tuple[Callable[[pa.DataType], bool], Convert], ...] = (
    (_is_nested, _as_json),
    (_is_binary, _as_hex),
    (pa.types.is_uint64, _unsigned_64),
)


def readable(table: pa.Table, file_name: str) -> tuple[pa.Table, list[str]]:
    """``table`` with nested, binary and out-of-range unsigned columns converted, each noted."""
    notes = []
    for i, name in enumerate(table.column_names):
        kind = table.schema.field(i).type
        convert = next((c for applies, c in CONVERSIONS if applies(kind)), None)
        if convert is None:
            continue
        converted, note = convert(table.column(i))
        table = table.set_column(i, name, converted)
        if note:
            notes.append(f"{file_name}: {name}: {note}")
    return table, notes
