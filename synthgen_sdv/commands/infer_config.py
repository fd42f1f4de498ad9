"""`infer-config`: write the tables.yml a careful engineer would write from a data profile."""

from __future__ import annotations

import argparse
from pathlib import Path

from synthgen_sdv.core.errors import InputError


def register(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser(
        "infer-config",
        help="infer a tables.yml (per-column marginals) from data",
        description="Profile a dataset and write tables.yml + config.yaml that "
        "reproduce each column's marginal distribution and each "
        "relationship's children-per-parent counts, without "
        "cross-column dependencies (the rule-based baseline).",
    )
    p.add_argument(
        "--data-dir",
        type=Path,
        required=True,
        help="an output folder (with metadata/schema_metadata.json) or CSV/Parquet files",
    )
    p.add_argument("--metadata", type=Path, default=None, help="SDV metadata JSON for raw files")
    p.add_argument(
        "--out",
        type=Path,
        default=Path("inferred_config"),
        help="folder for tables.yml and config.yaml (default: ./inferred_config)",
    )
    p.add_argument("--seed", type=int, default=0)
    p.set_defaults(func=run)


def read_any(data_dir: Path, metadata: Path | None):
    """(tables, SDV metadata dict) of an output folder, or of raw files via detection."""
    if not data_dir.is_dir():
        raise InputError(f"--data-dir {data_dir}: not a folder")
    if (data_dir / "metadata" / "schema_metadata.json").exists() and metadata is None:
        from synthgen_sdv.evaluate.loading import read_output_folder

        folder = read_output_folder(data_dir)
        return folder.data, folder.metadata
    from synthgen_sdv.detect.load import load_user_data
    from synthgen_sdv.io.artifacts import output_sdv_metadata

    user = load_user_data(data_dir, metadata)
    # composite keys and self references are not expressible as lookups: profile without them
    return user.tables, output_sdv_metadata(user.metadata, user.types)


def run(args: argparse.Namespace) -> int:
    from synthgen_sdv.schema.infer import infer_tables_config, write_config
    from synthgen_sdv.schema.loader import load_config
    from synthgen_sdv.schema.plan import resolve_plan

    tables, metadata = read_any(args.data_dir, args.metadata)
    folder = write_config(infer_tables_config(tables, metadata), args.out, args.seed)
    plan = resolve_plan(load_config(folder))  # what we write must load
    print(
        f"wrote {folder / 'tables.yml'} and config.yaml: {len(plan.tables)} tables; "
        f"generate it with: python -m synthgen_sdv generate --config-dir {folder}"
    )
    return 0
