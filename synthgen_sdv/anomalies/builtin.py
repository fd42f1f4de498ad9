"""The built-in anomaly kinds, on Arrow tables (see ``anomalies.base``)."""

from __future__ import annotations

from typing import Literal

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc
from pydantic import Field, field_validator

from synthgen_sdv.anomalies.base import AnomalyKind, AnomalyResult, ChunkInfo, register_anomaly
from synthgen_sdv.core import bounds
from synthgen_sdv.core.values import format_datetimes


def _pick(rng: np.random.Generator, n: int, k: int) -> np.ndarray:
    return np.sort(rng.choice(n, size=k, replace=False)) if k else np.array([], dtype=np.int64)


def _keys(table: pa.Table, info: ChunkInfo, idx: np.ndarray) -> pa.Array:
    return table.column(info.primary_key).combine_chunks().take(pa.array(idx, type=pa.int64()))


def _replaced(table: pa.Table, column: str, values: pa.Array) -> pa.Table:
    i = table.schema.get_field_index(column)
    return table.set_column(i, table.schema.field(i).with_type(values.type), values)


def _mask(n: int, idx: np.ndarray) -> pa.Array:
    mask = np.zeros(n, dtype=bool)
    mask[idx] = True
    return pa.array(mask)


@register_anomaly("null_burst")
class NullBurst(AnomalyKind):
    """A contiguous run of rows loses a column's values (a feed that dropped a field)."""

    kind: Literal["null_burst"]

    def apply(self, table: pa.Table, rng: np.random.Generator, info: ChunkInfo) -> AnomalyResult:
        """See the class docstring; the touched rows' primary keys are the labels."""
        n = table.num_rows
        k = self.count(n, rng)
        if not k:
            return AnomalyResult(table, _keys(table, info, np.array([], dtype=np.int64)))
        start = int(rng.integers(0, n - k + 1))
        idx = np.arange(start, start + k)
        col = table.column(self.column).combine_chunks()
        nulled = pc.if_else(_mask(n, idx), pa.scalar(None, col.type), col)
        return AnomalyResult(_replaced(table, self.column, nulled), _keys(table, info, idx))  # type: ignore[arg-type]


@register_anomaly("duplicate_rows")
class DuplicateRows(AnomalyKind):
    """Rows loaded twice: exact copies next to the originals (same primary key)."""

    kind: Literal["duplicate_rows"]
    needs_column = False

    def apply(self, table: pa.Table, rng: np.random.Generator, info: ChunkInfo) -> AnomalyResult:
        """See the class docstring; the touched rows' primary keys are the labels."""
        n = table.num_rows
        idx = _pick(rng, n, self.count(n, rng))
        if not len(idx):
            return AnomalyResult(table, _keys(table, info, idx))
        order = np.sort(np.r_[np.arange(n), idx], kind="stable")
        return AnomalyResult(table.take(pa.array(order)), _keys(table, info, idx))


@register_anomaly("outliers")
class Outliers(AnomalyKind):
    """Values multiplied by a factor (a unit or keying error)."""

    kind: Literal["outliers"]
    factor: float = Field(10.0, description="multiplier applied to the touched values")
    accepts = ("int", "float")

    def apply(self, table: pa.Table, rng: np.random.Generator, info: ChunkInfo) -> AnomalyResult:
        """See the class docstring; the touched rows' primary keys are the labels."""
        n = table.num_rows
        idx = _pick(rng, n, self.count(n, rng))
        col = table.column(self.column).combine_chunks()  # type: ignore[arg-type]
        touched = col.take(pa.array(idx, type=pa.int64()))
        with np.errstate(over="ignore"):
            scaled = touched.to_numpy(zero_copy_only=False).astype(float) * self.factor
        # a value the column's type cannot hold stays at its largest (an outlier still): a
        # large value times the factor was an ArrowInvalid (exit 1), or infinity in a float
        top = 2.0**63 - 1024 if pa.types.is_integer(col.type) else np.finfo(np.float64).max
        scaled = np.clip(scaled, -top, top)
        if pa.types.is_integer(col.type):
            new = pa.array(np.rint(scaled), mask=np.isnan(scaled)).cast(col.type)
        else:
            new = pa.array(scaled, type=col.type, from_pandas=True)
        out = pc.replace_with_mask(col, _mask(n, idx), new) if len(idx) else col
        return AnomalyResult(_replaced(table, self.column, out), _keys(table, info, idx))  # type: ignore[arg-type]


@register_anomaly("orphan_fk")
class OrphanForeignKey(AnomalyKind):
    """Foreign keys that point to no parent row (a parent deleted or never loaded)."""

    kind: Literal["orphan_fk"]
    needs_foreign_key = True

    def apply(self, table: pa.Table, rng: np.random.Generator, info: ChunkInfo) -> AnomalyResult:
        """See the class docstring; the touched rows' primary keys are the labels."""
        n = table.num_rows
        idx = _pick(rng, n, self.count(n, rng))
        col = table.column(self.column).combine_chunks()  # type: ignore[arg-type]
        base = info.orphan_base[self.column]  # type: ignore[index]
        offsets = rng.integers(0, 1_000_000, len(idx))
        if isinstance(base, str):
            bad = pa.array([f"{base}{o:07d}" for o in offsets], type=pa.string())
            col = col.cast(pa.string())
        else:
            bad = pa.array(int(base) + offsets, type=col.type)
        out = pc.replace_with_mask(col, _mask(n, idx), bad) if len(idx) else col
        return AnomalyResult(_replaced(table, self.column, out), _keys(table, info, idx))  # type: ignore[arg-type]


def _text(values: pa.Array, kind: str, fmt: str | None = None) -> pa.Array:
    """Values as text: dates and timestamps with ``fmt`` (default ISO), numbers as Python
    prints them, or with a format spec (``fmt``, like ',.2f')."""
    if kind in ("date", "datetime"):
        iso = "%Y-%m-%d" if kind == "date" else "%Y-%m-%d %H:%M:%S"
        stamps = values.cast(pa.timestamp("s"), safe=False)
        if fmt is None and _four_digit_years(stamps):  # Arrow's own cast writes ISO: 12x faster
            return (values if kind == "date" else stamps).cast(pa.string())
        fast = format_datetimes(stamps.to_numpy(zero_copy_only=False), fmt or iso)
        return fast if fast is not None else pc.strftime(stamps, format=fmt or iso)
    spec = fmt or ""
    return pa.array(
        [None if v is None else (format(v, spec) if spec else str(v)) for v in values.to_pylist()],
        type=pa.string(),
    )


#: seconds since the epoch of 1000-01-01 00:00:00 and 9999-12-31 23:59:59
_YEAR_1000, _YEAR_9999_END = -30_610_224_000, 253_402_300_799


def _four_digit_years(stamps: pa.Array) -> bool:
    """Whether every value falls in the years 1000-9999, where Arrow's cast to text and
    strftime's ISO format agree (outside, Arrow pads the year to four digits, strftime not)."""
    bounds = pc.min_max(stamps.cast(pa.int64()))
    low, high = bounds["min"].as_py(), bounds["max"].as_py()
    return low is None or (low >= _YEAR_1000 and high <= _YEAR_9999_END)


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

    def apply(self, table: pa.Table, rng: np.random.Generator, info: ChunkInfo) -> AnomalyResult:
        """See the class docstring; the touched rows' primary keys are the labels."""
        n = table.num_rows
        idx = _pick(rng, n, self.count(n, rng))
        col = table.column(self.column).combine_chunks()  # type: ignore[arg-type]
        kind = info.logical_types[self.column]  # type: ignore[index]
        out = _text(col, kind)
        if len(idx):
            touched = col.take(pa.array(idx, type=pa.int64()))
            if kind in ("date", "datetime"):
                drifted = _text(touched, kind, self.format)
            else:
                spec = self.format if not self.format.startswith("%") else ",.2f"
                drifted = _text(touched, kind, spec)
            out = pc.replace_with_mask(out, _mask(n, idx), drifted)
        return AnomalyResult(_replaced(table, self.column, out), _keys(table, info, idx))  # type: ignore[arg-type]


@register_anomaly("late_arriving")
class LateArriving(AnomalyKind):
    """Rows that arrive after the rest of the load: moved to the end of the table."""

    kind: Literal["late_arriving"]
    needs_column = False

    def apply(self, table: pa.Table, rng: np.random.Generator, info: ChunkInfo) -> AnomalyResult:
        """See the class docstring; the touched rows' primary keys are the labels."""
        n = table.num_rows
        idx = _pick(rng, n, self.count(n, rng))
        keep = np.ones(n, dtype=bool)
        keep[idx] = False
        return AnomalyResult(
            table.filter(pa.array(keep)),
            _keys(table, info, idx),
            deferred=table.take(pa.array(idx, type=pa.int64())),
        )
