"""Faker columns drawn from a seeded pool, so a million names cost a pool, not a million calls.

A pool is a pure function of (provider, locale, size, seed, arguments, Faker version), so it is
built once per process and also kept in a small on-disk cache (``pool_cache_dir``): building the
pools of the default config calls Faker about 20,000 times (1-2 s), a fixed cost of every run
that the cache removes. A damaged or foreign cache file is ignored and rebuilt.
"""

from __future__ import annotations

import contextlib
import inspect
import json
import os
import re
from functools import lru_cache
from pathlib import Path
from typing import Any, Literal

import faker
import numpy as np
import pandas as pd
import pyarrow as pa
from faker import Faker
from pydantic import Field

from synthgen_sdv.core import bounds
from synthgen_sdv.core.seeds import content_hash, derive_seed
from synthgen_sdv.core.values import text
from synthgen_sdv.kinds.base import ColumnContext, ColumnKind, register_kind

#: environment variable naming the pool cache folder; "off" (or "0") disables the cache
CACHE_ENV = "SYNTHGEN_CACHE_DIR"


def pool_cache_dir() -> Path | None:
    """Where pools are cached: $SYNTHGEN_CACHE_DIR, else $XDG_CACHE_HOME or ~/.cache, under
    synthgen_sdv/faker_pools; None when the cache is turned off."""
    configured = os.environ.get(CACHE_ENV)
    if configured is not None:
        return None if configured.strip().lower() in ("", "0", "off", "none") else Path(configured)
    base = os.environ.get("XDG_CACHE_HOME") or str(Path.home() / ".cache")
    return Path(base) / "synthgen_sdv" / "faker_pools"


def _build(provider: str, locale: str, size: int, seed: int, kwargs: dict[str, Any]) -> list[str]:
    fake = Faker(locale)
    fake.seed_instance(seed)
    fn = getattr(fake, provider)
    return [str(fn(**kwargs)) for _ in range(size)]


def _read_cached(path: Path, size: int) -> pa.Array | None:
    try:
        with pa.memory_map(str(path)) as source:
            table = pa.ipc.open_file(source).read_all()
        values = table.column("value").combine_chunks()
    except (OSError, pa.ArrowException, KeyError):
        return None
    return values if len(values) == size and values.type == pa.string() else None


def _write_cached(path: Path, values: pa.Array) -> None:
    """Best effort and atomic: a cache that cannot be written is simply not used."""
    with contextlib.suppress(OSError):
        path.parent.mkdir(parents=True, exist_ok=True)
        tmp = path.with_name(f".{path.name}.{os.getpid()}")
        with pa.OSFile(str(tmp), "wb") as sink, pa.ipc.new_file(sink, _SCHEMA) as writer:
            writer.write_table(pa.table({"value": values}))
        os.replace(tmp, path)


_SCHEMA = pa.schema([pa.field("value", pa.string())])


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
) -> pa.Array:
    """``size`` values of a Faker provider, seeded; cached per process (workers inherit it)
    and on disk."""
    folder = pool_cache_dir()
    key = content_hash(repr((provider, locale, size, seed, args, faker.VERSION)), 32, prefix="")
    path = folder / f"{provider}-{key}.arrow" if folder is not None else None
    if path is not None and path.exists():
        cached = _read_cached(path, size)
        if cached is not None:
            return cached
    values = pa.array(_build(provider, locale, size, seed, dict(args)), type=pa.string())
    if path is not None:
        _write_cached(path, values)
    return values


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
    ) -> pa.Array:
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
        idx = ctx.rng.integers(0, len(pool), ctx.n)
        return text(pool.take(pa.array(idx.astype(np.int32 if len(pool) < 2**31 else np.int64))))
