"""Tight pairs of columns: a column that is another one plus a small offset.

A payment is made on its rental's date, a return a few days after the rental, an order line's
price is its product's list price. Such a column is better rebuilt from its partner plus an
offset than modeled on its own (``synth.anchors``), and a foreign key left out of the model is
better re-attached to the parent whose partner value fits (``detect.graph.LinkShape``). Both
use the one test here: the residual ``c - a`` keeps at most ``MAX_RESIDUAL`` of ``c``'s
variance, over at least ``MIN_ROWS`` rows where both are present, and both columns have at
least ``MIN_DISTINCT`` values (fewer is a code or a count, which the models keep exact).
"""

from __future__ import annotations

import numpy as np
import pandas as pd

MAX_RESIDUAL = 0.1  # var(c - a) / var(c) at most this
MIN_ROWS = 10
MIN_DISTINCT = 20


def as_numbers(s: pd.Series) -> np.ndarray:
    """Numbers of a numeric or datetime column (dates as seconds); anything else is NaN."""
    if s.dtype.kind == "M":
        return np.where(s.isna(), np.nan, s.astype("int64").to_numpy() / 1e9)
    if s.dtype.kind in "biuf" or pd.api.types.is_numeric_dtype(s):
        return pd.to_numeric(s, errors="coerce").to_numpy(dtype="float64")
    return np.full(len(s), np.nan)


def kind_of(s: pd.Series) -> str | None:
    """``"datetime"``, ``"numerical"`` or None (what can pair with what)."""
    if s.dtype.kind == "M":
        return "datetime"
    if s.dtype.kind in "iuf" or (pd.api.types.is_numeric_dtype(s) and s.dtype.kind != "b"):
        return "numerical"
    return None


def residual_share(c: np.ndarray, a: np.ndarray) -> float:
    """``var(c - a) / var(c)`` over the rows where both are present (inf when untestable)."""
    both = ~(np.isnan(c) | np.isnan(a))
    if both.sum() < MIN_ROWS:
        return np.inf
    var = np.var(c[both])
    if not var > 0:
        return np.inf
    return float(np.var(c[both] - a[both]) / var)


def is_tight(share: float) -> bool:
    """Whether a residual share makes a tight pair."""
    return share <= MAX_RESIDUAL
