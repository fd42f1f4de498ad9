"""`load`: loads an output folder into a warehouse engine; optionally checks cross-engine parity."""

from __future__ import annotations

import argparse

from synthgen_sdv.commands.common import add_dir_arg, echo, input_dir, note, path_arg
from synthgen_sdv.core.errors import InputError


def register(subparsers: argparse._SubParsersAction) -> None:
    """Add ``load``."""
    parser = subparsers.add_parser(
        "load",
        help="load an output folder into duckdb (default), spark or snowflake",
        description=(
            "Create tables from metadata/schema_metadata.json (types, keys, comments) and load "
            "data/ in foreign-key order. Rerunning replaces the tables (DuckDB in one "
            "transaction); nothing else in DIR is touched. With --parity, run the same "
            "generated analytical queries on every engine given and compare."
        ),
    )
    add_dir_arg(parser, "output folder to load")
    parser.add_argument(
        "--engine",
        action="append",
        dest="engines",
        metavar="NAME",
        help="duckdb (default), spark or snowflake; repeat or comma-separate to load into several",
    )
    parser.add_argument(
        "--database",
        type=path_arg,
        metavar="PATH",
        help="duckdb file (default: DIR/warehouse.duckdb)",
    )
    parser.add_argument(
        "--spark-master",
        default="local[2]",
        metavar="URL",
        help="Spark master (default: local[2]); a cluster URL works too",
    )
    parser.add_argument(
        "--spark-database",
        default="synthgen",
        metavar="NAME",
        help="Spark database for the tables (default: synthgen)",
    )
    parser.add_argument(
        "--spark-path",
        type=path_arg,
        metavar="PATH",
        help="where Spark writes the table files (default: DIR/spark)",
    )
    parser.add_argument(
        "--env-file",
        type=path_arg,
        metavar="FILE",
        help="Snowflake credentials file (default: ./.env when present); "
        "SNOWFLAKE_* environment variables take precedence",
    )
    parser.add_argument(
        "--parity",
        action="store_true",
        help="compare generated queries across the engines (duckdb is added "
        "as the reference when only one other engine is given)",
    )
    parser.add_argument(
        "--json",
        dest="json_path",
        type=path_arg,
        metavar="FILE",
        help="write rows per table, timings and the parity result as JSON",
    )
    parser.set_defaults(func=run)


def _engine_names(args: argparse.Namespace) -> list[str]:
    """--engine names (repeated or comma-separated), each checked before anything is read."""
    from synthgen_sdv.engines.base import get_engine

    names = [n.strip() for item in (args.engines or ["duckdb"]) for n in item.split(",")]
    names = list(dict.fromkeys(n for n in names if n))
    if args.parity and len(names) == 1 and names[0] != "duckdb":
        names.insert(0, "duckdb")
    for name in names:
        get_engine(name)
    return names


def run(args: argparse.Namespace) -> int:
    """Load into each engine (printing each as it finishes), then the parity report."""
    from synthgen_sdv.engines.base import LoadOptions
    from synthgen_sdv.io.output import claim
    from synthgen_sdv.runs.load import run_load

    def show(result, loader) -> None:
        echo(result.to_text())
        for warning in getattr(loader, "warnings", []):
            echo(f"  warning: {warning}")

    if args.database is not None and args.database.is_dir():
        raise InputError(f"--database {args.database}: is a folder; give the DuckDB file's path")
    options = LoadOptions(
        database=args.database,
        spark_master=args.spark_master,
        spark_database=args.spark_database,
        spark_path=args.spark_path,
        env_file=args.env_file,
    )
    names = _engine_names(args)
    folder = input_dir(args, "load")
    # the lock: no other run replaces DIR while its warehouse is being loaded
    with claim(folder, update=True, swapped=False, flag="DIR", say=note, who="synthgen_sdv load"):
        outcome = run_load(folder, names, options, args.parity, args.json_path, on_load=show)
    if outcome.parity is not None:
        echo(outcome.parity.to_text())
    return 0 if outcome.ok else 1
