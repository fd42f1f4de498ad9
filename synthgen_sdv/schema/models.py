"""Strict typed models of configs/tables.yml and configs/config.yaml."""

from __future__ import annotations

from typing import Annotated, Any, Literal, Union

from pydantic import Field, field_validator

from synthgen_sdv.anomalies import ANOMALIES
from synthgen_sdv.core.strict import StrictModel
from synthgen_sdv.kinds import ColumnSpec

AnomalySpec = Annotated[
    Union[tuple(cls for _, cls in ANOMALIES.items())],  # noqa: UP007
    Field(discriminator="kind"),
]


class TableSpec(StrictModel):
    domain: str
    description: str = ""
    rows: int | None = Field(None, ge=0, description="rows at scale 1; children follow parents")
    scaling: Literal["linear", "sqrt", "log", "fixed"] = "linear"
    primary_key: str
    columns: dict[str, ColumnSpec]

    @field_validator("columns")
    @classmethod
    def _non_empty(cls, v):
        if not v:
            raise ValueError("a table needs at least one column")
        return v


class Defaults(StrictModel):
    chunk_size: int = Field(50_000, ge=1)
    locale: str = "en_US"


class TablesSpec(StrictModel):
    version: Literal[1] = 1
    defaults: Defaults = Defaults()
    tables: dict[str, TableSpec]
    anomalies: list[AnomalySpec] = Field(default_factory=list)


class OutputConfig(StrictModel):
    dir: str = "output"
    formats: list[Literal["csv", "parquet"]] = Field(default_factory=lambda: ["parquet", "csv"])


class SynthesisConfig(StrictModel):
    model: str = "hma"
    tables: list[str] = Field(default_factory=lambda: ["customers", "orders", "transactions"])
    scale: float = Field(1.0, gt=0)
    params: dict[str, Any] = Field(default_factory=dict)


class RunConfig(StrictModel):
    version: Literal[1] = 1
    seed: int = Field(42, ge=0)
    scale: float = Field(1.0, gt=0)
    workers: int = Field(1, ge=1)
    output: OutputConfig = OutputConfig()
    synthesis: SynthesisConfig = SynthesisConfig()
