"""The column-kind contract: a strict config model that knows its type and generates values.

Public ``generate`` checks what every kind must guarantee (length, nulls); kinds implement
``_generate``. A kind reads other columns only through ``ctx`` and declares them in ``deps``.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any, ClassVar

import numpy as np
import pandas as pd
from pydantic import Field

from synthgen_sdv.core import expr as expressions
from synthgen_sdv.core.nulls import with_nulls
from synthgen_sdv.core.registry import Registry
from synthgen_sdv.core.seeds import rng_for
from synthgen_sdv.core.strict import StrictModel

SQL_TYPES = {
    "int": "BIGINT",
    "float": "DOUBLE",
    "string": "VARCHAR",
    "bool": "BOOLEAN",
    "date": "DATE",
    "datetime": "TIMESTAMP",
}
Param = float | int | str


class ColumnKind(StrictModel):
    """Fields every column accepts, whatever its kind."""

    kind: str
    description: str = ""
    emit: bool = Field(True, description="write the column (false: helper column only)")
    pii: bool = Field(False, description="personal data: not modeled, regenerated after sampling")
    null_rate: float = Field(0.0, ge=0.0, le=1.0)
    references: str | None = Field(None, description="declare a foreign key 'table.column'")
    ground_truth: bool = Field(False, description="record this hidden link in labels.json")
    sdtype: str | None = Field(None, description="override the SDV sdtype")

    #: set by kinds whose values are keys into another table
    is_lookup: ClassVar[bool] = False

    def deps(self) -> set[str]:
        """Names this column reads: own columns or '<parent>.<column>'."""
        return set()

    def logical_type(self) -> str:
        raise NotImplementedError

    def default_sdtype(self) -> str:
        return {
            "int": "numerical",
            "float": "numerical",
            "bool": "boolean",
            "date": "datetime",
            "datetime": "datetime",
        }.get(self.logical_type(), "categorical")

    def _generate(self, ctx: ColumnContext) -> pd.Series:
        raise NotImplementedError

    def generate(self, ctx: ColumnContext) -> pd.Series:
        values = self._generate(ctx)
        if len(values) != ctx.n:
            raise AssertionError(
                f"{ctx.table}.{ctx.column}: kind '{self.kind}' returned {len(values)} values for "
                f"{ctx.n} rows"
            )
        values = values.reset_index(drop=True)
        if self.null_rate > 0 and ctx.n:
            mask = ctx.sub_rng("nulls").random(ctx.n) < self.null_rate
            values = with_nulls(values, mask)
        return values


KINDS: Registry[type[ColumnKind]] = Registry("column kind")


def register_kind(name: str) -> Callable[[type[ColumnKind]], type[ColumnKind]]:
    return KINDS.register(name)


@dataclass
class ColumnContext:
    """What a kind may use: row count, its own seeded RNG, and the columns it may read."""

    n: int
    seed: int
    table: str
    column: str
    chunk: int
    env: Mapping[str, Any]
    locale: str = "en_US"
    row_offset: int | None = None
    path: tuple[str, ...] = ()
    parents: Mapping[str, Any] = field(default_factory=dict)
    _rng: np.random.Generator | None = None

    @property
    def rng(self) -> np.random.Generator:
        if self._rng is None:
            self._rng = rng_for(self.seed, self.table, self.column, *self.path, self.chunk)
        return self._rng

    def sub_rng(self, name: str) -> np.random.Generator:
        return rng_for(self.seed, self.table, self.column, *self.path, name, self.chunk)

    def eval(self, expr: str) -> pd.Series:
        return expressions.evaluate(expr, self.env, self.n)

    def param(self, value: Param) -> Any:
        """A distribution parameter: a number, or an expression evaluated per row."""
        if isinstance(value, str):
            return self.eval(value).to_numpy(dtype=float)
        return value

    def subset(self, mask: np.ndarray, case: str) -> ColumnContext:
        """The same context restricted to some rows, with its own seed stream (conditional)."""
        idx = np.flatnonzero(mask)
        env = _SubsetEnv(self.env, idx)
        return ColumnContext(
            n=len(idx),
            seed=self.seed,
            table=self.table,
            column=self.column,
            chunk=self.chunk,
            env=env,
            locale=self.locale,
            row_offset=None,
            path=(*self.path, f"case={case}"),
            parents=self.parents,
        )


class _SubsetEnv(Mapping[str, Any]):
    def __init__(self, env: Mapping[str, Any], idx: np.ndarray):
        self._env, self._idx = env, idx

    def __getitem__(self, key: str) -> Any:
        value = self._env[key]
        if isinstance(value, pd.Series):
            return value.iloc[self._idx].reset_index(drop=True)
        return value

    def __iter__(self):
        return iter(self._env)

    def __len__(self) -> int:
        return len(self._env)


def param_deps(*values: Param | None) -> set[str]:
    out: set[str] = set()
    for v in values:
        if isinstance(v, str):
            out |= expressions.references(v)
    return out
