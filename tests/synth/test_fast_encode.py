"""``synth.fast_encode``: RDT's uniform category encoding, vectorized, same values bit for bit."""

from __future__ import annotations

import warnings

import numpy as np
import pandas as pd
import pytest
from rdt.transformers import OrderedUniformEncoder, UniformEncoder
from scipy import special

from synthgen_sdv.synth.fast_encode import uniform_positions
from synthgen_sdv.synth.treatment import NormalOrderedEncoder, NormalUniformEncoder


def _columns():
    rng = np.random.default_rng(3)
    text = pd.Series(rng.choice(["a", "b", "c", "d"], 500, p=[0.5, 0.3, 0.15, 0.05]), name="t")
    with_nulls = text.astype(object).where(rng.random(500) > 0.2, None).rename("n")
    nan_nulls = text.astype(object).where(rng.random(500) > 0.2, np.nan).rename("m")
    ints = pd.Series(rng.integers(0, 9, 500), name="i")
    flags = pd.Series(rng.random(500) > 0.3, name="b")
    return [text, with_nulls, nan_nulls, ints, flags]


@pytest.mark.parametrize("encoding", ["new_category", None])
@pytest.mark.parametrize("column", range(5))
def test_same_draws_as_rdt(column, encoding):
    data = _columns()[column]
    encoder = UniformEncoder(missing_value_encoding=encoding)
    encoder.fit(data.to_frame(), data.name)
    series = data.copy()
    np.random.seed(11)
    expected = encoder._transform(series.copy())
    np.random.seed(11)

    def no_fallback(values):
        raise AssertionError("the fast path must cover this column")

    got = uniform_positions(encoder, series.copy(), no_fallback)
    pd.testing.assert_series_equal(got, expected)


def test_rng_left_where_rdt_leaves_it():
    data = _columns()[0]
    encoder = UniformEncoder()
    encoder.fit(data.to_frame(), data.name)
    np.random.seed(5)
    encoder._transform(data.copy())
    after_rdt = np.random.random()
    np.random.seed(5)
    uniform_positions(encoder, data.copy(), encoder._transform)
    assert np.random.random() == after_rdt


def test_falls_back_on_unseen_and_categorical_dtype():
    data = _columns()[0]
    encoder = UniformEncoder()
    encoder.fit(data.to_frame(), data.name)
    calls = []

    def fallback(values):
        calls.append(len(values))
        return encoder._transform(values)

    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        uniform_positions(encoder, pd.Series(["a", "zzz"], name="t"), fallback)
    uniform_positions(encoder, data.astype("category"), fallback)
    assert calls == [2, 500]


@pytest.mark.parametrize("cls", [NormalUniformEncoder, NormalOrderedEncoder])
def test_treatment_encoders_transform_as_before(cls):
    data = _columns()[1]
    kwargs = {"order": ["d", "c", "b", "a", None]} if cls is NormalOrderedEncoder else {}
    ours = cls(**kwargs)
    base = (OrderedUniformEncoder if cls is NormalOrderedEncoder else UniformEncoder)(**kwargs)
    for enc in (ours, base):
        enc.fit(data.to_frame(), "n")
    got = ours.transform(data.to_frame())["n"].to_numpy()
    expected = base.transform(data.to_frame())["n"].to_numpy()
    np.testing.assert_array_equal(got, special.ndtri(np.clip(expected, 1e-9, 1 - 1e-9)))


def _reverse_cases():
    """Fitted RDT encoders (uniform and ordered; with and without a null category) and
    columns of uniform positions to map back: in range, the ends, beyond them, NaN."""
    rng = np.random.default_rng(5)
    dates = pd.Series(pd.to_datetime(rng.choice(["2020-01-01", "2021-06-30", None], 300)))
    columns = [
        *_columns(),
        pd.Series(rng.choice([1.5, 2.5, np.nan], 300), name="f"),
        pd.Series(pd.Categorical(rng.choice(["lo", "hi"], 300)), name="c"),
        dates.rename("d"),
        pd.Series(["only"] * 3, name="one"),
        pd.Series(rng.choice(["NaN", None, "x"], 300).astype(object), name="nan_text"),
        pd.Series(pd.array(rng.choice([1, 2, None], 300), dtype="Int64"), name="ni"),
    ]
    u = np.concatenate([rng.random(200), [0.0, 1.0, -0.0, -0.3, 1.7, np.nan, 1e-300, 1 - 1e-16]])
    for column in columns:
        for encoding in ("new_category", None):
            encoder = UniformEncoder(missing_value_encoding=encoding)
            with warnings.catch_warnings():
                warnings.simplefilter("ignore")
                encoder.fit(column.to_frame(), column.name)
            yield f"{column.name}-{encoding}", encoder, u
    order = ["c", "a", "b", "d"]
    ordered = OrderedUniformEncoder(order=order)
    ordered.fit(_columns()[0].to_frame(), "t")
    yield "ordered", ordered, u
    for n in (1, 2):  # one row, two
        yield f"rows-{n}", ordered, u[:n]


@pytest.mark.parametrize("case", range(25))
def test_uniform_labels_equal_rdts_reverse_transform(case):
    """``uniform_labels`` gives RDT's categories, dtype and index for every position."""
    from rdt.transformers import UniformEncoder as RdtUniform

    from synthgen_sdv.synth.fast_encode import uniform_labels

    cases = list(_reverse_cases())
    assert len(cases) == 25
    name, encoder, u = cases[case]
    data = pd.Series(u, index=np.arange(len(u)) * 3 + 1, name=encoder.get_input_column())
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        expected = RdtUniform._reverse_transform(encoder, data.copy())
        got = uniform_labels(encoder, data.copy())
    assert got is not None, name
    pd.testing.assert_series_equal(got, expected, check_exact=True, obj=name)
    if isinstance(expected.dtype, pd.CategoricalDtype):
        assert list(got.cat.categories) == list(expected.cat.categories)


def test_uniform_labels_leave_the_unusual_to_rdt():
    """Nothing learned, or slice ends that do not increase: None (RDT's own code answers)."""
    from synthgen_sdv.synth.fast_encode import uniform_labels

    encoder = UniformEncoder()
    encoder.fit(pd.DataFrame({"t": ["a", "b"]}), "t")
    data = pd.Series([0.2, 0.7], name="t")
    assert uniform_labels(encoder, data) is not None
    encoder.intervals = {}
    assert uniform_labels(encoder, data) is None
    encoder.intervals = {"a": [0, 0.5], "b": [0.5, 0.5]}
    assert uniform_labels(encoder, data) is None


@pytest.mark.parametrize("column", range(5))
def test_fast_uniform_swap_gives_rdts_frames(column):
    """Inside ``fast_uniform`` a plain ``UniformEncoder``'s transform and reverse transform
    are RDT's, values, dtypes and random states alike; outside it RDT's methods are back."""
    from synthgen_sdv.synth.fast_encode import fast_uniform

    data = _columns()[column].to_frame()
    name = data.columns[0]

    def run():
        encoder = UniformEncoder()
        encoder.fit(data, name)
        moved = encoder.transform(data.copy())
        shifted = moved.assign(**{name: moved[name] * 1.3 - 0.15})  # some outside [0, 1]
        return moved, encoder.reverse_transform(shifted)

    rdts = UniformEncoder._transform
    expected = run()
    with fast_uniform():
        assert UniformEncoder._transform is not rdts
        got = run()
    assert UniformEncoder._transform is rdts
    for g, e in zip(got, expected, strict=True):
        pd.testing.assert_frame_equal(g, e, check_exact=True)


def test_nan_to_none_is_rdts_fill_nan_with_none():
    """Every missing value None, the rest as it was: RDT's frame for every dtype."""
    from rdt.transformers.utils import fill_nan_with_none

    from synthgen_sdv.synth.fast_encode import nan_to_none

    columns = [
        *_columns(),
        pd.Series(["a", np.nan, None, pd.NaT, pd.NA, 1, 2.5], index=list("qwertyu"), name="o"),
        pd.Series([1.5, np.nan, 3.0], name="f"),
        pd.Series(pd.to_datetime(["2020-01-01", None]), name="d"),
        pd.Series(pd.array([1, None], dtype="Int64"), name="ni"),
        pd.Series([], dtype=object, name="empty"),
    ]
    for column in columns:
        got = nan_to_none(column)
        expected = fill_nan_with_none(column)
        pd.testing.assert_series_equal(got, expected, check_exact=True)
        assert [type(v) for v in got] == [type(v) for v in expected], column.name


@pytest.mark.parametrize("encoding", ["new_category", None])
def test_fast_uniform_fit_learns_rdts_shares(encoding):
    """The codes-and-bincount fit gives RDT's labels, order, shares and intervals, for text
    with and without nulls; other columns are RDT's own fit."""
    from synthgen_sdv.synth.fast_encode import fast_uniform

    columns = [
        *_columns(),
        pd.Series(["x", np.nan, "y", None, "x", "NaN"], name="mixed_nulls"),
        pd.Series(["b", 1, 1.0, True, "b"], dtype=object, name="not_text"),
        pd.Series([], dtype=object, name="empty"),
        pd.Series([None, None], dtype=object, name="only_nulls"),
    ]
    for column in columns:
        frame = column.to_frame()
        rdt = UniformEncoder(missing_value_encoding=encoding)
        rdt.fit(frame, column.name)
        with fast_uniform():
            ours = UniformEncoder(missing_value_encoding=encoding)
            ours.fit(frame, column.name)
        assert ours.dtype == rdt.dtype, column.name
        for got, expected in ((ours.frequencies, rdt.frequencies), (ours.intervals, rdt.intervals)):
            assert list(got) == list(expected), column.name  # labels, in their order
            assert [type(k) for k in got] == [type(k) for k in expected], column.name
            assert repr(list(got.values())) == repr(list(expected.values())), column.name
