"""Parquet encoder settings on generated data: codec and dictionary pages, per chunk as the
workers encode them (the choices behind io.writers.parquet_options).

    python benchmarks/bench_encoding.py [--scale 100] [--reps 3]

Generates the default config at ``--scale`` once (zstd, so the input is the same for every
setting), then encodes the first five chunks of the big tables (customers 10,000 rows,
orders 34,000, transactions 117,000, returns 8,000, legacy_customers 10,000 per chunk) with
each setting and reports CPU seconds (best of ``--reps``), cells per CPU-second and bytes.
Results: reports/benchmarks.md (section 'encoding') and reports/bench_encoding.json.
"""

from __future__ import annotations

import argparse
import shutil
import sys
import tempfile
import time
from pathlib import Path

import pyarrow as pa
import pyarrow.parquet as pq

sys.path.insert(0, str(Path(__file__).resolve().parent))
sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
from _report import machine, machine_md, write_section

from synthgen_sdv.runs.config import load_project
from synthgen_sdv.runs.generate import run_generate
from synthgen_sdv.schema.plan import resolve_plan

CHUNK_ROWS = {
    "customers": 10_000,
    "orders": 34_000,
    "transactions": 117_000,
    "returns": 8_000,
    "legacy_customers": 10_000,
}
SETTINGS = [  # (name, codec for text, codec for the rest, dictionary, statistics); dictionary:
    # all | text | delta (text, and integers DELTA_BINARY_PACKED)
    ("zstd, dictionary on every column (before)", "zstd", "zstd", "all", "all"),
    ("zstd, dictionary on text only", "zstd", "zstd", "text", "all"),
    ("snappy, dictionary on text only (before gen15)", "snappy", "snappy", "text", "all"),
    (
        "snappy, text dictionary, integers delta-encoded (default)",
        "snappy",
        "snappy",
        "delta",
        "all",
    ),
    ("snappy, no min/max statistics for text", "snappy", "snappy", "text", "no text"),
    ("snappy, no statistics", "snappy", "snappy", "text", "none"),
    ("lz4", "lz4", "lz4", "text", "all"),
    ("zstd for text, snappy for numbers", "zstd", "snappy", "text", "all"),
    ("zstd for text, lz4 for numbers", "zstd", "lz4", "text", "all"),
    ("uncompressed", "none", "none", "text", "all"),
]


def _statistics(schema: pa.Schema, which: str) -> bool | list[str]:
    if which == "all":
        return True
    if which == "none":
        return False
    return [f.name for f in schema if not pa.types.is_string(f.type)] or False


def encode(
    tables: dict[str, pa.Table], text_codec: str, other: str, dictionary: str, stats: str
) -> dict:
    cpu = size = cells = 0.0
    for name, table in tables.items():
        n = CHUNK_ROWS[name]
        for start in range(0, min(table.num_rows, 5 * n), n):
            part = table.slice(start, n)
            text = [f.name for f in part.schema if pa.types.is_string(f.type)]
            codecs = {f.name: text_codec if f.name in text else other for f in part.schema}
            use_dictionary = True if dictionary == "all" else (text or False)
            ints = [f.name for f in part.schema if pa.types.is_integer(f.type)]
            delta = dict.fromkeys(ints, "DELTA_BINARY_PACKED") if dictionary == "delta" else None
            buf = pa.BufferOutputStream()
            t = time.process_time()
            pq.write_table(
                part,
                buf,
                compression=codecs,
                use_dictionary=use_dictionary,
                write_statistics=_statistics(part.schema, stats),
                column_encoding=delta or None,
            )
            cpu += time.process_time() - t
            size += buf.getvalue().size
            cells += part.num_rows * part.num_columns
    return {"cpu_s": cpu, "bytes": size, "cells": cells}


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--scale", type=float, default=100)
    ap.add_argument("--reps", type=int, default=3)
    args = ap.parse_args()
    tmp = Path(tempfile.mkdtemp(prefix="bench_enc_"))
    try:
        plan = resolve_plan(load_project(), scale=args.scale)
        run_generate(plan, tmp / "out", ["parquet"], workers=2, etl=False, compression="zstd")
        tables = {t: pq.read_table(tmp / "out" / "data" / f"{t}.parquet") for t in CHUNK_ROWS}
    finally:
        shutil.rmtree(tmp, ignore_errors=True)
    results = []
    for name, text_codec, other, dictionary, stats in SETTINGS:
        runs = [encode(tables, text_codec, other, dictionary, stats) for _ in range(args.reps)]
        best = min(runs, key=lambda r: r["cpu_s"])
        results.append({"setting": name, **best})
        print(f"{name}: {best['cells'] / best['cpu_s'] / 1e6:.1f} M cells/CPU-s", flush=True)
    base = results[0]
    info = machine()
    lines = [
        "## Parquet encoder settings (`benchmarks/bench_encoding.py`)",
        "",
        machine_md(info),
        "",
        f"Command: `python benchmarks/bench_encoding.py {' '.join(sys.argv[1:])}`. The first "
        f"five chunks of customers, orders, transactions, returns and legacy_customers at scale "
        f"{args.scale:g}, each encoded as the workers do (one piece per chunk); CPU seconds, "
        f"best of {args.reps}.",
        "",
        "| setting | CPU s | M cells / CPU-s | x speed | MB | x bytes |",
        "|---|---:|---:|---:|---:|---:|",
    ]
    for r in results:
        lines.append(
            f"| {r['setting']} | {r['cpu_s']:.3f} | {r['cells'] / r['cpu_s'] / 1e6:.1f} | "
            f"{base['cpu_s'] / r['cpu_s']:.2f} | {r['bytes'] / 2**20:.1f} | "
            f"{r['bytes'] / base['bytes']:.2f} |"
        )
    write_section("encoding", "\n".join(lines), {"machine": info, "results": results})


if __name__ == "__main__":
    main()
