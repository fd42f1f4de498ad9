"""A small database whose children have two and three modeled parents (plain numpy frames).

    regions -> customers -> orders -> lines          (depth 4)
    regions -> stores    -> orders                   (orders: customers + stores, same region 80%)
    products -> lines; stores -> lines               (lines: orders + products + stores)

``lines.store_id`` is always its order's store (a functional diamond); an order's store is in
its customer's region 80% of the time (a shared grandparent); a line's quantity follows its
product's price (what the likelihood of a product's child model can recognise). Six tables,
few columns (HMA's root models every descendant's parameters: this keeps regions near 400
columns); sizes scale with ``n_customers``.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

SAME_REGION = 0.8


def multiparent_tables(n_customers: int = 300, seed: int = 0) -> dict[str, pd.DataFrame]:
    rng = np.random.default_rng(seed)
    n_regions, n_stores, n_products = 5, max(10, n_customers // 20), max(20, n_customers // 10)
    regions = pd.DataFrame(
        {"region_id": np.arange(1, n_regions + 1), "climate": rng.choice(["cold", "warm"], 5)}
    )
    stores = pd.DataFrame(
        {
            "store_id": np.arange(1, n_stores + 1),
            "region_id": rng.integers(1, n_regions + 1, n_stores),
            "size": rng.lognormal(8, 0.4, n_stores).round(0),
        }
    )
    customers = pd.DataFrame(
        {
            "customer_id": np.arange(1, n_customers + 1),
            "region_id": rng.integers(1, n_regions + 1, n_customers),
            "income": rng.lognormal(10.5, 0.5, n_customers).round(0),
        }
    )
    products = pd.DataFrame(
        {
            "product_id": np.arange(1, n_products + 1),
            "price": rng.lognormal(2.5, 0.9, n_products).round(2),
        }
    )
    per_customer = rng.poisson(0.5 + customers["income"].to_numpy() / 30000)
    owner = np.repeat(customers["customer_id"].to_numpy(), per_customer)
    owner_region = np.repeat(customers["region_id"].to_numpy(), per_customer)
    n_orders = len(owner)
    store_region = stores["region_id"].to_numpy()
    local = rng.random(n_orders) < SAME_REGION
    store = rng.integers(1, n_stores + 1, n_orders)
    for i in np.flatnonzero(local):
        same = np.flatnonzero(store_region == owner_region[i])
        if len(same):
            store[i] = same[rng.integers(len(same))] + 1
    orders = pd.DataFrame(
        {
            "order_id": np.arange(1, n_orders + 1),
            "customer_id": owner,
            "store_id": store,
            "amount": rng.lognormal(3.5, 0.6, n_orders).round(2),
        }
    )
    per_order = 1 + rng.poisson(1.5, n_orders)
    line_order = np.repeat(orders["order_id"].to_numpy(), per_order)
    n_lines = len(line_order)
    product = rng.integers(1, n_products + 1, n_lines)
    price = products["price"].to_numpy()[product - 1]
    lines = pd.DataFrame(
        {
            "line_id": np.arange(1, n_lines + 1),
            "order_id": line_order,
            "product_id": product,
            "store_id": orders["store_id"].to_numpy()[line_order - 1],
            "quantity": np.clip(1 + rng.poisson(8 / price), 1, 9),
        }
    )
    return {
        "regions": regions,
        "stores": stores,
        "customers": customers,
        "products": products,
        "orders": orders,
        "lines": lines,
    }


def _rel(parent: str, child: str, key: str) -> dict:
    return {
        "parent_table_name": parent,
        "child_table_name": child,
        "parent_primary_key": key,
        "child_foreign_key": key,
    }


RELATIONSHIPS = [
    _rel("regions", "stores", "region_id"),
    _rel("regions", "customers", "region_id"),
    _rel("customers", "orders", "customer_id"),
    _rel("stores", "orders", "store_id"),
    _rel("orders", "lines", "order_id"),
    _rel("products", "lines", "product_id"),
    _rel("stores", "lines", "store_id"),
]


def multiparent_metadata() -> dict:
    """SDV metadata dict (V1) of ``multiparent_tables``."""
    num = {"sdtype": "numerical"}
    ident = {"sdtype": "id"}
    tables = {
        "regions": {"region_id": ident, "climate": {"sdtype": "categorical"}},
        "stores": {"store_id": ident, "region_id": ident, "size": num},
        "customers": {"customer_id": ident, "region_id": ident, "income": num},
        "products": {"product_id": ident, "price": num},
        "orders": {"order_id": ident, "customer_id": ident, "store_id": ident, "amount": num},
        "lines": {
            "line_id": ident,
            "order_id": ident,
            "product_id": ident,
            "store_id": ident,
            "quantity": num,
        },
    }
    return {
        "METADATA_SPEC_VERSION": "V1",
        "tables": {
            name: {"primary_key": next(iter(cols)), "columns": cols}
            for name, cols in tables.items()
        },
        "relationships": RELATIONSHIPS,
    }
