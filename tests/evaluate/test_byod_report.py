"""`fit-sample --data-dir` writes the same holdout comparison report as a config run (split by
root entity, rule-based baseline from train, the other synthesizer, train as the ceiling, the
written output as section 2); `--no-compare` skips it."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import jsonschema
import pandas as pd
import pytest
from evaluate_shop import make_shop

from synthgen_sdv.evaluate.report_schema import COMPARISON_JSON_SCHEMA
from tests.conftest import TINY

pytestmark = pytest.mark.slow  # each fixture fits two synthesizers and a baseline


def cli(*args: str) -> subprocess.CompletedProcess:
    return subprocess.run(
        [sys.executable, "-m", "synthgen_sdv", *args, "--no-progress"],
        capture_output=True,
        text=True,
    )


@pytest.fixture(scope="module")
def shop_dir(tmp_path_factory) -> Path:
    folder = tmp_path_factory.mktemp("shop_csv")
    for name, df in make_shop(80, seed=5).items():
        df.to_csv(folder / f"{name}.csv", index=False)
    return folder


@pytest.fixture(scope="module")
def byod(shop_dir, tmp_path_factory) -> tuple[Path, subprocess.CompletedProcess]:
    out = tmp_path_factory.mktemp("byod") / "out"
    args = ["--data-dir", str(shop_dir), "--out", str(out), "--model", "gaussian_copula"]
    proc = cli("fit-sample", *args, "--seed", "1")
    assert proc.returncode == 0, proc.stderr[-3000:]
    return out, proc


@pytest.fixture(scope="module")
def config_run(tmp_path_factory) -> Path:
    out = tmp_path_factory.mktemp("tiny") / "out"
    proc = cli("fit-sample", "--config-dir", str(TINY), "--out", str(out))
    assert proc.returncode == 0, proc.stderr[-3000:]
    return out


def structure(out: Path) -> dict:
    """What a report is made of, whatever the data: files, JSON keys, entries, sections."""
    reports = out / "reports"
    doc = json.loads((reports / "comparison.json").read_text())
    md = (reports / "comparison.md").read_text()
    return {
        "files": sorted(p.name for p in reports.iterdir()),
        "keys": sorted(doc),
        "roles": [c["role"] for c in doc["candidates"]],
        "metrics": doc["metrics"],
        "written_metrics": doc["written"]["metrics"],
        "headings": [line for line in md.splitlines() if line.startswith("#")],
        "plot_kinds": sorted({k.split("_")[0] for k in doc["plots"]}),
    }


def test_data_dir_run_writes_the_holdout_report(byod, shop_dir):
    out, proc = byod
    reports = out / "reports"
    doc = json.loads((reports / "comparison.json").read_text())
    jsonschema.validate(doc, COMPARISON_JSON_SCHEMA)
    names = [c["name"] for c in doc["candidates"]]
    assert names == ["train (ceiling)", "gaussian_copula", "hma", "rules_baseline"]
    assert doc["split"]["method"] == "split_by_root" and doc["split"]["root_table"] == "customers"
    assert doc["split"]["rows"]["customers"] == {"input": 80, "train": 64, "holdout": 16}
    assert (reports / "baseline_config" / "tables.yml").is_file()
    assert doc["headline"].startswith("Each candidate was trained on 64 customers (")
    assert (
        f"of your tables in {shop_dir} and scored against the 16 held-out customers"
        in (doc["headline"])
    )
    # section 2 is the output as written, against the input it was fitted on
    written = doc["written"]
    for table in ("customers", "orders", "transactions", "products"):
        rows = len(pd.read_parquet(out / "data" / f"{table}.parquet"))
        assert written["rows"][table] == rows
        assert written["fitted_rows"][table] == len(pd.read_csv(shop_dir / f"{table}.csv"))
        assert written["scored_rows"][table] == rows  # one batch: all of it
    assert written["candidates"][0]["summary"]["RI (worst)"] == 1.0
    assert (reports / "comparison.html").read_text().count("data:image/png;base64,") >= 4
    assert f"comparison report: {reports / 'comparison.md'}" in proc.stdout


def test_data_dir_report_has_the_structure_of_a_config_run(byod, config_run):
    byod_structure, config_structure = structure(byod[0]), structure(config_run)
    assert byod_structure == config_structure
    assert (
        "## 2. The written output, against the data it was fitted on"
        in (config_structure["headings"])
    )


def test_no_compare_skips_the_report(shop_dir, tmp_path):
    out = tmp_path / "out"
    args = ["--data-dir", str(shop_dir), "--out", str(out), "--model", "gaussian_copula"]
    proc = cli("fit-sample", *args, "--no-compare", "--tables", "customers,orders")
    assert proc.returncode == 0, proc.stderr[-3000:]
    assert (out / "data" / "customers.parquet").is_file()
    assert not (out / "reports").exists()
    assert "[compare]" not in proc.stderr and "comparison report" not in proc.stdout
