"""Names are identifiers: table and column names are checked where they enter (config, your own
data, metadata files, output folders) and no path built from one leaves its folder."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest
import yaml

from synthgen_sdv.core.errors import InputError
from synthgen_sdv.core.names import (
    check_table_name,
    column_name_problem,
    table_name_problem,
)
from synthgen_sdv.io import layout
from tests.cli.conftest import main, tree
from tests.conftest import TINY

HOSTILE_TABLES = ["../../x", "", "a" * 300, "/abs", "..", ".", ".hidden", "a/b", "a\\b", "x\x00"]


@pytest.mark.parametrize(
    "name", ["orders", "order_items", "Order Items", "v2.orders", "顧客", "_t"]
)
def test_valid_table_names(name):
    assert table_name_problem(name) is None
    assert layout.table_path(Path("/o"), "data", name, ".csv") == Path(f"/o/data/{name}.csv")


@pytest.mark.parametrize("name", [*HOSTILE_TABLES, "trailing ", "dot.", "a" * 129, "-x"])
def test_invalid_table_names(name):
    assert table_name_problem(name) is not None
    with pytest.raises(InputError):
        check_table_name(name, "here")
    with pytest.raises(InputError):
        layout.table_path(Path("/o"), "data", name, ".parquet")


@pytest.mark.parametrize("name", ["Unit Price ($)", "% off", "a.b", " padded ", "naïve"])
def test_column_names_allow_any_printable_text_but_separators(name):
    assert column_name_problem(name) is None


@pytest.mark.parametrize("name", ["", ".", "..", "a/b", "a\\b", "tab\there", "x" * 129])
def test_invalid_column_names(name):
    assert column_name_problem(name) is not None


def _config_with_table(tmp_path: Path, name: str, column: str = "region_id") -> Path:
    config = tmp_path / "cfg"
    shutil.copytree(TINY, config)
    doc = yaml.safe_load((config / "tables.yml").read_text())
    doc["tables"][name] = {"primary_key": column, "columns": {column: {"kind": "sequence"}}}
    (config / "tables.yml").write_text(yaml.safe_dump(doc))
    return config


@pytest.mark.parametrize("name", ["../../x", "", "a" * 300, "/tmp/abs", ".hidden"])
def test_a_hostile_table_name_in_a_config_is_refused(tmp_path, capsys, name):
    config = _config_with_table(tmp_path, name)
    before = tree(tmp_path)
    assert main("generate", "--config-dir", config, "--out", tmp_path / "o") == 2
    err = capsys.readouterr().err
    assert "tables.yml:" in err and "table name" in err and "Traceback" not in err
    assert tree(tmp_path) == before and not (tmp_path / "o").exists()
    assert not (tmp_path.parent / "x").exists()


def test_a_hostile_column_name_in_a_config_is_refused(tmp_path, capsys):
    config = _config_with_table(tmp_path, "extra", column="../c")
    assert main("generate", "--config-dir", config, "--out", tmp_path / "o") == 2
    assert "tables.extra.columns.../c: column name '../c' contains '/'" in capsys.readouterr().err


@pytest.mark.parametrize("stem", ["a" * 200, "bad?name", " lead"])
def test_a_hostile_file_name_in_your_own_data_is_refused(tmp_path, capsys, stem):
    data = tmp_path / "data"
    data.mkdir()
    (data / f"{stem}.csv").write_text("id,x\n1,2\n")
    assert main("fit-sample", "--data-dir", data, "--out", tmp_path / "o") == 2
    err = capsys.readouterr().err
    assert "table name" in err and f"{stem[:20]}" in err
    assert sorted(p.name for p in tmp_path.iterdir()) == ["data"]


def test_a_hostile_column_in_your_own_data_is_refused(tmp_path, capsys):
    data = tmp_path / "data"
    data.mkdir()
    (data / "t.csv").write_text("id,../../x\n1,2\n")
    assert main("infer-config", "--data-dir", data, "--out", tmp_path / "o") == 2
    err = capsys.readouterr().err
    # named by the reader (file and column) before the name rule would see it
    assert "t.csv" in err and "'../../x'" in err and "path separator" in err, err
    assert sorted(p.name for p in tmp_path.iterdir()) == ["data"]


def test_a_hostile_table_in_a_metadata_file_writes_nothing_outside(tmp_path, capsys):
    data = tmp_path / "data"
    data.mkdir()
    (data / "t.csv").write_text("id,x\n1,2\n")
    meta = {
        "METADATA_SPEC_VERSION": "V1",
        "tables": {"../../x": {"primary_key": "id", "columns": {"id": {"sdtype": "id"}}}},
        "relationships": [],
    }
    (tmp_path / "m.json").write_text(json.dumps(meta))
    before = tree(tmp_path)
    argv = ["fit-sample", "--data-dir", data, "--metadata", tmp_path / "m.json"]
    assert main(*argv, "--out", tmp_path / "o") == 2
    assert tree(tmp_path) == before and not (tmp_path / "o").exists()


@pytest.mark.parametrize(
    "argv", [["validate", "{o}"], ["load", "{o}"], ["infer-config", "--data-dir", "{o}"]]
)
def test_a_hostile_table_in_an_output_folder_is_refused(tiny_out, capsys, argv):
    path = tiny_out / layout.SCHEMA_METADATA
    doc = json.loads(path.read_text())
    doc["tables"]["../../../x"] = doc["tables"].pop("regions")
    doc["sdv_metadata"]["tables"]["../../../x"] = doc["sdv_metadata"]["tables"].pop("regions")
    path.write_text(json.dumps(doc))
    before = tree(tiny_out.parent)
    out = ["--out", tiny_out.parent / "cfg"] if argv[0] == "infer-config" else []
    assert main(*[a.format(o=tiny_out) for a in argv], *out) == 2
    assert "table name '../../../x'" in capsys.readouterr().err
    assert tree(tiny_out.parent) == before


def test_export_graph_of_an_output_without_lineage_is_bad_input(tiny_out, capsys):
    assert main("export-graph", tiny_out) == 2
    assert "has no ETL pipeline" in capsys.readouterr().err
