"""The array closed forms of the truncated normal agree with scipy's, tails included."""

import numpy as np
import pandas as pd
import pytest
from scipy import stats

from synthgen_sdv.synth.fastmath import log_ndtr_diff, truncnorm_cdf, truncnorm_ppf

BOUNDS = [(-1, 1), (-5, 0.5), (2, 3), (10, 12), (-12, -10), (38, 39), (-0.1, 0.1), (-3, 30)]
QUANTILES = np.array([0, 1e-9, 1e-6, 0.01, 0.3, 0.5, 0.7, 0.99, 1 - 1e-6, 1 - 1e-9, 1.0])


@pytest.mark.parametrize(("a", "b"), BOUNDS)
def test_cdf_matches_scipy(a, b):
    x = np.concatenate([np.linspace(a, b, 41), [a - 1, b + 1]])
    got = truncnorm_cdf(x * 2.5 + 7, a, b, loc=7, scale=2.5)
    want = stats.truncnorm.cdf(x * 2.5 + 7, a, b, loc=7, scale=2.5)
    np.testing.assert_allclose(got, want, rtol=1e-9, atol=1e-12)


@pytest.mark.parametrize(("a", "b"), BOUNDS)
def test_ppf_matches_scipy_and_inverts_the_cdf(a, b):
    got = truncnorm_ppf(QUANTILES, a, b, loc=-3, scale=0.5)
    want = stats.truncnorm.ppf(QUANTILES, a, b, loc=-3, scale=0.5)
    np.testing.assert_allclose(got, want, rtol=1e-7, atol=1e-9)
    inner = (QUANTILES > 1e-3) & (QUANTILES < 1 - 1e-3)
    back = truncnorm_cdf(got[inner], a, b, loc=-3, scale=0.5)
    np.testing.assert_allclose(back, QUANTILES[inner], rtol=1e-9)


def test_per_element_parameters_broadcast_like_scipy():
    rng = np.random.default_rng(3)
    a = -rng.uniform(0, 4, 500)
    b = rng.uniform(0, 4, 500)
    loc, scale = rng.normal(size=500), rng.uniform(0.1, 3, 500)
    x = loc + scale * rng.uniform(a, b)
    np.testing.assert_allclose(
        truncnorm_cdf(x, a, b, loc, scale),
        stats.truncnorm.cdf(x, a, b, loc=loc, scale=scale),
        rtol=1e-9,
        atol=1e-12,
    )
    q = rng.uniform(size=500)
    np.testing.assert_allclose(
        truncnorm_ppf(q, a, b, loc, scale),
        stats.truncnorm.ppf(q, a, b, loc=loc, scale=scale),
        rtol=1e-9,
        atol=1e-12,
    )


def test_invalid_parameters_give_nan_as_scipy_does():
    assert np.isnan(truncnorm_cdf(0.0, 1.0, 1.0))  # empty interval
    assert np.isnan(truncnorm_cdf(0.0, -1.0, 1.0, scale=0.0))
    assert np.isnan(truncnorm_ppf(1.5, -1.0, 1.0))
    assert np.isnan(truncnorm_cdf(np.nan, -1.0, 1.0))


def test_far_tail_mass_does_not_cancel():
    # Phi(41) - Phi(40) is 0 in plain doubles; its log is about -804
    assert np.isfinite(log_ndtr_diff(40.0, 41.0))
    assert log_ndtr_diff(40.0, 41.0) == pytest.approx(stats.norm.logsf(40.0), rel=1e-9)
    assert log_ndtr_diff(1.0, 1.0) == -np.inf


def test_blas_controller_finds_every_blas_threadpoolctl_finds():
    from threadpoolctl import ThreadpoolController

    from synthgen_sdv.synth.fastmath import _controller

    def blas(controller):
        return sorted(c.filepath for c in controller.lib_controllers if c.user_api == "blas")

    assert blas(_controller()) == blas(ThreadpoolController())
    assert blas(_controller())  # numpy's own BLAS at least


@pytest.mark.parametrize("n", [1, 2, 3, 50, 1001, 8487])
def test_sorted_quantiles_are_numpys_bit_for_bit(n):
    from synthgen_sdv.synth.fastmath import sorted_quantiles

    rng = np.random.default_rng(n)
    p = np.linspace(0.0, 1.0, 1001)
    columns = [
        rng.normal(size=n),
        rng.integers(0, 30, n).astype(float),
        np.round(rng.gamma(2.0, 3.0, n), 1),
        np.full(n, 3.3),
        rng.lognormal(8, 2, n),
    ]
    for x in columns:
        assert np.array_equal(sorted_quantiles(np.sort(x), p), np.quantile(x, p))


def test_as_datetime_is_pd_to_datetime():
    import pandas as pd

    from synthgen_sdv.synth.fastmath import as_datetime

    stamps = pd.Series(
        pd.to_datetime(["2015-06-01 10:00:01", None, "1999-12-31 00:00:00"] * 20000),
        index=range(3, 60003),
        name="zeit",
    )
    for values, kwargs in [
        (stamps, {}),
        (stamps, {"errors": "coerce", "format": "%Y-%m-%d"}),
        (stamps, {"utc": True}),  # localized: pandas' own path
        (stamps.dt.strftime("%Y-%m-%d %H:%M:%S"), {"errors": "coerce", "format": "mixed"}),
        (stamps.astype("datetime64[us]"), {}),
    ]:
        got = as_datetime(values, **kwargs)
        pd.testing.assert_series_equal(got, pd.to_datetime(values, **kwargs))
        assert got is not values
    copy = as_datetime(stamps)
    copy.iloc[0] = pd.NaT  # a copy: the caller's column is left alone
    assert stamps.iloc[0] == pd.Timestamp("2015-06-01 10:00:01")


def test_pearson_is_pandas_corr_narrow_exactly_and_wide_to_rounding(monkeypatch):
    """Below ``WIDE_CORRELATION`` pandas' own numbers; above, one matrix product equal to
    them within 1e-13, with NaN for a constant column where pandas has it."""
    from synthgen_sdv.synth import fastmath

    rng = np.random.default_rng(4)
    values = rng.normal(size=(300, 60))
    values[:, 5] = 3.0  # constant
    values[:, 7] = values[:, 6] * -2.0  # perfectly (anti-)correlated
    want = pd.DataFrame(values).corr().to_numpy()
    assert np.array_equal(fastmath.pearson(values), want, equal_nan=True)
    monkeypatch.setattr(fastmath, "WIDE_CORRELATION", 0)
    got = fastmath.pearson(values)
    assert np.array_equal(np.isnan(got), np.isnan(want))
    np.testing.assert_allclose(got, want, rtol=0, atol=1e-13)
    assert got[7, 6] == pytest.approx(-1.0, abs=1e-15)
