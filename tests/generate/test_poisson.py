"""``core.poisson``: the table sampler draws from exactly numpy's (and scipy's) Poisson law, for
means on and off its grid, at its edges and past them (numpy's own draws), per row; the same
seed gives the same values; NaN and negative means behave as with numpy."""

from __future__ import annotations

import numpy as np
import pytest
from scipy import stats

from synthgen_sdv.core import poisson as pm
from synthgen_sdv.core.distributions import draw
from synthgen_sdv.core.poisson import poisson

LAMS = [0.0, 1e-12, 0.01, 0.4, 1.0, 2.2, 1 / 32, 3 + 31 / 32, 9.99, 10.0, 15.99, 16.0, 100.0]


def _chi2_pvalue(values: np.ndarray, lam: float) -> float:
    """Chi-square of the counts against scipy's pmf, cells merged to expect >= 20 each."""
    n = len(values)
    hi = int(stats.poisson.ppf(1 - 1e-9, lam)) + 1 if lam > 0 else 1
    lo = int(stats.poisson.ppf(1e-9, lam))
    edges = np.arange(lo, hi + 1)
    expected = np.diff(stats.poisson.cdf(np.concatenate([[lo - 1], edges]), lam)) * n
    expected[0] += stats.poisson.cdf(lo - 1, lam) * n
    expected[-1] += stats.poisson.sf(hi, lam) * n
    observed = np.bincount(np.clip(values, lo, hi) - lo, minlength=len(edges)).astype(float)
    obs, exp, o, e = [], [], 0.0, 0.0  # merge small cells left to right
    for oi, ei in zip(observed, expected, strict=True):
        o, e = o + oi, e + ei
        if e >= 20:
            obs.append(o), exp.append(e)
            o, e = 0.0, 0.0
    if exp:
        obs[-1] += o
        exp[-1] += e
    else:
        obs, exp = [o], [e]
    if len(exp) < 2:  # one cell (a mean ~0): every draw must be that value
        return 1.0 if observed[0] == n else 0.0
    return float(stats.chisquare(obs, np.asarray(exp) * sum(obs) / sum(exp)).pvalue)


@pytest.mark.parametrize("lam", LAMS)
def test_one_mean_follows_scipy_poisson(lam):
    values = poisson(np.random.default_rng(11), lam, 200_000)
    assert values.dtype == np.int64
    assert _chi2_pvalue(values, lam) > 1e-4


def test_a_mean_per_row_follows_each_rows_law():
    """Means interleaved row by row (across the 2^15-row blocks): each mean's rows alone."""
    lams = np.array(LAMS)
    rng = np.random.default_rng(5)
    which = rng.integers(0, len(lams), 1_300_000)
    values = poisson(rng, lams[which], len(which))
    for i, lam in enumerate(lams):
        assert _chi2_pvalue(values[which == i], lam) > 1e-4, lam
    # and a continuous spread of means: their sum and variance match
    lam = rng.uniform(0, 20, 400_000)
    drawn = poisson(rng, lam, len(lam))
    z = (drawn.sum() - lam.sum()) / np.sqrt(lam.sum())
    assert abs(z) < 4
    assert abs(((drawn - lam) ** 2).sum() / lam.sum() - 1) < 0.01


def test_huge_means_are_numpys_draws():
    lam = 1e12
    values = poisson(np.random.default_rng(3), lam, 100_000)
    z = (values.mean() - lam) / np.sqrt(lam / len(values))
    assert abs(z) < 4
    assert abs(values.var() / lam - 1) < 0.02
    assert stats.kstest((values - lam) / np.sqrt(lam), "norm").pvalue > 1e-4


def test_the_table_is_scipys_cdf():
    _, ext = pm.tables()
    grid = np.arange(pm.LMAX * pm.H + 1) / pm.H
    cdf = ext.reshape(len(grid), pm.KW + 1)[:, :-1]
    exact = stats.poisson.cdf(np.arange(pm.KW)[None, :], grid[:, None])
    assert np.abs(cdf - exact).max() < 1e-14


@pytest.mark.parametrize("lam", [0.0, 0.5, 1.5, 2 + 3 / 32, 7.25, 15 + 31 / 32])
def test_lookup_is_searchsorted_of_the_cdf_at_every_step(lam):
    """On the grid (no Poisson(d) part), the value is numpy's searchsorted(cdf, u, 'right') for
    every u, bucket edges and the CDF's own steps (and their neighbours) included."""
    _, ext = pm.tables()
    g = int(lam * pm.H)
    cdf = ext[g * (pm.KW + 1) : (g + 1) * (pm.KW + 1) - 1]
    steps = cdf[cdf < 1.0]
    edges = np.arange(pm.B) / pm.B
    u = np.concatenate(
        [
            np.random.default_rng(1).random(50_000),
            steps,
            np.nextafter(steps, 0.0),
            np.nextafter(steps, 1.0),
            edges,
            np.nextafter(edges[1:], 0.0),
            [0.0, np.nextafter(1.0, 0.0)],
        ]
    )
    u = u[u < 1.0]
    out = np.empty(len(u), dtype=np.int64)
    big = pm._block(np.full(len(u), lam), u, np.zeros(len(u)), out)
    assert big.size == 0
    assert np.array_equal(out, np.searchsorted(cdf, u, side="right"))


def test_same_seed_same_values_and_numpys_rows_in_order():
    lam = np.tile([0.3, 17.0, 2.0, 1e9, 5.5], 20_000)
    a = poisson(np.random.default_rng(9), lam, len(lam))
    b = poisson(np.random.default_rng(9), lam, len(lam))
    assert np.array_equal(a, b)
    assert poisson(np.random.default_rng(9), 1.0, 0).shape == (0,)


def test_nan_and_negative_means_as_numpy():
    rng = np.random.default_rng(0)
    for lam in (np.nan, -0.01, -1.0, np.array([1.0, -1e-300, 2.0]), np.array([1.0, np.nan])):
        with pytest.raises(ValueError, match="lam"):
            poisson(rng, lam, np.size(lam) if np.ndim(lam) else 3)
    assert np.array_equal(poisson(rng, -0.0, 4), np.zeros(4, dtype=np.int64))
    # through the distribution: a null mean gives a null draw, a negative one means 0
    values = draw("poisson", rng, {"lam": np.array([np.nan, -5.0, 0.0, 3.0])}, 4, True)
    assert np.isnan(values[0])
    assert values[1] == 0 and values[2] == 0
