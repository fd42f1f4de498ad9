"""``fast_rounding.learn_rounding_digits`` answers as RDT's, on every kind of column."""

import numpy as np
import pandas as pd
import pytest
from rdt.transformers import numerical as rdt_numerical
from rdt.transformers import utils as rdt_utils
from sdv.data_processing import numerical_formatter

from synthgen_sdv.synth.fast_rounding import fast_rounding, learn_rounding_digits

rng = np.random.default_rng(3)
CASES = {
    "ints": pd.Series([1, 20, 300]),
    "zeros": pd.Series([0, 0]),
    "negative ints": pd.Series([-5, 3, -1000000]),
    "unsigned": pd.Series(np.array([1, 7], dtype=np.uint16)),
    "cents": pd.Series([1.25, 3.5, 10.0, None]),
    "whole floats": pd.Series([1.0, 2.0, np.nan]),
    "six decimals": pd.Series(np.round(rng.normal(size=50) * 100, 6)),
    "no scheme": pd.Series(rng.normal(size=50)),
    "large": pd.Series([1e14 + 0.5, 3.0]),
    "infinite": pd.Series([np.inf, -np.inf, 1.5]),
    "only infinite and null": pd.Series([np.inf, np.nan]),
    "empty": pd.Series([], dtype=float),
    "one row": pd.Series([0.001]),
    "float32": pd.Series(np.array([0.5, 1.25], dtype=np.float32)),
    "object numbers": pd.Series([1.5, 2, None], dtype=object),
    "nullable": pd.Series([1, None, 3], dtype="Int64"),
    "bool": pd.Series([True, False]),
    "tiny": pd.Series([1e-20, 2e-20]),
}


@pytest.mark.parametrize("case", sorted(CASES))
def test_same_decimals_as_rdt(case):
    data = CASES[case]
    assert learn_rounding_digits(data.copy()) == rdt_utils.learn_rounding_digits(data.copy())


def test_in_force_only_inside_the_block():
    with fast_rounding():
        with fast_rounding():
            assert rdt_numerical.learn_rounding_digits is learn_rounding_digits
        assert numerical_formatter.learn_rounding_digits is learn_rounding_digits
    assert rdt_numerical.learn_rounding_digits is rdt_utils.learn_rounding_digits
    assert numerical_formatter.learn_rounding_digits is rdt_utils.learn_rounding_digits
