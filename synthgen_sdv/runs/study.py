"""The honest comparison protocol, shared by `fit-sample` and `ablation`.

The reference (the rule-based bootstrap, or a user's data) is split into train and holdout by
root entity (a customer with all their orders and transactions). Every candidate learns from
train only: the synthesizers, and the rule-based baseline, a config inferred from train (each
column's marginal, each relationship's children-per-parent counts, no dependencies). Each is
scored against the holdout; train itself scored against the holdout is the ceiling.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pandas as pd

from synthgen_sdv.core.metadata import subgraph
from synthgen_sdv.evaluate import ComparisonReport, compare, split_by_root
from synthgen_sdv.evaluate.measure import measure
from synthgen_sdv.io import artifacts
from synthgen_sdv.runs.baseline import generate_baseline
from synthgen_sdv.runs.fitting import STAGES, Bootstrap, fit_model, sample_model
from synthgen_sdv.schema.plan import Plan

BASELINE = "rules_baseline"


@dataclass
class StudyResult:
    """The written comparison report, where it is, and each candidate's measured fit and
    sample time and memory (the ablation aggregates them)."""

    report: ComparisonReport
    report_dir: Path
    stats: dict[str, dict[str, Any]]


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
) -> StudyResult:
    """Split, fit every candidate on train, score all against the holdout, write the report."""
    say = STAGES.say  # stage lines always: fit-sample shows them, the ablation captures them
    full_meta = artifacts.sdv_metadata(plan, boot.types)
    meta = subgraph(full_meta, modeled)
    real = {t: boot.tables[t] for t in modeled}
    split = split_by_root(real, meta, holdout_fraction=holdout_fraction, seed=plan.seed)
    train_boot = Bootstrap({**boot.tables, **split.train}, boot.types, boot.seconds)
    candidates: dict[str, dict[str, pd.DataFrame]] = {}
    stats: dict[str, dict[str, Any]] = {}
    for model in models:
        say(f"[compare] fit '{model}' on the train split, sample as many rows")
        with measure() as fit_stats:
            synth = fit_model(plan, train_boot, model, modeled, progress, params)
        with measure() as sample_stats:
            candidates[model] = sample_model(plan, train_boot, synth, modeled, 1.0)
        stats[model] = {
            "fit_seconds": fit_stats["seconds"],
            "sample_seconds": sample_stats["seconds"],
            "peak_memory_mb": max(fit_stats["peak_memory_mb"], sample_stats["peak_memory_mb"]),
        }
    if baseline:
        say("[compare] rule-based baseline: infer a config from train, generate it")
        with measure() as base_stats:
            generated = generate_baseline(
                {**boot.tables, **split.train},
                full_meta,
                seed=plan.seed,
                config_dir=report_dir / "baseline_config",
            )
            candidates[BASELINE] = {t: generated[t] for t in modeled}
        stats[BASELINE] = {
            "fit_seconds": 0.0,
            "sample_seconds": base_stats["seconds"],
            "peak_memory_mb": base_stats["peak_memory_mb"],
        }
    say(f"[compare] score {', '.join(candidates)} and the train ceiling against the holdout")
    report = compare(
        split.train,
        split.holdout,
        candidates,
        meta,
        report_dir,
        candidate_stats=stats,
        seed=plan.seed,
        split_info=split.info,
        make_plots=make_plots,
    )
    return StudyResult(report, report_dir, stats)
