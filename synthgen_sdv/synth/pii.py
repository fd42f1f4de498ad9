"""PII columns are never modeled: dropped before fit, regenerated with seeded Faker pools.

A column is PII when its SDV sdtype is a PII type (``name``, ``email``, ``phone_number``,
``address``, ...) or its metadata says ``"pii": true``; keys are never PII here (they keep
referential integrity). Regeneration is vectorized: a pool of distinct fake values is drawn
once per column from a Faker seeded per column, then rows index into it. A column that was
unique in the real data stays unique (pool indices are a permutation; past the pool size a
numeric suffix keeps values distinct), and its null rate is kept.

Public API: ``pii_columns(tables, metadata, table)`` -> ``[PiiColumn]``;
``PiiColumn.generate(n, seed)`` -> numpy array.

A sample drawn in batches (``synth.batches``) would pay for a new pool in every batch, which
costs as much as the rows of a whole batch: inside ``shared_pools(seed, batch)`` each column's
pool is drawn once from ``seed`` and reused by every batch (rows still index into it with the
batch's own seed), and a unique column's values of batch ``b`` > 0 carry a ``b-<lap>`` suffix,
so they stay distinct across batches too.
"""

from __future__ import annotations

import contextlib
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd

from synthgen_sdv.core import seeds

# sdtype -> Faker provider method
FAKER_METHODS = {
    "name": "name",
    "first_name": "first_name",
    "last_name": "last_name",
    "email": "email",
    "phone_number": "phone_number",
    "address": "street_address",
    "street_address": "street_address",
    "secondary_address": "secondary_address",
    "city": "city",
    "state": "state",
    "state_abbr": "state_abbr",
    "administrative_unit": "administrative_unit",
    "country": "country",
    "country_code": "country_code",
    "postcode": "postcode",
    "zipcode": "postcode",
    "ssn": "ssn",
    "company": "company",
    "job": "job",
    "user_name": "user_name",
    "ipv4_address": "ipv4",
    "ipv6_address": "ipv6",
    "iban": "iban",
    "swift11": "swift11",
    "credit_card_number": "credit_card_number",
    "license_plate": "license_plate",
    "url": "url",
    "vin": "vin",
    "mac_address": "mac_address",
}
PII_SDTYPES = frozenset(FAKER_METHODS)
POOL_MAX = 5000

#: the pool seed and batch of ``shared_pools`` while it is active, and the pools drawn
_SHARED: dict[str, Any] = {}
_POOLS: dict[tuple, np.ndarray] = {}


@contextlib.contextmanager
def shared_pools(seed: int, batch: int) -> Iterator[None]:
    """Within: pools come from ``seed`` (drawn once per column, then reused) and unique
    columns are suffixed for ``batch`` (see the module docstring)."""
    _SHARED.update(seed=int(seed), batch=int(batch))
    try:
        yield
    finally:
        _SHARED.clear()


@dataclass(frozen=True)
class PiiColumn:
    """A PII column left out of the model and regenerated with Faker after sampling."""

    table: str
    column: str
    sdtype: str
    null_rate: float
    unique: bool
    locale: str = "en_US"

    def describe(self) -> dict:
        """The column's entry in the synthesizer's parameters (generation lineage)."""
        return {
            "table": self.table,
            "column": self.column,
            "sdtype": self.sdtype,
            "unique": self.unique,
            "null_rate": round(self.null_rate, 6),
            "generator": f"faker.{FAKER_METHODS.get(self.sdtype, 'bothify')}",
        }

    def _pool(self, size: int, seed: int) -> np.ndarray:
        from faker import Faker

        fake = Faker(self.locale)
        fake.seed_instance(seed)
        method = getattr(fake, FAKER_METHODS.get(self.sdtype, ""), None)
        make = method if method is not None else (lambda: fake.bothify("??-########"))
        pool: dict[str, None] = {}
        for _ in range(size * 3):  # distinct values; Faker repeats for small vocabularies
            pool[str(make())] = None
            if len(pool) >= size:
                break
        return np.array(list(pool), dtype=object)

    def generate(self, n: int, seed: int) -> np.ndarray:
        """``n`` fake values (object array), reproducible for a seed (and, inside
        ``shared_pools``, its pool seed and batch)."""
        batch = 0
        if _SHARED:
            pool_seed = seeds.derive_seed(_SHARED["seed"], "pii_pool", self.table, self.column)
            key = (_SHARED["seed"], self.locale, self.sdtype, pool_seed)
            if key not in _POOLS:
                for old in [k for k in _POOLS if k[0] != key[0]]:
                    del _POOLS[old]  # another sample's: keep only the pools of this one
                _POOLS[key] = self._pool(POOL_MAX, pool_seed)
            values, batch = _POOLS[key], _SHARED["batch"]
        else:
            values = self._pool(max(1, min(n, POOL_MAX)), seed)
        rng = np.random.default_rng(seed)
        if self.unique:
            m = len(values)
            idx = np.concatenate([rng.permutation(m) for _ in range(-(-n // m))])[:n]
            out = values[idx]
            lap = np.arange(n) // m
            if batch:
                out = np.array(
                    [
                        _suffix(v, f"{batch}-{k}", self.sdtype)
                        for v, k in zip(out, lap, strict=True)
                    ],
                    dtype=object,
                )
            elif (lap > 0).any():
                out = np.array(
                    [_suffix(v, k, self.sdtype) if k else v for v, k in zip(out, lap, strict=True)],
                    dtype=object,
                )
        else:
            out = values[rng.integers(0, len(values), n)]
        if self.null_rate > 0:
            out[rng.random(n) < self.null_rate] = None
        return out


def _suffix(value: str, k: int | str, sdtype: str) -> str:
    if sdtype == "email" and "@" in value:
        local, domain = value.split("@", 1)
        return f"{local}{k}@{domain}"
    return f"{value} {k}"


def _key_columns(metadata: dict, table: str) -> set[str]:
    keys = {metadata["tables"][table].get("primary_key")}
    for r in metadata.get("relationships", []):
        if r["child_table_name"] == table:
            keys.add(r["child_foreign_key"])
    return {k for k in keys if isinstance(k, str)}


def pii_columns(tables: dict[str, pd.DataFrame], metadata: dict, table: str) -> list[PiiColumn]:
    """The PII columns of ``table``: PII sdtype or ``pii: true``, keys excluded."""
    out = []
    keys = _key_columns(metadata, table)
    for col, meta in metadata["tables"][table]["columns"].items():
        if col in keys:
            continue
        if meta.get("sdtype") in PII_SDTYPES or meta.get("pii") is True:
            data = tables[table][col]
            out.append(
                PiiColumn(
                    table=table,
                    column=col,
                    sdtype=meta.get("sdtype", "unknown"),
                    null_rate=float(data.isna().mean()),
                    unique=bool(data.dropna().is_unique and data.notna().any()),
                )
            )
    return out
