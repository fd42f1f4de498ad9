"""Child counts conditioned on the parent (``synth.counts``): artifact check and holdout scores.

Two measurements per corpus database (as ``fit-sample --data-dir`` reads it: detected keys),
each for ``hma`` with its count model (``count_model=True``, the default) and without it
(``count_model=False``: one global rank calibration of counts, the previous default):

- ``artifacts``: fit on every table, sample as many rows, and run the comparison report's
  per-column artifact check (``evaluate.metrics.artifacts.column_artifacts``) of the output
  against the input: failing columns and the worst one; fit and sample CPU seconds of this
  process (the count model's cost), and the relations that got a count model;
- ``holdout``: the report's holdout protocol (``bench_crosstable.run``: split by root entity,
  fit on train, score against the holdout) averaged over ``--seeds``: Quality and its four
  properties.

    python benchmarks/bench_counts.py                           # both, every database, 3 seeds
    python benchmarks/bench_counts.py --phases artifacts        # the artifact check only
    python benchmarks/bench_counts.py --dbs adventureworks_dw --seeds 0
    python benchmarks/bench_counts.py --out part --variants "count model"   # apart, then:
    python benchmarks/bench_counts.py --merge --merge-from part --phases ""  # folded in

Writes reports/counts.json and reports/counts.md after every run (``--merge`` keeps the
earlier rows of runs not repeated).
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
import bench_crosstable  # noqa: E402  (a sibling module)
from _report import REPORTS, machine, machine_md  # noqa: E402
from bench_realdb import PROPERTIES, _commit, databases, load  # noqa: E402

from synthgen_sdv.synth.treatment import DEFAULT_RULES  # noqa: E402

VARIANTS = {
    "count model": {"count_model": True},
    "global counts": {"count_model": False},
    # the default without one treatment rule each (``synth.treatment``): what the rule buys
    "no unique": {"rules": tuple(r for r in DEFAULT_RULES if r != "unique")},
    "no repeated": {"rules": tuple(r for r in DEFAULT_RULES if r != "repeated")},
    "no unordered": {"rules": tuple(r for r in DEFAULT_RULES if r != "unordered")},
    "no dates": {"rules": tuple(r for r in DEFAULT_RULES if r != "dates")},
}
for _name, _params in VARIANTS.items():  # the holdout runs through bench_crosstable's runner
    bench_crosstable.VARIANTS[f"hma {_name}"] = ("hma", _params)
OUT = "counts"  # reports/<out>.json and .md (--out)


def artifacts(db: str, variant: str, work: Path, seed: int = 0) -> dict[str, Any]:
    """Fit on every table, sample as many rows, and check every column for artifacts."""
    warnings.filterwarnings("ignore")
    from synthgen_sdv.core.progress import QUIET
    from synthgen_sdv.evaluate.metrics.artifacts import column_artifacts, skip_columns
    from synthgen_sdv.runs.fit_sample import fit
    from synthgen_sdv.runs.from_user import UserSource
    from synthgen_sdv.runs.sample import sample

    user = load(db, "detected", work)
    source = UserSource(user=user, seed=seed)
    modeled = source.default_tables()
    cpu = time.process_time()
    fitted = fit(source, "hma", modeled, params=dict(VARIANTS[variant]), progress=QUIET)
    fit_cpu = time.process_time() - cpu
    cpu = time.process_time()
    out = sample(fitted, 1.0)
    sample_cpu = time.process_time() - cpu
    reference, meta, _root, _ = source.study_setup(modeled)
    synthetic = {t: out.tables[t] for t in meta["tables"]}
    res = column_artifacts(reference, synthetic, skip=skip_columns(meta))
    failing = res[~res["ok"].astype(bool)]
    worst = res.sort_values("excess", ascending=False).iloc[0].to_dict() if len(res) else {}
    # the bare rule (no sampling-noise allowance): twice the real share plus one point
    bare = column_artifacts(reference, synthetic, skip=skip_columns(meta), noise_z=0.0)
    # where one row is more than half a point, any new value breaks the bare rule: not shown
    rows = bare["table"].map(lambda t: min(len(reference[t]), len(synthetic[t])))
    bare = bare[rows >= BARE_MIN_ROWS]
    bare_failing = bare[bare["excess"] > 0]
    # close: over-represented (a constant column is at its allowance, 100% -> 100%, not close)
    close = bare[(bare["excess"] > -BARE_CLOSE) & (bare["synthetic_share"] > bare["real_share"])]
    model = fitted.synthesizer.model
    return {
        "db": db,
        "variant": variant,
        "seed": seed,
        "columns": len(res),
        "failing": [f"{r.table}.{r.column} = {r.value}" for r in failing.itertuples()],
        "worst": {k: _plain(worst.get(k)) for k in ("table", "column", "value", "real_share")}
        | {"synthetic_share": _plain(worst.get("synthetic_share"))},
        "bare_failing": [_over(r) for r in bare_failing.itertuples()],
        "bare_close": [_over(r) for r in close.itertuples()],
        "fit_cpu_s": round(fit_cpu, 2),
        "sample_cpu_s": round(sample_cpu, 2),
        "count_bins": model.describe_counts() if hasattr(model, "describe_counts") else [],
    }


#: a column within this many share points of failing the bare rule is listed as close
BARE_CLOSE = 0.005
#: tables with fewer rows (real or synthetic) are left out of the bare-rule listing
BARE_MIN_ROWS = 200


def _over(r: Any) -> str:
    """One column against the bare rule: its worst value, both shares and the excess."""
    return (
        f"{r.table}.{r.column} = {r.value}: {_pct(r.real_share)} -> {_pct(r.synthetic_share)} "
        f"({100 * r.excess:+.1f} points)"
    )


def _plain(value: Any) -> Any:
    if hasattr(value, "item"):
        return value.item()
    return value if isinstance(value, int | float | str | None) else str(value)


def _pct(v: Any) -> str:
    return "-" if v is None else f"{100 * v:.1f}%"


_f = bench_crosstable._f  # a score with three decimals, "-" when missing


def markdown(doc: dict) -> str:
    """Both tables, the count model's rows beside the global calibration's."""
    lines = [
        "# Child counts conditioned on the parent (synth/counts.py)",
        "",
        "Written by `python benchmarks/bench_counts.py` on a shared 2-core machine (CPU "
        "seconds are indicative under load). Runs: "
        + "; ".join(
            f"{h['date']} {h['phases']} (load average at start {h['load']}, code {h['commit']})"
            for h in doc.get("history") or [{**doc, "phases": "all", "commit": None}]
        )
        + ". "
        "`count model` = hma's default with the per-bin count model; `global counts` = "
        "`count_model=False`, one rank calibration of all parents' counts (the previous "
        "default); `no unique` / `no repeated` = the default without that treatment rule "
        f"(`synth.treatment`). d Quality is against `{doc.get('reference', 'global counts')}`.",
        "",
        "## Artifact check (fit on every table, sample as many rows, seed 0)",
        "",
        "| database | variant | columns | failing | worst value (real -> synthetic share) | "
        "fit CPU s | sample CPU s | relations with a count model |",
        "|---|---|---:|---:|---|---:|---:|---:|",
    ]
    for r in sorted(doc["artifacts"], key=lambda r: (r["db"], r["variant"])):
        if "error" in r:
            lines.append(f"| {r['db']} | {r['variant']} | failed: {r['error'][:100]} |")
            continue
        w = r["worst"]
        worst = (
            f"{w['table']}.{w['column']} = {w['value']}: {_pct(w['real_share'])} -> "
            f"{_pct(w['synthetic_share'])}"
        )
        lines.append(
            f"| {r['db']} | {r['variant']} | {r['columns']} | {len(r['failing'])} | {worst} | "
            f"{r['fit_cpu_s']} | {r['sample_cpu_s']} | {len(r['count_bins'])} |"
        )
    failing = [f for r in doc["artifacts"] for f in r.get("failing", ())]
    lines += ["", f"Failing columns over all rows: {failing or 'none'}.", ""]
    lines += [
        "Under the bare rule (no sampling-noise allowance: no value above twice its real "
        f"share plus one point), columns over it or within {100 * BARE_CLOSE:g} points of it, "
        f"in tables of at least {BARE_MIN_ROWS} rows:",
        "",
    ]
    for r in sorted(doc["artifacts"], key=lambda r: (r["db"], r["variant"])):
        over = set(r.get("bare_failing", ()))
        for c in r.get("bare_close", ()):
            lines.append(
                f"- {r['db']} ({r['variant']}): {'**over**' if c in over else 'close'} {c}"
            )
    lines.append("")
    lines += ["## Holdout protocol (mean over the seeds shown)", ""]
    lines += [
        "| database | variant | seeds | Quality | " + " | ".join(PROPERTIES) + " | d Quality |",
        "|---|---|---|---:|---:|---:|---:|---:|---:|",
    ]
    reference = f"hma {doc.get('reference', 'global counts')}"
    ref = {r["db"]: r for r in doc["holdout"] if r.get("variant") == reference}
    for r in sorted(doc["holdout"], key=lambda r: (r["db"], r["variant"])):
        if "error" in r or r.get("quality") is None:
            lines.append(f"| {r['db']} | {r['variant']} | failed: {r.get('error', '')[:100]} |")
            continue
        base = ref.get(r["db"], {}).get("quality")
        d = "-" if base is None else f"{r['quality'] - base:+.3f}"
        seeds = ",".join(str(s) for s in r.get("seeds") or [r.get("seed", 0)])
        props = " | ".join(_f(r["properties"][p]) for p in PROPERTIES)
        lines.append(
            f"| {r['db']} | {r['variant']} | {seeds} | {_f(r['quality'])} | {props} | {d} |"
        )
    lines.append("")
    lines += _before_after(doc)
    for note in doc.get("notes", []):
        lines += [note, ""]
    lines.append(machine_md(doc["machine"]))
    return "\n".join(lines) + "\n"


def _before_after(doc: dict) -> list[str]:
    """The holdout rows against the same variant's rows of an earlier report (``--before``):
    Quality and each property, after minus before."""
    before = doc.get("before")
    if not before:
        return []
    path = REPORTS / f"{before}.json"
    old = {(r["db"], r["variant"]): r for r in json.loads(path.read_text()).get("holdout", [])}
    lines = [
        f"## Against `reports/{before}.json` (the same variant and seeds, earlier code)",
        "",
        "| database | variant | Quality before | Quality now | d Quality | "
        + " | ".join(f"d {p}" for p in PROPERTIES)
        + " |",
        "|---|---|---:|---:|---:|" + "---:|" * len(PROPERTIES),
    ]
    for r in sorted(doc["holdout"], key=lambda r: (r["db"], r["variant"])):
        b = old.get((r["db"], r["variant"]))
        if b is None or r.get("quality") is None or b.get("quality") is None:
            continue
        props = " | ".join(
            f"{r['properties'][p] - b['properties'][p]:+.3f}"
            if r["properties"].get(p) is not None and b["properties"].get(p) is not None
            else "-"
            for p in PROPERTIES
        )
        lines.append(
            f"| {r['db']} | {r['variant']} | {_f(b['quality'])} | {_f(r['quality'])} | "
            f"{r['quality'] - b['quality']:+.3f} | {props} |"
        )
    return [*lines, ""]


def write(doc: dict, out: str = OUT) -> None:
    """The JSON and the markdown, after every run."""
    (REPORTS / f"{out}.json").write_text(json.dumps(doc, indent=2, default=str) + "\n")
    (REPORTS / f"{out}.md").write_text(markdown(doc))


def _keep(rows: list[dict], db: str, variant: str) -> list[dict]:
    return [r for r in rows if (r["db"], r["variant"]) != (db, variant)]


def main(argv: list[str] | None = None) -> int:
    import os

    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--dbs", default="", help="comma-separated (default: the whole corpus)")
    p.add_argument("--phases", default="artifacts,holdout")
    p.add_argument("--variants", default=",".join(VARIANTS))
    p.add_argument("--seeds", default="0,1,2", help="holdout synthesizer seeds, averaged")
    p.add_argument("--merge", action="store_true", help="keep earlier rows not re-run")
    p.add_argument("--reference", default="global counts", help="the variant d Quality is against")
    p.add_argument("--before", default="", help="reports/<name>.json to compare holdout rows with")
    p.add_argument("--out", default=OUT, help="reports/<out>.json and .md")
    p.add_argument(
        "--merge-from", default="", help="comma-separated other reports/<name>.json to fold in"
    )
    args = p.parse_args(argv)
    dbs = args.dbs.split(",") if args.dbs else list(databases())
    variants = args.variants.split(",")
    phases = args.phases.split(",")
    seeds = [int(s) for s in args.seeds.split(",")]
    doc: dict[str, Any] = {"artifacts": [], "holdout": [], "notes": []}
    path = REPORTS / f"{args.out}.json"
    if args.merge and path.exists():
        doc = json.loads(path.read_text())
    for name in filter(None, args.merge_from.split(",")):  # runs made apart (in parallel)
        other = json.loads((REPORTS / f"{name}.json").read_text())
        for phase in ("artifacts", "holdout"):
            for row in other.get(phase, []):
                doc[phase] = [*_keep(doc.get(phase, []), row["db"], row["variant"]), row]
        doc.setdefault("history", []).extend(other.get("history", []))
    doc["reference"] = args.reference
    doc["before"] = args.before or doc.get("before")
    doc.update(
        date=time.strftime("%Y-%m-%d %H:%M UTC", time.gmtime()),
        load=[round(x, 1) for x in os.getloadavg()],
        machine=machine(),
    )
    doc.setdefault("history", []).append(
        {
            "date": doc["date"],
            "load": doc["load"],
            "phases": ",".join(phases),
            "commit": _commit(),
        }
    )
    with tempfile.TemporaryDirectory() as tmp:
        work = Path(tmp)
        for db in dbs:
            for variant in variants:
                if "artifacts" in phases:
                    try:
                        row = artifacts(db, variant, work)
                    except Exception as exc:  # a row that says how it failed
                        row = {"db": db, "variant": variant, "error": repr(exc)}
                    doc["artifacts"] = [*_keep(doc["artifacts"], db, variant), row]
                    print(json.dumps(row, default=str), flush=True)
                    write(doc, args.out)
                if "holdout" in phases:
                    name = f"hma {variant}"
                    try:
                        row = bench_crosstable.run(db, name, work, seeds)
                    except Exception as exc:
                        row = {"db": db, "variant": name, "error": repr(exc)}
                    doc["holdout"] = [*_keep(doc["holdout"], db, name), row]
                    print(json.dumps({k: row.get(k) for k in ("db", "variant", "quality")}))
                    write(doc, args.out)
    write(doc, args.out)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
