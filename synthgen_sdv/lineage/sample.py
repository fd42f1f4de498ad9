"""Small stand-in tables shaped like configs/tables.yml, for lineage tests and benchmarks.

The rule-based engine is the real source of data; these frames only need the same table and
column names, sensible types and resolving keys so that every ETL step has something to do.
"""

from __future__ import annotations

import numpy as np
import pandas as pd


def sample_tables(n_customers: int = 150, seed: int = 0) -> dict[str, pd.DataFrame]:
    rng = np.random.default_rng(seed)
    day0 = pd.Timestamp("2021-01-01")
    dates = pd.date_range("2021-01-01", "2024-12-31", freq="D")
    t: dict[str, pd.DataFrame] = {}
    t["dates"] = pd.DataFrame(
        {
            "date": dates,
            "date_key": dates.strftime("%Y%m%d").astype(int),
            "year": dates.year,
            "quarter": dates.quarter,
            "month": dates.month,
            "day_of_week": dates.dayofweek,
            "is_weekend": dates.dayofweek >= 5,
            "is_holiday_season": dates.month >= 11,
        }
    )
    n_sup, n_prod, n_store, n_emp, n_promo = 8, 40, 5, 20, 6
    t["suppliers"] = pd.DataFrame(
        {
            "supplier_id": np.arange(1, n_sup + 1),
            "supplier_name": [f"Supplier {i} Inc" for i in range(1, n_sup + 1)],
            "country": rng.choice(["US", "CN", "DE", "MX", "IN"], n_sup),
            "lead_time_days": rng.poisson(12, n_sup) + 2,
            "rating": np.round(rng.uniform(2.5, 5, n_sup), 1),
        }
    )
    cats = rng.choice(["grocery", "home", "apparel", "electronics", "toys"], n_prod)
    brands = rng.choice(["Smith", "Lee", "Garcia", "Chen"], n_prod)
    t["products"] = pd.DataFrame(
        {
            "product_id": np.arange(1, n_prod + 1),
            "category": cats,
            "brand": brands,
            "product_name": [
                f"{b} {c} {i}" for i, (b, c) in enumerate(zip(brands, cats, strict=True), 1)
            ],
            "supplier_id": rng.integers(1, n_sup + 1, n_prod),
            "unit_price": np.round(rng.lognormal(3, 0.7, n_prod), 2),
            "weight_kg": np.round(rng.lognormal(0, 0.9, n_prod), 2),
        }
    )
    t["stores"] = pd.DataFrame(
        {
            "store_id": np.arange(1, n_store + 1),
            "store_name": [f"Store #{i} City{i}" for i in range(1, n_store + 1)],
            "city": [f"City{i}" for i in range(1, n_store + 1)],
            "state": rng.choice(["CA", "NY", "TX", "WA"], n_store),
            "region": rng.choice(["north", "south", "east", "west"], n_store),
            "square_feet": (rng.normal(40000, 12000, n_store).clip(8000) // 100 * 100).astype(int),
            "open_date": day0 - pd.to_timedelta(rng.integers(365, 5000, n_store), unit="D"),
        }
    )
    titles = rng.choice(
        ["cashier", "sales_associate", "supervisor", "store_manager"],
        n_emp,
        p=[0.5, 0.3, 0.15, 0.05],
    )
    base = {"cashier": 32000, "sales_associate": 38000, "supervisor": 52000, "store_manager": 78000}
    t["employees"] = pd.DataFrame(
        {
            "employee_id": np.arange(1, n_emp + 1),
            "first_name": [f"Emp{i}" for i in range(1, n_emp + 1)],
            "last_name": rng.choice(["Ng", "Diaz", "Brown", "Khan"], n_emp),
            "store_id": rng.integers(1, n_store + 1, n_emp),
            "job_title": titles,
            "salary": np.round([base[x] * rng.uniform(0.9, 1.1) for x in titles], 0),
            "hire_date": day0 - pd.to_timedelta(rng.integers(10, 3000, n_emp), unit="D"),
        }
    )
    starts = day0 + pd.to_timedelta(rng.integers(0, 1000, n_promo), unit="D")
    dur = rng.integers(7, 60, n_promo)
    t["promotions"] = pd.DataFrame(
        {
            "promotion_id": np.arange(1, n_promo + 1),
            "promo_name": [f"Promo {i}" for i in range(1, n_promo + 1)],
            "channel": rng.choice(["email", "tv", "social", "print"], n_promo),
            "discount_pct": rng.choice([0.05, 0.1, 0.15, 0.25], n_promo),
            "start_date": starts,
            "duration_days": dur,
            "end_date": starts + pd.to_timedelta(dur, unit="D"),
        }
    )
    n = n_customers
    first = rng.choice(["Ann", "Bob", "Cy", "Dee", "Eve", "Fay", "Gus"], n)
    last = rng.choice(["Ross", "Park", "Wu", "Hill", "Ford"], n)
    ids = np.arange(1, n + 1)
    segment = rng.choice(
        ["consumer", "small_business", "corporate", "premium"], n, p=[0.55, 0.25, 0.15, 0.05]
    )
    t["customers"] = pd.DataFrame(
        {
            "customer_id": ids,
            "first_name": first,
            "last_name": last,
            "email": [
                f"{f}.{la}{i}@example.com".lower()
                for f, la, i in zip(first, last, ids, strict=True)
            ],
            "phone": [f"555-{rng.integers(1000, 9999)}" for _ in ids],
            "city": rng.choice(["Springfield", "Riverton", "Lakeside"], n),
            "state": rng.choice(["CA", "NY", "TX", "WA"], n),
            "segment": segment,
            "income": np.round(rng.lognormal(10.9, 0.4, n), 0),
            "age": rng.integers(18, 90, n),
            "signup_date": pd.Timestamp("2018-01-01")
            + pd.to_timedelta(rng.integers(0, 2006, n), unit="D"),
        }
    )
    n_leg = max(4, int(n * 0.6))
    src = rng.choice(ids, n_leg, replace=False)
    match = rng.random(n_leg) < 0.5
    cust = t["customers"].set_index("customer_id")
    rows = []
    for i, (cid, m) in enumerate(zip(src, match, strict=True), 1):
        c = cust.loc[cid]
        if m:
            rows.append(
                (
                    f"LC-{i:06d}",
                    f"{c.last_name.upper()}, {c.first_name}",
                    c.email.upper(),
                    c.phone,
                    c.signup_date.strftime("%d/%m/%Y"),
                )
            )
        else:
            d = pd.Timestamp("2012-01-01") + pd.Timedelta(days=int(rng.integers(0, 2900)))
            rows.append(
                (
                    f"LC-{i:06d}",
                    f"Old Person{i}",
                    f"old{i}@mail.test",
                    f"555-0{i:03d}",
                    d.strftime("%d/%m/%Y"),
                )
            )
    leg = pd.DataFrame(rows, columns=["legacy_id", "full_name", "email", "phone", "created_on"])
    leg["region_code"] = rng.choice(["N", "S", "E", "W", "C"], n_leg)
    t["legacy_customers"] = leg

    per = rng.poisson(3, n) + 1
    cust_of = np.repeat(ids, per)
    m = len(cust_of)
    odate = day0 + pd.to_timedelta(rng.integers(0, 1095, m), unit="D")
    promo = np.where(rng.random(m) < 0.4, rng.integers(1, n_promo + 1, m), 0)
    disc_map = dict(zip(t["promotions"].promotion_id, t["promotions"].discount_pct, strict=True))
    items = rng.integers(1, 5, m)
    orders = pd.DataFrame(
        {
            "order_id": np.arange(1, m + 1),
            "customer_id": cust_of,
            "store_id": rng.integers(1, n_store + 1, m),
            "employee_id": rng.integers(1, n_emp + 1, m),
            "promotion_id": pd.array([p if p else None for p in promo], dtype="Int64"),
            "channel": rng.choice(["web", "store", "phone"], m, p=[0.4, 0.5, 0.1]),
            "order_date": odate,
            "order_date_key": odate.strftime("%Y%m%d").astype(int),
            "discount": [disc_map.get(p, 0.0) for p in promo],
            "item_count": items,
        }
    )
    order_of = np.repeat(orders.order_id.to_numpy(), items)
    k = len(order_of)
    prod = rng.integers(1, n_prod + 1, k)
    price = t["products"].set_index("product_id").unit_price.loc[prod].to_numpy()
    o = orders.set_index("order_id")
    disc = o.discount.loc[order_of].to_numpy()
    qty = rng.integers(1, 5, k)
    tx = pd.DataFrame(
        {
            "transaction_id": np.arange(1, k + 1),
            "order_id": order_of,
            "product_id": prod,
            "quantity": qty,
            "unit_price": price,
            "discount": disc,
            "amount": np.round(qty * price * (1 - disc), 2),
            "sold_date": o.order_date.loc[order_of].to_numpy(),
        }
    )
    orders["order_total"] = np.round(
        tx.groupby("order_id").amount.sum().reindex(orders.order_id).to_numpy(), 2
    )
    t["orders"], t["transactions"] = orders, tx
    ret = tx[rng.random(k) < 0.08]
    lag = rng.integers(1, 30, len(ret))
    t["returns"] = pd.DataFrame(
        {
            "return_id": np.arange(1, len(ret) + 1),
            "transaction_id": ret.transaction_id.to_numpy(),
            "return_date": pd.to_datetime(ret.sold_date.to_numpy())
            + pd.to_timedelta(lag, unit="D"),
            "return_quantity": np.minimum(ret.quantity.to_numpy(), rng.integers(1, 3, len(ret))),
            "refund_amount": 0.0,
            "reason": rng.choice(
                ["damaged", "wrong_size", "not_as_described", "changed_mind"], len(ret)
            ),
        }
    )
    t["returns"]["refund_amount"] = np.round(
        t["returns"].return_quantity.to_numpy()
        * ret.unit_price.to_numpy()
        * (1 - ret.discount.to_numpy()),
        2,
    )
    inv = [
        (p, s) for p in range(1, n_prod + 1) for s in range(1, n_store + 1) if rng.random() < 0.6
    ]
    qoh = rng.poisson(40, len(inv))
    t["inventory"] = pd.DataFrame(
        {
            "inventory_id": np.arange(1, len(inv) + 1),
            "product_id": [p for p, _ in inv],
            "store_id": [s for _, s in inv],
            "quantity_on_hand": qoh,
            "reorder_point": np.floor(qoh * 0.3).astype(int) + 2,
            "snapshot_date": pd.Timestamp("2023-12-31"),
        }
    )
    months = pd.date_range("2021-01-01", periods=36, freq="MS")
    sq = t["stores"].set_index("store_id").square_feet
    t["sales_targets"] = pd.DataFrame(
        [
            (s, mo, round(sq.loc[s] * 0.9 * (1.6 if mo.month >= 11 else 1.0), 2))
            for s in range(1, n_store + 1)
            for mo in months
        ],
        columns=["store_id", "month_start", "target_amount"],
    )
    t["sales_targets"].insert(0, "target_id", np.arange(1, len(t["sales_targets"]) + 1))
    return t
