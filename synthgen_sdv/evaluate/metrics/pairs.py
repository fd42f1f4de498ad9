"""A bound on the column pairs SDMetrics' quality report scores per table.

SDMetrics' Column Pair Trends scores every pair of a table's value columns, and Intertable
Trends every (parent column, child column) pair of each relationship, once per entry of the
comparison: quadratic in the columns (a 122-column table has 7,381 pairs; homecredit's
report spent 95% of its 157 s there). Past ``MAX_COLUMN_PAIRS`` pairs, a seeded sample of that
many is scored instead, by SDMetrics itself: its ``ColumnPairTrends._generate_details`` takes
the pairs to score (``column_pairs``; Intertable Trends passes its own that way), so the
scores, thresholds and details are SDMetrics' own on those pairs.

The sample depends only on the seed and the columns (their names and sdtypes in the metadata
SDMetrics gets), never on the data, so every entry of a comparison (each candidate, the
ceiling, the written output) is scored on the same pairs and stays comparable. Only pairs
SDMetrics would score (both columns of a sdtype it reads) are counted and drawn; they keep
SDMetrics' order. A table at or under the bound is scored exactly as before, pair for pair.
"""

from __future__ import annotations

import itertools
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from synthgen_sdv.core.seeds import rng_for
from synthgen_sdv.core.swaps import Swap

#: pairs scored per table (Column Pair Trends) and per relationship (Intertable Trends): every
#: pair of a table of up to 45 value columns
MAX_COLUMN_PAIRS = 1_000
# the sdtypes SDMetrics' ColumnPairTrends scores (its ``_sdtype_to_shape``); other pairs skipped
PAIR_SDTYPES = ("numerical", "datetime", "categorical", "ordinal", "boolean")


@dataclass
class PairPlan:
    """The pairs to score where a table or relationship has more than ``cap``.

    ``chosen`` is keyed by the column names of the metadata SDMetrics passes to
    ``ColumnPairTrends._generate_details`` (a table's, or Intertable Trends' merged
    ``child.col`` / ``parent.col`` columns); ``sampled`` says what was sampled, for the report.
    """

    cap: int
    seed: int
    chosen: dict[tuple[str, ...], list[tuple[str, str]]] = field(default_factory=dict)
    sampled: dict[str, list[dict[str, Any]]] = field(default_factory=dict)


def _scorable(columns: dict[str, dict], pairs) -> list[tuple[str, str]]:
    ok = {c for c, m in columns.items() if m.get("sdtype") in PAIR_SDTYPES}
    return [(a, b) for a, b in pairs if a in ok and b in ok]


def _draw(pairs: list[tuple[str, str]], cap: int, seed: int, key: tuple[str, ...], columns):
    """``cap`` of ``pairs``, in their order; drawn from (seed, the columns and sdtypes)."""
    rng = rng_for(seed, "column_pairs", *key, *(columns[c].get("sdtype") for c in key))
    keep = np.sort(rng.choice(len(pairs), cap, replace=False))
    return [pairs[i] for i in keep]


def plan_pairs(metadata: dict, cap: int = MAX_COLUMN_PAIRS, seed: int = 0) -> PairPlan:
    """Which pairs the quality report scores on ``metadata`` (SDV multi-table, as SDMetrics
    gets it): every pair of a table or relationship at or under ``cap``, else ``cap`` of them."""
    plan = PairPlan(cap=cap, seed=seed)
    tables = metadata["tables"]
    for table, tmeta in tables.items():
        columns = tmeta.get("columns", {})
        pairs = _scorable(columns, itertools.combinations(list(columns), 2))
        if len(pairs) > cap:
            key = tuple(columns)
            plan.chosen[key] = _draw(pairs, cap, seed, key, columns)
            plan.sampled.setdefault("Column Pair Trends", []).append(
                {"table": table, "scored": cap, "of": len(pairs)}
            )
    for rel in metadata.get("relationships", []):
        parent, child = rel["parent_table_name"], rel["child_table_name"]
        if parent not in tables or child not in tables:
            continue
        # SDMetrics' InterTableTrends._merge_metadata: child's columns, then parent's, prefixed
        child_cols = {f"{child}.{c}": m for c, m in tables[child].get("columns", {}).items()}
        parent_cols = {f"{parent}.{c}": m for c, m in tables[parent].get("columns", {}).items()}
        columns = {**child_cols, **parent_cols}
        pairs = _scorable(columns, itertools.product(parent_cols, child_cols))
        if len(pairs) > cap:
            key = tuple(columns)
            plan.chosen[key] = _draw(pairs, cap, seed, key, columns)
            plan.sampled.setdefault("Intertable Trends", []).append(
                {
                    "relationship": f"{child}.{rel['child_foreign_key']} -> "
                    f"{parent}.{rel['parent_primary_key']}",
                    "scored": cap,
                    "of": len(pairs),
                }
            )
    return plan


@contextmanager
def pairs_scored(plan: PairPlan) -> Iterator[None]:
    """Within the block, SDMetrics' ColumnPairTrends scores the plan's pairs where it has
    chosen some (and every pair elsewhere); put back after, also on an error."""
    from sdmetrics.reports.single_table._properties import ColumnPairTrends

    if not plan.chosen:
        yield
        return
    original = ColumnPairTrends._generate_details

    def _generate_details(
        self, real_data, synthetic_data, metadata, progress_bar=None, column_pairs=None
    ):
        chosen = plan.chosen.get(tuple(metadata.get("columns", {})))
        return original(
            self,
            real_data,
            synthetic_data,
            metadata,
            progress_bar=progress_bar,
            column_pairs=column_pairs if chosen is None else chosen,
        )

    with Swap((ColumnPairTrends, "_generate_details", _generate_details))():
        yield
