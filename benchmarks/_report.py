"""Shared by the benchmark scripts: machine facts, one section each in reports/benchmarks.md."""

from __future__ import annotations

import contextlib
import json
import os
import platform
import re
from importlib import metadata
from pathlib import Path

import psutil

REPORTS = Path(__file__).resolve().parents[1] / "reports"
INDEX = REPORTS / "benchmarks.md"


def machine() -> dict:
    versions = {}
    for pkg in (
        "synthgen_sdv",
        "sdv",
        "sdmetrics",
        "pandas",
        "numpy",
        "pyarrow",
        "duckdb",
        "tpcgen-cli",
    ):
        with contextlib.suppress(metadata.PackageNotFoundError):
            versions[pkg] = metadata.version(pkg)
    return {
        "cpu": platform.processor() or platform.machine(),
        "cores": os.cpu_count(),
        "memory_gib": round(psutil.virtual_memory().total / 2**30, 1),
        "python": platform.python_version(),
        "os": platform.platform(),
        "versions": versions,
    }


def machine_md(info: dict) -> str:
    v = ", ".join(f"{k} {val}" for k, val in info["versions"].items())
    return (
        f"Machine: {info['cores']} cores, {info['memory_gib']} GiB, {info['os']}, "
        f"Python {info['python']}. Versions: {v}."
    )


def write_section(name: str, markdown: str, data: dict) -> None:
    """Replace this script's section of reports/benchmarks.md and write its JSON beside it."""
    REPORTS.mkdir(exist_ok=True)
    (REPORTS / f"bench_{name}.json").write_text(json.dumps(data, indent=2) + "\n")
    begin, end = f"<!-- BEGIN {name} -->", f"<!-- END {name} -->"
    block = f"{begin}\n{markdown.strip()}\n{end}"
    intro = "# Benchmarks\n\nEach section is written by a script in `benchmarks/`; rerun it.\n"
    text = INDEX.read_text() if INDEX.exists() else intro
    if begin in text:
        text = re.sub(
            re.escape(begin) + r".*?" + re.escape(end), lambda _m: block, text, flags=re.S
        )
    else:
        text = text.rstrip() + "\n\n" + block + "\n"
    INDEX.write_text(text)


def tree_memory(root: psutil.Process) -> tuple[int, int, int, int] | None:
    """Memory of ``root`` and its descendants now: (sum of RSS, sum of PSS, largest RSS) in
    bytes and the process count; None once ``root`` is gone. PSS counts a shared page once."""
    try:
        procs = [root, *root.children(recursive=True)]
    except psutil.NoSuchProcess:
        return None
    rss = pss = single = 0
    for p in procs:
        try:
            info = p.memory_full_info()
        except (psutil.NoSuchProcess, psutil.AccessDenied):
            continue
        rss += info.rss
        pss += getattr(info, "pss", info.rss)
        single = max(single, info.rss)
    return rss, pss, single, len(procs)
