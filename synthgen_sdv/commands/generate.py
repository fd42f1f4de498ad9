"""`generate`: the rule-based bootstrap, from YAML to data/ and metadata/."""

from __future__ import annotations

import argparse

from synthgen_sdv.commands.common import (
    add_config_args,
    formats,
    load_plan,
    out_dir,
    progress,
    workers,
)


def register(sub: argparse._SubParsersAction) -> None:
    """Add ``generate`` to the command line."""
    p = sub.add_parser(
        "generate",
        help="generate every table from the YAML config (rule-based)",
        description="Generate every table of tables.yml, its schema metadata and "
        "labels, into --out (written atomically).",
    )
    add_config_args(p)
    p.add_argument(
        "--format",
        choices=["csv", "parquet", "both"],
        default=None,
        help="file format (default: config.yaml output.formats)",
    )
    p.add_argument(
        "--no-lineage", action="store_true", help="skip executing the ETL pipeline of lineage.yml"
    )
    p.add_argument(
        "--engine",
        choices=["local", "spark"],
        default="local",
        help="where chunks are made: local processes (--workers) or Spark tasks; "
        "the files are the same",
    )
    p.add_argument(
        "--compression",
        default="snappy",
        help="Parquet codec: snappy (default, fastest to write), zstd (about half the bytes), "
        "lz4, gzip, brotli or none",
    )
    p.add_argument(
        "--spark-master",
        default=None,
        help="Spark master URL for --engine spark (default local[2]; e.g. spark://host:7077)",
    )
    p.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    """Generate, then print the tables written with their row counts."""
    from synthgen_sdv.runs.generate import run_generate

    plan = load_plan(args)
    outcome = run_generate(
        plan,
        out_dir(args, plan),
        formats(args, plan),
        workers=workers(args, plan),
        progress=progress(args),
        engine=args.engine,
        spark_master=args.spark_master,
        compression=args.compression,
        etl=not args.no_lineage,
    )
    counts = outcome.result.row_counts
    width = max(map(len, counts))
    print(f"wrote {len(counts)} tables to {outcome.out}")
    for name, rows in counts.items():
        dirty = outcome.result.dirty_row_counts.get(name)
        extra = f"  (+ data_dirty: {dirty:,} rows)" if dirty is not None else ""
        print(f"  {name:<{width}}  {rows:>12,} rows{extra}")
    total = sum(counts.values())
    print(f"{total:,} rows in {outcome.seconds:.1f} s (seed {plan.seed}, scale {plan.scale:g})")
    return 0
