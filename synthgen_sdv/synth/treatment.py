"""Per-column modeling choices (transformer / sdtype) made from the data instead of SDV defaults.

SDV's defaults model every numerical column with a FloatFormatter (then a beta or normal
marginal) and every categorical column with a UniformEncoder ordered by frequency. For HMA's
per-parent Gaussian copulas several things go wrong, and each rule here fixes one
(benchmarks/bench_synth.py measures each rule on and off; default rules: discrete, quantile,
ordered):

* ``discrete``: a numerical column with few distinct values (a quantity, a discount rate) is
  smeared into a continuous range; modeled as an ordered categorical it keeps its exact values.
* ``quantile`` (default for continuous numbers): ``QuantileNormalizer`` maps a column to
  normal scores through its empirical CDF and back by interpolating the real quantiles, so
  the mixture of per-parent normals HMA samples comes back with close to the real marginal
  (multi-modal prices, skewed amounts, zero-inflated costs).
* ``log`` (alternative to ``quantile``): a positive, right-skewed column is far from normal
  within a parent; ``LogScaler`` makes the per-parent normal a better fit and products
  (``amount = price * qty``) additive.
* ``ordered``: a copula only carries monotone dependence; a categorical encoded in frequency
  order has none with the numbers it drives (category -> price). Ordering the categories by the
  mean of their most associated numerical column (correlation ratio) makes it monotone.
* ``normal`` (categories, booleans and discrete numbers): RDT's uniform encoders put category
  ``c`` on its slice of ``[0, 1]``, and reverse-transform by *clipping* to ``[0, 1]``. HMA models
  a child column per parent with a normal, so every draw beyond 1 became the last category: 7.5%
  of ``transactions.quantity`` was its maximum 9 (0.02% in the data). Encoded as normal scores
  (``Phi^-1`` of the slice position) the space is unbounded and a draw in the tail lands on an
  extreme value with the tail's probability, i.e. with about its real share.
* ``quantile`` also covers datetimes (``QuantileDatetime``): SDV clips a datetime draw to the
  data's range, which piled 13% of ``payments.paid_date`` on the last day. Nullable numbers and
  datetimes are fitted on their known values (``spread_null_scores``), never with a point mass
  at an imputed mean.
* ``shares``: a column whose values have an order the copula sees (a discrete number, a
  category whose values are numbers, an ordered category) is re-labelled by rank after
  sampling so every value keeps its real share (``marginals``): HMA's per-parent noise moved
  a unit price of 1.99 from 5% of rows to 18%.
* ``unique``: a number or date whose known values are (nearly) all distinct on a grid the
  copula's draws crowd (a date dimension's day, a running number) is re-labelled by rank to
  distinct values (``unique``): the copula drew the same day twice and left 37% of a date
  dimension's days out. It replaces ``shares`` for that column.
* ``unordered``: ``shares`` for categories with no order too, moving only each category's
  surplus rows to the categories drawn less often (``marginals.CategoryShares``): per-parent
  normals piled rows on the categories at the ends of the encoder's order (OpenFlights'
  routes.equipment 'CR2' 0.8% -> 3.9%).
* ``repeated``: a continuous number whose values repeat (a price list, route distances: 99
  prices over 295 products) gets ``shares`` too: HMA's per-parent normals put the products
  of one model on one price, 1.4% of rows became 4.7%.
* ``dates``: the same for a date or timestamp whose values repeat (many rows a day): where
  a few parents hold most children (20 of 227 stock items hold 97% of the order lines), the
  copula gave the many-children draws the one-child parents' dates, and 10.5% of the lines
  fell on the first day (1.1% in the data).

Public API: ``choose_treatments(tables, metadata_dict, rules=...)`` -> list of
``ColumnTreatment``; ``apply_sdtypes(metadata_dict, treatments)``;
``assign_transformers(sdv_synthesizer, tables, treatments)``.
"""

from __future__ import annotations

from collections.abc import Iterable
from copy import deepcopy
from dataclasses import dataclass, field

import numpy as np
import pandas as pd
from pandas._libs import groupby as libgroupby
from rdt.transformers import OrderedUniformEncoder
from scipy import special

from synthgen_sdv.synth.encoders import (  # the names saved models were pickled under, too
    EmpiricalUnivariate,  # noqa: F401
    NormalOrderedEncoder,
    NormalUniformEncoder,
    QuantileDatetime,
    QuantileNormalizer,
)
from synthgen_sdv.synth.unique import unique_columns

ALL_RULES = ("discrete", "log", "quantile", "ordered", "normal", "shares", "unique", "repeated")
ALL_RULES += ("unordered", "dates")
DEFAULT_RULES = tuple(r for r in ALL_RULES if r != "log")  # ``quantile`` instead
#: rule ``repeated``: a number with at most this share of distinct values among its known ones
#: (and at most ``REPEATED_MAX`` values) is a list of values (prices, distances)
REPEATED_SHARE = 0.5
REPEATED_MAX = 5000


@dataclass(frozen=True)
class ColumnTreatment:
    """How one column is modeled and why (written to the lineage file via ``as_dict``)."""

    table: str
    column: str
    treatment: str  # discrete | log | quantile | ordered | normal
    reason: str
    params: dict = field(default_factory=dict)

    def as_dict(self) -> dict:
        """The treatment's entry in the generation lineage."""
        return {
            "table": self.table,
            "column": self.column,
            "treatment": self.treatment,
            "reason": self.reason,
            **({"params": self.params} if self.params else {}),
        }


def _keys(metadata: dict, table: str) -> set[str]:
    keys = {metadata["tables"][table].get("primary_key")}
    for rel in metadata.get("relationships", []):
        if rel["child_table_name"] == table:
            keys.add(rel["child_foreign_key"])
        if rel["parent_table_name"] == table:
            keys.add(rel["parent_primary_key"])
    return {k for k in keys if isinstance(k, str)}


def _correlation_ratio(
    categories: pd.Series, values: pd.Series, codes: np.ndarray | None = None
) -> float:
    """eta^2, share of the variance of ``values`` explained by the category means, adjusted
    like R^2 for the number of categories (37 states explain ~4% of anything by chance).
    ``codes``: ``pd.factorize(categories)[0]``, made once per column by the caller."""
    if codes is not None:
        fast = _correlation_ratio_codes(categories, values, codes)
        if fast is not None:
            return fast
    ok = categories.notna() & values.notna()
    cats, vals = categories[ok], values[ok].astype(float)
    n, k = len(vals), cats.nunique()
    if n < 3 or n <= k or vals.var() == 0:
        return 0.0
    means = vals.groupby(cats, observed=True).transform("mean")
    eta2 = float(((means - vals.mean()) ** 2).sum() / ((vals - vals.mean()) ** 2).sum())
    return 1.0 - (1.0 - eta2) * (n - 1) / (n - k)


def _correlation_ratio_codes(
    categories: pd.Series, values: pd.Series, codes: np.ndarray
) -> float | None:
    """``_correlation_ratio`` on numpy arrays, bit for bit (tested in
    ``tests/synth/test_treatment_fast.py``): the same sums in the same order, the category
    means by pandas' own grouped mean (``group_mean``, compensated, in row order), which its
    ``groupby(...).transform("mean")`` calls. About twenty pandas objects fewer per (category,
    number) pair: on a small database the pairs were a tenth of the fit. None (the caller
    runs the pandas code) for values that are not plain int64 / float64, or rows that are
    not matched by position (indexes that differ or repeat)."""
    if values.dtype not in (np.float64, np.int64) or len(codes) != len(values):
        return None
    if not (categories.index is values.index or categories.index.equals(values.index)):
        return None
    if not values.index.is_unique:
        return None
    v = values.to_numpy(dtype=np.float64)
    ok = (codes >= 0) & ~np.isnan(v)
    groups, v = codes[ok].astype(np.intp), v[ok]
    n = len(v)
    sizes = np.bincount(groups, minlength=1)
    k = int(np.count_nonzero(sizes))
    if n < 3 or n <= k:
        return 0.0
    avg = v.sum(dtype=np.float64) / np.float64(n)  # Series.var, as pandas' nanvar
    with np.errstate(all="ignore"):  # as pandas' Series arithmetic
        if ((avg - v) ** 2).sum(dtype=np.float64) / np.float64(n - 1) == 0:
            return 0.0
    out = np.zeros((len(sizes), 1), dtype=np.float64)
    counts = np.zeros(len(sizes), dtype=np.int64)
    libgroupby.group_mean(out, counts, v.reshape(-1, 1), groups, min_count=-1)
    means = out[groups, 0]
    mean = v.sum(dtype=np.float64) / np.float64(n)  # Series.mean, as pandas' nanmean
    with np.errstate(all="ignore"):
        explained, total = ((means - mean) ** 2).sum(), ((v - mean) ** 2).sum()
    eta2 = float(explained / total)
    return 1.0 - (1.0 - eta2) * (n - 1) / (n - k)


def choose_treatments(
    tables: dict[str, pd.DataFrame],
    metadata: dict,
    rules: Iterable[str] = DEFAULT_RULES,
    discrete_max: int = 12,
    skew_min: float = 1.0,
    spread_min: float = 20.0,
    order_min_eta2: float = 0.05,
) -> list[ColumnTreatment]:
    """Pick a treatment for each non-key column of the modeled tables (a pure function)."""
    rules = set(rules)
    unknown = rules - set(ALL_RULES)
    if unknown:
        raise ValueError(f"unknown treatment rules {sorted(unknown)}; known: {ALL_RULES}")
    out: list[ColumnTreatment] = []
    for table, meta in metadata["tables"].items():
        df = tables[table]
        keys = _keys(metadata, table)
        numeric_view: dict[str, pd.Series] = {}
        discrete: set[str] = set()
        unique = unique_columns(df, meta["columns"], keys) if "unique" in rules else []
        out.extend(ColumnTreatment(table, c, "unique", why, params) for c, why, params in unique)
        distinct = {c for c, _, _ in unique}
        for col, cmeta in meta["columns"].items():
            if col in keys:
                continue
            if cmeta["sdtype"] == "datetime" and "quantile" in rules:
                out.append(
                    ColumnTreatment(
                        table,
                        col,
                        "quantile",
                        "datetime: empirical-quantile normal scores (no pile-up at the bounds)",
                        {"datetime": True, "datetime_format": cmeta.get("datetime_format")},
                    )
                )
                dates = int(df[col].nunique(dropna=True)) if col in df else 0
                known = int(df[col].notna().sum()) if col in df else 0
                if (
                    {"dates", "shares"} <= rules
                    and discrete_max < dates <= min(REPEATED_SHARE * known, REPEATED_MAX)
                    and col not in distinct
                ):
                    # dates that repeat (a day's orders): HMA's per-parent normals moved
                    # them, most where a few parents hold most children (WideWorldImporters'
                    # order lines: 10.5% on the first day, 1.1% in the data)
                    why = f"{dates} dates over {known} rows: real per-date shares by rank"
                    out.append(ColumnTreatment(table, col, "shares", why))
                elif (
                    {"discrete", "shares"} <= rules
                    and 1 < dates <= discrete_max
                    and (col not in distinct)
                ):
                    # a few dates (quarter ends, snapshot days): the copula's per-parent
                    # noise made dates no row had (AdventureWorksDW's sales quotas: 12 real
                    # dates, one invented date for 10% of rows); re-labelled by rank to them
                    out.append(
                        ColumnTreatment(
                            table,
                            col,
                            "shares",
                            f"{dates} distinct dates <= {discrete_max}: real per-date shares "
                            "by rank",
                        )
                    )
            if cmeta["sdtype"] != "numerical":
                continue
            x = pd.to_numeric(df[col], errors="coerce")
            numeric_view[col] = x
            nunique = x.nunique(dropna=True)
            if "discrete" in rules and 1 < nunique <= discrete_max:
                discrete.add(col)
                out.append(
                    ColumnTreatment(
                        table, col, "discrete", f"{nunique} distinct values <= {discrete_max}"
                    )
                )
                continue
            if "quantile" in rules:
                ranks = x.rank(pct=True)
                numeric_view[col] = pd.Series(
                    special.ndtri((ranks * len(x) - 0.5) / len(x)), index=x.index
                )
                out.append(
                    ColumnTreatment(
                        table, col, "quantile", "continuous: empirical-quantile normal scores"
                    )
                )
                known = int(x.notna().sum())
                if (
                    {"repeated", "shares"} <= rules
                    and col not in distinct
                    and (nunique <= min(REPEATED_SHARE * known, REPEATED_MAX))
                ):
                    why = f"{nunique} values over {known} rows: real per-value shares by rank"
                    out.append(ColumnTreatment(table, col, "shares", why))
                continue
            if "log" not in rules or not x.min() > 0:
                continue
            # skewness and spread only where rule ``log`` reads them: two quantiles and a
            # skewness per number were a twentieth of a small database's fit + sample
            skew = float(x.skew()) if x.notna().sum() > 2 else 0.0
            spread = float(x.quantile(0.99) / x.quantile(0.01))
            if skew >= skew_min or spread >= spread_min:
                numeric_view[col] = np.log(x)
                out.append(
                    ColumnTreatment(
                        table,
                        col,
                        "log",
                        f"positive, skewness {skew:.2f}, p99/p1 {spread:.1f} "
                        f"(log if skewness >= {skew_min} or p99/p1 >= {spread_min})",
                    )
                )
        categorical = [
            c
            for c, m in meta["columns"].items()
            if c not in keys and (m["sdtype"] in ("categorical", "boolean") or c in discrete)
        ]
        if "normal" in rules:
            out.extend(
                ColumnTreatment(
                    table, col, "normal", "categories as normal scores (no pile-up at the ends)"
                )
                for col in categorical
            )
        orders: dict[str, list] = {}
        for col in categorical if "ordered" in rules else []:
            if col in discrete:
                order = sorted(df[col].dropna().unique().tolist())
                orders[col] = order
                out.append(
                    ColumnTreatment(
                        table,
                        col,
                        "ordered",
                        "numeric order of a discrete column",
                        {"order": order},
                    )
                )
                continue
            best, best_eta = None, 0.0
            codes = pd.factorize(df[col])[0]  # once per column, for every number
            for num, values in numeric_view.items():
                if num in discrete:
                    continue
                eta = _correlation_ratio(df[col], values, codes)
                if eta > best_eta:
                    best, best_eta = num, eta
            if best is None or best_eta < order_min_eta2:
                continue
            means = numeric_view[best].groupby(df[col], observed=True).mean().sort_values()
            orders[col] = means.index.tolist()
            out.append(
                ColumnTreatment(
                    table,
                    col,
                    "ordered",
                    f"ordered by mean {best} (correlation ratio {best_eta:.2f})",
                    {"order": means.index.tolist(), "by": best},
                )
            )
        if "shares" in rules:
            shared = [c for c in categorical if c not in distinct]
            out.extend(_share_treatments(table, df, shared, orders, "unordered" in rules))
    return out


def _share_treatments(
    table: str,
    df: pd.DataFrame,
    categorical: list[str],
    orders: dict[str, list],
    unordered: bool = False,
) -> list[ColumnTreatment]:
    """Rule ``shares`` for the columns whose order the copula sees: numbers in numeric order,
    ordered categories in their order (``marginals.learn_shares`` reads ``params``); with
    rule ``unordered`` the other categories too, by moving only their surplus."""
    out = []
    for col in categorical:
        known = df[col].dropna()
        if col in orders:  # the copula's own order (a discrete number's is its numeric order)
            out.append(
                ColumnTreatment(
                    table,
                    col,
                    "shares",
                    "ordered values: real per-value shares by rank",
                    {"order": orders[col]},
                )
            )
        elif len(known) and _all_numbers(known):
            out.append(
                ColumnTreatment(table, col, "shares", "numbers: real per-value shares by rank")
            )
        elif unordered and known.nunique() > 1:
            why = "unordered categories: each one's surplus moved to those short of their share"
            out.append(ColumnTreatment(table, col, "shares", why, {"unordered": True}))
    return out


def _all_numbers(known: pd.Series) -> bool:
    """Whether every value of ``known`` reads as a number (``pd.to_numeric``): its first
    value is tried alone first, since a column of names fails there (``to_numeric`` reads
    each value on its own), where parsing all of them was most of a text column's cost."""
    if pd.to_numeric(known.iloc[:1], errors="coerce").isna().all():
        return False
    return bool(pd.to_numeric(known, errors="coerce").notna().all())


def apply_sdtypes(metadata: dict, treatments: list[ColumnTreatment]) -> dict:
    """A copy of the metadata dict where discrete numerical columns are categorical."""
    md = deepcopy(metadata)
    for t in treatments:
        if t.treatment == "discrete":
            md["tables"][t.table]["columns"][t.column] = {"sdtype": "categorical"}
    return md


def transformers_for(treatments: list[ColumnTreatment]) -> dict[str, dict[str, object]]:
    """RDT transformers per table and column for ``update_transformers``."""
    from rdt.transformers import LogScaler

    out: dict[str, dict[str, object]] = {}
    normal = {(t.table, t.column) for t in treatments if t.treatment == "normal"}
    for t in treatments:
        if t.treatment == "quantile" and t.params.get("datetime"):
            tr = QuantileDatetime(datetime_format=t.params.get("datetime_format"))
        elif t.treatment == "quantile":
            tr = QuantileNormalizer()
        elif t.treatment == "log":
            tr = LogScaler(constant=0.0, learn_rounding_scheme=True)
            tr.enforce_min_max_values = True  # exp() of a far tail would leave the data range
        elif t.treatment == "ordered":
            encoder = (
                NormalOrderedEncoder if (t.table, t.column) in normal else OrderedUniformEncoder
            )
            tr = encoder(order=t.params["order"])
        elif t.treatment == "normal":
            if t.column in out.get(t.table, {}):
                continue  # already ordered (in normal-score space)
            tr = NormalUniformEncoder()
        else:
            continue
        out.setdefault(t.table, {})[t.column] = tr
    return out


def assign_transformers(
    synthesizer, tables: dict[str, pd.DataFrame], treatments: list[ColumnTreatment]
) -> None:
    """Let SDV pick its defaults, then override the treated columns (multi-table synthesizer)."""
    synthesizer.auto_assign_transformers(tables)
    for table, mapping in transformers_for(treatments).items():
        synthesizer.update_transformers(table, mapping)
