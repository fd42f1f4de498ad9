"""Cross-engine parity: queries generated from the metadata, results normalized and compared."""

from __future__ import annotations

import datetime as dt
import decimal
import math
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pyarrow.compute as pc

from synthgen_sdv.engines.base import Dialect, Loader
from synthgen_sdv.engines.reader import table_source
from synthgen_sdv.io.models import SchemaMetadata
from synthgen_sdv.io.reader import load_schema_metadata

MAX_GROUPS = 50  # a VARCHAR column with at most this many values is a grouping dimension
REL_TOL = 1e-9


@dataclass(frozen=True)
class ParityQuery:
    """A named query; `sql(dialect, ref)` spells it for one engine (`ref` names a table)."""

    name: str
    sql: Callable[[Dialect, Callable[[str], str]], str]


def _low_cardinality_varchar(out_dir: Path, schema: SchemaMetadata, table: str) -> str | None:
    meta = schema.tables[table]
    candidates = [c for c in meta.columns_of("VARCHAR") if c not in meta.pk_columns]
    if not candidates:
        return None
    import pyarrow.parquet as pq

    source = table_source(out_dir, meta, table)
    for column in candidates:
        if source.fmt == "parquet":
            values = pq.read_table(source.path, columns=[column]).column(column)
        else:
            import pyarrow.csv as pacsv

            values = pacsv.read_csv(
                source.path, convert_options=pacsv.ConvertOptions(include_columns=[column])
            ).column(column)
        n = pc.count_distinct(values, mode="only_valid").as_py()
        # A dimension repeats: a column unique per row (names, codes) is not one.
        if 1 < n <= min(MAX_GROUPS, len(values) // 2):
            return column
    return None


def build_queries(out_dir: str | Path, schema: SchemaMetadata | None = None) -> list[ParityQuery]:
    """Queries for any dataset, from its metadata:

    - per table: row count, non-NULL count of every column, sum of every DOUBLE column,
      min and max of every DATE / TIMESTAMP column;
    - per foreign key: child joined to parent, count and sum of the child's first DOUBLE column,
      grouped by the parent's first low-cardinality VARCHAR column (when there is one);
    - per DATE column: row count per year and month;
    - per BOOLEAN column: row count per value.
    """
    out = Path(out_dir)
    schema = schema or load_schema_metadata(out)
    queries: list[ParityQuery] = []

    for table, meta in schema.tables.items():
        cols = list(meta.columns)
        doubles = meta.columns_of("DOUBLE")
        times = meta.columns_of("DATE", "TIMESTAMP")

        def profile(d, ref, t=table, cols=cols, doubles=doubles, times=times):
            q = d.quote
            parts = ["COUNT(*)"] + [f"COUNT({q(c)})" for c in cols]
            parts += [f"SUM({q(c)})" for c in doubles]
            parts += [f"MIN({q(c)})" for c in times] + [f"MAX({q(c)})" for c in times]
            return f"SELECT {', '.join(parts)} FROM {ref(t)}"

        queries.append(ParityQuery(f"{table}: counts, sums, date range", profile))

        for column in meta.columns_of("DATE"):

            def per_month(d, ref, t=table, c=column):
                e = d.quote(c)
                return (
                    f"SELECT {d.year(e)} AS y, {d.month(e)} AS m, COUNT(*) AS n "
                    f"FROM {ref(t)} GROUP BY {d.year(e)}, {d.month(e)}"
                )

            queries.append(ParityQuery(f"{table}.{column}: rows per year-month", per_month))

        for column in meta.columns_of("BOOLEAN"):

            def per_value(d, ref, t=table, c=column):
                e = d.quote(c)
                return f"SELECT {e}, COUNT(*) FROM {ref(t)} GROUP BY {e}"

            queries.append(ParityQuery(f"{table}.{column}: rows per value", per_value))

        for fk in meta.foreign_keys:
            group = _low_cardinality_varchar(out, schema, fk.parent_table)
            measure = doubles[0] if doubles else None

            def join(d, ref, t=table, fk=fk, group=group, measure=measure):
                q = d.quote
                select = [f"p.{q(group)}"] if group else []
                select += ["COUNT(*)"] + ([f"SUM(c.{q(measure)})"] if measure else [])
                sql = (
                    f"SELECT {', '.join(select)} FROM {ref(t)} c JOIN {ref(fk.parent_table)} p "
                    f"ON c.{q(fk.column)} = p.{q(fk.parent_column)}"
                )
                return sql + (f" GROUP BY p.{q(group)}" if group else "")

            by = f" by {fk.parent_table}.{group}" if group else ""
            queries.append(ParityQuery(f"{table} join {fk.parent_table}{by}", join))
    return queries


def normalize_value(value: Any) -> Any:
    """Engine-neutral cell: ints for integral numbers, floats to 12 significant digits,
    dates and times as ISO text, NULL as None."""
    if value is None:
        return None
    if isinstance(value, bool):
        return value
    if isinstance(value, decimal.Decimal):
        value = int(value) if value == value.to_integral_value() else float(value)
    if hasattr(value, "item") and not isinstance(value, (str, bytes)):  # numpy scalars
        value = value.item()
    if isinstance(value, float):
        if math.isnan(value):
            return None
        return float(f"{value:.12g}")
    if isinstance(value, dt.datetime):
        return value.replace(tzinfo=None).isoformat(sep=" ")
    if isinstance(value, dt.date):
        return value.isoformat()
    return value


def _sort_key(row: tuple) -> tuple:
    return tuple((0, "") if v is None else (1, str(type(v) is str), v) for v in row)


def normalize_rows(rows: Sequence[Sequence[Any]]) -> list[tuple]:
    """Rows as comparable tuples in a stable order (engines return them in any order)."""
    normalized = [tuple(normalize_value(v) for v in row) for row in rows]
    return sorted(normalized, key=_sort_key)


def _same(a: Any, b: Any) -> bool:
    if isinstance(a, float) or isinstance(b, float):
        if a is None or b is None or isinstance(a, str) or isinstance(b, str):
            return False
        return math.isclose(a, b, rel_tol=REL_TOL, abs_tol=1e-9)
    return a == b


def rows_equal(left: list[tuple], right: list[tuple]) -> bool:
    """Whether two normalized result sets are equal (floats within a tolerance)."""
    return len(left) == len(right) and all(
        len(x) == len(y) and all(_same(a, b) for a, b in zip(x, y, strict=True))
        for x, y in zip(left, right, strict=True)
    )


@dataclass
class ParityReport:
    """The parity queries' results compared across engines, and what differed."""

    engines: list[str]
    results: dict[str, dict[str, list[tuple]]]  # engine -> query name -> normalized rows
    mismatches: list[str] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        """True when every engine gave the same rows for every query."""
        return not self.mismatches

    def to_text(self) -> str:
        """One line per mismatch and the result."""
        n = len(next(iter(self.results.values()), {}))
        head = f"parity: {n} queries on {', '.join(self.engines)}: "
        if self.ok:
            return head + "all results agree"
        return head + f"{len(self.mismatches)} differ\n" + "\n".join(self.mismatches)


def run_queries(loader: Loader, queries: list[ParityQuery]) -> dict[str, list[tuple]]:
    """Every parity query run on ``loader``, rows normalized."""
    return {
        q.name: normalize_rows(loader.query(q.sql(loader.dialect, loader.table_ref)))
        for q in queries
    }


def compare(results: dict[str, dict[str, list[tuple]]]) -> ParityReport:
    """Every engine against the first one, query by query."""
    engines = list(results)
    report = ParityReport(engines, results)
    if not engines:
        return report
    base = engines[0]
    for other in engines[1:]:
        for name, rows in results[base].items():
            theirs = results[other].get(name)
            if theirs is None or not rows_equal(rows, theirs):
                report.mismatches.append(
                    f"  {name}: {base} {rows[:3]}{' ...' if len(rows) > 3 else ''} != "
                    f"{other} {(theirs or [])[:3]}{' ...' if theirs and len(theirs) > 3 else ''}"
                )
    return report


def check_parity(loaders: Sequence[Loader], out_dir: str | Path) -> ParityReport:
    """Run the generated queries on already-loaded engines and compare the results."""
    queries = build_queries(out_dir)
    return compare({loader.name: run_queries(loader, queries) for loader in loaders})
