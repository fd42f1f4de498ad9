"""Build corpus/adventureworks_lt from the AdventureWorksLT bulk-load files.

Source: https://github.com/akshay-raj-bakshi-bsl/AdventureWorksLite (commit
14ba4b35521a734b866d85942b673535dfaf9696): the ten SalesLT *.csv files and the
install script 1.sql (CREATE TABLE column order, keys, BULK INSERT options).

The files are SQL Server BULK INSERT data files without a header: fields are
separated by '|+|'; rows end with '\\n', except ProductModel.csv (rows end with
'$$$==$$$', the CatalogDescription XML spans lines) and ProductDescription.csv
(UTF-16 'widechar', rows end with '\\r\\n').  Encodings: Address.csv UTF-8 with
BOM, Customer.csv Windows-1252 (CODEPAGE ACP), the rest ASCII.  An empty field
is NULL (KEEPNULLS).  Values are written unchanged; the column names come from
1.sql; the schema prefix SalesLT is dropped from table names.  Dropped:
Product.ThumbNailPhoto (varbinary image, hex text in the file).  The computed
columns present in the files (SalesOrderDetail.LineTotal,
SalesOrderHeader.SalesOrderNumber and TotalDue) are kept.  No subsetting.

usage: python build_adventureworks_lt.py path/to/folder/with/the/csv/files
"""

import sys
from pathlib import Path

from common import CORPUS, write_keys, write_table

SOURCE = (
    "https://github.com/akshay-raj-bakshi-bsl/AdventureWorksLite/tree/"
    "14ba4b35521a734b866d85942b673535dfaf9696"
)
LICENCE = (
    "MIT (Copyright (c) 2017 Muhammad Aladdin), LICENSE of the source repository; "
    "AdventureWorksLT is Microsoft's sample database, published by Microsoft under MIT in "
    "microsoft/sql-server-samples"
)

COLS = {  # from the CREATE TABLE statements in 1.sql
    "Address": [
        "AddressID",
        "AddressLine1",
        "AddressLine2",
        "City",
        "StateProvince",
        "CountryRegion",
        "PostalCode",
        "rowguid",
        "ModifiedDate",
    ],
    "Customer": [
        "CustomerID",
        "NameStyle",
        "Title",
        "FirstName",
        "MiddleName",
        "LastName",
        "Suffix",
        "CompanyName",
        "SalesPerson",
        "EmailAddress",
        "Phone",
        "PasswordHash",
        "PasswordSalt",
        "rowguid",
        "ModifiedDate",
    ],
    "CustomerAddress": ["CustomerID", "AddressID", "AddressType", "rowguid", "ModifiedDate"],
    "Product": [
        "ProductID",
        "Name",
        "ProductNumber",
        "Color",
        "StandardCost",
        "ListPrice",
        "Size",
        "Weight",
        "ProductCategoryID",
        "ProductModelID",
        "SellStartDate",
        "SellEndDate",
        "DiscontinuedDate",
        "ThumbNailPhoto",
        "ThumbnailPhotoFileName",
        "rowguid",
        "ModifiedDate",
    ],
    "ProductCategory": [
        "ProductCategoryID",
        "ParentProductCategoryID",
        "Name",
        "rowguid",
        "ModifiedDate",
    ],
    "ProductDescription": ["ProductDescriptionID", "Description", "rowguid", "ModifiedDate"],
    "ProductModel": ["ProductModelID", "Name", "CatalogDescription", "rowguid", "ModifiedDate"],
    "ProductModelProductDescription": [
        "ProductModelID",
        "ProductDescriptionID",
        "Culture",
        "rowguid",
        "ModifiedDate",
    ],
    "SalesOrderDetail": [
        "SalesOrderID",
        "SalesOrderDetailID",
        "OrderQty",
        "ProductID",
        "UnitPrice",
        "UnitPriceDiscount",
        "LineTotal",
        "rowguid",
        "ModifiedDate",
    ],
    "SalesOrderHeader": [
        "SalesOrderID",
        "RevisionNumber",
        "OrderDate",
        "DueDate",
        "ShipDate",
        "Status",
        "OnlineOrderFlag",
        "SalesOrderNumber",
        "PurchaseOrderNumber",
        "AccountNumber",
        "CustomerID",
        "ShipToAddressID",
        "BillToAddressID",
        "ShipMethod",
        "CreditCardApprovalCode",
        "SubTotal",
        "TaxAmt",
        "Freight",
        "TotalDue",
        "Comment",
        "rowguid",
        "ModifiedDate",
    ],
}
DROP = {"Product": {"ThumbNailPhoto"}}
ENCODING = {"Address": "utf-8-sig", "Customer": "cp1252", "ProductDescription": "utf-16"}
ROW_END = {"ProductModel": "$$$==$$$", "ProductDescription": "\r\n"}

PK = {
    "Address": "AddressID",
    "Customer": "CustomerID",
    "CustomerAddress": ["CustomerID", "AddressID"],
    "Product": "ProductID",
    "ProductCategory": "ProductCategoryID",
    "ProductDescription": "ProductDescriptionID",
    "ProductModel": "ProductModelID",
    "ProductModelProductDescription": ["ProductModelID", "ProductDescriptionID", "Culture"],
    "SalesOrderDetail": ["SalesOrderID", "SalesOrderDetailID"],
    "SalesOrderHeader": "SalesOrderID",
}
FK = [  # FOREIGN KEY constraints of 1.sql
    ("CustomerAddress", "AddressID", "Address", "AddressID"),
    ("CustomerAddress", "CustomerID", "Customer", "CustomerID"),
    ("Product", "ProductCategoryID", "ProductCategory", "ProductCategoryID"),
    ("Product", "ProductModelID", "ProductModel", "ProductModelID"),
    ("ProductCategory", "ParentProductCategoryID", "ProductCategory", "ProductCategoryID"),
    (
        "ProductModelProductDescription",
        "ProductDescriptionID",
        "ProductDescription",
        "ProductDescriptionID",
    ),
    ("ProductModelProductDescription", "ProductModelID", "ProductModel", "ProductModelID"),
    ("SalesOrderDetail", "ProductID", "Product", "ProductID"),
    ("SalesOrderDetail", "SalesOrderID", "SalesOrderHeader", "SalesOrderID"),
    ("SalesOrderHeader", "BillToAddressID", "Address", "AddressID"),
    ("SalesOrderHeader", "ShipToAddressID", "Address", "AddressID"),
    ("SalesOrderHeader", "CustomerID", "Customer", "CustomerID"),
]


def read_bulk(path: Path, table: str):
    with open(path, encoding=ENCODING.get(table, "ascii"), newline="") as fh:
        text = fh.read()
    end = ROW_END.get(table, "\n")
    records = text.split(end)
    if records and records[-1].strip() == "":
        records.pop()
    ncol = len(COLS[table])
    for rec in records:
        if table == "ProductModel":
            rec = rec.removeprefix("\n")  # the '\n' after '$$$==$$$'
        fields = rec.split("|+|")
        assert len(fields) == ncol, (table, len(fields), rec[:80])
        yield [f if f != "" else None for f in fields]


def main(src):
    src, out = Path(src), CORPUS / "adventureworks_lt"
    for t, cols in COLS.items():
        keep = [i for i, c in enumerate(cols) if c not in DROP.get(t, ())]
        rows = ([r[i] for i in keep] for r in read_bulk(src / f"{t}.csv", t))
        n = write_table(out, t, [cols[i] for i in keep], rows)
        print(f"{t:32s} {n:6d}")
    write_keys(out, SOURCE, LICENCE, PK, FK)


if __name__ == "__main__":
    main(sys.argv[1])
