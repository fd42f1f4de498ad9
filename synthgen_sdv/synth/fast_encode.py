"""RDT's category encoding with one draw per column instead of one Python call per row.

``rdt.UniformEncoder._transform`` puts each row on a random point of its category's slice
of ``[0, 1]`` by ``Series.map`` of a function that calls ``np.random.uniform(lo, hi)`` once
per row: on a small database that per-row loop was the largest single cost of fitting (it
runs twice per column, in the fit and in the transform). ``uniform_positions`` makes the same
draws in one call: numpy's legacy ``uniform`` with array bounds takes one double per element
in order and computes ``lo + (hi - lo) * u`` exactly as the scalar call does, so the values
are bit for bit RDT's (tested in ``tests/synth/test_fast_encode.py``). Whatever the fast
path does not cover (categorical dtypes, whose ``map`` calls once per category; unseen
categories, which RDT warns about and replaces at random) goes through RDT's own code.
"""

from __future__ import annotations

from collections.abc import Callable

import numpy as np
import pandas as pd
from rdt.transformers.utils import fill_nan_with_none


def uniform_positions(encoder, data, fallback: Callable[[object], pd.Series]) -> pd.Series:
    """``UniformEncoder._transform(data)`` of ``encoder`` (a fitted RDT uniform encoder,
    inside its random-state context), vectorized; ``fallback`` is RDT's own method."""
    series = data if isinstance(data, pd.Series) else pd.Series(data)
    if isinstance(series.dtype, pd.CategoricalDtype):
        return fallback(data)
    if encoder.missing_value_encoding is None:
        known = series.isin(encoder.frequencies)
        unseen = ~known & ~pd.isna(series)
    else:
        series = fill_nan_with_none(series)
        known = series.isin(encoder.frequencies)
        unseen = ~known
    if unseen.any():
        return fallback(data)
    values = series[known]
    codes, _ = pd.factorize(values, sort=False, use_na_sentinel=False)
    first = np.unique(codes, return_index=True)[1]  # each value's first row, as RDT sees it
    labels = values.to_numpy()[first]
    try:  # the same dict lookups as RDT's per-row function, once per distinct value
        bounds = np.array([encoder.intervals[label] for label in labels], dtype=float)
    except (KeyError, TypeError):
        return fallback(data)
    result = pd.Series(np.nan, index=series.index, name=series.name, dtype=float)
    if len(values):
        bounds = bounds.reshape(-1, 2)
        draws = np.random.uniform(bounds[codes, 0], bounds[codes, 1])
        result[known.to_numpy()] = draws
    return result
