"""``core.distributions.search_cdf`` / ``choice``: the guide-table inverse CDF must give the very
indices numpy gives (``searchsorted(side="right")``, ``Generator.choice(p=...)``), so generated
values do not change with the faster search."""

from __future__ import annotations

import numpy as np
import pytest

from synthgen_sdv.core.distributions import choice, search_cdf


@pytest.mark.parametrize("k", [1, 2, 3, 7, 24, 1095, 70_000])
def test_search_cdf_equals_numpy_searchsorted(k):
    rng = np.random.default_rng(k)
    p = rng.random(k) ** 4
    p[rng.random(k) < 0.3] = 0.0  # empty bins: repeated cdf values
    p[0] += 1e-12
    cdf = p.cumsum() / p.sum()
    x = np.concatenate(
        [
            rng.random(5000),
            cdf,  # exactly on the steps
            np.nextafter(cdf, 0.0),
            np.nextafter(cdf, 2.0),
            [0.0, 1.0, np.nextafter(1.0, 0.0), 1.5, -0.5],
        ]
    )
    assert np.array_equal(search_cdf(cdf, x), np.searchsorted(cdf, x, side="right"))


@pytest.mark.parametrize("k", [1, 2, 5, 24, 1000])
def test_choice_equals_numpy_generator_choice(k):
    weights = np.random.default_rng(k + 1).random(k) + 0.01
    p = weights / weights.sum()
    ours = choice(np.random.default_rng(7), k, 20_000, p)
    numpy_s = np.random.default_rng(7).choice(k, size=20_000, p=p)
    assert np.array_equal(ours, numpy_s)


def test_choice_refuses_probabilities_of_another_length():
    with pytest.raises(ValueError, match="3 probabilities for 4 choices"):
        choice(np.random.default_rng(0), 4, 10, np.array([0.2, 0.3, 0.5]))
