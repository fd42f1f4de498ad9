"""Typing user columns from their values: int, float, bool, date, datetime or string.

``05021`` and ``050.102`` stay text (a code keeps its leading zero), ``1996-07-04`` becomes a
date, and a date stored as text is parsed with the first format every value fits (the note
says which). A column of ``1.0, 2.0`` with empty fields is an int column that pandas wrote
(``to_csv`` of a column with NaN): typed int, so a foreign key written that way still links.
A word for a missing value (``null``, ``NA``, ``-``) among numbers, booleans or dates is read
as empty.
"""

from __future__ import annotations

import re

import pandas as pd

from synthgen_sdv.io.artifacts import OUTPUT_DATETIME_FORMATS

INT_RE = re.compile(r"^[+-]?\d+$")
FLOAT_RE = re.compile(r"^[+-]?(\d+\.?\d*|\.\d+)([eE][+-]?\d+)?$")
# a decimal with a leading zero before its point (050.102, a course number): no number is
# written so, a code is; read as a float it would lose the zero (and 550.310 its last one)
DECIMAL_CODE_RE = re.compile(r"^0\d+\.")
# how pandas writes a nullable int column (its NaN made it float): 1.0, 2.0, with empty fields
PANDAS_NULLABLE_INT_RE = re.compile(r"^[+-]?\d+\.0$")
# Words a database export writes for a missing value; they count as empty only in a column
# whose other values are all numbers, booleans or dates (car_1's mpg: 18, 15, null, ...).
NULL_WORDS = frozenset({"null", "none", "nan", "na", "n/a", "#n/a", "nil", "\\n", "-", "?"})
BOOL_TEXT = {"true": True, "false": False, "t": True, "f": False, "yes": True, "no": False}
# Tried in order; the first format every value parses with wins. Day-first and month-first
# slash dates are both tried, month-first first (the usual CSV export); the note says which.
DATE_FORMATS = ("%Y-%m-%d", "%Y/%m/%d", "%d.%m.%Y", "%m/%d/%Y", "%d/%m/%Y")
DATETIME_FORMATS = (
    "%Y-%m-%d %H:%M:%S",
    "%Y-%m-%dT%H:%M:%S",
    "%Y-%m-%d %H:%M",
    "%Y-%m-%dT%H:%M",
    "%Y-%m-%d %H:%M:%S.%f",
    "%Y-%m-%dT%H:%M:%S.%f",
)
OUTPUT_FORMAT = OUTPUT_DATETIME_FORMATS  # how the output writes dates (the CSV contract)


def _parse_dates(values: pd.Series, fmt: str) -> pd.Series | None:
    try:
        return pd.to_datetime(values, format=fmt, errors="raise")
    except (ValueError, TypeError):
        return None


def type_text(series: pd.Series, fmt: str | None = None) -> tuple[str, pd.Series, str | None]:
    """(logical type, typed series, datetime format) of a text column.

    ``fmt`` forces a datetime format (from user metadata); otherwise int, float, bool, date and
    datetime are tried in that order and the column stays text if none fits every value.
    """
    values = series.dropna().astype(str)
    if fmt is not None:
        parsed = _parse_dates(series, fmt)
        if parsed is None:
            raise ValueError(f"values do not match datetime_format '{fmt}'")
        kind = "date" if fmt in DATE_FORMATS or not re.search(r"%[HIMSf]", fmt) else "datetime"
        return kind, parsed, fmt
    if values.empty:
        return "string", series.astype(object), None
    if values.str.fullmatch(INT_RE).all():
        stripped = values.str.lstrip("+-")
        leading_zero = (stripped.str.len() > 1) & stripped.str.startswith("0")
        if leading_zero.any() or stripped.str.len().max() > 18:
            return "string", series.astype(object), None  # codes: 01234 must keep its zero
        numbers = pd.to_numeric(series)
        return "int", numbers if series.notna().all() else numbers.astype("Int64"), None
    if series.isna().any() and values.str.fullmatch(PANDAS_NULLABLE_INT_RE).all():
        numbers = pd.to_numeric(series)
        if numbers.abs().max() < 2**53:  # pandas wrote an int column with nulls as 1.0, 2.0
            return "int", numbers.astype("Int64"), None
    if values.str.fullmatch(FLOAT_RE).all():
        if values.str.lstrip("+-").str.match(DECIMAL_CODE_RE).any():
            return "string", series.astype(object), None  # 050.102: a code, as 01234 is
        return "float", pd.to_numeric(series).astype("float64"), None
    lowered = values.str.lower()
    if lowered.isin(BOOL_TEXT).all():
        mapped = series.str.lower().map(BOOL_TEXT)
        return (
            "bool",
            mapped.astype("boolean") if series.isna().any() else mapped.astype(bool),
            None,
        )
    if values.str.contains(r"\d").all():
        for fmt_try in DATE_FORMATS:
            parsed = _parse_dates(series, fmt_try)
            if parsed is not None:
                return "date", parsed, fmt_try
        for fmt_try in DATETIME_FORMATS:
            parsed = _parse_dates(series, fmt_try)
            if parsed is not None:
                midnight = (parsed.dropna() == parsed.dropna().dt.normalize()).all()
                return ("date" if midnight else "datetime"), parsed, fmt_try
    missing = series.astype(str).str.strip().str.lower().isin(NULL_WORDS) & series.notna()
    if missing.any() and not missing[series.notna()].all():
        kind, typed, found = type_text(series.mask(missing))
        if kind != "string":
            return kind, typed, found
    return "string", series.astype(object), None


def type_column(series: pd.Series, fmt: str | None = None) -> tuple[str, pd.Series, str | None]:
    """Logical type of any column: text goes through ``type_text``, typed columns map over."""
    if pd.api.types.is_bool_dtype(series):
        return "bool", series, None
    if pd.api.types.is_integer_dtype(series):
        return "int", series, None
    if pd.api.types.is_float_dtype(series):
        values = series.dropna()
        if len(values) and (values == values.round()).all() and values.abs().max() < 2**53:
            return "int", series.astype("Int64"), None  # a Parquet int column that had nulls
        return "float", series, None
    if pd.api.types.is_datetime64_any_dtype(series):
        values = series.dropna()
        midnight = bool(len(values)) and (values == values.dt.normalize()).all()
        kind = "date" if midnight else "datetime"
        return kind, series.dt.tz_localize(None) if series.dt.tz else series, OUTPUT_FORMAT[kind]
    text = series.map(lambda v: None if v is None or v is pd.NA or v != v else str(v))
    return type_text(text, fmt)
