"""Text built from other columns with a Python format template, joined in Arrow (a field with
a format spec is formatted per value, as Python does)."""

from __future__ import annotations

import string
from typing import Literal

import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc
from pydantic import field_validator

from synthgen_sdv.core import bounds
from synthgen_sdv.core.values import as_arrow_text, text
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
        parts: list[pa.Array | str] = []
        for literal, name, spec in _fields(self.template):
            if literal:
                parts.append(literal)
            if name:
                col = ctx.env[name]
                col = col if isinstance(col, pd.Series) else pd.Series([col] * ctx.n)
                if spec:
                    try:
                        col = col.map(lambda v, s=spec: format(v, s))
                    except (TypeError, ValueError) as exc:
                        raise ctx.config_error(
                            f"template field {{{name}:{spec}}} cannot format {col.dtype} values: "
                            f"{exc}"
                        ) from None
                parts.append(as_arrow_text(col.reset_index(drop=True)))
        if not any(isinstance(p, pa.Array) for p in parts):  # no field: the literal n times
            return text(pa.array(["".join(map(str, parts))] * ctx.n, type=pa.string()))
        out = pc.binary_join_element_wise(*parts, "")
        ascii_only = (self.lower or self.upper) and pc.all(pc.string_is_ascii(out)).as_py()
        if self.lower:  # the ASCII kernels give the same text, several times faster
            out = pc.ascii_lower(out) if ascii_only else pc.utf8_lower(out)
        if self.upper:
            out = pc.ascii_upper(out) if ascii_only else pc.utf8_upper(out)
        return text(out)
