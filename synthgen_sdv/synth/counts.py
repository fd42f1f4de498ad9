"""Children per parent row, conditioned on the parent's own values (``CountModel``).

HMA samples a parent's number of children as one more column of the parent's Gaussian copula
(``__<child>__<fk>__num_rows``), and ``calibrate_counts`` maps those draws onto the real
distribution of counts by rank. A copula holds only monotone dependence, so which parents get
children cannot depend on the parent in a non-monotone way: AdventureWorksDW's survey
responses point only at 59 days of 2012 among the 3,652 days of its date dimension, and the
copula spread them over every year (2.3% of the responses on one day no response had). The
same shape is common: facts that reference part of a dimension's range (dates, products,
stores), parents with mostly no children, counts that differ by a parent's category or by a
band of one of its numbers.

Here, per relation (parent, child, foreign key), a small regression tree on one of the
parent's own columns predicts ``log1p(count)``; its leaves are bins of the parent (a date
window, a set of categories, a band of a number). The column and the tree's size (1 to
``MAX_LEAVES`` leaves) are chosen by two-fold cross-validation on the rows it is fitted on
(the train split under the holdout protocol): a relation whose counts no column explains
keeps one leaf, i.e. the global calibration. One column, not a tree over all of them: the
sampled parent's columns come from a copula and need not agree with each other (a synthetic
day of 2011 whose year column says 2012), and a bin cut on several columns at once sent
AdventureWorksDW's responses to days that matched the year and the month but not the date.
At sampling, each sampled parent falls in a leaf, and the copula's draws are mapped by rank
onto that leaf's real counts: the leaf decides how many children (and whether any), the
copula still decides which parents of the leaf get more. Where the column is unique in the
data (one row per day), sampled parents that share a value (at the data's resolution) split
one count: a day drawn three times must not get three days' children.

Features are the parent's modeled columns in the data space (numbers, datetimes as numbers,
booleans, categories coded in the order of their mean count, rare ones pooled so a category
seen a few times cannot carry its own count); keys and free-text / PII columns are left out.
All numpy and scikit-learn trees on one column: time grows with rows (trees are fitted on at
most ``MAX_FIT_ROWS`` rows), and the model depends on the data only, never on a seed of the
sample or on the number of workers. ``scaled_counts`` then brings the counts to the table's
size in proportion, so parents without children keep none (stock HMA adds one child to the
smallest counts, i.e. to childless parents, until the total is reached).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import numpy as np
import pandas as pd
from sklearn import config_context
from sklearn.tree import DecisionTreeRegressor

from synthgen_sdv.core.seeds import rng_for
from synthgen_sdv.synth.anchors import resolution
from synthgen_sdv.synth.fastmath import as_datetime

MAX_LEAVES = 32
LEAF_SIZES = (2, 4, 8, 16, MAX_LEAVES)
MAX_FEATURES = 40
MAX_FIT_ROWS = 50_000
MIN_PARENTS = 20  # fewer parent rows: nothing to bin
MIN_GAIN = 0.02  # a tree must cut the held-out squared error by this share of one leaf's
FEATURE_SDTYPES = ("numerical", "datetime", "categorical", "boolean")
_OTHER = "\x00other"


@dataclass
class Feature:
    """How one parent column becomes a number for the tree."""

    column: str
    kind: str  # "number", "datetime" or "category"
    categories: list[str] = field(default_factory=list)  # in code order; the rest -> _OTHER
    fmt: str | None = None  # a datetime's format in the data
    missing: float = 0.0  # a null's number: below every value, its own side of any split

    def values(self, column: pd.Series) -> np.ndarray:
        """The column as floats (NaN where missing; a category unseen at fit -> "other")."""
        if self.kind == "category":
            codes = pd.Index(self.categories).get_indexer(_text(column))
            other = self.categories.index(_OTHER) if _OTHER in self.categories else -1
            return np.where(codes >= 0, codes, other).astype(float)
        if self.kind == "datetime":
            how = {"format": self.fmt} if self.fmt else {"format": "mixed"}
            try:
                stamps = as_datetime(column, errors="coerce", **how)
            except (TypeError, ValueError):  # a format the sampled values do not follow
                stamps = pd.to_datetime(column, errors="coerce", format="mixed")
            out = stamps.to_numpy(dtype="datetime64[ns]").astype("int64").astype(float)
            return np.where(stamps.isna().to_numpy(), np.nan, out)
        return pd.to_numeric(column, errors="coerce").to_numpy(dtype=float)

    def encode(self, column: pd.Series) -> np.ndarray:
        """``values`` with nulls as ``missing`` (the tree sees no NaN)."""
        x = self.values(column)
        return np.where(np.isnan(x), self.missing, x)


def _text(values: pd.Series) -> np.ndarray:
    """Values as text (nulls as "<null>"), converting each distinct value once."""
    codes, uniques = pd.factorize(values.astype(object), use_na_sentinel=True)
    labels = np.array([str(u) for u in uniques] + ["<null>"], dtype=object)
    return labels[codes]


@dataclass
class CountModel:
    """One relation's count model: a tree over ``features`` and each leaf's sorted real counts
    (concatenated in ``counts``, leaf ``i`` at ``starts[i]:starts[i+1]``)."""

    parent: str
    child: str
    foreign_key: str
    features: list[Feature]
    tree: DecisionTreeRegressor
    leaves: np.ndarray  # tree node ids of the leaves, sorted
    counts: np.ndarray
    starts: np.ndarray
    per_value: bool = False  # the column is unique among the real parents
    step: float = 0.0  # its resolution in the data (a day for dates of a date dimension)

    @property
    def n_leaves(self) -> int:
        """How many bins of the parent the counts are learned in."""
        return len(self.leaves)

    def matrix(self, parent: pd.DataFrame) -> np.ndarray:
        """The parent rows as the tree's input."""
        return np.column_stack([f.encode(parent[f.column]) for f in self.features]).astype(
            np.float32
        )

    def calibrate(self, parent: pd.DataFrame, sampled: np.ndarray) -> np.ndarray:
        """``sampled`` counts (the copula's draws, one per row of ``parent``) mapped by rank
        within each leaf onto that leaf's real counts; then, so that a copula's noise in how
        many parents fall in each bin does not bend the distribution of counts, at least the
        data's share of parents get none (``with_zero_share``) and the others take the real
        positive counts in the order the bins gave them (the bins decide who gets more, the
        data how many).

        With ``per_value`` (the binned column is unique in the data: one parent per date of a
        date dimension) sampled parents that share a value stand for one real parent: they
        draw one count together and split it, so a date drawn three times does not get three
        dates' children."""
        values = np.nan_to_num(np.asarray(sampled, dtype=float), nan=0.0)
        n = len(values)
        if not n:
            return values
        leaf = np.searchsorted(self.leaves, _apply(self.tree, self.matrix(parent)))
        if not self.per_value:
            return self._marginal(self._rank_map(leaf, values), values)
        x = self.features[0].values(parent[self.features[0].column])
        value = np.round(x / self.step) if self.step > 0 else x
        group, _ = pd.factorize(pd.Series(value), use_na_sentinel=True)
        group = np.where(group >= 0, group, group.max() + 1 + np.arange(n))  # NaN: alone
        group = pd.factorize(group)[0]
        size = np.bincount(group)
        draw = np.full(len(size), -np.inf)
        np.maximum.at(draw, group, values)
        first = np.full(len(size), n)
        np.minimum.at(first, group, np.arange(n))
        total = self._marginal(self._rank_map(leaf[first], draw), draw)
        nth = pd.Series(group).groupby(group).cumcount().to_numpy()  # member index, by position
        share = np.floor(total[group] / size[group])
        return share + (nth < total[group] - share * size[group])

    def _marginal(self, counts: np.ndarray, draws: np.ndarray) -> np.ndarray:
        """Per-bin counts with the data's share of zeros (at least) and its positive counts,
        laid over the positive ones in their order (ties by draw, then position)."""
        counts = with_zero_share(counts, draws, float((self.counts == 0).mean()))
        positive = np.flatnonzero(counts > 0)
        real = np.sort(self.counts[self.counts > 0])
        if not len(positive) or not len(real):
            return counts
        order = positive[np.lexsort((positive, draws[positive], counts[positive]))]
        q = (np.arange(len(order)) + 0.5) / len(order)
        out = counts.copy()
        out[order] = real[np.minimum((q * len(real)).astype(int), len(real) - 1)]
        return out

    def _rank_map(self, leaf: np.ndarray, values: np.ndarray) -> np.ndarray:
        n = len(values)
        order = np.lexsort((np.arange(n), values, leaf))  # by leaf, then draw, then position
        sorted_leaf = leaf[order]
        size = np.bincount(leaf, minlength=self.n_leaves)
        first = np.concatenate([[0], np.cumsum(size)[:-1]])
        rank = np.arange(n) - first[sorted_leaf]
        q = (rank + 0.5) / size[sorted_leaf]
        have = np.diff(self.starts)[sorted_leaf]
        pick = self.starts[sorted_leaf] + np.minimum((q * have).astype(int), have - 1)
        out = np.empty(n)
        out[order] = self.counts[pick]
        return out

    def describe(self) -> dict[str, Any]:
        """The relation (``table`` is the child, as lineage entries are per table), the
        parent column its bins are cut on and how many bins."""
        return {
            "table": self.child,
            "foreign_key": self.foreign_key,
            "parent": self.parent,
            "binned_on": self.features[0].column,
            "bins": self.n_leaves,
        }


def rank_calibrated(sampled: pd.Series, real_sorted: np.ndarray) -> np.ndarray:
    """Rank-preserving map of sampled child counts onto the real count distribution:
    the copula decides which parents get more children, the data decides how many."""
    values = sampled.fillna(0).to_numpy(dtype=float)
    if not len(values) or not len(real_sorted):
        return values
    ranks = np.empty(len(values))
    ranks[np.argsort(values, kind="stable")] = np.arange(len(values))
    q = (ranks + 0.5) / len(values)
    return real_sorted[np.minimum((q * len(real_sorted)).astype(int), len(real_sorted) - 1)]


def with_zero_share(counts: np.ndarray, draws: np.ndarray, zero_share: float) -> np.ndarray:
    """``counts`` with at least the data's share of parents without children: when the
    sampled parents hold fewer of the bins where parents have none (Classicmodels: customers
    with a credit limit of 0 never order; the copula drew 15% of them against 20%), the
    parents with the lowest counts (then draws) are given none too. Never the other way:
    a parent in a bin without children is not given any (that is what the bins are for)."""
    counts = np.asarray(counts, dtype=float)
    want = round(zero_share * len(counts)) - int((counts == 0).sum())
    if want <= 0:
        return counts
    positive = np.flatnonzero(counts > 0)
    draws = np.nan_to_num(np.asarray(draws, dtype=float), nan=0.0)
    lowest = positive[np.lexsort((positive, draws[positive], counts[positive]))][:want]
    out = counts.copy()
    out[lowest] = 0.0
    return out


def scaled_counts(counts: np.ndarray, target: int) -> np.ndarray:
    """Whole counts in proportion to ``counts`` that add up to ``target`` (largest remainders
    first, ties by position): the table-size adjustment then spreads the surplus over the
    parents that have children, in proportion, instead of giving childless parents one each."""
    total = counts.sum()
    if total <= 0 or target <= 0:
        return counts
    exact = counts * (target / total)
    out = np.floor(exact)
    left = round(float(target - out.sum()))
    if left > 0:
        out[np.argsort(-(exact - out), kind="stable")[:left]] += 1
    return out


def to_total(v: np.ndarray, target: int, min_rows: int, max_rows: int) -> np.ndarray:
    """Stock HMA's table-size adjustment (+-1 on the smallest / largest counts, within the
    observed min / max when possible), whole passes at a time in numpy."""
    v = np.asarray(v, dtype=int).copy()
    diff = target - int(v.sum())
    while diff != 0 and len(v):
        order = np.argsort(v)
        if diff > 0:
            room = int((v < max_rows).sum()) if v.min() < max_rows else len(v)
            take = min(diff, room)
            v[order[:take]] += 1
            diff -= take
        else:
            room = int((v > min_rows).sum()) if v.max() > min_rows else len(v)
            take = min(-diff, room)
            v[order[::-1][:take]] -= 1
            diff += take
    return v


def _features(parent: pd.DataFrame, columns: dict[str, dict], excluded: set[str], y: np.ndarray):
    """The parent's usable columns as ``Feature``s and their matrix (at most MAX_FEATURES)."""
    min_rows = _min_leaf(len(parent))
    features, cols = [], []
    for column, meta in columns.items():
        if column in excluded or column not in parent or meta.get("sdtype") not in FEATURE_SDTYPES:
            continue
        values = parent[column]
        if values.nunique(dropna=False) < 2:
            continue
        sdtype = meta["sdtype"]
        if sdtype == "datetime":
            feature = Feature(column, "datetime", fmt=meta.get("datetime_format"))
        elif sdtype == "numerical" or pd.api.types.is_bool_dtype(values):
            feature = Feature(column, "number")
        else:
            coded = _category(column, values, y, min_rows)
            if coded is None:
                continue
            feature, x = coded
        if feature.kind != "category":
            x = feature.values(values)
        if np.isnan(x).all():
            continue
        low, high = np.nanmin(x), np.nanmax(x)
        feature.missing = float(low - max(high - low, 1.0))
        x = np.where(np.isnan(x), feature.missing, x)
        features.append(feature)
        cols.append(x)
        if len(features) >= MAX_FEATURES:
            break
    return features, (np.column_stack(cols) if cols else np.empty((len(parent), 0)))


def _category(
    column: str, values: pd.Series, y: np.ndarray, min_rows: int
) -> tuple[Feature, np.ndarray] | None:
    """Categories coded in the order of their mean target (the classic ordering that lets a
    tree's binary split find the best partition of categories); categories with fewer than a
    leaf's rows are pooled into one "other" (a category seen once would otherwise carry its
    own count, which is memorizing, not a pattern). Returns the feature and the column coded
    (``Feature.values``), both from one factorization of the column's text."""
    codes, texts = pd.factorize(_text(values))
    sizes = np.bincount(codes, minlength=len(texts))
    rare = sizes < min_rows
    # pandas' string hashing stops at a NUL: _OTHER ("\x00other") and "" are one group there,
    # so those cases (and any text with a NUL) keep the frame's grouping exactly
    nul = (rare.any() and (texts == "").any()) or any("\x00" in t for t in texts)
    if nul or not (~rare).any():
        return _category_by_frame(column, values, y, rare, texts)
    # pooled groups: every common text is its own, the rare ones share _OTHER (code -1)
    group_of = np.where(rare, -1, np.arange(len(texts)))
    names = np.array([_OTHER if g < 0 else texts[g] for g in np.unique(group_of)], dtype=object)
    keys = np.unique(group_of)  # sorted: -1 (_OTHER) first, then codes in text order below
    by_name = np.argsort(names, kind="stable")  # groupby(sort=True): the names in order
    rows_group = np.searchsorted(keys, group_of[codes])
    # the mean target per group, pandas' own (the same sums in the same order as before)
    means = pd.Series(y).groupby(rows_group).mean().to_numpy()
    if len(keys) < 2:
        return None
    order = by_name[np.argsort(means[by_name], kind="stable")]  # sort_values(kind="stable")
    rank = np.empty(len(order), dtype=np.intp)
    rank[order] = np.arange(len(order))
    feature = Feature(column, "category", [str(v) for v in names[order]])
    return feature, rank[rows_group].astype(float)


def _category_by_frame(
    column: str, values: pd.Series, y: np.ndarray, rare: np.ndarray, texts: np.ndarray
) -> tuple[Feature, np.ndarray] | None:
    """``_category`` on a frame of texts, for the cases its codes do not cover (no common
    category; a text with a NUL, or an empty text pooled with rare ones)."""
    text = _text(values)
    if len(texts) - int(rare.sum()) < 1:
        return None
    frame = pd.DataFrame({"v": text, "y": y})
    frame.loc[frame["v"].isin(texts[rare]), "v"] = _OTHER
    means = frame.groupby("v", sort=True)["y"].mean().sort_values(kind="stable")
    if len(means) < 2:
        return None
    feature = Feature(column, "category", [str(v) for v in means.index])
    return feature, feature.values(values)


def _min_leaf(n: int) -> int:
    return max(5, n // 400)


def _held_out_error(X: np.ndarray, y: np.ndarray, fold: np.ndarray, leaves: int) -> float:
    """Two-fold held-out squared error of a tree of ``leaves`` leaves (1: the mean)."""
    error = 0.0
    for k in (0, 1):
        train, test = fold != k, fold == k
        if leaves <= 1:
            guess = np.full(int(test.sum()), y[train].mean())
        else:
            tree = _tree(leaves, int(train.sum()))
            tree.fit(X[train], y[train], check_input=False)  # float32, no NaN: checked once
            guess = tree.predict(np.ascontiguousarray(X[test]), check_input=False)
        error += float(((y[test] - guess) ** 2).sum())
    return error


def _choose(X: np.ndarray, y: np.ndarray, rng: np.random.Generator) -> tuple[int, int]:
    """The column (index into ``X``'s columns) and the number of leaves of the tree with the
    lowest two-fold held-out squared error; ``(-1, 1)`` when no tree gains ``MIN_GAIN`` of the
    one-leaf error. The column is chosen with the largest tree, then its size, a larger one
    taken only when it gains ``MIN_GAIN`` over the next smaller choice."""
    fold = rng.permutation(len(y)) % 2
    base = _held_out_error(X[:, :0], y, fold, 1)
    if base <= 0:
        return -1, 1
    columns = [np.ascontiguousarray(X[:, [j]]) for j in range(X.shape[1])]
    errors = [_held_out_error(x, y, fold, MAX_LEAVES) for x in columns]
    column = int(np.argmin(errors))
    if errors[column] > base * (1 - MIN_GAIN):
        return -1, 1
    best, best_error = 1, base
    for leaves in LEAF_SIZES:
        error = errors[column] if leaves == MAX_LEAVES else None
        error = _held_out_error(columns[column], y, fold, leaves) if error is None else error
        if error < best_error - MIN_GAIN * base:
            best, best_error = leaves, error
    return column, best


def _finite32(X) -> np.ndarray | None:
    """``X`` as the C-ordered float32 array sklearn's input check makes of it, or None if it is
    not a float array of finite numbers (sklearn's check then runs: its NaN handling, its
    errors)."""
    if not (isinstance(X, np.ndarray) and X.ndim == 2 and X.dtype.kind == "f"):
        return None
    X = np.ascontiguousarray(X, dtype=np.float32)
    return X if np.isfinite(X).all() else None


def _apply(tree: DecisionTreeRegressor, X) -> np.ndarray:
    """``tree.apply(X)``: the leaf of each row. sklearn's input check of a finite float32
    array changes nothing, but its first call in a process looks up dataframe plugins
    (``importlib.metadata`` entry points, through narwhals): about a tenth of a small
    database's fit + sample. Anything else is checked by sklearn."""
    checked = _finite32(X)
    return tree.apply(X) if checked is None else tree.apply(checked, check_input=False)


def _fit_tree(tree: DecisionTreeRegressor, X, y: np.ndarray) -> DecisionTreeRegressor:
    """``tree.fit(X, y)``, sklearn's input check skipped where it changes nothing (``_apply``):
    finite float32 rows give no missing-value mask, and ``y`` is made float64 either way."""
    checked = _finite32(X)
    if checked is None or not np.isfinite(y).all():
        return tree.fit(X, y)
    return tree.fit(checked, y, check_input=False)


def _tree(leaves: int, rows: int) -> DecisionTreeRegressor:
    return DecisionTreeRegressor(
        max_leaf_nodes=leaves, min_samples_leaf=_min_leaf(rows), random_state=0
    )


def fit_count_model(
    parent_name: str,
    parent: pd.DataFrame,
    parent_key: str,
    columns: dict[str, dict],
    excluded: set[str],
    child_name: str,
    foreign_key: str,
    child_keys: pd.Series,
) -> CountModel | None:
    """The count model of one relation, or None when the parent does not explain its counts
    (or has too few rows, or no usable column): the global calibration then applies."""
    if len(parent) < MIN_PARENTS or parent_key not in parent:
        return None
    per_key = child_keys.dropna().value_counts()
    counts = per_key.reindex(parent[parent_key].to_numpy()).fillna(0).to_numpy(dtype=float)
    if np.ptp(counts) == 0:
        return None
    y = np.log1p(counts)
    features, X = _features(parent.reset_index(drop=True), columns, excluded, y)
    if not features:
        return None
    X = X.astype(np.float32)  # what the tree splits on; sampling encodes the same way
    rng = rng_for(0, "counts", parent_name, child_name, foreign_key)
    fit_rows = np.sort(rng.permutation(len(y))[:MAX_FIT_ROWS])
    column, leaves = _choose(X[fit_rows], y[fit_rows], rng)
    if leaves <= 1:
        return None
    features, X = [features[column]], X[:, [column]]
    column_values = parent[features[0].column]
    per_value = bool(column_values.is_unique)
    step = resolution(
        pd.to_datetime(column_values) if features[0].kind == "datetime" else column_values
    )
    tree = _fit_tree(_tree(leaves, len(fit_rows)), X[fit_rows], y[fit_rows])
    nodes = _apply(tree, X)
    ids = np.flatnonzero(tree.tree_.children_left == -1)
    leaf = np.searchsorted(ids, nodes)
    order = np.lexsort((counts, leaf))
    size = np.bincount(leaf, minlength=len(ids))  # each leaf holds its training rows
    starts = np.concatenate([[0], np.cumsum(size)])
    return CountModel(
        parent_name,
        child_name,
        foreign_key,
        features,
        tree,
        ids,
        counts[order],
        starts,
        per_value,
        step,
    )


def fit_count_models(
    data: dict[str, pd.DataFrame], metadata: Any, relationships: list[dict]
) -> dict[str, CountModel]:
    """Count models of every relation (keyed by HMA's ``__<child>__<fk>__num_rows`` name)
    whose parent explains its children's counts; ``metadata`` is SDV's ``Metadata``."""
    out: dict[str, CountModel] = {}
    for r in relationships:
        parent_name, child_name = r["parent_table_name"], r["child_table_name"]
        fk = r["child_foreign_key"]
        if parent_name not in data or child_name not in data:
            continue
        table = metadata.tables[parent_name]
        key = table.primary_key
        if not isinstance(key, str):
            continue
        excluded = {key, *metadata._get_all_foreign_keys(parent_name)}
        with config_context(skip_parameter_validation=True):  # our constant, valid params
            model = fit_count_model(
                parent_name,
                data[parent_name],
                key,
                dict(table.columns),
                excluded,
                child_name,
                fk,
                data[child_name][fk],
            )
        if model is not None:
            out[f"__{child_name}__{fk}__num_rows"] = model
    return out
