"""Generation throughput and memory, next to the Rust TPC-DS generator tpcgen-cli, in one run.

    python benchmarks/bench_generate.py [--scales 1 10 100 1000 3000] [--tpcgen 1 10]
        [--workers 2] [--reps 3] [--spark-scales 10 100] [--quick]

What is measured, each run in a fresh process (so its memory is its own):

* ours: ``run_generate(plan, out, [format], workers, etl=False)`` (the rule-based engine, clean
  and dirty tables, metadata and labels; the ETL lineage pipeline is measured by
  bench_lineage); parquet and csv; 2 workers, and 1 worker for the speed-up;
* tpcgen-cli (``pip install -e '.[bench]'``, or its path in ``TPCGEN_CLI``):
  ``tpcgen-cli tpcds parquet|csv -s SF`` with its
  default threads (all cores);
* ``--engine spark`` on Spark ``local[2]`` next to the local engine.

Times: ``gen s`` is the generation call alone (plan resolved, imports done), as a library user
sees it; ``process s`` is the whole process, interpreter start and imports included, the fair
counterpart of tpcgen's process time. Cells are rows x columns of the clean tables (data/);
``all cells`` adds the dirty copies (data_dirty/), written too. CPU seconds are the process and
its workers (getrusage). Peak MB polls the process tree every 0.1 s: the sum of RSS (forked
workers' shared pages counted in each, so an upper bound) and of PSS (shared pages split).
Wall times are the best of ``--reps`` runs, interleaved with tpcgen's, because the machine is
shared; the load average is recorded next to each run. Results: reports/benchmarks.md
(section 'generate') and reports/bench_generate.json.
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import pyarrow.parquet as pq

sys.path.insert(0, str(Path(__file__).resolve().parent))
from _report import TreeMemory, machine, machine_md, whole_run_command, write_section

ROOT = Path(__file__).resolve().parents[1]

RUN = """
import json, resource, sys, time
def cpu():
    me = resource.getrusage(resource.RUSAGE_SELF)
    kids = resource.getrusage(resource.RUSAGE_CHILDREN)
    return me.ru_utime + me.ru_stime, kids.ru_utime + kids.ru_stime
t0 = time.perf_counter()
from pathlib import Path
from synthgen_sdv.runs.config import load_project
from synthgen_sdv.runs.generate import run_generate
from synthgen_sdv.schema.plan import resolve_plan
scale, out, fmt, workers, engine, dirty = sys.argv[1:7]
plan = resolve_plan(load_project(), scale=float(scale))
t, (m0, k0) = time.perf_counter(), cpu()
outcome = run_generate(plan, Path(out), [fmt], workers=int(workers), etl=False, engine=engine,
                       dirty=dirty == "1")
seconds, (m1, k1) = time.perf_counter() - t, cpu()
main_cpu, workers_cpu = m1 - m0, k1 - k0
gen_cpu = main_cpu + workers_cpu
tables = json.loads((Path(out) / "metadata" / "schema_metadata.json").read_text())["tables"]
cells = sum(t["row_count"] * len(t["columns"]) for t in tables.values())
dirty = sum(t["dirty"]["row_count"] * len(t["columns"]) for t in tables.values() if "dirty" in t)
print(json.dumps({"gen_s": seconds, "gen_cpu_s": gen_cpu, "main_cpu_s": main_cpu,
                  "workers_cpu_s": workers_cpu, "setup_s": t - t0, "cells": cells,
                  "all_cells": cells + dirty,
                  "rows": sum(t["row_count"] for t in tables.values()),
                  "kept_mb": {k: v / 2**20 for k, v in outcome.result.kept_bytes.items()}}))
"""

PROFILE = """
import collections, importlib, json, resource, sys, threading, time
from pathlib import Path
from synthgen_sdv.runs.config import load_project
from synthgen_sdv.runs.generate import run_generate
from synthgen_sdv.schema.plan import resolve_plan
T = importlib.import_module("synthgen_sdv.generate.tasks")
E = importlib.import_module("synthgen_sdv.generate.engine")
C = importlib.import_module("synthgen_sdv.generate.chunk")
K = importlib.import_module("synthgen_sdv.generate.kept")
acc, lock = collections.Counter(), threading.Lock()
def timed(mod, name, label):
    fn = getattr(mod, name)
    def wrapper(*a, **k):
        t = time.thread_time()
        try:
            return fn(*a, **k)
        finally:
            with lock:
                acc[label] += time.thread_time() - t
    setattr(mod, name, wrapper)
timed(T, "family_chunk", "making the columns (chunk.family_chunk)")
timed(T, "encode_chunk", "Parquet encoding, clean + dirty (io.writers.encode_chunk)")
timed(T, "_corrupt", "anomalies on the dirty copies (tasks._corrupt)")
timed(T, "to_arrow", "pandas -> Arrow (io.writers.to_arrow)")
timed(T, "_place", "writing pieces into the files (tasks._place)")
timed(K.KeptTable, "add", "kept tables gathered (kept.KeptTable.add / finish)")
timed(K.KeptTable, "finish", "kept tables gathered (kept.KeptTable.add / finish)")
if hasattr(T, "kept_text"):  # since gen5 the kept text is made Arrow in the encoding thread
    timed(T, "kept_text", "kept tables gathered (kept.KeptTable.add / finish)")
timed(E, "release_memory", "memory handed back at the end (engine.release_memory)")
timed(C, "children_counts", "  of which: children counts")
threads = collections.Counter()  # wall and CPU seconds per thread role: busy and waiting
def clocked(mod, name, label):
    fn = getattr(mod, name)
    def wrapper(*a, **k):
        w, c = time.perf_counter(), time.thread_time()
        try:
            return fn(*a, **k)
        finally:
            with lock:
                threads[label + " wall"] += time.perf_counter() - w
                threads[label + " cpu"] += time.thread_time() - c
    setattr(mod, name, wrapper)
clocked(T.ChunkResult, "settle", "main waits on encoding")
clocked(T, "_clean_copy", "encoding threads")
clocked(T, "_dirty_copy", "encoding threads")
clocked(T, "_made", "main makes chunks")
scale, out, dirty = sys.argv[1:4]
workers = int(sys.argv[4]) if len(sys.argv) > 4 else 1
X = importlib.import_module("synthgen_sdv.generate.executors")
if workers > 1:  # each forked worker writes its own steps to a file when it ends
    import os
    from multiprocessing import connection as mpc
    L = importlib.import_module("synthgen_sdv.generate.ledger")
    clocked(L.Ledger, "offsets", "worker waits on earlier chunks (ledger)")
    clocked(mpc.Connection, "send", "worker sends results")
    real_serve = X._serve
    def serve(*a, **k):
        acc.clear(); threads.clear()
        w0, c0 = time.perf_counter(), time.process_time()
        try:
            real_serve(*a, **k)
        finally:
            rec = {"sections": dict(acc), "threads": dict(threads),
                   "wall_s": time.perf_counter() - w0, "cpu_s": time.process_time() - c0}
            (Path(out).parent / f"worker_{os.getpid()}.json").write_text(json.dumps(rec))
    X._serve = serve
plan = resolve_plan(load_project(), scale=float(scale))
cpu0, t0, main0 = time.process_time(), time.perf_counter(), time.thread_time()
run_generate(plan, Path(out), ["parquet"], workers=workers, etl=False, dirty=dirty == "1")
wall, cpu = time.perf_counter() - t0, time.process_time() - cpu0
forked = [json.loads(f.read_text()) for f in sorted(Path(out).parent.glob("worker_*.json"))]
print(json.dumps({"cpu_s": cpu + sum(w["cpu_s"] for w in forked), "wall_s": wall,
                  "main_process_s": cpu, "main_thread_s": time.thread_time() - main0,
                  "sections": dict(acc), "threads": dict(threads), "forked": forked}))
"""


def run_profile(scale: float, dirty: bool, workers: int = 1) -> dict:
    """CPU seconds per step of a generation (``time.thread_time`` around the chunk task's
    steps, the encoding thread's included), in a fresh process; with ``workers`` above 1, each
    forked worker's steps, its wall time and its waits (for earlier chunks, for the main
    process to read its results) too."""
    out = Path(tempfile.mkdtemp(prefix="bench_prof_")) / "out"
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    try:
        cmd = [sys.executable, "-c", PROFILE, str(scale), str(out), "1" if dirty else "0"]
        cmd.append(str(workers))
        done = subprocess.run(cmd, env=env, cwd=ROOT, capture_output=True, text=True, check=True)
    finally:
        shutil.rmtree(out.parent, ignore_errors=True)
    res = json.loads(done.stdout.strip().splitlines()[-1])
    res.update(scale=scale, dirty=dirty, load=os.getloadavg()[0], workers=workers)
    return res


def profile_lines(profiles: list[dict]) -> list[str]:
    """Markdown tables of ``run_profile`` results."""
    lines = []
    for p in profiles:
        if p.get("workers", 1) > 1:
            lines += _forked_lines(p)
            continue
        run = "full (clean + dirty)" if p["dirty"] else "clean only (--no-dirty)"
        lines += [
            "",
            f"#### Scale {p['scale']:g}, 1 worker, {run}: {p['cpu_s']:.2f} CPU s "
            f"({p['wall_s']:.2f} s wall, load {p['load']:.1f}); main thread "
            f"{p.get('main_thread_s', float('nan')):.2f} CPU s, the encoding thread (and "
            f"Arrow's) {p['cpu_s'] - p.get('main_thread_s', float('nan')):.2f}",
            "",
            "| step | CPU s | share |",
            "|---|---:|---:|",
        ]
        sections = p["sections"]
        top = {k: v for k, v in sections.items() if not k.startswith("  ")}
        for name, secs in sorted(sections.items(), key=lambda kv: -kv[1]):
            lines.append(f"| {name} | {secs:.2f} | {100 * secs / p['cpu_s']:.0f} % |")
        rest = p["cpu_s"] - sum(top.values())
        lines.append(
            f"| the rest: appends, labels, metadata, threads | {rest:.2f} | "
            f"{100 * rest / p['cpu_s']:.0f} % |"
        )
        lines += _thread_lines(p.get("threads", {}), p["wall_s"])
    return lines


def _forked_lines(p: dict) -> list[str]:
    """A run on forked workers: the main process, then each worker's steps (CPU s) and its
    waits (wall s), per family's worker processes in the order they ran."""
    run = "full (clean + dirty)" if p["dirty"] else "clean only (--no-dirty)"
    forked = p.get("forked", [])
    lines = [
        "",
        f"#### Scale {p['scale']:g}, {p['workers']} workers, {run}: {p['cpu_s']:.2f} CPU s "
        f"({p['wall_s']:.2f} s wall, load {p['load']:.1f}); main process "
        f"{p['main_process_s']:.2f} CPU s (small families, probing types, appends, kept "
        f"tables, labels), {len(forked)} worker processes {sum(w['cpu_s'] for w in forked):.2f}",
        "",
        "| worker | wall s | CPU s | making the columns | encoding | writing pieces "
        "| waits on earlier chunks | sending results |",
        "|---|---:|---:|---:|---:|---:|---:|---:|",
    ]
    for i, w in enumerate(forked):
        sec, thr = w["sections"], w["threads"]
        lines.append(
            f"| {i} | {w['wall_s']:.2f} | {w['cpu_s']:.2f} "
            f"| {sec.get('making the columns (chunk.family_chunk)', 0):.2f} "
            f"| {sec.get('Parquet encoding, clean + dirty (io.writers.encode_chunk)', 0):.2f} "
            f"| {sec.get('writing pieces into the files (tasks._place)', 0):.2f} "
            f"| {thr.get('worker waits on earlier chunks (ledger) wall', 0):.2f} "
            f"| {thr.get('worker sends results wall', 0):.2f} |"
        )
    main = p["sections"]
    lines += ["", "Main process, CPU s:", "", "| step | CPU s |", "|---|---:|"]
    for name, secs in sorted(main.items(), key=lambda kv: -kv[1]):
        lines.append(f"| {name} | {secs:.2f} |")
    return lines


def _thread_lines(threads: dict[str, float], wall: float) -> list[str]:
    """Busy and waiting time of the two roles: the main thread making chunks (and waiting on
    their encoding), the encoding threads (wall inside their work: CPU, or waiting for a core
    or the GIL; two threads, so their wall adds up to more than the run's)."""
    if not threads:
        return []
    lines = [
        "",
        f"Threads (of {wall:.2f} s wall):",
        "",
        "| role | wall s | CPU s | CPU / wall |",
        "|---|---:|---:|---:|",
    ]
    for role in ("main makes chunks", "main waits on encoding", "encoding threads"):
        w, c = threads.get(role + " wall", 0.0), threads.get(role + " cpu", 0.0)
        lines.append(f"| {role} | {w:.2f} | {c:.2f} | {c / w if w else 0:.2f} |")
    return lines


def _children_cpu() -> float:
    ru = resource.getrusage(resource.RUSAGE_CHILDREN)
    return ru.ru_utime + ru.ru_stime


def measured(cmd: list[str], env: dict | None = None, cwd: Path | None = None) -> dict:
    """Run ``cmd``; its wall time, CPU seconds (with its children), peak memory, stdout."""
    load = os.getloadavg()[0]
    cpu0 = _children_cpu()
    t = time.perf_counter()
    proc = subprocess.Popen(
        cmd, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, env=env, cwd=cwd
    )
    sampler = TreeMemory(proc.pid)
    stdout, stderr = proc.communicate()
    wall = time.perf_counter() - t
    memory = sampler.stop()
    if proc.returncode:
        raise RuntimeError(f"{' '.join(cmd)} failed ({proc.returncode}):\n{stderr[-3000:]}")
    return {
        "process_s": wall,
        "cpu_s": _children_cpu() - cpu0,
        "load": load,
        **memory,
        "stdout": stdout,
    }


def run_ours(
    scale: float,
    fmt: str,
    workers: int,
    engine: str = "local",
    dirty: bool = True,
    tree: Path | None = None,
) -> dict:
    """One generation run in a fresh process; ``tree``: another checkout's package (the
    baseline of ``--before``) instead of this one."""
    out = Path(tempfile.mkdtemp(prefix="bench_gen_")) / "out"
    env = {**os.environ, "PYTHONPATH": str(tree or ROOT)}
    try:
        cmd = [sys.executable, "-c", RUN, str(scale), str(out), fmt, str(workers), engine]
        cmd.append("1" if dirty else "0")
        res = measured(cmd, env=env, cwd=tree or ROOT)
        res.update(json.loads(res.pop("stdout").strip().splitlines()[-1]))
        res["bytes"] = sum(p.stat().st_size for p in (out / "data").rglob("*") if p.is_file())
        res["dirty_bytes"] = sum(
            p.stat().st_size for p in (out / "data_dirty").rglob("*") if p.is_file()
        )
    finally:
        shutil.rmtree(out.parent, ignore_errors=True)
    name = "synthgen_sdv" if engine == "local" else f"synthgen_sdv ({engine} local[2])"
    if tree is not None:
        name += f" (before: {tree.name})"
    return {
        "generator": name + ("" if dirty else " --no-dirty"),
        "engine": engine if tree is None else "before",
        "tree": str(tree) if tree is not None else None,
        "dirty": dirty,
        "scale": scale,
        "format": fmt,
        "workers": workers,
        "time_s": res["gen_s"],
        **res,
        "window_cpu_s": res["gen_cpu_s"],
    }


def run_whole(scale: float, workers: int | None = None) -> dict:
    """The whole default run, as a user starts it: ``python -m synthgen_sdv generate --scale N
    --format parquet`` (tables, dirty copies, labels and the lineage pipeline); wall time and
    the peak memory of the process tree."""
    out = Path(tempfile.mkdtemp(prefix="bench_whole_")) / "out"
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    cmd = whole_run_command(scale, out, workers, "--no-progress")
    try:
        res = measured(cmd, env=env, cwd=ROOT)
        res.pop("stdout")
        res["bytes"] = sum(p.stat().st_size for p in out.rglob("*") if p.is_file())
    finally:
        shutil.rmtree(out.parent, ignore_errors=True)
    return {"scale": scale, "workers": workers, **res}


def whole_lines(wholes: list[dict]) -> list[str]:
    """The whole default run's table (report section)."""
    if not wholes:
        return []
    rows = [
        f"| {w['scale']:g} | {w['workers'] or 'default'} | {w['process_s']:.1f} | "
        f"{w['cpu_s']:.1f} | {w['peak_rss_mb']:,.0f} / {w['peak_pss_mb']:,.0f} | "
        f"{w['peak_single_rss_mb']:,.0f} | {w['bytes'] / 2**20:,.0f} | {w['load']:.1f} |"
        for w in wholes
    ]
    return [
        "",
        "### The whole default run (`python -m synthgen_sdv generate --scale N --format "
        "parquet`: tables, dirty copies, labels, lineage pipeline)",
        "",
        "**peak MB**: the process tree polled every 0.1 s, sum of RSS / sum of PSS; "
        "**largest process**: the biggest single RSS seen. The goal (issue 11): under 1 GB.",
        "",
        "| scale | workers | wall s | cpu s | peak MB rss / pss | largest process MB "
        "| MB written | load |",
        "|---:|---|---:|---:|---:|---:|---:|---:|",
        *rows,
    ]


def _tpcgen_cells(out: Path, fmt: str) -> tuple[int, int]:
    rows = cells = 0
    for f in out.rglob(f"*.{fmt}"):
        if fmt == "parquet":
            meta = pq.ParquetFile(f).metadata
            rows += meta.num_rows
            cells += meta.num_rows * meta.num_columns
        else:
            with open(f, "rb") as fh:
                header = fh.readline()
                n = sum(1 for _ in fh)
            rows += n
            cells += n * (header.count(b",") + 1)
    return rows, cells


_TPC_CELLS: dict[float, tuple[int, int]] = {}  # SF -> (rows, cells), the same in every format


TPCGEN = os.environ.get("TPCGEN_CLI") or shutil.which("tpcgen-cli")


def tpcgen_version() -> str | None:
    """``tpcgen-cli --version``, when it is installed."""
    if TPCGEN is None:
        return None
    out = subprocess.run([TPCGEN, "--version"], capture_output=True, text=True)
    return out.stdout.strip() or None


def run_tpcgen(scale: float, fmt: str) -> dict | None:
    exe = TPCGEN
    if exe is None:
        return None
    out = Path(tempfile.mkdtemp(prefix="bench_tpc_"))
    try:
        res = measured([exe, "tpcds", fmt, "-s", f"{scale:g}", "--no-progress", "-o", str(out)])
        res.pop("stdout")
        if scale not in _TPC_CELLS:
            _TPC_CELLS[scale] = _tpcgen_cells(out, fmt)
        res["rows"], res["cells"] = _TPC_CELLS[scale]
        res["bytes"] = sum(p.stat().st_size for p in out.rglob("*") if p.is_file())
    finally:
        shutil.rmtree(out, ignore_errors=True)
    return {
        "generator": "tpcgen-cli (TPC-DS, Rust)",
        "engine": "tpcgen",
        "scale": scale,
        "format": fmt,
        "workers": "all",
        "time_s": res["process_s"],
        "all_cells": res["cells"],
        **res,
        "window_cpu_s": res["cpu_s"],
    }


def best(runs: list[dict]) -> dict:
    """The fastest of repeated runs (the machine is shared), with every time kept."""
    top = dict(min(runs, key=lambda r: r["time_s"]))
    top["reps"] = len(runs)
    top["times_s"] = [round(r["time_s"], 3) for r in runs]
    top["peak_rss_mb"] = max(r["peak_rss_mb"] for r in runs)
    top["peak_pss_mb"] = max(r["peak_pss_mb"] for r in runs)
    return top


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--scales", type=float, nargs="+", default=[1, 10, 100, 1000, 3000])
    ap.add_argument("--tpcgen", type=float, nargs="*", default=[1, 10])
    ap.add_argument("--workers", type=int, default=2)
    ap.add_argument("--reps", type=int, default=3, help="repetitions up to scale 100")
    ap.add_argument("--big-reps", type=int, default=1, help="repetitions above scale 100")
    ap.add_argument("--speedup-scales", type=float, nargs="*", default=[100, 1000])
    ap.add_argument("--spark-scales", type=float, nargs="*", default=[100, 1000])
    ap.add_argument(
        "--no-dirty-scales",
        type=float,
        nargs="*",
        default=[100, 1000],
        help="scales also run clean-only (generate --no-dirty), reported on their own rows",
    )
    ap.add_argument(
        "--before",
        type=Path,
        default=None,
        help="a checkout of the baseline (e.g. the main worktree): its generation runs "
        "interleaved with ours (parquet, full and clean-only, --workers), as before/after rows",
    )
    ap.add_argument("--formats", nargs="+", default=["parquet", "csv"])
    ap.add_argument(
        "--big-formats", nargs="+", default=["parquet"], help="formats above scale 1000"
    )
    ap.add_argument(
        "--whole-scales",
        type=float,
        nargs="*",
        default=[],
        help="scales of the whole default run (generate with lineage), peak memory",
    )
    ap.add_argument("--whole-only", action="store_true", help="only the whole default runs")
    ap.add_argument(
        "--profile-scales",
        type=float,
        nargs="*",
        default=[],
        help="scales to profile (CPU s per step, --profile-workers, full and clean-only); alone "
        "with --profile-only, written to reports/bench_generate_profile.json and printed",
    )
    ap.add_argument("--profile-only", action="store_true", help="only the profiles")
    ap.add_argument(
        "--profile-workers",
        type=int,
        nargs="+",
        default=[1],
        help="worker counts to profile (above 1: each forked worker's steps and waits)",
    )
    ap.add_argument("--quick", action="store_true", help="scales 1 10, tpcgen SF1, 1 rep")
    ap.add_argument(
        "--section", default="generate", help="section of reports/benchmarks.md to (re)write"
    )
    args = ap.parse_args()
    if args.quick:
        args.scales, args.tpcgen, args.reps, args.speedup_scales = [1, 10], [1], 1, [10]
        args.spark_scales, args.no_dirty_scales = [], [10]
    if args.whole_scales:
        wholes = []
        for scale in args.whole_scales:
            wholes.append(run_whole(scale))
            w = wholes[-1]
            print(
                f"whole run scale {scale:g}: {w['process_s']:.1f} s, peak {w['peak_rss_mb']:.0f} "
                f"MB rss / {w['peak_pss_mb']:.0f} MB pss (load {w['load']:.1f})",
                flush=True,
            )
        report_whole(wholes)
    if args.profile_scales:
        profiles = [
            run_profile(sc, d, w)
            for sc in args.profile_scales
            for w in args.profile_workers
            for d in (True, False)
        ]
        text = "\n".join(profile_lines(profiles))
        print(text, flush=True)
        (ROOT / "reports" / "bench_generate_profile.json").write_text(
            json.dumps({"machine": machine(), "command": sys.argv, "profiles": profiles}, indent=1)
            + "\n"
        )
        (ROOT / "reports" / "bench_generate_profile.md").write_text(
            "# Generation profile (`benchmarks/bench_generate.py --profile-scales ...`)\n\n"
            + machine_md(machine())
            + f"\n\nCommand: `python benchmarks/bench_generate.py {' '.join(sys.argv[1:])}`, "
            + f"run {time.strftime('%Y-%m-%d %H:%M')}.{_priority_note()}\n"
            + text
            + "\n"
        )
    if args.whole_only or args.profile_only:
        return
    results: list[dict] = []

    def note(r: dict) -> None:
        print(
            f"{r['generator']} scale {r['scale']:g} {r['format']} w{r['workers']}: "
            f"{r['cells']:,} cells in {r['time_s']:.2f} s ({r['cells'] / r['time_s']:,.0f}/s), "
            f"cpu {r['cpu_s']:.1f} s, peak {r['peak_rss_mb']:.0f} MB (load {r['load']:.1f})",
            flush=True,
        )

    tpc: dict[tuple[float, str], list[dict]] = {}
    small_sf = min(args.tpcgen, default=None)

    def tpcgen_rep(sf: float, fmt: str) -> None:
        r = run_tpcgen(sf, fmt)
        if r:
            note(r)
            tpc.setdefault((sf, fmt), []).append(r)

    for scale in args.scales:
        reps = args.reps if scale <= 100 else args.big_reps
        for fmt in args.formats if scale <= 1000 else args.big_formats:
            runs = []
            for _ in range(reps):
                runs.append(run_ours(scale, fmt, args.workers))
                note(runs[-1])
                if scale in (100, 1000) and fmt == "parquet" and small_sf is not None:
                    tpcgen_rep(small_sf, fmt)  # interleaved, so both see the same machine
            results.append(best(runs))
        if args.before is not None:  # the baseline, interleaved with ours on the same machine
            for dirty in (True, False):
                runs = []
                for _ in range(reps):
                    runs.append(
                        run_ours(scale, "parquet", args.workers, dirty=dirty, tree=args.before)
                    )
                    note(runs[-1])
                results.append(best(runs))
        if scale in args.no_dirty_scales:  # clean tables only: reported as such, never as full
            runs = []
            for _ in range(reps):
                runs.append(run_ours(scale, "parquet", args.workers, dirty=False))
                note(runs[-1])
                if scale in (100, 1000) and small_sf is not None:
                    tpcgen_rep(small_sf, "parquet")
            results.append(best(runs))
        if scale in args.speedup_scales:
            for dirty in (True, False) if scale in args.no_dirty_scales else (True,):
                runs, before = [], []
                for _ in range(reps):  # the baseline's one-worker run beside each of ours
                    runs.append(run_ours(scale, "parquet", 1, dirty=dirty))
                    note(runs[-1])
                    if args.before is not None:
                        before.append(run_ours(scale, "parquet", 1, dirty=dirty, tree=args.before))
                        note(before[-1])
                results.append(best(runs))
                if before:
                    results.append(best(before))
    for fmt in args.formats:  # the larger SFs once (Parquet), SF1 in formats not interleaved
        for sf in args.tpcgen if fmt == "parquet" else sorted(args.tpcgen)[:1]:
            if (sf, fmt) not in tpc:
                tpcgen_rep(sf, fmt)
    for scale in args.spark_scales:
        runs = []
        for _ in range(args.reps if scale <= 10 else 1):
            runs.append(run_ours(scale, "parquet", 2, engine="spark"))
            note(runs[-1])
        results.append(best(runs))
    for runs in tpc.values():
        results.append(best(runs))
    report(results, args)


def _ratio_rows(results: list[dict]) -> list[str]:
    """Our cells/s over tpcgen's (the same format, its best SF), per scale."""
    ref: dict[str, dict] = {}
    for r in results:
        if r["engine"] == "tpcgen":
            rate = r["cells"] / r["time_s"]
            if (
                r["format"] not in ref
                or rate > ref[r["format"]]["cells"] / ref[r["format"]]["time_s"]
            ):
                ref[r["format"]] = r
    rows = []
    for r in results:
        if r["engine"] not in ("local", "before") or r["format"] not in ref:
            continue
        t = ref[r["format"]]
        ours, theirs = r["cells"] / r["time_s"], t["cells"] / t["time_s"]
        proc = (r["cells"] / r["process_s"]) / (t["cells"] / t["process_s"])
        cpu = (r["cells"] / r["window_cpu_s"]) / (t["cells"] / t["window_cpu_s"])
        workers = int(r["workers"])
        bound = max(r.get("main_cpu_s", 0.0), r["window_cpu_s"] / workers)
        rows.append(
            f"| {r['scale']:g} | {r['format']} | {r['workers']} | "
            f"{'full (clean + dirty)' if r.get('dirty', True) else 'clean only (--no-dirty)'}"
            f"{', before: ' + Path(str(r.get('tree'))).name if r['engine'] == 'before' else ''} | "
            f"{ours / 1e6:,.2f} M | "
            f"SF{t['scale']:g}: {theirs / 1e6:,.2f} M | **{ours / theirs:.2f}x** | {proc:.2f}x | "
            f"{cpu:.2f}x | {(r['cells'] / bound) / (t['cells'] / (t['cpu_s'] / 2)):.2f}x | "
            f"{r['all_cells'] / r['time_s'] / 1e6:,.2f} M |"
        )
    return rows


def report_whole(wholes: list[dict]) -> None:
    """Section 'generate-whole' of reports/benchmarks.md (and its json)."""
    info = machine()
    lines = [
        "## The whole default run: time and peak memory (`benchmarks/bench_generate.py`)",
        "",
        machine_md(info),
        "",
        f"Command: `python benchmarks/bench_generate.py {' '.join(sys.argv[1:])}`, "
        f"run {time.strftime('%Y-%m-%d %H:%M')}.",
        *whole_lines(wholes),
    ]
    data = {"machine": info, "command": sys.argv, "whole_runs": wholes}
    write_section("generate-whole", "\n".join(lines), data)


def _priority_note() -> str:
    """How the runs were scheduled: at real-time priority (``chrt -f N python ...``, inherited
    by every run) the other processes of a shared machine wait, so walls approach a quiet
    machine's; said in the report, since the load average then means little."""
    if os.sched_getscheduler(0) not in (os.SCHED_FIFO, os.SCHED_RR):
        return ""
    return (
        " **Run at real-time priority** (`chrt -f`): other processes waited while each run "
        "ran, so wall times approach a quiet machine's; the load column is the others' load."
    )


def report(results: list[dict], args: argparse.Namespace) -> None:
    info = machine()
    lines = [
        "## Generation throughput (`benchmarks/bench_generate.py`)"
        + ("" if args.section == "generate" else f": {args.section}"),
        "",
        machine_md(info),
        "",
        f"Command: `python benchmarks/bench_generate.py {' '.join(sys.argv[1:])}`, "
        f"run {time.strftime('%Y-%m-%d %H:%M')}; {tpcgen_version() or 'tpcgen-cli'} from "
        "`pip install -e '.[bench]'` (or the binary named by `TPCGEN_CLI`)." + _priority_note(),
        "",
        "What is measured: each run in a fresh process. **gen s**: `run_generate(..., "
        "etl=False)` (clean + dirty tables, metadata, labels; lineage is bench_lineage's), "
        "best of the repetitions listed. **process s**: the whole process, interpreter start "
        "and imports included (tpcgen's only time). **cells**: rows x columns of the clean "
        "tables (data/); **all cells** adds the dirty copies (data_dirty/), also written. "
        "**cpu s**: the process and its workers, during the generation call / the whole "
        "process (tpcgen: the process). **peak MB**: the process tree polled every "
        "0.1 s, sum of RSS (shared pages counted in every worker, an upper bound) / sum of "
        "PSS. **load**: the 1-minute load average when the run started (2 cores; the machine "
        "is shared, so wall times vary; ratios compare runs interleaved in the same "
        "benchmark).",
        "",
        "| generator | scale | format | workers | cells | all cells | gen s (reps) | process s "
        "| cells/s | cpu s gen / process | cells/cpu-s | peak MB rss / pss | MB on disk "
        "(+dirty) | load |",
        "|---|---:|---|---:|---:|---:|---|---:|---:|---:|---:|---:|---:|---:|",
    ]
    for r in results:
        times = ", ".join(f"{t:.2f}" for t in r["times_s"])
        disk = f"{r['bytes'] / 2**20:,.1f}"
        if r.get("dirty_bytes"):
            disk += f" (+{r['dirty_bytes'] / 2**20:,.1f})"
        lines.append(
            f"| {r['generator']} | {r['scale']:g} | {r['format']} | {r['workers']} | "
            f"{r['cells']:,} | {r['all_cells']:,} | {r['time_s']:.2f} ({times}) | "
            f"{r['process_s']:.2f} | {r['cells'] / r['time_s']:,.0f} | "
            f"{r['window_cpu_s']:.1f} / {r['cpu_s']:.1f} | "
            f"{r['cells'] / r['window_cpu_s']:,.0f} | "
            f"{r['peak_rss_mb']:,.0f} / {r['peak_pss_mb']:,.0f} | {disk} | {r['load']:.1f} |"
        )
    lines += [
        "",
        "### Ratio to tpcgen-cli (cells/s, the same format, its faster SF of this run)",
        "",
        "**ratio**: our cells/s (gen s) over tpcgen's best cells/s of the run (wall, "
        "process). **ratio, cpu**: cells per CPU-second over tpcgen's, which the load hardly "
        "moves. **ratio, 2-core bound**: both as if each had the 2 cores to itself: ours "
        "cells / max(main process CPU, all CPU / workers), tpcgen's cells / (its CPU / 2); a "
        "projection for an idle machine from CPU seconds, not a measurement.",
        "",
        "**run**: *full* writes the clean tables and their dirty copies with labels (the "
        "default); *clean only* is `generate --no-dirty` (no data_dirty/, no anomaly labels). "
        "Both count the clean cells only.",
        "",
        "| scale | format | workers | run | ours (gen s) | tpcgen | ratio | ratio, process s | "
        "ratio, cpu | ratio, 2-core bound | ours, all cells |",
        "|---:|---|---:|---|---:|---:|---:|---:|---:|---:|---:|",
        *_ratio_rows(results),
    ]
    speedups = []
    for r in results:
        if r["engine"] == "local" and r["workers"] == 1:
            two = next(
                (
                    x
                    for x in results
                    if x["engine"] == "local"
                    and x.get("dirty", True) == r.get("dirty", True)
                    and x["workers"] == args.workers
                    and x["scale"] == r["scale"]
                    and x["format"] == r["format"]
                ),
                None,
            )
            if two:
                speedups.append(
                    f"| {r['scale']:g} | {'full' if r.get('dirty', True) else 'clean only'} | "
                    f"{r['time_s']:.2f} | {two['time_s']:.2f} | "
                    f"**{r['time_s'] / two['time_s']:.2f}x** | "
                    f"{r['window_cpu_s']:.1f} / {two['window_cpu_s']:.1f} |"
                )
    if speedups:
        lines += [
            "",
            f"### Speed-up from 1 to {args.workers} workers (parquet, gen s)",
            "",
            f"| scale | run | 1 worker | {args.workers} workers | speed-up | "
            f"cpu s (1 / {args.workers}) |",
            "|---:|---|---:|---:|---:|---:|",
            *speedups,
        ]
    sparks = []
    for r in results:
        if r["engine"] == "spark":
            local = next(
                (
                    x
                    for x in results
                    if x["engine"] == "local"
                    and x.get("dirty", True)
                    and x["scale"] == r["scale"]
                    and x["format"] == r["format"]
                    and x["workers"] == 2
                ),
                None,
            )
            if local:
                sparks.append(
                    f"| {r['scale']:g} | {local['time_s']:.2f} | {r['time_s']:.2f} | "
                    f"{r['process_s']:.2f} | "
                    f"{local['peak_rss_mb']:,.0f} / {r['peak_rss_mb']:,.0f} |"
                )
    if sparks:
        lines += [
            "",
            "### Local (2 processes) vs Spark `local[2]` (parquet; the same output bytes)",
            "",
            "Spark's time includes starting the session (a JVM and its Python workers). A "
            "family of one chunk (all of them below scale 20) runs in the driver, so Spark is "
            "measured from scale 100.",
            "",
            "| scale | local gen s | spark gen s | spark process s | peak MB local / spark |",
            "|---:|---:|---:|---:|---:|",
            *sparks,
        ]
    kept = [r for r in results if r.get("kept_mb") and r["engine"] == "local"]
    if kept:
        biggest = max(kept, key=lambda r: r["scale"])
        sizes = ", ".join(f"{k} {v:,.1f} MB" for k, v in sorted(biggest["kept_mb"].items()))
        lines += [
            "",
            f"Tables kept in memory for popularity lookups at scale {biggest['scale']:g}: {sizes}.",
        ]
    data = {
        "machine": info,
        "command": sys.argv,
        "results": [{k: v for k, v in r.items()} for r in results],
    }
    write_section(args.section, "\n".join(lines), data)


if __name__ == "__main__":
    main()
