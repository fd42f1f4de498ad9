"""One executed lineage run over stand-in tables, shared by the lineage tests (made once)."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest
from lineage_fixture import make_output


@pytest.fixture(scope="session")
def lineage_out(tmp_path_factory) -> Path:
    return make_output(tmp_path_factory.mktemp("lineage"))


@pytest.fixture
def lineage_copy(lineage_out, tmp_path) -> Path:
    """A private copy to corrupt."""
    dst = tmp_path / "copy"
    shutil.copytree(lineage_out, dst)
    return dst
