"""The folder kinds io.layout recognises agree with their owners, and the commands that add to
an output (lineage, export-graph) or skip parts of it (--no-lineage) do so whole."""

from __future__ import annotations

import json

import pytest

from synthgen_sdv.io import layout
from tests.cli.conftest import main, tree
from tests.conftest import DEFAULT, generate


def test_marker_schema_names_match_their_owners():
    from synthgen_sdv.evaluate.report_schema import SCHEMA as COMPARISON
    from synthgen_sdv.io.models import SCHEMA_METADATA_NAME
    from synthgen_sdv.lineage.graph import GRAPH_SCHEMA
    from synthgen_sdv.runs.ablation.report import SCHEMA as ABLATION
    from synthgen_sdv.runs.infer import MARKER_SCHEMA
    from synthgen_sdv.synth.store import MANIFEST_FILE
    from synthgen_sdv.synth.store import SCHEMA as MODEL

    kinds = {k.marker: k.schema for k in layout.FOLDER_KINDS}
    assert kinds == {
        layout.SCHEMA_METADATA: SCHEMA_METADATA_NAME,
        layout.ABLATION_JSON: ABLATION,
        MANIFEST_FILE: MODEL,
        "comparison.json": COMPARISON,
        layout.INFERRED_CONFIG: MARKER_SCHEMA,
        "lineage_graph.json": GRAPH_SCHEMA,
    }


@pytest.fixture(scope="module")
def small_default(tmp_path_factory):
    """The built-in config (it has the ETL pipeline) at a small scale."""
    return generate(DEFAULT, tmp_path_factory.mktemp("default") / "out", scale=0.05)


@pytest.mark.slow
def test_no_lineage_writes_no_lineage_data_and_no_events(small_default, tmp_path):
    assert (small_default / layout.LINEAGE_DATA).is_dir()
    assert (small_default / layout.OPENLINEAGE).is_dir()
    out = tmp_path / "o"
    assert main("generate", "--scale", "0.05", "--out", out, "--no-lineage", "--no-progress") == 0
    assert not (out / layout.LINEAGE_DATA).exists()
    assert not (out / layout.OPENLINEAGE).exists()
    assert json.loads((out / layout.LABELS).read_text()).get("lineage") in (None, [])
    # the same data as with the pipeline: only the lineage parts differ
    for table in ("customers", "orders"):
        rel = f"data/{table}.parquet"
        assert (out / rel).read_bytes() == (small_default / rel).read_bytes()


@pytest.mark.slow
def test_lineage_and_export_graph_update_the_folder_whole(small_default, tmp_path, capsys):
    import shutil

    out = tmp_path / "o"
    shutil.copytree(small_default, out)
    (out / "notes.txt").write_text("kept")  # not ours, but lineage adds and keeps, never replaces
    data_before = {k: v for k, v in tree(out).items() if k.startswith("data")}
    assert main("lineage", out, "--no-progress") == 0
    after = tree(out)
    assert {k: v for k, v in after.items() if k.startswith("data")} == data_before
    assert (out / "notes.txt").read_text() == "kept"
    assert sorted(p.name for p in tmp_path.iterdir()) == ["o"]
    assert main("export-graph", out) == 0
    assert (out / f"{layout.LINEAGE_GRAPH}.npz").is_file()
    graph = tmp_path / "graph"
    assert main("export-graph", out, "--out", graph) == 0
    assert sorted(p.name for p in graph.iterdir()) == [
        "lineage_graph.graph.json",
        "lineage_graph.json",
        "lineage_graph.npz",
    ]
    assert main("export-graph", out, "--out", graph) == 2  # ours now: needs --overwrite
    assert "an exported lineage graph" in capsys.readouterr().err
    assert main("export-graph", out, "--out", graph, "--overwrite") == 0
    # the old spelling still works, with a note
    assert main("lineage", "--data", out, "--no-progress") == 0
    assert "`lineage --data DIR` is deprecated" in capsys.readouterr().err
