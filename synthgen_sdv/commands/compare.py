"""``compare``: score candidate output folders against a reference output folder."""

from __future__ import annotations

import argparse
from pathlib import Path

from synthgen_sdv.commands.common import (
    add_deprecated_dir_flag,
    add_dir_arg,
    add_out,
    claimed,
    echo,
    input_dir,
    note,
    path_arg,
    seed_arg,
)
from synthgen_sdv.core.errors import InputError


def register(subparsers: argparse._SubParsersAction) -> None:
    """Add the ``compare`` subcommand."""
    p = subparsers.add_parser(
        "compare",
        help="score synthetic output folders against a real reference (SDMetrics, ML, privacy)",
        description=(
            "Score each --candidate output folder against the real data in DIR. With "
            "--holdout, DIR is the train split the candidates learned from and --holdout the "
            "unseen real rows. Without it, DIR is split by root entity here (seeded), which is "
            "honest only if the candidates did not learn from those holdout rows. Writes "
            "comparison.json, comparison.md, comparison.html (one self-contained file) and "
            "plots/ into the folder --out (whole, atomically; an earlier report is replaced "
            "only with --overwrite)."
        ),
    )
    add_dir_arg(p, "the real reference: an output folder (data/ + metadata/schema_metadata.json)")
    add_deprecated_dir_flag(p, "--reference")
    p.add_argument(
        "--candidate",
        required=True,
        action="append",
        default=[],
        metavar="NAME=DIR",
        help="a candidate output folder; repeat for more",
    )
    add_out(p, "", required=True)
    p.add_argument(
        "--holdout",
        type=path_arg,
        metavar="DIR",
        help="real holdout output folder; default: split --reference",
    )
    p.add_argument(
        "--holdout-fraction",
        type=float,
        default=0.2,
        help="share of root rows held out when splitting --reference (default 0.2)",
    )
    p.add_argument("--seed", type=seed_arg, default=0)
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
    """NAME=VALUE arguments as a dict; a malformed or repeated name is an input error."""
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
    """Compare the folders, say where the report went, print its sentence and headline table."""
    from synthgen_sdv.evaluate.markdown import summary_markdown
    from synthgen_sdv.io.output import staged_output
    from synthgen_sdv.runs.compare import check_metrics, read_stats, run_compare

    # Argument mistakes first, before minutes of reading data.
    metrics = [m.strip() for m in args.metrics.split(",") if m.strip()] if args.metrics else None
    check_metrics(metrics)
    candidates = _pairs(args.candidate, "--candidate")  # as typed: messages quote them
    stats_files = _pairs(args.stats, "--stats")
    reference = input_dir(args, "compare", "--reference")
    inputs: dict[str, Path | None] = {"DIR": reference, "--holdout": args.holdout}
    inputs.update({f"--candidate {n}": Path(p) for n, p in candidates.items()})
    read_stats(stats_files, candidates)  # names and files: argument mistakes come first
    for name, folder in inputs.items():  # a missing folder is named before --out is looked at
        if folder is not None and not folder.is_dir():
            raise InputError(f"{name} {folder}: not a directory")
    with claimed(args, args.out, inputs), staged_output(args.out) as tmp:
        report = run_compare(
            reference,
            candidates,
            tmp,
            holdout=args.holdout,
            holdout_fraction=args.holdout_fraction,
            seed=args.seed,
            root_table=args.root_table,
            target=args.target,
            max_root_rows=args.max_root_rows,
            metrics=metrics,
            stats_files=stats_files,
            scope=args.scope,
            skip_identifier_like=not args.keep_identifier_like,
            make_plots=not args.no_plots,
        )
    written = ", ".join(str(args.out / report.files[k].name) for k in ("markdown", "html", "json"))
    note(f"wrote {written}")
    echo(report.headline)
    echo()
    echo(summary_markdown(report.data).rstrip("\n"))
    return 0
