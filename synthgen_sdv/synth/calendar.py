"""Columns that are calendar parts of a date in their row, computed from it, not modeled.

A date dimension (AdventureWorksDW's DimDate, Oracle SH's TIMES, TPC-DS's date_dim) carries
the date and a dozen columns derived from it: the year, the month's number and name, the day
of the week, the week of the year, the fiscal quarter. ``dependencies`` cannot look them up:
the date is unique, so it determines everything by chance as well as by rule, and a lookup
from it would copy rows. Modeled on their own, the parts disagree with the sampled date (a
``CalendarYear`` of 2007 on a day of 2005), which anyone who joins on the dimension sees.

Here a non-key column is a calendar part when one of the known calendar functions of a date
column of its table gives it exactly on every row where the date is known (and it is empty
where the date is). The functions are rules, not learned tables, so the match is evidence
on its own: on at least ``MIN_ROWS`` rows and two distinct values no chance column agrees
with, say, the ISO week of every date. Such a column is dropped from the model and computed
from the sampled date. Fiscal calendars are found too: a fiscal year starting in July is the
calendar year of the date moved on six months (``year+6m``).

Public API: ``Calendar.fit(tables, metadata)`` -> the calendar parts with the tables and
metadata to model; ``calendar.restore(sampled)``; ``calendar.describe()``.
"""

from __future__ import annotations

import functools
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import pandas as pd

from synthgen_sdv.core.registry import Registry
from synthgen_sdv.synth.dependencies import fit_derived, restore_derived
from synthgen_sdv.synth.fastmath import as_datetime

MIN_ROWS = 20  # fewer rows prove no rule
SCREEN_ROWS = 2000  # parts are screened on the first dates, then confirmed on all
TEXT_LONGEST = 10  # "September" and "2021-01" are shorter; longer text is no calendar part
#: fiscal calendars: the date moved on k months (a year from July: the quarter 6 months on);
#: a fiscal year is named by the calendar year it starts or ends in, so years move both ways,
#: while quarters, halves and months repeat every 12 months and move forward only
SHIFTS = {
    "year": [k for k in range(-11, 12) if k],
    "quarter": list(range(1, 12)),
    "semester": list(range(1, 12)),
    "month": list(range(1, 12)),
}

MONTH_NAMES = np.array(
    ["", "January", "February", "March", "April", "May", "June", "July", "August",
     "September", "October", "November", "December"], dtype=object)  # fmt: skip
DAY_NAMES = np.array(
    ["Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday", "Sunday"], dtype=object
)


@dataclass(frozen=True)
class Fields:
    """A date column's calendar fields as integer arrays, computed once: every part is
    arithmetic on them (0 where the date is empty; ``known`` says where it is not)."""

    known: np.ndarray
    year: np.ndarray
    month: np.ndarray
    day: np.ndarray
    weekday: np.ndarray  # Monday = 0
    day_of_year: np.ndarray
    days_in_month: np.ndarray
    iso_week: np.ndarray
    iso_year: np.ndarray

    @classmethod
    def of(cls, dates: pd.Series) -> Fields:
        """The fields of ``dates`` (anything ``pd.to_datetime`` reads; unreadable = empty)."""
        d = as_datetime(pd.Series(np.asarray(dates)), errors="coerce")
        known = d.notna().to_numpy()
        iso = d.dt.isocalendar()

        def ints(s: pd.Series) -> np.ndarray:
            return s.fillna(0).to_numpy(dtype=np.int64)

        return cls(
            known,
            ints(d.dt.year),
            ints(d.dt.month),
            ints(d.dt.day),
            ints(d.dt.dayofweek),
            ints(d.dt.dayofyear),
            ints(d.dt.days_in_month),
            ints(iso.week.astype("Int64")),
            ints(iso.year.astype("Int64")),
        )


PartFn = Callable[[Fields], np.ndarray]  # calendar fields -> one value per row
PARTS: Registry[PartFn] = Registry("calendar part")
#: the order parts are tried in: plain calendar parts before fiscal (shifted) ones, so a
#: column that both give is the plainer one; numbers, then texts
ORDER: list[str] = []
TEXT_PARTS: set[str] = set()


def _week_from(f: Fields, first_day_sun0: int) -> np.ndarray:
    """Week of the year counted from 1 on 1 January, a new week starting on the weekday
    ``first_day_sun0`` (0 = Sunday): SQL Server's ``DATEPART(week, d)`` with Sunday first."""
    jan1_sun0 = ((f.weekday + 1) - (f.day_of_year - 1)) % 7
    return (f.day_of_year - 1 + (jan1_sun0 - first_day_sun0) % 7) // 7 + 1


def _shifted(f: Fields, k: int) -> tuple[np.ndarray, np.ndarray]:
    """(year, month) of the date moved on ``k`` months (negative: back)."""
    m0 = f.month - 1 + k
    return f.year + m0 // 12, m0 % 12 + 1


NUMBERS: dict[str, Callable[[Fields, int], np.ndarray]] = {
    # each takes the month shift k (0: the calendar itself)
    "year": lambda f, k: _shifted(f, k)[0],
    "month": lambda f, k: _shifted(f, k)[1],
    "quarter": lambda f, k: (_shifted(f, k)[1] - 1) // 3 + 1,
    "semester": lambda f, k: (_shifted(f, k)[1] - 1) // 6 + 1,
    "day": lambda f, k: f.day,
    "day_of_year": lambda f, k: f.day_of_year,
    "weekday_mon0": lambda f, k: f.weekday,
    "weekday_mon1": lambda f, k: f.weekday + 1,
    "weekday_sun0": lambda f, k: (f.weekday + 1) % 7,
    "weekday_sun1": lambda f, k: (f.weekday + 1) % 7 + 1,
    "week_sunday_first": lambda f, k: _week_from(f, 0),
    "week_monday_first": lambda f, k: _week_from(f, 1),
    "iso_week": lambda f, k: f.iso_week,
    "iso_year": lambda f, k: f.iso_year,
    "days_in_month": lambda f, k: f.days_in_month,
    "yyyymm": lambda f, k: f.year * 100 + f.month,
    "yyyymmdd": lambda f, k: f.year * 10000 + f.month * 100 + f.day,
}
TEXTS: dict[str, PartFn] = {
    "month_name": lambda f: MONTH_NAMES[f.month],
    "month_abbr": lambda f: np.array([m[:3] for m in MONTH_NAMES], dtype=object)[f.month],
    "day_name": lambda f: DAY_NAMES[f.weekday],
    "day_abbr": lambda f: np.array([d[:3] for d in DAY_NAMES], dtype=object)[f.weekday],
    "year_month": lambda f: np.char.add(
        np.char.add(f.year.astype(str), "-"), np.char.zfill(f.month.astype(str), 2)
    ).astype(object),
}
#: fiscal calendars: the date moved on k months (a year from July: the quarter 6 months on);
#: a fiscal year is named by the calendar year it starts or ends in, so years move both ways,
#: while quarters, halves and months repeat every 12 months and move forward only
SHIFTS = {
    "year": [k for k in range(-11, 12) if k],
    "quarter": list(range(1, 12)),
    "semester": list(range(1, 12)),
    "month": list(range(1, 12)),
}


def _add(name: str, fn: PartFn, text: bool = False) -> None:
    PARTS.register(name)(fn)
    ORDER.append(name)
    if text:
        TEXT_PARTS.add(name)


def _number(fn: Callable[[Fields, int], np.ndarray], k: int = 0) -> PartFn:
    return lambda f: fn(f, k)


def _text(fn: PartFn, case: str | None) -> PartFn:
    if case is None:
        return fn
    return lambda f: np.array([getattr(v, case)() for v in fn(f)], dtype=object)


for _name, _fn in NUMBERS.items():
    _add(_name, _number(_fn))
for _k in range(-11, 12):
    for _name, _ks in SHIFTS.items():
        if _k in _ks:
            _add(f"{_name}{_k:+d}m", _number(NUMBERS[_name], _k))
for _name, _tfn in TEXTS.items():
    for _suffix, _case in (("", None), (":upper", "upper"), (":lower", "lower")):
        _add(_name + _suffix, _text(_tfn, _case), text=True)


def part_values(name: str, dates: pd.Series | Fields) -> pd.Series:
    """Part ``name`` of ``dates`` (empty where a date is): Int64 numbers or text."""
    f = dates if isinstance(dates, Fields) else Fields.of(dates)
    values = PARTS.get(name)(f)
    if name in TEXT_PARTS:
        out = pd.Series(values, dtype=object)
        return out.where(f.known, None)
    return pd.Series(pd.array(values, dtype="Int64")).where(f.known, pd.NA).astype("Int64")


@dataclass
class Part:
    """``column`` of ``table`` = calendar part ``part`` of its row's ``source`` date."""

    table: str
    column: str
    source: str
    part: str
    dtype: Any  # the column's dtype in the data, given back

    def apply(self, df: pd.DataFrame) -> pd.Series:
        """The part for the sampled dates ``df[source]``, in the column's dtype."""
        values = part_values(self.part, df[self.source])
        values.index = df.index
        return _as(values, self.dtype)


def _as(values: pd.Series, dtype: Any) -> pd.Series:
    """``values`` in the data's dtype: numbers kept as text come back as text, integers that
    meet an empty date become nullable integers. A categorical dtype gives its categories'
    dtype: a sampled date past the real range has a year the categories lack."""
    if isinstance(dtype, pd.CategoricalDtype):
        dtype = dtype.categories.dtype
    if values.dtype == "Int64" and (
        pd.api.types.is_object_dtype(dtype) or pd.api.types.is_string_dtype(dtype)
    ):
        text = values.astype("object").map(lambda v: None if pd.isna(v) else str(v))
        return text.astype(dtype)
    if values.isna().any() and pd.api.types.is_integer_dtype(dtype):
        return values.astype("Int64")
    return values.astype(dtype)


@dataclass
class Calendar:
    """The calendar parts of every modeled table (empty when no table has one)."""

    parts: list[Part] = field(default_factory=list)

    @classmethod
    def fit(
        cls,
        tables: dict[str, pd.DataFrame],
        metadata: dict[str, Any],
        memo: dict[tuple, list[Part]] | None = None,
    ) -> tuple[Calendar, dict[str, pd.DataFrame], dict[str, Any]]:
        """Find the parts; return them with the tables and metadata to model. ``memo``
        (shared by the calls of one fit) keeps each table's parts for a later call on the
        same, unchanged frame: hma looks for them before and after its lookups, which leave
        most tables as they are."""

        def find(table: str, df: pd.DataFrame, meta: dict, keys: set[str]) -> list[Part]:
            if memo is None:
                return table_parts(table, df, meta, keys)
            key = (table, id(df), tuple(df.columns), tuple(sorted(keys)), repr(meta))
            if key not in memo:
                memo[key] = table_parts(table, df, meta, keys)
            return memo[key]

        parts, tables, metadata = fit_derived(find, tables, metadata)
        return cls(parts), tables, metadata

    def restore(self, sampled: dict[str, pd.DataFrame]) -> dict[str, pd.DataFrame]:
        """Compute each part from its sampled date."""
        return restore_derived(self.parts, sampled)

    def describe(self) -> list[dict[str, str]]:
        """``{table, column, part_of, part}`` per computed column (for the lineage file)."""
        return [
            {"table": p.table, "column": p.column, "part_of": p.source, "part": p.part}
            for p in self.parts
        ]


def table_parts(table: str, df: pd.DataFrame, meta: dict, keys: set[str]) -> list[Part]:
    """The calendar parts of one table: each non-key, non-date column that a calendar
    function of one of its date columns (keys too: a date dimension's key may be its date)
    gives exactly."""
    if len(df) < MIN_ROWS:
        return []
    columns = [c for c in meta["columns"] if c in df.columns]
    sources = [c for c in columns if meta["columns"][c].get("sdtype") == "datetime"]
    candidates = [
        c for c in columns if c not in keys and meta["columns"][c].get("sdtype") != "datetime"
    ]
    parts: list[Part] = []
    for src in sources:
        dates = as_datetime(df[src], errors="coerce")
        known = dates.notna().to_numpy()
        if known.sum() < MIN_ROWS:
            continue
        screen = _Screen(dates[known])
        for col in candidates:
            if any(p.column == col for p in parts):
                continue
            part = _match(df[col], known, screen)
            if part is not None:
                parts.append(Part(table, col, src, part, df[col].dtype))
    return parts


class _Screen:
    """Each part of one date column, computed once on the first dates, then on all of them
    for a part that passes there."""

    def __init__(self, dates: pd.Series):
        self.dates = dates
        self.head = Fields.of(dates.iloc[:SCREEN_ROWS])
        self._head: dict[str, np.ndarray] = {}

    @functools.cached_property
    def fields(self) -> Fields:
        """Every date's fields, computed only once a part has passed on the first dates
        (most date columns have no calendar part at all)."""
        return Fields.of(self.dates)

    def head_values(self, name: str) -> np.ndarray:
        if name not in self._head:
            self._head[name] = _comparable(PARTS.get(name)(self.head), name in TEXT_PARTS)
        return self._head[name]

    def all_values(self, name: str) -> np.ndarray:
        if len(self.dates) <= SCREEN_ROWS:
            return self.head_values(name)
        return _comparable(PARTS.get(name)(self.fields), name in TEXT_PARTS)


def _comparable(values: np.ndarray, text: bool) -> np.ndarray:
    return values.astype(str) if text else values.astype("float64")


def _match(col: pd.Series, known: np.ndarray, screen: _Screen) -> str | None:
    """The first part (in ``ORDER``) that gives ``col`` on every row where the date is known,
    with ``col`` empty exactly where the date is."""
    if (col.notna().to_numpy() != known).any():
        return None
    values = col[known].reset_index(drop=True)
    if values.nunique() < 2 or pd.api.types.is_bool_dtype(values):
        return None
    if pd.api.types.is_numeric_dtype(values):
        target, text = values.to_numpy(dtype="float64"), False
    else:
        strings = values.astype(str)
        if strings.iloc[:SCREEN_ROWS].str.len().max() > TEXT_LONGEST:
            return None  # a name, a comment: longer than any calendar text
        numbers = pd.to_numeric(strings, errors="coerce")
        # numbers written as text ("2005") match number parts only when written plainly
        if numbers.notna().all() and (numbers.astype("Int64").astype(str) == strings).all():
            target, text = numbers.to_numpy(dtype="float64"), False
        else:
            target, text = strings.to_numpy(), True
    head = target[:SCREEN_ROWS]
    for name in ORDER:
        if (name in TEXT_PARTS) != text:
            continue
        if (screen.head_values(name) == head).all() and (
            len(target) <= SCREEN_ROWS or (screen.all_values(name) == target).all()
        ):
            return name
    return None
