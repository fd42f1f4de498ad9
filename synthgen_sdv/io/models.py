"""Typed models of the output folder's versioned documents: schema_metadata.json, labels.json.

ARCHITECTURE.md shows both documents; these models are how every reader sees them (``validate``,
``load``, ``compare``), and fields are declared in the order the writers emit them.
"""

from __future__ import annotations

import graphlib
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field

from synthgen_sdv.core.errors import InputError

SCHEMA_METADATA_NAME = "synthgen_sdv.schema_metadata"
LABELS_NAME = "synthgen_sdv.labels"
LINEAGE_NAME = "synthgen_sdv.generation_lineage"
SUPPORTED_VERSIONS = (1,)
VERSION = 1
#: documents whose version moved on, and the versions a reader accepts for each
VERSIONS = {LABELS_NAME: 2}
SUPPORTED = {LABELS_NAME: (1, 2)}
SQL_TYPES = ("BIGINT", "DOUBLE", "VARCHAR", "BOOLEAN", "DATE", "TIMESTAMP")
SqlType = Literal["BIGINT", "DOUBLE", "VARCHAR", "BOOLEAN", "DATE", "TIMESTAMP"]


class _Artifact(BaseModel):
    """Base of the document models.

    A reader of a versioned artifact ignores fields added within the same version (as dbt's
    artifact readers do); breaking changes bump ``version``, which is checked strictly.
    """

    model_config = ConfigDict(extra="ignore", frozen=True, populate_by_name=True)


class ForeignKey(_Artifact):
    """A foreign key: ``column`` of this table refers to ``parent_table.parent_column``."""

    column: str
    parent_table: str
    parent_column: str


class ColumnMeta(_Artifact):
    """One column: the SQL type engines create, and how it was made and modeled."""

    sql_type: SqlType
    logical_type: str | None = None
    nullable: bool = True
    kind: str | None = None
    sdtype: str | None = None
    pii: bool = False
    description: str = ""
    domain: str | None = None


class DirtyMeta(_Artifact):
    """Where the dirty variant of a table is and how many rows it has."""

    files: dict[str, str] = Field(default_factory=dict)
    row_count: int | None = None


class TableMeta(_Artifact):
    """One table: keys, columns, the files that hold it, and where it came from."""

    domain: str | None = None
    description: str = ""
    row_count: int | None = None
    primary_key: str | list[str] | None = None
    foreign_keys: list[ForeignKey] = Field(default_factory=list)
    columns: dict[str, ColumnMeta]
    files: dict[str, str] = Field(default_factory=dict)
    source: str | None = None
    dirty: DirtyMeta | None = None

    @property
    def pk_columns(self) -> list[str]:
        """The primary key as a list (composite keys have several columns)."""
        if self.primary_key is None:
            return []
        return [self.primary_key] if isinstance(self.primary_key, str) else list(self.primary_key)

    def columns_of(self, *sql_types: str) -> list[str]:
        """Columns declared with one of ``sql_types`` (checks pick the columns they apply to)."""
        return [name for name, col in self.columns.items() if col.sql_type in sql_types]


class SchemaMetadata(_Artifact):
    """metadata/schema_metadata.json: the contract between the writer and every reader."""

    schema_name: str = Field(alias="schema")
    version: int
    generator: dict[str, Any] = Field(default_factory=dict)
    seed: int | None = None
    config_hash: str | None = None
    scale: float | None = None
    sdv_metadata: dict[str, Any] = Field(default_factory=dict)
    tables: dict[str, TableMeta]
    #: how sampled tables were drawn (seed, scale, rows asked, the model), when they were
    sampling: dict[str, Any] | None = None

    def table_order(self) -> list[str]:
        """Parents before children, so loads satisfy foreign keys; ties keep metadata order."""
        sorter: graphlib.TopologicalSorter[str] = graphlib.TopologicalSorter()
        for name, table in self.tables.items():
            sorter.add(
                name, *(fk.parent_table for fk in table.foreign_keys if fk.parent_table != name)
            )
        try:
            order = list(sorter.static_order())
        except graphlib.CycleError as exc:
            cycle = " -> ".join(exc.args[1])
            raise InputError(f"schema_metadata.json: foreign keys form a cycle: {cycle}") from None
        rank = {name: i for i, name in enumerate(self.tables)}
        # static_order is one valid order of many; a stable one: by depth, then metadata order.
        depth: dict[str, int] = {}
        for name in order:
            parents = [
                fk.parent_table for fk in self.tables[name].foreign_keys if fk.parent_table != name
            ]
            depth[name] = 1 + max((depth[p] for p in parents), default=-1)
        return sorted(order, key=lambda n: (depth[n], rank[n]))


class Anomaly(_Artifact):
    """One injected anomaly and the primary keys of the rows it touched (``rows``; when they
    are many, the Parquet file ``rows_file`` holds them and the reader fills ``rows`` in)."""

    id: str
    kind: str
    table: str
    column: str | None = None
    primary_key: str | None = None
    rows: list[Any] = Field(default_factory=list)
    row_count: int | None = None
    rows_file: str | None = None
    params: dict[str, Any] = Field(default_factory=dict)


class EntityLinkFile(_Artifact):
    """A group of entity links kept as Parquet (columns ``key`` and ``links_to``)."""

    table: str
    via: str
    links_to: str
    file: str
    rows: int


class Labels(_Artifact):
    """metadata/labels.json: the ground truth of what was injected (absent file: no labels)."""

    schema_name: str = Field(default=LABELS_NAME, alias="schema")
    version: int = VERSION
    generator: dict[str, Any] = Field(default_factory=dict)
    seed: int | None = None
    config_hash: str | None = None
    anomalies: list[Anomaly] = Field(default_factory=list)
    entity_links: list[dict[str, Any]] = Field(default_factory=list)
    entity_link_files: list[EntityLinkFile] = Field(default_factory=list)
    lineage: list[dict[str, Any]] = Field(default_factory=list)
