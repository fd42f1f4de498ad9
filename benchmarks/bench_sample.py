"""Benchmark `sample` at scale (issue 11 item 3): rows/s and peak MB at 1M (and 10M)
transactions, and quality at scale against sampling at scale 1 from the same model.

The model is `fit` on the default config (hma on customers -> orders -> transactions of the
rule-based bootstrap). Each `sample` runs as a subprocess of the CLI; peak memory is the RSS
of its process tree (psutil, polled every 0.1 s). Runs write Parquet without the ETL pipeline
(`--no-lineage`: that pipeline is the lineage work's, benchmarked by bench_lineage), plus one
whole default run with it. Every output is checked: keys unique, foreign keys resolve.

Quality is SDMetrics' multi-table QualityReport against the bootstrap the model learned from,
on samples of the fitted size (1,000 customers with their orders and transactions): at scale 1
one sample per seed; at scale, random subsets of root rows (with all their descendants) of the
big output, so both sides are scored on the same number of rows. The acceptance is a mean
within 0.01 of scale 1's.

    python benchmarks/bench_sample.py                       # 1M transactions, workers 1 and 2
    python benchmarks/bench_sample.py --transactions 1000000 10000000   # the issue's numbers
    python benchmarks/bench_sample.py --quick               # 100k transactions, no ETL run
    python benchmarks/bench_sample.py --no-spark            # without the Spark local[2] row

Local vs Spark: at the first --transactions, `sample --engine spark --spark-master local[2]`
(the same 2 cores as --workers 2), its wall time as a ratio to the local runs of the same
benchmark run, and whether its output is the same bytes as the local one (same model, seed).

Writes reports/bench_sample.json, reports/bench_sample.md and its section of benchmarks.md.
"""

from __future__ import annotations

import argparse
import contextlib
import hashlib
import json
import math
import os
import re
import resource
import shutil
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path

import numpy as np
import pandas as pd
import psutil
import pyarrow.parquet as pq

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "benchmarks"))
from _report import REPORTS, machine, machine_md, write_section  # noqa: E402  (a sibling module)

MODELED = ["customers", "orders", "transactions"]
KEYS = {"customers": "customer_id", "orders": "order_id", "transactions": "transaction_id"}
FKS = [("orders", "customer_id", "customers"), ("transactions", "order_id", "orders")]


def cli(*args: str, **kw) -> subprocess.CompletedProcess:
    return subprocess.run(
        [sys.executable, "-m", "synthgen_sdv", *args, "--no-progress"],
        capture_output=True,
        text=True,
        check=False,
        cwd=ROOT,
        **kw,
    )


def timed(args: list[str], tree: Path | None = None) -> dict:
    """Run the CLI with ``args``: wall seconds and the peak memory of the process tree, as the
    sum of PSS (shared pages of forked workers counted once) and of RSS (counted per process)."""
    cmd = [sys.executable, "-m", "synthgen_sdv", *args, "--no-progress"]
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    started = time.perf_counter()
    env = None
    if tree is not None:  # another source tree (the reference): its package, same interpreter
        env = {**os.environ, "PYTHONPATH": str(tree)}
    proc = subprocess.Popen(
        cmd, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, cwd=ROOT, env=env
    )
    peak = [0, 0]
    cpu_seen: dict[int, float] = {}  # CPU s of every process of the tree, as last seen
    done = threading.Event()

    def poll() -> None:
        ps = psutil.Process(proc.pid)
        while not done.wait(0.1):
            pss = rss = 0
            try:
                for p in [ps, *ps.children(recursive=True)]:
                    try:
                        info = p.memory_full_info()
                        t = p.cpu_times()
                    except psutil.Error:
                        continue
                    pss, rss = pss + info.pss, rss + info.rss
                    cpu_seen[p.pid] = t.user + t.system
            except psutil.Error:
                break
            peak[0], peak[1] = max(peak[0], pss), max(peak[1], rss)

    thread = threading.Thread(target=poll, daemon=True)
    thread.start()
    out, err = proc.communicate()
    seconds = time.perf_counter() - started
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    cpu = (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime)
    done.set()
    thread.join()
    # processes the run did not wait for (Spark's JVM and its Python workers) are not in
    # RUSAGE_CHILDREN: the tree's CPU as polled counts them
    cpu = max(cpu, sum(cpu_seen.values()))
    if proc.returncode != 0:
        raise SystemExit(f"{' '.join(args)} failed:\n{err[-3000:]}")
    stages = re.search(r"time: sample ([\d.]+) s, write ([\d.]+) s", out)
    return {
        "seconds": round(seconds, 2),
        "cpu_s": round(cpu, 1),
        "peak_mb": round(peak[0] / 2**20),
        "peak_rss_sum_mb": round(peak[1] / 2**20),
        "sample_s": float(stages.group(1)) if stages else None,
        "write_s": float(stages.group(2)) if stages else None,
    }


def read(out: Path, table: str, columns: list[str] | None = None) -> pd.DataFrame:
    return pq.read_table(out / "data" / f"{table}.parquet", columns=columns).to_pandas(
        date_as_object=False
    )


def integrity(out: Path) -> dict:
    keys = {t: read(out, t, [k])[k] for t, k in KEYS.items()}
    unique = all(keys[t].is_unique for t in KEYS)
    dangling = 0
    for child, col, parent in FKS:
        values = read(out, child, [col])[col].dropna()
        dangling += int((~values.isin(keys[parent])).sum())
    return {"keys_unique": unique, "dangling_foreign_keys": dangling}


def quality_report(real: dict, synthetic: dict, metadata: dict) -> float:
    from sdmetrics.reports.multi_table import QualityReport

    report = QualityReport()
    report.generate(real_data=real, synthetic_data=synthetic, metadata=metadata, verbose=False)
    return float(report.get_score())


def subset(tables: dict, n_roots: int, rng: np.random.Generator) -> dict:
    """``n_roots`` random customers with all their orders and transactions."""
    c = tables["customers"]
    pick = c.iloc[np.sort(rng.choice(len(c), n_roots, replace=False))]
    o = tables["orders"][tables["orders"]["customer_id"].isin(pick["customer_id"])]
    t = tables["transactions"][tables["transactions"]["order_id"].isin(o["order_id"])]
    return {
        "customers": pick.reset_index(drop=True),
        "orders": o.reset_index(drop=True),
        "transactions": t.reset_index(drop=True),
    }


def like(frame: pd.DataFrame, reference: pd.DataFrame) -> pd.DataFrame:
    out = frame[[c for c in reference.columns if c in frame]].copy()
    for col in out.columns:
        if out[col].dtype != reference[col].dtype:
            with contextlib.suppress(TypeError, ValueError):
                out[col] = out[col].astype(reference[col].dtype)
    return out


def tree_hash(out: Path) -> str:
    """SHA-256 over every file of an output folder (paths and bytes)."""
    h = hashlib.sha256()
    for path in sorted(p for p in out.rglob("*") if p.is_file()):
        h.update(str(path.relative_to(out)).encode() + b"\0" + path.read_bytes())
    return h.hexdigest()


def spark_run(args, work: Path, model: Path, fitted_rows: dict, local: Path) -> dict:
    """`sample --engine spark` at the first target, checked against the local output."""
    target = args.transactions[0]
    scale = math.ceil(target / fitted_rows["transactions"])
    out = work / "out_spark"
    shutil.rmtree(out, ignore_errors=True)
    cmd = ["sample", "--model-dir", str(model), "--scale", str(scale), "--seed", "1"]
    cmd += ["--out", str(out), "--format", "parquet", "--no-lineage"]
    r = timed([*cmd, "--engine", "spark", "--spark-master", args.spark_master])
    doc = json.loads((out / "metadata" / "schema_metadata.json").read_text())
    rows = {t: doc["tables"][t]["row_count"] for t in doc["tables"]}
    r.update(
        target=target,
        scale=scale,
        workers=0,
        engine="spark",
        master=args.spark_master,
        etl=False,
        transactions=rows["transactions"],
        same_bytes_as_local=tree_hash(out) == tree_hash(local),
        **integrity(out),
    )
    r["transactions_per_s"] = round(r["transactions"] / r["seconds"])
    print(json.dumps(r), flush=True)
    shutil.rmtree(out, ignore_errors=True)
    return r


def spark_lines(spark_runs: list[dict], runs: list[dict]) -> list[str]:
    """The local vs Spark table: the same target, wall time as a ratio to each local run."""
    if not spark_runs:
        return []
    [s] = spark_runs
    local = [r for r in runs if r.get("engine") != "spark" and not r["etl"]]
    local = [r for r in local if r["target"] == s["target"]]
    lines = [
        "",
        f"Local vs Spark `{s['master']}` ({s['transactions']:,} transactions, the same model "
        "and seed; Spark: `sample --engine spark --spark-master "
        f"{s['master']}`; its peak MB includes the JVM and its Python workers; the Spark "
        "run's time includes starting the JVM and the Python workers' imports):",
        "",
        "| engine | wall s | CPU s | sample s | write s | tx/s | peak MB | wall vs this | "
        "same bytes as local | keys unique | dangling FKs |",
        "|:--|---:|---:|---:|---:|---:|---:|---:|:--|:--|---:|",
    ]
    for r in [*local, s]:
        name = f"Spark {s['master']}" if r is s else f"local, {r['workers']} worker(s)"
        ratio = s["seconds"] / r["seconds"] if r is not s else 1.0
        same = str(s["same_bytes_as_local"]) if r is s else ""
        lines.append(
            f"| {name} | {r['seconds']:.1f} | {r['cpu_s']} | {r['sample_s']} | "
            f"{r['write_s']} | {r['transactions_per_s']} | {r['peak_mb']} | "
            f"{'' if r is s else f'Spark takes {ratio:.2f}x'} | {same} | "
            f"{r['keys_unique']} | {r['dangling_foreign_keys']} |"
        )
    lines += [
        "",
        "How: each batch of root rows is one Spark task drawing from the broadcast model with "
        "the batch's own seed and counted keys (`synth.batches.sample_batch`, the call a "
        "local worker makes); the raw batch comes back and the driver finishes it in batch "
        "order exactly as locally (keys after the rows of earlier batches, derived columns, "
        "spill, writer), hence the same bytes. The driver finishes rather than the tasks "
        "because a batch's key offsets are the row counts of the batches before it, known "
        "only once they are drawn; finishing costs about 1/16 of drawing, so no counting pass "
        "(drawing twice) or renumbering pass over written parts is needed, and executors "
        "write nothing (no shared filesystem). On one 2-core machine Spark cannot beat the "
        "local workers: the same cores draw the batches, plus a JVM, Python workers that "
        "import the package and unpickle the model, and every raw batch pickled through the "
        "JVM; the session start and the warm-up overlap the driver's bootstrap "
        "(`BatchSampler.prepare`). Its use is more cores than one machine has.",
    ]
    return lines


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--transactions", type=int, nargs="+", default=[1_000_000])
    ap.add_argument("--workers", type=int, nargs="+", default=[1, 2])
    ap.add_argument("--seeds", type=int, default=3, help="scale-1 samples and subsets scored")
    ap.add_argument("--quick", action="store_true", help="100k transactions, no ETL run")
    ap.add_argument("--no-etl-run", action="store_true", help="skip the whole default run")
    ap.add_argument(
        "--reference-tree",
        type=Path,
        default=None,
        help="a source tree of synthgen_sdv before batching (e.g. main's checkout): its "
        "`sample` at the first --transactions, 1 worker, with the ETL run, for the same-run ratio",
    )
    ap.add_argument("--work", type=Path, default=None, help="scratch folder (default: a temp)")
    ap.add_argument("--spark-master", default="local[2]", help="master of the Spark row")
    ap.add_argument("--no-spark", action="store_true", help="skip the Spark row")
    args = ap.parse_args()
    if args.quick:
        args.transactions, args.no_etl_run = [100_000], True
    load_at_start = os.getloadavg()[0]
    work = args.work or Path(tempfile.mkdtemp(prefix="bench_sample_"))
    work.mkdir(parents=True, exist_ok=True)
    model = work / "model"
    if not (model / "manifest.json").exists():
        proc = cli("fit", "--model-dir", str(model))
        if proc.returncode != 0:
            raise SystemExit(proc.stderr[-3000:])
    manifest = json.loads((model / "manifest.json").read_text())
    fitted_rows = manifest["rows"]
    print(f"model: {fitted_rows}", flush=True)

    runs = []
    for target in args.transactions:
        scale = math.ceil(target / fitted_rows["transactions"])
        # every worker count at every target (flat memory is a claim about each of them)
        for workers in args.workers:
            out = work / f"out_{target}_{workers}"
            shutil.rmtree(out, ignore_errors=True)
            cmd = ["sample", "--model-dir", str(model), "--scale", str(scale), "--seed", "1"]
            cmd += ["--out", str(out), "--format", "parquet", "--workers", str(workers)]
            r = timed([*cmd, "--no-lineage"])
            doc = json.loads((out / "metadata" / "schema_metadata.json").read_text())
            rows = {t: doc["tables"][t]["row_count"] for t in doc["tables"]}
            r.update(
                target=target,
                scale=scale,
                workers=workers,
                etl=False,
                transactions=rows["transactions"],
                sampled_rows=sum(rows[t] for t in MODELED),
                all_rows=sum(rows.values()),
                **integrity(out),
            )
            r["transactions_per_s"] = round(r["transactions"] / r["seconds"])
            runs.append(r)
            print(json.dumps(r), flush=True)
            if workers != args.workers[-1] or target != args.transactions[0]:
                shutil.rmtree(out, ignore_errors=True)

    big = work / f"out_{args.transactions[0]}_{args.workers[-1]}"
    spark_runs = [] if args.no_spark else [spark_run(args, work, model, fitted_rows, big)]
    runs += spark_runs
    etl_runs = [] if args.no_etl_run else [("this tree", None)]
    if args.reference_tree is not None:
        etl_runs.append((f"reference: {args.reference_tree}", args.reference_tree))
    for label, tree in etl_runs:
        target, workers = args.transactions[0], 1
        scale = math.ceil(target / fitted_rows["transactions"])
        out = work / "out_etl"
        shutil.rmtree(out, ignore_errors=True)
        cmd = ["sample", "--model-dir", str(model), "--scale", str(scale), "--seed", "1"]
        cmd += ["--out", str(out), "--format", "parquet", "--workers", str(workers)]
        r = timed(cmd, tree)
        r.update(
            target=target, scale=scale, workers=workers, etl=True, code=label, **integrity(out)
        )
        runs.append(r)
        print(json.dumps(r), flush=True)
        shutil.rmtree(out, ignore_errors=True)

    # quality: the bootstrap the model learned from, samples at scale 1, subsets at scale
    from synthgen_sdv.core.metadata import subgraph
    from synthgen_sdv.core.progress import QUIET
    from synthgen_sdv.runs.model_folder import load_fitted

    fitted = load_fitted(model)
    fitted.source.load(QUIET)
    real = {t: fitted.source.tables[t] for t in MODELED}
    doc = json.loads((big / "metadata" / "schema_metadata.json").read_text())
    metadata = subgraph(doc["sdv_metadata"], MODELED, True)
    n_roots = fitted_rows["customers"]
    at_one = []
    for seed in range(1, args.seeds + 1):
        out = work / f"scale1_{seed}"
        shutil.rmtree(out, ignore_errors=True)
        cmd = ["sample", "--model-dir", str(model), "--scale", "1", "--seed", str(seed)]
        proc = cli(*cmd, "--out", str(out), "--format", "parquet", "--no-lineage")
        if proc.returncode != 0:
            raise SystemExit(proc.stderr[-3000:])
        synth = {t: like(read(out, t), real[t]) for t in MODELED}
        at_one.append(quality_report(real, synth, metadata))
        shutil.rmtree(out, ignore_errors=True)
    whole = {t: read(big, t) for t in MODELED}
    rng = np.random.default_rng(0)
    at_scale = []
    for _ in range(args.seeds):
        synth = {t: like(f, real[t]) for t, f in subset(whole, n_roots, rng).items()}
        at_scale.append(quality_report(real, synth, metadata))
    quality = {
        "scale_1": [round(q, 4) for q in at_one],
        "at_scale": [round(q, 4) for q in at_scale],
        "scale_1_mean": round(float(np.mean(at_one)), 4),
        "at_scale_mean": round(float(np.mean(at_scale)), 4),
        "at_scale_from": {"transactions": args.transactions[0], "workers": args.workers[-1]},
    }
    quality["difference"] = round(quality["at_scale_mean"] - quality["scale_1_mean"], 4)
    print(json.dumps(quality), flush=True)
    if args.work is None:
        shutil.rmtree(work, ignore_errors=True)

    info = machine()
    data = {"machine": info, "model": fitted_rows, "runs": runs, "quality": quality}
    lines = [
        "## sample at scale (issue 11 item 3)",
        "",
        machine_md(info),
        "",
        "`python benchmarks/bench_sample.py` (model: `fit` on the default config; each run: "
        "`sample --model-dir M --scale S --seed 1 --format parquet --workers W`, "
        "`--no-lineage` unless the ETL column says yes). Peak MB is the PSS of the process "
        "tree (forked workers' shared pages counted once; the sum of RSS in the JSON); CPU s "
        "is user + system time of the run and its workers (Spark's JVM and Python workers "
        "too; on a loaded machine, closer to what an idle one takes than wall time is). "
        f"Load average (1 min) {load_at_start:.1f} at the start, {os.getloadavg()[0]:.1f} at "
        "the end (other jobs on the machine).",
        "",
        "| transactions | scale | workers | ETL | wall s | CPU s | sample s | write s | tx/s | "
        "peak MB | keys unique | dangling FKs |",
        "|---:|---:|---:|:--|---:|---:|---:|---:|---:|---:|:--|---:|",
    ]
    for r in runs:
        if r.get("engine") == "spark":
            continue
        etl = ("yes" if r["etl"] else "no") + (
            " (reference)" if "reference" in r.get("code", "") else ""
        )
        lines.append(
            f"| {r.get('transactions', r['target']):,} | {r['scale']} | {r['workers']} | "
            f"{etl} | {r['seconds']:.1f} | {r['cpu_s']} | "
            f"{r['sample_s']} | {r['write_s']} | {r.get('transactions_per_s', '')} | "
            f"{r['peak_mb']} | {r['keys_unique']} | {r['dangling_foreign_keys']} |"
        )
    lines += [
        "",
        f"Quality (SDMetrics QualityReport vs the bootstrap, {n_roots:,} customers with their "
        f"orders and transactions each): scale 1 {quality['scale_1']} (mean "
        f"{quality['scale_1_mean']}), at scale {quality['at_scale']} (mean "
        f"{quality['at_scale_mean']}): difference {quality['difference']:+.4f} "
        f"({'within' if abs(quality['difference']) <= 0.01 else 'NOT within'} 0.01).",
    ]
    lines += spark_lines(spark_runs, runs)
    lines += [
        "",
        "Streaming: each finished batch is written to a spill folder beside the output "
        "(`io.spill`, one Parquet part per batch) and the writer reads it back a chunk at a "
        "time, so the sampled tables are never held whole; what still grows with the scale "
        "is what other tables look up (customers' looked-up columns for "
        "legacy_customers: about 900k rows at 10M transactions). The ETL row runs lineage.yml "
        "on DuckDB over the written Parquet (its memory limit bounds it).",
    ]
    markdown = "\n".join(lines) + "\n"
    write_section("sample", markdown, data)
    (REPORTS / "bench_sample.md").write_text(markdown)
    print(markdown)


if __name__ == "__main__":
    main()
