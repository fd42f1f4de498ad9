"""`fit-sample`, `fit`, `sample`: the realistic stage (SDV HMA behind the synthesizer interface).

What the flags mean:

* the data a model learns from: a config's rule-based bootstrap (``--config-dir``, its size
  ``--bootstrap-scale``) or your own files (``--data-dir`` with ``--metadata``), never both;
* ``--seed``: the seed of fitting (fit, fit-sample) or of the draw (sample: a fresh one when
  not given, printed and recorded so the sample can be drawn again);
* ``--scale`` / ``--num-rows``: how much is sampled (fit-sample, sample); ``fit`` samples
  nothing, so it takes neither, nor ``--out`` or ``--format``;
* ``--model-dir``: the model folder ``fit`` writes and ``sample`` reads (nothing else: the
  folder holds the config or your metadata, the tables and the seed).
"""

from __future__ import annotations

import argparse
from contextlib import AbstractContextManager, nullcontext
from pathlib import Path
from typing import TYPE_CHECKING

from synthgen_sdv.commands.common import (
    add_format,
    add_guard_args,
    add_no_lineage,
    add_out,
    add_overwrite,
    check_model_name,
    check_size,
    claimed,
    config_dir,
    echo,
    load_plan,
    model_params,
    path_arg,
    progress,
    refuse_given,
    scale_arg,
    seed_arg,
    split_names,
    workers,
    workers_arg,
)
from synthgen_sdv.core.errors import InputError

if TYPE_CHECKING:
    from synthgen_sdv.runs.sample import FitSampleOutcome
    from synthgen_sdv.runs.source import Source


def num_rows_arg(text: str) -> dict[str, int]:
    """``table=N[,table=N...]`` -> {table: N}; argparse reports a bad value (exit 2)."""
    out: dict[str, int] = {}
    for part in (p.strip() for p in text.split(",")):
        name, sep, value = part.partition("=")
        if not sep or not name.strip() or not value.strip().isdigit() or int(value) <= 0:
            raise argparse.ArgumentTypeError(
                f"'{part}': expected table=N with N a whole number > 0 (e.g. customers=500)"
            )
        if name.strip() in out:
            raise argparse.ArgumentTypeError(f"'{name.strip()}' is given twice in {text!r}")
        out[name.strip()] = int(value)
    return out


def _data_args(p: argparse.ArgumentParser) -> None:
    """Where the model learns from: a config's bootstrap, or your own files."""
    p.add_argument(
        "--config-dir",
        type=path_arg,
        default=None,
        help="folder with tables.yml, lineage.yml, config.yaml (default: built-in configs/)",
    )
    p.add_argument(
        "--bootstrap-scale",
        type=scale_arg,
        default=None,
        help="scale of the rule-based data the model learns from (default: config.yaml)",
    )
    p.add_argument(
        "--data-dir",
        type=path_arg,
        default=None,
        help="fit on your own CSV/Parquet files (one table per file) instead of a config",
    )
    p.add_argument(
        "--metadata",
        type=path_arg,
        default=None,
        help="SDV metadata JSON for --data-dir (default: detected, saved for editing)",
    )
    p.add_argument(
        "--bad-rows",
        choices=["error", "drop", "repair"],
        default=None,
        help="--data-dir rows with another number of fields than the header, or repeating or "
        "lacking their table's key: error (default: exit 2 naming file, column and lines), "
        "drop them, or repair (pad short rows; repeated keys keep their first row; a "
        "reference named after its parent whose few rows (up to 5%%) name missing parent rows "
        "is linked and those rows emptied)",
    )
    p.add_argument(
        "--model", default=None, help="synthesizer: hma (default), hma_stock, gaussian_copula"
    )
    p.add_argument(
        "--param",
        action="append",
        default=None,
        metavar="NAME=VALUE",
        help="a synthesizer parameter, repeatable, over config.yaml synthesis.params (e.g. "
        "small_tables=0: no table is sampled as copies of its real rows)",
    )
    p.add_argument(
        "--tables",
        default=None,
        help="modeled tables, comma-separated (default: config.yaml synthesis.tables; "
        "with --data-dir: every table)",
    )
    p.add_argument(
        "--seed", type=seed_arg, default=None, help="seed of fitting (default: config.yaml)"
    )
    p.add_argument(
        "--workers",
        type=workers_arg,
        default=None,
        help="processes; output is the same for any value",
    )


def _sample_args(p: argparse.ArgumentParser, seed: bool = False) -> None:
    """How much is sampled, and where it is written."""
    size = p.add_mutually_exclusive_group()
    size.add_argument(
        "--scale",
        type=scale_arg,
        default=None,
        help="rows of each root table as a multiple of the fitted rows (default 1)",
    )
    size.add_argument(
        "--num-rows",
        type=num_rows_arg,
        action="append",
        default=None,
        metavar="TABLE=N",
        help="rows of a root table (repeatable or comma-separated); the other tables follow",
    )
    if seed:
        p.add_argument(
            "--seed",
            type=seed_arg,
            default=None,
            help="seed of the draw (default: a fresh one, printed and recorded)",
        )
    add_out(p, "./output" if seed else "config.yaml output.dir")
    add_format(p)
    add_guard_args(p)


def _engine_args(p: argparse.ArgumentParser) -> None:
    """Where the sample's batches of root rows are drawn."""
    p.add_argument(
        "--engine",
        choices=["local", "spark"],
        default="local",
        help="where batches of root rows are sampled: local processes (--workers) or Spark "
        "tasks (the driver finishes and writes them); the files are the same",
    )
    p.add_argument(
        "--spark-master",
        default=None,
        help="Spark master URL for --engine spark (default local[2]; e.g. spark://host:7077)",
    )


def register(sub: argparse._SubParsersAction) -> None:
    """Add ``fit-sample``, ``fit`` and ``sample`` to the command line."""
    p = sub.add_parser(
        "fit-sample",
        help="bootstrap, fit a synthesizer, sample, compare and write everything",
        description="With no arguments: generate the default config by rules, fit SDV's HMA on "
        "customers -> orders -> transactions, sample at the configured scale and write "
        "data/, metadata/ and reports/ into the output folder. --scale is the output "
        "size relative to the fitted data. With --data-dir: the same on your own files.",
    )
    _data_args(p)
    _sample_args(p)
    _engine_args(p)
    add_no_lineage(p)
    p.add_argument("--no-compare", action="store_true", help="skip the comparison report")
    p.add_argument("--no-progress", action="store_true", help="no progress bars or stage lines")
    p.set_defaults(func=run_fit_sample)
    register_fit(sub)
    register_sample(sub)


def register_fit(sub: argparse._SubParsersAction) -> None:
    """Add ``fit``."""
    p = sub.add_parser(
        "fit",
        help="fit a synthesizer and save it as a model folder",
        description="Fit a synthesizer on a config's bootstrap (or on --data-dir) and save a "
        "model folder: the model, the config (or your metadata and the parents copied from "
        "your data), the tables and the seed, so `sample --model-dir` needs nothing else. "
        "model.pkl is a pickle, and loading a pickle runs code: only sample model folders you "
        "trust, or set SYNTHGEN_SDV_MODEL_KEY when fitting and sampling so that models "
        "signed with another key are refused.",
    )
    _data_args(p)
    p.add_argument(
        "--model-dir",
        type=path_arg,
        required=True,
        help="folder to save the model in (replaced whole, atomically)",
    )
    add_overwrite(p, "--model-dir")
    p.add_argument("--no-progress", action="store_true", help="no progress bars or stage lines")
    p.set_defaults(func=run_fit)


def register_sample(sub: argparse._SubParsersAction) -> None:
    """Add ``sample``."""
    p = sub.add_parser(
        "sample",
        help="sample from a model folder and write an output folder",
        description="Load a model folder saved by `fit` (checked before it is unpickled: "
        "versions, the SHA-256 of every file, and the signature when SYNTHGEN_SDV_MODEL_KEY is "
        "set) and sample. Without --seed a fresh seed is drawn, printed and recorded in "
        "metadata/schema_metadata.json (sampling.seed), so any sample can be drawn again.",
    )
    p.add_argument("--model-dir", type=path_arg, required=True, help="folder written by `fit`")
    _sample_args(p, seed=True)
    p.add_argument(
        "--workers",
        type=workers_arg,
        default=None,
        help="processes; output is the same for any value",
    )
    _engine_args(p)
    p.add_argument(
        "--no-lineage",
        action="store_true",
        help="skip executing the ETL pipeline of lineage.yml (sampled and rule tables only)",
    )
    p.add_argument("--no-progress", action="store_true", help="no progress bars or stage lines")
    p.set_defaults(func=run_sample)


def _tables(args: argparse.Namespace) -> list[str] | None:
    return split_names(args.tables, "--tables")


def check_tables(data_dir: Path, tables: list[str] | None) -> None:
    """--tables against the tables of --data-dir (one per file), before anything is read."""
    from synthgen_sdv.detect.reading import table_files

    if tables:
        known = list(table_files(data_dir))
        missing = [t for t in tables if t not in known]
        if missing:
            raise InputError(
                f"--tables: unknown table(s) {', '.join(missing)}; the tables of --data-dir "
                f"{data_dir} are: {', '.join(known)}"
            )


def _num_rows(args: argparse.Namespace) -> dict[str, int] | None:
    if not args.num_rows:
        return None
    merged: dict[str, int] = {}
    for part in args.num_rows:
        for table, rows in part.items():
            if table in merged and merged[table] != rows:
                raise InputError(
                    f"--num-rows {table}: given twice ({merged[table]:,} and {rows:,}); "
                    "give each table once"
                )
            merged[table] = rows
    return merged


def _source(args: argparse.Namespace) -> tuple[Source, str, dict[str, Path | None]]:
    """The source the flags describe, the synthesizer name and the run's input folders (which
    the output folder must not contain); every name checked before any work starts."""
    from synthgen_sdv.runs.fitting import check_modeled
    from synthgen_sdv.runs.from_config import ConfigSource
    from synthgen_sdv.runs.from_user import UserSource
    from synthgen_sdv.schema.loader import load_config

    check_model_name(args.model)
    if args.data_dir is not None:
        refuse_given(
            args,
            ("config_dir", "bootstrap_scale", "workers", "no_lineage"),
            "--data-dir fits on your files: there is no config, bootstrap or ETL pipeline to "
            "apply these to",
        )
        check_tables(args.data_dir, _tables(args))
        run = load_config().run  # seed and synthesizer default to the built-in config.yaml
        seed = args.seed if args.seed is not None else run.seed
        bad_rows = args.bad_rows or "error"
        source: Source = UserSource(args.data_dir, args.metadata, seed, bad_rows=bad_rows)
        return source, args.model or run.synthesis.model, {"--data-dir": args.data_dir}
    refuse_given(
        args,
        ("metadata", "bad_rows"),
        "a metadata file and --bad-rows describe --data-dir; give that too",
    )
    args.scale, sample_scale = args.bootstrap_scale, getattr(args, "scale", None)
    plan = load_plan(args)
    args.scale = sample_scale
    tables = _tables(args)
    if tables:
        check_modeled(tables, list(plan.tables))
    source = ConfigSource(plan, workers(args, plan), etl=not getattr(args, "no_lineage", False))
    model = args.model or plan.loaded.run.synthesis.model
    check_model_name(model)
    return source, model, {"--config-dir": config_dir(plan)}


def _formats(args: argparse.Namespace) -> list[str] | None:
    if args.format == "both":
        return ["parquet", "csv"]
    return [args.format] if args.format else None


def _located(source: Source) -> AbstractContextManager[None]:
    """A config source: its problems found while running name their line in tables.yml."""
    plan = getattr(source, "plan", None)
    return plan.loaded.located() if plan is not None else nullcontext()


def run_fit_sample(args: argparse.Namespace) -> int:
    """fit-sample on the config's bootstrap (or, with --data-dir, on your own files)."""
    source, model, inputs = _source(args)
    with _located(source):
        return _run_fit_sample(args, source, model, inputs)


def _run_fit_sample(args: argparse.Namespace, source: Source, model: str, inputs) -> int:
    from synthgen_sdv.runs.fit_sample import run_fit_sample as run

    out = args.out if args.out is not None else source.default_out()
    scale = args.scale if args.scale is not None else source.default_scale()
    fmts = _formats(args) or source.default_formats()
    estimate = source.estimate(fmts, _tables(args), scale, compare=not args.no_compare)
    if estimate is not None:  # before the bootstrap or the fit starts
        check_size(args, out, estimate, source.memory_budget())
    # --metadata may sit in --out (OUT/metadata/detected_metadata.json, edited and passed
    # back): it is read whole before the new folder replaces the old one
    with claimed(args, out, inputs):
        outcome = run(
            source,
            out,
            fmts,
            model,
            _tables(args),
            scale,
            params=model_params(model, source.default_params(), args.param),
            compare=not args.no_compare,
            progress=progress(args),
            num_rows=_num_rows(args),
            engine=args.engine,
            spark_master=args.spark_master,
        )
    print_summary(outcome)
    return 0


SUMMARY_KEYS = ("Quality", "Column Pair Trends", "Intertable Trends", "Validity")


def print_summary(outcome: FitSampleOutcome) -> None:
    """Tables written and where each came from, stage times, the comparison's headline."""
    counts = outcome.result.row_counts
    width = max(map(len, counts))
    echo(f"wrote {len(counts)} tables to {outcome.out}")
    for name, rows in counts.items():
        echo(f"  {name:<{width}}  {rows:>12,} rows  {outcome.sources.get(name, 'rules')}")
    t = outcome.timings
    echo("time: " + ", ".join(f"{k.removesuffix('_s')} {v:.1f} s" for k, v in t.items()))
    if outcome.report:
        echo(f"comparison report: {outcome.report['path']} (and comparison.html beside it)")
        echo(f"  {outcome.report['headline']}")
        rows = dict(outcome.report["summary"])
        if outcome.report.get("written_summary"):
            rows["written output"] = outcome.report["written_summary"]
        for name, row in rows.items():
            cells = ", ".join(
                f"{k} {v:.3f}" for k, v in row.items() if isinstance(v, float) and k in SUMMARY_KEYS
            )
            spikes = row.get("Spikes")
            echo(f"  {name:<16} {cells}" + (f", Spikes {spikes}" if spikes is not None else ""))
    if "metadata" in outcome.files:
        echo(f"metadata used (edit and rerun with --metadata): {outcome.files['metadata']}")


def run_fit(args: argparse.Namespace) -> int:
    """fit: bootstrap (or read your files), fit, save the model folder."""
    from synthgen_sdv.runs.fit_sample import run_fit as run

    source, model, inputs = _source(args)
    with _located(source), claimed(args, args.model_dir, inputs, flag="--model-dir"):
        outcome = run(
            source,
            model,
            args.model_dir,
            _tables(args),
            model_params(model, source.default_params(), args.param),
            progress(args),
        )
    echo(
        f"saved '{outcome.model}' fitted on {', '.join(outcome.modeled)} (seed {source.seed}) "
        f"to {outcome.path}"
    )
    echo(f"sample it with: python -m synthgen_sdv sample --model-dir {outcome.path} --out DIR")
    return 0


def run_sample(args: argparse.Namespace) -> int:
    """sample: load a model folder, sample (a fresh seed unless --seed), write."""
    from synthgen_sdv.runs.model_folder import run_sample as run

    out = args.out if args.out is not None else Path("output")
    with claimed(args, out, {"--model-dir": args.model_dir}):
        outcome = run(
            args.model_dir,
            out,
            _formats(args),
            args.scale if args.scale is not None else 1.0,
            args.seed,
            _num_rows(args),
            args.workers or 1,
            progress(args),
            guard=lambda source, est_out, est: check_size(
                args, est_out, est, source.memory_budget()
            ),
            etl=not args.no_lineage,
            engine=args.engine,
            spark_master=args.spark_master,
        )
    print_summary(outcome)
    how = "drawn" if outcome.sampled.sampling["seed_drawn"] else "given"
    echo(
        f"seed {outcome.seed} ({how}; recorded in metadata/schema_metadata.json): the same "
        f"sample again with --model-dir {args.model_dir} --seed {outcome.seed}"
    )
    return 0
