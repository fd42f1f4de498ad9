"""Numbers that are the sum or product of other numbers of their row, computed, not modeled.

Invoices carry their arithmetic: ``order_total = subtotal + tax_paid`` (Jaffle Shop),
``TotalDue = SubTotal + TaxAmt + Freight`` and ``LineTotal = OrderQty * UnitPrice``
(AdventureWorks), ``ReceivedQty = StockedQty + RejectedQty``. Modeled column by column, a
sampled total misses its parts by a few dollars on every row, which anyone who re-adds them
sees, and no score shows (each column's shape and their correlation stay plausible).

Here a non-key number is a *sum* of two or three other numbers of its table, or a *product*
of two, when it equals that on every row where all are known, to the rounding of its own
decimals, and is empty exactly where one of them is. Exact agreement on at least
``MIN_ROWS`` rows where every term matters (sums: each term non-zero; products: each factor
other than 0 and 1) is evidence on its own: no column agrees with the sum of two others by
chance. A relation whose terms, paired otherwise than the data pairs them, would pile the
column onto a few values is left to the model (``_piles_up``). Such a column is dropped from
the model and computed from the sampled terms, rounded
to its decimals, in its dtype. A computed column may be a term of another
(``TotalDue = SubTotal + ...`` with ``SubTotal`` a product): they are computed in that order,
and a relation that would close a cycle is not kept.

Public API: ``Arithmetic.fit(tables, metadata, leave)`` -> the relations with the tables and
metadata to model; ``arithmetic.restore(sampled)``; ``arithmetic.describe()``.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from itertools import pairwise
from typing import Any

import numpy as np
import pandas as pd

from synthgen_sdv.synth.dependencies import fit_derived

MIN_ROWS = 20  # fewer rows where every term matters prove nothing
SCREEN_ROWS = 12  # relations are screened on the first rows, then confirmed on all
MAX_DECIMALS = 6
MAX_TRIPLE_COLUMNS = 24  # sums of three are tried in tables of at most this many numbers
MAX_PAIR_COLUMNS = 150  # and any relation only in tables of at most this many (time, memory)
OPS = {"sum": np.add, "product": np.multiply}
#: a relation is computed only if its terms, paired apart, give no value more than FACTOR x its
#: real share + MARGIN (the comparison report's per-value artifact rule)
FACTOR, MARGIN = 2.0, 0.01


@dataclass(frozen=True)
class Relation:
    """``column`` of ``table`` = the ``op`` ("sum" or "product") of ``terms`` in its row."""

    table: str
    column: str
    op: str
    terms: tuple[str, ...]
    decimals: int
    dtype: Any  # the column's dtype in the data, given back

    def apply(self, df: pd.DataFrame) -> pd.Series:
        """The relation on the sampled terms, rounded to the column's decimals."""
        parts = [
            pd.to_numeric(df[t], errors="coerce").to_numpy(dtype="float64") for t in self.terms
        ]
        values = parts[0]
        for part in parts[1:]:
            values = OPS[self.op](values, part)
        out = pd.Series(np.round(values, self.decimals), index=df.index)
        if pd.api.types.is_integer_dtype(self.dtype):
            return out.round().astype("Int64" if out.isna().any() else self.dtype)
        return out.astype(self.dtype) if pd.api.types.is_float_dtype(self.dtype) else out

    def label(self) -> str:
        """``order_total = subtotal + tax_paid``."""
        sign = " + " if self.op == "sum" else " * "
        return f"{self.column} = {sign.join(self.terms)}"


@dataclass
class Arithmetic:
    """The sums and products of every modeled table (empty when no table has one)."""

    relations: list[Relation] = field(default_factory=list)

    @classmethod
    def fit(
        cls,
        tables: dict[str, pd.DataFrame],
        metadata: dict[str, Any],
        leave: set[tuple[str, str]] | None = None,
    ) -> tuple[Arithmetic, dict[str, pd.DataFrame], dict[str, Any]]:
        """Find the relations (never computing a column in ``leave``: another mechanism
        reads it); return them with the tables and metadata to model."""
        leave = leave or set()

        def find(table: str, df: pd.DataFrame, meta: dict, keys: set[str]) -> list[Relation]:
            fixed = keys | {c for t, c in leave if t == table}
            return table_relations(table, df, meta, fixed)

        found, tables, metadata = fit_derived(find, tables, metadata)
        return cls(found), tables, metadata

    def restore(self, sampled: dict[str, pd.DataFrame]) -> dict[str, pd.DataFrame]:
        """Compute each relation's column from its sampled terms, where it was."""
        out = dict(sampled)
        for rel in self.relations:
            df = out.get(rel.table)
            if df is None or not set(rel.terms) <= set(df.columns):
                continue
            df = out[rel.table] = df.copy()
            df[rel.column] = rel.apply(df)
        return out

    def describe(self) -> list[dict[str, str]]:
        """``{table, column, computed_as}`` per computed column (for the lineage file)."""
        return [
            {"table": r.table, "column": r.column, "computed_as": r.label()} for r in self.relations
        ]

    def owned(self) -> set[tuple[str, str]]:
        """(table, column)s this computes: nothing else should re-order them."""
        return {(r.table, r.column) for r in self.relations}


def _decimals(values: np.ndarray) -> int:
    """The fewest decimals (up to ``MAX_DECIMALS``) that write every value exactly."""
    if not len(values):
        return 0
    # float64 holds about 15 significant digits: 48485.6873 is 4 decimals, not 3
    atol = max(1e-12, 16 * np.finfo(float).eps * float(np.abs(values).max()))
    for d in range(MAX_DECIMALS + 1):
        if np.allclose(values, np.round(values, d), rtol=0, atol=atol):
            return d
    return MAX_DECIMALS


def _numbers(df: pd.DataFrame, meta: dict) -> dict[str, np.ndarray]:
    out = {}
    for col, m in meta["columns"].items():
        # a quantity of a few values is often categorical to SDV, and still a number
        if col in df.columns and m.get("sdtype") in ("numerical", "categorical"):
            s = df[col]
            if pd.api.types.is_bool_dtype(s) or not pd.api.types.is_numeric_dtype(s):
                continue
            values = pd.to_numeric(s, errors="coerce").to_numpy(dtype="float64")
            known = values[~np.isnan(values)]
            if len(known) >= MIN_ROWS and len(np.unique(known)) > 1:
                out[col] = values
    return out


def _holds(target: np.ndarray, got: np.ndarray, tol: float) -> bool:
    both = ~np.isnan(got)
    if (both != ~np.isnan(target)).any():
        return False  # empty exactly where a term is
    return bool(np.all(np.abs(target[both] - got[both]) <= tol))


def _matters(op: str, terms: list[np.ndarray]) -> np.ndarray:
    if op == "sum":
        return np.logical_and.reduce([(t != 0) & ~np.isnan(t) for t in terms])
    return np.logical_and.reduce([(t != 0) & (t != 1) & ~np.isnan(t) for t in terms])


def table_relations(table: str, df: pd.DataFrame, meta: dict, fixed: set[str]) -> list[Relation]:
    """The sums and products of one table: for each column the first relation that holds,
    fewest terms first, never a key or a ``fixed`` column; kept while they form no cycle
    (a computed column may be a term of another), in the order they are computed."""
    numbers = _numbers(df, meta)
    if not 3 <= len(numbers) <= MAX_PAIR_COLUMNS:
        return []
    names = list(numbers)
    decimals = {c: _decimals(v[~np.isnan(v)]) for c, v in numbers.items()}
    shapes = [("sum", 2), ("product", 2)]
    if len(names) <= MAX_TRIPLE_COLUMNS:
        shapes.append(("sum", 3))
    found: dict[str, Relation] = {}
    for op, k in shapes:
        for target in names:
            if target in fixed or target in found:
                continue
            combo = _first_combo(numbers, target, op, k, decimals[target])
            if combo is not None and not _reaches(found, combo, target):
                found[target] = Relation(
                    table, target, op, combo, decimals[target], df[target].dtype
                )
    return _in_order(found)


def _first_combo(
    numbers: dict[str, np.ndarray], target: str, op: str, k: int, decimals: int
) -> tuple[str, ...] | None:
    """The first combination of ``k`` other columns whose ``op`` gives ``target``: screened
    on the first ``SCREEN_ROWS`` rows for every combination at once, then confirmed."""
    names = [c for c in numbers if c != target]
    y = numbers[target]
    tol = 0.5 * 10.0**-decimals + 1e-9 * np.nanmax(np.abs(y))
    head = np.stack([numbers[c][:SCREEN_ROWS] for c in names])  # (columns, rows)
    got = head
    for _ in range(k - 1):  # every k-tuple of columns at once: (columns,) * k + (rows,)
        got = OPS[op](got[..., None, :], head)
    yh = y[:SCREEN_ROWS]
    with np.errstate(invalid="ignore"):
        close = (np.abs(got - yh) <= tol) | (np.isnan(got) & np.isnan(yh))
    for idx in np.argwhere(close.all(axis=-1)):
        if not all(a < b for a, b in pairwise(idx)):
            continue  # each combination once, its columns in order
        combo = tuple(names[i] for i in idx)
        parts = [numbers[c] for c in combo]
        full = parts[0]
        for p in parts[1:]:
            full = OPS[op](full, p)
        if (
            _holds(y, full, tol)
            and _matters(op, parts).sum() >= MIN_ROWS
            and not _piles_up(y, parts, op, decimals)
        ):
            return combo
    return None


def _piles_up(y: np.ndarray, parts: list[np.ndarray], op: str, decimals: int) -> bool:
    """Whether the terms, sampled apart, could pile the computed column onto one value.

    Terms with repeated values (prices, tax amounts) that the data pairs in many ways sum to
    many totals; sampled with their dependence but not their exact pairing, the same few
    pairs recur and their total takes a share the data never gives it (Jaffle Shop: a total
    of 524 on 4.7% of rows, 0% in the data). A sample's pairing lies between the terms drawn
    independently and drawn in rank order (comonotone), so both are tried on the real terms:
    if either gives some value more than ``FACTOR`` times its real share plus ``MARGIN`` (the
    comparison report's artifact rule), the column stays modeled."""
    known = ~np.isnan(y) & np.logical_and.reduce([~np.isnan(p) for p in parts])
    if known.sum() < MIN_ROWS:
        return False
    real = pd.Series(np.round(y[known], decimals)).value_counts(normalize=True)
    rng = np.random.default_rng(len(y))
    pairings = {
        "independent": [rng.permutation(p[known]) for p in parts],
        "comonotone": [np.sort(p[known]) for p in parts],
    }
    for terms in pairings.values():
        got = terms[0]
        for t in terms[1:]:
            got = OPS[op](got, t)
        shares = pd.Series(np.round(got, decimals)).value_counts(normalize=True)
        allowed = FACTOR * real.reindex(shares.index, fill_value=0.0) + MARGIN
        if (shares > allowed).any():
            return True
    return False


def _reaches(found: dict[str, Relation], terms: tuple[str, ...], target: str) -> bool:
    """Whether ``target`` is already (transitively) a term of one of ``terms``: a cycle."""
    todo, seen = list(terms), set()
    while todo:
        col = todo.pop()
        if col == target:
            return True
        if col not in seen and col in found:
            seen.add(col)
            todo.extend(found[col].terms)
    return False


def _in_order(found: dict[str, Relation]) -> list[Relation]:
    """Relations ordered so each one's computed terms come first."""
    out: list[Relation] = []
    done: set[str] = set()

    def visit(col: str) -> None:
        if col in done or col not in found:
            return
        done.add(col)
        for term in found[col].terms:
            visit(term)
        out.append(found[col])

    for col in found:
        visit(col)
    return out
