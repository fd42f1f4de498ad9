"""Guard rails (issue 11, item 5): a run prints its estimate (rows, bytes on disk, peak memory)
before any work, and stops with exit 2 and the estimate when it exceeds the free disk space or
the memory budget, unless --force."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from synthgen_sdv.core.errors import InputError
from synthgen_sdv.core.sizes import Size, human_bytes, parse_size
from synthgen_sdv.runs.config import project_plan
from synthgen_sdv.runs.estimate import Estimate, TableSize, estimate_fit_sample, estimate_generate
from synthgen_sdv.runs.guard import Limits, check, free_disk
from tests.conftest import DEFAULT, TINY, generate

ROOT = Path(__file__).resolve().parents[2]


def cli(*args: str, cwd: Path) -> subprocess.CompletedProcess:
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    return subprocess.run(
        [sys.executable, "-m", "synthgen_sdv", *args],
        capture_output=True,
        text=True,
        cwd=str(cwd),
        env=env,
    )


def test_an_absurd_scale_stops_with_exit_2_before_any_file_is_written(tmp_path):
    proc = cli("generate", "--scale", "1e6", "--out", str(tmp_path / "out"), cwd=tmp_path)
    assert proc.returncode == 2, proc.stderr
    assert "would not fit, so nothing was started" in proc.stderr
    assert "estimate: " in proc.stderr and "on disk" in proc.stderr
    assert "Traceback" not in proc.stderr
    assert list(tmp_path.iterdir()) == [], "nothing may be written, not even a temporary folder"


@pytest.mark.slow
def test_fit_sample_and_sample_are_guarded_before_the_bootstrap(tmp_path):
    proc = cli("fit-sample", "--scale", "1e7", "--out", str(tmp_path / "o"), cwd=tmp_path)
    assert proc.returncode == 2, proc.stderr
    assert "this fit-sample run would not fit" in proc.stderr
    assert "bootstrap" not in proc.stderr.split("would not fit")[0].lower()
    model = tmp_path / "m"
    fitted = cli(
        "fit",
        *("--config-dir", str(TINY), "--model", "gaussian_copula", "--model-dir", str(model)),
        cwd=tmp_path,
    )
    assert fitted.returncode == 0, fitted.stderr
    proc = cli(
        "sample",
        "--model-dir",
        str(tmp_path / "m"),
        "--scale",
        "1e7",
        "--out",
        str(tmp_path / "o"),
        cwd=tmp_path,
    )
    assert proc.returncode == 2 and "this sample run would not fit" in proc.stderr, proc.stderr
    assert [p.name for p in tmp_path.iterdir()] == ["m"]  # nothing written but the model


def test_the_estimate_is_printed_first_and_force_runs_over_budget(tmp_path):
    out = tmp_path / "out"
    proc = cli(
        "generate",
        "--config-dir",
        str(TINY),
        "--out",
        str(out),
        "--memory-budget",
        "1MB",
        cwd=tmp_path,
    )
    assert proc.returncode == 2 and "above the memory budget of 1.0 MB" in proc.stderr
    assert not out.exists()
    proc = cli(
        "generate",
        "--config-dir",
        str(TINY),
        "--out",
        str(out),
        "--memory-budget",
        "1MB",
        "--force",
        cwd=tmp_path,
    )
    assert proc.returncode == 0, proc.stderr
    assert proc.stderr.startswith("estimate: ")
    assert "--force: running anyway" in proc.stderr
    assert (out / "metadata" / "schema_metadata.json").exists()


def test_memory_budget_from_config_yaml(tmp_path):
    config = tmp_path / "c"
    config.mkdir()
    (config / "tables.yml").write_text((TINY / "tables.yml").read_text())
    (config / "config.yaml").write_text("memory_budget: 2MB\n")
    proc = cli("generate", "--config-dir", str(config), "--out", str(tmp_path / "o"), cwd=tmp_path)
    assert proc.returncode == 2 and "(memory_budget 2MB)" in proc.stderr, proc.stderr
    (config / "config.yaml").write_text("memory_budget: 50%\n")
    proc = cli("generate", "--config-dir", str(config), "--out", str(tmp_path / "o"), cwd=tmp_path)
    assert proc.returncode == 0, proc.stderr


def test_estimated_rows_follow_the_plan(tmp_path):
    """Roots exactly, children by the pilot's rows per parent (within sampling noise)."""
    plan = project_plan(TINY)
    estimate = estimate_generate(plan, ["parquet"], etl=False)
    out = generate(TINY, tmp_path / "out", formats=("parquet",))
    actual = json.loads((out / "metadata" / "schema_metadata.json").read_text())["tables"]
    for name, tp in plan.tables.items():
        if tp.driver is None:
            assert estimate.tables[name].rows == actual[name]["row_count"]
    ratio = estimate.rows / sum(t["row_count"] for t in actual.values())
    assert 0.8 < ratio < 1.25, ratio
    files = sum(p.stat().st_size for p in (out / "data").iterdir())
    tables = sum(t.disk_bytes for t in estimate.tables.values())
    assert 0.5 < tables / files < 2.0


def test_fit_sample_estimate_scales_the_modeled_tables():
    plan = project_plan(DEFAULT, scale=0.2)
    modeled = ["customers", "orders", "transactions"]
    one = estimate_fit_sample(plan, ["parquet"], modeled, 1.0, compare=False)
    ten = estimate_fit_sample(plan, ["parquet"], modeled, 10.0, fit=False)
    for name in (*modeled, "returns"):  # returns are generated per sampled transaction
        assert ten.tables[name].rows == pytest.approx(10 * one.tables[name].rows, rel=0.01)
    assert ten.tables["products"].rows == one.tables["products"].rows
    assert "synthesizer" in one.memory_parts


def test_limits_and_sizes(tmp_path):
    assert parse_size("8GB") == Size(bytes=8 * 10**9)
    assert parse_size("1.5 GiB").bytes == int(1.5 * 2**30)
    assert parse_size("75%").of(1000) == 750
    for bad in ("nan", "-1GB", "0", "12XB", "150%", "lots"):
        with pytest.raises(InputError):
            parse_size(bad)
    assert human_bytes(1_234_567) == "1.2 MB"
    assert free_disk(tmp_path / "not" / "yet" / "made") > 0
    estimate = Estimate("generate", {"t": TableSize(10, 0, 1000, 10.0, 100.0)}, 1000, {"p": 500})
    check(estimate, Limits(free_disk=2000, budget=600, budget_source="test"))
    with pytest.raises(InputError, match="only 999 B is free"):
        check(estimate, Limits(free_disk=999, budget=600, budget_source="test"))
    check(estimate, Limits(free_disk=999, budget=1, budget_source="test"), force=True)
    lower = Estimate("generate", {}, 1, {"p": 1}, lower_bound=True)
    with pytest.raises(InputError, match="size at full scale is unknown"):
        check(lower, Limits(free_disk=10**12, budget=10**12, budget_source="test"))


@pytest.mark.slow
def test_the_estimate_is_calibrated_against_real_runs(tmp_path):
    """The default config at two scales: estimate / measured within a generous band (the
    benchmark, benchmarks/bench_estimate.py, records the exact ratios in reports/estimate.md).
    A guard should not let through much more than it says (ratios well below 1) nor refuse
    runs that fit (ratios far above 1)."""
    sys.path.insert(0, str(ROOT / "benchmarks"))
    from bench_estimate import measure

    for scale in ("0.5", "3"):
        row = measure(["generate", "--scale", scale], tmp_path / f"out{scale}")
        est = row["estimate"]
        assert 0.85 < est["rows"] / row["rows"] < 1.2, row
        assert 0.6 < est["disk_bytes"] / row["disk_bytes"] < 1.8, row
        assert 0.8 < est["peak_memory_bytes"] / row["peak_rss_bytes"] < 2.5, row


def test_the_lineage_part_stops_growing_at_duckdbs_memory_limit():
    """DuckDB spills past its limit, so the lineage estimate is capped: the default run at
    scale 3000 is not refused for lineage memory it does not use (it ran under 1 GB)."""
    parts = {
        s: estimate_generate(project_plan(DEFAULT, scale=s), ["parquet"]).memory_parts["lineage"]
        for s in (1000, 3000)
    }
    assert parts[1000] == parts[3000]
    assert parts[3000] < 2 * 2**30
