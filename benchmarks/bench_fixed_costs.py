"""Fixed costs of `hma` on small real databases: CPU seconds of fit and sample, by phase.

On databases of a few hundred to a few thousand rows, `hma` fit + sample is dominated by
per-table and per-column costs (copula fits, SDV preprocessing, decompositions), not by rows.
This script measures them as `bench_realdb.py` does (``runs.fit_sample.fit`` and
``runs.sample.sample`` on the corpus database with detected keys, seed 0, CPU seconds of this
process), each database in a fresh process, and splits them into HMA's phases (inclusive
CPU seconds of ``preprocess``, ``_augment_tables``, ``_model_tables``, the outermost
``_sample_children``, ``_assign_other_keys``, ``_finalize``).

    python benchmarks/bench_fixed_costs.py                      # this tree
    python benchmarks/bench_fixed_costs.py --base edcf18a       # and a commit, for before/after
    python benchmarks/bench_fixed_costs.py --stock pubs,northwind   # and stock, for the ratio

``--base`` runs the same measurement with the package of ``git archive <commit>`` (unpacked
in a temporary folder). Ratios are taken within this run. Writes reports/fixed_costs.md
and reports/fixed_costs.json.
"""

from __future__ import annotations

import argparse
import functools
import json
import os
import shutil
import subprocess
import sys
import tempfile
import time
from collections import defaultdict
from pathlib import Path

HERE = Path(__file__).resolve().parent
REPO = HERE.parent
sys.path.insert(0, str(HERE))

from _report import REPORTS, export_commit, machine, machine_md  # noqa: E402  (a sibling module)

DEFAULT_DBS = "pubs,northwind,oracle_hr,chinook"
FIT_PHASES = ("preprocess", "_augment_tables", "_model_tables")
SAMPLE_PHASES = ("_sample_children", "_assign_other_keys", "_finalize")


def child(name: str, model: str) -> dict:
    """One database, one model, in this process: CPU seconds of fit, sample and phases."""
    import warnings

    warnings.filterwarnings("ignore")
    import bench_realdb
    from sdv.multi_table import HMASynthesizer

    from synthgen_sdv.core.progress import QUIET
    from synthgen_sdv.runs.fit_sample import fit
    from synthgen_sdv.runs.from_user import UserSource
    from synthgen_sdv.runs.sample import sample
    from synthgen_sdv.synth.fast_hma import FastHMASynthesizer

    cls = FastHMASynthesizer if model == "hma" else HMASynthesizer
    spent: dict[str, float] = defaultdict(float)
    depth: dict[str, int] = defaultdict(int)

    def timed(method_name: str, method):
        @functools.wraps(method)
        def run(*args, **kwargs):
            depth[method_name] += 1
            start = time.process_time()
            try:
                return method(*args, **kwargs)
            finally:
                depth[method_name] -= 1
                if not depth[method_name]:  # outermost call only (recursive walks)
                    spent[method_name] += time.process_time() - start

        return run

    for method_name in (*FIT_PHASES, *SAMPLE_PHASES):
        if hasattr(cls, method_name):
            setattr(cls, method_name, timed(method_name, getattr(cls, method_name)))
    work = Path(tempfile.mkdtemp(prefix="fixed_costs_"))
    try:
        user = bench_realdb.load(name, "detected", work)
        source = UserSource(user=user, seed=0)
        modeled = source.default_tables()
        start = time.process_time()
        fitted = fit(source, model, modeled, progress=QUIET)
        fit_cpu = time.process_time() - start
        start = time.process_time()
        sampled = sample(fitted, 1.0)
        sample_cpu = time.process_time() - start
    finally:
        shutil.rmtree(work, ignore_errors=True)
    return {
        "db": name,
        "model": model,
        "tables": len(modeled),
        "rows": sum(len(user.tables[t]) for t in modeled),
        "rows_sampled": sum(len(sampled.tables[t]) for t in modeled),
        "fit_cpu_s": round(fit_cpu, 3),
        "sample_cpu_s": round(sample_cpu, 3),
        "phases_cpu_s": {k: round(v, 3) for k, v in spent.items()},
    }


def spawn(tree: Path, name: str, model: str) -> dict:
    """``child`` in a fresh process importing synthgen_sdv from ``tree``."""
    env = {**os.environ, "PYTHONPATH": str(tree)}
    cmd = [sys.executable, str(Path(__file__).resolve()), "--child", name, "--model", model]
    proc = subprocess.run(cmd, env=env, cwd=tree, capture_output=True, text=True, check=False)
    lines = [ln for ln in proc.stdout.splitlines() if ln.startswith("{")]
    if proc.returncode or not lines:
        return {"db": name, "model": model, "error": (proc.stderr or proc.stdout)[-800:]}
    return json.loads(lines[-1])


def best(tree: Path, name: str, model: str, repeat: int) -> dict:
    """The run with the least fit + sample CPU of ``repeat`` fresh processes (stock too)."""
    runs = [spawn(tree, name, model) for _ in range(repeat)]
    ok = [r for r in runs if "error" not in r]
    if not ok:
        return runs[-1]
    out = min(ok, key=lambda r: r["fit_cpu_s"] + r["sample_cpu_s"])
    out["totals_cpu_s"] = [round(r["fit_cpu_s"] + r["sample_cpu_s"], 3) for r in ok]
    return out


def export(commit: str) -> Path:
    """``git archive commit`` unpacked in a temporary folder (only its package is imported:
    the databases are found by this tree's ``bench_realdb``)."""
    return export_commit(commit, "fixed_cost_base_")


def _total(run: dict | None) -> float | None:
    if not run or "error" in run:
        return None
    return run["fit_cpu_s"] + run["sample_cpu_s"]


def _f(x, digits: int = 2) -> str:
    return "n/a" if x is None else f"{x:.{digits}f}"


def _x(a: float | None, b: float | None) -> str:
    return f"{a / b:.1f}x" if a and b else "n/a"


def markdown(doc: dict) -> str:
    """The report: totals before / now / stock per database, then the phases."""
    lines = [
        "# Fixed costs of hma on small databases (CPU seconds)",
        "",
        f"Written by `benchmarks/bench_fixed_costs.py` ({doc['command']}). "
        + machine_md(doc["machine"])
        + f" Load average at start: {doc['load_average']} on {doc['machine']['cores']} cores "
        "(a shared machine: CPU seconds are inflated less than wall times, but still some).",
        "",
        "Each cell is the least fit + sample CPU of "
        f"{doc['repeat']} fresh process(es) (keys detected, seed 0), as `bench_realdb.py` "
        "measures them. `before`: " + (doc.get("base") or "not run") + ".",
        "",
        "| database | tables | rows | before fit | before sample | before total "
        "| now fit | now sample | now total | speed-up | stock total | stock / now |",
        "|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|",
    ]
    for name, row in doc["databases"].items():
        now, base, stock = row.get("now"), row.get("before"), row.get("stock")
        ref = now if now and "error" not in now else {}
        b, n, s = _total(base), _total(now), _total(stock)
        lines.append(
            f"| {name} | {ref.get('tables', '')} | {ref.get('rows', '')} "
            f"| {_f((base or {}).get('fit_cpu_s'))} | {_f((base or {}).get('sample_cpu_s'))} "
            f"| {_f(b)} | {_f(ref.get('fit_cpu_s'))} | {_f(ref.get('sample_cpu_s'))} | {_f(n)} "
            f"| {_x(b, n)} | {_f(s)} | {_x(s, n)} |"
        )
    phases = (*FIT_PHASES, *SAMPLE_PHASES)
    lines += [
        "",
        "## Where the time goes (inclusive CPU seconds per phase of HMA)",
        "",
        "`fit` and `sample` include everything `runs.fit_sample.fit` / `runs.sample.sample` "
        "do (treatments, SDV's preprocessing, restoring keys and PII); the phases are HMA's "
        "methods; `_sample_children` includes the child tables' reverse transforms.",
        "",
        "| database | code | fit | " + " | ".join(phases) + " | sample |",
        "|---|---|---:|" + "---:|" * len(phases) + "---:|",
    ]
    for name, row in doc["databases"].items():
        for label in ("before", "now", "stock"):
            run = row.get(label)
            if not run:
                continue
            if "error" in run:
                lines.append(f"| {name} | {label} | failed: {run['error'][-200:]!r} |")
                continue
            cells = [_f(run["phases_cpu_s"].get(p)) for p in phases]
            lines.append(
                f"| {name} | {label} | {_f(run['fit_cpu_s'])} | "
                + " | ".join(cells)
                + f" | {_f(run['sample_cpu_s'])} |"
            )
    return "\n".join(lines) + "\n"


def main(argv: list[str] | None = None) -> int:
    """Parse arguments; run the children; write the report."""
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--dbs", default=DEFAULT_DBS)
    p.add_argument("--base", help="a commit to measure as 'before' (git archive)")
    p.add_argument(
        "--stock",
        default="",
        help="databases to also run stock HMA on (hma_stock), comma-separated; minutes each",
    )
    p.add_argument("--repeat", type=int, default=1, help="fresh processes per cell (least)")
    p.add_argument("--child", help=argparse.SUPPRESS)
    p.add_argument("--model", default="hma", help=argparse.SUPPRESS)
    args = p.parse_args(argv)
    if args.child:
        print(json.dumps(child(args.child, args.model)))
        return 0
    names = [n for n in args.dbs.split(",") if n]
    base_tree = export(args.base) if args.base else None
    doc = {
        "schema": "synthgen_sdv.bench_fixed_costs",
        "machine": machine(),
        "load_average": [round(x, 1) for x in os.getloadavg()],
        "command": "python benchmarks/bench_fixed_costs.py " + " ".join(argv or sys.argv[1:]),
        "repeat": args.repeat,
        "base": args.base,
        "databases": {},
    }
    try:
        for name in names:
            row: dict = {}
            doc["databases"][name] = row
            if base_tree is not None:
                row["before"] = best(base_tree, name, "hma", args.repeat)
            row["now"] = best(REPO, name, "hma", args.repeat)
            if name in args.stock.split(","):
                row["stock"] = best(REPO, name, "hma_stock", args.repeat)
            print(f"[fixed_costs] {name}: {json.dumps({k: _total(v) for k, v in row.items()})}")
            REPORTS.mkdir(exist_ok=True)
            (REPORTS / "fixed_costs.json").write_text(json.dumps(doc, indent=2) + "\n")
            (REPORTS / "fixed_costs.md").write_text(markdown(doc))
    finally:
        if base_tree is not None:
            shutil.rmtree(base_tree, ignore_errors=True)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
