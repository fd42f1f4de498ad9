"""A conditional column's cases, read from a parent column by codes (``ExpressionEnv.codes``:
factorized on the parent's rows, or a kept categorical's codes), must pick the same case for
every row as reading the parent's values at this table's rows does."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

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
