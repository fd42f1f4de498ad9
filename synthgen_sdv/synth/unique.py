"""Numbers and dates (nearly) all distinct in the data stay so in the sample.

A date dimension holds one row per day; an order table one running number per row. SDV
models such a column like any other (sdv 1.37.4 keeps uniqueness only for key and PII
sdtypes: ``alternate_keys`` must be ids), so the copula's draws land on the same day again
when the grid is about as fine as the values are many: a sampled ``DimDate`` of 3,652 days
held 2,296 distinct dates, its facts followed their parent's date, and one day of
``FactSurveyResponse`` took 4.6% of rows against 1.4% in the data.

After sampling, such a column is re-labelled by rank, like ``marginals`` does for discrete
columns: its non-null rows are ordered by the value the model drew (ties in a seeded random
order) and a set of distinct target values, ascending, is laid over that order. The copula's
dependence runs through the ranks, so it is kept; the marginal is the data's.

The target values for ``n`` sampled rows and ``m`` real values:

- ``n <= m``: the real values at evenly spaced positions, so a sample of the real table's
  size is a permutation of the real values;
- ``n > m``: the real quantile function at ``n`` evenly spaced
  positions, rounded to the column's grid (its date unit, its decimals and their common
  step), then pushed apart to be strictly increasing on that grid. A dense grid (one row per
  day, a running number) thus continues past the real maximum (3x the days at scale 3), a
  sparse one (amounts in cents) fills in between its real values, and a column with no grid
  interpolates.

The sampler re-labels a table's unique columns as soon as the table is sampled
(``keep_unique``), before its children are counted: a count model binned on a date dimension's
day must see the days the output will hold. Re-labelling is idempotent, so ``marginals``
applying it again after sampling changes nothing there.

A sample cut into batches (``synth.batches``) draws each batch on its own, so each batch's
targets alone would start again from the real minimum and repeat the first batch's values. A
batch is therefore given its place in the whole (``Place``, set by ``placed`` around the
batch's draw): every batch's scale, hence every table's rows in every batch (``round(fitted
rows x scale)``, the count HMA samples), known from the plan up front. The whole sample's
targets are laid over the rows of all batches, merged in order of their evenly spaced
positions (``Place.slots``), and a batch takes the targets of its own rows: the batches are
disjoint, together they are the whole's targets (distinct), each spans the whole range, and
each is a function of the plan and the seed only, the same for any number of workers.

Public API: ``UniqueValues`` (``learn(table, column, values, kind)``, ``relabel(column, rng)``),
``keep_unique(tables, table, columns, seed)``. ``treatment`` picks the columns (rule
``unique``), ``marginals`` learns and applies them with the per-value shares.
"""

from __future__ import annotations

import contextlib
from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field

import numpy as np
import pandas as pd

from synthgen_sdv.synth.seeding import derive_seed

#: how many known values a column needs before its uniqueness counts as a property
MIN_VALUES = 10
#: the share of distinct values among the known ones that makes a column (nearly) unique: the
#: few repeats a nearly unique column has are kept at n = m (the targets are the real values,
#: repeats included) and left out beyond (distinct values)
MIN_DISTINCT_SHARE = 0.95
#: a number or datetime is re-labelled only when its range holds at most this many grid
#: points per value: on a finer grid (amounts to 6 decimals, timestamps to the second) the
#: copula's draws are distinct already, and replacing them by the real values would copy them
MAX_GRID_PER_VALUE = 10
#: the ``unique`` rule's kind of value by sdtype
#: (categories are left to the model: text has no grid to crowd, the repeats SDV draws are
#: few, and re-labelling near-unique names and comments cost TPC-H 0.006 of holdout Quality)
KIND_OF_SDTYPE = {"numerical": "number", "datetime": "datetime"}
#: decimals tried when looking for a number's grid (beyond: continuous)
MAX_DECIMALS = 6
KINDS = ("number", "datetime")


@dataclass(frozen=True)
class Place:
    """One batch's place in a sample cut into batches: its ``index``, every batch's ``scale``
    (the plan's, in order) and each table's fitted rows (``sizes``)."""

    index: int
    scales: tuple[float, ...]
    sizes: Mapping[str, int] = field(default_factory=dict)

    def rows(self, table: str) -> list[int] | None:
        """The rows of ``table`` in every batch (None for a table of unknown size)."""
        size = self.sizes.get(table)
        return None if size is None else [round(int(size) * s) for s in self.scales]

    def slots(self, table: str, n: int) -> tuple[np.ndarray, int] | None:
        """Where ``n`` values of this batch's ``table`` sit among the whole sample's: their
        indexes (ascending) into its ascending targets, and how many those are (the rows of
        every batch). None when the place says nothing: one batch, or an unknown table.

        Row ``j`` of a batch of ``R`` rows sits at ``(j + 0.5) / R``; the rows of all batches
        merged in that order (ties: the earlier batch first) are the whole's order. A batch's
        ``n`` known values (its non-null rows) take evenly spaced rows of its own."""
        rows = self.rows(table)
        if rows is None or len(rows) < 2:
            return None
        own = max(rows[self.index], n)  # more values than planned rows: never seen, but safe
        j = np.floor((np.arange(n) + 0.5) * (own / n)).astype(np.int64) if n else np.arange(0)
        odd_own = 2 * j + 1
        index = j.copy()
        for c, other in enumerate(rows):
            if c == self.index or other == 0:
                continue
            # rows j' of batch c before row j: (2j'+1) * own < (2j+1) * other (<= if c is first)
            a = odd_own * int(other)
            last = a // own if c < self.index else (a - 1) // own  # the largest odd 2j'+1
            index += np.minimum((last + 1) // 2, other)
        total = sum(rows) - rows[self.index] + own
        return index, total


_PLACE: list[Place | None] = [None]


@contextlib.contextmanager
def placed(place: Place | None) -> Iterator[None]:
    """While a batch is drawn, unique columns take their part of the whole sample's targets
    (``Place``) instead of a whole range of their own."""
    before = _PLACE[0]
    _PLACE[0] = place
    try:
        yield
    finally:
        _PLACE[0] = before


@dataclass(frozen=True, eq=False)
class UniqueValues:
    """The real values of one (nearly) unique number or datetime column, ascending, repeats
    included."""

    table: str
    column: str
    kind: str
    values: np.ndarray  # numbers: float64; datetimes: int64 ns
    unit: float | int | None = None  # the grid step in the values' units (None: continuous)
    integer: bool = False  # numbers: every value is whole
    datetime_format: str | None = None  # datetimes SDV hands back as text in this format
    stream = "unique"  # the name its random order is derived under (``marginals``)

    @classmethod
    def learn(
        cls,
        table: str,
        column: str,
        data: pd.Series,
        kind: str,
        datetime_format: str | None = None,
    ) -> UniqueValues | None:
        """The column's values and grid, or None when they cannot be read as ``kind``."""
        if kind not in KINDS:
            raise ValueError(f"unknown kind {kind!r}; known: {KINDS}")
        known = data.dropna()
        if kind == "datetime":
            stamps = _to_datetime(known, datetime_format)
            if stamps.isna().any() or getattr(stamps.dt, "tz", None) is not None:
                return None
            ns = np.sort(stamps.to_numpy("datetime64[ns]").astype(np.int64))
            return cls(table, column, kind, ns, _int_unit(ns), datetime_format=datetime_format)
        numbers = pd.to_numeric(known, errors="coerce")
        if numbers.isna().any():
            return None
        x = np.sort(numbers.to_numpy(dtype=float))
        integer = bool(np.all(x == np.round(x)))
        return cls(table, column, kind, x, _number_unit(x), integer)

    def grid_points(self) -> float:
        """How many grid points the real range holds (inf for no grid)."""
        if self.unit is None:
            return float("inf")
        return float(self.values[-1] - self.values[0]) / float(self.unit) + 1.0

    # ------------------------------------------------------------------ targets
    def targets(self, n: int) -> np.ndarray:
        """``n`` target values, ascending (see the module doc)."""
        m = len(self.values)
        if n <= m:
            # evenly spaced positions, distinct. No random offset: re-labelling twice changes
            # nothing (the sampler does it before a table's children are counted, and again)
            idx = np.floor((np.arange(n) + 0.5) * (m / n)).astype(np.int64)
            return self.values[np.minimum(idx, m - 1)]
        positions = np.clip((np.arange(n) + 0.5) * (m / n) - 0.5, 0, m - 1)
        if self.unit is None:  # continuous: the interpolated quantile function is increasing
            return np.interp(positions, np.arange(m), self.values)
        origin = self.values[0]
        grid = np.rint((self.values - origin) / self.unit)  # exact for a grid: small floats
        k = np.rint(np.interp(positions, np.arange(m), grid)).astype(np.int64)
        steps = np.arange(n, dtype=np.int64)
        k = np.maximum.accumulate(k - steps) + steps  # strictly increasing, as little as needed
        if self.kind == "datetime":
            return origin + k * np.int64(self.unit)
        out = origin + k.astype(float) * float(self.unit)
        return np.round(out, MAX_DECIMALS) if not self.integer else np.rint(out)

    def batch_targets(self, n: int) -> np.ndarray:
        """``n`` targets, ascending: this batch's part of the whole sample's when a batch is
        being drawn (``placed``), else ``targets(n)``."""
        place = _PLACE[0]
        found = place.slots(self.table, n) if place is not None else None
        if found is None:
            return self.targets(n)
        index, total = found
        return self.targets(total)[index]

    # ------------------------------------------------------------------ relabel
    def relabel(self, column: pd.Series, rng: np.random.Generator) -> pd.Series:
        """``column`` with its non-null rows given distinct values by rank (module doc)."""
        known = column.notna().to_numpy()
        n = int(known.sum())
        if n == 0 or len(self.values) == 0:
            return column
        order = np.lexsort((rng.random(n), self._rank_keys(column[known])))
        labels = self.batch_targets(n)
        if self.kind == "datetime":
            values = np.empty(n, dtype="datetime64[ns]")
            values[order] = labels.view("datetime64[ns]")
            return _put_datetimes(column, known, values, self.datetime_format)
        return put_by_rank(column, known, order, labels)

    def _rank_keys(self, sampled: pd.Series) -> np.ndarray:
        """Where each sampled value sits: its number or timestamp."""
        if self.kind == "datetime":
            stamps = _to_datetime(sampled, self.datetime_format)
            if getattr(stamps.dt, "tz", None) is not None:
                stamps = stamps.dt.tz_localize(None)
            return stamps.to_numpy("datetime64[ns]").astype(np.int64).astype(float)
        return pd.to_numeric(sampled, errors="coerce").to_numpy(dtype=float)

    def describe(self) -> dict:
        """The column's entry in the synthesizer's parameters."""
        unit = None if self.unit is None else float(self.unit)
        return {"table": self.table, "column": self.column, "kind": self.kind, "unit": unit}


def put_by_rank(
    column: pd.Series, known: np.ndarray, order: np.ndarray, labels: np.ndarray
) -> pd.Series:
    """``column`` with its ``known`` rows taking ``labels`` (ascending) in the rank ``order``
    of their sampled values, in the column's dtype where the labels fit it (``marginals``
    lays the real shares the same way)."""
    values = np.empty(len(labels), dtype=labels.dtype)
    values[order] = labels
    out = column.astype(object).copy()
    out[known] = values
    try:
        return out.astype(column.dtype)
    except (TypeError, ValueError):
        return out.infer_objects()


def unique_columns(df: pd.DataFrame, columns: dict, keys: set[str]) -> list[tuple[str, str, dict]]:
    """``(column, reason, params)`` of every non-key number or datetime whose known values (at
    least ``MIN_VALUES``) are all, or all but a few (``MIN_DISTINCT_SHARE``), distinct, on a
    grid their values crowd (``MAX_GRID_PER_VALUE``)."""
    out = []
    for col, meta in columns.items():
        kind = KIND_OF_SDTYPE.get(meta["sdtype"])
        if kind is None or col in keys or col not in df:
            continue
        known = df[col].dropna()
        distinct = known.nunique()
        if len(known) < MIN_VALUES or distinct < MIN_DISTINCT_SHARE * len(known):
            continue
        params = {"kind": kind}
        if kind == "datetime" and meta.get("datetime_format"):
            params["datetime_format"] = meta["datetime_format"]
        learned = UniqueValues.learn("", col, known, kind, params.get("datetime_format"))
        if learned is None or learned.grid_points() > MAX_GRID_PER_VALUE * len(known):
            continue
        why = f"{distinct} distinct of {len(known)} known values: the real values by rank"
        out.append((col, why, params))
    return out


def keep_unique(tables: dict[str, pd.DataFrame], table: str, columns, seed: int | None) -> None:
    """Re-label the unique ``columns`` of the sampled ``table`` in place (module doc)."""
    df = tables.get(table)
    for u in columns:
        if u.table == table and df is not None and len(df) and u.column in df:
            rng = np.random.default_rng(derive_seed(seed or 0, u.stream, u.table, u.column))
            df[u.column] = u.relabel(df[u.column], rng).to_numpy()


def _to_datetime(values: pd.Series, fmt: str | None) -> pd.Series:
    """Timestamps of datetimes or text (in ``fmt`` when given; unreadable ones NaT)."""
    if pd.api.types.is_datetime64_any_dtype(values):
        return values
    try:
        return pd.to_datetime(values, errors="coerce", format=fmt or "mixed")
    except (TypeError, ValueError):
        return pd.to_datetime(values, errors="coerce", format="mixed")


def _put_datetimes(
    column: pd.Series, known: np.ndarray, values: np.ndarray, fmt: str | None
) -> pd.Series:
    """The new timestamps in ``column``'s own form: datetimes, or text in the column's format
    (a datetime with a ``datetime_format`` comes back from SDV as text)."""
    if pd.api.types.is_datetime64_any_dtype(column):
        out = column.copy()
        out[known] = values.astype(out.dtype) if out.dtype.kind == "M" else values
        return out
    sample = column[known].iloc[0]
    out = column.astype(object).copy()
    stamps = pd.Series(values)
    if isinstance(sample, str):
        fmt = fmt or ("%Y-%m-%d" if len(sample) <= 10 else "%Y-%m-%d %H:%M:%S")
        out[known] = stamps.dt.strftime(fmt).to_numpy(dtype=object)
    else:
        out[known] = stamps.to_numpy(dtype=object)
    return out


def _int_unit(ticks: np.ndarray) -> int | None:
    """The common step of integer ticks (their differences' gcd), None for one value."""
    steps = np.diff(ticks)
    if not len(steps):
        return None
    unit = int(np.gcd.reduce(steps))
    return unit if unit > 0 else None


def _number_unit(x: np.ndarray) -> float | None:
    """The grid of sorted distinct numbers: the fewest decimals that write them all, times
    the common step of their scaled values; None when more than ``MAX_DECIMALS`` are needed."""
    for decimals in range(MAX_DECIMALS + 1):
        scaled = x * 10.0**decimals
        whole = np.rint(scaled)
        if np.all(np.abs(scaled - whole) <= 1e-6 * np.maximum(1.0, np.abs(scaled))):
            if np.abs(whole).max(initial=0) >= 2**53:
                return None
            step = _int_unit(whole.astype(np.int64))
            return None if step is None else step / 10.0**decimals
    return None
