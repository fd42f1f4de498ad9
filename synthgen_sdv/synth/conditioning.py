"""A child's numbers conditioned on its parents' columns, after HMA has sampled them.

HMA ties a child to the parent it is sampled under through per-parent parameters, which is
weak where it matters most: the other parent of a child with several (Northwind's order line
price follows its *product's* price, 0.99 in the data, 0.20 sampled: lines are drawn per
order and the product key is assigned afterwards), and parents with one or two children,
whose per-parent spread is pooled. This step restores the relation on the sampled tables.

Fit (train): for every numeric or date column ``c`` of a child, the normal scores ``z`` of
its values (average ranks) are regressed (ridge) on a few of its parents' columns joined
through each foreign key: numbers and dates by their normal scores, categories by the mean
``z`` of their rows (leave-one-out on train, so a category of one row does not predict
itself). The three columns most correlated with ``z`` are kept, and the relation is kept if
the fitted ``zhat`` correlates with ``z`` by at least ``MIN_CORRELATION`` (``rho``).

Sample: ``zhat`` from the sampled parents; ``z0`` the sampled column's own normal scores,
correlated ``r0`` with ``zhat``. If ``r0`` falls short of ``rho``, the column's values are
re-ordered among its rows by ``alpha * zhat + beta * z0``, the Gaussian copula's conditional
draw given the parent with the child's own draw as its noise (``beta`` and ``alpha`` chosen so
the score has unit variance and correlation ``rho`` with ``zhat``). The values themselves are
unchanged: the column's shape, its spikes and nulls stay exactly as sampled. Deterministic
(stable sorts, no random draw). Columns bound to others by an exact rule (lookups, anchors,
repeats) or nearly determined by a category of their table are left alone. A column correlated
with other numbers of its table is re-ordered only if that brings the sampled correlations,
with the parents' prediction and with those numbers together, closer to the data's (Chinook's
track price follows its media type and its length: re-ordered when the length agrees).
"""

from __future__ import annotations

import graphlib
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import pandas as pd
from scipy import special, stats

from synthgen_sdv.core.tight import as_numbers, kind_of

MIN_CORRELATION = 0.3  # a fitted relation weaker than this is left to HMA
MIN_FEATURE = 0.15  # a parent column correlated less than this with the child is not used
MAX_FEATURES = 3
MAX_LEVELS = 100  # a copied parent's categories with more values are not features
MAX_LEVELS_MODELED = 30  # nor a modeled parent's: more are names, which a new row does not share
MAX_TIE = 0.6  # a column this determined by a category of its table is not re-ordered
MIN_PARTNER = 0.1  # numbers of the table correlated at least this much are checked
MIN_ROWS = 30
SHORTFALL = 0.05  # re-order only when the sampled correlation is this much below the fit
RIDGE = 1.0
MAX_FIT_ROWS = 100_000  # a larger child is fitted on this many of its rows (a fixed draw)
MAX_COLUMNS = 100  # a wider child (or parent's columns beyond) is left to HMA: pairs grow as k^2


@dataclass
class Feature:
    """A parent column as a predictor: numbers by their normal scores, categories by a map."""

    fk: str | None  # None: a category of the row itself
    parent: str
    key: str
    column: str
    codes: dict[Any, float] | None = None  # category -> mean z of its rows; None: numeric

    def values(self, child: pd.DataFrame, tables: dict[str, pd.DataFrame]) -> np.ndarray:
        """The feature for each child row, standardized on these rows (0 where unknown)."""
        if self.fk is None:
            joined = pd.Series(child[self.column].to_numpy())
        else:
            joined = _joined(child, tables[self.parent], self.fk, self.key, self.column)
        if self.codes is None:
            x = normal_scores(as_numbers(joined))
        else:
            x = joined.map(self.codes).to_numpy(dtype=float)
        return _standardize(x)


@dataclass
class Conditioned:
    """``table.column``'s normal score = ``weights`` . features (correlation ``rho`` on train)."""

    table: str
    column: str
    features: list[Feature]
    weights: np.ndarray
    rho: float
    partners: dict[str, float] = field(default_factory=dict)  # number -> correlation on train

    def describe(self) -> str:
        """One line: the column, the parent columns it follows, the fitted correlation."""
        names = ", ".join(f"{f.parent}.{f.column}" for f in self.features)
        return f"{self.table}.{self.column} <- {names} (r={self.rho:.2f})"


@dataclass
class Conditioning:
    """Every conditioned child column, in the order to apply them (parents first)."""

    columns: list[Conditioned] = field(default_factory=list)
    last_applied: list[str] = field(default_factory=list)

    @classmethod
    def fit(
        cls,
        tables: dict[str, pd.DataFrame],
        metadata: dict[str, Any],
        exclude: set[tuple[str, str]] = frozenset(),  # type: ignore[assignment]
        copied: set[str] = frozenset(),  # type: ignore[assignment]
        rows: bool = False,
    ) -> Conditioning:
        """Fit the relations worth restoring (see the module); ``exclude``: (table, column)s
        another mechanism owns; ``copied``: tables sampled as copies of their rows, whose
        names (one per row) keep their meaning in the sample and so may be features;
        ``rows``: the row's own categories are features too (the copula relates a number to
        a category only monotonically, through the category's code)."""
        rels = [
            r
            for r in metadata.get("relationships", [])
            if r["parent_table_name"] != r["child_table_name"]
            and r["parent_table_name"] in tables
            and r["child_table_name"] in tables
        ]
        found = []
        for table in _order(tables, rels):
            mine = [r for r in rels if r["child_table_name"] == table]
            shape = tables[table].shape
            if not (mine or rows) or shape[0] < MIN_ROWS or shape[1] > MAX_COLUMNS:
                continue
            df = tables[table]
            if len(df) > MAX_FIT_ROWS:  # correlations need no more; the same rows every fit
                pick = np.random.default_rng(0).choice(len(df), MAX_FIT_ROWS, replace=False)
                df = df.iloc[np.sort(pick)]
            keys = _keys(metadata, table)
            numeric = [
                c
                for c in df.columns
                if c not in keys and (table, c) not in exclude and kind_of(df[c]) is not None
            ]
            others = [c for c in df.columns if c not in keys]
            scores = {c: normal_scores(as_numbers(df[c])) for c in others if kind_of(df[c])}
            categories = [c for c in others if c not in scores]
            own = [c for c in categories if _levels_ok(df[c], MAX_LEVELS_MODELED)] if rows else []
            cache: dict[tuple, np.ndarray] = {}  # numeric parent features, shared by columns
            for col in numeric:
                if _tied(df, scores[col], [c for c in categories if c not in own]):
                    continue
                fitted = _fit_column(
                    tables, metadata, df, table, col, mine, set(copied), own, cache
                )
                if fitted is None:
                    continue
                for o, z in scores.items():
                    r = _corr(scores[col], z)
                    if o != col and abs(r) >= MIN_PARTNER:
                        fitted.partners[o] = r
                found.append(fitted)
        return cls(found)

    def restore(self, sampled: dict[str, pd.DataFrame]) -> dict[str, pd.DataFrame]:
        """The sampled tables with each conditioned column re-ordered toward its parents."""
        out = dict(sampled)
        self.last_applied = []
        for cond in self.columns:
            df = out.get(cond.table)
            if df is None or cond.column not in df or len(df) < 3:
                continue
            if any(f.parent not in out or (f.fk or f.column) not in df for f in cond.features):
                continue
            new = _reordered(df, cond, out)
            if new is not None:
                df = df.copy()
                df[cond.column] = new
                out[cond.table] = df
                self.last_applied.append(cond.describe())
        return out

    def describe(self) -> list[str]:
        """One line per conditioned column."""
        return [c.describe() for c in self.columns]


def normal_scores(x: np.ndarray) -> np.ndarray:
    """Normal scores of ``x`` by average ranks (NaN stays NaN)."""
    out = np.full(len(x), np.nan)
    known = ~np.isnan(x)
    n = int(known.sum())
    if n:
        out[known] = special.ndtri((stats.rankdata(x[known]) - 0.5) / n)
    return out


def _standardize(x: np.ndarray) -> np.ndarray:
    x = np.where(np.isfinite(x), x, np.nan)
    sd = np.nanstd(x) if np.isfinite(x).any() else 0.0
    if not sd > 0:
        return np.zeros(len(x))
    return np.nan_to_num((x - np.nanmean(x)) / sd, nan=0.0)


def _keys(metadata: dict[str, Any], table: str) -> set[str]:
    meta = metadata["tables"][table]
    keys = {c for c, m in meta["columns"].items() if m.get("sdtype") == "id"}
    keys |= {
        r["child_foreign_key"]
        for r in metadata.get("relationships", [])
        if r["child_table_name"] == table
    }
    if meta.get("primary_key"):
        keys.add(meta["primary_key"])
    return keys


def _order(tables: dict[str, pd.DataFrame], rels: list[dict]) -> list[str]:
    graph: dict[str, set[str]] = {t: set() for t in sorted(tables)}
    for r in rels:
        graph[r["child_table_name"]].add(r["parent_table_name"])
    try:
        return list(graphlib.TopologicalSorter(graph).static_order())
    except graphlib.CycleError:
        return sorted(tables)


def _tied(df: pd.DataFrame, z: np.ndarray, categories: list[str]) -> bool:
    """Whether ``z`` is nearly determined by one of the table's categories (correlation with
    its leave-one-out category means beyond ``MAX_TIE``)."""
    return any(abs(_eta(z, df[c])) > MAX_TIE for c in categories)


def _corr(a: np.ndarray, b: np.ndarray) -> float:
    ok = np.isfinite(a) & np.isfinite(b)
    if ok.sum() < 3 or a[ok].std() == 0 or b[ok].std() == 0:
        return 0.0
    return float(np.corrcoef(a[ok], b[ok])[0, 1])


def _eta(z: np.ndarray, cat: pd.Series) -> float:
    """Correlation of ``z`` with its category means (leave-one-out), 0 for near-unique ones."""
    codes = pd.Series(cat.to_numpy()).astype("object")
    if codes.nunique() > MAX_LEVELS or codes.nunique() > 0.5 * len(codes):
        return 0.0
    return _corr(z, _loo_means(z, codes))


def _loo_means(z: np.ndarray, cat: pd.Series) -> np.ndarray:
    """Each row's category mean of ``z`` without the row itself (0 for a lone row)."""
    known = np.isfinite(z)
    codes, _ = pd.factorize(cat, use_na_sentinel=False)
    zs = np.where(known, z, 0.0)
    sums = np.bincount(codes, zs)
    counts = np.bincount(codes, known.astype(float))
    own = known.astype(float)
    rest = counts[codes] - own
    with np.errstate(invalid="ignore", divide="ignore"):
        return np.where(rest > 0, (sums[codes] - zs) / rest, 0.0)


def _fit_column(
    tables: dict[str, pd.DataFrame],
    metadata: dict[str, Any],
    child: pd.DataFrame,
    table: str,
    col: str,
    rels: list[dict],
    copied: set[str],
    own: list[str],
    cache: dict[tuple, np.ndarray],
) -> Conditioned | None:
    z = normal_scores(as_numbers(child[col]))
    known = np.isfinite(z)
    if known.sum() < MIN_ROWS or np.nanstd(z) == 0:
        return None
    candidates: list[tuple[float, Feature, np.ndarray]] = []
    pool = [(r["parent_table_name"], r["child_foreign_key"], r["parent_primary_key"]) for r in rels]
    for parent, fk, key in [*pool, (table, None, "")]:
        p = tables[parent]
        pkeys = _keys(metadata, parent)
        most = MAX_LEVELS if parent in copied else MAX_LEVELS_MODELED
        for pc in own if fk is None else p.columns[:MAX_COLUMNS]:
            if pc in pkeys:
                continue
            feature = Feature(fk, parent, key, pc)
            if kind_of(p[pc]) is not None:
                if (fk, pc) not in cache:
                    cache[(fk, pc)] = feature.values(child, tables)
                x = cache[(fk, pc)]
            else:
                if not _levels_ok(p[pc], most, names=parent in copied):
                    continue  # a modeled parent's own name per row says nothing of a new row
                joined = (_joined(child, p, fk, key, pc) if fk else child[pc]).astype("object")
                x = _standardize(_loo_means(np.where(known, z, np.nan), joined))
                means = pd.Series(np.where(known, z, 0.0)).groupby(joined.to_numpy()).mean()
                feature.codes = {k: float(v) for k, v in means.items()}
            r_x = _corr(z, x)
            if feature.codes is not None:
                # leave-one-out means carry -z / (n - 1) of the row itself: a category with no
                # effect correlates *negatively* with z (-0.96 for a gender and a ward id);
                # only a positive correlation is an effect
                r_x = max(r_x, 0.0)
            if abs(r_x) >= MIN_FEATURE:
                candidates.append((abs(r_x), feature, x))
    if not candidates:
        return None
    candidates.sort(key=lambda t: -t[0])
    chosen = candidates[:MAX_FEATURES]
    target = z[known]
    while chosen:
        F = np.column_stack([x for _, _, x in chosen])[known]
        weights = np.linalg.solve(F.T @ F + RIDGE * np.eye(F.shape[1]), F.T @ target)
        # a category's encoding enters with a positive weight or not at all (see above)
        wrong = [i for i, (_, f, _) in enumerate(chosen) if f.codes is not None and weights[i] <= 0]
        if not wrong:
            break
        chosen = [c for i, c in enumerate(chosen) if i not in wrong]
    if not chosen:
        return None
    rho = _corr(F @ weights, target)
    if rho < MIN_CORRELATION:
        return None
    return Conditioned(table, col, [f for _, f, _ in chosen], weights, rho)


def _levels_ok(values: pd.Series, most: int, names: bool = False) -> bool:
    """A category with 2 to ``most`` values, and not one per row (a name) unless ``names``
    (a copied table's names stay with their rows)."""
    levels = values.nunique()
    return 2 <= levels <= most and (names or levels <= 0.5 * len(values))


def _joined(child: pd.DataFrame, parent: pd.DataFrame, fk: str, key: str, col: str) -> pd.Series:
    by_key = pd.Series(parent[col].to_numpy(), index=parent[key].to_numpy())
    by_key = by_key[~by_key.index.duplicated()]
    return pd.Series(by_key.reindex(child[fk].to_numpy()).to_numpy())


def _reordered(
    df: pd.DataFrame, cond: Conditioned, tables: dict[str, pd.DataFrame]
) -> pd.Series | None:
    """The column's values re-ordered by the conditional score, or None if already close."""
    values = df[cond.column]
    x = as_numbers(values)
    known = np.flatnonzero(np.isfinite(x))
    if len(known) < 3:
        return None
    F = np.column_stack([f.values(df, tables) for f in cond.features])
    zhat = _standardize((F @ cond.weights)[known])
    z0 = normal_scores(x[known])
    r0 = _corr(zhat, z0)
    if not np.std(zhat) > 0 or r0 >= cond.rho - SHORTFALL:
        return None
    rho = cond.rho
    beta = np.sqrt((1 - rho**2) / max(1 - r0**2, 1e-9))
    alpha = rho - beta * r0
    score = alpha * zhat + beta * z0
    order = np.argsort(score, kind="stable")
    ranked = known[np.argsort(x[known], kind="stable")]
    new = np.empty(len(known), dtype=int)
    new[order] = ranked  # the i-th smallest score takes the i-th smallest value
    if cond.partners:
        partners = {c: normal_scores(as_numbers(df[c]))[known] for c in cond.partners if c in df}
        z1 = normal_scores(x[new])
        before = abs(rho - r0) + _partner_error(cond, z0, partners)
        after = abs(rho - _corr(zhat, z1)) + _partner_error(cond, z1, partners)
        if not after < before:
            return None
    out = values.copy()
    out.iloc[known] = values.iloc[new].to_numpy()
    return out


def _partner_error(cond: Conditioned, z: np.ndarray, partners: dict[str, np.ndarray]) -> float:
    """How far ``z``'s correlations with the table's other numbers are from the data's."""
    return sum(abs(cond.partners[c] - _corr(z, p)) for c, p in partners.items())
