"""The generate command: help, summary, exit codes, atomic output that never destroys a run."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

from synthgen_sdv.core.errors import InputError
from synthgen_sdv.io.output import staged_output
from tests.conftest import TINY
from tests.generate.helpers import tree_hashes


def cli(*args: str, cwd: Path | None = None) -> subprocess.CompletedProcess:
    return subprocess.run(
        [sys.executable, "-m", "synthgen_sdv", *args], capture_output=True, text=True, cwd=cwd
    )


def test_help_lists_the_options():
    proc = cli("generate", "--help")
    assert proc.returncode == 0
    for opt in ("--config-dir", "--scale", "--seed", "--out", "--format", "--workers"):
        assert opt in proc.stdout
    assert "--engine" in proc.stdout and "--spark-master" in proc.stdout


def test_spark_master_without_the_spark_engine_is_refused(tmp_path):
    out = tmp_path / "o"
    proc = cli("generate", "--config-dir", str(TINY), "--out", str(out), "--spark-master", "x")
    assert proc.returncode == 2, proc.stderr
    assert "--spark-master x: it needs --engine spark" in proc.stderr
    assert not out.exists()


def test_generate_prints_a_summary_and_writes_the_format_asked(tmp_path):
    proc = cli(
        "generate",
        "--config-dir",
        str(TINY),
        "--out",
        str(tmp_path / "o"),
        "--format",
        "csv",
        "--seed",
        "3",
        "--scale",
        "2",
    )
    assert proc.returncode == 0, proc.stderr
    assert "wrote 5 tables" in proc.stdout and "rows in" in proc.stdout
    assert "generated customers" in proc.stderr  # a progress line per stage
    assert (tmp_path / "o" / "data" / "customers.csv").exists()
    assert not list((tmp_path / "o" / "data").glob("*.parquet"))


def test_scale_multiplies_rows(tmp_path):
    import json

    def rows(scale: str) -> dict:
        out = tmp_path / scale
        assert (
            cli(
                "generate",
                "--config-dir",
                str(TINY),
                "--out",
                str(out),
                "--scale",
                scale,
                "--no-progress",
            ).returncode
            == 0
        )
        doc = json.loads((out / "metadata" / "schema_metadata.json").read_text())
        return {t: v["row_count"] for t, v in doc["tables"].items()}

    one, four = rows("1"), rows("4")
    assert four["customers"] == 4 * one["customers"]  # linear
    assert four["products"] == 2 * one["products"]  # sqrt
    assert four["regions"] == one["regions"]  # fixed
    assert 2.5 * one["orders"] < four["orders"] < 6 * one["orders"]  # follows its parents


def test_bad_arguments_exit_2_without_traceback(tmp_path):
    proc = cli("generate", "--config-dir", str(tmp_path / "nope"), "--out", str(tmp_path / "o"))
    assert proc.returncode == 2 and "folder not found" in proc.stderr
    assert "Traceback" not in proc.stderr
    proc = cli("generate", "--config-dir", str(TINY), "--scale", "0", "--out", str(tmp_path / "o"))
    assert proc.returncode == 2 and "argument --scale: must be a finite number > 0" in proc.stderr


def test_refuses_to_replace_a_folder_that_is_not_an_output(tmp_path):
    mine = tmp_path / "important"
    mine.mkdir()
    (mine / "thesis.txt").write_text("do not delete")
    proc = cli("generate", "--config-dir", str(TINY), "--out", str(mine))
    assert proc.returncode == 2 and "not a synthgen_sdv output folder" in proc.stderr
    assert (mine / "thesis.txt").read_text() == "do not delete"


def test_failed_run_keeps_the_previous_output_and_leaves_no_temp(tmp_path):
    out = tmp_path / "o"
    assert cli("generate", "--config-dir", str(TINY), "--out", str(out)).returncode == 0
    before = tree_hashes(out)
    with pytest.raises(RuntimeError), staged_output(out, overwrite=True) as tmp:
        (tmp / "data").mkdir()
        (tmp / "data" / "half.csv").write_text("a,b\n1,")
        raise RuntimeError("interrupted")
    assert tree_hashes(out) == before
    assert sorted(p.name for p in tmp_path.iterdir()) == ["o"]


def test_rerun_replaces_an_earlier_output_whole(tmp_path):
    out = tmp_path / "o"
    assert (
        cli("generate", "--config-dir", str(TINY), "--out", str(out), "--seed", "1").returncode == 0
    )
    (out / "data" / "stale.csv").write_text("x")
    args = ("generate", "--config-dir", str(TINY), "--out", str(out), "--seed", "2")
    assert cli(*args).returncode == 2  # an earlier output is replaced only with --overwrite
    assert cli(*args, "--overwrite").returncode == 0
    assert not (out / "data" / "stale.csv").exists()
    assert sorted(p.name for p in tmp_path.iterdir()) == ["o"]


def test_staged_output_rejects_a_file(tmp_path):
    f = tmp_path / "file"
    f.write_text("x")
    with pytest.raises(InputError), staged_output(f):
        pass


@pytest.mark.parametrize(("codec", "stored"), [("snappy", "SNAPPY"), ("zstd", "ZSTD")])
def test_compression_sets_the_parquet_codec(tmp_path, codec, stored):
    import pyarrow.parquet as pq

    out = tmp_path / "o"
    args = ["generate", "--config-dir", str(TINY), "--out", str(out), "--format", "parquet"]
    proc = cli(*args, "--compression", codec, "--no-progress")
    assert proc.returncode == 0, proc.stderr
    meta = pq.ParquetFile(out / "data" / "orders.parquet").metadata
    assert meta.row_group(0).column(0).compression == stored


def test_unknown_compression_is_refused(tmp_path):
    out = tmp_path / "o"
    proc = cli("generate", "--config-dir", str(TINY), "--out", str(out), "--compression", "zip")
    assert proc.returncode == 2, proc.stderr
    assert "--compression zip: unknown Parquet codec; known: snappy, zstd" in proc.stderr
    assert not out.exists()


@pytest.mark.slow
def test_no_lineage_skips_the_etl_pipeline(tmp_path):
    from tests.conftest import DEFAULT

    base = ["generate", "--config-dir", str(DEFAULT), "--scale", "0.05", "--format", "parquet"]
    skipped, ran = tmp_path / "skipped", tmp_path / "ran"
    proc = cli(*base, "--out", str(skipped), "--no-lineage", "--no-progress")
    assert proc.returncode == 0, proc.stderr
    assert (skipped / "data" / "orders.parquet").exists()
    assert not (skipped / "lineage_data").exists()
    proc = cli(*base, "--out", str(ran), "--no-progress")
    assert proc.returncode == 0, proc.stderr
    assert any((ran / "lineage_data").iterdir())
