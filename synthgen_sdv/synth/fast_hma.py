"""Fast HMA: sdv's HMASynthesizer with the per-parent work done for all parents at once.

Stock HMA (sdv 1.37.4) fits one small GaussianCopula per parent row to learn the "extension"
columns (per-parent marginal parameters, correlations and child count), and at sampling time
re-creates one child synthesizer per sampled parent row. Both loops dominate its run time.
``FastHMASynthesizer`` keeps everything else of stock HMA (preprocessing, the parent-level
copulas, table sizes, null foreign keys, finalisation) and replaces only the two loops:

* ``_get_extension``: the per-parent parameters of every child column are computed with numpy
  group reductions (``bincount`` / ``reduceat``) in closed form, and the per-parent correlations
  are the Pearson correlations of the normal scores, exactly as copulas computes them.
* ``_sample_children``: all children of all parents are drawn in one pass (batched
  eigen-decomposition of the per-parent correlation matrices, one normal draw, vectorized
  inverse CDFs) and reverse-transformed by RDT once per table instead of once per parent.

Equivalence with stock (tested in tests/synth/test_fast_hma.py):

* same extension column names and order, same ``num_rows`` per parent;
* ``norm`` marginals (stock's default for child tables): same ``loc``/``scale`` and the same
  correlations, to float rounding;
* ``truncnorm`` marginals (stock's choice for *extended* columns, e.g. the per-order parameters
  of transactions when they are modeled per customer): stock fits ``loc``/``scale`` by SLSQP
  maximum likelihood; here they are the group mean and standard deviation (the point SLSQP
  starts from), with the same bounds ``min - eps`` / ``max + eps``. This is the documented
  difference; correlations are computed with these marginals the same way stock does.
* child distributions other than ``norm`` / ``truncnorm`` / ``uniform`` (``beta``, ``gamma``,
  set by a user) have no closed form per parent: they are modeled per parent as ``truncnorm``
  (group moments, bounded by the group's range). No path fits or samples one model per parent
  row; a one-to-one child (its primary key is the foreign key) is a child of one row per
  parent, whose values become that parent's parameters.

Deliberate sampling differences: stock seeds every per-parent child copula with the same fixed
seed (so the first child of every parent gets the same normal draw); here draws are independent.
A degenerate marginal (``scale == 0``, e.g. a column constant within its parent) yields its
``loc``; stock's scipy call returns NaN there, which surfaces as spurious nulls.
"""

from __future__ import annotations

import logging
import warnings

import numpy as np
import pandas as pd
from rdt.transformers import FloatFormatter
from scipy import special
from sdv.multi_table import HMASynthesizer
from sdv.multi_table.hma import DEFAULT_EXTENDED_COLUMNS_DISTRIBUTION

from synthgen_sdv.synth.copies import SmallTableCopies
from synthgen_sdv.synth.counts import (
    CountModel,
    fit_count_models,
    rank_calibrated,
    scaled_counts,
    to_total,
)
from synthgen_sdv.synth.fast_copula import (
    FastCopulaSynthesizer,
    MomentCopulaSynthesizer,
    univariate_parameters,
)
from synthgen_sdv.synth.fastmath import stock_nearest_correlation as _nearest_correlation
from synthgen_sdv.synth.fastmath import truncnorm_cdf, truncnorm_ppf
from synthgen_sdv.synth.hma_sampling import MultiParentSampling
from synthgen_sdv.synth.preprocess import DeferredFakers, TablesBuiltOnce, ValidateOnce
from synthgen_sdv.synth.unique import keep_unique

LOGGER = logging.getLogger(__name__)

EPSILON = float(np.finfo(np.float32).eps)  # copulas.utils.EPSILON
CLOSED_FORM = ("norm", "truncnorm", "uniform")
PARAM_NAMES = {
    "norm": ("loc", "scale"),
    "uniform": ("loc", "scale"),
    "truncnorm": ("a", "b", "loc", "scale"),
}
_ROW_CHUNK = 50_000  # rows per batched matrix product when drawing children
#: at most this many bytes of gathered per-row k x k factors per product: a wide child (k 41)
#: gathered 50,000 factors at once, 670 MB, whatever the scale (the rows are independent, so
#: the chunking does not change a value)
_CHUNK_BYTES = 32 * 2**20


def _group_reduce(ufunc, values: np.ndarray, order: np.ndarray, starts: np.ndarray) -> np.ndarray:
    return ufunc.reduceat(values[order], starts)


def per_parent_parameters(
    X: np.ndarray,
    codes: np.ndarray,
    n_groups: int,
    columns: list[str],
    dists: list[str],
    shrinkage: float = 0.0,
) -> pd.DataFrame:
    """Per-group copula parameters with stock HMA's flattened names (without the prefix).

    ``X`` is (rows, columns) in the child's processed space, ``codes`` the parent index of each
    row (0..n_groups-1, every group non-empty). Returns one row per group with the columns
    ``correlation__i__j`` (lower triangle), ``univariates__<col>__<param>``, ``num_rows``.

    ``shrinkage`` (a pseudo-count ``n0``; 0 = stock HMA) pulls each parent's variance and
    correlations toward the pooled within-parent values with weight ``(n-1) / (n-1+n0)``: a
    parent with one or two children otherwise gets a zero/undefined scale and a correlation of
    exactly 0 or +-1, which is noise that the parent-level copula then has to learn. The pooled
    variance is scaled by the share of parents with two or more children (the ones it is
    learned from), so a handful of odd parents cannot set the spread of all the others.
    """
    n, k = X.shape
    counts = np.bincount(codes, minlength=n_groups).astype(float)
    order = np.argsort(codes, kind="stable")
    starts = np.concatenate([[0], np.cumsum(counts)[:-1]]).astype(np.intp)
    univariate_cols: dict[str, np.ndarray] = {}
    Z = np.empty((n, k))
    with np.errstate(divide="ignore", invalid="ignore"):
        for j, (col, dist) in enumerate(zip(columns, dists, strict=True)):
            x = X[:, j]
            mean = np.bincount(codes, x, n_groups) / counts
            dev = x - mean[codes]
            sumsq = np.bincount(codes, dev * dev, n_groups)
            std = np.sqrt(sumsq / counts)
            mn = _group_reduce(np.minimum, x, order, starts)
            mx = _group_reduce(np.maximum, x, order, starts)
            const = mn == mx
            if shrinkage > 0 and dist == "norm":
                dof = counts - 1
                # weighted by the share of parents it is learned from: when nearly every parent
                # has one child, the few that do not (Sakila: 1 rental of 16,044 with five
                # payments months apart) must not give every parent their spread
                pooled = (counts >= 2).mean() * sumsq.sum() / max(dof.sum(), 1.0)
                std = np.sqrt((sumsq + shrinkage * pooled) / (dof + shrinkage))
                const = np.zeros(n_groups, bool) if pooled > 0 else const
            if dist == "norm":
                loc = np.where(const, mn, mean)
                scale = np.where(const, 0.0, std)
                cdf = special.ndtr((x - loc[codes]) / scale[codes])
                params = {"loc": loc, "scale": scale}
            elif dist == "uniform":
                loc, scale = mn, mx - mn
                cdf = (x - loc[codes]) / scale[codes]
                params = {"loc": loc, "scale": scale}
            elif dist == "truncnorm":
                lo, hi = mn - EPSILON, mx + EPSILON
                scale = np.minimum(std, (hi - lo) ** 2)
                loc = mean
                a, b = (lo - loc) / scale, (hi - loc) / scale
                cdf = np.full(n, np.nan)
                live = ~const[codes]
                g = codes[live]
                cdf[live] = truncnorm_cdf(x[live], a[g], b[g], loc[g], scale[g])
                a, b = np.where(const, mn, a), np.where(const, mn, b)
                loc, scale = np.where(const, mn, loc), np.where(const, 0.0, scale)
                params = {"a": a, "b": b, "loc": loc, "scale": scale}
            else:  # pragma: no cover - guarded by the caller
                raise ValueError(f"no closed form for distribution '{dist}'")
            cdf[const[codes]] = np.nan  # scipy returns NaN for a zero scale
            Z[:, j] = special.ndtri(np.clip(cdf, EPSILON, 1 - EPSILON))
            for name, value in params.items():
                univariate_cols[f"univariates__{col}__{name}"] = value

        out: dict[str, np.ndarray] = {}
        if k > 1:
            zmean = (
                np.stack([np.bincount(codes, Z[:, j], n_groups) for j in range(k)], 1)
                / (counts[:, None])
            )
            Zc = Z - zmean[codes]
            ss = np.stack([np.bincount(codes, Zc[:, j] ** 2, n_groups) for j in range(k)], 1)
            weight = (counts - 1) / (counts - 1 + shrinkage) if shrinkage > 0 else None
            for i in range(1, k):
                for j in range(i):
                    sxy = np.bincount(codes, Zc[:, i] * Zc[:, j], n_groups)
                    r = np.clip(sxy / np.sqrt(ss[:, i] * ss[:, j]), -1.0, 1.0)
                    if weight is not None:
                        pooled = np.nansum(sxy) / np.sqrt(np.nansum(ss[:, i]) * np.nansum(ss[:, j]))
                        pooled = 0.0 if not np.isfinite(pooled) else pooled
                        r = np.where(np.isnan(r), pooled, weight * r + (1 - weight) * pooled)
                    out[f"correlation__{i - 1}__{j}"] = np.nan_to_num(r, nan=0.0)
    out.update(univariate_cols)
    frame = pd.DataFrame(out)
    if k and not shrinkage:
        # stock blanks every scale of a one-row parent; HMA later fills the column mean
        single = counts == 1
        for col in frame.columns:
            if col.endswith("scale"):
                frame.loc[single, col] = np.nan
    frame["num_rows"] = counts
    return frame


class _Range(FloatFormatter):
    """The only thing HMA reads from an extension column's formatter: its min and max."""

    def __init__(self, minimum: float, maximum: float):
        super().__init__(enforce_min_max_values=True)
        self._min_value, self._max_value = minimum, maximum


class FastHMASynthesizer(
    TablesBuiltOnce,
    DeferredFakers,
    ValidateOnce,
    SmallTableCopies,
    MultiParentSampling,
    HMASynthesizer,
):
    """HMASynthesizer whose per-parent extension and child sampling are vectorized.

    ``shrinkage``: see ``per_parent_parameters`` (0 = stock). ``truncnorm_fit``: ``"mle"``
    (stock's SLSQP) or ``"moments"`` (``MomentTruncatedGaussian``) for the table-level models.
    ``calibrate_counts``: map sampled children-per-parent counts onto the real distribution of
    counts, keeping their ranks, before stock's table-size adjustment (False = stock).
    ``multiparent`` / ``candidates`` / ``groups``: how the other keys of a child with several
    modeled parents are assigned (``synth.hma_sampling``, ``synth.parent_assignment``).
    ``childless``: parameters of parents without children, ``"mean"`` (stock) or ``"donor"``
    (``_fill_childless``). ``small_tables``: tables of fewer rows whose parents are copied too
    are sampled as copies of their real rows (``synth.copies``; 0 = stock). ``count_model``:
    with ``calibrate_counts``, counts are calibrated per bin of the parent's own values
    (``synth.counts``) and the table-size adjustment adds rows to parents that already have
    children first, so parents the data gives no children keep none (False = global).
    """

    def __init__(
        self,
        metadata,
        locales=None,
        verbose=False,
        shrinkage: float = 0.0,
        truncnorm_fit: str = "mle",
        calibrate_counts: bool = False,
        multiparent: str = "candidates",
        candidates: int = 16,
        groups: int = 32,
        childless: str = "mean",
        small_tables: int = 0,
        count_model: bool = False,
        table_parameters: dict | None = None,
    ):
        if truncnorm_fit not in ("mle", "moments"):
            raise ValueError(f"truncnorm_fit must be 'mle' or 'moments', got '{truncnorm_fit}'")
        # read by _initialize_models: table copulas whose draws reuse one correlation factor
        self._synthesizer = (
            MomentCopulaSynthesizer if truncnorm_fit == "moments" else FastCopulaSynthesizer
        )
        super().__init__(
            metadata,
            locales=locales or ["en_US"],
            verbose=verbose,
            table_parameters=table_parameters,  # TablesBuiltOnce
        )
        self.shrinkage = float(shrinkage)
        self.truncnorm_fit = truncnorm_fit
        self.calibrate_counts = bool(calibrate_counts)
        self._real_child_counts: dict[str, np.ndarray] = {}
        self._fast_columns: dict[tuple[str, str], tuple[list[str], list[str]]] = {}
        self.configure_multiparent(multiparent, candidates, groups)
        if childless not in ("mean", "donor"):
            raise ValueError(f"childless must be 'mean' or 'donor', got '{childless}'")
        self.childless = childless
        self.small_tables = int(small_tables)
        self.count_model = bool(count_model)
        self._count_models: dict[str, CountModel] = {}

    def fit(self, data):
        """Learn the count models (``synth.counts``) from the real keys, then fit."""
        self._count_models = {}
        if self.count_model and self.calibrate_counts:
            relationships = list(self.metadata.relationships)
            self._count_models = fit_count_models(dict(data), self.metadata, relationships)
        return super().fit(data)

    def describe_counts(self) -> list[dict]:
        """One entry per relation whose children per parent are learned per bin."""
        return [m.describe() for _, m in sorted(self._count_models.items())]

    def _augment_table(self, table, tables, table_name):
        """Stock ``_augment_table`` minus one RDT ``FloatFormatter.fit`` per extension column
        (about half of what remained of the fit time); only their min / max are ever used."""
        self._table_sizes[table_name] = len(table)
        # sorted: the child map is a set, whose order (and so the column order the parent's
        # copula is fitted with) would change with PYTHONHASHSEED
        for child_name in sorted(self.metadata._get_child_map()[table_name]):
            if child_name not in self._augmented_tables:
                child_table = self._augment_table(tables[child_name], tables, child_name)
            else:
                child_table = tables[child_name]
            for foreign_key in self.metadata._get_foreign_keys(table_name, child_name):
                desc = f"Tables '{table_name}' and '{child_name}' ('{foreign_key}')"
                extension = self._get_extension(child_name, child_table.copy(), foreign_key, desc)
                num_rows_key = f"__{child_name}__{foreign_key}__num_rows"
                table = self._extend(table, child_name, extension.astype(float), num_rows_key)
                self._max_child_rows[num_rows_key] = table[num_rows_key].max()
                self._min_child_rows[num_rows_key] = table[num_rows_key].min()
                self._real_child_counts[num_rows_key] = np.sort(table[num_rows_key].to_numpy(float))
                self._null_foreign_key_percentages[f"__{child_name}__{foreign_key}"] = 1 - (
                    table[num_rows_key].sum() / child_table.shape[0]
                )
                if len(extension.columns) > 0:
                    self._parent_extended_columns[table_name].extend(list(extension.columns))
                tables[table_name] = table
                self._learned_relationships += 1
        self._augmented_tables.append(table_name)
        self._clear_nans(table, ignore_cols=self.metadata._get_all_foreign_keys(table_name))
        return table

    def _extend(self, table, child_name, extension, num_rows_key):
        """``table`` left-joined with a child's per-parent parameters, as stock's merge (a
        parent without children: NaN, and 0 rows), with childless parents given a donor's
        parameters (``childless="donor"``); done on one float matrix, where pandas visits
        each of hundreds of extension columns several times."""
        values = extension.to_numpy(dtype=float, copy=True)
        values[:, np.isnan(values).all(axis=0)] = 1e-6  # stock: an all-NaN column -> 1e-6
        if len(values):
            with warnings.catch_warnings():
                warnings.simplefilter("ignore", RuntimeWarning)  # nanmin of a partly-NaN column
                lows, highs = np.nanmin(values, axis=0), np.nanmax(values, axis=0)
        else:
            lows = highs = np.full(values.shape[1], np.nan)
        for column, low, high in zip(extension.columns, lows, highs, strict=True):
            self.extended_columns[child_name][column] = _Range(low, high)
        position = extension.index.get_indexer(table.index)
        block = np.full((len(table), values.shape[1]), np.nan)
        block[position >= 0] = values[position[position >= 0]]
        j = extension.columns.get_loc(num_rows_key)
        block[:, j] = np.nan_to_num(block[:, j], nan=0.0)
        if self.childless == "donor":
            others = np.arange(block.shape[1]) != j
            self._donor_fill(block, block[:, j] <= 0, others)
        added = pd.DataFrame(block, index=table.index, columns=extension.columns)
        return pd.concat([table, added], axis=1)

    @staticmethod
    def _donor_fill(block: np.ndarray, empty: np.ndarray, columns: np.ndarray) -> None:
        """Give each parent without children (``empty`` rows of ``block``) the child-model
        parameters (``columns``) of a random parent with children: the whole block, so they
        stay consistent with each other.

        Stock fills them with the column mean. Where most parents have no child (Berka: 85%
        of accounts have no loan) the parent-level copula then learns a spike at the mean and
        samples mean parameters for the parents that do get children: 49% of the synthetic
        loans took the middle duration (36 months) against 19% in the data.
        """
        donors = np.flatnonzero(~empty)
        if not columns.any() or not empty.any() or not len(donors):
            return
        rng = np.random.default_rng(np.random.randint(0, 2**31 - 1))
        pick = rng.choice(donors, size=int(empty.sum()))
        block[np.ix_(empty, columns)] = block[pick][:, columns]

    @staticmethod
    def _fill_childless(table: pd.DataFrame, columns: list[str], num_rows_key: str) -> None:
        """``_donor_fill`` on a frame: ``columns`` of the rows whose ``num_rows_key`` is 0."""
        block = table[columns].to_numpy(dtype=float, copy=True)
        empty = (table[num_rows_key] <= 0).to_numpy()
        FastHMASynthesizer._donor_fill(block, empty, np.ones(len(columns), bool))
        table[columns] = block

    @staticmethod
    def _clear_nans(table_data, ignore_cols=None):
        """Stock's fill (column mean, 0 if all NaN, mode for others), visiting only the
        columns that hold a NaN: stock visits every column of tables hundreds wide, twice."""
        ignore = set(ignore_cols or ())
        holes = table_data.columns[table_data.isna().any().to_numpy()]
        for column in holes:
            if column in ignore:
                continue
            column_data = table_data[column]
            if column_data.dtype in (int, float):
                fill_value = 0 if column_data.isna().all() else column_data.mean()
            else:
                fill_value = column_data.mode()[0]
            table_data[column] = column_data.fillna(fill_value)

    def _model_tables(self, augmented_data):
        """Stock's loop over the tables, keeping the per-column fallback parameters without
        flattening each table's whole correlation matrix first (``univariate_parameters``);
        the rows of the tables copied at sampling are kept, their models not fitted
        (``synth.copies``)."""
        for table_name, table in augmented_data.items():
            keys = self._pop_foreign_keys(table, table_name)
            self._clear_nans(table)
            self._keep_copy(table_name, table, keys)
            if not self._is_copied(table_name):
                self._fit_table_model(table_name, table)
            for fk_column_name, fk_values in keys.items():
                table[fk_column_name] = fk_values
        self._fit_no_longer_copied(augmented_data)

    def _fit_table_model(self, table_name: str, table: pd.DataFrame) -> None:
        if not table.empty:  # stock's fit of the table's copula, and its fallback parameters
            synthesizer = self._table_synthesizers[table_name]
            self._set_extended_columns_distributions(synthesizer, table_name, table.columns)
            synthesizer.fit_processed_data(table)
            self._default_parameters[table_name] = univariate_parameters(synthesizer)

    # ---------------------------------------------------------------- fit
    def _child_distributions(self, child_name: str, columns) -> list[str]:
        params = self._table_parameters[child_name]
        default = params.get("default_distribution") or "beta"
        numerical = params.get("numerical_distributions") or {}
        extended = set(self._parent_extended_columns[child_name])
        return [
            DEFAULT_EXTENDED_COLUMNS_DISTRIBUTION if c in extended else numerical.get(c, default)
            for c in columns
        ]

    def _get_extension(self, child_name, child_table, foreign_key, progress_bar_desc):
        foreign_key_columns = self.metadata._get_all_foreign_keys(child_name)
        primary_key = self.metadata.tables[child_name].primary_key
        columns = list(child_table.columns.difference(foreign_key_columns))
        dists = self._child_distributions(child_name, columns)
        one_to_one = (
            primary_key and primary_key in foreign_key_columns and (foreign_key == primary_key)
        )
        if any(d not in CLOSED_FORM for d in dists):
            # no closed form per parent (beta, gamma, ...): a truncated normal within each
            # parent's range, rather than stock's one copula fitted per parent row
            LOGGER.info(
                "%s.%s: per-parent %s modeled as truncnorm (closed form)",
                child_name,
                foreign_key,
                sorted(set(dists) - set(CLOSED_FORM)),
            )
            dists = [d if d in CLOSED_FORM else "truncnorm" for d in dists]

        # a one-to-one child's key is its primary key, which the data processor made the
        # index: each parent has at most one row, whose values become that parent's
        # parameters (loc = the value, scale 0), so the child extends its parent's row
        keys = child_table.index.to_series() if one_to_one else child_table[foreign_key]
        null = keys.isna().to_numpy()
        if null.any():
            # the rows without a parent get one ordinary synthesizer, as in stock HMA
            super()._get_extension(child_name, child_table[null], foreign_key, progress_bar_desc)
            child_table, keys = child_table[~null], keys[~null]
        codes, uniques = pd.factorize(keys, sort=False)
        X = child_table[columns].to_numpy(dtype=float)
        ext = per_parent_parameters(X, codes, len(uniques), columns, dists, self.shrinkage)
        ext.columns = f"__{child_name}__{foreign_key}__" + ext.columns
        ext.index = pd.Index(uniques)
        self._fast_columns[(child_name, foreign_key)] = (columns, dists)
        return ext

    # ---------------------------------------------------------------- sample
    def _enforce_table_size(self, child_name, table_name, scale, sampled_data):
        """Stock's algorithm (±1 on the smallest / largest counts, within the observed
        min / max when possible), with whole passes done by numpy instead of row by row."""
        total_num_rows = round(self._table_sizes[child_name] * scale)
        parent = sampled_data[table_name]
        for foreign_key in self.metadata._get_foreign_keys(table_name, child_name):
            null_pctg = self._null_foreign_key_percentages.get(f"__{child_name}__{foreign_key}", 0)
            target = round(total_num_rows * (1 - null_pctg))
            key = f"__{child_name}__{foreign_key}__num_rows"
            min_rows, max_rows = self._min_child_rows[key], self._max_child_rows[key]
            model = getattr(self, "_count_models", {}).get(key)
            if self.calibrate_counts and model is not None:
                parent[key] = model.calibrate(parent, parent[key].to_numpy(dtype=float))
            elif self.calibrate_counts and key in self._real_child_counts:
                parent[key] = rank_calibrated(parent[key], self._real_child_counts[key])
            positive_first = getattr(self, "count_model", False) and self.calibrate_counts
            real = self._real_child_counts.get(key, np.zeros(0))  # sorted at fit: no sort here
            real = real[np.searchsorted(real, 0.0, side="right") :]
            if self.calibrate_counts and max_rows > 1 and len(real) and real[0] == real[-1]:
                # the same number for every parent with children (123 readings per station):
                # that or none, and the table's size follows the parents
                parent[key] = np.where(parent[key].fillna(0).to_numpy() > 0, real[-1], 0)
                continue
            if positive_first and max_rows > 1:  # whole counts in proportion: parents of too
                # few values (a date window sampled with fewer dates) may go over the learned
                # max; never a one-to-one link (at most 1 child: the key may be the child's)
                v = scaled_counts(parent[key].fillna(0).to_numpy(dtype=float), target)
                v = np.maximum(v, min_rows).astype(int)
            else:
                v = parent[key].fillna(0).round().clip(min_rows, max_rows).astype(int).to_numpy()
            parent[key] = to_total(v, target, min_rows, max_rows)

    def _sample_children(self, table_name, sampled_data, scale=1.0):
        # distinct values stay distinct before the counts see them (``synth.unique``)
        keep_unique(sampled_data, table_name, getattr(self, "unique_columns", ()), self._numpy_seed)
        # sorted: sdv's child map is a set, whose order changes with PYTHONHASHSEED
        for child_name in sorted(self.metadata._get_child_map()[table_name]):
            if self._is_copied(child_name):  # once every parent of it is sampled
                if self._ready_to_copy(child_name, sampled_data):
                    sampled_data[child_name] = self._copy_table(child_name, sampled_data, scale)
                    self._progress().table(child_name, len(sampled_data[child_name]), "copied")
                    self._sample_children(child_name, sampled_data, scale)
                continue
            self._enforce_table_size(child_name, table_name, scale, sampled_data)
            if child_name in sampled_data:
                continue
            foreign_key = self._sampling_key(table_name, child_name)
            if foreign_key is None:  # sampled under its chosen parent (see hma_sampling)
                continue
            parent = sampled_data[table_name]
            num_rows_key = f"__{child_name}__{foreign_key}__num_rows"
            counts = parent[num_rows_key].fillna(0).round().clip(lower=0).astype(int).to_numpy()
            if counts.sum() == 0:  # stock forces one row under the largest parent
                counts[int(pd.to_numeric(parent[num_rows_key], errors="coerce").argmax())] = 1
            rows = self._draw_in_batches(child_name, table_name, foreign_key, parent, counts)
            sampled_data[child_name] = rows
            self._progress().table(
                child_name, len(sampled_data.get(child_name, ())), f"under {table_name}"
            )

            total_num_rows = round(self._table_sizes[child_name] * scale)
            null_pctg = self._null_foreign_key_percentages.get(f"__{child_name}__{foreign_key}", 0)
            num_null_rows = round(total_num_rows * null_pctg)
            if num_null_rows > 0:
                self._add_child_rows(child_name, table_name, None, sampled_data, num_null_rows)
            self._sample_children(table_name=child_name, sampled_data=sampled_data, scale=scale)

    def _draw_children(self, child_name, parent_name, foreign_key, parent, counts):
        columns, dists = self._fast_columns[(child_name, foreign_key)]
        prefix = f"__{child_name}__{foreign_key}__"
        k = len(columns)
        keep = np.flatnonzero(counts > 0)
        counts = counts[keep]
        n = int(counts.sum())
        owner = np.repeat(np.arange(len(keep)), counts)
        # the parents' parameters as one float matrix, NaN -> 1e-6 and clipped to the learned
        # range as stock's _extract_parameters does (a pandas Series per parameter and
        # correlation pair cost more than the draw itself on wide children)
        names = [c for c in parent.columns if c.startswith(prefix)]
        ranges = [self.extended_columns[child_name][c] for c in names]
        values = parent[names].to_numpy(dtype=float)[keep]
        values = np.clip(
            np.where(np.isnan(values), 1e-6, values),
            np.array([r._min_value for r in ranges], dtype=float),
            np.array([r._max_value for r in ranges], dtype=float),
        )
        position = {c[len(prefix) :]: i for i, c in enumerate(names)}
        defaults = self._default_parameters.get(child_name, {})

        raw = {}
        if k:
            corr = np.zeros((len(keep), k, k))
            rows, cols = np.tril_indices(k, -1)  # the order of correlation__{i-1}__{j}
            pairs = values[
                :, [position[f"correlation__{i - 1}__{j}"] for i, j in zip(rows, cols, strict=True)]
            ]
            corr[:, rows, cols] = corr[:, cols, rows] = pairs
            mx = np.abs(corr).max(axis=(1, 2))
            corr = np.where((mx > 1)[:, None, None], corr / np.maximum(mx, 1)[:, None, None], corr)
            corr = _nearest_correlation(corr + np.eye(k))
            vals, vecs = np.linalg.eigh(corr)
            factor = vecs * np.sqrt(np.maximum(vals, 0.0))[:, None, :]
            noise = np.random.standard_normal((n, k))
            z = np.empty((n, k))
            step = max(256, min(_ROW_CHUNK, _CHUNK_BYTES // (8 * k * k)))
            for s in range(0, n, step):
                e = slice(s, s + step)
                z[e] = np.einsum("rij,rj->ri", factor[owner[e]], noise[e])
            for j, (col, dist) in enumerate(zip(columns, dists, strict=True)):
                p = {
                    name: values[:, position[f"univariates__{col}__{name}"]].copy()
                    for name in PARAM_NAMES[dist]
                }
                if dist == "truncnorm":  # stock falls back to the table-level fit (argcheck)
                    bad = ~(p["a"] < p["b"])
                    table_level = str(defaults.get(f"univariates__{col}__type", ""))
                    if bad.any() and "TruncatedGaussian" in table_level:
                        for name in PARAM_NAMES[dist]:
                            p[name][bad] = defaults[f"univariates__{col}__{name}"]
                scale = np.maximum(p["scale"], 0.0)[owner]
                loc = p["loc"][owner]
                if dist == "norm":
                    x = loc + scale * z[:, j]
                elif dist == "uniform":
                    x = loc + scale * special.ndtr(z[:, j])
                else:
                    with np.errstate(all="ignore"):
                        x = truncnorm_ppf(
                            special.ndtr(z[:, j]),
                            p["a"][owner],
                            p["b"][owner],
                            loc,
                            scale,
                        )
                raw[col] = np.where(np.isfinite(x), x, loc)
        sampled = self._finish_rows(child_name, pd.DataFrame(raw, index=pd.RangeIndex(n)))
        parent_key = self.metadata.tables[parent_name].primary_key
        fk_values = parent[parent_key].to_numpy()[keep][owner]
        sampled[foreign_key] = fk_values[sampled.index.to_numpy()]
        return sampled.reset_index(drop=True)

    def _finish_rows(self, child_name: str, raw_frame: pd.DataFrame) -> pd.DataFrame:
        """Rows in the processed space back in the data's (HMA's reverse transform and
        constraints), extension columns kept as they are; the index says which rows stayed
        valid."""
        synthesizer = self._table_synthesizers[child_name]
        processor = synthesizer._data_processor
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            sampled = processor.reverse_transform(raw_frame)
            sampled = synthesizer.reverse_transform_constraints(sampled)
        input_columns = processor._hyper_transformer._input_columns
        extra = [c for c in raw_frame.columns if c not in input_columns and c not in sampled]
        sampled = pd.concat([sampled, raw_frame.loc[sampled.index, extra]], axis=1)
        return processor.filter_valid(sampled)
