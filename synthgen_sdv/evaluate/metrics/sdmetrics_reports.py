"""SDMetrics' QualityReport and DiagnosticReport as metrics.

- ``quality``: Column Shapes, Column Pair Trends, Cardinality, Intertable Trends, per property,
  per table and per column (pair), candidate sample vs holdout sample.
- ``diagnostic``: Data Validity, Data Structure, Relationship Validity, candidate sample vs the
  train split it learned from.

SDMetrics is called directly with keyword arguments (sdv 1.37.4's ``evaluate_quality`` wrapper
passes ``verbose`` positionally where sdmetrics 0.32 expects ``constraints``). The reports are
the unified ``sdmetrics.reports`` classes: the ``sdmetrics.reports.multi_table`` ones are
deprecated in 0.32 (importing them raises a FutureWarning) and score the same (checked on this
package's test shop: every property equal). For a single table the unified reports leave out
Cardinality, Intertable Trends and Relationship Validity; they are blank here, with a reason.
Column Pair Trends and Intertable Trends score at most ``EvalOptions.max_column_pairs`` pairs
per table / relationship (``pairs``: a seeded sample past it, the same for every entry; the
property's ``pairs_sampled`` says where and how many of how many).
"""

from __future__ import annotations

import time
import warnings
from typing import Any

import pandas as pd

from synthgen_sdv.evaluate.metrics.base import (
    METRICS,
    EvalContext,
    Metric,
    nan_to_none,
    records,
    sdmetrics_thresholds,
)
from synthgen_sdv.evaluate.metrics.pairs import PairPlan, pairs_scored, plan_pairs
from synthgen_sdv.evaluate.relations import Dataset

QUALITY_PROPERTIES = ["Column Shapes", "Column Pair Trends", "Cardinality", "Intertable Trends"]
DIAGNOSTIC_PROPERTIES = ["Data Validity", "Data Structure", "Relationship Validity"]


def _run_report(
    kind: str, real: Dataset, synthetic: Dataset, metadata: dict, pairs: PairPlan | None = None
):
    from sdmetrics.reports import DiagnosticReport, QualityReport

    report = QualityReport() if kind == "quality" else DiagnosticReport()
    with warnings.catch_warnings(), pairs_scored(pairs or PairPlan(cap=0, seed=0)):
        # pandas deprecations inside sdmetrics' own code (fillna downcasting): nothing a user
        # of this report can act on
        warnings.filterwarnings("ignore", category=FutureWarning, module="sdmetrics")
        report.generate(real_data=real, synthetic_data=synthetic, metadata=metadata, verbose=False)
    return report


def _table_column(prop: str, details: pd.DataFrame) -> str | None:
    for col in ("Table", "Child Table"):
        if col in details.columns:
            return col
    return None


def _property_entry(
    prop: str, report, scores: dict, thresholds: dict, sampled: dict[str, list] | None = None
) -> dict[str, Any]:
    if prop not in scores:
        return {"score": None, "reason": "does not apply to a single table", "details": []}
    details = report.get_details(prop)
    score = nan_to_none(scores.get(prop))
    entry: dict[str, Any] = {"score": score, "reason": None}
    if sampled and prop in sampled:  # only where a table has more pairs than the bound
        entry["pairs_sampled"] = sampled[prop]
    has_threshold = "Meets Threshold?" in details.columns
    if has_threshold:
        meets = details["Meets Threshold?"].astype("boolean").fillna(False).astype(bool)
        entry["pairs_total"] = len(details)
        entry["pairs_scored"] = int((meets & details["Score"].notna()).sum())
    else:
        meets = pd.Series(True, index=details.index)
    tcol = _table_column(prop, details)
    if tcol is not None and "Score" in details.columns:
        by_table = details.loc[meets].groupby(tcol, sort=False)["Score"].mean()
        entry["by_table"] = {t: nan_to_none(v) for t, v in by_table.items()}
    if score is None:
        if details.empty or "Score" not in details.columns:
            entry["reason"] = f"no {'relationship' if prop == 'Cardinality' else 'column'} to score"
        elif has_threshold and not meets.any():
            entry["reason"] = (
                "no column pair in the holdout passes the thresholds (|correlation| > "
                f"{thresholds['real_correlation_threshold']}, Cramer's V > "
                f"{thresholds['real_association_threshold']}), so SDMetrics leaves it blank"
            )
        else:
            errors = details["Error"].dropna().unique().tolist() if "Error" in details else []
            entry["reason"] = "every score failed" + (f": {errors[:3]}" if errors else "")
    entry["details"] = records(details)
    return entry


def _report_result(
    kind: str, properties: list[str], ctx: EvalContext, real: Dataset | None = None
) -> dict[str, Any]:
    thresholds = sdmetrics_thresholds()
    start = time.perf_counter()
    md = ctx.sample_metadata or ctx.metadata
    pairs = None
    if kind == "quality":  # the same pairs for every entry: drawn from the metadata and seed
        pairs = plan_pairs(md, ctx.options.max_column_pairs, ctx.options.seed)
    report = _run_report(
        kind, ctx.holdout_sample if real is None else real, ctx.candidate_sample, md, pairs
    )
    scores = dict(report.get_properties()[["Property", "Score"]].itertuples(index=False))
    sampled = pairs.sampled if pairs else None
    props = {p: _property_entry(p, report, scores, thresholds, sampled) for p in properties}
    overall = nan_to_none(report.get_score())
    return {
        "score": overall,
        "reason": None if overall is not None else "every property is blank",
        "properties": props,
        "thresholds": thresholds if kind == "quality" else None,
        "seconds": round(time.perf_counter() - start, 3),
    }


@METRICS.register("quality")
class SDMetricsQuality(Metric):
    """SDMetrics multi-table QualityReport, candidate sample vs holdout sample."""

    title = "Quality"

    def compute(self, ctx: EvalContext) -> dict[str, Any]:
        """The overall score and, per property, its score, per-table means and details."""
        return _report_result("quality", QUALITY_PROPERTIES, ctx)

    def columns(self, result: dict[str, Any]) -> dict[str, Any]:
        """The overall score and each property's, so a reader sees which one moves it."""
        out = {"Quality": result.get("score")}
        for prop in QUALITY_PROPERTIES:
            out[prop] = (result.get("properties") or {}).get(prop, {}).get("score")
        return out


@METRICS.register("diagnostic")
class SDMetricsDiagnostic(Metric):
    """SDMetrics multi-table DiagnosticReport, candidate sample vs the train split.

    Validity (unique keys, values inside the seen range, known categories, children counts
    inside the seen bounds) is judged against what the candidate learned from: against the
    smaller holdout even the train split itself would fail range checks.
    """

    title = "Diagnostic"

    def compute(self, ctx: EvalContext) -> dict[str, Any]:
        """The diagnostic report of the candidate sample against the train split."""
        return _report_result("diagnostic", DIAGNOSTIC_PROPERTIES, ctx, real=ctx.train)
