"""The output folder's layout: the one place that knows where each part of an output lives.

```
OUT/
  data/<table>.<fmt>                clean tables
  data_dirty/<table>.<fmt>          tables with injected anomalies
  lineage_data/<table>.parquet      outputs of the executed ETL steps
  metadata/schema_metadata.json     the folder's contract (versioned; its presence marks ours)
  metadata/labels.json              anomaly, entity-link and ETL fault labels (versioned)
  metadata/labels/*.parquet         label rows too many to list in labels.json (it names them)
  metadata/generation_lineage.yaml  how each table was made, and the ETL DAG (versioned)
  metadata/openlineage/             OpenLineage RunEvents per step
  metadata/detected_metadata.json   the your-own-data metadata used (editable)
  metadata/lineage_graph.*          the exported lineage graph
  reports/                          the comparison report (fit-sample)
  warehouse.duckdb, spark/          what `load` creates by default
```

A folder is *ours* (``folder_kind``), and so may be replaced with ``--overwrite``, when its
marker document parses and carries our schema name and a version: ``schema_metadata.json`` for
an output, ``ablation.json``, a model's ``manifest.json``, ``comparison.json``, an inferred
config's ``inferred_config.json``, an exported graph's ``lineage_graph.json``. A file that merely
exists (``{}``) does not make a folder ours.

Relative paths are POSIX text (``data/orders.parquet``), as schema_metadata.json records them.
``inside`` is the one way to turn a table name or a path read from metadata into a file: it
refuses anything that would leave the folder (``../x``, an absolute path), because a metadata
file or a table name may come from someone else.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path, PurePosixPath
from typing import Any

from synthgen_sdv.core import bounds
from synthgen_sdv.core.errors import InputError
from synthgen_sdv.core.names import table_name_problem

DATA = "data"
DATA_DIRTY = "data_dirty"
LINEAGE_DATA = "lineage_data"
METADATA = "metadata"
REPORTS = "reports"
SPARK = "spark"

SCHEMA_METADATA = f"{METADATA}/schema_metadata.json"
LABELS = f"{METADATA}/labels.json"
LABELS_DIR = f"{METADATA}/labels"  # label rows too many for labels.json, as Parquet
GENERATION_LINEAGE = f"{METADATA}/generation_lineage.yaml"
OPENLINEAGE = f"{METADATA}/openlineage"
DETECTED_METADATA = f"{METADATA}/detected_metadata.json"
LINEAGE_GRAPH = f"{METADATA}/lineage_graph"
COMPARISON_MD = f"{REPORTS}/comparison.md"
WAREHOUSE = "warehouse.duckdb"
ABLATION_JSON = "ablation.json"  # the marker of an ablation folder (runs/ablation writes it)
INFERRED_CONFIG = "inferred_config.json"  # the marker of a folder infer-config wrote


@dataclass(frozen=True)
class FolderKind:
    """A kind of folder our commands write, recognised by a versioned marker document.

    ``entries`` are the top-level names our commands put in such a folder (None: not checked);
    anything else in it was put there by someone else, so the folder is not replaced whole.
    The schema names are spelled here rather than imported, because their owners sit above
    ``io``; tests/cli checks that they agree.
    """

    label: str
    marker: str
    schema: str
    entries: frozenset[str] | None = None


OUTPUT_KIND = FolderKind(
    "a synthgen_sdv output",
    SCHEMA_METADATA,
    "synthgen_sdv.schema_metadata",
    frozenset({DATA, DATA_DIRTY, LINEAGE_DATA, METADATA, REPORTS, WAREHOUSE, SPARK})
    | {f"{WAREHOUSE}.wal"},
)

FOLDER_KINDS = (
    OUTPUT_KIND,
    FolderKind(
        "an ablation",
        ABLATION_JSON,
        "synthgen_sdv.runs.ablation",
        frozenset({ABLATION_JSON, "ablation.md", "plots", "cells"}),
    ),
    FolderKind("a saved model", "manifest.json", "synthgen_sdv.model_manifest"),
    FolderKind(
        "a comparison report",
        "comparison.json",
        "synthgen_sdv.comparison",
        frozenset({"comparison.json", "comparison.md", "comparison.html", "plots"})
        | {"baseline_config"},
    ),
    FolderKind(
        "a config inferred by infer-config",
        INFERRED_CONFIG,
        "synthgen_sdv.inferred_config",
        frozenset({INFERRED_CONFIG, "tables.yml", "config.yaml"}),
    ),
    FolderKind(
        "an exported lineage graph",
        "lineage_graph.json",
        "synthgen_sdv.lineage_graph",
        frozenset({f"lineage_graph{s}" for s in (".json", ".graph.json", ".npz")}),
    ),
)

#: the marker files (a folder holding one that parses as ours is ours)
MARKERS = tuple(k.marker for k in FOLDER_KINDS)
MAX_MARKER_BYTES = 64 << 20  # a marker larger than this is not read (and not ours)


def marker_document(folder: Path, kind: FolderKind) -> dict[str, Any] | None:
    """The parsed marker of ``kind`` in ``folder`` when it is ours (our schema name, an integer
    version >= 1), else None: a missing, unreadable, empty or foreign file does not count."""
    path = folder / kind.marker
    try:
        if not path.is_file() or path.stat().st_size > MAX_MARKER_BYTES:
            return None
        doc = bounds.parse_json(bounds.read_text_file(path, MAX_MARKER_BYTES))
    except (OSError, ValueError, bounds.UnreadableFile):
        return None
    if not isinstance(doc, dict) or doc.get("schema") != kind.schema:
        return None
    version = doc.get("version")
    if not isinstance(version, int) or isinstance(version, bool) or version < 1:
        return None
    return doc


def is_output(folder: Path) -> bool:
    """True when ``folder`` is an output folder of ours (a valid schema_metadata.json)."""
    return marker_document(folder, OUTPUT_KIND) is not None


def folder_kind(folder: Path) -> tuple[FolderKind, dict[str, Any]] | None:
    """What kind of our folders ``folder`` is, with its marker document; None if not ours."""
    for kind in FOLDER_KINDS:
        doc = marker_document(folder, kind)
        if doc is not None:
            return kind, doc
    return None


def table_file(folder: str, table: str, suffix: str) -> str:
    """``<folder>/<table><suffix>``: the relative path schema_metadata.json records."""
    return f"{folder}/{table}{suffix}"


def inside(root: Path, relative: str | Path, what: str = "path") -> Path:
    """``root / relative``, refusing (InputError) a ``relative`` that leaves ``root``.

    ``relative`` is a table name or a path read from metadata; ``what`` names it in the
    message (e.g. ``table 'orders'``). The path returned is exactly ``root / relative`` (not
    resolved), so valid names give the same paths as plain joins.
    """
    rel = str(relative)
    if not rel or "\x00" in rel or PurePosixPath(rel).is_absolute() or Path(rel).is_absolute():
        raise InputError(f"{what} {rel!r}: not a relative path inside {root}; refused")
    path = root / rel
    try:
        resolved, top = path.resolve(), root.resolve()
    except (RuntimeError, OSError) as exc:  # a symlink loop (RuntimeError before Python 3.13)
        raise InputError(f"{what} {rel!r}: cannot follow its symlinks ({exc}); refused") from None
    if not resolved.is_relative_to(top):
        raise InputError(f"{what} {rel!r}: leads out of {root}; refused")
    return path


def table_path(root: Path, folder: str, table: str, suffix: str) -> Path:
    """The file of ``table`` in ``root/folder`` (``data/orders.parquet``); the name must be an
    identifier (``core.names``) and may not lead out of that folder."""
    return named_path(root / folder, table, suffix)


def named_path(folder: Path, name: str, suffix: str = "", prefix: str = "") -> Path:
    """``folder/<prefix><name><suffix>`` for a table name (a plot per table, a step's events):
    refused (InputError) unless ``name`` is a valid table name and the file stays in
    ``folder``."""
    problem = table_name_problem(name)
    if problem:
        raise InputError(f"{problem}; refused as a file name in {folder}")
    return inside(folder, f"{prefix}{name}{suffix}", f"table {name!r}")
