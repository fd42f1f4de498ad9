"""OpenLineage RunEvents (START, then COMPLETE or FAIL) for each step, via FileTransport."""

from __future__ import annotations

from pathlib import Path

import pyarrow as pa
import pyarrow.compute as pc

from synthgen_sdv.core.version import __version__
from synthgen_sdv.io import layout
from synthgen_sdv.lineage.operations import DIRECT, INDIRECT
from synthgen_sdv.lineage.runner import FAILED, LineageRun, StepRun
from synthgen_sdv.lineage.tables import json_value, schema_of

PRODUCER = f"https://github.com/synthgen-sdv/synthgen_sdv/tree/v{__version__}"


def iso(ts) -> str:
    """A timestamp as OpenLineage writes it: milliseconds, ``Z`` for UTC."""
    return ts.isoformat(timespec="milliseconds").replace("+00:00", "Z")


def column_lineage_dict(run: LineageRun, step: StepRun, table: str) -> dict:
    """The plan's lineage in OpenLineage's ColumnLineageDatasetFacet field names."""
    plan = step.plans[table]

    def ref(t: str, col: str, kind: str, subtype: str, **extra) -> dict:
        ns, name = run.dataset(t)
        tr = {"type": kind, "subtype": subtype, **extra}
        return {"namespace": ns, "name": name, "field": col, "transformations": [tr]}

    fields = {}
    for col, fl in plan.fields.items():
        fields[col] = {
            "inputFields": [
                ref(t, c, DIRECT, fl.subtype, description=fl.expression, masking=fl.masking)
                for t, c in fl.inputs
            ]
        }
    dataset = [ref(t, c, INDIRECT, sub) for t, c, sub in plan.indirect]
    return {"fields": fields, "dataset": dataset}


def _column_metrics(table: pa.Table) -> dict:
    metrics = {}
    for name in table.column_names:
        col = table.column(name)
        m = {"nullCount": col.null_count}
        if pa.types.is_integer(col.type) or pa.types.is_floating(col.type):
            mm = pc.min_max(col)
            m["min"] = json_value(mm["min"].as_py())
            m["max"] = json_value(mm["max"].as_py())
            m["sum"] = round(float(pc.sum(col).as_py() or 0.0), 6)
        m["distinctCount"] = int(pc.count_distinct(col).as_py())
        metrics[name] = {k: v for k, v in m.items() if v is not None}
    return metrics


def build_events(run: LineageRun, step: StepRun) -> list:
    """START and COMPLETE/FAIL RunEvents for one step, as openlineage-python objects."""
    from openlineage.client.event_v2 import (
        InputDataset,
        Job,
        OutputDataset,
        Run,
        RunEvent,
        RunState,
    )
    from openlineage.client.facet_v2 import (
        column_lineage_dataset,
        data_quality_assertions_dataset,
        data_quality_metrics_dataset,
        documentation_job,
        error_message_run,
        input_statistics_input_dataset,
        job_type_job,
        nominal_time_run,
        output_statistics_output_dataset,
        parent_run,
        schema_dataset,
        sql_job,
    )

    spec = run.spec
    p = {"producer": PRODUCER}

    def schema_facet(schema: dict[str, str]):
        return schema_dataset.SchemaDatasetFacet(
            fields=[
                schema_dataset.SchemaDatasetFacetFields(name=n, type=t) for n, t in schema.items()
            ],
            **p,
        )

    def inputs(with_stats: bool):
        out = []
        for t in step.step.inputs:
            ns, name = run.dataset(t)
            schema = _schema_of_table(run, t)
            input_facets = {}
            if with_stats:
                input_facets["inputStatistics"] = (
                    input_statistics_input_dataset.InputStatisticsInputDatasetFacet(
                        rowCount=step.rows_in[t], **p
                    )
                )
            out.append(
                InputDataset(
                    namespace=ns,
                    name=name,
                    facets={"schema": schema_facet(schema)},
                    inputFacets=input_facets,
                )
            )
        return out

    def outputs(final: bool):
        out = []
        for t in step.step.outputs:
            ns, name = run.dataset(t)
            actual = step.actual_schema.get(t)
            facets = {
                "schema": schema_facet(actual if final and actual else step.declared_schema[t])
            }
            output_facets = {}
            if final:
                cl = column_lineage_dict(run, step, t)
                facets["columnLineage"] = column_lineage_dataset.ColumnLineageDatasetFacet(
                    fields={
                        c: column_lineage_dataset.Fields(
                            inputFields=[
                                _input_field(column_lineage_dataset, f) for f in v["inputFields"]
                            ]
                        )
                        for c, v in cl["fields"].items()
                    },
                    dataset=[_input_field(column_lineage_dataset, f) for f in cl["dataset"]],
                    **p,
                )
                table = run.tables.get(t) if step.rows_out.get(t) is not None else None
                if table is not None:
                    facets["dataQualityMetrics"] = (
                        data_quality_metrics_dataset.DataQualityMetricsDatasetFacet(
                            rowCount=table.num_rows,
                            columnMetrics={
                                c: data_quality_metrics_dataset.ColumnMetrics(**m)
                                for c, m in _column_metrics(table).items()
                            },
                            **p,
                        )
                    )
                    facets["dataQualityAssertions"] = (
                        data_quality_assertions_dataset.DataQualityAssertionsDatasetFacet(
                            assertions=_assertions(data_quality_assertions_dataset, step, t, table),
                            **p,
                        )
                    )
                    output_facets["outputStatistics"] = (
                        output_statistics_output_dataset.OutputStatisticsOutputDatasetFacet(
                            rowCount=table.num_rows, fileCount=1, **p
                        )
                    )
            out.append(
                OutputDataset(namespace=ns, name=name, facets=facets, outputFacets=output_facets)
            )
        return out

    sql = "\n;\n".join(pl.sql for pl in step.plans.values())
    job = Job(
        namespace=spec.namespace,
        name=step.step.id,
        facets={
            "jobType": job_type_job.JobTypeJobFacet(
                processingType="BATCH", integration="DUCKDB", jobType="QUERY", **p
            ),
            "sql": sql_job.SQLJobFacet(query=sql, dialect="duckdb", **p),
            "documentation": documentation_job.DocumentationJobFacet(
                description=step.step.description
                or f"{step.step.operation}: "
                f"{', '.join(step.step.inputs)} -> {', '.join(step.step.outputs)}",
                **p,
            ),
        },
    )
    run_facets = {
        "parent": parent_run.ParentRunFacet(
            run=parent_run.Run(runId=run.parent_run_id),
            job=parent_run.Job(namespace=spec.namespace, name=spec.parent_job),
            **p,
        ),
        "nominalTime": nominal_time_run.NominalTimeRunFacet(
            nominalStartTime=iso(spec.run_start), **p
        ),
    }
    start = RunEvent(
        eventType=RunState.START,
        eventTime=iso(step.started_at),
        run=Run(runId=step.run_id, facets=run_facets),
        job=job,
        inputs=inputs(False),
        outputs=outputs(False),
        producer=PRODUCER,
    )
    end_facets = dict(run_facets)
    if step.status == FAILED:
        end_facets["errorMessage"] = error_message_run.ErrorMessageRunFacet(
            message=step.error_message or "failed", programmingLanguage="PYTHON", **p
        )
    end = RunEvent(
        eventType=RunState.FAIL if step.status == FAILED else RunState.COMPLETE,
        eventTime=iso(step.ended_at),
        run=Run(runId=step.run_id, facets=end_facets),
        job=job,
        inputs=inputs(True),
        outputs=outputs(True),
        producer=PRODUCER,
    )
    return [start, end]


def _input_field(mod, f: dict):
    return mod.InputField(
        namespace=f["namespace"],
        name=f["name"],
        field=f["field"],
        transformations=[mod.Transformation(**t) for t in f["transformations"]],
    )


def _assertions(mod, step: StepRun, t: str, table: pa.Table) -> list:
    """The checks a careful pipeline runs after each write: key present, key unique, not empty."""
    key = list(step.step.key)
    present = all(k in table.column_names for k in key)
    out = [
        mod.Assertion(
            assertion="row_count",
            success=table.num_rows > 0,
            expected="> 0",
            actual=str(table.num_rows),
        ),
    ]
    if present:
        n_distinct = table.select(key).group_by(key).aggregate([]).num_rows
        out.append(
            mod.Assertion(
                assertion="unique",
                column=",".join(key),
                success=n_distinct == table.num_rows,
                expected=str(table.num_rows),
                actual=str(n_distinct),
            )
        )
        nulls = sum(table.column(k).null_count for k in key)
        for k in key:
            out.append(
                mod.Assertion(
                    assertion="not_null",
                    column=k,
                    success=table.column(k).null_count == 0,
                    actual=str(table.column(k).null_count),
                )
            )
        del nulls
    else:
        out.append(
            mod.Assertion(
                assertion="schema", success=False, description=f"key column(s) {key} are missing"
            )
        )
    return out


def _schema_of_table(run: LineageRun, t: str) -> dict[str, str]:
    table = run.sources.get(t) if t in run.sources else run.tables.get(t)
    return schema_of(table) if table is not None else {}


def build_parent_events(run: LineageRun) -> list:
    """START/COMPLETE (FAIL when a step failed) of the nightly job that runs every step."""
    from openlineage.client.event_v2 import Job, Run, RunEvent, RunState
    from openlineage.client.facet_v2 import job_type_job, nominal_time_run

    spec = run.spec
    p = {"producer": PRODUCER}
    job = Job(
        namespace=spec.namespace,
        name=spec.parent_job,
        facets={
            "jobType": job_type_job.JobTypeJobFacet(
                processingType="BATCH", integration="SYNTHGEN_SDV", jobType="DAG", **p
            )
        },
    )
    facets = {
        "nominalTime": nominal_time_run.NominalTimeRunFacet(
            nominalStartTime=iso(spec.run_start), **p
        )
    }
    end = max(s.ended_at for s in run.steps)
    failed = any(s.status == FAILED for s in run.steps)
    return [
        RunEvent(
            eventType=RunState.START,
            eventTime=iso(spec.run_start),
            run=Run(runId=run.parent_run_id, facets=facets),
            job=job,
            producer=PRODUCER,
        ),
        RunEvent(
            eventType=RunState.FAIL if failed else RunState.COMPLETE,
            eventTime=iso(end),
            run=Run(runId=run.parent_run_id, facets=facets),
            job=job,
            producer=PRODUCER,
        ),
    ]


def write_events(run: LineageRun, folder: Path) -> list[Path]:
    """One JSON-lines file per step, written by the client's FileTransport (offline).

    ``append`` mode gives a fixed file name (otherwise the transport stamps the wall clock into
    it), so the folder is cleared of our old files first. Events go straight to the transport:
    ``OpenLineageClient.emit`` would add facets from the environment (OPENLINEAGE__* variables,
    git source location), and the files must depend on the seed only.
    """
    from openlineage.client.transport.file import FileConfig, FileTransport

    folder.mkdir(parents=True, exist_ok=True)
    for old in folder.glob("*.jsonl"):
        old.unlink()
    parent = layout.named_path(folder, run.spec.parent_job, ".jsonl", prefix="000_")
    transport = FileTransport(FileConfig(log_file_path=str(parent), append=True))
    for event in build_parent_events(run):
        transport.emit(event)
    paths = [parent]
    for step in run.steps:
        path = layout.named_path(folder, step.step.id, ".jsonl", prefix=f"{step.index + 1:03d}_")
        transport = FileTransport(FileConfig(log_file_path=str(path), append=True))
        for event in build_events(run, step):
            transport.emit(event)
        paths.append(path)
    return paths
