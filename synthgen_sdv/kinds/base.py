"""The column-kind contract: a strict config model that knows its type and generates values.

Public ``generate`` checks what every kind must guarantee (length, nulls); kinds implement
``_generate``. A kind reads other columns only through ``ctx`` and declares them in ``deps``.

A kind also says what else it can do, through the capabilities below (defaults here,
overrides in the kind's own module), so the plan and the engine never test for concrete
classes and a new kind is added in one module: ``foreign_key_target`` / ``as_foreign_key``
(its values are keys of another table), ``is_key_sequence`` (keys the engine numbers in row
order), ``rollup_source`` (an aggregate of a child table), ``recomputed_after_sampling``,
``allowed_in_case``, ``branches``, ``warm_up`` and ``environment_problems``.
"""

from __future__ import annotations

import math
from abc import abstractmethod
from collections.abc import Callable, Collection, Iterator, Mapping
from dataclasses import dataclass, field
from typing import Annotated, Any, ClassVar

import numpy as np
import pandas as pd
from pydantic import AfterValidator, Field, PlainValidator

from synthgen_sdv.core import expr as expressions
from synthgen_sdv.core.distributions import ParameterError
from synthgen_sdv.core.errors import ConfigError, Problem
from synthgen_sdv.core.nulls import with_nulls
from synthgen_sdv.core.registry import Registry
from synthgen_sdv.core.seeds import rng_for
from synthgen_sdv.core.strict import StrictModel
from synthgen_sdv.core.values import take

SQL_TYPES = {
    "int": "BIGINT",
    "float": "DOUBLE",
    "string": "VARCHAR",
    "bool": "BOOLEAN",
    "date": "DATE",
    "datetime": "TIMESTAMP",
}


def _expression(value: str) -> str:
    """An expression is checked (whitelist, limits, constant parts) when the config loads."""
    try:
        expressions.parse(value)
    except expressions.ExpressionError as exc:
        raise ValueError(str(exc)) from None
    return value


def _param(value: Any) -> float | int | str:
    """A parameter: a finite number, or an expression (text) checked when the config loads."""
    if isinstance(value, bool) or not isinstance(value, int | float | str):
        raise ValueError(
            f"must be a number or an expression in quotes, got {type(value).__name__} {value!r}"
        )
    if isinstance(value, float) and not math.isfinite(value):
        raise ValueError(f"must be a finite number, got {value}")
    return _expression(value) if isinstance(value, str) else value


#: text that is a safe expression (see ``core.expr``)
Expression = Annotated[str, AfterValidator(_expression)]
#: a number, or an expression evaluated per row
Param = Annotated[float | int | str, PlainValidator(_param)]


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

    #: keys the engine numbers in row order across chunks (see ``key_values``)
    is_key_sequence: ClassVar[bool] = False
    #: not modeled by a synthesizer: recomputed from the config after sampling
    recomputed_after_sampling: ClassVar[bool] = False
    #: may be one case of a conditional column (keys and aggregates may not)
    allowed_in_case: ClassVar[bool] = True

    @property
    def foreign_key_target(self) -> str | None:
        """The table whose keys this column holds (a foreign key); None for other kinds."""
        return None

    @property
    def foreign_key_column(self) -> str | None:
        """The target's key column when it is not the target's primary key."""
        return None

    @property
    def is_driver(self) -> bool:
        """True when this table is generated per row of the target (children per parent)."""
        return False

    @property
    def rollup_source(self) -> str | None:
        """The child table this column aggregates per row (computed after the children)."""
        return None

    def as_foreign_key(self) -> ForeignKeyKind | None:
        """The foreign-key contract of this column, typed, or None when it holds no keys."""
        return None

    def branches(self) -> list[tuple[str, ColumnKind]]:
        """Named sub-specs this column delegates to (conditional cases), in order."""
        return []

    def environment_problems(self, locale: str) -> list[tuple[str, str]]:
        """(field, message) for what this column needs from the installed libraries but
        cannot get (a Faker provider), checked once by the plan, not at generation time."""
        return []

    def rollup_problems(self, child_columns: Collection[str]) -> list[tuple[str, str]]:
        """(field, message) for what this aggregate reads but the child table lacks."""
        return []

    def warm_up(
        self, seed: int, table: str, column: str, locale: str, path: tuple[str, ...] = ()
    ) -> None:
        """Build per-process caches (Faker pools) before workers fork, so they inherit them."""
        for case, branch in self.branches():
            branch.warm_up(seed, table, column, locale, (*path, f"case={case}"))

    def key_values(self, offset: int, n: int) -> pd.Series:
        """Keys of rows ``offset .. offset + n - 1`` (kinds with ``is_key_sequence``)."""
        raise NotImplementedError(f"kind '{self.kind}' does not number keys")

    def aggregate(self, child: Mapping[str, pd.Series], pos: np.ndarray, n: int) -> pd.Series:
        """Values for ``n`` parent rows from child rows at parent positions ``pos``
        (kinds with a ``rollup_source``)."""
        raise NotImplementedError(f"kind '{self.kind}' does not aggregate child rows")

    def deps(self) -> set[str]:
        """Names this column reads: own columns or '<parent>.<column>'."""
        return set()

    def logical_type(self) -> str:
        """The type the column is written as (int, float, string, bool, date, datetime) or
        'inferred' when only the values tell."""
        raise NotImplementedError

    def default_sdtype(self) -> str:
        """SDV's sdtype when the config gives none: follows the logical type."""
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
        """``ctx.n`` values: the kind's own ``_generate``, length-checked, with ``null_rate``
        applied from its own seed stream."""
        values = self._generate(ctx)
        if len(values) != ctx.n:
            raise AssertionError(
                f"{ctx.table}.{ctx.column}: kind '{self.kind}' returned {len(values)} values for "
                f"{ctx.n} rows"
            )
        if not _plain_index(values.index):
            values = values.reset_index(drop=True)
        if self.null_rate > 0 and ctx.n:
            mask = ctx.sub_rng("nulls").random(ctx.n) < self.null_rate
            values = with_nulls(values, mask)
        return values


def _plain_index(index: pd.Index) -> bool:
    """Whether ``index`` is already 0..n-1 (most kinds build their Series so)."""
    return isinstance(index, pd.RangeIndex) and index.start == 0 and index.step == 1


class ForeignKeyKind(ColumnKind):
    """The contract of kinds whose values are keys of another table: the engine draws them,
    either per row (popularity) or by generating this table per target row (a driver)."""

    @property
    @abstractmethod
    def foreign_key_target(self) -> str:
        """The looked-up table."""

    def as_foreign_key(self) -> ForeignKeyKind:
        """Foreign-key kinds are their own contract."""
        return self

    @abstractmethod
    def positions(
        self, ctx: ColumnContext, n_parents: int, groups: np.ndarray | None = None
    ) -> np.ndarray:
        """Row positions in the target table, one per row (-1: no target row left);
        ``groups`` holds each row's driving parent, for draws distinct within one."""

    @abstractmethod
    def children_counts(self, ctx: ColumnContext) -> np.ndarray:
        """For a driver: how many rows to generate per target row (``ctx.env``: its columns)."""

    @property
    @abstractmethod
    def children_count_expression(self) -> Param | None:
        """For a driver: the children count as configured (a number or an expression)."""

    def limit_children(self, counts: np.ndarray, n_targets: int) -> np.ndarray:
        """Cap per-parent row counts when this lookup cannot serve more (distinct picks)."""
        return counts

    def expected_children(self) -> float | None:
        """For a driver: the mean rows per target row when the config fixes it (a number or
        a distribution with numeric parameters), else None (an expression over the parent)."""
        return None

    def with_children_cap(self, cap: int) -> ForeignKeyKind:
        """For a driver: the same lookup with at most ``cap`` rows per target row (the run
        estimate's pilot uses it, so that no config can make the pilot itself large)."""
        return self

    @property
    def never_has_children(self) -> bool:
        """For a driver: True when every parent row gets 0 rows, whatever the data (the plan
        refuses popularity lookups into such a table)."""
        return False


KINDS: Registry[type[ColumnKind]] = Registry("column kind")


def register_kind(name: str) -> Callable[[type[ColumnKind]], type[ColumnKind]]:
    """Register a kind under its YAML ``kind`` tag (it joins the ``ColumnSpec`` union)."""
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
        """The column's generator for this chunk: a function of (seed, table, column, chunk)."""
        if self._rng is None:
            self._rng = rng_for(self.seed, self.table, self.column, *self.path, self.chunk)
        return self._rng

    def sub_rng(self, name: str) -> np.random.Generator:
        """A separate named stream (nulls, time of day), so using it never shifts ``rng``."""
        return rng_for(self.seed, self.table, self.column, *self.path, name, self.chunk)

    @property
    def yaml_path(self) -> str:
        """Where this column is in tables.yml ('tables.t.columns.c.cases.x'), for errors."""
        parts = ["tables", self.table, "columns", self.column]
        for step in self.path:
            name, _, case = step.partition("=")
            parts += ["cases", case] if name == "case" and case != "default" else ["default"]
        return ".".join(parts)

    def config_error(self, message: str) -> ConfigError:
        """An error of this column's config found while generating (an expression's value,
        a parameter per row): reported like a config problem, with its YAML path."""
        return ConfigError([Problem(path=self.yaml_path, message=message)])

    def eval(self, expr: str) -> pd.Series:
        """An expression over the columns this context may read, one value per row."""
        try:
            return expressions.evaluate(expr, self.env, self.n)
        except expressions.ExpressionError as exc:
            raise self.config_error(str(exc)) from None

    def param(self, value: Param) -> Any:
        """A distribution parameter: a number, or an expression evaluated per row."""
        if isinstance(value, str):
            values = self.eval(value)
            try:
                return values.to_numpy(dtype=float, na_value=np.nan)
            except (TypeError, ValueError):
                raise self.config_error(
                    f"parameter {value!r} must give numbers, got {values.dtype} values"
                ) from None
        return value

    def parameter_error(self, exc: ParameterError) -> ConfigError:
        """A parameter outside its range in some rows, as this column's config error."""
        return self.config_error(str(exc))

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
        at = getattr(self._env, "at", None)  # the chunk's env takes parents' rows once
        if at is not None:
            return at(key, self._idx)
        value = self._env[key]
        if isinstance(value, pd.Series):
            return take(value, self._idx)
        return value

    def __iter__(self) -> Iterator[str]:
        return iter(self._env)

    def __len__(self) -> int:
        return len(self._env)


def param_deps(*values: Param | None) -> set[str]:
    """Names read by parameters given as expressions (numbers read nothing)."""
    out: set[str] = set()
    for v in values:
        if isinstance(v, str):
            out |= expressions.references(v)
    return out
