"""Writes a LineageRun: generation_lineage.yaml, OpenLineage events, labels, step output tables.

``run_for_output`` runs the pipeline over an output folder and puts its results in place only
when the whole run succeeded: the step outputs and events are written into a work folder inside
the output and renamed into place at the end, so a failed run leaves the earlier lineage as it
was and writes nothing.
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any

import yaml

from synthgen_sdv.core.errors import InputError
from synthgen_sdv.core.progress import Progress
from synthgen_sdv.core.version import __version__
from synthgen_sdv.io import artifacts, files, layout
from synthgen_sdv.io.models import LINEAGE_NAME, VERSION
from synthgen_sdv.io.reader import read_json
from synthgen_sdv.lineage.events import column_lineage_dict, iso, write_events
from synthgen_sdv.lineage.runner import LineageRun, run_lineage, work_folder
from synthgen_sdv.lineage.spec import default_lineage_path, load_lineage_spec
from synthgen_sdv.lineage.workspace import Limits

LINEAGE_SCHEMA = LINEAGE_NAME
LINEAGE_VERSION = VERSION
LINEAGE_FILE = Path(layout.GENERATION_LINEAGE).name
DATA_DIR = layout.LINEAGE_DATA


def lineage_document(run: LineageRun, extra_sections: dict[str, Any] | None = None) -> dict:
    """The versioned lineage document; ``extra_sections`` (e.g. ``tables``) go before the DAG."""
    spec = run.spec
    doc: dict[str, Any] = {
        "schema": LINEAGE_SCHEMA,
        "version": LINEAGE_VERSION,
        "generator": {"name": "synthgen_sdv", "version": __version__},
        "seed": run.seed,
        "lineage_config_hash": run.config_hash,
    }
    for key, value in (extra_sections or {}).items():
        if key in doc or key == "pipeline":
            raise ValueError(f"extra section '{key}' would overwrite a lineage field")
        doc[key] = value
    producers = spec.producers()
    datasets = []
    for t, table in run.sources.items():
        ns, name = run.dataset(t)
        datasets.append(
            {
                "table": t,
                "namespace": ns,
                "name": name,
                "layer": "source",
                "system": spec.source_system(t),
                "produced_by": None,
                "rows": table.rows,
                "file": layout.table_file(layout.DATA, t, ".parquet"),
                "schema": dict(table.schema),
            }
        )
    step_docs = []
    for s in run.steps:
        for t in s.step.outputs:
            ns, name = run.dataset(t)
            entry = {
                "table": t,
                "namespace": ns,
                "name": name,
                "layer": s.step.layer,
                "system": "warehouse",
                "domain": s.step.domain,
                "produced_by": producers[t].id,
                "rows": s.rows_out[t],
                "file": (
                    layout.table_file(DATA_DIR, t, ".parquet")
                    if s.rows_out[t] is not None
                    else None
                ),
                "schema": s.declared_schema[t],
            }
            if s.actual_schema.get(t) != s.declared_schema[t]:
                entry["actual_schema"] = s.actual_schema.get(t)
            datasets.append(entry)
        step_docs.append(
            {
                "id": s.step.id,
                "description": s.step.description,
                "layer": s.step.layer,
                "domain": s.step.domain,
                "operation": s.step.operation,
                "label": s.step.label,
                "status": s.status,
                "run_id": s.run_id,
                "started_at": iso(s.started_at),
                "ended_at": iso(s.ended_at),
                "duration_ms": s.duration_ms,
                "key": list(s.step.key),
                "time_column": s.step.time_column,
                "inputs": [
                    {
                        "table": t,
                        "namespace": run.dataset(t)[0],
                        "name": run.dataset(t)[1],
                        "rows": s.rows_in[t],
                    }
                    for t in s.step.inputs
                ],
                "outputs": [
                    {
                        "table": t,
                        "namespace": run.dataset(t)[0],
                        "name": run.dataset(t)[1],
                        "rows": s.rows_out[t],
                        "sql": s.plans[t].sql,
                        "columnLineage": column_lineage_dict(run, s, t),
                    }
                    for t in s.step.outputs
                ],
                "rows_in": sum(s.rows_in.values()),
                "rows_out": sum(v or 0 for v in s.rows_out.values()),
                "stats": dict(s.stats),
                "error_message": s.error_message,
                "params": dict(s.step.params),
                "fault_params": dict(s.step.fault_params),
            }
        )
    doc["pipeline"] = {
        "namespace": spec.namespace,
        "parent_job": spec.parent_job,
        "parent_run_id": run.parent_run_id,
        "run_start": iso(spec.run_start),
        # Event times follow a cost model of row counts, so files are identical for a seed;
        # measured wall time is what benchmarks/bench_lineage.py reports.
        "timing": "simulated",
        "step_count": len(run.steps),
        "fault_count": len(run.labels),
        "fault_kinds": sorted({lab["kind"] for lab in run.labels}),
        "datasets": datasets,
        "steps": step_docs,
    }
    return doc


def lineage_labels(run: LineageRun) -> list[dict]:
    """Label dicts for metadata/labels.json under the key "lineage"."""
    return [dict(label) for label in run.labels]


def write_lineage(
    run: LineageRun,
    metadata_dir: str | Path,
    *,
    extra_sections: dict[str, Any] | None = None,
) -> dict[str, Path]:
    """Write generation_lineage.yaml and openlineage/ into ``metadata_dir``.

    The lead's ``generate`` passes ``extra_sections={"tables": ...}``; labels are returned by
    ``lineage_labels(run)`` for the caller to merge into labels.json.
    """
    metadata_dir = Path(metadata_dir)
    doc = lineage_document(run, extra_sections)
    path = metadata_dir / LINEAGE_FILE
    files.write_text(path, yaml.safe_dump(doc, sort_keys=False, allow_unicode=True, width=100))
    events = metadata_dir / Path(layout.OPENLINEAGE).name
    write_events(run, events)
    return {"lineage": path, "openlineage": events}


def merge_labels(run: LineageRun, labels_path: Path) -> Path:
    """Put this run's labels under "lineage" in labels.json, keeping every other section."""
    if labels_path.exists():
        doc = read_json(labels_path)
    else:
        doc = artifacts.labels_document(run.seed, None, [], [])
    doc["lineage"] = lineage_labels(run)
    files.write_json(labels_path, doc)
    return labels_path


def run_for_output(
    out_dir: str | Path,
    seed: int,
    *,
    spec_path: str | Path | None = None,
    extra_sections: dict[str, Any] | None = None,
    write_labels: bool = True,
    limits: Limits | None = None,
    progress: Progress | bool = False,
) -> LineageRun:
    """Run the pipeline over ``out_dir/data/*.parquet`` and write every lineage output there.

    The hook for ``generate``: call it on the staged folder with ``write_labels=False`` and put
    ``lineage_labels(run)`` into labels.json yourself (``extra_sections`` carries ``tables``).
    DuckDB works in a folder inside ``out_dir`` (its database and spill files), removed at the
    end; ``limits`` bound its memory.
    """
    out_dir = Path(out_dir)
    data_dir = out_dir / layout.DATA
    tables = {p.stem: p for p in sorted(data_dir.glob("*.parquet"))} if data_dir.is_dir() else {}
    if not tables:
        raise InputError(
            f"{data_dir} has no .parquet tables; the lineage runner reads the Parquet output "
            "(generate with parquet among the formats)"
        )
    spec = load_lineage_spec(spec_path or default_lineage_path(), tables)
    needed = [t for s in spec.sources.values() for t in s.tables]
    if extra_sections is None:
        extra_sections = _kept_sections(out_dir / layout.GENERATION_LINEAGE)
    with work_folder(out_dir) as staged:
        run = run_lineage(
            {t: tables[t] for t in needed},
            spec,
            seed,
            data_out=staged / DATA_DIR,
            work_dir=staged,
            limits=limits,
            progress=progress,
            keys_out=staged / "keys",
        )
        (staged / DATA_DIR).mkdir(exist_ok=True)
        doc = lineage_document(run, extra_sections)
        events = staged / Path(layout.OPENLINEAGE).name
        write_events(run, events)
        # Everything is written: now swap it in (renames within the output folder).
        _swap(staged / DATA_DIR, out_dir / DATA_DIR, staged / "old-data")
        _swap(events, out_dir / layout.OPENLINEAGE, staged / "old-events")
        _place_key_files(run, out_dir)
        files.write_text(
            out_dir / layout.GENERATION_LINEAGE,
            yaml.safe_dump(doc, sort_keys=False, allow_unicode=True, width=100),
        )
    if write_labels:
        merge_labels(run, out_dir / layout.LABELS)
    return run


def _place_key_files(run: LineageRun, out_dir: Path) -> None:
    """Put the key files of large labels where their ``rows_file`` says (an earlier run's
    lineage key files go first: the labels that name them are replaced too)."""
    labels_dir = out_dir / layout.LABELS_DIR
    for old in labels_dir.glob("lineage.*.parquet") if labels_dir.is_dir() else []:
        old.unlink()
    for step in run.steps:
        if step.key_file is not None and step.label is not None:
            dest = layout.inside(out_dir, step.label["rows_file"], "lineage label file")
            dest.parent.mkdir(parents=True, exist_ok=True)
            os.replace(step.key_file, dest)
            step.key_file = dest


def _swap(new: Path, dest: Path, old: Path) -> None:
    """Put folder ``new`` at ``dest``; an earlier ``dest`` moves to ``old`` (removed later)."""
    dest.parent.mkdir(parents=True, exist_ok=True)
    if dest.exists():
        os.replace(dest, old)
    os.replace(new, dest)


_OWN_KEYS = {"schema", "version", "generator", "seed", "lineage_config_hash", "pipeline"}


def _kept_sections(path: Path) -> dict[str, Any]:
    """Sections another stage wrote into generation_lineage.yaml (e.g. ``tables``): kept as is."""
    if not path.exists():
        return {}
    doc = yaml.safe_load(path.read_text(encoding="utf-8")) or {}
    return {k: v for k, v in doc.items() if k not in _OWN_KEYS}
