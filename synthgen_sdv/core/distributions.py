"""Numeric distributions shared by int, float and children-per-parent specs.

Each is a plug-in that names its parameters; a parameter may be a number or an expression
(evaluated per row), which is how one column's distribution depends on others. Each also says
which values its parameters may take (``Bound``): a number in the config is checked when the
config is loaded, and values from an expression are checked per row when drawn, so a negative
standard deviation is a config error with its YAML path rather than numpy's ``scale < 0``.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Mapping
from dataclasses import dataclass

import numpy as np

from synthgen_sdv.core.errors import InputError
from synthgen_sdv.core.poisson import poisson
from synthgen_sdv.core.registry import Registry


class ParameterError(InputError, ValueError):
    """A distribution parameter outside the values it may take (a ValueError too, so config
    validators report it)."""


@dataclass(frozen=True)
class Bound:
    """The values one parameter may take: ``low`` to ``high`` (``low`` excluded when
    ``open_low``). ``clip_rows``: values from an expression outside the range are clipped to
    it (a negative Poisson rate from an expression means 0) instead of refused."""

    param: str
    low: float = -math.inf
    high: float = math.inf
    open_low: bool = False
    clip_rows: bool = False

    def describe(self) -> str:
        """The range in words: 'std must be >= 0'."""
        parts = []
        if self.low > -math.inf:
            parts.append(f"{'>' if self.open_low else '>='} {self.low:g}")
        if self.high < math.inf:
            parts.append(f"<= {self.high:g}")
        return f"'{self.param}' must be {' and '.join(parts)}"

    def outside(self, value: np.ndarray) -> np.ndarray:
        """Which values are outside the range (NaN and infinity always are)."""
        below = value <= self.low if self.open_low else value < self.low
        return ~np.isfinite(value) | below | (value > self.high)


#: a parameter is one number for all rows or one value per row (from an expression)
ParamValue = float | np.ndarray
Sampler = Callable[[np.random.Generator, dict[str, ParamValue], int], np.ndarray]


@dataclass(frozen=True)
class Distribution:
    """A named sampler with its parameter names and defaults (a plug-in)."""

    name: str
    params: tuple[str, ...]
    sample: Sampler
    defaults: tuple[tuple[str, float], ...] = ()
    integer: bool = False
    bounds: tuple[Bound, ...] = ()
    ordered: tuple[str, str] | None = None  # (low, high): low <= high
    #: the mean for numeric parameters (inf: none; used to estimate a run's size)
    mean: Callable[[dict[str, float]], float] | None = None

    def expected(self, params: Mapping[str, object]) -> float | None:
        """The mean of a draw when every parameter is a number, else None."""
        full = {**dict(self.defaults), **params}
        if self.mean is None or not all(
            isinstance(v, int | float) and not isinstance(v, bool) for v in full.values()
        ):
            return None
        return float(self.mean({k: float(v) for k, v in full.items()}))  # type: ignore[arg-type]

    def problems(self, params: Mapping[str, object]) -> list[str]:
        """What is wrong with the parameters given as numbers (expressions are checked per row
        when drawn)."""
        numbers = {
            k: float(v)
            for k, v in {**dict(self.defaults), **params}.items()
            if isinstance(v, int | float) and not isinstance(v, bool)
        }
        out = [
            f"{b.describe()} (got {numbers[b.param]:g})"
            for b in self.bounds
            if b.param in numbers and b.outside(np.asarray(numbers[b.param]))
        ]
        if self.ordered and all(k in numbers for k in self.ordered):
            low, high = self.ordered
            if numbers[low] > numbers[high]:
                out.append(
                    f"'{low}' ({numbers[low]:g}) is greater than '{high}' ({numbers[high]:g})"
                )
        return out

    def check_rows(
        self, params: Mapping[str, ParamValue]
    ) -> tuple[dict[str, ParamValue], np.ndarray | None]:
        """Parameters per row checked (and clipped where the bound says so) before drawing,
        and the rows whose parameters are null (their draws are null); raise ParameterError
        naming the parameter and how many rows are outside its range."""
        out = dict(params)
        arrays = {k: np.asarray(v, dtype=float) for k, v in params.items() if _per_row(v)}
        null = None
        for value in arrays.values():
            null = np.isnan(value) if null is None else (null | np.isnan(value))
        for name, value in arrays.items():
            value = np.where(np.isnan(value), self._placeholder(name), value)
            bound = next((b for b in self.bounds if b.param == name), None)
            bad = ~np.isfinite(value)
            if bound is not None and bound.clip_rows:
                value = np.clip(value, bound.low, bound.high)
            elif bound is not None:
                bad = bound.outside(value)
            if bad.any():
                rule = bound.describe() if bound else f"'{name}' must be a finite number"
                raise ParameterError(
                    f"{rule}, but its expression gives {_examples(value[bad])} in "
                    f"{int(bad.sum()):,} of {len(value):,} rows"
                )
            out[name] = value
        if self.ordered:
            low, high = (np.asarray(out[k], dtype=float) for k in self.ordered)
            wrong = np.broadcast_to(low > high, np.broadcast(low, high).shape)
            if wrong.any():
                raise ParameterError(
                    f"'{self.ordered[0]}' is greater than '{self.ordered[1]}' in "
                    f"{int(wrong.sum()):,} rows"
                )
        return out, null if null is not None and null.any() else None

    def _placeholder(self, name: str) -> float:
        """A valid value standing in for a null parameter (that row's draw is null anyway)."""
        bound = next((b for b in self.bounds if b.param == name), None)
        if bound is None or (bound.low <= 0 <= bound.high and not bound.open_low):
            return 0.0
        return bound.low + 1.0 if bound.low > -math.inf else bound.high


def _per_row(value: object) -> bool:
    return isinstance(value, np.ndarray) and value.ndim > 0


def _examples(values: np.ndarray) -> str:
    shown = sorted({f"{v:g}" for v in values[:1000].tolist()})[:3]
    return ", ".join(shown)


DISTRIBUTIONS: Registry[Distribution] = Registry("distribution")


def _add(dist: Distribution) -> None:
    DISTRIBUTIONS.register(dist.name)(dist)


def _zipf_mean(p: dict[str, float]) -> float:
    """zeta(a - 1) / zeta(a); infinite for a <= 2 (the heavy tail)."""
    a = p["a"]
    if a <= 2:
        return math.inf
    ks = np.arange(1, 100_000, dtype=float)
    return float((ks ** (1 - a)).sum() / (ks ** (-a)).sum())


# the largest value a draw may be near: beyond it numpy overflows (Poisson) or int64 does
_HUGE = 1e15

_add(
    Distribution(
        "uniform",
        ("low", "high"),
        lambda r, p, n: r.uniform(p["low"], p["high"], n),
        defaults=(("low", 0.0), ("high", 1.0)),
        bounds=(Bound("low", -_HUGE, _HUGE), Bound("high", -_HUGE, _HUGE)),
        ordered=("low", "high"),
        mean=lambda p: (p["low"] + p["high"]) / 2,
    )
)
_add(
    Distribution(
        "normal",
        ("mean", "std"),
        lambda r, p, n: r.normal(p["mean"], p["std"], n),
        bounds=(Bound("std", 0.0),),
        mean=lambda p: p["mean"],
    )
)
_add(
    Distribution(
        "lognormal",
        ("mean", "sigma"),
        lambda r, p, n: r.lognormal(p["mean"], p["sigma"], n),
        bounds=(Bound("sigma", 0.0),),
        mean=lambda p: math.exp(min(p["mean"] + p["sigma"] ** 2 / 2, 700)),
    )
)
_add(
    Distribution(
        "exponential",
        ("scale",),
        lambda r, p, n: r.exponential(p["scale"], n),
        bounds=(Bound("scale", 0.0),),
        mean=lambda p: p["scale"],
    )
)
_add(
    Distribution(
        "poisson",
        ("lam",),
        lambda r, p, n: poisson(r, np.maximum(p["lam"], 0), n),  # numpy's law, ~2.5x faster
        integer=True,
        bounds=(Bound("lam", 0.0, _HUGE, clip_rows=True),),
        mean=lambda p: max(p["lam"], 0.0),
    )
)
# numpy's zipf draws k >= 1 with P(k) ~ k^-a (a > 1): the heavy tail of counts and popularity.
_add(
    Distribution(
        "zipf",
        ("a",),
        lambda r, p, n: r.zipf(p["a"], n),
        integer=True,
        bounds=(Bound("a", 1.0, open_low=True),),
        mean=_zipf_mean,
    )
)
_add(
    Distribution(
        "bernoulli",
        ("p",),
        lambda r, p, n: (r.random(n) < p["p"]).astype(np.int64),
        integer=True,
        bounds=(Bound("p", 0.0, 1.0, clip_rows=True),),
        mean=lambda p: min(max(p["p"], 0.0), 1.0),
    )
)
_add(
    Distribution(
        "constant",
        ("value",),
        lambda r, p, n: np.broadcast_to(np.asarray(p["value"], dtype=float), (n,)).copy(),
        mean=lambda p: p["value"],
    )
)


def search_cdf(cdf: np.ndarray, x: np.ndarray) -> np.ndarray:
    """``np.searchsorted(cdf, x, side="right")``, the same indices, by a guide table.

    numpy's binary search over random (unsorted) ``x`` costs ~170 ns a value on this machine
    (a branch miss per step); a guide table of 2^k buckets (``guide[j]``: the answer for
    ``j / 2^k``) starts each value at most a few entries short of its answer, and a vectorized
    walk finishes it: ~20 ns a value. The powers of two keep ``x * 2^k`` and ``j / 2^k`` exact,
    so no value starts past its answer and the result is identical, not just close.
    """
    x = np.asarray(x, dtype=np.float64)
    buckets = 1 << max(6, min(16, (4 * len(cdf)).bit_length()))
    guide = np.searchsorted(cdf, np.arange(buckets, dtype=np.float64) / buckets, side="right")
    ext = np.append(np.asarray(cdf, dtype=np.float64), np.inf)
    j = (x * buckets).astype(np.int64)  # nan -> a huge negative number, clipped like any other
    np.clip(j, 0, buckets - 1, out=j)
    idx = guide[j]
    todo = np.flatnonzero(ext[idx] <= x)
    while todo.size:
        idx[todo] += 1
        todo = todo[ext[idx[todo]] <= x[todo]]
    return idx


def choice(rng: np.random.Generator, k: int, n: int, p: np.ndarray) -> np.ndarray:
    """``rng.choice(k, size=n, p=p)``, the same draws (numpy's own inverse CDF over one
    ``rng.random(n)``), searched by ``search_cdf``."""
    cdf = np.asarray(p, dtype=np.float64).cumsum()
    cdf /= cdf[-1]
    if len(cdf) != k:
        raise ValueError(f"{len(cdf)} probabilities for {k} choices")
    return search_cdf(cdf, rng.random(n))


def draw(
    dist_name: str,
    rng: np.random.Generator,
    params: Mapping[str, ParamValue],
    n: int,
    integer: bool,
) -> np.ndarray:
    """Draw n values; an integer column rounds continuous draws (uniform ints are inclusive)."""
    dist = DISTRIBUTIONS.get(dist_name)
    full, null = dist.check_rows({**dict(dist.defaults), **params})
    if integer and dist_name == "uniform":
        low = np.asarray(full["low"], dtype=np.int64)
        high = np.asarray(full["high"], dtype=np.int64)
        values = rng.integers(low, np.maximum(high, low) + 1, n)
    else:
        values = dist.sample(rng, full, n)
        if integer and not dist.integer:
            values = np.rint(values)
    if null is not None:  # a null parameter gives a null value in its row
        values = values.astype(float)
        values[null] = np.nan
    return values
