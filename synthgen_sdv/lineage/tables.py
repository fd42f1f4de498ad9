"""Arrow and JSON helpers: in-memory tables in the types Parquet gives, cells in JSON form.

Tables themselves live in the DuckDB ``workspace``; this module only prepares what goes in
(``to_arrow``) and what comes out into labels and facets (``json_value``).
"""

from __future__ import annotations

import datetime as dt
from typing import Any

import numpy as np
import pandas as pd
import pyarrow as pa


def to_arrow(table: pd.DataFrame | pa.Table) -> pa.Table:
    """Normalize an input table so in-memory frames and Parquet files give the same types.

    Dates may arrive as datetime64 (pandas) or date32 (Parquet); a timestamp column whose values
    are all midnight is treated as a DATE so both routes compare equal in the verifier.
    """
    if isinstance(table, pd.DataFrame):
        df = table.copy()
        for col in df.columns:
            if isinstance(df[col].dtype, pd.CategoricalDtype):
                df[col] = df[col].astype(object)
        table = pa.Table.from_pandas(df, preserve_index=False)
    table = table.replace_schema_metadata(None)
    cols = [_normalize_column(col) for col in table.columns]
    return pa.table(dict(zip(table.column_names, cols, strict=True)))


def _normalize_column(col: pa.ChunkedArray) -> pa.ChunkedArray:
    t = col.type
    if pa.types.is_dictionary(t):
        col = col.cast(t.value_type)
        t = col.type
    if pa.types.is_timestamp(t):
        if t.tz is not None:
            return col
        as_date = col.cast(pa.date32())
        if col.null_count == len(col) or as_date.cast(t).equals(col):
            return as_date
        return col.cast(pa.timestamp("us"))
    if pa.types.is_decimal(t):
        # DuckDB sums BIGINT into HUGEINT (decimal128(38, 0)); keep plain Arrow types.
        return col.cast(pa.int64() if t.scale == 0 else pa.float64())
    if pa.types.is_integer(t) and t != pa.int64():
        return col.cast(pa.int64())
    if pa.types.is_floating(t) and t != pa.float64():
        return col.cast(pa.float64())
    if pa.types.is_large_string(t) or pa.types.is_string_view(t):
        return col.cast(pa.string())
    if pa.types.is_null(t):
        return col.cast(pa.string())
    return col


def json_value(v: Any) -> Any:
    """A JSON-safe form of one cell (keys in labels, stats in facets)."""
    if v is None:
        return None
    if isinstance(v, np.generic):
        v = v.item()
    if isinstance(v, float) and np.isnan(v):
        return None
    if isinstance(v, pd.Timestamp):
        v = v.to_pydatetime()
    if isinstance(v, dt.datetime):
        return v.isoformat(sep=" ")
    if isinstance(v, dt.date):
        return v.isoformat()
    return v


def as_tuple(k: Any) -> tuple:
    """A key in label form (a scalar or a list) as a tuple."""
    return tuple(k) if isinstance(k, list | tuple) else (k,)
