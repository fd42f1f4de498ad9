"""The synthesizer interface every multi-table model implements, and its registry.

Public API::

    from synthgen_sdv.synth import SYNTHESIZERS
    synth = SYNTHESIZERS.get("hma")(seed=42)          # or "hma_stock", "gaussian_copula"
    synth.fit(tables, metadata, modeled=["customers", "orders", "transactions"])
    out = synth.sample(scale=1.0)                     # dict[str, DataFrame] of modeled tables
    synth.save("model.pkl"); same = type(synth).load("model.pkl")
    synth.params()                                    # {"name": ..., "params": {...}} for lineage

``fit`` checks the modeled subgraph (``limits``), drops PII columns (``pii``) and foreign keys
to tables that are not modeled (``reattach``), then calls the model's ``_fit``; ``sample``
calls ``_sample`` and puts those columns back, so every foreign key resolves.

Reproducibility: SDV has no seed argument (sdv issues #586, #2022). Randomness enters through
numpy's global RNG (copulas' sampling, SDV's HMA sampling seed, scipy fits), per-object
``RandomState``s (copulas models, RDT transformers), Python's ``random`` and torch (CTGAN-like
models). ``seeded(seed)`` (``seeding``) seeds numpy / random / torch and RDT's shared fit state
and restores them afterwards, and the synthesizers reset SDV's own sampling seeds from
``derive_seed`` before every ``sample`` call, so ``sample`` is a function of (fitted model,
seed, scale).
What stays outside our control is listed in ``NOT_REPRODUCIBLE``.
"""

from __future__ import annotations

import contextlib
import pickle
import time
from abc import ABC, abstractmethod
from collections.abc import Callable, Iterator, Sequence
from pathlib import Path
from typing import Any, ClassVar

import pandas as pd

from synthgen_sdv.core.errors import InputError
from synthgen_sdv.core.progress import Progress
from synthgen_sdv.core.registry import Registry
from synthgen_sdv.synth.marginals import keep_shares, learn_shares
from synthgen_sdv.synth.prepare import Prepared, prepare_for_fit, restore_after_sample
from synthgen_sdv.synth.seeding import (  # noqa: F401  (re-exported: the interface's seeding)
    NOT_REPRODUCIBLE,
    derive_seed,
    seeded,
)


class Stages:
    """Reports each stage: a line through ``core.progress`` when verbose, and
    ``progress(stage, seconds)`` when a callback is given (``seconds`` is None when the stage
    starts)."""

    def __init__(self, name: str, enabled: bool, progress: Callable | None = None):
        self.name, self.enabled, self.progress = name, enabled, progress
        self.reporter = Progress(quiet=not enabled)

    @contextlib.contextmanager
    def stage(self, what: str) -> Iterator[None]:
        """Report the start and the duration of one stage."""
        start = time.perf_counter()
        self._report(what, None)
        yield
        self._report(what, time.perf_counter() - start)

    def _report(self, what: str, seconds: float | None) -> None:
        if self.progress is not None:
            self.progress(what, seconds)
        done = "..." if seconds is None else f"{seconds:.1f}s"
        self.reporter.detail(f"[{self.name}] {what}: {done}")  # sub-steps: -v only


class Synthesizer(ABC):
    """A multi-table synthesizer: fit on a dict of tables + SDV metadata, sample at a scale."""

    name: ClassVar[str] = ""
    # True where ``_fit`` / ``_sample`` learn and keep the per-value shares themselves, on
    # the tables as the model sees them (encoded), rather than ``fit`` / ``sample`` here
    shares_inside: ClassVar[bool] = False

    def __init__(
        self,
        seed: int = 0,
        verbose: bool = False,
        pii: str = "regenerate",
        reattach_condition: str | None = "auto",
        progress: Callable[[str, float | None], None] | None = None,
    ):
        self.seed = int(seed)
        self.progress = progress
        self.verbose = bool(verbose)
        self.pii = pii
        self.reattach_condition = reattach_condition
        self.prepared: Prepared | None = None  # set by fit
        self.shares: list = []  # set by fit (``marginals``)
        self.timings: dict[str, float] = {}

    # ------------------------------------------------------------------ public
    def fit(
        self, tables: dict[str, pd.DataFrame], metadata, modeled: Sequence[str] | None = None
    ) -> Synthesizer:
        """Fit on ``tables`` (all tables; only ``modeled`` ones, default all, are learned)."""
        stages = Stages(self.name, self.verbose, self.progress)
        metadata_dict = metadata if isinstance(metadata, dict) else metadata.to_dict()
        with stages.stage("prepare (limits, PII, keys to unmodeled tables)"):
            self.prepared = prepare_for_fit(
                tables,
                metadata_dict,
                modeled,
                pii=self.pii,
                reattach_condition=self.reattach_condition,
            )
        start = time.perf_counter()
        with (
            stages.stage(f"fit {', '.join(self.prepared.modeled)}"),
            seeded(derive_seed(self.seed, "fit")),
        ):
            self._fit(self.prepared.model_tables, self.prepared.model_metadata)
        # discrete columns keep their real per-value shares (``marginals``); a synthesizer
        # that encodes its tables (hma's lookups and anchors) does it on the encoded ones
        if not self.shares_inside:
            self.shares = learn_shares(self.prepared.model_tables, getattr(self, "treatments", []))
        self.timings["fit_s"] = time.perf_counter() - start
        return self

    def sample(self, scale: float = 1.0, seed: int | None = None) -> dict[str, pd.DataFrame]:
        """Sample every modeled table; root tables get ``scale`` x their fitted rows.

        ``seed`` is the seed of this draw (default: the fitting seed): the same fitted model,
        seed and scale give the same tables, and another seed gives a fresh draw.
        """
        if self.prepared is None:
            raise InputError(f"synthesizer '{self.name}' is not fitted; call fit() or load one")
        if not (isinstance(scale, int | float) and scale > 0):
            raise InputError(f"scale must be a number > 0, got {scale!r}")
        stages = Stages(self.name, self.verbose, self.progress)
        start = time.perf_counter()
        fit_seed = self.seed
        # the hooks derive their sampling seeds from ``self.seed``: it is this draw's seed
        # while ``_sample`` runs, and the fitting seed again afterwards
        self.seed = fit_seed if seed is None else int(seed)
        try:
            with (
                stages.stage(f"sample scale={scale}"),
                seeded(derive_seed(self.seed, "sample", scale)),
            ):
                raw = self._sample(float(scale))
                if not self.shares_inside:
                    raw = keep_shares(raw, getattr(self, "shares", []), self.seed)
            with stages.stage("restore keys to unmodeled tables and PII"):
                restore_seed = derive_seed(self.seed, "restore", scale)
                out = restore_after_sample(raw, self.prepared, restore_seed)
        finally:
            self.seed = fit_seed
        self.timings["sample_s"] = time.perf_counter() - start
        return out

    def __getstate__(self):
        state = dict(self.__dict__)
        state["progress"] = None  # a callback belongs to the caller, not to the model file
        return state

    def params(self) -> dict[str, Any]:
        """Model name and parameters, for the lineage file."""
        out = {"name": self.name, "seed": self.seed, "params": self._params()}
        if self.prepared is not None:
            out["modeled_tables"] = list(self.prepared.modeled)
            out["column_treatments"] = [t.as_dict() for t in getattr(self, "treatments", [])]
            out["not_modeled"] = self.prepared.describe()
        return out

    def save(self, path: str | Path) -> None:
        """Pickle the fitted synthesizer (see ``synth.store`` for the versioned format)."""
        with open(path, "wb") as fh:
            pickle.dump(self, fh, protocol=pickle.HIGHEST_PROTOCOL)

    @classmethod
    def load(cls, path: str | Path) -> Synthesizer:
        """Unpickle a synthesizer. Only load files you trust: unpickling runs code."""
        with open(path, "rb") as fh:
            obj = pickle.load(fh)
        if not isinstance(obj, cls):
            raise InputError(f"{path}: holds a {type(obj).__name__}, not a {cls.__name__}")
        return obj

    # ------------------------------------------------------------------ hooks
    @abstractmethod
    def _fit(self, tables: dict[str, pd.DataFrame], metadata: dict) -> None:
        """Learn from the modeled tables (PII and unmodeled keys removed)."""

    @abstractmethod
    def _sample(self, scale: float) -> dict[str, pd.DataFrame]:
        """Sample the modeled tables, inside ``seeded``."""

    @abstractmethod
    def _params(self) -> dict[str, Any]:
        """Constructor parameters that define the model."""


SYNTHESIZERS: Registry[type[Synthesizer]] = Registry("synthesizer")


def for_table(info: dict[str, Any], table: str) -> dict[str, Any]:
    """``params()`` as one table's lineage entry: per-table lists (column treatments,
    re-attached keys, regenerated PII) keep only that table's items. The whole model's
    lists in every table's entry made a 19-table lineage file megabytes long."""
    return _only_table(info, table)


def _only_table(doc: Any, table: str) -> Any:
    """``doc`` without list items that name another table (a dict with a 'table' key)."""
    if isinstance(doc, dict):
        return {k: _only_table(v, table) for k, v in doc.items()}
    if isinstance(doc, list):
        return [
            _only_table(v, table)
            for v in doc
            if not (isinstance(v, dict) and "table" in v and v["table"] != table)
        ]
    return doc
