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
    "hma before (small_tables=0 repeats=False)": ("hma", {"small_tables": 0, "repeats": False}),
    "hma small_tables=0": ("hma", {"small_tables": 0}),
    "hma repeats=False": ("hma", {"repeats": False}),
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
DEFAULT_VARIANTS = ["hma (default)", "hma before (small_tables=0 repeats=False)"]
NOTES = [
    "Variants: the default (labels another column determines are looked up, synth/"
    "dependencies; columns tight to a parent's or their row's column are modeled as an offset, "
    "synth/anchors); both off (the model before them; a left-out link's re-attachment along a "
    "tight pair, detect/graph, is on in every variant: it is not a synthesizer parameter); "
    "ClavaDDPM's relation-aware clustering added (synth/clusters: k-means classes on the joint "
    "of a parent's values and its children's count and means, a categorical column of parent "
    "and child).",
    "Earlier round (same protocol, reports/crosstable.json before this one): shrinkage 0 / 20 "
    "and calibrate_counts=False won on no database on both Intertable and Column Pair Trends; "
    "the defaults were kept.",
    "One seed per cell: differences of a few hundredths are within run-to-run noise; tables of "
    "a handful of rows (northwind's 9 employees) move Column Pair Trends by ninths.",
    "Result (2026-11-30, load average 10-20): the default beats both-off on Quality on "
    "oracle_sh (+0.040: CPT +0.019, IT +0.083), sakila (+0.038: CPT +0.135, IT +0.029), berka "
    "(+0.004: CPT +0.031, IT +0.064, but Cardinality -0.069) and ties on northwind (+0.001; "
    "CPT -0.026 in the 9-row employees table, Cardinality +0.029), pubs and oracle_hr (nothing "
    "found there), but loses on adventureworks_purchasing (-0.017: Cardinality -0.054, IT "
    "-0.018, CPT equal): kept on, that loss open. Clusters=8 wins on northwind (+0.019 "
    "Quality, IT +0.051), sakila "
    "(+0.006) and oracle_hr (+0.033) but loses on oracle_sh (-0.057, IT -0.172) and berka "
    "(-0.005), and costs 2-10x the fit and sample time (sakila: 334 s fit against 36 s): off "
    "by default, kept as the clusters=K option. Rows of pubs, oracle_hr and berka were measured "
    "before the anchors' spike guard (a parent's common value must be as common among the "
    "parents children point at), which changes no anchor on them.",
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
