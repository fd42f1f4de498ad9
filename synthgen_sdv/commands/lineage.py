"""`lineage` runs the ETL pipeline over an output folder; `validate-lineage` proves its labels."""

from __future__ import annotations

import argparse
from pathlib import Path

from synthgen_sdv.commands.common import (
    add_deprecated_dir_flag,
    add_dir_arg,
    echo,
    input_dir,
    note,
    path_arg,
    progress,
    seed_arg,
)
from synthgen_sdv.core.errors import InputError


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
            "and the step outputs as DIR/lineage_data/<table>.parquet. DIR is updated whole "
            "(a copy is changed and swapped in), so an interrupted run changes nothing."
        ),
    )
    add_dir_arg(p, "output folder with data/")
    add_deprecated_dir_flag(p, "--data")
    p.add_argument(
        "--spec",
        type=path_arg,
        default=None,
        metavar="FILE",
        help="lineage pipeline (default: the built-in configs/lineage.yml)",
    )
    p.add_argument(
        "--config-dir",
        type=path_arg,
        default=None,
        help="folder whose lineage.yml to use (as in generate); --spec wins",
    )
    p.add_argument(
        "--seed",
        type=seed_arg,
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
            "a normal step must not differ at all. Exit 1 naming the step and check otherwise. "
            "Nothing in DIR is changed."
        ),
    )
    add_dir_arg(v, "output folder with lineage")
    v.add_argument(
        "--json",
        dest="json_path",
        type=path_arg,
        metavar="FILE",
        help="also write the problems as JSON",
    )
    v.set_defaults(func=run_validate_command)


def spec_path(args: argparse.Namespace) -> Path | None:
    """--spec, else --config-dir's lineage.yml, else None (the built-in one); checked now."""
    path = args.spec or (args.config_dir / "lineage.yml" if args.config_dir else None)
    if path is not None and not path.is_file():
        flag = "--spec" if args.spec else "--config-dir"
        raise InputError(f"{flag}: {path} is not a file")
    return path.resolve() if path is not None else None


def run_lineage_command(args: argparse.Namespace) -> int:
    """Run the ETL pipeline over DIR (a copy, swapped in whole); print steps and faults."""
    from synthgen_sdv.io import layout
    from synthgen_sdv.io.output import staged_update
    from synthgen_sdv.runs.lineage import run_lineage

    folder = input_dir(args, "lineage", "--data")
    spec = spec_path(args)
    if not list((folder / layout.DATA).glob("*.parquet")):
        raise InputError(
            f"{folder / layout.DATA} has no .parquet tables; the lineage pipeline reads the "
            "Parquet output (generate with --format parquet or both)"
        )
    # an output of ours, or any folder of data/*.parquet: added to, never replaced
    with staged_update(folder, say=note, require_ours=False) as tmp:
        run = run_lineage(tmp, args.seed, spec_path=spec, progress=progress(args))
    kinds = sorted({lab["kind"] for lab in run.labels})
    echo(
        f"lineage: {len(run.steps)} steps executed, {len(run.labels)} faults "
        f"({len(kinds)} kinds) -> {folder / layout.METADATA}"
    )
    return 0


def run_validate_command(args: argparse.Namespace) -> int:
    """Prove the lineage labels of DIR; each problem on stderr, the summary on stdout."""
    from synthgen_sdv.runs.lineage import run_verify_lineage

    report = run_verify_lineage(input_dir(args, "validate-lineage"), args.json_path)
    for problem in report.problems:
        note(f"FAIL {problem}")
    echo(report.summary())
    return 0 if report.ok else 1
