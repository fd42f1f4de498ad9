"""Columns that are a function of another column of their table, modeled once and looked up.

A calendar dimension has ``calendar_month_number`` and ``calendar_month_name``, a product table
``prod_category`` and ``prod_category_id``: one column determines the other exactly. A Gaussian
copula cannot hold that: it samples each from its marginal with a correlation, so a month
number gets the wrong month name (SDMetrics' Column Pair Trends for such pairs: 0.07-0.2, the
real data 1.0). Here each table's exact functional dependencies ``A -> B`` between non-key
columns are found on the training data; only the columns no other column determines are
modeled (one per group of columns that determine each other), and each other column is
looked up from the value sampled for its determinant, so every pair the data holds as a
function comes back exactly.

Evidence, so chance does not make a dependency: the determinant repeats (at least 2 rows per
value on average, and at least ``MIN_REPEATS`` repeated rows), so a unique or near-unique
column (a name, a description) never determines anything and no row is copied whole; the
dependent is not constant. A sampled determinant value the data did not have (a continuous
number) takes the dependent of the nearest value seen.

Public API: ``Dependencies.fit(tables, metadata)`` -> the model tables and metadata without
the looked-up columns; ``deps.restore(sampled)`` adds them back; ``deps.describe()``.
"""

from __future__ import annotations

from collections.abc import Callable
from copy import deepcopy
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import pandas as pd

MIN_REPEATS = 4  # repeated determinant rows (n - distinct values) needed as evidence
MIN_ROWS = 20  # a smaller table is left as it is (a handful of rows prove no dependency)
MIN_GROUP = 2.0  # rows per determinant value on average
SCREEN_ROWS = 4000  # dependencies are screened on a prefix of this many rows, then confirmed
#: which column of a group that determine each other is modeled: numbers keep their order for
#: the copula's correlations, categories come last
_PREFERENCE = {"numerical": 0, "datetime": 1, "categorical": 2, "boolean": 3}
LABELS = ("categorical", "boolean")  # the sdtypes that are looked up
_BLOCK = 256  # columns screened together


@dataclass
class Lookup:
    """``column`` of ``table`` = the value paired with ``source``'s value in the data."""

    table: str
    column: str
    source: str
    keys: pd.Series  # the determinant's distinct values (sorted when ordered)
    values: pd.Series  # the dependent's value for each, aligned with ``keys``

    def apply(self, df: pd.DataFrame) -> pd.Series:
        """The dependent column for the sampled determinant ``df[source]``."""
        src = df[self.source]
        idx = pd.Index(self.keys)
        pos = idx.get_indexer(src)
        missing = pos < 0
        if missing.any():
            pos[missing] = self._nearest(src[missing])
        out = self.values.iloc[pos]
        out.index = df.index
        return out

    def _nearest(self, src: pd.Series) -> np.ndarray:
        keys = self.keys
        notna = keys.notna().to_numpy()
        if (
            not (pd.api.types.is_numeric_dtype(keys) or pd.api.types.is_datetime64_any_dtype(keys))
            or not notna.any()
        ):
            # a category the data lacks (cannot happen from a fitted encoder): the most common
            return np.zeros(len(src), dtype=np.int64)
        known = np.flatnonzero(notna)
        kv = keys.iloc[known].astype("int64" if keys.dtype.kind == "M" else "float64")
        kv = kv.to_numpy(dtype="float64")
        sv = src.astype("int64" if src.dtype.kind == "M" else "float64").to_numpy(dtype="float64")
        order = np.argsort(kv)
        sorted_kv = kv[order]
        at = np.clip(np.searchsorted(sorted_kv, sv), 1, len(sorted_kv) - 1)
        if len(sorted_kv) == 1:
            return np.full(len(sv), known[0], dtype=np.int64)
        left = sorted_kv[at - 1]
        right = sorted_kv[at]
        pick = np.where(np.abs(sv - left) <= np.abs(right - sv), at - 1, at)
        pick = np.where(np.isnan(sv), 0, pick)
        return known[order[pick]]


@dataclass
class Dependencies:
    """The lookups of every modeled table (empty when no table has a dependency)."""

    lookups: list[Lookup] = field(default_factory=list)

    @classmethod
    def fit(
        cls, tables: dict[str, pd.DataFrame], metadata: dict[str, Any]
    ) -> tuple[Dependencies, dict[str, pd.DataFrame], dict[str, Any]]:
        """Find the dependencies; return them with the tables and metadata to model."""
        lookups, tables, metadata = fit_derived(table_lookups, tables, metadata)
        return cls(lookups), tables, metadata

    def restore(self, sampled: dict[str, pd.DataFrame]) -> dict[str, pd.DataFrame]:
        """Put each looked-up column back from its sampled determinant."""
        return restore_derived(self.lookups, sampled)

    def describe(self) -> list[dict[str, str]]:
        """``{table, column, determined_by}`` per looked-up column (for the lineage file)."""
        return [
            {"table": lk.table, "column": lk.column, "determined_by": lk.source}
            for lk in self.lookups
        ]


def fit_derived(
    find: Callable[[str, pd.DataFrame, dict, set[str]], list[Any]],
    tables: dict[str, pd.DataFrame],
    metadata: dict[str, Any],
) -> tuple[list[Any], dict[str, pd.DataFrame], dict[str, Any]]:
    """The columns ``find`` says another column of their table gives (each item has
    ``table`` and ``column``), with the tables and metadata to model without them."""
    found: list[Any] = []
    for name, df in tables.items():
        meta = metadata["tables"].get(name)
        if meta is not None:
            found += find(name, df, meta, key_columns(name, metadata))
    if not found:
        return found, tables, metadata
    out_tables, out_meta = dict(tables), deepcopy(metadata)
    for item in found:
        out_tables[item.table] = out_tables[item.table].drop(columns=[item.column])
        del out_meta["tables"][item.table]["columns"][item.column]
    return found, out_tables, out_meta


def restore_derived(items: list[Any], sampled: dict[str, pd.DataFrame]) -> dict[str, pd.DataFrame]:
    """Each item's column put back from its sampled ``source`` (``item.apply(df)``)."""
    out = dict(sampled)
    for item in items:
        if item.table in out and item.source in out[item.table].columns:
            df = out[item.table] = out[item.table].copy()
            df[item.column] = item.apply(df)
    return out


def key_columns(table: str, metadata: dict[str, Any]) -> set[str]:
    """Columns that are keys or take part in a column relationship (never touched)."""
    meta = metadata["tables"][table]
    keys: set[str] = set()
    for k in ("primary_key", "sequence_key", "sequence_index"):
        v = meta.get(k)
        keys.update([v] if isinstance(v, str) else (v or []))
    for alt in meta.get("alternate_keys", []) or []:
        keys.update([alt] if isinstance(alt, str) else alt)
    for rel in meta.get("column_relationships", []) or []:
        keys.update(rel.get("column_names", []))
    for rel in metadata.get("relationships", []):
        if rel["child_table_name"] == table:
            keys.add(rel["child_foreign_key"])
        if rel["parent_table_name"] == table:
            keys.add(rel["parent_primary_key"])
    keys.update(c for c, m in meta["columns"].items() if m.get("sdtype") == "id")
    return keys


def _codes(s: pd.Series) -> tuple[np.ndarray, int]:
    codes, uniques = pd.factorize(s, use_na_sentinel=False)
    return codes.astype(np.int64), len(uniques)


def _determines(a: np.ndarray, na: int, b: np.ndarray, nb: int) -> bool:
    return len(np.unique(a * nb + b)) == na


def _determined(a: np.ndarray, matrix: np.ndarray) -> np.ndarray:
    """Which columns of ``matrix`` (rows x columns of codes) ``a``'s codes determine: constant
    within every group of equal ``a``. One sort and one pass over the matrix per determinant,
    so a wide table costs columns x rows per column, not a ``np.unique`` per pair."""
    order = np.argsort(a, kind="stable")
    sa = a[order]
    same = sa[1:] == sa[:-1]
    if not same.any():
        return np.ones(matrix.shape[1], dtype=bool)
    out = np.empty(matrix.shape[1], dtype=bool)
    for j in range(0, matrix.shape[1], _BLOCK):  # a block of columns at a time: bounded memory
        m = matrix[order, j : j + _BLOCK]
        out[j : j + _BLOCK] = ~((m[1:] != m[:-1]) & same[:, None]).any(axis=0)
    return out


def table_lookups(table: str, df: pd.DataFrame, meta: dict, keys: set[str]) -> list[Lookup]:
    """The lookups of one table: each column determined by another is looked up from the
    coarsest modeled column that determines it."""
    n = len(df)
    cols = [c for c in meta["columns"] if c in df.columns and c not in keys]
    if n < MIN_ROWS or len(cols) < 2:
        return []
    codes = {c: _codes(df[c]) for c in cols}
    dependents = [c for c in cols if codes[c][1] > 1]
    determinants = [
        c for c in dependents if n - codes[c][1] >= MIN_REPEATS and n / codes[c][1] >= MIN_GROUP
    ]
    # only labels are looked up (below), so only they are tested as dependents
    labels = [c for c in dependents if meta["columns"][c].get("sdtype") in LABELS]
    if not labels or not determinants:
        return []
    head = min(n, SCREEN_ROWS)
    screen = np.column_stack([codes[c][0][:head].astype(np.int32) for c in labels])
    fd: dict[str, set[str]] = {c: set() for c in dependents}  # a -> the labels it determines
    for a in determinants:
        for j in np.flatnonzero(_determined(codes[a][0][:head], screen)):
            b = labels[j]
            if b == a or codes[b][1] > codes[a][1]:
                continue
            if head == n or _determines(*codes[a], *codes[b]):
                fd[a].add(b)
    if not any(fd.values()):
        return []
    # only labels are looked up: numbers and dates stay modeled, where the copula keeps their
    # monotone relations to the table's other numbers (a looked-up number would follow its
    # determinant only, and lose them)
    rank = {
        c: (_PREFERENCE.get(meta["columns"][c].get("sdtype"), 4), i) for i, c in enumerate(cols)
    }
    lookups: list[Lookup] = []
    unresolved: list[str] = []
    for b in labels:
        numbers = [
            a
            for a in fd
            if b in fd[a] and meta["columns"][a].get("sdtype") in ("numerical", "datetime")
        ]
        if numbers:
            lookups.append(
                _lookup(table, df, b, min(numbers, key=lambda a: (codes[a][1], rank[a])))
            )
        else:
            unresolved.append(b)
    # labels only other labels determine: only a label's synonyms (a group that determine
    # each other: a category and its description) are looked up, from one of them; a label is
    # not looked up from a finer label (a country from a city): the finer one is modeled
    # worse (more categories per parent), and the coarse one would inherit that
    done: set[str] = set()
    for c in unresolved:
        if c in done:
            continue
        members = [c] + [d for d in unresolved if d != c and d in fd[c] and c in fd[d]]
        rep = min(members, key=rank.__getitem__)
        done.update(members)
        lookups += [_lookup(table, df, m, rep) for m in members if m != rep]
    return lookups


def _lookup(table: str, df: pd.DataFrame, column: str, source: str) -> Lookup:
    pairs = df[[source, column]].drop_duplicates(subset=[source], keep="first")
    keys = pairs[source].reset_index(drop=True)
    values = pairs[column].reset_index(drop=True)
    return Lookup(table, column, source, keys, values)
