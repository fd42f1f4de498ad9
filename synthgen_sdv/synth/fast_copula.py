"""The per-table Gaussian copula of the fast HMA, without the work copulas does twice.

On a small database (pubs: 11 tables, 255 rows) the fixed cost of each table's copula is most
of the run: every extended column's ``truncnorm`` goes through scipy's generic ``cdf``/``ppf``
(argument checks, ``logsumexp`` per element), and every ``sample`` call re-runs an SVD of the
correlation matrix (numpy's ``multivariate_normal``) that did not change since ``fit``. Here:

* ``MomentTruncatedGaussian``: ``loc``/``scale`` fitted by moments (not SLSQP), its CDF and
  inverse in closed form on the whole column (``synth.fastmath``);
* ``FastGaussianMultivariate``: the SVD factor of the correlation is computed once and reused;
  the draw is ``standard_normal @ factor``, exactly what ``multivariate_normal`` does, so the
  samples are the same bytes for the same seed and factor. Its decompositions (that SVD and
  the condition number checked at fit) run on one BLAS thread (``fastmath.serial_blas``).
"""

from __future__ import annotations

from typing import ClassVar

import numpy as np
import pandas as pd
from copulas.multivariate import GaussianMultivariate
from copulas.univariate import TruncatedGaussian
from sdv.single_table import GaussianCopulaSynthesizer
from sdv.single_table.utils import flatten_dict

from synthgen_sdv.synth.fastmath import serial_blas, truncnorm_cdf, truncnorm_ppf

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


class FastGaussianMultivariate(GaussianMultivariate):
    """GaussianMultivariate whose unconditional draws reuse one factor of the correlation."""

    _factor: tuple | None = None

    def _get_correlation(self, X):
        with serial_blas():  # its condition number is an SVD of the matrix
            return super()._get_correlation(X)

    def __getstate__(self):
        """Pickled without the cached factor (recomputed on the first draw)."""
        state = self.__dict__.copy()
        state.pop("_factor", None)
        return state

    def _get_normal_samples(self, num_rows, conditions):
        if conditions is not None:
            return super()._get_normal_samples(num_rows, conditions)
        correlation = self.correlation
        if self._factor is None or self._factor[0] is not correlation:
            cov = np.asarray(correlation, dtype=float)
            with serial_blas():
                _, s, v = np.linalg.svd(cov)  # as numpy's multivariate_normal factors it
            self._factor = (correlation, np.sqrt(s)[:, None] * v)
        factor = self._factor[1]
        x = np.random.standard_normal((num_rows, factor.shape[0]))
        x = np.dot(x, factor)
        x += np.zeros(factor.shape[0])  # the mean, added as numpy adds it (same bytes)
        return pd.DataFrame(x, columns=self.columns)


class FastCopulaSynthesizer(GaussianCopulaSynthesizer):
    """GaussianCopulaSynthesizer on ``FastGaussianMultivariate``."""

    def _initialize_model(self, numerical_distributions):
        return FastGaussianMultivariate(distribution=numerical_distributions)


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
