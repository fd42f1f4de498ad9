"""The stages composed: what `generate` and `fit-sample` run. The CLI only parses arguments."""

from __future__ import annotations

import sys
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from synthgen_sdv.generate.engine import Engine, GenerationResult
from synthgen_sdv.io import artifacts
from synthgen_sdv.io.output import staged_output
from synthgen_sdv.io.writers import FileSink
from synthgen_sdv.spec.plan import Plan


def say(msg: str) -> None:
    print(msg, file=sys.stderr, flush=True)


@dataclass
class GenerateOutcome:
    out: Path
    result: GenerationResult
    seconds: float


def rules_lineage(plan: Plan, result: GenerationResult) -> dict[str, Any]:
    """How each table was made by the rule-based bootstrap (the `tables` lineage section)."""
    out = {}
    for name, tp in plan.tables.items():
        entry: dict[str, Any] = {
            "source": "rules",
            "rows": result.row_counts.get(name, 0),
            "group": tp.family,
            "config": "tables.yml",
        }
        if tp.driver:
            spec = tp.lookup(tp.driver)
            entry["generated_per_row_of"] = spec.table
        entry["looks_up"] = sorted({tp.lookup(c).table for c in tp.lookups})
        out[name] = entry
    return out


def write_generated(
    tmp: Path,
    plan: Plan,
    result: GenerationResult,
    sink: FileSink,
    lineage_extra: Callable[[Path], list[dict[str, Any]]] | None = None,
    sources: dict[str, str] | None = None,
    tables_lineage: dict[str, Any] | None = None,
) -> None:
    """metadata/: schema_metadata.json, labels.json, generation_lineage.yaml."""
    dirty = {
        t: {"files": sink.dirty_files[t], "row_count": result.dirty_row_counts.get(t, 0)}
        for t in sink.dirty_files
    }
    meta = artifacts.schema_metadata(
        plan, result.types, result.row_counts, result.nullable, sink.files, dirty, sources
    )
    artifacts.write_json(tmp / "metadata" / "schema_metadata.json", meta)
    lineage_labels = lineage_extra(tmp) if lineage_extra else []
    artifacts.write_json(
        tmp / "metadata" / "labels.json",
        artifacts.labels_doc(plan, result.anomalies, result.entity_links, lineage_labels),
    )
    lineage_path = tmp / "metadata" / "generation_lineage.yaml"
    if not lineage_path.exists():
        doc = artifacts.header(artifacts.LINEAGE, plan.seed, plan.config_hash)
        doc["tables"] = tables_lineage or rules_lineage(plan, result)
        artifacts.write_yaml(lineage_path, doc)


def run_generate(
    plan: Plan, out: Path, formats: list[str], workers: int = 1, progress: bool = True
) -> GenerateOutcome:
    started = time.perf_counter()
    with staged_output(out) as tmp:
        sink = FileSink(tmp, formats)
        result = Engine(
            plan, workers=workers, progress=progress, log=say if progress else None
        ).run(sink)
        write_generated(tmp, plan, result, sink)
    return GenerateOutcome(out.resolve(), result, time.perf_counter() - started)
