"""The stages composed: what `generate` and `fit-sample` run. The CLI only parses arguments."""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from synthgen_sdv.generate.engine import Engine, GenerationResult
from synthgen_sdv.generate.rederive import recomputed_columns
from synthgen_sdv.io import artifacts
from synthgen_sdv.io.output import staged_output
from synthgen_sdv.io.writers import FileSink
from synthgen_sdv.runs.fitting import Bootstrap, bootstrap, fit_model, sample_model, say
from synthgen_sdv.runs.study import run_study
from synthgen_sdv.schema.plan import Plan


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
    sources: dict[str, str] | None = None,
    tables_lineage: dict[str, Any] | None = None,
    progress: bool = True,
    etl: bool = True,
) -> None:
    """metadata/: schema_metadata.json, labels.json, generation_lineage.yaml (+ the ETL run)."""
    dirty = {
        t: {"files": sink.dirty_files[t], "row_count": result.dirty_row_counts.get(t, 0)}
        for t in sink.dirty_files
    }
    meta = artifacts.schema_metadata(
        plan, result.types, result.row_counts, result.nullable, sink.files, dirty, sources
    )
    artifacts.write_json(tmp / "metadata" / "schema_metadata.json", meta)
    tables_lineage = tables_lineage or rules_lineage(plan, result)
    lineage_labels = (
        run_etl_lineage(tmp, plan, tables_lineage, sink.formats, progress) if etl else []
    )
    artifacts.write_json(
        tmp / "metadata" / "labels.json",
        artifacts.labels_doc(plan, result.anomalies, result.entity_links, lineage_labels),
    )
    lineage_path = tmp / "metadata" / "generation_lineage.yaml"
    if not lineage_path.exists():
        doc = artifacts.header(artifacts.LINEAGE, plan.seed, plan.config_hash)
        doc["tables"] = tables_lineage
        artifacts.write_yaml(lineage_path, doc)


def run_etl_lineage(
    tmp: Path, plan: Plan, tables_lineage: dict[str, Any], formats: list[str], progress: bool
) -> list[dict[str, Any]]:
    """Execute lineage.yml over the written tables: staging/core/mart data, faults, events."""
    spec_path = plan.loaded.config_dir / "lineage.yml"
    if plan.loaded.lineage is None or not spec_path.exists():
        return []
    if "parquet" not in formats:
        say("note: ETL lineage skipped: it runs over the Parquet output (add --format both)")
        return []
    from synthgen_sdv.lineage.writer import lineage_labels, run_for_output

    if progress:
        say("running the ETL pipeline of lineage.yml (faults injected, OpenLineage events)")
    run = run_for_output(
        tmp,
        plan.seed,
        spec_path=spec_path,
        write_labels=False,
        extra_sections={"config_hash": plan.config_hash, "tables": tables_lineage},
    )
    return lineage_labels(run)


def run_generate(
    plan: Plan,
    out: Path,
    formats: list[str],
    workers: int = 1,
    progress: bool = True,
    etl: bool = True,
) -> GenerateOutcome:
    """The rule-based bootstrap to files; ``etl`` also executes lineage.yml over them."""
    started = time.perf_counter()
    with staged_output(out) as tmp:
        sink = FileSink(tmp, formats)
        result = Engine(
            plan, workers=workers, progress=progress, log=say if progress else None
        ).run(sink)
        write_generated(tmp, plan, result, sink, progress=progress, etl=etl)
    return GenerateOutcome(out.resolve(), result, time.perf_counter() - started)


# --- the realistic stage ----------------------------------------------------------------------


#: the candidates fit-sample's report compares (the run's own model first)
COMPARED_MODELS = ("hma", "gaussian_copula")


@dataclass
class FitSampleOutcome:
    out: Path
    result: GenerationResult
    sources: dict[str, str]
    synth_params: dict[str, Any]
    timings: dict[str, float]
    report: dict[str, Any] | None = None


def write_with_pinned(
    plan: Plan,
    out: Path,
    formats: list[str],
    pinned: dict[str, Any],
    lineage: dict[str, Any],
    sources: dict[str, str],
    workers: int,
    progress: bool,
    extra: Callable[[Path], None] | None = None,
) -> GenerationResult:
    """Write sampled tables as they are and generate the tables that depend on them by rules."""
    say("[4/4] write: sampled tables as sampled, the other tables by rules on top of them")
    with staged_output(out) as tmp:
        sink = FileSink(tmp, formats)
        result = Engine(
            plan, workers=workers, progress=progress, log=say if progress else None
        ).run(sink, pinned=pinned)
        tables_lineage = rules_lineage(plan, result)
        for name, entry in tables_lineage.items():
            entry.update(lineage.get(name, {}))
            if name not in pinned and any(t in pinned for t in _reads(plan, name)):
                entry["source"] = "rules, on synthesized parents"
        write_generated(
            tmp,
            plan,
            result,
            sink,
            sources=sources,
            tables_lineage=tables_lineage,
            progress=progress,
        )
        if extra:
            extra(tmp)
    return result


def _reads(plan: Plan, table: str) -> set[str]:
    tp = plan.tables[table]
    return {tp.lookup(c).table for c in (*tp.lookups, *([tp.driver] if tp.driver else []))}


def run_fit_sample(
    plan: Plan,
    out: Path,
    formats: list[str],
    model: str,
    modeled: list[str],
    scale: float,
    workers: int = 1,
    progress: bool = True,
    params: dict[str, Any] | None = None,
    compare: bool = True,
) -> FitSampleOutcome:
    t = time.perf_counter()
    boot = bootstrap(plan, workers, progress)
    boot_s = time.perf_counter() - t
    t = time.perf_counter()
    synth = fit_model(plan, boot, model, modeled, progress, params)
    fit_s = time.perf_counter() - t
    report: dict[str, Any] = {}

    def comparison(tmp: Path) -> None:
        started = time.perf_counter()
        others = [m for m in COMPARED_MODELS if m != model]
        study = run_study(
            plan, boot, modeled, [model, *others], tmp / "reports", progress=progress, params=params
        )
        report["path"] = out.resolve() / "reports" / "comparison.md"
        report["summary"] = study.report.summary
        report["seconds"] = time.perf_counter() - started

    outcome = run_sample(
        plan,
        synth,
        out,
        formats,
        model,
        modeled,
        scale,
        workers,
        progress,
        boot=boot,
        extra=comparison if compare else None,
    )
    outcome.timings = {"bootstrap_s": boot_s, "fit_s": fit_s, **outcome.timings}
    if report:
        outcome.timings["write_s"] -= report["seconds"]
        outcome.timings["compare_s"] = report["seconds"]
        outcome.report = report
    return outcome


def run_sample(
    plan: Plan,
    synth: Any,
    out: Path,
    formats: list[str],
    model: str,
    modeled: list[str],
    scale: float,
    workers: int = 1,
    progress: bool = True,
    boot: Bootstrap | None = None,
    extra: Callable[[Path], None] | None = None,
) -> FitSampleOutcome:
    """Sample a fitted synthesizer and write the output folder (the dimensions it reattaches
    to are the rule-based ones, regenerated identically from the same plan)."""
    boot = boot or bootstrap(plan, workers, progress)
    t = time.perf_counter()
    pinned = sample_model(plan, boot, synth, modeled, scale)
    timings = {"sample_s": time.perf_counter() - t}
    t = time.perf_counter()
    info = synth.params()
    lineage = {
        name: {
            "source": "synthesizer",
            "model": model,
            "fitted_on": {
                "table": name,
                "rows": len(boot.tables[name]),
                "from": "rule-based bootstrap",
                "seed": plan.seed,
                "bootstrap_scale": plan.scale,
            },
            "sample_scale": scale,
            "recomputed_columns": recomputed_columns(plan, name),
            "synthesizer": info,
        }
        for name in modeled
    }
    sources = {name: f"synthesizer:{model}" for name in modeled}
    result = write_with_pinned(
        plan, out, formats, pinned, lineage, sources, workers, progress, extra
    )
    timings["write_s"] = time.perf_counter() - t  # the comparison (extra) is subtracted by callers
    return FitSampleOutcome(out.resolve(), result, sources, info, timings)
