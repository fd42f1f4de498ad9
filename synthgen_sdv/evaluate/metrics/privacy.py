"""Privacy: distance to closest record (DCR) of candidate rows to train rows, against the
holdout's own distance to train, per held-out table (the root's subtree; shared dimension tables
have no baseline). The score is the worst table's ratio of medians (of means where real rows
repeat so the holdout's median is 0)."""

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


class _Encoder:
    """Scaled numeric + one-hot categorical (train's top 20 values + other), fit on train."""

    def __init__(self, frame: pd.DataFrame):
        self.num = [c for c in frame.columns if frame[c].dtype != object]
        self.cat = [c for c in frame.columns if frame[c].dtype == object]
        # Mean, not median: a train row sitting exactly on the fill value for nulls would make
        # every candidate row with a null look "closer to train" than to the holdout.
        self.center = frame[self.num].mean()
        scale = frame[self.num].std().replace(0, 1.0).fillna(1.0)
        self.scale = scale
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


@METRICS.register("privacy_dcr")
class PrivacyDCR(Metric):
    """Distance to closest record: candidate -> train versus holdout -> train, per table."""

    title = "DCR ratio (worst)"

    def _baseline(self, ctx: EvalContext, table: str) -> dict[str, Any] | None:
        key = f"dcr:{table}"
        if key not in ctx.shared:
            opts = ctx.options
            # Sample raw rows first: encoding a 10M-row table to sample 5,000 of it is waste.
            n_hold = max(opts.dcr_reference_rows, opts.dcr_query_rows)
            train = value_frame(
                sample_rows(ctx.train[table], opts.dcr_reference_rows, opts.seed), ctx.graph, table
            )
            holdout = value_frame(
                sample_rows(ctx.holdout[table], n_hold, opts.seed + 5), ctx.graph, table
            )
            if train.shape[1] == 0 or len(train) == 0 or len(holdout) == 0:
                ctx.shared[key] = None
                return None
            train_ref = train
            enc = _Encoder(train_ref)
            t_ref = enc(train_ref)
            # Same-sized train and holdout references make "closer to train than to holdout"
            # a fair coin (0.5) for a candidate that did not memorise its training rows.
            n_eq = min(len(train_ref), len(holdout))
            t_eq = t_ref[np.random.default_rng(opts.seed + 1).permutation(len(t_ref))[:n_eq]]
            h_ref = enc(sample_rows(holdout, n_eq, opts.seed + 2))
            hq = sample_rows(holdout, opts.dcr_query_rows, opts.seed + 3)
            h_dcr = _nearest(t_ref, enc(hq))
            ctx.shared[key] = {
                "enc": enc,
                "train_ref": t_ref,
                "train_eq": t_eq,
                "holdout_ref": h_ref,
                "reference_rows": len(t_ref),
                "equal_reference_rows": n_eq,
                "holdout_dcr": h_dcr,
                "holdout_query_rows": len(hq),
            }
        return ctx.shared[key]

    def compute(self, ctx: EvalContext) -> dict[str, Any]:
        """Per held-out table the candidate's DCR against the holdout's; the worst table
        scores (copying is a risk wherever it happens)."""
        opts = ctx.options
        by_table: dict[str, Any] = {}
        root = opts.root_table or ctx.graph.entity_root(ctx.train)
        held_out = {root, *ctx.graph.descendants(root)}
        for table in ctx.graph.tables:
            if table not in held_out:
                by_table[table] = {
                    "score": None,
                    "reason": f"not held out: '{table}' is outside the '{root}' subtree, so the "
                    "holdout shares train's rows and there is no baseline",
                }
                continue
            base = self._baseline(ctx, table)
            if base is None:
                continue
            h_dcr = base["holdout_dcr"]
            entry: dict[str, Any] = {
                "reference_rows": base["reference_rows"],
                "equal_reference_rows": base["equal_reference_rows"],
                "holdout_query_rows": base["holdout_query_rows"],
                "holdout_dcr_median": float(np.median(h_dcr)),
                "holdout_dcr_p05": float(np.quantile(h_dcr, 0.05)),
                "holdout_share_exact": float(np.mean(h_dcr < 1e-9)),
            }
            if ctx.is_ceiling:
                entry.update(score=None, reason="the ceiling is the training data itself")
                by_table[table] = entry
                continue
            cand = value_frame(
                sample_rows(ctx.candidate[table], opts.dcr_query_rows, opts.seed + 4),
                ctx.graph,
                table,
            )
            if len(cand) == 0:
                entry.update(score=None, reason="the candidate table is empty")
                by_table[table] = entry
                continue
            q = base["enc"](cand)
            s_dcr = _nearest(base["train_ref"], q)
            s_eq = _nearest(base["train_eq"], q)
            s_hold = _nearest(base["holdout_ref"], q)
            # Distances within 1% of each other are ties (half each): when a candidate column
            # is all null, every row sits on the fill value and a hair's difference would
            # otherwise call all of them "closer" to one side. A copy (distance 0) never ties.
            tol = np.maximum(0.01 * np.maximum(s_eq, s_hold), 1e-9)
            closer = np.mean(s_eq < s_hold - tol) + 0.5 * np.mean(np.abs(s_eq - s_hold) <= tol)
            entry.update(
                candidate_query_rows=len(q),
                candidate_dcr_median=float(np.median(s_dcr)),
                candidate_dcr_p05=float(np.quantile(s_dcr, 0.05)),
                candidate_share_exact=float(np.mean(s_dcr < 1e-9)),
                share_closer_to_train=float(closer),
            )
            entry.update(self._ratio(s_dcr, h_dcr, opts.dcr_min_rows))
            by_table[table] = entry
        scores = [e["score"] for e in by_table.values() if e.get("score") is not None]
        closer = [
            e["share_closer_to_train"] for e in by_table.values() if "share_closer_to_train" in e
        ]
        if ctx.is_ceiling:
            reason = "the ceiling is the training data itself (distance 0 by definition)"
        else:
            reason = None if scores else "no table has value columns to compare"
        return {
            "score": min(scores) if scores and not ctx.is_ceiling else None,
            "reason": reason,
            "share_closer_to_train_max": max(closer) if closer else None,
            "encoding": "numeric and datetime standardised by train mean/std, nulls at the mean "
            "plus a null flag; "
            "categorical one-hot on train's top 20 values + other; Euclidean distance",
            "by_table": by_table,
        }

    @staticmethod
    def _ratio(s_dcr: np.ndarray, h_dcr: np.ndarray, min_rows: int) -> dict[str, Any]:
        if len(h_dcr) < min_rows:
            return {
                "score": None,
                "reason": f"only {len(h_dcr)} holdout rows (< {min_rows}); baseline too noisy",
            }
        h_med, h_mean = float(np.median(h_dcr)), float(np.mean(h_dcr))
        if h_med > 0:
            return {"score": float(np.median(s_dcr)) / h_med, "ratio_of": "median", "reason": None}
        # Real rows repeat in a low-dimensional value space (median 0); means still separate
        # a generator that copies rows from one that does not.
        if h_mean > 0:
            return {"score": float(np.mean(s_dcr)) / h_mean, "ratio_of": "mean", "reason": None}
        return {"score": None, "reason": "every holdout row has an exact copy in train"}

    def columns(self, result: dict[str, Any]) -> dict[str, Any]:
        """The ratio, and the share of rows closer to train than to the holdout (0.5 ideal)."""
        return {
            "DCR ratio": result.get("score"),
            "closer to train": result.get("share_closer_to_train_max"),
        }
