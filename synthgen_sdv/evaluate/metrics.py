"""Plug-in metrics that score one candidate dataset against the real holdout.

A metric is a class registered in ``METRICS`` with ``@METRICS.register(name)``. Its
``compute(ctx)`` returns a JSON-ready dict with at least ``score`` (float or None) and, when the
score is None, a ``reason``; ``columns(result)`` picks the few numbers the Markdown summary
shows. Built-in metrics:

- ``quality``: SDMetrics multi-table QualityReport (Column Shapes, Column Pair Trends,
  Cardinality, Intertable Trends), per property, per table and per column (pair).
- ``diagnostic``: SDMetrics multi-table DiagnosticReport (Data Validity, Data Structure,
  Relationship Validity).
- ``referential_integrity``: share of non-null child foreign keys that resolve, per relationship;
  the score is the worst relationship.
- ``ml_utility``: train on the candidate, test on the holdout (TSTR) versus train on the real
  train, test on the holdout (TRTR); scikit-learn HistGradientBoosting; macro F1 or R^2.
- ``privacy_dcr``: distance to closest record of candidate rows to train rows versus the
  holdout's own distance to train, per held-out table (the root's subtree; shared dimension
  tables have no baseline); the score is the worst table's ratio of medians (of means where
  real rows repeat so the holdout's median is 0).
- ``resources``: run time and peak memory of the candidate as measured by the caller.

SDMetrics is called directly with keyword arguments (sdv 1.37.4's ``evaluate_quality`` wrapper
passes ``verbose`` positionally where sdmetrics 0.32 expects ``constraints``).
"""

from __future__ import annotations

import math
import time
import warnings
from dataclasses import dataclass, field
from typing import Any, ClassVar

import numpy as np
import pandas as pd

from synthgen_sdv.core.errors import InputError
from synthgen_sdv.core.registry import Registry
from synthgen_sdv.evaluate.relations import Dataset, TableGraph

QUALITY_PROPERTIES = ["Column Shapes", "Column Pair Trends", "Cardinality", "Intertable Trends"]
DIAGNOSTIC_PROPERTIES = ["Data Validity", "Data Structure", "Relationship Validity"]


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
    dcr_reference_rows: int = 5_000  # privacy: train (and holdout) rows searched
    dcr_query_rows: int = 2_000  # privacy: candidate / holdout rows whose DCR is measured
    dcr_min_rows: int = 20  # privacy: fewer holdout rows than this give no ratio


@dataclass
class EvalContext:
    """What a metric may look at: real train, real holdout, the candidate and its metadata.

    ``candidate`` is the full candidate; ``candidate_sample`` and ``holdout_sample`` are the
    root-subsampled versions SDMetrics runs on, with ``sample_metadata`` (which may cover
    fewer tables and hide identifier-like columns). ``shared`` caches work common to all candidates
    (the real-train baseline model, the DCR encoders).
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
    df = df.astype(object).where(pd.notna(df), None)
    return [clean(r) for r in df.to_dict("records")]


def _nan_to_none(x: Any) -> float | None:
    try:
        x = float(x)
    except (TypeError, ValueError):
        return None
    return x if math.isfinite(x) else None


class Metric:
    """One way to score a candidate; subclasses implement ``compute``."""

    title: ClassVar[str] = ""

    def compute(self, ctx: EvalContext) -> dict[str, Any]:
        raise NotImplementedError

    def columns(self, result: dict[str, Any]) -> dict[str, Any]:
        """The summary numbers for the Markdown table; by default the score."""
        return {self.title: result.get("score")}


METRICS: Registry[type[Metric]] = Registry("metric")


# --------------------------------------------------------------------------- SDMetrics reports
def _run_report(kind: str, real: Dataset, synthetic: Dataset, metadata: dict):
    # Importing the multi_table reports warns that they are deprecated in favour of the unified
    # sdmetrics.reports classes; the multi-table ones are the documented API for sdmetrics 0.32.
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        from sdmetrics.reports.multi_table import DiagnosticReport, QualityReport

        report = QualityReport() if kind == "quality" else DiagnosticReport()
        report.generate(real_data=real, synthetic_data=synthetic, metadata=metadata, verbose=False)
    return report


def _table_column(prop: str, details: pd.DataFrame) -> str | None:
    for col in ("Table", "Child Table"):
        if col in details.columns:
            return col
    return None


def _property_entry(prop: str, report, scores: dict, thresholds: dict) -> dict[str, Any]:
    details = report.get_details(prop)
    score = _nan_to_none(scores.get(prop))
    entry: dict[str, Any] = {"score": score, "reason": None}
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
        entry["by_table"] = {t: _nan_to_none(v) for t, v in by_table.items()}
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
    report = _run_report(
        kind, ctx.holdout_sample if real is None else real, ctx.candidate_sample, md
    )
    scores = dict(report.get_properties()[["Property", "Score"]].itertuples(index=False))
    props = {p: _property_entry(p, report, scores, thresholds) for p in properties}
    overall = _nan_to_none(report.get_score())
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
        return _report_result("quality", QUALITY_PROPERTIES, ctx)

    def columns(self, result: dict[str, Any]) -> dict[str, Any]:
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
        return _report_result("diagnostic", DIAGNOSTIC_PROPERTIES, ctx, real=ctx.train)


# ------------------------------------------------------------------------ referential integrity
@METRICS.register("referential_integrity")
class ReferentialIntegrity(Metric):
    """Share of non-null child foreign keys that resolve; on the FULL candidate, not a sample."""

    title = "RI (worst)"

    def compute(self, ctx: EvalContext) -> dict[str, Any]:
        from synthgen_sdv.evaluate.split import referential_integrity

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


# ------------------------------------------------------------------------------- feature tables
def as_number(s: pd.Series, sdtype: str) -> pd.Series:
    if sdtype == "datetime":
        dt = pd.to_datetime(s, errors="coerce")
        return (dt - pd.Timestamp("1970-01-01")).dt.total_seconds() / 86_400.0
    if sdtype == "boolean":
        return s.map({True: 1.0, False: 0.0, "True": 1.0, "False": 0.0, "true": 1.0, "false": 0.0})
    return pd.to_numeric(s, errors="coerce").astype(float)


def as_category(s: pd.Series) -> pd.Series:
    return s.astype(object).where(s.notna(), "<null>").astype(str)


def value_frame(df: pd.DataFrame, graph: TableGraph, table: str, prefix: str = "") -> pd.DataFrame:
    """Value columns of one table as float (numerical, datetime, boolean) or str (categorical)."""
    out = {}
    for col in graph.columns(table):
        sdtype = graph.sdtype(table, col)
        key = f"{prefix}{col}"
        out[key] = as_category(df[col]) if sdtype == "categorical" else as_number(df[col], sdtype)
    return pd.DataFrame(out, index=df.index)


def feature_table(data: Dataset, graph: TableGraph, table: str) -> pd.DataFrame:
    """One row per ``table`` row: its own values, its parents' values, and per child table the
    number of children and the mean of their numeric values (one level each way)."""
    base = data[table]
    feats = [value_frame(base, graph, table)]
    for rel in graph.parents_of(table):
        parent = data[rel.parent].drop_duplicates(rel.parent_key).set_index(rel.parent_key)
        pvals = value_frame(parent, graph, rel.parent, prefix=f"{rel.parent}.")
        joined = pvals.reindex(base[rel.child_key].to_numpy())
        joined.index = base.index
        feats.append(joined)
    pk = graph.primary_keys.get(table)
    if pk is not None:
        for rel in graph.children_of(table):
            child = data[rel.child]
            cvals = value_frame(child, graph, rel.child)
            numeric = cvals.select_dtypes("number")
            grouped = numeric.groupby(child[rel.child_key].to_numpy())
            agg = grouped.mean().add_prefix(f"{rel.child}.mean_")
            agg[f"{rel.child}.count"] = child.groupby(rel.child_key).size()
            joined = agg.reindex(base[pk].to_numpy())
            joined[f"{rel.child}.count"] = joined[f"{rel.child}.count"].fillna(0)
            joined.index = base.index
            feats.append(joined)
    return pd.concat(feats, axis=1)


# ---------------------------------------------------------------------------------- ML utility
def resolve_target(
    graph: TableGraph, data: Dataset, target: str | None, root: str | None = None
) -> dict[str, Any]:
    """``table.column`` and its task, in the held-out tables (the root and its descendants:
    a shared table holds the same rows in train and holdout, so a model would be tested on
    its training rows). Auto: on the entity root (then its descendants in order), the
    categorical/boolean column with the fewest distinct values (2..20; a column such as
    ``segment`` rather than ``state``); else the first numerical column (regression)."""
    root = root or graph.entity_root(data)
    held_out = [root, *graph.descendants(root)]
    if target:
        if "." not in target:
            raise InputError(f"target must be 'table.column', got '{target}'")
        table, column = target.split(".", 1)
        if table not in graph.tables or column not in graph.columns(table):
            raise InputError(
                f"target '{target}' is not a value column; choose table.column from "
                + ", ".join(f"{t}.{c}" for t in graph.tables for c in graph.columns(t))
            )
        if table not in held_out:
            raise InputError(
                f"target '{target}': table '{table}' is not held out (train and holdout share "
                f"its rows); choose a column of {held_out}"
            )
        sdtype = graph.sdtype(table, column)
        task = "classification" if sdtype in ("categorical", "boolean") else "regression"
        return {"table": table, "column": column, "task": task, "chosen_by": "argument"}
    order = held_out
    for table in order:
        counts = {
            c: data[table][c].nunique() for c in graph.columns(table, ("categorical", "boolean"))
        }
        fits = [c for c, n in counts.items() if 2 <= n <= 20]
        if fits:
            col = min(fits, key=lambda c: counts[c])  # min keeps metadata order on ties
            return {"table": table, "column": col, "task": "classification", "chosen_by": "auto"}
    for table in order:
        for col in graph.columns(table, ("numerical",)):
            return {"table": table, "column": col, "task": "regression", "chosen_by": "auto"}
    return {"table": None, "column": None, "task": None, "chosen_by": "auto"}


def _xy(data: Dataset, graph: TableGraph, target: dict, n_max: int, seed: int):
    table = target["table"]
    # Sample the target table before joining, so a 10M-row candidate builds 20k feature rows;
    # the slack leaves room for rows dropped below for a null target.
    data = {**data, table: _sample(data[table], 2 * n_max, seed + 7)}
    feats = feature_table(data, graph, table)
    y = feats.pop(target["column"])
    if target["task"] == "regression":
        keep = y.notna()
        feats, y = feats.loc[keep], y.loc[keep]
    if len(y) > n_max:
        idx = np.random.default_rng(seed).choice(len(y), n_max, replace=False)
        feats, y = feats.iloc[idx], y.iloc[idx]
    return feats, y


def _fit_score(x_train, y_train, x_test, y_test, task: str, seed: int) -> dict[str, Any]:
    from sklearn.compose import ColumnTransformer
    from sklearn.dummy import DummyClassifier, DummyRegressor
    from sklearn.ensemble import HistGradientBoostingClassifier, HistGradientBoostingRegressor
    from sklearn.metrics import accuracy_score, f1_score, r2_score
    from sklearn.pipeline import make_pipeline
    from sklearn.preprocessing import OneHotEncoder
    from threadpoolctl import threadpool_limits

    # A feature with no value in the training rows (a candidate without transactions has no
    # transaction means) carries nothing and breaks the gradient-boosting binner.
    x_train = x_train.loc[:, x_train.notna().any()]
    cat_cols = [c for c in x_train.columns if x_train[c].dtype == object]
    num_cols = [c for c in x_train.columns if c not in cat_cols]
    x_test = x_test.reindex(columns=x_train.columns)
    for c in num_cols:
        x_test[c] = pd.to_numeric(x_test[c], errors="coerce")
    encode = ColumnTransformer(
        [
            (
                "cat",
                OneHotEncoder(handle_unknown="ignore", max_categories=20, sparse_output=False),
                cat_cols,
            ),
            ("num", "passthrough", num_cols),
        ]
    )
    if task == "classification":
        y_train, y_test = as_category(y_train), as_category(y_test)
        if y_train.nunique() < 2:
            model = DummyClassifier(strategy="most_frequent")
        else:
            model = HistGradientBoostingClassifier(max_iter=100, random_state=seed)
    else:
        y_train, y_test = y_train.astype(float), y_test.astype(float)
        model = (
            DummyRegressor()
            if len(y_train) < 10
            else HistGradientBoostingRegressor(max_iter=100, random_state=seed)
        )
    pipe = make_pipeline(encode, model)
    # One thread: on a small shared machine OpenMP threads spin against each other and make a
    # sub-second fit take seconds; at the row caps used here one core is fast enough.
    with threadpool_limits(1):
        pipe.fit(x_train, y_train)
        pred = pipe.predict(x_test)
    if task == "classification":
        return {
            "score": float(f1_score(y_test, pred, average="macro", zero_division=0)),
            "accuracy": float(accuracy_score(y_test, pred)),
            "model": type(model).__name__,
        }
    return {"score": float(r2_score(y_test, pred)), "model": type(model).__name__}


@METRICS.register("ml_utility")
class MLUtility(Metric):
    """Train on the candidate, test on the holdout; compare with train-on-real-train."""

    title = "ML utility"

    def compute(self, ctx: EvalContext) -> dict[str, Any]:
        opts = ctx.options
        if "ml_target" not in ctx.shared:
            ctx.shared["ml_target"] = resolve_target(
                ctx.graph, ctx.train, opts.target, opts.root_table
            )
        target = ctx.shared["ml_target"]
        if target["table"] is None:
            return {
                "score": None,
                "reason": "no categorical or numerical column to predict",
                "target": target,
            }
        metric_name = "macro F1" if target["task"] == "classification" else "R^2"
        x_test, y_test = _xy(ctx.holdout, ctx.graph, target, opts.max_model_rows, opts.seed)
        if "ml_real" not in ctx.shared:
            x_real, y_real = _xy(ctx.train, ctx.graph, target, opts.max_model_rows, opts.seed)
            ctx.shared["ml_real"] = _fit_score(
                x_real, y_real, x_test, y_test, target["task"], opts.seed
            )
            ctx.shared["ml_real"]["train_rows"] = len(y_real)
        real = ctx.shared["ml_real"]
        x_syn, y_syn = _xy(ctx.candidate, ctx.graph, target, opts.max_model_rows, opts.seed)
        result: dict[str, Any] = {
            "target": target,
            "metric": metric_name,
            "real": real,
            "test_rows": len(y_test),
        }
        if len(y_syn) == 0:
            result.update(score=None, reason="the candidate has no rows with the target")
            return result
        synth = _fit_score(x_syn, y_syn, x_test, y_test, target["task"], opts.seed)
        synth["train_rows"] = len(y_syn)
        result["synthetic"] = synth
        if real["score"] > 0:
            result.update(score=synth["score"] / real["score"], reason=None)
        else:
            result.update(score=None, reason=f"the real-train baseline {metric_name} is <= 0")
        return result

    def columns(self, result: dict[str, Any]) -> dict[str, Any]:
        return {
            "ML synth": (result.get("synthetic") or {}).get("score"),
            "ML real": (result.get("real") or {}).get("score"),
            "ML ratio": result.get("score"),
        }


# ------------------------------------------------------------------------------------ privacy
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


def _sample(frame: pd.DataFrame, n: int, seed: int) -> pd.DataFrame:
    if len(frame) <= n:
        return frame
    return frame.iloc[np.random.default_rng(seed).choice(len(frame), n, replace=False)]


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
                _sample(ctx.train[table], opts.dcr_reference_rows, opts.seed), ctx.graph, table
            )
            holdout = value_frame(
                _sample(ctx.holdout[table], n_hold, opts.seed + 5), ctx.graph, table
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
            h_ref = enc(_sample(holdout, n_eq, opts.seed + 2))
            hq = _sample(holdout, opts.dcr_query_rows, opts.seed + 3)
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
                _sample(ctx.candidate[table], opts.dcr_query_rows, opts.seed + 4), ctx.graph, table
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
        return {
            "DCR ratio": result.get("score"),
            "closer to train": result.get("share_closer_to_train_max"),
        }


# ---------------------------------------------------------------------------------- resources
@METRICS.register("resources")
class Resources(Metric):
    """Run time and peak memory of producing the candidate, as measured by the caller."""

    title = "Resources"
    KEYS = ("fit_seconds", "sample_seconds", "total_seconds", "peak_memory_mb")

    def compute(self, ctx: EvalContext) -> dict[str, Any]:
        stats = {k: _nan_to_none(ctx.stats[k]) for k in self.KEYS if k in ctx.stats}
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
        return {"time s": result.get("total_seconds"), "peak MB": result.get("peak_memory_mb")}
