"""The estimate of a run on your own files: made from their sizes before they are read, and
the guard stops a run that would not fit (exit 2, nothing written) unless --force."""

from __future__ import annotations

import pandas as pd
import pytest

from synthgen_sdv.cli import main
from synthgen_sdv.detect.reading import table_files
from synthgen_sdv.runs.user_estimate import BASE_MEMORY, estimate_user
from tests.conftest import ROOT

CORPUS = ROOT / "tests" / "data" / "corpus"


@pytest.mark.parametrize("db", ["chinook", "tpch", "mimic_demo"])
def test_rows_are_estimated_from_the_file_sizes(db):
    files = table_files(CORPUS / db)
    est = estimate_user(files, ["csv"], None, 1.0)
    real = {name: len(pd.read_csv(path, dtype=str)) for name, path in files.items()}
    assert set(est.tables) == set(real)
    total = sum(real.values())
    # rows per file from the first MiB's bytes per line: the total within a quarter
    assert abs(est.rows - total) <= 0.25 * total + len(real)
    assert est.peak_memory_bytes > BASE_MEMORY and est.disk_bytes > 0


def test_a_parquet_input_is_estimated_from_its_metadata(tmp_path):
    pd.DataFrame({"id": range(1000), "x": ["text"] * 1000}).to_parquet(tmp_path / "t.parquet")
    est = estimate_user(table_files(tmp_path), ["parquet"], None, 2.0, compare=False)
    assert est.tables["t"].rows == 2000
    assert "comparison" not in est.memory_parts


def test_a_run_over_the_memory_budget_stops_before_reading(tmp_path, capsys):
    out = tmp_path / "out"
    args = ["--data-dir", str(CORPUS / "chinook"), "--out", str(out), "--memory-budget", "100MB"]
    code = main(["fit-sample", *args])
    err = capsys.readouterr().err
    assert code == 2, err
    assert "above the memory budget of 100.0 MB (--memory-budget 100MB)" in err
    assert "read your tables" not in err  # stopped before the files were read
    assert not out.exists()
