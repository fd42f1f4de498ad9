"""`fit-sample --data-dir`: the realistic stage on a user's own CSV or Parquet files."""

from __future__ import annotations

import argparse
from pathlib import Path

from synthgen_sdv.commands.common import (
    check_model_name,
    claimed,
    echo,
    progress,
    refuse_given,
    split_names,
)
from synthgen_sdv.core.errors import InputError


def check_tables(data_dir: Path, tables: list[str] | None) -> None:
    """--tables against the tables of --data-dir (one per file), before anything is read."""
    from synthgen_sdv.detect.reading import table_files

    if tables:
        known = list(table_files(data_dir))
        missing = [t for t in tables if t not in known]
        if missing:
            raise InputError(
                f"--tables: unknown table(s) {', '.join(missing)}; the tables of --data-dir "
                f"{data_dir} are: {', '.join(known)}"
            )


def run_byo(args: argparse.Namespace) -> int:
    """fit-sample --data-dir: your files are the source; print what was written."""
    from synthgen_sdv.runs.fit_sample import run_fit_sample
    from synthgen_sdv.runs.from_user import UserSource
    from synthgen_sdv.schema.loader import load_config

    refuse_given(
        args,
        ("config_dir", "bootstrap_scale", "workers", "no_lineage"),
        "--data-dir fits on your files: there is no config, bootstrap or ETL pipeline to "
        "apply these to",
    )
    check_model_name(args.model)
    if args.scale is not None and not args.scale > 0:
        raise InputError(f"--scale must be > 0, got {args.scale}")
    tables = split_names(args.tables, "--tables")
    check_tables(args.data_dir, tables)
    run = load_config().run  # seed, output folder and formats default to config.yaml
    fmt = {"both": ["parquet", "csv"], "csv": ["csv"], "parquet": ["parquet"]}
    seed = args.seed if args.seed is not None else run.seed
    out = args.out or Path(run.output.dir)
    # --metadata may sit in --out (OUT/metadata/detected_metadata.json, edited and passed
    # back): it is read whole before the new folder replaces the old one
    with claimed(args, out, {"--data-dir": args.data_dir}):
        outcome = run_fit_sample(
            UserSource(args.data_dir, args.metadata, seed),
            out,
            fmt[args.format] if args.format else list(run.output.formats),
            args.model or run.synthesis.model,
            tables,
            scale=args.scale if args.scale is not None else 1.0,
            compare=not args.no_compare,
            progress=progress(args),
        )
    counts = outcome.result.row_counts
    width = max(map(len, counts))
    echo(f"wrote {len(counts)} tables to {outcome.out}")
    for name, rows in counts.items():
        echo(f"  {name:<{width}}  {rows:>10,} rows  {outcome.sources.get(name, '')}")
    echo(f"metadata used (edit and rerun with --metadata): {outcome.files['metadata']}")
    echo(f"{outcome.seconds:.1f} s")
    return 0
