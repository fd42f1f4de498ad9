"""`fit-sample --data-dir`: the realistic stage on a user's own CSV or Parquet files."""

from __future__ import annotations

import argparse
from pathlib import Path

from synthgen_sdv.commands.common import progress
from synthgen_sdv.core.errors import InputError


def run_byo(args: argparse.Namespace) -> int:
    """fit-sample --data-dir: your files are the source; print what was written."""
    from synthgen_sdv.runs.fit_sample import run_fit_sample
    from synthgen_sdv.runs.from_user import UserSource
    from synthgen_sdv.schema.loader import load_config

    if args.config_dir is not None or args.bootstrap_scale is not None:
        raise InputError(
            "--data-dir fits on your files: --config-dir and --bootstrap-scale do not apply"
        )
    run = load_config().run  # seed, output folder and formats default to config.yaml
    tables = [t.strip() for t in args.tables.split(",")] if args.tables else None
    fmt = {"both": ["parquet", "csv"], "csv": ["csv"], "parquet": ["parquet"]}
    seed = args.seed if args.seed is not None else run.seed
    outcome = run_fit_sample(
        UserSource(args.data_dir, args.metadata, seed, bad_rows=args.bad_rows),
        args.out or Path(run.output.dir),
        fmt[args.format] if args.format else list(run.output.formats),
        args.model or run.synthesis.model,
        tables,
        scale=args.scale if args.scale is not None else 1.0,
        compare=not args.no_compare,
        progress=progress(args),
    )
    counts = outcome.result.row_counts
    width = max(map(len, counts))
    print(f"wrote {len(counts)} tables to {outcome.out}")
    for name, rows in counts.items():
        print(f"  {name:<{width}}  {rows:>10,} rows  {outcome.sources.get(name, '')}")
    print(f"metadata used (edit and rerun with --metadata): {outcome.files['metadata']}")
    print(f"{outcome.seconds:.1f} s")
    return 0
