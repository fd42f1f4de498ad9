"""Cross-table fidelity of hma's variants with the report's holdout protocol (issue 10, item 4).

Per corpus database (as ``fit-sample --data-dir`` reads it: detected keys) and variant, the
holdout study of the comparison report (``runs.study.holdout_study`` with the learner of
``UserSource.study_setup``: split by root entity, fit on train, sample as many rows, score
against the holdout): SDMetrics' Quality and its four properties, with Intertable Trends and
Column Pair Trends the ones this is about, and the fit / sample seconds of the holdout fit.
``train (ceiling)`` is the train split scored against the holdout.

Variants are synthesizer parameters (``synth.hma.FastHMA``), the first being the current
default; a variant is kept only if it wins on Intertable / Column Pair Trends without losing
speed. Runs one at a time in this process (the machine is shared).

    python benchmarks/bench_crosstable.py            # every database of DBS, every variant
    python benchmarks/bench_crosstable.py --dbs sakila --variants 'hma (default)'

Writes reports/crosstable.json and reports/crosstable.md.
"""

from __future__ import annotations

import argparse
import json
import sys
import tempfile
import time
import warnings
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "benchmarks"))
from _report import REPORTS, machine, machine_md  # noqa: E402  (a sibling module)
from bench_realdb import PROPERTIES, SEED, holdout, load  # noqa: E402

#: name -> (synthesizer, params); the first is the reference
VARIANTS: dict[str, tuple[str, dict[str, Any]]] = {
    "hma (default)": ("hma", {}),
    "hma conditioning=off": ("hma", {"conditioning": "off"}),
    "hma conditioning=rows": ("hma", {"conditioning": "rows"}),
    "hma before (small_tables=0 repeats=False)": (
        "hma",
        {"small_tables": 0, "repeats": False, "conditioning": "off"},
    ),
    "hma small_tables=0": ("hma", {"small_tables": 0, "conditioning": "off"}),
    "hma repeats=False": ("hma", {"repeats": False, "conditioning": "off"}),
    "hma lookups=False anchors=False": ("hma", {"lookups": False, "anchors": False}),
    "hma clusters=8": ("hma", {"clusters": 8}),
}
DBS = [
    "northwind",
    "pubs",
    "chinook",
    "classicmodels",
    "adventureworks_lt",
    "oracle_hr",
    "oracle_co",
    "oracle_sh",
    "berka",
    "sakila",
    "adventureworks_purchasing",
]
#: run when --variants is not given: the default and what it is measured against
DEFAULT_VARIANTS = ["hma (default)", "hma conditioning=off"]
NOTES = [
    "Variants: the default; `before` = the default of the previous round (no copies, no "
    "repeats); `small_tables=0` and `repeats=False` take one mechanism out (seed 0 only). "
    "small_tables (synth/copies): tables of fewer than 50 rows whose parents are copied too "
    "(lookup tables and their small children) are sampled as copies of their real rows with "
    "their children's parameters. repeats (synth/repeats): a child's category that repeats "
    "its parent's (beyond chance, not a name unique to the parent) gains a modeled 'same as "
    "the parent' flag. Other variants (`lookups=False anchors=False`, `clusters=8`) are kept "
    "for --variants; their last results are in the earlier round below.",
    "Why the scores were low (sdmetrics' per-pair details, bench diagnosis): the tables a "
    "root-entity split does not cut (categories, suppliers, employees, shippers of Northwind; "
    "publishers, stores, titles, sales, jobs of Pubs; MediaType, Genre, Employee of Chinook; "
    "regions, countries, locations, departments, jobs of Oracle HR) are whole in the holdout, "
    "so the ceiling scores 1.0 on every pair in them and between them and their children, "
    "while HMA re-drew them from a copula with as many columns as rows (8 categories, 29 "
    "suppliers, 9 employees): which name goes with which description, price and children was "
    "scrambled. Those pairs were most of the Intertable Trends and Column Pair Trends gap on "
    "Northwind, Pubs, Chinook and Oracle HR. The second pattern, a child category equal to its "
    "parent's (customers.country x orders.ship_country 0.07, ceiling 0.62; Chinook's billing "
    "country is looked up from the address by synth/dependencies already), is what repeats "
    "addresses.",
    "Result (3 seeds, default against before, Quality): Pubs 0.599 -> 0.882 (ceiling 0.897; "
    "CPT 0.394 -> 0.917, IT 0.291 -> 0.760), Northwind 0.624 -> 0.769 (CPT 0.467 -> 0.845, IT "
    "0.442 -> 0.567), Chinook 0.586 -> 0.717 (CPT 0.428 -> 0.626, IT 0.239 -> 0.455), Oracle HR "
    "0.420 -> 0.610 (CPT 0.38 -> 1.00), Adventureworks Purchasing 0.716 -> 0.726, Sakila 0.966 "
    "-> 0.973, ClassicModels 0.630 -> 0.637, Oracle SH 0.803 -> 0.806; equal on Adventureworks "
    "LT (0.671) and Berka (nothing under 50 rows, no repeat); Oracle CO 0.424 -> 0.416 (per "
    "seed 0.357 / 0.456 / 0.434 against 0.439 / 0.440 / 0.392: its entity root is 23 stores, "
    "one holding 70% of the orders, and which 5 stores the score's root subsample draws "
    "decides Cardinality; seed 0 alone read as a 0.08 loss). Cost: Cardinality drops where "
    "copied parents carry their real child counts (Northwind 0.853 -> 0.812, Oracle CO 0.746 "
    "-> 0.711, Oracle HR 0.730 -> 0.706); fit + sample time within the run's noise (same "
    "machine, same run: Northwind 6.7 s vs 6.6 s, Pubs 4.0 s vs 3.4 s, Sakila 11.1 s vs "
    "10.9 s).",
    "Each mechanism alone (seed 0): small_tables carries nearly all of it (Pubs, Northwind, "
    "Chinook, Oracle HR); repeats is active on Northwind only (ship_country), where it lifts "
    "that pair 0.06 -> 0.36 (ceiling 0.62) and ties on Quality (0.771 both; CPT 0.843 vs "
    "0.840, IT 0.560 vs 0.558, Cardinality 0.824 vs 0.839): kept on for the relation it "
    "keeps, a tie rather than a win (repeats=False restores the previous model). An earlier "
    "version also repeated ship_name = company_name, a name unique to its customer: it put 4% "
    "of orders on one name and failed the artifact check; names are no longer repeated.",
    "Did not win or not done: encoding a child category in its parent column's order (so the "
    "copula sees the identity on codes) reached 0.28 on that pair against 0.36 for the flag "
    "and was replaced; clusters=K was not made adaptive (no time: it stays off); conditioning "
    "child columns on parent attributes beyond HMA's extension columns and child-count models "
    "were not tried. The remaining gap is in mid-size tables the threshold leaves to the "
    "copula: Northwind's 77 products, ClassicModels' 110 products (CPT 0.09-0.47 on vendor / "
    "description / price pairs, ceiling 1.0), Chinook's 59 customers. The threshold (50) was "
    "set before measuring, not tuned on the holdout: 100 would copy Northwind's 91 customers, "
    "the entity the split holds out, i.e. score by memorizing it.",
    "Reading the table: d compares with the default's 3-seed mean; the single-seed rows vary "
    "by about +-0.02 Quality with the seed (per-seed scores in reports/crosstable.json), so "
    "compare them with the default's seed 0 there. The single-seed rows were measured before "
    "the last repeats fixes (constants, chance matches, names), which changes the "
    "small_tables=0 rows of Northwind, Adventureworks LT and Purchasing only (they repeated "
    "more columns). Fit / sample seconds are wall times under a load average of about 11 "
    "on 2 cores.",
    "Privacy: copied tables hold real rows (PII columns regenerated); the lineage file lists "
    "them (copied_tables); small_tables=0 turns it off.",
    "Earlier round (2026-11-30 02:30-02:59, one seed, reports/crosstable.json history): the "
    "lookups/anchors default beat both-off on Oracle SH (+0.040), Sakila (+0.038), Berka "
    "(+0.004), tied on Northwind, Pubs, Oracle HR, lost on Adventureworks Purchasing (-0.017); "
    "clusters=8 won on Northwind (+0.019), Sakila (+0.006), Oracle HR (+0.033), lost on Oracle "
    "SH (-0.057) and Berka (-0.005) at 2-10x the time: off by default.",
]


def run(db: str, variant: str, work: Path, seeds: list[int] | None = None) -> dict[str, Any]:
    """Holdout studies of ``variant`` on ``db``, one per synthesizer seed (the split is the
    same for all: seed ``SEED``), averaged; each seed's scores are kept in ``per_seed``."""
    seeds = seeds or [SEED]
    rows = [_run(db, variant, work, seed) for seed in seeds]
    if len(rows) == 1:
        return rows[0]
    out = dict(rows[0])

    def mean(values):
        values = [v for v in values if v is not None]
        return sum(values) / len(values) if values else None

    out["quality"] = mean([r["quality"] for r in rows])
    out["properties"] = {p: mean([r["properties"][p] for r in rows]) for p in PROPERTIES}
    for key in ("fit_s", "sample_s", "study_s"):
        out[key] = round(mean([r[key] for r in rows]), 2)
    out["seeds"] = seeds
    out["per_seed"] = [{"quality": r["quality"], "properties": r["properties"]} for r in rows]
    return out


def _run(db: str, variant: str, work: Path, seed: int) -> dict[str, Any]:
    """One holdout study of ``variant`` on ``db`` with synthesizer seed ``seed``."""
    warnings.filterwarnings("ignore")
    from synthgen_sdv.runs.from_user import UserSource

    model, params = VARIANTS[variant]
    user = load(db, "detected", work)
    source = UserSource(user=user, seed=seed)
    modeled = source.default_tables()
    started = time.perf_counter()
    study, _root = holdout(
        source, model, modeled, params or None, work / f"{db}.{variant}".replace(" ", "_")
    )
    report = study.report
    row, ceiling = report.summary[model], report.summary["train (ceiling)"]
    return {
        "db": db,
        "variant": variant,
        "model": model,
        "params": params,
        "tables": len(modeled),
        "rows": sum(len(user.tables[t]) for t in modeled),
        "quality": row.get("Quality"),
        "properties": {p: row.get(p) for p in PROPERTIES},
        "ceiling": {p: ceiling.get(p) for p in PROPERTIES},
        "fit_s": round(study.stats[model]["fit_seconds"], 2),
        "sample_s": round(study.stats[model]["sample_seconds"], 2),
        "study_s": round(time.perf_counter() - started, 1),
        "seed": seed,
    }


def cost(db: str, variants: list[str], work: Path, repeat: int = 2) -> dict[str, Any]:
    """CPU seconds (this process) of fit + sample on the whole database for each variant,
    the best of ``repeat`` rounds with the variants alternating (so warm-up and load fall on
    all of them alike)."""
    warnings.filterwarnings("ignore")
    from synthgen_sdv.runs.from_user import UserSource

    source = UserSource(user=load(db, "detected", work), seed=SEED)
    best: dict[str, tuple[float, float]] = {}
    for _ in range(repeat):
        for variant in variants:
            model, params = VARIANTS[variant]
            reference, _meta, _root, learner = source.study_setup(
                source.default_tables(), params or None
            )
            t0 = time.process_time()
            fitted = learner.fit(reference, model)
            t1 = time.process_time()
            learner.sample(fitted)
            t2 = time.process_time()
            old = best.get(variant)
            if old is None or (t2 - t0) < sum(old):
                best[variant] = (t1 - t0, t2 - t1)
    return {v: {"fit_cpu": round(f, 2), "sample_cpu": round(s, 2)} for v, (f, s) in best.items()}


def _f(v: Any) -> str:
    return "-" if v is None else f"{v:.3f}"


def markdown(doc: dict) -> str:
    """The report: one row per database and variant, deltas against the default."""
    lines = [
        "# Cross-table fidelity: hma variants under the holdout protocol",
        "",
        f"Measured {doc['date']} with `python benchmarks/bench_crosstable.py "
        f"--dbs ...` on a shared 2-core machine (under load: seconds are "
        "indicative). Holdout protocol of the comparison report: split by root entity "
        "(20% holdout), fit on train, sample as many rows, score against the holdout. "
        "IT = Intertable Trends, CPT = Column Pair Trends; d = difference to `hma (default)`. "
        "Scores are means over the synthesizer seeds shown (one split, seed 0).",
        "",
        "| database | variant | Quality | Shapes | CPT | Cardinality | IT | d CPT | d IT | "
        "fit s | sample s |",
        "|---|---|---|---|---|---|---|---|---|---|---|",
    ]
    ref = {r["db"]: r for r in doc["runs"] if r.get("variant") == next(iter(VARIANTS))}
    names = list(VARIANTS)
    order = sorted(
        doc["runs"],
        key=lambda r: (
            DBS.index(r["db"]) if r["db"] in DBS else len(DBS),
            names.index(r["variant"]) if r["variant"] in names else len(names),
        ),
    )
    for r in order:
        if "error" in r:
            lines.append(f"| {r['db']} | {r['variant']} | failed: {r['error'][:80]} |")
            continue
        p, base = r["properties"], (ref.get(r["db"]) or {}).get("properties", {})

        def d(name: str, p=p, base=base) -> str:
            if p.get(name) is None or base.get(name) is None:
                return "-"
            return f"{p[name] - base[name]:+.3f}"

        seeds = len(r.get("seeds") or [r.get("seed", 0)])
        name = r["variant"] + (f" ({seeds} seeds)" if seeds > 1 else f" (seed {r.get('seed', 0)})")
        lines.append(
            f"| {r['db']} | {name} | {_f(r['quality'])} | {_f(p['Column Shapes'])} | "
            f"{_f(p['Column Pair Trends'])} | {_f(p['Cardinality'])} | "
            f"{_f(p['Intertable Trends'])} | {d('Column Pair Trends')} | "
            f"{d('Intertable Trends')} | {r['fit_s']} | {r['sample_s']} |"
        )
    lines += ["", "Ceiling (train split against the holdout):", ""]
    lines += ["| database | " + " | ".join(PROPERTIES) + " |", "|---|---|---|---|---|"]
    for db, r in ref.items():
        lines.append(f"| {db} | " + " | ".join(_f(r["ceiling"][p]) for p in PROPERTIES) + " |")
    if doc.get("cost"):
        first = next(iter(VARIANTS))
        lines += [
            "",
            f"CPU of fit + sample on the whole database (`--cost`, {doc.get('cost_date', '')}; "
            "process CPU seconds, best of 2 rounds, variants alternating); ratio = the "
            f"variant's total over `{first}`'s:",
            "",
            "| database | variant | fit CPU s | sample CPU s | ratio |",
            "|---|---|---|---|---|",
        ]
        for db, per in doc["cost"].items():
            ref_cpu = per.get(first)
            for variant, c in per.items():
                total = c["fit_cpu"] + c["sample_cpu"]
                ratio = (
                    f"{total / (ref_cpu['fit_cpu'] + ref_cpu['sample_cpu']):.2f}"
                    if ref_cpu and ref_cpu["fit_cpu"] + ref_cpu["sample_cpu"] > 0
                    else "-"
                )
                lines.append(f"| {db} | {variant} | {c['fit_cpu']} | {c['sample_cpu']} | {ratio} |")
    lines += ["", *doc.get("notes", []), "", machine_md(doc["machine"])]
    return "\n".join(lines) + "\n"


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--dbs", default=",".join(DBS))
    p.add_argument("--variants", default=",".join(DEFAULT_VARIANTS))
    p.add_argument(
        "--seeds",
        default="0,1,2",
        help="synthesizer seeds, averaged (the split is the same): one seed's draw decides "
        "which entity rows the score's root subsample holds (Oracle CO: 0.36-0.47)",
    )
    p.add_argument(
        "--merge", action="store_true", help="keep earlier runs of other (database, variant)s"
    )
    p.add_argument(
        "--cost",
        action="store_true",
        help="instead of the holdout studies: CPU of fit + sample on the whole database per "
        "variant (kept with the earlier runs)",
    )
    args = p.parse_args(argv)
    dbs = args.dbs.split(",")
    variants = args.variants.split(",")
    seeds = [int(x) for x in args.seeds.split(",")]
    unknown = [v for v in variants if v not in VARIANTS]
    if unknown:
        p.error(f"unknown variant(s) {unknown}; known: {list(VARIANTS)}")
    doc: dict[str, Any] = {
        "date": time.strftime("%Y-%m-%d %H:%M UTC", time.gmtime()),
        "dbs": dbs,
        "machine": machine(),
        "runs": [],
        "notes": NOTES,
    }
    previous = REPORTS / "crosstable.json"
    if args.cost:
        doc = json.loads(previous.read_text()) if previous.exists() else doc
        doc.setdefault("cost", {})
        doc["cost_date"] = time.strftime("%Y-%m-%d %H:%M UTC", time.gmtime())
        with tempfile.TemporaryDirectory() as tmp:
            for db in dbs:
                doc["cost"][db] = cost(db, variants, Path(tmp))
                print(db, json.dumps(doc["cost"][db]), file=sys.stderr, flush=True)
                previous.write_text(json.dumps(doc, indent=2, default=str))
                (REPORTS / "crosstable.md").write_text(markdown(doc))
        return 0
    if args.merge and previous.exists():
        old = json.loads(previous.read_text())
        doc["dbs"] = [d for d in old["dbs"] if d not in dbs] + dbs
        planned = {(d, v) for d in dbs for v in variants}
        doc["runs"] = [r for r in old["runs"] if (r["db"], r["variant"]) not in planned]
        doc["date"] = f"{old['date']}, {doc['date']}"
    with tempfile.TemporaryDirectory() as tmp:
        for db in dbs:
            for variant in variants:
                try:
                    row = run(db, variant, Path(tmp), seeds)
                except Exception as exc:  # a failed run is a row saying how
                    row = {"db": db, "variant": variant, "error": f"{type(exc).__name__}: {exc}"}
                doc["runs"].append(row)
                print(json.dumps(row, default=str), file=sys.stderr, flush=True)
                (REPORTS / "crosstable.json").write_text(json.dumps(doc, indent=2, default=str))
                (REPORTS / "crosstable.md").write_text(markdown(doc))
    return 0


if __name__ == "__main__":
    sys.exit(main())
