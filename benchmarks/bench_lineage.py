"""Lineage pipeline cost and label facts per scale -> reports/bench_lineage.json, benchmarks.md

    python benchmarks/bench_lineage.py [--scales 1,5] [--seed 42]

Per scale: generate the default config (Parquet only), run the ETL pipeline with its faults
(run_lineage), write the outputs (yaml, OpenLineage events, lineage_data), verify every label
from the data (validate-lineage) and export the graph; time each phase and record the step,
row, label and graph counts. The verifier must prove every label, or the script exits 1.
"""

from __future__ import annotations

import argparse
import sys
import tempfile
import time
from pathlib import Path

import pyarrow.parquet as pq

sys.path.insert(0, str(Path(__file__).resolve().parent))
from _report import machine, machine_md, write_section

from synthgen_sdv.lineage.graph import build_graph, export_graph
from synthgen_sdv.lineage.runner import run_lineage
from synthgen_sdv.lineage.spec import default_lineage_path, load_lineage_spec
from synthgen_sdv.lineage.verify import verify_lineage
from synthgen_sdv.lineage.writer import merge_labels, write_lineage, write_lineage_data


def bench(scale: float, seed: int, root: Path) -> dict:
    from synthgen_sdv.runs.config import load_project
    from synthgen_sdv.runs.generate import run_generate
    from synthgen_sdv.schema.plan import resolve_plan

    out = root / f"scale_{scale}"
    t = time.perf_counter()
    run_generate(resolve_plan(load_project(None), seed=seed, scale=scale), out, ["parquet"])
    gen_s = time.perf_counter() - t
    files = {p.stem: p for p in (out / "data").glob("*.parquet")}
    spec = load_lineage_spec(default_lineage_path(), files)
    tables = {n: pq.read_table(p) for n, p in files.items()}
    t = time.perf_counter()
    run = run_lineage(tables, spec, seed)
    run_s = time.perf_counter() - t
    t = time.perf_counter()
    write_lineage(run, out / "metadata")
    merge_labels(run, out / "metadata" / "labels.json")
    write_lineage_data(run, out / "lineage_data")
    write_s = time.perf_counter() - t
    t = time.perf_counter()
    report = verify_lineage(out)
    verify_s = time.perf_counter() - t
    t = time.perf_counter()
    export_graph(out)
    graph_s = time.perf_counter() - t
    g = build_graph(out)
    slowest = sorted(run.steps, key=lambda s: -s.wall_ms)[:3]
    return {
        "scale": scale,
        "source_rows": sum(t.num_rows for t in run.sources.values()),
        "steps": len(run.steps),
        "rows_read": sum(sum(s.rows_in.values()) for s in run.steps),
        "rows_written": sum(sum(v or 0 for v in s.rows_out.values()) for s in run.steps),
        "faults": len(run.labels),
        "fault_kinds": len({lab["kind"] for lab in run.labels}),
        "labeled_rows": sum(lab["row_count"] for lab in run.labels),
        "labels_proven": report.labels_proven,
        "verifier_problems": len(report.problems),
        "graph_nodes": g.number_of_nodes(),
        "graph_edges": g.number_of_edges(),
        "seconds": {
            "generate": round(gen_s, 2),
            "run_lineage": round(run_s, 2),
            "write": round(write_s, 2),
            "verify": round(verify_s, 2),
            "export_graph": round(graph_s, 2),
        },
        "slowest_steps_ms": {s.step.id: round(s.wall_ms, 1) for s in slowest},
    }


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--scales", default="1,5")
    ap.add_argument("--seed", type=int, default=42)
    args = ap.parse_args()
    results = []
    with tempfile.TemporaryDirectory() as tmp:
        for scale in [float(s) for s in args.scales.split(",")]:
            r = bench(scale, args.seed, Path(tmp))
            print(r, file=sys.stderr)
            results.append(r)
    info = machine()
    lines = [
        "## Lineage pipeline (`benchmarks/bench_lineage.py`)",
        "",
        f"Default config, seed {args.seed}. Times in seconds: the ETL run (DuckDB, one "
        "thread, faults injected), writing yaml + OpenLineage events + step outputs, the "
        "verifier (re-runs every step and proves each label), and the graph export.",
        "",
        "| scale | source rows | steps | rows read | rows written | faults (kinds) | labeled rows "
        "| proven | run | write | verify | graph | nodes / edges |",
        "|---|---|---|---|---|---|---|---|---|---|---|---|---|",
    ]
    for r in results:
        s = r["seconds"]
        lines.append(
            f"| {r['scale']:g} | {r['source_rows']:,} | {r['steps']} | {r['rows_read']:,} | "
            f"{r['rows_written']:,} | {r['faults']} ({r['fault_kinds']}) | {r['labeled_rows']:,} "
            f"| {r['labels_proven']}/{r['faults']} | {s['run_lineage']} | {s['write']} | "
            f"{s['verify']} | {s['export_graph']} | {r['graph_nodes']} / {r['graph_edges']} |"
        )
    lines += ["", machine_md(info)]
    write_section("lineage", "\n".join(lines), {"machine": info, "results": results})
    bad = [r for r in results if r["verifier_problems"] or r["labels_proven"] != r["faults"]]
    return 1 if bad else 0


if __name__ == "__main__":
    sys.exit(main())
