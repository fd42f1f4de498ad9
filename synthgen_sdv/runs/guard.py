"""The guard rails of a run: print its estimate, and stop it (exit 2) before any work when it
would not fit in the free disk space or the memory budget, unless the user forces it.

The memory budget is ``--memory-budget``, else config.yaml's ``memory_budget``, else
``DEFAULT_BUDGET`` of the memory available when the run starts. The free disk space is that
of the file system the output folder will be on (a run writes its new output beside the old
one, which it replaces only at the end, so the whole new output must fit).
"""

from __future__ import annotations

import shutil
from dataclasses import dataclass
from pathlib import Path

import psutil

from synthgen_sdv.core.errors import InputError
from synthgen_sdv.core.progress import QUIET, Progress
from synthgen_sdv.core.sizes import Size, human_bytes, parse_size
from synthgen_sdv.runs.estimate import Estimate

DEFAULT_BUDGET = "75%"


@dataclass(frozen=True)
class Limits:
    """What a run may use: free disk bytes where it writes, and its memory budget."""

    free_disk: int
    budget: int
    budget_source: str  # how the budget was set, for the message

    def problems(self, estimate: Estimate) -> list[str]:
        """What in ``estimate`` exceeds these limits (empty: it fits)."""
        out = []
        if estimate.lower_bound:
            out.append(
                "a trial run of this config with every root table cut to a few rows already "
                "made rows without end (children per parent row from an expression at the "
                "trial's cap), so its size at full scale is unknown"
            )
        if estimate.disk_bytes > self.free_disk:
            out.append(
                f"the output needs about {human_bytes(estimate.disk_bytes)} on disk, but only "
                f"{human_bytes(self.free_disk)} is free there"
            )
        if estimate.peak_memory_bytes > self.budget:
            parts = ", ".join(
                f"{k} {human_bytes(v)}"
                for k, v in sorted(estimate.memory_parts.items(), key=lambda kv: -kv[1])
            )
            out.append(
                f"the run needs about {human_bytes(estimate.peak_memory_bytes)} of memory at "
                f"its peak ({parts}), above the memory budget of {human_bytes(self.budget)} "
                f"({self.budget_source})"
            )
        return out


def free_disk(out: Path) -> int:
    """Free bytes on the file system ``out`` will be written to (its nearest existing folder)."""
    path = Path(out).resolve()
    while not path.exists() and path != path.parent:
        path = path.parent
    if not path.is_dir():
        path = path.parent
    return shutil.disk_usage(path).free


def limits(out: Path, budget: str | None, config_budget: str | None = None) -> Limits:
    """The free disk space at ``out`` and the memory budget (flag, else config, else default)."""
    if budget is not None:
        spec, source = parse_size(budget, "--memory-budget"), f"--memory-budget {budget}"
    elif config_budget is not None:
        spec, source = parse_size(config_budget, "memory_budget"), f"memory_budget {config_budget}"
    else:
        spec, source = parse_size(DEFAULT_BUDGET), f"default: {DEFAULT_BUDGET} of available memory"
    available = psutil.virtual_memory().available
    if spec.fraction is not None:
        source += f" of {human_bytes(available)} available"
    return Limits(free_disk(out), Size.of(spec, available), source)


def check(
    estimate: Estimate, limits: Limits, force: bool = False, progress: Progress = QUIET
) -> None:
    """Print the estimate; raise InputError (exit 2) with it when it exceeds ``limits``,
    unless ``force``."""
    progress.say(
        f"{estimate.line()} (free disk {human_bytes(limits.free_disk)}, "
        f"memory budget {human_bytes(limits.budget)})"
    )
    problems = limits.problems(estimate)
    if not problems:
        return
    if force:
        progress.say("  --force: running anyway, although " + "; and ".join(problems))
        return
    raise InputError(
        "\n".join(
            [
                f"this {estimate.command} run would not fit, so nothing was started:",
                f"  {estimate.line()}",
                *(f"  - {p}" for p in problems),
                "  lower --scale, free space or raise --memory-budget; --force runs it anyway",
            ]
        )
    )
