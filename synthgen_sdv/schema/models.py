"""Strict typed models of configs/tables.yml and configs/config.yaml."""

from __future__ import annotations

from typing import TYPE_CHECKING, Annotated, Any, Literal, TypeAlias, Union

from pydantic import Field, field_validator

from synthgen_sdv.anomalies import ANOMALIES, AnomalyKind
from synthgen_sdv.core.errors import InputError
from synthgen_sdv.core.sizes import parse_size
from synthgen_sdv.core.strict import StrictModel
from synthgen_sdv.kinds import ColumnSpec

if TYPE_CHECKING:
    # statically every anomaly is an AnomalyKind; pydantic needs the tagged union at run time
    AnomalySpec: TypeAlias = AnomalyKind
else:
    AnomalySpec = Annotated[
        Union[tuple(cls for _, cls in ANOMALIES.items())],  # noqa: UP007
        Field(discriminator="kind"),
    ]
OutputFormat = Literal["csv", "parquet"]

#: far beyond any machine: the run's estimate (runs.estimate) refuses sizes the machine
#: cannot hold long before these; they only keep the arithmetic finite
MAX_ROWS = 10**12
MAX_SCALE = 1e9
MAX_CHUNK = 10_000_000
MAX_WORKERS = 1024


class TableSpec(StrictModel):
    """One table of tables.yml: its row count (or a driving parent), key and columns."""

    domain: str
    description: str = ""
    rows: int | None = Field(
        None,
        ge=0,
        le=MAX_ROWS,
        description="rows at scale 1 (0: an empty table); children follow parents",
    )
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
    """Settings every table shares (chunk size, Faker locale)."""

    chunk_size: int = Field(50_000, ge=1, le=MAX_CHUNK)
    locale: str = "en_US"


class TablesSpec(StrictModel):
    """The whole of tables.yml: tables and the anomalies injected into their dirty copies."""

    version: Literal[1] = 1
    defaults: Defaults = Defaults()
    tables: dict[str, TableSpec]
    anomalies: list[AnomalySpec] = Field(default_factory=list)


def _default_formats() -> list[OutputFormat]:
    return ["parquet", "csv"]


class OutputConfig(StrictModel):
    """Where and in which file formats a run writes its tables."""

    dir: str = "output"
    formats: list[OutputFormat] = Field(default_factory=_default_formats)


class SynthesisConfig(StrictModel):
    """Which synthesizer fit-sample uses, on which tables, at which scale."""

    model: str = "hma"
    tables: list[str] = Field(default_factory=lambda: ["customers", "orders", "transactions"])
    scale: float = Field(1.0, gt=0, le=MAX_SCALE)
    params: dict[str, Any] = Field(default_factory=dict)


class RunConfig(StrictModel):
    """config.yaml: seed, scale, workers, output and synthesis settings."""

    version: Literal[1] = 1
    seed: int = Field(42, ge=0, le=2**63 - 1)
    scale: float = Field(1.0, gt=0, le=MAX_SCALE)
    workers: int = Field(1, ge=1, le=MAX_WORKERS)
    memory_budget: str | None = Field(
        None,
        description="peak memory a run may need (e.g. '8GB', '75%' of available RAM); "
        "a run whose estimate exceeds it stops before any work unless --force",
    )
    output: OutputConfig = OutputConfig()
    synthesis: SynthesisConfig = SynthesisConfig()

    @field_validator("memory_budget")
    @classmethod
    def _size(cls, v):
        if v is not None:
            try:
                parse_size(v, what="memory_budget")
            except InputError as exc:
                raise ValueError(str(exc).removeprefix("memory_budget: ")) from None
        return v
