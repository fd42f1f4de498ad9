"""Arguments shared by several commands, and loading the plan they describe."""

from __future__ import annotations

import argparse
from pathlib import Path

from synthgen_sdv.core.errors import InputError
from synthgen_sdv.core.progress import Progress, stderr_progress
from synthgen_sdv.runs.config import load_project
from synthgen_sdv.schema.plan import Plan, resolve_plan


def add_config_args(p: argparse.ArgumentParser) -> None:
    """--config-dir, --scale, --seed, --out, --workers, --no-progress."""
    p.add_argument(
        "--config-dir",
        type=Path,
        default=None,
        help="folder with tables.yml, lineage.yml, config.yaml (default: built-in configs/)",
    )
    p.add_argument(
        "--scale", type=float, default=None, help="row-count multiplier (default: config.yaml)"
    )
    p.add_argument("--seed", type=int, default=None, help="random seed (default: config.yaml)")
    p.add_argument(
        "--out", type=Path, default=None, help="output folder (default: config.yaml output.dir)"
    )
    p.add_argument(
        "--workers", type=int, default=None, help="processes; output is the same for any value"
    )
    p.add_argument("--no-progress", action="store_true", help="no progress bars or stage lines")


def load_plan(args: argparse.Namespace) -> Plan:
    """The plan of --config-dir at --seed and --scale (every config problem at once)."""
    loaded = load_project(args.config_dir)
    if args.scale is not None and args.scale <= 0:
        raise InputError(f"--scale must be > 0, got {args.scale}")
    return resolve_plan(loaded, seed=args.seed, scale=args.scale)


def out_dir(args: argparse.Namespace, plan: Plan) -> Path:
    """--out, else config.yaml's output.dir."""
    return args.out if args.out is not None else Path(plan.loaded.run.output.dir)


def workers(args: argparse.Namespace, plan: Plan) -> int:
    """--workers, else config.yaml's workers."""
    return args.workers if args.workers is not None else plan.loaded.run.workers


def progress(args: argparse.Namespace) -> Progress:
    """Stage lines and bars on stderr, unless --no-progress."""
    return stderr_progress(not args.no_progress)


def formats(args: argparse.Namespace, plan: Plan) -> list[str]:
    """--format (``both``: parquet and csv), else config.yaml's output.formats."""
    if args.format == "both":
        return ["parquet", "csv"]
    return [args.format] if args.format else list(plan.loaded.run.output.formats)
