"""Reads an output folder's tables (Parquet, else CSV) into pandas with the declared SQL types."""

from __future__ import annotations

import csv
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.csv as pacsv
import pyarrow.parquet as pq

from synthgen_sdv.core.errors import InputError
from synthgen_sdv.io import layout
from synthgen_sdv.io.models import SchemaMetadata, TableMeta
from synthgen_sdv.io.reader import load_schema_metadata

VARIANTS = ("clean", "dirty")
FORMATS = ("parquet", "csv")

ARROW_TYPES: dict[str, pa.DataType] = {
    "BIGINT": pa.int64(),
    "DOUBLE": pa.float64(),
    "VARCHAR": pa.string(),
    "BOOLEAN": pa.bool_(),
    "DATE": pa.date32(),
    "TIMESTAMP": pa.timestamp("us"),
}

# What a value must look like in text to count as the declared type (the CSV contract).
_TEXT_PATTERNS = {
    "BIGINT": r"^[+-]?\d+$",
    "DOUBLE": r"^([+-]?(\d+\.?\d*|\.\d+)([eE][+-]?\d+)?|[+-]?(inf|Infinity|nan|NaN))$",
    "BOOLEAN": r"(?i)^(true|false|1|0)$",
    "DATE": r"^\d{4}-\d{2}-\d{2}$",
    "TIMESTAMP": r"^\d{4}-\d{2}-\d{2}([ T]\d{2}:\d{2}(:\d{2}(\.\d{1,9})?)?)?$",
}

_PANDAS_TYPES = {
    pa.int64(): pd.Int64Dtype(),
    pa.bool_(): pd.BooleanDtype(),
    pa.string(): pd.StringDtype(),
}


@dataclass(frozen=True)
class TableSource:
    """The file a table is read from."""

    table: str
    path: Path
    fmt: str
    dirty: bool


@dataclass
class TableRead:
    """A table read with its declared types, plus what did not fit them."""

    source: TableSource
    frame: pd.DataFrame
    file_types: dict[str, str]
    # Columns whose physical type in the file is not the declared one (Parquet only).
    type_mismatches: dict[str, str] = field(default_factory=dict)
    # Row positions whose value does not parse as the declared type; those values become NULL.
    bad_values: dict[str, list[int]] = field(default_factory=dict)
    # The file's own values of those columns, to show what did not parse.
    raw_columns: dict[str, pa.ChunkedArray] = field(default_factory=dict)
    missing_columns: list[str] = field(default_factory=list)
    extra_columns: list[str] = field(default_factory=list)


def table_source(
    out_dir: Path, meta: TableMeta, table: str, variant: str = "clean", fmt: str | None = None
) -> TableSource:
    """Parquet when present else CSV (or only `fmt`); the dirty variant prefers data_dirty/."""
    if variant not in VARIANTS:
        raise InputError(f"unknown variant '{variant}'; known: {', '.join(VARIANTS)}")
    formats = (fmt,) if fmt else FORMATS
    if variant == "dirty":
        declared = meta.dirty.files if meta.dirty else {}
        for f in formats:
            for path in (
                _declared(out_dir, declared, f, f"tables.{table}.dirty.files.{f}"),
                layout.table_path(out_dir, layout.DATA_DIRTY, table, f".{f}"),
            ):
                if path is not None and path.is_file():
                    return TableSource(table, path, f, True)
    candidates = [
        (f, _declared(out_dir, meta.files, f, f"tables.{table}.files.{f}"))
        for f in formats
        if f in meta.files
    ]
    candidates += [(f, layout.table_path(out_dir, layout.DATA, table, f".{f}")) for f in formats]
    for found, path in candidates:
        if path is not None and path.is_file():
            return TableSource(table, path, found, False)
    raise InputError(
        f"table '{table}': no data file; looked for {', '.join(str(p) for _, p in candidates)}"
    )


def _declared(out_dir: Path, files: dict[str, str], fmt: str, where: str) -> Path | None:
    """The file schema_metadata.json names for ``fmt``, refused if it leads out of the folder."""
    return layout.inside(out_dir, files[fmt], where) if fmt in files else None


def dirty_tables(out_dir: str | Path, schema: SchemaMetadata) -> list[str]:
    """Tables that have a data_dirty/ file."""
    out = Path(out_dir)
    return [
        t
        for t in schema.tables
        if any(layout.table_path(out, layout.DATA_DIRTY, t, f".{fmt}").is_file() for fmt in FORMATS)
    ]


def csv_header(path: Path) -> list[str]:
    """The column names of a CSV file (its header row)."""
    with path.open(newline="", encoding="utf-8") as fh:
        return next(csv.reader(fh), [])


def _read_arrow(source: TableSource) -> pa.Table:
    if source.fmt == "parquet":
        return pq.read_table(source.path)
    names = csv_header(source.path)
    # Everything as text first: the declared types are applied below, value by value, so one bad
    # value is reported with its row instead of failing the whole file.
    convert = pacsv.ConvertOptions(
        column_types=dict.fromkeys(names, pa.string()),
        null_values=[""],
        strings_can_be_null=True,
        quoted_strings_can_be_null=True,
    )
    try:
        return pacsv.read_csv(source.path, convert_options=convert)
    except pa.ArrowInvalid:
        # quoted text with line breaks (post bodies, notes): legal CSV that arrow's fast
        # parallel parser refuses; read it again allowing them (slower, so only when needed)
        return pacsv.read_csv(
            source.path,
            convert_options=convert,
            parse_options=pacsv.ParseOptions(newlines_in_values=True),
        )


def compatible(file_type: pa.DataType, sql_type: str) -> bool:
    """Whether a Parquet physical type is an acceptable storage of the declared SQL type."""
    checks = {
        "BIGINT": pa.types.is_integer,
        "DOUBLE": pa.types.is_floating,
        "VARCHAR": lambda t: pa.types.is_string(t) or pa.types.is_large_string(t),
        "BOOLEAN": pa.types.is_boolean,
        "DATE": pa.types.is_date,
        "TIMESTAMP": pa.types.is_timestamp,
    }
    if pa.types.is_dictionary(file_type):
        file_type = file_type.value_type
    return pa.types.is_null(file_type) or checks[sql_type](file_type)


def _parse_text(arr: pa.ChunkedArray, sql_type: str) -> tuple[pa.Array, np.ndarray]:
    """Text -> declared type; returns the typed array and the positions that did not parse."""
    target = ARROW_TYPES[sql_type]
    text = pc.utf8_trim_whitespace(arr.cast(pa.string()))
    if sql_type == "VARCHAR":
        return arr.cast(pa.string()), np.array([], dtype=np.int64)
    is_null = pc.is_null(text)
    ok = pc.fill_null(pc.match_substring_regex(text, _TEXT_PATTERNS[sql_type]), False)
    if sql_type == "DATE":
        # The pattern lets 2021-02-31 through; strptime does not.
        parsed = pc.strptime(text, format="%Y-%m-%d", unit="s", error_is_null=True)
        ok = pc.and_(ok, pc.is_valid(parsed))
    ok = pc.or_(ok, is_null)
    cleaned = pc.if_else(ok, text, pa.scalar(None, pa.string()))
    if sql_type == "BOOLEAN":
        cleaned = pc.utf8_lower(cleaned)
    try:
        typed = cleaned.cast(target)
    except (pa.ArrowInvalid, pa.ArrowNotImplementedError):
        typed, ok = _parse_one_by_one(cleaned, target, ok)
    bad = np.flatnonzero(~np.asarray(ok.to_numpy(zero_copy_only=False), dtype=bool))
    return typed, bad


def _parse_one_by_one(cleaned, target, ok):
    """Slow path for values the pattern lets through but arrow rejects (e.g. int64 overflow)."""
    values = cleaned.to_pylist()
    out, good = [], []
    for v, was_ok in zip(values, ok.to_pylist(), strict=True):
        try:
            out.append(None if v is None else pa.array([v]).cast(target)[0].as_py())
            good.append(bool(was_ok))
        except (pa.ArrowInvalid, pa.ArrowNotImplementedError):
            out.append(None)
            good.append(False)
    return pa.array(out, type=target), pa.array(good)


def _to_declared(arr: pa.ChunkedArray, sql_type: str) -> tuple[pa.Array, np.ndarray]:
    target = ARROW_TYPES[sql_type]
    if pa.types.is_dictionary(arr.type):
        arr = arr.cast(arr.type.value_type)
    if arr.type == target:
        return arr, np.array([], dtype=np.int64)
    if pa.types.is_null(arr.type):
        return pa.nulls(len(arr), target), np.array([], dtype=np.int64)
    if compatible(arr.type, sql_type):
        if pa.types.is_timestamp(arr.type) and arr.type.tz is not None:
            # Declared TIMESTAMP is wall-clock (no zone): keep UTC wall time.
            arr = arr.cast(pa.timestamp(arr.type.unit))
        try:
            return arr.cast(target), np.array([], dtype=np.int64)
        except pa.ArrowInvalid:
            pass
    return _parse_text(arr, sql_type)


def read_table(
    out_dir: str | Path,
    schema: SchemaMetadata,
    table: str,
    variant: str = "clean",
    fmt: str | None = None,
) -> TableRead:
    """One table with its declared types; values that do not fit become NULL and are reported."""
    out = Path(out_dir)
    meta = schema.tables[table]
    source = table_source(out, meta, table, variant, fmt)
    try:
        raw = _read_arrow(source)
    except (pa.ArrowInvalid, OSError) as exc:
        raise InputError(f"table '{table}': cannot read {source.path}: {exc}") from None
    result = TableRead(
        source=source,
        frame=pd.DataFrame(),
        file_types={n: str(t) for n, t in zip(raw.column_names, raw.schema.types, strict=True)},
    )
    result.extra_columns = [c for c in raw.column_names if c not in meta.columns]
    columns: dict[str, pa.Array] = {}
    for name, col in meta.columns.items():
        if name not in raw.column_names:
            result.missing_columns.append(name)
            columns[name] = pa.nulls(raw.num_rows, ARROW_TYPES[col.sql_type])
            continue
        arr = raw.column(name)
        if source.fmt == "parquet" and not compatible(arr.type, col.sql_type):
            result.type_mismatches[name] = str(arr.type)
        typed, bad = _to_declared(arr, col.sql_type)
        if len(bad):
            result.bad_values[name] = bad.tolist()
            result.raw_columns[name] = arr
        columns[name] = typed
    typed_table = pa.table(columns) if columns else pa.table({})
    frame = typed_table.to_pandas(date_as_object=False, types_mapper=_PANDAS_TYPES.get)
    result.frame = frame.reset_index(drop=True)
    return result


def read_tables(out_dir: str | Path, variant: str = "clean") -> dict[str, pd.DataFrame]:
    """Every table of an output folder, typed from schema_metadata.json.

    `variant="dirty"` overlays data_dirty/<table> (tables with injected anomalies) on data/.
    BIGINT -> Int64, DOUBLE -> float64, VARCHAR -> string, BOOLEAN -> boolean,
    DATE / TIMESTAMP -> datetime64 (DATE at midnight). Unparseable values become NULL.
    """
    schema = load_schema_metadata(out_dir)
    return {t: read_table(out_dir, schema, t, variant).frame for t in schema.tables}
