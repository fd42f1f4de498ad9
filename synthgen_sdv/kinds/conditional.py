"""Conditional columns: the distribution depends on another column's value (income by segment)."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any, Literal

import numpy as np
import pandas as pd
from pydantic import model_validator

from synthgen_sdv.core.values import scatter
from synthgen_sdv.kinds.base import ColumnContext, ColumnKind, register_kind

if TYPE_CHECKING:  # the discriminated union, bound by model_rebuild in kinds/__init__.py
    from synthgen_sdv.kinds import ColumnSpec


def case_key(value: Any) -> str:
    """YAML reads `true:` as a bool and `0.1:` as a float; compare cases as text."""
    if isinstance(value, bool | np.bool_):
        return "true" if value else "false"
    return str(value)


@register_kind("conditional")
class ConditionalColumn(ColumnKind):
    """A column whose distribution depends on another column's value, one spec per case."""

    kind: Literal["conditional"]
    on: str
    cases: dict[str, ColumnSpec]
    default: ColumnSpec | None = None

    allowed_in_case = False

    @model_validator(mode="before")
    @classmethod
    def _text_keys(cls, data):
        if isinstance(data, dict) and True in data and "on" not in data:
            data = {("on" if k is True else k): v for k, v in data.items()}  # YAML 1.1: on == true
        if isinstance(data, dict) and isinstance(data.get("cases"), dict):
            data = {**data, "cases": {case_key(k): v for k, v in data["cases"].items()}}
        return data

    @model_validator(mode="after")
    def _no_nested_keys(self):
        for name, spec in self.branches():
            if not spec.allowed_in_case:
                raise ValueError(f"case '{name}': kind '{spec.kind}' cannot be a case")
        return self

    def branches(self) -> list[tuple[str, ColumnKind]]:
        """The cases in order, then the default."""
        out = list(self.cases.items())
        return [*out, ("default", self.default)] if self.default is not None else out

    def deps(self) -> set[str]:
        """The column the cases depend on, and whatever any case reads."""
        out = {self.on}
        for _, spec in self.branches():
            out |= spec.deps()
        return out

    def logical_type(self) -> str:
        """The cases' common type; 'inferred' when they differ."""
        types = {spec.logical_type() for _, spec in self.branches()}
        return types.pop() if len(types) == 1 else "inferred"

    def _generate(self, ctx: ColumnContext) -> pd.Series:
        parent_codes = getattr(ctx.env, "codes", None)  # a parent's categorical, as codes
        known = parent_codes(self.on) if parent_codes is not None else None
        codes, names = case_codes(ctx.env[self.on], ctx.n) if known is None else _named(known)
        pieces: list[tuple[np.ndarray, pd.Series]] = []
        covered = np.zeros(ctx.n, dtype=bool)
        for name, spec in self.cases.items():
            mask = _rows_of(codes, names, name)
            covered |= mask
            if mask.any():
                pieces.append((np.flatnonzero(mask), spec.generate(ctx.subset(mask, name))))
        rest = ~covered
        if rest.any() and self.default is not None:
            pieces.append(
                (np.flatnonzero(rest), self.default.generate(ctx.subset(rest, "default")))
            )
        return _assemble(pieces, ctx.n)


def case_codes(on: Any, n: int) -> tuple[np.ndarray, list[str]]:
    """Each row's case as a code into ``names`` (``case_key`` of each distinct value, computed
    once per value): rows are compared by integer code, not as n Python strings."""
    if not isinstance(on, pd.Series):
        return np.zeros(n, dtype=np.int64), [case_key(on)]
    codes, uniques = pd.factorize(on, use_na_sentinel=True)
    null = case_key(on[on.isna()].iloc[0]) if (codes < 0).any() else ""
    codes = np.where(codes < 0, len(uniques), codes)  # null takes the last entry
    return codes, [*(case_key(v) for v in uniques), null]


def _named(known: tuple[np.ndarray, list[Any], Any]) -> tuple[np.ndarray, list[str]]:
    """``case_codes`` of a parent column given as (codes, distinct values, its null): the
    null takes the last entry."""
    codes, uniques, null = known
    names = [*(case_key(v) for v in uniques), case_key(null)]
    return np.where(codes < 0, len(uniques), codes), names


def _rows_of(codes: np.ndarray, names: list[str], name: str) -> np.ndarray:
    """The rows whose case is ``name`` (several distinct values may share a case's text)."""
    hits = [i for i, v in enumerate(names) if v == name]
    if len(hits) == 1:
        return codes == hits[0]
    return np.isin(codes, hits)


def _assemble(pieces: list[tuple[np.ndarray, pd.Series]], n: int) -> pd.Series:
    """Put per-case values back in row order; rows no case covers stay null."""
    if not pieces:
        return pd.Series([None] * n, dtype=object)
    fast = scatter(pieces, n)
    if fast is not None:
        return fast
    parts = [pd.Series(values.to_numpy(), index=idx) for idx, values in pieces]
    dtypes = {str(p.dtype) for p in parts}
    if len(dtypes) > 1:
        parts = [p.astype(object) for p in parts]
    out = pd.concat(parts).reindex(range(n))
    if len(dtypes) == 1 and out.notna().all():
        out = out.astype(parts[0].dtype)
    return out.reset_index(drop=True)
