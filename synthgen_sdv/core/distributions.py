"""Numeric distributions shared by int, float and children-per-parent specs.

Each is a plug-in that names its parameters; a parameter may be a number or an expression
(evaluated per row), which is how one column's distribution depends on others.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass

import numpy as np

from synthgen_sdv.core.registry import Registry

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


DISTRIBUTIONS: Registry[Distribution] = Registry("distribution")


def _add(dist: Distribution) -> None:
    DISTRIBUTIONS.register(dist.name)(dist)


_add(
    Distribution(
        "uniform",
        ("low", "high"),
        lambda r, p, n: r.uniform(p["low"], p["high"], n),
        defaults=(("low", 0.0), ("high", 1.0)),
    )
)
_add(Distribution("normal", ("mean", "std"), lambda r, p, n: r.normal(p["mean"], p["std"], n)))
_add(
    Distribution(
        "lognormal", ("mean", "sigma"), lambda r, p, n: r.lognormal(p["mean"], p["sigma"], n)
    )
)
_add(Distribution("exponential", ("scale",), lambda r, p, n: r.exponential(p["scale"], n)))
_add(
    Distribution(
        "poisson", ("lam",), lambda r, p, n: r.poisson(np.maximum(p["lam"], 0), n), integer=True
    )
)
# numpy's zipf draws k >= 1 with P(k) ~ k^-a (a > 1): the heavy tail of counts and popularity.
_add(Distribution("zipf", ("a",), lambda r, p, n: r.zipf(p["a"], n), integer=True))
_add(
    Distribution(
        "bernoulli", ("p",), lambda r, p, n: (r.random(n) < p["p"]).astype(np.int64), integer=True
    )
)
_add(
    Distribution(
        "constant",
        ("value",),
        lambda r, p, n: np.broadcast_to(np.asarray(p["value"], dtype=float), (n,)).copy(),
    )
)


def draw(
    dist_name: str,
    rng: np.random.Generator,
    params: Mapping[str, ParamValue],
    n: int,
    integer: bool,
) -> np.ndarray:
    """Draw n values; an integer column rounds continuous draws (uniform ints are inclusive)."""
    dist = DISTRIBUTIONS.get(dist_name)
    full: dict[str, ParamValue] = {**dict(dist.defaults), **params}
    if integer and dist_name == "uniform":
        low = np.asarray(full["low"], dtype=np.int64)
        high = np.asarray(full["high"], dtype=np.int64)
        return rng.integers(low, np.maximum(high, low) + 1, n)
    values = dist.sample(rng, full, n)
    if integer and not dist.integer:
        values = np.rint(values)
    return values
