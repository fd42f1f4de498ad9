"""Every line of the Python API contract (issue 12), on the tiny config with the default HMA.

ds = sg.generate(config_dir=None, scale=1.0, seed=None)
ds = sg.read("OUT")
ds.write("OUT", format="parquet")
model = sg.fit(ds, synthesizer="hma", tables=None)
a = model.sample(scale=1.0); b = model.sample(scale=1.0)
c = model.sample(scale=1.0, seed=3)
model.save("M"); model = sg.load_model("M")
report = sg.compare(reference=ds, candidates={"hma": a})
"""

from __future__ import annotations

import inspect
import json
import shutil
import subprocess
import sys

import pandas as pd
import pytest

import synthgen_sdv as sg
from synthgen_sdv.core.errors import InputError
from tests.conftest import TINY
from tests.generate.helpers import read, schema

MODELED = ["customers", "orders", "lines"]


def assert_same_tables(a, b) -> None:
    assert list(a.tables) == list(b.tables)
    for name in a.tables:
        pd.testing.assert_frame_equal(a.tables[name], b.tables[name], obj=name)


def without_files(doc: dict) -> dict:
    """schema_metadata.json without the file lists (the CLI fixture wrote CSV as well)."""
    out = {}
    for name, table in doc["tables"].items():
        table = {k: v for k, v in table.items() if k != "files"}
        if "dirty" in table:
            table["dirty"] = {k: v for k, v in table["dirty"].items() if k != "files"}
        out[name] = table
    return {**doc, "tables": out}


@pytest.fixture(scope="module")
def ds():
    return sg.generate(config_dir=TINY, scale=1.0, seed=None)


@pytest.fixture(scope="module")
def model(ds):
    return sg.fit(ds, synthesizer="hma", tables=None)


def test_generate_gives_tables_sdv_metadata_and_labels(ds):
    from sdv.metadata import Metadata

    assert list(ds.tables) == ["regions", "products", "customers", "orders", "lines"]
    assert all(isinstance(df, pd.DataFrame) for df in ds.tables.values())
    assert len(ds.tables["customers"]) == 30 and ds.seed == 7  # config.yaml's seed
    assert isinstance(ds.metadata, Metadata) and sg.Metadata is Metadata
    ds.metadata.validate()
    ds.metadata.validate_data(ds.tables)  # SDV accepts the tables with their metadata
    kinds = {a["kind"] for a in ds.labels["anomalies"]}
    assert {"null_burst", "duplicate_rows", "orphan_fk"} <= kinds
    assert set(ds.dirty) == {"customers", "orders", "lines"}
    again = sg.generate(config_dir=TINY, seed=7)
    assert_same_tables(ds, again)
    other = sg.generate(config_dir=TINY, seed=8)
    assert not other.tables["customers"].equals(ds.tables["customers"])


def test_write_is_the_command_lines_output(ds, tmp_path, tiny_output):
    out = ds.write(tmp_path / "out", format="parquet")
    assert out == (tmp_path / "out").resolve()
    assert not list(tmp_path.glob(".out.*")), "no temporary folder left behind"
    assert without_files(schema(out)) == without_files(schema(tiny_output))
    lineage = "metadata/generation_lineage.yaml"
    assert (out / lineage).read_text() == (tiny_output / lineage).read_text()
    labels = json.loads((out / "metadata" / "labels.json").read_text())
    assert labels == json.loads((tiny_output / "metadata" / "labels.json").read_text())
    for name in ds.tables:
        pd.testing.assert_frame_equal(read(out, name), read(tiny_output, name), obj=name)
    assert ds.validate().ok


def test_write_refuses_an_existing_folder_without_overwrite_and_any_foreign_folder(ds, tmp_path):
    out = ds.write(tmp_path / "out")
    with pytest.raises(InputError, match="overwrite=True"):
        ds.write(out)
    before = (out / "metadata" / "schema_metadata.json").stat().st_mtime_ns
    ds.write(out, format="csv", overwrite=True)
    assert (out / "data" / "orders.csv").exists() and not (out / "data" / "orders.parquet").exists()
    assert (out / "metadata" / "schema_metadata.json").stat().st_mtime_ns != before
    foreign = tmp_path / "mine"
    foreign.mkdir()
    (foreign / "notes.txt").write_text("keep me")
    with pytest.raises(InputError, match="not a synthgen_sdv output folder"):
        ds.write(foreign, overwrite=True)
    assert (foreign / "notes.txt").read_text() == "keep me"


def test_a_failed_write_leaves_the_previous_output_whole(ds, tmp_path, monkeypatch):
    import synthgen_sdv.runs.dataset as dataset

    out = ds.write(tmp_path / "out")
    before = {p: p.read_bytes() for p in out.rglob("*") if p.is_file()}
    calls = []

    def failing(frame, types):
        calls.append(1)
        if len(calls) == 3:
            raise RuntimeError("disk full")
        return real(frame, types)

    real = dataset.to_logical_types
    monkeypatch.setattr(dataset, "to_logical_types", failing)
    with pytest.raises(RuntimeError, match="disk full"):
        ds.write(out, overwrite=True)
    assert {p: p.read_bytes() for p in out.rglob("*") if p.is_file()} == before
    assert sorted(p.name for p in tmp_path.iterdir()) == ["out"], "no staged folder left"


def test_an_edited_dataset_is_written_as_it_is(ds, tmp_path):
    edited = sg.read(ds.write(tmp_path / "out"))
    edited.tables["customers"] = edited.tables["customers"].drop(columns=["visits"])
    del edited.tables["regions"]
    out = edited.write(tmp_path / "edited")
    doc = schema(out)
    assert "regions" not in doc["tables"] and "visits" not in doc["tables"]["customers"]["columns"]
    assert "visits" not in doc["sdv_metadata"]["tables"]["customers"]["columns"]
    assert sg.validate(out).ok
    edited.tables["customers"]["extra"] = 1
    with pytest.raises(InputError, match=r"tables\['customers'\]\['extra'\]: not in the metadata"):
        edited.write(tmp_path / "again")


def test_read_an_output_folder(ds, tmp_path):
    out = ds.write(tmp_path / "out", format="both")
    back = sg.read(out)
    assert list(back.tables) == list(ds.tables) and back.seed == 7 and back.path == out
    for name, frame in ds.tables.items():
        assert len(back.tables[name]) == len(frame)
        pd.testing.assert_series_equal(
            back.tables[name].iloc[:, 0], frame.iloc[:, 0], check_dtype=False, obj=name
        )
    assert back.labels["anomalies"] == json.loads(json.dumps(ds.labels["anomalies"]))
    assert set(back.dirty) == set(ds.dirty)
    assert back.metadata.to_dict()["relationships"] == ds.metadata.to_dict()["relationships"]
    again = back.write(tmp_path / "again")  # a read dataset writes the same folder again
    orders = schema(again)["tables"]["orders"]
    assert orders["columns"] == schema(out)["tables"]["orders"]["columns"]
    assert orders["domain"] == "sales"


def test_read_a_folder_of_csv_files(ds, tmp_path):
    raw = tmp_path / "raw"
    raw.mkdir()
    for name in ("customers", "orders", "lines", "products"):
        ds.tables[name].to_csv(raw / f"{name}.csv", index=False)
    shop = sg.read(raw)
    assert set(shop.tables) == {"customers", "orders", "lines", "products"}
    md = shop.metadata.to_dict()
    assert md["tables"]["orders"]["primary_key"] == "order_id"
    links = {(r["child_table_name"], r["child_foreign_key"]) for r in md["relationships"]}
    assert {("orders", "customer_id"), ("lines", "order_id"), ("lines", "product_id")} <= links
    assert shop.types["customers"]["joined"] == "date" and shop.labels == {}
    assert any("order_id" in n for n in shop.notes), "detection says why"
    with pytest.raises(InputError, match="no such folder"):
        sg.read(tmp_path / "nope")


def test_fit_defaults_to_the_configs_tables(model):
    assert model.synthesizer == "hma" and model.tables == MODELED
    assert model.fit_seed == 7 and model.rows == {"customers": 30, "orders": 43, "lines": 105}


def test_two_fresh_draws_differ_and_say_their_seed(model):
    a, b = model.sample(scale=1.0), model.sample(scale=1.0)
    assert a.sampling["seed_drawn"] and a.sampling["seed"] != b.sampling["seed"]
    assert not a.tables["customers"].equals(b.tables["customers"])
    assert list(a.tables) == ["regions", "products", "customers", "orders", "lines"]
    # the rules' tables are those the model learned against; the sampled ones are fresh
    pd.testing.assert_frame_equal(a.tables["products"], b.tables["products"])
    again = model.sample(scale=1.0, seed=a.sampling["seed"])  # any draw can be repeated
    assert_same_tables(a, again)


def test_the_same_seed_gives_equal_frames(model):
    c, d = model.sample(scale=1.0, seed=3), model.sample(scale=1.0, seed=3)
    assert_same_tables(c, d)
    assert not c.sampling["seed_drawn"] and c.sampling["seed"] == 3
    assert c.sampling["model"]["fit_seed"] == 7


def test_sample_is_a_whole_dataset_with_exact_identities(model, tmp_path):
    a = model.sample(scale=2.0, seed=1)
    assert len(a.tables["customers"]) == 60
    lines, orders = a.tables["lines"], a.tables["orders"]
    totals = lines.groupby("order_id")["amount"].sum().round(2)
    assert (orders.set_index("order_id").loc[totals.index, "total"] - totals).abs().max() < 0.011
    assert a.labels["anomalies"], "anomalies are injected into sampled tables too"
    out = a.write(tmp_path / "s")
    assert schema(out)["sampling"]["seed"] == 1
    assert schema(out)["tables"]["orders"]["source"] == "synthesizer:hma"
    assert a.validate().ok


def test_num_rows(model):
    ds = model.sample(num_rows={"customers": 45}, seed=2)
    assert len(ds.tables["customers"]) == 45 and ds.sampling["num_rows"] == {"customers": 45}
    with pytest.raises(InputError, match="orders: its rows follow"):
        model.sample(num_rows={"orders": 10})
    with pytest.raises(InputError, match="not a modeled table"):
        model.sample(num_rows={"regions": 10})
    with pytest.raises(InputError, match="scale or num_rows"):
        model.sample(scale=2.0, num_rows={"customers": 10})


def test_saved_and_loaded_model_samples_what_it_sampled_before(tmp_path):
    """Self-contained: the config the model came from is gone when it is loaded."""
    config = tmp_path / "config"
    shutil.copytree(TINY, config)
    model = sg.fit(sg.generate(config_dir=config), synthesizer="hma")
    before = model.sample(scale=1.0, seed=3)
    model.save(tmp_path / "M")
    shutil.rmtree(config)
    loaded = sg.load_model(tmp_path / "M")
    assert loaded.tables == MODELED and loaded.fit_seed == 7 and loaded.synthesizer == "hma"
    assert_same_tables(before, loaded.sample(scale=1.0, seed=3))
    with pytest.raises(InputError, match="overwrite=True"):
        model.save(tmp_path / "M")
    model.save(tmp_path / "M", overwrite=True)


def test_a_model_of_your_own_data_is_self_contained_too(ds, tmp_path):
    raw = tmp_path / "raw"
    raw.mkdir()
    for name in ("regions", "products", "customers", "orders", "lines"):
        ds.tables[name].to_csv(raw / f"{name}.csv", index=False)
    model = sg.fit(sg.read(raw), tables=["customers", "orders", "lines"])
    assert model.synthesizer == "hma" and model.fit_seed == 42
    before = model.sample(seed=3)
    assert set(before.tables) == {"customers", "orders", "lines", "products", "regions"}
    assert before.sources["products"].startswith("copied from input")
    pd.testing.assert_frame_equal(
        before.tables["products"].reset_index(drop=True),
        sg.read(raw).tables["products"],
        check_dtype=False,
    )
    model.save(tmp_path / "M")
    shutil.rmtree(raw)
    after = sg.load_model(tmp_path / "M").sample(seed=3)
    assert_same_tables(before, after)
    assert after.validate().ok


def test_compare_score_properties_markdown(ds, model, tmp_path):
    a = model.sample(scale=1.0, seed=5)
    # seed 1: seed 0's split of the tiny data holds out a region whose one customer has no
    # orders, which leaves Intertable Trends nothing to score
    report = sg.compare(reference=ds, candidates={"hma": a}, seed=1)
    assert 0.0 <= report.score <= 1.0
    assert report.score == report.scores["hma"] and "train (ceiling)" in report.scores
    props = report.properties
    assert list(props.columns) == ["Candidate", "Property", "Score"]
    hma = props[props.Candidate == "hma"]
    assert list(hma.Property) == [
        "Column Shapes",
        "Column Pair Trends",
        "Cardinality",
        "Intertable Trends",
    ]
    assert hma.Score.between(0, 1).all()
    md = report.to_markdown()
    assert md.startswith("# Synthetic data comparison") and "| hma |" in md
    assert report.files == {}
    written = sg.compare(
        reference=ds, candidates={"hma": a}, metrics=["quality"], out=tmp_path / "r"
    )
    assert (tmp_path / "r" / "comparison.md").read_text() == written.to_markdown()


def test_every_public_function_documents_an_example():
    names = ["generate", "read", "fit", "load_model", "compare"]
    names += ["fit_sample", "validate", "load", "ablation"]
    methods = [sg.Model.sample, sg.Model.save, sg.Dataset.write, sg.Dataset.validate]
    methods += [sg.Dataset.metadata.fget, sg.Comparison.read]
    for obj in [*(getattr(sg, n) for n in names), *methods, sg.Dataset, sg.Model]:
        doc = inspect.getdoc(obj) or ""
        assert ">>>" in doc, f"{obj.__qualname__}: no example in its docstring"


def test_import_stays_light():
    code = (
        "import sys, synthgen_sdv, synthgen_sdv.cli as cli; cli.build_parser(); "
        "print(sorted(m for m in ('sdv', 'pandas', 'sdmetrics') if m in sys.modules))"
    )
    proc = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True)
    assert proc.returncode == 0, proc.stderr
    assert "sdv" not in proc.stdout and "sdmetrics" not in proc.stdout
    with pytest.raises(AttributeError, match="no attribute 'nope'"):
        sg.nope  # noqa: B018


def test_generate_stays_the_function_when_the_engine_package_is_imported():
    """The rule-based engine is the subpackage ``synthgen_sdv.generate``; importing it must
    not replace ``sg.generate`` (it did, in a notebook that called ``sg.fit_sample`` first)."""
    code = (
        "import synthgen_sdv as sg; import synthgen_sdv.generate.engine; "
        "from synthgen_sdv.generate.rederive import rederive; "
        "print(callable(sg.generate), callable(sg.fit), sg.generate.__module__)"
    )
    proc = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True)
    assert proc.stdout.split() == ["True", "True", "synthgen_sdv.runs.api"], proc.stderr


def test_fit_sample_checks_out_before_any_work_and_replaces_only_with_overwrite(tmp_path):
    """``sg.fit_sample`` refuses, before loading or fitting, an ``out`` that holds anything
    without ``overwrite=True``, a folder synthgen_sdv did not write, and an ``out`` inside the
    data it reads; with ``overwrite=True`` it replaces its own earlier output."""
    out = tmp_path / "fs"
    first = sg.fit_sample(TINY, out=out, compare=False, seed=5)
    before = (first.out / "metadata" / "schema_metadata.json").read_bytes()
    with pytest.raises(InputError, match="overwrite=True"):
        sg.fit_sample(TINY, out=out, compare=False, seed=5)
    again = sg.fit_sample(TINY, out=out, compare=False, seed=5, overwrite=True)
    assert (again.out / "metadata" / "schema_metadata.json").read_bytes() == before
    foreign = tmp_path / "mine"
    foreign.mkdir()
    (foreign / "notes.txt").write_text("keep me")
    with pytest.raises(InputError, match="not a synthgen_sdv output folder"):
        sg.fit_sample(TINY, out=foreign, compare=False, overwrite=True)
    assert (foreign / "notes.txt").read_text() == "keep me"
    raw = tmp_path / "raw"
    raw.mkdir()
    first.dataset.tables["customers"].to_csv(raw / "customers.csv", index=False)
    with pytest.raises(InputError, match="is inside data_dir"):
        sg.fit_sample(data_dir=raw, out=raw / "synthetic", compare=False)
    assert not (raw / "synthetic").exists()
