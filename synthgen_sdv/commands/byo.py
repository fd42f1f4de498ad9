"""`fit-sample --data-dir`: the realistic stage on a user's own CSV or Parquet files."""

from __future__ import annotations

import argparse
from pathlib import Path

from synthgen_sdv.core.errors import InputError


def run_byo(args: argparse.Namespace) -> int:
    from synthgen_sdv.runs.byo import run_user_fit_sample
    from synthgen_sdv.schema.loader import load_config

    if args.config_dir is not None or args.bootstrap_scale is not None:
        raise InputError(
            "--data-dir fits on your files: --config-dir and --bootstrap-scale do not apply"
        )
    run = load_config().run  # seed, output folder and formats default to config.yaml
    tables = [t.strip() for t in args.tables.split(",")] if args.tables else None
    fmt = {"both": ("parquet", "csv"), "csv": ("csv",), "parquet": ("parquet",)}
    outcome = run_user_fit_sample(
        args.data_dir,
        args.out or Path(run.output.dir),
        metadata_file=args.metadata,
        tables=tables,
        model=args.model or run.synthesis.model,
        scale=args.scale if args.scale is not None else 1.0,
        seed=args.seed if args.seed is not None else run.seed,
        formats=fmt[args.format] if args.format else tuple(run.output.formats),
        progress=not args.no_progress,
    )
    counts = {t: len(df) for t, df in outcome.result.tables.items()}
    width = max(map(len, counts))
    print(f"wrote {len(counts)} tables to {outcome.out}")
    for name, rows in counts.items():
        print(f"  {name:<{width}}  {rows:>10,} rows  {outcome.result.sources.get(name, '')}")
    print(f"metadata used (edit and rerun with --metadata): {outcome.metadata_path}")
    print(f"{outcome.seconds:.1f} s")
    return 0
