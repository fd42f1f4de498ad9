"""Splits or subsamples a multi-table dataset by root entity, keeping referential integrity.

Method (the same for ``split_by_root`` and ``subsample_by_root``):

1. The *entity root* is the table without parents that owns the most descendant tables
   (``customers`` in customers -> orders -> transactions), or, when that root has too few rows
   to split, the table below it that does (``TableGraph.entity_root``); ``root_table=``
   overrides it. Tables above the entity are shared (step 4).
2. Root rows are drawn with ``numpy.random.default_rng(seed)`` (a permutation).
3. Every descendant table, in parent-first order, keeps a row when each of its non-null foreign
   keys into the root's subtree points at a kept row. A row whose keys into the subtree are all
   null or orphaned (resolve nowhere in the input) is assigned with its own seeded draw at the
   same rate, so a sample keeps the input's share of orphans rather than hiding them. A row
   whose parents landed in different parts (possible only with two paths from the root) is
   dropped and counted.
4. Tables outside the root's subtree (dimensions such as ``products``, and the tables above an
   entity that has parents) are shared: kept whole in
   every part, so foreign keys into them still resolve. ``subsample_by_root`` may cap shared
   tables that nothing references (``max_shared_rows``) by a uniform row sample.
5. Self-referencing foreign keys (``employees.manager_id``) that no longer resolve are set to
   null and counted.

Every function returns the sizes it produced in ``info`` so a report can state them.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import numpy as np
import pandas as pd

from synthgen_sdv.core.errors import InputError
from synthgen_sdv.evaluate.relations import Dataset, TableGraph, check_dataset


@dataclass
class Split:
    """Train and holdout (every root row with all its descendants on one side), and how."""

    train: Dataset
    holdout: Dataset
    info: dict[str, Any] = field(default_factory=dict)


@dataclass
class Sample:
    """A root-entity subsample and what was kept of each table."""

    data: Dataset
    info: dict[str, Any] = field(default_factory=dict)


def _select(
    data: Dataset,
    graph: TableGraph,
    root: str,
    root_keep: np.ndarray,
    null_keep: dict[str, np.ndarray],
) -> tuple[Dataset, dict[str, int]]:
    """Keep ``root_keep`` root rows and the descendants that hang off them; count repairs."""
    subtree = {root, *graph.descendants(root)}
    masks: dict[str, np.ndarray] = {}
    out: Dataset = {}
    repaired: dict[str, int] = {}
    for table in graph.order:
        df = data[table]
        if table == root:
            keep = root_keep
        elif table in subtree:
            keep = np.ones(len(df), dtype=bool)
            any_key = np.zeros(len(df), dtype=bool)
            for rel in graph.parents_of(table):
                if rel.parent not in subtree:
                    continue
                fk = df[rel.child_key]
                # Orphans (keys that resolve nowhere in the input) are drawn like null keys,
                # so a sample keeps the input's share of broken keys instead of hiding them.
                resolves = fk.isin(data[rel.parent][rel.parent_key]).to_numpy()
                keep &= ~resolves | fk.isin(out[rel.parent][rel.parent_key]).to_numpy()
                any_key |= resolves
            keep = np.where(any_key, keep, null_keep[table])
        else:
            keep = np.ones(len(df), dtype=bool)
        masks[table] = keep
        part = df.loc[keep].reset_index(drop=True)
        for rel in graph.relationships:
            if rel.child == table and rel.parent == table:
                dangling = part[rel.child_key].notna() & ~part[rel.child_key].isin(
                    part[rel.parent_key]
                )
                if dangling.any():
                    part = part.copy()
                    part.loc[dangling, rel.child_key] = None
                    repaired[f"{rel.label}"] = int(dangling.sum())
        out[table] = part
    return {t: out[t] for t in graph.tables}, repaired


def _prepare(dataset: Dataset, metadata: Any, root_table: str | None) -> tuple[TableGraph, str]:
    graph = TableGraph(metadata)
    check_dataset(dataset, graph, "dataset")
    root = root_table or graph.entity_root(dataset)
    if root not in graph.tables:
        raise InputError(f"root table '{root}' is not in the metadata; tables: {graph.tables}")
    if graph.primary_keys.get(root) is None and graph.descendants(root):
        raise InputError(f"root table '{root}' has no primary key to split by")
    # A root without a key has no children (a foreign key needs one): its rows are split as
    # they are, each row its own entity (a folder of unrelated tables, a fact with no key).
    return graph, root


def _null_draws(dataset: Dataset, graph: TableGraph, root: str, rng) -> dict[str, np.ndarray]:
    return {t: rng.random(len(dataset[t])) for t in graph.descendants(root)}


def split_by_root(
    dataset: Dataset,
    metadata: Any,
    holdout_fraction: float = 0.2,
    seed: int = 0,
    root_table: str | None = None,
) -> Split:
    """Split into train and holdout by root entity; both parts keep referential integrity."""
    if not 0.0 < holdout_fraction < 1.0:
        raise InputError(f"holdout_fraction must be between 0 and 1, got {holdout_fraction}")
    graph, root = _prepare(dataset, metadata, root_table)
    n_root = len(dataset[root])
    n_holdout = round(holdout_fraction * n_root)
    if n_root < 2 or n_holdout == 0 or n_holdout == n_root:
        raise InputError(
            f"cannot split {n_root} '{root}' rows with holdout_fraction={holdout_fraction}: "
            "each part needs at least one root row"
        )
    rng = np.random.default_rng(seed)
    in_holdout = np.zeros(n_root, dtype=bool)
    in_holdout[rng.permutation(n_root)[:n_holdout]] = True
    draws = _null_draws(dataset, graph, root, rng)
    holdout, rep_h = _select(
        dataset, graph, root, in_holdout, {t: u < holdout_fraction for t, u in draws.items()}
    )
    train, rep_t = _select(
        dataset, graph, root, ~in_holdout, {t: u >= holdout_fraction for t, u in draws.items()}
    )
    subtree = [root, *graph.descendants(root)]
    dropped = {
        t: len(dataset[t]) - len(train[t]) - len(holdout[t])
        for t in subtree
        if len(dataset[t]) - len(train[t]) - len(holdout[t])
    }
    info = {
        "method": "split_by_root",
        "root_table": root,
        "seed": seed,
        "holdout_fraction": holdout_fraction,
        "split_tables": subtree,
        "shared_tables": [t for t in graph.tables if t not in subtree],
        "rows": {
            t: {"input": len(dataset[t]), "train": len(train[t]), "holdout": len(holdout[t])}
            for t in graph.tables
        },
        "dropped_rows_conflicting_parents": dropped,
        "self_references_nulled": {"train": rep_t, "holdout": rep_h},
    }
    return Split(train=train, holdout=holdout, info=info)


def subsample_by_root(
    dataset: Dataset,
    metadata: Any,
    max_root_rows: int,
    seed: int = 0,
    root_table: str | None = None,
    max_rows: int | None = None,
    max_shared_rows: int | None = None,
) -> Sample:
    """Keep at most ``max_root_rows`` root rows (and, if given, about ``max_rows`` rows in the
    root's subtree) with all their descendants; unchanged when already small enough.

    ``max_shared_rows`` also caps tables outside the subtree that no other table references
    (fact-like leaves such as ``inventory``) by a uniform row sample; shared tables that are
    referenced stay whole, so every foreign key into them still resolves.
    """
    if max_root_rows < 1:
        raise InputError(f"max_root_rows must be at least 1, got {max_root_rows}")
    graph, root = _prepare(dataset, metadata, root_table)
    subtree = [root, *graph.descendants(root)]
    n_root = len(dataset[root])
    n_keep = min(n_root, max_root_rows)
    subtree_rows = sum(len(dataset[t]) for t in subtree)
    if max_rows is not None and subtree_rows > max_rows:
        n_keep = min(n_keep, max(1, int(n_root * max_rows / subtree_rows)))
    info: dict[str, Any] = {
        "method": "subsample_by_root",
        "root_table": root,
        "seed": seed,
        "max_root_rows": max_root_rows,
        "max_rows": max_rows,
        "max_shared_rows": max_shared_rows,
        "root_rows_input": n_root,
        "root_rows_kept": n_keep,
        "sampled": n_keep < n_root,
        "self_references_nulled": {},
    }
    rng = np.random.default_rng(seed)
    if n_keep < n_root:
        keep = np.zeros(n_root, dtype=bool)
        keep[rng.permutation(n_root)[:n_keep]] = True
        rate = n_keep / n_root
        draws = _null_draws(dataset, graph, root, rng)
        nulls = {t: u < rate for t, u in draws.items()}
        data, info["self_references_nulled"] = _select(dataset, graph, root, keep, nulls)
    else:
        data = dict(dataset)
    if max_shared_rows is not None:
        for t in graph.tables:
            leaf = not graph.children_of(t)
            if t not in subtree and leaf and len(data[t]) > max_shared_rows:
                idx = np.sort(rng.choice(len(data[t]), max_shared_rows, replace=False))
                data[t] = data[t].iloc[idx].reset_index(drop=True)
                info["sampled"] = True
    info["rows"] = {t: {"input": len(dataset[t]), "kept": len(data[t])} for t in graph.tables}
    return Sample(data=data, info=info)


def referential_integrity(dataset: Dataset, metadata: Any) -> dict[str, dict[str, Any]]:
    """Per relationship: how many non-null child foreign keys resolve to a parent key."""
    graph = TableGraph(metadata)
    out: dict[str, dict[str, Any]] = {}
    for rel in graph.relationships:
        fk = dataset[rel.child][rel.child_key]
        present = fk.dropna()
        resolved = int(present.isin(dataset[rel.parent][rel.parent_key]).sum())
        out[rel.label] = {
            "child_rows": len(fk),
            "non_null": len(present),
            "resolved": resolved,
            "share_resolved": (resolved / len(present)) if len(present) else None,
        }
    return out


def children_per_parent(dataset: Dataset, metadata: Any) -> dict[str, pd.Series]:
    """Per relationship label: the number of children of every parent row (zeros included)."""
    graph = TableGraph(metadata)
    out = {}
    for rel in graph.relationships:
        counts = dataset[rel.child][rel.child_key].value_counts()
        parents = dataset[rel.parent][rel.parent_key]
        out[rel.label] = counts.reindex(parents.to_numpy(), fill_value=0).reset_index(drop=True)
    return out
