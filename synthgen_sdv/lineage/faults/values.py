"""Value and schema faults: the right rows were written, with wrong values or a wrong shape.

A column in another unit, stray updates by an insert-only load, two branches' versions of one
entity kept side by side, a renamed, retyped or dropped column. Each edits the clean output.
"""

from __future__ import annotations

import datetime as dt
from typing import Any, Literal

import numpy as np
import pyarrow as pa
from pydantic import Field

from synthgen_sdv.core.errors import InputError
from synthgen_sdv.core.strict import StrictModel
from synthgen_sdv.lineage.diff import TableDiff
from synthgen_sdv.lineage.faults.base import (
    FAULTS,
    Fault,
    FaultContext,
    FaultEffect,
    TableParams,
)
from synthgen_sdv.lineage.models import Step
from synthgen_sdv.lineage.workspace import ident, key_match, key_order, literal, sql_type


class ScaleParams(TableParams):
    """The column written in another unit, and the factor between the units."""

    column: str
    factor: float = Field(default=100.0, description="e.g. 100 when dollars were written as cents")
    from_unit: str = "USD"
    to_unit: str = "US cents"


class MixedParams(TableParams):
    """The columns stray updates change, and in how many earlier rows."""

    columns: list[str] = Field(min_length=1, description="columns the stray updates change")
    fraction: float = Field(default=0.02, gt=0, lt=1)


class MergeConflictParams(StrictModel):
    """The columns on which the branches disagree, and for how many keys."""

    columns: list[str] = Field(min_length=1, description="columns on which the branches disagree")
    fraction: float = Field(default=0.05, gt=0, lt=1)


class DriftParams(TableParams):
    """How the column drifted: renamed, retyped or dropped."""

    change: Literal["rename", "retype", "drop"]
    column: str
    new_name: str | None = None
    new_type: Literal["VARCHAR", "DOUBLE", "BIGINT"] | None = None


def _values_at(ctx: FaultContext, relation: str, column: str, positions: str) -> pa.Array:
    """A column's values at the registered ``positions``, in row order."""
    return ctx.ws.column(
        f"SELECT {ident(column)} FROM {relation} WHERE rowid IN (SELECT pos FROM {positions}) "
        "ORDER BY rowid"
    )


def _edited(
    ctx: FaultContext, relation: str, positions: np.ndarray, new: dict[str, pa.Array], join: str
) -> str:
    """SQL for the rows of ``relation`` (``join`` LEFT: all; INNER: the edited ones) with the
    ``new`` values at ``positions``, and each row's position as ``__p``."""
    types = ctx.types(relation)
    updates = ctx.ws.register(pa.table({"__pos": pa.array(positions, pa.int64()), **new}))
    cols = ", ".join(
        f"CASE WHEN u.__pos IS NULL THEN c.{ident(c)} ELSE CAST(u.{ident(c)} AS {t}) END "
        f"AS {ident(c)}"
        if c in new
        else f"c.{ident(c)}"
        for c, t in types.items()
    )
    return (
        f"SELECT {cols}, c.rowid AS __p FROM {relation} c {join} JOIN {updates} u "
        "ON c.rowid = u.__pos"
    )


def _kind(ctx: FaultContext, table: str, column: str, what: str) -> str:
    """The column's SQL type; only numbers and text can be edited by value faults."""
    kind = sql_type(ctx.require_column(table, column, what))
    if kind not in {"BIGINT", "DOUBLE", "VARCHAR"}:
        raise InputError(
            f"steps.{ctx.step.id}.fault_params.{what}: column '{column}' is {kind}; a "
            f"{ctx.step.label} fault changes numbers or text"
        )
    return kind


@FAULTS.register("unit_scale_change")
class UnitScaleChange(Fault):
    """A column written in another unit: every value is off by the same factor."""

    Params = ScaleParams
    scope = "column"
    description = "a column was written in another unit (e.g. cents instead of dollars)"
    evidence = "every non-null value of the column is the expected value times the factor"
    signs = frozenset({"changed_values"})

    def _inject(self, ctx: FaultContext, table: str) -> FaultEffect:
        col, clean = ctx.params.column, ctx.clean[table]
        kind = sql_type(ctx.require_column(table, col, "column"))
        scaled = f"{ident(col)} * {literal(float(ctx.params.factor))}"
        if kind == "BIGINT":
            scaled = f"CAST({scaled} AS BIGINT)"
        out = ctx.table(f"SELECT * REPLACE ({scaled} AS {ident(col)}) FROM {clean}")  # scan order
        nonzero = f"{ident(col)} IS NOT NULL AND {ident(col)} <> 0"
        if kind == "DOUBLE":
            nonzero += f" AND NOT isnan({ident(col)})"
        return FaultEffect(
            {table: out},
            [col],
            ctx.keys_where(out, nonzero),
            {
                "column": col,
                "factor": ctx.params.factor,
                "from_unit": ctx.params.from_unit,
                "to_unit": ctx.params.to_unit,
            },
        )

    def _verify_details(self, diff: TableDiff, label: dict, record: dict) -> list[str]:
        col, factor = label["details"]["column"], label["details"]["factor"]
        if col not in diff.changed:
            return []
        c = ident(col)
        x, a = f"CAST(e.{c} AS DOUBLE) * {literal(float(factor))}", f"CAST(a.{c} AS DOUBLE)"
        # numpy.isclose's defaults: relative 1e-5, absolute 1e-8; NULL only matches NULL.
        bad = diff.ws.scalar(
            f"SELECT count(*) FROM {diff.expected} e JOIN {diff.actual} a "
            f"ON {key_match(diff.key, 'e', 'a')} WHERE NOT COALESCE(({x} IS NULL AND {a} IS NULL) "
            f"OR {x} = {a} OR abs({x} - {a}) <= 1e-8 + 1e-5 * abs({a}), false)"
        )
        if bad:
            return [f"{col}: {bad} value(s) are not the expected x {factor}"]
        return []


@FAULTS.register("mixed_operation")
class MixedOperation(Fault):
    """An insert-only load that also updated earlier rows (a MERGE, not an INSERT)."""

    Params = MixedParams
    scope = "cells"
    description = (
        "an insert-only load also updated rows loaded by earlier runs (a MERGE, not INSERT)"
    )
    evidence = "besides the inserted batch, rows older than the watermark changed values"
    signs = frozenset({"changed_values"})
    applies_to = "incremental_load"

    def _inject(self, ctx: FaultContext, table: str) -> FaultEffect:
        clean = ctx.clean[table]
        tc, wm = ctx.op_params.time_column, dt.datetime.fromisoformat(ctx.op_params.watermark)
        ctx.require_column(table, tc, "time_column (of the load)")
        earlier = f"COALESCE(CAST({ident(tc)} AS TIMESTAMP) <= {literal(wm)}, false)"
        existing = ctx.ws.column(f"SELECT rowid FROM {clean} WHERE {earlier} ORDER BY rowid")
        hit = existing.to_numpy()[ctx.sample(len(existing), ctx.params.fraction)]
        positions = ctx.positions(hit)
        new = {}
        for col in ctx.params.columns:
            kind = _kind(ctx, table, col, "columns")
            current = _values_at(ctx, clean, col, positions)
            new[col] = self._update(ctx, clean, col, kind, current)
        edited = _edited(ctx, clean, hit, new, "LEFT")
        out = ctx.table(f"SELECT * EXCLUDE (__p) FROM ({edited}) ORDER BY __p")
        inserted = ctx.ws.scalar(f"SELECT count_if(NOT {earlier}) FROM {out}")
        return FaultEffect(
            {table: out},
            list(ctx.params.columns),
            ctx.keys_where(clean, f"rowid IN (SELECT pos FROM {positions})", key_order(ctx.key)),
            {"time_column": tc, "watermark": ctx.op_params.watermark},
            stats={"rows_inserted": int(inserted), "rows_updated": len(hit)},
        )

    @staticmethod
    def _update(ctx: FaultContext, clean: str, col: str, kind: str, current: pa.Array) -> pa.Array:
        """Stray new values: numbers 5-30 % up (integers at least +1), text another value."""
        if kind == "VARCHAR":
            two = [r[0] for r in ctx.ws.rows(
                f"SELECT DISTINCT {ident(col)} FROM {clean} WHERE {ident(col)} IS NOT NULL "
                f"ORDER BY {ident(col)} LIMIT 2"
            )]  # fmt: skip
            cur = ["None" if v is None else str(v) for v in current.to_pylist()]
            return pa.array([next((c for c in two if c != v), v + "*") for v in cur], pa.string())
        bump = 1 + ctx.rng.uniform(0.05, 0.3, size=len(current))
        values = current.to_numpy(zero_copy_only=False).astype(float)
        if kind == "BIGINT":
            new = np.maximum(values + 1, np.round(values * bump))
            return pa.array(new, pa.float64(), from_pandas=True).cast(pa.int64())
        return pa.array(np.round(values * bump, 2), pa.float64(), from_pandas=True)

    def _verify_details(self, diff: TableDiff, label: dict, record: dict) -> list[str]:
        problems = []
        tc = ident(label["details"]["time_column"])
        wm = literal(dt.datetime.fromisoformat(label["details"]["watermark"]))
        newer = diff.ws.scalar(
            f"SELECT count_if(__hit AND NOT COALESCE(CAST({tc} AS TIMESTAMP) <= {wm}, false)) "
            f"FROM ({diff.flagged('changed')})"
        )
        if newer:
            problems.append("changed rows include rows of the new batch, not only earlier loads")
        if not record.get("stats", {}).get("rows_updated"):
            problems.append("the run reports no updated rows")
        return problems


@FAULTS.register("merge_conflict")
class MergeConflict(Fault):
    """Two branches disagree on an entity and the merge kept both versions."""

    Params = MergeConflictParams
    scope = "rows"
    description = "two branches disagree on an entity and the merge kept both versions"
    evidence = "labeled keys appear twice with different values in the labeled columns"
    signs = frozenset({"duplicate_rows"})
    applies_to = "merge"

    def _inject(self, ctx: FaultContext, table: str) -> FaultEffect:
        clean, keys = ctx.clean[table], ctx.keys_sql
        # Only keys that both branches carry can conflict.
        other = [t for t in ctx.step.inputs if t != ctx.step.inputs[0]]
        in_other = " UNION ".join(f"SELECT {keys} FROM {ctx.inputs[t]}" for t in other)
        both = ctx.ws.column(
            f"SELECT c.rowid FROM {clean} c SEMI JOIN ({in_other}) o "
            f"ON {key_match(ctx.key, 'c', 'o')} ORDER BY c.rowid"
        )
        hit = both.to_numpy()[ctx.sample(len(both), ctx.params.fraction)]
        positions = ctx.positions(hit)
        src = getattr(ctx.op_params, "source_column", None)
        new: dict[str, pa.Array] = {}
        if src:
            new[src] = pa.array([other[0]] * len(hit), pa.string())
        for col in ctx.params.columns:
            kind = _kind(ctx, table, col, "columns")
            if col == src:
                continue
            current = _values_at(ctx, clean, col, positions)
            if kind == "VARCHAR":
                text = ["None" if v is None else str(v) for v in current.to_pylist()]
                new[col] = pa.array([v.upper() + " " for v in text], pa.string())
            else:
                values = current.to_numpy(zero_copy_only=False).astype(float) * 1.1
                new[col] = pa.array(values, pa.float64(), from_pandas=True)
        # Each losing version lands right after the kept one (a stable sort by key).
        losers = _edited(ctx, clean, hit, new, "INNER")
        merged = ctx.table(
            f"SELECT * EXCLUDE (__p, __loser) FROM (SELECT *, rowid AS __p, 0 AS __loser "
            f"FROM {clean} UNION ALL SELECT *, 1 FROM ({losers})) "
            f"ORDER BY {key_order(ctx.key)}, __loser, __p"
        )
        return FaultEffect(
            {table: merged},
            sorted({*ctx.params.columns, *([src] if src else [])}),
            ctx.keys_where(clean, f"rowid IN (SELECT pos FROM {positions})", key_order(ctx.key)),
            {"branches": list(ctx.step.inputs)},
        )

    def _verify_details(self, diff: TableDiff, label: dict, record: dict) -> list[str]:
        problems = []
        if diff.identical_duplicates:
            problems.append(
                f"{diff.identical_duplicates} duplicated key(s) have identical copies: a reload, "
                "not a conflict"
            )
        extra = set(diff.conflicts) - set(label.get("columns", []))
        if extra:
            problems.append(f"copies also disagree on unlabeled columns: {sorted(extra)}")
        return problems


@FAULTS.register("schema_drift")
class SchemaDrift(Fault):
    """The output's schema drifted from the declared one: renamed, retyped or dropped."""

    Params = DriftParams
    scope = "schema"
    description = "the output's schema drifted from the declared one (renamed, retyped, dropped)"
    evidence = "the stored output's columns or types differ from the declared schema"
    signs = frozenset({"schema_changed"})

    def _check_step(
        self, step: Step, params: Any, consumers: dict[str, list[str]]
    ) -> list[tuple[tuple, str]]:
        problems = []
        if params.change == "rename" and not params.new_name:
            problems.append((("fault_params", "new_name"), "a rename needs new_name"))
        if params.change == "retype" and not params.new_type:
            problems.append((("fault_params", "new_type"), "a retype needs new_type"))
        if params.column in step.key:
            problems.append((("fault_params", "column"), "drifting a key column hides every row"))
        return problems

    def _inject(self, ctx: FaultContext, table: str) -> FaultEffect:
        p, clean = ctx.params, ctx.clean[table]
        ctx.require_column(table, p.column, "column")
        cols = []
        for c in ctx.ws.columns(clean):
            if c != p.column:
                cols.append(ident(c))
            elif p.change == "rename":
                cols.append(f"{ident(c)} AS {ident(p.new_name)}")
            elif p.change == "retype":
                cols.append(f"CAST({ident(c)} AS {p.new_type}) AS {ident(c)}")
        out = ctx.table(f"SELECT {', '.join(cols)} FROM {clean}")  # scan order
        return FaultEffect(
            {table: out},
            [p.column],
            ctx.keys_where(clean, "true"),
            {
                "change": p.change,
                "column": p.column,
                "new_name": p.new_name,
                "new_type": p.new_type,
            },
        )

    def _verify_details(self, diff: TableDiff, label: dict, record: dict) -> list[str]:
        d = label["details"]
        col = d["column"]
        if d["change"] == "rename":
            if diff.missing_columns != [col] or diff.extra_columns != [d["new_name"]]:
                return [
                    f"expected '{col}' renamed to '{d['new_name']}', found missing "
                    f"{diff.missing_columns} and extra {diff.extra_columns}"
                ]
            # Row by row (the rename keeps the order): the same values under the new name.
            differ = diff.ws.scalar(
                f"SELECT count(*) FROM (SELECT rowid AS r, CAST({ident(col)} AS VARCHAR) AS v "
                f"FROM {diff.expected}) e FULL JOIN (SELECT rowid AS r, "
                f"CAST({ident(d['new_name'])} AS VARCHAR) AS v FROM {diff.actual}) a "
                "ON e.r = a.r WHERE e.r IS NULL OR a.r IS NULL OR e.v IS DISTINCT FROM a.v"
            )
            if differ:
                return [f"renamed column '{d['new_name']}' does not hold the values of '{col}'"]
        elif d["change"] == "drop":
            if diff.missing_columns != [col] or diff.extra_columns:
                return [f"expected only '{col}' dropped, found missing {diff.missing_columns}"]
        elif list(diff.retyped_columns) != [col] or diff.retyped_columns[col][1] != d["new_type"]:
            return [f"expected '{col}' retyped to {d['new_type']}, found {diff.retyped_columns}"]
        return []
