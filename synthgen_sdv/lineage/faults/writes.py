"""Write faults: the step's SQL was right, but what reached the target table was not all of it.

A partial or lagging write loses rows, a retried batch lands twice, a failed job leaves the
previous run's table (or none). Each edits the clean output, except a stale job failure, which
re-runs the SQL on the inputs as they were at the previous run.
"""

from __future__ import annotations

from typing import Any, Literal

import numpy as np
import pandas as pd
from pydantic import Field

from synthgen_sdv.lineage.faults.base import (
    FAULTS,
    Fault,
    FaultContext,
    FaultEffect,
    TableParams,
    batch_size,
    sorted_keys,
)
from synthgen_sdv.lineage.models import Step
from synthgen_sdv.lineage.tables import (
    TableDiff,
    diff_tables,
    from_pandas,
    json_value,
    key_tuples,
    to_pandas,
)


class FractionParams(TableParams):
    """A fault that hits a fraction of the target's rows."""

    fraction: float = Field(default=0.05, gt=0, lt=1)


class PartialWriteParams(FractionParams):
    """Which rows a partial write loses: the tail, or rows spread over the table."""

    mode: Literal["tail", "random"] = Field(
        default="tail", description="tail: the write stopped part way; random: lost files"
    )


class LagParams(TableParams):
    """How far the snapshot a lagging write read is behind."""

    lag_days: int = Field(default=30, ge=1)


class JobFailureParams(TableParams):
    """What a failed job leaves behind: the previous run's table, or nothing."""

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


def _needs_time_column(step: Step, kind: str) -> list[tuple[tuple, str]]:
    if not step.time_column:
        return [(("time_column",), f"a {kind} fault needs the step's time_column")]
    return []


def _time_cutoff(
    ctx: FaultContext, table: str, frame: pd.DataFrame
) -> tuple[pd.Series, pd.Timestamp]:
    """The output's times (by the step's time_column) and the time ``lag_days`` before the last."""
    tc = ctx.step.time_column
    ctx.require_column(table, tc, "time_column")
    times = pd.to_datetime(frame[tc])
    return times, times.max() - pd.Timedelta(days=ctx.params.lag_days)


@FAULTS.register("partial_write")
class PartialWrite(Fault):
    """A write that stopped part way (or lost files): rows are missing, nothing else."""

    Params = PartialWriteParams
    scope = "rows"
    description = "only part of the step's rows reached the target table"
    evidence = "the output has fewer rows than its inputs imply; no other difference"
    signs = frozenset({"missing_rows"})

    def _inject(self, ctx: FaultContext, table: str) -> FaultEffect:
        df = ctx.frame(table)
        n = len(df)
        if ctx.params.mode == "tail":
            lost = np.arange(n - batch_size(n, ctx.params.fraction), n)
        else:
            lost = ctx.sample(n, ctx.params.fraction)
        keep = np.ones(n, dtype=bool)
        keep[lost] = False
        return FaultEffect(
            {table: ctx.rebuild(table, df[keep])},
            [],
            key_tuples(df.iloc[lost], ctx.key),
            {"rows_expected": n, "rows_written": n - len(lost)},
        )


@FAULTS.register("duplicate_load")
class DuplicateLoad(Fault):
    """A retried batch loaded twice: identical copies of a run of rows."""

    Params = FractionParams
    scope = "rows"
    description = "a retried batch was loaded a second time"
    evidence = "some keys appear twice with identical rows"
    signs = frozenset({"duplicate_rows"})

    def _inject(self, ctx: FaultContext, table: str) -> FaultEffect:
        df = ctx.frame(table)
        n = len(df)
        k = batch_size(n, ctx.params.fraction)
        start = int(ctx.rng.integers(0, n - k + 1))
        batch = df.iloc[start : start + k]
        return FaultEffect(
            {table: ctx.rebuild(table, pd.concat([df, batch]))},
            [],
            key_tuples(batch, ctx.key),
            {"batch_start_row": start, "batch_rows": k},
        )

    def _verify_details(self, diff: TableDiff, label: dict, record: dict) -> list[str]:
        if diff.conflicting_duplicates:
            return [f"{len(diff.conflicting_duplicates)} duplicated key(s) differ between copies"]
        return []


@FAULTS.register("delayed_write")
class DelayedWrite(Fault):
    """A build from a lagging snapshot: the latest periods are missing."""

    Params = LagParams
    scope = "rows"
    description = "the output was built from a lagging snapshot: the latest periods are missing"
    evidence = "rows missing from the output are exactly the ones after a time cutoff"
    signs = frozenset({"missing_rows"})

    def _check_step(
        self, step: Step, params: Any, consumers: dict[str, list[str]]
    ) -> list[tuple[tuple, str]]:
        return _needs_time_column(step, "delayed_write")

    def _inject(self, ctx: FaultContext, table: str) -> FaultEffect:
        df = ctx.frame(table)
        times, cutoff = _time_cutoff(ctx, table, df)
        late = (times > cutoff).to_numpy()
        return FaultEffect(
            {table: ctx.rebuild(table, df[~late])},
            [ctx.step.time_column],
            key_tuples(df[late], ctx.key),
            {"time_column": ctx.step.time_column, "cutoff": json_value(cutoff.date())},
        )

    def _verify_details(self, diff: TableDiff, label: dict, record: dict) -> list[str]:
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


@FAULTS.register("job_failure")
class JobFailure(Fault):
    """A failed job: the target keeps the previous run's table, or has none."""

    Params = JobFailureParams
    scope = "table"
    description = "the job failed; the target keeps the previous run's data (or does not exist)"
    evidence = "run FAILED; the output is missing or lacks the rows added since the last good run"
    signs = frozenset({"missing_rows", "output_missing", "changed_values"})
    required = frozenset()
    status = "FAILED"

    def _check_step(
        self, step: Step, params: Any, consumers: dict[str, list[str]]
    ) -> list[tuple[tuple, str]]:
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

    def _inject(self, ctx: FaultContext, table: str) -> FaultEffect:
        message = _ERRORS[int(ctx.rng.integers(0, len(_ERRORS)))]
        df = ctx.frame(table)
        if ctx.params.mode == "missing":
            return FaultEffect(
                {table: None}, [], key_tuples(df, ctx.key), {"mode": "missing"}, message
            )
        # The stale table is what the previous (successful) run wrote: the same SQL over the
        # inputs as they were lag_days earlier.
        _, cutoff = _time_cutoff(ctx, table, df)
        old_inputs = {}
        for t, source in ctx.inputs.items():
            tdf = to_pandas(source)
            date_cols = [
                c for c in tdf.columns if str(source.schema.field(c).type) == "date32[day]"
            ]
            keep = np.ones(len(tdf), dtype=bool)
            # Rows dated after the cutoff did not exist yet (any date column of the input).
            for c in date_cols[:1]:
                keep &= ~(pd.to_datetime(tdf[c]) > cutoff).to_numpy()
            old_inputs[t] = from_pandas(tdf[keep], source.schema) if date_cols else source
        stale = ctx.rerun(old_inputs, ctx.op_params)[table]
        diff = diff_tables(ctx.clean[table], stale, ctx.key)
        return FaultEffect(
            {table: stale},
            sorted(diff.changed),
            sorted_keys(diff.missing_keys | diff.changed_keys),
            {"mode": "stale", "previous_run_cutoff": json_value(cutoff.date())},
            message,
        )
