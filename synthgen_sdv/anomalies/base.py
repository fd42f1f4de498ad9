"""The anomaly contract: a strict config model that corrupts a copy of a clean chunk.

Anomalies run after clean generation on the chunk as it is written (an Arrow table in its
declared types), making a new table, so the clean data stays as it was; each returns the
primary keys of the rows it touched, which become labels. Arrow tables share the buffers of
untouched columns, so a dirty copy costs only the columns an anomaly changes.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any, ClassVar

import numpy as np
import pyarrow as pa
from pydantic import Field

from synthgen_sdv.core.registry import Registry
from synthgen_sdv.core.strict import StrictModel


@dataclass
class ChunkInfo:
    """What an anomaly may know about the chunk it corrupts."""

    primary_key: str
    logical_types: dict[str, str]
    lookup_targets: dict[str, str]  # column -> parent table, for lookup columns
    orphan_base: dict[str, Any] = field(default_factory=dict)  # column -> first missing key


@dataclass
class AnomalyResult:
    """A corrupted chunk, the primary keys of the rows touched (the labels) and any rows
    to append after the last chunk (late arrivals)."""

    table: pa.Table
    rows: pa.Array
    deferred: pa.Table | None = None  # rows to append after the last chunk

    def keys(self) -> list[Any]:
        """The touched keys as Python values."""
        return self.rows.to_pylist()


class AnomalyKind(StrictModel):
    """Fields every anomaly accepts, and what it asks of its target column (class flags)."""

    kind: str
    table: str
    column: str | None = None
    rate: float = Field(0.01, gt=0.0, le=1.0)
    description: str = ""

    needs_column: ClassVar[bool] = True
    #: the column must hold foreign keys (a kind with a ``foreign_key_target``)
    needs_foreign_key: ClassVar[bool] = False
    #: logical types of the column this anomaly accepts (None: any)
    accepts: ClassVar[tuple[str, ...] | None] = None

    def column_problems(self, logical_type: str) -> list[str]:
        """What is wrong with applying this anomaly to a column of ``logical_type`` (checked
        by the plan; 'inferred' types are known only from the values, so they pass)."""
        if self.accepts is None or logical_type == "inferred" or logical_type in self.accepts:
            return []
        return [
            f"{self.kind} applies to {', '.join(self.accepts)} columns; "
            f"'{self.column}' is {logical_type}"
        ]

    def dirty_type(self, logical_type: str) -> str:
        """Logical type of the column after this anomaly (format drift turns dates into text)."""
        return logical_type

    def count(self, n: int, rng: np.random.Generator) -> int:
        """Rows to touch in a chunk of n: rate * n, with the fraction drawn, so rates add up."""
        exact = self.rate * n
        return min(n, int(exact) + int(rng.random() < exact - int(exact)))

    def apply(self, table: pa.Table, rng: np.random.Generator, info: ChunkInfo) -> AnomalyResult:
        """A corrupted copy of ``table`` (the clean chunk itself is never changed)."""
        raise NotImplementedError

    def params(self) -> dict[str, Any]:
        """The anomaly's own parameters, as recorded in labels.json."""
        return self.model_dump(exclude={"kind", "table", "column", "description"})


ANOMALIES: Registry[type[AnomalyKind]] = Registry("anomaly kind")


def register_anomaly(name: str) -> Callable[[type[AnomalyKind]], type[AnomalyKind]]:
    """Register an anomaly under its YAML ``kind`` tag (it joins the ``AnomalySpec`` union)."""
    return ANOMALIES.register(name)
