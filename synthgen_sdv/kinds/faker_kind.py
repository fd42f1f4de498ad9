"""Faker columns drawn from a seeded pool, so a million names cost a pool, not a million calls."""

from __future__ import annotations

import inspect
import json
import re
from functools import lru_cache
from typing import Any, Literal

import numpy as np
import pandas as pd
from faker import Faker
from pydantic import Field

from synthgen_sdv.core import bounds
from synthgen_sdv.core.seeds import derive_seed
from synthgen_sdv.kinds.base import ColumnContext, ColumnKind, register_kind

#: provider arguments that size what a call makes (nb_words, max_chars, digits, ...)
_SIZE_ARG = re.compile(
    r"nb|chars|length|size|digits|count|elements|words|sentences|paragraph|files"
)
MAX_SIZE_ARG = 10_000
#: the memory one column's pool of values may take
MAX_POOL_BYTES = 100 * 2**20


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


@lru_cache(maxsize=16)
def _providers(locale: str) -> tuple[Faker | None, frozenset[str]]:
    """A Faker for ``locale`` and the public methods of its providers (None: no such locale)."""
    try:
        fake = Faker(locale)
    except (AttributeError, ValueError, TypeError):
        return None, frozenset()
    names: set[str] = set()
    for provider in fake.factories[0].get_providers():
        names |= {
            n for n in dir(provider) if not n.startswith("_") and callable(getattr(provider, n))
        }
    return fake, frozenset(names)


def has_provider(provider: str, locale: str) -> bool:
    """Whether ``provider`` is a public method of a Faker provider for ``locale`` (not any
    attribute of the Faker object: ``__class__`` or ``seed_instance`` are not providers)."""
    return provider in _providers(locale)[1]


_CHECKED: dict[tuple[str, str, str, int], str | None] = {}


def provider_problem(provider: str, locale: str, args: dict[str, Any], pool: int) -> str | None:
    """Why values of ``provider(**args)`` cannot be drawn (no such provider, arguments it does
    not take, values too large for a pool of ``pool``), or None; one seeded trial call,
    remembered per process."""
    key = (provider, locale, json.dumps(args, sort_keys=True, default=repr), pool)
    if key not in _CHECKED:
        _CHECKED[key] = _provider_problem(provider, locale, args, pool)
    return _CHECKED[key]


def _provider_problem(provider: str, locale: str, args: dict[str, Any], pool: int) -> str | None:
    fake, names = _providers(locale)
    if fake is None:
        return f"Faker has no locale '{locale}'"
    if provider not in names:
        return f"Faker has no provider '{provider}' for locale '{locale}'"
    for name, value in args.items():
        if _SIZE_ARG.search(name) and isinstance(value, int | float) and abs(value) > MAX_SIZE_ARG:
            return f"args.{name}: {value} is above the limit of {MAX_SIZE_ARG:,}"
    fn = getattr(fake, provider)
    try:
        inspect.signature(fn).bind(**args)
    except TypeError as exc:
        return f"'{provider}' does not take these args: {exc}"
    except ValueError:
        pass  # no signature to check: the trial call tells
    fake.seed_instance(0)
    try:
        text = str(fn(**args))
    except Exception as exc:  # any failure of a third-party call with the user's arguments
        return f"calling '{provider}' with args {args} fails: {type(exc).__name__}: {exc}"
    if len(text) > bounds.MAX_TEXT_CHARS:
        return (
            f"'{provider}' makes values of {len(text):,} characters; the limit is "
            f"{bounds.MAX_TEXT_CHARS:,}"
        )
    if len(text) * pool > MAX_POOL_BYTES:
        return (
            f"a pool of {pool:,} values of about {len(text):,} characters would take "
            f"{len(text) * pool / 2**20:,.0f} MB; the limit is {MAX_POOL_BYTES // 2**20} MB"
        )
    return None


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
        """The provider must be a public provider method of the installed Faker for the
        column's locale, take the configured args, and make values of bounded size."""
        loc = self.locale or locale
        problem = provider_problem(self.provider, loc, self.args, self.pool)
        if problem is None:
            return []
        in_args = problem.startswith(("args.", f"'{self.provider}' does not"))
        where = "args" if in_args else "provider"
        return [(where, problem)]

    def warm_up(
        self, seed: int, table: str, column: str, locale: str, path: tuple[str, ...] = ()
    ) -> None:
        """Build the pool now (before workers fork), so every worker inherits it."""
        self.values(seed, table, column, path, locale)

    def _generate(self, ctx: ColumnContext) -> pd.Series:
        pool = self.values(ctx.seed, ctx.table, ctx.column, ctx.path, ctx.locale)
        return pd.Series(pool[ctx.rng.integers(0, len(pool), ctx.n)])
