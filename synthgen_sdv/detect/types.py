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
import warnings

import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc

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
NULL_WORD_SET = pa.array(sorted(NULL_WORDS))
# What a SQL export writes for NULL, as written: a column of nothing else is an empty column
# (a library's return_status.return_book_isbn, NULL on every row), whatever its other words.
SQL_NULL_MARKS = pa.array(["NULL", "\\N"])
# An amount written with its currency sign before it ($24,295, -$5.00, €1,000.50; a Kaggle
# bank's credit_limit and yearly_income, "$24,295 " with a spreadsheet's padding): read as a
# number, commas as thousands separators.
# Kept as text, every amount was a category and the sample could only copy real amounts.
MONEY_RE = re.compile(r"^ *[+-]?[$€£¥₹][+-]?(\d{1,3}(,\d{3})+|\d+)(\.\d+)? *$")
BOOL_TEXT = {"true": True, "false": False, "t": True, "f": False, "yes": True, "no": False}
BOOL_WORDS = pa.array(sorted(BOOL_TEXT))
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
# A date column written in more than one way (a spreadsheet's export: 1997-01-01 beside
# 7/17/1997 and 12-03-1997): ISO dates beside one order of month and day, any separator;
# month-first tried first, as for one format. The format of the most values names the column.
MIXED_DATE_FORMATS = (
    ("%Y-%m-%d", "%Y/%m/%d", "%m/%d/%Y", "%m-%d-%Y", "%m.%d.%Y"),
    ("%Y-%m-%d", "%Y/%m/%d", "%d/%m/%Y", "%d-%m-%Y", "%d.%m.%Y"),
)


# A timestamp written with its UTC offset (PostgreSQL's timestamptz: 2017-07-05 07:12:00+07,
# ISO's 2017-07-05T07:12:00Z): parsed with the format of its wall time plus %z.
ZONED_RE = re.compile(r":\d{2}(\.\d+)?(Z|[+-]\d{2}(:?\d{2})?)$")


def _parse_dates(values: pd.Series, fmt: str, zoned: bool = False) -> pd.Series | None:
    """``values`` parsed with ``fmt``, or None. ``zoned``: the values end in a UTC offset, read
    with ``fmt`` + ``%z`` and kept as their wall time when they share one offset (as a Parquet
    column of one time zone is read), in UTC when the offsets differ."""
    try:
        if not zoned or "%z" in fmt:
            return pd.to_datetime(values, format=fmt, errors="raise")
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")  # pandas' mixed-offsets FutureWarning
            parsed = pd.to_datetime(values, format=fmt + "%z", errors="raise")
        if not isinstance(parsed.dtype, pd.DatetimeTZDtype):  # several offsets: UTC
            parsed = pd.to_datetime(values, format=fmt + "%z", errors="raise", utc=True)
        return parsed.dt.tz_localize(None)
    except (ValueError, TypeError):
        return None


DATE_SHAPE = r"^\d{1,4}[-/.]\d{1,2}[-/.]\d{1,4}$"  # checked first: the parses cost more


def _mixed_dates(series: pd.Series) -> tuple[pd.Series, str] | None:
    """(dates, the format of the most values) when every value is a date in one of a family
    of ``MIXED_DATE_FORMATS`` and more than one of them is used; else None."""
    present = series.dropna()
    for family in MIXED_DATE_FORMATS:
        parsed = pd.Series(pd.NaT, index=present.index, dtype="datetime64[ns]")
        counts = {}
        for fmt in family:
            rest = parsed.isna()
            if not rest.any():
                break
            got = pd.to_datetime(present[rest], format=fmt, errors="coerce")
            counts[fmt] = int(got.notna().sum())
            parsed[rest] = got
        if parsed.notna().all() and sum(1 for n in counts.values() if n) > 1:
            out = pd.Series(pd.NaT, index=series.index, dtype="datetime64[ns]")
            out[present.index] = _unswapped(present, parsed)
            return out, max(counts, key=counts.get)
    return None


SWAP_EVIDENCE = 20  # rows on each side before ISO dates are taken as swapped


def _unswapped(present: pd.Series, parsed: pd.Series) -> pd.Series:
    """ISO dates with month and day swapped back, when the ISO rows are exactly the dates whose
    day could be a month (every one <= 12) and the other rows exactly the others (every one
    > 12): a spreadsheet in the other locale read the ambiguous dates of a month-first column
    as day-first and wrote them as ISO (Maven Market's transaction_date: then every row's
    stock_date is 1-7 days before it, against 8% as read)."""
    iso = present.str.match(r"^\d{4}[-/]")
    if min(int(iso.sum()), int((~iso).sum())) < SWAP_EVIDENCE:
        return parsed
    if not ((parsed[iso].dt.day <= 12).all() and (parsed[~iso].dt.day > 12).all()):
        return parsed
    out = parsed.copy()
    out[iso] = pd.to_datetime(
        present[iso].str.replace("/", "-", regex=False), format="%Y-%d-%m", errors="coerce"
    )
    return out if out.notna().all() else parsed


def _all(values: pa.Array, pattern: str) -> bool:
    """Every value matches ``pattern`` (Arrow's RE2, vectorized: Python's per-value regex cost
    seconds per million values; RE2's ``\\d`` is ASCII, as ``pd.to_numeric`` reads digits)."""
    return bool(pc.all(pc.match_substring_regex(values, pattern)).as_py())


def type_text(series: pd.Series, fmt: str | None = None) -> tuple[str, pd.Series, str | None]:
    """(logical type, typed series, datetime format) of a text column.

    ``fmt`` forces a datetime format (from user metadata); otherwise int, float, bool, date and
    datetime are tried in that order and the column stays text if none fits every value.
    """
    if fmt is not None:
        parsed = _parse_dates(series, fmt)
        if parsed is None:  # a detected wall-time format of zoned values, given back
            parsed = _parse_dates(series, fmt, zoned=True)
        if parsed is None:
            raise ValueError(f"values do not match datetime_format '{fmt}'")
        kind = "date" if fmt in DATE_FORMATS or not re.search(r"%[HIMSf]", fmt) else "datetime"
        return kind, parsed, fmt
    present = series.dropna()
    if present.empty:
        return "string", series.astype(object), None
    values = pa.array(present.astype(str).to_numpy(dtype=object), pa.string())
    if pc.all(pc.is_in(values, value_set=SQL_NULL_MARKS)).as_py():
        return "string", pd.Series(None, index=series.index, dtype=object), None
    if _all(values, INT_RE.pattern):
        stripped = pc.utf8_ltrim(values, characters="+-")
        lengths = pc.utf8_length(stripped)
        leading_zero = pc.and_(pc.greater(lengths, 1), pc.starts_with(stripped, "0"))
        if pc.any(leading_zero).as_py() or pc.max(lengths).as_py() > 18:
            return "string", series.astype(object), None  # codes: 01234 must keep its zero
        numbers = pd.to_numeric(series)
        return "int", numbers if series.notna().all() else numbers.astype("Int64"), None
    if series.isna().any() and _all(values, PANDAS_NULLABLE_INT_RE.pattern):
        numbers = pd.to_numeric(series)
        if numbers.abs().max() < 2**53:  # pandas wrote an int column with nulls as 1.0, 2.0
            return "int", numbers.astype("Int64"), None
    if _all(values, FLOAT_RE.pattern):
        unsigned = pc.utf8_ltrim(values, characters="+-")
        if pc.any(pc.match_substring_regex(unsigned, DECIMAL_CODE_RE.pattern)).as_py():
            return "string", series.astype(object), None  # 050.102: a code, as 01234 is
        return "float", pd.to_numeric(series).astype("float64"), None
    if _all(values, MONEY_RE.pattern):
        kind, amounts, _ = type_text(series.str.replace(r"[$€£¥₹, ]", "", regex=True))
        if kind in ("int", "float"):  # not $00012, a code with a sign before it
            return kind, amounts, None
    if pc.all(pc.is_in(pc.utf8_lower(values), value_set=BOOL_WORDS)).as_py():
        mapped = series.str.lower().map(BOOL_TEXT)
        return (
            "bool",
            mapped.astype("boolean") if series.isna().any() else mapped.astype(bool),
            None,
        )
    if _all(values, r"\d"):
        for fmt_try in DATE_FORMATS:
            parsed = _parse_dates(series, fmt_try)
            if parsed is not None:
                return "date", parsed, fmt_try
        zoned = _all(values, ZONED_RE.pattern)
        for fmt_try in DATETIME_FORMATS:
            parsed = _parse_dates(series, fmt_try, zoned)
            if parsed is not None:
                midnight = (parsed.dropna() == parsed.dropna().dt.normalize()).all()
                return ("date" if midnight else "datetime"), parsed, fmt_try
        mixed = _mixed_dates(series) if _all(values, DATE_SHAPE) else None
        if mixed is not None:
            return "date", mixed[0], mixed[1]
    words = pc.is_in(pc.utf8_lower(pc.utf8_trim_whitespace(values)), value_set=NULL_WORD_SET)
    if pc.any(words).as_py() and not pc.all(words).as_py():
        missing = pd.Series(False, index=series.index)
        missing[present.index] = words.to_numpy(zero_copy_only=False)
        kind, typed, found = type_text(series.mask(missing))
        if kind != "string":
            return kind, typed, found
    return "string", series.astype(object), None


def _as_nanoseconds(series: pd.Series) -> pd.Series | None:
    """Dates of another unit (Parquet's microseconds, milliseconds, seconds) in pandas'
    nanoseconds, which SDV's transformers assume: they read the integers as nanoseconds, so
    2022-05-02 in microseconds came out as 1970-01-20. None when a value is outside what
    nanoseconds hold (years 1677 to 2262)."""
    if series.dtype == "datetime64[ns]":
        return series
    try:
        return series.astype("datetime64[ns]")
    except (OverflowError, pd.errors.OutOfBoundsDatetime):
        return None


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
        series = series.dt.tz_localize(None) if series.dt.tz else series
        values = series.dropna()
        midnight = bool(len(values)) and (values == values.dt.normalize()).all()
        kind = "date" if midnight else "datetime"
        nanoseconds = _as_nanoseconds(series)
        if nanoseconds is None:  # a 9999-12-31 'open end': text, as it is read from a CSV
            text = series.dt.strftime(OUTPUT_FORMAT[kind])
            return type_text(text.astype(object).where(text.notna(), None), fmt)
        return kind, nanoseconds, OUTPUT_FORMAT[kind]
    if pd.api.types.infer_dtype(series, skipna=True) in ("string", "empty"):
        # text already (a CSV column): no per-value pass; missing values None, as below
        return type_text(series.astype(object).where(series.notna(), None), fmt)
    text = series.map(lambda v: None if v is None or v is pd.NA or v != v else str(v))
    return type_text(text, fmt)
