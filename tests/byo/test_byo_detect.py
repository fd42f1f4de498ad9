"""Bring-your-own-data loading: detection on Northwind, user metadata checks and round trip."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pandas as pd
import pytest

from synthgen_sdv.core.errors import InputError
from synthgen_sdv.detect.load import load_user_data
from synthgen_sdv.detect.userdata import save_metadata

NORTHWIND = Path(__file__).resolve().parents[2].parent / "shared/datasets/northwind"
needs_northwind = pytest.mark.skipif(
    not (NORTHWIND / "orders.csv").is_file(),
    reason=f"the Northwind CSV files are not at {NORTHWIND} (../shared/datasets/northwind)",
)


@pytest.fixture(scope="module")
def northwind():
    if not (NORTHWIND / "orders.csv").is_file():
        pytest.skip(f"the Northwind CSV files are not at {NORTHWIND}")
    return load_user_data(NORTHWIND)


def _rels(metadata: dict) -> set[tuple[str, str, str, str]]:
    return {
        (
            r["child_table_name"],
            r["child_foreign_key"],
            r["parent_table_name"],
            r["parent_primary_key"],
        )
        for r in metadata["relationships"]
    }


@needs_northwind
def test_northwind_keys_and_relationships(northwind):
    md = northwind.metadata
    keys = {t: m.get("primary_key") for t, m in md["tables"].items()}
    assert keys == {
        "categories": "category_id",
        "customers": "customer_id",
        "employees": "employee_id",
        "order_details": ["order_id", "product_id"],
        "orders": "order_id",
        "products": "product_id",
        "shippers": "shipper_id",
        "suppliers": "supplier_id",
    }
    assert _rels(md) == {
        ("orders", "customer_id", "customers", "customer_id"),
        ("orders", "employee_id", "employees", "employee_id"),
        ("orders", "ship_via", "shippers", "shipper_id"),
        ("order_details", "order_id", "orders", "order_id"),
        ("order_details", "product_id", "products", "product_id"),
        ("products", "supplier_id", "suppliers", "supplier_id"),
        ("products", "category_id", "categories", "category_id"),
        ("employees", "reports_to", "employees", "employee_id"),
    }
    why = "\n".join(northwind.reasons)
    # what sdv's own detection misses is said, with the reason we found it
    assert "orders.ship_via -> shippers.shipper_id" in why
    assert "a staff role or the table's name) after shippers.shipper_id" in why
    assert "(sdv's detection missed it)" in why
    assert "self reference employees.reports_to -> employees.employee_id" in why
    assert "(order_id, product_id) is unique together and no part of it is" in why
    text = northwind.describe()
    assert "key (order_id, product_id)" in text and "orders.ship_via -> shippers" in text


@needs_northwind
def test_northwind_types_text_keys_and_pii(northwind):
    md, types, tables = northwind.metadata, northwind.types, northwind.tables
    # text keys keep their shape: new keys look like ALFKI
    assert md["tables"]["customers"]["columns"]["customer_id"] == {
        "sdtype": "id",
        "regex_format": "[A-Z]{5}",
    }
    # dates stored as text are parsed, missing shipped dates stay missing
    assert types["orders"]["shipped_date"] == "date"
    assert pd.api.types.is_datetime64_any_dtype(tables["orders"]["shipped_date"])
    assert tables["orders"]["shipped_date"].isna().sum() == 21
    assert md["tables"]["orders"]["columns"]["order_date"] == {
        "sdtype": "datetime",
        "datetime_format": "%Y-%m-%d",
    }
    assert any("orders.order_date: dates stored as text" in n for n in northwind.notes)
    # a postal code with a leading zero stays text; an int key with nulls stays int
    assert types["customers"]["postal_code"] == "string"
    assert tables["customers"]["postal_code"].dropna().str.startswith("0").any()
    assert types["employees"]["reports_to"] == "int"
    assert types["order_details"]["discount"] == "float"
    # sdv takes ship_address for an IPv6 address; corrected by name
    assert md["tables"]["orders"]["columns"]["ship_address"] == {"sdtype": "address", "pii": True}
    assert md["tables"]["customers"]["columns"]["phone"]["sdtype"] == "phone_number"


@needs_northwind
def test_metadata_round_trip(northwind, tmp_path):
    path = save_metadata(northwind, tmp_path / "metadata" / "detected_metadata.json")
    again = load_user_data(NORTHWIND, path)
    assert again.metadata == northwind.metadata
    assert again.types == northwind.types
    for name, frame in northwind.tables.items():
        pd.testing.assert_frame_equal(again.tables[name], frame)
    assert again.metadata_file == path
    # the saved file is plain JSON a user can edit
    assert json.loads(path.read_text())["tables"]["orders"]["primary_key"] == "order_id"


@needs_northwind
def test_bad_metadata_lists_every_problem(northwind, tmp_path):
    md = json.loads(json.dumps(northwind.metadata))
    md["tables"]["orders"]["primary_key"] = "customer_id"  # not unique
    md["tables"]["customers"]["columns"]["segment"] = {"sdtype": "categorical"}  # no column
    md["tables"]["products"]["columns"]["quantity_per_unit"] = {"sdtype": "numerical"}
    md["relationships"].append(
        {
            "parent_table_name": "employees",
            "parent_primary_key": "employee_id",
            "child_table_name": "order_details",
            "child_foreign_key": "quantity",  # values up to 130, only 9 employees
        }
    )
    path = tmp_path / "bad.json"
    path.write_text(json.dumps(md))
    with pytest.raises(InputError) as err:
        load_user_data(NORTHWIND, path)
    msg = str(err.value)
    assert msg.startswith(f"--metadata {path}: ")
    assert "tables.orders.primary_key (orders.csv): orders.csv, column customer_id: " in msg
    assert "repeat a key value, e.g. " in msg and "--bad-rows drop" in msg
    assert "tables.customers.columns.segment: not a column of customers.csv" in msg
    assert "tables.products.columns.quantity_per_unit (products.csv): sdtype numerical" in msg
    assert "'10 boxes x 30 bags'" in msg
    assert "rows of order_details.quantity (order_details.csv) point to no " in msg
    assert "employees.employee_id" in msg
    # the primary-key problem also breaks the orders.order_id relationship; all are listed
    assert (
        "(order_details.order_id -> orders.order_id).parent_primary_key: 'order_id' is not the "
        "primary key of orders (it is 'customer_id')" in msg
    )
    # orders.order_id is no longer its key nor a foreign key: SDV would fill it with ids
    assert "tables.orders.columns.order_id (orders.csv): sdtype id, but the column is" in msg
    assert msg.count("\n  - ") == 6


def test_metadata_file_errors(tmp_path):
    data = tmp_path / "data"
    data.mkdir()
    (data / "t.csv").write_text("id,d\n1,2020-01-31\n2,31/01/2020\n")
    bad_json = tmp_path / "m.json"
    bad_json.write_text("{ not json")
    with pytest.raises(InputError, match=r"m.json: not valid JSON .* at line 1"):
        load_user_data(data, bad_json)
    no_tables = tmp_path / "n.json"
    no_tables.write_text('{"foo": 1}')
    with pytest.raises(InputError, match="expected SDV metadata"):
        load_user_data(data, no_tables)
    fmt = tmp_path / "f.json"
    fmt.write_text(
        json.dumps(
            {
                "tables": {
                    "t": {
                        "primary_key": "id",
                        "columns": {
                            "id": {"sdtype": "id"},
                            "d": {"sdtype": "datetime", "datetime_format": "%Y-%m-%d"},
                        },
                    },
                    "missing": {"columns": {"x": {"sdtype": "categorical"}}},
                }
            }
        )
    )
    with pytest.raises(InputError) as err:
        load_user_data(data, fmt)
    msg = str(err.value)
    assert "tables.t.columns.d (t.csv): values do not match datetime_format '%Y-%m-%d'" in msg
    assert "e.g. '31/01/2020'" in msg
    assert "tables.missing: no file missing.csv or missing.parquet" in msg


def _write(folder: Path, name: str, text: str) -> None:
    (folder / f"{name}.csv").write_text(text)


def test_detection_rules_on_small_tables(tmp_path):
    # codes with leading zeros stay text; day-first dates; a key named like the table;
    # a foreign key named after its parent; small integers inside dense key ranges are no
    # evidence: area_code is linked to nothing
    _write(tmp_path, "stores", "store_id,zip,opened\n1,01234,31/12/2020\n2,99999,15/01/2021\n")
    _write(tmp_path, "regions", "region_id,name\n1,north\n2,south\n")
    _write(
        tmp_path,
        "visits",
        "visit_id,store_id,area_code,flag\n1,1,1,true\n2,2,2,false\n3,1,2,TRUE\n",
    )
    user = load_user_data(tmp_path)
    assert user.types["stores"]["zip"] == "string"
    assert user.types["stores"]["opened"] == "date"
    assert user.metadata["tables"]["stores"]["columns"]["opened"]["datetime_format"] == "%d/%m/%Y"
    assert user.types["visits"]["flag"] == "bool"
    assert _rels(user.metadata) == {("visits", "store_id", "stores", "store_id")}
    assert user.metadata["tables"]["visits"]["columns"]["area_code"]["sdtype"] != "id"


def test_dangling_named_key_is_reported_not_used(tmp_path):
    _write(tmp_path, "customers", "customer_id,name\n1,a\n2,b\n")
    _write(tmp_path, "orders", "order_id,customer_id\n1,1\n2,3\n")
    user = load_user_data(tmp_path)
    assert user.metadata["relationships"] == []
    assert any(
        "orders.customer_id: named like customers.customer_id but 1 of its values" in n
        and "e.g. 3" in n
        for n in user.notes
    )


def test_data_dir_errors(tmp_path):
    with pytest.raises(InputError, match="no such directory"):
        load_user_data(tmp_path / "nope")
    with pytest.raises(InputError, match=r"no \.csv or \.parquet files"):
        load_user_data(tmp_path)
    _write(tmp_path, "a", "x\n1\n")
    pd.DataFrame({"x": [1]}).to_parquet(tmp_path / "a.parquet")
    with pytest.raises(InputError, match="table 'a' has two files"):
        load_user_data(tmp_path)


def test_parquet_input_and_schema_metadata_as_metadata(tmp_path):
    # a folder written by this project reads back with its own schema_metadata.json
    from synthgen_sdv.io.output import staged_output
    from synthgen_sdv.runs.output import write_user_output

    src = tmp_path / "src"
    src.mkdir()
    _write(src, "parents", "parent_id,born\nA1,2020-01-01\nA2,2021-06-30\n")
    _write(src, "kids", "kid_id,parent_id,score\n1,A1,1.5\n2,A1,\n3,A2,2.0\n")
    user = load_user_data(src)
    out = tmp_path / "out"
    with staged_output(out) as tmp:
        write_user_output(tmp, user.tables, user.metadata, user.types, seed=3)
    shutil.copytree(out / "data", tmp_path / "data")
    again = load_user_data(tmp_path / "data", out / "metadata" / "schema_metadata.json")
    assert _rels(again.metadata) == {("kids", "parent_id", "parents", "parent_id")}
    assert again.types == user.types
    for name, frame in user.tables.items():
        pd.testing.assert_frame_equal(
            again.tables[name].reset_index(drop=True),
            frame.reset_index(drop=True),
            check_dtype=False,
        )


def test_declared_foreign_key_with_no_values_takes_the_parent_type(tmp_path):
    # Sakila's film.original_language_id is empty in every row: it reads as text, yet a
    # declared relationship to the integer language_id must load (stock SDV's metadata does)
    data = tmp_path / "data"
    data.mkdir()
    (data / "language.csv").write_text("language_id,name\n1,English\n2,Italian\n")
    rows = "".join(f"{i},t{i},{1 + i % 2},\n" for i in range(1, 11))
    (data / "film.csv").write_text("film_id,title,language_id,original_language_id\n" + rows)
    md = {
        "METADATA_SPEC_VERSION": "V1",
        "tables": {
            "language": {
                "primary_key": "language_id",
                "columns": {"language_id": {"sdtype": "id"}, "name": {"sdtype": "categorical"}},
            },
            "film": {
                "primary_key": "film_id",
                "columns": {
                    "film_id": {"sdtype": "id"},
                    "title": {"sdtype": "categorical"},
                    "language_id": {"sdtype": "id"},
                    "original_language_id": {"sdtype": "id"},
                },
            },
        },
        "relationships": [
            {
                "parent_table_name": "language",
                "parent_primary_key": "language_id",
                "child_table_name": "film",
                "child_foreign_key": fk,
            }
            for fk in ("language_id", "original_language_id")
        ],
    }
    path = tmp_path / "metadata.json"
    path.write_text(json.dumps(md))
    user = load_user_data(data, path)
    assert user.types["film"]["original_language_id"] == user.types["language"]["language_id"]
    assert user.tables["film"]["original_language_id"].isna().all()
    assert len(user.metadata["relationships"]) == 2
    # a column with values of the wrong type is still refused
    (data / "film.csv").write_text(
        "film_id,title,language_id,original_language_id\n1,a,1,x\n2,b,2,\n"
    )
    with pytest.raises(InputError, match="original_language_id holds string values"):
        load_user_data(data, path)
