"""Shared by the benchmark scripts: machine facts, one section each in reports/benchmarks.md."""

from __future__ import annotations

import contextlib
import json
import os
import platform
import re
import subprocess
import sys
import tempfile
import threading
import time
from importlib import metadata
from pathlib import Path

import psutil

REPORTS = Path(__file__).resolve().parents[1] / "reports"
INDEX = REPORTS / "benchmarks.md"


def export_commit(commit: str, prefix: str = "bench_base_") -> Path:
    """``git archive commit`` unpacked in a temporary folder, to import its package from (a
    benchmark's "before")."""
    target = Path(tempfile.mkdtemp(prefix=prefix))
    archive = subprocess.run(
        ["git", "archive", commit], cwd=REPORTS.parent, capture_output=True, check=True
    ).stdout
    subprocess.run(["tar", "-x", "-C", str(target)], input=archive, check=True)
    return target


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


def whole_run_command(scale: float, out, workers: int | None, *extra: str) -> list[str]:
    """The whole default run as a user starts it (``generate --scale N --format parquet``,
    forced past the guard), for the benchmarks that time or profile it."""
    cmd = [sys.executable, "-m", "synthgen_sdv", "generate", "--scale", f"{scale:g}"]
    cmd += ["--format", "parquet", "--out", str(out), "--force", *extra]
    if workers is not None:
        cmd += ["--workers", str(workers)]
    return cmd


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


class TreeMemory:
    """A process tree's memory polled in a thread: peaks (sum of RSS, sum of PSS, largest
    RSS, most processes) and the (seconds, RSS MB, PSS MB) samples; ``stop`` gives the peaks."""

    def __init__(self, pid: int, interval: float = 0.1):
        self.root = psutil.Process(pid)
        self.t0 = time.perf_counter()
        self.interval = interval
        self.rss = self.pss = self.single = 0
        self.procs = 1
        self.samples: list[tuple[float, float, float]] = []
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, daemon=True)
        self._thread.start()

    def _run(self) -> None:
        while not self._stop.is_set():
            now = tree_memory(self.root)
            if now is None:
                return
            rss, pss, single, procs = now
            self.rss, self.pss = max(self.rss, rss), max(self.pss, pss)
            self.single, self.procs = max(self.single, single), max(self.procs, procs)
            self.samples.append((time.perf_counter() - self.t0, rss / 2**20, pss / 2**20))
            time.sleep(self.interval)

    def stop(self) -> dict:
        self._stop.set()
        self._thread.join(2)
        mb = 2**20
        return {
            "peak_rss_mb": self.rss / mb,
            "peak_pss_mb": self.pss / mb,
            "peak_single_rss_mb": self.single / mb,
            "processes": self.procs,
        }
