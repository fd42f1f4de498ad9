"""Writes a small output folder in the ARCHITECTURE.md contract, with labeled dirty tables."""

from __future__ import annotations

import csv
import datetime as dt
import json
from pathlib import Path

import numpy as np
import pyarrow as pa
import pyarrow.parquet as pq

GEN = {"name": "synthgen_sdv", "version": "0.1.0"}

# table -> formats written to data/ (the reader prefers Parquet)
DEFAULT_FORMATS = {
    "calendar": ("csv",),
    "stores": ("parquet",),
    "customers": ("csv",),
    "orders": ("parquet",),
    "order_items": ("parquet", "csv"),
}

COLUMNS = {
    "calendar": {
        "cal_date": ("DATE", False, "Calendar day"),
        "year": ("BIGINT", False, "Year"),
        "month_name": ("VARCHAR", False, "Month name"),
        "is_weekend": ("BOOLEAN", False, "Saturday or Sunday"),
    },
    "stores": {
        "store_id": ("BIGINT", False, "Store key"),
        "store_name": ("VARCHAR", False, "Store's name, with a quote"),
        "region": ("VARCHAR", False, "Sales region"),
        "opened_on": ("DATE", False, "Opening day"),
        "is_active": ("BOOLEAN", False, "Still open"),
        "square_feet": ("DOUBLE", False, "Floor area"),
    },
    "customers": {
        "customer_id": ("BIGINT", False, "Customer key"),
        "name": ("VARCHAR", False, "Full name"),
        "segment": ("VARCHAR", True, "Marketing segment"),
        "signup_date": ("DATE", False, "Signup day"),
        "is_member": ("BOOLEAN", True, "Loyalty member"),
        "lifetime_value": ("DOUBLE", True, "Revenue to date"),
    },
    "orders": {
        "order_id": ("BIGINT", False, "Order key"),
        "customer_id": ("BIGINT", False, "Who ordered"),
        "store_id": ("BIGINT", False, "Where"),
        "order_date": ("DATE", False, "Order day"),
        "order_ts": ("TIMESTAMP", False, "Order time"),
        "channel": ("VARCHAR", False, "Sales channel"),
        "total_amount": ("DOUBLE", False, "Order total"),
        "promo_code": ("VARCHAR", True, "Promotion, if any"),
    },
    "order_items": {
        "item_id": ("BIGINT", False, "Line key"),
        "order_id": ("BIGINT", False, "Order"),
        "product": ("VARCHAR", False, "Product name"),
        "quantity": ("BIGINT", False, "Units"),
        "unit_price": ("DOUBLE", False, "Price per unit"),
        "discount": ("DOUBLE", True, "Discount rate"),
    },
}
PKS = {
    "calendar": "cal_date",
    "stores": "store_id",
    "customers": "customer_id",
    "orders": "order_id",
    "order_items": "item_id",
}
FKS = {
    "orders": [
        ("customer_id", "customers", "customer_id"),
        ("store_id", "stores", "store_id"),
        ("order_date", "calendar", "cal_date"),
    ],
    "order_items": [("order_id", "orders", "order_id")],
}
ARROW = {
    "BIGINT": pa.int64(),
    "DOUBLE": pa.float64(),
    "VARCHAR": pa.string(),
    "BOOLEAN": pa.bool_(),
    "DATE": pa.date32(),
    "TIMESTAMP": pa.timestamp("us"),
}


def make_tables(n_customers: int = 40, seed: int = 7) -> dict[str, dict[str, list]]:
    """Column lists per table; every PK unique and every FK resolves."""
    rng = np.random.default_rng(seed)
    start = dt.date(2021, 1, 1)
    days = [start + dt.timedelta(days=i) for i in range(730)]
    calendar = {
        "cal_date": days,
        "year": [d.year for d in days],
        "month_name": [d.strftime("%B") for d in days],
        "is_weekend": [d.weekday() >= 5 for d in days],
    }
    n_stores = 8
    regions = ["north", "south", "east", "west"]
    stores = {
        "store_id": list(range(1, n_stores + 1)),
        "store_name": [f'Store "{i}", Main St' for i in range(1, n_stores + 1)],
        "region": [regions[i % 4] for i in range(n_stores)],
        "opened_on": [dt.date(2010 + i, 1 + i, 1) for i in range(n_stores)],
        "is_active": [i % 5 != 4 for i in range(n_stores)],
        "square_feet": [float(20000 + 1500 * i) for i in range(n_stores)],
    }
    segments = ["consumer", "corporate", "premium", None]
    cust_ids = list(range(1, n_customers + 1))
    customers = {
        "customer_id": cust_ids,
        "name": [f"Doe, Jane {i}" for i in cust_ids],
        "segment": [segments[int(rng.integers(0, 4))] for _ in cust_ids],
        "signup_date": [start - dt.timedelta(days=int(rng.integers(0, 900))) for _ in cust_ids],
        "is_member": [None if i % 7 == 0 else bool(i % 2) for i in cust_ids],
        "lifetime_value": [
            None if i % 6 == 0 else round(float(rng.gamma(2, 150)), 2) for i in cust_ids
        ],
    }
    n_orders = n_customers * 3
    order_days = [days[int(rng.integers(0, len(days)))] for _ in range(n_orders)]
    orders = {
        "order_id": list(range(1, n_orders + 1)),
        "customer_id": [int(rng.integers(1, n_customers + 1)) for _ in range(n_orders)],
        "store_id": [int(rng.integers(1, n_stores + 1)) for _ in range(n_orders)],
        "order_date": order_days,
        "order_ts": [
            dt.datetime.combine(
                d,
                dt.time(
                    int(rng.integers(0, 24)), int(rng.integers(0, 60)), int(rng.integers(0, 60))
                ),
            )
            for d in order_days
        ],
        "channel": [["web", "store", "phone"][int(rng.integers(0, 3))] for _ in range(n_orders)],
        "total_amount": [round(float(rng.gamma(2, 40)), 2) for _ in range(n_orders)],
        "promo_code": [
            None if rng.random() < 0.6 else f"P{int(rng.integers(1, 9))}" for _ in range(n_orders)
        ],
    }
    n_items = n_orders * 3
    products = ["apple", "bread", "chair", "desk", "eggs"]
    order_items = {
        "item_id": list(range(1, n_items + 1)),
        "order_id": [int(rng.integers(1, n_orders + 1)) for _ in range(n_items)],
        "product": [products[int(rng.integers(0, 5))] for _ in range(n_items)],
        "quantity": [int(rng.integers(1, 6)) for _ in range(n_items)],
        "unit_price": [round(float(rng.uniform(0.5, 300)), 2) for _ in range(n_items)],
        "discount": [
            None if rng.random() < 0.3 else float(rng.choice([0.05, 0.1, 0.25]))
            for _ in range(n_items)
        ],
    }
    return {
        "calendar": calendar,
        "stores": stores,
        "customers": customers,
        "orders": orders,
        "order_items": order_items,
    }


def _text(value) -> str:
    if value is None:
        return ""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, dt.datetime):
        return value.strftime("%Y-%m-%d %H:%M:%S")
    if isinstance(value, dt.date):
        return value.isoformat()
    return str(value)


def write_table(
    path: Path, fmt: str, table: str, cols: dict[str, list], types: dict[str, str] | None = None
) -> None:
    """Parquet with the contract's arrow types (or `types` overrides), or CSV per the contract."""
    path.parent.mkdir(parents=True, exist_ok=True)
    if fmt == "parquet":
        types = types or {}
        arrays = {
            c: pa.array(v, type=types.get(c, ARROW[COLUMNS[table][c][0]])) for c, v in cols.items()
        }
        pq.write_table(pa.table(arrays), path)
        return
    with path.open("w", newline="", encoding="utf-8") as fh:
        writer = csv.writer(fh)
        writer.writerow(list(cols))
        for row in zip(*cols.values(), strict=True):
            writer.writerow([_text(v) for v in row])


def schema_metadata(tables: dict[str, dict[str, list]], formats: dict[str, tuple]) -> dict:
    out = {}
    for name, cols in tables.items():
        out[name] = {
            "domain": "sales",
            "description": f"The {name} table; it's a test fixture.",
            "row_count": len(next(iter(cols.values()))),
            "primary_key": PKS[name],
            "foreign_keys": [
                {"column": c, "parent_table": p, "parent_column": pc}
                for c, p, pc in FKS.get(name, [])
            ],
            "columns": {
                c: {
                    "sql_type": t,
                    "nullable": n,
                    "kind": "test",
                    "description": d,
                    "domain": "sales",
                }
                for c, (t, n, d) in COLUMNS[name].items()
            },
            "files": {fmt: f"data/{name}.{fmt}" for fmt in formats[name]},
        }
    return {
        "schema": "synthgen_sdv.schema_metadata",
        "version": 1,
        "generator": GEN,
        "seed": 7,
        "scale": 1.0,
        "config_hash": "sha256:fixture",
        "sdv_metadata": {},
        "tables": out,
    }


def _dirty(tables, unlabeled_orphans: int):
    """Dirty orders and customers plus the labels of every anomaly injected on purpose."""
    orders = {c: list(v) for c, v in tables["orders"].items()}
    customers = {c: list(v) for c, v in tables["customers"].items()}
    n_cust = len(customers["customer_id"])
    anomalies = []
    orphan_rows = [3, 4, 5]
    for pos in orphan_rows:
        orders["customer_id"][pos] = 900000 + pos
    anomalies.append(
        {
            "id": "orders.orphan_fk.0",
            "kind": "orphan_fk",
            "table": "orders",
            "column": "customer_id",
            "primary_key": "order_id",
            "rows": [orders["order_id"][p] for p in orphan_rows],
            "params": {"rate": 0.01},
        }
    )
    drift_rows = [7, 8]
    order_date = [d.isoformat() for d in orders["order_date"]]
    for pos in drift_rows:
        order_date[pos] = orders["order_date"][pos].strftime("%m/%d/%Y")
    orders["order_date"] = order_date
    anomalies.append(
        {
            "id": "orders.format_drift.0",
            "kind": "format_drift",
            "table": "orders",
            "column": "order_date",
            "primary_key": "order_id",
            "rows": [orders["order_id"][p] for p in drift_rows],
            "params": {"format": "%m/%d/%Y"},
        }
    )
    for pos in range(unlabeled_orphans):
        orders["customer_id"][20 + pos] = 800000 + pos
    dup_rows = [10, 11]
    for c in orders:
        orders[c] += [orders[c][p] for p in dup_rows]
    anomalies.append(
        {
            "id": "orders.duplicate_rows.0",
            "kind": "duplicate_rows",
            "table": "orders",
            "column": None,
            "primary_key": "order_id",
            "rows": [orders["order_id"][p] for p in dup_rows],
            "params": {},
        }
    )
    null_rows = [1, 2, n_cust - 1]
    for pos in null_rows:
        customers["name"][pos] = None
    anomalies.append(
        {
            "id": "customers.null_burst.0",
            "kind": "null_burst",
            "table": "customers",
            "column": "name",
            "primary_key": "customer_id",
            "rows": [customers["customer_id"][p] for p in null_rows],
            "params": {"rate": 0.05},
        }
    )
    return {"orders": orders, "customers": customers}, anomalies


def write_fixture(
    out_dir: str | Path,
    n_customers: int = 40,
    seed: int = 7,
    formats: dict[str, tuple] | None = None,
    dirty: bool = True,
    unlabeled_orphans: int = 0,
) -> Path:
    """An output folder: data/, data_dirty/ (orders, customers), metadata/; returns its path."""
    out = Path(out_dir)
    formats = formats or DEFAULT_FORMATS
    tables = make_tables(n_customers, seed)
    for name, cols in tables.items():
        for fmt in formats[name]:
            write_table(out / "data" / f"{name}.{fmt}", fmt, name, cols)
    anomalies = []
    if dirty:
        dirty_tables, anomalies = _dirty(tables, unlabeled_orphans)
        write_table(
            out / "data_dirty" / "orders.parquet",
            "parquet",
            "orders",
            dirty_tables["orders"],
            types={"order_date": pa.string()},
        )
        write_table(
            out / "data_dirty" / "customers.csv", "csv", "customers", dirty_tables["customers"]
        )
    meta = out / "metadata"
    meta.mkdir(parents=True, exist_ok=True)
    (meta / "schema_metadata.json").write_text(
        json.dumps(schema_metadata(tables, formats), indent=2), encoding="utf-8"
    )
    labels = {
        "schema": "synthgen_sdv.labels",
        "version": 1,
        "generator": GEN,
        "seed": seed,
        "config_hash": "sha256:fixture",
        "anomalies": anomalies,
        "entity_links": [],
        "lineage": [],
    }
    (meta / "labels.json").write_text(json.dumps(labels, indent=2), encoding="utf-8")
    return out
