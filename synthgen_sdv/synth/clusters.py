"""Relation-aware latent classes (ClavaDDPM's clustering) as an encoding around HMA.

ClavaDDPM (Pang et al., 2024) clusters each parent-child relation on the joint of the parent's
columns and its children's columns, gives the class to both, models the parent with the class
and the child conditioned on it. Here, for each relationship, the parents are clustered
(k-means on the standardized joint of the parent's numbers and dates, its number of children
and the means of the children's numbers), the class becomes a categorical column of the parent
and of each child row (its parent's class), HMA models both, and the columns are dropped after
sampling. HMA's child models are per parent row already, so the class is a coarse summary next
to them; ``benchmarks/bench_crosstable.py`` measures whether it helps (``clusters=K``).

Public API: ``Clusters.fit(tables, metadata, k)`` -> the model tables and metadata with class
columns; ``clusters.restore(sampled)`` drops them.
"""

from __future__ import annotations

from copy import deepcopy
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import pandas as pd

from synthgen_sdv.core.tight import as_numbers

MIN_PARENTS_PER_CLASS = 20


@dataclass
class Clusters:
    """The class columns added (table, column) to drop after sampling."""

    columns: list[tuple[str, str]] = field(default_factory=list)

    @classmethod
    def fit(
        cls, tables: dict[str, pd.DataFrame], metadata: dict[str, Any], k: int, seed: int = 0
    ) -> tuple[Clusters, dict[str, pd.DataFrame], dict[str, Any]]:
        """Cluster every parent-child relation; the tables and metadata with the classes."""
        from sklearn.cluster import KMeans  # sklearn comes with SDV (rdt); only used here

        out_tables, out_meta, added = dict(tables), deepcopy(metadata), []
        for r in metadata.get("relationships", []):
            parent, child = r["parent_table_name"], r["child_table_name"]
            pk, fk = r["parent_primary_key"], r["child_foreign_key"]
            if parent == child or parent not in tables or child not in tables:
                continue
            features = _features(tables[parent], pk, tables[child], fk, metadata)
            classes = min(k, len(features) // MIN_PARENTS_PER_CLASS)
            if classes < 2 or features.shape[1] == 0:
                continue
            labels = KMeans(classes, n_init=4, random_state=seed).fit_predict(features)
            name = f"_class_{child}_{fk}"
            by_key = pd.Series([f"c{x}" for x in labels], index=tables[parent][pk].to_numpy())
            by_key = by_key[~by_key.index.duplicated()]
            p = out_tables[parent] = out_tables[parent].copy()
            p[name] = by_key.reindex(p[pk].to_numpy()).to_numpy()
            c = out_tables[child] = out_tables[child].copy()
            c[name] = by_key.reindex(c[fk].to_numpy()).to_numpy()
            for t in (parent, child):
                out_meta["tables"][t]["columns"][name] = {"sdtype": "categorical"}
                added.append((t, name))
        return cls(added), out_tables, out_meta

    def restore(self, sampled: dict[str, pd.DataFrame]) -> dict[str, pd.DataFrame]:
        """The sampled tables without the class columns."""
        out = dict(sampled)
        for t, name in self.columns:
            if t in out and name in out[t]:
                out[t] = out[t].drop(columns=[name])
        return out


def _values(df: pd.DataFrame, keys: set[str]) -> pd.DataFrame:
    cols = {
        c: as_numbers(df[c]) for c in df.columns if c not in keys and df[c].dtype.kind in "Mbiuf"
    }
    return pd.DataFrame(cols, index=df.index)


def _features(
    parent: pd.DataFrame, pk: str, child: pd.DataFrame, fk: str, metadata: dict[str, Any]
) -> np.ndarray:
    keys = {
        c
        for t in metadata["tables"].values()
        for c, m in t["columns"].items()
        if m.get("sdtype") == "id"
    } | {pk, fk}
    own = _values(parent, keys)
    kids = _values(child, keys)
    kids[fk] = child[fk].to_numpy()
    means = kids.groupby(fk).mean().add_prefix("child_mean_")
    counts = child[fk].value_counts().rename("child_count")
    joint = own.set_axis(parent[pk].to_numpy()).join(means).join(counts)
    joint["child_count"] = joint["child_count"].fillna(0)
    joint = joint.loc[:, joint.std() > 0]
    joint = joint.fillna(joint.median())
    return ((joint - joint.mean()) / joint.std()).to_numpy(dtype="float64")
