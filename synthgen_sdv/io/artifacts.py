"""The builders of the versioned documents: schema_metadata.json, labels.json, the lineage header.

Every document carries a schema name and version, the generator version, the seed and the
config hash; readers (``io.reader``) check the version. schema_metadata.json embeds SDV's own
metadata dict, so SDV and SDMetrics read it as is.

One builder serves both ways an output is made. A table is first described neutrally, as the
typed ``io.models.TableMeta`` (columns with SQL and logical type, kind, sdtype, PII, description,
domain; primary key; foreign keys; files; source; dirty variant), by one of two adapters:

* ``describe_plan`` for tables made from a config (the rule-based engine, or sampled on a plan);
* ``describe_frames`` for your own data (a folder of CSV / Parquet and its SDV metadata);

and ``schema_metadata_document`` turns the descriptions into the document.
"""

from __future__ import annotations

from collections.abc import Mapping
from copy import deepcopy
from typing import Any

import pandas as pd

from synthgen_sdv.core.version import __version__
from synthgen_sdv.io.models import (
    LABELS_NAME,
    LINEAGE_NAME,
    SCHEMA_METADATA_NAME,
    VERSION,
    VERSIONS,
    ColumnMeta,
    DirtyMeta,
    ForeignKey,
    TableMeta,
)
from synthgen_sdv.kinds.base import SQL_TYPES
from synthgen_sdv.schema.plan import Plan

SCHEMA_METADATA = SCHEMA_METADATA_NAME
LABELS = LABELS_NAME
LINEAGE = LINEAGE_NAME

#: how dates and timestamps are written (CSV text; SDV's ``datetime_format`` of the output)
OUTPUT_DATETIME_FORMATS = {"date": "%Y-%m-%d", "datetime": "%Y-%m-%d %H:%M:%S"}

_SDTYPE_EXTRA = {
    "numerical": lambda kind: {"computer_representation": "Int64" if kind == "int" else "Float"},
    "datetime": lambda kind: {
        "datetime_format": OUTPUT_DATETIME_FORMATS["date" if kind == "date" else "datetime"]
    },
}
_SDTYPE_OF_TYPE = {
    "int": "numerical",
    "float": "numerical",
    "bool": "boolean",
    "date": "datetime",
    "datetime": "datetime",
}

# --------------------------------------------------------------------------- the documents


def header(schema: str, plan_seed: int, config_hash: str | None, **extra: Any) -> dict[str, Any]:
    """The fields every versioned document starts with (``config_hash`` None: left out)."""
    doc: dict[str, Any] = {
        "schema": schema,
        "version": VERSIONS.get(schema, VERSION),
        "generator": {"name": "synthgen_sdv", "version": __version__},
        "seed": plan_seed,
    }
    if config_hash is not None:
        doc["config_hash"] = config_hash
    doc.update(extra)
    return doc


def table_document(table: TableMeta) -> dict[str, Any]:
    """One table entry of schema_metadata.json (``dirty`` only when the table has a variant)."""
    doc = table.model_dump()
    if doc["dirty"] is None:
        del doc["dirty"]
    return doc


def schema_metadata_document(
    seed: int,
    config_hash: str,
    scale: float,
    sdv_metadata: dict[str, Any],
    tables: Mapping[str, TableMeta],
) -> dict[str, Any]:
    """schema_metadata.json from the neutral table descriptions (either adapter's)."""
    doc = header(SCHEMA_METADATA, seed, config_hash, scale=scale)
    doc["sdv_metadata"] = sdv_metadata
    doc["tables"] = {name: table_document(t) for name, t in tables.items()}
    return doc


def labels_document(
    seed: int,
    config_hash: str | None,
    anomalies: list[dict[str, Any]],
    entity_links: list[dict[str, Any]],
    lineage: list[dict[str, Any]] | None = None,
    entity_link_files: list[dict[str, Any]] | None = None,
) -> dict[str, Any]:
    """labels.json: injected anomalies, hidden entity links, ETL fault labels.

    Version 2: an anomaly's keys are listed under ``rows`` or, when there are many, kept in the
    Parquet file ``rows_file`` (column ``key``), and ``row_count`` says how many either way;
    large groups of entity links are files listed under ``entity_link_files`` (columns
    ``key``, ``links_to``) instead of ``entity_links`` entries.
    """
    doc = header(LABELS, seed, config_hash)
    doc.update(
        {
            "anomalies": anomalies,
            "entity_links": entity_links,
            "entity_link_files": entity_link_files or [],
            "lineage": lineage or [],
        }
    )
    return doc


def lineage_tables_document(seed: int, config_hash: str, tables: dict[str, Any]) -> dict[str, Any]:
    """generation_lineage.yaml when no ETL pipeline ran: how each table was made."""
    doc = header(LINEAGE, seed, config_hash)
    doc["tables"] = tables
    return doc


# --------------------------------------------------------------------------- from a config


def foreign_keys(plan: Plan, table: str) -> list[dict[str, str]]:
    """Declared FKs: emitted lookups and `references`, always to a column of the parent."""
    tp = plan.tables[table]
    out = []
    for col in tp.emitted:
        spec = tp.columns[col]
        if spec.foreign_key_target is not None:
            out.append(
                {
                    "column": col,
                    "parent_table": spec.foreign_key_target,
                    "parent_column": tp.target_column(col, plan),
                }
            )
        elif spec.references:
            parent, parent_col = spec.references.split(".", 1)
            out.append({"column": col, "parent_table": parent, "parent_column": parent_col})
    return out


def sdv_metadata(plan: Plan, types: dict[str, dict[str, str]]) -> dict[str, Any]:
    """SDV's multi-table metadata (spec V1) for the emitted columns."""
    tables: dict[str, Any] = {}
    relationships = []
    fk_columns = {(t, fk["column"]) for t in plan.tables for fk in foreign_keys(plan, t)}
    for name, tp in plan.tables.items():
        columns = {}
        for col in tp.emitted:
            spec, kind = tp.columns[col], types[name][col]
            if col == tp.primary_key or (name, col) in fk_columns:
                columns[col] = {"sdtype": "id"}
                continue
            sdtype = spec.sdtype or (
                spec.default_sdtype()
                if spec.logical_type() != "inferred"
                else _SDTYPE_OF_TYPE.get(kind, "categorical")
            )
            if sdtype in ("numerical", "datetime", "boolean") and kind == "string":
                sdtype = "categorical"
            if sdtype == "numerical" and kind == "bool":
                sdtype = "boolean"
            entry: dict[str, Any] = {"sdtype": sdtype}
            if sdtype in _SDTYPE_EXTRA:
                entry.update(_SDTYPE_EXTRA[sdtype](kind))
            if spec.pii and sdtype not in ("categorical", "numerical", "datetime", "boolean"):
                entry["pii"] = True
            columns[col] = entry
        tables[name] = {"primary_key": tp.primary_key, "columns": columns}
    for name in plan.tables:
        for fk in foreign_keys(plan, name):
            parent = plan.tables[fk["parent_table"]]
            if fk["parent_column"] == parent.primary_key:
                relationships.append(
                    {
                        "parent_table_name": fk["parent_table"],
                        "parent_primary_key": fk["parent_column"],
                        "child_table_name": name,
                        "child_foreign_key": fk["column"],
                    }
                )
    return {"METADATA_SPEC_VERSION": "V1", "tables": tables, "relationships": relationships}


def describe_plan(
    plan: Plan,
    types: dict[str, dict[str, str]],
    sdv_md: dict[str, Any],
    row_counts: dict[str, int],
    nullable: dict[str, set[str]],
    files: dict[str, dict[str, str]],
    dirty: dict[str, dict[str, Any]] | None = None,
    sources: dict[str, str] | None = None,
) -> dict[str, TableMeta]:
    """The config adapter: every table of ``plan`` as written (``sdv_md`` gives the sdtypes)."""
    tables = {}
    for name, tp in plan.tables.items():
        sdv_cols = sdv_md["tables"][name]["columns"]
        columns = {}
        for col in tp.emitted:
            spec = tp.columns[col]
            columns[col] = ColumnMeta(
                sql_type=SQL_TYPES[types[name][col]],
                logical_type=types[name][col],
                nullable=col in nullable.get(name, set()) or spec.null_rate > 0,
                kind=spec.kind,
                sdtype=sdv_cols[col]["sdtype"],
                pii=spec.pii,
                description=spec.description,
                domain=tp.spec.domain,
            )
        tables[name] = TableMeta(
            domain=tp.spec.domain,
            description=tp.spec.description.strip(),
            row_count=row_counts.get(name, 0),
            primary_key=tp.primary_key,
            foreign_keys=[ForeignKey(**fk) for fk in foreign_keys(plan, name)],
            columns=columns,
            files=files.get(name, {}),
            source=(sources or {}).get(name, "rules"),
            dirty=DirtyMeta(**dirty[name]) if dirty and name in dirty else None,
        )
    return tables


def schema_metadata(
    plan: Plan,
    types: dict[str, dict[str, str]],
    row_counts: dict[str, int],
    nullable: dict[str, set[str]],
    files: dict[str, dict[str, str]],
    dirty: dict[str, dict[str, Any]] | None = None,
    sources: dict[str, str] | None = None,
) -> dict[str, Any]:
    """schema_metadata.json of tables made from ``plan``."""
    sdv_md = sdv_metadata(plan, types)
    tables = describe_plan(plan, types, sdv_md, row_counts, nullable, files, dirty, sources)
    return schema_metadata_document(plan.seed, plan.config_hash, plan.scale, sdv_md, tables)


# --------------------------------------------------------------------------- from your own data


def output_sdv_metadata(metadata: dict[str, Any], types: dict[str, dict[str, str]]) -> dict:
    """SDV-valid metadata of the written files: ISO date formats, no composite keys or self
    references.

    SDV refuses both (a composite key is "not supported in SDV Community", a self reference is
    a "circular dependency") and SDMetrics' Intertable Trends fails on a self reference, so
    ``compare`` could not score the folder. Both stay in the table's own ``primary_key`` and
    ``foreign_keys`` in schema_metadata.json, which ``validate`` and ``load`` check.
    """
    md = deepcopy(metadata)
    md["relationships"] = [
        r for r in md.get("relationships", []) if r["parent_table_name"] != r["child_table_name"]
    ]
    for name, tmeta in md["tables"].items():
        if isinstance(tmeta.get("primary_key"), list):
            tmeta.pop("primary_key")
        for col, cmeta in tmeta["columns"].items():
            if cmeta.get("sdtype") == "datetime":
                cmeta["datetime_format"] = OUTPUT_DATETIME_FORMATS.get(types[name][col], "%Y-%m-%d")
    md["METADATA_SPEC_VERSION"] = "V1"
    return md


def describe_frames(
    tables: Mapping[str, pd.DataFrame],
    metadata: dict[str, Any],
    types: dict[str, dict[str, str]],
    files: dict[str, dict[str, str]],
    sources: dict[str, str] | None = None,
    descriptions: dict[str, str] | None = None,
    nullable: Mapping[str, set[str]] | None = None,
    rows: Mapping[str, int] | None = None,
) -> dict[str, TableMeta]:
    """The your-own-data adapter: tables described by their SDV metadata (with composite keys
    and self references) and logical types; nullability is what the frames hold, or what
    ``nullable`` says (columns seen with nulls while writing a table not held in memory), and
    row counts ``len`` of each, or ``rows``."""
    rels = metadata.get("relationships", [])
    out = {}
    for name, frame in tables.items():
        tmeta = metadata["tables"][name]
        source = (sources or {}).get(name, "user data")
        columns = {}
        for col in frame.columns:
            cmeta = tmeta["columns"][col]
            columns[col] = ColumnMeta(
                sql_type=SQL_TYPES[types[name][col]],
                logical_type=types[name][col],
                nullable=(
                    col in nullable[name]
                    if nullable is not None and name in nullable
                    else bool(frame[col].isna().any())
                ),
                kind="user",
                sdtype=cmeta.get("sdtype"),
                pii=bool(cmeta.get("pii", False)),
                description="",
                domain="user",
            )
        out[name] = TableMeta(
            domain="user",
            description=(descriptions or {}).get(name, f"{name} ({source})"),
            row_count=rows[name] if rows is not None and name in rows else len(frame),
            primary_key=tmeta.get("primary_key"),
            foreign_keys=[
                ForeignKey(
                    column=r["child_foreign_key"],
                    parent_table=r["parent_table_name"],
                    parent_column=r["parent_primary_key"],
                )
                for r in rels
                if r["child_table_name"] == name
            ],
            columns=columns,
            files=files.get(name, {}),
            source=source,
        )
    return out
