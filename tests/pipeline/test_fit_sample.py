"""fit-sample / fit / sample end to end: outputs, key integrity, exact identities, determinism."""

from __future__ import annotations

import json
import subprocess
import sys

import numpy as np
import pandas as pd
import pytest
import yaml

from tests.conftest import TINY
from tests.generate.helpers import labels, read, schema, tree_hashes


def cli(*args: str) -> subprocess.CompletedProcess:
    return subprocess.run(
        [sys.executable, "-m", "synthgen_sdv", *args, "--no-progress"],
        capture_output=True,
        text=True,
    )


def assert_keys_resolve(out) -> None:
    doc = schema(out)
    data = {t: read(out, t) for t in doc["tables"]}
    for name, table in doc["tables"].items():
        assert data[name][table["primary_key"]].is_unique, name
        for fk in table["foreign_keys"]:
            child = data[name][fk["column"]].dropna()
            assert child.isin(data[fk["parent_table"]][fk["parent_column"]]).all(), (
                f"{name}.{fk['column']} dangles"
            )


@pytest.fixture(scope="module")
def default_fit_sample(tmp_path_factory):
    out = tmp_path_factory.mktemp("fs") / "out"
    proc = cli("fit-sample", "--out", str(out))
    assert proc.returncode == 0, proc.stderr[-3000:]
    return out, proc


@pytest.mark.slow
def test_default_fit_sample_writes_every_output(default_fit_sample):
    out, proc = default_fit_sample
    assert "synthesizer:hma" in proc.stdout
    for sub in ("data", "data_dirty", "metadata"):
        assert (out / sub).is_dir()
    for name in ("schema_metadata.json", "labels.json", "generation_lineage.yaml"):
        assert (out / "metadata" / name).exists()
    doc = schema(out)
    assert len(doc["tables"]) == 13
    sources = {t: v["source"] for t, v in doc["tables"].items()}
    assert {t for t, s in sources.items() if s == "synthesizer:hma"} == {
        "customers",
        "orders",
        "transactions",
    }
    lineage = yaml.safe_load((out / "metadata" / "generation_lineage.yaml").read_text())
    assert lineage["tables"]["orders"]["source"] == "synthesizer"
    assert lineage["tables"]["orders"]["synthesizer"]["name"] == "hma"
    for name in ("customers", "orders", "transactions"):  # each entry: its own columns only
        treatments = lineage["tables"][name]["synthesizer"]["column_treatments"]
        assert treatments and {t["table"] for t in treatments} == {name}
    assert lineage["tables"]["returns"]["source"] == "rules, on synthesized parents"
    assert labels(out)["anomalies"], "anomalies are injected into the sampled data too"


@pytest.mark.slow
def test_default_fit_sample_keys_resolve_and_identities_hold(default_fit_sample):
    out, _ = default_fit_sample
    assert_keys_resolve(out)
    t, o = read(out, "transactions"), read(out, "orders")
    assert np.allclose(
        t["amount"], (t["quantity"] * t["unit_price"] * (1 - t["discount"])).round(2)
    )
    totals = t.groupby("order_id")["amount"].sum().round(2)
    assert np.allclose(o.set_index("order_id").loc[totals.index, "order_total"], totals, atol=0.011)
    assert (
        o.set_index("order_id").loc[totals.index, "item_count"] == t.groupby("order_id").size()
    ).all()
    p = read(out, "products").set_index("product_id")["unit_price"]
    assert np.allclose(t["unit_price"], p.loc[t["product_id"]].to_numpy())
    c = read(out, "customers")
    assert list(c["customer_id"]) == list(range(1, len(c) + 1)), "keys renumbered like the config"
    r = read(out, "returns").merge(t, on="transaction_id")
    assert (pd.to_datetime(r["return_date"]) > pd.to_datetime(r["sold_date"])).all()


@pytest.mark.slow
def test_default_fit_sample_is_reproducible(default_fit_sample, tmp_path):
    """Same seed, same bytes; the report differs only in measured times and memory."""
    out, _ = default_fit_sample
    again = tmp_path / "again"
    assert cli("fit-sample", "--out", str(again), "--workers", "2").returncode == 0
    first, second = tree_hashes(out), tree_hashes(again)
    data = {k for k in first if not k.startswith("reports/")}
    assert {k: first[k] for k in data} == {k: second[k] for k in data}
    assert set(first) == set(second)

    def scores(folder):
        doc = json.loads((folder / "reports" / "comparison.json").read_text())
        return {
            c["name"]: {
                k: v
                for k, v in c["summary"].items()
                if k in ("Quality", "Column Pair Trends", "Intertable Trends")
            }
            for c in doc["candidates"]
        }

    assert scores(out) == scores(again)


def test_tiny_fit_sample_with_gaussian_copula(tmp_path):
    out = tmp_path / "o"
    proc = cli("fit-sample", "--config-dir", str(TINY), "--out", str(out), "--scale", "2")
    assert proc.returncode == 0, proc.stderr[-3000:]
    assert_keys_resolve(out)
    doc = schema(out)
    assert doc["tables"]["lines"]["source"] == "synthesizer:gaussian_copula"
    boot = schema(out)["tables"]["customers"]["row_count"]
    assert boot == 60, "--scale 2 samples twice the fitted 30 customers"
    lines, orders = read(out, "lines"), read(out, "orders")
    totals = lines.groupby("order_id")["amount"].sum().round(2)
    assert np.allclose(orders.set_index("order_id").loc[totals.index, "total"], totals, atol=0.011)


def test_fit_then_sample_from_the_model_folder_alone(tmp_path):
    model = tmp_path / "model"
    proc = cli("fit", "--config-dir", str(TINY), "--model-dir", str(model))
    assert proc.returncode == 0, proc.stderr[-3000:]
    assert (model / "model.pkl").exists() and (model / "manifest.json").exists()
    assert (model / "source" / "tables.yml").read_bytes() == (TINY / "tables.yml").read_bytes()
    out = tmp_path / "o"
    proc = cli("sample", "--model-dir", str(model), "--out", str(out), "--seed", "99")
    assert proc.returncode == 0, proc.stderr[-3000:]
    assert_keys_resolve(out)
    assert schema(out)["sampling"]["seed"] == 99 and schema(out)["seed"] == 7
    assert schema(out)["tables"]["lines"]["source"] == "synthesizer:gaussian_copula"


def test_unknown_modeled_table_is_a_clear_error(tmp_path):
    proc = cli(
        "fit-sample",
        "--config-dir",
        str(TINY),
        "--out",
        str(tmp_path / "o"),
        "--tables",
        "customers,ordrs",
    )
    assert proc.returncode == 2
    assert "unknown table(s) ordrs" in proc.stderr


def test_sampling_fewer_customers_than_the_legacy_table_links(tmp_path):
    """legacy_customers links distinct customers; with fewer sampled ones, rows stay unlinked."""
    out = tmp_path / "o"
    proc = cli(
        "fit-sample",
        "--out",
        str(out),
        "--bootstrap-scale",
        "0.2",
        "--scale",
        "0.2",
        "--model",
        "gaussian_copula",
        "--no-compare",
    )
    assert proc.returncode == 0, proc.stderr[-3000:]
    links = labels(out)["entity_links"]
    assert 0 < len(links) <= schema(out)["tables"]["customers"]["row_count"]
