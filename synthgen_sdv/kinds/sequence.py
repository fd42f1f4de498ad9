"""Sequence keys: consecutive integers, optionally formatted as text ids ('LC-{:06d}')."""

from __future__ import annotations

from typing import Literal

import numpy as np
import pandas as pd
import pyarrow as pa

from synthgen_sdv.core.values import format_numbers, text
from synthgen_sdv.kinds.base import ColumnContext, ColumnKind, register_kind


@register_kind("sequence")
class SequenceColumn(ColumnKind):
    """Keys numbered in row order; the engine numbers child tables' keys across chunks."""

    kind: Literal["sequence"]
    start: int = 1
    step: int = 1
    format: str | None = None

    is_key_sequence = True
    allowed_in_case = False

    def logical_type(self) -> str:
        """int, or string when formatted."""
        return "string" if self.format else "int"

    def default_sdtype(self) -> str:
        """Keys are ids."""
        return "id"

    def key_values(self, offset: int, n: int) -> pd.Series:
        """The keys of rows ``offset`` .. ``offset + n - 1`` (formatted when configured)."""
        numbers = self.start + (offset + np.arange(n, dtype=np.int64)) * self.step
        if self.format:
            fast = format_numbers(numbers, self.format)
            if fast is not None:
                return fast
            return text(pa.array([self.format.format(int(v)) for v in numbers], type=pa.string()))
        return pd.Series(numbers)

    def _generate(self, ctx: ColumnContext) -> pd.Series:
        if ctx.row_offset is None:
            raise AssertionError("sequence keys of child tables are assigned by the engine")
        return self.key_values(ctx.row_offset, ctx.n)
