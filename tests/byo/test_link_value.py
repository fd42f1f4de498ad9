"""Which link HMA's column budget leaves out (detect.graph.limit_columns with
detect.link_value): the links whose parents explain least of their children, not the headers of
line tables (WideWorldImporters' order lines had been cut from their orders and kept under
their 14 package types)."""

from __future__ import annotations

import numpy as np
import pandas as pd

from synthgen_sdv.detect.graph import limit_columns
from synthgen_sdv.detect.link_value import link_value, link_values
from synthgen_sdv.detect.links import Relationship


def _shop(seed: int = 0) -> tuple[dict, dict]:
    """orders -> lines (the lines share their order's date and discount), and a lookup of
    package types the lines point at without differing by them."""
    rng = np.random.default_rng(seed)
    customers = pd.DataFrame({"customer_id": np.arange(60), "region": rng.choice(["n", "s"], 60)})
    orders = pd.DataFrame(
        {
            "order_id": np.arange(300),
            "customer_id": rng.integers(0, 60, 300),
            "day": pd.Timestamp("2020-01-01") + pd.to_timedelta(rng.integers(0, 900, 300), "D"),
            "status": rng.choice(["open", "shipped", "lost"], 300),
            "discount": rng.choice([0.0, 0.05, 0.1, 0.2], 300),
        }
    )
    owner = np.repeat(np.arange(300), rng.integers(1, 6, 300))
    lines = pd.DataFrame(
        {
            "line_id": np.arange(len(owner)),
            "order_id": owner,
            "package_id": rng.integers(0, 4, len(owner)),
            "day": orders["day"].to_numpy()[owner]
            + pd.to_timedelta(rng.integers(0, 2, len(owner)), "D"),
            "status": orders["status"].to_numpy()[owner],
            "discount": orders["discount"].to_numpy()[owner],
            "qty": rng.integers(1, 20, len(owner)),
        }
    )
    packages = pd.DataFrame({"package_id": np.arange(4), "name": ["box", "bag", "crate", "tin"]})
    tables = {"customers": customers, "orders": orders, "lines": lines, "packages": packages}
    columns = {
        "customers": {"customer_id": "id", "region": "categorical"},
        "orders": {
            "order_id": "id",
            "customer_id": "id",
            "day": "datetime",
            "status": "categorical",
        },
        "lines": {
            "line_id": "id",
            "order_id": "id",
            "package_id": "id",
            "day": "datetime",
            "status": "categorical",
            "discount": "numerical",
            "qty": "numerical",
        },
        "packages": {"package_id": "id", "name": "categorical"},
    }
    metadata = {
        "tables": {
            t: {
                "primary_key": next(iter(cols)),
                "columns": {c: {"sdtype": s} for c, s in cols.items()},
            }
            for t, cols in columns.items()
        },
        "relationships": [
            {
                "parent_table_name": p,
                "parent_primary_key": k,
                "child_table_name": c,
                "child_foreign_key": k,
            }
            for p, c, k in (
                ("customers", "orders", "customer_id"),
                ("orders", "lines", "order_id"),
                ("packages", "lines", "package_id"),
            )
        ],
    }
    return tables, metadata


def _rels(metadata: dict) -> list[Relationship]:
    return [
        Relationship(
            r["parent_table_name"],
            r["parent_primary_key"],
            r["child_table_name"],
            r["child_foreign_key"],
            "test",
        )
        for r in metadata["relationships"]
    ]


def _estimate(metadata: dict) -> int:
    """A column count where cutting the header saves more than cutting the lookup."""
    kept = {r["child_foreign_key"] for r in metadata["relationships"]}
    return 10 + 50 * ("order_id" in kept) + 30 * ("package_id" in kept)


def test_a_header_explains_its_lines_and_a_lookup_does_not():
    tables, metadata = _shop()
    _, header, lookup = _rels(metadata)
    assert link_value(tables, metadata, header) > 0.5
    assert link_value(tables, metadata, lookup) < 0.05


def test_the_budget_leaves_out_the_lookup_rather_than_the_header():
    tables, metadata = _shop()
    rels = _rels(metadata)[1:]
    values = link_values(tables, metadata, rels)
    # both cuts are enough (60 or 40 <= 60): by count the header's, saving most, goes
    by_count = limit_columns(metadata, rels, 60, _estimate)
    assert [lo.relationship.column for lo in by_count] == ["order_id"]
    by_value = limit_columns(metadata, rels, 60, _estimate, values=values)
    assert [lo.relationship.column for lo in by_value] == ["package_id"]
    # no single cut is enough (<= 10): the lookup first, it loses least per column saved
    by_value = limit_columns(metadata, rels, 10, _estimate, values=values)
    assert [lo.relationship.column for lo in by_value] == ["package_id", "order_id"]
    by_count = limit_columns(metadata, rels, 10, _estimate)
    assert [lo.relationship.column for lo in by_count] == ["order_id", "package_id"]


def test_the_value_is_measured_where_the_budget_is_exceeded(tmp_path):
    """fit-sample's path (``UserSource.fit_view``) measures values only past the budget, and a
    real folder whose header and lookup both hang under the budget keeps both links."""
    tables, _ = _shop()
    for name, frame in tables.items():
        frame.to_csv(tmp_path / f"{name}.csv", index=False)
    from synthgen_sdv.detect.load import load_user_data
    from synthgen_sdv.runs.from_user import UserSource

    source = UserSource(user=load_user_data(tmp_path, None, "error"))
    hidden, state = source.fit_view(source.default_tables()).state
    assert not [lo for lo, _ in state.left_out]
    assert len(hidden.metadata["relationships"]) == 3
