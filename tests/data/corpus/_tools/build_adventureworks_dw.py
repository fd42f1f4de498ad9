"""Build corpus/adventureworks_dw: Microsoft's AdventureWorksDW sample data warehouse (a star
schema named with `...Key` columns), from its official install files.

Source: https://github.com/microsoft/sql-server-samples (commit
481085dc95720244a359f1311afd6003e0bcc09c), folder
samples/databases/adventure-works/data-warehouse-install-script/: instawdbdw.sql and the
bulk-load files <Table>.csv (pipe-separated, no header, UTF-8) of the tables in TABLES.
Column order, the BULK INSERT options and the declared keys (ALTER TABLE ... PRIMARY KEY /
FOREIGN KEY ... REFERENCES) are read from instawdbdw.sql with the parser of
build_adventureworks_purchasing.py. An empty field is NULL; values are written unchanged.

What is in it: every table whose data file is in the repository snapshot (files of 4 MB and
more are not: DimCustomer, DimEmployee, DimProduct, FactInternetSales, FactResellerSales,
FactProductInventory), except DatabaseLog (a log), sysdiagrams (binary),
NewFactCurrencyRate (a staging copy) and FactAdditionalInternationalProductDescription (its only
link is to the missing DimProduct). Foreign keys to missing tables are absent parents.
Dropped column: DimSalesTerritory.SalesTerritoryImage (varbinary).
Subset: the two large fact tables keep calendar year 2012 (FactFinance, FactCurrencyRate:
DateKey 20120101..20121231); FactInternetSalesReason keeps its last 1,500 sales orders
(SalesOrderNumber order: the 2014 ones, several lines each, where the declared 3-column key is
needed; the first orders have one line each). Dimensions are whole.

usage: python build_adventureworks_dw.py path/to/data-warehouse-install-script
"""

import sys
from pathlib import Path

from build_adventureworks_purchasing import parse_script, read_bulk
from common import CORPUS, read_text, write_keys, write_table

SOURCE = (
    "https://github.com/microsoft/sql-server-samples/tree/"
    "481085dc95720244a359f1311afd6003e0bcc09c/"
    "samples/databases/adventure-works/data-warehouse-install-script"
)
LICENCE = "MIT (Copyright (c) Microsoft Corporation), license.txt of microsoft/sql-server-samples"
TABLES = [
    "DimAccount",
    "DimCurrency",
    "DimDate",
    "DimDepartmentGroup",
    "DimGeography",
    "DimOrganization",
    "DimProductCategory",
    "DimProductSubcategory",
    "DimPromotion",
    "DimReseller",
    "DimSalesReason",
    "DimSalesTerritory",
    "DimScenario",
    "FactCallCenter",
    "FactCurrencyRate",
    "FactFinance",
    "FactInternetSalesReason",
    "FactSalesQuota",
    "FactSurveyResponse",
    "ProspectiveBuyer",
]
DROP = {"DimSalesTerritory": ["SalesTerritoryImage"]}
YEAR = ("20120101", "20121231")
ORDERS = 1500


def subset(table: str, names: list[str], rows: list[list]) -> list[list]:
    if table in ("FactFinance", "FactCurrencyRate"):
        i = names.index("DateKey")
        return [r for r in rows if YEAR[0] <= r[i] <= YEAR[1]]
    if table == "FactInternetSalesReason":
        i = names.index("SalesOrderNumber")
        keep = set(sorted({r[i] for r in rows})[-ORDERS:])
        return [r for r in rows if r[i] in keep]
    return rows


def main(src):
    src, out = Path(src), CORPUS / "adventureworks_dw"
    sql = read_text(src / "instawdbdw.sql", "utf-8-sig").replace("\r\n", "\n")
    # two ALTER TABLE statements share one batch (DimCustomer's, DimDepartmentGroup's): split
    sql = sql.replace("\nALTER TABLE", "\nGO\nALTER TABLE")
    cols, opts, pks, fks = parse_script(sql)
    full = {t.split(".")[1]: t for t in cols}
    for t in TABLES:
        rows = read_bulk(src / f"{t}.csv", opts[full[t]])
        names = next(c for c in cols[full[t]] if len(c) == len(rows[0]))
        assert all(len(r) == len(names) for r in rows), t
        rows = subset(t, names, rows)
        keep = [i for i, c in enumerate(names) if c not in DROP.get(t, [])]
        n = write_table(out, t, [names[i] for i in keep], ([r[i] for i in keep] for r in rows))
        print(f"{t:30s} {n:6d}")
    short = lambda t: t.split(".")[1]  # noqa: E731
    declared = {t: pks.get(full[t]) for t in TABLES}  # FactFinance declares none
    pk = {t: (k[0] if k and len(k) == 1 else k) for t, k in declared.items()}
    fk = [
        (short(c), col, short(p), pc)
        for c, col, p, pc in fks
        if short(c) in TABLES and short(p) in TABLES
    ]
    absent = sorted(
        (short(c), column, short(p))
        for c, col, p, pc in fks
        if short(c) in TABLES and short(p) not in TABLES
        for column in ([col] if isinstance(col, str) else col)  # each column of a composite
    )
    assert not any(isinstance(c, tuple) for _, c, _, _ in fk)
    write_keys(out, SOURCE, LICENCE, pk, sorted(fk), absent)
    for a in absent:
        print("absent parent:", a)


if __name__ == "__main__":
    main(sys.argv[1])
