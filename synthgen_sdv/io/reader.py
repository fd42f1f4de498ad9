"""The one reader of versioned documents: schema_metadata.json, labels.json, lineage, ablation.

Every document we write carries ``schema`` and ``version``; a reader refuses another schema or a
version it does not know, and says which synthgen_sdv to use instead. Damaged or missing files
are ``InputError`` (exit 2) naming the file, never a traceback.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pyarrow as pa
import pyarrow.parquet as pq
from pydantic import ValidationError

from synthgen_sdv.core import bounds
from synthgen_sdv.core.errors import ConfigError, InputError
from synthgen_sdv.core.names import column_name_problem, table_name_problem
from synthgen_sdv.io import layout
from synthgen_sdv.io.models import (
    LABELS_NAME,
    SCHEMA_METADATA_NAME,
    SUPPORTED,
    SUPPORTED_VERSIONS,
    Labels,
    SchemaMetadata,
)
from synthgen_sdv.schema.yamlio import parse_yaml


def _read_text(path: Path, label: str) -> str:
    """A document's text, bounded (``bounds.read_text_file``); InputError naming ``label``."""
    try:
        return bounds.read_text_file(path, bounds.MAX_JSON_BYTES)
    except FileNotFoundError:
        raise InputError(f"{label}: not found") from None
    except (OSError, bounds.UnreadableFile) as exc:
        reason = exc.strerror if isinstance(exc, OSError) and exc.strerror else str(exc)
        raise InputError(f"{label}: cannot read: {reason}") from None


#: nodes of a YAML document we wrote (generation_lineage.yaml of a wide schema is large; an
#: alias bomb is still refused without being expanded)
READ_YAML_NODES = 20_000_000


def read_json(path: Path, label: str | None = None, hint: str = "") -> dict[str, Any]:
    """The JSON object in ``path``; ``label`` starts the error messages (default: the path)."""
    label = label or str(path)
    text = _read_text(Path(path), label)
    try:
        doc = bounds.parse_json(text)
    except json.JSONDecodeError as exc:
        raise InputError(
            f"{label}: not valid JSON ({exc.msg} at line {exc.lineno}, column {exc.colno})"
            + (f"; {hint}" if hint else "")
        ) from None
    except ValueError as exc:
        raise InputError(f"{label}: not valid JSON ({exc})") from None
    if not isinstance(doc, dict):
        raise InputError(f"{label}: expected a JSON object, found {type(doc).__name__}")
    return doc


def read_yaml(path: Path, label: str | None = None) -> dict[str, Any]:
    """The YAML mapping in ``path`` (a generation_lineage.yaml), read as a config file is:
    bounded in size, nesting and aliases (``schema.yamlio.parse_yaml``)."""
    label = label or str(path)
    text = _read_text(Path(path), label)
    try:
        doc, _ = parse_yaml(text, label, max_nodes=READ_YAML_NODES, max_chars=bounds.MAX_JSON_BYTES)
    except ConfigError as exc:
        raise InputError(f"{label}: not valid YAML ({exc.problems[0].message})") from None
    if not isinstance(doc, dict):
        raise InputError(f"{label}: expected a YAML mapping, found {type(doc).__name__}")
    return doc


def check_header(
    path: Path,
    doc: dict[str, Any],
    schema: str,
    strict: bool = True,
    versions: tuple[int, ...] = SUPPORTED_VERSIONS,
) -> None:
    """Refuse a document of another schema or of a version this synthgen_sdv cannot read
    (``versions``: the ones its reader knows; documents are versioned each on their own).

    ``strict=False`` accepts a document without ``schema`` / ``version`` keys (a minimal
    folder written by hand or by another tool), but never a wrong one.
    """
    if (strict or "schema" in doc) and doc.get("schema") != schema:
        raise InputError(f"{path}: 'schema' is {doc.get('schema')!r}, expected {schema!r}")
    supported = versions if versions != SUPPORTED_VERSIONS else SUPPORTED.get(schema, versions)
    if (strict or "version" in doc) and doc.get("version") not in supported:
        known = ", ".join(map(str, supported))
        raise InputError(
            f"{path}: unknown version {doc.get('version')!r}; this synthgen_sdv "
            f"reads version {known}; use the synthgen_sdv that wrote it"
        )


def read_versioned(
    path: Path,
    schema: str,
    strict: bool = True,
    hint: str = "",
    versions: tuple[int, ...] = SUPPORTED_VERSIONS,
) -> dict[str, Any]:
    """A versioned JSON or YAML document (by suffix), its schema and version checked."""
    path = Path(path)
    doc = read_yaml(path) if path.suffix in (".yaml", ".yml") else read_json(path, hint=hint)
    check_header(path, doc, schema, strict, versions)
    return doc


def _problems(path: Path, exc: ValidationError) -> InputError:
    lines = [f"  - {'.'.join(map(str, e['loc']))}: {e['msg']}" for e in exc.errors()]
    return InputError(f"{path}: {len(lines)} problem(s):\n" + "\n".join(lines))


def load_schema_metadata(out_dir: str | Path) -> SchemaMetadata:
    """The checked schema metadata of an output folder; InputError (exit 2) if it is not one."""
    out = Path(out_dir)
    path = out / layout.SCHEMA_METADATA
    if not out.is_dir():
        raise InputError(
            f"{out}: no such directory; pass an output folder made by "
            "`python -m synthgen_sdv generate --out DIR`"
        )
    if not path.is_file():
        raise InputError(f"{out} is not a synthgen_sdv output folder: {path} is missing")
    data = read_versioned(
        path,
        SCHEMA_METADATA_NAME,
        hint="the schema metadata is damaged, regenerate the output folder",
    )
    try:
        meta = SchemaMetadata.model_validate(data)
    except ValidationError as exc:
        raise _problems(path, exc) from None
    problems = []
    for name, table in meta.tables.items():
        bad = table_name_problem(name)  # names become file names and SQL identifiers
        if bad:
            problems.append(f"tables: {bad}")
            continue
        problems += [
            f"tables.{name}.columns: {p}" for p in map(column_name_problem, table.columns) if p
        ]
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
    """The labels of an output folder, every anomaly's ``rows`` filled in (from its
    ``rows_file`` when labels.json names one); empty when labels.json is absent."""
    out = Path(out_dir)
    path = out / layout.LABELS
    if not path.is_file():
        return Labels()
    data = read_versioned(path, LABELS_NAME, hint="the labels file is damaged")
    try:
        labels = Labels.model_validate(data)
    except ValidationError as exc:
        raise _problems(path, exc) from None
    anomalies = []
    for anomaly in labels.anomalies:
        if anomaly.rows_file:
            rows = _label_column(out, anomaly.rows_file, "key", f"label {anomaly.id}")
            anomaly = anomaly.model_copy(update={"rows": rows})
        anomalies.append(anomaly)
    return labels.model_copy(update={"anomalies": anomalies})


def _label_column(out: Path, relative: str, column: str, what: str) -> list[Any]:
    file = layout.inside(out, relative, f"{what}: file")
    try:
        return pq.read_table(file, columns=[column]).column(column).to_pylist()
    except (OSError, pa.ArrowException, KeyError) as exc:
        raise InputError(f"{file}: cannot read {what} ({exc}); regenerate the output") from None


def iter_entity_links(out_dir: str | Path) -> Iterator[dict[str, Any]]:
    """Every entity link of an output folder, inline ones and those in Parquet files, one
    dict at a time (``{table, key, links_to: {table, key}, via}``), without holding them all."""
    out = Path(out_dir)
    labels = load_labels(out)
    yield from labels.entity_links
    for group in labels.entity_link_files:
        file = layout.inside(out, group.file, "entity links file")
        for batch in pq.ParquetFile(file).iter_batches(columns=["key", "links_to"]):
            for key, target in zip(*(c.to_pylist() for c in batch.columns), strict=True):
                yield {
                    "table": group.table,
                    "key": key,
                    "links_to": {"table": group.links_to, "key": target},
                    "via": group.via,
                }
