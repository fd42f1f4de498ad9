"""Sequence keys: consecutive integers, optionally formatted as text ids ('LC-{:06d}')."""

from __future__ import annotations

from typing import Literal

import numpy as np
import pandas as pd

from synthgen_sdv.kinds.base import ColumnContext, ColumnKind, register_kind


@register_kind("sequence")
class SequenceColumn(ColumnKind):
    kind: Literal["sequence"]
    start: int = 1
    step: int = 1
    format: str | None = None

    def logical_type(self) -> str:
        return "string" if self.format else "int"

    def default_sdtype(self) -> str:
        return "id"

    def values(self, offset: int, n: int) -> pd.Series:
        numbers = self.start + (offset + np.arange(n, dtype=np.int64)) * self.step
        if self.format:
            return pd.Series([self.format.format(int(v)) for v in numbers], dtype=object)
        return pd.Series(numbers)

    def _generate(self, ctx: ColumnContext) -> pd.Series:
        if ctx.row_offset is None:
            raise AssertionError("sequence keys of child tables are assigned by the engine")
        return self.values(ctx.row_offset, ctx.n)
