"""fit-sample --data-dir on a real dataset nobody generated with this project (Northwind)."""

from __future__ import annotations

import json
import subprocess
import sys

import pytest

from tests.conftest import ROOT

NORTHWIND = ROOT.parent / "shared" / "datasets" / "northwind"
pytestmark = pytest.mark.skipif(not NORTHWIND.is_dir(), reason=f"{NORTHWIND} not present")


def cli(*args: str) -> subprocess.CompletedProcess:
    return subprocess.run(
        [sys.executable, "-m", "synthgen_sdv", *args], capture_output=True, text=True
    )


@pytest.fixture(scope="module")
def northwind_out(tmp_path_factory):
    out = tmp_path_factory.mktemp("nw") / "out"
    proc = cli(
        "fit-sample",
        "--data-dir",
        str(NORTHWIND),
        "--out",
        str(out),
        "--model",
        "gaussian_copula",
        "--tables",
        "customers,orders,order_details",
        "--seed",
        "3",
        "--no-progress",
    )
    assert proc.returncode == 0, proc.stderr[-3000:]
    return out, proc


def test_fit_sample_on_northwind_writes_a_valid_output(northwind_out):
    out, proc = northwind_out
    assert "detected_metadata.json" in proc.stdout
    assert (out / "metadata" / "detected_metadata.json").exists()
    check = cli("validate", str(out))
    assert check.returncode == 0, check.stdout[-3000:]


def test_detected_metadata_can_be_edited_and_reused(northwind_out, tmp_path):
    out, _ = northwind_out
    meta = json.loads((out / "metadata" / "detected_metadata.json").read_text())
    assert meta["tables"]["order_details"]["primary_key"] == ["order_id", "product_id"]
    again = tmp_path / "again"
    proc = cli(
        "fit-sample",
        "--data-dir",
        str(NORTHWIND),
        "--metadata",
        str(out / "metadata" / "detected_metadata.json"),
        "--out",
        str(again),
        "--model",
        "gaussian_copula",
        "--tables",
        "customers,orders,order_details",
        "--seed",
        "3",
        "--no-progress",
    )
    assert proc.returncode == 0, proc.stderr[-3000:]


def test_northwind_output_loads_into_duckdb_despite_the_self_reference(northwind_out):
    out, _ = northwind_out
    proc = cli("load", str(out), "--engine", "duckdb")
    assert proc.returncode == 0, proc.stdout + proc.stderr


def test_infer_config_on_raw_northwind(tmp_path):
    proc = cli("infer-config", "--data-dir", str(NORTHWIND), "--out", str(tmp_path / "cfg"))
    assert proc.returncode == 0, proc.stderr
    gen = cli(
        "generate",
        "--config-dir",
        str(tmp_path / "cfg"),
        "--out",
        str(tmp_path / "o"),
        "--no-progress",
    )
    assert gen.returncode == 0, gen.stderr
    assert "wrote 8 tables" in gen.stdout


def test_bad_metadata_file_is_a_clear_error(tmp_path):
    bad = tmp_path / "meta.json"
    bad.write_text(
        '{"METADATA_SPEC_VERSION": "V1", "tables": {"orders": {"primary_key": "nope",'
        ' "columns": {"nope": {"sdtype": "id"}}}}, "relationships": []}'
    )
    proc = cli(
        "fit-sample",
        "--data-dir",
        str(NORTHWIND),
        "--metadata",
        str(bad),
        "--out",
        str(tmp_path / "o"),
        "--no-progress",
    )
    assert proc.returncode == 2
    assert "Traceback" not in proc.stderr and "nope" in proc.stderr
    assert not (tmp_path / "o").exists()
