"""Build corpus/classicmodels from the MySQL port of the Classic Models sample database.

Source: https://github.com/hhorak/mysql-sample-db (commit
07992002687b6cc73ba79bd7a3b6abb18a774d99), mysqlsampledatabase.sql: mysqltutorial.org's
"MySQL Sample Database classicmodels" version 3.1, the Classic Models Inc. database of the
Eclipse BIRT project.

The dump's `insert into `t`(`a`,...) values (...),(...);` statements are parsed here
(multi-row VALUES, backquoted names, MySQL backslash escapes \\' \\" \\n \\r); column names
keep their camelCase.  Literals are written as they appear (decimals as the script's text,
dates as yyyy-mm-dd).  Dropped: productlines.image (mediumblob, NULL in every row) and
productlines.htmlDescription (NULL in every row).  No subsetting.

usage: python build_classicmodels.py path/to/mysqlsampledatabase.sql
"""

import re
import sys

from common import CORPUS, _Tok, read_text, write_keys, write_table

SOURCE = (
    "https://github.com/hhorak/mysql-sample-db/blob/"
    "07992002687b6cc73ba79bd7a3b6abb18a774d99/mysqlsampledatabase.sql"
    " (mysqltutorial.org classicmodels v3.1, from the Eclipse BIRT sample database)"
)
LICENCE = (
    "EPL-1.0: the Classic Models Inc. sample database of the Eclipse BIRT project "
    "(Copyright (c) 2005 Actuate Corporation, 'made available under the terms of the "
    "Eclipse Public License v1.0'); mysqltutorial.org's MySQL port is offered for free use"
)
DROP = {"productlines": {"image", "htmlDescription"}}
PK = {
    "customers": "customerNumber",
    "employees": "employeeNumber",
    "offices": "officeCode",
    "orderdetails": ["orderNumber", "productCode"],
    "orders": "orderNumber",
    "payments": ["customerNumber", "checkNumber"],
    "productlines": "productLine",
    "products": "productCode",
}
FK = [
    ("customers", "salesRepEmployeeNumber", "employees", "employeeNumber"),
    ("employees", "reportsTo", "employees", "employeeNumber"),
    ("employees", "officeCode", "offices", "officeCode"),
    ("orderdetails", "orderNumber", "orders", "orderNumber"),
    ("orderdetails", "productCode", "products", "productCode"),
    ("orders", "customerNumber", "customers", "customerNumber"),
    ("payments", "customerNumber", "customers", "customerNumber"),
    ("products", "productLine", "productlines", "productLine"),
]
_INSERT = re.compile(r"insert\s+into\s+`(\w+)`\s*\(([^)]*)\)\s*values\s*", re.I)
_ESCAPES = {"\\'": "''", '\\"': '"', "\\n": "\n", "\\r": "\r", "\\\\": "\\"}


def parse(text: str) -> dict:
    """{table: (columns, rows)} from the dump's multi-row inserts."""
    text = re.sub(r"\\['\"nr\\]", lambda m: _ESCAPES[m.group(0)], text)
    out: dict = {}
    for m in _INSERT.finditer(text):
        cols = [c.strip().strip("`") for c in m.group(2).split(",")]
        tok = _Tok(text, m.end())
        rows = []
        while True:
            tok.expect("(")
            rows.append(tok.items())
            if tok.peek() != ",":
                break
            tok.i += 1
        out.setdefault(m.group(1), (cols, []))[1].extend(rows)
    return out


def main(path: str) -> None:
    out = CORPUS / "classicmodels"
    for table, (cols, rows) in parse(read_text(path)).items():
        keep = [i for i, c in enumerate(cols) if c not in DROP.get(table, set())]
        n = write_table(out, table, [cols[i] for i in keep], ([r[i] for i in keep] for r in rows))
        print(table, n)
    write_keys(out, SOURCE, LICENCE, PK, FK)


if __name__ == "__main__":
    main(sys.argv[1])
