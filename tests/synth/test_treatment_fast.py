"""``treatment._correlation_ratio`` on numpy arrays equals its pandas code, bit for bit."""

import math

import numpy as np
import pandas as pd
import pytest

from synthgen_sdv.synth.treatment import _correlation_ratio, _correlation_ratio_codes


def _both(categories: pd.Series, values: pd.Series) -> tuple[float, float]:
    codes = pd.factorize(categories)[0]
    assert _correlation_ratio_codes(categories, values, codes) is not None  # the fast path
    return _correlation_ratio(categories, values), _correlation_ratio(categories, values, codes)


def _equal(a: float, b: float) -> bool:
    return (math.isnan(a) and math.isnan(b)) or a == b


rng = np.random.default_rng(5)
N = 500
CASES = {
    "strings": (pd.Series(rng.choice(["a", "b", "c", "d"], N)), pd.Series(rng.normal(size=N))),
    "nulls in both": (
        pd.Series(rng.choice(["a", "b", None, "c"], N)),
        pd.Series(np.where(rng.random(N) < 0.2, np.nan, rng.exponential(size=N) * 1e3)),
    ),
    "ints": (pd.Series(rng.choice([True, False], N)), pd.Series(rng.integers(0, 50, N))),
    "categorical dtype": (
        pd.Series(pd.Categorical(rng.choice(["x", "y", "z"], N), categories=["z", "y", "x", "w"])),
        pd.Series(rng.normal(size=N) * 0.1 + 3),
    ),
    "mixed objects": (
        pd.Series(rng.choice(np.array([1, "1", 2.5, None, "b"], dtype=object), N)),
        pd.Series(rng.normal(size=N)),
    ),
    "one row": (pd.Series(["a"]), pd.Series([1.0])),
    "three rows": (pd.Series(["a", "a", "b"]), pd.Series([1.0, 2.0, 7.0])),
    "as many categories as rows": (pd.Series(list("abcdef")), pd.Series(np.arange(6.0))),
    "constant": (pd.Series(rng.choice(["a", "b"], N)), pd.Series(np.full(N, 0.1))),
    "all null categories": (pd.Series([None] * 10, dtype=object), pd.Series(np.arange(10.0))),
    "infinite": (
        pd.Series(rng.choice(["a", "b"], 20)),
        pd.Series(np.r_[np.inf, rng.normal(size=19)]),
    ),
    "large and small": (
        pd.Series(rng.choice(["a", "b", "c"], N)),
        pd.Series(rng.normal(size=N) * 10.0 ** rng.integers(-8, 12, N)),
    ),
    "index not a range": (
        pd.Series(rng.choice(["a", "b"], 30), index=np.arange(30) * 7 + 3),
        pd.Series(rng.normal(size=30), index=np.arange(30) * 7 + 3),
    ),
    "dates as categories": (
        pd.Series(pd.to_datetime(rng.choice(["2020-01-01", "2021-05-05", None], 40))),
        pd.Series(rng.normal(size=40)),
    ),
}


@pytest.mark.parametrize("case", sorted(CASES))
def test_fast_equals_pandas(case):
    categories, values = CASES[case]
    slow, fast = _both(categories, values)
    assert _equal(slow, fast), (slow, fast)


@pytest.mark.parametrize("seed", range(20))
def test_fast_equals_pandas_random(seed):
    r = np.random.default_rng(seed)
    n = int(r.integers(1, 400))
    k = int(r.integers(1, 30))
    categories = pd.Series(r.integers(0, k, n).astype(str)).where(r.random(n) > 0.1)
    values = pd.Series(r.standard_t(3, n)).where(r.random(n) > 0.1)
    slow, fast = _both(categories, values)
    assert _equal(slow, fast), (slow, fast)


def test_falls_back_where_rows_do_not_match_by_position():
    cats = pd.Series(["a", "b", "a", "b"], index=[0, 0, 1, 1])
    vals = pd.Series([1.0, 2.0, 3.0, 5.0], index=[0, 0, 1, 1])
    assert _correlation_ratio_codes(cats, vals, pd.factorize(cats)[0]) is None
    other = pd.Series([1.0, 2.0, 3.0, 5.0], index=[3, 2, 1, 0])
    assert _correlation_ratio_codes(cats.reset_index(drop=True), other, np.zeros(4)) is None
    nullable = pd.Series([1, 2, None, 4], dtype="Int64")
    assert _correlation_ratio_codes(cats, nullable, np.zeros(4, dtype=np.intp)) is None
