"""Join and input faults: the step's SQL re-run on what a buggy job really read or ran.

An inner join against an incomplete key set, a left join against an old dimension snapshot, a
join on the wrong key, an input column nulled by a faulty cast: each changes the inputs or the
join and re-runs the step, so the output is what that bug would produce, rows and cells alike.
"""

from __future__ import annotations

from typing import Any

import numpy as np
import pandas as pd
from pydantic import Field

from synthgen_sdv.core.errors import SynthgenError
from synthgen_sdv.core.strict import StrictModel
from synthgen_sdv.lineage.faults.base import (
    FAULTS,
    Fault,
    FaultContext,
    FaultEffect,
    TableParams,
    key_rows,
    sorted_keys,
)
from synthgen_sdv.lineage.operations import references
from synthgen_sdv.lineage.tables import TableDiff, diff_tables, json_value, key_tuples, to_pandas


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
        raise SynthgenError(
            f"step '{ctx.step.id}': a {ctx.step.label} fault needs a step with joins"
        )
    if ctx.params.join is None:
        return 0, joins[0]
    for i, j in enumerate(joins):
        if j.table == ctx.params.join:
            return i, j
    raise SynthgenError(
        f"steps.{ctx.step.id}.fault_params.join: '{ctx.params.join}' is not joined; "
        f"joins: {', '.join(j.table for j in joins)}"
    )


def _left_join(ctx: FaultContext) -> tuple[int, Any]:
    """The join the fault hits, which must be a left join (its rows survive any mismatch)."""
    i, j = _join(ctx)
    if j.how != "left":
        raise SynthgenError(
            f"step '{ctx.step.id}': {ctx.step.label} needs a left join of {j.table}"
        )
    return i, j


def _join_column(ctx: FaultContext, i: int) -> str:
    """The joined table's column in the join condition (its key)."""
    j = ctx.op_params.joins[i]
    schemas = {t: tb.column_names for t, tb in ctx.inputs.items()}
    cols = [c for t, c in references(j.condition, schemas, list(schemas)) if t == j.table]
    if not cols:
        raise SynthgenError(f"step '{ctx.step.id}': cannot find {j.table}'s key in '{j.condition}'")
    return cols[0]


def _with_join(op_params: Any, i: int, **update: Any) -> Any:
    """The operation params with join ``i`` changed (e.g. its condition or its kind)."""
    joins = list(op_params.joins)
    joins[i] = joins[i].model_copy(update=update)
    return op_params.model_copy(update={"joins": joins})


def _rerun(
    ctx: FaultContext, table: str, inputs: dict[str, Any], op_params: Any
) -> tuple[dict[str, Any], TableDiff]:
    """Every output of the step re-run as the faulty job ran it, and how the target changed."""
    faulted = ctx.rerun(inputs, op_params)
    return faulted, diff_tables(ctx.clean[table], faulted[table], ctx.key)


def _changed_cells(faulted: dict[str, Any], diff: TableDiff, details: dict) -> FaultEffect:
    """A re-run whose rows all survived: the label names the changed cells."""
    return FaultEffect(faulted, sorted(diff.changed), sorted_keys(diff.changed_keys), details)


def _changed_to_null(diff: TableDiff, label: dict, why: str = "") -> list[str]:
    """Columns whose changed values are not all NULL (a missing match or a nulled input)."""
    return [
        f"{col}: changed values are not NULL{why}"
        for col, keys in diff.changed.items()
        if key_rows(diff.actual, label["primary_key"], keys)[col].notna().any()
    ]


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
        col = _join_column(ctx, i)
        dim = to_pandas(ctx.inputs[j.table])
        values = pd.unique(dim[col].dropna())
        drop = set(values[ctx.sample(len(values), ctx.params.fraction)].tolist())
        inputs = ctx.inputs_with(j.table, dim[~dim[col].isin(drop)])
        faulted, diff = _rerun(ctx, table, inputs, _with_join(ctx.op_params, i, how="inner"))
        return FaultEffect(
            faulted,
            [],
            sorted_keys(diff.missing_keys),
            {
                "join_table": j.table,
                "join_column": col,
                "unmatched_keys": sorted(json_value(v) for v in drop),
            },
        )

    def _verify_details(self, diff: TableDiff, label: dict, record: dict) -> list[str]:
        # When the join column is in the output, the lost rows must be exactly those whose key
        # the job could not match: all lost rows carry one, and no surviving row does.
        col = label["details"]["join_column"]
        exp = diff.expected
        if col not in exp.columns:
            return []
        unmatched = set(label["details"]["unmatched_keys"])
        lost = np.array([k in diff.missing_keys for k in key_tuples(exp, label["primary_key"])])
        values = np.array([json_value(v) in unmatched for v in exp[col].tolist()], dtype=bool)
        problems = []
        if (lost & ~values).any():
            problems.append(f"{int((lost & ~values).sum())} lost row(s) have a matched {col}")
        if (~lost & values).any():
            problems.append(
                f"{int((~lost & values).sum())} row(s) with an unmatched {col} survived"
            )
        return problems


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
        dim = to_pandas(ctx.inputs[j.table])
        dc = ctx.params.date_column
        if dc not in dim.columns:
            raise SynthgenError(
                f"steps.{ctx.step.id}.fault_params.date_column: '{dc}' is not a column of {j.table}"
            )
        when = pd.to_datetime(dim[dc])
        snapshot = when.max() - pd.Timedelta(days=ctx.params.lag_days)
        inputs = ctx.inputs_with(j.table, dim[(when <= snapshot).to_numpy()])
        faulted, diff = _rerun(ctx, table, inputs, ctx.op_params)
        return _changed_cells(
            faulted,
            diff,
            {
                "dimension": j.table,
                "snapshot_date": json_value(snapshot.date()),
                "date_column": dc,
                "join_column": _join_column(ctx, i),
            },
        )

    def _verify_details(self, diff: TableDiff, label: dict, record: dict) -> list[str]:
        return _changed_to_null(diff, label, ", not a missing dimension member")


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
        if diff.missing_keys or diff.extra_keys or diff.duplicate_keys:
            raise SynthgenError(
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
        src = to_pandas(ctx.inputs[t])
        col = ctx.params.input_column
        if col not in src.columns:
            raise SynthgenError(
                f"steps.{ctx.step.id}.fault_params.input_column: '{col}' is not a column of {t}"
            )
        hit = ctx.sample(len(src), ctx.params.fraction)
        src = src.copy()
        src[col] = src[col].astype(object)
        src.iloc[hit, src.columns.get_loc(col)] = None
        faulted, diff = _rerun(ctx, table, ctx.inputs_with(t, src), ctx.op_params)
        if diff.missing_keys or diff.extra_keys:
            raise SynthgenError(
                f"step '{ctx.step.id}': NULLs in {t}.{col} change the row set; choose a column "
                "that is not a key or filter"
            )
        return _changed_cells(faulted, diff, {"input": f"{t}.{col}", "input_rows_nulled": len(hit)})

    def _verify_details(self, diff: TableDiff, label: dict, record: dict) -> list[str]:
        return _changed_to_null(diff, label)
