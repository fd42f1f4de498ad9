"""int and float columns drawn from a named distribution, with clipping and rounding."""

from __future__ import annotations

from typing import Literal

import numpy as np
import pandas as pd
from pydantic import model_validator

from synthgen_sdv.core.distributions import DISTRIBUTIONS, draw
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
        return draw(name, ctx.rng, params, ctx.n, integer)


class _Numeric(ColumnKind, DistributionFields):
    distribution: str = "uniform"
    min: float | None = None
    max: float | None = None
    round: int | None = None

    @model_validator(mode="after")
    def _check_params(self):
        check_distribution_params(self.distribution, self.given_params())
        return self

    def deps(self) -> set[str]:
        """Names the parameter expressions read."""
        return param_deps(*self.given_params().values())

    def draw(self, ctx: ColumnContext, integer: bool) -> np.ndarray:
        """Draws, clipped to [min, max] and rounded as configured."""
        values = self.drawn(self.distribution, ctx, integer).astype(float)
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


@register_kind("int")
class IntColumn(_Numeric):
    """Integers from a named distribution (continuous draws rounded), clipped."""

    kind: Literal["int"]

    def logical_type(self) -> str:
        """Always int."""
        return "int"

    def _generate(self, ctx: ColumnContext) -> pd.Series:
        return pd.Series(self.draw(ctx, integer=True).astype(np.int64))


@register_kind("float")
class FloatColumn(_Numeric):
    """Floats from a named distribution, clipped and rounded."""

    kind: Literal["float"]

    def logical_type(self) -> str:
        """Always float."""
        return "float"

    def _generate(self, ctx: ColumnContext) -> pd.Series:
        return pd.Series(self.draw(ctx, integer=False))
