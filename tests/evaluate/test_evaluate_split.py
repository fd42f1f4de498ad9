"""Split and subsample by root entity: disjoint roots, referential integrity, sizes reported."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from evaluate_shop import make_shop, shop_metadata
from hypothesis import given, settings
from hypothesis import strategies as st

from synthgen_sdv.core.errors import InputError
from synthgen_sdv.evaluate.relations import TableGraph
from synthgen_sdv.evaluate.split import (
    children_per_parent,
    referential_integrity,
    split_by_root,
    subsample_by_root,
)


def _all_resolve(data, metadata) -> bool:
    # share_resolved is None when a part has no child rows at all: nothing to resolve.
    per = referential_integrity(data, metadata).values()
    return all(v["share_resolved"] in (1.0, None) for v in per)


def test_split_keeps_ri_disjoint_roots_and_every_row(shop, metadata):
    split = split_by_root(shop, metadata, holdout_fraction=0.25, seed=3)
    assert split.info["root_table"] == "customers"
    assert split.info["shared_tables"] == ["products"]
    train_ids = set(split.train["customers"]["customer_id"])
    hold_ids = set(split.holdout["customers"]["customer_id"])
    assert not train_ids & hold_ids
    assert train_ids | hold_ids == set(shop["customers"]["customer_id"])
    assert len(hold_ids) == round(0.25 * len(shop["customers"]))
    assert _all_resolve(split.train, metadata)
    assert _all_resolve(split.holdout, metadata)
    # One path from the root: every descendant row lands in exactly one part.
    for table in ("orders", "transactions"):
        assert len(split.train[table]) + len(split.holdout[table]) == len(shop[table])
        rows = split.info["rows"][table]
        assert (rows["train"], rows["holdout"]) == (
            len(split.train[table]),
            len(split.holdout[table]),
        )
    # A customer's orders all sit with the customer.
    assert set(split.holdout["orders"]["customer_id"]) <= hold_ids
    pd.testing.assert_frame_equal(split.train["products"], shop["products"])


def test_split_is_seeded(shop, metadata):
    a = split_by_root(shop, metadata, 0.2, seed=1).holdout["customers"]["customer_id"]
    b = split_by_root(shop, metadata, 0.2, seed=1).holdout["customers"]["customer_id"]
    c = split_by_root(shop, metadata, 0.2, seed=2).holdout["customers"]["customer_id"]
    assert a.tolist() == b.tolist()
    assert set(a) != set(c)


@settings(max_examples=12, deadline=None, derandomize=True)
@given(fraction=st.floats(0.05, 0.95), seed=st.integers(0, 10_000))
def test_split_property_ri_and_disjoint(fraction, seed):
    data, md = make_shop(40, seed=seed % 7), shop_metadata()
    split = split_by_root(data, md, fraction, seed)
    assert _all_resolve(split.train, md) and _all_resolve(split.holdout, md)
    ids = [set(p["orders"]["order_id"]) for p in (split.train, split.holdout)]
    assert not ids[0] & ids[1]


def test_split_rejects_bad_fraction_and_mismatched_tables(shop, metadata):
    with pytest.raises(InputError, match="holdout_fraction must be between 0 and 1"):
        split_by_root(shop, metadata, 1.5)
    broken = {k: v for k, v in shop.items() if k != "orders"}
    with pytest.raises(InputError, match=r"missing tables \['orders'\]"):
        split_by_root(broken, metadata)


def test_split_by_an_entity_with_parents_shares_the_tables_above(shop, metadata):
    split = split_by_root(shop, metadata, holdout_fraction=0.25, seed=3, root_table="orders")
    assert split.info["root_table"] == "orders"
    assert set(split.info["shared_tables"]) == {"customers", "products"}
    pd.testing.assert_frame_equal(split.train["customers"], shop["customers"])
    pd.testing.assert_frame_equal(split.holdout["customers"], shop["customers"])
    train, hold = (set(p["orders"]["order_id"]) for p in (split.train, split.holdout))
    assert not train & hold and train | hold == set(shop["orders"]["order_id"])
    assert _all_resolve(split.train, metadata) and _all_resolve(split.holdout, metadata)


def test_a_root_too_small_to_split_hands_the_entity_down(shop, metadata):
    """7 offices above customers: the split cuts customers (enough rows), not offices."""
    md = shop_metadata()
    md["tables"]["offices"] = {
        "primary_key": "office_id",
        "columns": {"office_id": {"sdtype": "id"}, "city": {"sdtype": "categorical"}},
    }
    md["tables"]["customers"]["columns"]["office_id"] = {"sdtype": "id"}
    md["relationships"].append(
        {
            "parent_table_name": "offices",
            "parent_primary_key": "office_id",
            "child_table_name": "customers",
            "child_foreign_key": "office_id",
        }
    )
    data = dict(shop)
    data["offices"] = pd.DataFrame({"office_id": range(7), "city": list("abcdefg")})
    data["customers"] = shop["customers"].assign(office_id=np.arange(len(shop["customers"])) % 7)
    graph = TableGraph(md)
    assert len(data["customers"]) >= 20 and graph.roots[0] in ("offices", "products")
    assert graph.entity_root(data) == "customers"
    assert graph.entity_root({**data, "offices": data["customers"]}) == "offices"  # 20+ rows
    split = split_by_root(data, md, 0.2, seed=1)
    assert split.info["root_table"] == "customers" and "offices" in split.info["shared_tables"]
    assert _all_resolve(split.train, md) and _all_resolve(split.holdout, md)


def test_subsample_bounds_roots_keeps_ri_and_reports_sizes(shop, metadata):
    sample = subsample_by_root(shop, metadata, max_root_rows=40, seed=5)
    assert len(sample.data["customers"]) == 40
    assert sample.info["sampled"] is True
    assert sample.info["rows"]["orders"]["kept"] == len(sample.data["orders"])
    assert _all_resolve(sample.data, metadata)
    kept = set(sample.data["customers"]["customer_id"])
    expected_orders = shop["orders"][shop["orders"]["customer_id"].isin(kept)]
    assert len(sample.data["orders"]) == len(expected_orders)


def test_subsample_caps_unreferenced_shared_tables_only(shop, metadata):
    sample = subsample_by_root(shop, metadata, max_root_rows=10_000, max_shared_rows=5)
    # products is shared but referenced by transactions: kept whole so its keys resolve.
    assert len(sample.data["products"]) == len(shop["products"])
    md = shop_metadata()
    md["tables"]["price_log"] = {
        "primary_key": "log_id",
        "columns": {
            "log_id": {"sdtype": "id"},
            "product_id": {"sdtype": "id"},
            "price": {"sdtype": "numerical"},
        },
    }
    md["relationships"].append(
        {
            "parent_table_name": "products",
            "parent_primary_key": "product_id",
            "child_table_name": "price_log",
            "child_foreign_key": "product_id",
        }
    )
    data = dict(shop)
    data["price_log"] = pd.DataFrame(
        {"log_id": np.arange(100), "product_id": np.arange(100) % 20, "price": np.arange(100.0)}
    )
    sample = subsample_by_root(data, md, max_root_rows=10_000, max_shared_rows=30)
    assert len(sample.data["price_log"]) == 30
    assert sample.info["rows"]["price_log"] == {"input": 100, "kept": 30}
    assert sample.info["sampled"] is True
    assert _all_resolve(sample.data, md)


def test_subsample_max_rows_and_small_input_unchanged(shop, metadata):
    total = sum(len(shop[t]) for t in ("customers", "orders", "transactions"))
    bounded = subsample_by_root(shop, metadata, max_root_rows=10_000, seed=0, max_rows=total // 4)
    assert bounded.info["root_rows_kept"] == len(shop["customers"]) // 4
    same = subsample_by_root(shop, metadata, max_root_rows=10_000)
    assert same.info["sampled"] is False
    assert same.data["orders"] is shop["orders"]


def test_subsample_keeps_orphans_instead_of_hiding_them(shop, metadata):
    broken = dict(shop)
    orders = shop["orders"].copy()
    orphan = np.random.default_rng(0).random(len(orders)) < 0.3
    orders.loc[orphan, "customer_id"] = 10_000_000 + np.arange(orphan.sum())
    broken["orders"] = orders
    sample = subsample_by_root(broken, metadata, max_root_rows=100, seed=1)
    ri = referential_integrity(sample.data, metadata)["orders.customer_id -> customers.customer_id"]
    assert 0.5 < ri["share_resolved"] < 0.9


def test_self_reference_is_nulled_and_counted():
    md = {
        "METADATA_SPEC_VERSION": "V1",
        "tables": {
            "employees": {
                "primary_key": "emp_id",
                "columns": {
                    "emp_id": {"sdtype": "id"},
                    "manager_id": {"sdtype": "id"},
                    "salary": {"sdtype": "numerical"},
                },
            }
        },
        "relationships": [
            {
                "parent_table_name": "employees",
                "parent_primary_key": "emp_id",
                "child_table_name": "employees",
                "child_foreign_key": "manager_id",
            }
        ],
    }
    n = 50
    emp = pd.DataFrame(
        {
            "emp_id": np.arange(n),
            "manager_id": pd.array([pd.NA] + [i // 3 for i in range(1, n)], dtype="Int64"),
            "salary": np.linspace(1, 2, n),
        }
    )
    split = split_by_root({"employees": emp}, md, 0.5, seed=0)
    for part in (split.train, split.holdout):
        assert _all_resolve(part, md)
    assert sum(split.info["self_references_nulled"]["train"].values()) > 0


def test_children_per_parent_counts_zeros(shop, metadata):
    counts = children_per_parent(shop, metadata)["orders.customer_id -> customers.customer_id"]
    assert len(counts) == len(shop["customers"])
    assert counts.sum() == len(shop["orders"])
    assert (counts == 0).any()


def test_entity_root_prefers_the_table_with_personal_data():
    md = shop_metadata()
    # A store dimension that owns more tables than customers do, as in the project's schema.
    md["tables"]["stores"] = {
        "primary_key": "store_id",
        "columns": {"store_id": {"sdtype": "id"}, "city": {"sdtype": "categorical"}},
    }
    md["tables"]["orders"]["columns"]["store_id"] = {"sdtype": "id"}
    md["relationships"].append(
        {
            "parent_table_name": "stores",
            "parent_primary_key": "store_id",
            "child_table_name": "orders",
            "child_foreign_key": "store_id",
        }
    )
    md["tables"]["staff"] = {
        "primary_key": "staff_id",
        "columns": {"staff_id": {"sdtype": "id"}, "store_id": {"sdtype": "id"}},
    }
    md["relationships"].append(
        {
            "parent_table_name": "stores",
            "parent_primary_key": "store_id",
            "child_table_name": "staff",
            "child_foreign_key": "store_id",
        }
    )
    assert TableGraph(md).entity_root() == "stores"  # no personal data anywhere: structure
    md["tables"]["customers"]["columns"]["email"] = {"sdtype": "email"}
    assert TableGraph(md).entity_root() == "customers"


def _stations(same_station_share: float):
    """bike_1's shape: stations; trips from one station to another (two references to one
    parent); a time series per station."""
    rng = np.random.default_rng(7)
    n = 600
    start = rng.integers(1, 41, n)
    end = np.where(rng.random(n) < same_station_share, start, rng.integers(1, 41, n))
    data = {
        "station": pd.DataFrame({"id": range(1, 41), "docks": rng.integers(10, 30, 40)}),
        "trip": pd.DataFrame({"id": range(n), "start": start, "end": end}),
        "status": pd.DataFrame({"station_id": np.repeat(np.arange(1, 41), 5), "bikes": 3}),
    }

    def rel(child, col):
        return {
            "parent_table_name": "station",
            "parent_primary_key": "id",
            "child_table_name": child,
            "child_foreign_key": col,
        }

    md = {
        "tables": {
            "station": {
                "primary_key": "id",
                "columns": {"id": {"sdtype": "id"}, "docks": {"sdtype": "numerical"}},
            },
            "trip": {
                "primary_key": "id",
                "columns": {c: {"sdtype": "id"} for c in ("id", "start", "end")},
            },
            "status": {
                "columns": {"station_id": {"sdtype": "id"}, "bikes": {"sdtype": "numerical"}}
            },
        },
        "relationships": [rel("trip", "start"), rel("trip", "end"), rel("status", "station_id")],
    }
    return data, md


def test_trips_between_two_stations_are_the_entity_not_the_stations():
    data, md = _stations(same_station_share=0.1)
    assert TableGraph(md).entity_root(data) == "trip"
    split = split_by_root(data, md, holdout_fraction=0.2, seed=1)
    assert split.info["shared_tables"] == ["station", "status"]
    rows = split.info["rows"]["trip"]
    assert rows["train"] + rows["holdout"] == 600  # split by station, a third were dropped
    assert rows["holdout"] == 120
    assert _all_resolve(split.train, md) and _all_resolve(split.holdout, md)


def test_round_trips_keep_the_stations_as_the_entity():
    data, md = _stations(same_station_share=0.9)  # most rows name one station twice
    assert TableGraph(md).entity_root(data) == "station"


def _lookups_above_everything():
    """WideWorldImporters' shape: every root is a small lookup. 36 colours of which 7 have
    stock items (the other items have none); 8 customer categories above customers (with a
    phone number) above orders above order lines; invoices name a customer and whom to bill
    (another customer on one invoice)."""
    rng = np.random.default_rng(5)
    colour = np.where(rng.random(40) < 0.5, rng.integers(1, 8, 40), np.nan)
    bill_to = rng.integers(1, 61, 100)
    data = {
        "colours": pd.DataFrame({"colour_id": range(1, 37), "name": [f"c{i}" for i in range(36)]}),
        "items": pd.DataFrame({"item_id": range(1, 41), "colour_id": colour}),
        "categories": pd.DataFrame({"cat_id": range(1, 9), "name": list("abcdefgh")}),
        "customers": pd.DataFrame(
            {
                "customer_id": range(1, 61),
                "cat_id": rng.integers(1, 9, 60),
                "phone": [f"555-{i:04d}" for i in range(60)],
            }
        ),
        "orders": pd.DataFrame({"order_id": range(240), "customer_id": rng.integers(1, 61, 240)}),
        "lines": pd.DataFrame(
            {
                "line_id": range(720),
                "order_id": rng.integers(0, 240, 720),
                "item_id": rng.integers(1, 41, 720),
                "qty": rng.integers(1, 9, 720),
            }
        ),
        "invoices": pd.DataFrame(
            {
                "invoice_id": range(100),
                "customer_id": bill_to,
                "bill_to_id": np.where(np.arange(100) == 0, bill_to % 60 + 1, bill_to),
            }
        ),
    }
    ids = {"sdtype": "id"}
    columns = {
        "colours": {"colour_id": ids, "name": {"sdtype": "categorical"}},
        "items": {"item_id": ids, "colour_id": ids},
        "categories": {"cat_id": ids, "name": {"sdtype": "categorical"}},
        "customers": {"customer_id": ids, "cat_id": ids, "phone": {"sdtype": "phone_number"}},
        "orders": {"order_id": ids, "customer_id": ids},
        "lines": {"line_id": ids, "order_id": ids, "item_id": ids, "qty": {"sdtype": "numerical"}},
        "invoices": {"invoice_id": ids, "customer_id": ids, "bill_to_id": ids},
    }
    links = [
        ("colours", "colour_id", "items", "colour_id"),
        ("categories", "cat_id", "customers", "cat_id"),
        ("customers", "customer_id", "orders", "customer_id"),
        ("orders", "order_id", "lines", "order_id"),
        ("items", "item_id", "lines", "item_id"),
        ("customers", "customer_id", "invoices", "customer_id"),
        ("customers", "customer_id", "invoices", "bill_to_id"),
    ]
    md = {
        "METADATA_SPEC_VERSION": "V1",
        "tables": {t: {"primary_key": next(iter(c)), "columns": c} for t, c in columns.items()},
        "relationships": [
            {
                "parent_table_name": p,
                "parent_primary_key": pk,
                "child_table_name": c,
                "child_foreign_key": fk,
            }
            for p, pk, c, fk in links
        ],
    }
    return data, md


def test_a_lookup_whose_few_used_rows_carry_the_data_is_not_the_entity():
    """The 36 colours were the entity (36 rows >= 20, and no table refers twice into their
    subtree), so the split held out one or two colours' items with all their order lines.
    7 colours carry data: too coarse; every table is a candidate and the customers win (the
    one invoice billed to another customer drops a row in a thousand; personal data)."""
    data, md = _lookups_above_everything()
    graph = TableGraph(md)
    assert graph.entity_root(data) == "customers"
    split = split_by_root(data, md, holdout_fraction=0.2, seed=0)
    assert split.info["root_table"] == "customers"
    assert {"colours", "items", "categories"} <= set(split.info["shared_tables"])
    assert len(split.holdout["customers"]) == 12
    assert _all_resolve(split.train, md) and _all_resolve(split.holdout, md)
    # every colour used: 36 rows carry data, the colours are fine enough again
    data["items"]["colour_id"] = np.arange(40) % 36 + 1
    assert graph.entity_root(data) == "colours"


def test_a_root_whose_rows_mostly_have_children_is_cut_by_all_its_rows():
    """The tiny config (seed 3): 4 regions above 30 customers (19 with orders) above orders
    and lines.
    The regions are too coarse; the customers are the entity, cut by their 30 rows (a
    customer without orders is data too), not the orders under them: only a table most of
    whose rows have no children (7 of 36 colours) is cut by the rows that do."""
    import synthgen_sdv as sg

    ds = sg.generate(Path(__file__).parents[1] / "configs" / "tiny", scale=1, seed=3)
    owners = ds.tables["orders"]["customer_id"].nunique()
    assert 15 < owners < 20 < len(ds.tables["customers"])  # the case: under 20 with orders
    graph = TableGraph(ds.metadata.to_dict())
    assert graph.entity_root(ds.tables) == "customers"
