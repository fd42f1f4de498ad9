"""Model folders: a fitted synthesizer, what sampling needs besides it, and a manifest guarding
both.

```
M/
  manifest.json   versioned: library versions, synthesizer, modeled tables and their fitted
                  rows, the fitting seed, the source's record, the SHA-256 of every file, and
                  an HMAC signature when SYNTHGEN_SDV_MODEL_KEY is set
  model.pkl       the fitted synthesizer (a pickle, mode 0600)
  source/...      what the source needs to sample without its data (the config files, or your
                  metadata and the parents copied from your data); written by the source
```

``save_model(synth, directory, fit_seed=..., rows=..., source=..., files=...)`` writes the
folder atomically (built in a temporary sibling, moved into place when complete) and replaces
only a model folder (one whose manifest is ours). ``load_model(directory)`` returns a
``SavedModel`` after these checks, all of them before anything is unpickled:

1. manifest.json is valid JSON with every key (else ``InputError``, exit 2, naming what is wrong);
2. the installed synthgen_sdv / sdv / rdt / sdmetrics / copulas / Python are those that saved it;
3. with ``SYNTHGEN_SDV_MODEL_KEY`` set, the manifest carries a valid HMAC-SHA256 made with that
   key (a model saved without the key, or with another key, is refused);
4. every file listed has the SHA-256 recorded, and every path (``model_file`` too) stays inside
   the folder.

Trust. **A pickle runs code when it is loaded**: unpickling ``model.pkl`` can do anything your
user account can. The hashes catch a damaged or partly replaced folder, not an attacker who
can write the folder: such a person can replace ``model.pkl`` and its hash together. The HMAC
key closes that gap for a team that shares a secret: set ``SYNTHGEN_SDV_MODEL_KEY`` (16 or
more characters) when fitting and when sampling, and a model somebody else made is refused
before it is unpickled. Without the key, only load model folders you (or your pipeline) wrote.
SDV stands where plain pickles do: ``synthesizer.save(path)`` writes a cloudpickle and
``Synthesizer.load`` / ``sdv.utils.load_synthesizer`` unpickle it with no integrity check (its
version check runs after unpickling), and SDV's issue #2874, about exactly that, is open.
The pickle holds no training rows (``Prepared`` drops them), but it does hold learned
parameters and the frequencies of re-attached keys, so ``model.pkl`` is made 0600, readable by
its owner only; the other files are ordinary 0644 files.
"""

from __future__ import annotations

import hashlib
import hmac
import importlib.metadata as im
import json
import os
import pickle
import platform
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Annotated, Any

from pydantic import BaseModel, ConfigDict, Field, ValidationError

from synthgen_sdv.core.errors import InputError
from synthgen_sdv.core.seeds import content_hash
from synthgen_sdv.core.version import __version__
from synthgen_sdv.io import files as io_files
from synthgen_sdv.io.layout import inside
from synthgen_sdv.io.output import staged_output
from synthgen_sdv.io.reader import read_json
from synthgen_sdv.synth.base import Synthesizer

MODEL_FILE = "model.pkl"
MANIFEST_FILE = "manifest.json"
SCHEMA = "synthgen_sdv.model_manifest"
VERSION = 2
PINNED = ("synthgen_sdv", "sdv", "rdt", "sdmetrics", "copulas")
MODEL_MODE = 0o600  # a pickle of learned parameters: its owner's only (see the module docstring)
KEY_ENV = "SYNTHGEN_SDV_MODEL_KEY"
MIN_KEY_LENGTH = 16
SIGNATURE_PREFIX = "hmac-sha256:"


class Manifest(BaseModel):
    """manifest.json: what was fitted, on what, with which versions, and the files' hashes."""

    model_config = ConfigDict(extra="ignore", frozen=True, populate_by_name=True)

    schema_name: str = Field(alias="schema")
    version: int
    generator: dict[str, Any] = Field(default_factory=dict)
    versions: dict[str, str]
    synthesizer: dict[str, Any]
    model: str
    tables: list[str]
    rows: dict[str, Annotated[int, Field(ge=0)]]
    fit_seed: int = Field(ge=0, le=2**63 - 1)  # what --seed takes
    source: dict[str, Any]
    model_file: str
    files: dict[str, str]
    signature: str | None = None

    @property
    def kind(self) -> str:
        """The source kind that saved the model (``config`` or ``user``)."""
        return str(self.source.get("kind", ""))


@dataclass
class SavedModel:
    """A model folder that passed every check: its synthesizer, manifest and verified files."""

    directory: Path
    manifest: Manifest
    synthesizer: Synthesizer

    def read(self, relative: str) -> bytes:
        """A file of the folder listed in the manifest, checked again against its hash (the
        folder may have changed since ``load_model``)."""
        expected = self.manifest.files.get(relative)
        if expected is None:
            raise InputError(f"{self.directory}: {relative} is not listed in {MANIFEST_FILE}")
        return _verified(self.directory, relative, expected)


def library_versions() -> dict[str, str]:
    """The installed versions a saved model depends on (a model is refused under others)."""
    out = {"python": platform.python_version()}
    for pkg in PINNED:
        try:
            out[pkg] = im.version(pkg)
        except im.PackageNotFoundError:
            out[pkg] = "not installed"
    return out


def signing_key() -> bytes | None:
    """The team's model key from ``SYNTHGEN_SDV_MODEL_KEY`` (None when unset)."""
    raw = os.environ.get(KEY_ENV)
    if raw is None or raw == "":
        return None
    if len(raw) < MIN_KEY_LENGTH:
        raise InputError(
            f"{KEY_ENV} is set but has {len(raw)} characters; use a secret of at least "
            f"{MIN_KEY_LENGTH} (e.g. python -c 'import secrets; print(secrets.token_hex(32))')"
        )
    return raw.encode("utf-8")


def _signature(doc: Mapping[str, Any], key: bytes) -> str:
    """HMAC-SHA256 of the manifest without its signature (it covers every file's hash)."""
    body = {k: v for k, v in doc.items() if k != "signature"}
    text = json.dumps(body, sort_keys=True, separators=(",", ":"), default=str)
    return SIGNATURE_PREFIX + hmac.new(key, text.encode("utf-8"), hashlib.sha256).hexdigest()


def save_model(
    synth: Synthesizer,
    directory: str | Path,
    *,
    fit_seed: int,
    rows: Mapping[str, int],
    source: Mapping[str, Any],
    files: Mapping[str, bytes] | None = None,
    overwrite: bool = False,
) -> Path:
    """Write ``model.pkl``, the source's ``files`` (relative paths, e.g. ``source/tables.yml``)
    and manifest.json into ``directory`` atomically; return the folder.

    >>> save_model(synth, "model", fit_seed=42, rows={"customers": 1000},
    ...            source={"kind": "config"}, files={"source/tables.yml": b"..."})
    """
    if synth.prepared is None:
        raise InputError(f"synthesizer '{synth.name}' is not fitted; nothing to save")
    directory = Path(directory)
    payload = pickle.dumps(synth, protocol=pickle.HIGHEST_PROTOCOL)
    extra = dict(files or {})
    if MODEL_FILE in extra or MANIFEST_FILE in extra:
        raise ValueError(f"a source cannot write {MODEL_FILE} or {MANIFEST_FILE}")
    params = synth.params()
    manifest: dict[str, Any] = {
        "schema": SCHEMA,
        "version": VERSION,
        "generator": {"name": "synthgen_sdv", "version": __version__},
        "versions": library_versions(),
        "synthesizer": params,
        "model": synth.name,
        "tables": list(synth.prepared.modeled),
        "rows": {t: int(n) for t, n in rows.items()},
        "fit_seed": int(fit_seed),
        "source": dict(source),
        "model_file": MODEL_FILE,
        "files": {
            MODEL_FILE: content_hash(payload, prefix=""),
            **{rel: content_hash(data, prefix="") for rel, data in sorted(extra.items())},
        },
    }
    manifest = json.loads(json.dumps(manifest, default=str))  # signed as it is read back
    key = signing_key()
    if key is not None:
        manifest["signature"] = _signature(manifest, key)
    with staged_output(directory, overwrite, flag="--model-dir") as tmp:
        io_files.write_bytes(tmp / MODEL_FILE, payload, mode=MODEL_MODE)
        for rel, data in extra.items():
            io_files.write_bytes(inside(tmp, rel, "model file"), data)
        io_files.write_json(tmp / MANIFEST_FILE, manifest)
    return directory.resolve()


def read_manifest(directory: str | Path) -> Manifest:
    """The checked manifest of a model folder; ``InputError`` (exit 2) names what is wrong."""
    return _manifest(*_manifest_doc(Path(directory)))


def _manifest_doc(directory: Path) -> tuple[Path, dict[str, Any]]:
    path = directory / MANIFEST_FILE
    if not directory.is_dir():
        raise InputError(f"--model-dir {directory}: no such folder; save a model with `fit`")
    if not path.is_file():
        raise InputError(f"{path}: no model manifest here; save a model with `fit`")
    doc = read_json(path, hint="the model folder is damaged; refit it with `fit`")
    if doc.get("schema") != SCHEMA:
        raise InputError(f"{path}: 'schema' is {doc.get('schema')!r}, expected {SCHEMA!r}")
    if doc.get("version") != VERSION:
        raise InputError(
            f"{path}: model folder version {doc.get('version')!r}; this synthgen_sdv reads "
            f"version {VERSION}; refit the model with `fit` (or use the synthgen_sdv that "
            "saved it)"
        )
    return path, doc


def _manifest(path: Path, doc: dict[str, Any]) -> Manifest:
    try:
        return Manifest.model_validate(doc)
    except ValidationError as exc:
        lines = [f"  - {'.'.join(map(str, e['loc']))}: {e['msg']}" for e in exc.errors()]
        raise InputError(f"{path}: {len(lines)} problem(s):\n" + "\n".join(lines)) from None


def _verified(directory: Path, relative: str, expected: str) -> bytes:
    path = inside(directory, relative, f"{MANIFEST_FILE}: file")
    try:
        data = path.read_bytes()
    except OSError as exc:
        raise InputError(f"{directory}: {relative} listed in {MANIFEST_FILE} but {exc}") from None
    if content_hash(data, prefix="") != expected:
        raise InputError(
            f"{directory}: refusing to load the model: {relative} does not match the SHA-256 "
            f"in {MANIFEST_FILE} (changed, replaced or truncated); refit it with `fit`"
        )
    return data


def load_model(directory: str | Path) -> SavedModel:
    """The model in ``directory`` after every check of the module docstring, in that order;
    only then is ``model.pkl`` unpickled.

    >>> saved = load_model("model")
    >>> saved.synthesizer.sample(1.0, seed=3)
    """
    directory = Path(directory)
    path, doc = _manifest_doc(directory)
    manifest = _manifest(path, doc)
    where = f"{directory}: refusing to load the saved '{manifest.model}' model"
    now = library_versions()
    problems = [
        f"{pkg} {saved} (saved) != {now.get(pkg)} (installed)"
        for pkg, saved in manifest.versions.items()
        if now.get(pkg) != saved
    ]
    if problems:
        raise InputError(
            f"{where}:\n"
            + "\n".join(f"  - {p}" for p in problems)
            + "\nrefit it with the installed versions (fit / fit-sample)"
        )
    key = signing_key()
    if key is not None:
        if manifest.signature is None:
            raise InputError(f"{where}: {KEY_ENV} is set and the model carries no signature")
        if not hmac.compare_digest(manifest.signature, _signature(doc, key)):
            raise InputError(
                f"{where}: its signature does not match {KEY_ENV} (saved with another key, "
                "or the manifest was changed)"
            )
    if manifest.model_file not in manifest.files:
        raise InputError(f"{where}: model_file {manifest.model_file!r} has no recorded hash")
    payloads = {rel: _verified(directory, rel, h) for rel, h in manifest.files.items()}
    synth = pickle.loads(payloads[manifest.model_file])  # checked above; see the docstring
    if not isinstance(synth, Synthesizer):
        raise InputError(f"{where}: {manifest.model_file} holds a {type(synth).__name__}")
    return SavedModel(directory, manifest, synth)
