"""The code stays ruff-clean (lint rules and formatting as configured in pyproject.toml)."""

from __future__ import annotations

import shutil
import subprocess

import pytest

from tests.conftest import ROOT


@pytest.mark.parametrize(
    "args", [["check", "."], ["format", "--check", "."]], ids=["lint", "format"]
)
def test_ruff_is_clean(args):
    ruff = shutil.which("ruff")
    assert ruff, "ruff is part of the [test] extra"
    proc = subprocess.run([ruff, *args], cwd=ROOT, capture_output=True, text=True)
    assert proc.returncode == 0, proc.stdout[-4000:] + proc.stderr[-2000:]


def test_mypy_is_clean_on_the_typed_layers():
    """core, schema and io (configured in pyproject.toml) type-check without errors."""
    mypy = shutil.which("mypy")
    assert mypy, "mypy is part of the [test] extra"
    proc = subprocess.run([mypy], cwd=ROOT, capture_output=True, text=True)
    assert proc.returncode == 0, proc.stdout[-4000:] + proc.stderr[-2000:]
