"""The built-in default schema: all tables, keys, SDV metadata, designed dependencies, labels."""

from __future__ import annotations

import warnings

import numpy as np
import pandas as pd
import pytest

from tests.generate.helpers import labels, read, schema

TABLES = {
    "customers",
    "products",
    "stores",
    "promotions",
    "dates",
    "suppliers",
    "employees",
    "legacy_customers",
    "orders",
    "transactions",
    "returns",
    "inventory",
    "sales_targets",
}


@pytest.fixture(scope="module")
def data(default_output):
    return {t: read(default_output, t) for t in schema(default_output)["tables"]}


def test_all_tables_and_metadata_are_written(default_output):
    doc = schema(default_output)
    assert set(doc["tables"]) == TABLES
    assert doc["schema"] == "synthgen_sdv.schema_metadata" and doc["version"] == 1
    assert {"seed", "config_hash", "generator", "sdv_metadata"} <= set(doc)
    for name, table in doc["tables"].items():
        assert (default_output / "data" / f"{name}.parquet").exists()
        assert (default_output / "data" / f"{name}.csv").exists()
        assert table["domain"] and table["row_count"] > 0
        for col in table["columns"].values():
            assert {"sql_type", "nullable", "description", "kind", "domain"} <= set(col)
    assert len({t["domain"] for t in doc["tables"].values()}) >= 6


def test_row_counts_match_files(default_output, data):
    doc = schema(default_output)
    for name, frame in data.items():
        assert len(frame) == doc["tables"][name]["row_count"]
        csv = pd.read_csv(default_output / "data" / f"{name}.csv")
        assert len(csv) == len(frame) and list(csv.columns) == list(frame.columns)


def test_primary_keys_unique_and_foreign_keys_resolve(default_output, data):
    for name, table in schema(default_output)["tables"].items():
        assert data[name][table["primary_key"]].is_unique, name
        for fk in table["foreign_keys"]:
            child = data[name][fk["column"]].dropna()
            parent = data[fk["parent_table"]][fk["parent_column"]]
            assert child.isin(parent).all(), f"{name}.{fk['column']} dangles"


def test_sdv_metadata_loads_and_validates_the_written_data(default_output, data):
    from sdv.metadata import Metadata

    doc = schema(default_output)
    metadata = Metadata.load_from_dict(doc["sdv_metadata"])
    metadata.validate()
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        metadata.validate_data(data)
    rels = {
        (r["parent_table_name"], r["child_table_name"])
        for r in doc["sdv_metadata"]["relationships"]
    }
    assert {
        ("customers", "orders"),
        ("orders", "transactions"),
        ("transactions", "returns"),
    } <= rels
    assert not any("legacy_customers" in r for r in rels), "the silo has no declared link"


def test_dates_span_at_least_three_years(data):
    span = data["dates"]["date"].max() - data["dates"]["date"].min()
    assert span.days >= 3 * 365
    orders = pd.to_datetime(data["orders"]["order_date"])
    assert orders.dt.year.nunique() >= 3


def test_segment_drives_income_orders_and_basket(data):
    c, o = data["customers"], data["orders"]
    income = c.groupby("segment")["income"].median()
    assert income["consumer"] < income["small_business"] < income["corporate"] < income["premium"]
    per_customer = o.groupby("customer_id").size().reindex(c["customer_id"], fill_value=0)
    assert np.corrcoef(c["income"], per_customer)[0, 1] > 0.3
    basket = o.merge(c, on="customer_id").groupby("segment")["order_total"].mean()
    assert basket["premium"] > basket["consumer"]


def test_orders_are_seasonal(data):
    month = pd.to_datetime(data["orders"]["order_date"]).dt.month.value_counts()
    assert month[12] > 1.5 * month[2]


def test_amount_identity_and_totals_hold_exactly(data):
    t, o = data["transactions"], data["orders"]
    expected = (t["quantity"] * t["unit_price"] * (1 - t["discount"])).round(2)
    assert np.allclose(t["amount"], expected, atol=1e-9)
    prices = t.merge(data["products"], on="product_id", suffixes=("", "_p"))
    assert (prices["unit_price"] == prices["unit_price_p"]).all()
    totals = t.groupby("order_id")["amount"].sum().round(2)
    merged = o.set_index("order_id")["order_total"]
    assert np.allclose(merged.loc[totals.index], totals, atol=0.011)
    assert (
        o.set_index("order_id").loc[totals.index, "item_count"] == t.groupby("order_id").size()
    ).all()


def test_returns_only_of_sold_items_after_their_sale(data):
    r = data["returns"].merge(data["transactions"], on="transaction_id")
    assert (pd.to_datetime(r["return_date"]) > pd.to_datetime(r["sold_date"])).all()
    assert (r["return_quantity"] <= r["quantity"]).all()
    assert r["transaction_id"].is_unique


def test_inventory_is_consistent_with_products_and_stores(data):
    inv = data["inventory"]
    assert not inv.duplicated(["product_id", "store_id"]).any()
    assert inv["product_id"].isin(data["products"]["product_id"]).all()
    assert (inv["reorder_point"] < inv["quantity_on_hand"] + 3).all()


def test_legacy_customers_overlap_customers_under_old_ids(default_output, data):
    links = labels(default_output)["entity_links"]
    assert 0.3 < len(links) / len(data["legacy_customers"]) < 0.7
    legacy = data["legacy_customers"].set_index("legacy_id")
    customers = data["customers"].set_index("customer_id")
    for link in links[:50]:
        old, new = legacy.loc[link["key"]], customers.loc[link["links_to"]["key"]]
        assert old["email"] == new["email"].upper()
        assert old["full_name"] == f"{new['last_name'].upper()}, {new['first_name']}"
    assert legacy.index.str.match(r"LC-\d{6}").all()


def test_anomalies_are_labeled_with_the_rows_they_touched(default_output, data):
    doc = labels(default_output)
    assert doc["schema"] == "synthgen_sdv.labels"
    by_kind = {a["kind"]: a for a in doc["anomalies"]}
    assert set(by_kind) == {
        "null_burst",
        "duplicate_rows",
        "outliers",
        "orphan_fk",
        "format_drift",
        "late_arriving",
    }
    dirty = {
        t: read(default_output, t, "data_dirty") for t in ("customers", "orders", "transactions")
    }
    nulls = by_kind["null_burst"]
    assert set(dirty["customers"].loc[dirty["customers"]["phone"].isna(), "customer_id"]) == set(
        nulls["rows"]
    )
    dups = dirty["orders"][dirty["orders"].duplicated("order_id", keep=False)]
    assert set(dups["order_id"]) == set(by_kind["duplicate_rows"]["rows"])
    orphans = ~dirty["transactions"]["product_id"].isin(data["products"]["product_id"])
    assert set(dirty["transactions"].loc[orphans, "transaction_id"]) == set(
        by_kind["orphan_fk"]["rows"]
    )
    clean_q = data["transactions"].set_index("transaction_id")["quantity"]
    dirty_q = dirty["transactions"].set_index("transaction_id")["quantity"]
    changed = dirty_q[dirty_q != clean_q.loc[dirty_q.index]].index
    assert set(changed) == set(by_kind["outliers"]["rows"])
    late = by_kind["late_arriving"]["rows"]
    assert list(dirty["transactions"]["transaction_id"].tail(len(late))) == late
    drift = dirty["orders"]["order_date"]
    assert set(dirty["orders"].loc[~drift.str.match(r"^\d{4}-\d{2}-\d{2}$"), "order_id"]) == set(
        by_kind["format_drift"]["rows"]
    )
    # the clean copy stays clean
    assert data["customers"]["phone"].notna().all()
