"""Categorical and boolean columns."""

from __future__ import annotations

import math
from typing import Any, Literal

import numpy as np
import pandas as pd
import pyarrow as pa
from pydantic import field_validator, model_validator

from synthgen_sdv.core.distributions import choice
from synthgen_sdv.core.values import text
from synthgen_sdv.kinds.base import ColumnContext, ColumnKind, Param, param_deps, register_kind


@register_kind("categorical")
class CategoricalColumn(ColumnKind):
    """values: a list (equal weights) or a mapping value -> weight."""

    kind: Literal["categorical"]
    values: dict[Any, float] | list[Any]
    dtype: Literal["string", "int", "float", "bool"] = "string"

    @field_validator("values")
    @classmethod
    def _non_empty(cls, v):
        if not v:
            raise ValueError("needs at least one value")
        if isinstance(v, dict) and any(w < 0 for w in v.values()):
            raise ValueError("weights must be >= 0")
        if isinstance(v, dict) and sum(v.values()) <= 0:
            raise ValueError("weights must not all be 0")
        if isinstance(v, dict) and not math.isfinite(sum(v.values())):
            # they are relative: {a: 1e308, b: 1e308} summed to infinity and gave every row 'a'
            raise ValueError("weights sum to infinity; use smaller numbers (only ratios count)")
        if any(isinstance(x, float) and x != x for x in v):
            raise ValueError("values must not be NaN (use null_rate for missing values)")
        return v

    @model_validator(mode="after")
    def _castable(self):
        cast = {"string": str, "int": int, "float": float, "bool": bool}[self.dtype]
        for value in self.values:
            if (
                value is None
                or (self.dtype != "string" and isinstance(value, dict | list))
                or (self.dtype == "bool" and not isinstance(value, bool))
                or (self.dtype == "int" and isinstance(value, float) and not value.is_integer())
            ):
                raise ValueError(f"value {value!r} is not a {self.dtype}")
            try:
                cast(value)
            except (TypeError, ValueError, OverflowError):
                raise ValueError(f"value {value!r} is not a {self.dtype}") from None
            if self.dtype == "int" and not -(2**63) <= int(value) < 2**63:
                raise ValueError(f"value {value!r} does not fit in a 64-bit integer")
        return self

    def logical_type(self) -> str:
        """The configured dtype of the values."""
        return self.dtype

    def choices(self) -> tuple[list[Any], np.ndarray]:
        """The values and their probabilities (weights normalized; a list: equal weights)."""
        if isinstance(self.values, dict):
            vals, weights = list(self.values), np.array(list(self.values.values()), float)
        else:
            vals, weights = list(self.values), np.ones(len(self.values))
        return vals, weights / weights.sum()

    def _generate(self, ctx: ColumnContext) -> pd.Series:
        vals, weights = self.choices()
        idx = choice(ctx.rng, len(vals), ctx.n, weights)
        if self.dtype == "string":
            return text(pa.array([str(v) for v in vals], type=pa.string()).take(pa.array(idx)))
        cast = {"int": int, "float": float, "bool": bool}[self.dtype]
        numpy_type = {"int": np.int64, "float": np.float64, "bool": np.bool_}[self.dtype]
        return pd.Series(np.array([cast(v) for v in vals], dtype=numpy_type)[idx])


@register_kind("boolean")
class BooleanColumn(ColumnKind):
    """True with probability ``p`` (a number or a per-row expression)."""

    kind: Literal["boolean"]
    p: Param = 0.5

    @field_validator("p")
    @classmethod
    def _probability(cls, v):
        if isinstance(v, int | float) and not 0 <= v <= 1:
            raise ValueError(f"p must be from 0 to 1 (got {v:g})")
        return v

    def deps(self) -> set[str]:
        """Columns the probability expression reads."""
        return param_deps(self.p)

    def logical_type(self) -> str:
        """Always bool."""
        return "bool"

    def _generate(self, ctx: ColumnContext) -> pd.Series:
        p = ctx.param(self.p)
        if isinstance(p, np.ndarray):  # per row: checked as a number p is when it loads
            bad = (p < 0) | (p > 1) | np.isinf(p)
            if bad.any():
                shown = ", ".join(sorted({f"{v:g}" for v in p[bad][:1000].tolist()})[:3])
                raise ctx.config_error(
                    f"p must be from 0 to 1, but its expression gives {shown} in "
                    f"{int(bad.sum()):,} of {len(p):,} rows"
                )
        return pd.Series(ctx.rng.random(ctx.n) < p)
