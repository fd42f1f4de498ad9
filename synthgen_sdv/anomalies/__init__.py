"""Anomaly kinds, registered in ``ANOMALIES``."""

from synthgen_sdv.anomalies import builtin  # noqa: F401  (importing registers the kinds)
from synthgen_sdv.anomalies.base import ANOMALIES, AnomalyKind, AnomalyResult, ChunkInfo

__all__ = ["ANOMALIES", "AnomalyKind", "AnomalyResult", "ChunkInfo"]
