"""Versioned metadata artifacts: schema_metadata.json, labels.json, generation_lineage.yaml.

Every document carries a schema name and version, the generator version, the seed and the
config hash; readers check the version. schema_metadata.json embeds SDV's own metadata dict,
so SDV and SDMetrics read it as is.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import yaml

from synthgen_sdv.core.errors import InputError
from synthgen_sdv.core.version import __version__
from synthgen_sdv.kinds import LookupColumn
from synthgen_sdv.kinds.base import SQL_TYPES
from synthgen_sdv.schema.plan import Plan

SCHEMA_METADATA = "synthgen_sdv.schema_metadata"
LABELS = "synthgen_sdv.labels"
LINEAGE = "synthgen_sdv.generation_lineage"
VERSION = 1

_SDTYPE_EXTRA = {
    "numerical": lambda kind: {"computer_representation": "Int64" if kind == "int" else "Float"},
    "datetime": lambda kind: {
        "datetime_format": "%Y-%m-%d" if kind == "date" else "%Y-%m-%d %H:%M:%S"
    },
}


def header(schema: str, plan_seed: int, config_hash: str, **extra: Any) -> dict[str, Any]:
    return {
        "schema": schema,
        "version": VERSION,
        "generator": {"name": "synthgen_sdv", "version": __version__},
        "seed": plan_seed,
        "config_hash": config_hash,
        **extra,
    }


def foreign_keys(plan: Plan, table: str) -> list[dict[str, str]]:
    """Declared FKs: emitted lookups and `references`, always to a column of the parent."""
    tp = plan.tables[table]
    out = []
    for col in tp.emitted:
        spec = tp.columns[col]
        if isinstance(spec, LookupColumn):
            out.append(
                {
                    "column": col,
                    "parent_table": spec.table,
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
                else {
                    "int": "numerical",
                    "float": "numerical",
                    "bool": "boolean",
                    "date": "datetime",
                    "datetime": "datetime",
                }.get(kind, "categorical")
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


def schema_metadata(
    plan: Plan,
    types: dict[str, dict[str, str]],
    row_counts: dict[str, int],
    nullable: dict[str, set[str]],
    files: dict[str, dict[str, str]],
    dirty: dict[str, dict[str, Any]] | None = None,
    sources: dict[str, str] | None = None,
) -> dict[str, Any]:
    doc = header(SCHEMA_METADATA, plan.seed, plan.config_hash, scale=plan.scale)
    doc["sdv_metadata"] = sdv_metadata(plan, types)
    tables = {}
    for name, tp in plan.tables.items():
        sdv_cols = doc["sdv_metadata"]["tables"][name]["columns"]
        columns = {}
        for col in tp.emitted:
            spec = tp.columns[col]
            columns[col] = {
                "sql_type": SQL_TYPES[types[name][col]],
                "logical_type": types[name][col],
                "nullable": col in nullable.get(name, set()) or spec.null_rate > 0,
                "kind": spec.kind,
                "sdtype": sdv_cols[col]["sdtype"],
                "pii": spec.pii,
                "description": spec.description,
                "domain": tp.spec.domain,
            }
        entry = {
            "domain": tp.spec.domain,
            "description": tp.spec.description.strip(),
            "row_count": row_counts.get(name, 0),
            "primary_key": tp.primary_key,
            "foreign_keys": foreign_keys(plan, name),
            "columns": columns,
            "files": files.get(name, {}),
            "source": (sources or {}).get(name, "rules"),
        }
        if dirty and name in dirty:
            entry["dirty"] = dirty[name]
        tables[name] = entry
    doc["tables"] = tables
    return doc


def labels_doc(
    plan: Plan,
    anomalies: list[dict[str, Any]],
    entity_links: list[dict[str, Any]],
    lineage: list[dict[str, Any]] | None = None,
) -> dict[str, Any]:
    doc = header(LABELS, plan.seed, plan.config_hash)
    doc.update({"anomalies": anomalies, "entity_links": entity_links, "lineage": lineage or []})
    return doc


def write_json(path: Path, doc: dict[str, Any]) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(
        json.dumps(doc, indent=2, sort_keys=False, default=str) + "\n", encoding="utf-8"
    )


class _PlainDumper(yaml.SafeDumper):
    """No &anchors/*aliases: a lineage file is read by people and by other tools."""

    def ignore_aliases(self, data: Any) -> bool:
        return True


def write_yaml(path: Path, doc: dict[str, Any]) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    text = yaml.dump(doc, Dumper=_PlainDumper, sort_keys=False, allow_unicode=True)
    path.write_text(text, encoding="utf-8")


def read_versioned(path: Path, schema: str) -> dict[str, Any]:
    """Read a JSON artifact and check that it is the schema and version we understand."""
    try:
        doc = json.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        raise InputError(f"{path}: not found") from None
    except json.JSONDecodeError as exc:
        raise InputError(f"{path}: not valid JSON ({exc})") from None
    if doc.get("schema") != schema or doc.get("version") != VERSION:
        raise InputError(
            f"{path}: expected {schema} version {VERSION}, found "
            f"{doc.get('schema')} version {doc.get('version')}"
        )
    return doc
