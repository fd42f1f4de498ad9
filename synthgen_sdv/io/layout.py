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

Relative paths are POSIX text (``data/orders.parquet``), as schema_metadata.json records them.
``inside`` is the one way to turn a table name or a path read from metadata into a file: it
refuses anything that would leave the folder (``../x``, an absolute path), because a metadata
file or a table name may come from someone else.
"""

from __future__ import annotations

from pathlib import Path, PurePosixPath

from synthgen_sdv.core.errors import InputError

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

#: files whose presence says "a synthgen_sdv command wrote this folder" (safe to replace)
MARKERS = (SCHEMA_METADATA, ABLATION_JSON)


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
    if not path.resolve().is_relative_to(root.resolve()):
        raise InputError(f"{what} {rel!r}: leads out of {root}; refused")
    return path


def table_path(root: Path, folder: str, table: str, suffix: str) -> Path:
    """The file of ``table`` in ``root/folder`` (``data/orders.parquet``); the name may not
    lead out of that folder."""
    return inside(root / folder, f"{table}{suffix}", f"table {table!r}")
