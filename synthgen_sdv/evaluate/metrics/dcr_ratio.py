"""The DCR ratio: candidate rows' distance to their closest TRAIN row over the holdout's own.

Kept beside SDMetrics' DCR metrics (``privacy``) because it sees what they cannot:

- ``DCROverfittingProtection`` compares equal-sized samples of train and holdout, as it must
  for "closer to train" to be a fair coin. With a 20% holdout that sample holds a quarter of
  train, so three quarters of the rows of a generator that copies train look like new rows: on
  this package's test shop a plain copy of train scores about 0.7 there (1 = no sign of
  overfitting) and 0.0 here.
- ``DCRBaselineProtection`` divides by random rows: where unseen real rows have exact copies in
  train (low-cardinality tables), it is 0 for real data and copies alike.

Here the candidate's median distance to the whole train sample is divided by the holdout's:
about 1 for a generator that makes new rows as real data does, 0 for one that copies, whatever
the holdout size; where real rows repeat (median 0), means are compared instead. Per held-out
table (the root's subtree), the worst table scores. Encoding: numbers and dates standardised by
train's mean and deviation (nulls at the mean plus a null flag), categories one-hot on train's
20 most frequent values plus "other"; Euclidean distance (scikit-learn nearest neighbours).
"""

from __future__ import annotations

from typing import Any

import numpy as np
import pandas as pd

from synthgen_sdv.evaluate.metrics.base import (
    METRICS,
    EvalContext,
    Metric,
    sample_rows,
    value_frame,
)

#: rows of train searched and of holdout / candidate measured (nearest neighbours are cheap)
REFERENCE_ROWS = 5_000
QUERY_ROWS = 2_000


class _Encoder:
    """Scaled numeric + one-hot categorical (train's top 20 values + other), fit on train."""

    def __init__(self, frame: pd.DataFrame):
        self.num = [c for c in frame.columns if frame[c].dtype != object]
        self.cat = [c for c in frame.columns if frame[c].dtype == object]
        # Mean, not median: a train row sitting exactly on the fill value for nulls would make
        # every candidate row with a null look close to train.
        self.center = frame[self.num].mean()
        self.scale = frame[self.num].std().replace(0, 1.0).fillna(1.0)
        self.levels = {c: frame[c].value_counts().index[:20].tolist() for c in self.cat}

    def __call__(self, frame: pd.DataFrame) -> np.ndarray:
        parts = []
        if self.num:
            x = (frame[self.num].astype(float) - self.center) / self.scale
            parts.append(x.fillna(0.0).to_numpy())
            parts.append(frame[self.num].isna().to_numpy(dtype=float))
        for c in self.cat:
            vals = frame[c].to_numpy()
            onehot = np.stack(
                [vals == lv for lv in self.levels[c]] + [~np.isin(vals, self.levels[c])], axis=1
            )
            parts.append(onehot.astype(float))
        return np.hstack(parts) if parts else np.zeros((len(frame), 0))


def _nearest(ref: np.ndarray, query: np.ndarray) -> np.ndarray:
    from sklearn.neighbors import NearestNeighbors

    nn = NearestNeighbors(n_neighbors=1).fit(ref)
    return nn.kneighbors(query, return_distance=True)[0][:, 0]


def _ratio(s_dcr: np.ndarray, h_dcr: np.ndarray, min_rows: int) -> dict[str, Any]:
    if len(h_dcr) < min_rows:
        return {
            "score": None,
            "reason": f"only {len(h_dcr)} holdout rows (< {min_rows}); baseline too noisy",
        }
    h_med, h_mean = float(np.median(h_dcr)), float(np.mean(h_dcr))
    if h_med > 0:
        return {"score": float(np.median(s_dcr)) / h_med, "ratio_of": "median", "reason": None}
    # Real rows repeat in a low-dimensional value space (median 0); means still separate a
    # generator that copies rows from one that does not.
    if h_mean > 0:
        return {"score": float(np.mean(s_dcr)) / h_mean, "ratio_of": "mean", "reason": None}
    return {"score": None, "reason": "every holdout row has an exact copy in train"}


@METRICS.register("dcr_ratio")
class DCRRatio(Metric):
    """Distance to closest train record, candidate rows over holdout rows, per held-out table."""

    title = "DCR ratio"

    def _baseline(self, ctx: EvalContext, table: str) -> dict[str, Any] | None:
        key = f"dcr_ratio:{table}"
        if key not in ctx.shared:
            seed = ctx.options.seed
            train = value_frame(
                sample_rows(ctx.train[table], REFERENCE_ROWS, seed), ctx.graph, table
            )
            holdout = value_frame(
                sample_rows(ctx.holdout[table], QUERY_ROWS, seed + 3), ctx.graph, table
            )
            if train.shape[1] == 0 or len(train) == 0 or len(holdout) == 0:
                ctx.shared[key] = None
            else:
                enc = _Encoder(train)
                ref = enc(train)
                ctx.shared[key] = {
                    "enc": enc,
                    "ref": ref,
                    "holdout_dcr": _nearest(ref, enc(holdout)),
                }
        return ctx.shared[key]

    def prepare(self, ctx: EvalContext) -> None:
        """Train's encoded sample and the holdout's distances per held-out table, shared."""
        if ctx.is_ceiling:
            return
        root = ctx.options.root_table or ctx.graph.entity_root(ctx.train)
        for table in [root, *ctx.graph.descendants(root)]:
            self._baseline(ctx, table)

    def compute(self, ctx: EvalContext) -> dict[str, Any]:
        """Per held-out table the ratio of candidate to holdout distances; the worst scores."""
        if ctx.is_ceiling:
            return {"score": None, "reason": "the ceiling is the training data itself"}
        root = ctx.options.root_table or ctx.graph.entity_root(ctx.train)
        by_table: dict[str, Any] = {}
        for table in [root, *ctx.graph.descendants(root)]:
            base = self._baseline(ctx, table)
            cand = value_frame(
                sample_rows(ctx.candidate[table], QUERY_ROWS, ctx.options.seed + 4),
                ctx.graph,
                table,
            )
            if base is None or len(cand) == 0:
                by_table[table] = {"score": None, "reason": "no rows or value columns to compare"}
                continue
            s_dcr = _nearest(base["ref"], base["enc"](cand))
            h_dcr = base["holdout_dcr"]
            entry: dict[str, Any] = {
                "candidate_dcr_median": float(np.median(s_dcr)),
                "holdout_dcr_median": float(np.median(h_dcr)),
                "candidate_share_exact": float(np.mean(s_dcr < 1e-9)),
                "holdout_share_exact": float(np.mean(h_dcr < 1e-9)),
            }
            entry.update(_ratio(s_dcr, h_dcr, ctx.options.dcr_min_rows))
            by_table[table] = entry
        scores = {t: e["score"] for t, e in by_table.items() if e.get("score") is not None}
        worst = min(scores, key=lambda t: scores[t]) if scores else None
        return {
            "score": scores[worst] if worst else None,
            "reason": None if worst else "no held-out table has rows and value columns",
            "worst_table": worst,
            "by_table": by_table,
        }
