"""Per-value shares of discrete numerical columns, kept whatever the copula samples.

A number with few distinct values (a unit price of 0.99 or 1.99, a bill-of-materials level,
a quantity of 1..9) is modeled as an ordered category in normal-score space (``treatment``).
HMA then samples each child row from its parent's normal, whose mean and spread are themselves
drawn from the parent's copula; a rare value in the upper tail picks up that noise from every
parent: 1.99 went from 5.0% of a real invoice table to 17.9%. The ranks the copula gives are
informative (which rows are high); the shares it gives are not. So after sampling, each such
column is re-labelled by rank: its rows are ordered by the sampled value (ties in a seeded
random order) and the real values are laid over that order in their real shares (largest
remainder rounding). Dependence that runs through the ranks is kept, the marginal is the
data's, and no value can pile up. Nulls keep the rows the model gave them.

Public API: ``learn_shares(tables, treatments)`` -> list of ``DiscreteShares``;
``keep_shares(sampled, shares, seed)`` -> the sampled tables with each column re-labelled.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd

from synthgen_sdv.synth.seeding import derive_seed


@dataclass(frozen=True)
class DiscreteShares:
    """The real values of one discrete column, ascending, and the share of each (non-null)."""

    table: str
    column: str
    values: tuple
    shares: tuple

    def counts(self, n: int) -> np.ndarray:
        """How many of ``n`` rows take each value: largest-remainder rounding of the shares."""
        exact = np.asarray(self.shares, dtype=float) * n
        counts = np.floor(exact).astype(np.int64)
        short = n - int(counts.sum())
        if short > 0:
            # stable: ties in the remainder go to the earlier (smaller) value
            order = np.argsort(-(exact - counts), kind="stable")
            counts[order[:short]] += 1
        return counts

    def relabel(self, column: pd.Series, rng: np.random.Generator) -> pd.Series:
        """``column`` with its non-null rows re-labelled by rank into the real shares."""
        known = column.notna().to_numpy()
        n = int(known.sum())
        if n == 0:
            return column
        sampled = pd.to_numeric(column[known], errors="coerce").to_numpy(dtype=float)
        # rank by sampled value; ties (most rows of a discrete column) in a random order
        order = np.lexsort((rng.random(n), np.nan_to_num(sampled, nan=np.inf)))
        labels = np.repeat(np.asarray(self.values, dtype=object), self.counts(n))
        values = np.empty(n, dtype=object)
        values[order] = labels
        out = column.astype(object).copy()
        out[known] = values
        try:
            return out.astype(column.dtype)
        except (TypeError, ValueError):
            return out.infer_objects()


def learn_shares(tables: dict[str, pd.DataFrame], treatments) -> list[DiscreteShares]:
    """The real per-value shares of every column the treatments model as ``discrete``."""
    out: list[DiscreteShares] = []
    for t in treatments:
        if t.treatment != "discrete" or t.table not in tables:
            continue
        col = tables[t.table][t.column]
        numeric = pd.to_numeric(col, errors="coerce")
        if numeric.notna().sum() != col.notna().sum():
            continue  # not a number after all: leave it to the model
        freq = col[numeric.notna()].value_counts(normalize=True)
        freq = freq.sort_index()
        out.append(
            DiscreteShares(
                t.table,
                t.column,
                tuple(freq.index.tolist()),
                tuple(float(s) for s in freq.to_numpy()),
            )
        )
    return out


def keep_shares(
    sampled: dict[str, pd.DataFrame], shares: list[DiscreteShares], seed: int
) -> dict[str, pd.DataFrame]:
    """The sampled tables with every learned discrete column re-labelled to its real shares."""
    out = dict(sampled)
    for s in shares:
        df = out.get(s.table)
        if df is None or s.column not in df or len(df) == 0:
            continue
        rng = np.random.default_rng(derive_seed(seed, "shares", s.table, s.column))
        df = df.copy() if df is sampled.get(s.table) else df
        df[s.column] = s.relabel(df[s.column], rng).to_numpy()
        out[s.table] = df
    return out
