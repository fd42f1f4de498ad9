"""A small customers -> orders -> transactions (+ products) dataset with real dependencies.

It stands in for the project's bootstrap generator in tests and benchmarks: segment drives
income, income drives order count and basket size, order dates follow a yearly season, and
``amount = price * qty * (1 - discount)``. ``products`` is a parent of ``transactions`` that the
synthesizers usually do not model (it exercises ``reattach``); customers carry PII columns.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
from sdv.metadata import Metadata

SEGMENTS = np.array(["consumer", "small_business", "enterprise"])
SEGMENT_P = np.array([0.7, 0.22, 0.08])
REGIONS = np.array(["north", "south", "east", "west"])
CHANNELS = np.array(["web", "store", "phone"])
CATEGORIES = np.array(["books", "electronics", "grocery", "toys", "garden"])


def demo_metadata() -> Metadata:
    """SDV metadata of the demo dataset, products included."""
    return Metadata.load_from_dict(
        {
            "tables": {
                "customers": {
                    "primary_key": "customer_id",
                    "columns": {
                        "customer_id": {"sdtype": "id"},
                        "name": {"sdtype": "name", "pii": True},
                        "email": {"sdtype": "email", "pii": True},
                        "segment": {"sdtype": "categorical"},
                        "region": {"sdtype": "categorical"},
                        "income": {"sdtype": "numerical", "computer_representation": "Float"},
                        "age": {"sdtype": "numerical", "computer_representation": "Int64"},
                        "signup_date": {"sdtype": "datetime", "datetime_format": "%Y-%m-%d"},
                    },
                },
                "orders": {
                    "primary_key": "order_id",
                    "columns": {
                        "order_id": {"sdtype": "id"},
                        "customer_id": {"sdtype": "id"},
                        "order_date": {"sdtype": "datetime", "datetime_format": "%Y-%m-%d"},
                        "channel": {"sdtype": "categorical"},
                        "shipping_cost": {
                            "sdtype": "numerical",
                            "computer_representation": "Float",
                        },
                    },
                },
                "transactions": {
                    "primary_key": "transaction_id",
                    "columns": {
                        "transaction_id": {"sdtype": "id"},
                        "order_id": {"sdtype": "id"},
                        "product_id": {"sdtype": "id"},
                        "category": {"sdtype": "categorical"},
                        "price": {"sdtype": "numerical", "computer_representation": "Float"},
                        "qty": {"sdtype": "numerical", "computer_representation": "Int64"},
                        "discount": {"sdtype": "numerical", "computer_representation": "Float"},
                        "amount": {"sdtype": "numerical", "computer_representation": "Float"},
                    },
                },
                "products": {
                    "primary_key": "product_id",
                    "columns": {
                        "product_id": {"sdtype": "id"},
                        "category": {"sdtype": "categorical"},
                        "list_price": {"sdtype": "numerical", "computer_representation": "Float"},
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
    )


def demo_tables(n_customers: int = 1000, seed: int = 0, n_products: int = 200) -> dict:
    """Return ``{customers, orders, transactions, products}`` as DataFrames (seeded)."""
    rng = np.random.default_rng(seed)
    n = n_customers
    seg_idx = rng.choice(len(SEGMENTS), size=n, p=SEGMENT_P)
    income = np.round(np.exp(rng.normal([10.6, 11.3, 12.2], 0.35)[seg_idx] * 1.0), 2)
    income = np.round(np.exp(np.log(income) + rng.normal(0, 0.25, n)), 2)
    age = np.clip(rng.normal(42 + 4 * seg_idx, 11), 18, 90).round().astype("int64")
    signup = pd.Timestamp("2019-01-01") + pd.to_timedelta(rng.integers(0, 4 * 365, n), unit="D")
    first = np.array(["Ana", "Ben", "Chloe", "Dev", "Eli", "Fay", "Gus", "Hana", "Ivo", "Jin"])
    last = np.array(["Smith", "Okoro", "Novak", "Lee", "Garcia", "Rossi", "Kim", "Berg"])
    names = [f"{first[i % 10]} {last[(i * 7) % 8]}" for i in range(n)]
    customers = pd.DataFrame(
        {
            "customer_id": np.arange(1, n + 1, dtype="int64"),
            "name": names,
            "email": [f"user{i}@example.com" for i in range(1, n + 1)],
            "segment": SEGMENTS[seg_idx],
            "region": REGIONS[rng.choice(4, size=n, p=[0.35, 0.25, 0.25, 0.15])],
            "income": income,
            "age": age,
            "signup_date": signup,
        }
    )

    # richer customers order more often: Poisson with a log-income rate
    rate = np.clip(2.2 * (np.log(income) - 9.4) + 0.8 * seg_idx, 0.3, None)
    n_orders = rng.poisson(rate)
    cust_of_order = np.repeat(np.arange(n), n_orders)
    m = len(cust_of_order)
    # seasonality: more orders late in the year (day of year ~ mixture peaking in Nov/Dec)
    doy = np.where(rng.random(m) < 0.35, rng.normal(330, 20, m), rng.uniform(0, 365, m))
    doy = np.clip(doy, 0, 364).astype(int)
    year = rng.choice([2022, 2023], size=m)
    order_date = pd.to_datetime(year.astype(str), format="%Y") + pd.to_timedelta(doy, unit="D")
    channel_table = np.array([[0.6, 0.3, 0.1], [0.5, 0.2, 0.3], [0.3, 0.1, 0.6]])
    channel_p = channel_table[seg_idx[cust_of_order]]
    channel = (rng.random((m, 1)) > channel_p.cumsum(axis=1)).sum(axis=1)
    orders = pd.DataFrame(
        {
            "order_id": np.arange(1, m + 1, dtype="int64"),
            "customer_id": customers["customer_id"].to_numpy()[cust_of_order],
            "order_date": order_date,
            "channel": CHANNELS[np.minimum(channel, 2)],
            "shipping_cost": np.round(np.where(channel == 1, 0.0, rng.gamma(2.0, 3.0, m)), 2),
        }
    )

    cat_idx_p = rng.integers(0, len(CATEGORIES), n_products)
    list_price = np.round(np.exp(rng.normal([2.5, 5.0, 1.5, 3.0, 3.5], 0.5)[cat_idx_p]), 2)
    products = pd.DataFrame(
        {
            "product_id": np.arange(1, n_products + 1, dtype="int64"),
            "category": CATEGORIES[cat_idx_p],
            "list_price": list_price,
        }
    )

    # basket size grows with income; product popularity is Zipf-like
    lam = np.clip(1.6 + 1.5 * (np.log(income[cust_of_order]) - 10.6), 0.5, None)
    n_lines = 1 + rng.poisson(lam)
    order_of_tx = np.repeat(np.arange(m), n_lines)
    k = len(order_of_tx)
    pop = 1.0 / np.arange(1, n_products + 1) ** 0.9
    prod = rng.choice(n_products, size=k, p=pop / pop.sum())
    price = np.round(list_price[prod] * rng.uniform(0.9, 1.1, k), 2)
    qty = 1 + rng.poisson(np.where(seg_idx[cust_of_order[order_of_tx]] == 2, 3.0, 0.6))
    discount = np.where(rng.random(k) < 0.3, rng.choice([0.05, 0.1, 0.2], size=k), 0.0)
    transactions = pd.DataFrame(
        {
            "transaction_id": np.arange(1, k + 1, dtype="int64"),
            "order_id": orders["order_id"].to_numpy()[order_of_tx],
            "product_id": products["product_id"].to_numpy()[prod],
            "category": products["category"].to_numpy()[prod],
            "price": price,
            "qty": qty.astype("int64"),
            "discount": discount,
            "amount": np.round(price * qty * (1 - discount), 2),
        }
    )
    return {
        "customers": customers,
        "orders": orders,
        "transactions": transactions,
        "products": products,
    }
