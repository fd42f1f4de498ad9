"""Command line: parses arguments, calls the stage functions, maps errors to exit codes."""

from __future__ import annotations

import argparse
import importlib
import logging
import sys

from synthgen_sdv.commands import COMMAND_MODULES
from synthgen_sdv.core.errors import SynthgenError
from synthgen_sdv.core.version import __version__


def build_parser() -> argparse.ArgumentParser:
    """The parser of every subcommand (each module in ``commands`` registers its own)."""
    parser = argparse.ArgumentParser(
        prog="python -m synthgen_sdv",
        description="Synthetic TPC-DS-like warehouse data, schema metadata and ETL lineage.",
    )
    parser.add_argument("--version", action="version", version=f"synthgen_sdv {__version__}")
    parser.add_argument("-v", "--verbose", action="store_true", help="debug logging")
    sub = parser.add_subparsers(dest="command", metavar="COMMAND", required=True)
    for name in COMMAND_MODULES:
        importlib.import_module(f"synthgen_sdv.commands.{name}").register(sub)
    return parser


def main(argv: list[str] | None = None) -> int:
    """Run one command; map our errors to exit codes (2 bad input, 1 other) without a traceback."""
    parser = build_parser()
    args = parser.parse_args(argv)
    logging.basicConfig(
        level=logging.DEBUG if args.verbose else logging.WARNING,
        format="%(levelname)s %(name)s: %(message)s",
    )
    try:
        return int(args.func(args) or 0)
    except SynthgenError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return exc.exit_code
    except KeyboardInterrupt:
        print("interrupted; no partial output was left in place", file=sys.stderr)
        return 130
    except Exception as exc:  # a bug: still no bare traceback unless asked for
        if args.verbose:
            raise
        print(
            f"error: unexpected {type(exc).__name__}: {exc} (rerun with -v for details)",
            file=sys.stderr,
        )
        return 1
