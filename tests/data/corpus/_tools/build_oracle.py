"""Build corpus/oracle_hr, corpus/oracle_co and corpus/oracle_sh from Oracle's
sample schemas (https://github.com/oracle-samples/db-sample-schemas, commit
6660bad68c07bd143430ace58565b3f727e17263, MIT).

  oracle_hr  human_resources/hr_populate.sql   (all 7 tables, no subsetting)
  oracle_co  customer_orders/co_populate.sql   (all 7 tables; BLOB columns dropped;
             inventory.inventory_id, an identity column the script leaves to
             the database, numbered 1..n in script order)
  oracle_sh  sales_history/sh_populate.sql (channels, products) + times.csv,
             promotions.csv, costs.csv; subset: the times rows of calendar
             year 2021 (a root table) and the costs rows that reference them;
             channels, products and promotions kept whole.

INSERT statements are parsed by common.parse_sql_inserts (no database needed).
Column order comes from the CREATE TABLE statements of *_create.sql (copied
below).  Literal values are written as they appear in the script; '' quotes are
undone; NULL -> empty field; TO_DATE(...) -> 'YYYY-MM-DD' (or 'YYYY-MM-DD
HH:MM:SS' when it has a time of day); TO_TIMESTAMP(...) -> 'YYYY-MM-DD
HH:MM:SS.fffffffff'.  Column names are lower-cased (the SH csv headers are upper
case).  The SH csv files are re-written through python's csv module only.

usage: python build_oracle.py path/to/db-sample-schemas   (a checkout or export)
"""

import csv
import sys
from collections import defaultdict
from pathlib import Path

from common import CORPUS, Opaque, parse_sql_inserts, write_keys, write_table

REPO = "https://github.com/oracle-samples/db-sample-schemas/blob/6660bad68c07bd143430ace58565b3f727e17263/"
LICENCE = "MIT (Copyright (c) 2023 Oracle and/or its affiliates), db-sample-schemas LICENSE.txt"

HR_COLS = {
    "regions": ["region_id", "region_name"],
    "countries": ["country_id", "country_name", "region_id"],
    "locations": [
        "location_id",
        "street_address",
        "postal_code",
        "city",
        "state_province",
        "country_id",
    ],
    "departments": ["department_id", "department_name", "manager_id", "location_id"],
    "jobs": ["job_id", "job_title", "min_salary", "max_salary"],
    "employees": [
        "employee_id",
        "first_name",
        "last_name",
        "email",
        "phone_number",
        "hire_date",
        "job_id",
        "salary",
        "commission_pct",
        "manager_id",
        "department_id",
    ],
    "job_history": ["employee_id", "start_date", "end_date", "job_id", "department_id"],
}
HR_PK = {
    "regions": "region_id",
    "countries": "country_id",
    "locations": "location_id",
    "departments": "department_id",
    "jobs": "job_id",
    "employees": "employee_id",
    "job_history": ["employee_id", "start_date"],
}
HR_FK = [
    ("countries", "region_id", "regions", "region_id"),
    ("locations", "country_id", "countries", "country_id"),
    ("departments", "location_id", "locations", "location_id"),
    ("departments", "manager_id", "employees", "employee_id"),
    ("employees", "department_id", "departments", "department_id"),
    ("employees", "job_id", "jobs", "job_id"),
    ("employees", "manager_id", "employees", "employee_id"),
    ("job_history", "employee_id", "employees", "employee_id"),
    ("job_history", "job_id", "jobs", "job_id"),
    ("job_history", "department_id", "departments", "department_id"),
]

# co_create.sql column order; BLOB columns (stores.logo, products.product_details,
# products.product_image) are left out.
CO_COLS = {
    "customers": ["customer_id", "email_address", "full_name"],
    "stores": [
        "store_id",
        "store_name",
        "web_address",
        "physical_address",
        "latitude",
        "longitude",
        "logo_mime_type",
        "logo_filename",
        "logo_charset",
        "logo_last_updated",
    ],
    "products": [
        "product_id",
        "product_name",
        "unit_price",
        "image_mime_type",
        "image_filename",
        "image_charset",
        "image_last_updated",
    ],
    "orders": ["order_id", "order_tms", "customer_id", "order_status", "store_id"],
    "shipments": ["shipment_id", "store_id", "customer_id", "delivery_address", "shipment_status"],
    "order_items": [
        "order_id",
        "line_item_id",
        "product_id",
        "unit_price",
        "quantity",
        "shipment_id",
    ],
    "inventory": ["inventory_id", "store_id", "product_id", "product_inventory"],
}
CO_DROPPED = {"stores": {"logo"}, "products": {"product_details", "product_image"}}
CO_PK = {
    "customers": "customer_id",
    "stores": "store_id",
    "products": "product_id",
    "orders": "order_id",
    "shipments": "shipment_id",
    "order_items": ["order_id", "line_item_id"],
    "inventory": "inventory_id",
}
CO_FK = [
    ("orders", "customer_id", "customers", "customer_id"),
    ("orders", "store_id", "stores", "store_id"),
    ("shipments", "store_id", "stores", "store_id"),
    ("shipments", "customer_id", "customers", "customer_id"),
    ("order_items", "order_id", "orders", "order_id"),
    ("order_items", "shipment_id", "shipments", "shipment_id"),
    ("order_items", "product_id", "products", "product_id"),
    ("inventory", "store_id", "stores", "store_id"),
    ("inventory", "product_id", "products", "product_id"),
]

SH_COLS = {
    "channels": [
        "channel_id",
        "channel_desc",
        "channel_class",
        "channel_class_id",
        "channel_total",
        "channel_total_id",
    ],
    "products": [
        "prod_id",
        "prod_name",
        "prod_desc",
        "prod_subcategory",
        "prod_subcategory_id",
        "prod_subcategory_desc",
        "prod_category",
        "prod_category_id",
        "prod_category_desc",
        "prod_weight_class",
        "prod_unit_of_measure",
        "prod_pack_size",
        "supplier_id",
        "prod_status",
        "prod_list_price",
        "prod_min_price",
        "prod_total",
        "prod_total_id",
        "prod_src_id",
        "prod_eff_from",
        "prod_eff_to",
        "prod_valid",
    ],
}
SH_PK = {
    "channels": "channel_id",
    "products": "prod_id",
    "promotions": "promo_id",
    "times": "time_id",
    "costs": None,
}
SH_FK = [
    ("costs", "prod_id", "products", "prod_id"),
    ("costs", "time_id", "times", "time_id"),
    ("costs", "promo_id", "promotions", "promo_id"),
    ("costs", "channel_id", "channels", "channel_id"),
]
SH_YEAR = "2021"


def from_inserts(path: Path, cols_by_table: dict, drop: dict | None = None) -> dict:
    rows = defaultdict(list)
    for table, cols, vals in parse_sql_inserts(path.read_text(encoding="utf-8")):
        if table not in cols_by_table:
            continue
        target = cols_by_table[table]
        if cols is None:  # positional INSERT: the full CREATE TABLE column list
            assert len(vals) == len(target), (table, vals)
            rec = dict(zip(target, vals, strict=True))
        else:
            rec = dict(zip(cols, vals, strict=True))
            extra = set(rec) - set(target) - (drop or {}).get(table, set())
            assert not extra, (table, extra)
        row = [rec.get(c) for c in target]
        assert not any(isinstance(v, Opaque) for v in row), (table, row)
        rows[table].append(row)
    return rows


def write_db(name, cols_by_table, rows, pk, fk, source, absent=None):
    out = CORPUS / name
    for t, cols in cols_by_table.items():
        n = write_table(out, t, cols, rows[t])
        print(f"{name}.{t:15s} {n:6d}")
    write_keys(out, source, LICENCE, pk, fk, absent)


def read_csv(path: Path):
    with open(path, encoding="utf-8", newline="") as fh:
        r = csv.reader(fh)
        header = [h.lower() for h in next(r)]
        return header, [[v if v != "" else None for v in row] for row in r]


def main(repo):
    repo = Path(repo)
    hr = from_inserts(repo / "human_resources/hr_populate.sql", HR_COLS)
    write_db("oracle_hr", HR_COLS, hr, HR_PK, HR_FK, REPO + "human_resources/hr_populate.sql")

    co = from_inserts(repo / "customer_orders/co_populate.sql", CO_COLS, CO_DROPPED)
    # inventory_id is "GENERATED BY DEFAULT ON NULL AS IDENTITY" and the script
    # never sets it: number the rows 1..n in script order, as a fresh install does.
    assert all(r[0] is None for r in co["inventory"])
    for i, r in enumerate(co["inventory"], start=1):
        r[0] = str(i)
    write_db("oracle_co", CO_COLS, co, CO_PK, CO_FK, REPO + "customer_orders/co_populate.sql")

    sh = from_inserts(repo / "sales_history/sh_populate.sql", SH_COLS)
    cols = dict(SH_COLS)
    for t in ("promotions", "times", "costs"):
        cols[t], sh[t] = read_csv(repo / f"sales_history/{t}.csv")
    y = cols["times"].index("calendar_year")
    sh["times"] = [r for r in sh["times"] if r[y] == SH_YEAR]
    keep = {r[0] for r in sh["times"]}
    ti = cols["costs"].index("time_id")
    sh["costs"] = [r for r in sh["costs"] if r[ti] in keep]
    write_db("oracle_sh", cols, sh, SH_PK, SH_FK, REPO + "sales_history/")


if __name__ == "__main__":
    main(sys.argv[1])
