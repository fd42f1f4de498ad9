"""Helpers for the command-line tests: the CLI in a subprocess (real exit codes) or in process
(fast), and a snapshot of a folder tree to prove nothing else was written."""

from __future__ import annotations

import hashlib
import subprocess
import sys
from pathlib import Path

import pytest

from tests.conftest import TINY, generate


def cli(*args: str, cwd: Path | None = None, timeout: float = 300) -> subprocess.CompletedProcess:
    """``python -m synthgen_sdv ARGS`` in a subprocess."""
    return subprocess.run(
        [sys.executable, "-m", "synthgen_sdv", *map(str, args)],
        capture_output=True,
        text=True,
        cwd=cwd,
        timeout=timeout,
    )


def main(*args: str) -> int:
    """The CLI in this process (``capsys`` sees its output)."""
    from synthgen_sdv.cli import main as run

    return run([str(a) for a in args])


def tree(root: Path) -> dict[str, str]:
    """Every file under ``root`` (hidden ones too) with a hash of its bytes."""
    return {
        str(p.relative_to(root)): hashlib.sha256(p.read_bytes()).hexdigest()
        for p in sorted(root.rglob("*"))
        if p.is_file()
    }


@pytest.fixture
def tiny_out(tmp_path) -> Path:
    """A fresh output of the tiny config (its own copy: tests change or replace it)."""
    return generate(TINY, tmp_path / "o")
