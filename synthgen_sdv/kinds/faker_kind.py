"""Faker columns drawn from a seeded pool, so a million names cost a pool, not a million calls."""

from __future__ import annotations

from functools import lru_cache
from typing import Any, Literal

import numpy as np
import pandas as pd
from faker import Faker
from pydantic import Field

from synthgen_sdv.core.seeds import derive_seed
from synthgen_sdv.kinds.base import ColumnContext, ColumnKind, register_kind


@lru_cache(maxsize=256)
def faker_pool(
    provider: str, locale: str, size: int, seed: int, args: tuple[tuple[str, Any], ...] = ()
) -> np.ndarray:
    """``size`` values of a Faker provider, seeded; cached per process (workers inherit it)."""
    fake = Faker(locale)
    fake.seed_instance(seed)
    fn = getattr(fake, provider)
    kwargs = dict(args)
    return np.array([str(fn(**kwargs)) for _ in range(size)], dtype=object)


@lru_cache(maxsize=64)
def has_provider(provider: str, locale: str) -> bool:
    """Whether the installed Faker has this provider for this locale."""
    try:
        return callable(getattr(Faker(locale), provider))
    except AttributeError:
        return False


@register_kind("faker")
class FakerColumn(ColumnKind):
    """Values of a Faker provider, drawn from a seeded per-column pool."""

    kind: Literal["faker"]
    provider: str
    locale: str | None = None
    pool: int = Field(2000, ge=1, le=2_000_000, description="distinct values to draw from")
    args: dict[str, Any] = Field(default_factory=dict)

    def logical_type(self) -> str:
        """Always string."""
        return "string"

    def default_sdtype(self) -> str:
        """The provider name for PII columns (SDV's PII sdtypes are Faker providers)."""
        # SDV names its PII sdtypes after Faker providers
        return self.provider if self.pii else "categorical"

    def values(
        self, seed: int, table: str, column: str, path: tuple[str, ...], locale: str
    ) -> np.ndarray:
        """The pool: the same for every chunk, built once per process."""
        pool_seed = derive_seed(seed, table, column, *path, "pool")
        return faker_pool(
            self.provider,
            self.locale or locale,
            self.pool,
            pool_seed,
            tuple(sorted(self.args.items())),
        )

    def environment_problems(self, locale: str) -> list[tuple[str, str]]:
        """The provider must exist in the installed Faker for the column's locale."""
        loc = self.locale or locale
        if has_provider(self.provider, loc):
            return []
        return [("provider", f"Faker has no provider '{self.provider}' for locale '{loc}'")]

    def warm_up(
        self, seed: int, table: str, column: str, locale: str, path: tuple[str, ...] = ()
    ) -> None:
        """Build the pool now (before workers fork), so every worker inherits it."""
        self.values(seed, table, column, path, locale)

    def _generate(self, ctx: ColumnContext) -> pd.Series:
        pool = self.values(ctx.seed, ctx.table, ctx.column, ctx.path, ctx.locale)
        return pd.Series(pool[ctx.rng.integers(0, len(pool), ctx.n)])
