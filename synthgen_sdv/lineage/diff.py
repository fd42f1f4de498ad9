"""How an actual output differs from what its SQL gives on the same inputs, computed in DuckDB.

The difference is judged per key, as labels name rows: keys missing, extra or duplicated in the
actual output, and cells whose value changed (numbers within a relative and absolute 1e-9, so a
re-run's float noise is not a change). Key sets stay in the workspace as tables; Python sees
counts, column names and, when asked, the sorted keys of a label.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import pyarrow as pa

from synthgen_sdv.lineage.workspace import (
    KeyFile,
    Workspace,
    ident,
    is_numeric,
    key_list,
    key_match,
    key_order,
)

KINDS = ("missing", "extra", "duplicate", "changed", "expected")


def _equal(col: str, duck_type: str) -> str:
    """SQL that is true when expected ``e.col`` and actual ``a.col`` hold the same value."""
    e, a = f"e.{ident(col)}", f"a.{ident(col)}"
    both_null = f"({e} IS NULL AND {a} IS NULL)"
    if is_numeric(duck_type):
        close = (
            f"({e} = {a} OR abs(CAST({e} AS DOUBLE) - CAST({a} AS DOUBLE)) "
            f"<= 1e-9 + 1e-9 * abs(CAST({a} AS DOUBLE)))"
        )
        return f"({both_null} OR ({e} IS NOT NULL AND {a} IS NOT NULL AND {close}))"
    return f"({e} IS NOT DISTINCT FROM {a})"


@dataclass
class TableDiff:
    """The difference of ``actual`` (a relation, or None when the output is missing) from
    ``expected`` by ``key``; build it with ``diff_tables``."""

    ws: Workspace
    expected: str
    actual: str | None
    key: list[str]
    output_missing: bool = False
    missing_columns: list[str] = field(default_factory=list)
    extra_columns: list[str] = field(default_factory=list)
    retyped_columns: dict[str, tuple[str, str]] = field(default_factory=dict)
    counts: dict[str, int] = field(default_factory=dict)
    # Value column -> how many rows changed in it (only columns with changes).
    changed: dict[str, int] = field(default_factory=dict)
    # Value column -> how many duplicated keys have copies that disagree on it.
    conflicts: dict[str, int] = field(default_factory=dict)
    # Duplicated keys whose copies are all identical.
    identical_duplicates: int = 0
    sets: dict[str, str] = field(default_factory=dict)  # kind -> relation of its keys
    value_columns: list[str] = field(default_factory=list)

    @property
    def schema_changed(self) -> bool:
        """True when a column is missing, extra or of another type."""
        return bool(self.missing_columns or self.extra_columns or self.retyped_columns)

    def signs(self) -> dict[str, int]:
        """Counts of every kind of difference; empty when the output is what its SQL gives."""
        found = {
            "output_missing": int(self.output_missing),
            "schema_changed": len(self.missing_columns)
            + len(self.extra_columns)
            + len(self.retyped_columns),
            "missing_rows": 0 if self.output_missing else self.counts.get("missing", 0),
            "extra_rows": self.counts.get("extra", 0),
            "duplicate_rows": self.counts.get("duplicate", 0),
            "changed_values": self.counts.get("changed", 0),
        }
        return {k: v for k, v in found.items() if v}

    def key_set(self, *kinds: str, column: str | None = None) -> str:
        """SQL for the distinct keys of the given kinds (``changed`` in one ``column``)."""
        parts = []
        for kind in kinds:
            rel = self.sets.get(kind)
            if rel is None:
                continue
            where = ""
            if kind == "changed" and column is not None:
                where = f" WHERE {ident(_flag(self.value_columns.index(column)))}"
            parts.append(f"SELECT {key_list(self.key)} FROM {rel}{where}")
        if not parts:
            return f"SELECT {key_list(self.key)} FROM {self.expected} WHERE false"
        return " UNION ".join(parts)

    def keys(self, *kinds: str, column: str | None = None) -> list | KeyFile:
        """The keys of the given kinds in label form, sorted as ``faults.base.sorted_keys``."""
        return self.ws.keys(
            f"SELECT * FROM ({self.key_set(*kinds, column=column)}) ORDER BY {key_order(self.key)}"
        )

    def affected(self) -> str:
        """SQL for the keys of every row the data shows as touched (a label's rows)."""
        kinds = ["missing", "extra", "duplicate", "changed"]
        if self.schema_changed:
            kinds.append("expected")
        return self.key_set(*kinds)

    def flagged(self, *kinds: str, column: str | None = None) -> str:
        """SQL for the expected rows with a boolean ``__hit``: is the row's key of ``kinds``."""
        hits = self.key_set(*kinds, column=column)
        return (
            f"SELECT e.*, h.__hit IS NOT NULL AS __hit FROM {self.expected} e LEFT JOIN "
            f"(SELECT DISTINCT *, true AS __hit FROM ({hits})) h ON {key_match(self.key, 'e', 'h')}"
        )

    def compare(self, rows: list, relation: str) -> tuple[int, int]:
        """(labeled keys not in ``relation``, keys of ``relation`` not labeled), by key value."""
        labeled = self.ws.register(_key_table(rows, self.key))
        types = dict(self.ws.describe(self.expected))
        cast = ", ".join(
            f"TRY_CAST({ident(k)} AS {types.get(k, 'VARCHAR')}) AS {ident(k)}" for k in self.key
        )
        lab = f"SELECT {cast} FROM {labeled}"
        only_labeled = self.ws.scalar(
            f"SELECT count(*) FROM (SELECT * FROM ({lab}) EXCEPT SELECT * FROM ({relation}))"
        )
        only_data = self.ws.scalar(
            f"SELECT count(*) FROM (SELECT * FROM ({relation}) EXCEPT SELECT * FROM ({lab}))"
        )
        return int(only_labeled), int(only_data)


def _flag(i: int) -> str:
    return f"__changed_{i}"


def _key_table(rows: list, key: list[str]) -> pa.Table:
    """Label rows (scalars for one column, else lists) as a table of key columns."""
    tuples = [tuple(r) if isinstance(r, list | tuple) else (r,) for r in rows]
    cols = {}
    for i, k in enumerate(key):
        values = [t[i] if i < len(t) else None for t in tuples]
        try:
            cols[k] = pa.array(values)
        except (pa.ArrowInvalid, pa.ArrowTypeError):
            cols[k] = pa.array([None if v is None else str(v) for v in values], pa.string())
        if pa.types.is_null(cols[k].type):
            cols[k] = cols[k].cast(pa.string())
    return pa.table(cols)


def diff_tables(
    ws: Workspace, expected: str, actual: str | None, key: list[str], cells: bool = True
) -> TableDiff:
    """How ``actual`` differs from ``expected``, row by row (by ``key``) and cell by cell.

    ``cells=False`` compares rows only (missing, extra, duplicated keys): for a caller that
    knows no value changed, as a join that only lost rows, it skips the join of both tables on
    every column, the costliest part at scale.
    """
    diff = TableDiff(ws, expected, actual, list(key))
    keys = key_list(key)
    diff.sets["expected"] = ws.new_table(f"SELECT DISTINCT {keys} FROM {expected}")
    if actual is None:
        diff.output_missing = True
        diff.sets["missing"] = diff.sets["expected"]
        diff.counts["missing"] = ws.count(diff.sets["missing"])
        return diff
    exp_types = dict(ws.describe(expected))
    exp_schema, act_schema = ws.schema(expected), ws.schema(actual)
    diff.missing_columns = [c for c in exp_schema if c not in act_schema]
    diff.extra_columns = [c for c in act_schema if c not in exp_schema]
    diff.retyped_columns = {
        c: (exp_schema[c], act_schema[c])
        for c in exp_schema
        if c in act_schema and exp_schema[c] != act_schema[c]
    }
    if any(k not in act_schema for k in key):
        diff.sets["missing"] = diff.sets["expected"]
        diff.counts["missing"] = ws.count(diff.sets["missing"])
        return diff
    counted = ws.new_table(f"SELECT {keys}, count(*) AS __n FROM {actual} GROUP BY ALL")
    diff.sets["duplicate"] = ws.new_table(f"SELECT {keys} FROM {counted} WHERE __n > 1")
    diff.sets["missing"] = ws.new_table(
        f"SELECT {keys} FROM {diff.sets['expected']} EXCEPT SELECT {keys} FROM {counted}"
    )
    diff.sets["extra"] = ws.new_table(
        f"SELECT {keys} FROM {counted} EXCEPT SELECT {keys} FROM {diff.sets['expected']}"
    )
    for kind in ("duplicate", "missing", "extra"):
        diff.counts[kind] = ws.count(diff.sets[kind])
    diff.value_columns = [
        c for c in exp_schema if c in act_schema and c not in diff.retyped_columns and c not in key
    ]
    if cells:
        _conflicts(diff, counted)
        _changes(diff, counted, exp_types)
    return diff


def _conflicts(diff: TableDiff, counted: str) -> None:
    """Per value column, duplicated keys whose copies disagree (NULL counts as a value)."""
    if not diff.counts["duplicate"]:
        return
    ws, key = diff.ws, diff.key
    if not diff.value_columns:
        diff.identical_duplicates = diff.counts["duplicate"]
        return
    flags = ", ".join(
        f"count(DISTINCT a.{ident(c)}) + max(CASE WHEN a.{ident(c)} IS NULL THEN 1 ELSE 0 END) "
        f"> 1 AS {ident(_flag(i))}"
        for i, c in enumerate(diff.value_columns)
    )
    rel = ws.new_table(
        f"SELECT {key_list(key, 'a')}, {flags} FROM {diff.actual} a JOIN "
        f"(SELECT * FROM {counted} WHERE __n > 1) d ON {key_match(key, 'a', 'd')} "
        f"GROUP BY {key_list(key, 'a')}"
    )
    sums = ", ".join(f"count_if({ident(_flag(i))})" for i in range(len(diff.value_columns)))
    any_flag = " OR ".join(ident(_flag(i)) for i in range(len(diff.value_columns)))
    row = ws.rows(f"SELECT {sums}, count_if(NOT ({any_flag})) FROM {rel}")[0]
    diff.conflicts = {c: int(n) for c, n in zip(diff.value_columns, row, strict=False) if n}
    diff.identical_duplicates = int(row[-1])


def _changes(diff: TableDiff, counted: str, exp_types: dict) -> None:
    """Rows of the actual output whose key is unique and expected, with a changed value."""
    if not diff.value_columns:
        diff.counts["changed"] = 0
        return
    ws, key = diff.ws, diff.key
    flags = ", ".join(
        f"NOT {_equal(c, exp_types[c])} AS {ident(_flag(i))}"
        for i, c in enumerate(diff.value_columns)
    )
    any_flag = " OR ".join(ident(_flag(i)) for i in range(len(diff.value_columns)))
    single = f"(SELECT * FROM {counted} WHERE __n = 1)"
    rel = ws.new_table(
        f"SELECT * FROM (SELECT {key_list(key, 'a')}, {flags} FROM {diff.actual} a "
        f"JOIN {single} s ON {key_match(key, 'a', 's')} "
        f"JOIN {diff.expected} e ON {key_match(key, 'a', 'e')}) WHERE {any_flag}"
    )
    diff.sets["changed"] = rel
    sums = ", ".join(f"count_if({ident(_flag(i))})" for i in range(len(diff.value_columns)))
    row = ws.rows(f"SELECT count(*), {sums} FROM {rel}")[0]
    diff.counts["changed"] = int(row[0])
    diff.changed = {c: int(n) for c, n in zip(diff.value_columns, row[1:], strict=True) if n}
