"""Proves lineage labels from the data: re-runs each step's SQL on the stored inputs and checks
that the stored output differs exactly as its label says (and not at all when normal).

Nothing stored in an output folder runs as code: each step's SQL is regenerated from the step's
record (operation and params, checked against the operation plug-ins) and compared with the
stored copy; a mismatch is reported as tampering and the step is not run. The regenerated SQL
runs in a sealed DuckDB workspace (no file access) over copies of the stored tables.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from pydantic import ValidationError

from synthgen_sdv.core.errors import InputError
from synthgen_sdv.io import layout
from synthgen_sdv.io.reader import read_json, read_versioned
from synthgen_sdv.lineage.diff import diff_tables
from synthgen_sdv.lineage.faults import FAULTS
from synthgen_sdv.lineage.models import Step
from synthgen_sdv.lineage.operations import OPERATIONS, OutputPlan
from synthgen_sdv.lineage.runner import COMPLETED, execute_plans, plan_step, workspace
from synthgen_sdv.lineage.workspace import Limits, Workspace, read_keys
from synthgen_sdv.lineage.writer import LINEAGE_SCHEMA


@dataclass
class VerifyReport:
    """Every problem found, plus what was checked (for a one-line summary)."""

    problems: list[str] = field(default_factory=list)
    steps_checked: int = 0
    labels_proven: int = 0
    labels_total: int = 0

    @property
    def ok(self) -> bool:
        """True when every step re-executed as recorded and every label was proven."""
        return not self.problems

    def summary(self) -> str:
        """One line for the CLI: steps re-run, labels proven, problems."""
        return (
            f"{self.steps_checked} steps re-executed; {self.labels_proven}/{self.labels_total} "
            f"fault labels proven by the data; {len(self.problems)} problem(s)"
        )


def read_lineage(out_dir: Path) -> dict:
    """generation_lineage.yaml of ``out_dir``, its schema and version checked."""
    path = out_dir / layout.GENERATION_LINEAGE
    if not path.exists():
        raise InputError(
            f"{path} does not exist; run `python -m synthgen_sdv lineage --data {out_dir}`"
        )
    return read_versioned(path, LINEAGE_SCHEMA)


def read_labels(out_dir: Path) -> list[dict]:
    """The ETL fault labels: the ``lineage`` section of labels.json."""
    path = out_dir / layout.LABELS
    if not path.exists():
        raise InputError(f"{path} does not exist; the lineage labels live there under 'lineage'")
    labels = read_json(path).get("lineage", [])
    for lab in labels:  # a large label's keys are in a Parquet file beside labels.json
        if lab.get("rows_file"):
            keys = layout.inside(out_dir, lab["rows_file"], "lineage label file")
            if not keys.is_file():
                raise InputError(f"{path}: label '{lab.get('id')}' names {keys}, which is missing")
            lab["rows"] = read_keys(keys)
    return labels


def verify_lineage(out_dir: str | Path, *, limits: Limits | None = None) -> VerifyReport:
    """Re-execute every recorded step on its stored inputs; prove each fault label from the data."""
    out_dir = Path(out_dir)
    doc = read_lineage(out_dir)
    labels = read_labels(out_dir)
    pipeline = doc.get("pipeline")
    if not isinstance(pipeline, dict) or not isinstance(pipeline.get("steps"), list):
        raise InputError(f"{out_dir / layout.GENERATION_LINEAGE}: has no pipeline steps")
    report = VerifyReport(labels_total=len(labels))
    by_step: dict[str, dict] = {}
    for lab in labels:
        sid = lab.get("step")
        if sid in by_step:
            report.problems.append(f"labels.json: step '{sid}' has more than one lineage label")
        by_step[sid] = lab
    steps = {s["id"]: s for s in pipeline["steps"]}
    for sid, lab in by_step.items():
        if sid not in steps:
            report.problems.append(
                f"label '{lab.get('id')}': step '{sid}' is not in the lineage file"
            )
        elif lab.get("kind") not in FAULTS:
            report.problems.append(
                f"label '{lab.get('id')}': {FAULTS.unknown_message(str(lab.get('kind')))}"
            )
    with workspace(None, limits) as ws:
        _load_stored(ws, out_dir, pipeline)
        ws.seal()
        for rec in pipeline["steps"]:
            report.steps_checked += 1
            _check_step(ws, report, pipeline, rec, by_step.get(rec["id"]))
            ws.keep_only(set())
    return report


def _load_stored(ws: Workspace, out_dir: Path, pipeline: dict) -> None:
    """Copy the source tables and every stored step output into the workspace."""
    for ds in pipeline.get("datasets", []):
        if ds["layer"] == "source":
            path = layout.inside(out_dir, ds["file"], f"datasets[{ds['table']}].file")
            if not path.exists():
                raise InputError(f"{path} does not exist; the verifier re-runs steps from it")
            ws.load_parquet(ds["table"], path)
    for rec in pipeline["steps"]:
        for out in rec["outputs"]:
            path = layout.table_path(out_dir, layout.LINEAGE_DATA, out["table"], ".parquet")
            if path.exists():
                ws.load_parquet(out["table"], path)


def step_from_record(rec: dict) -> tuple[Step, Any]:
    """The step and its operation params as a lineage file records them (checked as lineage.yml
    is checked); raises ValueError saying what does not hold."""
    try:
        step = Step.model_validate(
            {
                "id": rec["id"],
                "description": rec.get("description", ""),
                "layer": rec["layer"],
                "domain": rec["domain"],
                "operation": rec["operation"],
                "inputs": [i["table"] for i in rec["inputs"]],
                "outputs": [o["table"] for o in rec["outputs"]],
                "key": rec["key"],
                "time_column": rec.get("time_column"),
                "params": rec.get("params") or {},
                "label": rec.get("label", "normal"),
                "fault_params": rec.get("fault_params") or {},
            }
        )
    except (KeyError, TypeError) as exc:
        raise ValueError(f"the record lacks {exc}") from None
    except ValidationError as exc:
        raise ValueError(str(exc.errors()[0]["msg"])) from None
    if step.operation not in OPERATIONS:
        raise ValueError(OPERATIONS.unknown_message(step.operation))
    op = OPERATIONS.get(step.operation)()
    try:
        params = op.Params.model_validate(step.params)
    except ValidationError as exc:
        raise ValueError(f"params: {exc.errors()[0]['msg']}") from None
    problems = op.check(step, params)
    if problems:
        raise ValueError("; ".join(msg for _, msg in problems))
    return step, params


def _regenerated(
    ws: Workspace, report: VerifyReport, rec: dict, inputs: dict[str, str]
) -> list[OutputPlan] | None:
    """The step's SQL regenerated from its record, if it is what the file stores (else None)."""
    sid = rec["id"]
    try:
        step, params = step_from_record(rec)
    except ValueError as exc:
        report.problems.append(
            f"step '{sid}' check spec: the lineage file's record is not a valid step ({exc}); "
            "its SQL was not run"
        )
        return None
    plans = plan_step(ws, step, params, inputs)
    stored = {o["table"]: o.get("sql") for o in rec["outputs"]}
    tampered = [p.table for p in plans if stored.get(p.table) != p.sql]
    if tampered:
        report.problems.append(
            f"step '{sid}' check sql: the stored SQL of {', '.join(tampered)} is not the SQL "
            "that the step's operation and params give: the lineage file was edited "
            "(tampering); the stored SQL was not run"
        )
        return None
    return plans


def _check_step(
    ws: Workspace, report: VerifyReport, pipeline: dict, rec: dict, lab: dict | None
) -> None:
    sid = rec["id"]
    if rec["label"] != (lab["kind"] if lab else "normal"):
        report.problems.append(
            f"step '{sid}': the lineage file labels it '{rec['label']}' but labels.json says "
            f"'{lab['kind'] if lab else 'normal'}'"
        )
    missing_inputs = [i["table"] for i in rec["inputs"] if i["table"] not in ws.tables]
    if missing_inputs:
        report.problems.append(f"step '{sid}': input(s) {missing_inputs} are missing; cannot check")
        return
    inputs = {i["table"]: ws.table(i["table"]) for i in rec["inputs"]}
    plans = _regenerated(ws, report, rec, inputs)
    if plans is None:
        return
    try:
        expected = execute_plans(ws, plans, inputs, f"step '{sid}'")[0]
    except InputError as exc:
        report.problems.append(f"step '{sid}' check sql: {exc}")
        return
    target = lab["tables"][0] if lab and lab.get("tables") else None
    fault = FAULTS.get(lab["kind"])() if lab and lab.get("kind") in FAULTS else None
    step_ok = True
    written = [o["table"] for o in rec["outputs"]]
    if fault is not None and target not in written:
        report.problems.append(
            f"step '{sid}' [{lab['kind']}] check tables: the label names {target}, but the "
            f"step writes {', '.join(written)}"
        )
        step_ok = False
    for out in rec["outputs"]:
        t = out["table"]
        actual = ws.tables.get(t)
        rows = ws.count(actual) if actual is not None else None
        if rows != out["rows"]:
            report.problems.append(
                f"step '{sid}' check row_count: the lineage file records {out['rows']} rows "
                f"for {t}, the stored table has {rows}"
            )
            step_ok = False
        diff = diff_tables(ws, expected[t], actual, list(rec["key"]))
        if fault is not None and t == target:
            problems = fault.verify(diff, lab, rec)
            for p in problems:
                report.problems.append(f"step '{sid}' [{lab['kind']}] check {t}: {p}")
            step_ok &= not problems
            continue
        signs = diff.signs()
        declared = next(d for d in pipeline["datasets"] if d["table"] == t)["schema"]
        if actual is not None and ws.schema(actual) != declared:
            signs["declared_schema"] = 1
        if rec["status"] != COMPLETED and fault is None:
            signs["status_" + rec["status"].lower()] = 1
        for sign, n in signs.items():
            report.problems.append(
                f"step '{sid}' (labeled {rec['label']}) check {sign}: {t} shows a fault sign "
                f"({n}) that no label explains"
            )
            step_ok = False
    if lab and fault is not None and step_ok:
        report.labels_proven += 1
