"""Text built from other columns with a Python format template, vectorized per field."""

from __future__ import annotations

import string
from typing import Literal

import pandas as pd
from pydantic import field_validator

from synthgen_sdv.core import bounds
from synthgen_sdv.kinds.base import ColumnContext, ColumnKind, register_kind


def _fields(template: str) -> list[tuple[str, str | None, str]]:
    return [(lit, name, spec or "") for lit, name, spec, _ in string.Formatter().parse(template)]


@register_kind("template")
class TemplateColumn(ColumnKind):
    """Text built from other columns with a Python format template."""

    kind: Literal["template"]
    template: str
    lower: bool = False
    upper: bool = False

    recomputed_after_sampling = True

    @field_validator("template")
    @classmethod
    def _parses(cls, v):
        try:
            parts = _fields(v)
        except ValueError as exc:
            raise ValueError(f"bad template {v!r}: {exc}") from None
        if any(name == "" for _, name, _ in parts):
            raise ValueError("template fields need column names, like {first_name}")
        limit = bounds.MAX_FORMAT_CHARS * 10
        if len(v) > limit:
            raise ValueError(f"template is {len(v):,} characters long; the limit is {limit:,}")
        for _, name, spec in parts:
            if name and not name.replace(".", "").replace("_", "").isalnum():
                raise ValueError(f"template field {{{name}}} must name a column, like {{name}}")
            problem = bounds.format_spec_problem(spec) if spec else None
            if problem:
                raise ValueError(problem)
        return v

    def deps(self) -> set[str]:
        """The columns the template's fields name."""
        return {name for _, name, _ in _fields(self.template) if name}

    def logical_type(self) -> str:
        """Always string."""
        return "string"

    def _generate(self, ctx: ColumnContext) -> pd.Series:
        out = pd.Series([""] * ctx.n, dtype=object)
        for literal, name, spec in _fields(self.template):
            if literal:
                out = out + literal
            if name:
                col = ctx.env[name]
                col = col if isinstance(col, pd.Series) else pd.Series([col] * ctx.n)
                try:
                    text = col.map(lambda v, s=spec: format(v, s)) if spec else col.astype(str)
                except (TypeError, ValueError) as exc:
                    raise ctx.config_error(
                        f"template field {{{name}:{spec}}} cannot format {col.dtype} values: {exc}"
                    ) from None
                out = out + text.reset_index(drop=True)
        if self.lower:
            out = out.str.lower()
        if self.upper:
            out = out.str.upper()
        return out
