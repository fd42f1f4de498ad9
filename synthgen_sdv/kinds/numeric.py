"""int and float columns drawn from a named distribution, with clipping and rounding."""

from __future__ import annotations

from typing import Literal

import numpy as np
import pandas as pd
from pydantic import Field, model_validator

from synthgen_sdv.core import bounds
from synthgen_sdv.core.distributions import DISTRIBUTIONS, ParameterError, draw
from synthgen_sdv.core.strict import StrictModel
from synthgen_sdv.kinds.base import ColumnContext, ColumnKind, Param, param_deps, register_kind

_PARAM_NAMES = ("low", "high", "mean", "std", "sigma", "lam", "a", "p", "scale", "value")


class DistributionFields(StrictModel):
    """Parameters of a named distribution, flat in the YAML (a number or an expression each)."""

    low: Param | None = None
    high: Param | None = None
    mean: Param | None = None
    std: Param | None = None
    sigma: Param | None = None
    lam: Param | None = None
    a: Param | None = None
    p: Param | None = None
    scale: Param | None = None
    value: Param | None = None

    def given_params(self) -> dict[str, Param]:
        """The parameters set in the config, by name."""
        return {k: getattr(self, k) for k in _PARAM_NAMES if getattr(self, k) is not None}

    def drawn(self, name: str, ctx: ColumnContext, integer: bool) -> np.ndarray:
        """Draw from distribution ``name`` with these parameters (expressions per row)."""
        params = {k: ctx.param(v) for k, v in self.given_params().items()}
        try:
            return draw(name, ctx.rng, params, ctx.n, integer)
        except ParameterError as exc:
            raise ctx.parameter_error(exc) from None


#: ``round`` of a column: digits from -MAX to MAX (numpy's round overflows beyond ~300)
RoundDigits = Field(None, ge=-bounds.MAX_ROUND_DIGITS, le=bounds.MAX_ROUND_DIGITS)


class _Numeric(ColumnKind, DistributionFields):
    distribution: str = "uniform"
    min: float | None = None
    max: float | None = None
    round: int | None = RoundDigits

    @model_validator(mode="after")
    def _check_params(self):
        check_distribution_params(self.distribution, self.given_params())
        if self.min is not None and self.max is not None and self.min > self.max:
            raise ValueError(f"min ({self.min:g}) is greater than max ({self.max:g})")
        return self

    def deps(self) -> set[str]:
        """Names the parameter expressions read."""
        return param_deps(*self.given_params().values())

    def draw(self, ctx: ColumnContext, integer: bool) -> np.ndarray:
        """Draws, clipped to [min, max] and rounded as configured."""
        return self.bounded(self.drawn(self.distribution, ctx, integer))

    def bounded(self, drawn: np.ndarray) -> np.ndarray:
        """Draws as floats, clipped to [min, max] and rounded as configured."""
        values = drawn.astype(float)
        if self.min is not None or self.max is not None:
            values = np.clip(values, self.min, self.max)
        if self.round is not None:
            values = np.round(values, self.round)
        return values


def check_distribution_params(name: str, given: dict[str, object]) -> None:
    """Raise a ValueError naming missing and unknown parameters of a distribution."""
    if name not in DISTRIBUTIONS:
        raise ValueError(DISTRIBUTIONS.unknown_message(name))
    dist = DISTRIBUTIONS.get(name)
    defaults = dict(dist.defaults)
    missing = [p for p in dist.params if p not in given and p not in defaults]
    extra = [p for p in given if p not in dist.params]
    if missing or extra:
        parts = []
        if missing:
            parts.append(f"needs {', '.join(missing)}")
        if extra:
            parts.append(f"does not take {', '.join(extra)}")
        raise ValueError(
            f"distribution '{name}' {' and '.join(parts)}; "
            f"its parameters are: {', '.join(dist.params)}"
        )
    wrong = dist.problems(given)
    if wrong:
        raise ValueError(f"distribution '{name}': {'; '.join(wrong)}")


@register_kind("int")
class IntColumn(_Numeric):
    """Integers from a named distribution (continuous draws rounded), clipped."""

    kind: Literal["int"]

    def logical_type(self) -> str:
        """Always int."""
        return "int"

    def _generate(self, ctx: ColumnContext) -> pd.Series:
        drawn = self.drawn(self.distribution, ctx, integer=True)
        exact = self._integer_bounds()
        if exact is not None and drawn.dtype.kind == "i":  # (null parameters give floats)
            return pd.Series(np.clip(drawn, *exact))  # integer bounds: no float round trip
        values = self.bounded(drawn)
        if (np.abs(values) > 2.0**62).any():
            raise ctx.config_error(
                "values beyond the range of 64-bit integers; check the distribution's "
                "parameters, or use kind: float"
            )
        if np.isnan(values).any():  # rows whose parameters are null: nullable integers
            return pd.Series(pd.array(np.where(np.isnan(values), 0, values), dtype="Int64")).mask(
                np.isnan(values)
            )
        return pd.Series(values.astype(np.int64))

    def _integer_bounds(self) -> tuple[int, int] | None:
        """``min``/``max`` as integers when both are whole numbers within 2^53: then clipping
        integer draws as integers gives exactly what the float path (clip, then cast) does."""
        if self.min is None or self.max is None or (self.round is not None and self.round < 0):
            return None
        if not all(float(b).is_integer() and abs(b) <= 2**53 for b in (self.min, self.max)):
            return None
        return int(self.min), int(self.max)


@register_kind("float")
class FloatColumn(_Numeric):
    """Floats from a named distribution, clipped and rounded."""

    kind: Literal["float"]

    def logical_type(self) -> str:
        """Always float."""
        return "float"

    def _generate(self, ctx: ColumnContext) -> pd.Series:
        return pd.Series(self.draw(ctx, integer=False))
