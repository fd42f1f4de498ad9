"""Reads and checks the output folder's versioned metadata (schema_metadata.json, labels.json)."""

from __future__ import annotations

import graphlib
import json
from pathlib import Path
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field, ValidationError

from synthgen_sdv.core.errors import InputError

SCHEMA_NAME = "synthgen_sdv.schema_metadata"
LABELS_NAME = "synthgen_sdv.labels"
SUPPORTED_VERSIONS = (1,)
SQL_TYPES = ("BIGINT", "DOUBLE", "VARCHAR", "BOOLEAN", "DATE", "TIMESTAMP")
SqlType = Literal["BIGINT", "DOUBLE", "VARCHAR", "BOOLEAN", "DATE", "TIMESTAMP"]


class _Artifact(BaseModel):
    # A reader of a versioned artifact ignores fields added within the same version (as dbt's
    # artifact readers do); breaking changes bump `version`, which we check strictly.
    model_config = ConfigDict(extra="ignore", frozen=True, populate_by_name=True)


class ForeignKey(_Artifact):
    column: str
    parent_table: str
    parent_column: str


class ColumnMeta(_Artifact):
    sql_type: SqlType
    nullable: bool = True
    kind: str | None = None
    description: str = ""
    domain: str | None = None


class DirtyMeta(_Artifact):
    """Where the dirty variant of a table is and how many rows it has."""

    files: dict[str, str] = Field(default_factory=dict)
    row_count: int | None = None


class TableMeta(_Artifact):
    domain: str | None = None
    description: str = ""
    row_count: int | None = None
    primary_key: str | list[str] | None = None
    foreign_keys: list[ForeignKey] = Field(default_factory=list)
    columns: dict[str, ColumnMeta]
    files: dict[str, str] = Field(default_factory=dict)
    dirty: DirtyMeta | None = None

    @property
    def pk_columns(self) -> list[str]:
        if self.primary_key is None:
            return []
        return [self.primary_key] if isinstance(self.primary_key, str) else list(self.primary_key)

    def columns_of(self, *sql_types: str) -> list[str]:
        return [name for name, col in self.columns.items() if col.sql_type in sql_types]


class SchemaMetadata(_Artifact):
    schema_name: str = Field(alias="schema")
    version: int
    generator: dict[str, Any] = Field(default_factory=dict)
    seed: int | None = None
    scale: float | None = None
    config_hash: str | None = None
    sdv_metadata: dict[str, Any] = Field(default_factory=dict)
    tables: dict[str, TableMeta]

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
    id: str
    kind: str
    table: str
    column: str | None = None
    primary_key: str | None = None
    rows: list[Any] = Field(default_factory=list)
    params: dict[str, Any] = Field(default_factory=dict)


class Labels(_Artifact):
    schema_name: str = Field(default=LABELS_NAME, alias="schema")
    version: int = 1
    anomalies: list[Anomaly] = Field(default_factory=list)


def _read_json(path: Path, what: str) -> dict[str, Any]:
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except json.JSONDecodeError as exc:
        raise InputError(
            f"{path}: not valid JSON ({exc.msg} at line {exc.lineno}); "
            f"the {what} is damaged, regenerate the output folder"
        ) from None
    if not isinstance(data, dict):
        raise InputError(f"{path}: expected a JSON object, found {type(data).__name__}")
    return data


def _check_header(path: Path, data: dict[str, Any], name: str) -> None:
    if data.get("schema") != name:
        raise InputError(f"{path}: 'schema' is {data.get('schema')!r}, expected {name!r}")
    if data.get("version") not in SUPPORTED_VERSIONS:
        known = ", ".join(map(str, SUPPORTED_VERSIONS))
        raise InputError(
            f"{path}: unknown version {data.get('version')!r}; this synthgen_sdv "
            f"reads version {known}; use the synthgen_sdv that wrote it"
        )


def _problems(path: Path, exc: ValidationError) -> InputError:
    lines = [f"  - {'.'.join(map(str, e['loc']))}: {e['msg']}" for e in exc.errors()]
    return InputError(f"{path}: {len(lines)} problem(s):\n" + "\n".join(lines))


def load_schema_metadata(out_dir: str | Path) -> SchemaMetadata:
    """The checked schema metadata of an output folder; InputError (exit 2) if it is not one."""
    out = Path(out_dir)
    path = out / "metadata" / "schema_metadata.json"
    if not out.is_dir():
        raise InputError(
            f"{out}: no such directory; pass an output folder made by "
            "`python -m synthgen_sdv generate --out DIR`"
        )
    if not path.is_file():
        raise InputError(f"{out} is not a synthgen_sdv output folder: {path} is missing")
    data = _read_json(path, "schema metadata")
    _check_header(path, data, SCHEMA_NAME)
    try:
        meta = SchemaMetadata.model_validate(data)
    except ValidationError as exc:
        raise _problems(path, exc) from None
    problems = []
    for name, table in meta.tables.items():
        for pk in table.pk_columns:
            if pk not in table.columns:
                problems.append(f"tables.{name}.primary_key: column '{pk}' is not in its columns")
        for i, fk in enumerate(table.foreign_keys):
            where = f"tables.{name}.foreign_keys[{i}]"
            if fk.column not in table.columns:
                problems.append(f"{where}.column: '{fk.column}' is not a column of {name}")
            parent = meta.tables.get(fk.parent_table)
            if parent is None:
                problems.append(
                    f"{where}.parent_table: '{fk.parent_table}' is not a table; "
                    f"tables are: {', '.join(meta.tables)}"
                )
            elif fk.parent_column not in parent.columns:
                problems.append(
                    f"{where}.parent_column: '{fk.parent_column}' is not a column "
                    f"of {fk.parent_table}"
                )
    if problems:
        raise InputError(
            f"{path}: {len(problems)} problem(s):\n" + "\n".join(f"  - {p}" for p in problems)
        )
    return meta


def load_labels(out_dir: str | Path) -> Labels:
    """The anomaly labels of an output folder; empty when labels.json is absent."""
    path = Path(out_dir) / "metadata" / "labels.json"
    if not path.is_file():
        return Labels()
    data = _read_json(path, "labels file")
    _check_header(path, data, LABELS_NAME)
    try:
        return Labels.model_validate(data)
    except ValidationError as exc:
        raise _problems(path, exc) from None
