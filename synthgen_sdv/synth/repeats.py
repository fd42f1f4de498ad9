"""A child's category column that repeats its parent's: modeled as "same as the parent or not".

HMA carries a child column to its parent as per-parent parameters (the mean and spread of the
child's encoded value) and links them to the parent's columns through the parent's Gaussian
copula. A child value that equals its parent's (an order's ship country and its customer's
country; a line's category and its product's) is a relation between two category codes that
a copula cannot hold once there are more than a few categories: Northwind's
customers.country x orders.ship_country scored 0.07 against 0.62 for the real train split, and
encoding both in one order (tried: the relation becomes the identity on codes) only reached
0.28, the per-parent normals scattering codes across neighbouring categories.

Here such a column keeps its own model (its shares, its relations in its table) and the child
gains, per foreign key, one companion category column ``_same_<fk>`` ("y" where the row holds
its parent's values in all the columns that repeat that parent: an order shipped to its
customer's address repeats city, region and country together), which HMA models per parent
like any other child column: the rate of repeats per parent and its relation to the parent's
other columns. After sampling, the rows drawn as repeats take their sampled parent's values.
The anchor of a category, as ``anchors`` is for dates and numbers.

A pair is used when, joined along a relationship, at least ``MIN_AGREEMENT`` of the child rows
hold their parent's value, beyond chance (Cohen's kappa at least ``MIN_KAPPA``: two columns
of small codes match by accident), and at least ``MIN_OVERLAP`` of the child's distinct values
occur in the parent column, a column of categories (at most ``MAX_DISTINCT`` distinct values
per parent row, not a name of its own). Public API: ``Repeats.fit(tables, metadata)`` -> the
repeats with the tables and metadata to model; ``repeats.restore(sampled)``;
``repeats.describe()``.
"""

from __future__ import annotations

from copy import deepcopy
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import pandas as pd

MIN_AGREEMENT = 0.5
MIN_OVERLAP = 0.5
MIN_KAPPA = 0.5
MAX_DISTINCT = 0.5  # distinct values per parent row of a repeated parent column, at most
YES, NO = "y", "n"


@dataclass(frozen=True)
class Repeat:
    """``table.column`` repeats ``parent.source`` of the row ``fk`` points at."""

    table: str
    column: str
    fk: str
    parent: str
    key: str
    source: str
    agreement: float

    @property
    def flag(self) -> str:
        """The companion column HMA models (one per child table and foreign key)."""
        return f"_same_{self.fk}"

    def same(self, df: pd.DataFrame, parent: pd.DataFrame) -> np.ndarray:
        """Rows holding their parent's value (both null counts as the same)."""
        theirs = self.parent_values(df, parent)
        values = df[self.column].to_numpy(dtype=object)
        both_null = pd.isna(values) & pd.isna(theirs)
        linked = df[self.fk].notna().to_numpy()
        return linked & ((pd.notna(theirs) & (values == theirs)) | both_null)

    def parent_values(self, df: pd.DataFrame, parent: pd.DataFrame) -> np.ndarray:
        """The value of ``source`` in each row's parent (None where it has none)."""
        by_key = parent.drop_duplicates(self.key).set_index(self.key)
        return _looked_up(by_key[self.source], by_key.index.get_indexer(df[self.fk]))


def _looked_up(lookup: pd.Series, position: np.ndarray) -> np.ndarray:
    """``lookup``'s values at ``position`` (None where it is -1), as objects."""
    values = lookup.to_numpy(dtype=object)
    out = np.full(len(position), None, dtype=object)
    out[position >= 0] = values[position[position >= 0]]
    return out


def _kappa(mine: np.ndarray, theirs: np.ndarray, agree: float) -> float:
    """Cohen's kappa: agreement beyond what the two columns' shares give by chance."""
    a = pd.Series(mine).value_counts(normalize=True)
    b = pd.Series(theirs).value_counts(normalize=True)
    chance = float((a * b.reindex(a.index).fillna(0.0)).sum())
    return 1.0 if chance >= 1.0 else (agree - chance) / (1.0 - chance)


def _categories(meta: dict) -> list[str]:
    return [c for c, m in meta["columns"].items() if m.get("sdtype") in ("categorical", "boolean")]


def find_repeats(tables: dict[str, pd.DataFrame], metadata: dict[str, Any]) -> list[Repeat]:
    """For each child category column, the parent category column it repeats most (if any)."""
    found: list[Repeat] = []
    used: set[tuple[str, str]] = set()
    for r in metadata.get("relationships", []):
        parent, child = r["parent_table_name"], r["child_table_name"]
        pk, fk = r["parent_primary_key"], r["child_foreign_key"]
        if parent == child or parent not in tables or child not in tables:
            continue
        pdf, cdf = tables[parent], tables[child]
        # a constant (both False everywhere) "repeats" trivially and says nothing; a name
        # unique to its parent row is not repeated either: its children would pile on the
        # synthetic parent that drew a name, where the real ones spread over the names
        # (Northwind's ship_name = company_name: 4% of orders on one name, 0.7% in the data)
        pcols = [c for c in _categories(metadata["tables"][parent]) if c in pdf]
        pcols = [c for c in pcols if 1 < pdf[c].nunique() <= MAX_DISTINCT * pdf[c].count()]
        ccols = [c for c in _categories(metadata["tables"][child]) if c in cdf]
        ccols = [c for c in ccols if cdf[c].nunique() > 1]
        if not pcols or pk not in pdf or fk not in cdf:
            continue
        # each parent row's position and each parent column's values, once per relationship
        by_key = pdf.drop_duplicates(pk).set_index(pk)
        position = by_key.index.get_indexer(cdf[fk])
        parent_values = {p: _looked_up(by_key[p], position) for p in pcols}
        for c in ccols:
            if (child, c) in used:
                continue
            best: Repeat | None = None
            values = cdf[c].to_numpy(dtype=object)
            for p in pcols:
                theirs = parent_values[p]
                known = pd.notna(values) & pd.notna(theirs)
                if not known.any():
                    continue
                agree = float((values[known] == theirs[known]).mean())
                if agree < MIN_AGREEMENT or not (best is None or agree > best.agreement):
                    continue  # cannot be chosen whatever its kappa and overlap
                if _kappa(values[known], theirs[known], agree) < MIN_KAPPA:
                    continue  # no more than chance: two small codes that happen to match
                distinct = pd.unique(values[known])
                overlap = float(np.isin(distinct, pdf[p].dropna().unique()).mean())
                better = best is None or agree > best.agreement
                if agree >= MIN_AGREEMENT and overlap >= MIN_OVERLAP and better:
                    best = Repeat(child, c, fk, parent, pk, p, agree)
            if best is not None:
                found.append(best)
                used.add((child, c))
    return found


@dataclass
class Repeats:
    """The repeated columns of every modeled table."""

    repeats: list[Repeat] = field(default_factory=list)

    @classmethod
    def fit(
        cls, tables: dict[str, pd.DataFrame], metadata: dict[str, Any]
    ) -> tuple[Repeats, dict[str, pd.DataFrame], dict[str, Any]]:
        """Find the repeats; return them with the tables (plus flags) and metadata to model."""
        found = find_repeats(tables, metadata)
        if not found:
            return cls(), tables, metadata
        out_tables, out_meta = dict(tables), deepcopy(metadata)
        kept: list[Repeat] = []
        groups: dict[tuple[str, str], list[Repeat]] = {}
        for rep in found:
            groups.setdefault((rep.table, rep.fk), []).append(rep)
        for (table, _fk), group in groups.items():
            df = tables[table]
            parent = tables[group[0].parent]
            same = np.logical_and.reduce([rep.same(df, parent) for rep in group])
            if same.mean() < MIN_AGREEMENT:  # they repeat in different rows: the best alone
                group = [max(group, key=lambda r: r.agreement)]
                same = group[0].same(df, parent)
            out = out_tables[table] = out_tables[table].copy()
            out[group[0].flag] = np.where(same, YES, NO)
            out_meta["tables"][table]["columns"][group[0].flag] = {"sdtype": "categorical"}
            kept.extend(group)
        return cls(kept), out_tables, out_meta

    def restore(self, sampled: dict[str, pd.DataFrame]) -> dict[str, pd.DataFrame]:
        """Rows drawn as repeats take their sampled parent's value; the flags are dropped."""
        if not self.repeats:
            return sampled
        out = dict(sampled)
        flags: set[tuple[str, str]] = set()
        for rep in self.repeats:
            if rep.table not in out or rep.flag not in out[rep.table]:
                continue
            df = out[rep.table] = out[rep.table].copy()
            flags.add((rep.table, rep.flag))
            if rep.parent in out and rep.fk in df:
                theirs = rep.parent_values(df, out[rep.parent])
                linked = df[rep.fk].notna().to_numpy()
                # a null parent value is not repeated: the sampled parent may lack a value the
                # real parents of these rows always had (MIMIC's items with no unit name made
                # 44% of OUTPUTEVENTS.VALUEUOM null, against 0.4%); the row keeps its own
                known = pd.notna(theirs)
                take = (df[rep.flag].to_numpy(dtype=object) == YES) & linked & known
                column = df[rep.column].astype(object).to_numpy()
                column[take] = theirs[take]
                df[rep.column] = pd.Series(column, index=df.index).astype(
                    sampled[rep.table][rep.column].dtype, errors="ignore"
                )
        for table, flag in flags:
            out[table] = out[table].drop(columns=[flag])
        return out

    def describe(self) -> list[dict[str, str]]:
        """``{table, column, repeats, share}`` per repeated column (for the lineage file)."""
        return [
            {
                "table": r.table,
                "column": r.column,
                "repeats": f"{r.parent}.{r.source} (via {r.fk})",
                "share": f"{r.agreement:.0%}",
            }
            for r in self.repeats
        ]
