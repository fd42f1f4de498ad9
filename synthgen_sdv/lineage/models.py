"""Strict models of ``lineage.yml``: the ETL pipeline's source systems and steps.

Kept apart from the loader (``spec``) so that the plug-ins (operations, faults) can name the
step they work on while the loader imports them to check each step's params.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any, Literal

from pydantic import Field

from synthgen_sdv.core.strict import StrictModel

NORMAL = "normal"
LAYERS = ("staging", "core", "mart")


class SourceSystem(StrictModel):
    """An operational system the warehouse extracts from (crm, pos, erp, ...)."""

    namespace: str = Field(description="OpenLineage dataset namespace, e.g. postgres://crm:5432")
    description: str = ""
    tables: list[str] = Field(min_length=1)


class Step(StrictModel):
    """One ETL job: reads tables, runs an operation, writes tables, is labeled normal or a fault."""

    id: str = Field(pattern=r"^[a-z][a-z0-9_]*$")
    description: str = ""
    layer: Literal["staging", "core", "mart"]
    domain: str
    operation: str
    inputs: list[str] = Field(min_length=1)
    outputs: list[str] = Field(min_length=1)
    key: list[str] = Field(min_length=1, description="columns identifying an output row")
    time_column: str | None = Field(
        default=None, description="output column that says how fresh a row is (for lag faults)"
    )
    params: dict[str, Any] = Field(default_factory=dict)
    label: str = NORMAL
    fault_params: dict[str, Any] = Field(default_factory=dict)


class LineageSpec(StrictModel):
    """The whole pipeline; steps are kept in the order they are written (a topological order)."""

    version: Literal[1]
    namespace: str = Field(description="OpenLineage job namespace")
    warehouse_namespace: str = Field(description="namespace of staging, core and mart datasets")
    parent_job: str = "nightly_warehouse_load"
    run_start: datetime = Field(description="fixed start time of the simulated run (UTC)")
    sources: dict[str, SourceSystem]
    steps: list[Step] = Field(min_length=1)

    def source_system(self, table: str) -> str | None:
        """The source system that lists ``table`` (None for a table a step writes)."""
        for name, system in self.sources.items():
            if table in system.tables:
                return name
        return None

    def producers(self) -> dict[str, Step]:
        """Each written table's step: every table has exactly one producer."""
        return {out: step for step in self.steps for out in step.outputs}

    def step(self, step_id: str) -> Step:
        """The step with this id (KeyError when there is none)."""
        for step in self.steps:
            if step.id == step_id:
                return step
        raise KeyError(step_id)
