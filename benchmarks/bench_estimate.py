"""Calibrate the run estimate (runs/estimate.py) against measured runs.

For each run below: the CLI in a subprocess, its estimate line parsed from stderr, its peak RSS
(the process's maximum resident set, from wait4; DuckDB and the lineage pipeline run in the same
process, and every run here uses one worker), the bytes it left in --out and the rows it wrote
(schema_metadata.json). Writes reports/estimate.md and reports/estimate.json.

    python benchmarks/bench_estimate.py            # the runs below (a few minutes)
    python benchmarks/bench_estimate.py --quick    # the two smallest generate runs
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import re
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
REPORTS = ROOT / "reports"

RUNS: list[tuple[str, list[str]]] = [
    ("generate scale 1", ["generate", "--scale", "1"]),
    ("generate scale 10", ["generate", "--scale", "10"]),
    ("generate scale 30", ["generate", "--scale", "30"]),
    ("generate scale 10, parquet only", ["generate", "--scale", "10", "--format", "parquet"]),
    (
        "fit-sample bootstrap 0.5, scale 1",
        ["fit-sample", "--bootstrap-scale", "0.5", "--scale", "1"],
    ),
    (
        "fit-sample bootstrap 1, scale 5, no compare",
        ["fit-sample", "--bootstrap-scale", "1", "--scale", "5", "--no-compare"],
    ),
]
QUICK = RUNS[:2]

_UNITS = {"B": 1, "KB": 1e3, "MB": 1e6, "GB": 1e9, "TB": 1e12, "PB": 1e15}
_LINE = re.compile(
    r"estimate: (?:at least )?([\d,]+) rows in \d+ tables, (?:at least )?([\d,.]+) (\w+) on disk, "
    r"peak memory (?:at least )?([\d,.]+) (\w+)"
)


def _bytes(number: str, unit: str) -> float:
    return float(number.replace(",", "")) * _UNITS[unit]


#: a small launcher process runs the command and reports its rusage: a child forked straight
#: from a large process (a pytest worker) would count the parent's pages in its peak RSS
_LAUNCHER = r"""
import json, os, subprocess, sys
args, log = json.loads(sys.argv[1]), sys.argv[2]
with open(log, "w") as err:
    proc = subprocess.Popen(args, stdout=subprocess.DEVNULL, stderr=err)
    _, status, usage = os.wait4(proc.pid, 0)
print(json.dumps({"code": os.waitstatus_to_exitcode(status), "maxrss": usage.ru_maxrss * 1024}))
"""


def measure(args: list[str], out: Path) -> dict:
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    started = time.perf_counter()
    log = out.parent / "stderr.txt"
    out.parent.mkdir(parents=True, exist_ok=True)
    command = [sys.executable, "-m", "synthgen_sdv", *args, "--out", str(out)]
    launched = subprocess.run(
        [sys.executable, "-c", _LAUNCHER, json.dumps(command), str(log)],
        capture_output=True,
        text=True,
        env=env,
        cwd=str(out.parent),
        check=True,
    )
    result = json.loads(launched.stdout)
    seconds = time.perf_counter() - started
    stderr = log.read_text()
    if result["code"] != 0:
        raise SystemExit(f"{args} failed ({result['code']}):\n{stderr[-3000:]}")
    match = _LINE.search(stderr)
    if match is None:
        raise SystemExit(f"{args}: no estimate line in:\n{stderr[-2000:]}")
    meta = json.loads((out / "metadata" / "schema_metadata.json").read_text())
    rows = sum(t["row_count"] for t in meta["tables"].values())
    disk = sum(p.stat().st_size for p in out.rglob("*") if p.is_file())
    return {
        "seconds": round(seconds, 1),
        "rows": rows,
        "disk_bytes": disk,
        "peak_rss_bytes": result["maxrss"],
        "estimate": {
            "rows": int(match.group(1).replace(",", "")),
            "disk_bytes": _bytes(match.group(2), match.group(3)),
            "peak_memory_bytes": _bytes(match.group(4), match.group(5)),
        },
    }


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--quick", action="store_true")
    opts = parser.parse_args()
    results = []
    for name, args in QUICK if opts.quick else RUNS:
        tmp = Path(tempfile.mkdtemp(prefix="bench-estimate-"))
        try:
            row = {"run": name, "args": args, **measure(args, tmp / "out")}
        finally:
            shutil.rmtree(tmp, ignore_errors=True)
        est = row["estimate"]
        row["ratios"] = {
            "rows": round(est["rows"] / row["rows"], 3),
            "disk": round(est["disk_bytes"] / row["disk_bytes"], 3),
            "memory": round(est["peak_memory_bytes"] / row["peak_rss_bytes"], 3),
        }
        print(name, row["ratios"], flush=True)
        results.append(row)
    write(results)


def write(results: list[dict]) -> None:
    import pandas
    import pyarrow

    machine = {
        "python": platform.python_version(),
        "platform": platform.platform(),
        "cpus": os.cpu_count(),
        "pandas": pandas.__version__,
        "pyarrow": pyarrow.__version__,
    }
    REPORTS.mkdir(exist_ok=True)
    doc = {"schema": "synthgen_sdv.bench_estimate", "version": 1, "machine": machine}
    (REPORTS / "estimate.json").write_text(json.dumps({**doc, "runs": results}, indent=2) + "\n")
    lines = [
        "# The run estimate against measured runs",
        "",
        "`python benchmarks/bench_estimate.py` (see its docstring). Each run is the CLI in a "
        "subprocess; *estimate / measured* is the ratio of the printed estimate to what the run "
        "did: rows written, bytes left in `--out`, peak RSS (wait4's maximum resident set; one "
        "process: one worker, DuckDB in-process). A guard wants ratios at or a little above 1: "
        "below 1 it may let through a run that does not fit; far above, it refuses runs that do.",
        "",
        f"Machine: {machine['platform']}, {machine['cpus']} CPUs, Python {machine['python']}, "
        f"pandas {machine['pandas']}, pyarrow {machine['pyarrow']}.",
        "",
        "| run | rows | est. rows | disk | est. disk | peak RSS | est. peak | rows ratio "
        "| disk ratio | memory ratio | time |",
        "|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|",
    ]
    for r in results:
        e, q = r["estimate"], r["ratios"]
        lines.append(
            f"| {r['run']} | {r['rows']:,} | {e['rows']:,} | {r['disk_bytes'] / 1e6:,.1f} MB "
            f"| {e['disk_bytes'] / 1e6:,.1f} MB | {r['peak_rss_bytes'] / 1e6:,.0f} MB "
            f"| {e['peak_memory_bytes'] / 1e6:,.0f} MB | {q['rows']:.2f} | {q['disk']:.2f} "
            f"| {q['memory']:.2f} | {r['seconds']:.0f} s |"
        )
    (REPORTS / "estimate.md").write_text("\n".join(lines) + "\n")


if __name__ == "__main__":
    main()
