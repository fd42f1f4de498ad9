"""`validate`: checks an output folder's keys, types, nulls and row counts against its metadata."""

from __future__ import annotations

import argparse

from synthgen_sdv.commands.common import add_dir_arg, echo, input_dir, path_arg
from synthgen_sdv.core.progress import verbose


def register(subparsers: argparse._SubParsersAction) -> None:
    """Add ``validate``."""
    parser = subparsers.add_parser(
        "validate",
        help="check PK uniqueness, FK integrity, types, nullability and row counts",
        description=(
            "Check an output folder against metadata/schema_metadata.json. In the dirty variant "
            "(data_dirty/ over data/), failures on rows listed in metadata/labels.json are "
            "expected; anything else fails. Prints failures, expected failures, warnings and a "
            "summary (-v: every passing check too). Exit 1 on an unexpected failure, 2 when DIR "
            "is not an output folder. Nothing in DIR is changed."
        ),
    )
    add_dir_arg(parser, "output folder to check")
    parser.add_argument(
        "--variant",
        choices=["clean", "dirty", "both"],
        default="both",
        help="which tables to check (default: both)",
    )
    parser.add_argument(
        "--json",
        dest="json_path",
        type=path_arg,
        metavar="FILE",
        help="also write the report as JSON to FILE",
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
    """Validate DIR; print what did not pass (everything with -v) and the summary."""
    from synthgen_sdv.engines.validation import CHECKS  # with every built-in check registered
    from synthgen_sdv.runs.validate import run_validate

    for name in args.checks or []:  # an unknown check is refused before anything is read
        CHECKS.get(name)
    variants = ["clean", "dirty"] if args.variant == "both" else [args.variant]
    report = run_validate(input_dir(args, "validate"), variants, args.checks, args.json_path)
    echo(report.to_text(passed=verbose()))
    return 0 if report.ok else 1
