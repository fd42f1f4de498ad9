"""Load and query times per warehouse engine on a generated dataset -> reports/bench_engines.*

    python benchmarks/bench_engines.py [--scale 5] [--engines duckdb,spark,snowflake]

Generates the default config at --scale (or, with --source fixture, the engines test fixture at
--fixture-customers), validates it, then per engine: loads it twice (the second load shows the
idempotent rebuild), and runs the metadata-generated parity query set. "snowflake" runs against
fakesnow (Snowflake emulated on DuckDB), so its numbers measure the loader's statements and
fakesnow, not a Snowflake warehouse.
"""

from __future__ import annotations

import argparse
import contextlib
import datetime as dt
import json
import os
import platform
import subprocess
import sys
import tempfile
import time
import warnings
from importlib import metadata as im
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))


def versions() -> dict[str, str]:
    out = {"python": platform.python_version()}
    for pkg in (
        "synthgen_sdv",
        "duckdb",
        "pyspark",
        "snowflake-connector-python",
        "fakesnow",
        "pyarrow",
        "pandas",
    ):
        try:
            out[pkg] = im.version(pkg)
        except im.PackageNotFoundError:
            out[pkg] = "not installed"
    try:
        java = subprocess.run(["java", "-version"], capture_output=True, text=True, timeout=30)
        out["java"] = (java.stderr or java.stdout).splitlines()[0]
    except (OSError, subprocess.SubprocessError, IndexError):
        out["java"] = "not found"
    return out


def machine() -> dict[str, object]:
    info: dict[str, object] = {
        "platform": platform.platform(),
        "processor": platform.processor() or platform.machine(),
        "cpu_count": os.cpu_count(),
    }
    with contextlib.suppress(AttributeError):
        info["cpus_usable"] = len(os.sched_getaffinity(0))
    with contextlib.suppress(ImportError):
        import psutil

        info["memory_gb"] = round(psutil.virtual_memory().total / 2**30, 1)
    return info


def make_dataset(args, work: Path) -> tuple[Path, dict]:
    out = work / "out"
    start = time.perf_counter()
    if args.source == "generator":
        from synthgen_sdv.cli import main

        code = main(
            [
                "generate",
                "--out",
                str(out),
                "--scale",
                str(args.scale),
                "--format",
                "both",
                "--workers",
                "1",
                "--no-progress",
            ]
        )
        if code != 0:
            raise SystemExit(f"generate failed with exit code {code}")
        what = f"default config, generator, scale {args.scale}, parquet+csv"
    else:
        sys.path.insert(0, str(ROOT / "tests" / "engines"))
        from engines_fixture import write_fixture

        write_fixture(out, n_customers=args.fixture_customers)
        what = f"tests/engines fixture, {args.fixture_customers} customers"
    return out, {"dataset": what, "generate_seconds": time.perf_counter() - start}


def bench_engine(name: str, out: Path, work: Path, queries, spark_master: str) -> dict:
    from synthgen_sdv.engines.base import LoadOptions, get_engine
    from synthgen_sdv.engines.parity import run_queries
    from synthgen_sdv.engines.snowflake_engine import SnowflakeSettings

    options = LoadOptions(
        database=work / "bench.duckdb", spark_master=spark_master, spark_path=work / "spark"
    )
    context = contextlib.nullcontext()
    kwargs = {}
    if name == "snowflake":
        import fakesnow

        context = fakesnow.patch()
        kwargs["settings"] = SnowflakeSettings(
            account="bench", user="bench", password="bench", database="BENCH", schema_="PUBLIC"
        )
    with context:
        start = time.perf_counter()
        loader = get_engine(name)(options, **kwargs)
        if name == "spark":
            _ = loader.spark  # start the session outside the load timing
        startup = time.perf_counter() - start
        first = loader.load(out)
        second = loader.load(out)
        start_q = time.perf_counter()
        results = run_queries(loader, queries)
        query_seconds = time.perf_counter() - start_q
        loader.close()
        total = time.perf_counter() - start
    return {
        "engine": name,
        "rows": sum(t.rows for t in first.tables),
        "tables": len(first.tables),
        "startup_seconds": startup,
        "load_seconds": first.seconds,
        "reload_seconds": second.seconds,
        "query_seconds": query_seconds,
        "queries": len(queries),
        "total_seconds_incl_startup": total,
        "per_table_load_seconds": {t.table: round(t.seconds, 3) for t in first.tables},
        "_results": results,
    }


def write_reports(report: dict, path_md: Path, path_json: Path) -> None:
    path_json.parent.mkdir(parents=True, exist_ok=True)
    path_json.write_text(json.dumps(report, indent=2) + "\n", encoding="utf-8")
    m, v = report["machine"], report["versions"]
    lines = [
        "# Warehouse engines: load and query times",
        "",
        f"Measured {report['measured_at']} by `benchmarks/bench_engines.py`. "
        f"Dataset: {report['dataset']} ({report['rows']:,} rows in {report['tables']} tables).",
        "",
        f"Machine: {m.get('cpus_usable', m['cpu_count'])} usable cores "
        f"({m['cpu_count']} reported), {m.get('memory_gb', '?')} GB RAM, {m['platform']}; "
        "other work shared the cores, so treat the numbers as rough.",
        "",
        "Versions: " + ", ".join(f"{k} {val}" for k, val in v.items()),
        "",
        "| engine | startup (s) | load (s) | reload (s) | rows/s (load) | queries "
        "| query time (s) | total (s) |",
        "|---|---:|---:|---:|---:|---:|---:|---:|",
    ]
    for e in report["engines"]:
        lines.append(
            f"| {e['engine']} | {e['startup_seconds']:.2f} | {e['load_seconds']:.2f} | "
            f"{e['reload_seconds']:.2f} | {e['rows'] / e['load_seconds']:,.0f} | "
            f"{e['queries']} | {e['query_seconds']:.2f} | "
            f"{e['total_seconds_incl_startup']:.2f} |"
        )
    lines += [
        "",
        f"Generate: {report['generate_seconds']:.1f} s; validate (clean + dirty): "
        f"{report['validate_seconds']:.1f} s ({report['validate_result']}).",
        "",
        f"Parity across {', '.join(report['parity']['engines'])}: "
        + (
            "all query results agree."
            if report["parity"]["ok"]
            else f"{len(report['parity']['mismatches'])} queries differ:"
        ),
        *[f"    {x}" for x in report["parity"]["mismatches"]],
        "",
        "Notes:",
        "- load = first load (drop + create + load in FK order, row counts verified); "
        "reload = the same again (idempotent rebuild).",
        "- startup: creating the engine (for spark, the local SparkSession and its JVM); "
        "total = startup + load + reload + queries.",
        "- spark: local mode `" + report["spark_master"] + "`; every table and every query is "
        "at least one Spark job, so fixed per-job costs dominate at this size.",
        "- snowflake: fakesnow emulation on DuckDB (PUT copies to a local stage, COPY INTO "
        "reads it); these are not Snowflake warehouse timings.",
        "",
    ]
    path_md.write_text("\n".join(lines), encoding="utf-8")


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--scale", type=float, default=5.0)
    parser.add_argument("--source", choices=["generator", "fixture"], default="generator")
    parser.add_argument("--fixture-customers", type=int, default=20000)
    parser.add_argument("--engines", default="duckdb,spark,snowflake")
    parser.add_argument("--spark-master", default="local[2]")
    parser.add_argument("--out", type=Path, default=ROOT / "reports" / "bench_engines")
    args = parser.parse_args()
    warnings.filterwarnings("ignore", message="Arrow output on a DB-API result")

    from synthgen_sdv.engines.parity import build_queries, compare
    from synthgen_sdv.engines.validation import validate

    with tempfile.TemporaryDirectory(prefix="bench_engines_") as tmp:
        work = Path(tmp)
        out, info = make_dataset(args, work)
        print(f"dataset: {info['dataset']} in {info['generate_seconds']:.1f} s", flush=True)
        start = time.perf_counter()
        validation = validate(out, ["clean", "dirty"])
        validate_seconds = time.perf_counter() - start
        print(f"validate: {validate_seconds:.1f} s, ok={validation.ok}", flush=True)
        queries = build_queries(out)
        engines = []
        for name in [e.strip() for e in args.engines.split(",") if e.strip()]:
            result = bench_engine(name, out, work, queries, args.spark_master)
            print(
                f"{name}: load {result['load_seconds']:.2f} s, reload "
                f"{result['reload_seconds']:.2f} s, {result['queries']} queries "
                f"{result['query_seconds']:.2f} s",
                flush=True,
            )
            engines.append(result)
        parity = compare({e["engine"]: e.pop("_results") for e in engines})
    report = {
        "schema": "synthgen_sdv.bench_engines",
        "version": 1,
        "measured_at": dt.datetime.now(dt.UTC).strftime("%Y-%m-%d %H:%M UTC"),
        **info,
        "rows": engines[0]["rows"] if engines else 0,
        "tables": engines[0]["tables"] if engines else 0,
        "validate_seconds": validate_seconds,
        "validate_result": "OK" if validation.ok else "unexpected failures",
        "spark_master": args.spark_master,
        "machine": machine(),
        "versions": versions(),
        "engines": engines,
        "parity": {"engines": parity.engines, "ok": parity.ok, "mismatches": parity.mismatches},
    }
    write_reports(report, args.out.with_suffix(".md"), args.out.with_suffix(".json"))
    print(f"wrote {args.out.with_suffix('.md')} and .json; parity ok={parity.ok}")
    return 0 if parity.ok else 1


if __name__ == "__main__":
    raise SystemExit(main())
