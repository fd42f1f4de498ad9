"""Benchmark `sample --model-dir` on your own data at scale (issue 11 item 3, flat memory):
one row per database x scale with the rows written, seconds, peak RSS of the process tree,
dangling foreign keys and repeated primary keys (both must be 0).

Each database of the corpus (or berka, from ../shared) is `fit` once with the tree under test
(`--data-dir`, detected metadata, default hma), then sampled at every scale as a subprocess of
the CLI (Parquet, `--seed 0`, `--force`); peak memory is the sum of RSS over the process tree
(psutil, polled every 0.1 s: `_report.TreeMemory`). The output's own metadata
(`metadata/detected_metadata.json`: keys, composite keys, relationships) says what is checked,
reading only the key columns. With `--before TREE` (another checkout, e.g. main) the same
models are sampled by that tree too, in the same run, for a before/after on the same machine.

    python benchmarks/bench_sample_byo.py                           # 5 databases x 1, 4, 16
    python benchmarks/bench_sample_byo.py --dbs berka --scales 1 16 --before /work/main
    python benchmarks/bench_sample_byo.py --quick                    # pubs and berka, 1 and 4

The acceptance: peak RSS at scale 16 within about 1.3x of scale 1, 0 dangling, 0 repeated.
Writes reports/bench_sample_byo.json, reports/bench_sample_byo.md and its section of
benchmarks.md.
"""

from __future__ import annotations

import argparse
import json
import os
import re
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import pyarrow.compute as pc
import pyarrow.parquet as pq

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "benchmarks"))
from _realdb import CORPUS, SHARED  # noqa: E402  (a sibling module)
from _report import REPORTS, TreeMemory, machine, machine_md, write_section  # noqa: E402

DBS = ["pubs", "berka", "sakila", "adventureworks_dw", "mimic_demo"]
SHAPES = {
    "pubs": "many small tables, text keys",
    "berka": "multi-parent (disp: account and client)",
    "sakila": "multi-parent, composite keys, cycles",
    "adventureworks_dw": "deep, composite keys, self references",
    "mimic_demo": "deep and wide (18 tables), left-out links",
}


def data_dir(name: str) -> Path:
    local = CORPUS / name
    return local if local.exists() else SHARED / name


def run(cmd: list[str], tree: Path, progress: bool = False) -> dict:
    """Run the CLI ``cmd`` with ``tree``'s package (its folder is the working directory, which
    ``python -m`` imports first): seconds and peak memory of its process tree; ``progress``
    keeps the stage lines (the batch plan is read from them)."""
    env = {**os.environ, "PYTHONPATH": str(tree)}
    full = [sys.executable, "-m", "synthgen_sdv", *cmd, *([] if progress else ["--no-progress"])]
    started = time.perf_counter()
    proc = subprocess.Popen(
        full, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, cwd=tree, env=env
    )
    memory = TreeMemory(proc.pid)
    out, err = proc.communicate()
    peaks = memory.stop()
    seconds = time.perf_counter() - started
    if proc.returncode != 0:
        raise SystemExit(f"{' '.join(cmd)} failed ({proc.returncode}):\n{err[-3000:]}")
    log = out + err
    return {"seconds": round(seconds, 2), **{k: round(v) for k, v in peaks.items()}, "log": log}


def integrity(out: Path) -> dict:
    """Rows per table, repeated primary keys and dangling foreign keys of the written output,
    as its own metadata declares them (composite keys as the combination)."""
    meta = json.loads((out / "metadata" / "detected_metadata.json").read_text())
    data = out / "data"
    written = {p.stem: p for p in data.glob("*.parquet")}
    rows = {t: pq.ParquetFile(p).metadata.num_rows for t, p in written.items()}
    repeated: dict[str, int] = {}
    keysets: dict[str, set] = {}
    for name, table in meta["tables"].items():
        pk = table.get("primary_key")
        if name not in written or not pk:
            continue
        cols = pk if isinstance(pk, list) else [pk]
        keys = pq.read_table(written[name], columns=cols)
        if len(cols) == 1:
            values = keys.column(0).drop_null()
            repeated[name] = len(values) - len(pc.unique(values))
            keysets[name] = set(pc.unique(values).to_pylist())
        else:
            frame = keys.to_pandas()
            repeated[name] = int(frame.duplicated().sum())
    dangling: dict[str, int] = {}
    for r in meta["relationships"]:
        child, parent = r["child_table_name"], r["parent_table_name"]
        if child not in written or parent not in keysets:
            continue
        col = pq.read_table(written[child], columns=[r["child_foreign_key"]]).column(0)
        values = col.drop_null().to_pylist()
        parents = keysets[parent]
        bad = sum(1 for v in values if v not in parents)
        dangling[f"{child}.{r['child_foreign_key']}->{parent}"] = bad
    return {
        "rows": rows,
        "rows_total": sum(rows.values()),
        "repeated_keys": sum(repeated.values()),
        "dangling_fks": sum(dangling.values()),
        "repeated_by_table": {k: v for k, v in repeated.items() if v},
        "dangling_by_link": {k: v for k, v in dangling.items() if v},
    }


def batches_line(log: str) -> str:
    """The sample's batch plan as its progress says it (one draw when it says nothing)."""
    for line in log.splitlines():
        found = re.search(r"(\d+) batches of up to ([\d.]+)x", line)
        if found:
            return f"{found.group(1)} of {found.group(2)}x"
    return "one draw"


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawTextHelpFormatter)
    ap.add_argument("--dbs", default=",".join(DBS), help="comma-separated database names")
    ap.add_argument("--scales", type=float, nargs="+", default=[1, 4, 16])
    ap.add_argument("--before", type=Path, help="another source tree, sampled in the same run")
    ap.add_argument("--workers", type=int, default=1)
    ap.add_argument("--quick", action="store_true", help="pubs and berka at scales 1 and 4")
    ap.add_argument("--out", default="sample_byo", help="report name (reports/bench_NAME.*)")
    ap.add_argument("--work", type=Path, help="scratch folder (default: a temporary one)")
    ap.add_argument(
        "--fit-sample",
        default="berka",
        help="databases also run whole by `fit-sample --scale N` (fit, sample, write, compare) "
        "at the smallest and largest scale; '' for none",
    )
    args = ap.parse_args()
    dbs = ["pubs", "berka"] if args.quick else args.dbs.split(",")
    scales = [1.0, 4.0] if args.quick else args.scales
    trees = [("after", ROOT)] + ([("before", args.before.resolve())] if args.before else [])
    work = args.work or Path(tempfile.mkdtemp(prefix="bench_sample_byo_"))
    work.mkdir(parents=True, exist_ok=True)
    results: list[dict] = []
    whole: list[dict] = []  # fit-sample runs
    try:
        for db in dbs:
            model = work / f"model_{db}"
            fit = run(
                ["fit", "--data-dir", str(data_dir(db)), "--model-dir", str(model), "--overwrite"],
                ROOT,
            )
            print(f"{db}: fit {fit['seconds']} s, {fit['peak_rss_mb']} MB", flush=True)
            for label, tree in trees:
                for scale in scales:
                    out = work / f"out_{db}"
                    cmd = ["sample", "--model-dir", str(model), "--scale", f"{scale:g}"]
                    cmd += ["--seed", "0", "--format", "parquet", "--out", str(out)]
                    cmd += ["--overwrite", "--force", "--workers", str(args.workers)]
                    got = run(cmd, tree, progress=True)
                    check = integrity(out)
                    row = {
                        "db": db,
                        "shape": SHAPES.get(db, ""),
                        "tree": label,
                        "scale": scale,
                        "seconds": got["seconds"],
                        "peak_rss_mb": got["peak_rss_mb"],
                        "peak_pss_mb": got["peak_pss_mb"],
                        "batches": batches_line(got["log"]),
                        **check,
                    }
                    results.append(row)
                    print(
                        f"  {label} x{scale:g}: {check['rows_total']:,} rows, {got['seconds']} s, "
                        f"{got['peak_rss_mb']} MB, dangling {check['dangling_fks']}, "
                        f"repeated {check['repeated_keys']}",
                        flush=True,
                    )
                    shutil.rmtree(out, ignore_errors=True)
        for db in [d for d in args.fit_sample.split(",") if d] if not args.quick else []:
            for label, tree in trees:
                for scale in sorted({min(scales), max(scales)}):
                    out = work / f"fs_{db}"
                    cmd = ["fit-sample", "--data-dir", str(data_dir(db)), "--scale", f"{scale:g}"]
                    cmd += ["--format", "parquet", "--out", str(out), "--overwrite", "--force"]
                    got = run(cmd, tree)
                    whole.append({"db": db, "tree": label, "scale": scale, **got, "log": None})
                    print(
                        f"  fit-sample {db} {label} x{scale:g}: {got['seconds']} s, "
                        f"{got['peak_single_rss_mb']} MB (largest process), "
                        f"{got['peak_rss_mb']} MB (RSS sum)",
                        flush=True,
                    )
                    shutil.rmtree(out, ignore_errors=True)
    finally:
        if args.work is None:
            shutil.rmtree(work, ignore_errors=True)
    report(results, scales, dbs, trees, args, whole)


def _ratio(results: list[dict], db: str, tree: str, scales: list[float]) -> float | None:
    peak = {r["scale"]: r["peak_rss_mb"] for r in results if r["db"] == db and r["tree"] == tree}
    lo, hi = min(scales), max(scales)
    if lo in peak and hi in peak and peak[lo]:
        return round(peak[hi] / peak[lo], 2)
    return None


def report(
    results: list[dict],
    scales: list[float],
    dbs: list[str],
    trees,
    args,
    whole: list[dict] | None = None,
) -> None:
    info = machine()
    load = os.getloadavg()
    command = "python benchmarks/bench_sample_byo.py " + " ".join(sys.argv[1:])
    lines = [
        "# `sample --model-dir` on your own data at scale: peak memory",
        "",
        machine_md(info),
        f"Load average at the end: {load[0]:.1f} / {load[1]:.1f} / {load[2]:.1f} "
        "(a shared machine: seconds are inflated under load; peaks are not).",
        "",
        f"Command: `{command.strip()}`",
        "",
        "Each run: `sample --model-dir M --scale N --seed 0 --format parquet --force` as a "
        "subprocess; peak RSS summed over its process tree (polled every 0.1 s). Dangling: "
        "foreign key values not among the parent's written keys; repeated: primary keys (or "
        "composite key combinations) written more than once. Both must be 0.",
        "",
        "| database | tree | scale | rows written | seconds | peak RSS MB | dangling FKs "
        "| repeated keys | batches |",
        "|---|---|---:|---:|---:|---:|---:|---:|---|",
    ]
    for r in results:
        lines.append(
            f"| {r['db']} | {r['tree']} | {r['scale']:g} | {r['rows_total']:,} | "
            f"{r['seconds']:.1f} | {r['peak_rss_mb']} | {r['dangling_fks']} | "
            f"{r['repeated_keys']} | {r['batches']} |"
        )
    lines += [
        "",
        f"Peak RSS at scale {max(scales):g} over scale {min(scales):g} (target: at most about "
        "1.3x):",
        "",
        "| database | shape | " + " | ".join(t for t, _ in trees) + " |",
        "|---|---|" + "---:|" * len(trees),
    ]
    ratios = {}
    for db in dbs:
        cells = []
        for label, _ in trees:
            ratio = _ratio(results, db, label, scales)
            ratios[f"{db}/{label}"] = ratio
            cells.append("" if ratio is None else f"{ratio:.2f}x")
        lines.append(f"| {db} | {SHAPES.get(db, '')} | " + " | ".join(cells) + " |")
    if whole:
        lines += [
            "",
            "`fit-sample --data-dir D --scale N` (fit, sample, write, and the comparison report, "
            "whose scoring runs in forked workers: the sum of RSS counts their shared pages once "
            "per process, so the largest single process is given too):",
            "",
            "| database | tree | scale | seconds | largest process MB | RSS sum MB | PSS sum MB |",
            "|---|---|---:|---:|---:|---:|---:|",
        ]
        for r in whole:
            lines.append(
                f"| {r['db']} | {r['tree']} | {r['scale']:g} | {r['seconds']:.1f} | "
                f"{r['peak_single_rss_mb']} | {r['peak_rss_mb']} | {r['peak_pss_mb']} |"
            )
    markdown = "\n".join(lines) + "\n"
    data = {
        "machine": info,
        "load": load,
        "command": command,
        "results": results,
        "fit_sample": whole or [],
        "ratios": ratios,
    }
    name = args.out
    (REPORTS / f"bench_{name}.md").write_text(markdown)
    write_section(name, markdown.replace("# ", "## ", 1), data)
    print(markdown)


if __name__ == "__main__":
    main()
