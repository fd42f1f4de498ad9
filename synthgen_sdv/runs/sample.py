"""Sampling a fitted synthesizer and writing the output folder: the second half of fit-sample,
and the whole of ``sample`` (a model folder saved by ``fit``).

``sample(fitted, scale, seed=...)`` returns the sampled tables made whole by their source
(``Sampled``). The seed is an argument of the draw, not a part of the model: the same model,
seed and scale give the same tables, and ``runs.model_folder.run_sample`` draws a fresh seed
when none is given and records it in the output's schema_metadata.json (``sampling.seed``),
so that any sample can be drawn again. ``num_rows`` asks for row counts of root tables instead
of a scale (the other tables follow their parents)::

    fitted = model_folder.load_fitted("model")         # no data, no config needed
    sampled = sample(fitted, num_rows={"customers": 500}, seed=7)
"""

from __future__ import annotations

import contextlib
import secrets
import time
from collections.abc import Callable, Iterator, Mapping
from contextlib import closing, contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pandas as pd

from synthgen_sdv.core.errors import InputError
from synthgen_sdv.core.extras import require
from synthgen_sdv.core.progress import QUIET, Progress
from synthgen_sdv.core.registry import Registry
from synthgen_sdv.generate.engine import GenerationResult
from synthgen_sdv.generate.spark import SparkExecutor
from synthgen_sdv.io.spill import Spill
from synthgen_sdv.runs.output import Written, write_output
from synthgen_sdv.runs.source import Fitted, Sampled, Source
from synthgen_sdv.synth.batches import (
    Batch,
    BatchSampler,
    LocalBatches,
    counted_keys,
    model_widths,
    plan_batches,
)
from synthgen_sdv.synth.spark_sample import SparkBatches, check_master
from synthgen_sdv.synth.store import save_model

#: seeds drawn for a fresh sample are below this (any int the CLI's --seed takes)
SEED_RANGE = 2**31


@dataclass
class FitSampleOutcome:
    """What fit-sample (or sample) wrote: the folder, row counts, the sampled tables, how long
    each stage took, the comparison report and the files worth pointing at."""

    out: Path
    result: GenerationResult
    sampled: Sampled
    timings: dict[str, float]
    report: dict[str, Any] | None = None
    files: dict[str, Path] = field(default_factory=dict)
    seconds: float = 0.0

    @property
    def sources(self) -> dict[str, str]:
        """Where each sampled table came from (``synthesizer:<model>``, copied, ...)."""
        return self.sampled.sources

    @property
    def synth_params(self) -> dict[str, Any]:
        """The fitted synthesizer's parameters."""
        return self.sampled.params

    @property
    def seed(self) -> int:
        """The seed the tables were sampled with."""
        return int(self.sampled.sampling["seed"])


#: where batches are drawn, by ``--engine``: a context manager of a ``BatchSampler`` made from
#: (workers, spark master); what it started ends with it
ENGINES: Registry[Callable[[int, str | None], Any]] = Registry("sampling engine")


@ENGINES.register("local")
@contextmanager
def _local(workers: int, master: str | None) -> Iterator[BatchSampler]:
    """This process, or ``workers`` forked processes."""
    yield LocalBatches(max(1, int(workers)))


@ENGINES.register("spark")
@contextmanager
def _spark(workers: int, master: str | None) -> Iterator[BatchSampler]:
    """Tasks of a Spark application at ``master`` (default ``local[2]``), started here and
    stopped after (a session already active in this process is used and left running)."""
    master = master or "local[2]"
    executor = SparkExecutor(master, app="synthgen_sdv sample")
    sampler = SparkBatches(lambda: executor.spark, master)  # started by prepare, or first use
    try:
        yield sampler
    finally:
        sampler.close()
        executor.close()


def _spark_ready(master: str | None) -> None:
    """pyspark installed (an optional extra: else the install hint, exit 2) and ``master`` a
    Spark master URL that answers (``synth.spark_sample.check_master``)."""
    require("pyspark", "spark", "Sampling on Spark (--engine spark)")
    check_master(master or "local[2]")


@contextmanager
def sampling_engine(
    engine: str | BatchSampler = "local", workers: int = 1, spark_master: str | None = None
) -> Iterator[BatchSampler]:
    """The ``BatchSampler`` of ``engine`` (a name of ``ENGINES``, or a sampler, used as given)
    for the length of a sample."""
    check_engine(engine, spark_master)
    if not isinstance(engine, str):
        yield engine
        return
    with ENGINES.get(engine)(workers, spark_master) as sampler:
        yield sampler


def check_engine(engine: str | BatchSampler, spark_master: str | None = None) -> None:
    """Refuse an unknown engine, and a Spark master without the Spark engine (exit 2)."""
    if spark_master and engine != "spark":
        raise InputError(f"--spark-master {spark_master}: it needs --engine spark")
    if isinstance(engine, str) and engine not in ENGINES:
        raise InputError(f"--engine {engine}: {ENGINES.unknown_message(engine)}")
    if engine == "spark":
        _spark_ready(spark_master)


def draw_seed() -> int:
    """A fresh seed for a sample nobody gave a seed to (recorded, so it can be reused)."""
    return secrets.randbelow(SEED_RANGE)


def root_tables(fitted: Fitted) -> list[str]:
    """The modeled tables without a modeled parent: the tables a scale (or ``num_rows``) sizes."""
    prepared = fitted.synthesizer.prepared
    metadata = prepared.model_metadata if prepared is not None else {"relationships": []}
    children = {
        r["child_table_name"]
        for r in metadata.get("relationships", [])
        if r["parent_table_name"] != r["child_table_name"]
    }
    return [t for t in fitted.modeled if t not in children]


def rows_scale(fitted: Fitted, num_rows: Mapping[str, int]) -> float:
    """The scale that gives each root table of ``num_rows`` its row count.

    The synthesizers sample every root table at one scale (SDV's HMA takes one), so several
    roots must ask for the same multiple of their fitted rows; child tables follow their
    parents and cannot be sized directly.
    """
    roots = root_tables(fitted)
    scales: dict[str, float] = {}
    for table, n in num_rows.items():
        if table not in fitted.modeled:
            raise InputError(
                f"--num-rows {table}: not a modeled table; modeled tables are: "
                f"{', '.join(fitted.modeled)} (root tables: {', '.join(roots)})"
            )
        if table not in roots:
            raise InputError(
                f"--num-rows {table}: its rows follow its parents' sampled children; give the "
                f"row count of a root table instead ({', '.join(roots)})"
            )
        if isinstance(n, bool) or not isinstance(n, int) or n <= 0:
            raise InputError(f"--num-rows {table}={n!r}: a row count must be an integer > 0")
        fitted_rows = fitted.rows.get(table, 0)
        if fitted_rows <= 0:
            raise InputError(f"--num-rows {table}: the model learned from 0 rows of it")
        scales[table] = n / fitted_rows
    if len({round(s, 9) for s in scales.values()}) > 1:
        asked = ", ".join(
            f"{t}={num_rows[t]} ({s:.4g}x its {fitted.rows[t]} fitted rows)"
            for t, s in scales.items()
        )
        raise InputError(
            f"--num-rows: {asked}: every root table is sampled at the same multiple of its "
            "fitted rows; give one root table, or counts in the fitted proportions"
        )
    return next(iter(scales.values()))


def sample(
    fitted: Fitted,
    scale: float = 1.0,
    progress: Progress = QUIET,
    *,
    seed: int | None = None,
    num_rows: Mapping[str, int] | None = None,
    drawn: bool = False,
    workers: int | None = None,
    spill: Spill | None = None,
    engine: str | BatchSampler = "local",
    spark_master: str | None = None,
) -> Sampled:
    """Sample ``scale`` times the fitted rows (or ``num_rows`` of root tables) with ``seed``
    (default: the fitting seed) and let the source make them whole. ``drawn`` says the seed
    was drawn fresh (recorded with it). A source that can (``Source.batched``) samples in
    batches of root rows (``synth.batches``), drawn by ``engine``: ``local`` (``workers``
    processes, default: the source's), ``spark`` (tasks of a Spark application at
    ``spark_master``, default ``local[2]``; ``synth.spark_sample``) or a ``BatchSampler``; the
    tables are the same for any engine and number of workers. With ``spill``, a sample of
    several batches goes to disk batch by batch and its tables are ``io.spill.SpilledTable``s
    (read a chunk at a time by the writer), so memory does not grow with the scale; they live
    as long as ``spill``."""
    if num_rows:
        scale = rows_scale(fitted, num_rows)
    if isinstance(scale, bool) or not isinstance(scale, int | float) or not scale > 0:
        raise InputError(f"scale must be a number > 0, got {scale!r}")
    seed = fitted.seed if seed is None else int(seed)
    check_engine(engine, spark_master)  # before the bootstrap, not after
    workers = workers or int(getattr(fitted.source, "workers", 1))
    widths = model_widths(fitted.synthesizer, fitted.modeled)
    planned = plan_batches(scale, seed, fitted.rows, widths)
    with contextlib.ExitStack() as stack:
        sampler = None
        if len(planned) > 1 or fitted.source.batch_alone:  # batches unless the source says no
            sampler = stack.enter_context(sampling_engine(engine, workers, spark_master))
            sampler.prepare(fitted.synthesizer)  # Spark starts while the source loads
        fitted.source.load(progress)
        progress.stage(
            f"sample at {scale:g}x the fitted rows (seed {seed}); {fitted.source.finish_line}"
        )
        batches = planned if fitted.source.batchable(fitted) else []
        if sampler is not None and batches:
            sampled = sample_in_batches(fitted, batches, scale, seed, sampler, progress, spill)
        else:  # one plain draw in this process (whatever the engine: nothing to spread)
            why = "fits in one batch" if batches else "cannot be cut into batches"
            if engine != "local":
                progress.say(f"  this sample {why}: drawn here, not by --engine {engine}")
            elif len(planned) > 1:
                progress.say(f"  this sample {why}: drawn in one piece, memory grows with scale")
            # the countable keys counted here too (``finish`` numbers them as a batch's)
            with counted_keys(fitted.synthesizer, fitted.source.renumbered(fitted)):
                raw = fitted.synthesizer.sample(scale, seed=seed)
            sampled = fitted.source.finish(raw, fitted, scale, seed)
    sampled.sampling = {
        "seed": seed,
        "seed_drawn": drawn,
        "scale": scale,
        "num_rows": dict(num_rows) if num_rows else None,
        "model": {
            "synthesizer": fitted.model,
            "tables": list(fitted.modeled),
            "fitted_rows": dict(fitted.rows),
            "fit_seed": fitted.seed,
        },
    }
    if num_rows:
        for table, n in num_rows.items():
            got = len(sampled.tables.get(table, ()))
            if got != n:
                sampled.notes.append(f"{table}: {got} rows sampled, {n} asked (--num-rows)")
    return sampled


def sample_in_batches(
    fitted: Fitted,
    batches: list[Batch],
    scale: float,
    seed: int,
    sampler: BatchSampler | int = 1,
    progress: Progress = QUIET,
    spill: Spill | None = None,
) -> Sampled:
    """``scale`` drawn batch by batch (``synth.batches.plan_batches``) by ``sampler`` (or that
    many local workers), each finished here by the source, in batch order, with its keys
    after the rows of the batches before it, then put together: in memory, or (several
    batches and a ``spill``) as parts on disk."""
    source, modeled = fitted.source, fitted.modeled
    if isinstance(sampler, int):
        sampler = LocalBatches(sampler)
    if len(batches) > 1:
        where = "spilled to disk batch by batch" if spill is not None else "in memory"
        progress.say(
            f"  {len(batches)} batches of up to {batches[0].scale:g}x the fitted rows"
            f" ({sampler.describe()}; {where})"
        )
    spill = spill if len(batches) > 1 else None
    parts: dict[str, list[pd.DataFrame]] = {t: [] for t in modeled}
    offsets = dict.fromkeys(modeled, 0)
    renumbered = source.renumbered(fitted)
    bar = BatchLines(progress, len(batches), scale) if len(batches) > 1 else None
    # closed (Spark jobs cancelled, workers ended) if finishing a batch fails
    with closing(sampler.sample(fitted.synthesizer, batches, renumbered)) as drawn:
        bars = progress.bar(drawn, total=len(batches), desc="batches", unit="batch")
        for batch, raw in bars:
            tables = source.finish_tables(raw, fitted, offsets, seed=batch.seed, scale=batch.scale)
            del raw
            for name in modeled:
                if spill is not None:
                    spill.append(name, tables[name])
                else:
                    parts[name].append(tables[name])
                offsets[name] += len(tables[name])
            if bar is not None:
                bar.done(batch.scale, offsets)
    if spill is not None:
        return source.whole(dict(spill.tables()), fitted, scale, seed)
    whole = {}
    for name in modeled:  # one table at a time: its batches are let go once joined
        frames = parts.pop(name)
        whole[name] = frames[0] if len(frames) == 1 else pd.concat(frames, ignore_index=True)
        del frames
    return source.whole(whole, fitted, scale, seed)


class BatchLines:
    """A line per sampled batch (at most one every ``every`` seconds, and the last): the
    batch, the rows of each table so far, the time taken and an ETA from the scale left."""

    def __init__(self, progress: Progress, batches: int, scale: float, every: float = 2.0):
        self.progress, self.batches, self.scale, self.every = progress, batches, scale, every
        self.started = self.last = time.perf_counter()
        self.count, self.sampled = 0, 0.0

    def done(self, part: float, rows: Mapping[str, int]) -> None:
        """Batch of ``part`` of the scale finished; ``rows``: rows of each table so far."""
        self.count += 1
        self.sampled += part
        now = time.perf_counter()
        if now - self.last < self.every and self.count < self.batches:
            return
        self.last = now
        took = now - self.started
        left = took * (self.scale - self.sampled) / self.sampled if self.sampled else 0.0
        counts = ", ".join(f"{t} {n:,}" for t, n in rows.items())
        eta = f", ETA {left:.0f} s" if self.count < self.batches else ""
        self.progress.say(f"  batch {self.count}/{self.batches}: {counts} rows; {took:.1f} s{eta}")


def write_sampled(
    source: Source,
    sampled: Sampled,
    out: Path,
    formats: list[str],
    progress: Progress = QUIET,
    extra: Callable[[Path], None] | None = None,
    overwrite: bool = False,
) -> Written:
    """Write ``sampled`` with the one writer (``extra`` adds to the staged folder)."""
    progress.stage(f"write: {source.write_line}")
    output = source.output(sampled, progress)
    output.sampling = sampled.sampling
    return write_output(Path(out), formats, output, extra, overwrite)


def save_fitted(fitted: Fitted, model_dir: str | Path, overwrite: bool = False) -> Path:
    """Save ``fitted`` as a model folder: the synthesizer and what its source needs to sample
    without its data (``Source.model_record``); an earlier model folder there is replaced only
    with ``overwrite``."""
    record, files = fitted.source.model_record(fitted)
    return save_model(
        fitted.synthesizer,
        model_dir,
        fit_seed=fitted.seed,
        rows=fitted.rows,
        source=record,
        files=files,
        overwrite=overwrite,
    )
