"""RDT's random states as ``SavedState``s: the same draws as RDT's ``RandomState`` objects."""

import copy
import pickle

import numpy as np
import pandas as pd
import pytest
from rdt.transformers import base as rdt_base
from rdt.transformers.base import BaseTransformer
from rdt.transformers.categorical import UniformEncoder
from rdt.transformers.numerical import FloatFormatter

from synthgen_sdv.synth.random_states import SavedState, saved_states, seeded


def _same(a: tuple, b: tuple) -> bool:
    return a[0] == b[0] and np.array_equal(a[1], b[1]) and a[2:] == b[2:]


@pytest.mark.parametrize("seed", [0, 1, 42, 2**31, 2**32 - 2, 2**32 - 1])
def test_seeded_is_the_seeds_state(seed):
    state = seeded(seed)
    assert _same(state.get_state(), np.random.RandomState(seed).get_state())
    new = state.get_state(legacy=False)
    ref = np.random.RandomState(seed).get_state(legacy=False)
    assert np.array_equal(new["state"]["key"], ref["state"]["key"])
    assert new["state"]["pos"] == ref["state"]["pos"]


def test_saved_state_pickles_and_copies():
    rs = np.random.RandomState(7)
    rs.normal()  # a cached gaussian in the state too
    saved = SavedState(rs.get_state())
    for other in (pickle.loads(pickle.dumps(saved)), copy.deepcopy(saved)):
        assert _same(other.get_state(), rs.get_state())
    lazy = pickle.loads(pickle.dumps(seeded(3)))
    assert _same(lazy.get_state(), np.random.RandomState(3).get_state())


def _run(make, data: pd.DataFrame, column: str, sampled: pd.DataFrame):
    """fit, transform, reverse transform (reset in between), then the global state."""
    np.random.seed(11)
    transformer = make()
    transformer.fit(data, column)
    out = [transformer.transform(data), transformer.transform(data)]
    transformer.reset_randomization()
    out += [transformer.reverse_transform(sampled), transformer.reverse_transform(sampled)]
    out.append(transformer.transform(data))
    return out, np.random.uniform(size=3)


FRAMES = {
    "categories": (
        lambda: UniformEncoder(),
        pd.DataFrame({"c": ["a", "b", None, "a", "c", "b", "a"], "x": range(7)}),
        "c",
        pd.DataFrame({"c": [0.1, 0.5, 0.99, 0.3]}),
    ),
    "one row": (
        lambda: UniformEncoder(),
        pd.DataFrame({"c": ["a"]}),
        "c",
        pd.DataFrame({"c": [0.2]}),
    ),
    "numbers with nulls": (
        lambda: FloatFormatter(missing_value_generation="random"),
        pd.DataFrame({"n": [1.5, None, 3.0, None, 7.25], "d": pd.date_range("2020", periods=5)}),
        "n",
        pd.DataFrame({"n": [0.5, 2.0, 9.0, 1.0, 3.0, 4.0]}),
    ),
    "categorical dtype": (
        lambda: UniformEncoder(),
        pd.DataFrame({"c": pd.Categorical(["x", "y", "x", None])}),
        "c",
        pd.DataFrame({"c": [0.9, 0.1]}),
    ),
}


@pytest.mark.parametrize("case", sorted(FRAMES))
def test_transformers_draw_the_same(case):
    make, data, column, sampled = FRAMES[case]
    expected, expected_after = _run(make, data, column, sampled)
    with saved_states():
        got, got_after = _run(make, data, column, sampled)
    for a, b in zip(expected, got, strict=True):
        pd.testing.assert_frame_equal(a, b)
    assert np.array_equal(expected_after, got_after)


def test_outside_the_block_rdt_is_itself():
    before = (
        rdt_base.set_random_states,
        BaseTransformer._set_seed,
        BaseTransformer.reset_randomization,
    )
    with saved_states():
        with saved_states():  # reentrant
            assert rdt_base.set_random_states is not before[0]
        assert BaseTransformer._set_seed is not before[1]
    after = (
        rdt_base.set_random_states,
        BaseTransformer._set_seed,
        BaseTransformer.reset_randomization,
    )
    assert after == before


def test_saved_states_work_under_rdt_code():
    """A transformer fitted in the block keeps drawing the same outside it (RDT's code asks
    a ``SavedState`` only for ``get_state()``)."""
    make, data, column, sampled = FRAMES["categories"]
    a, b = make(), make()
    a.fit(data, column)
    with saved_states():
        b.fit(data, column)
        b.reset_randomization()
    a.reset_randomization()
    assert isinstance(b.random_states["transform"], SavedState)
    pd.testing.assert_frame_equal(a.transform(data), b.transform(data))
    pd.testing.assert_frame_equal(a.reverse_transform(sampled), b.reverse_transform(sampled))


def _iterrows_text(data: pd.DataFrame, column: str) -> str:
    return "".join(str(row[column]) for _, row in data.head(5).iterrows())


SEED_FRAMES = {
    "ints and floats": pd.DataFrame({"a": [1, 2, 3, 4, 5, 6], "b": [0.5, 1, 2, 3, 4, 5]}),
    "ints only": pd.DataFrame({"a": [1, 2, 3], "b": [4, 5, 6]}),
    "text and numbers": pd.DataFrame({"a": ["x", None, "z"], "b": [1.5, np.nan, 3]}),
    "bools and ints": pd.DataFrame({"a": [True, False], "b": [1, 2]}),
    "bools only": pd.DataFrame({"a": [True, False], "b": [False, False]}),
    "dates only": pd.DataFrame({"a": pd.to_datetime(["2020-01-01", None])}),
    "dates and numbers": pd.DataFrame({"a": pd.to_datetime(["2020-01-01", None]), "b": [1, 2]}),
    "nullable": pd.DataFrame({"a": pd.array([1, None, 3], dtype="Int64"), "b": [1.0, 2, 3]}),
    "categorical": pd.DataFrame({"a": pd.Categorical(["p", "q", None]), "b": [1, 2, 3]}),
    "empty": pd.DataFrame({"a": pd.Series([], dtype=float), "b": pd.Series([], dtype=object)}),
    "one row": pd.DataFrame({"a": [7.25]}),
    "numbers and dates": pd.DataFrame(
        {"n": [1.5, None, 3.0, None, 7.25], "d": pd.date_range("2020", periods=5)}
    ),
    "text, nulls and dates": pd.DataFrame(
        {"t": [None, "x", None], "d": pd.to_datetime(["2020-01-01", None, "2020-01-02"])}
    ),
    "all null rows": pd.DataFrame({"a": [None, None], "b": [np.nan, None]}, dtype=object),
    "timestamps in text": pd.DataFrame({"a": [None, pd.Timestamp("2020")], "b": [np.nan, 1]}),
    "timedeltas": pd.DataFrame({"a": pd.to_timedelta([1, None], unit="D"), "b": [1.0, None]}),
    "repeated name": pd.DataFrame([[1, 2], [3, 4]], columns=["a", "a"]),
}


@pytest.mark.parametrize("case", sorted(SEED_FRAMES))
def test_seed_text_is_iterrows(case):
    from synthgen_sdv.synth.random_states import seed_text

    data = SEED_FRAMES[case]
    for column in dict.fromkeys(data.columns):
        assert seed_text(data, column) == _iterrows_text(data, column), column


def test_deep_copies_share_only_rdts_initial_fit_state():
    def fresh() -> dict:  # new transformers hold RDT's shared INITIAL_FIT_STATE
        return {"u": UniformEncoder(), "f": FloatFormatter(), "g": [FloatFormatter()]}

    other = np.random.RandomState(5)
    other.normal()
    with saved_states():
        copied = copy.deepcopy(fresh())
        mine = copy.deepcopy({"a": other, "b": [other]})
    states = [copied["u"], copied["f"], copied["g"][0]]
    assert all(t.random_states["fit"] is BaseTransformer.INITIAL_FIT_STATE for t in states)
    assert mine["a"] is not other and mine["b"][0] is mine["a"]  # the memo, as deepcopy's
    assert _same(mine["a"].get_state(), other.get_state())
    outside = copy.deepcopy(fresh())
    assert outside["u"].random_states["fit"] is not BaseTransformer.INITIAL_FIT_STATE
    assert _same(
        outside["u"].random_states["fit"].get_state(),
        BaseTransformer.INITIAL_FIT_STATE.get_state(),
    )
