"""Write faults: the step's SQL was right, but what reached the target table was not all of it.

A partial or lagging write loses rows, a retried batch lands twice, a failed job leaves the
previous run's table (or none). Each edits the clean output, except a stale job failure, which
re-runs the SQL on the inputs as they were at the previous run.
"""

from __future__ import annotations

import datetime as dt
from typing import Any, Literal

from pydantic import Field

from synthgen_sdv.core.errors import InputError
from synthgen_sdv.lineage.diff import TableDiff, diff_tables
from synthgen_sdv.lineage.faults.base import (
    FAULTS,
    Fault,
    FaultContext,
    FaultEffect,
    TableParams,
    batch_size,
)
from synthgen_sdv.lineage.models import Step
from synthgen_sdv.lineage.workspace import ident, literal


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


def _time_cutoff(ctx: FaultContext, table: str) -> dt.datetime:
    """The time ``lag_days`` before the output's latest value of the step's time_column."""
    tc = ctx.step.time_column
    ctx.require_column(table, tc, "time_column")
    latest = ctx.time_max(ctx.clean[table], tc)
    if latest is None:
        raise InputError(
            f"step '{ctx.step.id}': time_column '{tc}' of '{table}' has no values, so a "
            f"{ctx.step.label} fault has no time to lag behind"
        )
    return latest - dt.timedelta(days=ctx.params.lag_days)


def _after(column: str, cutoff: dt.datetime) -> str:
    """SQL: the row's time is after ``cutoff`` (NULL times are not)."""
    return f"COALESCE(CAST({ident(column)} AS TIMESTAMP) > {literal(cutoff)}, false)"


@FAULTS.register("partial_write")
class PartialWrite(Fault):
    """A write that stopped part way (or lost files): rows are missing, nothing else."""

    Params = PartialWriteParams
    scope = "rows"
    description = "only part of the step's rows reached the target table"
    evidence = "the output has fewer rows than its inputs imply; no other difference"
    signs = frozenset({"missing_rows"})

    def _inject(self, ctx: FaultContext, table: str) -> FaultEffect:
        clean = ctx.clean[table]
        n = ctx.ws.count(clean)
        if ctx.params.mode == "tail":
            k = batch_size(n, ctx.params.fraction)
            lost = f"rowid >= {n - k}"
        else:
            positions = ctx.sample(n, ctx.params.fraction)
            k = len(positions)
            lost = f"rowid IN (SELECT pos FROM {ctx.positions(positions)})"
        out = ctx.table(f"SELECT * FROM {clean} WHERE NOT ({lost})")  # scan order
        rows = ctx.keys_where(clean, lost)
        return FaultEffect({table: out}, [], rows, {"rows_expected": n, "rows_written": n - k})


@FAULTS.register("duplicate_load")
class DuplicateLoad(Fault):
    """A retried batch loaded twice: identical copies of a run of rows."""

    Params = FractionParams
    scope = "rows"
    description = "a retried batch was loaded a second time"
    evidence = "some keys appear twice with identical rows"
    signs = frozenset({"duplicate_rows"})

    def _inject(self, ctx: FaultContext, table: str) -> FaultEffect:
        clean = ctx.clean[table]
        n = ctx.ws.count(clean)
        k = batch_size(n, ctx.params.fraction)
        start = int(ctx.rng.integers(0, n - k + 1))
        batch = f"rowid >= {start} AND rowid < {start + k}"
        # The batch lands again after the whole table, as a retried load appends it: a copy
        # and an append in scan order (no sort of the whole table).
        out = ctx.table(f"SELECT * FROM {clean}")
        ctx.ws.append(out, f"SELECT * FROM {clean} WHERE {batch}")
        return FaultEffect(
            {table: out},
            [],
            ctx.keys_where(clean, batch),
            {"batch_start_row": start, "batch_rows": k},
        )

    def _verify_details(self, diff: TableDiff, label: dict, record: dict) -> list[str]:
        differ = diff.counts.get("duplicate", 0) - diff.identical_duplicates
        if differ:
            return [f"{differ} duplicated key(s) differ between copies"]
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
        clean, tc = ctx.clean[table], ctx.step.time_column
        cutoff = _time_cutoff(ctx, table)
        late = _after(tc, cutoff)
        return FaultEffect(
            {table: ctx.table(f"SELECT * FROM {clean} WHERE NOT {late}")},  # scan order
            [tc],
            ctx.keys_where(clean, late),
            {"time_column": tc, "cutoff": cutoff.date().isoformat()},
        )

    def _verify_details(self, diff: TableDiff, label: dict, record: dict) -> list[str]:
        tc = ident(label["details"]["time_column"])
        n_missing, n, first_missing, last_kept = diff.ws.rows(
            f"SELECT count_if(__hit), count(*), min(CAST({tc} AS TIMESTAMP)) FILTER (__hit), "
            f"max(CAST({tc} AS TIMESTAMP)) FILTER (NOT __hit) FROM ({diff.flagged('missing')})"
        )[0]
        if not n_missing or n_missing == n:
            return [] if n_missing else ["no rows are missing"]
        if first_missing is not None and last_kept is not None and first_missing <= last_kept:
            return [
                f"missing rows are not the latest by {label['details']['time_column']}: "
                "the output does not lag, it has holes"
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
        clean = ctx.clean[table]
        if ctx.params.mode == "missing":
            rows = ctx.keys_where(clean, "true")
            return FaultEffect({table: None}, [], rows, {"mode": "missing"}, message)
        # The stale table is what the previous (successful) run wrote: the same SQL over the
        # inputs as they were lag_days earlier.
        cutoff = _time_cutoff(ctx, table)
        old_inputs = {}
        for t, rel in ctx.inputs.items():
            dates = [c for c, kind in ctx.types(rel).items() if kind == "DATE"]
            if dates:
                # Rows dated after the cutoff did not exist yet (the input's first date column).
                old_inputs[t] = f"(SELECT * FROM {rel} WHERE NOT {_after(dates[0], cutoff)})"
        stale = ctx.rerun(old_inputs, ctx.op_params)[table]
        diff = diff_tables(ctx.ws, clean, stale, ctx.key)
        return FaultEffect(
            {table: stale},
            sorted(diff.changed),
            diff.keys("missing", "changed"),
            {"mode": "stale", "previous_run_cutoff": cutoff.date().isoformat()},
            message,
        )
