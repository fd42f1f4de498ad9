"""The model lifecycle on the command line: `fit` once, `sample` many times from the model
folder alone (no data folder, no config), with a fresh or a given seed, by scale or rows."""

from __future__ import annotations

import json
import shutil
import subprocess
import sys

import pytest

import synthgen_sdv as sg
from synthgen_sdv.cli import main
from synthgen_sdv.engines.validation import validate
from tests.conftest import TINY
from tests.generate.helpers import schema, tree_hashes


def cli(*args) -> subprocess.CompletedProcess:
    """The command in a new process (what a user runs)."""
    return subprocess.run(
        [sys.executable, "-m", "synthgen_sdv", *map(str, args), "--no-progress"],
        capture_output=True,
        text=True,
    )


def run(capsys, *args) -> tuple[int, str, str]:
    """The command in this process (the same parser, run and exit codes; no start-up cost)."""
    capsys.readouterr()
    try:
        code = main([*map(str, args), "--no-progress"])
    except SystemExit as exc:  # argparse refusing a flag
        code = int(exc.code or 0)
    out = capsys.readouterr()
    return code, out.out, out.err


def ok(capsys, *args) -> str:
    code, out, err = run(capsys, *args)
    assert code == 0, err[-3000:]
    return out


def data_of(out) -> dict[str, str]:
    return {k: v for k, v in tree_hashes(out).items() if k.startswith("data")}


def test_fit_on_your_data_then_sample_without_it(tmp_path, capsys):
    data = tmp_path / "shop"
    data.mkdir()
    ds = sg.generate(config_dir=TINY)
    for name in ("regions", "products", "customers", "orders", "lines"):
        ds.tables[name].to_csv(data / f"{name}.csv", index=False)
    model = tmp_path / "M"
    ok(
        capsys,
        "fit",
        "--data-dir",
        data,
        "--model-dir",
        model,
        "--model",
        "gaussian_copula",
        "--tables",
        "customers,orders,lines",
    )
    shutil.rmtree(data)
    doc = json.loads((model / "manifest.json").read_text())
    assert doc["source"]["kind"] == "user" and doc["fit_seed"] == 42
    assert sorted(doc["source"]["copied"]) == ["products", "regions"]

    first, again = tmp_path / "o1", tmp_path / "o2"
    out = ok(capsys, "sample", "--model-dir", model, "--out", first, "--seed", "7")
    assert "copied from input" in out and "seed 7 (given" in out
    ok(capsys, "sample", "--model-dir", model, "--out", again, "--seed", "7")
    assert data_of(first) == data_of(again)
    assert schema(first)["sampling"]["seed"] == 7
    assert validate(first).ok

    rows = tmp_path / "o3"
    ok(capsys, "sample", "--model-dir", model, "--out", rows, "--num-rows", "customers=45")
    assert schema(rows)["tables"]["customers"]["row_count"] == 45


@pytest.mark.slow
@pytest.mark.slow
def test_sample_any_seed_of_a_model_fitted_with_another(tmp_path, capsys):
    config = tmp_path / "config"
    shutil.copytree(TINY, config)
    model = tmp_path / "M"
    ok(capsys, "fit", "--config-dir", config, "--seed", "42", "--model-dir", model)
    shutil.rmtree(config)  # the model folder holds the config

    a, b = tmp_path / "a", tmp_path / "b"
    ok(capsys, "sample", "--model-dir", model, "--out", a, "--seed", "7")
    ok(capsys, "sample", "--model-dir", model, "--out", b, "--seed", "7")
    assert data_of(a) == data_of(b)
    assert schema(a)["seed"] == 42, "the rules' tables keep the fitting seed"
    assert schema(a)["sampling"]["seed"] == 7 and schema(a)["sampling"]["model"]["fit_seed"] == 42

    # a drawn seed, printed and recorded, repeats the sample in another process
    fresh = tmp_path / "fresh"
    proc = cli("sample", "--model-dir", model, "--out", fresh, "--scale", "2")
    assert proc.returncode == 0, proc.stderr[-3000:]
    drawn = schema(fresh)["sampling"]
    assert drawn["seed_drawn"] and f"seed {drawn['seed']} (drawn" in proc.stdout
    assert schema(fresh)["tables"]["customers"]["row_count"] == 60
    repeat = tmp_path / "repeat"
    seed = str(drawn["seed"])
    ok(capsys, "sample", "--model-dir", model, "--out", repeat, "--scale", "2", "--seed", seed)
    assert data_of(repeat) == data_of(fresh)


def test_bad_model_folders_and_flags_are_exit_2(tmp_path, capsys):
    model = tmp_path / "M"
    sg.fit(sg.generate(config_dir=TINY), synthesizer="gaussian_copula").save(model)
    (model / "model.pkl").write_bytes(b"not the model")
    code, _, err = run(capsys, "sample", "--model-dir", model, "--out", tmp_path / "o")
    assert code == 2 and "does not match the SHA-256" in err
    (model / "manifest.json").write_text("{")
    code, _, err = run(capsys, "sample", "--model-dir", model, "--out", tmp_path / "o")
    assert code == 2 and "not valid JSON" in err
    assert "Traceback" not in err and not (tmp_path / "o").exists()
    for args in (
        ("fit", "--model-dir", model, "--scale", "2"),  # fit samples nothing
        ("fit", "--model-dir", model, "--out", tmp_path / "o"),
        ("sample", "--model-dir", model, "--config-dir", TINY),  # the folder has its config
        ("sample", "--model-dir", model, "--scale", "2", "--num-rows", "customers=5"),
        ("sample", "--model-dir", model, "--num-rows", "customers"),
        ("fit", "--model-dir", model, "--data-dir", tmp_path, "--config-dir", TINY),
        ("fit", "--model-dir", tmp_path / "M2", "--model", "hmaa"),
    ):
        code, _, err = run(capsys, *args)
        assert code == 2, args
        assert "Traceback" not in err
    assert "did you mean 'hma'" in err
