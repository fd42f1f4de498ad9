"""Derived columns: a safe expression over earlier columns and looked-up parent columns."""

from __future__ import annotations

from typing import Literal

import numpy as np
import pandas as pd
from pydantic import Field, field_validator

from synthgen_sdv.core import bounds
from synthgen_sdv.core import expr as expressions
from synthgen_sdv.core.values import is_text
from synthgen_sdv.kinds.base import ColumnContext, ColumnKind, register_kind

_CASTS = {"int": "int64", "float": "float64", "bool": "bool", "string": "object"}


@register_kind("derived")
class DerivedColumn(ColumnKind):
    """A safe expression over earlier columns and looked-up parent columns."""

    kind: Literal["derived"]
    expr: str
    dtype: Literal["int", "float", "bool", "string", "date", "datetime"] | None = None
    round: int | None = Field(None, ge=-bounds.MAX_ROUND_DIGITS, le=bounds.MAX_ROUND_DIGITS)

    recomputed_after_sampling = True

    @field_validator("expr")
    @classmethod
    def _parses(cls, v):
        try:
            expressions.parse(v)
        except expressions.ExpressionError as exc:
            raise ValueError(str(exc)) from None
        return v

    def deps(self) -> set[str]:
        """The names the expression reads."""
        return expressions.references(self.expr)

    def logical_type(self) -> str:
        """The configured dtype, or 'inferred' from the values."""
        # without an explicit dtype, a derived value is a date when it is datetime-like
        return self.dtype or "inferred"

    def _generate(self, ctx: ColumnContext) -> pd.Series:
        values = ctx.eval(self.expr)
        try:
            return cast(values, self.dtype, self.round)
        except (TypeError, ValueError, OverflowError) as exc:
            wanted = f"dtype {self.dtype}" if self.dtype else f"round: {self.round}"
            raise ctx.config_error(
                f"{self.expr!r} gives {values.dtype} values that cannot take {wanted}: {exc}"
            ) from None


def cast(values: pd.Series, dtype: str | None, digits: int | None = None) -> pd.Series:
    """Round and cast an expression's result to the configured dtype (nullable ints stay
    nullable)."""
    if digits is not None:
        values = values.astype(float).round(digits)
    if dtype in ("date", "datetime"):
        if not pd.api.types.is_datetime64_any_dtype(values.dtype):
            values = pd.to_datetime(values)
        return values.dt.normalize() if dtype == "date" else values
    if dtype in ("int", "float", "bool") and isinstance(values.dtype, np.dtype):
        target = np.dtype(_CASTS[dtype])
        if values.dtype == target:  # already so: a plain copy (astype's checks cost more)
            return values.copy()
        if dtype == "int" and values.dtype.kind in "iub":  # no nulls to look for
            return values.astype(target)
    if dtype == "int" and values.isna().any():
        return values.astype("Int64")
    if dtype == "string" and is_text(values):
        return values
    if dtype in _CASTS:
        return values.astype(_CASTS[dtype])
    return values


def infer_logical_type(values: pd.Series) -> str:
    """The logical type of a derived result: used when the config gives no dtype."""
    if pd.api.types.is_bool_dtype(values.dtype):
        return "bool"
    if pd.api.types.is_integer_dtype(values.dtype):
        return "int"
    if pd.api.types.is_float_dtype(values.dtype):
        return "float"
    if pd.api.types.is_datetime64_any_dtype(values.dtype):
        non_null = values.dropna()
        return "date" if (non_null == non_null.dt.normalize()).all() else "datetime"
    return "string"
