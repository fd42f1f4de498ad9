"""Columns modeled as an offset from a tightly related column of their parent or their row.

A payment is made on its rental's date; a return comes a few days after the rental; an order
ships a few days after it is placed. HMA models a child column per parent with one normal
and assigns a second parent's key after sampling, so ``payment.payment_date`` loses its
relation to ``rental.rental_date`` (SDMetrics' Intertable Trends for the pair: 0.50, the data
0.99+), and a copula blurs a tight pair within a table. Here such a column ``c`` is replaced by
``c - anchor`` before fitting (a duration in seconds for dates) and rebuilt after sampling from
the sampled anchor: the parent row its sampled foreign key points at, or its own row.

An anchor is taken only where it explains the column (``core.tight``: a numeric or datetime
column of the same kind, the residual keeps at most a tenth of the column's variance) and the
foreign key is never null. Anchors in parents are tried
first, then in the row; a column used as an anchor is not itself re-expressed in the same
table, so each table rebuilds in one pass, parents before children.

Public API: ``Anchors.fit(tables, metadata)`` -> the model tables and metadata with offsets;
``anchors.restore(sampled, seed)`` rebuilds the columns, each inside its real range
(``_in_range``); ``anchors.describe()``.
"""

from __future__ import annotations

from copy import deepcopy
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import pandas as pd

from synthgen_sdv.core.tight import MIN_DISTINCT, MIN_ROWS, is_tight, residual_share
from synthgen_sdv.core.tight import as_numbers as _numbers

SPIKE_SHARE = 0.1  # a parent value this common must be common among the children too


@dataclass
class Anchor:
    """``table.column`` = ``anchor`` (its own row, or ``parent.anchor`` via ``foreign_key``)
    + the modeled offset."""

    table: str
    column: str
    anchor: str
    parent: str | None = None
    foreign_key: str | None = None
    parent_key: str | None = None
    dtype: str = "float64"  # the column's dtype, rebuilt
    step: float = 0.0  # the data's resolution (ns for dates, 10**-decimals for numbers), 0: none
    # the column's range and its 1% tails (ns for dates), and whether it has empty values:
    # a rebuilt value stays in the range (see ``_in_range``); None for models saved before
    bounds: tuple[int, int, int, int] | None = None
    nullable: bool = False

    def anchor_values(self, df: pd.DataFrame, tables: dict[str, pd.DataFrame]) -> pd.Series:
        """The anchor's value for each row of ``df``."""
        if self.parent is None:
            return df[self.anchor]
        parent = tables[self.parent]
        by_key = pd.Series(parent[self.anchor].to_numpy(), index=parent[self.parent_key])
        by_key = by_key[~by_key.index.duplicated()]
        return pd.Series(by_key.reindex(df[self.foreign_key]).to_numpy(), index=df.index)


# Dates only. Numbers were anchored too (an order line's price from its product's), but a
# child's offset is a per-parent normal in HMA, often degenerate on few children, so anchor +
# offset repeated one value per parent: 2-4% spikes of prices no row has (AdventureWorks'
# SalesOrderDetail.UnitPrice -170.47, Northwind's order_details.unit_price), failing the
# per-column check; without them holdout quality moved -0.02..+0.03 (reports/realdb.md).
ANCHORED_SDTYPES = ("datetime",)


def _kind(meta: dict) -> str | None:
    sdtype = meta.get("sdtype")
    return sdtype if sdtype in ANCHORED_SDTYPES else None


@dataclass
class Anchors:
    """The anchored columns of every modeled table."""

    anchors: list[Anchor] = field(default_factory=list)
    order: list[str] = field(default_factory=list)  # tables, parents first

    @classmethod
    def fit(
        cls, tables: dict[str, pd.DataFrame], metadata: dict[str, Any]
    ) -> tuple[Anchors, dict[str, pd.DataFrame], dict[str, Any]]:
        """Find the anchors; return them with the tables and metadata to model."""
        found = find_anchors(tables, metadata)
        if not found:
            return cls(), tables, metadata
        out_tables, out_meta = dict(tables), deepcopy(metadata)
        for a in found:
            a.step = resolution(tables[a.table][a.column])
            a.bounds, a.nullable = _bounds(tables[a.table][a.column]), _has_nulls(tables, a)
            df = out_tables[a.table] = out_tables[a.table].copy()
            offset = _numbers(df[a.column]) - _numbers(a.anchor_values(tables[a.table], tables))
            df[a.column] = offset
            out_meta["tables"][a.table]["columns"][a.column] = {
                "sdtype": "numerical",
                "computer_representation": "Float",
            }
        return cls(found, _parents_first(metadata)), out_tables, out_meta

    def restore(self, sampled: dict[str, pd.DataFrame], seed: int = 0) -> dict[str, pd.DataFrame]:
        """Rebuild each anchored column from its sampled anchor, parents first; ``seed``
        places the values an anchor would take out of their column's range."""
        if not self.anchors:
            return sampled
        rng = np.random.default_rng(seed)
        out = dict(sampled)
        rank = {t: i for i, t in enumerate(self.order)}
        # parents' tables first; in a table, anchors in a parent before anchors in the row
        for a in sorted(self.anchors, key=lambda a: (rank.get(a.table, 0), a.parent is None)):
            if a.table not in out or (a.parent is not None and a.parent not in out):
                continue
            df = out[a.table] = out[a.table].copy()
            offset = pd.to_numeric(df[a.column], errors="coerce").to_numpy(dtype="float64")
            df[a.column] = _rebuilt(a.anchor_values(df, out), offset, a, rng).to_numpy()
        return out

    def describe(self) -> list[dict[str, str]]:
        """``{table, column, anchor}`` per anchored column (for the lineage file)."""
        return [
            {
                "table": a.table,
                "column": a.column,
                "anchor": a.anchor if a.parent is None else f"{a.parent}.{a.anchor}",
            }
            for a in self.anchors
        ]


def resolution(column: pd.Series) -> float:
    """The resolution the data is written at: a date's coarsest whole unit in ns (a day, an
    hour, ..., a nanosecond), a number's 10**-decimals (at most 6), 0 when finer."""
    values = column.dropna()
    if column.dtype.kind == "M":
        ns = values.astype("int64").to_numpy()
        for unit in (86_400e9, 3_600e9, 60e9, 1e9, 1e6, 1e3):
            if (ns % int(unit) == 0).all():
                return unit
        return 1.0
    x = pd.to_numeric(values, errors="coerce").to_numpy(dtype="float64")
    for decimals in range(7):
        if np.allclose(x * 10**decimals, np.round(x * 10**decimals), rtol=0, atol=1e-6):
            return 10.0**-decimals
    return 0.0


def _bounds(column: pd.Series) -> tuple[int, int, int, int] | None:
    """The column's least and greatest value and its 1st and 99th percentiles, in integer
    ns (anchored columns are dates): ``_rebuilt`` adds them up in ns."""
    x = column.dropna()
    if x.empty or x.dtype.kind != "M":
        return None
    v = np.sort(x.astype("int64").to_numpy())
    tail = max(int(np.ceil(0.01 * len(v))) - 1, 0)
    return int(v[0]), int(v[-1]), int(v[tail]), int(v[len(v) - 1 - tail])


def _has_nulls(tables: dict[str, pd.DataFrame], a: Anchor) -> bool:
    return bool(tables[a.table][a.column].isna().any())


def _in_range(
    ns: np.ndarray, anchor: np.ndarray, known: np.ndarray, a: Anchor, rng: np.random.Generator
) -> tuple[np.ndarray, np.ndarray]:
    """Dates (int ns) past their column's range brought back into it, and the rows left empty.

    An anchor near the end of its own range plus a long offset lands after every value of
    the column (Sakila's ``return_date``: 2.7% of rows up to six months after the last real
    return). SDV's own ``enforce_min_max_values`` clips, which piles them on the last value;
    here each is drawn between its anchor and the bound instead (the order stays: a return
    after its rental). Where the anchor itself is past the bound, the data had no such row:
    the column is empty there if it has empty values (a rental after the last return is not
    yet returned), else drawn in the column's 1% tail on that side."""
    empty = np.zeros(len(ns), dtype=bool)
    if a.bounds is None:
        return ns, empty
    low, high, q_low, q_high = a.bounds
    ns = ns.copy()
    for past, bound, tail in ((ns > high, high, q_high), (ns < low, low, q_low)):
        past &= known
        if not past.any():
            continue
        inside = past & (anchor >= low) & (anchor <= high)
        gap = (bound - anchor[inside]).astype("float64")
        ns[inside] = anchor[inside] + np.floor(rng.random(len(gap)) * gap).astype("int64")
        rest = past & ~inside
        if a.nullable:
            empty |= rest
        else:
            span = float(bound - tail)
            ns[rest] = tail + np.floor(rng.random(int(rest.sum())) * span).astype("int64")
    return ns, empty


def _nulls_moved(
    ns: np.ndarray,
    anchor: np.ndarray,
    missing: np.ndarray,
    empty: np.ndarray,
    a: Anchor,
    rng: np.random.Generator,
) -> tuple[np.ndarray, np.ndarray]:
    """The rows ``_in_range`` emptied take the place of as many sampled empty rows whose
    anchor is in range (those get another row's offset), so the column keeps its sampled
    share of empty values: the empty rows are the late ones, as in the data."""
    assert a.bounds is not None
    low, high = a.bounds[0], a.bounds[1]
    known = ~missing & ~empty
    free = np.flatnonzero(missing & (anchor >= low) & (anchor <= high))
    k = min(int(empty.sum()), len(free))
    if k and known.any():
        rows = rng.choice(free, size=k, replace=False)
        donors = rng.choice(np.flatnonzero(known), size=k)
        ns = ns.copy()
        ns[rows] = anchor[rows] + (ns[donors] - anchor[donors])
        filled = np.zeros(len(ns), dtype=bool)
        filled[rows] = True
        ns, _ = _in_range(ns, anchor, filled, a, rng)  # anchors in range: nothing emptied
        missing = missing & ~filled
    return ns, missing | empty


def _rebuilt(
    anchor: pd.Series, offset: np.ndarray, a: Anchor, rng: np.random.Generator
) -> pd.Series:
    """``anchor + offset`` at the data's resolution and dtype (dates in integer ns), in the
    column's range (``_in_range``)."""
    if a.dtype.startswith("datetime64"):
        base = pd.to_datetime(anchor).astype("datetime64[ns]")
        missing = base.isna().to_numpy() | np.isnan(offset)
        base_ns = base.astype("int64").to_numpy()
        ns = base_ns + np.round(np.nan_to_num(offset) * 1e9).astype("int64")
        ns, empty = _in_range(ns, base_ns, ~missing, a, rng)
        if empty.any():
            ns, missing = _nulls_moved(ns, base_ns, missing, empty, a, rng)
        if a.step >= 1:
            step = int(a.step)
            ns = (ns + step // 2) // step * step
        out = pd.Series(ns.astype("datetime64[ns]"))
        out[missing] = pd.NaT
        return out.astype(a.dtype)
    value = _numbers(anchor) + offset
    if a.step > 0:
        value = np.round(np.round(value / a.step) * a.step, 6)
    if a.dtype.startswith(("int", "Int", "uint", "UInt")):
        return pd.Series(np.round(value)).astype("Int64" if np.isnan(value).any() else a.dtype)
    return pd.Series(value)


def _parents_first(metadata: dict[str, Any]) -> list[str]:
    parents: dict[str, set[str]] = {t: set() for t in metadata["tables"]}
    for r in metadata.get("relationships", []):
        if r["parent_table_name"] != r["child_table_name"]:
            parents[r["child_table_name"]].add(r["parent_table_name"])
    order: list[str] = []
    while len(order) < len(parents):
        ready = [t for t in parents if t not in order and parents[t] <= set(order)]
        order += ready or [t for t in parents if t not in order]  # a cycle: keep going
    return order


def _covers(c: np.ndarray, a: np.ndarray) -> bool:
    """The anchor is present wherever the column is (else the rebuilt value would be lost)."""
    return not bool((np.isnan(a) & ~np.isnan(c)).any())


def _inside(c: np.ndarray, joined: np.ndarray, parents: np.ndarray) -> bool:
    """Every value common among the parents is common among the parents children point at:
    the list price 0 of products never sold would otherwise come back as a child's price
    when HMA gives such a product children."""
    values = pd.Series(parents[~np.isnan(parents)]).value_counts(normalize=True)
    referred = joined[~np.isnan(joined)]
    for v, share in values[values >= SPIKE_SHARE].items():
        if np.isclose(referred, v).mean() < share / 4:
            return False
    return True


def find_anchors(tables: dict[str, pd.DataFrame], metadata: dict[str, Any]) -> list[Anchor]:
    """Each column's best anchor (parents' columns first, then its row's)."""
    keys = _key_columns(metadata)
    found: list[Anchor] = []
    used_as_anchor: set[tuple[str, str]] = set()
    for table in _parents_first(metadata):
        if table not in tables or len(tables[table]) < MIN_ROWS:
            continue
        df, meta = tables[table], metadata["tables"][table]["columns"]
        cols = [
            c
            for c, m in meta.items()
            if _kind(m) and c in df and (table, c) not in keys and df[c].nunique() >= MIN_DISTINCT
        ]
        anchored: set[str] = set()
        for c in cols:
            if (table, c) in used_as_anchor:
                continue
            best = _best_parent_anchor(table, c, df, tables, metadata, keys, found)
            if best is None:
                best = _best_row_anchor(table, c, df, cols, meta, anchored, used_as_anchor)
            if best is not None:
                found.append(best)
                anchored.add(c)
                if best.parent is None:
                    used_as_anchor.add((table, best.anchor))
    return found


def _key_columns(metadata: dict[str, Any]) -> set[tuple[str, str]]:
    keys = set()
    for t, m in metadata["tables"].items():
        pk = m.get("primary_key")
        for k in [pk] if isinstance(pk, str) else pk or []:
            keys.add((t, k))
        keys.update((t, c) for c, cm in m["columns"].items() if cm.get("sdtype") == "id")
    for r in metadata.get("relationships", []):
        keys.add((r["child_table_name"], r["child_foreign_key"]))
    return keys


def _best_parent_anchor(table, column, df, tables, metadata, keys, found) -> Anchor | None:
    kind = _kind(metadata["tables"][table]["columns"][column])
    c = _numbers(df[column])
    best: tuple[float, Anchor] | None = None
    for r in metadata.get("relationships", []):
        parent, fk = r["parent_table_name"], r["child_foreign_key"]
        if r["child_table_name"] != table or parent == table or parent not in tables:
            continue
        if df[fk].isna().any():
            continue
        pmeta = metadata["tables"][parent]["columns"]
        for p, pm in pmeta.items():
            if _kind(pm) != kind or (parent, p) in keys or p not in tables[parent]:
                continue
            if tables[parent][p].nunique() < MIN_DISTINCT:
                continue
            cand = Anchor(
                table, column, p, parent, fk, r["parent_primary_key"], str(df[column].dtype)
            )
            a = _numbers(cand.anchor_values(df, tables))
            if not (_covers(c, a) and _inside(c, a, _numbers(tables[parent][p]))):
                continue
            share = residual_share(c, a)
            if is_tight(share) and (best is None or share < best[0]):
                best = (share, cand)
    return None if best is None else best[1]


def _best_row_anchor(table, column, df, cols, meta, anchored, used) -> Anchor | None:
    kind = _kind(meta[column])
    c = _numbers(df[column])
    best: tuple[float, Anchor] | None = None
    for p in cols:
        if p == column or p in anchored or _kind(meta[p]) != kind:
            continue
        a = _numbers(df[p])
        share = residual_share(c, a) if _covers(c, a) else np.inf
        if is_tight(share) and (best is None or share < best[0]):
            best = (share, Anchor(table, column, p, dtype=str(df[column].dtype)))
    return None if best is None else best[1]
