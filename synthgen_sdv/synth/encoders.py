"""The column encoders the treatments assign (``synth.treatment``): empirical quantiles to
normal scores for numbers (``QuantileNormalizer``) and datetimes (``QuantileDatetime``), and
RDT's uniform encoders with normal scores instead of uniform positions.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
from rdt.transformers import (
    GaussianNormalizer,
    OrderedUniformEncoder,
    UniformEncoder,
    UnixTimestampEncoder,
)
from rdt.transformers.null import NullTransformer
from scipy import special

from synthgen_sdv.synth.fast_encode import uniform_labels, uniform_positions
from synthgen_sdv.synth.fastmath import as_datetime, sorted_quantiles

# how far into the tails a category's slice may reach: Phi^-1(1e-9) = -6.0
_U_EPS = 1e-9


class EmpiricalUnivariate:
    """A copulas-like univariate: the empirical CDF on ``n_quantiles`` knots, interpolated."""

    def __init__(self, n_quantiles: int = 1001):
        self.n_quantiles = n_quantiles
        self._p = self._q = self._qu = self._pu = None
        self._n = 0

    def fit(self, x) -> None:
        """Learn the quantile knots of ``x`` (NaNs ignored)."""
        x = np.asarray(x, dtype=float)
        x = x[~np.isnan(x)]
        self._n = len(x)
        self._p = np.linspace(0.0, 1.0, self.n_quantiles)
        self._q = sorted_quantiles(np.sort(x), self._p)
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

    def ppf_scores(self, z):
        """``ppf`` of normal scores. A score further out than any of the ``n`` real values
        reaches (``Phi(z)`` beyond ``[0.5/n, 1 - 0.5/n]``) carries no information about the
        column: HMA's per-parent normals with inflated spreads make many (27% of a product
        weight on a real database), and mapped to the extreme knot they piled up on the
        minimum or maximum. They go to a quantile spread over the whole marginal instead (a
        uniform made from the score's own digits: deterministic, no random state), so the
        column keeps its per-value shares."""
        z = np.asarray(z, dtype=float)
        u = special.ndtr(z)
        if self._n:
            edge = special.ndtri(1 - 0.5 / self._n) if self._n > 1 else 0.0
            out = np.abs(z) > edge
            if out.any():
                u = np.where(out, np.modf(np.abs(z) * 7919.0)[0], u)
        return self.ppf(u)

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

    def _fit(self, data):
        """RDT's fit, then the marginal again on the known values only (RDT fits it on the
        mean-imputed column: a point mass at the mean; see ``spread_null_scores``)."""
        super()._fit(data)
        known = pd.to_numeric(pd.Series(data), errors="coerce").dropna()
        if len(known) < len(data) and len(known):
            self._univariate = EmpiricalUnivariate(self.n_quantiles)
            self._univariate.fit(known.to_numpy(dtype=float))

    def _transform(self, data):
        """Normal scores of the known values; null rows get spread scores, not the mean's."""
        transformed = super()._transform(data)
        return spread_null_scores(transformed, pd.Series(data).isna().to_numpy())

    def _reverse_transform(self, data):
        """Normal scores back through the real quantiles (``EmpiricalUnivariate.ppf_scores``:
        scores beyond the data's reach spread over the marginal, not piled on an extreme)."""
        data = np.array(data.to_numpy() if isinstance(data, pd.Series) else data, dtype=float)
        if data.ndim > 1:
            data[:, 0] = self._univariate.ppf_scores(data[:, 0])
        else:
            data = self._univariate.ppf_scores(data)
        return super(GaussianNormalizer, self)._reverse_transform(data)


def _to_scores(u) -> np.ndarray:
    return special.ndtri(np.clip(np.asarray(u, dtype=float), _U_EPS, 1 - _U_EPS))


def spread_null_scores(transformed, is_null) -> np.ndarray:
    """The model's input with every null row's score replaced by a standard-normal score.

    RDT imputes a null with the column's mean *before* the marginal and the copula see it, so a
    column with 33% nulls was modeled with a 33% point mass at its mean (one value, which the
    data never holds), and since nulls are put back apart from the value, rows drawn from that
    mass came out non-null at the mean: 28.5% of a product weight on a real database. Here the
    marginal is fitted on the known values only and a null row's score is a draw from the
    standard normal (evenly spaced quantiles in a fixed shuffled order: deterministic, exactly
    normal), so the copula sees no point mass and the null rows carry no value information.
    Missingness is modeled by RDT's null transformer as before (its share, or its indicator).
    """
    out = np.array(transformed, dtype=float, copy=True)
    is_null = np.asarray(is_null, dtype=bool)
    k = int(is_null.sum())
    if k == 0:
        return out
    scores = special.ndtri((np.arange(k) + 0.5) / k)
    np.random.default_rng(k).shuffle(scores)
    if out.ndim > 1:
        out[is_null, 0] = scores
    else:
        out[is_null] = scores
    return out


class _NormalScores:
    """Mixin for RDT's uniform category encoders: normal scores instead of ``[0, 1]``.

    ``transform`` = ``Phi^-1`` of the uniform encoder's value (a random point of the category's
    slice, so the scores of a column are exactly standard normal); ``reverse_transform`` maps
    a score back through ``Phi`` to the slice it falls in. Nothing is clipped: a score of any
    size belongs to a category, the extreme ones to the extreme categories, in proportion to
    the normal tail mass beyond their slice boundary (see the module doc, rule ``normal``).
    """

    def _transform(self, data):
        u = uniform_positions(self, data, super()._transform)  # RDT's draws, vectorized
        return pd.Series(_to_scores(u), index=u.index, name=u.name)

    def _reverse_transform(self, data):
        values = data.to_numpy(dtype=float) if isinstance(data, pd.Series) else data
        index = data.index if isinstance(data, pd.Series) else None
        u = pd.Series(special.ndtr(np.asarray(values, dtype=float)), index=index)
        if isinstance(data, pd.Series):
            u.name = data.name
        labels = uniform_labels(self, u)  # RDT's binning, vectorized
        return super()._reverse_transform(u) if labels is None else labels


class NormalUniformEncoder(_NormalScores, UniformEncoder):
    """``UniformEncoder`` (categories in order of appearance) in normal-score space."""


class NormalOrderedEncoder(_NormalScores, OrderedUniformEncoder):
    """``OrderedUniformEncoder`` (categories in a given order) in normal-score space."""


class QuantileDatetime(UnixTimestampEncoder):
    """Datetimes as empirical-quantile normal scores (``QuantileNormalizer`` for timestamps).

    RDT's ``UnixTimestampEncoder`` hands the model raw nanoseconds and clips draws to the data's
    range on the way back, so a per-parent normal's tail becomes one timestamp: the last day.
    Here draws come back through the empirical quantile function (never outside the range, and
    a value is repeated only as often as the data repeats it). Nulls: RDT's null transformer,
    fitted on the scores.
    """

    def __init__(
        self,
        datetime_format=None,
        missing_value_generation="random",
        n_quantiles: int = 1001,
    ):
        super().__init__(
            missing_value_replacement="mean",
            datetime_format=datetime_format,
            missing_value_generation=missing_value_generation,
            enforce_min_max_values=True,
        )
        self.n_quantiles = n_quantiles
        self._univariate = None

    def _scores(self, stamps: pd.Series) -> np.ndarray:
        x = stamps.to_numpy(dtype=float)
        z = np.full(len(x), np.nan)
        ok = ~np.isnan(x)
        z[ok] = _to_scores(self._univariate.cdf(x[ok]))
        return z

    def _fit(self, data):
        super()._fit(data)
        self._unit = _granularity(data, self._convert_to_datetime)
        stamps = self._transform_helper(data)
        self._univariate = EmpiricalUnivariate(self.n_quantiles)
        known = stamps.dropna()
        self._univariate.fit(known if len(known) else np.zeros(1))
        self.null_transformer = NullTransformer(
            self.missing_value_replacement, self.missing_value_generation
        )
        self.null_transformer.fit(pd.Series(self._scores(stamps)))

    def _transform(self, data):
        scores = pd.Series(self._scores(self._transform_helper(data)))
        return spread_null_scores(self.null_transformer.transform(scores), scores.isna())

    def _to_datetime(self, data):
        """RDT's conversion (``fastmath.as_datetime``: datetimes pass as they are)."""
        return as_datetime(
            data,
            format=self._get_pandas_datetime_format(),
            utc=getattr(self, "_has_multiple_timezones", False),
        )

    def _convert_data_to_pandas_datetime(self, data):
        if getattr(self, "_has_multiple_timezones", False) or (
            getattr(self, "_timezone_offset", None) is not None
        ):
            return super()._convert_data_to_pandas_datetime(data)
        return as_datetime(data)

    def _reverse_transform_helper(self, data):
        if not isinstance(data, np.ndarray):
            data = data.to_numpy()
        z = np.asarray(self.null_transformer.reverse_transform(data), dtype=float)
        x = np.full(len(z), np.nan)
        ok = ~np.isnan(z)
        x[ok] = self._univariate.ppf_scores(z[ok])  # scores out of reach: not onto the max
        return pd.Series(np.round(x))  # a Series, as RDT's own helper returns

    def _reverse_transform(self, data):
        """RDT's reverse, except that a timestamp is rebuilt as an exact integer on the data's
        own granularity (day, second, millisecond...): nanoseconds since 1970 do not fit a
        float64 (53 bits), so RDT's float path turned a real ``12:20:28.330`` into
        ``12:20:28.329999``, a value the data never holds (7.6% of a real column)."""
        x = self._reverse_transform_helper(data)
        if self.enforce_min_max_values:
            x = x.clip(self._min_value, self._max_value)
        unit = int(getattr(self, "_unit", 1))
        stamps = np.full(len(x), np.datetime64("NaT"), dtype="datetime64[ns]")
        ok = x.notna().to_numpy()
        ticks = np.round(x.to_numpy()[ok] / unit).astype(np.int64) * unit
        stamps[ok] = ticks.view("datetime64[ns]")
        datetimes = self._convert_data_to_pandas_datetime(pd.Series(stamps))
        return self._handle_datetime_formatting(datetimes)


_UNITS_NS = (86_400 * 10**9, 3600 * 10**9, 60 * 10**9, 10**9, 10**6, 10**3)


def _granularity(data: pd.Series, to_datetime) -> int:
    """The coarsest unit (day ... microsecond, in ns) every known timestamp is a multiple of,
    read from the exact int64 nanoseconds (1 when none fits or the column is unreadable)."""
    try:
        ticks = pd.to_numeric(to_datetime(data).dropna()).to_numpy(dtype=np.int64)
    except (TypeError, ValueError, OverflowError):
        return 1
    for unit in _UNITS_NS:
        if len(ticks) and not (ticks % unit).any():
            return unit
    return 1
