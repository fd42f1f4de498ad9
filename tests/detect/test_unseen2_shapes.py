"""Shapes met on more public databases run as a new user would (reports/unseen2.md), each
rule on a small folder built for it here, not on the database itself."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from synthgen_sdv.core.errors import InputError
from synthgen_sdv.detect.load import load_user_data
from synthgen_sdv.detect.names import names_linked_value, split_key, unqualified
from tests.detect.test_unseen_names import _keys, _rels, _write


def _countries(n: int = 40) -> pd.DataFrame:
    codes = [a + b + c for a in "ABCD" for b in "EFGH" for c in "IJK"][:n]
    return pd.DataFrame({"Code": codes, "Name": [f"Land {i}" for i in range(n)]})


def _languages(codes: list[str], rng) -> pd.DataFrame:
    langs = ["English", "French", "Arabic", "Spanish", "Hindi", "Swahili", "Malay", "Dutch"]
    rows = [
        (code, lang, "T" if i == 0 else "F", round(float(rng.uniform(0, 100)), 1))
        for code in codes
        for i, lang in enumerate(rng.choice(langs, size=rng.integers(1, 5), replace=False))
    ]
    return pd.DataFrame(rows, columns=["CountryCode", "Language", "IsOfficial", "Percentage"])


@pytest.mark.parametrize(
    "column, table, parent, expected",
    [
        ("Language", "countrylanguage", "country", True),
        ("genre", "movie_genres", "movies", True),  # movies' plural, genres' plural
        ("tag", "track_tags", "tracks", True),
        ("role", "UserRole", "users", True),
        ("Percentage", "countrylanguage", "country", False),
        ("CountryCode", "countrylanguage", "country", False),
        ("language", "country", "country", False),  # nothing left after the parent's name
        ("ab", "countryab", "country", False),  # too short a rest to be a name
    ],
)
def test_a_link_tables_name_is_a_parent_glued_to_a_column(column, table, parent, expected):
    assert names_linked_value(column, table, parent) is expected


def test_a_link_to_a_value_with_no_table_is_keyed_by_both(tmp_path):
    """MySQL world's countrylanguage(CountryCode, Language): Language has no table, but the
    table's name is country + language, so the pair is the key."""
    rng = np.random.default_rng(3)
    country = _countries()
    langs = _languages(country["Code"].tolist(), rng)
    assert not langs.duplicated(["CountryCode", "Language"]).any()
    _write(tmp_path, {"country": country, "countrylanguage": langs})
    user = load_user_data(tmp_path)
    assert _keys(user)["countrylanguage"] == ["CountryCode", "Language"]
    assert ("countrylanguage", "CountryCode", "country", "Code") in _rels(user)


def test_a_table_not_named_after_its_values_gets_no_composite_key_from_them(tmp_path):
    rng = np.random.default_rng(3)
    country = _countries()
    spoken = _languages(country["Code"].tolist(), rng)
    _write(tmp_path, {"country": country, "spoken": spoken})
    user = load_user_data(tmp_path)
    assert _keys(user)["spoken"] is None


def test_order_lines_numbered_within_an_order_key_are_its_composite_key(tmp_path):
    """AdventureWorks (Maven's copy): Sales(OrderNumber, OrderLineItem), the line numbering
    each order's rows 1..n, beats (OrderNumber, ProductKey), also unique by chance."""
    rng = np.random.default_rng(5)
    products = pd.DataFrame({"ProductKey": np.arange(200, 260), "Price": rng.uniform(1, 99, 60)})
    rows = []
    for i in range(300):
        items = rng.choice(products["ProductKey"], size=rng.integers(1, 4), replace=False)
        rows += [(f"SO{50000 + i}", int(p), line + 1) for line, p in enumerate(items)]
    sales = pd.DataFrame(rows, columns=["OrderNumber", "ProductKey", "OrderLineItem"])
    sales["OrderQuantity"] = rng.integers(1, 4, len(sales))
    _write(tmp_path, {"Products": products, "Sales": sales})
    user = load_user_data(tmp_path)
    assert _keys(user)["Sales"] == ["OrderNumber", "OrderLineItem"]
    assert ("Sales", "ProductKey", "Products", "ProductKey") in _rels(user)


def test_a_reference_named_after_the_last_word_of_a_table(tmp_path):
    """SQL Murder Mystery: person.license_id refers to drivers_license.id. Dense ids 1..n are
    linked by names only; a few missing parents are said against drivers_license, not as "a
    table that is not in the folder"."""
    rng = np.random.default_rng(7)
    licences = pd.DataFrame({"id": np.arange(1, 301), "age": rng.integers(18, 90, 300)})
    person = pd.DataFrame(
        {
            "id": np.arange(10000, 10300),
            "name": [f"P{i}" for i in range(300)],
            "license_id": rng.permutation(licences["id"].to_numpy()),
        }
    )
    _write(tmp_path, {"drivers_license": licences, "person": person})
    assert ("person", "license_id", "drivers_license", "id") in _rels(load_user_data(tmp_path))
    person.loc[:2, "license_id"] = [900, 901, 902]
    _write(tmp_path, {"person": person})
    user = load_user_data(tmp_path)
    assert not any(r[1] == "license_id" for r in _rels(user))
    assert any(n.startswith("person.license_id: named like drivers_license.id") for n in user.notes)
    assert not any("not in the folder" in n for n in user.notes)


@pytest.mark.parametrize(
    "column, stem, key",
    [
        ("SK_ID_CURR", ("curr",), "id"),  # Home Credit: a surrogate key's id of "curr"
        ("ss_item_sk", ("ss", "item"), "sk"),  # TPC-DS
        ("sk_customer", ("customer",), "sk"),
        ("desk", (), None),
        ("sku", (), None),
    ],
)
def test_surrogate_key_words(column, stem, key):
    assert split_key(column) == (stem, key)


def test_home_credit_keys_and_a_pandas_row_index(tmp_path):
    """Home Credit files as pandas wrote them (to_csv with its index: a nameless first column
    of distinct numbers), keyed SK_ID_CURR / SK_ID_BUREAU."""
    rng = np.random.default_rng(11)
    app = pd.DataFrame(
        {
            "SK_ID_CURR": rng.choice(np.arange(100000, 460000), 200, replace=False),
            "TARGET": rng.integers(0, 2, 200),
            "AMT_CREDIT": rng.uniform(1e4, 1e6, 200).round(1),
        }
    )
    bureau = pd.DataFrame(
        {
            "SK_ID_CURR": rng.choice(app["SK_ID_CURR"], 500),
            "SK_ID_BUREAU": rng.choice(np.arange(5000000, 6000000), 500, replace=False),
            "DAYS_CREDIT": rng.integers(-2900, 0, 500),
        }
    )
    app.sample(frac=1, random_state=1).to_csv(tmp_path / "application_train.csv")  # index kept
    bureau.to_csv(tmp_path / "bureau.csv")
    user = load_user_data(tmp_path)
    keys = _keys(user)
    assert keys == {"application_train": "SK_ID_CURR", "bureau": "SK_ID_BUREAU"}
    assert ("bureau", "SK_ID_CURR", "application_train", "SK_ID_CURR") in _rels(user)
    assert list(user.tables["bureau"].columns) == ["SK_ID_CURR", "SK_ID_BUREAU", "DAYS_CREDIT"]
    assert sum("row index" in n for n in user.notes) == 2


def test_a_nameless_first_column_that_is_not_a_row_index_is_still_refused(tmp_path):
    frame = pd.DataFrame({"": ["a", "b", "c", "d"], "x": [1, 2, 3, 4]})
    frame.to_csv(tmp_path / "t.csv", index=False)
    with pytest.raises(InputError, match=r"column 1 of t\.csv has no name"):
        load_user_data(tmp_path)


def test_one_table_split_over_files_and_copied_files_are_said(tmp_path):
    """AdventureWorks (Maven's copy) ships Sales_2021..2023, one table a year; a Lego copy
    ships sets.csv as a copy of inventory_sets.csv."""
    rng = np.random.default_rng(2)
    for year in (2021, 2022):
        pd.DataFrame(
            {"OrderNumber": [f"SO{year}{i}" for i in range(30)], "Qty": rng.integers(1, 5, 30)}
        ).to_csv(tmp_path / f"Sales_{year}.csv", index=False)
    links = pd.DataFrame(
        {"inventory_id": rng.integers(1, 50, 40), "set_num": [f"{i}-1" for i in range(40)]}
    )
    links.to_csv(tmp_path / "inventory_sets.csv", index=False)
    links.to_csv(tmp_path / "sets.csv", index=False)
    notes = load_user_data(tmp_path).notes
    assert any(n.startswith("Sales_2021, Sales_2022 have the same 2 columns") for n in notes)
    assert any(n.startswith("inventory_sets, sets hold the same columns and rows") for n in notes)


def test_a_reference_to_a_table_with_a_composite_key_says_so(tmp_path):
    rng = np.random.default_rng(4)
    sets = pd.DataFrame(
        {
            "inventory_id": np.repeat(np.arange(1, 21), 3),
            "set_num": [f"{i % 7}-1" for i in range(60)],
        }
    ).drop_duplicates()
    inventories = pd.DataFrame({"id": np.arange(1, 21), "set_num": rng.choice(sets["set_num"], 20)})
    _write(tmp_path, {"sets": sets, "inventories": inventories})
    user = load_user_data(tmp_path)
    assert _keys(user)["sets"] == ["inventory_id", "set_num"]
    assert any(
        n.startswith("inventories.set_num: named after table sets, whose key is composite")
        for n in user.notes
    )


def test_git_lfs_pointers_exit_2_naming_them(tmp_path, capsys):
    """A clone made without git-lfs (aanundgit/OLAP-Contoso): every CSV holds three lines
    naming the data. Said as such, with the way out, before any file is read as a table."""
    from synthgen_sdv.cli import main

    data = tmp_path / "data"
    data.mkdir()
    pointer = "version https://git-lfs.github.com/spec/v1\noid sha256:{}\nsize {}\n"
    (data / "DimCustomer.csv").write_text(pointer.format("4" * 64, 4742343))
    (data / "FactSales.csv").write_text(pointer.format("a" * 64, 123))
    pd.DataFrame({"id": [1, 2], "name": ["a", "b"]}).to_csv(data / "DimStore.csv", index=False)
    with pytest.raises(InputError, match=r"2 of the 3 files are Git LFS pointers") as info:
        load_user_data(data)
    assert "DimCustomer.csv (4,742,343 bytes)" in str(info.value)
    assert "git lfs pull" in str(info.value)
    code = main(["fit-sample", "--data-dir", str(data), "--out", str(tmp_path / "out")])
    assert code == 2
    assert "Git LFS pointers" in capsys.readouterr().err


def test_a_role_before_the_table_name_with_no_key_word(tmp_path):
    """Synthea's payer_transitions: PAYER and SECONDARY_PAYER both hold payers.Id GUIDs; the
    secondary payer is one payer only, too few values to link by values alone."""
    import uuid

    rng = np.random.default_rng(8)
    ids = [str(uuid.UUID(int=int(rng.integers(1, 2**62)))) for _ in range(10)]
    payers = pd.DataFrame({"Id": ids, "NAME": [f"Payer {i}" for i in range(10)]})
    transitions = pd.DataFrame(
        {
            "MEMBERID": np.arange(200),
            "PAYER": rng.choice(ids, 200),
            "SECONDARY_PAYER": np.where(rng.random(200) < 0.3, ids[0], None),  # one payer
        }
    )
    _write(tmp_path, {"payers": payers, "payer_transitions": transitions})
    rels = _rels(load_user_data(tmp_path))
    assert ("payer_transitions", "PAYER", "payers", "Id") in rels
    assert ("payer_transitions", "SECONDARY_PAYER", "payers", "Id") in rels


@pytest.mark.parametrize(
    "table, name",
    [
        ("Sales.OrderLines", "OrderLines"),
        ("dbo.Customers", "Customers"),
        ("public.orders", "orders"),
        ("orders.2021", "orders.2021"),  # no name after the dot: not a schema
        ("order_lines", "order_lines"),
    ],
)
def test_a_schema_prefix_is_not_part_of_a_table_name(table, name):
    assert unqualified(table) == name


def test_schema_qualified_files_keep_their_keys(tmp_path):
    """WideWorldImporters exported as Sales.Orders, Sales.OrderLines, Purchasing.PurchaseOrderLines:
    OrderLineID is Sales.OrderLines' own key, not a reference to PurchaseOrderLines (whose name
    ends with OrderLines), and a date named by its role is no reference to a DateDim."""
    rng = np.random.default_rng(12)
    days = pd.date_range("2016-01-01", periods=60, freq="D")
    dates = pd.DataFrame({"DATE": days.strftime("%Y-%m-%d"), "YEAR": days.year})
    orders = pd.DataFrame(
        {"OrderID": np.arange(1, 101), "OrderDate": rng.choice(dates["DATE"], 100)}
    )
    lines = pd.DataFrame(
        {
            "OrderLineID": np.arange(1, 301),
            "OrderID": rng.integers(1, 101, 300),
            "Quantity": rng.integers(1, 9, 300),
        }
    )
    po_lines = pd.DataFrame(
        {"PurchaseOrderLineID": np.arange(1, 41), "OrderedOuters": rng.integers(1, 9, 40)}
    )
    _write(
        tmp_path,
        {
            "DateDim": dates,
            "Sales.Orders": orders,
            "Sales.OrderLines": lines,
            "Purchasing.PurchaseOrderLines": po_lines,
        },
    )
    user = load_user_data(tmp_path)
    assert _keys(user)["Sales.OrderLines"] == "OrderLineID"
    rels = _rels(user)
    assert ("Sales.OrderLines", "OrderID", "Sales.Orders", "OrderID") in rels
    assert not any(r[1] == "OrderDate" for r in rels)


def test_a_unique_role_named_reference_is_not_a_one_to_one_key(tmp_path):
    """Spider's music_1: artist.preferred_genre names a genre (a role before the table's name);
    unique in a small table, it is still a reference, not the key of a 1:1 extension."""
    genre = pd.DataFrame({"g_name": ["pop", "rock", "jazz", "folk", "blues", "soul"]})
    artist = pd.DataFrame(
        {
            "artist_name": [f"A{i}" for i in range(6)],
            "country": ["UK", "US", "US", "IN", "UK", "FR"],
            "preferred_genre": ["rock", "pop", "jazz", "folk", "blues", "soul"],
        }
    )
    _write(tmp_path, {"genre": genre, "artist": artist})
    user = load_user_data(tmp_path)
    assert _keys(user)["artist"] != "preferred_genre"
    assert not any(r[2] == "artist" for r in _rels(user))


def test_a_repeated_column_name_is_said_once_with_its_positions(tmp_path):
    """A copy of Maven's pizza sales whose order_details.csv header names pizza_type_id twice."""
    (tmp_path / "order_details.csv").write_text(
        "order_id;pizza_type_id;pizza_type_id;quantity\n1;hawaiian_m;hawaiian;1\n2;bbq_s;bbq;2\n"
    )
    with pytest.raises(InputError) as info:
        load_user_data(tmp_path)
    text = str(info.value)
    assert "column 'pizza_type_id' appears twice in the header (columns 2 and 3" in text
    assert text.count("order_details.csv") == 1
