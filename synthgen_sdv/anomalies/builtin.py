"""The built-in anomaly kinds."""

from __future__ import annotations

from typing import Literal

import numpy as np
import pandas as pd
from pydantic import Field, field_validator

from synthgen_sdv.anomalies.base import AnomalyKind, AnomalyResult, ChunkInfo, register_anomaly
from synthgen_sdv.core import bounds
from synthgen_sdv.core.nulls import with_nulls


def _pick(rng: np.random.Generator, n: int, k: int) -> np.ndarray:
    return np.sort(rng.choice(n, size=k, replace=False)) if k else np.array([], dtype=np.int64)


@register_anomaly("null_burst")
class NullBurst(AnomalyKind):
    """A contiguous run of rows loses a column's values (a feed that dropped a field)."""

    kind: Literal["null_burst"]

    def apply(
        self, frame: pd.DataFrame, rng: np.random.Generator, info: ChunkInfo
    ) -> AnomalyResult:
        """See the class docstring; the touched rows' primary keys are the labels."""
        k = self.count(len(frame), rng)
        if not k:
            return AnomalyResult(frame, [])
        start = int(rng.integers(0, len(frame) - k + 1))
        mask = np.zeros(len(frame), dtype=bool)
        mask[start : start + k] = True
        out = frame.copy()
        out[self.column] = with_nulls(out[self.column], mask)
        return AnomalyResult(out, frame[info.primary_key].to_numpy()[mask].tolist())


@register_anomaly("duplicate_rows")
class DuplicateRows(AnomalyKind):
    """Rows loaded twice: exact copies next to the originals (same primary key)."""

    kind: Literal["duplicate_rows"]
    needs_column = False

    def apply(
        self, frame: pd.DataFrame, rng: np.random.Generator, info: ChunkInfo
    ) -> AnomalyResult:
        """See the class docstring; the touched rows' primary keys are the labels."""
        idx = _pick(rng, len(frame), self.count(len(frame), rng))
        if not len(idx):
            return AnomalyResult(frame, [])
        order = np.sort(np.r_[np.arange(len(frame)), idx], kind="stable")
        return AnomalyResult(
            frame.iloc[order].reset_index(drop=True),
            frame[info.primary_key].to_numpy()[idx].tolist(),
        )


@register_anomaly("outliers")
class Outliers(AnomalyKind):
    """Values multiplied by a factor (a unit or keying error)."""

    kind: Literal["outliers"]
    factor: float = Field(10.0, description="multiplier applied to the touched values")
    accepts = ("int", "float")

    def apply(
        self, frame: pd.DataFrame, rng: np.random.Generator, info: ChunkInfo
    ) -> AnomalyResult:
        """See the class docstring; the touched rows' primary keys are the labels."""
        idx = _pick(rng, len(frame), self.count(len(frame), rng))
        out = frame.copy()
        col = out[self.column]
        values = col.to_numpy(dtype=float, na_value=np.nan).copy()
        values[idx] = values[idx] * self.factor
        if pd.api.types.is_integer_dtype(col.dtype):
            out[self.column] = pd.Series(np.rint(values)).astype(col.dtype)
        else:
            out[self.column] = values
        return AnomalyResult(out, frame[info.primary_key].to_numpy()[idx].tolist())


@register_anomaly("orphan_fk")
class OrphanForeignKey(AnomalyKind):
    """Foreign keys that point to no parent row (a parent deleted or never loaded)."""

    kind: Literal["orphan_fk"]
    needs_foreign_key = True

    def apply(
        self, frame: pd.DataFrame, rng: np.random.Generator, info: ChunkInfo
    ) -> AnomalyResult:
        """See the class docstring; the touched rows' primary keys are the labels."""
        idx = _pick(rng, len(frame), self.count(len(frame), rng))
        out = frame.copy()
        base = info.orphan_base[self.column]
        offsets = rng.integers(0, 1_000_000, len(idx))
        if isinstance(base, str):
            bad = np.array([f"{base}{o:07d}" for o in offsets], dtype=object)
            out[self.column] = out[self.column].astype(object)
        else:
            bad = int(base) + offsets
        values = out[self.column].to_numpy().copy()
        values[idx] = bad
        out[self.column] = pd.Series(values, dtype=out[self.column].dtype)
        return AnomalyResult(out, frame[info.primary_key].to_numpy()[idx].tolist())


@register_anomaly("format_drift")
class FormatDrift(AnomalyKind):
    """Some values written in another format: dates as '%m/%d/%Y', numbers as '1,234.50'.

    The whole column becomes text in the dirty copy, as it would in a CSV feed.
    """

    kind: Literal["format_drift"]
    format: str = Field("%m/%d/%Y", description="strftime format (dates) or format spec (numbers)")
    accepts = ("date", "datetime", "int", "float")

    @field_validator("format")
    @classmethod
    def _bounded(cls, v):
        problem = bounds.strftime_problem(v) if "%" in v else bounds.format_spec_problem(v)
        if problem:
            raise ValueError(problem)
        return v

    def column_problems(self, logical_type: str) -> list[str]:
        """A number format must format the column's numbers (``d`` cannot format floats)."""
        out = super().column_problems(logical_type)
        if not out and logical_type in ("int", "float") and not self.format.startswith("%"):
            try:
                format(1 if logical_type == "int" else 1.5, self.format)
            except ValueError as exc:
                out.append(f"format {self.format!r} cannot format {logical_type} values: {exc}")
        return out

    def dirty_type(self, logical_type: str) -> str:
        """The column becomes text in the dirty copy."""
        return "string"

    def apply(
        self, frame: pd.DataFrame, rng: np.random.Generator, info: ChunkInfo
    ) -> AnomalyResult:
        """See the class docstring; the touched rows' primary keys are the labels."""
        idx = _pick(rng, len(frame), self.count(len(frame), rng))
        out = frame.copy()
        col = out[self.column]
        kind = info.logical_types[self.column]
        if kind in ("date", "datetime"):
            iso = "%Y-%m-%d" if kind == "date" else "%Y-%m-%d %H:%M:%S"
            text = col.dt.strftime(iso).astype(object)
            text.iloc[idx] = col.iloc[idx].dt.strftime(self.format).to_numpy()
        else:
            text = (
                col.astype(object)
                .where(col.notna(), None)
                .map(lambda v: None if v is None else str(v))
            )
            spec = self.format if not self.format.startswith("%") else ",.2f"
            text.iloc[idx] = [None if pd.isna(v) else format(v, spec) for v in col.iloc[idx]]
        out[self.column] = text
        return AnomalyResult(out, frame[info.primary_key].to_numpy()[idx].tolist())


@register_anomaly("late_arriving")
class LateArriving(AnomalyKind):
    """Rows that arrive after the rest of the load: moved to the end of the table."""

    kind: Literal["late_arriving"]
    needs_column = False

    def apply(
        self, frame: pd.DataFrame, rng: np.random.Generator, info: ChunkInfo
    ) -> AnomalyResult:
        """See the class docstring; the touched rows' primary keys are the labels."""
        idx = _pick(rng, len(frame), self.count(len(frame), rng))
        keep = np.ones(len(frame), dtype=bool)
        keep[idx] = False
        return AnomalyResult(
            frame[keep].reset_index(drop=True),
            frame[info.primary_key].to_numpy()[idx].tolist(),
            deferred=frame.iloc[idx].reset_index(drop=True),
        )
