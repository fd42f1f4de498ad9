"""`generate`: the rule-based bootstrap, from YAML to data/ and metadata/."""

from __future__ import annotations

import argparse
from typing import TYPE_CHECKING

from synthgen_sdv.commands.common import (
    add_config_args,
    add_format,
    add_guard_args,
    add_no_lineage,
    check_size,
    claimed,
    config_dir,
    echo,
    formats,
    load_plan,
    out_dir,
    progress,
    workers,
)

if TYPE_CHECKING:
    from synthgen_sdv.schema.plan import Plan


def register(sub: argparse._SubParsersAction) -> None:
    """Add ``generate`` to the command line."""
    p = sub.add_parser(
        "generate",
        help="generate every table from the YAML config (rule-based)",
        description="Generate every table of tables.yml, its schema metadata and "
        "labels, and run the ETL pipeline of lineage.yml over them, into --out (written "
        "atomically; an earlier output is replaced only with --overwrite).",
    )
    add_config_args(p)
    add_guard_args(p)
    add_format(p)
    add_no_lineage(p)
    p.add_argument(
        "--engine",
        choices=["local", "spark"],
        default="local",
        help="where chunks are made: local processes (--workers) or Spark tasks; "
        "the files are the same",
    )
    p.add_argument(
        "--no-dirty",
        action="store_true",
        help="skip the dirty copies (data_dirty/) and their anomaly labels: about half the "
        "cells to write when only the clean tables are wanted",
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
    """Generate, then print the tables written with their row counts; a config problem found
    while generating names its line in tables.yml."""
    if args.engine == "spark":  # a master Spark would not take: exit 2 before any work
        from synthgen_sdv.synth.spark_sample import check_master

        check_master(args.spark_master or "local[2]")
    plan = load_plan(args)
    with plan.loaded.located():
        return _run(args, plan)


def _run(args: argparse.Namespace, plan: Plan) -> int:
    from synthgen_sdv.runs.estimate import estimate_generate
    from synthgen_sdv.runs.generate import clean_only, run_generate

    if args.no_dirty:
        plan = clean_only(plan)
    out, fmts, n_workers = out_dir(args, plan), formats(args, plan), workers(args, plan)
    estimate = estimate_generate(plan, fmts, n_workers, etl=not args.no_lineage)
    check_size(args, out, estimate, plan.loaded.run.memory_budget)
    with claimed(args, out, {"--config-dir": config_dir(plan)}):
        outcome = run_generate(
            plan,
            out,
            fmts,
            workers=n_workers,
            progress=progress(args),
            etl=not args.no_lineage,
            engine=args.engine,
            spark_master=args.spark_master,
            compression=args.compression,
        )
    counts = outcome.result.row_counts
    width = max(map(len, counts))
    echo(f"wrote {len(counts)} tables to {outcome.out}")
    for name, rows in counts.items():
        dirty = outcome.result.dirty_row_counts.get(name)
        extra = f"  (+ data_dirty: {dirty:,} rows)" if dirty is not None else ""
        echo(f"  {name:<{width}}  {rows:>12,} rows{extra}")
    total = sum(counts.values())
    echo(f"{total:,} rows in {outcome.seconds:.1f} s (seed {plan.seed}, scale {plan.scale:g})")
    return 0
