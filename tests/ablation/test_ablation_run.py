"""A tiny grid end to end: real bootstrap, real SDV fits, real scores, files on disk."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest

from synthgen_sdv.cli import main
from synthgen_sdv.core.errors import InputError
from synthgen_sdv.runs.ablation import (
    SCHEMA,
    cache_key,
    load_ablation_config,
    read_ablation,
    run_ablation,
    source_revision,
)

ROOT = Path(__file__).resolve().parents[2]
TINY = ROOT / "tests" / "configs" / "tiny"

pytestmark = pytest.mark.slow

GRID = f"""version: 1
config_dir: {TINY}
seeds: [1, 2]
scales: [1]
synthesizers: [gaussian_copula]
warmup: false
"""


@pytest.fixture(scope="module")
def tiny_run(tmp_path_factory) -> Path:
    base = tmp_path_factory.mktemp("ablation")
    (base / "grid.yml").write_text(GRID, encoding="utf-8")
    out = base / "out"
    code = main(["ablation", "--config", str(base / "grid.yml"), "--out", str(out)])
    assert code == 0
    return out


def test_json_is_versioned_and_holds_mean_and_std_per_metric(tiny_run):
    doc = read_ablation(tiny_run)
    assert (doc["schema"], doc["version"]) == (SCHEMA, 1)
    assert doc["grid"]["seeds"] == [1, 2]
    assert doc["grid"]["candidates"] == ["train (ceiling)", "gaussian_copula", "rules_baseline"]
    assert {"cores", "python"} <= set(doc["machine"]) and doc["versions"]["sdv"] == "1.37.4"
    assert doc["source"] is None or len(doc["source"]["commit"]) == 40
    assert [(c["seed"], c["scale"], c["status"]) for c in doc["cells"]] == [
        (1, 1.0, "ok"),
        (2, 1.0, "ok"),
    ]
    rows = {(r["candidate"], r["metric"]): r for r in doc["aggregates"]}
    for name in ("gaussian_copula", "rules_baseline", "train (ceiling)"):
        for metric in ("Quality", "Column Shapes", "Column Pair Trends", "RI (worst)", "ML ratio"):
            row = rows[(name, metric)]
            assert row["n"] == 2 and row["min"] <= row["mean"] <= row["max"]
            assert 0.0 <= row["mean"] <= 1.0 and row["std"] >= 0.0
    for metric in ("fit s", "sample s", "peak MB", "DCR ratio"):
        assert rows[("gaussian_copula", metric)]["n"] == 2
    # the aggregate is the mean of the per-cell values recorded beside it
    per_cell = [c["candidates"]["gaussian_copula"]["metrics"]["Quality"] for c in doc["cells"]]
    assert rows[("gaussian_copula", "Quality")]["mean"] == pytest.approx(sum(per_cell) / 2)


def test_markdown_plots_and_cell_reports_are_written(tiny_run):
    md = (tiny_run / "ablation.md").read_text(encoding="utf-8")
    assert "| 1 | gaussian_copula | " in md and " ± " in md
    plots = sorted(p.name for p in (tiny_run / "plots").glob("*.png"))
    assert {"overview.png", "time_vs_scale.png", "metric_quality.png"} <= set(plots)
    assert all((tiny_run / "plots" / p).stat().st_size > 5_000 for p in plots)
    assert sorted(p.name for p in (tiny_run / "cells").iterdir()) == [
        "seed1-scale1.md",
        "seed2-scale1.md",
    ]
    # the staging folder and the cell cache are gone
    assert sorted(p.name for p in tiny_run.parent.iterdir()) == ["grid.yml", "out"]


def test_a_rerun_reuses_cached_cells_and_replaces_the_folder(tiny_run, tmp_path, capsys):
    out = tmp_path / "out"
    shutil.copytree(tiny_run, out)
    before = read_ablation(out)
    cfg, path = load_ablation_config(tiny_run.parent / "grid.yml")
    # leave one finished cell in the cache, as an interrupted run would
    cache = tmp_path / ".out.cells"
    cache.mkdir()
    first = dict(before["cells"][0])
    first["key"] = cache_key(cfg, 1, 1.0, source_revision())
    first["candidates"]["gaussian_copula"]["metrics"]["Quality"] = 0.123  # marks the reuse
    (cache / "seed1-scale1.json").write_text(json.dumps(first))
    lines = []
    with pytest.raises(InputError, match="pass --overwrite"):  # an earlier ablation is there
        run_ablation(cfg, out, path, log=lines.append)
    result = run_ablation(cfg, out, path, log=lines.append, overwrite=True)
    assert "cell 1/2 seed 1 scale 1: ok (cached)" in lines[0]
    assert result.doc["cells"][0]["candidates"]["gaussian_copula"]["metrics"]["Quality"] == 0.123
    again, earlier = (c["cells"][1]["candidates"] for c in (result.doc, before))
    assert again["gaussian_copula"]["metrics"]["Quality"] == pytest.approx(
        earlier["gaussian_copula"]["metrics"]["Quality"]
    )
    assert not cache.exists()
    assert sorted(p.name for p in tmp_path.iterdir()) == ["out"]


def test_a_failing_candidate_is_recorded_and_the_others_are_scored(tmp_path):
    # a real failure: an option gaussian_copula does not accept (copied tiny config)
    config = tmp_path / "tiny"
    shutil.copytree(TINY, config)
    run_yaml = (config / "config.yaml").read_text()
    run_yaml = run_yaml.replace(
        "synthesis: {model: gaussian_copula, tables: [customers, orders, lines]}",
        "synthesis: {model: gaussian_copula, tables: [customers, orders, lines], "
        "params: {shrinkage: 2.0}}",
    )
    assert "shrinkage" in run_yaml
    (config / "config.yaml").write_text(run_yaml)
    grid = tmp_path / "grid.yml"
    text = GRID.replace(str(TINY), str(config)).replace("[1, 2]", "[1]")
    grid.write_text(text.replace("scales: [1]", "scales: [0.05, 1]"))
    cfg, path = load_ablation_config(grid)
    result = run_ablation(cfg, tmp_path / "out", path, log=lambda m: None)
    too_small, cell = result.doc["cells"]
    # 2 customers cannot be split: the whole cell fails, the grid goes on
    assert too_small["status"] == "failed"
    assert "cannot split 2 'customers' rows" in too_small["candidates"]["rules_baseline"]["error"]
    assert cell["status"] == "partial"
    failed = cell["candidates"]["gaussian_copula"]
    assert failed["status"] == "error" and "shrinkage" in failed["error"]
    assert cell["candidates"]["rules_baseline"]["status"] == "ok"
    assert 0 < cell["candidates"]["rules_baseline"]["metrics"]["Quality"] <= 1
    md = (tmp_path / "out" / "ablation.md").read_text()
    assert "## Failures" in md and "seed 1, scale 1, gaussian_copula: `" in md
