"""Date and datetime columns over a range, with month seasonality and weekday patterns.

Draws go through the inverse CDF of a per-day weight table, so a per-row lower bound
(``after: customers.signup_date``) costs one searchsorted, not a loop.
"""

from __future__ import annotations

import datetime as dt
import math
from typing import Literal

import numpy as np
import pandas as pd
import pyarrow as pa
from pydantic import field_validator, model_validator

from synthgen_sdv.core import bounds
from synthgen_sdv.core.distributions import choice, search_cdf
from synthgen_sdv.core.values import format_datetimes, text
from synthgen_sdv.kinds.base import (
    ColumnContext,
    ColumnKind,
    Expression,
    param_deps,
    register_kind,
)

#: the days pandas' nanosecond timestamps can hold (outside, values would silently wrap)
FIRST_DAY, LAST_DAY = dt.date(1678, 1, 1), dt.date(2261, 12, 31)


def _weights(v: list[float] | None, n: int, what: str) -> list[float] | None:
    if v is not None and (len(v) != n or min(v) < 0 or sum(v) <= 0):
        raise ValueError(f"needs {n} non-negative {what}, not all 0")
    if v is not None and not math.isfinite(sum(v)):  # relative weights: their sum overflowed
        raise ValueError(f"{what} sum to infinity; use smaller numbers (only ratios count)")
    return v


def formatted(values: np.ndarray, fmt: str) -> pd.Series:
    """Days or timestamps (numpy datetime64) as text in ``fmt``, vectorized for numeric
    directives, else through pandas (the same text either way)."""
    fast = format_datetimes(values, fmt)
    if fast is not None:
        return text(fast)
    return text(pa.array(pd.Series(values).dt.strftime(fmt).to_numpy(dtype=object)))


class _DateRange(ColumnKind):
    start: dt.date
    end: dt.date
    seasonality: list[float] | None = None
    weekdays: list[float] | None = None
    after: Expression | None = None
    format: str | None = None

    @field_validator("seasonality")
    @classmethod
    def _twelve(cls, v):
        return _weights(v, 12, "month weights (January first)")

    @field_validator("weekdays")
    @classmethod
    def _seven(cls, v):
        return _weights(v, 7, "weekday weights (Monday first)")

    @field_validator("start", "end", mode="before")
    @classmethod
    def _plain_date(cls, v):
        if isinstance(v, dt.datetime):  # YAML reads '2021-01-01 10:00' as a datetime
            raise ValueError(f"needs a date like 2021-01-31, got {v}")
        return v

    @field_validator("format")
    @classmethod
    def _format(cls, v):
        problem = bounds.strftime_problem(v) if v is not None else None
        if problem:
            raise ValueError(problem)
        return v

    @model_validator(mode="after")
    def _ordered(self):
        if self.end < self.start:
            raise ValueError(f"end {self.end} is before start {self.start}")
        if self.start < FIRST_DAY or self.end > LAST_DAY:
            raise ValueError(f"dates must be from {FIRST_DAY} to {LAST_DAY}")
        if (self.seasonality or self.weekdays) and self.day_weights().sum() <= 0:
            raise ValueError("seasonality and weekdays give every day in the range weight 0")
        return self

    def day_weights(self) -> np.ndarray:
        """The weight of each day of the range (month seasonality times weekday pattern)."""
        days = np.arange(np.datetime64(self.start, "D"), np.datetime64(self.end, "D") + 1)
        weights = np.ones(len(days))
        if self.seasonality:
            months = days.astype("datetime64[M]").astype(np.int64) % 12
            weights *= np.asarray(self.seasonality)[months]
        if self.weekdays:
            weekday = (days.astype(np.int64) + 3) % 7  # 1970-01-01 was a Thursday
            weights *= np.asarray(self.weekdays)[weekday]
        return weights

    def deps(self) -> set[str]:
        """The ``after`` bound's references."""
        return param_deps(self.after)

    def default_sdtype(self) -> str:
        """datetime, even when written as text with a ``format``."""
        return "datetime"

    def draw_days(self, ctx: ColumnContext) -> np.ndarray:
        """One day per row by inverse CDF, at or after the per-row ``after`` bound if any."""
        days = np.arange(np.datetime64(self.start, "D"), np.datetime64(self.end, "D") + 1)
        weights = self.day_weights()
        cdf = np.cumsum(weights) / weights.sum()
        u = ctx.rng.random(ctx.n)
        if self.after is None:
            return days[np.minimum(search_cdf(cdf, u), len(days) - 1)]
        bound = ctx.eval(self.after)
        try:
            if not pd.api.types.is_datetime64_any_dtype(bound.dtype):
                bound = pd.to_datetime(bound)
            lower = bound.to_numpy().astype("datetime64[D]")
        except (TypeError, ValueError, OverflowError):
            raise ctx.config_error(
                f"after: {self.after!r} must give dates, got {bound.dtype} values"
            ) from None
        # days are consecutive: the first day >= the bound is arithmetic (no bound: past all)
        lo_idx = np.clip(lower.astype(np.int64) - days[0].astype(np.int64), 0, len(days))
        lo_idx[np.isnat(lower)] = len(days)
        base = np.where(lo_idx > 0, cdf[np.maximum(lo_idx - 1, 0)], 0.0)
        idx = search_cdf(cdf, base + u * (1.0 - base))
        out = days[np.clip(np.maximum(idx, lo_idx), 0, len(days) - 1)]
        # a bound past the range cannot be honoured inside it: keep the bound itself
        return np.where(lower > days[-1], lower, out)


@register_kind("date")
class DateColumn(_DateRange):
    """Days in a range, weighted by month and weekday (text when ``format`` is given)."""

    kind: Literal["date"]

    def logical_type(self) -> str:
        """date, or string when written with a ``format``."""
        return "string" if self.format else "date"

    def _generate(self, ctx: ColumnContext) -> pd.Series:
        days = self.draw_days(ctx)
        return (
            formatted(days, self.format)
            if self.format
            else pd.Series(days.astype("datetime64[ns]"))
        )


@register_kind("datetime")
class DateTimeColumn(_DateRange):
    """Timestamps: a weighted day plus a time, optionally weighted by hour of day."""

    kind: Literal["datetime"]
    hours: list[float] | None = None

    @field_validator("hours")
    @classmethod
    def _day(cls, v):
        return _weights(v, 24, "hour weights (midnight first)")

    def logical_type(self) -> str:
        """datetime, or string when written with a ``format``."""
        return "string" if self.format else "datetime"

    def _generate(self, ctx: ColumnContext) -> pd.Series:
        days = self.draw_days(ctx).astype("datetime64[s]")
        rng = ctx.sub_rng("time")
        if self.hours:
            w = np.asarray(self.hours, float)
            hour = choice(rng, 24, ctx.n, w / w.sum())
        else:
            hour = rng.integers(0, 24, ctx.n)
        seconds = hour * 3600 + rng.integers(0, 3600, ctx.n)
        stamps = days + seconds.astype("timedelta64[s]")
        return (
            formatted(stamps, self.format)
            if self.format
            else pd.Series(stamps.astype("datetime64[ns]"))
        )
