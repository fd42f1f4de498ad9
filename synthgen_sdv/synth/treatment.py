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
from rdt.transformers import GaussianNormalizer
from scipy import special

ALL_RULES = ("discrete", "log", "quantile", "ordered")
DEFAULT_RULES = ("discrete", "quantile", "ordered")


class EmpiricalUnivariate:
    """A copulas-like univariate: the empirical CDF on ``n_quantiles`` knots, interpolated."""

    def __init__(self, n_quantiles: int = 1001):
        self.n_quantiles = n_quantiles
        self._p = self._q = self._qu = self._pu = None

    def fit(self, x) -> None:
        """Learn the quantile knots of ``x`` (NaNs ignored)."""
        x = np.asarray(x, dtype=float)
        x = x[~np.isnan(x)]
        self._p = np.linspace(0.0, 1.0, self.n_quantiles)
        self._q = np.quantile(x, self._p)
        # a value repeated over several knots gets the mean of their probabilities
        self._qu, inverse = np.unique(self._q, return_inverse=True)
        self._pu = np.bincount(inverse, self._p) / np.bincount(inverse)

    def cdf(self, x):
        """The empirical CDF, interpolated between knots (0.5 for a constant column)."""
        if len(self._qu) == 1:
            return np.full(np.shape(x), 0.5)
        return np.interp(x, self._qu, self._pu)

    def ppf(self, u):
        """The inverse CDF: real quantiles interpolated, so samples keep the real marginal."""
        return np.interp(u, self._p, self._q)

    def to_dict(self) -> dict:
        """What the parameters report shows for this marginal."""
        return {"type": "empirical", "knots": len(self._q)}


class QuantileNormalizer(GaussianNormalizer):
    """RDT transformer x -> Phi^-1(F(x)), F the empirical CDF; the reverse interpolates the real
    quantiles. Whatever mixture of per-parent normals HMA samples, the column comes back with
    (close to) the real marginal, which a beta / normal marginal cannot do for a multi-modal
    column (prices across product categories)."""

    def __init__(self, n_quantiles: int = 1001):
        super().__init__(
            learn_rounding_scheme=True, enforce_min_max_values=True, distribution="norm"
        )
        self.n_quantiles = n_quantiles
        self._learned_distribution_name = "empirical"

    def _get_univariate(self):
        return EmpiricalUnivariate(self.n_quantiles)


@dataclass(frozen=True)
class ColumnTreatment:
    """How one column is modeled and why (written to the lineage file via ``as_dict``)."""

    table: str
    column: str
    treatment: str  # discrete | log | ordered
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


def _correlation_ratio(categories: pd.Series, values: pd.Series) -> float:
    """eta^2, share of the variance of ``values`` explained by the category means, adjusted
    like R^2 for the number of categories (37 states explain ~4% of anything by chance)."""
    ok = categories.notna() & values.notna()
    cats, vals = categories[ok], values[ok].astype(float)
    n, k = len(vals), cats.nunique()
    if n < 3 or n <= k or vals.var() == 0:
        return 0.0
    means = vals.groupby(cats, observed=True).transform("mean")
    eta2 = float(((means - vals.mean()) ** 2).sum() / ((vals - vals.mean()) ** 2).sum())
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
        for col, cmeta in meta["columns"].items():
            if col in keys or cmeta["sdtype"] != "numerical":
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
            skew = float(x.skew()) if x.notna().sum() > 2 else 0.0
            spread = float(x.quantile(0.99) / x.quantile(0.01)) if x.min() > 0 else 0.0
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
                continue
            if "log" in rules and x.min() > 0 and (skew >= skew_min or spread >= spread_min):
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
        if "ordered" not in rules:
            continue
        categorical = [
            c
            for c, m in meta["columns"].items()
            if c not in keys and (m["sdtype"] in ("categorical", "boolean") or c in discrete)
        ]
        for col in categorical:
            if col in discrete:
                order = sorted(df[col].dropna().unique().tolist())
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
            for num, values in numeric_view.items():
                if num in discrete:
                    continue
                eta = _correlation_ratio(df[col], values)
                if eta > best_eta:
                    best, best_eta = num, eta
            if best is None or best_eta < order_min_eta2:
                continue
            means = numeric_view[best].groupby(df[col], observed=True).mean().sort_values()
            out.append(
                ColumnTreatment(
                    table,
                    col,
                    "ordered",
                    f"ordered by mean {best} (correlation ratio {best_eta:.2f})",
                    {"order": means.index.tolist(), "by": best},
                )
            )
    return out


def apply_sdtypes(metadata: dict, treatments: list[ColumnTreatment]) -> dict:
    """A copy of the metadata dict where discrete numerical columns are categorical."""
    md = deepcopy(metadata)
    for t in treatments:
        if t.treatment == "discrete":
            md["tables"][t.table]["columns"][t.column] = {"sdtype": "categorical"}
    return md


def transformers_for(treatments: list[ColumnTreatment]) -> dict[str, dict[str, object]]:
    """RDT transformers per table and column for ``update_transformers``."""
    from rdt.transformers import LogScaler, OrderedUniformEncoder

    out: dict[str, dict[str, object]] = {}
    for t in treatments:
        if t.treatment == "quantile":
            tr = QuantileNormalizer()
        elif t.treatment == "log":
            tr = LogScaler(constant=0.0, learn_rounding_scheme=True)
            tr.enforce_min_max_values = True  # exp() of a far tail would leave the data range
        elif t.treatment == "ordered":
            tr = OrderedUniformEncoder(order=t.params["order"])
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
