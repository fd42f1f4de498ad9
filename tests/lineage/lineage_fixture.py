"""Builds an output folder with stand-in data and the lineage written by the CLI command."""

from __future__ import annotations

from pathlib import Path

import pyarrow.parquet as pq

from synthgen_sdv.cli import main
from synthgen_sdv.lineage.tables import to_arrow
from tests.fixtures.lineage_sample import sample_tables

SEED = 42


def make_output(root: Path, seed: int = SEED, n_customers: int = 120) -> Path:
    """An output folder with data/*.parquet and the lineage written by the CLI command."""
    out = root / "out"
    (out / "data").mkdir(parents=True)
    for name, frame in sample_tables(n_customers).items():
        pq.write_table(to_arrow(frame), out / "data" / f"{name}.parquet")
    code = main(["lineage", "--data", str(out), "--seed", str(seed), "--no-progress"])
    assert code == 0
    return out
