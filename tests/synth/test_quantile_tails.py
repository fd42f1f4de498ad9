"""Scores beyond the data's reach (HMA's inflated per-parent spreads) do not pile up on a
continuous column's minimum or maximum (issue 10, item 3: clipped tails keep their shares)."""

from __future__ import annotations

import numpy as np
import pandas as pd
from scipy import special

from synthgen_sdv.synth.treatment import QuantileNormalizer


def _roundtrip(z: np.ndarray, seed: int = 0) -> tuple[pd.Series, pd.Series]:
    rng = np.random.default_rng(seed)
    real = pd.DataFrame({"w": rng.lognormal(3, 1, 200).round(2)})
    t = QuantileNormalizer()
    t.fit(real, "w")
    return real["w"], t.reverse_transform(pd.DataFrame({"w": z}))["w"]


def test_no_value_of_a_continuous_column_exceeds_twice_its_share_plus_a_point():
    z = np.random.default_rng(1).normal(0, 4, 20_000)  # four times the spread of the data
    real, synthetic = _roundtrip(z)
    real_share = real.value_counts(normalize=True)
    excess = synthetic.value_counts(normalize=True) - 2 * real_share.reindex(
        synthetic.unique(), fill_value=0.0
    )
    assert excess.max() <= 0.01, excess.sort_values().tail(3)
    assert real.min() <= synthetic.min() and synthetic.max() <= real.max()  # still in range


def test_scores_within_reach_map_through_the_real_quantiles_unchanged():
    z = np.linspace(-2, 2, 101)  # inside what 200 real values reach (|z| < 2.81)
    real, synthetic = _roundtrip(z)
    expected = np.interp(
        special.ndtr(z),
        np.linspace(0, 1, 1001),
        np.quantile(real, np.linspace(0, 1, 1001)),
    )
    assert np.allclose(synthetic.to_numpy(), np.round(expected, 2), atol=0.011)


def test_the_same_scores_give_the_same_values():
    z = np.random.default_rng(2).normal(0, 3, 1000)
    assert _roundtrip(z)[1].equals(_roundtrip(z)[1])
