"""Proves lineage labels from the data: re-runs each step's recorded SQL on the stored inputs and
checks that the stored output differs exactly as its label says (and not at all when normal)."""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

import pyarrow.parquet as pq

from synthgen_sdv.core.errors import InputError
from synthgen_sdv.io import layout
from synthgen_sdv.io.reader import read_json, read_versioned
from synthgen_sdv.lineage.faults import FAULTS
from synthgen_sdv.lineage.runner import COMPLETED
from synthgen_sdv.lineage.tables import connect, diff_tables, execute, schema_of, to_arrow
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
    return read_json(path).get("lineage", [])


def verify_lineage(out_dir: str | Path) -> VerifyReport:
    """Re-execute every recorded step on its stored inputs; prove each fault label from the data."""
    out_dir = Path(out_dir)
    doc = read_lineage(out_dir)
    labels = read_labels(out_dir)
    pipeline = doc["pipeline"]
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

    tables = {}
    for ds in pipeline["datasets"]:
        if ds["layer"] == "source":
            path = layout.inside(out_dir, ds["file"], f"datasets[{ds['table']}].file")
            if not path.exists():
                raise InputError(f"{path} does not exist; the verifier re-runs steps from it")
            tables[ds["table"]] = to_arrow(pq.read_table(path))

    for rec in pipeline["steps"]:
        sid = rec["id"]
        report.steps_checked += 1
        lab = by_step.get(sid)
        if rec["label"] != (lab["kind"] if lab else "normal"):
            report.problems.append(
                f"step '{sid}': the lineage file labels it '{rec['label']}' but labels.json says "
                f"'{lab['kind'] if lab else 'normal'}'"
            )
        missing_inputs = [i["table"] for i in rec["inputs"] if i["table"] not in tables]
        if missing_inputs:
            report.problems.append(
                f"step '{sid}': input(s) {missing_inputs} are missing; cannot check"
            )
            continue
        inputs = {i["table"]: tables[i["table"]] for i in rec["inputs"]}
        con = connect(inputs)
        try:
            expected = {o["table"]: execute(con, o["sql"], f"step '{sid}'") for o in rec["outputs"]}
        finally:
            con.close()
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
            path = layout.table_path(out_dir, layout.LINEAGE_DATA, t, ".parquet")
            actual = to_arrow(pq.read_table(path)) if path.exists() else None
            if actual is not None:
                tables[t] = actual
            rows = actual.num_rows if actual is not None else None
            if rows != out["rows"]:
                report.problems.append(
                    f"step '{sid}' check row_count: the lineage file records {out['rows']} rows "
                    f"for {t}, the stored table has {rows}"
                )
                step_ok = False
            diff = diff_tables(expected[t], actual, list(rec["key"]))
            if fault is not None and t == target:
                problems = fault.verify(diff, lab, rec)
                for p in problems:
                    report.problems.append(f"step '{sid}' [{lab['kind']}] check {t}: {p}")
                step_ok &= not problems
                continue
            signs = diff.signs()
            declared = next(d for d in pipeline["datasets"] if d["table"] == t)["schema"]
            if actual is not None and schema_of(actual) != declared:
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
    return report
