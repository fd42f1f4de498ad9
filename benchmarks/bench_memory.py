"""Where the memory of the whole default run goes, stage by stage, and its peak at each scale.

    python benchmarks/bench_memory.py [--scales 100 1000 3000] [--base REV] [--workers N]

Each scale runs the whole default run as a user starts it, ``python -m synthgen_sdv generate
--scale N --format parquet --force -v`` (clean and dirty tables, labels, the lineage pipeline),
in a fresh process whose tree is polled every 0.1 s (RSS and PSS summed over the process and its
workers, as bench_generate does). The stage lines the run prints (a family generated, a lineage
step started, the ETL summary) cut that timeline into stages, and each stage gets the peak of
the samples inside it: an attribution that needs nothing from the code it measures, so
``--base REV`` measures an older revision (a temporary git worktree) the same way, for a
before/after table. This tree also logs, with ``-v``, its own view at the end of each stage
(``core.memory.stage``): the kept lookup tables' size, DuckDB's buffer pool, Arrow's pool.

Results: reports/memory_profile.md (the attribution tables) and a summary section 'memory' in
reports/benchmarks.md with reports/bench_memory.json.
"""

from __future__ import annotations

import argparse
import json
import os
import re
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from _report import REPORTS, TreeMemory, machine, machine_md, whole_run_command, write_section

ROOT = Path(__file__).resolve().parents[1]
GOAL_MB = 1024

_FAMILY = re.compile(r"generated (.+?) rows in [\d.]+ s")
_STEP = re.compile(r"lineage \[(\d+)/(\d+)\] (\S+)")
_ESTIMATE = re.compile(r"^estimate: .*?peak memory ([\d.,]+) (MB|GB)")
_MEMORY = re.compile(r"synthgen_sdv\.memory: (.+?): RSS ([\d,]+) MB, peak ([\d,]+) MB(.*)")


class Timeline(TreeMemory):
    """The process tree's memory samples, and their peak within a stage."""

    def peak(self, start: float, end: float) -> tuple[float, float]:
        """Peak (RSS, PSS) of the samples in [start, end] (the nearest one when none)."""
        inside = [s for s in self.samples if start <= s[0] <= end]
        if not inside and self.samples:
            inside = [min(self.samples, key=lambda s: abs(s[0] - end))]
        return (max(s[1] for s in inside), max(s[2] for s in inside)) if inside else (0.0, 0.0)


def run_whole(scale: float, tree: Path, workers: int | None) -> dict:
    """The whole default run over the package in ``tree``; its stages and their peaks."""
    out = Path(tempfile.mkdtemp(prefix="bench_memory_")) / "out"
    env = {**os.environ, "PYTHONPATH": str(tree)}
    cmd = whole_run_command(scale, out, workers, "-v")
    load = os.getloadavg()[0]
    proc = subprocess.Popen(
        cmd, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True, env=env, cwd=tree
    )
    timeline = Timeline(proc.pid)
    lines: list[tuple[float, str]] = []
    assert proc.stderr is not None
    for line in proc.stderr:
        lines.append((time.perf_counter() - timeline.t0, line.rstrip()))
    proc.wait()
    end = time.perf_counter() - timeline.t0
    timeline.stop()
    shutil.rmtree(out.parent, ignore_errors=True)
    if proc.returncode:
        tail = "\n".join(text for _, text in lines[-30:])
        raise RuntimeError(f"{' '.join(cmd)} failed ({proc.returncode}):\n{tail}")
    stages = cut(lines, end, timeline)
    return {
        "scale": scale,
        "workers": workers,
        "seconds": end,
        "load": load,
        "processes": timeline.procs,
        "peak_rss_mb": max((s[1] for s in timeline.samples), default=0.0),
        "peak_pss_mb": max((s[2] for s in timeline.samples), default=0.0),
        "stages": stages,
        "memory_lines": [m for _, text in lines if (m := _memory_line(text))],
        "duckdb_retries": sum("DuckDB ran out of memory at" in text for _, text in lines),
        "estimate_mb": next(
            (_mb(*m.groups()) for _, t in lines if (m := _ESTIMATE.search(t))), None
        ),
    }


def _mb(value: str, unit: str) -> float:
    """An estimate's printed size in MB (it prints MB or GB, 1 GB = 1,024 MB)."""
    return float(value.replace(",", "")) * (1024 if unit == "GB" else 1)


def _memory_line(text: str) -> dict | None:
    m = _MEMORY.search(text)
    if not m:
        return None
    extra = dict(re.findall(r", ([^,]+?) ([\d,]+) MB", m.group(4)))
    return {
        "stage": m.group(1),
        "rss_mb": float(m.group(2).replace(",", "")),
        "peak_mb": float(m.group(3).replace(",", "")),
        **{k: float(v.replace(",", "")) for k, v in extra.items()},
    }


def cut(lines: list[tuple[float, str]], end: float, timeline: Timeline) -> list[dict]:
    """The run's stages: each from the line that opens it to the one that opens the next."""
    marks: list[tuple[float, str]] = []  # (time a stage ends, its name)
    opened, first = "start: interpreter, imports, estimate", True
    for t, text in lines:
        if m := _FAMILY.search(text):
            tables = " + ".join(part.rsplit(" ", 1)[0] for part in m.group(1).split(", "))
            marks.append((t, f"start (imports, estimate) + generate {tables}" if first
                          else f"generate {tables}"))  # fmt: skip
            opened, first = "generation finished (kept tables freed)", False
        elif "running the ETL pipeline" in text:
            marks.append((t, "generation finished (kept tables freed)"))
            opened = "lineage: load the source tables into DuckDB"
        elif m := _STEP.search(text):
            marks.append((t, opened))
            opened = f"lineage step {m.group(1)}/{m.group(2)} {m.group(3)}"
        elif text.startswith("ETL:") or " ETL: " in text:
            marks.append((t, opened))
            opened = "write labels, metadata, lineage files"
    marks.append((end, opened))
    out, start = [], 0.0
    for t, name in marks:
        rss, pss = timeline.peak(start, t)
        out.append({"stage": name, "start_s": start, "seconds": t - start, "rss_mb": rss,
                    "pss_mb": pss})  # fmt: skip
        start = t
    return out


def phases(run: dict) -> list[tuple[str, dict]]:
    """The stages grouped into the run's phases, each with its peak and where it peaked."""
    groups: dict[str, list[dict]] = {}
    for s in run["stages"]:
        name = s["stage"]
        if name.startswith("lineage step"):
            key = "lineage steps"
        elif "customers + orders" in name:
            key = "generate customers, orders, transactions, returns"
        elif "legacy_customers" in name:
            key = "generate legacy_customers"
        elif name.startswith(("start", "generate")):
            key = "start + small families"
        else:
            key = name
        groups.setdefault(key, []).append(s)
    out = []
    for key, stages in groups.items():
        top = max(stages, key=lambda s: s["rss_mb"])
        out.append(
            (
                key,
                {
                    "seconds": sum(s["seconds"] for s in stages),
                    "rss_mb": top["rss_mb"],
                    "pss_mb": top["pss_mb"],
                    "where": top["stage"] if len(stages) > 1 else "",
                },
            )
        )
    return out


def attribution(runs: list[dict], label: str) -> list[str]:
    lines = []
    for run in runs:
        lines += [
            f"#### {label}: scale {run['scale']:g} — peak {run['peak_rss_mb']:,.0f} MB RSS / "
            f"{run['peak_pss_mb']:,.0f} MB PSS in {run['seconds']:.0f} s (load {run['load']:.1f})",
            "",
            "| phase | seconds | peak RSS MB | peak PSS MB | peaked in |",
            "|---|---:|---:|---:|---|",
        ]
        for key, p in phases(run):
            lines.append(
                f"| {key} | {p['seconds']:.1f} | {p['rss_mb']:,.0f} | {p['pss_mb']:,.0f} | "
                f"{p['where']} |"
            )
        own = run["memory_lines"]
        if own:
            lines += [
                "",
                "The process's own view at the end of each stage (`-v`, `core.memory.stage`; "
                "peak = since the previous stage, this process only):",
                "",
                "| stage | RSS MB | peak MB | Arrow MB | parts MB |",
                "|---|---:|---:|---:|---|",
            ]
            interesting = [m for m in own if not m["stage"].startswith("lineage step")]
            steps = sorted(
                (m for m in own if m["stage"].startswith("lineage step")),
                key=lambda m: -m["peak_mb"],
            )[:5]
            for m in interesting + steps:
                parts = ", ".join(
                    f"{k} {v:,.0f}"
                    for k, v in m.items()
                    if k not in {"stage", "rss_mb", "peak_mb", "Arrow"}
                )
                lines.append(
                    f"| {m['stage']} | {m['rss_mb']:,.0f} | {m['peak_mb']:,.0f} | "
                    f"{m.get('Arrow', 0):,.0f} | {parts} |"
                )
            lines.append("")
            lines.append("(lineage steps: the five with the highest peak)")
        lines.append("")
    return lines


def base_tree(rev: str) -> Path:
    """A temporary git worktree of ``rev`` (removed by ``drop_tree``)."""
    path = Path(tempfile.mkdtemp(prefix="bench_memory_base_")) / "tree"
    subprocess.run(["git", "worktree", "add", "--detach", str(path), rev], cwd=ROOT, check=True,
                   capture_output=True)  # fmt: skip
    return path


def drop_tree(path: Path) -> None:
    subprocess.run(["git", "worktree", "remove", "--force", str(path)], cwd=ROOT,
                   capture_output=True)  # fmt: skip
    shutil.rmtree(path.parent, ignore_errors=True)


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--scales", type=float, nargs="+", default=[100, 1000, 3000])
    ap.add_argument("--base", help="also measure this git revision (before/after)")
    ap.add_argument("--workers", type=int, help="--workers of the run (default: the config's)")
    ap.add_argument("--before-from", type=Path,
                    help="the before side: an earlier bench_memory.json's runs")  # fmt: skip
    ap.add_argument("--report-only", action="store_true",
                    help="rewrite the reports from reports/bench_memory.json, no runs")  # fmt: skip
    args = ap.parse_args()
    if args.report_only:
        data = json.loads((REPORTS / "bench_memory.json").read_text())
        report(data["machine"], data["command"], data["base"], data["before"], data["after"])
        return
    info = machine()
    before = []
    if args.before_from:
        earlier = json.loads(args.before_from.read_text())
        before, args.base = earlier["after"], f"{args.before_from.name} (an earlier run)"
    elif args.base:
        tree = base_tree(args.base)
        rev = subprocess.run(["git", "rev-parse", "--short", args.base], cwd=ROOT, text=True,
                             capture_output=True).stdout.strip()  # fmt: skip
        try:
            for scale in args.scales:
                before.append(run_whole(scale, tree, args.workers))
                print(f"before ({rev}) scale {scale:g}: {before[-1]['peak_rss_mb']:,.0f} MB")
        finally:
            drop_tree(tree)
    after = []
    for scale in args.scales:
        after.append(run_whole(scale, ROOT, args.workers))
        w = after[-1]
        print(f"scale {scale:g}: {w['seconds']:.0f} s, peak {w['peak_rss_mb']:,.0f} MB RSS")
    report(info, sys.argv, args.base, before, after)


def report(info: dict, command: list, base: str | None, before: list, after: list) -> None:
    """The summary section of reports/benchmarks.md and the block of memory_profile.md."""
    summary = [
        "## Memory of the whole default run (`benchmarks/bench_memory.py`)",
        "",
        machine_md(info),
        f"Command: `python {' '.join(command)}`. Goal: under {GOAL_MB:,} MB at every scale. "
        "Stage by stage attribution: [memory_profile.md](memory_profile.md).",
        "",
        "The estimate is what the run printed before any work (`runs/estimate.py`); it should "
        "not be below the peak.",
        "",
        "| scale | peak RSS MB | peak PSS MB | estimate MB | seconds | load | under 1 GB | "
        "DuckDB retries |" + (" before: RSS MB, seconds |" if before else ""),
        "|---:|---:|---:|---:|---:|---:|---|---:|" + ("---:|" if before else ""),
    ]
    for w in after:
        row = (
            f"| {w['scale']:g} | {w['peak_rss_mb']:,.0f} | {w['peak_pss_mb']:,.0f} | "
            f"{_num(w.get('estimate_mb'))} | {w['seconds']:.0f} | {w['load']:.1f} | "
            f"{'yes' if w['peak_rss_mb'] < GOAL_MB else 'no'} | {w.get('duckdb_retries', '–')} |"
        )
        if before:
            b = next((x for x in before if x["scale"] == w["scale"]), None)
            row += (
                f" {b['peak_rss_mb']:,.0f}, {b['seconds']:.0f} s (load {b['load']:.1f}) |"
                if b
                else " – |"
            )
        summary.append(row)
    data = {"machine": info, "command": command, "base": base, "before": before,
            "after": after}  # fmt: skip
    write_section("memory", "\n".join(summary), data)
    doc = [
        "# Memory profile of the whole default run",
        "",
        "Written by `benchmarks/bench_memory.py`; the method is in its docstring.",
        "",
        *summary[2:],
        "",
        "### Attribution by stage",
        "",
        *attribution(after, "this tree"),
    ]
    if before:
        doc += [f"### Before: {base}", "", *attribution(before, str(base))]
    write_profile("\n".join(doc[4:]))


def _num(mb: float | None) -> str:
    return "–" if mb is None else f"{mb:,.0f}"


def write_profile(block: str) -> None:
    """reports/memory_profile.md: the measured block replaced, the text around it kept."""
    path = REPORTS / "memory_profile.md"
    begin, end = "<!-- BEGIN bench_memory -->", "<!-- END bench_memory -->"
    head = (
        "# Memory profile of the whole default run\n\n"
        "The block below is written by `benchmarks/bench_memory.py` (the method is in its "
        "docstring); the text around it is kept when it runs again.\n"
    )
    text = path.read_text() if path.exists() else head
    new = f"{begin}\n{block.strip()}\n{end}"
    if begin in text:
        text = re.sub(re.escape(begin) + r".*?" + re.escape(end), lambda _m: new, text, flags=re.S)
    else:
        text = text.rstrip() + "\n\n" + new + "\n"
    path.write_text(text)


if __name__ == "__main__":
    main()
