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

import contextlib
import pickle
import re
import socket
import threading
import time
import uuid
from collections import deque
from collections.abc import Callable, Collection, Generator, Iterable
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


def _warm(broadcast: Any, token: str, rows: Iterable[int]) -> list[int]:
    """A warm-up task: the Python worker imports this package and unpickles the model."""
    _model(broadcast, token)
    return [0 for _ in rows]


def _last_line(exc: BaseException) -> str:
    """The useful line of a Py4J / PySpark error (they carry whole Java and Python traces)."""
    lines = [ln.strip() for ln in str(exc).strip().splitlines() if ln.strip()]
    return lines[-1] if lines else type(exc).__name__


class SparkBatches:
    """Batches as tasks of a Spark application: ``spark`` is a ``SparkSession``, or a function
    that starts one (called in the background by ``prepare``); ``master`` names it for the
    progress line."""

    def __init__(
        self, spark: Any | Callable[[], Any], master: str = "", in_flight: int | None = None
    ):
        self._start = spark if callable(spark) and not hasattr(spark, "sparkContext") else None
        self._spark = None if self._start is not None else spark
        self.master, self._in_flight = master, in_flight
        self._shipped: tuple[Synthesizer, Any, str] | None = None  # (model, broadcast, token)
        self._warming: Future | None = None
        self._began = time.perf_counter()
        self.ready_s: float | None = None  # from ``prepare`` until the workers were warm

    @property
    def spark(self) -> Any:
        """The session (started on first use when given as a function)."""
        if self._spark is None:
            try:
                self._spark = self._start()  # type: ignore[misc]
            except SynthgenError:
                raise
            except Exception as exc:
                raise InputError(
                    f"spark: could not start a Spark application at {self.master or 'local[2]'}:"
                    f" {_last_line(exc)} (is Java installed, `java -version`, and JAVA_HOME "
                    "set?)"
                ) from None
        return self._spark

    @property
    def cores(self) -> int:
        """Cores Spark offers (default parallelism)."""
        return max(1, int(self.spark.sparkContext.defaultParallelism))

    @property
    def in_flight(self) -> int:
        """Batches asked for at once: 2 per core, at most ``MAX_IN_FLIGHT``."""
        return self._in_flight or max(2, min(2 * self.cores, MAX_IN_FLIGHT))

    def describe(self) -> str:
        """``Spark <master>, N cores``."""
        self._ready()
        master = self.master or self.spark.sparkContext.master
        ready = f", ready in {self.ready_s:.1f} s" if self.ready_s is not None else ""
        return f"Spark {master}, {self.cores} cores{ready}"

    def prepare(self, synthesizer: Synthesizer) -> None:
        """In the background, while the driver loads its data: start the session, broadcast
        the model and have each core's Python worker import the package and unpickle it (the
        first batch then does not pay for the JVM, the imports or the model)."""
        if self._warming is None:
            self._began = time.perf_counter()
            pool = ThreadPoolExecutor(1, thread_name_prefix="spark-warm")
            self._warming = pool.submit(self._warm, synthesizer)
            pool.shutdown(wait=False)

    def _warm(self, synthesizer: Synthesizer) -> None:
        sc = self.spark.sparkContext
        broadcast, token = self._ship(synthesizer)
        cores = self.cores
        try:
            sc.runJob(
                sc.parallelize(range(cores), cores),
                lambda rows: _warm(broadcast, token, rows),
                list(range(cores)),
            )
        except Exception as exc:
            raise SynthgenError(
                f"spark: preparing the executors failed: {_last_line(exc)}"
            ) from None

    def _ready(self) -> None:
        """Wait for ``prepare``'s work, raising what it raised."""
        if self._warming is not None:
            self._warming.result()

    def _ship(self, synthesizer: Synthesizer) -> tuple[Any, str]:
        """The model broadcast once (again only for another model)."""
        if self._shipped is None or self._shipped[0] is not synthesizer:
            if self._shipped is not None:
                self._shipped[1].unpersist()
            payload = pickle.dumps(synthesizer, protocol=pickle.HIGHEST_PROTOCOL)
            broadcast = self.spark.sparkContext.broadcast(payload)
            self._shipped = (synthesizer, broadcast, uuid.uuid4().hex)
        return self._shipped[1], self._shipped[2]

    def sample(
        self, synthesizer: Synthesizer, batches: list[Batch], renumbered: Collection[str]
    ) -> Generator[tuple[Batch, dict[str, pd.DataFrame]], None, None]:
        """Each batch one Spark job of one task, yielded in batch order as they finish."""
        self._ready()
        sc = self.spark.sparkContext
        model, token = self._ship(synthesizer)
        seed, count, keys = batches[0].seed, len(batches), frozenset(renumbered)
        rdd = sc.parallelize(batches, len(batches))
        group = f"synthgen_sdv sample {uuid.uuid4().hex}"

        def draw(rows: Iterable[Batch]) -> list[tuple[Batch, dict[str, pd.DataFrame]]]:
            return _draw(model, token, seed, count, keys, rows)

        def job(index: int) -> tuple[Batch, dict[str, pd.DataFrame]]:
            sc.setJobGroup(group, f"sample batch {index + 1}/{count}", interruptOnCancel=True)
            try:
                [result] = sc.runJob(rdd, draw, [index])
            except Exception as exc:  # Py4J errors carry the Python traceback as text
                raise SynthgenError(
                    f"spark: sampling batch {index + 1}/{count} failed: {_last_line(exc)}"
                ) from None
            return result

        in_flight = self.in_flight
        pool = ThreadPoolExecutor(min(in_flight, count), thread_name_prefix="spark-batch")
        pending: deque[Future] = deque()
        todo = iter(range(count))
        try:
            for index in todo:
                pending.append(pool.submit(job, index))
                if len(pending) >= in_flight:
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

    def close(self) -> None:
        """Let go of the broadcast model (the session belongs to whoever made it)."""
        if self._warming is not None:
            self._warming.cancel()
            with contextlib.suppress(Exception):
                self._warming.result()
        if self._shipped is not None and self._spark is not None:
            with contextlib.suppress(Exception):
                self._shipped[1].unpersist()
        self._shipped = None
