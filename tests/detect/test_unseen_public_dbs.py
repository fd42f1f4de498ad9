"""Naming schemes of three more public databases (pgexercises' club, OpenFlights, dbt's Jaffle
Shop), each rule on a small folder built for it, not on the database itself: glued keys with a
three-letter stem (``facid``, ``memid``), a self reference glued to its verb
(``recommendedby``), a loading layer's ``raw_`` prefix, and plain-named columns of GUIDs."""

from __future__ import annotations

import uuid

import numpy as np
import pandas as pd
import pytest

from synthgen_sdv.detect.load import load_user_data
from synthgen_sdv.detect.names import (
    Level,
    hierarchy_named,
    name_level,
    named_after_table,
    split_key,
    table_words,
)
from synthgen_sdv.detect.sdtypes import text_regex
from tests.detect.test_unseen_names import _keys, _rels, _write


@pytest.mark.parametrize(
    "column, table, level",
    [
        ("facid", "facilities", Level.ABBREVIATION),  # fac + id, and fac starts facility
        ("memid", "members", Level.ABBREVIATION),
        ("bookid", "bookings", Level.ABBREVIATION),
        ("facid", "orders", Level.NONE),  # a short glued stem names only the table it starts
        ("acid", "accounts", Level.NONE),  # two letters: a plain word
        ("valid", "vendors", Level.NONE),  # "val" + "id": "val" does not start "vendor"
    ],
)
def test_short_glued_stems_count_only_for_the_table_they_abbreviate(column, table, level):
    assert named_after_table(column, table) == level


def test_a_relation_word_glued_to_a_verb_is_a_reference():
    assert split_key("recommendedby") == (("recommended",), "by")
    assert split_key("reportsto") == (("reports",), "to")
    assert hierarchy_named("recommendedby") and hierarchy_named("approvedby")
    for plain in ("potato", "nearby", "lobby", "bolivia", "trivia"):
        assert split_key(plain) == ((), None), plain


def test_a_loading_layer_prefix_is_not_part_of_the_table_name():
    assert table_words("raw_customers") == ("customer",)
    assert table_words("src_orders") == ("order",)
    assert table_words("fct_orders") == ("order",) and table_words("stg_customers") == ("customer",)
    assert name_level("store_id", "raw_stores", "id") == Level.TABLE
    assert name_level("customer", "raw_customers", "id") == Level.ABBREVIATION


def test_club_keys_with_three_letter_stems_and_a_glued_self_reference(tmp_path):
    """Every key a dense 0..N range (values alone prove nothing): names must carry it."""
    rng = np.random.default_rng(0)
    n_mem = 30
    recommended = [None] * 5 + [int(rng.integers(0, i)) for i in range(5, n_mem)]
    members = pd.DataFrame(
        {
            "memid": range(n_mem),
            "surname": [f"s{i}" for i in range(n_mem)],
            "recommendedby": pd.array(recommended, dtype="Int64"),
        }
    )
    facilities = pd.DataFrame({"facid": range(9), "name": [f"court {i}" for i in range(9)]})
    bookings = pd.DataFrame(
        {
            "bookid": range(400),
            "facid": rng.integers(0, 9, 400),
            "memid": rng.integers(0, n_mem, 400),
            "slots": rng.integers(1, 4, 400),
        }
    )
    _write(tmp_path, {"members": members, "facilities": facilities, "bookings": bookings})
    user = load_user_data(tmp_path)
    assert _keys(user) == {"bookings": "bookid", "facilities": "facid", "members": "memid"}
    assert _rels(user) == {
        ("bookings", "facid", "facilities", "facid"),
        ("bookings", "memid", "members", "memid"),
        ("members", "recommendedby", "members", "memid"),
    }


def _guid(rng) -> str:
    return str(uuid.UUID(int=int(rng.integers(0, 2**63)) << 64 | int(rng.integers(0, 2**63))))


def test_raw_prefixed_tables_and_plain_named_guid_references(tmp_path):
    """dbt-style ``raw_`` tables keyed by GUIDs: ``customer`` (no key word) and ``store_id``
    name their tables once the prefix is dropped; ``owner`` names no table, but its GUIDs are
    all keys of one table, which no unrelated column could be by chance; ``reviewer``'s GUIDs
    are not all keys anywhere, so it stays a plain column."""
    rng = np.random.default_rng(1)
    customers = pd.DataFrame({"id": [_guid(rng) for _ in range(40)], "name": "x"})
    stores = pd.DataFrame({"id": [_guid(rng) for _ in range(4)], "city": list("abcd")})
    orders = pd.DataFrame(
        {
            "id": [_guid(rng) for _ in range(300)],
            "customer": rng.choice(customers["id"], 300),
            "store_id": rng.choice(stores["id"], 300),
            "total": rng.integers(100, 900, 300),
        }
    )
    notes = pd.DataFrame(
        {
            "id": [_guid(rng) for _ in range(50)],
            "owner": rng.choice(customers["id"], 50),
            "reviewer": [_guid(rng) for _ in range(25)] + list(rng.choice(customers["id"], 25)),
        }
    )
    _write(
        tmp_path,
        {"raw_customers": customers, "raw_stores": stores, "raw_orders": orders, "notes": notes},
    )
    user = load_user_data(tmp_path)
    assert _rels(user) == {
        ("raw_orders", "customer", "raw_customers", "id"),
        ("raw_orders", "store_id", "raw_stores", "id"),
        ("notes", "owner", "raw_customers", "id"),
    }


@pytest.mark.parametrize(
    "values, regex",
    [
        # a UUID key stays a UUID (a warehouse's UUID column accepts the sampled keys)
        (
            ["4b6c2304-2b9e-41e4-942a-cf11a1819378", "82edcb75-f7dc-4db0-9227-77b35d1c8c45"],
            "[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}",
        ),
        (
            ["4B6C2304-2B9E-41E4-942A-CF11A1819378"],
            "[0-9A-F]{8}-[0-9A-F]{4}-[0-9A-F]{4}-[0-9A-F]{4}-[0-9A-F]{12}",
        ),
        # fixed-width codes with several prefixes keep letters, separator and digits
        (["JAF-001", "JAF-002", "BEV-001", "BEV-004"], r"[A-Z]{3}\-[0-9]{3}"),
        (["SUP-001", "SUP-029"], r"SUP\-[0-9]{3}"),  # one prefix: kept as it is
        (["en    ", "fr    "], r"[a-z]{2}\ {4}"),
        (["ABC", "XYZ"], "[A-Z]{3}"),  # the simple shapes as before
        (["AD_PRES", "AD_VP"], None),  # widths differ: no shape
        (["ab-12", "c-3"], None),
    ],
)
def test_text_keys_keep_their_shape(values, regex):
    assert text_regex(pd.Series(values)) == regex


def test_a_code_shape_with_too_little_room_is_not_used():
    """``A-0``..``B-9`` as ``[A-Z]\\-[0-9]`` could make 260 keys, too few beside 20 real ones
    for sampling at scale: SDV's own ids are used instead."""
    assert text_regex(pd.Series([f"{c}-{i}" for c in "AB" for i in range(10)])) is None
    assert text_regex(pd.Series([f"{c}-{i}" for c in "AB" for i in range(100, 110)])) == (
        r"[A-Z]\-[0-9]{3}"
    )


def _error(folder, capsys) -> str:
    from synthgen_sdv.cli import main

    out = folder.parent / f"{folder.name}_out"
    assert main(["fit-sample", "--data-dir", str(folder), "--out", str(out)]) == 2
    assert not out.exists()
    return capsys.readouterr().err


def test_a_file_without_a_header_row_is_named_as_such(tmp_path, capsys):
    """OpenFlights' .dat files have no header: read as CSV, their first row becomes column
    names (``-1``, ``\\N``, ``-6.0817``); the error says what is wrong, not only which name."""
    (tmp_path / "airports.csv").write_text(
        "1,Goroka Airport,-6.081689834590001,145.391998291,5282\n"
        "2,Madang Airport,-5.20707988739,145.789001465,20\n"
    )
    err = _error(tmp_path, capsys)
    assert "airports.csv" in err and "no header row" in err and "Traceback" not in err
    (tmp_path / "airports.csv").unlink()
    (tmp_path / "airlines.csv").write_text(
        '-1,"Unknown",\\N,"-","N/A",\\N\n1,"Private",\\N,"-",,\n'
    )
    err = _error(tmp_path, capsys)
    assert "airlines.csv" in err and "no header row" in err


def test_numbers_as_column_names_are_still_a_header(tmp_path):
    """A pivoted table names its columns by year: whole numbers are column names."""
    (tmp_path / "sales.csv").write_text("region,2019,2020\nnorth,10.5,11\nsouth,3,4.25\n")
    user = load_user_data(tmp_path)
    assert list(user.tables["sales"].columns) == ["region", "2019", "2020"]


def test_a_folder_of_other_files_says_what_it_holds(tmp_path, capsys):
    (tmp_path / "routes.dat").write_text("2B,410,AER\n")
    err = _error(tmp_path, capsys)
    assert "no .csv or .parquet files" in err and "routes.dat" in err
