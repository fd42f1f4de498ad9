"""Where a result came from: the machine, the package versions and the git commit of the code.

Scores move when the synthesizers or the metrics change, and times depend on the machine, so
an ablation names both; a cached cell is reused only for the same commit.
"""

from __future__ import annotations

import contextlib
import os
import platform
import subprocess
from importlib import metadata as im
from typing import Any

from synthgen_sdv.schema.loader import DEFAULT_CONFIG_DIR


def machine_info() -> dict[str, Any]:
    """CPU, cores, memory, OS, Python and the versions of the packages that move the numbers."""
    versions = {}
    for pkg in ("synthgen_sdv", "sdv", "sdmetrics", "rdt", "copulas", "pandas", "numpy", "torch"):
        try:
            versions[pkg] = im.version(pkg)
        except im.PackageNotFoundError:
            versions[pkg] = "not installed"
    info: dict[str, Any] = {
        "cpu": platform.processor() or platform.machine(),
        "cores": os.cpu_count(),
        "os": platform.platform(),
        "python": platform.python_version(),
    }
    with contextlib.suppress(ImportError):
        import psutil

        info["memory_gib"] = round(psutil.virtual_memory().total / 2**30, 1)
    return {"machine": info, "versions": versions}


def source_revision() -> dict[str, Any] | None:
    """The git commit of the package, and whether its code differs from it: scores move when
    the synthesizers or the metrics change, so a stored result names the code it came from."""
    root = DEFAULT_CONFIG_DIR.parent
    try:
        git = ["git", "-C", str(root)]
        commit = subprocess.run(
            [*git, "rev-parse", "HEAD"], capture_output=True, text=True, timeout=10
        )
        status = subprocess.run(
            [*git, "status", "--porcelain", "--", "synthgen_sdv", "configs"],
            capture_output=True,
            text=True,
            timeout=10,
        )
    except (OSError, subprocess.SubprocessError):
        return None
    if commit.returncode != 0:
        return None
    return {"commit": commit.stdout.strip(), "modified": bool(status.stdout.strip())}
