"""How generated values are held cheaply: text as Arrow-backed Series, lookups as takes.

Text drawn from pools or built from other columns stays in Arrow buffers (``text``): no Python
``str`` object per value, and the writers hand it to Parquet or CSV without converting. Numbers,
booleans and dates stay numpy-backed. Either way a kind returns a pandas Series, so expressions
and the synthesizer side read them as before.
"""

from __future__ import annotations

import re
import string
from collections.abc import Callable
from functools import lru_cache
from typing import Any

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc


def text(values: pa.Array | pa.ChunkedArray) -> pd.Series:
    """An Arrow string array as a Series (no copy)."""
    if isinstance(values, pa.ChunkedArray):
        values = values.combine_chunks()
    if values.type != pa.string():
        values = values.cast(pa.string())
    return pd.Series(pd.arrays.ArrowExtensionArray(values))


def is_text(values: pd.Series) -> bool:
    """Whether the Series is Arrow-backed (the way kinds hold text)."""
    return isinstance(values.dtype, pd.ArrowDtype)


def as_arrow_text(values: pd.Series) -> pa.Array:
    """The values as an Arrow string array (text as is; other values as Python ``str``)."""
    if is_text(values):
        arr = pa.array(values)
        return arr.combine_chunks() if isinstance(arr, pa.ChunkedArray) else arr
    if pd.api.types.is_integer_dtype(values.dtype) and not values.hasnans:
        return pc.cast(pa.array(values.to_numpy()), pa.string())  # same digits as str(int)
    return pa.array(values.astype(str).to_numpy(dtype=object), type=pa.string())


def take(values: pd.Series, pos: np.ndarray) -> pd.Series:
    """``values`` at row positions ``pos``, dtype kept, index 0..n-1 (categorical text, as
    kept tables hold it, comes back as Arrow-backed text)."""
    if isinstance(values.dtype, np.dtype):  # the common case: one numpy take, no pandas indexing
        return pd.Series(values.to_numpy()[pos])
    if is_text(values):
        return text(pa.array(values).take(pa.array(pos)))
    if isinstance(values.dtype, pd.CategoricalDtype):  # codes taken, then the dictionary's text
        codes = values.cat.codes.to_numpy()[pos]
        names = pa.array(values.cat.categories.to_numpy(dtype=object), type=pa.string())
        return text(names.take(pa.array(codes, mask=codes < 0)))
    return pd.Series(values.array.take(pos))


def scatter(pieces: list[tuple[np.ndarray, pd.Series]], n: int) -> pd.Series | None:
    """Pieces of one column (row positions, values) put back in row order, when they share a
    dtype; rows no piece covers are null. None when the dtypes differ."""
    dtypes = {str(v.dtype) for _, v in pieces}
    if len(dtypes) != 1:
        return None
    first = pieces[0][1]
    covered = sum(len(idx) for idx, _ in pieces) == n
    if is_text(first):
        order = np.concatenate([idx for idx, _ in pieces])
        values = pa.concat_arrays([pa.array(v) for _, v in pieces])
        where = np.full(n, len(values), dtype=np.int64)  # uncovered rows: a null appended
        where[order] = np.arange(len(order))
        if not covered:
            values = pa.concat_arrays([values, pa.nulls(1, values.type)])
        return text(values.take(pa.array(where)))
    if not isinstance(first.dtype, np.dtype):
        return None  # extension dtypes (nullable ints, ...): the caller's general path
    if not covered:
        if first.dtype.kind in "iub":
            return None
        out = np.full(n, np.nan if first.dtype.kind == "f" else None, dtype=first.dtype)
    else:
        out = np.empty(n, dtype=first.dtype)
    for idx, values in pieces:
        out[idx] = values.to_numpy()
    return pd.Series(out)


def plain_numbers(x: Any) -> np.ndarray | int | float | None:
    """``x`` as what numpy computes with, when pandas would compute the same thing with it:
    a Series of ints or floats over rows 0..n-1 (its array), or an int or float (itself);
    None for anything else (text, dates, bools, nullable dtypes: pandas' own rules)."""
    if isinstance(x, pd.Series):
        dtype, index = x.dtype, x.index
        if (
            isinstance(dtype, np.dtype)
            and dtype.kind in "if"
            and isinstance(index, pd.RangeIndex)
            and index.start == 0
            and index.step == 1
        ):
            return x.to_numpy()
        return None
    if isinstance(x, int | float) and not isinstance(x, bool):
        return x
    return None


def _as_floats(x: Any) -> Any:
    """``x`` as float64 (arrays) or a float (numbers; an int beyond floats is infinity)."""
    if isinstance(x, pd.Series):
        return x.to_numpy(dtype=np.float64, na_value=np.nan)
    if isinstance(x, np.ndarray):
        return x.astype(np.float64)
    try:
        return float(x)
    except (OverflowError, TypeError, ValueError):
        return np.nan


def int_overflow(
    op: Callable[[Any, Any], Any], a: Any, b: Any, out: Any
) -> tuple[int, float] | None:
    """When ``out = op(a, b)`` is a Series of integers that wrapped around 64 bits: how many
    rows did and the first such value computed in floats; None otherwise."""
    if not (isinstance(out, pd.Series) and out.dtype.kind in "iu" and len(out)):
        return None
    with np.errstate(all="ignore"):
        approx = np.asarray(op(_as_floats(a), _as_floats(b)), dtype=np.float64)
    over = np.abs(approx) >= 2.0**63
    if not over.any():
        return None
    return int(over.sum()), float(approx[over.argmax()])


def on_arrays(op: Callable[[Any, Any], Any]) -> Callable[[Any, Any], Any]:
    """``op`` on the arrays of plain numeric Series (no index alignment, no per-operation
    pandas machinery: the same values, since pandas hands such operands to numpy too), on
    anything else as given."""

    def run(a: Any, b: Any) -> Any:
        if isinstance(a, pd.Series) or isinstance(b, pd.Series):
            x, y = plain_numbers(a), plain_numbers(b)
            if (
                x is not None
                and y is not None
                and (
                    not isinstance(x, np.ndarray)
                    or not isinstance(y, np.ndarray)
                    or len(x) == len(y)
                )
            ):
                return pd.Series(op(x, y))
        return op(a, b)

    return run


def format_numbers(numbers: np.ndarray, template: str) -> pd.Series | None:
    """``template.format(v)`` for every integer, vectorized for templates like
    ``'LC-{:06d}'`` (one field, zero padding or none) over numbers >= 0; None otherwise."""
    parts = list(string.Formatter().parse(template))
    fields = [p for p in parts if p[1] is not None]
    if len(fields) != 1 or fields[0][1] not in ("", "0") or fields[0][3]:
        return None
    spec = fields[0][2] or ""
    if spec not in ("", "d") and not (
        spec.startswith("0") and spec.rstrip("d")[1:].isdigit() and spec.count("d") <= 1
    ):
        return None
    if len(numbers) and numbers.min() < 0:
        return None
    digits = pc.cast(pa.array(numbers, type=pa.int64()), pa.string())
    width = int(spec.rstrip("d")[1:]) if spec.startswith("0") else 0
    if width:
        digits = pc.utf8_lpad(digits, width, "0")
    out = []
    for literal, name, _, _ in parts:
        out.append(literal)  # parse() has unescaped '{{' already
        if name is not None:
            out.append(digits)
    return text(pc.binary_join_element_wise(*[x for x in out if not isinstance(x, str) or x], ""))


#: strftime directives ``format_datetimes`` writes itself (as Python does, in ASCII digits)
_FIELDS = {
    "Y": ("year", 4),
    "m": ("month", 2),
    "d": ("day", 2),
    "H": ("hour", 2),
    "M": ("minute", 2),
    "S": ("second", 2),
    "y": ("year2", 2),
    "j": ("yday", 3),
}


@lru_cache(maxsize=8)
def _padded(width: int) -> pa.Array:
    """'0', '1', ... zero-padded to ``width`` digits: date fields are looked up, not printed."""
    return pa.array([f"{i:0{width}d}" for i in range(10**width)], type=pa.string())


def civil_from_days(days: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """(year, month, day) of days since 1970-01-01 (int64), in a dozen integer passes (H.
    Hinnant's ``civil_from_days``): numpy's datetime64[Y] / [M] casts walk the calendar per
    value, several times slower."""
    z = days + 719468
    era = z // 146097
    doe = z - era * 146097
    yoe = (doe - doe // 1460 + doe // 36524 - doe // 146096) // 365
    doy = doe - (365 * yoe + yoe // 4 - yoe // 100)
    mp = (5 * doy + 2) // 153
    day = doy - (153 * mp + 2) // 5 + 1
    month = np.where(mp < 10, mp + 3, mp - 9)
    year = yoe + era * 400 + (month <= 2)
    return year, month, day


def _date_fields(values: np.ndarray, names: set[str]) -> dict[str, np.ndarray]:
    """The calendar fields ``names`` of numpy datetimes (only those: a date format needs no
    time of day)."""
    days = values.astype("datetime64[D]")
    out: dict[str, np.ndarray] = {}
    if names & {"year", "year2", "month", "day"}:
        out["year"], out["month"], out["day"] = civil_from_days(days.astype(np.int64))
        out["year2"] = out["year"] % 100
    if "yday" in names:
        out["yday"] = (days - days.astype("datetime64[Y]")).astype(np.int64) + 1
    if names & {"hour", "minute", "second"}:
        seconds = (values.astype("datetime64[s]") - days).astype(np.int64)
        out["hour"] = seconds // 3600
        out["minute"] = seconds // 60 % 60
        out["second"] = seconds % 60
    return out


def format_datetimes(values: np.ndarray, fmt: str) -> pa.Array | None:
    """``strftime(fmt)`` of numpy datetimes (years 1000-9999) for the numeric directives in
    ``_FIELDS`` and ``%%``, in a few vectorized passes; None for any other directive (let
    pandas do it). NaT gives null."""
    pieces = re.split(r"(%.)", fmt)
    if any(p.startswith("%") and p[1:] not in _FIELDS and p != "%%" for p in pieces if p):
        return None
    nat = np.isnat(values)
    safe = np.where(nat, np.datetime64("2000-01-01"), values) if nat.any() else values
    wanted = {_FIELDS[p[1:]][0] for p in pieces if p.startswith("%") and p[1:] in _FIELDS}
    fields = _date_fields(safe, wanted)
    parts: list[pa.Array | str] = []
    for piece in pieces:
        if not piece:
            continue
        if piece == "%%":
            parts.append("%")
        elif piece.startswith("%"):
            name, width = _FIELDS[piece[1:]]
            table = _padded(width)
            parts.append(table.take(pa.array(np.clip(fields[name], 0, len(table) - 1))))
        else:
            parts.append(piece)
    if not any(isinstance(p, pa.Array) for p in parts):
        out = pa.array(["".join(p for p in parts if isinstance(p, str))] * len(values))
    else:
        out = pc.binary_join_element_wise(*parts, "")
    if nat.any():
        out = pc.if_else(pa.array(nat), pa.scalar(None, pa.string()), out)
    return out
