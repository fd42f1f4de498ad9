"""``fast_rounding.learn_rounding_digits`` answers as RDT's, on every kind of column."""

from contextlib import nullcontext

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


COLUMNS = {
    "plain": pd.Series([-3.5, 0.25, 7.0, 12.5], name="x"),
    "nulls and infinities": pd.Series([np.nan, -np.inf, 2.0, np.inf, -0.0], index=[5, 3, 9, 1, 0]),
    "empty": pd.Series([], dtype=float),
    "ints": pd.Series([1, 5, 9]),
    "int64 extremes": pd.Series(np.array([-(2**63), 0, 2**63 - 1], dtype=np.int64)),
    "object": pd.Series([1.5, None, 4.0], dtype=object),
    "nullable": pd.Series([1.5, None, 4.0], dtype="Float64"),
}
BOUNDS = {
    "floats": (0.0, 7.5),
    "reversed": (7.5, 0.0),
    "numpy ints": (np.int64(1), np.int64(6)),
    "huge int": (np.int64(2**62 + 1), None),
    "null bound": (np.nan, 3.0),
    "none": (None, None),
    "float32": (np.float32(0.1), np.float32(6.3)),
    "negative zero": (-0.0, 0.0),
    "bool": (False, True),
    "NaT": (pd.NaT, 2.0),
    "python ints": (2, 8),
    "whole floats": (2.0, 8.0),
    "int64 range": (-(2**63), 2**63 - 1),
    "beyond int64": (-(2**64), 2**64),
}


@pytest.mark.parametrize("bounds", sorted(BOUNDS))
@pytest.mark.parametrize("column", sorted(COLUMNS))
def test_clip_is_pandas_clip(column, bounds):
    """``fast_rounding.clip`` gives what ``Series.clip`` gives, bit for bit (or its error)."""
    from synthgen_sdv.synth.fast_rounding import clip

    data, (lower, upper) = COLUMNS[column], BOUNDS[bounds]
    try:
        theirs = data.clip(lower, upper)
    except Exception as exc:  # the same error either way
        with pytest.raises(type(exc)):
            clip(data.copy(), lower, upper)
        return
    mine = clip(data.copy(), lower, upper)
    pd.testing.assert_series_equal(mine, theirs, check_exact=True)
    if theirs.dtype in (np.float64, np.int64):
        assert mine.to_numpy().tobytes() == theirs.to_numpy().tobytes()


def test_the_formatters_clip_and_round_as_rdt_and_sdv():
    """RDT's ``FloatFormatter`` and SDV's ``NumericalFormatter`` with ``clip``: the same
    values as their own, for integer and float columns with nulls."""
    from rdt.transformers import FloatFormatter
    from sdv.data_processing.numerical_formatter import NumericalFormatter

    real = pd.DataFrame({"i": [3, 8, 5, 9], "f": [0.25, np.nan, 7.5, 1.0], "j": [4, 1, 2, 7]})
    scores = pd.DataFrame(
        {"i": [1.2, 12.7, np.nan, 5.5], "f": [-4.0, 0.333, 9.9, np.nan], "j": [0.0, 3.2, 9.6, 5.0]}
    )
    for column in real:
        outs = []
        for fast in (True, False):
            np.random.seed(4)  # the null rows RDT draws
            with fast_rounding() if fast else nullcontext():
                ff = FloatFormatter(learn_rounding_scheme=True, enforce_min_max_values=True)
                ff.fit(real, column)
                back = ff._reverse_transform(scores[column].to_numpy())
                nf = NumericalFormatter(enforce_rounding=True, enforce_min_max_values=True)
                nf.learn_format(real[column])
                # SDV formats what RDT gave back: an int column as ints
                outs.append((back, nf.format_data(scores[column]), nf.format_data(back)))
        for mine, theirs in zip(*outs, strict=True):
            pd.testing.assert_series_equal(mine, theirs, check_exact=True)
