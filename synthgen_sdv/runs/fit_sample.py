"""fit-sample, the realistic stage, on any source: one path for a config and for your own data.

``run_fit_sample(source, out, formats, model)`` loads the source (the rule-based bootstrap, or a
folder of your tables), fits a registered synthesizer on the modeled tables, samples, lets the
source finish the sampled tables, writes the output folder with the one writer and, where the
source has one, the comparison report. ``fit`` and ``run_fit`` are its first half (``run_fit``
saves a model folder that ``sample`` needs nothing else for)::

    source = ConfigSource(plan)                       # or UserSource(data_dir, seed=0)
    fitted = fit(source, "hma")                       # Fitted
    sampled = sample(fitted, scale=2.0, seed=7)       # Sampled: tables, sources, lineage, notes

fit-sample samples with the run's seed (the fitting seed), so the same config and seed give
the same output, byte for byte.
"""

from __future__ import annotations

import time
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from synthgen_sdv.core.progress import QUIET, Progress
from synthgen_sdv.io import layout
from synthgen_sdv.io.output import check_replaceable
from synthgen_sdv.io.spill import Spill
from synthgen_sdv.runs.fitting import check_modeled, fit_line, fit_synthesizer
from synthgen_sdv.runs.sample import (
    FitSampleOutcome,
    check_engine,
    sample,
    save_fitted,
    write_sampled,
)
from synthgen_sdv.runs.source import Fitted, Sampled, Source
from synthgen_sdv.synth import SYNTHESIZERS
from synthgen_sdv.synth.batches import BatchSampler
from synthgen_sdv.synth.store import signing_key


def fit(
    source: Source,
    model: str,
    modeled: list[str] | None = None,
    params: dict[str, Any] | None = None,
    progress: Progress = QUIET,
) -> Fitted:
    """Fit ``model`` on ``modeled`` tables of ``source`` (default: the source's choice).
    Names are checked before any work: the synthesizer, and the tables when the source knows
    them before loading."""
    SYNTHESIZERS.get(model)
    early = source.early_names()
    if modeled and early is not None:
        check_modeled(list(modeled), early)
    source.load(progress)
    modeled = list(modeled) if modeled else source.default_tables()
    source.check_modeled(modeled)
    view = source.fit_view(modeled)
    progress.stage(fit_line(model, source.tables, modeled))
    synth = fit_synthesizer(
        model, view.tables, view.metadata, modeled, source.seed, not progress.quiet, params
    )
    rows = {t: len(view.tables[t]) for t in modeled}
    return Fitted(source, synth, model, modeled, rows, view)


@dataclass
class FitOutcome:
    """A model saved by ``fit``: where, which synthesizer, on which tables."""

    path: Path
    model: str
    modeled: list[str]
    seconds: float


def run_fit(
    source: Source,
    model: str,
    model_dir: Path,
    modeled: list[str] | None = None,
    params: dict[str, Any] | None = None,
    progress: Progress = QUIET,
    overwrite: bool = False,
) -> FitOutcome:
    """``fit``: fit and save a model folder in ``model_dir`` (``synth.store``): the model and
    what sampling needs besides it, so ``sample`` reads neither the data nor a config. An
    earlier model there is replaced only with ``overwrite``."""
    started = time.perf_counter()
    check_replaceable(Path(model_dir), overwrite, "--model-dir")  # before the fit, not after
    signing_key()  # a key too short to sign with, too
    progress.stages(2)  # load (bootstrap or read), fit
    fitted = fit(source, model, modeled, params, progress)
    path = save_fitted(fitted, model_dir, overwrite)
    return FitOutcome(path, fitted.model, fitted.modeled, time.perf_counter() - started)


def run_fit_sample(
    source: Source,
    out: Path,
    formats: list[str],
    model: str,
    modeled: list[str] | None = None,
    scale: float = 1.0,
    params: dict[str, Any] | None = None,
    compare: bool = True,
    progress: Progress = QUIET,
    num_rows: Mapping[str, int] | None = None,
    overwrite: bool = False,
    engine: str | BatchSampler = "local",
    spark_master: str | None = None,
) -> FitSampleOutcome:
    """Load, fit, sample (with the run's seed; ``num_rows`` instead of ``scale`` sizes root
    tables), write ``out`` atomically, and compare when the source can. An earlier output in
    ``out`` is replaced only with ``overwrite``. ``engine``: where the sample's batches are
    drawn (``local`` workers, or ``spark`` at ``spark_master``; the same output)."""
    started = time.perf_counter()
    check_engine(engine, spark_master)  # before the bootstrap and the fit
    out = Path(out)
    check_replaceable(out.resolve(), overwrite)  # fail before minutes of fitting, not after
    progress.stages(5 if compare else 4)  # load, fit, sample, write (, compare): one count
    t = time.perf_counter()
    source.load(progress)
    timings = {source.load_key: time.perf_counter() - t}
    with Spill(out.resolve().parent) as spill:  # batches on disk until written, then gone
        with source.fitting(out):
            t = time.perf_counter()
            fitted = fit(source, model, modeled, params, progress)
            timings["fit_s"] = time.perf_counter() - t
            t = time.perf_counter()
            sampled = sample(
                fitted,
                scale,
                progress,
                num_rows=num_rows,
                spill=spill,
                engine=engine,
                spark_master=spark_master,
            )
            timings["sample_s"] = time.perf_counter() - t
        outcome = _write(
            source, fitted, sampled, out, formats, timings, params, compare, progress, overwrite
        )
    outcome.seconds = time.perf_counter() - started
    return outcome


def _write(
    source: Source,
    fitted: Fitted,
    sampled: Sampled,
    out: Path,
    formats: list[str],
    timings: dict[str, float],
    params: dict[str, Any] | None,
    compare: bool,
    progress: Progress,
    overwrite: bool,
) -> FitSampleOutcome:
    """fit-sample's write (and comparison) of ``sampled``, while its spilled batches exist."""
    for note in sampled.notes:
        progress.say(f"  - {note}")
    report: dict[str, Any] = {}

    def comparison(tmp: Path) -> None:
        progress.stage("compare with a holdout of the data the model learned from")
        began = time.perf_counter()
        study = source.compare(
            tmp / layout.REPORTS,
            fitted.model,
            fitted.modeled,
            params,
            progress,
            sampled=sampled,
            timings=timings,
        )
        if study is not None:
            report["path"] = out.resolve() / layout.COMPARISON_MD
            report["summary"] = study.report.summary
            report["headline"] = study.report.headline
            report["written_summary"] = study.report.written_summary
            report["seconds"] = time.perf_counter() - began

    t = time.perf_counter()
    written = write_sampled(
        source, sampled, out, formats, progress, comparison if compare else None, overwrite
    )
    timings["write_s"] = time.perf_counter() - t
    if report:
        timings["write_s"] -= report["seconds"]
        timings["compare_s"] = report["seconds"]
    final = out.resolve()
    files = source.done(final, progress)
    return FitSampleOutcome(final, written.result, sampled, timings, report or None, files)
