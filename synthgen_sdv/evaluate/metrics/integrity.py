"""Referential integrity: the share of child foreign keys that resolve, per relationship."""

from __future__ import annotations

from typing import Any

from synthgen_sdv.evaluate.metrics.base import METRICS, EvalContext, Metric
from synthgen_sdv.evaluate.split import referential_integrity


@METRICS.register("referential_integrity")
class ReferentialIntegrity(Metric):
    """Share of non-null child foreign keys that resolve; on the FULL candidate, not a sample."""

    title = "RI (worst)"

    def compute(self, ctx: EvalContext) -> dict[str, Any]:
        """Per relationship the share resolved; the score is the worst (one broken link is
        enough to break a join)."""
        per = referential_integrity(ctx.candidate, ctx.metadata)
        shares = [v["share_resolved"] for v in per.values() if v["share_resolved"] is not None]
        if not per:
            return {
                "score": None,
                "reason": "the metadata has no relationships",
                "by_relationship": {},
            }
        if not shares:
            return {"score": None, "reason": "every foreign key is null", "by_relationship": per}
        return {"score": min(shares), "reason": None, "by_relationship": per}
