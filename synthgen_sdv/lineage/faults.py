"""Fault plug-ins: each injects one kind of ETL fault at a step and says how the data proves it.

A fault either edits the clean output (a partial write, a duplicate batch) or re-runs the step's
SQL on altered inputs or params (a join against an incomplete key set), so what lands in the
output is what that bug would really produce. ``verify`` is the other half: given the difference
between the stored output and a clean re-run of the step on the stored inputs, it checks that the
label's kind, columns and rows are exactly what the data shows.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any, ClassVar, Literal

import numpy as np
import pandas as pd
import pyarrow as pa
from pydantic import BaseModel, Field

from synthgen_sdv.core.errors import SynthgenError
from synthgen_sdv.core.registry import Registry
from synthgen_sdv.core.seeds import digest
from synthgen_sdv.core.strict import StrictModel
from synthgen_sdv.lineage.tables import (
    TableDiff,
    as_tuple,
    diff_tables,
    from_pandas,
    json_value,
    key_tuples,
    to_pandas,
)

FAULTS: Registry[type[Fault]] = Registry("fault kind")


def fault_rng(seed: int, step_id: str) -> np.random.Generator:
    """A generator that depends only on (seed, step id): stable across processes and runs."""
    return np.random.default_rng(
        int.from_bytes(digest("synthgen_sdv.lineage", seed, step_id, sep=":")[:8], "little")
    )


@dataclass
class FaultContext:
    """What a fault can see and do at its step."""

    step: Any
    params: Any
    op_params: Any
    rng: np.random.Generator
    inputs: dict[str, pa.Table]
    clean: dict[str, pa.Table]
    plans: dict[str, Any]
    rerun: Callable[[dict[str, pa.Table], Any], dict[str, pa.Table]]

    @property
    def key(self) -> list[str]:
        return list(self.step.key)

    def target(self) -> str:
        name = getattr(self.params, "table", None) or self.step.outputs[0]
        if name not in self.clean:
            raise SynthgenError(
                f"steps.{self.step.id}.fault_params.table: '{name}' is not an output of the step; "
                f"outputs: {', '.join(self.step.outputs)}"
            )
        return name

    def sample(self, n: int, fraction: float) -> np.ndarray:
        if n == 0:
            raise SynthgenError(
                f"step '{self.step.id}': its output is empty, so a {self.step.label} fault "
                "cannot touch any row; use more data or move the fault"
            )
        k = min(n, max(1, round(fraction * n)))
        return np.sort(self.rng.choice(n, size=k, replace=False))

    def require_column(self, table: str, column: str, what: str) -> None:
        if column not in self.clean[table].column_names:
            raise SynthgenError(
                f"steps.{self.step.id}.fault_params.{what}: column '{column}' is not in output "
                f"'{table}'; columns: {', '.join(self.clean[table].column_names)}"
            )


@dataclass
class FaultOutcome:
    """The faulted outputs and the ground truth about them."""

    outputs: dict[str, pa.Table | None]
    table: str
    columns: list[str]
    rows: list[tuple]
    details: dict[str, Any] = field(default_factory=dict)
    status: str = "COMPLETED"
    error_message: str | None = None
    stats: dict[str, int] = field(default_factory=dict)


class Fault:
    """Base: ``inject`` at run time, ``verify`` in the verifier; signs name what the data shows."""

    Params: ClassVar[type[BaseModel]]
    description: ClassVar[str]
    evidence: ClassVar[str]
    # Differences this fault may show, and those it must show (see TableDiff.signs).
    signs: ClassVar[frozenset[str]]
    required: ClassVar[frozenset[str]]
    status: ClassVar[str] = "COMPLETED"
    # What the rows/columns of a label mean: whole rows (columns empty), single cells, a whole
    # column, the schema, or the whole table (job_failure).
    scope: ClassVar[str]

    def check_step(self, step, params, consumers) -> list[tuple[tuple, str]]:
        return []

    def inject(self, ctx: FaultContext) -> FaultOutcome:
        raise NotImplementedError

    def affected(self, diff: TableDiff) -> set[tuple]:
        keys = set(diff.missing_keys) | diff.extra_keys | diff.duplicate_keys | diff.changed_keys
        if diff.schema_changed:
            keys |= diff.expected_keys
        return keys

    def verify(self, diff: TableDiff, label: dict, record: dict) -> list[str]:
        problems = []
        if record.get("status") != self.status:
            problems.append(
                f"status is {record.get('status')}, a {label['kind']} implies {self.status}"
            )
        signs = diff.signs()
        for sign, n in signs.items():
            if sign not in self.signs:
                problems.append(
                    f"the data shows {sign} ({n}), which a {label['kind']} does not make"
                )
        for sign in sorted(self.required):
            if sign not in signs:
                problems.append(f"the data shows no {sign}, which a {label['kind']} must make")
        labeled = {as_tuple(k) for k in label.get("rows", [])}
        affected = self.affected(diff)
        if labeled != affected:
            problems.append(
                f"label rows do not match the data: {len(labeled - affected)} labeled row(s) show "
                f"no sign, {len(affected - labeled)} affected row(s) are not labeled"
            )
        return problems + self.verify_details(diff, label, record)

    def verify_details(self, diff: TableDiff, label: dict, record: dict) -> list[str]:
        return []


def _sorted(keys) -> list[tuple]:
    return sorted(keys, key=lambda t: tuple((v is None, str(type(v)), v) for v in t))


def _changed_columns_ok(diff: TableDiff, label: dict) -> list[str]:
    extra = set(diff.changed) - set(label.get("columns", []))
    if extra:
        return [f"values changed in unlabeled column(s): {', '.join(sorted(extra))}"]
    return []


class _Fraction(StrictModel):
    table: str | None = Field(default=None, description="which output; default the first")
    fraction: float = Field(default=0.05, gt=0, lt=1)


# --------------------------------------------------------------------------- row-count faults
class PartialWriteParams(_Fraction):
    mode: Literal["tail", "random"] = Field(
        default="tail", description="tail: the write stopped part way; random: lost files"
    )


@FAULTS.register("partial_write")
class PartialWrite(Fault):
    Params = PartialWriteParams
    scope = "rows"
    description = "only part of the step's rows reached the target table"
    evidence = "the output has fewer rows than its inputs imply; no other difference"
    signs = frozenset({"missing_rows"})
    required = frozenset({"missing_rows"})

    def inject(self, ctx):
        name = ctx.target()
        df = to_pandas(ctx.clean[name])
        n = len(df)
        if ctx.params.mode == "tail":
            k = min(n, max(1, round(ctx.params.fraction * n)))
            lost = np.arange(n - k, n)
        else:
            lost = ctx.sample(n, ctx.params.fraction)
        keep = np.ones(n, dtype=bool)
        keep[lost] = False
        out = from_pandas(df[keep], ctx.clean[name].schema)
        rows = key_tuples(df.iloc[lost], ctx.key)
        return FaultOutcome(
            {**ctx.clean, name: out},
            name,
            [],
            rows,
            {"rows_expected": n, "rows_written": n - len(lost)},
        )


class DuplicateParams(_Fraction):
    pass


@FAULTS.register("duplicate_load")
class DuplicateLoad(Fault):
    Params = DuplicateParams
    scope = "rows"
    description = "a retried batch was loaded a second time"
    evidence = "some keys appear twice with identical rows"
    signs = frozenset({"duplicate_rows"})
    required = frozenset({"duplicate_rows"})

    def inject(self, ctx):
        name = ctx.target()
        df = to_pandas(ctx.clean[name])
        n = len(df)
        k = min(n, max(1, round(ctx.params.fraction * n)))
        start = int(ctx.rng.integers(0, n - k + 1))
        batch = df.iloc[start : start + k]
        out = from_pandas(pd.concat([df, batch]), ctx.clean[name].schema)
        return FaultOutcome(
            {**ctx.clean, name: out},
            name,
            [],
            key_tuples(batch, ctx.key),
            {"batch_start_row": start, "batch_rows": k},
        )

    def verify_details(self, diff, label, record):
        if diff.conflicting_duplicates:
            return [f"{len(diff.conflicting_duplicates)} duplicated key(s) differ between copies"]
        return []


class LagParams(StrictModel):
    table: str | None = None
    lag_days: int = Field(default=30, ge=1)


def _lag_cutoff(ctx, name: str):
    df = to_pandas(ctx.clean[name])
    tc = ctx.step.time_column
    ctx.require_column(name, tc, "time_column")
    times = pd.to_datetime(df[tc])
    cutoff = times.max() - pd.Timedelta(days=ctx.params.lag_days)
    late = (times > cutoff).to_numpy()
    return df, late, cutoff


def _needs_time_column(step, kind) -> list[tuple[tuple, str]]:
    if not step.time_column:
        return [(("time_column",), f"a {kind} fault needs the step's time_column")]
    return []


@FAULTS.register("delayed_write")
class DelayedWrite(Fault):
    Params = LagParams
    scope = "rows"
    description = "the output was built from a lagging snapshot: the latest periods are missing"
    evidence = "rows missing from the output are exactly the ones after a time cutoff"
    signs = frozenset({"missing_rows"})
    required = frozenset({"missing_rows"})

    def check_step(self, step, params, consumers):
        return _needs_time_column(step, "delayed_write")

    def inject(self, ctx):
        name = ctx.target()
        df, late, cutoff = _lag_cutoff(ctx, name)
        out = from_pandas(df[~late], ctx.clean[name].schema)
        return FaultOutcome(
            {**ctx.clean, name: out},
            name,
            [ctx.step.time_column],
            key_tuples(df[late], ctx.key),
            {"time_column": ctx.step.time_column, "cutoff": json_value(cutoff.date())},
        )

    def verify_details(self, diff, label, record):
        tc = label["details"]["time_column"]
        exp = diff.expected
        missing = np.array([k in diff.missing_keys for k in key_tuples(exp, label["primary_key"])])
        if not missing.any() or missing.all():
            return [] if missing.any() else ["no rows are missing"]
        times = pd.to_datetime(exp[tc])
        if times[missing].min() <= times[~missing].max():
            return [
                f"missing rows are not the latest by {tc}: the output does not lag, it has holes"
            ]
        return []


class JobFailureParams(StrictModel):
    table: str | None = None
    mode: Literal["stale", "missing"] = Field(
        default="stale", description="stale: the previous run's table stays; missing: no table"
    )
    lag_days: int = Field(default=31, ge=1, description="stale: how old the previous run is")


_ERRORS = [
    "duckdb.IOException: IO Error: Could not write file: No space left on device",
    "duckdb.InterruptException: INTERRUPT Error: Interrupted by the scheduler timeout (3600 s)",
    "duckdb.OutOfMemoryException: Out of Memory Error: failed to allocate data of size 512.0 MiB",
    "ConnectionResetError: [Errno 104] Connection reset by peer while committing the transaction",
]


@FAULTS.register("job_failure")
class JobFailure(Fault):
    Params = JobFailureParams
    scope = "table"
    description = "the job failed; the target keeps the previous run's data (or does not exist)"
    evidence = "run FAILED; the output is missing or lacks the rows added since the last good run"
    signs = frozenset({"missing_rows", "output_missing", "changed_values"})
    required = frozenset()
    status = "FAILED"

    def check_step(self, step, params, consumers):
        problems = []
        if params.mode == "missing":
            used = [
                f"{t} (read by {', '.join(consumers[t])})" for t in step.outputs if t in consumers
            ]
            if used:
                problems.append(
                    (
                        ("fault_params", "mode"),
                        "mode 'missing' leaves no table, but later steps read "
                        + "; ".join(used)
                        + "; use mode 'stale' or a step whose outputs nobody reads",
                    )
                )
        else:
            problems += _needs_time_column(step, "job_failure (stale)")
        return problems

    def inject(self, ctx):
        name = ctx.target()
        message = _ERRORS[int(ctx.rng.integers(0, len(_ERRORS)))]
        df = to_pandas(ctx.clean[name])
        if ctx.params.mode == "missing":
            outs = {**ctx.clean, name: None}
            return FaultOutcome(
                outs, name, [], key_tuples(df, ctx.key), {"mode": "missing"}, "FAILED", message
            )
        # The stale table is what the previous (successful) run wrote: the same SQL over the
        # inputs as they were lag_days earlier.
        tc = ctx.step.time_column
        ctx.require_column(name, tc, "time_column")
        cutoff = pd.to_datetime(df[tc]).max() - pd.Timedelta(days=ctx.params.lag_days)
        old_inputs = {}
        for t, table in ctx.inputs.items():
            tdf = to_pandas(table)
            date_cols = [c for c in tdf.columns if str(table.schema.field(c).type) == "date32[day]"]
            keep = np.ones(len(tdf), dtype=bool)
            # Rows dated after the cutoff did not exist yet (any date column of the input).
            for c in date_cols[:1]:
                keep &= ~(pd.to_datetime(tdf[c]) > cutoff).to_numpy()
            old_inputs[t] = from_pandas(tdf[keep], table.schema) if date_cols else table
        stale = ctx.rerun(old_inputs, ctx.op_params)[name]
        diff = diff_tables(ctx.clean[name], stale, ctx.key)
        rows = _sorted(diff.missing_keys | diff.changed_keys)
        return FaultOutcome(
            {**ctx.clean, name: stale},
            name,
            sorted(diff.changed),
            rows,
            {"mode": "stale", "previous_run_cutoff": json_value(cutoff.date())},
            "FAILED",
            message,
        )


# --------------------------------------------------------------------------- join faults
class JoinFaultParams(StrictModel):
    join: str | None = Field(default=None, description="the joined table; default the first join")
    fraction: float = Field(default=0.1, gt=0, lt=1)


def _join_index(ctx, kind: str) -> int:
    joins = getattr(ctx.op_params, "joins", None)
    if not joins:
        raise SynthgenError(f"step '{ctx.step.id}': a {kind} fault needs a step with joins")
    if ctx.params.join is None:
        return 0
    for i, j in enumerate(joins):
        if j.table == ctx.params.join:
            return i
    raise SynthgenError(
        f"steps.{ctx.step.id}.fault_params.join: '{ctx.params.join}' is not joined; "
        f"joins: {', '.join(j.table for j in joins)}"
    )


def _join_column(ctx, i: int) -> str:
    from synthgen_sdv.lineage.operations import references

    j = ctx.op_params.joins[i]
    schemas = {t: tb.column_names for t, tb in ctx.inputs.items()}
    cols = [c for t, c in references(j.condition, schemas, list(schemas)) if t == j.table]
    if not cols:
        raise SynthgenError(f"step '{ctx.step.id}': cannot find {j.table}'s key in '{j.condition}'")
    return cols[0]


def _rerun_diff(ctx, inputs, op_params, name):
    faulted = ctx.rerun(inputs, op_params)
    diff = diff_tables(ctx.clean[name], faulted[name], ctx.key)
    return faulted, diff


@FAULTS.register("partial_join")
class PartialJoin(Fault):
    Params = JoinFaultParams
    scope = "rows"
    description = "an inner join ran against an incomplete key set; unmatched rows were lost"
    evidence = (
        "the output has fewer rows than its inputs imply; lost rows share unmatched join keys"
    )
    signs = frozenset({"missing_rows"})
    required = frozenset({"missing_rows"})

    def inject(self, ctx):
        name = ctx.target()
        i = _join_index(ctx, "partial_join")
        j = ctx.op_params.joins[i]
        col = _join_column(ctx, i)
        dim = to_pandas(ctx.inputs[j.table])
        values = pd.unique(dim[col].dropna())
        drop = set(values[ctx.sample(len(values), ctx.params.fraction)].tolist())
        inputs = {
            **ctx.inputs,
            j.table: from_pandas(dim[~dim[col].isin(drop)], ctx.inputs[j.table].schema),
        }
        joins = list(ctx.op_params.joins)
        joins[i] = j.model_copy(update={"how": "inner"})
        faulted, diff = _rerun_diff(
            ctx, inputs, ctx.op_params.model_copy(update={"joins": joins}), name
        )
        return FaultOutcome(
            faulted,
            name,
            [],
            _sorted(diff.missing_keys),
            {
                "join_table": j.table,
                "join_column": col,
                "unmatched_keys": sorted(json_value(v) for v in drop),
            },
        )

    def verify_details(self, diff, label, record):
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


class StaleDimensionParams(StrictModel):
    join: str | None = None
    date_column: str = Field(description="the dimension's column that says when a member appeared")
    lag_days: int = Field(default=120, ge=1)


@FAULTS.register("stale_dimension")
class StaleDimension(Fault):
    Params = StaleDimensionParams
    scope = "cells"
    description = "a left join read an old snapshot of a dimension; new members have no attributes"
    evidence = (
        "dimension attributes are NULL for rows whose key is a member newer than the snapshot"
    )
    signs = frozenset({"changed_values"})
    required = frozenset({"changed_values"})

    def inject(self, ctx):
        name = ctx.target()
        i = _join_index(ctx, "stale_dimension")
        j = ctx.op_params.joins[i]
        if j.how != "left":
            raise SynthgenError(
                f"step '{ctx.step.id}': stale_dimension needs a left join of {j.table}"
            )
        dim = to_pandas(ctx.inputs[j.table])
        dc = ctx.params.date_column
        if dc not in dim.columns:
            raise SynthgenError(
                f"steps.{ctx.step.id}.fault_params.date_column: '{dc}' is not a column of {j.table}"
            )
        when = pd.to_datetime(dim[dc])
        snapshot = when.max() - pd.Timedelta(days=ctx.params.lag_days)
        old = dim[(when <= snapshot).to_numpy()]
        inputs = {**ctx.inputs, j.table: from_pandas(old, ctx.inputs[j.table].schema)}
        faulted, diff = _rerun_diff(ctx, inputs, ctx.op_params, name)
        return FaultOutcome(
            faulted,
            name,
            sorted(diff.changed),
            _sorted(diff.changed_keys),
            {
                "dimension": j.table,
                "snapshot_date": json_value(snapshot.date()),
                "date_column": dc,
                "join_column": _join_column(ctx, i),
            },
        )

    def verify_details(self, diff, label, record):
        problems = _changed_columns_ok(diff, label)
        for col, keys in diff.changed.items():
            act = diff.actual.assign(_t=key_tuples(diff.actual, label["primary_key"]))
            vals = act[[t in keys for t in act["_t"]]][col]
            if vals.notna().any():
                problems.append(
                    f"{col}: changed values are not NULL, not a missing dimension member"
                )
        return problems


class WrongKeyParams(StrictModel):
    join: str | None = None
    wrong_condition: str = Field(description="the mistaken join condition the job ran with")


@FAULTS.register("wrong_join_key")
class WrongJoinKey(Fault):
    Params = WrongKeyParams
    scope = "cells"
    description = "a join used the wrong key column; rows got another entity's attributes"
    evidence = "columns taken from the joined table differ from what the declared join gives"
    signs = frozenset({"changed_values"})
    required = frozenset({"changed_values"})

    def inject(self, ctx):
        name = ctx.target()
        i = _join_index(ctx, "wrong_join_key")
        j = ctx.op_params.joins[i]
        if j.how != "left":
            raise SynthgenError(
                f"step '{ctx.step.id}': wrong_join_key needs a left join of {j.table}"
            )
        joins = list(ctx.op_params.joins)
        joins[i] = j.model_copy(update={"condition": ctx.params.wrong_condition})
        op_params = ctx.op_params.model_copy(update={"joins": joins})
        faulted, diff = _rerun_diff(ctx, ctx.inputs, op_params, name)
        if diff.missing_keys or diff.extra_keys or diff.duplicate_keys:
            raise SynthgenError(
                f"step '{ctx.step.id}': wrong_condition '{ctx.params.wrong_condition}' "
                "changes the row set; "
                "pick a condition that matches at most one row of the joined table"
            )
        return FaultOutcome(
            faulted,
            name,
            sorted(diff.changed),
            _sorted(diff.changed_keys),
            {
                "join_table": j.table,
                "declared_on": j.condition,
                "executed_on": ctx.params.wrong_condition,
            },
        )

    def verify_details(self, diff, label, record):
        return _changed_columns_ok(diff, label)


# --------------------------------------------------------------------------- value faults
class NullParams(StrictModel):
    table: str | None = None
    input_table: str | None = Field(default=None, description="default: the step's first input")
    input_column: str = Field(description="the input column a faulty cast turns into NULL")
    fraction: float = Field(default=0.05, gt=0, lt=1)


@FAULTS.register("null_propagation")
class NullPropagation(Fault):
    Params = NullParams
    scope = "cells"
    description = "a faulty cast nulled an input column; NULLs flowed into every derived column"
    evidence = "the columns derived from the input column are NULL in the labeled rows"
    signs = frozenset({"changed_values"})
    required = frozenset({"changed_values"})

    def inject(self, ctx):
        name = ctx.target()
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
        inputs = {**ctx.inputs, t: from_pandas(src, ctx.inputs[t].schema)}
        faulted, diff = _rerun_diff(ctx, inputs, ctx.op_params, name)
        if diff.missing_keys or diff.extra_keys:
            raise SynthgenError(
                f"step '{ctx.step.id}': NULLs in {t}.{col} change the row set; choose a column "
                "that is not a key or filter"
            )
        return FaultOutcome(
            faulted,
            name,
            sorted(diff.changed),
            _sorted(diff.changed_keys),
            {"input": f"{t}.{col}", "input_rows_nulled": len(hit)},
        )

    def verify_details(self, diff, label, record):
        problems = _changed_columns_ok(diff, label)
        act = diff.actual.assign(_t=key_tuples(diff.actual, label["primary_key"]))
        for col, keys in diff.changed.items():
            if act[[t in keys for t in act["_t"]]][col].notna().any():
                problems.append(f"{col}: changed values are not NULL")
        return problems


class ScaleParams(StrictModel):
    table: str | None = None
    column: str
    factor: float = Field(default=100.0, description="e.g. 100 when dollars were written as cents")
    from_unit: str = "USD"
    to_unit: str = "US cents"


@FAULTS.register("unit_scale_change")
class UnitScaleChange(Fault):
    Params = ScaleParams
    scope = "column"
    description = "a column was written in another unit (e.g. cents instead of dollars)"
    evidence = "every non-null value of the column is the expected value times the factor"
    signs = frozenset({"changed_values"})
    required = frozenset({"changed_values"})

    def inject(self, ctx):
        name = ctx.target()
        col = ctx.params.column
        ctx.require_column(name, col, "column")
        df = to_pandas(ctx.clean[name])
        df[col] = df[col] * ctx.params.factor
        out = from_pandas(df, ctx.clean[name].schema)
        rows = key_tuples(df[df[col].notna() & (df[col] != 0)], ctx.key)
        return FaultOutcome(
            {**ctx.clean, name: out},
            name,
            [col],
            rows,
            {
                "column": col,
                "factor": ctx.params.factor,
                "from_unit": ctx.params.from_unit,
                "to_unit": ctx.params.to_unit,
            },
        )

    def verify_details(self, diff, label, record):
        problems = _changed_columns_ok(diff, label)
        col, factor = label["details"]["column"], label["details"]["factor"]
        if col in diff.changed:
            pk = label["primary_key"]
            exp = diff.expected.assign(_k=[repr(k) for k in key_tuples(diff.expected, pk)])
            act = diff.actual.assign(_k=[repr(k) for k in key_tuples(diff.actual, pk)])
            merged = exp[["_k", col]].merge(act[["_k", col]], on="_k", suffixes=("_e", "_a"))
            ok = np.isclose(merged[f"{col}_e"] * factor, merged[f"{col}_a"], equal_nan=True)
            if not ok.all():
                problems.append(
                    f"{col}: {int((~ok).sum())} value(s) are not the expected x {factor}"
                )
        return problems


class MixedParams(StrictModel):
    table: str | None = None
    columns: list[str] = Field(min_length=1, description="columns the stray updates change")
    fraction: float = Field(default=0.02, gt=0, lt=1)


@FAULTS.register("mixed_operation")
class MixedOperation(Fault):
    Params = MixedParams
    scope = "cells"
    description = (
        "an insert-only load also updated rows loaded by earlier runs (a MERGE, not INSERT)"
    )
    evidence = "besides the inserted batch, rows older than the watermark changed values"
    signs = frozenset({"changed_values"})
    required = frozenset({"changed_values"})

    def check_step(self, step, params, consumers):
        if step.operation != "incremental_load":
            return [(("label",), "mixed_operation applies to an incremental_load step")]
        return []

    def inject(self, ctx):
        name = ctx.target()
        df = to_pandas(ctx.clean[name])
        tc, wm = ctx.op_params.time_column, pd.Timestamp(ctx.op_params.watermark)
        ctx.require_column(name, tc, "time_column (of the load)")
        existing = np.flatnonzero((pd.to_datetime(df[tc]) <= wm).to_numpy())
        hit = existing[ctx.sample(len(existing), ctx.params.fraction)]
        for col in ctx.params.columns:
            ctx.require_column(name, col, "columns")
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
        out = from_pandas(df, ctx.clean[name].schema)
        inserted = int((pd.to_datetime(df[tc]) > wm).sum())
        return FaultOutcome(
            {**ctx.clean, name: out},
            name,
            list(ctx.params.columns),
            _sorted(key_tuples(df.iloc[hit], ctx.key)),
            {"time_column": tc, "watermark": ctx.op_params.watermark},
            stats={"rows_inserted": inserted, "rows_updated": len(hit)},
        )

    def verify_details(self, diff, label, record):
        problems = _changed_columns_ok(diff, label)
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


class MergeConflictParams(StrictModel):
    columns: list[str] = Field(min_length=1, description="columns on which the branches disagree")
    fraction: float = Field(default=0.05, gt=0, lt=1)


@FAULTS.register("merge_conflict")
class MergeConflict(Fault):
    Params = MergeConflictParams
    scope = "rows"
    description = "two branches disagree on an entity and the merge kept both versions"
    evidence = "labeled keys appear twice with different values in the labeled columns"
    signs = frozenset({"duplicate_rows"})
    required = frozenset({"duplicate_rows"})

    def check_step(self, step, params, consumers):
        if step.operation != "merge":
            return [(("label",), "merge_conflict applies to a merge step")]
        return []

    def inject(self, ctx):
        name = ctx.target()
        df = to_pandas(ctx.clean[name])
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
            ctx.require_column(name, col, "columns")
            if col == src:
                continue
            if pd.api.types.is_numeric_dtype(losers[col]):
                losers[col] = losers[col] * 1.1
            else:
                losers[col] = losers[col].astype(str).str.upper() + " "
        out = from_pandas(
            pd.concat([df, losers]).sort_values(ctx.key, kind="stable"), ctx.clean[name].schema
        )
        columns = sorted({*ctx.params.columns, *([src] if src else [])})
        return FaultOutcome(
            {**ctx.clean, name: out},
            name,
            columns,
            _sorted(key_tuples(losers, ctx.key)),
            {"branches": list(ctx.step.inputs)},
        )

    def verify_details(self, diff, label, record):
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


# --------------------------------------------------------------------------- schema faults
class DriftParams(StrictModel):
    table: str | None = None
    change: Literal["rename", "retype", "drop"]
    column: str
    new_name: str | None = None
    new_type: Literal["VARCHAR", "DOUBLE", "BIGINT"] | None = None


_ARROW = {"VARCHAR": pa.string(), "DOUBLE": pa.float64(), "BIGINT": pa.int64()}


@FAULTS.register("schema_drift")
class SchemaDrift(Fault):
    Params = DriftParams
    scope = "schema"
    description = "the output's schema drifted from the declared one (renamed, retyped, dropped)"
    evidence = "the stored output's columns or types differ from the declared schema"
    signs = frozenset({"schema_changed"})
    required = frozenset({"schema_changed"})

    def check_step(self, step, params, consumers):
        problems = []
        if params.change == "rename" and not params.new_name:
            problems.append((("fault_params", "new_name"), "a rename needs new_name"))
        if params.change == "retype" and not params.new_type:
            problems.append((("fault_params", "new_type"), "a retype needs new_type"))
        if params.column in step.key:
            problems.append((("fault_params", "column"), "drifting a key column hides every row"))
        return problems

    def inject(self, ctx):
        name = ctx.target()
        p = ctx.params
        ctx.require_column(name, p.column, "column")
        table = ctx.clean[name]
        i = table.column_names.index(p.column)
        if p.change == "rename":
            out = table.rename_columns(
                [p.new_name if c == p.column else c for c in table.column_names]
            )
        elif p.change == "drop":
            out = table.drop_columns([p.column])
        else:
            out = table.set_column(i, p.column, table.column(i).cast(_ARROW[p.new_type]))
        rows = key_tuples(to_pandas(table), ctx.key)
        return FaultOutcome(
            {**ctx.clean, name: out},
            name,
            [p.column],
            rows,
            {
                "change": p.change,
                "column": p.column,
                "new_name": p.new_name,
                "new_type": p.new_type,
            },
        )

    def verify_details(self, diff, label, record):
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
