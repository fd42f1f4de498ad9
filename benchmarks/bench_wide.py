"""Wide tables: `hma` fit + sample CPU and peak memory, this tree against a base commit.

RDT's ``HyperTransformer`` applies each column's transformer to a copy of the whole table (so a
table's transform is quadratic in its columns), and a copula's correlation was pandas' pairwise
loop (rows x columns^2 scalar steps: a parent carrying a wide child's per-parent parameters
has thousands of columns under HMA). This script builds a two-table database (``accounts`` ->
``events``, ``events`` with W columns of every kind: numbers with and without nulls, integers,
categories, dates, flags), writes it as CSV and runs ``runs.fit_sample.fit`` then
``runs.sample.sample`` on it, as ``fit-sample --data-dir`` does, in a fresh process per cell,
with this tree's package and with ``git archive BASE``'s. The sampled tables are hashed (names,
dtypes, values): ``synth.column_loop`` gives RDT's frames exactly, while ``fastmath.pearson``
(above its threshold) changes the correlation in its last bits and so the draws.
Writes reports/wide.md and reports/wide.json.

    python benchmarks/bench_wide.py --base 33c1b57          # widths 20 40 80, 20,000 events
    python benchmarks/bench_wide.py --widths 40 --rows 5000
"""

from __future__ import annotations

import argparse
import hashlib
import json
import os
import resource
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import numpy as np
import pandas as pd

HERE = Path(__file__).resolve().parent
REPO = HERE.parent
sys.path.insert(0, str(HERE))

from _report import REPORTS, export_commit, machine, machine_md  # noqa: E402

KINDS = ("amount", "count", "kind", "day", "flag", "score")


def build(folder: Path, width: int, rows: int, seed: int = 0) -> None:
    """``accounts`` (rows / 20) and ``events`` (``rows``, ``width`` columns) as CSV files."""
    rng = np.random.default_rng(seed)
    parents = max(rows // 20, 1)
    accounts = pd.DataFrame(
        {
            "account_id": np.arange(1, parents + 1),
            "region": rng.choice(["north", "south", "east", "west"], parents),
            "opened": pd.Timestamp("2015-01-01")
            + pd.to_timedelta(rng.integers(0, 2000, parents), "D"),
        }
    )
    events = {
        "event_id": np.arange(1, rows + 1),
        "account_id": rng.integers(1, parents + 1, rows),
    }
    for i in range(width):
        kind = KINDS[i % len(KINDS)]
        name = f"{kind}_{i}"
        if kind == "amount":
            values = rng.gamma(2.0, 40.0, rows).round(2)
            events[name] = np.where(rng.random(rows) < 0.05, np.nan, values)
        elif kind == "count":
            events[name] = rng.poisson(3 + i % 5, rows)
        elif kind == "kind":
            events[name] = rng.choice([f"c{j}" for j in range(3 + i % 7)], rows)
        elif kind == "day":
            days = rng.integers(0, 1500, rows)
            events[name] = (pd.Timestamp("2020-01-01") + pd.to_timedelta(days, "D")).strftime(
                "%Y-%m-%d"
            )
        elif kind == "flag":
            events[name] = np.where(rng.random(rows) < 0.3, "true", "false")
        else:
            events[name] = rng.normal(0, 1, rows).round(4)
    folder.mkdir(parents=True, exist_ok=True)
    accounts.to_csv(folder / "accounts.csv", index=False)
    pd.DataFrame(events).to_csv(folder / "events.csv", index=False)


def child(folder: str) -> dict:
    """Fit and sample ``folder`` in this process: CPU seconds, peak RSS, table hashes."""
    import warnings

    warnings.filterwarnings("ignore")
    from synthgen_sdv.core.progress import QUIET
    from synthgen_sdv.detect.load import load_user_data
    from synthgen_sdv.runs.fit_sample import fit
    from synthgen_sdv.runs.from_user import UserSource
    from synthgen_sdv.runs.sample import sample

    user = load_user_data(Path(folder))
    source = UserSource(user=user, seed=0)
    start = time.process_time()
    fitted = fit(source, "hma", source.default_tables(), progress=QUIET)
    fit_cpu = time.process_time() - start
    start = time.process_time()
    sampled = sample(fitted, 1.0)
    sample_cpu = time.process_time() - start
    hashes = {  # column names and dtypes, then every value
        name: hashlib.sha256(
            repr(list(frame.dtypes.items())).encode()
            + pd.util.hash_pandas_object(frame, index=False).to_numpy().tobytes()
        ).hexdigest()[:16]
        for name, frame in sorted(sampled.tables.items())
    }
    return {
        "fit_cpu_s": round(fit_cpu, 3),
        "sample_cpu_s": round(sample_cpu, 3),
        "peak_mb": round(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024),
        "hashes": hashes,
    }


def spawn(folder: Path, tree: Path) -> dict:
    """``child`` in a fresh process importing synthgen_sdv from ``tree``."""
    cmd = [sys.executable, str(Path(__file__).resolve()), "--child", str(folder)]
    env = {**os.environ, "PYTHONPATH": str(tree)}
    proc = subprocess.run(cmd, capture_output=True, text=True, check=False, env=env, cwd=tree)
    lines = [ln for ln in proc.stdout.splitlines() if ln.startswith("{")]
    if proc.returncode or not lines:
        return {"error": (proc.stderr or proc.stdout)[-800:]}
    return json.loads(lines[-1])


def export(commit: str) -> Path:
    """``git archive commit`` unpacked in a temporary folder."""
    return export_commit(commit, "bench_wide_base_")


def markdown(doc: dict) -> str:
    base = doc["base"]
    out = [
        "# Wide tables: hma fit + sample against the code before",
        "",
        f"Written by `benchmarks/bench_wide.py` ({doc['command']}). {machine_md(doc['machine'])}"
        f" Load average at start: {doc['load']} on {doc['machine']['cores']} cores (a shared "
        "machine: CPU seconds move less than wall times, but they move).",
        "",
        "`accounts` -> `events` (20 events per account), `events` with W columns besides its "
        "keys, every kind in turn: numbers with 5% nulls, counts, categories, dates, flags, "
        "scores. Each cell: the least of the runs (fresh processes, alternating the trees) of "
        "`fit` + `sample` CPU seconds, as `fit-sample --data-dir` runs them (keys detected, "
        f"seed 0, scale 1), and that process's peak RSS. **before**: `{base}`. **same tables**: "
        "every sampled table hashes the same (names, dtypes, values).",
        "",
        "| W | events | before fit | before sample | before total | now fit | now sample "
        "| now total | speed-up | peak MB before / now | same tables |",
        "|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---|",
    ]
    for row in doc["rows"]:
        a, b = row["before"], row["now"]
        if "error" in a or "error" in b:
            out.append(f"| {row['width']} | {row['rows']} | error: see wide.json |")
            continue
        ta = a["fit_cpu_s"] + a["sample_cpu_s"]
        tb = b["fit_cpu_s"] + b["sample_cpu_s"]
        out.append(
            f"| {row['width']} | {row['rows']:,} | {a['fit_cpu_s']:.2f} | {a['sample_cpu_s']:.2f}"
            f" | {ta:.2f} | {b['fit_cpu_s']:.2f} | {b['sample_cpu_s']:.2f} | {tb:.2f} | "
            f"**{ta / tb:.2f}x** | {a['peak_mb']} / {b['peak_mb']} | "
            f"{'yes' if a['hashes'] == b['hashes'] else 'no'} |"
        )
    return "\n".join(out) + "\n"


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--widths", type=int, nargs="+", default=[20, 40, 80])
    p.add_argument("--rows", type=int, default=20_000)
    p.add_argument("--base", required=False, default="33c1b57", help="the commit to compare")
    p.add_argument("--repeat", type=int, default=1, help="fresh processes per cell (least)")
    p.add_argument("--child", help=argparse.SUPPRESS)
    args = p.parse_args(argv)
    if args.child:
        print(json.dumps(child(args.child)))
        return 0
    load = [round(x, 1) for x in os.getloadavg()]
    trees = {"before": export(args.base), "now": REPO}
    rows = []
    with tempfile.TemporaryDirectory(prefix="bench_wide_") as tmp:
        for width in args.widths:
            folder = Path(tmp) / f"w{width}"
            build(folder, width, args.rows)
            runs: dict[str, list[dict]] = {name: [] for name in trees}
            for _ in range(args.repeat):
                for name, tree in trees.items():
                    runs[name].append(spawn(folder, tree))
            row = {"width": width, "rows": args.rows}
            for name, done in runs.items():
                ok = [r for r in done if "error" not in r]
                row[name] = (
                    min(ok, key=lambda r: r["fit_cpu_s"] + r["sample_cpu_s"]) if ok else done[-1]
                )
            print(json.dumps(row, default=str)[:300], flush=True)
            rows.append(row)
    command = "python benchmarks/bench_wide.py " + " ".join(argv or sys.argv[1:])
    doc = {
        "command": command.strip(),
        "machine": machine(),
        "load": load,
        "base": args.base,
        "rows": rows,
    }
    REPORTS.mkdir(exist_ok=True)
    (REPORTS / "wide.json").write_text(json.dumps(doc, indent=2) + "\n")
    (REPORTS / "wide.md").write_text(markdown(doc))
    print((REPORTS / "wide.md").read_text())
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
