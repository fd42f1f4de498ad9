"""``compare``: score candidate output folders against a reference output folder."""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

from synthgen_sdv.core.errors import InputError


def register(subparsers) -> None:
    p = subparsers.add_parser(
        "compare",
        help="score synthetic output folders against a real reference (SDMetrics, ML, privacy)",
        description=(
            "Score each --candidate output folder against the real data. With --holdout, "
            "--reference is the train split the candidates learned from and --holdout the unseen "
            "real rows. Without it, --reference is split by root entity here (seeded), which is "
            "honest only if the candidates did not learn from those holdout rows. Writes "
            "comparison.json, comparison.md and plots/ into --out."
        ),
    )
    p.add_argument(
        "--reference",
        required=True,
        type=Path,
        metavar="DIR",
        help="real output folder (data/ + metadata/schema_metadata.json)",
    )
    p.add_argument(
        "--candidate",
        required=True,
        action="append",
        default=[],
        metavar="NAME=DIR",
        help="a candidate output folder; repeat for more",
    )
    p.add_argument("--out", required=True, type=Path, metavar="REPORT_DIR")
    p.add_argument(
        "--holdout",
        type=Path,
        metavar="DIR",
        help="real holdout output folder; default: split --reference",
    )
    p.add_argument(
        "--holdout-fraction",
        type=float,
        default=0.2,
        help="share of root rows held out when splitting --reference (default 0.2)",
    )
    p.add_argument("--seed", type=int, default=0)
    p.add_argument(
        "--root-table",
        metavar="TABLE",
        help="entity table to split and subsample by (default: a root with personal-data "
        "columns, else the one owning the most tables)",
    )
    p.add_argument(
        "--target",
        metavar="TABLE.COLUMN",
        help="ML utility target; default: the root table's first categorical column",
    )
    p.add_argument(
        "--max-root-rows",
        type=int,
        default=2000,
        help="root rows SDMetrics scores per dataset (default 2000)",
    )
    p.add_argument(
        "--metrics", metavar="NAME,NAME", help="comma-separated metric names (default: all)"
    )
    p.add_argument(
        "--stats",
        action="append",
        default=[],
        metavar="NAME=JSON_FILE",
        help="measured run stats of a candidate: fit_seconds, sample_seconds, peak_memory_mb",
    )
    p.add_argument(
        "--scope",
        choices=["all", "held_out"],
        default="all",
        help="tables SDMetrics scores: all, or only the held-out root subtree (default all)",
    )
    p.add_argument(
        "--keep-identifier-like",
        action="store_true",
        help="let SDMetrics score categorical columns whose values are nearly all distinct",
    )
    p.add_argument("--no-plots", action="store_true")
    p.set_defaults(func=run)


def _pairs(values: list[str], flag: str) -> dict[str, str]:
    out: dict[str, str] = {}
    for value in values:
        name, sep, rest = value.partition("=")
        if not sep or not name or not rest:
            raise InputError(f"{flag} '{value}': expected NAME=VALUE")
        if name in out:
            raise InputError(f"{flag}: name '{name}' is given twice")
        out[name] = rest
    return out


def run(args: argparse.Namespace) -> int:
    from synthgen_sdv.evaluate.loading import read_output_folder
    from synthgen_sdv.evaluate.metrics import METRICS
    from synthgen_sdv.evaluate.relations import TableGraph, check_dataset
    from synthgen_sdv.evaluate.report import compare
    from synthgen_sdv.evaluate.split import split_by_root

    # Argument mistakes first, before minutes of reading data.
    metrics = [m.strip() for m in args.metrics.split(",") if m.strip()] if args.metrics else None
    for name in metrics or []:
        METRICS.get(name)
    candidates_dirs = _pairs(args.candidate, "--candidate")
    stats_files = _pairs(args.stats, "--stats")
    stats = {}
    for name, path in stats_files.items():
        if name not in candidates_dirs:
            raise InputError(f"--stats {name}: no --candidate named '{name}'")
        try:
            stats[name] = json.loads(Path(path).read_text(encoding="utf-8"))
        except (OSError, json.JSONDecodeError) as exc:
            raise InputError(f"--stats {name}={path}: {exc}") from None

    reference = read_output_folder(args.reference)
    graph = TableGraph(reference.metadata)
    candidates = {}
    for name, path in candidates_dirs.items():
        folder = read_output_folder(path)
        if set(folder.metadata["tables"]) != set(graph.tables):
            raise InputError(
                f"--candidate {name}={path}: tables {sorted(folder.metadata['tables'])} differ "
                f"from the reference's {sorted(graph.tables)}"
            )
        check_dataset(folder.data, graph, f"--candidate {name}={path}")
        candidates[name] = folder.data

    note = None
    split_info = None
    if args.holdout is not None:
        hold = read_output_folder(args.holdout)
        check_dataset(hold.data, graph, f"--holdout {args.holdout}")
        train, holdout = reference.data, hold.data
        note = f"Train: {args.reference}; holdout: {args.holdout} (given by the caller)."
    else:
        split = split_by_root(
            reference.data, reference.metadata, args.holdout_fraction, args.seed, args.root_table
        )
        train, holdout, split_info = split.train, split.holdout, split.info
        note = (
            f"The holdout was split from {args.reference} by this command (fraction "
            f"{args.holdout_fraction}, seed {args.seed}); this command cannot know whether the "
            "candidates learned from those rows. Pass --holdout for a guaranteed-unseen holdout."
        )
    report = compare(
        train,
        holdout,
        candidates,
        reference.metadata,
        args.out,
        candidate_stats=stats,
        metrics=metrics,
        target=args.target,
        seed=args.seed,
        root_table=args.root_table,
        scope=args.scope,
        skip_identifier_like=not args.keep_identifier_like,
        max_root_rows=args.max_root_rows,
        make_plots=not args.no_plots,
        split_info=split_info,
        protocol_note=note,
    )
    print(f"wrote {report.files['markdown']} and {report.files['json']}", file=sys.stderr)
    print(report.files["markdown"].read_text(encoding="utf-8").split("\n\n")[1])
    return 0
