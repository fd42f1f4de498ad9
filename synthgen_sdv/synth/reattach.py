"""Foreign keys from modeled tables to tables that are not modeled: learned, then re-attached.

Before fitting, such a key column (``transactions.product_id -> products`` when ``products`` is
not modeled) is removed from what SDV sees and its value frequencies are learned, optionally
conditioned on one modeled categorical column of the same table (``category``: a product
drawn for a synthetic "books" row is a real book). After sampling, keys are drawn from the
real parent keys with those frequencies (seeded numpy Generator), so no key dangles.

Public API: ``unmodeled_foreign_keys(metadata, modeled)``,
``learn_key_frequencies(tables, metadata, relationship, candidates, condition="auto")``,
``KeyFrequencies.draw(sampled_table, rng)``.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field

import numpy as np
import pandas as pd

from synthgen_sdv.core.errors import InputError

MAX_CONDITION_CARDINALITY = 100
MIN_INFORMATION_SHARE = 0.5  # MI(key, column) / H(column): the column must mostly follow the key


def unmodeled_foreign_keys(metadata: dict, modeled: Sequence[str]) -> list[dict]:
    """Relationships whose child table is modeled and whose parent is not."""
    modeled = set(modeled)
    return [
        r
        for r in metadata.get("relationships", [])
        if r["child_table_name"] in modeled and r["parent_table_name"] not in modeled
    ]


def _entropy(counts: np.ndarray) -> float:
    p = counts[counts > 0] / counts.sum()
    return float(-(p * np.log(p)).sum())


def _mutual_information(a: pd.Series, b: pd.Series) -> float:
    joint = pd.crosstab(a, b).to_numpy().astype(float)
    if joint.size == 0:
        return 0.0
    return _entropy(joint.sum(1)) + _entropy(joint.sum(0)) - _entropy(joint.ravel())


@dataclass
class KeyFrequencies:
    """Frequencies of one foreign key's values, optionally per value of a condition column."""

    table: str
    column: str
    parent_table: str
    parent_column: str
    keys: np.ndarray
    probabilities: np.ndarray
    null_rate: float
    dtype: str
    condition: str | None = None
    by_condition: dict = field(default_factory=dict)  # value -> (key indices, probabilities)

    def describe(self) -> dict:
        """The re-attached key's entry in the synthesizer's parameters (generation lineage)."""
        return {
            "table": self.table,
            "column": self.column,
            "references": f"{self.parent_table}.{self.parent_column}",
            "distinct_keys": len(self.keys),
            "null_rate": round(self.null_rate, 6),
            "conditioned_on": self.condition,
        }

    def draw(self, sampled: pd.DataFrame, rng: np.random.Generator) -> pd.Series:
        """Keys for every sampled row: real parent keys, with the learned frequencies."""
        n = len(sampled)
        idx = np.full(n, -1, dtype=np.int64)
        if len(self.keys):
            rest = np.ones(n, bool)
            if self.condition is not None and self.condition in sampled:
                codes, values = pd.factorize(sampled[self.condition], use_na_sentinel=True)
                for code, value in enumerate(values):
                    hit = self.by_condition.get(value)
                    if hit is None:
                        continue
                    rows = np.flatnonzero(codes == code)
                    idx[rows] = rng.choice(hit[0], size=len(rows), p=hit[1])
                    rest[rows] = False
            rows = np.flatnonzero(rest)
            idx[rows] = rng.choice(len(self.keys), size=len(rows), p=self.probabilities)
            if self.null_rate > 0:
                idx[rng.random(n) < self.null_rate] = -1
        values = pd.Series(
            self.keys[np.maximum(idx, 0)] if len(self.keys) else np.full(n, None),
            index=sampled.index,
            dtype=object,
        )
        values[idx < 0] = None
        try:
            return values.astype(self.dtype)
        except (TypeError, ValueError):
            return values


def learn_key_frequencies(
    tables: dict[str, pd.DataFrame],
    metadata: dict,
    relationship: dict,
    candidates: Sequence[str] = (),
    condition: str | None = "auto",
) -> KeyFrequencies:
    """Learn the frequencies of ``relationship``'s foreign key in its (modeled) child table.

    ``candidates`` are modeled categorical columns of the child that may condition the draw;
    ``condition`` is ``"auto"`` (the candidate carrying most information about the key, if
    it mostly follows the key), a column name, or ``None`` (marginal frequencies only).
    """
    child, fk = relationship["child_table_name"], relationship["child_foreign_key"]
    parent, pk = relationship["parent_table_name"], relationship["parent_primary_key"]
    values = tables[child][fk]
    real_keys = pd.Index(tables[parent][pk].dropna().unique()) if parent in tables else None
    present = values.notna()
    if real_keys is not None:
        present &= values.isin(real_keys)  # a dangling key in the input is never reproduced
    counts = values[present].value_counts()
    keys = counts.index.to_numpy()
    probs = counts.to_numpy(dtype=float)
    probs = probs / probs.sum() if probs.sum() else probs
    chosen = None
    if condition == "auto":
        best, best_share = None, 0.0
        for col in candidates:
            c = tables[child][col]
            nunique = c.nunique(dropna=True)
            if not 1 < nunique <= MAX_CONDITION_CARDINALITY:
                continue
            h = _entropy(c.value_counts().to_numpy(float))
            share = _mutual_information(values[present], c[present]) / h if h else 0.0
            if share > best_share:
                best, best_share = col, share
        chosen = best if best_share >= MIN_INFORMATION_SHARE else None
    elif condition is not None:
        if condition not in tables[child]:
            raise InputError(f"{child}.{fk}: condition column '{condition}' does not exist")
        chosen = condition
    by_condition = {}
    if chosen is not None:
        position = pd.Series(np.arange(len(keys)), index=counts.index)
        joint = (
            pd.DataFrame({"c": tables[child][chosen][present], "k": values[present]})
            .groupby(["c", "k"], observed=True)
            .size()
        )
        for value, sub in joint.groupby(level=0):
            key_idx = position.loc[sub.index.get_level_values(1)].to_numpy()
            p = sub.to_numpy(float)
            by_condition[value] = (key_idx, p / p.sum())
    return KeyFrequencies(
        table=child,
        column=fk,
        parent_table=parent,
        parent_column=pk,
        keys=keys,
        probabilities=probs,
        null_rate=float(values.isna().mean()),
        dtype=str(values.dtype),
        condition=chosen,
        by_condition=by_condition,
    )
