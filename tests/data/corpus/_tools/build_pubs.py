"""Build corpus/pubs from Microsoft's pubs install script.

Source: https://github.com/microsoft/sql-server-samples (commit
481085dc95720244a359f1311afd6003e0bcc09c), samples/databases/northwind-pubs/instpubs.sql.

The script's `insert t [(cols)] values (...)` statements are parsed by
common.parse_sql_inserts (no SQL Server needed).  Literals are written as they
appear: '' quotes undone, $money -> plain number, dates stay the script's
mm/dd/yy text (the script runs under SET DATEFORMAT mdy), char(n) values are not
padded.  Columns left out of an insert get their declared constant DEFAULT
(titles.type 'UNDECIDED'); a DEFAULT (getdate()) (titles.pubdate of MC3026 and
PC9999) is the install time and is written as NULL.  jobs.job_id is an
IDENTITY(1,1) the script leaves to the server: numbered 1..n in script order.
Dropped: pub_info.logo (image, 0x... literals).  No subsetting.

usage: python build_pubs.py path/to/instpubs.sql
"""

import sys
from collections import defaultdict

from common import CORPUS, Opaque, parse_sql_inserts, read_text, write_keys, write_table

SOURCE = (
    "https://github.com/microsoft/sql-server-samples/blob/"
    "481085dc95720244a359f1311afd6003e0bcc09c/samples/databases/northwind-pubs/instpubs.sql"
)
LICENCE = (
    "MIT (Copyright (c) Microsoft Corporation), license.txt of "
    "microsoft/sql-server-samples; the script's own header reads "
    "'Copyright Microsoft, Inc. 1994 - 2000 All Rights Reserved.'"
)

COLS = {  # CREATE TABLE column order
    "authors": [
        "au_id",
        "au_lname",
        "au_fname",
        "phone",
        "address",
        "city",
        "state",
        "zip",
        "contract",
    ],
    "publishers": ["pub_id", "pub_name", "city", "state", "country"],
    "titles": [
        "title_id",
        "title",
        "type",
        "pub_id",
        "price",
        "advance",
        "royalty",
        "ytd_sales",
        "notes",
        "pubdate",
    ],
    "titleauthor": ["au_id", "title_id", "au_ord", "royaltyper"],
    "stores": ["stor_id", "stor_name", "stor_address", "city", "state", "zip"],
    "sales": ["stor_id", "ord_num", "ord_date", "qty", "payterms", "title_id"],
    "roysched": ["title_id", "lorange", "hirange", "royalty"],
    "discounts": ["discounttype", "stor_id", "lowqty", "highqty", "discount"],
    "jobs": ["job_id", "job_desc", "min_lvl", "max_lvl"],
    "pub_info": ["pub_id", "logo", "pr_info"],
    "employee": ["emp_id", "fname", "minit", "lname", "job_id", "job_lvl", "pub_id", "hire_date"],
}
DROP = {"pub_info": {"logo"}}
DEFAULTS = {"titles": {"type": "UNDECIDED", "pubdate": None}}  # None: getdate()
IDENTITY = {"jobs": "job_id"}

PK = {
    "authors": "au_id",
    "publishers": "pub_id",
    "titles": "title_id",
    "titleauthor": ["au_id", "title_id"],
    "stores": "stor_id",
    "sales": ["stor_id", "ord_num", "title_id"],
    "roysched": None,
    "discounts": None,
    "jobs": "job_id",
    "pub_info": "pub_id",
    "employee": "emp_id",
}
FK = [  # REFERENCES clauses of the CREATE TABLE statements
    ("titles", "pub_id", "publishers", "pub_id"),
    ("titleauthor", "au_id", "authors", "au_id"),
    ("titleauthor", "title_id", "titles", "title_id"),
    ("sales", "stor_id", "stores", "stor_id"),
    ("sales", "title_id", "titles", "title_id"),
    ("roysched", "title_id", "titles", "title_id"),
    ("discounts", "stor_id", "stores", "stor_id"),
    ("pub_info", "pub_id", "publishers", "pub_id"),
    ("employee", "job_id", "jobs", "job_id"),
    ("employee", "pub_id", "publishers", "pub_id"),
]


def main(path):
    out = CORPUS / "pubs"
    rows = defaultdict(list)
    for t, cols, vals in parse_sql_inserts(read_text(path)):
        target = COLS[t]
        if cols is None:
            cols = [c for c in target if c != IDENTITY.get(t)]
        assert len(cols) == len(vals), (t, cols, vals)
        rec = dict(DEFAULTS.get(t, {}))
        rec.update(zip(cols, vals, strict=True))
        if t in IDENTITY:
            rec[IDENTITY[t]] = str(len(rows[t]) + 1)
        keep = [c for c in target if c not in DROP.get(t, ())]
        row = [rec.get(c) for c in keep]
        assert not any(isinstance(v, Opaque) for v in row), (t, row)
        rows[t].append(row)
    for t, target in COLS.items():
        keep = [c for c in target if c not in DROP.get(t, ())]
        n = write_table(out, t, keep, rows[t])
        print(f"{t:12s} {n:4d}")
    write_keys(out, SOURCE, LICENCE, PK, FK)


if __name__ == "__main__":
    main(sys.argv[1])
