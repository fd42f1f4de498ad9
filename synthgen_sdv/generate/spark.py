"""Chunks as Spark tasks: ``generate --engine spark [--spark-master URL]``.

The family's ``FamilyJob`` (plan, kept tables) is broadcast once; every chunk is one Spark
task that runs the same ``count_task`` / ``chunk_task`` as a local worker and returns its
encoded pieces (complete small Parquet files, CSV rows) and labels. The driver appends the
pieces in chunk order into one file per table, exactly as the local engine does, so the output
folder is the same, byte for byte, as a local run with the same seed (given the same versions
of Python, numpy, pyarrow and Faker on the executors). Spark tasks run in any order, so key
offsets come from the row-count pre-pass rather than the local workers' shared ledger.

Tasks are submitted a wave at a time (a few per core), so the driver holds only one wave's
pieces, whatever the scale. Executors need synthgen_sdv installed (the same version), and
nothing is written on them: the driver writes the output folder.
"""

from __future__ import annotations

import sys
from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from typing import Any

from synthgen_sdv.core.errors import MissingExtraError, SynthgenError
from synthgen_sdv.generate.executors import EXECUTORS, Executor, Session, Task
from synthgen_sdv.generate.tasks import FamilyJob


def _session_builder():
    try:
        from pyspark.sql import SparkSession
    except ImportError:
        raise MissingExtraError("pyspark", "spark", "Generating on Spark") from None
    return SparkSession


def _run_partition(task: Task, job: Any, rows: Iterable[tuple[int, tuple[Any, ...]]]) -> list[Any]:
    """What one Spark task runs: ``task`` on its chunk (the job comes from the broadcast)."""
    value = job.value
    return [task(value, *item) for _, item in rows]


class _SparkSession(Session):
    def __init__(self, spark: Any, job: FamilyJob, wave: int):
        self.spark, self.wave = spark, wave
        self.job = spark.sparkContext.broadcast(job)

    def map(self, task: Task, items: Iterable[tuple[Any, ...]]) -> Iterator[Any]:
        items = list(items)
        if not items:
            return
        sc = self.spark.sparkContext
        rdd = sc.parallelize(list(enumerate(items)), len(items))
        job = self.job

        def run(rows: Iterable[tuple[int, tuple[Any, ...]]]) -> list[Any]:
            return _run_partition(task, job, rows)

        for start in range(0, len(items), self.wave):
            parts = list(range(start, min(start + self.wave, len(items))))
            try:
                results = sc.runJob(rdd, run, parts)
            except Exception as exc:  # Py4J errors carry the Python traceback as text
                first = str(exc).strip().splitlines()
                raise SynthgenError(
                    f"spark: generating chunks {parts[0]}..{parts[-1]} failed: "
                    f"{first[-1] if first else type(exc).__name__}"
                ) from None
            yield from results

    def close(self) -> None:
        self.job.unpersist()


class SparkExecutor(Executor):
    """Chunks as tasks of a Spark application (``master``: ``local[2]``, ``spark://host:7077``,
    ``yarn``, ...); a session given or already active is used and left running. ``app`` names
    the application (``sample --engine spark`` starts its session here too)."""

    shares_memory = False

    def __init__(
        self, master: str | None = None, spark: Any = None, app: str = "synthgen_sdv generate"
    ):
        self.master = master or "local[2]"
        self.app = app
        self._spark = spark
        self._own = False

    @property
    def spark(self) -> Any:
        """The Spark session, started on first use (pyspark is an optional extra)."""
        if self._spark is None:
            builder = _session_builder()
            self._own = builder.getActiveSession() is None
            self._spark = (
                builder.builder.master(self.master)
                .appName(self.app)
                .config("spark.ui.showConsoleProgress", "false")
                .config("spark.pyspark.python", sys.executable)
                .config("spark.pyspark.driver.python", sys.executable)
                .getOrCreate()
            )
        return self._spark

    @property
    def parallelism(self) -> int:  # type: ignore[override]
        """Cores Spark offers (default parallelism)."""
        return max(1, int(self.spark.sparkContext.defaultParallelism))

    @contextmanager
    def session(self, job: FamilyJob) -> Iterator[Session]:
        """The family's job broadcast to the executors, for as long as its tasks run."""
        session = _SparkSession(self.spark, job, wave=4 * self.parallelism)
        try:
            yield session
        finally:
            session.close()

    def close(self) -> None:
        """Stop the Spark session this executor started."""
        if self._spark is not None and self._own:
            self._spark.stop()
        self._spark = None


EXECUTORS.register("spark")(SparkExecutor)
