"""``DiscreteShares._rank_keys`` (one dict lookup per distinct value) equals its per-row
code, on every kind of column the copula gives back."""

import numpy as np
import pandas as pd
import pytest

from synthgen_sdv.synth.marginals import DiscreteShares


def _reference(shares: DiscreteShares, sampled: pd.Series) -> np.ndarray:
    numeric = pd.to_numeric(sampled, errors="coerce")
    if shares.numeric and numeric.notna().all():
        return numeric.to_numpy(dtype=float)
    position = {v: i for i, v in enumerate(shares.values)}
    return np.array([position.get(v, np.inf) for v in sampled], dtype=float)


CASES = {
    "strings": (("lo", "mid", "hi"), pd.Series(["hi", "lo", "x", "mid", "hi"]), False),
    "numbers as categories": ((3, 1, 2), pd.Series([1, 2, 3, 3, 7]), False),
    "floats matching ints": ((1, 2), pd.Series([1.0, 2.0, 2.5]), False),
    "bools": ((False, True), pd.Series([True, False, True]), False),
    "bools and ints": ((1, 0), pd.Series([True, False], dtype=object), False),
    "mixed objects": ((1, "1", 2.5), pd.Series([1, "1", 2.5, "2.5", 1.0], dtype=object), False),
    "numeric column of numbers": ((1.0, 2.0), pd.Series([2.0, 1.0, 1.5]), True),
    "numeric column of text": (("1", "2", "a"), pd.Series(["2", "a", "1"]), True),
    "dates": (
        (pd.Timestamp("2020-01-01"), pd.Timestamp("2021-01-01")),
        pd.Series(pd.to_datetime(["2021-01-01", "2020-01-01", "2022-01-01"])),
        False,
    ),
    "categorical dtype": (("b", "a"), pd.Series(pd.Categorical(["a", "b", "c", "a"])), False),
    "one row": (("a",), pd.Series(["a"]), False),
    "empty": (("a",), pd.Series([], dtype=object), False),
    "unsigned": ((5, 6), pd.Series(np.array([6, 5, 9], dtype=np.uint8)), False),
}


@pytest.mark.parametrize("case", sorted(CASES))
def test_rank_keys_equal_the_per_row_lookup(case):
    values, sampled, numeric = CASES[case]
    shares = DiscreteShares("t", "c", values, tuple(1 / len(values) for _ in values), numeric)
    expected = _reference(shares, sampled)
    got = shares._rank_keys(sampled)
    assert got.dtype == expected.dtype and np.array_equal(got, expected)
