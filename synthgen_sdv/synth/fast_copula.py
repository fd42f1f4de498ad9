"""The per-table Gaussian copula of the fast HMA, without the work copulas does twice.

On a small database (pubs: 11 tables, 255 rows) the fixed cost of each table's copula is most
of the run: every extended column's ``truncnorm`` goes through scipy's generic ``cdf``/``ppf``
(argument checks, ``logsumexp`` per element), and every ``sample`` call re-runs an SVD of the
correlation matrix (numpy's ``multivariate_normal``) that did not change since ``fit``. Here:

* ``MomentTruncatedGaussian``: ``loc``/``scale`` fitted by moments (not SLSQP), its CDF and
  inverse in closed form on the whole column (``synth.fastmath``);
* ``FastGaussianMultivariate``: a Cholesky factor of the correlation is computed once and
  reused (numpy's ``multivariate_normal`` runs a full SVD on every call: 0.17 s for the
  908-column publishers table of pubs); the condition number checked at fit comes from the
  eigenvalues. Both run on one BLAS thread (``fastmath.serial_blas``). The draws have the same
  distribution as stock's but not the same bytes (a different square root of the matrix).
"""

from __future__ import annotations

import sys
from typing import ClassVar

import numpy as np
import pandas as pd
from copulas.multivariate import GaussianMultivariate
from copulas.univariate import TruncatedGaussian
from copulas.utils import random_state
from scipy import special, stats
from sdv.single_table import GaussianCopulaSynthesizer
from sdv.single_table.utils import flatten_dict

from synthgen_sdv.synth.fastmath import pearson, serial_blas, truncnorm_cdf, truncnorm_ppf
from synthgen_sdv.synth.preprocess import fit_transform

EPSILON = float(np.finfo(np.float32).eps)  # copulas.utils.EPSILON


class MomentTruncatedGaussian(TruncatedGaussian):
    """copulas' TruncatedGaussian with ``loc``/``scale`` = mean/std instead of an SLSQP fit.

    Same bounds and constant handling; used (``truncnorm_fit="moments"``) for the hundreds of
    extended columns of a root table, where SLSQP is most of what is left of the fit time.
    Its CDF and inverse are ``synth.fastmath``'s closed forms (scipy's values, tested).
    """

    def _fit(self, X):
        X = np.asarray(X, dtype=float)
        if self.min is None:
            self.min = X.min() - EPSILON
        if self.max is None:
            self.max = X.max() + EPSILON
        loc = X.mean()
        scale = min(X.std(), (self.max - self.min) ** 2)
        self._params = {
            "a": (self.min - loc) / scale,
            "b": (self.max - loc) / scale,
            "loc": loc,
            "scale": scale,
        }

    def cumulative_distribution(self, X):
        """The truncated normal CDF of ``X`` (a constant column keeps copulas' step)."""
        self.check_fit()
        return truncnorm_cdf(X, **self._params)

    def percent_point(self, U):
        """The truncated normal quantiles of ``U``."""
        self.check_fit()
        return truncnorm_ppf(U, **self._params)


# a condition number within this factor of copulas' threshold (1 / eps) is checked copulas' way
NEAR_SINGULAR = 1e4


class FastGaussianMultivariate(GaussianMultivariate):
    """GaussianMultivariate whose unconditional draws reuse one factor of the correlation."""

    _factor: tuple | None = None

    def _get_correlation(self, X):
        """copulas' correlation of the normal scores (``pearson``: one matrix product for a
        wide table); its condition number from the eigenvalues (a symmetric matrix: the same
        number, at a third of an SVD's cost)."""
        result = self._transform_to_normal(X)
        correlation = np.nan_to_num(pearson(np.asarray(result, dtype=float)), nan=0.0)
        k = correlation.shape[0]
        if k and len(result) <= k:  # rank <= rows - 1 < k: singular, no need to decompose
            correlation = correlation + np.identity(k) * EPSILON
        elif k:
            with serial_blas():
                vals = np.abs(np.linalg.eigvalsh(correlation))
            # near 1 / eps both numbers are rounding noise: decide as copulas does, by an SVD
            near = not vals.min() > vals.max() * sys.float_info.epsilon * NEAR_SINGULAR
            if near and np.linalg.cond(correlation) > 1.0 / sys.float_info.epsilon:
                correlation = correlation + np.identity(k) * EPSILON
        return pd.DataFrame(correlation, index=self.columns, columns=self.columns)

    def _transform_to_normal(self, X):
        """copulas' normal scores, with every (non-constant) moment-fitted truncated normal
        column's CDF computed in one array operation instead of one call per column."""
        batch, params = self._truncnorm_batch("cumulative_distribution")
        if not isinstance(X, pd.DataFrame) or len(batch) < 2 or list(X.columns) != self.columns:
            return super()._transform_to_normal(X)
        values = X.to_numpy(dtype=float)
        U = np.empty_like(values)
        U[:, batch] = truncnorm_cdf(values[:, batch], *params)
        batched = set(batch)
        for j, univariate in enumerate(self.univariates):
            if j not in batched:
                U[:, j] = univariate.cdf(values[:, j])
        return stats.norm.ppf(U.clip(EPSILON, 1 - EPSILON))

    def _normal_draws(self, num_rows: int) -> np.ndarray:
        correlation = self.correlation
        if self._factor is None or self._factor[0] is not correlation:
            self._factor = (correlation, sampling_factor(np.asarray(correlation, dtype=float)))
        factor = self._factor[1]
        return np.random.standard_normal((num_rows, factor.shape[0])) @ factor

    def _get_normal_samples(self, num_rows, conditions):
        if conditions is not None:
            return super()._get_normal_samples(num_rows, conditions)
        return pd.DataFrame(self._normal_draws(num_rows), columns=self.columns)

    def sample(self, num_rows=1, conditions=None):
        """copulas' ``sample``; unconditional draws stay in numpy until the end (stock reads
        each of a wide table's columns back out of a DataFrame, a Series per column)."""
        if conditions:
            return super().sample(num_rows, conditions=conditions)
        return self._sample_unconditional(num_rows)

    def _truncnorm_batch(self, method: str) -> tuple[list[int], list[np.ndarray]]:
        """Columns whose ``method`` is ``MomentTruncatedGaussian``'s own (a constant column
        has copulas' step function instead), with their a, b, loc and scale as arrays."""
        batch = [
            j
            for j, u in enumerate(self.univariates)
            if type(u) is MomentTruncatedGaussian and method not in vars(u)
        ]
        params = [self.univariates[j]._params for j in batch]
        return batch, [np.array([p[n] for p in params]) for n in ("a", "b", "loc", "scale")]

    @random_state
    def _sample_unconditional(self, num_rows):
        self.check_fit()
        uniform = special.ndtr(self._normal_draws(num_rows))  # stats.norm.cdf's values
        batch, params = self._truncnorm_batch("percent_point")
        values = np.empty_like(uniform)
        if batch:
            values[:, batch] = truncnorm_ppf(uniform[:, batch], *params)
        batched = set(batch)
        output = {}
        for j, (column, univariate) in enumerate(zip(self.columns, self.univariates, strict=True)):
            output[column] = (
                values[:, j] if j in batched else univariate.percent_point(uniform[:, j])
            )
        return pd.DataFrame(data=output)


def sampling_factor(correlation: np.ndarray) -> np.ndarray:
    """``F`` with ``F.T @ F == correlation``: rows ``z @ F`` of standard normals ``z`` are
    draws of N(0, correlation). Cholesky (a few ms for 900 columns, where numpy's
    ``multivariate_normal`` runs a full SVD each call); an eigen-decomposition with negative
    rounding clipped when the matrix is only semi-definite."""
    with serial_blas():
        try:
            return np.linalg.cholesky(correlation).T
        except np.linalg.LinAlgError:
            vals, vecs = np.linalg.eigh(correlation)
            return (vecs * np.sqrt(np.maximum(vals, 0.0))).T


class FastCopulaSynthesizer(GaussianCopulaSynthesizer):
    """GaussianCopulaSynthesizer on ``FastGaussianMultivariate``, preprocessed with one pass
    of RDT's transforms (``synth.preprocess``)."""

    def _initialize_model(self, numerical_distributions):
        return FastGaussianMultivariate(distribution=numerical_distributions)

    def _preprocess(self, data):
        if not self.metadata.tables:  # SDV's own error
            return super()._preprocess(data)
        return fit_transform(self._data_processor, data)


class MomentCopulaSynthesizer(FastCopulaSynthesizer):
    """``FastCopulaSynthesizer`` whose ``truncnorm`` is fitted by moments."""

    _DISTRIBUTIONS: ClassVar[dict] = {
        **GaussianCopulaSynthesizer._DISTRIBUTIONS,
        "truncnorm": MomentTruncatedGaussian,
    }


def univariate_parameters(synthesizer: GaussianCopulaSynthesizer) -> dict:
    """The ``univariates__<column>__<name>`` entries of ``synthesizer._get_parameters()``.

    HMA keeps only these (as fallbacks for invalid per-parent parameters); stock flattens the
    whole correlation matrix element by element first, which on a root table with hundreds of
    extended columns takes longer than fitting it.
    """
    model = synthesizer._model
    params = [u.to_dict() for u in model.univariates]
    return flatten_dict({"univariates": dict(zip(model.columns, params, strict=True))})
