"""Privacy: SDMetrics' distance to closest record (DCR) metrics, per held-out table.

- ``dcr_baseline``: ``DCRBaselineProtection``, the median DCR of candidate rows to the train
  rows it learned from, divided by the median DCR of uniformly random rows in the same ranges
  (capped at 1). Random rows are a generous yardstick: real data is clustered, so unseen REAL
  rows score well below 1 too. The ceiling row therefore shows what the holdout (real rows the
  generator never saw) scores against train: a candidate near that value sits as close to
  train as new real data does; one far below it copies rows.
- ``dcr_overfitting``: ``DCROverfittingProtection``, the share of candidate rows closer to
  train than to an equal-sized holdout sample; score = min(2 x (1 - share), 1), so 1 means no
  more rows near train than near unseen data. Needs a holdout, so the written-output section
  has only the baseline.

Both run per table of the root's subtree (shared tables hold the same rows in train and holdout,
so there is no baseline for them); the worst table is the score. SDMetrics' DCR is quadratic
(a pandas cross join), so rows are sampled first (seeded; ``EvalOptions.dcr_*``), and the
random baseline is seeded too, so the same inputs give the same scores. Distances follow
SDMetrics: numbers and dates as |difference| / range, categories and booleans 0 or 1, averaged
over the value columns; keys and PII are not compared.

``DCRBaselineProtection``'s random rows depend only on train's sample, the number of candidate
rows and the seed, so their distances (half the metric's cost) are computed once per table and
query size and shared by every entry: ``baseline_breakdown`` is ``compute_breakdown`` (one
iteration, no subsample) assembled from SDMetrics' own ``_generate_random_data`` and
``calculate_dcr``, and a test holds it equal to ``compute_breakdown`` number for number.
Categories and booleans reach SDMetrics as float codes (``_Codes``): its distance only tests
them for equality, so the numbers are the same, and its pandas cross join runs several times
faster on numbers than on Python objects.

The home-made DCR ratio (``dcr_ratio``) stays beside them for what they cannot see; its module
says what and shows it.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

import numpy as np
import pandas as pd

from synthgen_sdv.evaluate.metrics.base import (
    METRICS,
    EvalContext,
    Metric,
    as_number,
    nan_to_none,
    sample_rows,
)
from synthgen_sdv.evaluate.relations import TableGraph

SCORED_SDTYPES = ("numerical", "datetime", "categorical", "boolean")


def dcr_frame(df: pd.DataFrame, graph: TableGraph, table: str) -> tuple[pd.DataFrame, dict]:
    """The value columns in the dtypes SDMetrics' DCR expects, with their single-table metadata.

    Numbers as float, dates as datetime64, booleans and categories as Python objects with
    None for null: a candidate read from CSV then compares value for value with Parquet data.
    """
    cols: dict[str, pd.Series] = {}
    meta: dict[str, dict[str, str]] = {}
    for col in graph.columns(table, SCORED_SDTYPES):
        sdtype = graph.sdtype(table, col)
        s = df[col]
        if sdtype == "numerical":
            # an infinite value has no distance to anything and no range to draw random rows in
            cols[col] = as_number(s, sdtype).replace([np.inf, -np.inf], np.nan)
        elif sdtype == "datetime":
            cols[col] = pd.to_datetime(s, errors="coerce").astype("datetime64[ns]")
        elif sdtype == "boolean":
            cols[col] = as_number(s, sdtype).map({1.0: True, 0.0: False}).astype(object)
        else:
            cols[col] = s.astype(object).map(str, na_action="ignore")
        meta[col] = {"sdtype": sdtype}
    frame = pd.DataFrame(cols, index=df.index).reset_index(drop=True)
    return frame, {"columns": meta}


class _Codes:
    """Category and boolean values as float codes, for SDMetrics' DCR.

    Its distance compares such values only for equality (0 when equal or both null, else 1),
    so any one-to-one relabelling gives the same distances; numbers compare as numbers, which
    pandas does several times faster than Python objects. The codes are made from every
    reference frame's values (null stays NaN); a value no reference holds gets -1, which equals
    no reference value, as the value itself would not.

    A date column with no value in a reference frame goes to SDMetrics as a number (days, all
    null there) instead: its distance divides by the reference's range, which is NaT there
    ("unsupported operand type(s) for /: 'numpy.ndarray' and 'NaTType'"); as a number the
    range is NaN and the distance is what SDMetrics gives any column: 0 for two nulls, 1 for
    a value against a null (``metadata`` is the metadata for the coded frames).
    """

    def __init__(self, frames: list[pd.DataFrame], meta: dict, references: list[pd.DataFrame] = ()):
        self.dates = [
            col
            for col, spec in meta["columns"].items()
            if spec["sdtype"] == "datetime" and any(f[col].isna().all() for f in references)
        ]
        numbers = {col: {"sdtype": "numerical"} for col in self.dates}
        self.metadata = {**meta, "columns": {**meta["columns"], **numbers}}
        self.maps: dict[str, dict[Any, float]] = {}
        for col, spec in meta["columns"].items():
            if spec["sdtype"] in ("categorical", "boolean"):
                values = pd.unique(pd.concat([f[col] for f in frames]).dropna())
                self.maps[col] = {v: float(i) for i, v in enumerate(values)}

    def __call__(self, frame: pd.DataFrame) -> pd.DataFrame:
        out = frame.copy()
        for col, codes in self.maps.items():
            coded = frame[col].map(codes).astype(float)
            coded[coded.isna() & frame[col].notna()] = -1.0
            out[col] = coded
        for col in self.dates:
            out[col] = as_number(frame[col], "datetime")
        return out


@contextmanager
def _seeded(seed: int) -> Iterator[None]:
    """SDMetrics draws its random baseline and null masks from numpy's global generator and a
    class attribute: seed both for the call, then put them back."""
    from sdmetrics.single_table import DCRBaselineProtection

    state = np.random.get_state()
    before = DCRBaselineProtection._seed
    np.random.seed(seed)
    DCRBaselineProtection._seed = seed
    try:
        yield
    finally:
        DCRBaselineProtection._seed = before
        np.random.set_state(state)


class _DCRMetric(Metric):
    """Shared walk over the held-out tables; a subclass scores one table."""

    def _table(self, ctx: EvalContext, table: str) -> dict[str, Any]:
        raise NotImplementedError

    def _ceiling_reason(self) -> str | None:
        """None when the ceiling row is scored, else why not."""
        return None

    def _frames(self, ctx: EvalContext, table: str) -> dict[str, Any]:
        """Sampled, encoded train / holdout rows of ``table``, made once per comparison."""
        key = f"dcr:{table}"
        if key not in ctx.shared:
            opts = ctx.options
            train, meta = dcr_frame(
                sample_rows(ctx.train[table], opts.dcr_reference_rows, opts.seed), ctx.graph, table
            )
            n_eq = min(len(train), len(ctx.holdout[table]))
            # Same-sized train and holdout references make "closer to train" a fair coin (0.5)
            # for a candidate that did not memorise its training rows.
            holdout_ref, _ = dcr_frame(
                sample_rows(ctx.holdout[table], n_eq, opts.seed + 2), ctx.graph, table
            )
            # a random part of train, not its first rows (those are a few root entities)
            train_eq, _ = dcr_frame(
                sample_rows(ctx.train[table], len(holdout_ref), opts.seed + 1), ctx.graph, table
            )
            holdout_query, _ = dcr_frame(
                sample_rows(ctx.holdout[table], opts.dcr_query_rows, opts.seed + 3),
                ctx.graph,
                table,
            )
            codes = _Codes(
                [train, train_eq, holdout_ref, holdout_query],
                meta,
                references=[train, train_eq, holdout_ref],
            )
            ctx.shared[key] = {
                "train_raw": train,  # SDMetrics' random rows are drawn from these values
                "train": codes(train),
                "train_eq": codes(train_eq),
                "holdout_ref": codes(holdout_ref),
                "holdout_query": codes(holdout_query),
                "codes": codes,
                "metadata": {"tables": {table: codes.metadata}},
            }
        return ctx.shared[key]

    def _scored_tables(self, ctx: EvalContext) -> list[str]:
        """The held-out tables ``compute`` scores (value columns and rows on both sides)."""
        if ctx.is_ceiling and self._ceiling_reason():
            return []
        root = ctx.options.root_table or ctx.graph.entity_root(ctx.train)
        return [
            t
            for t in [root, *ctx.graph.descendants(root)]
            if ctx.graph.columns(t, SCORED_SDTYPES)
            and len(ctx.candidate[t]) > 0
            and len(ctx.train[t]) > 0
            and len(ctx.holdout[t]) > 0
        ]

    def prepare(self, ctx: EvalContext) -> None:
        """The sampled, encoded train / holdout rows of every table this entry scores."""
        for table in self._scored_tables(ctx):
            self._frames(ctx, table)

    def _query(self, ctx: EvalContext, table: str) -> pd.DataFrame:
        """The entry's sampled, coded rows of ``table``: made once for both DCR metrics."""
        key = f"dcr_query:{table}"
        if key not in ctx.own:
            opts = ctx.options
            frame, _ = dcr_frame(
                sample_rows(ctx.candidate[table], opts.dcr_query_rows, opts.seed + 4),
                ctx.graph,
                table,
            )
            ctx.own[key] = self._frames(ctx, table)["codes"](frame)
        return ctx.own[key]

    def compute(self, ctx: EvalContext) -> dict[str, Any]:
        """Per held-out table the SDMetrics breakdown; the worst table scores (copying is a
        risk wherever it happens)."""
        root = ctx.options.root_table or ctx.graph.entity_root(ctx.train)
        held_out = {root, *ctx.graph.descendants(root)}
        skip = self._ceiling_reason() if ctx.is_ceiling else None
        by_table: dict[str, Any] = {}
        for table in ctx.graph.tables:
            if table not in held_out:
                by_table[table] = {
                    "score": None,
                    "reason": f"'{table}' is outside the '{root}' subtree: a shared table is not "
                    "split (the holdout holds train's rows), so there is no baseline",
                }
            elif skip:
                by_table[table] = {"score": None, "reason": skip}
            elif not ctx.graph.columns(table, SCORED_SDTYPES):
                by_table[table] = {"score": None, "reason": "no value columns to compare"}
            elif len(ctx.candidate[table]) == 0 or len(ctx.train[table]) == 0:
                by_table[table] = {"score": None, "reason": "no rows to compare"}
            elif len(ctx.holdout[table]) == 0:  # a small split: the held-out roots have none
                by_table[table] = {"score": None, "reason": "no held-out rows to compare"}
            else:
                by_table[table] = self._table(ctx, table)
        scores = {t: e["score"] for t, e in by_table.items() if e.get("score") is not None}
        worst = min(scores, key=lambda t: scores[t]) if scores else None
        if worst is not None:
            reason = None
        elif skip:
            reason = skip
        else:
            reason = "no held-out table has rows and value columns to compare"
        return {
            "score": scores[worst] if worst else None,
            "reason": reason,
            "worst_table": worst,
            "by_table": by_table,
        }


def random_data(train: pd.DataFrame, rows: int) -> pd.DataFrame:
    """SDMetrics' random rows for train's sample (``DCRBaselineProtection._generate_random_data``).

    A column with no value in train's sample (every row null: WideWorldImporters' ``ValidTo``
    read as an empty number column) has no range to draw from, and SDMetrics' draw fails
    (``uniform``: "high - low range exceeds valid bounds"; ``choice``: an empty array). Its
    null share, 1, nulls every drawn value anyway, so such a column is drawn from a stand-in
    of one value (the same number of draws, so the columns after it get the draws they would
    get) and then set null: SDMetrics' own rows, as its rule makes them.
    """
    from sdmetrics.single_table import DCRBaselineProtection

    empty = [c for c in train.columns if train[c].isna().all()]
    stand_in = {}
    for col in empty:
        if pd.api.types.is_datetime64_any_dtype(train[col]):
            stand_in[col] = pd.Series(pd.Timestamp(0), index=train.index, dtype=train[col].dtype)
        elif pd.api.types.is_numeric_dtype(train[col]):
            stand_in[col] = pd.Series(0.0, index=train.index, dtype=float)
        else:
            stand_in[col] = pd.Series("", index=train.index, dtype=object)
    out = DCRBaselineProtection._generate_random_data(train.assign(**stand_in), rows)
    for col in empty:  # null as SDMetrics nulls a drawn value: NaN, NaT for dates
        out[col] = out[col].mask(np.ones(len(out), dtype=bool))
    return out


def _random_median(frames: dict[str, Any], table: str, rows: int, seed: int) -> float:
    """The median DCR of ``rows`` random rows to train's sample: SDMetrics' own random rows
    (``DCRBaselineProtection._generate_random_data``, seeded as ``compute_breakdown`` is) and
    ``calculate_dcr``; made once per table and query size, shared by every entry."""
    key = f"random_median:{rows}"
    if key not in frames:
        from sdmetrics.single_table import DCRBaselineProtection
        from sdmetrics.single_table.privacy.dcr_utils import calculate_dcr

        with _seeded(seed):
            random_rows = random_data(frames["train_raw"], rows)
        frames[key] = calculate_dcr(
            dataset=frames["codes"](random_rows),
            reference_dataset=frames["train"],
            metadata=frames["metadata"]["tables"][table],
            chunk_size=DCRBaselineProtection.CHUNK_SIZE,
        ).median()
    return frames[key]


def baseline_breakdown(
    frames: dict[str, Any], table: str, query: pd.DataFrame, seed: int
) -> dict[str, Any]:
    """``DCRBaselineProtection.compute_breakdown(train, query, ...)`` with its random rows
    seeded, the random side shared (``_random_median``): the same dict, the same numbers.
    ``frames`` hold train's sample as drawn (``train_raw``), coded (``train``) and the codes;
    ``query`` is coded."""
    from sdmetrics.single_table import DCRBaselineProtection
    from sdmetrics.single_table.privacy.dcr_utils import calculate_dcr

    synthetic_median = calculate_dcr(
        dataset=query,
        reference_dataset=frames["train"],
        metadata=frames["metadata"]["tables"][table],
        chunk_size=DCRBaselineProtection.CHUNK_SIZE,
    ).median()
    random_median = _random_median(frames, table, len(query), seed)
    score = np.nan
    if random_median != 0.0:
        score = min(synthetic_median / random_median, 1.0)
    return {
        "score": score,
        "median_DCR_to_real_data": {
            "synthetic_data": synthetic_median,
            "random_data_baseline": random_median,
        },
    }


def _baseline_entry(
    frames: dict[str, Any], table: str, query: pd.DataFrame, what: str, seed: int
) -> dict[str, Any]:
    """One DCRBaselineProtection breakdown as the report shows it."""
    out = baseline_breakdown(frames, table, query, seed)
    medians = out["median_DCR_to_real_data"]
    entry = {
        "score": nan_to_none(out["score"]),
        "reason": None,
        "median_dcr": nan_to_none(medians["synthetic_data"]),
        "median_dcr_random": nan_to_none(medians["random_data_baseline"]),
        "query_rows": len(query),
        "reference_rows": len(frames["train"]),
        "scored": what,
    }
    if entry["score"] is None:
        entry["reason"] = "the random rows sit on train rows (median distance 0)"
    return entry


@METRICS.register("dcr_baseline")
class DCRBaseline(_DCRMetric):
    """SDMetrics' DCRBaselineProtection of the candidate against train, per held-out table.

    The ceiling row scores the holdout instead: what unseen real rows reach. A table where
    that is 0 (unseen real rows have exact copies in train, as in a table of a few discrete
    columns) cannot tell copying from realism, so it is left blank with that reason.
    """

    title = "DCR baseline"

    def prepare(self, ctx: EvalContext) -> None:
        """Train's sample, the holdout's score and the random rows' median distance for this
        entry's query size, per scored table: shared by every entry."""
        for table in self._scored_tables(ctx):
            frames = self._frames(ctx, table)
            self._real_baseline(ctx, table)
            if not ctx.is_ceiling:  # the ceiling scores the holdout's query (just above)
                rows = min(len(ctx.candidate[table]), ctx.options.dcr_query_rows)
                _random_median(frames, table, rows, ctx.options.seed)

    def _real_baseline(self, ctx: EvalContext, table: str) -> dict[str, Any] | None:
        """What the holdout's unseen real rows score (None without a holdout)."""
        if not ctx.has_holdout:
            return None
        frames = self._frames(ctx, table)
        if "real_baseline" not in frames:
            frames["real_baseline"] = _baseline_entry(
                frames,
                table,
                frames["holdout_query"],
                "holdout rows (unseen real data)",
                ctx.options.seed,
            )
        return frames["real_baseline"]

    def _table(self, ctx: EvalContext, table: str) -> dict[str, Any]:
        frames = self._frames(ctx, table)
        real = self._real_baseline(ctx, table)
        if ctx.is_ceiling and real is not None:
            entry = dict(real)
        else:
            query = self._query(ctx, table)
            entry = _baseline_entry(frames, table, query, "candidate rows", ctx.options.seed)
        if real is not None:
            entry["holdout_score"] = real["score"]
            if real["median_dcr"] == 0:
                entry.update(
                    score=None,
                    reason="unseen real rows have exact copies in train (median distance 0), "
                    "so distance cannot tell copying from realism here (see DCR ratio)",
                )
        return entry


@METRICS.register("dcr_overfitting")
class DCROverfitting(_DCRMetric):
    """SDMetrics' DCROverfittingProtection: candidate rows closer to train than to the holdout."""

    title = "DCR overfitting"

    def _ceiling_reason(self) -> str | None:
        return "the ceiling is the training data itself (every row is in train)"

    def _table(self, ctx: EvalContext, table: str) -> dict[str, Any]:
        from sdmetrics.single_table import DCROverfittingProtection

        frames = self._frames(ctx, table)
        if len(frames["holdout_ref"]) < ctx.options.dcr_min_rows:
            return {
                "score": None,
                "reason": f"only {len(frames['holdout_ref'])} holdout rows "
                f"(< {ctx.options.dcr_min_rows}); the comparison would be noise",
            }
        query = self._query(ctx, table)
        out = DCROverfittingProtection.compute_breakdown(
            real_training_data=frames["train_eq"],
            synthetic_data=query,
            real_validation_data=frames["holdout_ref"],
            metadata=frames["metadata"],
            table_name=table,
        )
        shares = out["synthetic_data_percentages"]
        return {
            "score": nan_to_none(out["score"]),
            "reason": None,
            "share_closer_to_train": nan_to_none(shares["closer_to_training"]),
            "query_rows": len(query),
            "reference_rows": len(frames["train_eq"]),
        }

    def compute(self, ctx: EvalContext) -> dict[str, Any]:
        """As the base, plus the worst share of rows closer to train (0.5 is ideal)."""
        result = super().compute(ctx)
        shares = [
            e["share_closer_to_train"]
            for e in result["by_table"].values()
            if e.get("share_closer_to_train") is not None
        ]
        result["share_closer_to_train_max"] = max(shares) if shares else None
        return result

    def columns(self, result: dict[str, Any]) -> dict[str, Any]:
        """The score, and the share of rows closer to train than to the holdout (0.5 ideal)."""
        return {
            "DCR overfitting": result.get("score"),
            "closer to train": result.get("share_closer_to_train_max"),
        }
