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
