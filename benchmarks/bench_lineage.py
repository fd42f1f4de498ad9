"""Lineage stage time and peak RSS per scale, before (a git ref) vs this tree: reports/lineage.md

    python benchmarks/bench_lineage.py [--scales 1,10,100] [--seed 42] [--before main]
                                       [--no-before] [--verify] [--whole 100]

Per scale: generate the default config once (Parquet, no ETL), then for each side (``before``:
the package as of ``--before``, extracted with ``git archive``; ``after``: this tree) run
``synthgen lineage --data DIR`` in a fresh process and measure its wall time and peak RSS
(``wait4``: the process's max resident set, DuckDB's threads included). With ``--verify`` also
time ``validate-lineage`` for each side. Then compare the two sides' results: the ``lineage``
labels in labels.json (equal as JSON) and every step output in lineage_data/ (equal as
multisets of rows, by DuckDB ``EXCEPT ALL`` both ways). ``--whole`` scales also time the whole
default run (``generate``, lineage included) per side, its peak RSS covering its workers (their
usage counts in the process's once reaped). Exits 1 when a side fails or the results differ.
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import subprocess
import sys
import tarfile
import tempfile
import time
from io import BytesIO
from pathlib import Path

import duckdb

sys.path.insert(0, str(Path(__file__).resolve().parent))
from _report import REPORTS, machine, machine_md, write_section

ROOT = Path(__file__).resolve().parents[1]
GENERATE = (
    "import sys; from pathlib import Path; "
    "from synthgen_sdv.runs.config import load_project; "
    "from synthgen_sdv.runs.generate import run_generate; "
    "from synthgen_sdv.schema.plan import resolve_plan; "
    "run_generate(resolve_plan(load_project(None), seed=int(sys.argv[2]), "
    "scale=float(sys.argv[3])), Path(sys.argv[1]), ['parquet'], etl=False)"
)


def extract(ref: str, dest: Path) -> str:
    """The package as of git ``ref`` into ``dest``; returns the commit."""
    commit = subprocess.run(
        ["git", "-C", str(ROOT), "rev-parse", ref], check=True, capture_output=True, text=True
    ).stdout.strip()
    tar = subprocess.run(
        ["git", "-C", str(ROOT), "archive", commit, "synthgen_sdv", "configs"],
        check=True,
        capture_output=True,
    ).stdout
    with tarfile.open(fileobj=BytesIO(tar)) as t:
        t.extractall(dest, filter="data")
    return commit


def timed(args: list[str], pythonpath: Path) -> dict:
    """Run ``python args`` with ``pythonpath``: wall seconds, its own peak RSS (``os.wait4``)."""
    env = {**os.environ, "PYTHONPATH": str(pythonpath)}
    with tempfile.TemporaryFile() as out, tempfile.TemporaryFile() as err:
        t = time.perf_counter()
        # cwd: ``python -m`` puts the working folder before PYTHONPATH on sys.path.
        proc = subprocess.Popen(
            [sys.executable, *args], env=env, stdout=out, stderr=err, cwd=pythonpath
        )
        _, status, usage = os.wait4(proc.pid, 0)
        seconds = time.perf_counter() - t
        proc.returncode = os.waitstatus_to_exitcode(status)
        err.seek(0)
        tail = err.read().decode(errors="replace")[-2000:]
    return {
        "seconds": round(seconds, 2),
        "peak_mb": round(usage.ru_maxrss / 1024, 1),  # Linux: kilobytes
        "rc": proc.returncode,
        "stderr_tail": tail,
    }


def snapshot(out: Path, dest: Path) -> None:
    """Keep a side's results (labels, step outputs) before the other side overwrites them."""
    dest.mkdir(parents=True)
    shutil.copytree(out / "lineage_data", dest / "lineage_data")
    labels = json.loads((out / "metadata" / "labels.json").read_text()).get("lineage", [])
    (dest / "labels.json").write_text(json.dumps(labels, indent=1, sort_keys=True))


def compare(before: Path, after: Path) -> dict:
    """Where the two sides' results differ: labels, step output tables (as row multisets)."""
    lb = json.loads((before / "labels.json").read_text())
    la = json.loads((after / "labels.json").read_text())
    by_id_b = {lab["id"] + "@" + lab.get("step", ""): lab for lab in lb}
    by_id_a = {lab["id"] + "@" + lab.get("step", ""): lab for lab in la}
    labels_differ = sorted(
        k for k in by_id_b.keys() | by_id_a.keys() if by_id_b.get(k) != by_id_a.get(k)
    )
    tb = {p.name for p in (before / "lineage_data").glob("*.parquet")}
    ta = {p.name for p in (after / "lineage_data").glob("*.parquet")}
    tables_differ = sorted(tb ^ ta)
    con = duckdb.connect(config={"memory_limit": "1GB", "threads": 1})
    con.execute(f"SET temp_directory = '{after.parent / 'cmp_spill'}'")
    for name in sorted(tb & ta):
        b, a = before / "lineage_data" / name, after / "lineage_data" / name
        rb, ra = f"read_parquet('{b}')", f"read_parquet('{a}')"
        cols_b = [r[0] for r in con.execute(f"DESCRIBE SELECT * FROM {rb}").fetchall()]
        cols_a = [r[0] for r in con.execute(f"DESCRIBE SELECT * FROM {ra}").fetchall()]
        if cols_b != cols_a:
            tables_differ.append(f"{name} (columns)")
            continue
        n = con.execute(
            f"SELECT (SELECT count(*) FROM (SELECT * FROM {rb} EXCEPT ALL SELECT * FROM {ra})) "
            f"+ (SELECT count(*) FROM (SELECT * FROM {ra} EXCEPT ALL SELECT * FROM {rb}))"
        ).fetchone()[0]
        if n:
            tables_differ.append(f"{name} ({n} rows)")
    con.close()
    return {
        "labels": len(la),
        "labels_differ": labels_differ,
        "tables": len(ta),
        "tables_differ": tables_differ,
    }


def bench(scale: float, seed: int, root: Path, sides: dict[str, Path], verify: bool) -> dict:
    out = root / f"scale_{scale:g}"
    t = time.perf_counter()
    subprocess.run(
        [sys.executable, "-c", GENERATE, str(out), str(seed), str(scale)],
        env={**os.environ, "PYTHONPATH": str(ROOT)},
        cwd=ROOT,
        check=True,
    )
    gen_s = time.perf_counter() - t
    rows = (
        duckdb.connect()
        .execute(
            f"SELECT count(*) FROM read_parquet('{out / 'data'}/*.parquet', union_by_name=true)"
        )
        .fetchone()[0]
    )
    result: dict = {"scale": scale, "source_rows": int(rows), "generate_s": round(gen_s, 2)}
    for side, path in sides.items():
        r = timed(["-m", "synthgen_sdv", "lineage", "--data", str(out), "--no-progress"], path)
        entry = {"lineage": r}
        print(f"scale {scale:g} {side} lineage: {r['seconds']} s, {r['peak_mb']} MB", flush=True)
        if r["rc"] == 0 and verify:
            entry["validate"] = timed(["-m", "synthgen_sdv", "validate-lineage", str(out)], path)
            v = entry["validate"]
            print(f"  validate-lineage: {v['seconds']} s, {v['peak_mb']} MB, rc {v['rc']}")
        if r["rc"] == 0:
            snapshot(out, root / f"{out.name}.{side}")
            written = sum(p.stat().st_size for p in (out / "lineage_data").glob("*.parquet"))
            entry["lineage_data_mb"] = round(written / 2**20, 1)
        result[side] = entry
    done = [s for s in sides if result[s]["lineage"]["rc"] == 0]
    if len(done) == 2:
        result["compare"] = compare(root / f"{out.name}.before", root / f"{out.name}.after")
    shutil.rmtree(out, ignore_errors=True)
    for side in sides:
        shutil.rmtree(root / f"{out.name}.{side}", ignore_errors=True)
    return result


def whole(scale: float, seed: int, root: Path, sides: dict[str, Path]) -> dict:
    """The whole default run (``generate``: tables, dirty copies, labels, lineage) per side."""
    result: dict = {"scale": scale}
    for side, path in sides.items():
        out = root / f"whole_{scale:g}_{side}"
        args = ["-m", "synthgen_sdv", "generate", "--scale", f"{scale:g}", "--seed", str(seed)]
        args += ["--format", "parquet", "--out", str(out), "--no-progress"]
        r = timed(args, path)
        print(f"scale {scale:g} {side} whole run: {r['seconds']} s, {r['peak_mb']} MB", flush=True)
        result[side] = {"generate": r}
        shutil.rmtree(out, ignore_errors=True)
    return result


def _cell(r: dict, side: str, what: str = "lineage") -> str:
    e = r.get(side, {}).get(what)
    if e is None:
        return "–"
    if e["rc"] != 0:
        return f"failed (exit {e['rc']})"
    return f"{e['seconds']} s / {e['peak_mb']:,.0f} MB"


def markdown(
    results: list[dict], wholes: list[dict], args, before_commit: str | None, info: dict
) -> str:
    lines = [
        "## Lineage stage: time and peak memory (`benchmarks/bench_lineage.py`)",
        "",
        f"Default config, seed {args.seed}, Parquet. Each cell: wall time / peak RSS of "
        "`synthgen lineage --data DIR` in a fresh process (the ETL run with its faults, "
        "OpenLineage events, labels and lineage_data/ written). *before*: the package at "
        f"`{args.before}` ({(before_commit or '')[:10]}), the lineage pipeline over in-memory "
        "Arrow tables; *after*: this tree, DuckDB with a memory limit "
        "($SYNTHGEN_LINEAGE_MEMORY_MB, default 384 MB) spilling to disk, reading Parquet and "
        "streaming each step output to Parquet. *same results*: the labels are equal as JSON and "
        "every lineage_data table holds the same rows.",
        "",
        "| scale | source rows | before | after | time after/before | memory after/before "
        "| validate before | validate after | same results |",
        "|---|---|---|---|---|---|---|---|---|",
    ]
    for r in results:
        b, a = r.get("before", {}).get("lineage"), r.get("after", {}).get("lineage")
        ratio_t = ratio_m = "–"
        if b and a and b["rc"] == 0 and a["rc"] == 0:
            ratio_t = f"{a['seconds'] / b['seconds']:.2f}"
            ratio_m = f"{a['peak_mb'] / b['peak_mb']:.2f}"
        c = r.get("compare")
        same = "–"
        if c:
            differ = c["labels_differ"] + c["tables_differ"]
            same = (
                f"yes ({c['labels']} labels, {c['tables']} tables)"
                if not differ
                else "NO: " + ", ".join(differ)
            )
        lines.append(
            f"| {r['scale']:g} | {r['source_rows']:,} | {_cell(r, 'before')} | "
            f"{_cell(r, 'after')} | {ratio_t} | {ratio_m} | {_cell(r, 'before', 'validate')} | "
            f"{_cell(r, 'after', 'validate')} | {same} |"
        )
    if wholes:
        lines += [
            "",
            "The whole default run, `generate --scale N --format parquet` (tables, dirty copies, "
            "labels and the lineage pipeline), wall time / peak RSS of the process and its "
            "workers:",
            "",
            "| scale | before | after | memory after/before |",
            "|---|---|---|---|",
        ]
        for r in wholes:
            b, a = r.get("before", {}).get("generate"), r.get("after", {}).get("generate")
            ratio = "–"
            if b and a and b["rc"] == 0 and a["rc"] == 0:
                ratio = f"{a['peak_mb'] / b['peak_mb']:.2f}"
            lines.append(
                f"| {r['scale']:g} | {_cell(r, 'before', 'generate')} | "
                f"{_cell(r, 'after', 'generate')} | {ratio} |"
            )
    lines += ["", f"Command: `python benchmarks/bench_lineage.py {args.argv}`", ""]
    lines += [machine_md(info), ""]
    return "\n".join(lines)


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--scales", default="1,10,100")
    ap.add_argument("--seed", type=int, default=42)
    ap.add_argument("--before", default="main", help="git ref of the 'before' side")
    ap.add_argument("--no-before", action="store_true", help="measure this tree only")
    ap.add_argument("--verify", action="store_true", help="also time validate-lineage")
    ap.add_argument("--before-max-scale", type=float, default=float("inf"))
    ap.add_argument(
        "--whole", default="", help="scales at which to also measure the whole default run"
    )
    args = ap.parse_args()
    args.argv = " ".join(sys.argv[1:])
    results = []
    before_commit = None
    with tempfile.TemporaryDirectory(prefix="bench-lineage-") as tmp:
        root = Path(tmp)
        sides: dict[str, Path] = {}
        if not args.no_before:
            before_commit = extract(args.before, root / "before")
            sides["before"] = root / "before"
        sides["after"] = ROOT
        for scale in [float(s) for s in args.scales.split(",")]:
            chosen = {
                k: v for k, v in sides.items() if k == "after" or scale <= args.before_max_scale
            }
            results.append(bench(scale, args.seed, root, chosen, args.verify))
        wholes = []
        for scale in [float(s) for s in args.whole.split(",") if s]:
            chosen = {
                k: v for k, v in sides.items() if k == "after" or scale <= args.before_max_scale
            }
            wholes.append(whole(scale, args.seed, root, chosen))
    info = machine()
    md = markdown(results, wholes, args, before_commit, info)
    data = {
        "machine": info,
        "before": {"ref": args.before, "commit": before_commit},
        "results": results,
        "whole_run": wholes,
    }
    write_section("lineage", md, data)
    (REPORTS / "lineage.md").write_text("# Lineage stage benchmark\n\n" + md.split("\n", 1)[1])
    failed = [
        r
        for r in results
        for s in ("before", "after")
        if s in r and any(r[s][w]["rc"] != 0 for w in ("lineage", "validate") if w in r[s])
    ]
    failed += [r for r in wholes for s in ("before", "after") if s in r and r[s]["generate"]["rc"]]
    differ = [
        r
        for r in results
        if r.get("compare") and (r["compare"]["labels_differ"] or r["compare"]["tables_differ"])
    ]
    return 1 if failed or differ else 0


if __name__ == "__main__":
    sys.exit(main())
