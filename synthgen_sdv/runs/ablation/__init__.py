"""The ablation: the comparison protocol of ``study.run_study`` over seeds x scales, aggregated.

For each (seed, bootstrap scale) cell the rule-based reference is generated, split by root
entity, every synthesizer is fit on train, and all candidates (with the rules baseline and the
train ceiling that ``run_study`` adds) are scored against the holdout. Per (scale, candidate,
metric) the seeds are then reduced to mean, std, min, max and n, and written as
``ablation.json`` (versioned), ``ablation.md`` and PNG plots into a staged output folder.

Modules: ``config`` (the strict grid model and its loader), ``grid`` (running the cells, the
per-cell cache that makes a rerun resume), ``aggregate`` (mean/std/min/max/n), ``report``
(ablation.json and .md), ``plots`` (PNGs), ``provenance`` (machine, versions, git commit).
"""

from synthgen_sdv.runs.ablation.aggregate import COSTS, SCORES, aggregate, describe, table
from synthgen_sdv.runs.ablation.config import (
    DEFAULT_CONFIG,
    AblationConfig,
    apply_overrides,
    load_ablation_config,
)
from synthgen_sdv.runs.ablation.grid import AblationResult, cache_key, run_ablation, run_cell
from synthgen_sdv.runs.ablation.plots import make_plots
from synthgen_sdv.runs.ablation.provenance import machine_info, source_revision
from synthgen_sdv.runs.ablation.report import (
    SCHEMA,
    VERSION,
    build_doc,
    read_ablation,
    render_markdown,
    write_outputs,
)

__all__ = [
    "COSTS",
    "DEFAULT_CONFIG",
    "SCHEMA",
    "SCORES",
    "VERSION",
    "AblationConfig",
    "AblationResult",
    "aggregate",
    "apply_overrides",
    "build_doc",
    "cache_key",
    "describe",
    "load_ablation_config",
    "machine_info",
    "make_plots",
    "read_ablation",
    "render_markdown",
    "run_ablation",
    "run_cell",
    "source_revision",
    "table",
    "write_outputs",
]
