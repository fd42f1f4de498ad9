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


SHARE_COLUMNS = {
    "names": ["b", "a", None, "c", "a", np.nan, "b", "a"],
    "one value": ["x", "x", None],
    "numbers and text": [1, "a", 2.5, "a", 1],
    "same text": [1, "1", "1", 2],  # two values, one text: pandas decides the order
    "bools": [True, False, None, True],
    "no known value": [None, np.nan],
}


@pytest.mark.parametrize("case", sorted(SHARE_COLUMNS))
def test_category_shares_on_numpy_are_pandas_ones(case):
    """``learn_shares`` of an unordered category column: the values, their order and the
    shares of ``value_counts(normalize=True)`` sorted by text."""
    from synthgen_sdv.synth.marginals import _category_shares, learn_shares
    from synthgen_sdv.synth.treatment import ColumnTreatment

    column = pd.Series(SHARE_COLUMNS[case], dtype=object)
    treatment = ColumnTreatment("t", "c", "shares", "", {"unordered": True})
    learned = learn_shares({"t": pd.DataFrame({"c": column})}, [treatment])
    freq = column.dropna().value_counts(normalize=True)
    freq = freq.sort_index(key=lambda v: v.astype(str))
    assert [(s.values, s.shares) for s in learned] == [
        (tuple(freq.index.tolist()), tuple(map(float, freq)))
    ]
    assert [type(v) for v in learned[0].values] == [type(v) for v in freq.index.tolist()]
    assert (_category_shares(column) is None) == (case == "same text")
