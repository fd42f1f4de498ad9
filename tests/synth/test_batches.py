"""Sampling in batches of root rows (issue 11 item 3): the batch plan, globally unique keys and
resolving foreign keys across batches, identities per batch, and output that depends on the
model, seed and scale only (not on the number of workers)."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

import synthgen_sdv as sg
from synthgen_sdv.runs.sample import sample
from synthgen_sdv.synth import batches, pii
from synthgen_sdv.synth.batches import batch_scale, batch_seed, plan_batches
from tests.conftest import TINY


def test_batch_scale_is_a_whole_multiple_under_the_row_budget():
    assert batch_scale({"a": 1000, "b": 14_000}) == batches.BATCH_ROWS // 15_000
    assert batch_scale({"a": 10**9}) == 1  # a huge model still samples one fitted size at once


def test_plan_batches_add_up_to_the_scale_and_keep_the_seed_first():
    rows = {"c": 1000, "o": 15_000}  # 12 fitted sizes per batch
    plan = plan_batches(91, 5, rows)
    assert [b.index for b in plan] == list(range(8))
    assert sum(b.scale for b in plan) == 91
    assert {b.scale for b in plan[:-1]} == {12.0} and plan[-1].scale == 7.0
    assert plan[0].seed == 5 and len({b.seed for b in plan}) == 8
    assert plan_batches(12, 5, rows) == [batches.Batch(0, 12.0, 5)]  # one batch: the plain draw
    assert [b.scale for b in plan_batches(0.5, 5, rows)] == [0.5]
    assert batch_seed(5, 3) == plan[3].seed


@pytest.fixture(scope="module")
def model():
    return sg.fit(sg.generate(config_dir=TINY), synthesizer="gaussian_copula")


@pytest.fixture
def small_batches(monkeypatch):
    """Batches of 2 fitted sizes of the tiny model (168 rows each), so a scale of 5 is 3 batches."""
    monkeypatch.setattr(batches, "BATCH_ROWS", 400)


def _draw(model, scale, seed=11, workers=1):
    return sample(model._fitted, scale, seed=seed, workers=workers).tables


def test_keys_are_unique_and_foreign_keys_resolve_across_batches(model, small_batches):
    fitted = model._fitted
    assert len(plan_batches(5, 11, fitted.rows)) == 3
    tables = _draw(model, 5)
    c, o, li = tables["customers"], tables["orders"], tables["lines"]
    assert len(c) == 5 * fitted.rows["customers"]
    for frame, key in ((c, "customer_id"), (o, "order_id"), (li, "line_id")):
        assert frame[key].is_unique
        assert frame[key].tolist() == list(range(1, len(frame) + 1))  # one sequence, no gaps
    assert o["customer_id"].isin(c["customer_id"]).all()
    assert li["order_id"].isin(o["order_id"]).all()
    # identities recomputed per batch hold over the whole: totals and counts of children
    totals = li.groupby("order_id")["amount"].sum().round(2)
    assert np.allclose(o.set_index("order_id").loc[totals.index, "total"], totals, atol=0.011)


def test_the_same_seed_gives_the_same_tables_for_any_number_of_workers(model, small_batches):
    one = _draw(model, 5, workers=1)
    again = _draw(model, 5, workers=1)
    two = _draw(model, 5, workers=2)
    three = _draw(model, 5, workers=3)
    for name in one:
        pd.testing.assert_frame_equal(one[name], again[name])
        pd.testing.assert_frame_equal(one[name], two[name])
        pd.testing.assert_frame_equal(one[name], three[name])
    other = _draw(model, 5, seed=12)
    assert not one["customers"].equals(other["customers"])


def test_batches_are_not_copies_of_each_other(model, small_batches):
    c = _draw(model, 4)["customers"]  # two batches of two fitted sizes
    half = len(c) // 2
    first, second = c.iloc[:half].reset_index(drop=True), c.iloc[half:].reset_index(drop=True)
    assert not first.drop(columns="customer_id").equals(second.drop(columns="customer_id"))


def test_one_batch_is_the_unbatched_sample(model):
    fitted = model._fitted
    assert len(plan_batches(2, 11, fitted.rows)) == 1
    tables = _draw(model, 2)
    raw = fitted.synthesizer.sample(2, seed=11)
    whole = fitted.source.finish(raw, fitted, 2, 11).tables
    for name in tables:
        pd.testing.assert_frame_equal(tables[name], whole[name])


def test_counted_keys_leave_every_other_value_and_the_renumbered_output_unchanged():
    model = sg.fit(sg.generate(config_dir=TINY), synthesizer="hma")
    fitted = model._fitted
    renumbered = fitted.source.renumbered(fitted)
    assert renumbered == {"customers", "orders", "lines"}
    assert batches.countable_keys(fitted.synthesizer, renumbered) == renumbered
    plan = plan_batches(3, 5, fitted.rows)
    [(_, drawn)] = batches.sample_batches(fitted.synthesizer, plan)
    [(_, counted)] = batches.sample_batches(fitted.synthesizer, plan, renumbered=renumbered)
    assert counted["customers"]["customer_id"].tolist() == list(range(len(counted["customers"])))
    assert (
        drawn["customers"]["customer_id"].tolist() != counted["customers"]["customer_id"].tolist()
    )
    for name in renumbered:
        a = fitted.source.finish_tables(drawn, fitted)[name]
        b = fitted.source.finish_tables(counted, fitted)[name]
        pd.testing.assert_frame_equal(a, b)
    # the patch is undone: SDV draws its keys again
    again = fitted.synthesizer.sample(3, seed=5)
    pd.testing.assert_series_equal(
        again["customers"]["customer_id"], drawn["customers"]["customer_id"]
    )


def test_shared_pii_pools_are_drawn_once_and_unique_columns_stay_unique_across_batches():
    email = pii.PiiColumn(table="t", column="email", sdtype="email", null_rate=0.0, unique=True)
    alone = email.generate(50, 1)
    assert email.generate(50, 1).tolist() == alone.tolist()  # outside a sample: as before
    values = []
    for b in range(3):
        with pii.shared_pools(9, b):
            values.extend(email.generate(pii.POOL_MAX + 10, batches.batch_seed(9, b)))
    assert len(values) == len(set(values)) == 3 * (pii.POOL_MAX + 10)
    assert len([k for k in pii._POOLS if k[0] == 9]) == 1  # one pool for the three batches
    assert all("@" in v for v in values)


def test_a_batched_sample_writes_the_same_files_for_any_number_of_workers(
    model, small_batches, tmp_path
):
    from synthgen_sdv.runs.model_folder import run_sample

    folder = model.save(tmp_path / "M")
    outs = []
    for workers in (1, 2):
        out = tmp_path / f"out{workers}"
        run_sample(folder, out, ["parquet"], scale=5, seed=3, workers=workers, etl=False)
        outs.append(out)
    files = sorted(p.name for p in (outs[0] / "data").iterdir())
    assert "lines.parquet" in files and "regions.parquet" in files
    for name in files:
        assert (outs[0] / "data" / name).read_bytes() == (outs[1] / "data" / name).read_bytes()
    c = pd.read_parquet(outs[0] / "data" / "customers.parquet")
    o = pd.read_parquet(outs[0] / "data" / "orders.parquet")
    assert len(c) == 5 * model._fitted.rows["customers"] and c["customer_id"].is_unique
    assert o["customer_id"].isin(c["customer_id"]).all()


def test_a_spilled_sample_writes_the_files_of_the_sample_held_in_memory(
    model, small_batches, tmp_path
):
    from synthgen_sdv.io.spill import Spill, SpilledTable
    from synthgen_sdv.runs.model_folder import load_fitted
    from synthgen_sdv.runs.sample import write_sampled

    folder = model.save(tmp_path / "M")
    outs = {}
    for spilled in (False, True):
        fitted = load_fitted(folder)
        fitted.source.etl = False
        with Spill(tmp_path) as spill:
            sampled = sample(fitted, 5, seed=3, spill=spill if spilled else None)
            kinds = {type(t) for t in sampled.tables.values()}
            assert kinds == ({SpilledTable} if spilled else {pd.DataFrame})
            out = tmp_path / f"out{spilled}"
            write_sampled(fitted.source, sampled, out, ["parquet", "csv"])
            if spilled:
                whole = {t: s.frame() for t, s in sampled.tables.items()}
                parts = len(sampled.tables["customers"].parts)
        outs[spilled] = out
    assert parts == 3  # one part per batch
    assert not list(tmp_path.glob(".synthgen-spill-*"))  # the spill is gone once closed
    names = sorted(p.name for p in (outs[False] / "data").iterdir())
    assert len(names) > 6
    for name in names:
        assert (outs[False] / "data" / name).read_bytes() == (
            outs[True] / "data" / name
        ).read_bytes()
    memory = _draw(model, 5, seed=3)
    for name, frame in memory.items():
        pd.testing.assert_frame_equal(whole[name], frame)


def test_a_spilled_table_reads_slices_across_parts_and_columns(tmp_path):
    from synthgen_sdv.io.spill import Spill

    frame = pd.DataFrame(
        {
            "k": np.arange(10, dtype=np.int64),
            "s": pd.array([f"v{i}" for i in range(10)], dtype="string[pyarrow]"),
            "n": pd.array([1, None, 3, 4, None, 6, 7, 8, 9, 10], dtype="Int64"),
            "d": pd.date_range("2021-01-01", periods=10),
        }
    )
    with Spill(tmp_path) as spill:
        for lo, hi in ((0, 3), (3, 4), (4, 10)):
            spill.append("t", frame.iloc[lo:hi].reset_index(drop=True))
        table = spill.tables()["t"]
        assert len(table) == 10 and list(table.columns) == list(frame.columns)
        for lo, hi in ((0, 10), (2, 5), (3, 4), (5, 9), (9, 20), (7, 7)):
            pd.testing.assert_frame_equal(
                table.iloc[lo:hi], frame.iloc[lo:hi].reset_index(drop=True)
            )
        pd.testing.assert_series_equal(table["s"], frame["s"])
        pd.testing.assert_frame_equal(table.frame(), frame)
        with pytest.raises(KeyError):
            table["nope"]
    assert not spill.root.exists()


def test_a_combination_is_batch_bound_only_through_a_counted_parent():
    from synthgen_sdv.synth.batches import refers_to_counted

    rels = [
        {"parent_table_name": "orders", "child_table_name": "lines", "child_foreign_key": "oid"},
        {"parent_table_name": "codes", "child_table_name": "lines", "child_foreign_key": "code"},
    ]
    assert refers_to_counted("lines", ["oid", "n"], rels, {"orders"})
    assert not refers_to_counted("lines", ["code", "n"], rels, {"orders"})  # text-keyed parent
    assert not refers_to_counted("lines", ["n", "m"], rels, {"orders"})  # plain columns only
    assert not refers_to_counted("orders", ["oid"], rels, {"orders"})  # not its links
