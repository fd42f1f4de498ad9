"""The lineage run's results are pinned: the labels, generation_lineage.yaml, the OpenLineage
events and the rows of every step output, for the shared stand-in data (seed 42).

The golden files were made by the in-memory (Arrow) pipeline before the lineage stage moved to a
spilling DuckDB workspace; they still match byte for byte (labels, yaml, events) and row for row
(lineage_data). A deliberate change to the pipeline, its faults or its SQL refreshes them with
``UPDATE_GOLDEN=1`` and says why in its commit.
"""

from __future__ import annotations

import hashlib
import json
import os
from pathlib import Path

import pyarrow.parquet as pq

GOLDEN = Path(__file__).resolve().parent / "data" / "golden"


def _sha(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


def table_content(path: Path) -> str:
    """A hash of a Parquet table's schema and rows, whatever their order or row groups."""
    table = pq.read_table(path)
    rows = sorted(json.dumps([str(v) for v in row.values()]) for row in table.to_pylist())
    schema = [[f.name, str(f.type)] for f in table.schema]
    return _sha(json.dumps([schema, rows]).encode())


def produced(out: Path) -> tuple[list, dict[str, str]]:
    """The lineage labels and the hashes of everything else the run wrote."""
    labels = json.loads((out / "metadata" / "labels.json").read_text())["lineage"]
    hashes = {
        "metadata/generation_lineage.yaml": _sha(
            (out / "metadata" / "generation_lineage.yaml").read_bytes()
        )
    }
    for p in sorted((out / "metadata" / "openlineage").glob("*.jsonl")):
        hashes[f"metadata/openlineage/{p.name}"] = _sha(p.read_bytes())
    for p in sorted((out / "lineage_data").glob("*.parquet")):
        hashes[f"lineage_data/{p.name} (rows)"] = table_content(p)
    return labels, hashes


def test_labels_events_and_step_outputs_match_the_golden_files(lineage_out):
    labels, hashes = produced(lineage_out)
    if os.environ.get("UPDATE_GOLDEN"):
        GOLDEN.mkdir(parents=True, exist_ok=True)
        (GOLDEN / "labels.json").write_text(json.dumps(labels, indent=1) + "\n")
        (GOLDEN / "hashes.json").write_text(json.dumps(hashes, indent=1) + "\n")
    assert labels == json.loads((GOLDEN / "labels.json").read_text()), (
        "lineage labels differ from tests/lineage/data/golden (UPDATE_GOLDEN=1 to refresh)"
    )
    expected = json.loads((GOLDEN / "hashes.json").read_text())
    assert set(hashes) == set(expected)
    differ = [k for k in expected if hashes[k] != expected[k]]
    assert not differ, f"{differ} differ from tests/lineage/data/golden (UPDATE_GOLDEN=1)"
