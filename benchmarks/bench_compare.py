"""The comparison stage of `fit-sample`, step by step, before and after: where its time goes.

`fit-sample --data-dir D` (and the default run, with no data dir) ends with the holdout
comparison: fit each compared synthesizer on the train split and sample it, infer and generate
the rule-based baseline, score every entry (the train ceiling, each candidate, the written
output) with SDMetrics' reports, referential integrity, ML utility and privacy, draw the plots
and write comparison.json / .md / .html. This script runs the real command, each database in
a fresh process, and times those steps by wrapping the functions that do them:

- ``fit candidates``: ``study.holdout_study`` less the two below (fit + sample of each model
  on train, and the split);
- ``baseline``: ``study.generate_baseline``;
- ``score + plots``: inside ``evaluate.report.compare``, scoring every entry and drawing the
  plots; ``score`` and ``plots`` split it where they run one after the other (the code before
  this change: ``Scoring.score`` and ``_make_plots``); after it they overlap in workers, so only
  their sum (the jobs, ``parallel.run_jobs``, plus the shared work, ``Section.prepare``) is a
  wall-clock time;
- ``files``: comparison.json, .md, .html;
- ``compare``: ``study.holdout_study`` whole; ``run``: the command whole; ``CPU``: user + system
  seconds of the process and its workers.

The report's numbers must not change: for each database the script also checks that before
and after give the same Quality and DCR baseline per row (``same scores``).

    python benchmarks/bench_compare.py                         # this tree only
    python benchmarks/bench_compare.py --base 3fafdec          # and a commit, before/after
    python benchmarks/bench_compare.py --dbs tpch,default --base 3fafdec --workers 1,2

``--base`` runs the same with the package of ``git archive <commit>``; ``default`` is the
default project run (no data dir). ``--workers`` runs this tree with each compare worker
count (``SYNTHGEN_COMPARE_WORKERS``). Writes reports/bench_compare.md and .json.
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
REPO = HERE.parent
sys.path.insert(0, str(HERE))

from _report import REPORTS, machine, machine_md  # noqa: E402  (a sibling module)

DEFAULT_DBS = "tpch,mimic_demo,adventureworks_dw,northwind,default"
CORPUS = REPO / "tests" / "data" / "corpus"
SHARED = REPO.parent / "shared" / "datasets"
STEPS = ("fit candidates", "baseline", "score", "plots", "score + plots", "files", "compare")

#: (module, class or "", attribute, step): the functions timed, where the tree measured has them
WRAPPED = [
    ("synthgen_sdv.runs.study", "", "holdout_study", "study"),
    ("synthgen_sdv.runs.study", "", "generate_baseline", "baseline"),
    ("synthgen_sdv.runs.study", "", "compare", "report"),
    ("synthgen_sdv.evaluate.report", "", "_make_plots", "plots"),
    ("synthgen_sdv.evaluate.report", "", "run_jobs", "jobs"),
    ("synthgen_sdv.evaluate.report", "", "write_json", "files"),
    ("synthgen_sdv.evaluate.report", "", "write_text", "files"),
    ("synthgen_sdv.evaluate.report", "", "render_html", "files"),
    ("synthgen_sdv.evaluate.scoring", "Scoring", "score", "score"),
    ("synthgen_sdv.evaluate.scoring", "Section", "prepare", "prepare"),
]


def data_dir(name: str) -> Path | None:
    """The folder of a corpus database (or of ../shared's), None for the default run."""
    if name == "default":
        return None
    for base in (CORPUS, SHARED):
        if (base / name).is_dir():
            return base / name
    raise SystemExit(f"--dbs: no database '{name}' in {CORPUS} or {SHARED}")


def child(name: str, out: Path, result: Path) -> None:
    """One run of fit-sample in this process, its steps timed (the tree is on sys.path)."""
    import functools
    import importlib
    import resource
    import warnings

    warnings.filterwarnings("ignore")
    spent: dict[str, float] = {}
    cpu_spent: dict[str, float] = {}

    def cpu_now() -> float:
        me = resource.getrusage(resource.RUSAGE_SELF)
        kids = resource.getrusage(resource.RUSAGE_CHILDREN)  # workers, once joined
        return me.ru_utime + me.ru_stime + kids.ru_utime + kids.ru_stime

    def timed(step: str, fn):
        @functools.wraps(fn)
        def wrapper(*args, **kwargs):
            start, cpu = time.perf_counter(), cpu_now()
            try:
                return fn(*args, **kwargs)
            finally:
                spent[step] = spent.get(step, 0.0) + time.perf_counter() - start
                cpu_spent[step] = cpu_spent.get(step, 0.0) + cpu_now() - cpu

        return wrapper

    for module, cls, attr, step in WRAPPED:
        try:
            owner = importlib.import_module(module)
            target = getattr(owner, cls) if cls else owner
            setattr(target, attr, timed(step, getattr(target, attr)))
        except (ImportError, AttributeError):
            continue  # not in this tree

    from synthgen_sdv.cli import main

    args = ["fit-sample", "--out", str(out), "--no-progress", "--overwrite"]
    folder = data_dir(name)
    if folder is not None:
        args += ["--data-dir", str(folder)]
    start = time.perf_counter()
    code = main(args)
    wall = time.perf_counter() - start
    cpu = cpu_now()
    report = json.loads((out / "reports" / "comparison.json").read_text())
    rows = list(report["candidates"]) + list((report.get("written") or {}).get("candidates", []))
    scores = {
        c["name"]: {
            "Quality": c["summary"].get("Quality"),
            "DCR baseline": c["summary"].get("DCR baseline"),
            "DCR overfitting": c["summary"].get("DCR overfitting"),
            "ML ratio": c["summary"].get("ML ratio"),
        }
        for c in rows
    }
    entry_seconds = {c["name"]: c.get("eval_seconds") for c in rows}
    metric_seconds: dict[str, float] = {}
    for c in rows:
        for metric, s in (c.get("metric_seconds") or {}).items():
            metric_seconds[metric] = round(metric_seconds.get(metric, 0.0) + s, 3)
    result.write_text(
        json.dumps(
            {
                "exit": code,
                "run_s": round(wall, 2),
                "cpu_s": round(cpu, 2),
                "spent": {k: round(v, 2) for k, v in spent.items()},
                "cpu_spent": {k: round(v, 2) for k, v in cpu_spent.items()},
                "scores": scores,
                "entry_seconds": entry_seconds,
                "metric_seconds": metric_seconds,
            }
        )
    )


def steps(spent: dict[str, float]) -> dict[str, float | None]:
    """The report's steps from the wrapped functions' times (see the module docstring)."""
    study, report = spent.get("study", 0.0), spent.get("report", 0.0)
    baseline = spent.get("baseline", 0.0)
    if "jobs" in spent:  # scoring and plots as overlapping jobs
        score = plots = None
        both = spent["jobs"] + spent.get("prepare", 0.0)
    else:
        score, plots = spent.get("score", 0.0), spent.get("plots", 0.0)
        both = score + plots
    return {
        "fit candidates": round(study - report - baseline, 2),
        "baseline": round(baseline, 2),
        "score": None if score is None else round(score, 2),
        "plots": None if plots is None else round(plots, 2),
        "score + plots": round(both, 2),
        "files": round(spent.get("files", 0.0), 2),
        "compare": round(study, 2),
    }


def measure(tree: Path, name: str, workers: int | None) -> dict:
    """One database with the package of ``tree``, in a fresh process."""
    with tempfile.TemporaryDirectory(prefix="bench_compare_") as tmp:
        result = Path(tmp) / "result.json"
        env = {**os.environ, "PYTHONPATH": str(tree), "PYTHONHASHSEED": "0"}
        if workers is not None:
            env["SYNTHGEN_COMPARE_WORKERS"] = str(workers)
        code = (
            f"import sys; sys.path.insert(0, {str(tree)!r}); sys.path.insert(1, {str(HERE)!r}); "
            "import bench_compare; "
            f"bench_compare.child({name!r}, __import__('pathlib').Path({tmp!r}) / 'out', "
            f"__import__('pathlib').Path({str(result)!r}))"
        )
        proc = subprocess.run(
            [sys.executable, "-c", code], env=env, capture_output=True, text=True, cwd=tmp
        )
        if proc.returncode != 0 or not result.exists():
            raise SystemExit(f"{name} with {tree} failed:\n{proc.stderr[-3000:]}")
        row = json.loads(result.read_text())
    row["steps"] = steps(row.pop("spent"))
    row["cpu_steps"] = steps(row.pop("cpu_spent"))
    return row


def export(commit: str) -> Path:
    """``git archive commit`` unpacked in a temporary folder."""
    target = Path(tempfile.mkdtemp(prefix="bench_compare_base_"))
    archive = subprocess.run(["git", "archive", commit], cwd=REPO, capture_output=True, check=True)
    subprocess.run(["tar", "-x", "-C", str(target)], input=archive.stdout, check=True)
    return target


def _f(x: float | None) -> str:
    return "" if x is None else f"{x:.1f}"


def same_scores(a: dict, b: dict) -> bool:
    """Every row's scores equal to 1e-9 (the before and after reports say the same)."""
    if set(a) != set(b):
        return False
    for name, row in a.items():
        for key, value in row.items():
            other = b[name].get(key)
            if (value is None) != (other is None):
                return False
            if value is not None and abs(value - other) > 1e-9:
                return False
    return True


def markdown(doc: dict) -> str:
    """The report: one row per database and code, the steps' wall seconds."""
    lines = [
        "# The comparison stage of fit-sample: before and after, step by step",
        "",
        machine_md(doc["machine"]),
        "",
        f"Command: `{doc['command']}`. Load average at the start: {doc['load']}. "
        f"`before` = the package of commit {doc.get('base') or '(not run)'}; `now` = this tree "
        "(`workers N`: its compare workers). Wall seconds of each step (see the script's "
        "docstring for what each covers); `score + plots` overlap in workers after the change, "
        "so only their sum is given there. `CPU` is user + system seconds of the run and its "
        "workers. `same scores`: Quality, DCR baseline, DCR overfitting and ML ratio of every "
        "row equal to the before run's.",
        "",
        "What changed (the report's numbers did not): the entries (ceiling, candidates, "
        "written output) and the plots run as jobs in forked workers, one per core; the work "
        "every entry shares is made once before them (train's and the holdout's DCR samples, "
        "the random rows' distances of DCRBaselineProtection, the ML real-train model, the DCR "
        "ratio's baseline); categories reach SDMetrics' DCR as float codes (it only tests them "
        "for equality; its cross join runs about 2.8x faster on numbers); an entry's DCR query "
        "rows are made once for both DCR metrics. On 2 cores the wall time gains from the "
        "workers only when the cores are free: under load compare the CPU table.",
        "",
        "| database | code | run s | CPU s | "
        + " | ".join(STEPS)
        + " | compare share | compare speed-up | same scores |",
        "|---|---|" + "---:|" * (len(STEPS) + 4) + "---|",
    ]
    for name, rows in doc["databases"].items():
        before = rows.get("before")
        for code, row in rows.items():
            s = row["steps"]
            share = s["compare"] / row["run_s"] if row["run_s"] else None
            speed = (
                before["steps"]["compare"] / s["compare"]
                if before and code != "before" and s["compare"]
                else None
            )
            same = ""
            if before and code != "before":
                same = "yes" if same_scores(before["scores"], row["scores"]) else "**no**"
            lines.append(
                f"| {name} | {code} | {_f(row['run_s'])} | {_f(row['cpu_s'])} | "
                + " | ".join(_f(s[k]) for k in STEPS)
                + f" | {'' if share is None else f'{share:.0%}'} | "
                + f"{'' if speed is None else f'{speed:.2f}x'} | {same} |"
            )
    lines += [
        "",
        "The same steps in CPU seconds (user + system, the workers' included): what the steps "
        "cost whatever the load of the machine, and what a core-bound run waits for.",
        "",
        "| database | code | " + " | ".join(STEPS) + " | compare CPU ratio |",
        "|---|---|" + "---:|" * (len(STEPS) + 1),
    ]
    for name, rows in doc["databases"].items():
        before = rows.get("before")
        for code, row in rows.items():
            s = row["cpu_steps"]
            ratio = (
                before["cpu_steps"]["compare"] / s["compare"]
                if before and code != "before" and s["compare"]
                else None
            )
            lines.append(
                f"| {name} | {code} | "
                + " | ".join(_f(s[k]) for k in STEPS)
                + f" | {'' if ratio is None else f'{ratio:.2f}x'} |"
            )
    lines += [
        "",
        "Scoring work per metric (seconds summed over the rows of the report, as each entry "
        "measured it; after the change entries run side by side, so these add up to more than "
        "the wall time):",
        "",
    ]
    metrics = sorted(
        {
            m
            for rows in doc["databases"].values()
            for r in rows.values()
            for m in r["metric_seconds"]
        }
    )
    lines.append("| database | code | " + " | ".join(metrics) + " |")
    lines.append("|---|---|" + "---:|" * len(metrics))
    for name, rows in doc["databases"].items():
        for code, row in rows.items():
            ms = row["metric_seconds"]
            lines.append(
                f"| {name} | {code} | " + " | ".join(_f(ms.get(m)) for m in metrics) + " |"
            )
    return "\n".join(lines) + "\n"


def main() -> None:
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("--dbs", default=DEFAULT_DBS, help=f"comma-separated (default {DEFAULT_DBS})")
    p.add_argument("--base", help="a commit to measure as 'before' (git archive)")
    p.add_argument(
        "--workers", default="", help="compare worker counts to run this tree with, e.g. 1,2"
    )
    p.add_argument("--out", default=str(REPORTS / "bench_compare"), help="report path stem")
    p.add_argument(
        "--render", action="store_true", help="only write the .md again from the .json at --out"
    )
    args = p.parse_args()
    if args.render:
        stem = Path(args.out)
        stem.with_suffix(".md").write_text(
            markdown(json.loads(stem.with_suffix(".json").read_text()))
        )
        return
    names = [n for n in args.dbs.split(",") if n]
    for n in names:
        data_dir(n)
    counts: list[int | None] = [int(w) for w in args.workers.split(",") if w] or [None]
    base_tree = export(args.base) if args.base else None
    doc = {
        "machine": machine(),
        "command": "python benchmarks/bench_compare.py " + " ".join(sys.argv[1:]),
        "load": ", ".join(f"{x:.1f}" for x in os.getloadavg()),
        "base": args.base,
        "databases": {},
    }
    try:
        for name in names:
            rows: dict[str, dict] = {}
            doc["databases"][name] = rows
            if base_tree is not None:
                rows["before"] = measure(base_tree, name, None)
                print(f"{name} before: {rows['before']['steps']}", flush=True)
            for w in counts:
                code = "now" if w is None else f"now, workers {w}"
                rows[code] = measure(REPO, name, w)
                print(f"{name} {code}: {rows[code]['steps']}", flush=True)
            stem = Path(args.out)
            stem.with_suffix(".json").write_text(json.dumps(doc, indent=2) + "\n")
            stem.with_suffix(".md").write_text(markdown(doc))
    finally:
        if base_tree is not None:
            shutil.rmtree(base_tree, ignore_errors=True)
    print(f"wrote {Path(args.out).with_suffix('.md')}")


if __name__ == "__main__":
    main()
