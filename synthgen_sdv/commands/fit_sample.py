"""`fit-sample`, `fit`, `sample`: the realistic stage (SDV HMA behind the synthesizer interface)."""

from __future__ import annotations

import argparse
from pathlib import Path
from typing import TYPE_CHECKING

from synthgen_sdv.commands.common import (
    add_config_args,
    formats,
    load_plan,
    out_dir,
    progress,
    workers,
)
from synthgen_sdv.core.errors import InputError
from synthgen_sdv.schema.plan import Plan

if TYPE_CHECKING:
    from synthgen_sdv.runs.sample import FitSampleOutcome


def _synth_args(p: argparse.ArgumentParser, sample: bool = True) -> None:
    p.add_argument(
        "--model", default=None, help="synthesizer: hma (default), hma_stock, gaussian_copula"
    )
    p.add_argument(
        "--tables",
        default=None,
        help="modeled tables, comma-separated (default: config.yaml synthesis.tables)",
    )
    p.add_argument(
        "--bootstrap-scale",
        type=float,
        default=None,
        help="scale of the rule-based data the model learns from (default: config.yaml)",
    )
    p.add_argument("--format", choices=["csv", "parquet", "both"], default=None)


def register(sub: argparse._SubParsersAction) -> None:
    """Add ``fit-sample``, ``fit`` and ``sample`` to the command line."""
    p = sub.add_parser(
        "fit-sample",
        help="bootstrap, fit a synthesizer, sample, compare and write everything",
        description="With no arguments: generate the default config by rules, fit SDV's HMA on "
        "customers -> orders -> transactions, sample at the configured scale and write "
        "data/, metadata/ and reports/ into the output folder. --scale is the output "
        "size relative to the fitted data.",
    )
    add_config_args(p)
    _synth_args(p)
    p.add_argument(
        "--data-dir",
        type=Path,
        default=None,
        help="fit on your own CSV/Parquet files instead of the bootstrap",
    )
    p.add_argument(
        "--metadata",
        type=Path,
        default=None,
        help="SDV metadata JSON for --data-dir (default: detected, saved for editing)",
    )
    p.add_argument(
        "--bad-rows",
        choices=["error", "drop", "repair"],
        default="error",
        help="--data-dir rows with another number of fields than the header, or repeating or "
        "lacking their table's key: error (default: exit 2 naming file, column and lines), "
        "drop them, or repair (pad short rows; repeated keys keep their first row)",
    )
    p.add_argument("--no-compare", action="store_true", help="skip the comparison report")
    p.set_defaults(func=run_fit_sample)
    register_fit(sub)
    register_sample(sub)


def modeled_tables(args: argparse.Namespace, plan: Plan) -> list[str]:
    """--tables, else config.yaml's synthesis.tables."""
    if args.tables:
        return [t.strip() for t in args.tables.split(",") if t.strip()]
    return list(plan.loaded.run.synthesis.tables)


def _plan(args: argparse.Namespace) -> tuple[Plan, float, str]:
    sample_scale, args.scale = args.scale, args.bootstrap_scale
    plan = load_plan(args)
    args.scale = sample_scale
    synthesis = plan.loaded.run.synthesis
    scale = args.scale if args.scale is not None else synthesis.scale
    if scale <= 0:
        raise InputError(f"--scale must be > 0, got {scale}")
    return plan, scale, args.model or synthesis.model


def run_fit_sample(args: argparse.Namespace) -> int:
    """fit-sample on the config's bootstrap (or, with --data-dir, on your own files)."""
    from synthgen_sdv.runs.fit_sample import run_fit_sample as run
    from synthgen_sdv.runs.from_config import ConfigSource

    if args.data_dir is not None:
        from synthgen_sdv.commands.byo import run_byo

        return run_byo(args)
    plan, scale, model = _plan(args)
    outcome = run(
        ConfigSource(plan, workers(args, plan)),
        out_dir(args, plan),
        formats(args, plan),
        model,
        modeled_tables(args, plan),
        scale,
        params=plan.loaded.run.synthesis.params,
        compare=not args.no_compare,
        progress=progress(args),
    )
    print_summary(outcome)
    return 0


SUMMARY_KEYS = ("Quality", "Column Pair Trends", "Intertable Trends", "Validity")


def print_summary(outcome: FitSampleOutcome) -> None:
    """Tables written and where each came from, stage times, the comparison's headline."""
    counts = outcome.result.row_counts
    width = max(map(len, counts))
    print(f"wrote {len(counts)} tables to {outcome.out}")
    for name, rows in counts.items():
        print(f"  {name:<{width}}  {rows:>12,} rows  {outcome.sources.get(name, 'rules')}")
    t = outcome.timings
    print("time: " + ", ".join(f"{k.removesuffix('_s')} {v:.1f} s" for k, v in t.items()))
    if outcome.report:
        print(f"comparison report: {outcome.report['path']}")
        for name, row in outcome.report["summary"].items():
            cells = ", ".join(
                f"{k} {v:.3f}" for k, v in row.items() if isinstance(v, float) and k in SUMMARY_KEYS
            )
            print(f"  {name:<16} {cells}")


def register_fit(sub: argparse._SubParsersAction) -> None:
    """Add ``fit``."""
    p = sub.add_parser(
        "fit",
        help="bootstrap and fit a synthesizer; save it with a manifest",
        description="Fit and save a model (model.pkl + manifest.json). A model "
        "file is a pickle: load only files you trust.",
    )
    add_config_args(p)
    _synth_args(p)
    p.add_argument("--model-dir", type=Path, required=True, help="folder to save the model in")
    p.set_defaults(func=run_fit)


def register_sample(sub: argparse._SubParsersAction) -> None:
    """Add ``sample``."""
    p = sub.add_parser(
        "sample",
        help="sample from a saved model and write an output folder",
        description="Load a model saved by `fit` (refused when made by other "
        "versions or another config) and sample. Only load model "
        "folders you trust: they are pickles.",
    )
    add_config_args(p)
    _synth_args(p)
    p.add_argument("--model-dir", type=Path, required=True, help="folder written by `fit`")
    p.set_defaults(func=run_sample)


def run_fit(args: argparse.Namespace) -> int:
    """fit: bootstrap, fit, save the model."""
    from synthgen_sdv.runs.fit_sample import run_fit as run
    from synthgen_sdv.runs.from_config import ConfigSource

    plan, _scale, model = _plan(args)
    modeled = modeled_tables(args, plan)
    outcome = run(
        ConfigSource(plan, workers(args, plan)),
        model,
        args.model_dir,
        modeled,
        plan.loaded.run.synthesis.params,
        progress(args),
    )
    print(f"saved '{model}' fitted on {', '.join(modeled)} to {outcome.path}")
    return 0


def run_sample(args: argparse.Namespace) -> int:
    """sample: load a saved model (checked against this config), sample, write."""
    from synthgen_sdv.runs.from_config import ConfigSource
    from synthgen_sdv.runs.sample import run_sample as run

    plan, scale, _model = _plan(args)
    outcome = run(
        ConfigSource(plan, workers(args, plan)),
        args.model_dir,
        out_dir(args, plan),
        formats(args, plan),
        scale,
        progress(args),
    )
    print_summary(outcome)
    return 0
