"""Generation throughput: rows/s, cells/s and peak memory of the default schema at scales 1, 10,
100, in CSV and Parquet, next to the Rust TPC-DS generator tpcgen-cli as a reference.

    python benchmarks/bench_generate.py [--scales 1 10 100] [--workers 2]

Each run is a fresh process (so peak memory is its own); results go to reports/benchmarks.md
(section 'generate') and reports/bench_generate.json.
"""

from __future__ import annotations

import argparse
import json
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import pyarrow.parquet as pq

sys.path.insert(0, str(Path(__file__).resolve().parent))
from _report import machine, machine_md, write_section

RUN = """
import resource, sys, json, time
from pathlib import Path
from synthgen_sdv.runs.generate import run_generate
from synthgen_sdv.runs.config import load_project
from synthgen_sdv.schema.plan import resolve_plan
plan = resolve_plan(load_project(), scale=float(sys.argv[1]))
t = time.perf_counter()
outcome = run_generate(plan, Path(sys.argv[2]), [sys.argv[3]], workers=int(sys.argv[4]),
                       etl=False)
seconds = time.perf_counter() - t
doc = json.loads((Path(sys.argv[2]) / "metadata" / "schema_metadata.json").read_text())
rows = sum(t["row_count"] for t in doc["tables"].values())
cells = sum(t["row_count"] * len(t["columns"]) for t in doc["tables"].values())
peak = max(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss,
           resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss) / 1024
print(json.dumps({"seconds": seconds, "rows": rows, "cells": cells, "peak_mb": peak}))
"""


def run_ours(scale: float, fmt: str, workers: int) -> dict:
    out = Path(tempfile.mkdtemp()) / "out"
    try:
        proc = subprocess.run(
            [sys.executable, "-c", RUN, str(scale), str(out), fmt, str(workers)],
            capture_output=True,
            text=True,
            check=True,
        )
        res = json.loads(proc.stdout.strip().splitlines()[-1])
        res["bytes"] = sum(p.stat().st_size for p in (out / "data").rglob("*") if p.is_file())
    finally:
        shutil.rmtree(out.parent, ignore_errors=True)
    return {"generator": "synthgen_sdv", "scale": scale, "format": fmt, "workers": workers, **res}


def run_tpcgen(scale: float) -> dict | None:
    exe = shutil.which("tpcgen-cli")
    if exe is None:
        return None
    out = Path(tempfile.mkdtemp())
    try:
        t = time.perf_counter()
        proc = subprocess.run(
            [
                "/usr/bin/time",
                "-f",
                "%M",
                exe,
                "tpcds",
                "parquet",
                "-s",
                str(scale),
                "--output-dir",
                str(out),
            ],
            capture_output=True,
            text=True,
            check=True,
        )
        seconds = time.perf_counter() - t
        peak = int(proc.stderr.strip().splitlines()[-1]) / 1024
        rows = cells = 0
        for f in out.rglob("*.parquet"):
            meta = pq.ParquetFile(f).metadata
            rows += meta.num_rows
            cells += meta.num_rows * meta.num_columns
        size = sum(p.stat().st_size for p in out.rglob("*") if p.is_file())
    finally:
        shutil.rmtree(out, ignore_errors=True)
    return {
        "generator": "tpcgen-cli (TPC-DS, Rust)",
        "scale": scale,
        "format": "parquet",
        "workers": "all",
        "seconds": seconds,
        "rows": rows,
        "cells": cells,
        "peak_mb": peak,
        "bytes": size,
    }


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--scales", type=float, nargs="+", default=[1, 10, 100])
    ap.add_argument("--workers", type=int, default=2)
    ap.add_argument("--tpcgen-scale", type=float, default=1)
    args = ap.parse_args()
    results = []
    for scale in args.scales:
        for fmt in ("parquet", "csv"):
            r = run_ours(scale, fmt, args.workers)
            print(f"scale {scale:g} {fmt}: {r['rows']:,} rows in {r['seconds']:.1f} s", flush=True)
            results.append(r)
    ref = run_tpcgen(args.tpcgen_scale)
    if ref:
        print(
            f"tpcgen-cli SF{args.tpcgen_scale:g}: {ref['cells']:,} cells in {ref['seconds']:.1f} s"
        )
        results.append(ref)
    info = machine()
    lines = [
        "## Generation throughput (`benchmarks/bench_generate.py`)",
        "",
        machine_md(info),
        "",
        "Rows and cells count the clean tables (data/); the dirty copies (data_dirty/) are "
        "written too but not counted. Wall time of `generate --no-lineage` (metadata included; "
        "the ETL lineage run is measured by bench_lineage). "
        "Peak memory: max RSS of the process or any worker.",
        "",
        "| generator | scale | format | workers | rows | cells | seconds | rows/s | cells/s "
        "| peak MB | MB on disk |",
        "|---|---:|---|---:|---:|---:|---:|---:|---:|---:|---:|",
    ]
    for r in results:
        lines.append(
            f"| {r['generator']} | {r['scale']:g} | {r['format']} | {r['workers']} | "
            f"{r['rows']:,} | {r['cells']:,} | {r['seconds']:.1f} | "
            f"{r['rows'] / r['seconds']:,.0f} | {r['cells'] / r['seconds']:,.0f} | "
            f"{r['peak_mb']:,.0f} | {r['bytes'] / 2**20:,.1f} |"
        )
    write_section("generate", "\n".join(lines), {"machine": info, "results": results})


if __name__ == "__main__":
    main()
