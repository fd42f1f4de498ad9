"""``generate --no-dirty``: the clean tables only, the same bytes as in a full run."""

from __future__ import annotations

import json

from synthgen_sdv.cli import main
from tests.conftest import TINY
from tests.generate.helpers import tree_hashes


def test_no_dirty_writes_the_same_clean_tables_and_no_dirty_copies_or_anomaly_labels(tmp_path):
    common = ["generate", "--config-dir", str(TINY), "--scale", "3", "--no-lineage"]
    common += ["--no-progress", "--format", "parquet"]
    assert main([*common, "--out", str(tmp_path / "full")]) == 0
    assert main([*common, "--no-dirty", "--out", str(tmp_path / "clean")]) == 0
    full, clean = tmp_path / "full", tmp_path / "clean"
    assert (full / "data_dirty").is_dir()
    assert not (clean / "data_dirty").exists()
    assert tree_hashes(clean / "data") == tree_hashes(full / "data")
    labels = json.loads((clean / "metadata" / "labels.json").read_text())
    assert labels["anomalies"] == []
    assert json.loads((full / "metadata" / "labels.json").read_text())["anomalies"]
    tables = json.loads((clean / "metadata" / "schema_metadata.json").read_text())["tables"]
    assert not any("dirty" in t for t in tables.values())
