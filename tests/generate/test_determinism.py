"""Same config and seed -> byte-identical output, whatever the number of workers; golden files."""

from __future__ import annotations

import os
import shutil
from pathlib import Path

import pytest

from synthgen_sdv.generate.engine import Engine
from synthgen_sdv.generate.executors import LocalExecutor
from synthgen_sdv.io.writers import FileSink
from synthgen_sdv.runs.config import load_project
from synthgen_sdv.schema.plan import resolve_plan
from tests.conftest import DEFAULT, TINY, generate
from tests.generate.helpers import tree_hashes

GOLDEN = Path(__file__).resolve().parents[1] / "golden" / "tiny"


def test_same_seed_same_bytes_with_one_two_and_three_workers(tmp_path):
    # scale 3: every family of the tiny config is several 7-row chunks, so workers share them
    runs = [tree_hashes(generate(TINY, tmp_path / f"w{w}", scale=3, workers=w)) for w in (1, 2, 3)]
    assert runs[0] == runs[1] == runs[2]
    assert any(k.endswith(".parquet") for k in runs[0])
    assert any(k.startswith("data_dirty") for k in runs[0])


def test_key_offsets_from_the_pre_pass_equal_the_shared_ledger(tmp_path):
    """Spark's way to number keys (a row-count pre-pass) and the local workers' (counts posted
    as chunks finish) give the same files."""

    class Independent(LocalExecutor):
        shares_memory = False  # as Spark: tasks in any order, offsets from the pre-pass

    plan = resolve_plan(load_project(TINY), scale=3)
    hashes = []
    for name, executor in (("ledger", LocalExecutor(2)), ("prepass", Independent(2))):
        (tmp_path / name).mkdir()
        Engine(plan, executor=executor, progress=False).run(FileSink(tmp_path / name, ["parquet"]))
        hashes.append(tree_hashes(tmp_path / name))
    assert hashes[0] == hashes[1] and hashes[0]


def test_a_different_seed_gives_different_data(tmp_path):
    a = tree_hashes(generate(TINY, tmp_path / "a", seed=1))
    b = tree_hashes(generate(TINY, tmp_path / "b", seed=2))
    assert a["data/customers.csv"] != b["data/customers.csv"]


@pytest.mark.slow
def test_default_scale_10_is_identical_across_worker_counts(tmp_path):
    a = tree_hashes(generate(DEFAULT, tmp_path / "a", scale=10, workers=1))
    b = tree_hashes(generate(DEFAULT, tmp_path / "b", scale=10, workers=3))
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
