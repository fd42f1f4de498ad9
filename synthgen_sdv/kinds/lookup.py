"""Lookup / foreign-key columns: keys of another table, drawn with skew or per parent.

Two ways to relate to a parent:
- ``children_per_parent``: this table is generated per parent row (orders per customer); the
  count may be an expression over the parent's columns, so richer customers order more.
- ``popularity``: keys are drawn independently with uniform or power-law (zipf) popularity;
  which parents are popular is fixed per (seed, table, column), the same in every chunk.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Collection, Mapping
from functools import lru_cache
from typing import Literal

import numpy as np
import pandas as pd
from pydantic import Field, model_validator

from synthgen_sdv.core import bounds
from synthgen_sdv.core.distributions import DISTRIBUTIONS, choice, search_cdf
from synthgen_sdv.core.seeds import derive_seed, rng_for
from synthgen_sdv.core.strict import StrictModel
from synthgen_sdv.kinds.base import (
    ColumnContext,
    ColumnKind,
    ForeignKeyKind,
    Param,
    param_deps,
    register_kind,
)
from synthgen_sdv.kinds.numeric import DistributionFields, check_distribution_params


class ChildrenPerParent(DistributionFields):
    """How many child rows each parent row gets: a fixed count/expression, a distribution, or
    empirical counts."""

    count: Param | None = None
    distribution: str | None = None
    counts: dict[int, float] | None = Field(
        None, description="empirical: children count -> weight (as inferred from data)"
    )
    min: int = Field(0, ge=0)
    max: int | None = Field(None, ge=0)

    @model_validator(mode="after")
    def _one_way(self):
        given = self.given_params()
        ways = [w for w in ("count", "distribution", "counts") if getattr(self, w) is not None]
        if len(ways) != 1:
            raise ValueError(
                "give one of 'count', 'distribution' (with its parameters) or "
                "'counts' (count -> weight)"
            )
        if self.counts is not None and (
            min(self.counts) < 0
            or sum(self.counts.values()) <= 0
            or not math.isfinite(sum(self.counts.values()))  # relative: an overflowed total
        ):
            raise ValueError("'counts' needs counts >= 0 and a positive, finite total weight")
        if self.distribution is None and given:
            raise ValueError(f"parameters {', '.join(given)} need a 'distribution'")
        if self.distribution is not None:
            check_distribution_params(self.distribution, given)
        if isinstance(self.count, int | float) and self.count < 0:
            raise ValueError(f"'count' must be >= 0 (got {self.count:g})")
        if self.max is not None and self.min > self.max:
            raise ValueError(f"min ({self.min}) is greater than max ({self.max})")
        return self

    def deps(self) -> set[str]:
        """Parent columns the count expressions read."""
        return param_deps(self.count, *self.given_params().values())

    def expected(self) -> float | None:
        """The mean count when the config fixes it (clipped to min/max), else None."""
        if isinstance(self.count, str):
            return None
        if self.count is not None:
            mean: float | None = float(self.count)
        elif self.counts is not None:
            weights = sum(self.counts.values())
            mean = sum(k * w for k, w in self.counts.items()) / weights
        else:
            dist = DISTRIBUTIONS.get(self.distribution)  # type: ignore[arg-type]
            mean = dist.expected(self.given_params())
        if mean is None:
            return None
        return float(np.clip(mean, self.min, self.max if self.max is not None else np.inf))

    @property
    def always_zero(self) -> bool:
        """Every parent gets 0 children, whatever its columns."""
        if self.max == 0 or (isinstance(self.count, int | float) and round(self.count) == 0):
            return True
        if self.counts is not None:
            return all(k == 0 or w == 0 for k, w in self.counts.items())
        return self.distribution == "constant" and self.value == 0 and self.min == 0

    def draw_counts(self, ctx: ColumnContext) -> np.ndarray:
        """One count per parent row; ``ctx.env`` holds the parent's columns."""
        if self.count is not None:
            values = np.broadcast_to(np.asarray(ctx.param(self.count), float), (ctx.n,))
        elif self.counts is not None:
            options = np.array(list(self.counts), dtype=float)
            weights = np.array(list(self.counts.values()), dtype=float)
            values = options[choice(ctx.rng, len(options), ctx.n, weights / weights.sum())]
        else:
            values = self.drawn(self.distribution, ctx, integer=True)  # type: ignore[arg-type]
            if values.dtype.kind == "i" and (
                self.max is not None or not len(values) or values.max() <= 2**53
            ):  # integer draws (no nulls): clipped as integers, the same counts
                return np.clip(values, self.min, self.max).astype(np.int64, copy=False)
        values = np.nan_to_num(np.rint(values), nan=0.0)
        return np.clip(values, self.min, self.max).astype(np.int64)


class Popularity(StrictModel):
    """How often each parent key is drawn: all alike, or a power law over a seeded ranking."""

    distribution: Literal["uniform", "zipf"] = "uniform"
    a: float = Field(1.0, gt=0, description="zipf exponent: weight of rank r is r^-a")


@register_kind("lookup")
class LookupColumn(ForeignKeyKind):
    """Keys of another table: per parent row (children_per_parent) or drawn by popularity."""

    kind: Literal["lookup"]
    table: str
    column: str | None = Field(
        None, description="key column of the target; default its primary key"
    )
    children_per_parent: ChildrenPerParent | None = None
    popularity: Popularity | None = None
    distinct: bool = Field(False, description="each parent at most once in the whole table")
    distinct_per_parent: bool = Field(False, description="no repeat within one driving parent")

    allowed_in_case = False

    @model_validator(mode="after")
    def _one_relation(self):
        if self.children_per_parent is not None and self.popularity is not None:
            raise ValueError("give either 'children_per_parent' or 'popularity', not both")
        if self.children_per_parent is not None and (self.distinct or self.distinct_per_parent):
            raise ValueError("'distinct' options apply to popularity lookups only")
        return self

    @property
    def foreign_key_target(self) -> str:
        """The looked-up table."""
        return self.table

    @property
    def foreign_key_column(self) -> str | None:
        """The configured target column (None: the target's primary key)."""
        return self.column

    @property
    def is_driver(self) -> bool:
        """A children_per_parent lookup makes this table a child generated per parent row."""
        return self.children_per_parent is not None

    @property
    def children_count_expression(self) -> Param | None:
        """The configured per-parent count (rederive sets a parent column it names)."""
        return self.children_per_parent.count if self.children_per_parent else None

    def children_counts(self, ctx: ColumnContext) -> np.ndarray:
        """One children count per parent row."""
        if self.children_per_parent is None:
            raise AssertionError(f"lookup to '{self.table}' has no children_per_parent")
        return self.children_per_parent.draw_counts(ctx)

    def expected_children(self) -> float | None:
        """The configured mean children per parent, when it is a number."""
        return self.children_per_parent.expected() if self.children_per_parent else None

    def with_children_cap(self, cap: int) -> LookupColumn:
        """At most ``cap`` children per parent (for the run estimate's pilot)."""
        cpp = self.children_per_parent
        if cpp is None:
            return self
        capped = cpp.model_copy(update={"max": min(cap, cpp.max if cpp.max is not None else cap)})
        return self.model_copy(update={"children_per_parent": capped})

    @property
    def never_has_children(self) -> bool:
        """A children count that is 0 for every parent."""
        return self.children_per_parent is not None and self.children_per_parent.always_zero

    def limit_children(self, counts: np.ndarray, n_targets: int) -> np.ndarray:
        """Distinct picks per parent: no more rows per parent than there are targets."""
        return np.minimum(counts, n_targets) if self.distinct_per_parent else counts

    def deps(self) -> set[str]:
        """Parent columns the children count reads."""
        return self.children_per_parent.deps() if self.children_per_parent else set()

    def logical_type(self) -> str:
        """The parent key's type: 'inferred' here, set by the engine from the parent."""
        return "inferred"  # the parent key's type, set by the plan

    def default_sdtype(self) -> str:
        """Keys are ids."""
        return "id"

    def weights(self, seed: int, table: str, column: str, n_parents: int) -> np.ndarray:
        """Draw probability per parent row, the same in every chunk."""
        pop = self.popularity or Popularity()
        return popularity_weights(seed, table, column, n_parents, pop.distribution, pop.a)

    def warm_lookup(self, seed: int, table: str, column: str, n_parents: int) -> None:
        """Build the popularity tables ``positions`` draws from (cached per process) now,
        before workers fork, so they inherit them instead of each building its own: the
        alias table of products (15,811 rows at scale 1000) is a Python loop, customers'
        ranking (1M rows) a permutation and a cumulative sum."""
        pop = self.popularity or Popularity()
        if n_parents == 0 or pop.distribution == "uniform":
            return
        if self.distinct:
            weighted_order(seed, table, column, n_parents, pop.a)
        else:
            sampler(seed, table, column, n_parents, pop.a)

    def positions(
        self, ctx: ColumnContext, n_parents: int, groups: np.ndarray | None = None
    ) -> np.ndarray:
        """Row positions in the parent table, one per row of this chunk; ``groups`` (each
        row's driving parent) is used only by ``distinct_per_parent`` lookups."""
        if n_parents == 0:
            raise ctx.config_error(
                f"lookup target '{self.table}' has no rows; a lookup needs at least one row "
                "to draw keys from (give it rows, or drop the lookup)"
            )
        pop = self.popularity or Popularity()
        if self.distinct:
            # once every parent is used, the remaining rows get no link (-1: null), e.g. a
            # legacy table generated on fewer sampled customers than it was configured for
            rows = (ctx.row_offset or 0) + np.arange(ctx.n, dtype=np.int64)
            out = np.full(ctx.n, -1, dtype=np.int64)
            inside = rows < n_parents
            if pop.distribution == "uniform":
                key = derive_seed(ctx.seed, ctx.table, ctx.column, "distinct")
                out[inside] = keyed_permutation(rows[inside], n_parents, key)
            else:
                order = weighted_order(ctx.seed, ctx.table, ctx.column, n_parents, pop.a)
                out[inside] = order[rows[inside]]
            return out
        w = self.weights(ctx.seed, ctx.table, ctx.column, n_parents)
        rng = ctx.rng
        if pop.distribution == "uniform":
            draw = lambda size: rng.integers(0, n_parents, size)  # noqa: E731
        else:
            alias = sampler(ctx.seed, ctx.table, ctx.column, n_parents, pop.a)
            draw = lambda size: alias.draw(rng, size)  # noqa: E731
        if self.distinct_per_parent and groups is not None and ctx.n:
            return _distinct_within(rng, w, groups, draw)
        return draw(ctx.n)


@lru_cache(maxsize=256)
def popularity_weights(
    seed: int, table: str, column: str, n_parents: int, distribution: str, a: float
) -> np.ndarray:
    """Draw probability per parent row: all alike, or a power law over a seeded ranking (the
    same ranking in every chunk and process; cached per process)."""
    if distribution == "uniform" or n_parents == 0:
        w = np.full(n_parents, 1.0 / max(n_parents, 1))
    else:
        rank = rng_for(seed, table, column, "popularity").permutation(n_parents)
        w = 1.0 / np.power(rank + 1.0, a)
        w /= w.sum()
    w.flags.writeable = False
    return w


class AliasSampler:
    """Draws from a fixed discrete distribution in O(1) per draw (Vose's alias method);
    for very many parents, inverse-CDF search, which needs no Python loop to build."""

    _ALIAS_MAX = 50_000

    def __init__(self, weights: np.ndarray):
        n = len(weights)
        self.n = n
        self.cdf: np.ndarray | None = None
        if n > self._ALIAS_MAX:
            self.cdf = np.cumsum(weights)
            self.cdf /= self.cdf[-1]
            return
        prob = weights * n
        alias = np.zeros(n, dtype=np.int64)
        small = [i for i in range(n) if prob[i] < 1.0]
        large = [i for i in range(n) if prob[i] >= 1.0]
        while small and large:
            s, g = small.pop(), large.pop()
            alias[s] = g
            prob[g] = prob[g] + prob[s] - 1.0
            (small if prob[g] < 1.0 else large).append(g)
        for i in small + large:
            prob[i] = 1.0
        self.prob, self.alias = prob, alias

    def draw(self, rng: np.random.Generator, size: int) -> np.ndarray:
        """``size`` row positions."""
        if self.cdf is not None:
            return np.minimum(search_cdf(self.cdf, rng.random(size)), self.n - 1)
        i = rng.integers(0, self.n, size)
        return np.where(rng.random(size) < self.prob[i], i, self.alias[i])


@lru_cache(maxsize=256)
def sampler(seed: int, table: str, column: str, n_parents: int, a: float) -> AliasSampler:
    """The zipf popularity sampler of a lookup column (built once per process)."""
    return AliasSampler(popularity_weights(seed, table, column, n_parents, "zipf", a))


@lru_cache(maxsize=16)
def weighted_order(seed: int, table: str, column: str, n_parents: int, a: float) -> np.ndarray:
    """Parents in the order a distinct zipf lookup takes them: a weighted random permutation
    (Efraimidis-Spirakis keys u^(1/w)), computed once per process rather than per chunk."""
    w = popularity_weights(seed, table, column, n_parents, "zipf", a)
    u = rng_for(seed, table, column, "distinct").random(n_parents)
    keys = np.log(u) / w  # the order of u^(1/w), without underflow
    order = np.argsort(-keys, kind="stable")
    order.flags.writeable = False
    return order


_MASK64 = np.uint64(0xFFFFFFFFFFFFFFFF)


def _mix(x: np.ndarray) -> np.ndarray:
    """splitmix64's finalizer: a well-mixed 64-bit hash of each value."""
    x = (x ^ (x >> np.uint64(30))) * np.uint64(0xBF58476D1CE4E5B9)
    x = (x ^ (x >> np.uint64(27))) * np.uint64(0x94D049BB133111EB)
    return x ^ (x >> np.uint64(31))


def keyed_permutation(index: np.ndarray, n: int, key: int, rounds: int = 4) -> np.ndarray:
    """A pseudo-random bijection of [0, n) applied to ``index`` (all < n), from ``key``.

    A balanced Feistel network over the smallest even number of bits covering n, with cycle
    walking back into [0, n): O(1) per value, no memory and no state, so chunk ``c`` of a
    distinct lookup needs only its own rows, never a permutation of all parents.
    """
    bits = max(2, int(n - 1).bit_length())
    bits += bits % 2
    half = np.uint64(bits // 2)
    low = np.uint64((1 << (bits // 2)) - 1)
    keys = [np.uint64(derive_seed(key, "feistel", r)) for r in range(rounds)]

    def permute(x: np.ndarray) -> np.ndarray:
        left, right = x >> half, x & low
        for k in keys:
            left, right = right, left ^ (_mix(right ^ k) & low)
        return (left << half) | right

    with np.errstate(over="ignore"):
        out = permute(index.astype(np.uint64))
        todo = out >= np.uint64(n)
        while todo.any():
            out[todo] = permute(out[todo])
            todo = out >= np.uint64(n)
    return out.astype(np.int64)


def _distinct_within(
    rng: np.random.Generator,
    w: np.ndarray,
    groups: np.ndarray,
    draw: Callable[[int], np.ndarray],
) -> np.ndarray:
    """Weighted draws without replacement inside each group (e.g. the distinct stores of one
    product), vectorized over the groups.

    A group that needs at most half of the targets reads a stream of draws with replacement
    (``draw``) and keeps the first ``k`` distinct values: that is sampling without replacement
    exactly, and costs O(rows), not O(groups x targets). Larger groups take the top ``k`` of
    Gumbel-perturbed log weights, a block of groups at a time (bounded memory)."""
    out = np.empty(len(groups), dtype=np.int64)
    order = np.argsort(groups, kind="stable")
    sorted_groups = groups[order]
    starts = np.flatnonzero(np.r_[True, sorted_groups[1:] != sorted_groups[:-1]])
    sizes = np.diff(np.r_[starts, len(groups)])
    within = np.arange(len(groups)) - np.repeat(starts, sizes)
    group_of_row = np.repeat(np.arange(len(starts)), sizes)
    k = int(min(sizes.max(), len(w)))
    ranked = np.full((len(starts), k), -1, dtype=np.int64)
    streamed = sizes * 2 <= len(w)
    _first_distinct(ranked, np.flatnonzero(streamed), np.minimum(sizes, len(w)), draw)
    _gumbel_top(ranked, np.flatnonzero(~streamed), np.log(w), k, rng)
    out[order] = ranked[group_of_row, within]
    return out


def _first_distinct(
    ranked: np.ndarray, rows: np.ndarray, need: np.ndarray, draw: Callable[[int], np.ndarray]
) -> None:
    """Fill ``ranked[g, :need[g]]`` for the groups ``rows`` with the first distinct values of
    each group's stream of draws, a round of draws per still-short group at a time."""
    width = ranked.shape[1]
    pending = rows
    while len(pending):
        m = 2 * width
        fresh = draw(len(pending) * m).reshape(len(pending), m)
        vals = np.concatenate([ranked[pending], fresh], axis=1)  # kept values first, in order
        valid = vals >= 0
        sort = np.argsort(np.where(valid, vals, -1), axis=1, kind="stable")
        sv = np.take_along_axis(vals, sort, axis=1)
        first_sorted = np.ones_like(sv, dtype=bool)
        first_sorted[:, 1:] = sv[:, 1:] != sv[:, :-1]
        first = np.zeros_like(first_sorted)
        np.put_along_axis(first, sort, first_sorted, axis=1)
        first &= valid
        take = first & (np.cumsum(first, axis=1) <= need[pending][:, None])
        counts = take.sum(axis=1)
        r, c = np.nonzero(take)
        slot = np.arange(len(r)) - np.repeat(np.r_[0, np.cumsum(counts)[:-1]], counts)
        ranked[pending[r], slot] = vals[r, c]
        pending = pending[counts < need[pending]]


def _gumbel_top(
    ranked: np.ndarray, rows: np.ndarray, log_w: np.ndarray, k: int, rng: np.random.Generator
) -> None:
    """Fill ``ranked[rows]`` with the top ``k`` of Gumbel-perturbed log weights per group."""
    block = max(1, 4_000_000 // max(len(log_w), 1))
    for b in range(0, len(rows), block):
        these = rows[b : b + block]
        scores = log_w[None, :] + rng.gumbel(size=(len(these), len(log_w)))
        if k < len(log_w):
            top = np.argpartition(-scores, k - 1, axis=1)[:, :k]
            top_scores = np.take_along_axis(scores, top, axis=1)
            ranked[these] = np.take_along_axis(
                top, np.argsort(-top_scores, axis=1, kind="stable"), axis=1
            )
        else:
            ranked[these] = np.argsort(-scores, axis=1, kind="stable")


@register_kind("rollup")
class RollupColumn(ColumnKind):
    """An aggregate of a child table's column per row (order total = sum of its lines)."""

    kind: Literal["rollup"]
    table: str
    column: str | None = None
    agg: Literal["sum", "count", "mean", "min", "max"] = "sum"
    round: int | None = Field(None, ge=-bounds.MAX_ROUND_DIGITS, le=bounds.MAX_ROUND_DIGITS)

    recomputed_after_sampling = True
    allowed_in_case = False

    @property
    def rollup_source(self) -> str:
        """The child table aggregated per row."""
        return self.table

    def rollup_problems(self, child_columns: Collection[str]) -> list[tuple[str, str]]:
        """The aggregated column must exist in the child; every agg but count needs one."""
        if self.column and self.column not in child_columns:
            return [("column", f"'{self.table}' has no column '{self.column}'")]
        if self.agg != "count" and not self.column:
            return [("column", f"agg '{self.agg}' needs a column")]
        return []

    def logical_type(self) -> str:
        """int for counts, float for every other aggregate."""
        return "int" if self.agg == "count" else "float"

    def aggregate(self, child: Mapping[str, pd.Series], pos: np.ndarray, n: int) -> pd.Series:
        """The aggregate per parent row; a parent without children sums to 0 (others: null)."""
        if self.agg == "count":
            return pd.Series(np.bincount(pos, minlength=n).astype(np.int64))
        values = pd.to_numeric(child[self.column], errors="coerce")
        if self.agg == "sum":  # the common case, without a groupby
            numbers = values.to_numpy(dtype=float, na_value=np.nan)
            valid = ~np.isnan(numbers)
            sums = np.bincount(pos[valid], weights=numbers[valid], minlength=n)
            out = pd.Series(sums.astype(float))
            return out.round(self.round) if self.round is not None else out
        grouped = values.groupby(pos).agg(self.agg).reindex(range(n))
        if self.agg == "sum":
            grouped = grouped.fillna(0.0)
        out = grouped.astype(float).reset_index(drop=True)
        return out.round(self.round) if self.round is not None else out

    def _generate(self, ctx: ColumnContext) -> pd.Series:
        raise AssertionError("rollup columns are computed by the engine after their children")
