"""Shapes of Spider's databases as MachineSpider publishes them (names machine-translated to
German) and of California State University's statistics in them: names beyond ASCII, plural
endings English rules miss, a table keyed by another table's name, a unique name column
beside the table's id, and 'null' written among numbers. Each on a small folder built for it."""

from __future__ import annotations

import numpy as np
import pandas as pd

from synthgen_sdv.detect.load import load_user_data
from synthgen_sdv.detect.names import (
    Level,
    inflected_forms,
    name_level,
    named_after_table,
    table_forms,
    words,
)
from tests.detect.test_unseen_names import _keys, _rels, _write


def test_names_beyond_ascii_split_into_whole_words():
    # the ASCII pattern cut 'länder' into 'l', 'nder' and 'fakultät' into 'fakult', 't'
    assert words("länder") == ("länder",)
    assert words("csu_gebühren") == ("csu", "gebühren")
    assert words("ÜberOrtID") == ("über", "ort", "id")
    assert words("straße_nr") == ("straße", "nr")
    assert words("ShipToAddressID") == ("ship", "to", "address", "id")  # unchanged


def test_plural_endings_of_other_languages_are_weaker_table_forms():
    assert "land" in inflected_forms("länder")
    assert "kontinent" in inflected_forms("kontinente")
    assert "campus" in inflected_forms("campuses")
    assert "klant" in inflected_forms("klanten")
    assert "stor" not in table_forms("stores")  # an abbreviation stays one
    assert name_level("land_id", "länder", "land_id") == Level.SAME
    assert name_level("land", "länder", "land_id") == Level.ABBREVIATION
    assert name_level("kontinent", "kontinente", "cont_id") == Level.ABBREVIATION
    assert name_level("campus", "campuses", "id") == Level.ABBREVIATION
    assert name_level("stor_id", "stores", "store_id") == Level.ABBREVIATION
    assert named_after_table("land_id", "länder") == Level.ABBREVIATION
    assert name_level("lander", "länder", None) == Level.ABBREVIATION  # accents folded


def test_german_names_link_by_inflected_table_names(tmp_path):
    rng = np.random.default_rng(0)
    continents = pd.DataFrame(
        {"cont_id": range(1, 6), "kontinent": ["amerika", "europa", "asien", "afrika", "ozeanien"]}
    )
    countries = pd.DataFrame(
        {
            "land_id": range(1, 31),
            "landesname": [f"land {i}" for i in range(30)],
            "kontinent": rng.integers(1, 6, 30),
        }
    )
    makers = pd.DataFrame(
        {
            "id": range(1, 61),
            "vollständiger_name": [f"firma {i}" for i in range(60)],
            "land": rng.integers(1, 31, 60),
        }
    )
    _write(tmp_path, {"kontinente": continents, "länder": countries, "autohersteller": makers})
    user = load_user_data(tmp_path)
    assert _keys(user) == {"kontinente": "cont_id", "länder": "land_id", "autohersteller": "id"}
    assert _rels(user) == {
        ("länder", "kontinent", "kontinente", "cont_id"),
        ("autohersteller", "land", "länder", "land_id"),
    }


def test_a_table_keyed_by_another_tables_name_extends_it(tmp_path):
    """csu_1: fees are keyed by 'campus' (one row per campus); enrollments' 'campus' then has
    the key's own name in campus_fees, but both refer to campuses, which campus_fees extends
    1:1 (before: enrollments.campus -> campus_fees.campus, and campus_fees linked to nothing)."""
    rng = np.random.default_rng(1)
    campuses = pd.DataFrame(
        {
            "id": range(1, 24),
            "campus": [f"State University {i}" for i in range(23)],
            "county": rng.choice(["Kern", "Ventura", "Orange"], 23),
        }
    )
    fees = pd.DataFrame(
        {
            "campus": range(1, 24),
            "year": rng.integers(1996, 2005, 23),
            "amount": rng.integers(1000, 3000, 23),
        }
    )
    enrollments = pd.DataFrame(
        {
            "campus": np.repeat(np.arange(1, 24), 20),
            "year": np.tile(np.arange(1990, 2010), 23),
            "total": rng.integers(100, 30000, 460),
        }
    )
    _write(tmp_path, {"campuses": campuses, "campus_fees": fees, "enrollments": enrollments})
    user = load_user_data(tmp_path)
    assert _keys(user)["campuses"] == "id" and _keys(user)["campus_fees"] == "campus"
    assert _rels(user) == {
        ("campus_fees", "campus", "campuses", "id"),
        ("enrollments", "campus", "campuses", "id"),
    }


def test_a_tables_name_column_is_not_said_to_refer_to_its_extension(tmp_path):
    """campuses.campus (the name) shares its name with campus_fees' key, which refers to
    campuses: it said 'named like campus_fees.campus but holds string values'."""
    rng = np.random.default_rng(2)
    campuses = pd.DataFrame({"id": range(1, 24), "campus": [f"U {i}" for i in range(23)]})
    fees = pd.DataFrame({"campus": range(1, 24), "amount": rng.integers(1000, 3000, 23)})
    _write(tmp_path, {"campuses": campuses, "campus_fees": fees})
    user = load_user_data(tmp_path)
    assert _rels(user) == {("campus_fees", "campus", "campuses", "id")}
    assert not [n for n in user.notes if n.startswith("campuses.campus")], user.notes


def test_a_word_for_missing_among_numbers_is_read_as_empty(tmp_path):
    """car_1's autos_daten.mpg: '18', '15', 'null', ...: it was a category of 129 values (the
    numbers as text); now a number column with 8 empty values, said in a note."""
    from synthgen_sdv.detect.types import type_text

    kind, typed, _ = type_text(pd.Series(["18", "15", "null", "20.5"], dtype=object))
    assert kind == "float" and typed.isna().tolist() == [False, False, True, False]
    assert type_text(pd.Series(["2020-01-01", "NA"], dtype=object))[0] == "date"
    assert type_text(pd.Series(["NA", "NZ", "AU"], dtype=object))[0] == "string"  # Namibia
    assert type_text(pd.Series(["null", "null"], dtype=object))[0] == "string"
    rng = np.random.default_rng(3)
    mpg = rng.integers(10, 40, 60).astype(str).astype(object)
    mpg[[3, 17]] = "null"
    _write(tmp_path, {"cars": pd.DataFrame({"car_id": range(60), "mpg": mpg})})
    user = load_user_data(tmp_path)
    assert user.metadata["tables"]["cars"]["columns"]["mpg"]["sdtype"] == "numerical"
    assert any("cars.mpg: 2 values 'null'" in n for n in user.notes), user.notes


def test_a_panel_table_is_keyed_by_its_reference_and_its_year(tmp_path):
    """csu_1's abschlüsse(jahr, campus): one row per campus and year. 'jahr' (year) is named
    for a period, not like a key; the pair is the key, where a plain column is not searched."""
    rng = np.random.default_rng(5)
    campuses = pd.DataFrame({"id": range(1, 24), "name": [f"U {i}" for i in range(23)]})
    years = np.arange(1990, 2004)
    degrees = pd.DataFrame(
        {
            "jahr": np.tile(years, 23),
            "campus": np.repeat(np.arange(1, 24), len(years)),
            "degrees": rng.integers(100, 5000, 23 * len(years)),
        }
    )
    _write(tmp_path, {"campuses": campuses, "abschlüsse": degrees})
    user = load_user_data(tmp_path)
    assert _keys(user)["abschlüsse"] == ["jahr", "campus"]
    assert _rels(user) == {("abschlüsse", "campus", "campuses", "id")}
