"""Files as other tools write them: Excel's Windows-1252 CSV, SQL Server's and Excel's UTF-16
"Unicode text", a BOM with ';' and CRLF and every field quoted. Each reads as its UTF-8 twin."""

from __future__ import annotations

import pandas as pd
import pytest

from synthgen_sdv.detect.load import load_user_data
from synthgen_sdv.detect.reading import file_encoding

CUSTOMERS = "customer_id;name;city\r\n1;José;Köln\r\n2;Zoë;Malmö\r\n3;Ann;Reykjavík\r\n"
ORDERS = "order_id;customer_id;amount\r\n10;1;2,5\r\n11;1;3,75\r\n12;3;1,0\r\n13;2;9,5\r\n"


def _folder(tmp_path, encoding: str, name: str):
    folder = tmp_path / name
    folder.mkdir()
    (folder / "customers.csv").write_bytes(CUSTOMERS.encode(encoding))
    (folder / "orders.csv").write_bytes(ORDERS.encode(encoding))
    return folder


@pytest.mark.parametrize(
    "encoding, found, note",
    [
        ("utf-8", "utf-8-sig", False),
        ("utf-8-sig", "utf-8-sig", False),
        ("utf-16", "utf-16", False),  # with its BOM, as Excel's "Unicode text" and bcp write
        ("cp1252", "cp1252", True),
    ],
)
def test_encodings_read_as_the_same_table(tmp_path, encoding, found, note):
    folder = _folder(tmp_path, encoding, encoding)
    assert file_encoding(folder / "customers.csv") == found
    user = load_user_data(folder)
    assert user.tables["customers"]["name"].tolist() == ["José", "Zoë", "Ann"]
    assert user.tables["customers"]["city"].tolist() == ["Köln", "Malmö", "Reykjavík"]
    assert user.tables["orders"]["amount"].tolist() == [2.5, 3.75, 1.0, 9.5]
    assert user.metadata["relationships"] == [
        {
            "parent_table_name": "customers",
            "parent_primary_key": "customer_id",
            "child_table_name": "orders",
            "child_foreign_key": "customer_id",
        }
    ]
    said = [n for n in user.notes if "not UTF-8" in n]
    assert bool(said) == note
    if note:
        assert "Windows-1252" in said[0] and "customers.csv" in " ".join(said)
        assert "encoding cp1252" in user.dialects["customers.csv"]


def test_bytes_no_text_encoding_explains_fall_back_to_latin1(tmp_path):
    """0x81 is undefined in Windows-1252: Latin-1 reads every byte (never a traceback)."""
    (tmp_path / "t.csv").write_bytes(b"code,label\n1,a\x81b\n2,c\n")
    assert file_encoding(tmp_path / "t.csv") == "latin-1"
    user = load_user_data(tmp_path)
    assert user.tables["t"]["label"].tolist() == ["a\x81b", "c"]


def test_quoted_numbers_and_leading_zero_codes(tmp_path):
    """Every field quoted (numbers too) with a BOM; codes with leading zeros stay text keys."""
    (tmp_path / "stores.csv").write_text(
        '"stor_id";"stor_name"\r\n"0736";"A"\r\n"0877";"B"\r\n"7066";"C"\r\n',
        encoding="utf-8-sig",
    )
    (tmp_path / "sales.csv").write_text(
        '"ord_num";"stor_id";"qty"\r\n"A1";"0736";"5"\r\n"A2";"0877";"10"\r\n"A3";"0736";"3"\r\n',
        encoding="utf-8-sig",
    )
    user = load_user_data(tmp_path)
    assert user.tables["stores"]["stor_id"].tolist() == ["0736", "0877", "7066"]
    assert user.types["sales"]["qty"] == "int"
    assert pd.api.types.is_integer_dtype(user.tables["sales"]["qty"])
    rels = {(r["child_table_name"], r["child_foreign_key"]) for r in user.metadata["relationships"]}
    assert rels == {("sales", "stor_id")}


def test_a_cp1252_file_with_decimal_commas_says_both(tmp_path):
    _folder(tmp_path, "cp1252", "x")
    user = load_user_data(tmp_path / "x")
    notes = "\n".join(user.notes)
    assert "orders.csv: amount: numbers with a decimal comma" in notes
    assert "customers.csv: not UTF-8; read as Windows-1252" in notes  # orders.csv is ASCII
    assert "orders.csv: not UTF-8" not in notes
