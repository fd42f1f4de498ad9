"""Batches of root rows as Spark tasks: ``sample --engine spark [--spark-master URL]``.

A sample is cut into batches of root rows (``synth.batches``); each batch is a pure function
of (model, sample seed, batch), so a batch can be drawn anywhere. ``SparkBatches`` runs each
batch as one Spark task: the fitted synthesizer is pickled once on the driver and broadcast
(executors unpickle it once per Python worker), the task draws its batch with
``batches.sample_batch`` (the same call a local worker makes, with the same derived seed and
counted keys) and sends the raw tables back. The driver finishes them in batch order exactly
as a local sample does (``runs.sample.sample_in_batches``: keys after the rows of the batches
before, derived columns, spilled to disk), so the output is the same, byte for byte, as local
sampling with the same model and seed (given the same versions of Python, numpy, SDV and
Faker on the executors).

Why the driver finishes, rather than the tasks: a batch's keys start after the rows of the
batches before it, and those counts are known only once the batches are drawn. Finishing on
the driver needs no second pass over written parts and no shared filesystem (executors write
nothing, as with ``generate --engine spark``); drawing is the expensive part (about 16 times
the finishing: 1.17 s against 0.07 s a batch of 185k rows for the default model), so one
driver keeps about that many executor cores busy.

Batches are submitted one Spark job each (from a few driver threads), at most ``in_flight``
at a time, and consumed in order, so the driver holds a bounded number of raw batches however
many cores the cluster has.
"""

from __future__ import annotations

import pickle
import re
import socket
import threading
import uuid
from collections import deque
from collections.abc import Collection, Iterable, Iterator
from concurrent.futures import Future, ThreadPoolExecutor
from typing import Any

import pandas as pd

from synthgen_sdv.core.errors import InputError, SynthgenError
from synthgen_sdv.synth.base import Synthesizer
from synthgen_sdv.synth.batches import Batch, sample_batch

#: most raw batches the driver waits on at once (each ~10-30 MB in memory at BATCH_ROWS)
MAX_IN_FLIGHT = 32

#: the unpickled model of the broadcast a Python worker saw last (workers are reused by tasks)
_MODEL: dict[str, Synthesizer] = {}
_MODEL_LOCK = threading.Lock()

_MASTER = re.compile(
    r"^(local(\[(\d+|\*)(,\d+)?\])?|local-cluster\[\d+,\d+,\d+\]|yarn|"
    r"spark://[^\s/]+|k8s://\S+|mesos://\S+)$"
)


def check_master(master: str) -> None:
    """Refuse a Spark master URL Spark would not take, and a ``spark://`` master nobody
    answers at (Spark itself retries for a minute and then fails the job): exit 2 with the
    address, before any work."""
    if not _MASTER.match(master):
        raise InputError(
            f"--spark-master {master}: not a Spark master URL; use local[N], local[*], "
            "spark://HOST:PORT[,HOST:PORT], yarn or k8s://https://HOST:PORT"
        )
    if not master.startswith("spark://"):
        return
    failures = []
    for address in master.removeprefix("spark://").split(","):
        host, _, port = address.rpartition(":")
        if not host or not port.isdigit():
            raise InputError(f"--spark-master {master}: '{address}' is not HOST:PORT")
        try:
            with socket.create_connection((host, int(port)), timeout=5):
                return  # one master of a high-availability list answering is enough
        except OSError as exc:
            failures.append(f"{address} ({exc.strerror or exc})")
    raise InputError(
        f"--spark-master {master}: cannot connect to {', '.join(failures)}; is the Spark "
        "master running, and is its port reachable from here?"
    )


def _model(broadcast: Any, token: str) -> Synthesizer:
    """The broadcast model (``token`` names it), unpickled once per Python worker; only the
    last one is kept."""
    with _MODEL_LOCK:
        model = _MODEL.get(token)
        if model is None:
            _MODEL.clear()
            model = _MODEL[token] = pickle.loads(broadcast.value)
        return model


def _draw(
    broadcast: Any,
    token: str,
    seed: int,
    count: int,
    renumbered: frozenset[str],
    rows: Iterable[Batch],
) -> list[tuple[Batch, dict[str, pd.DataFrame]]]:
    """What one Spark task runs: its batch drawn from the broadcast model."""
    model = _model(broadcast, token)
    return [
        (b, sample_batch(model, b, seed=seed, count=count, renumbered=renumbered)) for b in rows
    ]


class SparkBatches:
    """Batches as tasks of the Spark application of ``spark`` (a ``SparkSession``);
    ``master`` names it for the progress line."""

    def __init__(self, spark: Any, master: str = "", in_flight: int | None = None):
        self.spark, self.master = spark, master
        cores = max(1, int(spark.sparkContext.defaultParallelism))
        self.in_flight = in_flight or max(2, min(2 * cores, MAX_IN_FLIGHT))
        self.cores = cores

    def describe(self) -> str:
        """``Spark <master>, N cores``."""
        return f"Spark {self.master or self.spark.sparkContext.master}, {self.cores} cores"

    def sample(
        self, synthesizer: Synthesizer, batches: list[Batch], renumbered: Collection[str]
    ) -> Iterator[tuple[Batch, dict[str, pd.DataFrame]]]:
        """Each batch one Spark job of one task, yielded in batch order as they finish."""
        sc = self.spark.sparkContext
        model = sc.broadcast(pickle.dumps(synthesizer, protocol=pickle.HIGHEST_PROTOCOL))
        seed, count, keys = batches[0].seed, len(batches), frozenset(renumbered)
        rdd = sc.parallelize(batches, len(batches))
        token = uuid.uuid4().hex
        group = f"synthgen_sdv sample {token}"

        def draw(rows: Iterable[Batch]) -> list[tuple[Batch, dict[str, pd.DataFrame]]]:
            return _draw(model, token, seed, count, keys, rows)

        def job(index: int) -> tuple[Batch, dict[str, pd.DataFrame]]:
            sc.setJobGroup(group, f"sample batch {index + 1}/{count}", interruptOnCancel=True)
            try:
                [result] = sc.runJob(rdd, draw, [index])
            except Exception as exc:  # Py4J errors carry the Python traceback as text
                lines = [ln for ln in str(exc).strip().splitlines() if ln.strip()]
                raise SynthgenError(
                    f"spark: sampling batch {index + 1}/{count} failed: "
                    f"{lines[-1] if lines else type(exc).__name__}"
                ) from None
            return result

        pool = ThreadPoolExecutor(min(self.in_flight, count), thread_name_prefix="spark-batch")
        pending: deque[Future] = deque()
        todo = iter(range(count))
        try:
            for index in todo:
                pending.append(pool.submit(job, index))
                if len(pending) >= self.in_flight:
                    break
            while pending:
                yield pending.popleft().result()
                nxt = next(todo, None)
                if nxt is not None:
                    pending.append(pool.submit(job, nxt))
        finally:
            for future in pending:
                future.cancel()
            if pending:
                sc.cancelJobGroup(group)
            pool.shutdown(wait=True)
            model.unpersist()

    def close(self) -> None:
        """Nothing here: the session belongs to whoever made it."""
