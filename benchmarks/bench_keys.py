"""Detected vs declared keys on the corpus of real databases -> reports/keys.md, reports/keys.json

    python benchmarks/bench_keys.py            # detection only (seconds)
    python benchmarks/bench_keys.py --fit      # also fit-sample --data-dir + validate each one
    python benchmarks/bench_keys.py --fit --scale 1 --timeout 900 --only chinook,pubs
    python benchmarks/bench_keys.py --fit --full --only tpch,mimic_demo,adventureworks_dw
    python benchmarks/bench_keys.py --fit --full --lifecycle --only flight_2,wine_1,college_3

For every database of tests/data/corpus (and Northwind, Berka from ../shared/datasets): keys
detected with no metadata, scored with ``synthgen_sdv.detect.score.score_keys`` (primary and
foreign keys separately: precision, recall, what was missed and invented), the links left out
of the model and why. With ``--fit``, each database also goes through
``python -m synthgen_sdv fit-sample --data-dir D --out O --model hma --no-compare`` with no
metadata edits, then ``validate O``, and every foreign key of the detected schema (the links
left out of the model too) is checked to resolve in the output. ``--full`` runs the default
command instead (``fit-sample --data-dir D --out O``: scale 1 and the holdout comparison), as a
new user would, and reports its stage times (the comparison's too). ``--lifecycle`` also fits
once (``fit --data-dir D --model-dir M``) and samples from the model alone (``sample
--model-dir M --scale 3 --out O``), then validates and checks the foreign keys of ``O``.
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import os
import subprocess
import sys
import tempfile
import time
import warnings
from pathlib import Path

import pandas as pd

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "benchmarks"))

from _report import REPORTS, machine, machine_md  # noqa: E402

from synthgen_sdv.detect.load import load_user_data  # noqa: E402
from synthgen_sdv.detect.score import score_keys  # noqa: E402

CORPUS = ROOT / "tests/data/corpus"
SHARED = ROOT.parent / "shared/datasets"


def databases() -> dict[str, tuple[Path, dict]]:
    dbs = {
        d.name: (d, json.loads((d / "keys.json").read_text()))
        for d in sorted(CORPUS.iterdir())
        if (d / "keys.json").is_file()
    }
    for name in ("northwind", "berka"):
        if (SHARED / name).is_dir():
            keys = json.loads((CORPUS / "_shared_keys" / f"{name}.json").read_text())
            dbs[name] = (SHARED / name, keys)
    return dbs


def detect(folder: Path, keys: dict) -> dict:
    started = time.perf_counter()
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        user = load_user_data(folder)
    seconds = time.perf_counter() - started
    score = score_keys(user.document(), keys).as_dict()
    return {
        "tables": len(user.tables),
        "rows": int(sum(len(t) for t in user.tables.values())),
        "detect_s": round(seconds, 2),
        **score,
        "left_out": [lo.as_dict() for lo in user.left_out],
        "notes": [n for n in user.notes if "named like keys of tables" in n or "ambiguous" in n],
    }


def _read_output(out: Path) -> dict[str, pd.DataFrame]:
    return {p.stem: pd.read_parquet(p) for p in sorted((out / "data").glob("*.parquet"))}


def fit_sample(folder: Path, out: Path, scale: float, timeout: float, full: bool = False) -> dict:
    cmd = [sys.executable, "-m", "synthgen_sdv", "fit-sample", "--data-dir", str(folder)]
    cmd += ["--out", str(out), "--format", "parquet", "--no-progress"]
    if not full:
        cmd += ["--model", "hma", "--no-compare", "--scale", str(scale)]
    run = "default" if full else f"--model hma --no-compare --scale {scale}"
    started = time.perf_counter()
    try:
        proc = subprocess.run(cmd, capture_output=True, text=True, cwd=ROOT, timeout=timeout)
    except subprocess.TimeoutExpired:
        return {
            "run": run,
            "exit": "timeout",
            "seconds": round(timeout),
            "error": [f"over {timeout:.0f} s"],
        }
    seconds = time.perf_counter() - started
    result = {"run": run, "exit": proc.returncode, "seconds": round(seconds, 1)}
    stages = [x for x in proc.stdout.splitlines() if x.startswith("time: ")]
    if stages:  # "time: load 0.7 s, fit 29.2 s, sample 133.3 s, write 0.4 s"
        result["stages"] = stages[-1].removeprefix("time: ")
    if proc.returncode:
        result["error"] = (proc.stderr or proc.stdout).strip().splitlines()[-1:]
        return result
    val = subprocess.run(
        [sys.executable, "-m", "synthgen_sdv", "validate", str(out)],
        capture_output=True,
        text=True,
        cwd=ROOT,
    )
    result["validate"] = val.stdout.strip().splitlines()[-1] if val.stdout else val.stderr
    result.update(_check_links(out, out / "metadata" / "detected_metadata.json"))
    return result


def _check_links(out: Path, metadata: Path) -> dict:
    """Every foreign key of the detected schema (the links left out of the model too) checked
    to resolve in the output folder ``out``."""
    doc = json.loads(metadata.read_text())
    tables = _read_output(out)
    dangling = []
    links = [*doc.get("relationships", []), *doc.get("unmodeled_relationships", [])]
    for r in links:
        child, parent = r["child_table_name"], r["parent_table_name"]
        if child not in tables or parent not in tables:
            continue
        values = tables[child][r["child_foreign_key"]].dropna()
        keys = set(tables[parent][r["parent_primary_key"]].dropna())
        bad = int((~values.isin(keys)).sum())
        if bad:
            dangling.append(f"{child}.{r['child_foreign_key']}: {bad} rows")
    return {"foreign_keys_checked": len(links), "dangling": dangling}


def _run(args: list[str], timeout: float) -> tuple[int | str, float, str]:
    """(exit code or "timeout", seconds, last line of output) of ``python -m synthgen_sdv``."""
    started = time.perf_counter()
    try:
        proc = subprocess.run(
            [sys.executable, "-m", "synthgen_sdv", *args],
            capture_output=True,
            text=True,
            cwd=ROOT,
            timeout=timeout,
        )
    except subprocess.TimeoutExpired:
        return "timeout", round(timeout), f"over {timeout:.0f} s"
    text = (proc.stdout if proc.returncode == 0 else proc.stderr or proc.stdout).strip()
    last = text.splitlines()[-1] if text else ""
    return proc.returncode, round(time.perf_counter() - started, 1), last


def lifecycle(folder: Path, work: Path, scale: float, timeout: float) -> dict:
    """``fit --data-dir D --model-dir M``, then ``sample --model-dir M --scale S --out O`` (no
    data, no config), ``validate O``, and every detected foreign key checked in ``O``."""
    model, out = work / "model", work / "sampled"
    result: dict = {"run": f"fit, then sample --scale {scale:g}"}
    steps = (
        ("fit", ["fit", "--data-dir", str(folder), "--model-dir", str(model), "--no-progress"]),
        ("sample", ["sample", "--model-dir", str(model), "--scale", f"{scale:g}", "--out",
                    str(out), "--format", "parquet", "--no-progress"]),
        ("validate", ["validate", str(out)]),
    )  # fmt: skip
    for name, args in steps:
        code, seconds, last = _run(args, timeout)
        result[name] = {"exit": code, "seconds": seconds}
        if code != 0:
            result["error"] = f"{name}: {last}"
            return result
        if name == "validate":
            result["validate"] = last
    result.update(_check_links(out, out / "metadata" / "detected_metadata.json"))
    return result


def _pct(x: float) -> str:
    return f"{x:.2f}"


def markdown(rows: dict, info: dict, fitted: bool) -> str:
    lines = [
        "# Key detection on the corpus: detected vs declared keys",
        "",
        f"Written by `benchmarks/bench_keys.py` on {info['date']}. {machine_md(info)}",
        "",
        "Keys detected with no metadata (`fit-sample --data-dir` does the same), scored by "
        "`synthgen_sdv.detect.score.score_keys` against each database's declared keys "
        "(`tests/data/corpus/*/keys.json`). Precision: share of detected keys that are "
        "declared; recall: share of declared keys detected.",
        "",
        "| database | tables | rows | detect s | pk precision | pk recall | fk precision | "
        "fk recall | links left out of the model |",
        "|---|---|---|---|---|---|---|---|---|",
    ]
    totals = {"primary_keys": [0, 0, 0], "foreign_keys": [0, 0, 0]}
    for name, r in rows.items():
        for kind in totals:
            k = r[kind]
            totals[kind][0] += len(k["found"])
            totals[kind][1] += len(k["missed"])
            totals[kind][2] += len(k["invented"])
        left = "; ".join(
            f"{x['child_table_name']}.{x['child_foreign_key']} -> {x['parent_table_name']}"
            for x in r["left_out"]
        )
        lines.append(
            f"| {name} | {r['tables']} | {r['rows']:,} | {r['detect_s']} | "
            f"{_pct(r['primary_keys']['precision'])} | {_pct(r['primary_keys']['recall'])} | "
            f"{_pct(r['foreign_keys']['precision'])} | {_pct(r['foreign_keys']['recall'])} | "
            f"{left or '-'} |"
        )
    p, f = totals["primary_keys"], totals["foreign_keys"]
    lines.append(
        f"| **all** | | | | {_pct(p[0] / max(p[0] + p[2], 1))} | {_pct(p[0] / max(p[0] + p[1], 1))}"
        f" | {_pct(f[0] / max(f[0] + f[2], 1))} | {_pct(f[0] / max(f[0] + f[1], 1))} | |"
    )
    lines += ["", "## Missed and invented", ""]
    for name, r in rows.items():
        for kind in ("primary_keys", "foreign_keys"):
            k = r[kind]
            for what in ("missed", "invented"):
                for item in k[what]:
                    lines.append(f"- {name}, {kind.replace('_', ' ')} {what}: `{item}`")
    lines.append(
        "\nEach one is explained in `tests/detect/test_corpus_keys.py`: `EXCEPTIONS` (a declared "
        "key the data and names cannot tell, and what is detected instead; an empty table's "
        "key) or `UNDECLARED` (a key the database does not declare that is right all the same: "
        "AdventureWorksDW's FactFinance.FinanceKey and two undeclared references, Lahman's "
        "CollegePlaying pair, bike_1's trip stations, MIMIC's microbiology items, college_3's "
        "advisor and major, flight_2's airline). Most misses are composite keys declared with "
        "more columns than the data needs (the detected key is a unique subset) or with plain "
        "columns not named like keys "
        "(Lahman's `round`, nycflights' `weather(origin, time_hour)`). The test fails on any "
        "change in either direction."
    )
    if fitted:
        lines += [
            "",
            "## fit-sample --data-dir on each database (no metadata edits)",
            "",
            "Each run: `fit-sample --data-dir D` with no metadata edits, the options in the "
            f"`run` column (a timeout of {info['timeout']:.0f} s), then `validate`, then every "
            "foreign key of the detected schema (the links left out of the model too) is "
            "checked to resolve in the output. `default` is the command a new user types (scale "
            "1, hma, the holdout comparison: its time is the `compare` stage). Load average at "
            f"start: {info['load']} on 2 cores (a shared machine: wall times are inflated).",
            "",
        ]
        for key, title in (
            ("fit_sample", None),
            ("fit_sample_full", "### The default run (`--fit --full`): what a new user gets"),
        ):
            runs = {n: r[key] for n, r in rows.items() if key in r}
            if not runs:
                continue
            if title:
                lines += ["", title, ""]
            lines += [
                "| database | run | exit | seconds | stages | validate | foreign keys checked "
                "| dangling |",
                "|---|---|---|---|---|---|---|---|",
            ]
            for name, fs in runs.items():
                lines.append(
                    f"| {name} | {fs.get('run', '-')} | {fs['exit']} | {fs['seconds']} | "
                    f"{fs.get('stages', '-')} | "
                    f"{fs.get('validate', ' '.join(fs.get('error', [])))} | "
                    f"{fs.get('foreign_keys_checked', '-')} | "
                    f"{', '.join(fs.get('dangling', [])) or 'none'} |"
                )
        cycles = {n: r["lifecycle"] for n, r in rows.items() if "lifecycle" in r}
        if cycles:
            lines += [
                "",
                "### Fit once, sample later (`--lifecycle`)",
                "",
                "`fit --data-dir D --model-dir M`, then `sample --model-dir M --scale S --out O` "
                "(neither the data nor a config), then `validate O`; every detected foreign key "
                "checked in `O`.",
                "",
                "| database | run | fit exit / s | sample exit / s | validate | foreign keys "
                "checked | dangling |",
                "|---|---|---|---|---|---|---|",
            ]
            for name, lc in cycles.items():
                step = {k: lc.get(k, {}) for k in ("fit", "sample")}
                cells = [f"{v.get('exit', '-')} / {v.get('seconds', '-')}" for v in step.values()]
                lines.append(
                    f"| {name} | {lc['run']} | {cells[0]} | {cells[1]} | "
                    f"{lc.get('validate', lc.get('error', '-'))} | "
                    f"{lc.get('foreign_keys_checked', '-')} | "
                    f"{', '.join(lc.get('dangling', [])) or 'none'} |"
                )
    return "\n".join(lines) + "\n"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--fit", action="store_true", help="also run fit-sample + validate")
    parser.add_argument(
        "--only", default="", help="comma-separated databases (the others kept from keys.json)"
    )
    parser.add_argument("--scale", type=float, default=0.25, help="fit-sample --scale")
    parser.add_argument("--timeout", type=float, default=900, help="seconds per fit-sample")
    parser.add_argument(
        "--full", action="store_true", help="with --fit: the default run (scale 1, compare)"
    )
    parser.add_argument(
        "--lifecycle",
        action="store_true",
        help="also fit --data-dir, then sample --model-dir --scale LIFECYCLE_SCALE, validate",
    )
    parser.add_argument("--lifecycle-scale", type=float, default=3.0)
    args = parser.parse_args()
    only = {x for x in args.only.split(",") if x}
    load = [round(x, 1) for x in os.getloadavg()]
    import sdv.metadata  # noqa: F401  imported once here, so no database's detect_s pays it

    rows = {}
    with tempfile.TemporaryDirectory() as tmp:
        for name, (folder, keys) in databases().items():
            if only and name not in only:
                continue
            rows[name] = detect(folder, keys)
            print(name, json.dumps({k: rows[name][k] for k in ("detect_s",)}), flush=True)
        if args.fit:  # smallest first
            for name in sorted(rows, key=lambda n: rows[n]["rows"]):
                folder = databases()[name][0]
                fs = fit_sample(folder, Path(tmp) / name, args.scale, args.timeout, args.full)
                rows[name]["fit_sample_full" if args.full else "fit_sample"] = fs
                print(name, json.dumps(fs), flush=True)
        if args.lifecycle:
            for name in sorted(rows, key=lambda n: rows[n]["rows"]):
                folder, work = databases()[name][0], Path(tmp) / f"{name}.lifecycle"
                lc = lifecycle(folder, work, args.lifecycle_scale, args.timeout)
                rows[name]["lifecycle"] = lc
                print(name, json.dumps(lc), flush=True)
    before = {}
    if (REPORTS / "keys.json").is_file():
        before = json.loads((REPORTS / "keys.json").read_text())["databases"]
    for name, r in rows.items():  # the runs not made this time, as last measured
        for key in ("fit_sample", "fit_sample_full", "lifecycle"):
            if key not in r and key in before.get(name, {}):
                r[key] = before[name][key]
    if only:  # the other databases as last measured
        rows = {n: rows.get(n, r) for n, r in before.items()} | rows
    info = {
        **machine(),
        "date": dt.date.today().isoformat(),
        "scale": args.scale,
        "full": args.full,
        "timeout": args.timeout,
        "load": load,
    }
    REPORTS.mkdir(exist_ok=True)
    (REPORTS / "keys.json").write_text(json.dumps({"machine": info, "databases": rows}, indent=2))
    fitted = args.fit or any(
        k in r for r in rows.values() for k in ("fit_sample", "fit_sample_full", "lifecycle")
    )
    (REPORTS / "keys.md").write_text(markdown(rows, info, fitted))
    print(f"wrote {REPORTS / 'keys.md'}")


if __name__ == "__main__":
    main()
