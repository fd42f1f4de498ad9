"""Arguments shared by several commands, and loading the plan they describe."""

from __future__ import annotations

import argparse
import math
from pathlib import Path
from typing import TYPE_CHECKING

from synthgen_sdv.core.errors import InputError
from synthgen_sdv.core.progress import Progress, stderr_progress
from synthgen_sdv.core.sizes import parse_size
from synthgen_sdv.runs.config import load_project
from synthgen_sdv.schema.models import MAX_SCALE, MAX_WORKERS
from synthgen_sdv.schema.plan import Plan, resolve_plan

if TYPE_CHECKING:
    from synthgen_sdv.runs.estimate import Estimate


def scale_arg(text: str) -> float:
    """A scale: a positive, finite number up to MAX_SCALE (nan, inf, 0 and -1 are refused
    here, by argparse, with exit 2; a scale the machine cannot hold is refused by the
    estimate)."""
    try:
        value = float(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"expected a number, got {text!r}") from None
    if not math.isfinite(value) or value <= 0 or value > MAX_SCALE:
        raise argparse.ArgumentTypeError(
            f"must be a finite number > 0 and at most {MAX_SCALE:g}, got {text!r}"
        )
    return value


def _int_arg(low: int, high: int):
    def parse(text: str) -> int:
        try:
            value = int(text)
        except ValueError:
            raise argparse.ArgumentTypeError(f"expected a whole number, got {text!r}") from None
        if not low <= value <= high:
            raise argparse.ArgumentTypeError(f"must be from {low} to {high}, got {value}")
        return value

    return parse


def size_arg(text: str) -> str:
    """A memory size ('8GB', '512MiB', '75%'), checked when parsed."""
    try:
        parse_size(text, "size")
    except InputError as exc:
        raise argparse.ArgumentTypeError(str(exc).removeprefix("size: ")) from None
    return text


def add_config_args(p: argparse.ArgumentParser) -> None:
    """--config-dir, --scale, --seed, --out, --workers, --no-progress."""
    p.add_argument(
        "--config-dir",
        type=Path,
        default=None,
        help="folder with tables.yml, lineage.yml, config.yaml (default: built-in configs/)",
    )
    p.add_argument(
        "--scale", type=scale_arg, default=None, help="row-count multiplier (default: config.yaml)"
    )
    p.add_argument(
        "--seed",
        type=_int_arg(0, 2**63 - 1),
        default=None,
        help="random seed (default: config.yaml)",
    )
    p.add_argument(
        "--out", type=Path, default=None, help="output folder (default: config.yaml output.dir)"
    )
    p.add_argument(
        "--workers",
        type=_int_arg(1, MAX_WORKERS),
        default=None,
        help="processes; output is the same for any value",
    )
    p.add_argument("--no-progress", action="store_true", help="no progress bars or stage lines")
    p.add_argument(
        "--memory-budget",
        type=size_arg,
        default=None,
        metavar="SIZE",
        help="peak memory the run may need, e.g. 8GB or 50%% of available memory (default: "
        "config.yaml memory_budget, else 75%%); a run estimated above it stops before any work",
    )
    p.add_argument(
        "--force",
        action="store_true",
        help="run even when the estimate exceeds the free disk space or the memory budget",
    )


def load_plan(args: argparse.Namespace) -> Plan:
    """The plan of --config-dir at --seed and --scale (every config problem at once)."""
    loaded = load_project(args.config_dir)
    if args.scale is not None and args.scale <= 0:
        raise InputError(f"--scale must be > 0, got {args.scale}")
    return resolve_plan(loaded, seed=args.seed, scale=args.scale)


def check_size(args: argparse.Namespace, plan: Plan, out: Path, estimate: Estimate) -> None:
    """Print the run's estimate; stop (exit 2) when it exceeds the free disk space at ``out``
    or the memory budget, unless --force."""
    from synthgen_sdv.runs.guard import check, limits

    budget = limits(out, args.memory_budget, plan.loaded.run.memory_budget)
    check(estimate, budget, args.force, progress(args))


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
