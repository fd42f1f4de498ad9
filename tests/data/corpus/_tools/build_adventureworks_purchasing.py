"""Build corpus/adventureworks_purchasing: the Production + Purchasing part of
Microsoft's AdventureWorks OLTP sample, from its official install files.

Source: https://github.com/microsoft/sql-server-samples (commit
481085dc95720244a359f1311afd6003e0bcc09c), folder
samples/databases/adventure-works/oltp-install-script/: instawdb.sql and the
bulk-load files <Table>.csv of the tables listed in TABLES.

Everything is read from instawdb.sql: column order (CREATE TABLE; the data
files of these tables hold the computed columns too, e.g.
PurchaseOrderHeader.TotalDue, PurchaseOrderDetail.LineTotal, and they are kept), the
BULK INSERT options of each file (FIELDTERMINATOR, ROWTERMINATOR; all files are
CODEPAGE 65001, i.e. UTF-8) and the declared keys (ALTER TABLE ... PRIMARY KEY /
FOREIGN KEY ... REFERENCES).  An empty field is NULL.  Values are written
unchanged (nchar codes keep their padding, e.g. UnitMeasureCode 'C  ').
The schema prefixes (Production., Purchasing.) are dropped from table names.
No column is dropped (none of these tables has a binary column); no row is
dropped.  Foreign keys to tables outside TABLES are reported as absent parents.

usage: python build_adventureworks_purchasing.py path/to/oltp-install-script
"""

import re
import sys
from pathlib import Path

from common import CORPUS, read_text, write_keys, write_table

SOURCE = (
    "https://github.com/microsoft/sql-server-samples/tree/"
    "481085dc95720244a359f1311afd6003e0bcc09c/"
    "samples/databases/adventure-works/oltp-install-script"
)
LICENCE = "MIT (Copyright (c) Microsoft Corporation), license.txt of microsoft/sql-server-samples"
TABLES = [
    "Production.Product",
    "Production.ProductSubcategory",
    "Production.ProductCategory",
    "Production.ProductModel",
    "Production.UnitMeasure",
    "Production.BillOfMaterials",
    "Production.ProductInventory",
    "Production.Location",
    "Production.ProductCostHistory",
    "Production.ProductListPriceHistory",
    "Purchasing.ProductVendor",
    "Purchasing.Vendor",
    "Purchasing.PurchaseOrderHeader",
    "Purchasing.PurchaseOrderDetail",
    "Purchasing.ShipMethod",
]


def unescape(term: str) -> str:
    if term.lower() == "0x0a":
        return "\n"
    return term.replace("\\t", "\t").replace("\\n", "\n")


def parse_script(sql: str):
    cols, opts, pks, fks = {}, {}, {}, []
    for m in re.finditer(r"CREATE TABLE \[(\w+)\]\.\[(\w+)\]\(\n(.*?)\n\) ON", sql, re.S):
        names, stored = [], []
        for line in m.group(3).split("\n"):
            c = re.match(r"\s+\[(\w+)\]\s+(.*)", line)
            if c and c.group(1) != "CONSTRAINT":
                names.append(c.group(1))
                if not c.group(2).startswith("AS "):
                    stored.append(c.group(1))
        # all columns, and those left when the computed ones are taken out
        cols[f"{m.group(1)}.{m.group(2)}"] = (names, stored)
    bulk = r"BULK INSERT \[(\w+)\]\.\[(\w+)\] FROM '[^']*'\s*WITH \((.*?)\);"
    for m in re.finditer(bulk, sql, re.S):
        o = dict(re.findall(r"(\w+)\s*=\s*'([^']*)'", m.group(3)))
        opts[f"{m.group(1)}.{m.group(2)}"] = o
    for stmt in re.split(r"\nGO\n", sql):
        a = re.match(r"\s*ALTER TABLE \[(\w+)\]\.\[(\w+)\]", stmt)
        if not a:
            continue
        table = f"{a.group(1)}.{a.group(2)}"
        for m in re.finditer(r"PRIMARY KEY (?:NON)?CLUSTERED\s*\((.*?)\)", stmt, re.S):
            pks[table] = re.findall(r"\[(\w+)\]", m.group(1))
        fk = r"FOREIGN KEY\s*\((.*?)\)\s*REFERENCES \[(\w+)\]\.\[(\w+)\]\s*\((.*?)\)"
        for m in re.finditer(fk, stmt, re.S):
            c, pc = re.findall(r"\[(\w+)\]", m.group(1)), re.findall(r"\[(\w+)\]", m.group(4))
            # composite FKs (only between tables outside TABLES) stay tuples
            c, pc = (c[0], pc[0]) if len(c) == 1 else (tuple(c), tuple(pc))
            fks.append((table, c, f"{m.group(2)}.{m.group(3)}", pc))
    return cols, opts, pks, fks


def read_bulk(path: Path, o: dict):
    assert o.get("CODEPAGE") == "65001" and o.get("DATAFILETYPE") == "char", o
    with open(path, encoding="utf-8", newline="") as fh:
        text = fh.read()
    ft, rt = unescape(o["FIELDTERMINATOR"]), unescape(o["ROWTERMINATOR"])
    records = text.split(rt)
    if records[-1] == "":
        records.pop()
    return [[f if f != "" else None for f in rec.split(ft)] for rec in records]


def main(src):
    src, out = Path(src), CORPUS / "adventureworks_purchasing"
    sql = read_text(src / "instawdb.sql", "utf-8-sig").replace("\r\n", "\n")
    cols, opts, pks, fks = parse_script(sql)
    short = lambda t: t.split(".")[1]  # noqa: E731
    for t in TABLES:
        rows = read_bulk(src / f"{short(t)}.csv", opts[t])
        # take the column list (with or without computed columns) whose length
        # matches the file's field count
        names = next(c for c in cols[t] if len(c) == len(rows[0]))
        assert all(len(r) == len(names) for r in rows), t
        n = write_table(out, short(t), names, rows)
        print(f"{short(t):26s} {n:6d}")
    assert not any(isinstance(c, tuple) for t, c, p, pc in fks if t in TABLES)
    pk = {short(t): (pks[t][0] if len(pks[t]) == 1 else pks[t]) for t in TABLES}
    fk = [(short(c), col, short(p), pc) for c, col, p, pc in fks if c in TABLES and p in TABLES]
    absent = [(short(c), col, short(p)) for c, col, p, pc in fks if c in TABLES and p not in TABLES]
    write_keys(out, SOURCE, LICENCE, pk, sorted(fk), sorted(absent))
    for a in sorted(absent):
        print("absent parent:", a)


if __name__ == "__main__":
    main(sys.argv[1])
