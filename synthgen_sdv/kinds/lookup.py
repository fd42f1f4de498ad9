"""Lookup / foreign-key columns: keys of another table, drawn with skew or per parent.

Two ways to relate to a parent:
- ``children_per_parent``: this table is generated per parent row (orders per customer); the
  count may be an expression over the parent's columns, so richer customers order more.
- ``popularity``: keys are drawn independently with uniform or power-law (zipf) popularity;
  which parents are popular is fixed per (seed, table, column), the same in every chunk.
"""

from __future__ import annotations

from collections.abc import Collection
from typing import Literal

import numpy as np
import pandas as pd
from pydantic import Field, model_validator

from synthgen_sdv.core import bounds
from synthgen_sdv.core.distributions import DISTRIBUTIONS
from synthgen_sdv.core.seeds import rng_for
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
        if self.counts is not None and (min(self.counts) < 0 or sum(self.counts.values()) <= 0):
            raise ValueError("'counts' needs counts >= 0 and a positive total weight")
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
            values = ctx.rng.choice(options, size=ctx.n, p=weights / weights.sum())
        else:
            values = self.drawn(self.distribution, ctx, integer=True)  # type: ignore[arg-type]
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
        if pop.distribution == "uniform" or n_parents == 0:
            return np.full(n_parents, 1.0 / max(n_parents, 1))
        rank = rng_for(seed, table, column, "popularity").permutation(n_parents)
        w = 1.0 / np.power(rank + 1.0, pop.a)
        return w / w.sum()

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
        w = self.weights(ctx.seed, ctx.table, ctx.column, n_parents)
        if self.distinct:
            order = rng_for(ctx.seed, ctx.table, ctx.column, "distinct").choice(
                n_parents, size=n_parents, replace=False, p=w
            )
            # once every parent is used, the remaining rows get no link (-1: null), e.g. a
            # legacy table generated on fewer sampled customers than it was configured for
            start = ctx.row_offset or 0
            out = np.full(ctx.n, -1, dtype=np.int64)
            taken = order[start : start + ctx.n]
            out[: len(taken)] = taken
            return out
        if self.distinct_per_parent and groups is not None and ctx.n:
            return _distinct_within(ctx.rng, w, groups)
        return ctx.rng.choice(n_parents, size=ctx.n, p=w)


def _distinct_within(rng: np.random.Generator, w: np.ndarray, groups: np.ndarray) -> np.ndarray:
    """Weighted draws without replacement inside each group (Gumbel top-k), vectorized."""
    out = np.empty(len(groups), dtype=np.int64)
    order = np.argsort(groups, kind="stable")
    sorted_groups = groups[order]
    starts = np.flatnonzero(np.r_[True, sorted_groups[1:] != sorted_groups[:-1]])
    sizes = np.diff(np.r_[starts, len(groups)])
    scores = np.log(w)[None, :] + rng.gumbel(size=(len(starts), len(w)))
    ranked = np.argsort(-scores, axis=1)
    within = np.arange(len(groups)) - np.repeat(starts, sizes)
    out[order] = ranked[np.repeat(np.arange(len(starts)), sizes), within]
    return out


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

    def aggregate(self, child: pd.DataFrame, pos: np.ndarray, n: int) -> pd.Series:
        """The aggregate per parent row; a parent without children sums to 0 (others: null)."""
        if self.agg == "count":
            return pd.Series(np.bincount(pos, minlength=n).astype(np.int64))
        values = pd.to_numeric(child[self.column], errors="coerce")
        grouped = values.groupby(pos).agg(self.agg).reindex(range(n))
        if self.agg == "sum":
            grouped = grouped.fillna(0.0)
        out = grouped.astype(float).reset_index(drop=True)
        return out.round(self.round) if self.round is not None else out

    def _generate(self, ctx: ColumnContext) -> pd.Series:
        raise AssertionError("rollup columns are computed by the engine after their children")
