"""Shared fixtures: generated outputs are made once per session and read by many tests."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
TINY = ROOT / "tests" / "configs" / "tiny"
DEFAULT = ROOT / "configs"

os.environ.setdefault("MPLBACKEND", "Agg")


def generate(
    config_dir: Path,
    out: Path,
    scale: float | None = None,
    seed: int | None = None,
    workers: int = 1,
    formats: tuple[str, ...] = ("parquet", "csv"),
) -> Path:
    from synthgen_sdv.runs.config import load_project
    from synthgen_sdv.runs.generate import run_generate
    from synthgen_sdv.schema.plan import resolve_plan

    plan = resolve_plan(load_project(config_dir), seed=seed, scale=scale)
    run_generate(plan, out, list(formats), workers=workers)
    return out


@pytest.fixture(scope="session")
def default_output(tmp_path_factory) -> Path:
    """The built-in default config at scale 1, both formats."""
    return generate(DEFAULT, tmp_path_factory.mktemp("default") / "out")


@pytest.fixture(scope="session")
def tiny_output(tmp_path_factory) -> Path:
    return generate(TINY, tmp_path_factory.mktemp("tiny") / "out")
