"""A conditional column's cases, read from a parent column by codes (``ExpressionEnv.codes``:
factorized on the parent's rows, or a kept categorical's codes), must pick the same case for
every row as reading the parent's values at this table's rows does."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pyarrow as pa
import pytest

from synthgen_sdv.core.values import take
from synthgen_sdv.generate.chunk import ExpressionEnv
from synthgen_sdv.kinds.conditional import _named, case_codes

PARENTS = [
    pd.Series(pd.Categorical(["a", "b", None, "a"])),
    pd.Series([1.0, np.nan, 2.0, 1.0]),
    pd.Series(pd.array(["x", None, "y", "x"], dtype="string[pyarrow]")),
    pd.Series([True, False, True, True]),
    pd.Series(pd.array([1, None, 2, 1], dtype="Int64")),
]


def _env(values: pd.Series, pos: list[int], nulls: np.ndarray | None) -> ExpressionEnv:
    env = ExpressionEnv.__new__(ExpressionEnv)  # only the parent lookup is exercised
    env.own, env._cache = {}, {}
    env.parents = {"p": ({"c": values}, np.array(pos), nulls)}
    return env


@pytest.mark.parametrize("values", PARENTS)
@pytest.mark.parametrize("pos", [[0, 1, 2, 3, 1, 0], [3, 3, 0, 2, 2]])
@pytest.mark.parametrize("with_nulls", [False, True])
def test_cases_by_parent_codes_equal_cases_by_values(values, pos, with_nulls):
    nulls = (np.arange(len(pos)) % 3 == 1) if with_nulls else None
    env = _env(values, pos, nulls)
    known = env.codes("p.c")
    if known is None:  # no cheaper way: the caller reads the values
        assert with_nulls and not isinstance(values.dtype, pd.CategoricalDtype)
        return
    fast_codes, fast_names = _named(known)
    codes, names = case_codes(env["p.c"], len(pos))
    fast = np.array(fast_names, dtype=object)[fast_codes]
    slow = np.array(names, dtype=object)[codes]
    assert fast.tolist() == slow.tolist()


def test_own_columns_and_large_parents_are_read_as_values():
    env = _env(pd.Series(np.arange(100.0)), [0, 1], None)
    assert env.codes("p.c") is None  # 100 parent rows for 2 rows: factorizing is no cheaper
    env.own["q"] = pd.Series([1, 2])
    assert env.codes("q") is None


SUBSET_PARENTS = [
    *PARENTS,
    pd.Series([1, 2, 3, 4], dtype=np.int64),
    pd.Series(pd.to_datetime(["2020-01-01", "2021-02-03", "2022-03-04", "2023-04-05"])),
    pd.Series(pd.arrays.ArrowExtensionArray(pa.chunked_array([["u", "v"], ["w", None]]))),
]


@pytest.mark.parametrize("values", SUBSET_PARENTS)
@pytest.mark.parametrize("idx", [[0, 2, 4], [1, 4], [5], []])
@pytest.mark.parametrize("nulls", [None, "none", "some"])
def test_parent_rows_taken_at_a_subset_equal_the_subset_of_the_whole(values, idx, nulls):
    """``ExpressionEnv.at`` (a conditional's case reads its rows of a parent's column, taken
    once) gives the values and the dtype of taking the whole column at this table's rows,
    nulls put in, and then the case's rows, as before; with null keys in rows the case does
    not read too (the dtype is then still the nullable one)."""
    pos = [0, 1, 2, 3, 1, 0]
    mask = {
        None: None,
        "none": np.zeros(len(pos), dtype=bool),
        "some": np.arange(len(pos)) % 3 == 1,
    }[nulls]
    env = _env(values, pos, mask)
    rows = np.array(idx, dtype=np.int64)
    fast = env.at("p.c", rows)
    slow = take(_env(values, pos, mask)["p.c"], rows)
    assert fast.dtype == slow.dtype
    assert isinstance(fast.index, pd.RangeIndex) and len(fast) == len(rows)
    pd.testing.assert_series_equal(fast, slow)
