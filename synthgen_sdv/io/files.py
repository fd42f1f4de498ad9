"""Atomic file writes: a reader sees the old file or the new one, never half of one.

Each write goes to a temporary file in the same folder (same filesystem, so the final
``os.replace`` is atomic) and gets the mode of any ordinary file: 0666 less the umask, so 0644
under the usual umask 022 (``mkstemp`` alone makes 0600). Folders are made whole by
``io.output.staged_output``.
"""

from __future__ import annotations

import contextlib
import json
import os
import stat
import tempfile
from pathlib import Path
from typing import Any

import yaml

from synthgen_sdv.core.errors import InputError


def _umask() -> int:
    """The process umask, read once (setting it to read it is not thread-safe, so at import)."""
    with contextlib.suppress(OSError, ValueError):
        for line in Path("/proc/self/status").read_text().splitlines():
            if line.startswith("Umask:"):
                return int(line.split()[1], 8)
    mask = os.umask(0o022)
    os.umask(mask)
    return mask


UMASK = _umask()
FILE_MODE = 0o666 & ~UMASK  # 0644 under umask 022, as open() would make it


def folder_mode() -> int:
    """The mode of an ordinary new folder (0755 under umask 022)."""
    return 0o777 & ~UMASK


def _check_target(path: Path) -> None:
    """``path`` may become a file: it is absent or a regular file (the atomic rename would
    otherwise replace a device such as /dev/full, as root, or fail on a folder), and no file
    stands where its folder should be. InputError (exit 2) naming it otherwise."""
    try:
        info = os.stat(path)  # a symlink's target: the rename replaces only the link
    except FileNotFoundError:
        info = None
    except NotADirectoryError:
        raise InputError(f"{path}: a file stands where its folder should be") from None
    if info is not None and not stat.S_ISREG(info.st_mode):
        what = "a folder" if stat.S_ISDIR(info.st_mode) else "not a regular file (a device?)"
        raise InputError(f"{path}: is {what}; give the path of a file to write")
    for parent in path.parents:
        if parent.exists() and not parent.is_dir():
            raise InputError(f"{path}: {parent} is a file, so no folder can be made there")


def write_bytes(path: Path, data: bytes, mode: int = FILE_MODE) -> Path:
    """Write ``data`` to ``path`` atomically with permissions ``mode``; return the path."""
    path = Path(path)
    _check_target(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.")
    try:
        with os.fdopen(fd, "wb") as fh:
            fh.write(data)
        os.chmod(tmp, mode)
        os.replace(tmp, path)
    except BaseException:
        with contextlib.suppress(FileNotFoundError):
            os.unlink(tmp)
        raise
    return path


def write_text(path: Path, text: str, mode: int = FILE_MODE) -> Path:
    """Write UTF-8 ``text`` to ``path`` atomically."""
    return write_bytes(path, text.encode("utf-8"), mode)


def write_json(path: Path, doc: Any, indent: int = 2) -> Path:
    """Write ``doc`` as JSON (dates and paths as text) atomically, newline-terminated."""
    return write_text(path, json.dumps(doc, indent=indent, default=str) + "\n")


class _PlainDumper(yaml.SafeDumper):
    """No &anchors/*aliases: a YAML file we write is read by people and by other tools."""

    def ignore_aliases(self, data: Any) -> bool:
        return True


def dump_yaml(doc: Any) -> str:
    """``doc`` as plain YAML text, keys in insertion order, without anchors."""
    return yaml.dump(doc, Dumper=_PlainDumper, sort_keys=False, allow_unicode=True)


def write_yaml(path: Path, doc: Any) -> Path:
    """Write ``doc`` as plain YAML atomically."""
    return write_text(path, dump_yaml(doc))
