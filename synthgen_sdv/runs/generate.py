"""``generate``: the rule-based engine over a plan, into an output folder (written atomically)."""

from __future__ import annotations

import time
from dataclasses import dataclass
from pathlib import Path

from synthgen_sdv.core.progress import QUIET, Progress
from synthgen_sdv.generate.engine import GenerationResult
from synthgen_sdv.runs.output import PlanOutput, write_output
from synthgen_sdv.schema.plan import Plan


@dataclass
class GenerateOutcome:
    """What ``generate`` wrote: the folder, the generation result, how long it took."""

    out: Path
    result: GenerationResult
    seconds: float


def run_generate(
    plan: Plan,
    out: Path,
    formats: list[str],
    workers: int = 1,
    progress: Progress = QUIET,
    etl: bool = True,
    overwrite: bool = False,
) -> GenerateOutcome:
    """Every table of ``plan`` to files; ``etl`` also executes lineage.yml over them. An earlier
    output in ``out`` is replaced only with ``overwrite``."""
    started = time.perf_counter()
    output = PlanOutput(plan, workers=workers, progress=progress, etl_enabled=etl)
    written = write_output(Path(out), formats, output, overwrite=overwrite)
    return GenerateOutcome(Path(out).resolve(), written.result, time.perf_counter() - started)
