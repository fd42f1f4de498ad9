"""The metric contract: what a metric sees (``EvalContext``), returns and registers in.

A metric is a class registered in ``METRICS`` with ``@METRICS.register(name)``. Its
``compute(ctx)`` returns a JSON-ready dict with at least ``score`` (float or None) and, when the
score is None, a ``reason``; ``columns(result)`` picks the few numbers the Markdown summary
shows. The families live beside this module (``sdmetrics_reports``, ``integrity``,
``utility``, ``privacy``, ``resources``); importing ``synthgen_sdv.evaluate.metrics`` registers
them all. The value encodings shared by several metrics and the plots (``as_number``,
``value_frame``) are here too, so every consumer reads a column the same way.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from typing import Any, ClassVar

import numpy as np
import pandas as pd

from synthgen_sdv.core.registry import Registry
from synthgen_sdv.evaluate.metrics.pairs import MAX_COLUMN_PAIRS
from synthgen_sdv.evaluate.relations import Dataset, TableGraph


def sdmetrics_thresholds() -> dict[str, Any]:
    """The pair-trend thresholds of the installed sdmetrics, read from its source constants."""
    import sdmetrics
    from sdmetrics.reports import utils

    return {
        "sdmetrics_version": sdmetrics.__version__,
        "real_correlation_threshold": utils.DEFAULT_REAL_CORRELATION_THRESHOLD,
        "real_association_threshold": utils.DEFAULT_REAL_ASSOCIATION_THRESHOLD,
        "num_rows_subsample": utils.DEFAULT_NUM_ROWS_SUBSAMPLE,
        "rule": (
            "Column Pair Trends and Intertable Trends average only pairs whose REAL (holdout) "
            "data passes the threshold: numerical/datetime pairs need |Pearson correlation| > "
            "real_correlation_threshold (CorrelationSimilarity); any pair with a categorical or "
            "boolean column (numbers binned) needs Cramer's V > real_association_threshold "
            "(ContingencySimilarity). With no qualifying pair the property is NaN (null here) "
            "and the overall score is the mean of the remaining properties."
        ),
    }


@dataclass
class EvalOptions:
    """Settings shared by every metric of one comparison."""

    seed: int = 0
    target: str | None = None  # "table.column"; None picks one from the metadata
    root_table: str | None = None  # the entity root; None picks one from the metadata
    max_model_rows: int = 20_000  # ML utility: rows to train / test on, each
    # privacy: SDMetrics' DCR is a cross join (query x reference rows), so both are sampled
    dcr_reference_rows: int = 1_000  # train (and holdout) rows searched
    dcr_query_rows: int = 500  # candidate / holdout rows whose DCR is measured
    dcr_min_rows: int = 20  # privacy: fewer holdout rows than this give no ratio
    # quality: column pairs scored per table / relationship, a seeded sample past it (pairs)
    max_column_pairs: int = MAX_COLUMN_PAIRS


@dataclass
class EvalContext:
    """What a metric may look at: real train, real holdout, the candidate and its metadata.

    ``candidate`` is the full candidate; ``candidate_sample`` and ``holdout_sample`` are the
    root-subsampled versions SDMetrics runs on, with ``sample_metadata`` (which may cover
    fewer tables and hide identifier-like columns). ``shared`` caches work common to all candidates
    (the real-train baseline model, the DCR samples), ``own`` this entry's work that more
    than one metric uses (its DCR query rows).
    """

    name: str
    train: Dataset
    holdout: Dataset
    candidate: Dataset
    candidate_sample: Dataset
    holdout_sample: Dataset
    metadata: dict
    graph: TableGraph
    options: EvalOptions
    is_ceiling: bool = False
    stats: dict[str, Any] = field(default_factory=dict)
    sample_metadata: dict | None = None  # what SDMetrics scores; default ``metadata``
    shared: dict[str, Any] = field(default_factory=dict)
    # False for the written-output section: ``holdout`` is then the fitted data itself
    has_holdout: bool = True
    role: str = "candidate"  # "candidate", "ceiling" or "written"
    own: dict[str, Any] = field(default_factory=dict)  # this entry's work two metrics share


def clean(value: Any) -> Any:
    """Make a value JSON-safe: numpy scalars to Python, NaN/inf to None, recursively."""
    if isinstance(value, dict):
        return {str(k): clean(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [clean(v) for v in value]
    if isinstance(value, np.generic):
        value = value.item()
    if isinstance(value, float) and not math.isfinite(value):
        return None
    if value is pd.NA or value is pd.NaT:
        return None
    if isinstance(value, pd.Timestamp):
        return value.isoformat()
    return value


def records(df: pd.DataFrame) -> list[dict[str, Any]]:
    """Rows of ``df`` as JSON-safe dicts (for the details SDMetrics returns)."""
    df = df.astype(object).where(pd.notna(df), None)
    return [clean(r) for r in df.to_dict("records")]


def nan_to_none(x: Any) -> float | None:
    """A finite float, or None for NaN, inf and what is not a number (JSON has no NaN)."""
    try:
        x = float(x)
    except (TypeError, ValueError):
        return None
    return x if math.isfinite(x) else None


class Metric:
    """One way to score a candidate; subclasses implement ``compute``."""

    title: ClassVar[str] = ""

    def prepare(self, ctx: EvalContext) -> None:
        """Fill ``ctx.shared`` with what this entry's ``compute`` shares with other entries
        (a real-data baseline, sampled reference rows). Called once per entry before any entry
        is scored, so entries scored in parallel workers find it made; the default has none."""

    def compute(self, ctx: EvalContext) -> dict[str, Any]:
        """The JSON-ready result: ``score`` (float or None) and, when None, a ``reason``."""
        raise NotImplementedError

    def columns(self, result: dict[str, Any]) -> dict[str, Any]:
        """The summary numbers for the Markdown table; by default the score."""
        return {self.title: result.get("score")}


METRICS: Registry[type[Metric]] = Registry("metric")


def as_number(s: pd.Series, sdtype: str) -> pd.Series:
    """A column as floats (dates as days since 1970, booleans as 0/1), so distances, models
    and plots treat numbers, dates and flags alike; what does not parse becomes NaN."""
    if sdtype == "datetime":
        dt = pd.to_datetime(s, errors="coerce")
        return (dt - pd.Timestamp("1970-01-01")).dt.total_seconds() / 86_400.0
    if sdtype == "boolean":
        return s.map({True: 1.0, False: 0.0, "True": 1.0, "False": 0.0, "true": 1.0, "false": 0.0})
    return pd.to_numeric(s, errors="coerce").astype(float)


def as_category(s: pd.Series) -> pd.Series:
    """A column as text with nulls as their own level, so a model can learn from missingness."""
    return s.astype(object).where(s.notna(), "<null>").astype(str)


def value_frame(df: pd.DataFrame, graph: TableGraph, table: str, prefix: str = "") -> pd.DataFrame:
    """Value columns of one table as float (numerical, datetime, boolean) or str (categorical)."""
    out = {}
    for col in graph.columns(table):
        sdtype = graph.sdtype(table, col)
        key = f"{prefix}{col}"
        out[key] = as_category(df[col]) if sdtype == "categorical" else as_number(df[col], sdtype)
    return pd.DataFrame(out, index=df.index)


def sample_rows(frame: pd.DataFrame, n: int, seed: int) -> pd.DataFrame:
    """At most ``n`` rows, seeded, so costly metrics stay bounded on a 10M-row candidate."""
    if len(frame) <= n:
        return frame
    return frame.iloc[np.random.default_rng(seed).choice(len(frame), n, replace=False)]
