"""Evidence from values: is every value of a column a key of a parent, and is that a coincidence?

Value inclusion alone says little when the values are small integers and the parent's keys
are a dense ``1..N``: every table with enough rows "contains" them (``rental_duration`` 3..7
is inside ``rental_id`` 1..16,049). ``Inclusion.chance`` is the probability of the inclusion
if the values were unrelated integers spread over ``1..max``: the share of that range the
parent's keys cover, to the power of the number of distinct values. Keys with gaps
(``ProductID`` 1..4, 316..999) or starting far from 1 (``employee_id`` 100..206) make an
inclusion unlikely by chance; a dense ``1..N`` makes it certain. Text keys shared by chance
are rare unless the values are very short; dates are never evidence on their own.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np
import pandas as pd

STRONG = 1e-4  # an inclusion less likely than this by chance is evidence on its own
TEXT_CHANCE = {True: 0.1, False: 0.5}  # per value: long (>= 3 characters) or short text


@dataclass(frozen=True)
class Keys:
    """A parent's key values, ready for inclusion tests."""

    kind: str
    index: pd.Index
    ints: np.ndarray | None  # sorted, for int keys

    @classmethod
    def of(cls, series: pd.Series, kind: str) -> Keys:
        """The distinct non-null values of a key column."""
        values = series.dropna().unique()
        ints = np.sort(np.asarray(values, dtype=np.int64)) if kind == "int" else None
        return cls(kind, pd.Index(values), ints)


@dataclass(frozen=True)
class Inclusion:
    """How a column's values sit in a parent's keys."""

    distinct: int
    outside: pd.Series  # values that are not keys (for messages)
    chance: float  # probability of the inclusion for unrelated values; 1 = explained by range
    coverage: float  # share of the parent's keys the column uses

    @property
    def contained(self) -> bool:
        """Every (non-null) value is a key; true for a column without values."""
        return self.outside.empty

    @property
    def strong(self) -> bool:
        """Inclusion that is evidence on its own (unlikely by chance, at least 2 values)."""
        return self.contained and self.distinct >= 2 and self.chance < STRONG

    def describe(self) -> str:
        """``all 325 distinct values are keys (chance 1e-97)``, for reasons."""
        if self.distinct == 0:
            return "it has no values to check"
        chance = (
            "" if self.chance >= 0.01 else f", by chance 1 in {1 / max(self.chance, 1e-300):.0e}"
        )
        return f"all {self.distinct} distinct values are keys ({self.coverage:.0%} of them{chance})"


def inclusion(values: pd.Series, keys: Keys, kind: str, within_keys: bool = False) -> Inclusion:
    """How ``values`` (of logical type ``kind``) sit in ``keys``. ``within_keys``: the chance
    of integers counts from the smallest key, not from 1, so values inside a dense block of
    keys that starts far from 1 (prices 100..200 in employee ids 100..206) are explained by
    range: the test for a column whose name says nothing."""
    distinct = pd.Series(values.dropna().unique())
    n = len(distinct)
    outside = distinct[~distinct.isin(keys.index)] if n else distinct
    coverage = n / len(keys.index) if len(keys.index) else 0.0
    if n == 0 or not outside.empty:
        return Inclusion(n, outside, 1.0, coverage)
    if kind == "int" and keys.ints is not None:
        v = np.asarray(distinct, dtype=np.int64)
        lo = min(int(v.min()), int(keys.ints[0]) if within_keys else 1)
        hi = int(v.max())
        covered = np.searchsorted(keys.ints, hi, "right") - np.searchsorted(keys.ints, lo, "left")
        share = covered / (hi - lo + 1)
        chance = math.exp(n * math.log(share)) if share > 0 else 0.0
    elif kind == "string":
        long = bool(distinct.astype(str).str.len().mean() >= 3)
        chance = TEXT_CHANCE[long] ** n
    else:
        chance = 1.0
    return Inclusion(n, outside, chance, coverage)
