"""The compare run: score candidate output folders against a reference output folder.

Reads the folders, checks that every candidate has the reference's tables and keys, splits the
reference into train and holdout by root entity unless a holdout folder is given, and writes
the comparison report (``evaluate.compare``). Argument mistakes are reported before any data
is read.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from synthgen_sdv.core.errors import InputError
from synthgen_sdv.evaluate.loading import read_output_folder
from synthgen_sdv.evaluate.metrics import METRICS
from synthgen_sdv.evaluate.relations import TableGraph, check_dataset
from synthgen_sdv.evaluate.report import ComparisonReport, compare
from synthgen_sdv.evaluate.split import split_by_root
from synthgen_sdv.io.reader import read_json


def check_metrics(names: list[str] | None) -> None:
    """Fail fast on an unknown metric name (the message lists the known ones)."""
    for name in names or []:
        METRICS.get(name)


def read_stats(
    files: dict[str, str | Path], candidates: dict[str, str | Path]
) -> dict[str, dict[str, Any]]:
    """Each candidate's measured run stats (fit_seconds, sample_seconds, peak_memory_mb) from
    its JSON file; a file for a candidate that is not compared is a mistake."""
    stats = {}
    for name, path in files.items():
        if name not in candidates:
            raise InputError(f"--stats {name}: no --candidate named '{name}'")
        stats[name] = read_json(Path(path), f"--stats {name}={path}")  # bounded: size, depth
    return stats


def run_compare(
    reference: Path,
    candidates: dict[str, str | Path],
    out: Path,
    *,
    holdout: Path | None = None,
    holdout_fraction: float = 0.2,
    seed: int = 0,
    root_table: str | None = None,
    target: str | None = None,
    max_root_rows: int = 2000,
    metrics: list[str] | None = None,
    stats_files: dict[str, str | Path] | None = None,
    scope: str = "all",
    skip_identifier_like: bool = True,
    make_plots: bool = True,
    workers: int | None = None,
) -> ComparisonReport:
    """Score each candidate folder against ``reference`` (split here, or with ``holdout``) and
    write comparison.json, comparison.md and plots/ into ``out``. Paths are quoted in messages
    as given. ``workers`` processes score the candidates and draw the plots (default: one per
    core, at most 4); the report is the same for any count."""
    check_metrics(metrics)
    stats = read_stats(stats_files or {}, candidates)

    ref = read_output_folder(reference)
    graph = TableGraph(ref.metadata)
    data = {}
    for name, path in candidates.items():
        folder = read_output_folder(path)
        if set(folder.metadata["tables"]) != set(graph.tables):
            raise InputError(
                f"--candidate {name}={path}: tables {sorted(folder.metadata['tables'])} differ "
                f"from the reference's {sorted(graph.tables)}"
            )
        check_dataset(folder.data, graph, f"--candidate {name}={path}")
        data[name] = folder.data

    split_info = None
    holdout_label = None
    if holdout is not None:
        hold = read_output_folder(holdout)
        check_dataset(hold.data, graph, f"--holdout {holdout}")
        train, held = ref.data, hold.data
        holdout_label = str(holdout)
        note = f"Train: {reference}; holdout: {holdout} (given by the caller)."
    else:
        split = split_by_root(ref.data, ref.metadata, holdout_fraction, seed, root_table)
        train, held, split_info = split.train, split.holdout, split.info
        note = (
            f"The holdout was split from {reference} by this command (fraction "
            f"{holdout_fraction}, seed {seed}); this command cannot know whether the "
            "candidates learned from those rows. Pass --holdout for a guaranteed-unseen holdout."
        )
    return compare(
        train,
        held,
        data,
        ref.metadata,
        out,
        candidate_stats=stats,
        metrics=metrics,
        target=target,
        seed=seed,
        root_table=root_table,
        scope=scope,
        skip_identifier_like=skip_identifier_like,
        max_root_rows=max_root_rows,
        make_plots=make_plots,
        split_info=split_info,
        protocol_note=note,
        reference_label=str(reference),
        trained_on_train=False,
        holdout_label=holdout_label,
        workers=workers,
    )
