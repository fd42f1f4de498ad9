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

``uniform_labels`` is the way back, ``UniformEncoder._reverse_transform``: RDT clips the
column to ``[0, 1]`` and bins it with ``pd.cut`` on the categories' slice ends; here the same
bins are found with one ``np.searchsorted`` (pd.cut's own rule: right-closed bins, the lowest
edge included) and the same categorical is made from the codes, without pd.cut's checks and
frames (about a twentieth of a small database's fit + sample, with the clip).

``fast_uniform``: both in force for RDT's own ``UniformEncoder`` (and subclasses that keep its
methods) for the block, our synthesizer's fit and sample, where only the treatment encoders
(``synth.encoders``) had them: SDV gives a plain ``UniformEncoder`` to categorical columns no
treatment covers (a part of a composite key, ``flight_2``'s 1200 flight numbers), whose
per-row ``map`` was a twentieth of that database's fit + sample.
"""

from __future__ import annotations

from collections.abc import Callable
from functools import partial

import numpy as np
import pandas as pd
from rdt.transformers import UniformEncoder
from rdt.transformers.utils import (
    check_nan_in_transform,
    fill_nan_with_none,
    try_convert_to_dtype,
)

from synthgen_sdv.core.swaps import Swap

_RDT_FIT = UniformEncoder._fit
_RDT_TRANSFORM = UniformEncoder._transform
_RDT_REVERSE = UniformEncoder._reverse_transform


def uniform_positions(encoder, data, fallback: Callable[[object], pd.Series]) -> pd.Series:
    """``UniformEncoder._transform(data)`` of ``encoder`` (a fitted RDT uniform encoder,
    inside its random-state context), vectorized; ``fallback`` is RDT's own method."""
    series = data if isinstance(data, pd.Series) else pd.Series(data)
    if isinstance(series.dtype, pd.CategoricalDtype):
        return fallback(data)
    if encoder.missing_value_encoding is None:
        known = series.isin(encoder.frequencies).to_numpy()
        unseen = ~known & ~pd.isna(series).to_numpy()
    else:
        series = nan_to_none(series)
        known = series.isin(encoder.frequencies).to_numpy()
        unseen = ~known
    if unseen.any():
        return fallback(data)
    everything = known.all()  # the common case: no boolean selection to make
    values = series if everything else series[known]
    codes, _ = pd.factorize(values, sort=False, use_na_sentinel=False)
    first = np.unique(codes, return_index=True)[1]  # each value's first row, as RDT sees it
    labels = values.to_numpy()[first]
    try:  # the same dict lookups as RDT's per-row function, once per distinct value
        bounds = np.array([encoder.intervals[label] for label in labels], dtype=float)
    except (KeyError, TypeError):
        return fallback(data)
    out = np.full(len(series), np.nan)  # RDT's NaN column, the draws set where known
    if len(values):
        bounds = bounds.reshape(-1, 2)
        draws = np.random.uniform(bounds[codes, 0], bounds[codes, 1])
        if everything:
            out = draws.astype(float, copy=False)
        else:
            out[known] = draws
    return pd.Series(out, index=series.index, name=series.name, dtype=float, copy=False)


def nan_to_none(series: pd.Series) -> pd.Series:
    """RDT's ``fill_nan_with_none`` of a Series (every missing value None, as objects): for an
    object column one numpy pass, where RDT casts, tests and masks with three pandas calls."""
    if series.dtype != object:
        return fill_nan_with_none(series)  # type: ignore[no-any-return]
    values = series.to_numpy(copy=True)
    values[pd.isna(values)] = None
    return pd.Series(values, index=series.index, name=series.name, copy=False)


def uniform_labels(encoder, data: pd.Series) -> pd.Series | None:
    """``UniformEncoder._reverse_transform(data)`` of a fitted RDT uniform encoder, for float
    ``data``, with the binning vectorized; None where RDT's own code must answer (no
    categories learned, slice ends that do not increase, labels that are not distinct)."""
    intervals = encoder.intervals
    if intervals is None or len(intervals) == 0:
        return None
    nan_name = "NaN"
    while nan_name in intervals:
        nan_name += "_"
    ends, labels = [0], []
    for key, interval in intervals.items():
        ends.append(interval[1])
        labels.append(nan_name if pd.isna(key) else key)
    edges = np.asarray(ends, dtype=float)
    if not (np.diff(edges) > 0).all() or len(set(labels)) != len(labels):
        return None
    if encoder.missing_value_encoding == "new_category":
        check_nan_in_transform(data, encoder.dtype)
    x = np.clip(data.to_numpy(dtype=float), 0, 1)  # NaN stays NaN, as in Series.clip
    ids = np.searchsorted(edges, x, side="left")  # pd.cut(right=True, include_lowest=True)
    ids[x == edges[0]] = 1
    missing = np.isnan(x) | (ids == len(edges)) | (ids == 0)
    dtype = pd.Categorical(labels, categories=labels, ordered=True).dtype
    codes = np.where(missing, -1, ids - 1)
    result = pd.Series(
        pd.Categorical.from_codes(codes, dtype=dtype), index=data.index, name=data.name
    )
    if nan_name in result.cat.categories:
        result = result.cat.remove_categories(nan_name)
    return try_convert_to_dtype(result, encoder.dtype)  # type: ignore[no-any-return]


def _uniform_fit(self, data):
    """``UniformEncoder._fit``: a text column's shares counted on its codes (one
    ``factorize``, one ``bincount``) where RDT counts with ``value_counts`` and reindexes the
    counts to the labels; the same labels, in order of appearance, and the same shares (a
    count over the rows, as ``value_counts(normalize=True)`` divides). Anything but text and
    nulls in an object column goes through RDT's own code."""
    if not isinstance(data, pd.Series) or data.dtype != object:
        return _RDT_FIT(self, data)
    known = data[~pd.isna(data)] if self.missing_value_encoding is None else nan_to_none(data)
    labels = pd.unique(known)
    if not all(label is None or type(label) is str for label in labels):
        return _RDT_FIT(self, data)
    codes, uniques = pd.factorize(known, use_na_sentinel=False)
    if len(uniques) != len(labels):
        return _RDT_FIT(self, data)
    counts = np.bincount(codes, minlength=len(labels))
    self.dtype = data.dtypes
    self.frequencies, self.intervals = self._compute_frequencies_intervals(
        labels, counts / counts.sum()
    )
    return None


def _uniform_transform(self, data):
    """``UniformEncoder._transform`` with ``uniform_positions``."""
    return uniform_positions(self, data, partial(_RDT_TRANSFORM, self))


def _uniform_reverse(self, data):
    """``UniformEncoder._reverse_transform`` with ``uniform_labels`` for float positions."""
    if isinstance(data, pd.Series) and pd.api.types.is_float_dtype(data.dtype):
        labels = uniform_labels(self, data)
        if labels is not None:
            return labels
    return _RDT_REVERSE(self, data)


#: RDT's ``UniformEncoder`` encodes and decodes with one numpy call per column in the block
fast_uniform = Swap(
    (UniformEncoder, "_fit", _uniform_fit),
    (UniformEncoder, "_transform", _uniform_transform),
    (UniformEncoder, "_reverse_transform", _uniform_reverse),
)
