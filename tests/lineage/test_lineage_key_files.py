"""Lineage labels that touch many rows keep their keys in Parquet beside labels.json, so the
pipeline never holds millions of keys as Python lists; the verifier reads them back."""

from __future__ import annotations

import json

import pyarrow.parquet as pq

from synthgen_sdv.lineage import workspace as workspace_module
from synthgen_sdv.lineage.verify import read_labels, verify_lineage
from synthgen_sdv.runs.lineage import run_lineage
from tests.conftest import DEFAULT, generate


def test_large_labels_go_to_key_files_with_the_same_keys(tmp_path, monkeypatch):
    out = generate(DEFAULT, tmp_path / "out", scale=0.2, formats=("parquet",))
    inline = {
        lab["id"]: lab for lab in json.loads((out / "metadata/labels.json").read_text())["lineage"]
    }
    assert all("rows_file" not in lab for lab in inline.values())
    monkeypatch.setattr(workspace_module, "INLINE_KEYS", 5)
    run_lineage(out)  # the lineage stage again over the same data, into the same folder
    doc = json.loads((out / "metadata/labels.json").read_text())["lineage"]
    filed = [lab for lab in doc if "rows_file" in lab]
    assert filed, "no label had more than 5 keys"
    for lab in filed:
        assert lab["rows"] == [] and lab["rows_file"].startswith("metadata/labels/lineage.")
        table = pq.read_table(out / lab["rows_file"])
        assert table.num_rows == lab["row_count"] == inline[lab["id"]]["row_count"]
        assert table.column_names == lab["primary_key"]
    # the verifier reads them back: the same keys as inline, and every label proven
    assert {lab["id"]: lab["rows"] for lab in read_labels(out)} == {
        k: lab["rows"] for k, lab in inline.items()
    }
    report = verify_lineage(out)
    assert report.ok, report.problems
    # a later run with fewer large labels leaves no stale key files behind
    monkeypatch.setattr(workspace_module, "INLINE_KEYS", 10**9)
    run_lineage(out)
    assert not list((out / "metadata/labels").glob("lineage.*.parquet"))
    assert json.loads((out / "metadata/labels.json").read_text())["lineage"] == list(
        inline.values()
    )
