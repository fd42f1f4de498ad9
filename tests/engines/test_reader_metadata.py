"""The metadata reader and the typed table reader on the fixture folder."""

from __future__ import annotations

import json

import pandas as pd
import pytest

from synthgen_sdv.core.errors import InputError
from synthgen_sdv.engines.reader import read_table, read_tables
from synthgen_sdv.io.reader import load_schema_metadata


def test_clean_tables_have_declared_dtypes_from_parquet_and_csv(fixture_dir):
    tables = read_tables(fixture_dir)
    assert {n: len(f) for n, f in tables.items()} == {
        "calendar": 730,
        "stores": 8,
        "customers": 40,
        "orders": 120,
        "order_items": 360,
    }
    customers = tables["customers"]  # CSV
    assert str(customers["customer_id"].dtype) == "Int64"
    assert str(customers["is_member"].dtype) == "boolean"
    assert customers["is_member"].isna().sum() == 5  # empty CSV field = NULL
    assert customers.loc[0, "name"] == "Doe, Jane 1"  # quoted comma survives
    assert pd.api.types.is_datetime64_any_dtype(customers["signup_date"])
    orders = tables["orders"]  # Parquet
    assert pd.api.types.is_datetime64_any_dtype(orders["order_ts"])
    assert orders["promo_code"].isna().any()
    assert tables["stores"].loc[0, "store_name"] == 'Store "1", Main St'


def test_dirty_variant_overlays_data_dirty_and_nulls_unparseable_values(fixture_dir):
    schema = load_schema_metadata(fixture_dir)
    read = read_table(fixture_dir, schema, "orders", "dirty")
    assert read.source.dirty and len(read.frame) == 122
    assert read.type_mismatches == {"order_date": "string"}
    assert read.bad_values == {"order_date": [7, 8]}
    assert read.frame["order_date"].isna().sum() == 2
    # tables without a dirty file come from data/
    assert not read_table(fixture_dir, schema, "stores", "dirty").source.dirty


def test_table_order_puts_parents_first(fixture_dir):
    order = load_schema_metadata(fixture_dir).table_order()
    for child, parent in [
        ("orders", "customers"),
        ("orders", "calendar"),
        ("order_items", "orders"),
    ]:
        assert order.index(parent) < order.index(child)


def test_not_an_output_folder_says_what_is_missing(tmp_path):
    with pytest.raises(InputError, match=r"not a synthgen_sdv output folder.*schema_metadata"):
        load_schema_metadata(tmp_path)
    with pytest.raises(InputError, match="no such directory"):
        load_schema_metadata(tmp_path / "nope")


def _edit_metadata(out, change):
    path = out / "metadata" / "schema_metadata.json"
    data = json.loads(path.read_text())
    change(data)
    path.write_text(json.dumps(data))


def test_unknown_version_and_bad_references_are_input_errors(fresh_dir):
    _edit_metadata(fresh_dir, lambda d: d.update(version=99))
    with pytest.raises(InputError, match=r"unknown version 99.*reads version 1"):
        load_schema_metadata(fresh_dir)
    _edit_metadata(fresh_dir, lambda d: d.update(version=1))
    _edit_metadata(
        fresh_dir,
        lambda d: d["tables"]["orders"]["foreign_keys"][0].update(parent_table="customer"),
    )
    with pytest.raises(
        InputError,
        match=r"foreign_keys\[0\]\.parent_table: 'customer' is not "
        r"a table; tables are: calendar, stores",
    ):
        load_schema_metadata(fresh_dir)
