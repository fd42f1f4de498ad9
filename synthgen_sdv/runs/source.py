"""Where fit-sample's data comes from: a config's rule-based bootstrap, or your own folder.

A ``Source`` is the reference tables with their SDV metadata and logical types, plus what only
it knows: which view of the tables a synthesizer learns from (``fit_view``), how sampled tables
are made whole (``finish``), how they are written (``output``) and what a model folder must
hold to sample without the reference (``model_record`` / ``from_model``). Everything else,
fitting, sampling, timing and the one writer, is the same for every source (``runs.fit_sample``,
``runs.sample``); a new kind of input is a new ``Source``, registered in ``SOURCE_KINDS``.
"""

from __future__ import annotations

from abc import ABC, abstractmethod
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any, TypeVar

import pandas as pd
from pydantic import BaseModel, ValidationError

from synthgen_sdv.core.errors import InputError
from synthgen_sdv.core.progress import Progress
from synthgen_sdv.core.registry import Registry
from synthgen_sdv.runs.fitting import check_modeled
from synthgen_sdv.runs.output import Output
from synthgen_sdv.synth.base import Synthesizer
from synthgen_sdv.synth.store import SavedModel

if TYPE_CHECKING:
    from synthgen_sdv.runs.dataset import Dataset
    from synthgen_sdv.runs.estimate import Estimate


@dataclass
class FitView:
    """What a synthesizer learns from, and what the source needs back to finish samples."""

    tables: dict[str, pd.DataFrame]
    metadata: dict[str, Any]
    state: Any = None  # e.g. the keys hidden from the synthesizer, rebuilt after sampling


@dataclass
class Fitted:
    """A synthesizer fitted on ``modeled`` tables of ``source``: what ``sample`` needs.

    ``rows`` are the fitted rows of each modeled table (what ``scale`` multiplies);
    ``seed`` is the fitting seed (the default seed of a sample, not a part of the model's
    identity: any seed samples any model).
    """

    source: Source
    synthesizer: Synthesizer
    model: str
    modeled: list[str]
    rows: dict[str, int] = field(default_factory=dict)
    view: FitView | None = None  # a loaded model keeps only the state ``finish`` needs

    @property
    def seed(self) -> int:
        """The fitting seed."""
        return self.source.seed


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
    #: the ``sampling`` section of schema_metadata.json: seed, scale, rows asked, the model
    sampling: dict[str, Any] = field(default_factory=dict)


class Source(ABC):
    """The data a synthesizer learns from, and the source-specific steps around it."""

    #: the name of the source in a model folder's manifest (``SOURCE_KINDS``)
    kind = ""
    #: the timings key of ``load`` (the stage a run reports first)
    load_key = "load_s"
    #: what ``finish`` does, for the stage line of sampling
    finish_line = ""
    #: what the writer writes, for the stage line of writing
    write_line = ""
    #: whether a large sample may be drawn in batches of root rows (``synth.batches``): the
    #: source finishes each batch on its own (``finish_tables``) and then all of them (``whole``)
    batched = False
    #: whether a sample of one batch goes the batched way too (counted keys, ``finish_tables``)
    #: rather than one plain draw and ``finish`` (a config's samples always have)
    batch_alone = False
    #: whether the output runs the source's ETL pipeline, if it has one (a config's lineage.yml)
    etl = True

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

    def early_names(self) -> list[str] | None:
        """The table names when they are known before ``load`` (to refuse a typo before any
        work); None when only the loaded data says."""
        return None

    def default_out(self) -> Path:
        """Where a sample is written when no folder is given."""
        return Path("output")

    def default_formats(self) -> list[str]:
        """The file formats a sample is written in when none are given."""
        return ["parquet", "csv"]

    def default_scale(self) -> float:
        """How much fit-sample samples when no scale is given (a multiple of fitted rows)."""
        return 1.0

    def default_params(self) -> dict[str, Any] | None:
        """Synthesizer parameters when none are given (None: the synthesizer's defaults)."""
        return None

    def memory_budget(self) -> str | None:
        """The source's own memory budget for the guard (None: the default share)."""
        return None

    def estimate(
        self,
        formats: list[str],
        modeled: list[str] | None,
        scale: float,
        *,
        fit: bool = True,
        compare: bool = True,
    ) -> Estimate | None:
        """Rows, bytes and peak memory of a run before any work (``runs.estimate``); None when
        the source cannot say before loading its data."""
        return None

    @abstractmethod
    def fit_view(self, modeled: list[str]) -> FitView:
        """The tables and SDV metadata the synthesizer sees (what it cannot model left out)."""

    @abstractmethod
    def finish(
        self, sampled: dict[str, pd.DataFrame], fitted: Fitted, scale: float, seed: int
    ) -> Sampled:
        """Raw synthesizer output made whole: keys, recomputed columns, copied parents
        (``seed``: the seed of this sample, for anything the source draws)."""

    def finish_tables(
        self,
        sampled: dict[str, pd.DataFrame],
        fitted: Fitted,
        offsets: Mapping[str, int] | None = None,
        *,
        seed: int | None = None,
        scale: float = 1.0,
    ) -> dict[str, pd.DataFrame]:
        """One batch of raw synthesizer output made exact, its keys after ``offsets`` rows of
        each table (only sources with ``batched``; ``seed`` and ``scale``: the batch's, for
        anything the source draws)."""
        raise NotImplementedError(f"{type(self).__name__} does not sample in batches")

    def batchable(self, fitted: Fitted) -> bool:
        """Whether this model's sample may be cut into batches (``batched``, and nothing in the
        model that needs the whole sample at once)."""
        return self.batched

    def renumbered(self, fitted: Fitted) -> set[str]:
        """Modeled tables whose primary keys ``finish_tables`` replaces by its own (so the
        synthesizer need not draw them realistically; default: none)."""
        return set()

    def whole(
        self, tables: dict[str, pd.DataFrame], fitted: Fitted, scale: float, seed: int
    ) -> Sampled:
        """The batches' finished tables, together, as ``finish`` would return them (only
        sources with ``batched``)."""
        raise NotImplementedError(f"{type(self).__name__} does not sample in batches")

    @abstractmethod
    def output(self, sampled: Sampled, progress: Progress) -> Output:
        """What the one writer writes for ``sampled``."""

    @abstractmethod
    def dataset(self, sampled: Sampled, progress: Progress) -> Dataset:
        """``sampled`` in memory as the tables ``output`` would write (the Python API)."""

    @abstractmethod
    def model_record(self, fitted: Fitted) -> tuple[dict[str, Any], dict[str, bytes]]:
        """What a model folder needs to sample without this source's data: the manifest's
        ``source`` section (with ``kind``) and files by path inside the folder."""

    @classmethod
    @abstractmethod
    def from_model(cls, saved: SavedModel, workers: int = 1) -> Fitted:
        """The source rebuilt from a checked model folder (``model_record``), with its model."""

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


#: source kinds by the name a model folder records (``Source.kind``)
SOURCE_KINDS: Registry[type[Source]] = Registry("model source")

R = TypeVar("R", bound=BaseModel)


def source_record(model: type[R], saved: SavedModel) -> R:
    """The manifest's ``source`` section as ``model``; a missing or wrong key is an
    ``InputError`` (exit 2) naming it."""
    try:
        return model.model_validate(saved.manifest.source)
    except ValidationError as exc:
        lines = [f"  - source.{'.'.join(map(str, e['loc']))}: {e['msg']}" for e in exc.errors()]
        raise InputError(
            f"{saved.directory}/manifest.json: {len(lines)} problem(s):\n" + "\n".join(lines)
        ) from None
