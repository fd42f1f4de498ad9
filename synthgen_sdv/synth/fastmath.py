"""Closed forms of the truncated normal on whole arrays, without scipy's per-call machinery.

``scipy.stats.truncnorm.cdf`` / ``.ppf`` check and broadcast their arguments and work through
``logsumexp`` per element; on the copulas of a small database (hundreds of columns, a few
hundred rows each) that overhead is most of the fit. These use ``scipy.special.ndtr`` /
``log_ndtr`` / ``ndtri`` directly and stay accurate in both tails: a difference of two normal
CDFs is taken on the side of zero where both terms are small (``Phi(-lo) - Phi(-hi)`` when
``lo > 0``), in log space, so a truncation interval far out in a tail does not cancel to 0.
``tests/synth/test_fastmath.py`` checks them against scipy over the tails and the middle.
``sorted_quantiles`` is ``np.quantile`` of sorted values without numpy's partition step.
``as_datetime`` is ``pd.to_datetime`` without its per-value cache check on datetime input.
"""

from __future__ import annotations

import contextlib
import functools
from collections.abc import Iterator

import numpy as np
import pandas as pd
from numpy.lib import _function_base_impl as _np_quantile
from scipy import special
from threadpoolctl import ThreadpoolController

#: file-name parts of the libraries a BLAS can be loaded as (symlinks such as liblapack.so.3
#: to OpenBLAS included): the only ones ``serial_blas`` limits
_BLAS_NAMES = (b"blas", b"mkl", b"blis", b"lapack")


class _BlasController(ThreadpoolController):
    """threadpoolctl's controller, looking only at libraries whose name can be a BLAS.

    The stock one resolves the real path of every library the process has loaded (about
    300 with torch's; 12 ms in a fresh process, as much as fitting a small table); a BLAS
    is found the same way among the few whose name says it may be one."""

    def _find_libraries_with_linux(self):
        with open("/proc/self/maps", "rb") as f:
            maps = f.read()
        for path in set(self._PATH_RE.findall(maps)):
            if any(name in path.rsplit(b"/", 1)[-1].lower() for name in _BLAS_NAMES):
                self._make_controller_from_path(path.decode("utf-8"))


@functools.cache
def _controller() -> ThreadpoolController:
    if hasattr(ThreadpoolController, "_PATH_RE") and hasattr(
        ThreadpoolController, "_find_libraries_with_linux"
    ):
        return _BlasController()  # scans the loaded BLAS libraries once
    return ThreadpoolController()


@contextlib.contextmanager
def serial_blas() -> Iterator[None]:
    """One BLAS thread for small dense decompositions (a copula's correlation matrix).

    A 300x300 SVD on two OpenBLAS threads costs about 6x the CPU of one thread on this
    2-core machine (and is slower in wall time when other work shares it); the result
    also stops depending on how many threads the machine's BLAS happens to use.
    """
    with _controller().limit(limits=1, user_api="blas"):
        yield


def log_ndtr_diff(lo: np.ndarray, hi: np.ndarray) -> np.ndarray:
    """``log(Phi(hi) - Phi(lo))`` for ``lo <= hi`` (``-inf`` where they are equal)."""
    lo, hi = np.broadcast_arrays(np.asarray(lo, float), np.asarray(hi, float))
    flip = lo > 0  # both in the right tail: the same mass, mirrored to the left
    small = np.where(flip, -hi, lo)
    large = np.where(flip, -lo, hi)
    log_large = special.log_ndtr(large)
    with np.errstate(divide="ignore", invalid="ignore"):
        out = log_large + np.log(-np.expm1(special.log_ndtr(small) - log_large))
    return np.where(hi > lo, out, -np.inf)


def truncnorm_cdf(x, a, b, loc=0.0, scale=1.0) -> np.ndarray:
    """``scipy.stats.truncnorm.cdf(x, a, b, loc, scale)`` (``a``, ``b`` in standard units)."""
    a, b = np.asarray(a, float), np.asarray(b, float)
    with np.errstate(divide="ignore", invalid="ignore", over="ignore"):
        xi = (np.asarray(x, float) - loc) / scale
        xc = np.clip(xi, a, b)
        out = np.exp(log_ndtr_diff(a, xc) - log_ndtr_diff(a, b))
    out = np.clip(out, 0.0, 1.0)
    out = np.where(xi >= b, 1.0, out)
    out = np.where(xi <= a, 0.0, out)
    bad = ~((a < b) & (scale > 0)) | np.isnan(xi)
    return np.where(bad, np.nan, out)


def truncnorm_ppf(q, a, b, loc=0.0, scale=1.0) -> np.ndarray:
    """``scipy.stats.truncnorm.ppf(q, a, b, loc, scale)`` (``a``, ``b`` in standard units).

    Solved on whichever side of the median ``q`` falls, in the tail where ``Phi`` is small
    (``Phi(x) = Phi(a) + q D`` or ``Phi(-x) = Phi(-b) + (1 - q) D``), so quantiles near either
    bound keep their precision; mirrored when the interval lies right of zero.
    """
    q = np.asarray(q, float)
    a, b = np.asarray(a, float), np.asarray(b, float)
    q, a, b = np.broadcast_arrays(q, a, b)
    flip = a > 0
    qq = np.where(flip, 1.0 - q, q)
    lo, hi = np.where(flip, -b, a), np.where(flip, -a, b)
    log_mass = log_ndtr_diff(lo, hi)
    with np.errstate(divide="ignore", invalid="ignore", over="ignore"):
        # log(Phi(lo) + qq * D) and log(Phi(-hi) + (1 - qq) * D), without leaving log space
        lower = np.logaddexp(special.log_ndtr(lo), np.log(qq) + log_mass)
        upper = np.logaddexp(special.log_ndtr(-hi), np.log1p(-qq) + log_mass)
        x = np.where(lower <= upper, special.ndtri_exp(lower), -special.ndtri_exp(upper))
    x = np.where(qq <= 0, lo, np.where(qq >= 1, hi, x))
    x = np.clip(np.where(flip, -x, x), a, b)
    bad = ~((a < b) & (q >= 0) & (q <= 1) & (np.asarray(scale) > 0))
    return np.where(bad, np.nan, loc + scale * x)


def stock_nearest_correlation(mats: np.ndarray) -> np.ndarray:
    """Batched copy of GaussianCopulaSynthesizer._get_nearest_correlation_matrix (HMA's
    per-parent correlations made valid as stock makes each one, for all parents at once)."""
    mats = mats.copy()
    eye = np.eye(mats.shape[-1])
    vals, vecs = np.linalg.eigh(mats)
    todo = np.flatnonzero((vals < 0).any(axis=1))
    iterations = 0
    while todo.size:
        v = np.maximum(vals[todo], 0.0)
        m = np.einsum("pij,pj,pkj->pik", vecs[todo], v, vecs[todo])
        if iterations >= 10:
            mats[todo] = m
            break
        m = m - m * eye + eye
        mx = np.abs(m).max(axis=(1, 2))
        m = np.where((mx > 1)[:, None, None], m / mx[:, None, None], m)
        mats[todo] = m
        vals[todo], vecs[todo] = np.linalg.eigh(m)
        todo = todo[(vals[todo] < 0).any(axis=1)]
        iterations += 1
    return mats


#: rows x columns^2 above which ``pearson`` takes one matrix product instead of pandas' loop
#: (about half a second of that loop here: a table with many children's parameters)
WIDE_CORRELATION = 10**8


def pearson(values: np.ndarray) -> np.ndarray:
    """``pd.DataFrame(values).corr()`` of a matrix without missing values: pandas' own
    pairwise loop below ``WIDE_CORRELATION``, one BLAS product above it (the same to about
    1e-15; NaN for a constant column, as pandas gives). pandas' loop does rows x columns^2
    scalar steps: 60 s for the 3,300 columns a parent of an 80-column child has under HMA."""
    rows, k = values.shape
    if rows * k * k <= WIDE_CORRELATION:
        return pd.DataFrame(values).corr().to_numpy()
    centered = values - values.mean(axis=0)
    squares = np.einsum("ij,ij->j", centered, centered)
    with np.errstate(divide="ignore", invalid="ignore"):
        out = (centered.T @ centered) / np.sqrt(np.outer(squares, squares))
    out[squares == 0, :] = np.nan
    out[:, squares == 0] = np.nan
    return out


def sorted_quantiles(s: np.ndarray, p: np.ndarray) -> np.ndarray:
    """``np.quantile(s, p)`` (method "linear", bit for bit) of an already sorted ``s``.

    numpy partitions around two indexes per probability, which for 1,001 knots costs up to
    10x a sort (on a real 22k-row table 8 ms a column, a fifth of fitting it); with the
    values sorted once, numpy's own index and interpolation steps give the same floats."""
    try:
        method = _np_quantile._QuantileMethods["linear"]
        virtual = method["get_virtual_index"](len(s), p)
        lower, upper = _np_quantile._get_indexes(s, virtual, len(s))
        gamma = _np_quantile._get_gamma(virtual, lower, method)
        return np.asarray(_np_quantile._lerp(s[lower], s[upper], gamma))
    except (AttributeError, KeyError, TypeError):  # another numpy: its public path
        return np.quantile(s, p)


def as_datetime(values, **kwargs) -> pd.Series:
    """``pd.to_datetime(values, **kwargs)``; a tz-naive ``datetime64[ns]`` Series (without
    ``utc``) comes back as a copy, which is what ``pd.to_datetime`` returns for it after a
    cache check that builds a Timestamp per value of the first 10,000 (on bike_1's dates,
    about a tenth of fit + sample)."""
    if isinstance(values, pd.Series) and values.dtype == "datetime64[ns]" and not kwargs.get("utc"):
        return values.copy()
    return pd.to_datetime(values, **kwargs)
