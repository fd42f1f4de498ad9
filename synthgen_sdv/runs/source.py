"""Where fit-sample's data comes from: a config's rule-based bootstrap, or your own folder.

A ``Source`` is the reference tables with their SDV metadata and logical types, plus what only
it knows: which view of the tables a synthesizer learns from (``fit_view``), how sampled tables
are made whole (``finish``) and how they are written (``output``). Everything else, fitting,
sampling, timing and the one writer, is the same for every source (``runs.fit_sample``,
``runs.sample``); a new kind of input is a new ``Source``.
"""

from __future__ import annotations

from abc import ABC, abstractmethod
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pandas as pd

from synthgen_sdv.core.progress import Progress
from synthgen_sdv.runs.fitting import check_modeled
from synthgen_sdv.runs.output import Output
from synthgen_sdv.synth.base import Synthesizer


@dataclass
class FitView:
    """What a synthesizer learns from, and what the source needs back to finish samples."""

    tables: dict[str, pd.DataFrame]
    metadata: dict[str, Any]
    state: Any = None  # e.g. the keys hidden from the synthesizer, rebuilt after sampling


@dataclass
class Fitted:
    """A synthesizer fitted on ``modeled`` tables of ``source``: what ``sample`` needs."""

    source: Source
    synthesizer: Synthesizer
    model: str
    modeled: list[str]
    view: FitView | None = None  # None for a model loaded from disk (rebuilt when needed)


@dataclass
class Sampled:
    """Sampled tables made whole, with where each came from; what the writer writes.

    ``tables`` are the sampled tables (a config source generates the tables that depend on them
    while writing; your own data adds the parents it copies). ``lineage`` holds the
    generation_lineage.yaml entries of these tables, ``notes`` what was changed and why.
    """

    tables: dict[str, pd.DataFrame]
    sources: dict[str, str]
    lineage: dict[str, dict[str, Any]]
    modeled: list[str]
    scale: float
    synthesizer: Synthesizer
    params: dict[str, Any]
    metadata: dict[str, Any]
    types: dict[str, dict[str, str]]
    notes: list[str] = field(default_factory=list)


class Source(ABC):
    """The data a synthesizer learns from, and the source-specific steps around it."""

    #: the timings key of ``load`` (the stage a run reports first)
    load_key = "load_s"
    #: what ``finish`` does, for the stage line of sampling
    finish_line = ""
    #: what the writer writes, for the stage line of writing
    write_line = ""

    @property
    @abstractmethod
    def seed(self) -> int:
        """The seed of fitting, sampling and everything derived from them."""

    @abstractmethod
    def load(self, progress: Progress) -> None:
        """Make the reference tables (bootstrap, or read and detect); idempotent."""

    @property
    @abstractmethod
    def tables(self) -> dict[str, pd.DataFrame]:
        """The reference tables (after ``load``)."""

    @abstractmethod
    def table_names(self) -> list[str]:
        """Every table a synthesizer may model."""

    @abstractmethod
    def default_tables(self) -> list[str]:
        """The tables modeled when none are asked for."""

    def check_modeled(self, modeled: list[str]) -> None:
        """Refuse unknown tables before anything is fitted."""
        check_modeled(modeled, self.table_names())

    @abstractmethod
    def fit_view(self, modeled: list[str]) -> FitView:
        """The tables and SDV metadata the synthesizer sees (what it cannot model left out)."""

    @abstractmethod
    def finish(self, sampled: dict[str, pd.DataFrame], fitted: Fitted, scale: float) -> Sampled:
        """Raw synthesizer output made whole: keys, recomputed columns, copied parents."""

    @abstractmethod
    def output(self, sampled: Sampled, progress: Progress) -> Output:
        """What the one writer writes for ``sampled``."""

    @abstractmethod
    def model_hash(self, model: str, modeled: list[str]) -> str:
        """The identity a saved model is checked against before it is loaded."""

    def compare(
        self,
        report_dir: Path,
        model: str,
        modeled: list[str],
        params: dict[str, Any] | None,
        progress: Progress,
        *,
        sampled: Sampled | None = None,
        timings: dict[str, float] | None = None,
    ) -> Any | None:
        """Write the comparison report into ``report_dir`` (with ``sampled``, the output being
        written, scored against the source in its section 2); None when the source has none."""
        return None

    @contextmanager
    def fitting(self, out: Path) -> Iterator[None]:
        """Around fit and sample: a source may add advice to what fails (default: nothing)."""
        yield

    def done(self, out: Path, progress: Progress) -> dict[str, Path]:
        """Files of interest in the written ``out`` (said on ``progress``), by name."""
        return {}
