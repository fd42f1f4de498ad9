"""Benchmark the synthesizers: fit / sample time, peak memory and SDMetrics quality.

Dataset: customers -> orders -> transactions (+ products, not modeled: its key is re-attached).
It comes from ``synthgen_sdv.generate.engine.generate_dataset`` when that exists and works,
else from ``tests.fixtures.demo`` (segment -> income -> order count / basket, seasonal
dates, amount = price x qty x (1 - discount)).

Each measurement runs in its own subprocess so peak memory (RSS of the process tree, polled
with psutil) is not polluted by earlier runs. Quality is
``sdmetrics.reports.multi_table.QualityReport`` on the modeled tables, called directly (sdv
1.37.4's ``evaluate_quality`` wrapper breaks with sdmetrics 0.32).

    python benchmarks/bench_synth.py                  # main table + ablation, scales 1 and 10
    python benchmarks/bench_synth.py --quick          # scale 1, no ablation, no stock

Writes reports/bench_synth.json and reports/bench_synth.md.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import subprocess
import sys
import threading
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "benchmarks"))
from _report import REPORTS, write_section  # noqa: E402  (a sibling module, not a package)

MODELED = ["customers", "orders", "transactions"]
BASE_CUSTOMERS = 1000

# (label, synthesizer, params): the ablation switches one choice of "hma" at a time
MAIN = [
    ("hma_stock", "hma_stock", {}),
    ("hma", "hma", {}),
    ("gaussian_copula", "gaussian_copula", {}),
]
ABLATION = [
    (
        "hma, stock settings (vectorization only)",
        "hma",
        {"rules": [], "shrinkage": 0.0, "truncnorm_fit": "mle", "calibrate_counts": False},
    ),
    ("hma, no column treatment", "hma", {"rules": []}),
    ("hma, without 'discrete'", "hma", {"rules": ["quantile", "ordered"]}),
    ("hma, without 'quantile'", "hma", {"rules": ["discrete", "ordered"]}),
    ("hma, 'log' instead of 'quantile'", "hma", {"rules": ["discrete", "log", "ordered"]}),
    ("hma, without 'ordered'", "hma", {"rules": ["discrete", "quantile"]}),
    ("hma, without 'shares'", "hma", {"rules": ["discrete", "quantile", "ordered", "normal"]}),
    ("hma, shrinkage 0", "hma", {"shrinkage": 0.0}),
    ("hma, shrinkage 20", "hma", {"shrinkage": 20.0}),
    ("hma, no count calibration", "hma", {"calibrate_counts": False}),
    ("hma, root truncnorm", "hma", {"root_distribution": "truncnorm"}),
    ("hma, truncnorm by SLSQP", "hma", {"truncnorm_fit": "mle"}),
    ("gaussian_copula, no column treatment", "gaussian_copula", {"rules": []}),
]


def load_dataset(n_customers: int, seed: int, data: str = "demo"):
    """(tables, metadata dict, source) for about ``n_customers`` customers.

    ``project``: the project's own rule-based generator on configs/ (what ``fit-sample``
    learns from: ``fitting.bootstrap`` + ``fitting.fit_metadata``); ``demo``:
    ``tests.fixtures.demo`` (richer numeric columns: price, qty, discount, amount).
    """
    if data == "project":
        from synthgen_sdv.runs.config import load_project
        from synthgen_sdv.runs.fitting import bootstrap, fit_metadata
        from synthgen_sdv.schema.plan import resolve_plan

        plan = resolve_plan(
            load_project(ROOT / "configs"), seed=seed, scale=n_customers / BASE_CUSTOMERS
        )
        tables, meta = fit_metadata(plan, bootstrap(plan, progress=False), MODELED)
        return tables, meta, "synthgen_sdv.runs.fitting.bootstrap on configs/ (project generator)"
    from tests.fixtures.demo import demo_metadata, demo_tables

    return (
        demo_tables(n_customers, seed=seed),
        demo_metadata().to_dict(),
        "tests.fixtures.demo",
    )


def quality(real: dict, synthetic: dict, metadata: dict) -> dict:
    from sdmetrics.reports.multi_table import QualityReport

    report = QualityReport()
    report.generate(real_data=real, synthetic_data=synthetic, metadata=metadata, verbose=False)
    props = report.get_properties()
    return {
        "overall": float(report.get_score()),
        **{row.Property: float(row.Score) for row in props.itertuples()},
    }


def dependence(tables: dict) -> dict:
    """Cross-table dependencies QualityReport barely sees: Spearman correlation of a
    customer's income with their number of orders and with their mean lines per order."""
    import pandas as pd

    c = tables["customers"].set_index("customer_id")
    n_orders = tables["orders"].groupby("customer_id").size().reindex(c.index, fill_value=0)
    lines = tables["transactions"].groupby("order_id").size()
    orders = tables["orders"].assign(lines=tables["orders"]["order_id"].map(lines).fillna(0))
    per_order = orders.groupby("customer_id")["lines"].mean().reindex(c.index)
    income = pd.to_numeric(c["income"])
    return {
        "income~n_orders": float(income.corr(n_orders, method="spearman")),
        "income~lines_per_order": float(income.corr(per_order, method="spearman")),
    }


def integrity(out: dict, tables: dict, metadata: dict) -> int:
    """Number of foreign-key values (modeled or re-attached) that do not resolve."""
    bad = 0
    for r in metadata["relationships"]:
        child, parent = r["child_table_name"], r["parent_table_name"]
        if child not in out:
            continue
        source = out if parent in out else tables
        keys = set(source[parent][r["parent_primary_key"]].dropna())
        bad += int((~out[child][r["child_foreign_key"]].dropna().isin(keys)).sum())
    return bad


def run_one(
    label: str,
    name: str,
    params: dict,
    n_customers: int,
    seed: int,
    sample_scale: float,
    data: str = "demo",
) -> dict:
    """One fit + sample + quality, in this process; prints a JSON line."""
    import warnings

    warnings.filterwarnings("ignore")
    from synthgen_sdv.synth import SYNTHESIZERS

    tables, md_dict, source = load_dataset(n_customers, seed=0, data=data)
    # import time (2-4 s: sdv pulls in sdmetrics and torch) is not fit time
    import sdv.multi_table  # noqa: F401

    synth = SYNTHESIZERS.get(name)(seed=seed, **params)
    t0, c0 = time.perf_counter(), time.process_time()
    synth.fit(tables, md_dict, modeled=MODELED)
    t1, c1 = time.perf_counter(), time.process_time()
    out = synth.sample(sample_scale)
    t2, c2 = time.perf_counter(), time.process_time()
    sub = {
        "tables": {t: md_dict["tables"][t] for t in MODELED},
        "relationships": [
            r
            for r in md_dict["relationships"]
            if r["parent_table_name"] in MODELED and r["child_table_name"] in MODELED
        ],
    }
    real = {t: tables[t] for t in MODELED}
    q = quality(real, out, sub) if sample_scale == 1 else {}
    dep_real, dep_synth = dependence(real), dependence(out)
    return {
        "label": label,
        "data": data,
        "synthesizer": name,
        "params": synth.params()["params"],
        "customers": n_customers,
        "seed": seed,
        "sample_scale": sample_scale,
        "source": source,
        "rows_real": {t: len(tables[t]) for t in MODELED},
        "rows_synthetic": {t: len(out[t]) for t in MODELED},
        "fit_s": round(t1 - t0, 2),
        "sample_s": round(t2 - t1, 2),
        "fit_cpu_s": round(c1 - c0, 2),
        "sample_cpu_s": round(c2 - c1, 2),
        "dangling_keys": integrity(out, tables, md_dict),
        "quality": q,
        "dependence": {
            "real": dep_real,
            "synthetic": dep_synth,
            "mean_abs_error": round(
                sum(abs(dep_real[k] - dep_synth[k]) for k in dep_real) / len(dep_real), 4
            ),
        },
    }


def measure(
    label: str,
    name: str,
    params: dict,
    n_customers: int,
    seed: int,
    sample_scale: float = 1.0,
    data: str = "demo",
) -> dict:
    """Run ``run_one`` in a subprocess and poll its tree's RSS for the peak."""
    import psutil

    cmd = [
        sys.executable,
        __file__,
        "--one",
        json.dumps([label, name, params, n_customers, seed, sample_scale, data]),
    ]
    env = dict(os.environ, PYTHONPATH=str(ROOT))
    proc = subprocess.Popen(cmd, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, env=env)
    peak = 0
    stop = threading.Event()

    def poll():
        nonlocal peak
        while not stop.is_set():
            try:
                p = psutil.Process(proc.pid)
                rss = p.memory_info().rss + sum(
                    c.memory_info().rss for c in p.children(recursive=True)
                )
                peak = max(peak, rss)
            except psutil.Error:
                pass
            time.sleep(0.2)

    thread = threading.Thread(target=poll, daemon=True)
    thread.start()
    out, err = proc.communicate()
    stop.set()
    thread.join()
    if proc.returncode != 0:
        raise RuntimeError(f"{label} failed:\n{err[-3000:]}")
    result = json.loads(out.strip().splitlines()[-1])
    result["peak_rss_mb"] = round(peak / 2**20)
    print(
        f"{label:45s} n={n_customers:6d} fit {result['fit_s']:7.1f}s sample "
        f"{result['sample_s']:7.1f}s peak {result['peak_rss_mb']:5d} MB quality "
        f"{result['quality'].get('overall', float('nan')):.3f}",
        file=sys.stderr,
        flush=True,
    )
    return result


def versions() -> dict:
    import importlib.metadata as im

    out = {
        "python": platform.python_version(),
        "machine": platform.machine(),
        "cpus": os.cpu_count(),
    }
    for pkg in ("sdv", "rdt", "copulas", "sdmetrics", "numpy", "scipy", "pandas"):
        out[pkg] = im.version(pkg)
    return out


def fmt_q(q: dict, key: str) -> str:
    return f"{q[key]:.3f}" if key in q else "-"


def write_reports(results: dict, out_dir: Path) -> None:
    out_dir.mkdir(parents=True, exist_ok=True)
    (out_dir / "bench_synth.json").write_text(json.dumps(results, indent=2) + "\n")
    v = results["versions"]
    lines = [
        "# Synthesizer benchmark (customers -> orders -> transactions)",
        "",
        f"Machine: {v['cpus']} cores ({v['machine']}), shared with other jobs. Python "
        f"{v['python']}, sdv {v['sdv']}, rdt {v['rdt']}, copulas {v['copulas']}, "
        f"sdmetrics {v['sdmetrics']}, numpy {v['numpy']}, scipy {v['scipy']}, "
        f"pandas {v['pandas']}.",
        "Data: "
        + "; ".join(f"`{k}` = {v}" for k, v in results["sources"].items())
        + ". Modeled: customers, orders, transactions; keys to other tables (products, stores, "
        "...) are re-attached and PII columns regenerated. Produced by "
        "`python benchmarks/bench_synth.py --seeds 0,1` (`--data project --no-ablation --merge` "
        "re-measures one dataset into an existing report).",
        "Quality: SDMetrics multi-table QualityReport of the sample at scale 1 against the "
        "real tables (`intertable` is `nan` when no cross-table pair passes SDMetrics' "
        "association threshold; the overall score then averages the other three). "
        "Dependence error: mean absolute difference, real vs synthetic, of the Spearman "
        "correlations income~orders per customer and income~mean transactions per order. "
        "Peak memory: RSS of the measuring subprocess tree. Times are wall-clock seconds with "
        "the process CPU seconds in parentheses: other jobs shared the 2 cores, so CPU "
        "seconds are the fairer comparison.",
        "",
        "| data | run | customers | fit s (cpu) | sample s (cpu) | peak MB | quality | shapes "
        "| pair trends "
        "| cardinality | intertable | dependence error | dangling keys |",
        "|---|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|",
    ]
    for r in results["runs"]:
        q = r["quality"]
        lines.append(
            f"| {r['data']} | {r['label']} | {r['customers']} | {r['fit_s']} ({r['fit_cpu_s']}) | "
            f"{r['sample_s']} ({r['sample_cpu_s']}) | "
            f"{r['peak_rss_mb']} | {fmt_q(q, 'overall')} | {fmt_q(q, 'Column Shapes')} | "
            f"{fmt_q(q, 'Column Pair Trends')} | {fmt_q(q, 'Cardinality')} | "
            f"{fmt_q(q, 'Intertable Trends')} | {r['dependence']['mean_abs_error']} | "
            f"{r['dangling_keys']} |"
        )
    for data, speed in results.get("speedup", {}).items():
        lines += [
            "",
            f"## Speed-up of `hma` over `hma_stock` ({data} data, 1,000 customers, seed 0)",
            "",
        ]
        for k, val in speed.items():
            lines.append(f"- {k}: {val}")
    ablation = [
        r
        for r in results["runs"]
        if r["label"].startswith(("hma,", "gaussian_copula,")) and r["quality"]
    ]
    where = ablation[0]["data"] if ablation else None
    base = [
        r["quality"]["overall"]
        for r in results["runs"]
        if r["label"] == "hma" and r["customers"] == BASE_CUSTOMERS and r["data"] == where
    ]
    if base and ablation:
        ref = sum(base) / len(base)
        lines += [
            "",
            f"## Ablation ({where} data, 1,000 customers): quality change against `hma` "
            f"defaults ({ref:.3f}, mean of {len(base)} seeds; seed-to-seed spread is about "
            "0.005)",
            "",
        ]
        for r in ablation:
            lines.append(
                f"- {r['label']}: {r['quality']['overall'] - ref:+.3f} "
                f"(pair trends {r['quality']['Column Pair Trends']:.3f}, "
                f"cardinality {r['quality']['Cardinality']:.3f})"
            )
    if results.get("notes"):
        lines += ["", "## Notes", ""] + [f"- {n}" for n in results["notes"]]
    (out_dir / "bench_synth.md").write_text("\n".join(lines) + "\n")
    if out_dir.resolve() == REPORTS.resolve():
        write_section("synth", index_section(lines, results), results)


def index_section(lines: list[str], results: dict) -> str:
    """The default-config rows of the table for reports/benchmarks.md."""
    head = [ln for ln in lines if ln.startswith("| data |") or ln.startswith("|---")][:2]
    rows = [ln for ln in lines if ln.startswith("| project |")]
    speed = results.get("speedup", {}).get("project", {})
    return "\n".join(
        [
            "## Synthesizers on the default config (`benchmarks/bench_synth.py`)",
            "",
            "customers -> orders -> transactions of the default config (the rule-based bootstrap "
            "at 1,000 and 10,000 customers), fast `hma` next to stock HMA with default settings "
            "(`hma_stock`) and `gaussian_copula`. Quality: SDMetrics multi-table QualityReport of "
            "the sample against the data it was fitted on. Times: wall seconds (CPU seconds); "
            "the 2 cores were shared with other jobs, so CPU seconds are the fairer comparison.",
            "",
            *head,
            *rows,
            "",
            *(
                f"- speed-up of `hma` over `hma_stock` at 1,000 customers, {k}: {v}"
                for k, v in speed.items()
            ),
            "",
            "The demo-data runs and the measured effect of each column-treatment choice are in "
            "`reports/bench_synth.md`.",
        ]
    )


def summarize(runs: list[dict]) -> dict:
    """Speed-up of hma over hma_stock per dataset (1,000 customers, first seed)."""
    speedup = {}
    for data in dict.fromkeys(r["data"] for r in runs):
        stock = [r for r in runs if r["label"] == "hma_stock" and r["data"] == data]
        fast = [
            r
            for r in runs
            if r["label"] == "hma" and r["data"] == data and r["customers"] == BASE_CUSTOMERS
        ]
        if not (stock and fast):
            continue
        s, f = stock[0], fast[0]
        stock_cpu = s["fit_cpu_s"] + s["sample_cpu_s"]
        fast_cpu = f["fit_cpu_s"] + f["sample_cpu_s"]
        stock_wall, fast_wall = s["fit_s"] + s["sample_s"], f["fit_s"] + f["sample_s"]
        speedup[data] = {
            "fit (cpu)": f"{s['fit_cpu_s'] / f['fit_cpu_s']:.1f}x ({s['fit_cpu_s']} s -> "
            f"{f['fit_cpu_s']} s)",
            "sample (cpu)": f"{s['sample_cpu_s'] / f['sample_cpu_s']:.1f}x "
            f"({s['sample_cpu_s']} s -> {f['sample_cpu_s']} s)",
            "fit + sample (cpu)": f"{stock_cpu / fast_cpu:.1f}x",
            "fit + sample (wall)": f"{stock_wall / fast_wall:.1f}x",
            "quality": f"{s['quality']['overall']:.3f} -> {f['quality']['overall']:.3f}",
        }
    return speedup


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--one", help=argparse.SUPPRESS)
    ap.add_argument("--quick", action="store_true", help="scale 1, main runs, no stock")
    ap.add_argument("--no-stock", action="store_true", help="skip hma_stock (minutes)")
    ap.add_argument(
        "--stock-scales",
        default="1",
        help="scales at which hma_stock runs too, e.g. 1,10 (10: about 15-20 min)",
    )
    ap.add_argument("--no-ablation", action="store_true")
    ap.add_argument("--scales", default="1,10", help="dataset sizes in units of 1,000 customers")
    ap.add_argument("--seeds", default="0", help="seeds for the main runs, e.g. 0,1,2")
    ap.add_argument(
        "--data",
        default="demo,project",
        help="datasets: demo (synth.demo), project (configs/ via the generator); "
        "the ablation runs on the first",
    )
    ap.add_argument("--out", default=str(ROOT / "reports"))
    ap.add_argument("--from-json", help="only rewrite the .md from this bench_synth.json")
    ap.add_argument(
        "--merge",
        action="store_true",
        help="keep runs of datasets not measured now from the existing json",
    )
    args = ap.parse_args(argv)
    if args.one:
        label, name, params, n, seed, sample_scale, data = json.loads(args.one)
        print(json.dumps(run_one(label, name, params, n, seed, sample_scale, data)))
        return 0

    if args.from_json:
        write_reports(json.loads(Path(args.from_json).read_text()), Path(args.out))
        return 0
    scales = [float(s) for s in args.scales.split(",")] if not args.quick else [1.0]
    seeds = [int(s) for s in args.seeds.split(",")]
    stock_scales = {float(s) for s in args.stock_scales.split(",")}
    datasets = args.data.split(",")
    runs, notes = [], []
    for data in datasets:
        for scale in scales:
            n = int(BASE_CUSTOMERS * scale)
            for label, name, params in MAIN:
                if name == "hma_stock" and (args.quick or args.no_stock):
                    continue
                if name == "hma_stock" and scale > 1 and scale not in stock_scales:
                    note = (
                        f"hma_stock not run at {n} customers: 2-5 minutes at 1,000 "
                        "customers and its per-parent loops grow linearly, so tens of "
                        "minutes here on 2 shared cores"
                    )
                    if note not in notes:
                        notes.append(note)
                    continue
                for seed in seeds[:1] if name == "hma_stock" or scale > 1 else seeds:
                    runs.append(measure(label, name, params, n, seed, data=data))
            if scale == 1 and data == datasets[0] and not (args.quick or args.no_ablation):
                for label, name, params in ABLATION:
                    runs.append(measure(label, name, params, n, seeds[0], data=data))
        if not args.quick and data == datasets[0]:
            runs.append(
                measure(
                    "hma, sample scale 10 from the 1,000-customer fit",
                    "hma",
                    {},
                    BASE_CUSTOMERS,
                    seeds[0],
                    sample_scale=10.0,
                    data=data,
                )
            )

    sources = {d: load_dataset(50, 0, data=d)[2] for d in datasets}
    out_json = Path(args.out) / "bench_synth.json"
    if args.merge and out_json.is_file():  # keep the other datasets' runs from the last run
        old = json.loads(out_json.read_text())
        runs = [r for r in old["runs"] if r["data"] not in datasets] + runs
        notes = list(dict.fromkeys(old.get("notes", []) + notes))
        sources = {**old.get("sources", {}), **sources}
    speedup = summarize(runs)
    results = {
        "schema": "synthgen_sdv.bench_synth",
        "version": 1,
        "versions": versions(),
        "sources": sources,
        "runs": runs,
        "speedup": speedup,
        "notes": notes,
    }
    write_reports(results, Path(args.out))
    print(f"wrote {args.out}/bench_synth.json and .md", file=sys.stderr)
    return 0


if __name__ == "__main__":
    sys.exit(main())
