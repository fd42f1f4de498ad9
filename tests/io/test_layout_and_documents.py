"""io owns the output folder: paths that cannot leave it, one writer's bytes, one reader."""

from __future__ import annotations

import json
import os
import shutil
from pathlib import Path

import pytest

from synthgen_sdv.core.errors import InputError
from synthgen_sdv.engines.reader import read_tables
from synthgen_sdv.io import files, layout
from synthgen_sdv.io.models import ColumnMeta, Labels, SchemaMetadata, TableMeta
from synthgen_sdv.io.reader import load_labels, load_schema_metadata, read_versioned


def test_inside_keeps_valid_paths_exactly(tmp_path):
    assert layout.inside(tmp_path, "data/orders.parquet") == tmp_path / "data/orders.parquet"
    assert layout.table_path(tmp_path, layout.DATA, "orders", ".csv") == (
        tmp_path / "data" / "orders.csv"
    )
    assert layout.table_file(layout.DATA_DIRTY, "orders", ".parquet") == (
        "data_dirty/orders.parquet"
    )


@pytest.mark.parametrize("bad", ["../x.csv", "data/../../x", "/etc/passwd", "", "a\x00b"])
def test_inside_refuses_what_leaves_the_folder(tmp_path, bad):
    with pytest.raises(InputError, match=r"tables\.orders\.files\.csv"):
        layout.inside(tmp_path, bad, "tables.orders.files.csv")


def test_a_table_name_cannot_leave_its_folder(tmp_path):
    with pytest.raises(InputError, match=r"table name '\.\./metadata/labels'"):
        layout.table_path(tmp_path, layout.DATA, "../metadata/labels", ".json")


def test_metadata_that_points_out_of_the_folder_is_refused(tiny_output, tmp_path):
    out = Path(shutil.copytree(tiny_output, tmp_path / "out"))
    meta = out / layout.SCHEMA_METADATA
    doc = json.loads(meta.read_text())
    doc["tables"]["orders"]["files"]["parquet"] = "../../secret.parquet"
    meta.write_text(json.dumps(doc))
    with pytest.raises(InputError, match=r"tables\.orders\.files\.parquet.*leads out of"):
        read_tables(out)


def test_written_documents_read_back_through_the_typed_models(tiny_output):
    schema = load_schema_metadata(tiny_output)
    assert isinstance(schema, SchemaMetadata) and schema.seed == 7
    raw = json.loads((tiny_output / layout.SCHEMA_METADATA).read_text())
    # the models declare the fields in the order the writer emits them
    for name, table in raw["tables"].items():
        assert list(table) == [f for f in TableMeta.model_fields if f in table], name
        for col, entry in table["columns"].items():
            assert list(entry) == list(ColumnMeta.model_fields), col
    labels = load_labels(tiny_output)
    assert isinstance(labels, Labels) and labels.anomalies


def test_json_writer_bytes_and_modes(tmp_path):
    doc = {"b": 1, "a": [1, 2], "when": Path("x")}
    path = files.write_json(tmp_path / "m" / "d.json", doc)
    assert path.read_text() == json.dumps(doc, indent=2, sort_keys=False, default=str) + "\n"
    assert oct(os.stat(path).st_mode & 0o777) == "0o644"
    assert not [p for p in path.parent.iterdir() if p.name.startswith(".")], "no temp left"


def test_reader_refuses_other_schemas_and_versions(tmp_path):
    path = files.write_json(tmp_path / "x.json", {"schema": "other", "version": 1})
    with pytest.raises(InputError, match="'schema' is 'other'"):
        read_versioned(path, "synthgen_sdv.labels")
    files.write_json(path, {"schema": "synthgen_sdv.labels", "version": 9})
    with pytest.raises(InputError, match="unknown version 9"):
        read_versioned(path, "synthgen_sdv.labels")
    minimal = files.write_json(tmp_path / "y.json", {})
    assert read_versioned(minimal, "synthgen_sdv.labels", strict=False) == {}
    with pytest.raises(InputError, match="not found"):
        read_versioned(tmp_path / "missing.json", "synthgen_sdv.labels")
