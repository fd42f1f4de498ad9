"""Executes the ETL pipeline over generated tables, injects the labeled faults, records lineage."""

from __future__ import annotations

import time
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

import pandas as pd
import pyarrow as pa

from synthgen_sdv.core.errors import InputError, SynthgenError
from synthgen_sdv.core.progress import Progress, stderr_progress
from synthgen_sdv.core.seeds import json_hash, stable_uuid
from synthgen_sdv.lineage.faults import FAULTS, Rerun
from synthgen_sdv.lineage.models import NORMAL, LineageSpec, Step
from synthgen_sdv.lineage.operations import OPERATIONS, OutputPlan
from synthgen_sdv.lineage.tables import (
    connect,
    execute,
    key_tuples,
    scalar,
    schema_of,
    to_arrow,
    to_pandas,
)

COMPLETED, FAILED = "COMPLETED", "FAILED"


@dataclass
class StepRun:
    """What happened at one step: the executed SQL, row counts, status, lineage, ground truth."""

    step: Step
    index: int
    status: str
    plans: dict[str, OutputPlan]
    rows_in: dict[str, int]
    rows_out: dict[str, int | None]
    declared_schema: dict[str, dict[str, str]]
    actual_schema: dict[str, dict[str, str] | None]
    stats: dict[str, int]
    run_id: str
    started_at: datetime
    ended_at: datetime
    wall_ms: float
    error_message: str | None = None
    label: dict | None = None

    @property
    def duration_ms(self) -> int:
        """The step's simulated duration (event times follow a cost model)."""
        return int((self.ended_at - self.started_at).total_seconds() * 1000)


@dataclass
class LineageRun:
    """The executed pipeline: every table it wrote, every step, and the fault labels."""

    spec: LineageSpec
    seed: int
    config_hash: str
    parent_run_id: str
    sources: dict[str, pa.Table]
    tables: dict[str, pa.Table]
    steps: list[StepRun] = field(default_factory=list)

    @property
    def labels(self) -> list[dict]:
        """The fault labels of the run, one per faulted step, in step order."""
        return [s.label for s in self.steps if s.label]

    def dataset(self, table: str) -> tuple[str, str]:
        """OpenLineage (namespace, name) of a table."""
        system = self.spec.source_system(table)
        if system:
            return self.spec.sources[system].namespace, f"{system}.public.{table}"
        layer = self.spec.producers()[table].layer
        return self.spec.warehouse_namespace, f"warehouse.{layer}.{table}"


def spec_hash(spec: LineageSpec) -> str:
    """The hash of the pipeline as validated, stored in the lineage file to tie it to its spec."""
    return json_hash(spec.model_dump(mode="json"), sort_keys=True, separators=(",", ":"))


def _simulated_ms(rows_in: int, rows_out: int) -> int:
    # A cost model, not a measurement: event times must be identical for a given seed.
    return 400 + rows_in // 20 + rows_out // 40


def execute_plans(plans: list[OutputPlan], inputs: dict[str, pa.Table], what: str):
    """Run a step's SQL over its inputs; return outputs and the scalar stats queries' values."""
    con = connect(inputs)
    try:
        outputs = {p.table: execute(con, p.sql, what) for p in plans}
        stats: dict[str, int] = {}
        for p in plans:
            for name, sql in p.stats_sql.items():
                stats[name] = stats.get(name, 0) + scalar(con, sql)
    finally:
        con.close()
    return outputs, stats


def _plan(step: Step, op_params: Any, inputs: dict[str, pa.Table]) -> list[OutputPlan]:
    op = OPERATIONS.get(step.operation)()
    schemas = {t: inputs[t].column_names for t in step.inputs}
    return op.plan(step, op_params, schemas)


def _rerun_of(step: Step, what: str) -> Rerun:
    """How a fault re-runs this step's SQL on the inputs or params the faulty job had."""

    def rerun(inputs: dict[str, pa.Table], op_params: Any) -> dict[str, pa.Table]:
        return execute_plans(_plan(step, op_params, inputs), inputs, what)[0]

    return rerun


def _check_key(step: Step, table: str, out: pa.Table) -> None:
    missing = [k for k in step.key if k not in out.column_names]
    if missing:
        raise SynthgenError(
            f"step '{step.id}': key column(s) {missing} are not in output '{table}'; "
            f"columns: {', '.join(out.column_names)}"
        )
    keys = key_tuples(to_pandas(out.select(step.key)), step.key)
    if len(set(keys)) != len(keys):
        raise SynthgenError(
            f"step '{step.id}': key {step.key} is not unique in the clean output '{table}'; "
            "declare a key that identifies a row (faults are judged per key)"
        )


def run_lineage(
    tables: dict[str, pd.DataFrame | pa.Table],
    spec: LineageSpec,
    seed: int,
    *,
    progress: Progress | bool = False,
) -> LineageRun:
    """Run every step for real (DuckDB, in memory), inject faults at labeled steps, record all.

    ``progress`` (a ``Progress``, or True for stderr) shows a bar over the steps on a terminal,
    a line per step with ``-v``, and one summary line at the end.
    """
    reporter = progress if isinstance(progress, Progress) else stderr_progress(progress)
    needed = [t for s in spec.sources.values() for t in s.tables]
    missing = [t for t in needed if t not in tables]
    if missing:
        raise InputError(
            f"the lineage pipeline extracts {', '.join(missing)}, which the data does not have; "
            f"tables given: {', '.join(sorted(tables))}"
        )
    sources = {t: to_arrow(tables[t]) for t in needed}
    run = LineageRun(
        spec=spec,
        seed=seed,
        config_hash=spec_hash(spec),
        parent_run_id=stable_uuid(seed, spec.namespace, spec.parent_job),
        sources=sources,
        tables={},
    )
    available: dict[str, pa.Table] = dict(sources)
    ended: dict[str, datetime] = {}
    start = spec.run_start
    began = time.perf_counter()
    steps = reporter.bar(spec.steps, desc="ETL steps", unit="step")  # a bar on a terminal
    for index, step in enumerate(steps):
        t0 = time.perf_counter()
        reporter.detail(f"lineage [{index + 1}/{len(spec.steps)}] {step.id}")
        inputs = {t: available[t] for t in step.inputs}
        op_params = OPERATIONS.get(step.operation).Params.model_validate(step.params)
        plans = _plan(step, op_params, inputs)
        what = f"step '{step.id}' ({step.operation})"
        clean, stats = execute_plans(plans, inputs, what)
        for name, out in clean.items():
            _check_key(step, name, out)
        outputs: dict[str, pa.Table | None] = dict(clean)
        status, error, label = COMPLETED, None, None
        if step.label != NORMAL:
            outcome = FAULTS.get(step.label)().inject(
                step,
                seed=seed,
                op_params=op_params,
                inputs=inputs,
                clean=clean,
                rerun=_rerun_of(step, what),
            )
            outputs = outcome.outputs
            status, error, label = outcome.status, outcome.error_message, outcome.label
            stats = {**stats, **outcome.stats}
        # Simulated schedule: a step starts when the last of its inputs was written.
        started = max([start, *(ended[t] for t in step.inputs if t in ended)])
        rows_in = {t: inputs[t].num_rows for t in step.inputs}
        rows_out = {t: (o.num_rows if o is not None else None) for t, o in outputs.items()}
        ms = _simulated_ms(sum(rows_in.values()), sum(v or 0 for v in rows_out.values()))
        if status == FAILED:
            ms = ms // 3
        finished = started + timedelta(milliseconds=ms)
        for name, out in outputs.items():
            ended[name] = finished
            if out is not None:
                available[name] = out
                run.tables[name] = out
            else:
                # A missing output stays missing; the loader guarantees nobody reads it.
                available.pop(name, None)
        run.steps.append(
            StepRun(
                step=step,
                index=index,
                status=status,
                plans={p.table: p for p in plans},
                rows_in=rows_in,
                rows_out=rows_out,
                declared_schema={t: schema_of(o) for t, o in clean.items()},
                actual_schema={
                    t: (schema_of(o) if o is not None else None) for t, o in outputs.items()
                },
                stats=stats,
                run_id=stable_uuid(seed, spec.namespace, step.id),
                started_at=started,
                ended_at=finished,
                wall_ms=(time.perf_counter() - t0) * 1000,
                error_message=error,
                label=label,
            )
        )
    if run.labels:
        _add_downstream(run)
    failed = sum(s.status == FAILED for s in run.steps)
    reporter.say(
        f"ETL: {len(run.steps)} steps ({failed} failed as injected), {len(run.labels)} faults "
        f"labeled in {time.perf_counter() - began:.1f} s"
    )
    return run


def _add_downstream(run: LineageRun) -> None:
    """Tables that read (transitively) from a faulted table: where the fault can propagate."""
    consumers: dict[str, list[str]] = {}
    for s in run.spec.steps:
        for t in s.inputs:
            consumers.setdefault(t, []).extend(s.outputs)
    for s in run.steps:
        if not s.label:
            continue
        seen: list[str] = []
        todo = list(s.label["tables"])
        while todo:
            for nxt in consumers.get(todo.pop(0), []):
                if nxt not in seen:
                    seen.append(nxt)
                    todo.append(nxt)
        s.label["downstream_tables"] = seen
