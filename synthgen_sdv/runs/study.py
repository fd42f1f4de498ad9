"""The honest comparison protocol, shared by `fit-sample` (a config or your own data) and
`ablation`.

The reference (the rule-based bootstrap, or your tables) is split into train and holdout by
root entity (a customer with all their orders and transactions). Every candidate learns from
train only: the synthesizers, and the rule-based baseline, a config inferred from train (each
column's marginal, each relationship's children-per-parent counts, no dependencies). Each is
scored against the holdout; train itself scored against the holdout is the ceiling. A large
reference is first cut to a root-entity subsample (``MAX_STUDY_ROWS`` rows in the split
tables), so the report costs minutes, not hours; the opening sentence of the report says so.

``holdout_study`` is the protocol over any source: a ``Learner`` says how that source's
synthesizers learn from a train split and sample. ``run_study`` is the config's learner (the
bootstrap's tables, recomputed columns left out and derived again).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pandas as pd

from synthgen_sdv.core.metadata import subgraph
from synthgen_sdv.core.progress import QUIET, Progress
from synthgen_sdv.evaluate import ComparisonReport, WrittenOutput, compare, split_by_root
from synthgen_sdv.evaluate.measure import measure
from synthgen_sdv.evaluate.relations import TableGraph, scorable_metadata
from synthgen_sdv.evaluate.split import subsample_by_root
from synthgen_sdv.io import artifacts
from synthgen_sdv.io.spill import first_batch
from synthgen_sdv.runs.baseline import generate_baseline
from synthgen_sdv.runs.fitting import (
    STAGES,
    Bootstrap,
    check_modeled,
    finish_sampled,
    fit_metadata,
    fit_synthesizer,
)
from synthgen_sdv.schema.plan import Plan

BASELINE = "rules_baseline"
#: the synthesizers fit-sample's report fits on the train split, besides the run's own model
COMPARED_MODELS = ("hma", "gaussian_copula")
#: rows of the split tables (the entity root and its descendants) a study fits on at most
MAX_STUDY_ROWS = 200_000

Dataset = dict[str, pd.DataFrame]


@dataclass
class StudyResult:
    """The written comparison report, where it is, and each candidate's measured fit and
    sample time and memory (the ablation aggregates them)."""

    report: ComparisonReport
    report_dir: Path
    stats: dict[str, dict[str, Any]]


@dataclass
class Learner:
    """How one source's synthesizers learn from a train split and sample from it.

    ``fit(train, model)`` gets the source's tables with the split ones replaced by their train
    part and returns a fitted model; ``sample(fitted)`` returns the tables of the study's
    metadata, made whole by the source, as many rows as train.
    """

    fit: Callable[[Dataset, str], Any]
    sample: Callable[[Any], Dataset]


def holdout_study(
    reference: Dataset,
    metadata: dict[str, Any],
    root_table: str,
    models: list[str],
    learner: Learner,
    report_dir: Path,
    *,
    seed: int,
    label: str,
    context: Dataset | None = None,
    baseline_metadata: dict[str, Any] | None = None,
    holdout_fraction: float = 0.2,
    make_plots: bool = True,
    baseline: bool = True,
    written: WrittenOutput | None = None,
    max_rows: int | None = None,
    tolerate_failures: bool = False,
    reporter: Progress = STAGES,
) -> StudyResult:
    """Subsample a large reference, split it, fit every candidate on train, score all against
    the holdout and write the report (with ``written`` as its section 2).

    ``reference`` holds the tables of ``metadata`` (split by ``root_table``; tables outside its
    subtree are shared); ``context`` the source's other tables, which the learner and the
    baseline see whole (products, stores). ``label`` names the reference in the report's
    opening sentence. ``tolerate_failures`` records a candidate that fails (fit, sample or the
    baseline) in the report and goes on; otherwise the error propagates (the ablation finds
    the culprit itself).
    """
    say = STAGES.say  # stage lines always: fit-sample shows them, the ablation captures them
    max_rows = max_rows or MAX_STUDY_ROWS
    subtree = [root_table, *TableGraph(metadata).descendants(root_table)]
    rows = sum(len(reference[t]) for t in subtree)
    if rows > max_rows:
        cut = subsample_by_root(
            reference, metadata, len(reference[root_table]), seed, root_table, max_rows=max_rows
        )
        kept, total = len(cut.data[root_table]), len(reference[root_table])
        say(
            f"[compare] {rows:,} rows to split: a root-entity subsample of {kept:,} of the "
            f"{total:,} {root_table} (at most {max_rows:,} rows) for the comparison"
        )
        label = f"a root-entity subsample ({kept:,} of {total:,} {root_table}) of {label}"
        reference = cut.data
    split = split_by_root(reference, metadata, holdout_fraction, seed, root_table)
    whole = {**(context or {}), **split.train}
    candidates: dict[str, Dataset] = {}
    stats: dict[str, dict[str, Any]] = {}
    failures: dict[str, str] = {}
    for model in models:
        say(f"[compare] fit '{model}' on the train split, sample as many rows")
        try:
            with measure() as fit_stats:
                fitted = learner.fit(whole, model)
            with measure() as sample_stats:
                candidates[model] = learner.sample(fitted)
        except Exception as exc:
            if not tolerate_failures:
                raise
            failures[model] = _failed(say, model, exc)
            continue
        stats[model] = {
            "fit_seconds": fit_stats["seconds"],
            "sample_seconds": sample_stats["seconds"],
            "peak_memory_mb": max(fit_stats["peak_memory_mb"], sample_stats["peak_memory_mb"]),
        }
    if baseline:
        say("[compare] rule-based baseline: infer a config from train, generate it")
        try:
            with measure() as base_stats:
                generated = generate_baseline(
                    whole,
                    baseline_view(baseline_metadata or metadata),
                    seed=seed,
                    config_dir=report_dir / "baseline_config",
                )
            # a key the baseline cannot model (a self reference) is left empty, not invented
            candidates[BASELINE] = {
                t: generated[t].reindex(columns=list(meta["columns"]))
                for t, meta in metadata["tables"].items()
            }
            stats[BASELINE] = {
                "fit_seconds": 0.0,
                "sample_seconds": base_stats["seconds"],
                "peak_memory_mb": base_stats["peak_memory_mb"],
            }
        except Exception as exc:
            if not tolerate_failures:
                raise
            failures[BASELINE] = _failed(say, BASELINE, exc)
    say(f"[compare] score {', '.join(candidates)} and the train ceiling against the holdout")
    report = compare(
        split.train,
        split.holdout,
        candidates,
        metadata,
        report_dir,
        candidate_stats=stats,
        seed=seed,
        root_table=root_table,
        split_info=split.info,
        make_plots=make_plots,
        reference_label=label,
        written=written,
        failures=failures,
        progress=lambda message: say(f"[compare] {message}"),  # a line per entry scored
        reporter=reporter,  # and a bar over the scoring and plotting jobs, on a terminal only
    )
    return StudyResult(report, report_dir, stats)


def _failed(say: Callable[[str], None], name: str, exc: Exception) -> str:
    message = f"{type(exc).__name__}: {exc}".strip()
    say(f"[compare] '{name}' failed on the train split and is left out: {message}")
    return message


def baseline_view(metadata: dict[str, Any]) -> dict[str, Any]:
    """What the rule-based baseline is inferred from: the rules have no self reference (a
    lookup into its own table), so those relationships and their columns are left out."""
    selfref = [
        r
        for r in metadata.get("relationships", [])
        if r["parent_table_name"] == r["child_table_name"]
    ]
    if not selfref:
        return metadata
    drop = {(r["child_table_name"], r["child_foreign_key"]) for r in selfref}
    tables = {
        t: {**m, "columns": {c: v for c, v in m["columns"].items() if (t, c) not in drop}}
        for t, m in metadata["tables"].items()
    }
    rels = [r for r in metadata["relationships"] if r not in selfref]
    return {**metadata, "tables": tables, "relationships": rels}


def written_stats(timings: dict[str, float] | None) -> dict[str, float]:
    """The run's own fit and sample seconds, for the resources of section 2."""
    keys = {"fit_s": "fit_seconds", "sample_s": "sample_seconds"}
    return {keys[k]: round(v, 3) for k, v in (timings or {}).items() if k in keys}


def written_output(
    sampled: dict[str, Any],
    tables: list[str],
    fitted_on: dict[str, pd.DataFrame],
    timings: dict[str, float] | None,
) -> WrittenOutput:
    """Section 2's output: the first batch of each sampled table (a sample at scale is not
    read back whole; ``io.spill.first_batch``), with the rows written in all."""
    return WrittenOutput(
        data={t: first_batch(sampled[t]) for t in tables},
        fitted_on=fitted_on,
        stats=written_stats(timings),
        rows={t: len(sampled[t]) for t in tables},
    )


def config_label(plan: Plan) -> str:
    """How the report's sentence names a config's reference."""
    return f"the rule-based bootstrap (scale {plan.scale:g}, seed {plan.seed})"


def run_study(
    plan: Plan,
    boot: Bootstrap,
    modeled: list[str],
    models: list[str],
    report_dir: Path,
    holdout_fraction: float = 0.2,
    progress: bool = True,
    params: dict[str, Any] | None = None,
    make_plots: bool = True,
    baseline: bool = True,
    written: WrittenOutput | None = None,
    tolerate_failures: bool = False,
) -> StudyResult:
    """The protocol on a config's bootstrap: split, fit every candidate on train, score all
    against the holdout, write the report."""
    check_modeled(modeled, list(plan.tables))
    full_meta = artifacts.sdv_metadata(plan, boot.types)
    meta, _ = scorable_metadata(subgraph(full_meta, modeled))
    root = TableGraph(meta).entity_root(boot.tables)

    # fitting's blocks without their [2/4] / [3/4] stage lines: the study says its own
    def fit(train: Dataset, model: str) -> Any:
        part = Bootstrap(train, boot.types, boot.seconds)
        tables, fit_meta = fit_metadata(plan, part, modeled)
        synth = fit_synthesizer(model, tables, fit_meta, modeled, plan.seed, progress, params)
        return synth, part

    def sample(fitted: Any) -> Dataset:
        synth, part = fitted
        tables = finish_sampled(plan, part, synth.sample(1.0), modeled)
        return {t: tables[t] for t in meta["tables"]}

    return holdout_study(
        {t: boot.tables[t] for t in meta["tables"]},
        meta,
        root,
        models,
        Learner(fit, sample),
        report_dir,
        seed=plan.seed,
        label=config_label(plan),
        context=boot.tables,
        baseline_metadata=full_meta,
        holdout_fraction=holdout_fraction,
        make_plots=make_plots,
        baseline=baseline,
        written=written,
        tolerate_failures=tolerate_failures,
        reporter=STAGES if progress else QUIET,
    )
