"""ML utility: train on the candidate, test on the holdout (TSTR), against train on real train
(TRTR); scikit-learn HistGradientBoosting; macro F1 or R^2. The score is TSTR / TRTR."""

from __future__ import annotations

from typing import Any

import numpy as np
import pandas as pd

from synthgen_sdv.core.errors import InputError
from synthgen_sdv.evaluate.metrics.base import (
    METRICS,
    EvalContext,
    Metric,
    as_category,
    sample_rows,
    value_frame,
)
from synthgen_sdv.evaluate.relations import Dataset, TableGraph


def _via(rel, rels, side: str) -> str:
    """The other table's name as a feature prefix, with the foreign key when that table is
    linked twice (``routes`` -> ``airports`` as source and destination: ``airports(source_id)``
    and ``airports(destination_id)``, not two ``airports.name`` columns)."""
    other = getattr(rel, side)
    if sum(getattr(r, side) == other for r in rels) > 1:
        return f"{other}({rel.child_key})"
    return other


def feature_table(data: Dataset, graph: TableGraph, table: str) -> pd.DataFrame:
    """One row per ``table`` row: its own values, its parents' values, and per child table the
    number of children and the mean of their numeric values (one level each way)."""
    base = data[table]
    feats = [value_frame(base, graph, table)]
    parents = graph.parents_of(table)
    for rel in parents:
        parent = data[rel.parent].drop_duplicates(rel.parent_key).set_index(rel.parent_key)
        pvals = value_frame(parent, graph, rel.parent, prefix=f"{_via(rel, parents, 'parent')}.")
        joined = pvals.reindex(base[rel.child_key].to_numpy())
        joined.index = base.index
        feats.append(joined)
    pk = graph.primary_keys.get(table)
    if pk is not None:
        children = graph.children_of(table)
        for rel in children:
            child = data[rel.child]
            name = _via(rel, children, "child")
            cvals = value_frame(child, graph, rel.child)
            numeric = cvals.select_dtypes("number")
            grouped = numeric.groupby(child[rel.child_key].to_numpy())
            agg = grouped.mean().add_prefix(f"{name}.mean_")
            agg[f"{name}.count"] = child.groupby(rel.child_key).size()
            joined = agg.reindex(base[pk].to_numpy())
            joined[f"{name}.count"] = joined[f"{name}.count"].fillna(0)
            joined.index = base.index
            feats.append(joined)
    return pd.concat(feats, axis=1)


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
    data = {**data, table: sample_rows(data[table], 2 * n_max, seed + 7)}
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

    def prepare(self, ctx: EvalContext) -> None:
        """The target, the holdout's test rows and the real-train model: once per comparison
        (``ctx.shared``), reused by every candidate."""
        opts = ctx.options
        if "ml_target" not in ctx.shared:
            ctx.shared["ml_target"] = resolve_target(
                ctx.graph, ctx.train, opts.target, opts.root_table
            )
        target = ctx.shared["ml_target"]
        if target["table"] is None or "ml_real" in ctx.shared:
            return
        x_test, y_test = _xy(ctx.holdout, ctx.graph, target, opts.max_model_rows, opts.seed)
        x_real, y_real = _xy(ctx.train, ctx.graph, target, opts.max_model_rows, opts.seed)
        real = _fit_score(x_real, y_real, x_test, y_test, target["task"], opts.seed)
        real["train_rows"] = len(y_real)
        ctx.shared["ml_test"] = (x_test, y_test)
        ctx.shared["ml_real"] = real

    def compute(self, ctx: EvalContext) -> dict[str, Any]:
        """TSTR / TRTR on one target, against the shared real-train model (``prepare``)."""
        opts = ctx.options
        self.prepare(ctx)
        target = ctx.shared["ml_target"]
        if target["table"] is None:
            return {
                "score": None,
                "reason": "no categorical or numerical column to predict",
                "target": target,
            }
        metric_name = "macro F1" if target["task"] == "classification" else "R^2"
        x_test, y_test = ctx.shared["ml_test"]
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
        """Both scores and their ratio: a ratio near 1 means little if both are near 0."""
        return {
            "ML synth": (result.get("synthetic") or {}).get("score"),
            "ML real": (result.get("real") or {}).get("score"),
            "ML ratio": result.get("score"),
        }
