"""Sampling a fitted synthesizer and writing the output folder: the second half of fit-sample,
and the whole of ``sample`` (a model saved by ``fit``).

``sample(fitted, scale)`` returns the sampled tables made whole by their source (``Sampled``);
``run_sample`` loads a saved model, checks that it was made for this source, samples and writes.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from synthgen_sdv.core.progress import QUIET, Progress
from synthgen_sdv.generate.engine import GenerationResult
from synthgen_sdv.runs.output import Written, write_output
from synthgen_sdv.runs.source import Fitted, Sampled, Source
from synthgen_sdv.synth.store import load_model, read_manifest


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


def sample(fitted: Fitted, scale: float = 1.0, progress: Progress = QUIET) -> Sampled:
    """Sample ``scale`` times the fitted rows and let the source make them whole."""
    fitted.source.load(progress)
    progress.stage(f"sample at {scale:g}x the fitted rows; {fitted.source.finish_line}")
    return fitted.source.finish(fitted.synthesizer.sample(scale), fitted, scale)


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
    return write_output(Path(out), formats, output, extra, overwrite)


def load_fitted(source: Source, model_dir: Path) -> Fitted:
    """A model saved by ``fit``, refused (before unpickling) unless made for ``source`` with the
    installed versions. Only load model folders you trust: they are pickles."""
    manifest = read_manifest(model_dir)
    model, modeled = manifest["synthesizer"]["name"], list(manifest["tables"])
    synth = load_model(model_dir, source.model_hash(model, modeled))
    return Fitted(source, synth, model, modeled)


def run_sample(
    source: Source,
    model_dir: Path,
    out: Path,
    formats: list[str],
    scale: float = 1.0,
    progress: Progress = QUIET,
    overwrite: bool = False,
) -> FitSampleOutcome:
    """``sample``: load the model in ``model_dir``, sample at ``scale``, write ``out`` (an
    earlier output there is replaced only with ``overwrite``)."""
    started = time.perf_counter()
    progress.stages(3)  # load (bootstrap or read), sample, write
    fitted = load_fitted(source, model_dir)
    source.load(progress)
    t = time.perf_counter()
    sampled = sample(fitted, scale, progress)
    timings = {"sample_s": time.perf_counter() - t}
    t = time.perf_counter()
    written = write_sampled(source, sampled, out, formats, progress, overwrite=overwrite)
    timings["write_s"] = time.perf_counter() - t
    final = Path(out).resolve()
    files = source.done(final, progress)
    seconds = time.perf_counter() - started
    return FitSampleOutcome(final, written.result, sampled, timings, None, files, seconds)
