"""Same config and seed -> byte-identical output, whatever the number of workers; golden files."""

from __future__ import annotations

import os
import shutil
from pathlib import Path

import pytest

from tests.conftest import DEFAULT, TINY, generate
from tests.generate.helpers import tree_hashes

GOLDEN = Path(__file__).resolve().parents[1] / "golden" / "tiny"


def test_same_seed_same_bytes_with_one_and_two_workers(tmp_path):
    a = tree_hashes(generate(TINY, tmp_path / "a", workers=1))
    b = tree_hashes(generate(TINY, tmp_path / "b", workers=2))
    assert a == b
    assert any(k.endswith(".parquet") for k in a) and any(k.startswith("data_dirty") for k in a)


def test_a_different_seed_gives_different_data(tmp_path):
    a = tree_hashes(generate(TINY, tmp_path / "a", seed=1))
    b = tree_hashes(generate(TINY, tmp_path / "b", seed=2))
    assert a["data/customers.csv"] != b["data/customers.csv"]


@pytest.mark.slow
def test_default_scale_10_is_identical_across_worker_counts(tmp_path):
    a = tree_hashes(generate(DEFAULT, tmp_path / "a", scale=10, workers=1))
    b = tree_hashes(generate(DEFAULT, tmp_path / "b", scale=10, workers=2))
    assert a == b


def test_chunking_does_not_change_row_counts_or_keys(tmp_path):
    """The tiny config is cut into 7-row chunks: keys must still run 1..n without gaps."""
    import pandas as pd

    out = generate(TINY, tmp_path / "o")
    for table, key in (("orders", "order_id"), ("lines", "line_id"), ("customers", "customer_id")):
        keys = pd.read_parquet(out / "data" / f"{table}.parquet")[key]
        assert list(keys) == list(range(1, len(keys) + 1))


def test_golden_files_at_tiny_scale(tmp_path):
    out = generate(TINY, tmp_path / "o", formats=("csv",))
    produced = {p.relative_to(out): p.read_bytes() for p in sorted(out.rglob("*")) if p.is_file()}
    if os.environ.get("UPDATE_GOLDEN"):
        shutil.rmtree(GOLDEN, ignore_errors=True)
        for rel, data in produced.items():
            (GOLDEN / rel).parent.mkdir(parents=True, exist_ok=True)
            (GOLDEN / rel).write_bytes(data)
    expected = {
        p.relative_to(GOLDEN): p.read_bytes() for p in sorted(GOLDEN.rglob("*")) if p.is_file()
    }
    assert set(produced) == set(expected)
    for rel, data in produced.items():
        assert data == expected[rel], (
            f"{rel} differs from tests/golden/tiny (UPDATE_GOLDEN=1 to refresh)"
        )
