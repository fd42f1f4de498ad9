"""Arrow table helpers shared by the runner and the verifier: typing, SQL execution, keys, diffs."""

from __future__ import annotations

import datetime as dt
from collections import Counter
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import pandas as pd
import pyarrow as pa

from synthgen_sdv.core.errors import SynthgenError


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


def sql_type(t: pa.DataType) -> str:
    """The SQL type name of an Arrow type, as the lineage file and events declare schemas."""
    if pa.types.is_integer(t):
        return "BIGINT"
    if pa.types.is_floating(t):
        return "DOUBLE"
    if pa.types.is_boolean(t):
        return "BOOLEAN"
    if pa.types.is_date(t):
        return "DATE"
    if pa.types.is_timestamp(t):
        return "TIMESTAMP"
    if pa.types.is_string(t) or pa.types.is_large_string(t):
        return "VARCHAR"
    return str(t).upper()


def schema_of(table: pa.Table) -> dict[str, str]:
    """Column -> SQL type: what a step declares and what the verifier compares."""
    return {f.name: sql_type(f.type) for f in table.schema}


def connect(tables: dict[str, pa.Table]):
    """A single-threaded in-memory DuckDB with the given tables registered under their names.

    One thread keeps float sums in a fixed order, so a re-run gives byte-identical output.
    """
    import duckdb

    con = duckdb.connect(":memory:")
    con.execute("SET threads TO 1")
    for name, table in tables.items():
        con.register(name, table)
    return con


def execute(con, sql: str, what: str) -> pa.Table:
    """Run one query; a failure names the step (``what``) and shows the SQL."""
    try:
        rel = con.sql(sql)
        # duckdb 2.x calls it to_arrow_table, 1.x arrow.
        fetch = getattr(rel, "to_arrow_table", None) or rel.arrow
        table = fetch()
    except Exception as exc:  # duckdb raises many types; all mean the step's SQL failed
        raise SynthgenError(f"{what}: SQL failed: {exc}\n  SQL: {sql}") from None
    if isinstance(table, pa.RecordBatchReader):
        table = table.read_all()
    return to_arrow(table)


def scalar(con, sql: str) -> int:
    """The single integer a stats query returns (e.g. rows_inserted)."""
    return int(con.execute(sql).fetchone()[0])


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


def key_list(df: pd.DataFrame, key: list[str]) -> list:
    """Row keys in label form: a scalar for a one-column key, else a list."""
    cols = [[json_value(v) for v in df[k].tolist()] for k in key]
    if len(key) == 1:
        return cols[0]
    return [list(t) for t in zip(*cols, strict=True)]


def key_tuples(df: pd.DataFrame, key: list[str]) -> list[tuple]:
    """Row keys as tuples of JSON-safe values: comparable with keys read back from labels."""
    cols = [[json_value(v) for v in df[k].tolist()] for k in key]
    return list(zip(*cols, strict=True))


def as_tuple(k: Any) -> tuple:
    """A key in label form (a scalar or a list) as a tuple."""
    return tuple(k) if isinstance(k, list | tuple) else (k,)


def to_pandas(table: pa.Table) -> pd.DataFrame:
    """An Arrow table as pandas, dates as ``datetime.date`` so they survive a round trip."""
    return table.to_pandas(date_as_object=True)


def from_pandas(df: pd.DataFrame, schema: pa.Schema | None = None) -> pa.Table:
    """A DataFrame back in Arrow (in ``schema`` when given), without pandas metadata."""
    table = pa.Table.from_pandas(df.reset_index(drop=True), schema=schema, preserve_index=False)
    return table.replace_schema_metadata(None)


@dataclass
class TableDiff:
    """How an actual output differs from what its SQL gives on the same inputs."""

    output_missing: bool = False
    missing_columns: list[str] = field(default_factory=list)
    extra_columns: list[str] = field(default_factory=list)
    retyped_columns: dict[str, tuple[str, str]] = field(default_factory=dict)
    expected_keys: set[tuple] = field(default_factory=set)
    missing_keys: set[tuple] = field(default_factory=set)
    extra_keys: set[tuple] = field(default_factory=set)
    duplicate_keys: set[tuple] = field(default_factory=set)
    # Duplicated keys whose copies are not all identical, with the columns that disagree.
    conflicting_duplicates: dict[tuple, set[str]] = field(default_factory=dict)
    changed: dict[str, set[tuple]] = field(default_factory=dict)
    expected: pd.DataFrame | None = None
    actual: pd.DataFrame | None = None

    @property
    def schema_changed(self) -> bool:
        """True when a column is missing, extra or of another type."""
        return bool(self.missing_columns or self.extra_columns or self.retyped_columns)

    @property
    def changed_keys(self) -> set[tuple]:
        """Keys of the rows with at least one changed value."""
        out: set[tuple] = set()
        for keys in self.changed.values():
            out |= keys
        return out

    def signs(self) -> dict[str, int]:
        """Counts of every kind of difference; empty when the output is what its SQL gives."""
        found = {
            "output_missing": int(self.output_missing),
            "schema_changed": len(self.missing_columns)
            + len(self.extra_columns)
            + len(self.retyped_columns),
            "missing_rows": 0 if self.output_missing else len(self.missing_keys),
            "extra_rows": len(self.extra_keys),
            "duplicate_rows": len(self.duplicate_keys),
            "changed_values": len(self.changed_keys),
        }
        return {k: v for k, v in found.items() if v}


def _equal(a: pd.Series, b: pd.Series) -> np.ndarray:
    a_null = a.isna().to_numpy()
    b_null = b.isna().to_numpy()
    both_num = pd.api.types.is_numeric_dtype(a) and pd.api.types.is_numeric_dtype(b)
    if both_num and not pd.api.types.is_bool_dtype(a):
        av = a.astype(float).to_numpy()
        bv = b.astype(float).to_numpy()
        same = np.isclose(av, bv, rtol=1e-9, atol=1e-9, equal_nan=True)
    else:
        same = a.astype(str).to_numpy() == b.astype(str).to_numpy()
    same = np.where(a_null | b_null, a_null & b_null, same)
    return same


def diff_tables(expected: pa.Table, actual: pa.Table | None, key: list[str]) -> TableDiff:
    """How ``actual`` differs from ``expected``, row by row (by ``key``) and cell by cell."""
    exp = to_pandas(expected)
    diff = TableDiff(expected=exp)
    diff.expected_keys = set(key_tuples(exp, key))
    if actual is None:
        diff.output_missing = True
        diff.missing_keys = set(diff.expected_keys)
        return diff
    act = to_pandas(actual)
    diff.actual = act
    exp_schema, act_schema = schema_of(expected), schema_of(actual)
    diff.missing_columns = [c for c in exp_schema if c not in act_schema]
    diff.extra_columns = [c for c in act_schema if c not in exp_schema]
    diff.retyped_columns = {
        c: (exp_schema[c], act_schema[c])
        for c in exp_schema
        if c in act_schema and exp_schema[c] != act_schema[c]
    }
    if any(k not in act.columns for k in key):
        diff.missing_keys = set(diff.expected_keys)
        return diff
    act_keys = key_tuples(act, key)
    diff.duplicate_keys = {k for k, n in Counter(act_keys).items() if n > 1}
    act_set = set(act_keys)
    diff.missing_keys = diff.expected_keys - act_set
    diff.extra_keys = act_set - diff.expected_keys

    common_cols = [c for c in exp.columns if c in act.columns and c not in diff.retyped_columns]
    value_cols = [c for c in common_cols if c not in key]
    # Align on a text form of the key: an index of tuples is ambiguous to pandas' .loc.
    exp_k = exp.assign(_k=[repr(k) for k in key_tuples(exp, key)]).set_index("_k")
    act_k = act.assign(_k=[repr(k) for k in act_keys], _t=act_keys)
    if diff.duplicate_keys:
        dup_mask = np.array([t in diff.duplicate_keys for t in act_keys], dtype=bool)
        for _, group in act_k[dup_mask].groupby("_k", sort=False):
            cols = {c for c in value_cols if group[c].astype(str).nunique(dropna=False) > 1}
            if cols:
                diff.conflicting_duplicates[group["_t"].iloc[0]] = cols
        act_k = act_k[~dup_mask]
    act_k = act_k[np.array([t in diff.expected_keys for t in act_k["_t"]], dtype=bool)]
    if len(act_k):
        tuples = act_k["_t"].tolist()
        a = act_k.set_index("_k")
        e = exp_k.loc[a.index]
        for c in value_cols:
            same = _equal(e[c].reset_index(drop=True), a[c].reset_index(drop=True))
            if not same.all():
                diff.changed[c] = {tuples[i] for i in np.flatnonzero(~same)}
    return diff
