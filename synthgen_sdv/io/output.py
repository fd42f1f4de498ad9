"""Atomic output folders: build in a temporary sibling, move into place only when complete.

A failed or interrupted run leaves nothing half-written, and an earlier run's output is
replaced only after the new one is whole. A folder that is not ours is never replaced.
"""

from __future__ import annotations

import os
import shutil
import tempfile
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path

from synthgen_sdv.core.errors import InputError
from synthgen_sdv.io import layout


def check_replaceable(out: Path) -> None:
    """Refuse to replace ``out`` unless it is absent, empty, or a folder our commands wrote."""
    ours = any((out / m).exists() for m in layout.MARKERS)
    if out.exists() and (not out.is_dir() or (any(out.iterdir()) and not ours)):
        raise InputError(
            f"--out {out}: exists and is not a synthgen_sdv output folder "
            f"(no {layout.SCHEMA_METADATA}); choose another folder or remove it"
        )


@contextmanager
def staged_output(out: Path, check: Callable[[Path], None] = check_replaceable) -> Iterator[Path]:
    """Yield a temporary folder; on success it replaces ``out``, on failure it is removed.

    ``check`` refuses an ``out`` that may not be replaced (default: not an output folder; a
    model folder passes its own)."""
    out = out.resolve()
    check(out)
    out.parent.mkdir(parents=True, exist_ok=True)
    tmp = Path(tempfile.mkdtemp(prefix=f".{out.name}.tmp-", dir=out.parent))
    tmp.chmod(0o755)  # mkdtemp makes it private; an output folder is an ordinary folder
    try:
        yield tmp
    except BaseException:
        shutil.rmtree(tmp, ignore_errors=True)
        raise
    backup = out.parent / f".{out.name}.old-{os.getpid()}"
    if out.exists():
        out.rename(backup)
    try:
        tmp.rename(out)
    except BaseException:
        if backup.exists():
            backup.rename(out)
        shutil.rmtree(tmp, ignore_errors=True)
        raise
    shutil.rmtree(backup, ignore_errors=True)
