"""Benchmark multi-parent sampling on real databases: hma vs hma_stock, and the assignment
methods against each other.

Databases (``benchmarks/_realdb.py``): Sakila, Oracle CO, Berka (corpus folders with their
declared keys; the modeled subsets and why are in ``SUBSETS``) and ``generated_9`` (9 tables,
~74k rows, three 3-parent children, from ``tests/configs/multiparent`` by the project's own
engine); plus the default config (``default``, customers -> orders -> transactions) for the
artifact check.

Per database and synthesizer, in a subprocess (peak memory = RSS of its tree, polled): fit and
sample seconds (wall, and CPU), SDMetrics' multi-table QualityReport (called directly:
``QualityReport().generate(real_data=..., synthetic_data=..., metadata=...)``; sdv's
``evaluate_quality`` breaks with sdmetrics 0.32) with its four properties, the shared-ancestor
consistency of every multi-parent child in the real and the synthetic data
(``synth.multiparent.consistency``), the worst single-value share excess over every column
(``evaluate.metrics.artifacts``), and dangling keys. ``hma_stock`` runs with a time limit
(15 minutes for fit + sample by default) and is reported as not finished past it.

Methods: one ``hma`` fit per database, then one sample per assignment method
(``synth.parent_assignment.METHODS``), the default with ``keep_blocks=True`` ("blocks
first": rows of a full block stay in it over capacity) and stock's per-parent-row
assignment run on the same fitted model (``HMASynthesizer._add_foreign_key_columns``,
time-limited): assignment seconds, Intertable Trends and Cardinality of the relationships
whose keys were assigned, consistency.

    python benchmarks/bench_multiparent.py                    # everything (about an hour)
    python benchmarks/bench_multiparent.py --dbs oracle_co --no-stock

Writes reports/bench_multiparent.json and reports/bench_multiparent.md.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import signal
import subprocess
import sys
import threading
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "benchmarks"))
REPORTS = ROOT / "reports"
DBS = ["sakila", "sakila_3", "oracle_co", "berka", "generated_9"]
STOCK_LIMIT_S = 900


# ---------------------------------------------------------------------------- pieces
def load(name: str):
    import _realdb

    from synthgen_sdv.synth.keys import hide_keys

    db = _realdb.generated_db(1.0) if name == "generated_9" else _realdb.load_corpus_db(name)
    return db, hide_keys(db.tables, db.metadata, db.modeled)


def modeled_metadata(hidden, modeled: list[str]) -> dict:
    md = hidden.metadata
    return {
        "tables": {t: md["tables"][t] for t in modeled},
        "relationships": [
            r
            for r in md["relationships"]
            if r["child_table_name"] in modeled and r["parent_table_name"] in modeled
        ],
    }


def quality_report(real: dict, synthetic: dict, metadata: dict):
    from sdmetrics.reports.multi_table import QualityReport

    report = QualityReport()
    report.generate(real_data=real, synthetic_data=synthetic, metadata=metadata, verbose=False)
    return report


def quality(report) -> dict:
    props = report.get_properties()
    return {
        "overall": round(float(report.get_score()), 4),
        **{row.Property: round(float(row.Score), 4) for row in props.itertuples()},
    }


def assessed(real: dict, out: dict, metadata: dict, skip_md: dict) -> dict:
    from synthgen_sdv.evaluate.metrics.artifacts import column_artifacts, skip_columns
    from synthgen_sdv.synth.multiparent import consistency

    rels = metadata["relationships"]
    art = column_artifacts(real, out, skip=skip_columns(skip_md))
    worst = art.iloc[0].to_dict() if len(art) else {}
    real_c = {(r["child"], r["keys"]): r for r in consistency(real, rels)}
    synth_c = {(r["child"], r["keys"]): r for r in consistency(out, rels)}
    cons = [
        {**r, "synthetic": synth_c.get(k, {}).get("rate")}
        for k, r in real_c.items()
        if r["child"] in out
    ]
    dangling = 0
    for r in rels:
        fk = out[r["child_table_name"]][r["child_foreign_key"]].dropna()
        dangling += int((~fk.isin(out[r["parent_table_name"]][r["parent_primary_key"]])).sum())
    return {
        "consistency": cons,
        "worst_column": {k: (v if not hasattr(v, "item") else v.item()) for k, v in worst.items()},
        "failing_columns": int((~art["ok"]).sum()) if len(art) else 0,
        "columns_checked": len(art),
        "top_columns": art.head(5).astype(str).to_dict("records"),
        "dangling_keys": dangling,
    }


def run_synth(name: str, model: str, seed: int = 0) -> dict:
    """Fit + sample + assess one (database, synthesizer) in this process."""
    import warnings

    warnings.filterwarnings("ignore")
    import numpy as np

    from synthgen_sdv.synth import SYNTHESIZERS
    from synthgen_sdv.synth.keys import rebuild_keys

    db, hidden = load(name)
    import sdv.multi_table  # noqa: F401  (import time is not fit time)

    synth = SYNTHESIZERS.get(model)(seed=seed)
    t0, c0 = time.perf_counter(), time.process_time()
    synth.fit(hidden.tables, hidden.metadata, modeled=db.modeled)
    t1, c1 = time.perf_counter(), time.process_time()
    sampled = synth.sample(1.0)
    t2, c2 = time.perf_counter(), time.process_time()
    out, _ = rebuild_keys(sampled, hidden, db.tables, np.random.default_rng(seed))
    out = {t: out[t] for t in db.modeled}
    real = {t: db.tables[t] for t in db.modeled}
    md = modeled_metadata(hidden, db.modeled)
    result = {
        "db": name,
        "model": model,
        "tables": len(db.modeled),
        "rows": db.rows,
        "rows_synthetic": sum(len(v) for v in out.values()),
        "fit_s": round(t1 - t0, 2),
        "sample_s": round(t2 - t1, 2),
        "fit_cpu_s": round(c1 - c0, 2),
        "sample_cpu_s": round(c2 - c1, 2),
        "quality": quality(quality_report(real, out, md)),
        **assessed(real, out, md, db.metadata),
        "notes": db.notes,
    }
    model_obj = getattr(synth, "model", None)
    if hasattr(model_obj, "describe_links"):
        result["links"] = model_obj.describe_links()
        result["assignment"] = {k: vars(v) for k, v in model_obj.last_assignment.items()}
    return result


class _Timeout(Exception):
    pass


def _stock_assign(model, sampled_data) -> None:
    """Stock's key assignment (``_find_parent_ids``: one child model per parent row for every
    child row) on the fast model's sampled tables, relationship by relationship as stock."""
    from sdv.multi_table import HMASynthesizer

    done = set()
    for r in model.metadata.relationships:
        pair = (r["parent_table_name"], r["child_table_name"])
        if pair in done:
            continue
        done.add(pair)
        HMASynthesizer._add_foreign_key_columns(
            model, sampled_data[pair[1]], sampled_data[pair[0]], pair[1], pair[0]
        )


def run_methods(name: str, seed: int = 0, stock_limit: int = 600) -> dict:
    """One hma fit; one sample per assignment method (+ stock's); fidelity of assigned keys."""
    import warnings

    warnings.filterwarnings("ignore")
    import numpy as np

    from synthgen_sdv.synth import SYNTHESIZERS
    from synthgen_sdv.synth.keys import rebuild_keys
    from synthgen_sdv.synth.parent_assignment import METHODS

    db, hidden = load(name)
    synth = SYNTHESIZERS.get("hma")(seed=seed)
    synth.fit(hidden.tables, hidden.metadata, modeled=db.modeled)
    model = synth.model
    links = model._child_links or {}
    assigned = {(links[c].links[fk].parent, c, fk) for c in links for fk in links[c].others()}
    real = {t: db.tables[t] for t in db.modeled}
    md = modeled_metadata(hidden, db.modeled)
    rows = []
    original = model._assign_other_keys
    for method in [*METHODS, "blocks first", *(["stock"] if stock_limit > 0 else [])]:
        spent = {"s": 0.0}

        def timed(sampled_data, method=method, spent=spent):
            start = time.perf_counter()
            if method == "stock":
                _stock_assign(model, sampled_data)
            else:
                original(sampled_data)
            spent["s"] += time.perf_counter() - start

        model._assign_other_keys = timed
        if method == "blocks first":  # the default method, full blocks kept over capacity
            model.configure_multiparent(keep_blocks=True)
        elif method != "stock":
            model.configure_multiparent(method)

        def alarm(*_):
            raise _Timeout

        signal.signal(signal.SIGALRM, alarm)
        signal.alarm(stock_limit if method == "stock" else 0)
        try:
            sampled = synth.sample(1.0)
        except _Timeout:
            rows.append({"method": method, "finished": False, "limit_s": stock_limit})
            continue
        finally:
            signal.alarm(0)
            model._assign_other_keys = original
            model.configure_multiparent()
        out, _ = rebuild_keys(sampled, hidden, db.tables, np.random.default_rng(seed))
        out = {t: out[t] for t in db.modeled}
        report = quality_report(real, out, md)
        picked = {}
        for prop in ("Intertable Trends", "Cardinality"):
            d = report.get_details(prop)
            triples = zip(d["Parent Table"], d["Child Table"], d["Foreign Key"], strict=True)
            keep = [t in assigned for t in triples]
            scores = d.loc[keep, "Score"].dropna()
            picked[prop] = round(float(scores.mean()), 4) if len(scores) else None
        a = assessed(real, out, md, db.metadata)
        over = sum(s.over_capacity for s in (model.last_assignment or {}).values())
        rows.append(
            {
                "method": method,
                "finished": True,
                "assign_s": round(spent["s"], 2),
                "assigned_intertable": picked["Intertable Trends"],
                "assigned_cardinality": picked["Cardinality"],
                "quality": quality(report),
                "consistency": a["consistency"],
                "worst_column": a["worst_column"],
                "over_capacity": over if method != "stock" else None,
                "dangling_keys": a["dangling_keys"],
            }
        )
    return {
        "db": name,
        "assigned": sorted(f"{c}.{f} -> {p}" for p, c, f in assigned),
        "rows": rows,
    }


def run_default(scale: float, seed: int = 42) -> dict:
    """The default config's modeled chain: artifact check and quality, before / after."""
    import warnings

    warnings.filterwarnings("ignore")
    import sdv.multi_table
    import sdv.single_table  # noqa: F401

    from synthgen_sdv.runs import fitting
    from synthgen_sdv.runs.config import load_project
    from synthgen_sdv.schema.plan import resolve_plan

    plan = resolve_plan(load_project(ROOT / "configs"), seed=seed, scale=scale)
    boot = fitting.bootstrap(plan, progress=False)
    modeled = ["customers", "orders", "transactions"]
    _, meta = fitting.fit_metadata(plan, boot, modeled)
    real = {t: boot.tables[t] for t in modeled}
    md = {
        "tables": {t: meta["tables"][t] for t in modeled},
        "relationships": [
            r
            for r in meta["relationships"]
            if r["child_table_name"] in modeled and r["parent_table_name"] in modeled
        ],
    }
    variants = {
        "hma": {},
        "hma, treatment before (categories on [0, 1])": {
            "rules": ["discrete", "quantile", "ordered"],
        },
    }
    out_rows = []
    for label, params in variants.items():
        t0 = time.perf_counter()
        synth = fitting.fit_model(plan, boot, "hma", modeled, progress=False, params=params)
        t1 = time.perf_counter()
        out = fitting.sample_model(plan, boot, synth, modeled, 1.0)
        t2 = time.perf_counter()
        cols = {t: [c for c in md["tables"][t]["columns"] if c in out[t]] for t in modeled}
        report = quality_report(
            {t: real[t][cols[t]] for t in modeled}, {t: out[t][cols[t]] for t in modeled}, md
        )
        q_real = real["transactions"]["quantity"]
        q_syn = out["transactions"]["quantity"]
        top = q_real.max()
        out_rows.append(
            {
                "label": label,
                "fit_s": round(t1 - t0, 2),
                "sample_s": round(t2 - t1, 2),
                "quality": quality(report),
                **assessed(real, out, md, meta),
                "quantity_max": int(top),
                "quantity_max_share": {
                    "real": round(float((q_real == top).mean()), 5),
                    "synthetic": round(float((q_syn == top).mean()), 5),
                },
            }
        )
    return {"db": f"default (bootstrap scale {scale:g})", "rows": out_rows}


# ---------------------------------------------------------------------------- driver
def measure(kind: str, args: list, timeout: float | None = None) -> dict:
    """Run ``kind`` in a subprocess, poll its tree's RSS for the peak, kill it past timeout."""
    import psutil

    cmd = [sys.executable, __file__, "--one", json.dumps([kind, *args])]
    env = dict(os.environ, PYTHONPATH=str(ROOT))
    start = time.perf_counter()
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
    try:
        out, err = proc.communicate(timeout=timeout)
    except subprocess.TimeoutExpired:
        proc.kill()
        proc.communicate()
        stop.set()
        return {
            "kind": kind,
            "args": args,
            "finished": False,
            "limit_s": timeout,
            "peak_rss_mb": round(peak / 2**20),
        }
    finally:
        stop.set()
        thread.join()
    if proc.returncode != 0:
        return {"kind": kind, "args": args, "finished": False, "error": err[-2000:]}
    result = json.loads(out.strip().splitlines()[-1])
    result.update(
        kind=kind,
        args=args,
        finished=True,
        wall_s=round(time.perf_counter() - start, 1),
        peak_rss_mb=round(peak / 2**20),
    )
    return result


def versions() -> dict:
    import importlib.metadata as im

    out = {"python": platform.python_version(), "cpus": os.cpu_count()}
    for pkg in ("sdv", "rdt", "copulas", "sdmetrics", "numpy", "pandas"):
        out[pkg] = im.version(pkg)
    return out


def _q(r: dict, key: str) -> str:
    v = r.get("quality", {}).get(key)
    return "-" if v is None or v != v else f"{v:.3f}"


def _worst(r: dict) -> str:
    w = r.get("worst_column") or {}
    if not w:
        return "-"
    mark = "ok" if w.get("ok") else "**FAIL**"
    return (
        f"{w['table']}.{w['column']} = {str(w['value'])[:19]}: "
        f"{100 * w['real_share']:.2f}% -> {100 * w['synthetic_share']:.2f}% ({mark})"
    )


def _cons(r: dict) -> str:
    parts = []
    for c in r.get("consistency", []):
        syn = c.get("synthetic")
        syn = "-" if syn is None else f"{syn:.2f}"
        parts.append(f"{c['child']}({c['keys']} via {c['through']}) {c['rate']:.2f} -> {syn}")
    return "; ".join(parts) or "-"


def write_report(results: dict) -> None:
    REPORTS.mkdir(exist_ok=True)
    (REPORTS / "bench_multiparent.json").write_text(json.dumps(results, indent=2, default=str))
    v = results["versions"]
    lines = [
        "# Multi-parent sampling on real databases",
        "",
        f"Machine: {v['cpus']} cores, Python {v['python']}, sdv {v['sdv']}, rdt {v['rdt']}, "
        f"copulas {v['copulas']}, sdmetrics {v['sdmetrics']}, numpy {v['numpy']}, pandas "
        f"{v['pandas']}. Written by `python benchmarks/bench_multiparent.py` "
        f"({results['date']}). Quality: SDMetrics multi-table QualityReport of the sample at "
        "scale 1 against the real modeled tables. Consistency: share of a multi-parent "
        "child's rows whose two parents reach the same closest common ancestors, real -> "
        "synthetic. Worst column: the single value most over-represented (synthetic share "
        "above twice the real share + 1 point + 3 binomial s.d.), over every non-key, non-PII "
        "column of every modeled table. Times are wall seconds on a shared 2-core machine.",
        "",
        "## hma vs hma_stock",
        "",
        "| db | tables | rows | model | fit s | sample s | peak MB | quality | shapes | pair "
        "trends | cardinality | intertable | consistency (real -> synthetic) | worst column | "
        "dangling |",
        "|---|---:|---:|---|---:|---:|---:|---:|---:|---:|---:|---:|---|---|---:|",
    ]
    speed = []
    for db in results["dbs"]:
        runs = [r for r in results["synth"] if r.get("args", [None])[0] == db]
        by_model = {r["args"][1]: r for r in runs}
        for r in runs:
            model = r["args"][1]
            if not r.get("finished"):
                why = (
                    f"did not finish in {r['limit_s'] / 60:.0f} min"
                    if r.get("limit_s")
                    else "failed: " + r.get("error", "").strip().splitlines()[-1][:80]
                    if r.get("error")
                    else "failed"
                )
                lines.append(f"| {db} | | | {model} | {why} | | {r.get('peak_rss_mb', '')} |")
                continue
            lines.append(
                f"| {db} | {r['tables']} | {r['rows']:,} | {model} | {r['fit_s']:.1f} | "
                f"{r['sample_s']:.1f} | {r['peak_rss_mb']} | {_q(r, 'overall')} | "
                f"{_q(r, 'Column Shapes')} | {_q(r, 'Column Pair Trends')} | "
                f"{_q(r, 'Cardinality')} | {_q(r, 'Intertable Trends')} | {_cons(r)} | "
                f"{_worst(r)} | {r['dangling_keys']} |"
            )
        fast, stock = by_model.get("hma"), by_model.get("hma_stock")
        if fast and fast.get("finished") and stock and stock.get("finished"):
            ratio = (stock["fit_s"] + stock["sample_s"]) / (fast["fit_s"] + fast["sample_s"])
            speed.append(f"{db}: hma fit + sample is {ratio:.0f}x faster than stock")
        elif fast and fast.get("finished") and stock:
            speed.append(
                f"{db}: stock did not finish within {STOCK_LIMIT_S // 60} min; hma took "
                f"{fast['fit_s'] + fast['sample_s']:.0f} s"
            )
    lines += ["", *[f"- {s}" for s in speed], ""]
    for r in results["synth"]:
        if r.get("finished") and r.get("links"):
            lines.append(f"- {r['args'][0]} (hma): " + "; ".join(r["links"]))
    if results.get("methods"):
        lines += [
            "",
            "## Assignment methods (one hma fit per database, one sample per method)",
            "",
            "Intertable / cardinality: SDMetrics' scores of only the relationships whose key "
            "was assigned (not sampled under). `stock`: stock HMA's per-parent-row "
            "likelihoods on the same fitted model (time-limited).",
            "",
            "| db | method | assign s | intertable (assigned) | cardinality (assigned) | "
            "quality | consistency (real -> synthetic) | over capacity |",
            "|---|---|---:|---:|---:|---:|---|---:|",
        ]
        for m in results["methods"]:
            if not m.get("finished", True) and "rows" not in m:
                lines.append(f"| {m['args'][0]} | failed | | | | | | |")
                continue
            for r in m["rows"]:
                if not r.get("finished"):
                    lines.append(
                        f"| {m['db']} | {r['method']} | > {r['limit_s']} s (stopped) | | | | | |"
                    )
                    continue
                fmt = lambda x: "-" if x is None else f"{x:.3f}"  # noqa: E731
                lines.append(
                    f"| {m['db']} | {r['method']} | {r['assign_s']:.2f} | "
                    f"{fmt(r['assigned_intertable'])} | {fmt(r['assigned_cardinality'])} | "
                    f"{_q(r, 'overall')} | {_cons(r)} | "
                    f"{'-' if r['over_capacity'] is None else r['over_capacity']} |"
                )
    if results.get("default"):
        lines += [
            "",
            "## The default config: discrete spike",
            "",
            "| data | variant | fit s | sample s | quality | shapes | pair trends | "
            "transactions.quantity at its max (real -> synthetic) | worst column |",
            "|---|---|---:|---:|---:|---:|---:|---|---|",
        ]
        for d in results["default"]:
            for r in d.get("rows", []):
                share = r["quantity_max_share"]
                lines.append(
                    f"| {d['db']} | {r['label']} | {r['fit_s']:.1f} | {r['sample_s']:.1f} | "
                    f"{_q(r, 'overall')} | {_q(r, 'Column Shapes')} | "
                    f"{_q(r, 'Column Pair Trends')} | == {r['quantity_max']}: "
                    f"{100 * share['real']:.2f}% -> {100 * share['synthetic']:.2f}% | "
                    f"{_worst(r)} |"
                )
    notes = results.get("notes", [])
    if notes:
        lines += ["", "## Notes", "", *[f"- {n}" for n in notes]]
    (REPORTS / "bench_multiparent.md").write_text("\n".join(lines) + "\n")


NOTES = [
    "Modeled subsets (`benchmarks/_realdb.py`): Sakila staff, customer, inventory, rental, "
    "payment (rental and payment have 3 parents each; store and film left out: as HMA roots "
    "above the chain they would model 32,559 and 9,324 columns); sakila_3: customer, rental, "
    "payment (the three tables of issue 10's measurement, payment under customer and rental); "
    "Oracle CO customers, stores, "
    "products, orders, shipments, order_items (order_items' composite key hidden and rebuilt "
    "with synth/keys.py); Berka district, account, client, disp, loan, order (card left out: "
    "depth 4 under district would model 11,030 columns from 77 rows). Keys are the declared "
    "ones (keys.json), column types SDV's detection.",
    "generated_9: `tests/configs/multiparent` at scale 1 (categories, stores, employees, "
    "suppliers, products, customers, orders, order_lines, payments); orders, order_lines and "
    "payments have 3 parents; order_lines.store_id and payments.employee_id equal their "
    "order's by construction (consistency 1.0).",
]


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--dbs", default=",".join(DBS))
    ap.add_argument("--no-stock", action="store_true")
    ap.add_argument("--no-methods", action="store_true")
    ap.add_argument("--no-default", action="store_true")
    ap.add_argument("--stock-limit", type=int, default=STOCK_LIMIT_S)
    ap.add_argument(
        "--merge",
        action="store_true",
        help="add these databases' runs to the existing report (their hma and stock runs "
        "are still measured together)",
    )
    ap.add_argument("--one", help=argparse.SUPPRESS)
    args = ap.parse_args(argv)
    if args.one:
        kind, *rest = json.loads(args.one)
        fn = {"synth": run_synth, "methods": run_methods, "default": run_default}[kind]
        print(json.dumps(fn(*rest), default=str))
        return 0
    dbs = args.dbs.split(",")
    results = {
        "versions": versions(),
        "date": time.strftime("%Y-%m-%d"),
        "dbs": dbs,
        "synth": [],
        "methods": [],
        "default": [],
        "notes": NOTES,
    }
    previous = REPORTS / "bench_multiparent.json"
    if args.merge and previous.exists():
        old = json.loads(previous.read_text())
        results["dbs"] = [d for d in old["dbs"] if d not in dbs] + dbs
        results["synth"] = [r for r in old["synth"] if r.get("args", [None])[0] not in dbs]
        results["methods"] = [m for m in old["methods"] if m.get("db") not in dbs]
        results["default"] = old.get("default", []) if args.no_default else []
        results["date"] = f"{old['date']}, {results['date']}"

    def save():
        write_report(results)

    for db in dbs:
        r = measure("synth", [db, "hma"])
        print(f"{db} hma: {r.get('fit_s')} / {r.get('sample_s')} s", file=sys.stderr, flush=True)
        results["synth"].append(r)
        save()
    if not args.no_methods:
        for db in dbs:
            results["methods"].append(measure("methods", [db, 0, 600]))
            print(f"{db} methods done", file=sys.stderr, flush=True)
            save()
    if not args.no_default:
        for scale in (1.0, 10.0):
            results["default"].append(measure("default", [scale]))
            print(f"default {scale} done", file=sys.stderr, flush=True)
            save()
    if not args.no_stock:
        for db in dbs:
            r = measure("synth", [db, "hma_stock"], timeout=args.stock_limit)
            print(f"{db} stock: {r.get('finished')}", file=sys.stderr, flush=True)
            results["synth"].append(r)
            save()
    save()
    return 0


if __name__ == "__main__":
    sys.exit(main())
