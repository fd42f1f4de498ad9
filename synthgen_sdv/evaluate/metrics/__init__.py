"""Plug-in metrics that score one candidate dataset against the real holdout.

``base`` holds the contract (``Metric``, ``EvalContext``, ``EvalOptions``, the ``METRICS``
registry) and shared encodings; one module per family registers its metrics on import:

- ``sdmetrics_reports``: ``quality`` (SDMetrics QualityReport) and ``diagnostic``
  (DiagnosticReport);
- ``integrity``: ``referential_integrity`` (share of foreign keys that resolve, worst
  relationship);
- ``utility``: ``ml_utility`` (train on synthetic, test on real, against train on real);
- ``privacy``: ``privacy_dcr`` (distance to closest record against the holdout's own);
- ``resources``: ``resources`` (time and peak memory measured by the caller).

A new metric is one class with ``@METRICS.register(name)`` in a family module (or a new module
imported here).
"""

from synthgen_sdv.evaluate.metrics import (  # noqa: F401  (importing registers the metrics)
    integrity,
    privacy,
    resources,
    sdmetrics_reports,
    utility,
)
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
from synthgen_sdv.evaluate.metrics.integrity import ReferentialIntegrity
from synthgen_sdv.evaluate.metrics.privacy import PrivacyDCR
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
    "EvalContext",
    "EvalOptions",
    "MLUtility",
    "Metric",
    "PrivacyDCR",
    "ReferentialIntegrity",
    "Resources",
    "SDMetricsDiagnostic",
    "SDMetricsQuality",
    "as_category",
    "as_number",
    "clean",
    "feature_table",
    "nan_to_none",
    "records",
    "resolve_target",
    "sample_rows",
    "sdmetrics_thresholds",
    "value_frame",
]
