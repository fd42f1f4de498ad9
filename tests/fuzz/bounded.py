"""Run CLI commands in one subprocess and measure each: exit code, stderr, seconds and memory
growth after the imports (the peak RSS is reset before each command through
/proc/self/clear_refs, so each command's own peak is read from VmHWM).

The subprocess also caps its address space well above the limits checked (``BACKSTOP_MB``), so
that an input that is not bounded fails there with MemoryError rather than exhausting the
machine; the parent kills it after ``timeout`` seconds if something hangs in C code.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
BACKSTOP_MB = 3_000

_RUNNER = r"""
import contextlib, io, json, resource, sys, time

import synthgen_sdv.cli as cli
import synthgen_sdv.runs.estimate, synthgen_sdv.runs.generate, synthgen_sdv.runs.config  # noqa


def status(key):
    for line in open("/proc/self/status"):
        if line.startswith(key + ":"):
            return int(line.split()[1]) * 1024
    return 0


vm = status("VmSize")
soft, hard = resource.getrlimit(resource.RLIMIT_AS)
cap = vm + int(sys.argv[1]) * 2**20
limit = cap if hard == resource.RLIM_INFINITY else min(cap, hard)
resource.setrlimit(resource.RLIMIT_AS, (limit, hard))
results = []
for argv in json.loads(sys.stdin.read()):
    with open("/proc/self/clear_refs", "w") as f:
        f.write("5")  # reset VmHWM, the peak RSS
    rss = status("VmRSS")
    err = io.StringIO()
    started = time.perf_counter()
    with contextlib.redirect_stderr(err), contextlib.redirect_stdout(io.StringIO()):
        try:
            code = cli.main(argv)
        except SystemExit as exc:  # argparse
            code = exc.code if isinstance(exc.code, int) else 2
    seconds = time.perf_counter() - started
    results.append(
        {"code": code, "stderr": err.getvalue(), "seconds": seconds,
         "memory_mb": max(status("VmHWM") - rss, 0) / 2**20}
    )
print(json.dumps(results))
"""


@dataclass(frozen=True)
class Outcome:
    """What one command did."""

    code: int
    stderr: str
    seconds: float
    memory_mb: float


def run_commands(commands: list[list[str]], cwd: Path, timeout: float = 600) -> list[Outcome]:
    """Each command (CLI arguments) in turn, in one bounded subprocess."""
    env = {**os.environ, "PYTHONPATH": str(ROOT), "MPLBACKEND": "Agg"}
    proc = subprocess.run(
        [sys.executable, "-c", _RUNNER, str(BACKSTOP_MB)],
        input=json.dumps(commands),
        capture_output=True,
        text=True,
        timeout=timeout,
        cwd=str(cwd),
        env=env,
    )
    if proc.returncode != 0:
        raise RuntimeError(f"the runner failed ({proc.returncode}):\n{proc.stderr[-4000:]}")
    return [Outcome(**r) for r in json.loads(proc.stdout.strip().splitlines()[-1])]
