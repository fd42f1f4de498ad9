"""`lineage` runs the ETL pipeline over an output folder; `validate-lineage` proves its labels."""

from __future__ import annotations

import argparse
import sys
from pathlib import Path


def register(subparsers: argparse._SubParsersAction) -> None:
    """Add ``lineage`` and ``validate-lineage``."""
    p = subparsers.add_parser(
        "lineage",
        help="run the ETL pipeline (configs/lineage.yml) with labeled faults over DIR/data",
        description=(
            "Execute every step of the lineage pipeline over DIR/data/*.parquet (DuckDB with a "
            "memory limit, spilling to disk, no file access for step SQL), inject the labeled "
            "faults and write DIR/metadata/generation_lineage.yaml, "
            "DIR/metadata/openlineage/*.jsonl, the 'lineage' section of DIR/metadata/labels.json "
            "and the step outputs as DIR/lineage_data/<table>.parquet."
        ),
    )
    p.add_argument(
        "--data", type=Path, required=True, metavar="DIR", help="output folder with data/"
    )
    p.add_argument(
        "--spec",
        type=Path,
        default=None,
        metavar="FILE",
        help="lineage pipeline (default: the built-in configs/lineage.yml)",
    )
    p.add_argument(
        "--config-dir",
        type=Path,
        default=None,
        help="folder whose lineage.yml to use (as in generate); --spec wins",
    )
    p.add_argument(
        "--seed",
        type=int,
        default=None,
        help="fault seed (default: the seed in metadata/schema_metadata.json, else 42)",
    )
    p.add_argument("--no-progress", action="store_true", help="no stage lines on stderr")
    p.set_defaults(func=run_lineage_command)

    v = subparsers.add_parser(
        "validate-lineage",
        help="prove every lineage label from the data; exit 1 when one is not shown",
        description=(
            "Regenerate each step's SQL from its recorded operation and params (a stored copy "
            "that differs is reported as tampering and never run), run it on the stored inputs "
            "and compare with the stored output: a labeled step must differ exactly as its "
            "label says (kind, rows, columns), "
            "a normal step must not differ at all. Exit 1 naming the step and check otherwise."
        ),
    )
    v.add_argument("out_dir", type=Path, metavar="DIR")
    v.add_argument(
        "--json",
        dest="json_path",
        type=Path,
        metavar="FILE",
        help="also write the problems as JSON",
    )
    v.set_defaults(func=run_validate_command)


def run_lineage_command(args: argparse.Namespace) -> int:
    """Run the ETL pipeline over --data; print steps and faults."""
    from synthgen_sdv.io import layout
    from synthgen_sdv.runs.lineage import run_lineage

    run = run_lineage(
        args.data,
        args.seed,
        spec_path=args.spec or (args.config_dir / "lineage.yml" if args.config_dir else None),
        progress=not args.no_progress,
    )
    kinds = sorted({lab["kind"] for lab in run.labels})
    print(
        f"lineage: {len(run.steps)} steps executed, {len(run.labels)} faults "
        f"({len(kinds)} kinds) -> {args.data / layout.METADATA}"
    )
    return 0


def run_validate_command(args: argparse.Namespace) -> int:
    """Prove the lineage labels of DIR; each problem on stderr, the summary on stdout."""
    from synthgen_sdv.runs.lineage import run_verify_lineage

    report = run_verify_lineage(args.out_dir, args.json_path)
    for problem in report.problems:
        print(f"FAIL {problem}", file=sys.stderr)
    print(report.summary())
    return 0 if report.ok else 1
