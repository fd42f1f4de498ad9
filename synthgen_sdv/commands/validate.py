"""`validate`: checks an output folder's keys, types, nulls and row counts against its metadata."""

from __future__ import annotations

import argparse

DEFAULT_DIR = "output"


def register(subparsers: argparse._SubParsersAction) -> None:
    """Add ``validate``."""
    parser = subparsers.add_parser(
        "validate",
        help="check PK uniqueness, FK integrity, types, nullability and row counts",
        description=(
            "Check an output folder against metadata/schema_metadata.json. In the dirty variant "
            "(data_dirty/ over data/), failures on rows listed in metadata/labels.json are "
            "expected; anything else fails. Exit 1 on an unexpected failure, 2 when DIR is "
            "not an output folder."
        ),
    )
    parser.add_argument(
        "out_dir",
        nargs="?",
        default=DEFAULT_DIR,
        metavar="DIR",
        help=f"output folder (default: ./{DEFAULT_DIR})",
    )
    parser.add_argument(
        "--variant",
        choices=["clean", "dirty", "both"],
        default="both",
        help="which tables to check (default: both)",
    )
    parser.add_argument(
        "--json", dest="json_path", metavar="FILE", help="also write the report as JSON to FILE"
    )
    parser.add_argument(
        "--check",
        action="append",
        dest="checks",
        metavar="NAME",
        help="run only this check (repeatable); default: all registered",
    )
    parser.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    """Validate DIR; print every check and the summary."""
    from synthgen_sdv.runs.validate import run_validate

    variants = ["clean", "dirty"] if args.variant == "both" else [args.variant]
    report = run_validate(args.out_dir, variants, args.checks, args.json_path)
    print(report.to_text())
    return 0 if report.ok else 1
