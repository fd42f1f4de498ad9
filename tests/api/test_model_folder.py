"""Model folders (issue 13 item 1): nothing in a model folder is unpickled before it passes
the checks: a valid manifest, the versions, every file's SHA-256, and, with
SYNTHGEN_SDV_MODEL_KEY set, an HMAC signature made with that key."""

from __future__ import annotations

import hashlib
import json
import pickle
import shutil
import stat

import pytest

import synthgen_sdv as sg
from synthgen_sdv.core.errors import InputError
from synthgen_sdv.io.output import check_replaceable
from synthgen_sdv.synth.store import KEY_ENV, load_model, read_manifest
from tests.conftest import TINY

KEY = "team-secret-0123456789"


class Payload:
    """Unpickling it creates ``path``: the stand-in for code a hostile pickle would run."""

    def __init__(self, path):
        self.path = str(path)

    def __reduce__(self):
        return (open, (self.path, "w"))


@pytest.fixture(scope="module")
def ds():
    return sg.generate(config_dir=TINY)


@pytest.fixture(scope="module")
def saved(ds, tmp_path_factory):
    folder = tmp_path_factory.mktemp("models") / "M"
    sg.fit(ds, synthesizer="gaussian_copula").save(folder)
    return folder


@pytest.fixture
def model_dir(saved, tmp_path, monkeypatch):
    monkeypatch.delenv(KEY_ENV, raising=False)
    folder = tmp_path / "M"
    shutil.copytree(saved, folder)
    return folder


def _manifest(folder):
    return json.loads((folder / "manifest.json").read_text())


def _rewrite(folder, doc):
    (folder / "manifest.json").write_text(json.dumps(doc))


def _plant(folder, marker, update_hash: bool):
    data = pickle.dumps(Payload(marker))
    (folder / "model.pkl").write_bytes(data)
    if update_hash:
        doc = _manifest(folder)
        doc["files"]["model.pkl"] = hashlib.sha256(data).hexdigest()
        _rewrite(folder, doc)


def test_the_folder_holds_what_sampling_needs(model_dir):
    doc = _manifest(model_dir)
    assert doc["schema"] == "synthgen_sdv.model_manifest" and doc["version"] == 2
    assert doc["fit_seed"] == 7 and doc["tables"] == ["customers", "orders", "lines"]
    assert doc["source"]["kind"] == "config" and doc["source"]["bootstrap_scale"] == 1.0
    assert set(doc["files"]) == {"model.pkl", "source/tables.yml", "source/config.yaml"}
    assert stat.S_IMODE((model_dir / "model.pkl").stat().st_mode) == 0o600
    assert stat.S_IMODE((model_dir / "manifest.json").stat().st_mode) == 0o644
    assert "signature" not in doc


def test_a_tampered_model_file_is_refused_before_unpickling(model_dir, tmp_path):
    marker = tmp_path / "ran"
    _plant(model_dir, marker, update_hash=False)
    with pytest.raises(InputError, match=r"model.pkl does not match the SHA-256"):
        sg.load_model(model_dir)
    assert not marker.exists(), "the pickle ran"


def test_a_changed_config_in_the_folder_is_refused(model_dir):
    path = model_dir / "source" / "tables.yml"
    path.write_text(path.read_text().replace("rows: 30", "rows: 31"))
    with pytest.raises(InputError, match=r"source/tables.yml does not match the SHA-256"):
        sg.load_model(model_dir)


def test_a_manifest_that_is_not_json_or_lacks_keys_is_bad_input(model_dir):
    doc = _manifest(model_dir)
    (model_dir / "manifest.json").write_text("{not json")
    with pytest.raises(InputError, match="not valid JSON"):
        sg.load_model(model_dir)
    _rewrite(model_dir, {k: v for k, v in doc.items() if k not in ("fit_seed", "files")})
    with pytest.raises(InputError, match=r"2 problem\(s\)") as err:
        read_manifest(model_dir)
    assert "fit_seed: Field required" in str(err.value) and "files: Field required" in str(
        err.value
    )
    _rewrite(model_dir, {**doc, "source": {"kind": "config", "seed": 7}})
    with pytest.raises(InputError, match=r"source.bootstrap_scale: Field required"):
        sg.load_model(model_dir)
    _rewrite(model_dir, {**doc, "version": 1})
    with pytest.raises(InputError, match="version 1; this synthgen_sdv reads version 2"):
        sg.load_model(model_dir)


@pytest.mark.parametrize(
    ("change", "where"),
    [
        ({"fit_seed": -1}, "fit_seed"),
        ({"fit_seed": 2**70}, "fit_seed"),
        ({"rows": {"t": -5}}, "rows.t"),
    ],
)
def test_a_manifest_value_out_of_range_is_bad_input(model_dir, change, where):
    """Without a model key the manifest is not signed, so its values are range-checked: a seed
    --seed would refuse, a negative row count (hostile3: ``sample`` exited 0 with them)."""
    doc = _manifest(model_dir)
    _rewrite(model_dir, {**doc, **change})
    with pytest.raises(InputError, match=r"1 problem\(s\)") as err:
        read_manifest(model_dir)
    assert f"{where}:" in str(err.value)
    _rewrite(model_dir, doc)


def test_a_model_file_outside_the_folder_is_refused(model_dir, tmp_path):
    marker = tmp_path / "ran"
    outside = tmp_path / "evil.pkl"
    data = pickle.dumps(Payload(marker))
    outside.write_bytes(data)
    doc = _manifest(model_dir)
    doc["model_file"] = "../evil.pkl"
    doc["files"]["../evil.pkl"] = hashlib.sha256(data).hexdigest()
    _rewrite(model_dir, doc)
    with pytest.raises(InputError, match="leads out of"):
        sg.load_model(model_dir)
    assert not marker.exists()


def test_without_a_key_a_replaced_pickle_with_its_hash_runs(model_dir, tmp_path):
    """What the hashes cannot stop (and the key does, below): documented, and shown here."""
    marker = tmp_path / "ran"
    _plant(model_dir, marker, update_hash=True)
    with pytest.raises(InputError, match="holds a TextIOWrapper"):
        load_model(model_dir)
    assert marker.exists()


def test_with_a_key_only_the_teams_models_load(ds, model_dir, tmp_path, monkeypatch):
    monkeypatch.setenv(KEY_ENV, KEY)
    with pytest.raises(InputError, match="carries no signature"):
        sg.load_model(model_dir)  # saved without the key
    signed = tmp_path / "signed"
    sg.fit(ds, synthesizer="gaussian_copula").save(signed)
    assert _manifest(signed)["signature"].startswith("hmac-sha256:")
    assert sg.load_model(signed).sample(seed=1).tables["customers"].shape[0] == 30

    marker = tmp_path / "ran"
    _plant(signed, marker, update_hash=True)  # pickle and hash replaced together
    with pytest.raises(InputError, match="signature does not match"):
        sg.load_model(signed)
    assert not marker.exists(), "the pickle ran"

    other = tmp_path / "other"
    monkeypatch.setenv(KEY_ENV, "another-team-key-0000")
    sg.fit(ds, synthesizer="gaussian_copula").save(other)
    monkeypatch.setenv(KEY_ENV, KEY)
    with pytest.raises(InputError, match="signature does not match"):
        sg.load_model(other)
    monkeypatch.setenv(KEY_ENV, "short")
    with pytest.raises(InputError, match="at least 16"):
        sg.load_model(other)


def test_fit_writes_only_model_folders(tmp_path):
    mine = tmp_path / "project"
    mine.mkdir()
    (mine / "manifest.json").write_text('{"name": "my web app"}')
    with pytest.raises(InputError, match="is not a synthgen_sdv output folder"):
        check_replaceable(mine, overwrite=True, flag="--model-dir")
    check_replaceable(tmp_path / "new", flag="--model-dir")  # absent: fine


def test_sample_refuses_a_foreign_out_before_it_samples(model_dir, tmp_path):
    """``run_sample`` (the ``sample`` command's run, also called as a library) checks ``out``
    before drawing a row: a folder it did not write is never replaced, and the refusal comes
    before the sampling stage starts, not after minutes of it."""
    import io

    from synthgen_sdv.core.progress import Progress
    from synthgen_sdv.runs.model_folder import run_sample

    foreign = tmp_path / "mine"
    foreign.mkdir()
    (foreign / "notes.txt").write_text("keep me")
    log = io.StringIO()
    with pytest.raises(InputError, match="not a synthgen_sdv output folder"):
        run_sample(
            model_dir, foreign, ["csv"], seed=1, progress=Progress(stream=log), overwrite=True
        )
    assert "sample at" not in log.getvalue(), log.getvalue()  # the sampling stage never began
    assert (foreign / "notes.txt").read_text() == "keep me"
    assert sorted(p.name for p in foreign.iterdir()) == ["notes.txt"]
