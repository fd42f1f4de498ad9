"""Value and schema faults: the right rows were written, with wrong values or a wrong shape.

A column in another unit, stray updates by an insert-only load, two branches' versions of one
entity kept side by side, a renamed, retyped or dropped column. Each edits the clean output.
"""

from __future__ import annotations

from typing import Any, Literal

import numpy as np
import pandas as pd
import pyarrow as pa
from pydantic import Field

from synthgen_sdv.core.strict import StrictModel
from synthgen_sdv.lineage.faults.base import (
    FAULTS,
    Fault,
    FaultContext,
    FaultEffect,
    TableParams,
    sorted_keys,
)
from synthgen_sdv.lineage.models import Step
from synthgen_sdv.lineage.tables import TableDiff, key_tuples, to_pandas


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


_ARROW = {"VARCHAR": pa.string(), "DOUBLE": pa.float64(), "BIGINT": pa.int64()}


def _keyed(frame: pd.DataFrame, key: list[str]) -> pd.DataFrame:
    """``frame`` with a text form of each row's key, to merge expected and actual rows on."""
    return frame.assign(_k=[repr(k) for k in key_tuples(frame, key)])


@FAULTS.register("unit_scale_change")
class UnitScaleChange(Fault):
    """A column written in another unit: every value is off by the same factor."""

    Params = ScaleParams
    scope = "column"
    description = "a column was written in another unit (e.g. cents instead of dollars)"
    evidence = "every non-null value of the column is the expected value times the factor"
    signs = frozenset({"changed_values"})

    def _inject(self, ctx: FaultContext, table: str) -> FaultEffect:
        col = ctx.params.column
        ctx.require_column(table, col, "column")
        df = ctx.frame(table)
        df[col] = df[col] * ctx.params.factor
        return FaultEffect(
            {table: ctx.rebuild(table, df)},
            [col],
            key_tuples(df[df[col].notna() & (df[col] != 0)], ctx.key),
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
        pk = label["primary_key"]
        exp, act = _keyed(diff.expected, pk), _keyed(diff.actual, pk)
        merged = exp[["_k", col]].merge(act[["_k", col]], on="_k", suffixes=("_e", "_a"))
        ok = np.isclose(merged[f"{col}_e"] * factor, merged[f"{col}_a"], equal_nan=True)
        if not ok.all():
            return [f"{col}: {int((~ok).sum())} value(s) are not the expected x {factor}"]
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
        df = ctx.frame(table)
        tc, wm = ctx.op_params.time_column, pd.Timestamp(ctx.op_params.watermark)
        ctx.require_column(table, tc, "time_column (of the load)")
        existing = np.flatnonzero((pd.to_datetime(df[tc]) <= wm).to_numpy())
        hit = existing[ctx.sample(len(existing), ctx.params.fraction)]
        for col in ctx.params.columns:
            ctx.require_column(table, col, "columns")
            if pd.api.types.is_numeric_dtype(df[col]) and not pd.api.types.is_bool_dtype(df[col]):
                bump = 1 + ctx.rng.uniform(0.05, 0.3, size=len(hit))
                new = df[col].iloc[hit].to_numpy(dtype=float) * bump
                if pd.api.types.is_integer_dtype(df[col]):
                    new = np.maximum(df[col].iloc[hit].to_numpy() + 1, np.round(new)).astype(
                        "int64"
                    )
                else:
                    new = np.round(new, 2)
                df.iloc[hit, df.columns.get_loc(col)] = new
            else:
                choices = sorted(df[col].dropna().astype(str).unique())
                cur = df[col].iloc[hit].astype(str).to_numpy()
                new = [next((c for c in choices if c != v), v + "*") for v in cur]
                df.iloc[hit, df.columns.get_loc(col)] = new
        inserted = int((pd.to_datetime(df[tc]) > wm).sum())
        return FaultEffect(
            {table: ctx.rebuild(table, df)},
            list(ctx.params.columns),
            sorted_keys(key_tuples(df.iloc[hit], ctx.key)),
            {"time_column": tc, "watermark": ctx.op_params.watermark},
            stats={"rows_inserted": inserted, "rows_updated": len(hit)},
        )

    def _verify_details(self, diff: TableDiff, label: dict, record: dict) -> list[str]:
        problems = []
        tc, wm = label["details"]["time_column"], pd.Timestamp(label["details"]["watermark"])
        exp = diff.expected
        keys = key_tuples(exp, label["primary_key"])
        changed = diff.changed_keys
        old = pd.to_datetime(exp[tc]) <= wm
        if any(k in changed and not o for k, o in zip(keys, old, strict=True)):
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
        df = ctx.frame(table)
        # Only keys that both branches carry can conflict.
        other = [t for t in ctx.step.inputs if t != ctx.step.inputs[0]]
        in_other: set[tuple] = set()
        for t in other:
            in_other |= set(key_tuples(to_pandas(ctx.inputs[t]), ctx.key))
        keys = key_tuples(df, ctx.key)
        both = np.flatnonzero([k in in_other for k in keys])
        hit = both[ctx.sample(len(both), ctx.params.fraction)]
        losers = df.iloc[hit].copy()
        src = getattr(ctx.op_params, "source_column", None)
        if src:
            losers[src] = other[0]
        for col in ctx.params.columns:
            ctx.require_column(table, col, "columns")
            if col == src:
                continue
            if pd.api.types.is_numeric_dtype(losers[col]):
                losers[col] = losers[col] * 1.1
            else:
                losers[col] = losers[col].astype(str).str.upper() + " "
        merged = pd.concat([df, losers]).sort_values(ctx.key, kind="stable")
        return FaultEffect(
            {table: ctx.rebuild(table, merged)},
            sorted({*ctx.params.columns, *([src] if src else [])}),
            sorted_keys(key_tuples(losers, ctx.key)),
            {"branches": list(ctx.step.inputs)},
        )

    def _verify_details(self, diff: TableDiff, label: dict, record: dict) -> list[str]:
        problems = []
        same = diff.duplicate_keys - set(diff.conflicting_duplicates)
        if same:
            problems.append(
                f"{len(same)} duplicated key(s) have identical copies: a reload, not a conflict"
            )
        cols = (
            set().union(*diff.conflicting_duplicates.values())
            if diff.conflicting_duplicates
            else set()
        )
        if cols - set(label.get("columns", [])):
            problems.append(
                f"copies also disagree on unlabeled columns: {sorted(cols - set(label['columns']))}"
            )
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
        p = ctx.params
        ctx.require_column(table, p.column, "column")
        clean = ctx.clean[table]
        i = clean.column_names.index(p.column)
        if p.change == "rename":
            out = clean.rename_columns(
                [p.new_name if c == p.column else c for c in clean.column_names]
            )
        elif p.change == "drop":
            out = clean.drop_columns([p.column])
        else:
            out = clean.set_column(i, p.column, clean.column(i).cast(_ARROW[p.new_type]))
        return FaultEffect(
            {table: out},
            [p.column],
            key_tuples(to_pandas(clean), ctx.key),
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
            same = (
                diff.expected[col].astype(str).to_numpy()
                == diff.actual[d["new_name"]].astype(str).to_numpy()
            )
            if not same.all():
                return [f"renamed column '{d['new_name']}' does not hold the values of '{col}'"]
        elif d["change"] == "drop":
            if diff.missing_columns != [col] or diff.extra_columns:
                return [f"expected only '{col}' dropped, found missing {diff.missing_columns}"]
        elif list(diff.retyped_columns) != [col] or diff.retyped_columns[col][1] != d["new_type"]:
            return [f"expected '{col}' retyped to {d['new_type']}, found {diff.retyped_columns}"]
        return []
