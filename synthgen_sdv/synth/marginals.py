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

The same holds for a categorical column whose values are numbers (a level 0..4 detected as a
category) and for categories ordered by a related number: both have an order the copula sees.
Unordered categories (rule ``unordered``) have no order to rank by: their encoder's order is
the order of appearance. HMA's per-parent normals still pile rows on the categories at the
ends of that order (OpenFlights' routes.equipment: 'CR2', first in the file, 0.8% -> 3.9%).
Re-labelling by rank would shift every category into its neighbour in file order; instead
only the excess moves (``CategoryShares``): a category drawn more often than its real share
gives its surplus rows, chosen at random, to the categories drawn less often, so every row
of a category within its share keeps the category the model gave it.

A column whose every value is distinct in the data (rule ``unique``) is re-labelled the same
way to distinct values (``unique.UniqueValues``); it is learned and applied here with the rest.

Public API: ``learn_shares(tables, treatments)`` -> list of ``DiscreteShares`` and
``UniqueValues``; ``keep_shares(sampled, shares, seed)`` -> the sampled tables with each column
re-labelled.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd

from synthgen_sdv.synth.seeding import derive_seed
from synthgen_sdv.synth.unique import UniqueValues, put_by_rank


@dataclass(frozen=True)
class DiscreteShares:
    """The real values of one discrete column, ascending, and the share of each (non-null)."""

    table: str
    column: str
    values: tuple  # in the model's order: ascending numbers, or the ordered categories
    shares: tuple
    numeric: bool = True
    stream = "shares"  # the name its random order is derived under (``keep_shares``)

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
        # rank by sampled value; ties (most rows of a discrete column) in a random order
        order = np.lexsort((rng.random(n), self._rank_keys(column[known])))
        labels = np.repeat(np.asarray(self.values, dtype=object), self.counts(n))
        return put_by_rank(column, known, order, labels)

    def _rank_keys(self, sampled: pd.Series) -> np.ndarray:
        """Where each sampled value sits in the column's order: its number for a numeric
        column, else its position in the model's category order (unknown values last)."""
        if self.numeric:  # (a column of categories is not read as numbers at all)
            numeric = _as_numbers(sampled)
            if numeric.notna().all():
                return numeric.to_numpy(dtype=float)
        position = {v: i for i, v in enumerate(self.values)}
        kind = sampled.dtype.kind if isinstance(sampled.dtype, np.dtype) else ""
        if kind not in ("O", "b", "i", "u", "f"):  # dates: a Series gives Timestamps
            return np.array([position.get(v, np.inf) for v in sampled], dtype=float)
        # the same dict lookups once per distinct value (numpy scalars hash and compare as
        # the Python values iterating the Series gives)
        codes, uniques = pd.factorize(sampled.to_numpy(), use_na_sentinel=False)
        return np.array([position.get(v, np.inf) for v in uniques], dtype=float)[codes]


@dataclass(frozen=True)
class CategoryShares(DiscreteShares):
    """The real categories of one unordered column and the share of each: re-labelled by
    moving only each category's surplus (see the module doc)."""

    numeric: bool = False
    stream = "categories"

    def relabel(self, column: pd.Series, rng: np.random.Generator) -> pd.Series:
        """``column`` with its surplus rows (and values the data lacks) moved to the
        categories drawn less often than their real share."""
        known = column.notna().to_numpy()
        n = int(known.sum())
        if n == 0:
            return column
        # vectorized lookup (-1: a value the data lacks); a column of a sample at scale
        codes = pd.Index(self.values).get_indexer(column[known]).astype(np.int64)
        target = self.counts(n)
        have = np.bincount(codes[codes >= 0], minlength=len(self.values))
        moving = [np.flatnonzero(codes < 0)]  # a value the data lacks always moves
        for c in np.flatnonzero(have > target):
            rows = np.flatnonzero(codes == c)
            moving.append(rng.choice(rows, int(have[c] - target[c]), replace=False))
        movers = np.sort(np.concatenate(moving))
        if len(movers) == 0:
            return column
        deficit = np.maximum(target - have, 0)
        labels = np.repeat(np.arange(len(self.values)), deficit)[: len(movers)]
        codes[movers] = rng.permutation(labels)
        out = column.copy()
        values = np.asarray(self.values, dtype=object)
        out.loc[known] = values[codes]
        return out


def _as_numbers(values: pd.Series) -> pd.Series:
    """Numbers as floats, and dates (datetime64, Timestamps or ISO text) as their
    nanoseconds: the order a date column's values are laid in, and sampled dates ranked."""
    if values.dtype.kind == "M":
        return values.astype("int64").astype(float).where(values.notna())
    numeric = pd.to_numeric(values, errors="coerce")
    if numeric.notna().sum() < values.notna().sum():
        dates = pd.to_datetime(values, errors="coerce", format="mixed")
        if dates.notna().sum() == values.notna().sum():
            return dates.astype("int64").astype(float).where(dates.notna())
    return numeric


def _category_shares(column: pd.Series) -> tuple[tuple, tuple] | None:
    """``CategoryShares``' values and shares of an object column as ``learn_shares``' pandas
    steps give them (``value_counts(normalize=True)`` sorted by each value's text), on
    numpy: the counts of ``factorize``, divided by the known rows as pandas divides them, in
    the order of the values' text. None (pandas decides) for another dtype, or where two
    values have the same text, whose order would be value_counts' own."""
    if column.dtype != object:
        return None
    values = column.to_numpy()
    known = values[~pd.isna(values)]
    codes, uniques = pd.factorize(known)
    text = np.asarray(pd.Index(uniques, dtype=object).astype(str), dtype=object)
    if len(set(text)) < len(text):
        return None
    order = np.argsort(text, kind="stable")
    shares = np.bincount(codes, minlength=len(uniques)) / len(known)
    return tuple(uniques[order].tolist()), tuple(map(float, shares[order]))


def learn_shares(
    tables: dict[str, pd.DataFrame], treatments
) -> list[DiscreteShares | UniqueValues]:
    """The real per-value shares of every column with the ``shares`` treatment (rule of that
    name in ``treatment``): numbers in numeric order, ordered categories in their order; and
    the real values of every column with the ``unique`` treatment."""
    out: list[DiscreteShares | UniqueValues] = []
    for t in treatments:
        if t.treatment == "unique" and t.column in tables.get(t.table, {}):
            kind, fmt = t.params["kind"], t.params.get("datetime_format")
            unique = UniqueValues.learn(t.table, t.column, tables[t.table][t.column], kind, fmt)
            if unique is not None:
                out.append(unique)
            continue
        if t.treatment != "shares" or t.column not in tables.get(t.table, {}):
            continue
        column = tables[t.table][t.column]
        if t.params.get("unordered"):
            fast = _category_shares(column)
            if fast is not None:
                out.append(CategoryShares(t.table, t.column, *fast))
                continue
        freq = column.dropna().value_counts(normalize=True)
        if t.params.get("unordered"):
            freq = freq.sort_index(key=lambda v: v.astype(str))  # a stable order for counts
            values = tuple(freq.index.tolist())
            out.append(CategoryShares(t.table, t.column, values, tuple(map(float, freq))))
            continue
        numeric = "order" not in t.params
        if numeric:
            numbers = _as_numbers(pd.Series(freq.index)).to_numpy()
            freq = freq.iloc[np.argsort(numbers, kind="stable")]
        else:
            freq = freq.reindex([v for v in t.params["order"] if v in freq.index])
        if freq.empty:
            continue  # no known value (or none in the model's order): nothing to keep
        out.append(
            DiscreteShares(
                t.table,
                t.column,
                tuple(freq.index.tolist()),
                tuple(float(s) for s in freq.to_numpy()),
                numeric,
            )
        )
    return out


def keep_shares(
    sampled: dict[str, pd.DataFrame], shares: list[DiscreteShares | UniqueValues], seed: int
) -> dict[str, pd.DataFrame]:
    """The sampled tables with every learned discrete column re-labelled to its real shares,
    and every unique one to distinct values."""
    out = dict(sampled)
    for s in shares:
        df = out.get(s.table)
        if df is None or s.column not in df or len(df) == 0:
            continue
        rng = np.random.default_rng(derive_seed(seed, s.stream, s.table, s.column))
        df = df.copy() if df is sampled.get(s.table) else df
        df[s.column] = s.relabel(df[s.column], rng).to_numpy()
        out[s.table] = df
    return out
