"""A model folder back to a fitted synthesizer, and the ``sample`` command's run: the folder's
manifest names its source kind (config or your data), whose ``from_model`` rebuilds what
sampling needs without the data. Apart from ``runs.sample`` because the kinds' sources
themselves sample (their holdout study fits and samples)."""

from __future__ import annotations

import time
from collections.abc import Callable, Mapping
from pathlib import Path

from synthgen_sdv.core.progress import QUIET, Progress
from synthgen_sdv.io.output import check_replaceable
from synthgen_sdv.io.spill import Spill
from synthgen_sdv.runs import from_config, from_user  # noqa: F401  (register SOURCE_KINDS)
from synthgen_sdv.runs.estimate import Estimate
from synthgen_sdv.runs.sample import (
    FitSampleOutcome,
    check_engine,
    draw_seed,
    rows_scale,
    sample,
    write_sampled,
)
from synthgen_sdv.runs.source import SOURCE_KINDS, Fitted, Source
from synthgen_sdv.synth.batches import BatchSampler
from synthgen_sdv.synth.store import load_model


def load_fitted(model_dir: str | Path, workers: int = 1) -> Fitted:
    """A model folder saved by ``fit``, checked (versions, hashes, signature) before it is
    unpickled, with its source rebuilt from the folder alone. Only load model folders you
    trust, or sign them (``synth.store``): a pickle runs code."""
    saved = load_model(model_dir)
    return SOURCE_KINDS.get(saved.manifest.kind).from_model(saved, workers)


def run_sample(
    model_dir: Path,
    out: Path | None = None,
    formats: list[str] | None = None,
    scale: float = 1.0,
    seed: int | None = None,
    num_rows: Mapping[str, int] | None = None,
    workers: int = 1,
    progress: Progress = QUIET,
    overwrite: bool = False,
    guard: Callable[[Source, Path, Estimate], None] | None = None,
    etl: bool = True,
    engine: str | BatchSampler = "local",
    spark_master: str | None = None,
) -> FitSampleOutcome:
    """``sample``: load the model folder, sample (a fresh seed unless ``seed``), write ``out``
    (default: the source's output folder) in ``formats`` (default: the source's). ``guard``
    sees the source's estimate of the sample before it starts (the CLI's size check); ``etl``
    False skips the source's ETL pipeline (lineage.yml of a config). ``engine``: where the
    batches are drawn (``local`` workers, or ``spark`` at ``spark_master``; the same output)."""
    started = time.perf_counter()
    check_engine(engine, spark_master)  # before the model is loaded
    progress.stages(3)  # load, sample, write
    fitted = load_fitted(model_dir, workers)
    source = fitted.source
    source.etl = etl
    drawn = seed is None
    seed = draw_seed() if seed is None else seed
    out = Path(out) if out is not None else source.default_out()
    check_replaceable(out.resolve(), overwrite)  # fail before sampling, not after
    formats = formats or source.default_formats()
    if guard is not None:
        size = rows_scale(fitted, num_rows) if num_rows else scale
        estimate = source.estimate(formats, fitted.modeled, size, fit=False, compare=False)
        if estimate is not None:
            guard(source, out, estimate)
    with Spill(out.resolve().parent) as spill:  # batches on disk until written, then gone
        t = time.perf_counter()
        sampled = sample(
            fitted,
            scale,
            progress,
            seed=seed,
            num_rows=num_rows,
            drawn=drawn,
            workers=workers,
            spill=spill,
            engine=engine,
            spark_master=spark_master,
        )
        timings = {"sample_s": time.perf_counter() - t}
        for note in sampled.notes:
            progress.say(f"  - {note}")
        t = time.perf_counter()
        written = write_sampled(source, sampled, out, formats, progress, overwrite=overwrite)
        timings["write_s"] = time.perf_counter() - t
    final = out.resolve()
    files = source.done(final, progress)
    seconds = time.perf_counter() - started
    return FitSampleOutcome(final, written.result, sampled, timings, None, files, seconds)
