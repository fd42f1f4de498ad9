"""Plug-in metrics that score one candidate dataset against the real holdout.

``base`` holds the contract (``Metric``, ``EvalContext``, ``EvalOptions``, the ``METRICS``
registry) and shared encodings; one module per family registers its metrics on import:

- ``sdmetrics_reports``: ``quality`` (SDMetrics QualityReport) and ``diagnostic``
  (DiagnosticReport);
- ``integrity``: ``referential_integrity`` (share of foreign keys that resolve, worst
  relationship);
- ``utility``: ``ml_utility`` (train on synthetic, test on real, against train on real);
- ``privacy``: ``dcr_baseline`` and ``dcr_overfitting`` (SDMetrics' distance to closest
  record metrics, per held-out table);
- ``dcr_ratio``: ``dcr_ratio`` (distance to the closest train record against the holdout's
  own: catches copies of train rows that the SDMetrics metrics cannot see);
- ``artifacts``: ``column_artifacts`` (per column, the most over-represented single value and
  the KS/TV complement: spikes that averaged scores hide);
- ``resources``: ``resources`` (time and peak memory measured by the caller).

A new metric is one class with ``@METRICS.register(name)`` in a family module (or a new module
imported here).
"""

from synthgen_sdv.evaluate.metrics import (  # noqa: F401  (importing registers the metrics)
    artifacts,
    dcr_ratio,
    integrity,
    privacy,
    resources,
    sdmetrics_reports,
    utility,
)
from synthgen_sdv.evaluate.metrics.artifacts import ColumnArtifacts, column_artifacts
from synthgen_sdv.evaluate.metrics.base import (
    METRICS,
    EvalContext,
    EvalOptions,
    Metric,
    as_category,
    as_number,
    clean,
    nan_to_none,
    records,
    sample_rows,
    sdmetrics_thresholds,
    value_frame,
)
from synthgen_sdv.evaluate.metrics.dcr_ratio import DCRRatio
from synthgen_sdv.evaluate.metrics.integrity import ReferentialIntegrity
from synthgen_sdv.evaluate.metrics.privacy import DCRBaseline, DCROverfitting
from synthgen_sdv.evaluate.metrics.resources import Resources
from synthgen_sdv.evaluate.metrics.sdmetrics_reports import (
    DIAGNOSTIC_PROPERTIES,
    QUALITY_PROPERTIES,
    SDMetricsDiagnostic,
    SDMetricsQuality,
)
from synthgen_sdv.evaluate.metrics.utility import MLUtility, feature_table, resolve_target

__all__ = [
    "DIAGNOSTIC_PROPERTIES",
    "METRICS",
    "QUALITY_PROPERTIES",
    "ColumnArtifacts",
    "DCRBaseline",
    "DCROverfitting",
    "DCRRatio",
    "EvalContext",
    "EvalOptions",
    "MLUtility",
    "Metric",
    "ReferentialIntegrity",
    "Resources",
    "SDMetricsDiagnostic",
    "SDMetricsQuality",
    "as_category",
    "as_number",
    "clean",
    "column_artifacts",
    "feature_table",
    "nan_to_none",
    "records",
    "resolve_target",
    "sample_rows",
    "sdmetrics_thresholds",
    "value_frame",
]
