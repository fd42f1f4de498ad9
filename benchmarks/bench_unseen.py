"""Databases nobody here tuned for, run as a new user would -> reports/unseen.{md,json}

    python benchmarks/bench_unseen.py PATH/TO/MachineSpider/database
    python benchmarks/bench_unseen.py PATH/TO/MachineSpider/database --compare --only pets_1,dorm_1

Every ``<db>/<db>.sqlite`` of the folder (a copy of the Spider text-to-SQL databases, such as
LeLuven/MachineSpider's, with names machine-translated to German) is exported to CSV with the
corpus' own exporter (``tests/data/corpus/_tools/common.export_sqlite``: values as sqlite returns
them, keys as the file declares them) into a temporary folder, then run through
``python -m synthgen_sdv fit-sample --data-dir D --out O`` with no metadata (``--no-compare``
unless ``--compare``). Recorded per database: the exit code, seconds, the error's first line,
whether a traceback was printed, whether every foreign key of the detected schema resolves in
the written tables, and detected against declared keys (``detect.score.score_keys``).

The databases are not in this repository and nothing of them is written to it but names and
numbers: Spider is CC BY-SA 4.0 (Yu et al. 2018); some of its databases carry their source's
licence (formula_1: Ergast, CC BY-NC-SA). The corpus of tests/data/corpus holds the ones added
for good (README there).
"""

from __future__ import annotations

import argparse
import contextlib
import io
import json
import sqlite3
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import pyarrow.parquet as pq

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "benchmarks"))
sys.path.insert(0, str(ROOT / "tests/data/corpus/_tools"))

from _report import REPORTS, machine, machine_md  # noqa: E402
from common import export_sqlite  # noqa: E402

from synthgen_sdv.detect.score import score_keys  # noqa: E402


def export(sqlite: Path, out: Path) -> dict:
    """The database as CSV files in ``out``; its declared keys in score_keys' form."""
    con = sqlite3.connect(sqlite)
    con.text_factory = lambda b: b.decode("utf-8", "replace")
    with contextlib.redirect_stdout(io.StringIO()):
        pks, fks = export_sqlite(con, out, blobs_as_hex=True)
    return {
        "tables": {t: {"primary_key": pk} for t, pk in pks.items()},
        "foreign_keys": [
            {"child": c, "column": col, "parent": p, "parent_column": pc} for c, col, p, pc in fks
        ],
    }


def dangling(out: Path) -> list[str]:
    """Foreign keys of the written schema with values that name no parent row."""
    meta = json.loads((out / "metadata/detected_metadata.json").read_text())
    found = []
    for rel in meta.get("relationships", []):
        child, parent = rel["child_table_name"], rel["parent_table_name"]
        if not (out / "data" / f"{child}.parquet").exists():
            continue
        keys = set(
            pq.read_table(out / "data" / f"{parent}.parquet")
            .column(rel["parent_primary_key"])
            .to_pylist()
        )
        refs = pq.read_table(out / "data" / f"{child}.parquet").column(rel["child_foreign_key"])
        missing = {v for v in refs.to_pylist() if v is not None} - keys
        if missing:
            found.append(f"{child}.{rel['child_foreign_key']}: {len(missing)} values")
    return found


def run_one(sqlite: Path, work: Path, compare: bool, timeout: int) -> dict:
    data, out = work / "data", work / "out"
    data.mkdir()
    try:
        keys = export(sqlite, data)
    except Exception as exc:  # a file the exporter cannot read is reported, not run
        return {"status": "not exported", "error": f"{type(exc).__name__}: {exc}"[:200]}
    rows = sum(
        max(0, len(f.read_text(errors="replace").splitlines()) - 1) for f in data.glob("*.csv")
    )
    cmd = [sys.executable, "-m", "synthgen_sdv", "fit-sample", "--data-dir", str(data)]
    cmd += ["--out", str(out), "--no-progress", *([] if compare else ["--no-compare"])]
    started = time.perf_counter()
    try:
        done = subprocess.run(cmd, capture_output=True, text=True, timeout=timeout)
        rc, text = done.returncode, done.stdout + done.stderr
    except subprocess.TimeoutExpired:
        rc, text = "timeout", ""
    result = {
        "tables": len(keys["tables"]),
        "rows": rows,
        "rc": rc,
        "seconds": round(time.perf_counter() - started, 1),
        "traceback": "Traceback" in text,
        "error": next((line for line in text.splitlines() if line.startswith("error")), ""),
    }
    if rc == 0:
        result["dangling"] = dangling(out)
        detected = json.loads((out / "metadata/detected_metadata.json").read_text())
        result["keys"] = score_keys(detected, keys).as_dict()
    return result


def totals(results: dict) -> dict:
    ran = [r for r in results.values() if "rc" in r]
    out = {
        "databases": len(results),
        "exit 0": sum(r["rc"] == 0 for r in ran),
        "exit 2 (said why)": sum(r["rc"] == 2 and not r["traceback"] for r in ran),
        "other exits": sum(r["rc"] not in (0, 2) or r["traceback"] for r in ran),
        "dangling foreign keys": sum(bool(r.get("dangling")) for r in ran),
    }
    for kind in ("primary", "foreign"):
        counts = {k: 0 for k in ("found", "missed", "invented")}
        for r in ran:
            for k in counts:
                counts[k] += len(r.get("keys", {}).get(f"{kind}_keys", {}).get(k, []))
        found = counts["found"]
        out[f"{kind} keys precision"] = round(found / max(1, found + counts["invented"]), 3)
        out[f"{kind} keys recall"] = round(found / max(1, found + counts["missed"]), 3)
    return out


def markdown(doc: dict) -> str:
    lines = [
        "# Unseen databases: fit-sample --data-dir as a new user runs it",
        "",
        f"Written by `benchmarks/bench_unseen.py` ({doc['command']}). {machine_md(doc['machine'])}",
        "",
        "Every database of a copy of Spider's SQLite files (LeLuven/MachineSpider "
        "`database/`, names machine-translated to German), exported to CSV and run with no "
        "metadata. Exit 2 is a clear error naming files and columns (the Spider copies of the "
        "large databases hold headers only); any other exit or a printed traceback is a defect.",
        "",
        "| " + " | ".join(doc["totals"]) + " |",
        "|" + "---:|" * len(doc["totals"]),
        "| " + " | ".join(str(v) for v in doc["totals"].values()) + " |",
        "",
        "| database | tables | rows | exit | s | foreign keys resolve | pk P / R | fk P / R "
        "| error |",
        "|---|---:|---:|---|---:|---|---|---|---|",
    ]
    for name, r in doc["databases"].items():
        if "rc" not in r:
            lines.append(f"| {name} | | | {r['status']} | | | | | {r['error']} |")
            continue
        k = r.get("keys", {})
        pr = {
            kind: f"{k[kind]['precision']:.2f} / {k[kind]['recall']:.2f}" if kind in k else ""
            for kind in ("primary_keys", "foreign_keys")
        }
        fk = "" if r["rc"] != 0 else ("yes" if not r["dangling"] else "; ".join(r["dangling"]))
        error = r["error"].replace("|", "/")[:160] + (" (traceback)" if r["traceback"] else "")
        lines.append(
            f"| {name} | {r['tables']} | {r['rows']:,} | {r['rc']} | {r['seconds']} | {fk} "
            f"| {pr['primary_keys']} | {pr['foreign_keys']} | {error} |"
        )
    return "\n".join(lines) + "\n"


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("folder", type=Path, help="a folder of <db>/<db>.sqlite files")
    parser.add_argument("--only", default="", help="comma-separated database names")
    parser.add_argument("--compare", action="store_true", help="also the holdout comparison")
    parser.add_argument("--timeout", type=int, default=600, help="seconds per database")
    args = parser.parse_args(argv)
    only = {n for n in args.only.split(",") if n}
    results: dict = {}
    files = sorted(p / f"{p.name}.sqlite" for p in args.folder.iterdir() if p.is_dir())
    for sqlite in files:
        name = sqlite.parent.name
        if (only and name not in only) or not sqlite.is_file() or not sqlite.stat().st_size:
            continue
        with tempfile.TemporaryDirectory() as work:
            results[name] = run_one(sqlite, Path(work), args.compare, args.timeout)
        print(name, json.dumps({k: v for k, v in results[name].items() if k != "keys"}), flush=True)
    doc = {
        "command": "python benchmarks/bench_unseen.py " + " ".join(argv or sys.argv[1:]),
        "machine": machine(),
        "totals": totals(results),
        "databases": results,
    }
    (REPORTS / "unseen.json").write_text(json.dumps(doc, indent=1, default=str))
    (REPORTS / "unseen.md").write_text(markdown(doc))
    print(json.dumps(doc["totals"]))
    return 0


if __name__ == "__main__":
    sys.exit(main())
