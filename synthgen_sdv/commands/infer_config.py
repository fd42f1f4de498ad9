"""`infer-config`: write the tables.yml a careful engineer would write from a data profile."""

from __future__ import annotations

import argparse
from pathlib import Path

from synthgen_sdv.commands.common import add_overwrite, claimed, echo, path_arg, seed_arg


def register(sub: argparse._SubParsersAction) -> None:
    """Add the ``infer-config`` subcommand."""
    p = sub.add_parser(
        "infer-config",
        help="infer a tables.yml (per-column marginals) from data",
        description="Profile a dataset and write tables.yml + config.yaml that "
        "reproduce each column's marginal distribution and each "
        "relationship's children-per-parent counts, without "
        "cross-column dependencies (the rule-based baseline). Its config.yaml writes to "
        "<data>_generated, never to the data folder.",
    )
    p.add_argument(
        "--data-dir",
        type=path_arg,
        required=True,
        help="an output folder (with metadata/schema_metadata.json) or CSV/Parquet files",
    )
    p.add_argument(
        "--metadata", type=path_arg, default=None, help="SDV metadata JSON for raw files"
    )
    p.add_argument(
        "--out",
        type=path_arg,
        default=Path("inferred_config"),
        metavar="DIR",
        help="folder for tables.yml and config.yaml (replaced whole, atomically; default: "
        "./inferred_config)",
    )
    add_overwrite(p)
    p.add_argument("--seed", type=seed_arg, default=0)
    p.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    """Infer and write the config, then say how to generate it."""
    from synthgen_sdv.runs.infer import run_infer_config

    with claimed(args, args.out, {"--data-dir": args.data_dir}):
        outcome = run_infer_config(args.data_dir, args.out, args.metadata, args.seed)
    out = outcome.plan.loaded.run.output.dir
    echo(
        f"wrote {outcome.folder / 'tables.yml'} and config.yaml: {len(outcome.plan.tables)} "
        f"tables; generate it with: python -m synthgen_sdv generate --config-dir "
        f"{outcome.folder} (writes ./{out})"
    )
    return 0
