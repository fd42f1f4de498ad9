"""The grid YAML is a strict model: a typo or a bad value is an error naming the key and line."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

from synthgen_sdv.cli import main
from synthgen_sdv.core.errors import ConfigError
from synthgen_sdv.runs.ablation import DEFAULT_CONFIG, AblationConfig, load_ablation_config


def write(tmp_path: Path, text: str) -> Path:
    path = tmp_path / "grid.yml"
    path.write_text(text, encoding="utf-8")
    return path


def test_the_default_grid_is_the_one_the_issue_asks_for():
    cfg, path = load_ablation_config(None)
    assert path == DEFAULT_CONFIG
    assert cfg.seeds == [1, 2, 3]
    assert cfg.scales == [0.5, 1.0]
    assert cfg.synthesizers == ["hma", "gaussian_copula"]
    assert cfg.baseline is True


def test_unknown_key_names_path_line_and_the_close_match(tmp_path):
    path = write(tmp_path, "seeds: [1]\nscales: [1]\nsynthesizers: [hma]\nsaeles: [2]\n")
    with pytest.raises(ConfigError) as err:
        load_ablation_config(path)
    text = str(err.value)
    assert f"{path}:4: saeles: unknown key 'saeles'" in text
    assert "did you mean 'scales'?" in text


def test_all_problems_are_reported_together(tmp_path):
    path = write(tmp_path, "seeds: []\nscales: [0.5, -1]\nsynthesizers: [hmma]\n")
    with pytest.raises(ConfigError) as err:
        load_ablation_config(path)
    problems = {p.path: p for p in err.value.problems}
    assert set(problems) == {"seeds", "scales", "synthesizers"}
    assert problems["scales"].line == 2
    assert "scales must be > 0, got [-1.0]" in problems["scales"].message
    assert "unknown synthesizer 'hmma'" in problems["synthesizers"].message
    assert "did you mean 'hma'?" in problems["synthesizers"].message


def test_duplicates_and_missing_keys_are_refused(tmp_path):
    path = write(tmp_path, "seeds: [1, 1]\nscales: [1]\n")
    with pytest.raises(ConfigError) as err:
        load_ablation_config(path)
    messages = {p.path: p.message for p in err.value.problems}
    assert "distinct" in messages["seeds"]
    assert messages["synthesizers"] == "required key is missing"


def test_config_dir_is_relative_to_the_yaml_file(tmp_path):
    (tmp_path / "sub").mkdir()
    path = tmp_path / "sub" / "grid.yml"
    path.write_text("config_dir: ../data\nseeds: [1]\nscales: [1]\nsynthesizers: [hma]\n")
    cfg, _ = load_ablation_config(path)
    assert cfg.config_dir == (tmp_path / "data").resolve()


def test_model_forbids_extra_keys_directly():
    with pytest.raises(ValueError, match="extra"):
        AblationConfig.model_validate(
            {"seeds": [1], "scales": [1], "synthesizers": ["hma"], "bogus": 1}
        )


def test_cli_bad_key_exits_2_with_the_yaml_path(tmp_path, capsys):
    path = write(tmp_path, "seeds: [1]\nscales: [1]\nsynthesizers: [hma]\nseed: 3\n")
    assert main(["ablation", "--config", str(path), "--out", str(tmp_path / "o")]) == 2
    err = capsys.readouterr().err
    assert f"{path}:4: seed: unknown key 'seed'" in err
    assert "did you mean 'seeds'?" in err
    assert "Traceback" not in err
    assert not (tmp_path / "o").exists()


def test_cli_bad_override_exits_2(tmp_path, capsys):
    assert main(["ablation", "--scales", "0.5,x", "--out", str(tmp_path / "o")]) == 2
    assert "--scales: expected comma-separated floats, got '0.5,x'" in capsys.readouterr().err
    assert main(["ablation", "--synthesizers", "copula", "--out", str(tmp_path / "o")]) == 2
    assert "unknown synthesizer 'copula'" in capsys.readouterr().err


def test_entry_point_exit_code_for_a_missing_file(tmp_path):
    res = subprocess.run(
        [sys.executable, "-m", "synthgen_sdv", "ablation", "--config", str(tmp_path / "no.yml")],
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert res.returncode == 2
    assert "no.yml: (file): file not found" in res.stderr


def test_a_folder_that_is_not_ours_is_refused_before_any_cell_runs(tmp_path, capsys):
    out = tmp_path / "mine"
    out.mkdir()
    (out / "notes.txt").write_text("keep me")
    path = write(tmp_path, "seeds: [1]\nscales: [1]\nsynthesizers: [gaussian_copula]\n")
    assert main(["ablation", "--config", str(path), "--out", str(out), "--no-progress"]) == 2
    assert "is not a synthgen_sdv output folder" in capsys.readouterr().err
    assert (out / "notes.txt").read_text() == "keep me"
    assert sorted(p.name for p in tmp_path.iterdir()) == ["grid.yml", "mine"]
