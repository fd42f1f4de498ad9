"""Your own data sampled in batches of root rows (issue 11 item 3): keys counted across the
batches (globally unique), foreign keys moved along with them, the batches spilled to disk and
written a part at a time, and the same files for any number of workers."""

from __future__ import annotations

import json
import warnings
from pathlib import Path

import pandas as pd
import pytest

import synthgen_sdv as sg
from synthgen_sdv.runs.model_folder import load_fitted, run_sample
from synthgen_sdv.runs.sample import sample
from synthgen_sdv.synth import batches
from synthgen_sdv.synth.batches import plan_batches
from tests.fixtures.demo import demo_tables
from tests.fixtures.models import saved_model

KEYS = {
    "customers": "customer_id",
    "orders": "order_id",
    "transactions": "transaction_id",
    "products": "product_id",
}
LINKS = [
    ("orders", "customer_id", "customers"),
    ("transactions", "order_id", "orders"),
    ("transactions", "product_id", "products"),
]


@pytest.fixture(scope="module")
def model_dir(tmp_path_factory):
    return saved_model(tmp_path_factory.mktemp("byo_model") / "M", tables=demo_tables(40, seed=3))


@pytest.fixture
def small_batches(monkeypatch):
    """Batches of 2 fitted sizes of the demo model (753 rows each): a scale of 5 is 3 batches."""
    monkeypatch.setattr(batches, "BATCH_ROWS", 1600)


def _read(out):
    return {t: pd.read_parquet(out / "data" / f"{t}.parquet") for t in KEYS}


def test_your_data_samples_in_batches_with_unique_keys_and_resolving_links(
    model_dir, small_batches, tmp_path
):
    fitted = load_fitted(model_dir)
    assert fitted.source.batchable(fitted)
    assert len(plan_batches(5, 3, fitted.rows)) == 3
    outs = []
    for workers in (1, 2):
        out = tmp_path / f"out{workers}"
        run_sample(model_dir, out, ["parquet"], scale=5, seed=3, workers=workers)
        outs.append(out)
    assert not list(tmp_path.glob(".synthgen-spill-*"))
    tables = _read(outs[0])
    assert len(tables["customers"]) == 5 * fitted.rows["customers"]
    for name, key in KEYS.items():
        keys = tables[name][key]
        assert keys.is_unique and keys.notna().all(), name
        assert keys.min() == 1 and keys.max() == len(keys)  # counted across the batches
    for child, col, parent in LINKS:
        values = tables[child][col].dropna()
        assert len(values) and values.isin(tables[parent][KEYS[parent]]).all(), (child, col)
    # the batches are drawn with their own seeds, not copies of the first
    c = tables["customers"].drop(columns="customer_id")
    n = fitted.rows["customers"] * 2
    assert not c.iloc[:n].reset_index(drop=True).equals(c.iloc[n : 2 * n].reset_index(drop=True))
    for path in sorted((outs[0] / "data").iterdir()):
        assert path.read_bytes() == (outs[1] / "data" / path.name).read_bytes(), path.name
    doc = (outs[0] / "metadata" / "schema_metadata.json").read_text()
    assert f'"row_count": {len(tables["transactions"])}' in doc


def test_a_batched_sample_of_your_data_in_memory_is_the_spilled_one(model_dir, small_batches):
    fitted = load_fitted(model_dir)
    memory = sample(fitted, 5, seed=3).tables
    from synthgen_sdv.io.spill import Spill

    with Spill() as spill:
        spilled = sample(load_fitted(model_dir), 5, seed=3, spill=spill).tables
        for name in KEYS:
            pd.testing.assert_frame_equal(spilled[name].frame(), memory[name])


def test_one_batch_of_your_data_is_the_plain_sample_with_counted_keys(model_dir):
    """A sample of one batch is the plain draw in every value; only its keys are counted
    (from the data's first key, in order) instead of SDV's random numbers."""
    fitted = load_fitted(model_dir)
    assert len(plan_batches(2, 3, fitted.rows)) == 1
    tables = sample(fitted, 2, seed=3).tables
    raw = fitted.synthesizer.sample(2, seed=3)
    plain = fitted.source.finish(raw, fitted, 2, 3).tables
    starts = fitted.view.state[1].key_starts
    key_columns = set(KEYS.values())
    for name, key in KEYS.items():
        values = [c for c in plain[name].columns if c not in key_columns]
        pd.testing.assert_frame_equal(tables[name][values], plain[name][values])
        first = starts[name]
        assert tables[name][key].tolist() == list(range(first, first + len(tables[name])))


def test_a_composite_key_that_holds_a_counted_key_batches_and_stays_unique(tmp_path, monkeypatch):
    """order_lines(order_id, line_no): order_id refers to orders, whose keys are counted per
    batch, so the combinations of different batches cannot meet; each batch makes its own
    unique (``synth.keys``) and all of them together are unique, with every link resolving."""
    data = tmp_path / "data"
    data.mkdir()
    tables = demo_tables(40, seed=3)
    orders = tables["orders"]["order_id"].to_numpy()
    lines = pd.DataFrame(
        {
            "order_id": orders.repeat(2),
            "line_no": [1, 2] * len(orders),
            "qty": range(2 * len(orders)),
        }
    )
    tables = {**tables, "order_lines": lines}
    for name, frame in tables.items():
        frame.to_csv(data / f"{name}.csv", index=False)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        metadata = sg.read(data).metadata_dict
    metadata["tables"]["order_lines"]["primary_key"] = ["order_id", "line_no"]
    metadata["tables"]["order_lines"]["columns"]["line_no"] = {"sdtype": "numerical"}
    if not any(r["child_table_name"] == "order_lines" for r in metadata["relationships"]):
        metadata["relationships"].append(
            {
                "parent_table_name": "orders",
                "parent_primary_key": "order_id",
                "child_table_name": "order_lines",
                "child_foreign_key": "order_id",
            }
        )
    meta_file = tmp_path / "metadata.json"
    meta_file.write_text(json.dumps(metadata))
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        model = sg.fit(sg.read(data, metadata=meta_file), synthesizer="hma")
    folder = model.save(tmp_path / "M")
    fitted = load_fitted(folder)
    hidden, _ = fitted.source._state(fitted)
    assert [k.table for k in hidden.composites] == ["order_lines"]
    assert fitted.source.batchable(fitted)
    monkeypatch.setattr(batches, "BATCH_ROWS", 2 * sum(fitted.rows.values()) + 10)
    assert len(plan_batches(6, 3, fitted.rows)) == 3
    out = tmp_path / "out"
    run_sample(folder, out, ["parquet"], scale=6, seed=3)
    got = {t: pd.read_parquet(out / "data" / f"{t}.parquet") for t in ("orders", "order_lines")}
    combos = got["order_lines"][["order_id", "line_no"]]
    assert len(combos) > 0 and not combos.duplicated().any()
    assert got["order_lines"]["order_id"].isin(got["orders"]["order_id"]).all()
    assert got["orders"]["order_id"].is_unique
    # each batch's note of redrawn line numbers, summed into one (batched samples lost them)
    notes = sg.load_model(folder).sample(scale=6, seed=3).notes
    redrawn = [n for n in notes if n.startswith("order_lines: ") and " got a new " in n]
    assert len(redrawn) == 1, notes


# --- text keys (pubs: bothify ids, four-digit publisher ids, a one-to-one pub_info) ----------

PUBS = Path(__file__).resolve().parents[1] / "data" / "corpus" / "pubs"


@pytest.fixture(scope="module")
def pubs_model(tmp_path_factory):
    return saved_model(tmp_path_factory.mktemp("pubs_model") / "M", folder=PUBS)


def test_text_keys_are_counted_across_batches_and_stay_text(pubs_model, monkeypatch, tmp_path):
    fitted = load_fitted(pubs_model)
    assert fitted.source.batchable(fitted)  # text keys no longer force one draw
    texts = batches.text_key_formats(fitted.synthesizer, fitted.modeled)
    assert {"authors", "titles", "publishers"} <= set(texts)
    monkeypatch.setattr(batches, "BATCH_ROWS", 600)
    assert len(plan_batches(8, 1, fitted.rows)) == 4
    outs = []
    for workers in (1, 2):
        outs.append(tmp_path / f"w{workers}")
        run_sample(pubs_model, outs[-1], ["parquet"], scale=8, seed=1, workers=workers)
    meta = json.loads((outs[0] / "metadata" / "detected_metadata.json").read_text())
    data = {p.stem: pd.read_parquet(p) for p in (outs[0] / "data").glob("*.parquet")}
    for name, table in meta["tables"].items():
        key = table.get("primary_key")
        if name in fitted.modeled and isinstance(key, str):
            assert data[name][key].is_unique, name  # across the 4 batches
    for name in ("authors", "titles", "publishers"):
        key = meta["tables"][name]["primary_key"]
        assert data[name][key].map(type).eq(str).all(), name  # text, as the input's
    assert data["publishers"]["pub_id"].str.fullmatch(r"\d{4}").all()  # its shape kept
    for r in meta["relationships"]:
        child, parent = data[r["child_table_name"]], data[r["parent_table_name"]]
        values = child[r["child_foreign_key"]].dropna()
        assert values.isin(parent[r["parent_primary_key"]]).all(), r
    for path in sorted((outs[0] / "data").iterdir()):
        assert path.read_bytes() == (outs[1] / "data" / path.name).read_bytes(), path.name
