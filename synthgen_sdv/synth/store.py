"""Saved models: a fitted synthesizer as ``model.pkl`` plus a ``manifest.json`` that guards it.

``save_model(synth, directory, config_hash)`` writes both; ``load_model(directory,
expected_config_hash)`` refuses (``InputError``) a model written by other synthgen_sdv / sdv /
rdt / sdmetrics / copulas / Python versions, or for another config hash, before unpickling it.

Security: a pickle runs code when it is loaded. Only load model folders you (or your
pipeline) wrote; the manifest check is a consistency check, not a signature. The pickle holds
no training rows (``Prepared`` drops them), but it does hold learned parameters and the
frequencies of re-attached keys.

Both files are written atomically (``io.files``). ``model.pkl`` is made 0600, readable by its
owner only, because of what it holds and because loading it runs code; ``manifest.json`` is an
ordinary 0644 file.
"""

from __future__ import annotations

import importlib.metadata as im
import pickle
import platform
from pathlib import Path

from synthgen_sdv.core.errors import InputError
from synthgen_sdv.core.seeds import content_hash
from synthgen_sdv.io import files
from synthgen_sdv.io.layout import inside
from synthgen_sdv.io.reader import read_versioned
from synthgen_sdv.synth.base import Synthesizer

MODEL_FILE = "model.pkl"
MANIFEST_FILE = "manifest.json"
SCHEMA = "synthgen_sdv.model_manifest"
VERSION = 1
PINNED = ("synthgen_sdv", "sdv", "rdt", "sdmetrics", "copulas")
MODEL_MODE = 0o600  # a pickle of learned parameters: its owner's only (see the module docstring)


def library_versions() -> dict[str, str]:
    """The installed versions a saved model depends on (a model is refused under others)."""
    out = {"python": platform.python_version()}
    for pkg in PINNED:
        try:
            out[pkg] = im.version(pkg)
        except im.PackageNotFoundError:
            out[pkg] = "not installed"
    return out


def save_model(synth: Synthesizer, directory: str | Path, config_hash: str) -> Path:
    """Write ``model.pkl`` + ``manifest.json`` into ``directory`` (created; files replaced
    atomically). Returns the directory."""
    if synth.prepared is None:
        raise InputError(f"synthesizer '{synth.name}' is not fitted; nothing to save")
    directory = Path(directory)
    directory.mkdir(parents=True, exist_ok=True)
    payload = pickle.dumps(synth, protocol=pickle.HIGHEST_PROTOCOL)
    manifest = {
        "schema": SCHEMA,
        "version": VERSION,
        "versions": library_versions(),
        "config_hash": config_hash,
        "synthesizer": synth.params(),
        "tables": list(synth.prepared.modeled),
        "model_file": MODEL_FILE,
        "model_sha256": content_hash(payload, prefix=""),
    }
    files.write_bytes(directory / MODEL_FILE, payload, mode=MODEL_MODE)
    files.write_json(directory / MANIFEST_FILE, manifest)
    return directory


def read_manifest(directory: str | Path) -> dict:
    """The manifest of a model folder (what was fitted on which tables, with which versions)."""
    path = Path(directory) / MANIFEST_FILE
    if not path.is_file():
        raise InputError(f"{path}: no model manifest here; save models with save_model()")
    return read_versioned(path, SCHEMA)


def load_model(directory: str | Path, expected_config_hash: str) -> Synthesizer:
    """Load a saved synthesizer after checking versions, config hash and checksum.

    Only load trusted files: unpickling executes code (see the module docstring).
    """
    directory = Path(directory)
    manifest = read_manifest(directory)
    problems = []
    now = library_versions()
    for pkg, saved in manifest["versions"].items():
        if now.get(pkg) != saved:
            problems.append(f"{pkg} {saved} (saved) != {now.get(pkg)} (installed)")
    if manifest["config_hash"] != expected_config_hash:
        problems.append(
            f"config hash {manifest['config_hash']} (saved) != "
            f"{expected_config_hash} (current config)"
        )
    model_file = inside(directory, manifest["model_file"], f"{MANIFEST_FILE}: model_file")
    payload = model_file.read_bytes()
    if content_hash(payload, prefix="") != manifest["model_sha256"]:
        problems.append(
            f"{manifest['model_file']} does not match its checksum (changed or truncated)"
        )
    if problems:
        raise InputError(
            f"{directory}: refusing to load the saved '{manifest['synthesizer']['name']}' model:"
            "\n"
            + "\n".join(f"  - {p}" for p in problems)
            + "\nrefit it with the current versions and config (fit / fit-sample)"
        )
    synth = pickle.loads(payload)  # trusted files only (module docstring)
    if not isinstance(synth, Synthesizer):
        raise InputError(
            f"{directory}: {MODEL_FILE} holds a {type(synth).__name__}, not a synthesizer"
        )
    return synth
