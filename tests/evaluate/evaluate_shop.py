"""A tiny customers -> orders -> transactions shop with real dependencies, for evaluate tests.

A module with a unique name (not conftest) so ``from evaluate_shop import ...`` cannot pick up
another test folder's conftest.

segment drives income and channel; income drives how many orders a customer places; amount is
price x quantity. A ``products`` dimension is shared by transactions (a second root).
"""

from __future__ import annotations

import numpy as np
import pandas as pd

SEGMENTS = np.array(["budget", "regular", "premium"])


def shop_metadata() -> dict:
    return {
        "METADATA_SPEC_VERSION": "V1",
        "tables": {
            "customers": {
                "primary_key": "customer_id",
                "columns": {
                    "customer_id": {"sdtype": "id"},
                    "segment": {"sdtype": "categorical"},
                    "income": {"sdtype": "numerical"},
                    "age": {"sdtype": "numerical"},
                    "signup_date": {"sdtype": "datetime", "datetime_format": "%Y-%m-%d"},
                },
            },
            "products": {
                "primary_key": "product_id",
                "columns": {
                    "product_id": {"sdtype": "id"},
                    "category": {"sdtype": "categorical"},
                    "list_price": {"sdtype": "numerical"},
                },
            },
            "orders": {
                "primary_key": "order_id",
                "columns": {
                    "order_id": {"sdtype": "id"},
                    "customer_id": {"sdtype": "id"},
                    "channel": {"sdtype": "categorical"},
                    "order_value": {"sdtype": "numerical"},
                },
            },
            "transactions": {
                "primary_key": "transaction_id",
                "columns": {
                    "transaction_id": {"sdtype": "id"},
                    "order_id": {"sdtype": "id"},
                    "product_id": {"sdtype": "id"},
                    "price": {"sdtype": "numerical"},
                    "quantity": {"sdtype": "numerical"},
                    "amount": {"sdtype": "numerical"},
                },
            },
        },
        "relationships": [
            {
                "parent_table_name": "customers",
                "parent_primary_key": "customer_id",
                "child_table_name": "orders",
                "child_foreign_key": "customer_id",
            },
            {
                "parent_table_name": "orders",
                "parent_primary_key": "order_id",
                "child_table_name": "transactions",
                "child_foreign_key": "order_id",
            },
            {
                "parent_table_name": "products",
                "parent_primary_key": "product_id",
                "child_table_name": "transactions",
                "child_foreign_key": "product_id",
            },
        ],
    }


def make_shop(
    n_customers: int = 200,
    seed: int = 0,
    id_offset: int = 0,
    products: pd.DataFrame | None = None,
) -> dict[str, pd.DataFrame]:
    """A shop of ``n_customers``; ``products`` reuses another shop's catalogue (same prices), so
    the result is a fresh sample of the same process rather than a different shop."""
    catalogue = products
    rng = np.random.default_rng(seed)
    seg_idx = rng.choice(3, size=n_customers, p=[0.5, 0.35, 0.15])
    income = np.round(
        np.array([25_000, 50_000, 110_000])[seg_idx] * rng.lognormal(0, 0.2, n_customers)
    )
    age = np.clip(np.round(22 + seg_idx * 9 + rng.normal(0, 6, n_customers)), 18, 90)
    signup = pd.Timestamp("2020-01-01") + pd.to_timedelta(rng.integers(0, 1000, n_customers), "D")
    customers = pd.DataFrame(
        {
            "customer_id": np.arange(n_customers, dtype="int64") + id_offset,
            "segment": SEGMENTS[seg_idx],
            "income": income,
            "age": age,
            "signup_date": signup,
        }
    )
    n_products = 20
    products = pd.DataFrame(
        {
            "product_id": np.arange(n_products, dtype="int64"),
            "category": np.array(["food", "tools", "toys", "books"])[np.arange(n_products) % 4],
            "list_price": np.round(rng.uniform(2, 80, n_products), 2),
        }
    )
    if catalogue is not None:  # drawn above all the same, so the other columns do not change
        products = catalogue.copy()
    n_orders_per = rng.poisson(0.5 + income / 30_000)
    cust_of_order = np.repeat(customers["customer_id"].to_numpy(), n_orders_per)
    seg_of_order = np.repeat(seg_idx, n_orders_per)
    n_orders = len(cust_of_order)
    online_p = np.array([0.3, 0.6, 0.85])[seg_of_order]
    channel = np.where(rng.random(n_orders) < online_p, "web", "store")
    order_ids = np.arange(n_orders, dtype="int64") + id_offset * 10
    n_tx_per = 1 + rng.poisson(1 + seg_of_order)
    tx_order = np.repeat(order_ids, n_tx_per)
    tx_seg = np.repeat(seg_of_order, n_tx_per)
    n_tx = len(tx_order)
    product = rng.integers(0, n_products, n_tx)
    price = np.round(products["list_price"].to_numpy()[product] * (1 + 0.3 * tx_seg), 2)
    quantity = 1 + rng.poisson(1 + 2 * (tx_seg == 0), n_tx)
    amount = np.round(price * quantity, 2)
    transactions = pd.DataFrame(
        {
            "transaction_id": np.arange(n_tx, dtype="int64") + id_offset * 100,
            "order_id": tx_order,
            "product_id": product.astype("int64"),
            "price": price,
            "quantity": quantity.astype("int64"),
            "amount": amount,
        }
    )
    value = transactions.groupby("order_id")["amount"].sum()
    orders = pd.DataFrame(
        {
            "order_id": order_ids,
            "customer_id": cust_of_order.astype("int64"),
            "channel": channel,
            "order_value": value.reindex(order_ids).to_numpy(),
        }
    )
    return {
        "customers": customers,
        "products": products,
        "orders": orders,
        "transactions": transactions,
    }


def shuffle_columns(data: dict[str, pd.DataFrame], seed: int = 1) -> dict[str, pd.DataFrame]:
    """Permute every non-key column independently: marginals stay, every dependency breaks."""
    md = shop_metadata()
    rng = np.random.default_rng(seed)
    out = {}
    for table, df in data.items():
        df = df.copy()
        for col, meta in md["tables"][table]["columns"].items():
            if meta["sdtype"] != "id":
                df[col] = rng.permutation(df[col].to_numpy())
        out[table] = df
    return out
