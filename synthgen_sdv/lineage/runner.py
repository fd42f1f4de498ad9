"""Executes the ETL pipeline over generated tables, injects the labeled faults, records lineage.

Everything runs in one DuckDB ``Workspace`` (a database file in a work folder, a memory limit,
spilling, no file access for step SQL); each step output is streamed to Parquet as soon as it is
final, so memory does not grow with the data.
"""

from __future__ import annotations

import contextlib
import os
import shutil
import tempfile
import time
from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

import pandas as pd
import pyarrow as pa

from synthgen_sdv.core.errors import InputError, SynthgenError
from synthgen_sdv.core.memory import stage
from synthgen_sdv.core.progress import Progress, stderr_progress
from synthgen_sdv.core.seeds import json_hash, stable_uuid
from synthgen_sdv.io import layout
from synthgen_sdv.lineage.faults import FAULTS, Rerun
from synthgen_sdv.lineage.models import NORMAL, LineageSpec, Step
from synthgen_sdv.lineage.operations import OPERATIONS, OutputPlan
from synthgen_sdv.lineage.tables import json_value, to_arrow
from synthgen_sdv.lineage.workspace import (
    Limits,
    Workspace,
    ident,
    is_numeric,
    key_list,
    read_keys,
    sql_type,
)

COMPLETED, FAILED = "COMPLETED", "FAILED"
WORK_PREFIX = ".lineage-work-"


@dataclass
class TableInfo:
    """What the run knows of a table once it is written: rows, schema, quality facts."""

    rows: int
    schema: dict[str, str]
    # Column -> OpenLineage column metrics (nullCount, distinctCount, min, max, sum).
    metrics: dict[str, dict[str, Any]] = field(default_factory=dict)
    # Distinct keys and NULLs per key column (the assertions a careful pipeline runs).
    distinct_keys: int | None = None
    key_nulls: dict[str, int] = field(default_factory=dict)


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
    key_file: Path | None = None  # the label's keys when too many for labels.json (rows_file)

    @property
    def duration_ms(self) -> int:
        """The step's simulated duration (event times follow a cost model)."""
        return int((self.ended_at - self.started_at).total_seconds() * 1000)


@dataclass
class LineageRun:
    """The executed pipeline: every table it read and wrote, every step, and the fault labels."""

    spec: LineageSpec
    seed: int
    config_hash: str
    parent_run_id: str
    sources: dict[str, TableInfo]
    tables: dict[str, TableInfo]
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


# --------------------------------------------------------------------------- the work folder
@contextlib.contextmanager
def work_folder(parent: Path | None) -> Iterator[Path]:
    """A fresh hidden folder under ``parent`` (default: the system's temp folder), removed
    afterwards; folders that killed runs left there are removed first."""
    if parent is not None:
        parent.mkdir(parents=True, exist_ok=True)
        remove_stale_work(parent)
    folder = Path(tempfile.mkdtemp(prefix=f"{WORK_PREFIX}{os.getpid()}-", dir=parent))
    try:
        yield folder
    finally:
        shutil.rmtree(folder, ignore_errors=True)


@contextlib.contextmanager
def workspace(parent: Path | None, limits: Limits | None = None) -> Iterator[Workspace]:
    """A workspace in a fresh ``work_folder`` under ``parent``."""
    with work_folder(parent) as folder:
        ws = Workspace(folder / "duckdb", limits)
        try:
            yield ws
        finally:
            ws.close()


def remove_stale_work(parent: Path) -> list[Path]:
    """Work folders in ``parent`` whose process is gone (killed runs): removed, and returned."""
    removed = []
    for path in parent.glob(f"{WORK_PREFIX}*"):
        pid = path.name[len(WORK_PREFIX) :].split("-", 1)[0]
        if path.is_dir() and pid.isdigit() and not _alive(int(pid)):
            shutil.rmtree(path, ignore_errors=True)
            removed.append(path)
    return removed


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True


def load_inputs(ws: Workspace, tables: Mapping[str, Path | pa.Table | pd.DataFrame]) -> None:
    """Copy the given tables (Parquet files or in-memory tables) into the workspace."""
    for name, table in tables.items():
        if isinstance(table, str | Path):
            ws.load_parquet(name, Path(table))
        else:
            ws.load_arrow(name, to_arrow(table))


# --------------------------------------------------------------------------- one step's SQL
def plan_step(ws: Workspace, step: Step, op_params: Any, inputs: Mapping[str, str]):
    """The step's SQL and column lineage per output, for inputs as workspace relations."""
    op = OPERATIONS.get(step.operation)()
    schemas = {t: ws.columns(inputs[t]) for t in step.inputs}
    return op.plan(step, op_params, schemas)


def execute_plans(
    ws: Workspace, plans: list[OutputPlan], inputs: Mapping[str, str], what: str
) -> tuple[dict[str, str], dict[str, int]]:
    """Run a step's SQL with only its inputs visible; its outputs (relations) and stats."""
    with ws.views(inputs):
        outputs = {p.table: ws.run_step_sql(p.sql, what) for p in plans}
        stats: dict[str, int] = {}
        for p in plans:
            for name, sql in p.stats_sql.items():
                stats[name] = stats.get(name, 0) + ws.step_scalar(sql, what)
    return outputs, stats


def _rerun_of(ws: Workspace, step: Step, inputs: Mapping[str, str], what: str) -> Rerun:
    """How a fault re-runs this step's SQL on the inputs or params the faulty job had."""

    def rerun(replaced: dict[str, str], op_params: Any) -> dict[str, str]:
        given = {**inputs, **replaced}
        return execute_plans(ws, plan_step(ws, step, op_params, given), given, what)[0]

    return rerun


def _check_key(ws: Workspace, step: Step, table: str, relation: str) -> None:
    columns = ws.columns(relation)
    missing = [k for k in step.key if k not in columns]
    if missing:
        raise InputError(
            f"step '{step.id}': key column(s) {missing} are not in output '{table}'; "
            f"columns: {', '.join(columns)}"
        )
    rows, distinct = ws.rows(
        f"SELECT (SELECT count(*) FROM {relation}), "
        f"(SELECT count(*) FROM (SELECT DISTINCT {key_list(step.key)} FROM {relation}))"
    )[0]
    if rows != distinct:
        raise InputError(
            f"step '{step.id}': key {step.key} is not unique in the clean output '{table}' "
            f"({rows - distinct} duplicate row(s)); declare a key that identifies a row "
            "(faults are judged per key)"
        )


def table_info(
    ws: Workspace, relation: str, key: list[str] | None = None, unique: bool = False
) -> TableInfo:
    """Rows and schema of a table; with a key (a step output) also its quality facts.

    ``unique``: the key is known to be unique (``_check_key`` passed on this very table), so
    its distinct counts follow from the row and NULL counts: two hash aggregates over every
    key fewer, the costliest statements of a large step.
    """
    types = ws.describe(relation)
    schema = ws.schema(relation)
    if key is None:
        return TableInfo(rows=ws.count(relation), schema=schema)
    parts = ["count(*)"]
    for name, duck_type in types:
        c = ident(name)
        parts.append(f"count({c})")
        if is_numeric(duck_type):
            # fsum: a compensated sum, near the exact one as Arrow's pairwise sum was.
            total = f"fsum({c})" if sql_type(duck_type) == "DOUBLE" else f"sum({c})"
            parts += [f"min({c})", f"max({c})", total]
    row = iter(ws.rows(f"SELECT {', '.join(parts)} FROM {relation}")[0])
    info = TableInfo(rows=int(next(row)), schema=schema)
    for name, duck_type in types:
        m: dict[str, Any] = {"nullCount": info.rows - int(next(row))}
        if is_numeric(duck_type):
            m["min"], m["max"] = json_value(next(row)), json_value(next(row))
            m["sum"] = round(float(next(row) or 0.0), 6)
        if unique and [name] == key:  # unique with NULL as a value: at most one NULL row
            m["distinctCount"] = info.rows - m["nullCount"]
        else:  # one distinct count per query: several at once can exceed DuckDB's memory limit
            m["distinctCount"] = int(
                ws.scalar(f"SELECT count(DISTINCT {ident(name)}) FROM {relation}")
            )
        info.metrics[name] = {k: v for k, v in m.items() if v is not None}
    if all(k in schema for k in key):
        info.distinct_keys = (
            info.rows
            if unique
            else int(
                ws.scalar(f"SELECT count(*) FROM (SELECT DISTINCT {key_list(key)} FROM {relation})")
            )
        )
        info.key_nulls = {k: info.metrics[k]["nullCount"] for k in key}
    return info


# --------------------------------------------------------------------------- the run
def run_lineage(
    tables: Mapping[str, Path | pa.Table | pd.DataFrame],
    spec: LineageSpec,
    seed: int,
    *,
    data_out: Path | None = None,
    work_dir: Path | None = None,
    limits: Limits | None = None,
    progress: Progress | bool = False,
    keys_out: Path | None = None,
) -> LineageRun:
    """Run every step for real (DuckDB), inject faults at labeled steps, record all.

    ``tables`` are the source tables: Parquet files or in-memory tables. Each step output is
    written to ``data_out/<table>.parquet`` when given. ``work_dir`` holds the DuckDB database
    and its spill files while the run lasts (default: the system's temp folder); ``limits``
    bound DuckDB's memory and threads. A label with more keys than labels.json holds
    (``workspace.INLINE_KEYS``) names them in a Parquet file (``rows_file``), moved into
    ``keys_out`` (its ``StepRun.key_file``); without ``keys_out`` they are read back inline.
    ``progress`` (a ``Progress``, or True for stderr) shows a
    bar over the steps on a terminal, a line per step with ``-v``, and one summary line at the end.
    """
    reporter = progress if isinstance(progress, Progress) else stderr_progress(progress)
    needed = [t for s in spec.sources.values() for t in s.tables]
    missing = [t for t in needed if t not in tables]
    if missing:
        raise InputError(
            f"the lineage pipeline extracts {', '.join(missing)}, which the data does not have; "
            f"tables given: {', '.join(sorted(tables))}"
        )
    with workspace(work_dir, limits) as ws:
        load_inputs(ws, {t: tables[t] for t in needed})
        stage("lineage inputs loaded", DuckDB=ws.memory_mb())
        ws.seal()
        run = LineageRun(
            spec=spec,
            seed=seed,
            config_hash=spec_hash(spec),
            parent_run_id=stable_uuid(seed, spec.namespace, spec.parent_job),
            sources={t: table_info(ws, ws.table(t)) for t in needed},
            tables={},
        )
        ended: dict[str, datetime] = {}
        began = time.perf_counter()
        steps = reporter.bar(spec.steps, desc="ETL steps", unit="step")  # a bar on a terminal
        for index, step in enumerate(steps):
            reporter.detail(f"lineage [{index + 1}/{len(spec.steps)}] {step.id}")
            run.steps.append(_run_step(ws, run, index, step, ended, data_out))
            _keep_keys(run.steps[-1], keys_out)
            stage(f"lineage step {step.id}", DuckDB=ws.memory_mb())
    if run.labels:
        _add_downstream(run)
    failed = sum(s.status == FAILED for s in run.steps)
    reporter.say(
        f"ETL: {len(run.steps)} steps ({failed} failed as injected), {len(run.labels)} faults "
        f"labeled in {time.perf_counter() - began:.1f} s"
    )
    return run


def _run_step(
    ws: Workspace,
    run: LineageRun,
    index: int,
    step: Step,
    ended: dict[str, datetime],
    data_out: Path | None,
) -> StepRun:
    t0 = time.perf_counter()
    inputs = {t: ws.table(t) for t in step.inputs}
    op_params = OPERATIONS.get(step.operation).Params.model_validate(step.params)
    plans = plan_step(ws, step, op_params, inputs)
    what = f"step '{step.id}' ({step.operation})"
    clean, stats = execute_plans(ws, plans, inputs, what)
    for name, relation in clean.items():
        _check_key(ws, step, name, relation)
    outputs: dict[str, str | None] = dict(clean)
    status, error, label, key_file = COMPLETED, None, None, None
    if step.label != NORMAL:
        outcome = FAULTS.get(step.label)().inject(
            step,
            seed=run.seed,
            op_params=op_params,
            ws=ws,
            inputs=inputs,
            clean=clean,
            rerun=_rerun_of(ws, step, inputs, what),
        )
        outputs = outcome.outputs
        status, error, label = outcome.status, outcome.error_message, outcome.label
        key_file = outcome.key_file.path if outcome.key_file else None
        stats = {**stats, **outcome.stats}
    # Simulated schedule: a step starts when the last of its inputs was written.
    start = run.spec.run_start
    started = max([start, *(ended[t] for t in step.inputs if t in ended)])
    rows_in = {t: _info(run, t).rows for t in step.inputs}
    declared = {t: ws.schema(rel) for t, rel in clean.items()}
    for name, relation in outputs.items():
        if relation is None:
            # A missing output stays missing; the loader guarantees nobody reads it.
            ws.tables.pop(name, None)
            run.tables.pop(name, None)
            continue
        ws.tables[name] = relation
        checked = relation == clean.get(name)  # the clean output, whose key _check_key proved
        run.tables[name] = table_info(ws, relation, list(step.key), unique=checked)
        if data_out is not None:
            path = layout.inside(data_out, f"{name}.parquet", f"table {name!r}")
            ws.write_parquet(relation, path)
    ws.keep_only(set())
    rows_out = {t: (run.tables[t].rows if o is not None else None) for t, o in outputs.items()}
    ms = _simulated_ms(sum(rows_in.values()), sum(v or 0 for v in rows_out.values()))
    if status == FAILED:
        ms = ms // 3
    finished = started + timedelta(milliseconds=ms)
    for name in outputs:
        ended[name] = finished
    return StepRun(
        step=step,
        index=index,
        status=status,
        plans={p.table: p for p in plans},
        rows_in=rows_in,
        rows_out=rows_out,
        declared_schema=declared,
        actual_schema={
            t: (run.tables[t].schema if o is not None else None) for t, o in outputs.items()
        },
        stats=stats,
        run_id=stable_uuid(run.seed, run.spec.namespace, step.id),
        started_at=started,
        ended_at=finished,
        wall_ms=(time.perf_counter() - t0) * 1000,
        error_message=error,
        label=label,
        key_file=key_file,
    )


def _keep_keys(step: StepRun, keys_out: Path | None) -> None:
    """Move a label's key file out of the workspace (removed at the end), or inline its keys."""
    if step.key_file is None or step.label is None:
        return
    if keys_out is None:
        step.label["rows"] = read_keys(step.key_file)
        step.label.pop("rows_file", None)
        step.key_file = None
        return
    keys_out.mkdir(parents=True, exist_ok=True)
    dest = keys_out / Path(step.label["rows_file"]).name
    shutil.move(step.key_file, dest)
    step.key_file = dest


def _info(run: LineageRun, table: str) -> TableInfo:
    info = run.sources.get(table) or run.tables.get(table)
    if info is None:
        raise SynthgenError(f"table '{table}' is read before any step wrote it")
    return info


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
