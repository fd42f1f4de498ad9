"""Resources: run time and peak memory of producing the candidate, as measured by the caller."""

from __future__ import annotations

from typing import Any

from synthgen_sdv.evaluate.metrics.base import METRICS, EvalContext, Metric, clean, nan_to_none


@METRICS.register("resources")
class Resources(Metric):
    """Run time and peak memory of producing the candidate, as measured by the caller."""

    title = "Resources"
    KEYS = ("fit_seconds", "sample_seconds", "total_seconds", "peak_memory_mb")

    def compute(self, ctx: EvalContext) -> dict[str, Any]:
        """The caller's numbers, JSON-safe, with fit + sample as the total; no score (lower is
        better and there is no scale to put it on)."""
        stats = {k: nan_to_none(ctx.stats[k]) for k in self.KEYS if k in ctx.stats}
        if "total_seconds" not in stats and ("fit_seconds" in stats or "sample_seconds" in stats):
            stats["total_seconds"] = (stats.get("fit_seconds") or 0) + (
                stats.get("sample_seconds") or 0
            )
        extra = {k: clean(v) for k, v in ctx.stats.items() if k not in self.KEYS}
        return {
            "score": None,
            "reason": None if stats else "not measured (the caller passed no numbers)",
            **stats,
            "other": extra,
        }

    def columns(self, result: dict[str, Any]) -> dict[str, Any]:
        """Total seconds and peak MB."""
        return {"time s": result.get("total_seconds"), "peak MB": result.get("peak_memory_mb")}
