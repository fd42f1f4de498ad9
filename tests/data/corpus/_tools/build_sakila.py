"""Build corpus/sakila from the jOOQ Sakila PostgreSQL COPY dump.

Source: https://github.com/jOOQ/sakila (commit e089a5b1ec9af0df7a9c6a5d47d49fa1736a4e84),
file postgres-sakila-db/postgres-sakila-insert-data-using-copy.sql; keys from
postgres-sakila-db/postgres-sakila-schema.sql (ALTER TABLE ... ADD CONSTRAINT).

Every COPY block is exported as is (pg text format: \\N = NULL, backslash
escapes decoded).  Only staff.picture (bytea) is dropped.  No subsetting.

usage: python build_sakila.py path/to/postgres-sakila-insert-data-using-copy.sql
"""

import sys

from common import CORPUS, parse_pg_copy, read_text, write_keys, write_table

SOURCE = (
    "https://github.com/jOOQ/sakila/blob/e089a5b1ec9af0df7a9c6a5d47d49fa1736a4e84/"
    "postgres-sakila-db/postgres-sakila-insert-data-using-copy.sql"
)
LICENCE = (
    "BSD-2-Clause (jOOQ/sakila LICENSE); Sakila data: New BSD license "
    "(MySQL AB / DB Software Laboratory)"
)
DROP = {"staff": {"picture"}}

PK = {
    "actor": "actor_id",
    "address": "address_id",
    "category": "category_id",
    "city": "city_id",
    "country": "country_id",
    "customer": "customer_id",
    "film": "film_id",
    "film_actor": ["actor_id", "film_id"],
    "film_category": ["film_id", "category_id"],
    "inventory": "inventory_id",
    "language": "language_id",
    "payment": "payment_id",
    "rental": "rental_id",
    "staff": "staff_id",
    "store": "store_id",
}
FK = [  # (child, column, parent, parent column) as declared in the schema file
    ("address", "city_id", "city", "city_id"),
    ("city", "country_id", "country", "country_id"),
    ("customer", "address_id", "address", "address_id"),
    ("customer", "store_id", "store", "store_id"),
    ("film_actor", "actor_id", "actor", "actor_id"),
    ("film_actor", "film_id", "film", "film_id"),
    ("film_category", "category_id", "category", "category_id"),
    ("film_category", "film_id", "film", "film_id"),
    ("film", "language_id", "language", "language_id"),
    ("film", "original_language_id", "language", "language_id"),
    ("inventory", "film_id", "film", "film_id"),
    ("inventory", "store_id", "store", "store_id"),
    ("payment", "customer_id", "customer", "customer_id"),
    ("payment", "rental_id", "rental", "rental_id"),
    ("payment", "staff_id", "staff", "staff_id"),
    ("rental", "customer_id", "customer", "customer_id"),
    ("rental", "inventory_id", "inventory", "inventory_id"),
    ("rental", "staff_id", "staff", "staff_id"),
    ("staff", "address_id", "address", "address_id"),
    ("staff", "store_id", "store", "store_id"),
    ("store", "address_id", "address", "address_id"),
    ("store", "manager_staff_id", "staff", "staff_id"),
]


def main(path):
    out = CORPUS / "sakila"
    tables = parse_pg_copy(read_text(path))
    for name, (cols, rows) in sorted(tables.items()):
        keep = [i for i, c in enumerate(cols) if c not in DROP.get(name, ())]
        n = write_table(out, name, [cols[i] for i in keep], ([r[i] for i in keep] for r in rows))
        print(f"{name:15s} {n:6d}")
    assert set(tables) == set(PK), set(tables) ^ set(PK)
    write_keys(out, SOURCE, LICENCE, PK, FK)


if __name__ == "__main__":
    main(sys.argv[1])
