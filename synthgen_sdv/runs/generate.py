"""``generate``: the rule-based engine over a plan, into an output folder (written atomically)."""

from __future__ import annotations

import dataclasses
import time
from dataclasses import dataclass
from pathlib import Path

from synthgen_sdv.core.errors import InputError
from synthgen_sdv.core.extras import require
from synthgen_sdv.core.progress import QUIET, Progress
from synthgen_sdv.generate.engine import GenerationResult
from synthgen_sdv.generate.executors import EXECUTORS, Executor
from synthgen_sdv.generate.spark import SparkExecutor
from synthgen_sdv.io.writers import COMPRESSIONS, DEFAULT_COMPRESSION
from synthgen_sdv.runs.output import PlanOutput, write_output
from synthgen_sdv.schema.plan import Plan


@dataclass
class GenerateOutcome:
    """What ``generate`` wrote: the folder, the generation result, how long it took."""

    out: Path
    result: GenerationResult
    seconds: float


def executor_for(
    engine: str = "local", workers: int = 1, spark_master: str | None = None
) -> Executor:
    """Where chunks run: ``local`` (``workers`` processes) or ``spark`` (``spark_master``)."""
    if engine == "spark":
        require("pyspark", "spark", "Generating on Spark (--engine spark)")
        return SparkExecutor(spark_master)
    return EXECUTORS.get(engine)(workers)


def clean_only(plan: Plan) -> Plan:
    """``plan`` without its anomalies: no data_dirty/ and no anomaly labels (``--no-dirty``),
    for runs that need the clean tables only; the clean tables are the same bytes."""
    return dataclasses.replace(plan, anomalies=())


def run_generate(
    plan: Plan,
    out: Path,
    formats: list[str],
    workers: int = 1,
    progress: Progress = QUIET,
    etl: bool = True,
    engine: str | Executor = "local",
    spark_master: str | None = None,
    compression: str = DEFAULT_COMPRESSION,
    overwrite: bool = False,
    dirty: bool = True,
) -> GenerateOutcome:
    """Every table of ``plan`` to files; ``etl`` also executes lineage.yml over them.

    ``engine`` says where chunks are made: ``local`` (``workers`` processes), ``spark`` (tasks
    of a Spark application at ``spark_master``, default ``local[2]``), or an executor; the
    files are the same either way. ``compression``: the Parquet codec (snappy, zstd, ...).
    An earlier output in ``out`` is replaced only with ``overwrite``. ``dirty`` False skips the
    dirty copies and their labels (``clean_only``).
    """
    started = time.perf_counter()
    if not dirty:
        plan = clean_only(plan)
    if spark_master and engine != "spark":
        raise InputError(f"--spark-master {spark_master}: it needs --engine spark")
    if compression not in COMPRESSIONS:
        raise InputError(
            f"--compression {compression}: unknown Parquet codec; known: {', '.join(COMPRESSIONS)}"
        )
    executor = (
        engine if isinstance(engine, Executor) else executor_for(engine, workers, spark_master)
    )
    try:
        output = PlanOutput(
            plan,
            workers=workers,
            progress=progress,
            etl_enabled=etl,
            executor=executor,
            compression=compression,
        )
        written = write_output(Path(out), formats, output, overwrite=overwrite)
    finally:
        if not isinstance(engine, Executor):
            executor.close()
    return GenerateOutcome(Path(out).resolve(), written.result, time.perf_counter() - started)
