"""Exact identities after sampling: recompute derived columns from the config, not the model.

A synthesizer learns ``amount`` only approximately; the config says
``amount = round(quantity * unit_price * (1 - discount), 2)``. So derived, template and rollup
columns of modeled tables are not modeled at all: they are dropped before fitting and
recomputed here from the sampled columns and the parents they look up, and a parent column
that counts its children (``children_per_parent: {count: orders.item_count}``) is set to the
real count. The identities then hold exactly, whatever the model.
"""

from __future__ import annotations

from collections.abc import Mapping

import numpy as np
import pandas as pd

from synthgen_sdv.core import expr as expressions
from synthgen_sdv.generate.chunk import ExpressionEnv
from synthgen_sdv.kinds import ColumnContext
from synthgen_sdv.schema.plan import Plan, TablePlan


def recomputed_columns(plan: Plan, table: str) -> list[str]:
    """Emitted columns recomputed after sampling (so not modeled): derived, template, rollup.

    A derived column that reads a hidden, non-derived column cannot be recomputed from what a
    synthesizer returns, so it stays modeled.
    """
    tp = plan.tables[table]
    out: list[str] = []
    for col in tp.order + tp.rollups:
        spec = tp.columns[col]
        if spec.rollup_source is not None:
            out.append(col)
        elif spec.recomputed_after_sampling and spec.emit:
            own = {d for d in spec.deps() if "." not in d}
            if all(tp.columns[d].emit or d in out for d in own if d in tp.columns):
                out.append(col)
    return out


def count_columns(plan: Plan, table: str) -> dict[str, str]:
    """Parent columns that count children: {parent column: child table}."""
    out = {}
    for child, tp in plan.tables.items():
        if tp.driver and tp.driver_target == table:
            count = tp.lookup(tp.driver).children_count_expression
            if isinstance(count, str):
                refs = expressions.references(count)
                name = count.strip()
                if refs == {name} and name.startswith(f"{table}."):
                    out[name.split(".", 1)[1]] = child
    return out


def rederive(
    plan: Plan, tables: dict[str, pd.DataFrame], modeled: list[str]
) -> dict[str, pd.DataFrame]:
    """Recompute derived columns of the modeled tables (in generation order), then rollups and
    child counts. ``tables`` holds every table a modeled table looks up."""
    out = dict(tables)
    order = [t for t in plan.table_order if t in modeled]
    for name in order:
        out[name] = _derive_table(plan, plan.tables[name], out)
    for name in order:
        tp = plan.tables[name]
        frame = out[name].copy()
        keys = pd.Index(frame[tp.primary_key])
        for col in tp.rollups:
            spec = tp.columns[col]
            source = spec.rollup_source
            assert source is not None  # the plan lists rollup columns only
            child = out[source]
            pos = keys.get_indexer(child[plan.tables[source].driver])
            keep = pos >= 0
            frame[col] = spec.aggregate(child[keep], pos[keep], len(frame))
        for col, child_name in count_columns(plan, name).items():
            child = out[child_name]
            counts = child[plan.tables[child_name].driver].value_counts()
            frame[col] = counts.reindex(frame[tp.primary_key]).fillna(0).astype(np.int64).to_numpy()
        out[name] = frame
    return out


def renumber_keys(
    plan: Plan,
    tables: dict[str, pd.DataFrame],
    modeled: list[str],
    offsets: Mapping[str, int] | None = None,
) -> dict[str, pd.DataFrame]:
    """Give sampled rows the config's own keys (1, 2, ... or 'LC-000001', ...), in sampled order,
    and carry the new keys into every modeled table that refers to them. ``offsets`` start a
    table's keys after that many rows (a batch after others: keys stay unique)."""
    out = {t: tables[t].reset_index(drop=True).copy() for t in modeled}
    for name in [t for t in plan.table_order if t in modeled]:
        tp = plan.tables[name]
        spec = tp.columns[tp.primary_key]
        if not spec.is_key_sequence:
            continue
        old = out[name][tp.primary_key]
        new = spec.key_values((offsets or {}).get(name, 0), len(old))
        mapping = pd.Series(new.to_numpy(), index=pd.Index(old))
        out[name][tp.primary_key] = new.to_numpy()
        for child in modeled:
            for col, cspec in plan.tables[child].columns.items():
                if (
                    cspec.foreign_key_target == name
                    and col in out[child]
                    and plan.tables[child].target_column(col, plan) == tp.primary_key
                ):
                    out[child][col] = out[child][col].map(mapping).to_numpy()
    return {**tables, **out}


def _derive_table(plan: Plan, tp: TablePlan, tables: dict[str, pd.DataFrame]) -> pd.DataFrame:
    frame = tables[tp.name].reset_index(drop=True).copy()
    n = len(frame)
    env = ExpressionEnv(tp, n)
    env.own.update({c: frame[c] for c in frame.columns})
    for col, spec in tp.columns.items():
        target = spec.foreign_key_target
        if target is None or col not in frame or target not in tables:
            continue
        parent = tables[target].reset_index(drop=True)
        idx = pd.Index(parent[tp.target_column(col, plan)]).get_indexer(frame[col])
        missing = idx < 0
        env.add_parent(col, parent, np.where(missing, 0, idx), missing if missing.any() else None)
    if tp.driver and tp.driver in frame:
        env.own["index_in_parent"] = frame.groupby(tp.driver, sort=False).cumcount()
    for col in recomputed_columns(plan, tp.name):
        spec = tp.columns[col]
        if spec.rollup_source is not None:
            continue  # aggregated after the children are derived
        ctx = ColumnContext(
            n=n, seed=plan.seed, table=tp.name, column=col, chunk=0, env=env, locale=plan.locale
        )
        frame[col] = spec.generate(ctx).to_numpy()
        env.own[col] = frame[col]
    return frame
