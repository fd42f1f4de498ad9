"""Join and input faults: the step's SQL re-run on what a buggy job really read or ran.

An inner join against an incomplete key set, a left join against an old dimension snapshot, a
join on the wrong key, an input column nulled by a faulty cast: each changes the inputs or the
join and re-runs the step, so the output is what that bug would produce, rows and cells alike.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

import pyarrow as pa
from pydantic import Field

from synthgen_sdv.core.errors import InputError
from synthgen_sdv.core.strict import StrictModel
from synthgen_sdv.lineage.diff import TableDiff, diff_tables
from synthgen_sdv.lineage.faults.base import (
    FAULTS,
    Fault,
    FaultContext,
    FaultEffect,
    TableParams,
)
from synthgen_sdv.lineage.operations import references
from synthgen_sdv.lineage.tables import json_value
from synthgen_sdv.lineage.workspace import ident, literal


class JoinFaultParams(StrictModel):
    """Which join loses keys, and how many of its keys."""

    join: str | None = Field(default=None, description="the joined table; default the first join")
    fraction: float = Field(default=0.1, gt=0, lt=1)


class StaleDimensionParams(StrictModel):
    """Which dimension was read from an old snapshot, and how old it was."""

    join: str | None = None
    date_column: str = Field(description="the dimension's column that says when a member appeared")
    lag_days: int = Field(default=120, ge=1)


class WrongKeyParams(StrictModel):
    """Which join ran on the wrong condition, and that condition."""

    join: str | None = None
    wrong_condition: str = Field(description="the mistaken join condition the job ran with")


class NullParams(TableParams):
    """Which input column a faulty cast nulled, and in how many rows."""

    input_table: str | None = Field(default=None, description="default: the step's first input")
    input_column: str = Field(description="the input column a faulty cast turns into NULL")
    fraction: float = Field(default=0.05, gt=0, lt=1)


def _join(ctx: FaultContext) -> tuple[int, Any]:
    """The join the fault hits: ``fault_params.join``, else the step's first join."""
    joins = getattr(ctx.op_params, "joins", None)
    if not joins:
        raise InputError(f"step '{ctx.step.id}': a {ctx.step.label} fault needs a step with joins")
    if ctx.params.join is None:
        return 0, joins[0]
    for i, j in enumerate(joins):
        if j.table == ctx.params.join:
            return i, j
    raise InputError(
        f"steps.{ctx.step.id}.fault_params.join: '{ctx.params.join}' is not joined; "
        f"joins: {', '.join(j.table for j in joins)}"
    )


def _left_join(ctx: FaultContext) -> tuple[int, Any]:
    """The join the fault hits, which must be a left join (its rows survive any mismatch)."""
    i, j = _join(ctx)
    if j.how != "left":
        raise InputError(f"step '{ctx.step.id}': {ctx.step.label} needs a left join of {j.table}")
    return i, j


def _join_column(ctx: FaultContext, i: int) -> str:
    """The joined table's column in the join condition (its key)."""
    j = ctx.op_params.joins[i]
    schemas = {t: ctx.ws.columns(rel) for t, rel in ctx.inputs.items()}
    cols = [c for t, c in references(j.condition, schemas, list(schemas)) if t == j.table]
    if not cols:
        raise InputError(f"step '{ctx.step.id}': cannot find {j.table}'s key in '{j.condition}'")
    return cols[0]


def _with_join(op_params: Any, i: int, **update: Any) -> Any:
    """The operation params with join ``i`` changed (e.g. its condition or its kind)."""
    joins = list(op_params.joins)
    joins[i] = joins[i].model_copy(update=update)
    return op_params.model_copy(update={"joins": joins})


def _rerun(
    ctx: FaultContext, table: str, inputs: dict[str, Any], op_params: Any, cells: bool = True
) -> tuple[dict[str, Any], TableDiff]:
    """Every output of the step re-run as the faulty job ran it, and how the target changed
    (``cells=False``: its rows only; see ``diff_tables``)."""
    faulted = ctx.rerun(inputs, op_params)
    return faulted, diff_tables(ctx.ws, ctx.clean[table], faulted[table], ctx.key, cells)


def _changed_cells(faulted: dict[str, Any], diff: TableDiff, details: dict) -> FaultEffect:
    """A re-run whose rows all survived: the label names the changed cells."""
    return FaultEffect(faulted, sorted(diff.changed), diff.keys("changed"), details)


def _changed_to_null(diff: TableDiff, why: str = "") -> list[str]:
    """Columns whose changed values are not all NULL (a missing match or a nulled input)."""
    problems = []
    for col in diff.changed:
        keys = diff.key_set("changed", column=col)
        not_null = diff.ws.scalar(
            f"SELECT count(*) FROM {diff.actual} a JOIN ({keys}) c "
            f"ON {_match(diff.key)} WHERE a.{ident(col)} IS NOT NULL"
        )
        if not_null:
            problems.append(f"{col}: changed values are not NULL{why}")
    return problems


def _match(key: list[str]) -> str:
    return " AND ".join(f"a.{ident(k)} IS NOT DISTINCT FROM c.{ident(k)}" for k in key)


def _snapshot(ctx: FaultContext, relation: str, column: str, lag_days: int) -> dt.datetime:
    """The time ``lag_days`` before the latest value of ``column`` (a dimension's dates)."""
    latest = ctx.time_max(relation, column)
    if latest is None:
        raise InputError(
            f"step '{ctx.step.id}': '{column}' has no values, so a {ctx.step.label} fault has "
            "no snapshot to go back to"
        )
    return latest - dt.timedelta(days=lag_days)


@FAULTS.register("partial_join")
class PartialJoin(Fault):
    """An inner join against an incomplete key set: the unmatched rows were lost."""

    Params = JoinFaultParams
    scope = "rows"
    description = "an inner join ran against an incomplete key set; unmatched rows were lost"
    evidence = (
        "the output has fewer rows than its inputs imply; lost rows share unmatched join keys"
    )
    signs = frozenset({"missing_rows"})

    def _inject(self, ctx: FaultContext, table: str) -> FaultEffect:
        i, j = _join(ctx)
        col = ident(_join_column(ctx, i))
        dim = ctx.inputs[j.table]
        # The join key's values in the order they first appear, as pandas.unique gives them,
        # numbered in the workspace: only the sampled ones come to Python (not millions).
        values = ctx.table(
            f"SELECT {col} AS v, row_number() OVER (ORDER BY min(rowid)) - 1 AS pos "
            f"FROM {dim} WHERE {col} IS NOT NULL GROUP BY {col}"
        )
        sampled = ctx.positions(ctx.sample(ctx.ws.count(values), ctx.params.fraction))
        drop = ctx.ws.column(
            f"SELECT v FROM {values} WHERE pos IN (SELECT pos FROM {sampled}) ORDER BY pos"
        )
        dropped = ctx.ws.register(pa.table({"v": drop}))
        kept = (
            f"(SELECT * FROM {dim} WHERE {col} IS NULL OR {col} NOT IN (SELECT v FROM {dropped}))"
        )
        # An inner join on fewer keys only loses rows: the label needs the missing keys alone.
        faulted, diff = _rerun(
            ctx, table, {j.table: kept}, _with_join(ctx.op_params, i, how="inner"), cells=False
        )
        return FaultEffect(
            faulted,
            [],
            diff.keys("missing"),
            {
                "join_table": j.table,
                "join_column": _join_column(ctx, i),
                "unmatched_keys": sorted(json_value(v) for v in drop.to_pylist()),
            },
        )

    def _verify_details(self, diff: TableDiff, label: dict, record: dict) -> list[str]:
        # When the join column is in the output, the lost rows must be exactly those whose key
        # the job could not match: all lost rows carry one, and no surviving row does.
        col = label["details"]["join_column"]
        types = dict(diff.ws.describe(diff.expected))
        if col not in types:
            return []
        unmatched = diff.ws.register(_values_table(label["details"]["unmatched_keys"]))
        lost_matched, kept_unmatched = diff.ws.rows(
            f"SELECT count_if(__hit AND NOT __unmatched), count_if(NOT __hit AND __unmatched) "
            f"FROM (SELECT __hit, COALESCE({ident(col)} IN (SELECT TRY_CAST(v AS {types[col]}) "
            f"FROM {unmatched}), false) AS __unmatched FROM ({diff.flagged('missing')}))"
        )[0]
        problems = []
        if lost_matched:
            problems.append(f"{lost_matched} lost row(s) have a matched {col}")
        if kept_unmatched:
            problems.append(f"{kept_unmatched} row(s) with an unmatched {col} survived")
        return problems


def _values_table(values: list) -> pa.Table:
    """JSON values as a one-column table (text when their types are mixed)."""
    try:
        arr = pa.array(values)
    except (pa.ArrowInvalid, pa.ArrowTypeError):
        arr = pa.array([None if v is None else str(v) for v in values], pa.string())
    if pa.types.is_null(arr.type):
        arr = arr.cast(pa.string())
    return pa.table({"v": arr})


@FAULTS.register("stale_dimension")
class StaleDimension(Fault):
    """A left join against an old snapshot of a dimension: new members have no attributes."""

    Params = StaleDimensionParams
    scope = "cells"
    description = "a left join read an old snapshot of a dimension; new members have no attributes"
    evidence = (
        "dimension attributes are NULL for rows whose key is a member newer than the snapshot"
    )
    signs = frozenset({"changed_values"})

    def _inject(self, ctx: FaultContext, table: str) -> FaultEffect:
        i, j = _left_join(ctx)
        dim = ctx.inputs[j.table]
        dc = ctx.params.date_column
        if dc not in ctx.ws.columns(dim):
            raise InputError(
                f"steps.{ctx.step.id}.fault_params.date_column: '{dc}' is not a column of {j.table}"
            )
        snapshot = _snapshot(ctx, dim, dc, ctx.params.lag_days)
        # Members that appeared after the snapshot (or with no date) are not in it.
        inputs = {
            j.table: f"(SELECT * FROM {dim} WHERE CAST({ident(dc)} AS TIMESTAMP) <= "
            f"{literal(snapshot)})"
        }
        faulted, diff = _rerun(ctx, table, inputs, ctx.op_params)
        return _changed_cells(
            faulted,
            diff,
            {
                "dimension": j.table,
                "snapshot_date": snapshot.date().isoformat(),
                "date_column": dc,
                "join_column": _join_column(ctx, i),
            },
        )

    def _verify_details(self, diff: TableDiff, label: dict, record: dict) -> list[str]:
        return _changed_to_null(diff, ", not a missing dimension member")


@FAULTS.register("wrong_join_key")
class WrongJoinKey(Fault):
    """A join on the wrong key: rows got another entity's attributes."""

    Params = WrongKeyParams
    scope = "cells"
    description = "a join used the wrong key column; rows got another entity's attributes"
    evidence = "columns taken from the joined table differ from what the declared join gives"
    signs = frozenset({"changed_values"})

    def _inject(self, ctx: FaultContext, table: str) -> FaultEffect:
        i, j = _left_join(ctx)
        wrong = ctx.params.wrong_condition
        faulted, diff = _rerun(
            ctx, table, ctx.inputs, _with_join(ctx.op_params, i, condition=wrong)
        )
        if {"missing_rows", "extra_rows", "duplicate_rows"} & set(diff.signs()):
            raise InputError(
                f"step '{ctx.step.id}': wrong_condition '{wrong}' changes the row set; "
                "pick a condition that matches at most one row of the joined table"
            )
        return _changed_cells(
            faulted, diff, {"join_table": j.table, "declared_on": j.condition, "executed_on": wrong}
        )


@FAULTS.register("null_propagation")
class NullPropagation(Fault):
    """An input column nulled by a faulty cast: NULLs flowed into every derived column."""

    Params = NullParams
    scope = "cells"
    description = "a faulty cast nulled an input column; NULLs flowed into every derived column"
    evidence = "the columns derived from the input column are NULL in the labeled rows"
    signs = frozenset({"changed_values"})

    def _inject(self, ctx: FaultContext, table: str) -> FaultEffect:
        t = ctx.params.input_table or ctx.step.inputs[0]
        src = ctx.inputs[t]
        col = ctx.params.input_column
        if col not in ctx.ws.columns(src):
            raise InputError(
                f"steps.{ctx.step.id}.fault_params.input_column: '{col}' is not a column of {t}"
            )
        hit = ctx.sample(ctx.ws.count(src), ctx.params.fraction)
        nulled = (
            f"(SELECT * REPLACE (CASE WHEN rowid IN (SELECT pos FROM {ctx.positions(hit)}) "
            f"THEN NULL ELSE {ident(col)} END AS {ident(col)}) FROM {src})"
        )
        faulted, diff = _rerun(ctx, table, {t: nulled}, ctx.op_params)
        if {"missing_rows", "extra_rows"} & set(diff.signs()):
            raise InputError(
                f"step '{ctx.step.id}': NULLs in {t}.{col} change the row set; choose a column "
                "that is not a key or filter"
            )
        return _changed_cells(faulted, diff, {"input": f"{t}.{col}", "input_rows_nulled": len(hit)})

    def _verify_details(self, diff: TableDiff, label: dict, record: dict) -> list[str]:
        return _changed_to_null(diff)
