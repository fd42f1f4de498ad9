"""Build corpus/jaffle_shop from the Jaffle Shop data that dbt Labs' generator makes (the
sample data of dbt's jaffle-shop project: a sandwich chain's customers, orders, items, stores,
products, supplies and tweets).

Source: the generator jafgen 0.4.14 (PyPI; https://github.com/dbt-labs/jaffle-shop-generator,
Apache-2.0), one simulated year, its files jaffle-data/raw_*.csv. It draws from Python's,
NumPy's and Faker's random generators and ``uuid.uuid4``, so seed them all; in a venv with
``pip install jafgen==0.4.14``:

    python -c "import random, uuid, numpy, faker; random.seed(0); numpy.random.seed(0); \
faker.Faker.seed(0); uuid.uuid4 = lambda: uuid.UUID(int=random.getrandbits(128), version=4); \
from jafgen.simulation import Simulation; s = Simulation(1, 'raw'); s.run_simulation(); \
s.save_results()"

writes jaffle-data/ (72,330 orders, 107,146 items, 21,904 tweets; the same bytes every run).

Subset by root entity: the customers whose id starts with ``0`` (a sixteenth of them, the ids
being random hex), every order, item and tweet of theirs; stores, products and supplies whole.
Table names and values as the generator writes them (the ``raw_`` prefix is dbt's convention
for loaded source tables).

Keys: as dbt's jaffle-shop project (dbt-labs/jaffle-shop, models/staging/*.sql and *.yml,
models/marts/*.yml) declares them on the tables it stages from these files: raw_customers.id,
raw_orders.id, raw_items.id, raw_stores.id, raw_products.sku ("unique", "not_null" tests);
raw_supplies (id, sku) (the surrogate key ``generate_surrogate_key(['id', 'sku'])``: a supply's
id repeats per product); raw_items.order_id -> raw_orders (a ``relationships`` test),
raw_orders.customer -> raw_customers, raw_orders.store_id -> raw_stores, raw_items.sku and
raw_supplies.sku -> raw_products (the semantic models' foreign entities); raw_tweets (not staged
by the project) as the generator writes it: id its key, user_id the customer's id.

usage: python build_jaffle_shop.py path/to/jaffle-data
"""

import csv
import sys
from pathlib import Path

from common import CORPUS, write_keys, write_table

SOURCE = (
    "jafgen 0.4.14 (PyPI; dbt-labs/jaffle-shop-generator), 1 simulated year, seeded (see "
    "_tools/build_jaffle_shop.py); keys from dbt-labs/jaffle-shop @ "
    "7be2c5838dbdeca8e915d4e46db70e910753d7f6, models/"
)
LICENCE = "Apache-2.0 (jafgen and dbt-labs/jaffle-shop-generator; the generated rows carry none)"


def read(path: Path):
    with open(path, encoding="utf-8", newline="") as fh:
        rows = list(csv.reader(fh))
    return rows[0], [[v if v != "" else None for v in r] for r in rows[1:]]


def main(src):
    src, out = Path(src), CORPUS / "jaffle_shop"
    names = ["customers", "orders", "items", "stores", "products", "supplies", "tweets"]
    t = {f"raw_{n}": read(src / f"raw_{n}.csv") for n in names}
    cols, rows = t["raw_customers"]
    t["raw_customers"] = (cols, [r for r in rows if r[0].startswith("0")])
    kept = {r[0] for r in t["raw_customers"][1]}
    cols, rows = t["raw_orders"]
    t["raw_orders"] = (cols, [r for r in rows if r[cols.index("customer")] in kept])
    orders = {r[0] for r in t["raw_orders"][1]}
    cols, rows = t["raw_items"]
    t["raw_items"] = (cols, [r for r in rows if r[cols.index("order_id")] in orders])
    cols, rows = t["raw_tweets"]
    t["raw_tweets"] = (cols, [r for r in rows if r[cols.index("user_id")] in kept])
    for name in t:
        cols, rows = t[name]
        print(f"{name:14s} {write_table(out, name, cols, rows):6d}")
    pks = {
        "raw_customers": "id",
        "raw_orders": "id",
        "raw_items": "id",
        "raw_stores": "id",
        "raw_products": "sku",
        "raw_supplies": ["id", "sku"],
        "raw_tweets": "id",
    }
    fks = [
        ("raw_items", "order_id", "raw_orders", "id"),
        ("raw_items", "sku", "raw_products", "sku"),
        ("raw_orders", "customer", "raw_customers", "id"),
        ("raw_orders", "store_id", "raw_stores", "id"),
        ("raw_supplies", "sku", "raw_products", "sku"),
        ("raw_tweets", "user_id", "raw_customers", "id"),
    ]
    write_keys(out, SOURCE, LICENCE, pks, fks)


if __name__ == "__main__":
    main(sys.argv[1])
