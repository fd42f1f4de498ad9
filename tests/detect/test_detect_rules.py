"""The rules of key detection, each on a small folder built for it: names first, values as a
check, weak evidence a note, never a key; cycles broken at their weakest link."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from synthgen_sdv.detect.evidence import Keys, inclusion
from synthgen_sdv.detect.graph import LinkShape, break_cycles, limit_columns
from synthgen_sdv.detect.links import Relationship
from synthgen_sdv.detect.load import load_user_data
from synthgen_sdv.detect.names import (
    Level,
    hierarchy_named,
    link_parts,
    name_level,
    named_after_table,
    split_key,
    words,
)
from synthgen_sdv.detect.score import score_keys


def _write(folder, tables: dict[str, pd.DataFrame]) -> None:
    for name, frame in tables.items():
        frame.to_csv(folder / f"{name}.csv", index=False)


def _rels(user) -> set[tuple[str, str, str]]:
    return {
        (r["child_table_name"], r["child_foreign_key"], r["parent_table_name"])
        for r in user.metadata["relationships"]
    }


def _keys(user) -> dict:
    return {t: m.get("primary_key") for t, m in user.metadata["tables"].items()}


@pytest.mark.parametrize(
    ("column", "parent", "key", "level"),
    [
        ("customer_id", "customers", "customer_id", Level.SAME),
        ("CustomerId", "Customer", "CustomerId", Level.SAME),
        ("customerid", "customers", "customer_id", Level.SAME),
        ("VendorID", "Vendor", "BusinessEntityID", Level.TABLE),
        ("ShipToAddressID", "Address", "AddressID", Level.TABLE),
        ("manager_staff_id", "staff", "staff_id", Level.TABLE),
        ("original_language_id", "language", "language_id", Level.TABLE),
        ("SizeUnitMeasureCode", "UnitMeasure", "UnitMeasureCode", Level.TABLE),
        ("home_store_id", "stores", "id", Level.TABLE),
        ("ship_via", "shippers", "shipper_id", Level.ABBREVIATION),
        ("stor_id", "stores", "store_id", Level.ABBREVIATION),
        ("ProductAssemblyID", "Product", "ProductID", Level.QUALIFIED),
        ("SupportRepId", "Employee", "EmployeeId", Level.ABBREVIATION),  # a staff role
        ("account_manager_id", "staff", "staff_id", Level.ABBREVIATION),
        ("SupportRepId", "Customer", "CustomerId", Level.NONE),
        ("region", "regions", "region_code", Level.ABBREVIATION),  # the table's name, no key word
        ("Region", "Region", "RegionID", Level.ABBREVIATION),
        ("region_name", "regions", "region_code", Level.NONE),
        ("status", "orders", "order_id", Level.NONE),
        ("rental_duration", "rental", "rental_id", Level.NONE),
        ("prod_category_id", "promotions", "promo_id", Level.NONE),
        ("id", "orders", "id", Level.NONE),  # every table's "id" says nothing
        ("customerNumber", "customers", "customerNumber", Level.SAME),
        ("salesRepEmployeeNumber", "employees", "employeeNumber", Level.TABLE),
        ("order_nbr", "orders", "order_id", Level.TABLE),
        ("productLine", "productlines", "productLine", Level.SAME),
        ("phone_number", "customers", "customer_id", Level.NONE),
    ],
)
def test_name_levels(column, parent, key, level):
    assert name_level(column, parent, key) == level


def test_names_split_camel_and_snake_case():
    assert words("ShipToAddressID") == ("ship", "to", "address", "id")
    assert words("HTTPServerID") == ("http", "server", "id")
    assert split_key("SupportRepId") == (("support", "rep"), "id")
    assert split_key("ReportsTo") == (("reports",), "to")
    assert split_key("fk_customer") == (("customer",), "fk")
    assert split_key("valid") == ((), None) and split_key("rowguid") == ((), None)
    assert hierarchy_named("ReportsTo") and hierarchy_named("parent_id")
    assert hierarchy_named("manager_id") and not hierarchy_named("customer_id")
    assert named_after_table("time_id", "times") == Level.TABLE
    assert named_after_table("id", "orders") == Level.TABLE
    assert named_after_table("stor_id", "stores") == Level.ABBREVIATION
    assert named_after_table("SalesOrderID", "SalesOrderHeader") == Level.QUALIFIED
    assert named_after_table("au_id", "authors") == Level.NONE  # "au" abbreviates too much
    assert named_after_table("orderNumber", "orders") == Level.TABLE
    assert named_after_table("productLine", "productlines") == Level.TABLE  # a natural key
    assert named_after_table("country", "countries") == Level.TABLE
    assert named_after_table("name", "countries") == Level.NONE
    # a compound one linking letter apart (Spider's formula_1 in German: constructor results)
    assert named_after_table("konstrukteur_ergebnisse_id", "konstrukteursergebnisse") == (
        Level.ABBREVIATION
    )
    assert named_after_table("race_id", "races") == Level.TABLE  # short: plurals only
    names = ["film", "actor", "category", "titles", "authors", "Playlist", "Track", "orders"]
    assert link_parts("film_actor", names) == ["film", "actor"]
    assert link_parts("titleauthor", names) == ["titles", "authors"]
    assert link_parts("PlaylistTrack", names) == ["Playlist", "Track"]
    assert link_parts("order_details", names) is None


def test_inclusion_in_a_dense_range_is_no_evidence():
    dense = Keys.of(pd.Series(np.arange(1, 16050)), "int")
    small = inclusion(pd.Series([3, 4, 5, 6, 7] * 20), dense, "int")
    assert small.contained and small.chance == 1.0 and not small.strong
    gaps = Keys.of(pd.Series([1, 2, 3, 4, *range(316, 1000)]), "int")
    assert inclusion(pd.Series(range(316, 400)), gaps, "int").strong
    offset = Keys.of(pd.Series(range(100, 207)), "int")  # keys far from 1
    assert inclusion(pd.Series(range(100, 206, 3)), offset, "int").strong
    outside = inclusion(pd.Series([1, 99999]), dense, "int")
    assert not outside.contained and outside.outside.tolist() == [99999]
    dates = Keys.of(pd.Series(pd.date_range("2021-01-01", periods=30)), "date")
    assert not inclusion(pd.Series(pd.date_range("2021-01-01", periods=9)), dates, "date").strong


def test_three_tables_of_a_bigger_database_invent_nothing(tmp_path):
    """The issue's case: small id columns of absent parents inside a dense payment_id range."""
    rng = np.random.default_rng(0)
    customer = pd.DataFrame(
        {
            "customer_id": np.arange(1, 600),
            "store_id": rng.integers(1, 3, 599),
            "address_id": rng.permutation(np.arange(5, 605))[:599],
        }
    )
    rental = pd.DataFrame(
        {
            "rental_id": np.arange(1, 3001),
            "inventory_id": rng.integers(1, 4582, 3000),
            "customer_id": rng.integers(1, 600, 3000),
            "staff_id": rng.integers(1, 3, 3000),
        }
    )
    payment = pd.DataFrame(
        {
            "payment_id": np.arange(1, 16050),
            "customer_id": rng.integers(1, 600, 16049),
            "staff_id": rng.integers(1, 3, 16049),
            "rental_id": rng.integers(1, 3001, 16049),
        }
    )
    _write(tmp_path, {"customer": customer, "rental": rental, "payment": payment})
    user = load_user_data(tmp_path)
    assert _rels(user) == {
        ("rental", "customer_id", "customer"),
        ("payment", "customer_id", "customer"),
        ("payment", "rental_id", "rental"),
    }
    assert user.left_out == []
    notes = "\n".join(user.notes)
    assert "named like keys of tables that are not in the folder" in notes
    for col in ("customer.address_id ('address')", "rental.inventory_id ('inventory')"):
        assert col in notes


def test_roles_hierarchies_and_strong_values(tmp_path):
    rng = np.random.default_rng(1)
    part_ids = np.array([1, 2, 3, 4, *range(316, 400)])
    _write(
        tmp_path,
        {
            "Address": pd.DataFrame({"AddressID": np.arange(1, 41), "City": ["x"] * 40}),
            "Header": pd.DataFrame(
                {
                    "HeaderID": np.arange(1, 31),
                    "ShipToAddressID": rng.integers(1, 41, 30),
                    "BillToAddressID": rng.integers(1, 41, 30),
                    "SalesRepId": rng.integers(1, 4, 30),  # a staff role: the Employee table
                    "TerritoryId": rng.integers(1, 4, 30),  # names no table, small integers
                }
            ),
            "Part": pd.DataFrame({"PartID": part_ids, "Name": [f"p{i}" for i in part_ids]}),
            "Bom": pd.DataFrame(
                {
                    "BomID": np.arange(1, 61),
                    "ComponentID": rng.choice(part_ids[4:], 60),  # by values alone
                }
            ),
            "Employee": pd.DataFrame(
                {
                    "EmployeeId": np.arange(1, 9),
                    "ReportsTo": pd.array([None, 1, 1, 2, 2, 2, 1, 3], dtype="Int64"),
                }
            ),
        },
    )
    user = load_user_data(tmp_path)
    assert _rels(user) == {
        ("Header", "ShipToAddressID", "Address"),
        ("Header", "BillToAddressID", "Address"),
        ("Header", "SalesRepId", "Employee"),
        ("Bom", "ComponentID", "Part"),
        ("Employee", "ReportsTo", "Employee"),
    }
    why = "\n".join(user.reasons)
    assert "Bom.ComponentID -> Part.PartID: by values alone" in why
    assert "its name names no table in the folder" in why
    assert "self reference Employee.ReportsTo -> Employee.EmployeeId: named for a hierarchy" in why
    assert "Header.TerritoryId ('territory')" in "\n".join(user.notes)


def test_primary_keys_by_name_link_history_extension_and_none(tmp_path):
    rng = np.random.default_rng(2)
    times = pd.date_range("2021-01-01", periods=20)
    guid = [f"{i:08x}-aaaa-bbbb-cccc-{i:012x}" for i in range(30)]
    _write(
        tmp_path,
        {
            "times": pd.DataFrame({"time_id": times, "day": np.arange(20) % 7}),
            "film": pd.DataFrame({"film_id": np.arange(1, 11), "rowguid": guid[:10]}),
            "category": pd.DataFrame({"category_id": [1, 2, 3]}),
            # each film has one category: film_id alone is unique, yet this is a link table
            "film_category": pd.DataFrame(
                {"film_id": np.arange(1, 11), "category_id": rng.integers(1, 4, 10)}
            ),
            "job_history": pd.DataFrame(
                {
                    "film_id": [1, 1, 2, 2, 3],
                    "start_date": [
                        "2020-01-01",
                        "2021-01-01",
                        "2020-01-01",
                        "2020-06-01",
                        "2020-01-01",
                    ],
                    "category_id": [1, 2, 1, 1, 3],
                }
            ),
            "publishers": pd.DataFrame({"pub_id": ["0736", "0877", "1389"], "name": list("abc")}),
            "pub_info": pd.DataFrame({"pub_id": ["0736", "0877", "1389"], "info": list("xyz")}),
            "titles": pd.DataFrame({"title_id": ["T1", "T2"], "pub_id": ["0736", "1389"]}),
            "inventory": pd.DataFrame(
                {
                    "film_id": np.repeat(np.arange(1, 11), 3),
                    "location_id": np.tile([1, 2, 3], 10),
                    "rowguid": guid,
                }
            ),
            # a fact table: all references together are unique, but that is no key
            "costs": pd.DataFrame(
                {
                    "film_id": np.repeat(np.arange(1, 11), 4),
                    "time_id": np.tile(times[:2], 20),
                    "category_id": np.tile(np.repeat([1, 2], 2), 10),
                    "cost": rng.random(40),
                }
            ),
        },
    )
    user = load_user_data(tmp_path)
    keys = _keys(user)
    assert keys["times"] == "time_id" and user.types["times"]["time_id"] == "date"
    assert keys["film_category"] == ["film_id", "category_id"]
    assert keys["job_history"] == ["film_id", "start_date"]
    assert keys["pub_info"] == "pub_id" and keys["publishers"] == "pub_id"
    assert keys["inventory"] == ["film_id", "location_id"]  # not the GUID
    assert keys["costs"] is None
    rels = _rels(user)
    assert ("titles", "pub_id", "publishers") in rels  # not pub_info: it extends publishers
    assert ("pub_info", "pub_id", "publishers") in rels
    assert ("costs", "time_id", "times") in rels  # a date key
    assert not any(p == "pub_info" for _, _, p in rels)


def test_cycles_are_broken_at_the_weakest_link(tmp_path):
    _write(
        tmp_path,
        {
            "store": pd.DataFrame({"store_id": [1, 2], "manager_staff_id": [1, 2]}),
            "staff": pd.DataFrame({"staff_id": [1, 2, 3], "store_id": [1, 2, 2]}),
        },
    )
    user = load_user_data(tmp_path)
    assert _rels(user) == {("staff", "store_id", "store")}
    [left] = user.left_out
    assert left.relationship.label() == "store.manager_staff_id -> staff.staff_id"
    assert "closes the cycle" in left.reason and "weakest" in left.reason
    doc = user.document()
    assert doc["unmodeled_relationships"][0]["child_foreign_key"] == "manager_staff_id"
    assert "left out of the model" in user.describe()
    keys = {
        "tables": {"store": {"primary_key": "store_id"}, "staff": {"primary_key": "staff_id"}},
        "foreign_keys": [
            {
                "child": "store",
                "column": "manager_staff_id",
                "parent": "staff",
                "parent_column": "staff_id",
            },
            {
                "child": "staff",
                "column": "store_id",
                "parent": "store",
                "parent_column": "store_id",
            },
        ],
    }
    score = score_keys(doc, keys)
    assert score.foreign.recall == 1.0 and score.foreign.precision == 1.0
    assert score.primary.as_dict()["found"] == ["store.store_id", "staff.staff_id"]


def _rel(child, col, parent, level=Level.SAME, nullable=False):
    return Relationship(parent, f"{parent}_id", child, col, "", int(level), nullable)


def test_break_cycles_and_limit_columns_choose_the_weakest():
    a = _rel("b", "a_id", "a")
    b = _rel("c", "b_id", "b")
    c = _rel("a", "c_ref", "c", level=Level.ABBREVIATION)
    kept, left = break_cycles([a, b, c])
    assert kept == [a, b] and [x.relationship for x in left] == [c]
    assert "closes the cycle a -> c -> b -> a" in left[0].reason
    d = _rel("a", "b_id", "b", nullable=True)  # equal names: the optional one goes
    kept, left = break_cycles([a, d])
    assert kept == [a] and "optional" in left[0].reason

    md = {"tables": {}, "relationships": [r.as_sdv() for r in (a, b)]}
    cost = {frozenset(): 10, frozenset({"b_id"}): 500, frozenset({"a_id"}): 5000}

    def estimate(m):
        return cost.get(frozenset(r["child_foreign_key"] for r in m["relationships"]), 99999)

    [cut] = limit_columns(md, [a, b], 1000, estimate)
    assert cut.relationship is a and "bringing the estimate to 500" in cut.reason


def test_link_shape_keeps_the_real_shape():
    child = pd.Series([1, 1, 1, 2, None, None, 3, 3] * 50)
    shape = LinkShape.learn(child, pd.Series(range(1, 11)))
    assert shape.null_rate == 0.25 and shape.referenced_share == 0.3
    drawn = shape.draw(4000, pd.Series(np.arange(100, 200)), np.random.default_rng(0))
    assert drawn.dropna().isin(range(100, 200)).all()
    assert abs(drawn.isna().mean() - 0.25) < 0.03
    assert drawn.dropna().nunique() == 30


def test_link_shape_rows_per_parent_follow_the_real_counts():
    """Each real parent has one row: the re-attached key keeps one row per parent (a
    multinomial over equal weights would leave a third of them with none)."""
    child = pd.Series(np.arange(200))
    shape = LinkShape.learn(child, pd.Series(np.arange(200)))
    drawn = shape.draw(200, pd.Series(np.arange(1000, 1200)), np.random.default_rng(1))
    assert drawn.value_counts().max() == 1 and drawn.nunique() == 200


def test_link_shape_follows_a_tight_pair_of_columns():
    """A payment is made on its rental's date: the re-attached rental is one whose date fits,
    so the child and parent dates stay correlated (a random key loses that)."""
    rng = np.random.default_rng(2)
    days = pd.Timestamp("2021-01-01") + pd.to_timedelta(rng.integers(0, 900, 300), unit="D")
    rentals = pd.DataFrame({"rental_id": np.arange(300), "rental_date": days})
    payments = pd.DataFrame(
        {
            "rental_id": np.arange(300),
            "payment_date": days + pd.to_timedelta(rng.integers(0, 24, 300), unit="h"),
            "amount": rng.gamma(2.0, 2.0, 300),
        }
    )
    shape = LinkShape.learn(
        payments["rental_id"],
        rentals["rental_id"],
        payments.drop(columns=["rental_id"]),
        rentals.drop(columns=["rental_id"]),
    )
    assert shape.anchor == ("payment_date", "rental_date")
    assert 0 < shape.offset < 24 * 3600
    # sampled tables: new rentals and payments whose dates the models drew
    new_days = pd.Timestamp("2021-01-01") + pd.to_timedelta(rng.integers(0, 900, 300), unit="D")
    sampled_rentals = pd.DataFrame({"rental_id": np.arange(500, 800), "rental_date": new_days})
    sampled_payments = pd.DataFrame(
        {"payment_date": new_days[rng.permutation(300)] + pd.Timedelta(hours=5)}
    )
    keys = sampled_rentals["rental_id"]

    def correlation(drawn):
        dates = sampled_rentals.set_index("rental_id")["rental_date"].reindex(drawn.to_numpy())
        return np.corrcoef(sampled_payments["payment_date"].astype("int64"), dates.astype("int64"))[
            0, 1
        ]

    matched = shape.draw(300, keys, np.random.default_rng(3), sampled_payments, sampled_rentals)
    unmatched = shape.draw(300, keys, np.random.default_rng(3))
    assert matched.nunique() == 300
    assert correlation(matched) > 0.99
    assert abs(correlation(unmatched)) < 0.3


def test_number_keys_and_natural_keys_named_like_the_table(tmp_path):
    """ClassicModels' naming: ``customerNumber`` keys, a text key named like its table
    (``productlines.productLine``); a repeating column named like its table is no problem, and
    the table's ``..._id`` wins over its name column."""
    _write(
        tmp_path,
        {
            "customers": pd.DataFrame(
                {"customerNumber": [103, 112, 114], "phone_number": ["1", "2", "3"]}
            ),
            "orders": pd.DataFrame(
                {"orderNumber": [10, 11, 12, 13], "customerNumber": [103, 103, 114, 112]}
            ),
            "productlines": pd.DataFrame({"productLine": ["Cars", "Ships"], "text": ["a", "b"]}),
            "products": pd.DataFrame(
                {"productCode": ["S1", "S2", "S3"], "productLine": ["Cars", "Cars", "Ships"]}
            ),
            "country": pd.DataFrame({"country_id": [1, 2], "country": ["Chad", "Peru"]}),
            "status": pd.DataFrame({"status": ["open", "open", "done"], "n": [1, 2, 3]}),
        },
    )
    user = load_user_data(tmp_path)
    keys = _keys(user)
    assert keys["customers"] == "customerNumber" and keys["orders"] == "orderNumber"
    assert keys["productlines"] == "productLine" and keys["products"] == "productCode"
    assert keys["country"] == "country_id" and keys["status"] is None
    rels = _rels(user)
    assert ("orders", "customerNumber", "customers") in rels
    assert ("products", "productLine", "productlines") in rels


def test_warehouse_prefixes_do_not_hide_the_table_a_key_names(tmp_path):
    """``fact_sales.customer_id`` -> ``dim_customer.id``; ``tbl_Orders`` as ``Orders``."""
    rng = np.random.default_rng(4)
    _write(
        tmp_path,
        {
            "dim_customer": pd.DataFrame(
                {"id": np.arange(1, 41), "segment": rng.integers(0, 3, 40)}
            ),
            "dim_product": pd.DataFrame({"id": np.arange(1, 31), "price": rng.random(30)}),
            "fact_sales": pd.DataFrame(
                {
                    "id": np.arange(1, 201),
                    "customer_id": rng.integers(1, 41, 200),
                    "product_id": rng.integers(1, 31, 200),
                    "amount": rng.random(200),
                }
            ),
            "tbl_Orders": pd.DataFrame(
                {"OrderID": np.arange(1, 51), "customer_id": rng.integers(1, 41, 50)}
            ),
        },
    )
    user = load_user_data(tmp_path)
    keys = _keys(user)
    assert keys["dim_customer"] == "id" and keys["fact_sales"] == "id"
    assert keys["tbl_Orders"] == "OrderID"
    rels = _rels(user)
    assert ("fact_sales", "customer_id", "dim_customer") in rels
    assert ("fact_sales", "product_id", "dim_product") in rels
    assert ("tbl_Orders", "customer_id", "dim_customer") in rels
    assert len(rels) == 3
