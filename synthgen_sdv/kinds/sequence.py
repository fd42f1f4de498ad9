"""Sequence keys: consecutive integers, optionally formatted as text ids ('LC-{:06d}')."""

from __future__ import annotations

import string
from typing import Literal

import numpy as np
import pandas as pd
import pyarrow as pa
from pydantic import Field, field_validator

from synthgen_sdv.core import bounds
from synthgen_sdv.core.values import format_numbers, text
from synthgen_sdv.kinds.base import ColumnContext, ColumnKind, register_kind


@register_kind("sequence")
class SequenceColumn(ColumnKind):
    """Keys numbered in row order; the engine numbers child tables' keys across chunks."""

    kind: Literal["sequence"]
    start: int = Field(1, ge=-(10**15), le=10**15)
    step: int = Field(1, ge=-(10**6), le=10**6)
    format: str | None = None

    @field_validator("step")
    @classmethod
    def _moves(cls, v):
        if v == 0:
            raise ValueError("step 0 would give every row the same key")
        return v

    @field_validator("format")
    @classmethod
    def _one_number(cls, v):
        if v is None:
            return v
        if len(v) > bounds.MAX_FORMAT_CHARS:
            raise ValueError(f"format is longer than {bounds.MAX_FORMAT_CHARS} characters")
        try:
            fields = [f for f in string.Formatter().parse(v) if f[1] is not None]
        except ValueError as exc:
            raise ValueError(f"bad format {v!r}: {exc}") from None
        if len(fields) != 1 or fields[0][1] not in ("", "0"):
            raise ValueError(
                f"format {v!r} needs exactly one field for the number, like 'LC-{{:06d}}', "
                "so that keys stay unique"
            )
        problem = bounds.format_spec_problem(fields[0][2] or "")
        if problem:
            raise ValueError(problem)
        try:
            v.format(1)
        except (ValueError, TypeError, IndexError, KeyError) as exc:
            raise ValueError(f"bad format {v!r}: {exc}") from None
        return v

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
