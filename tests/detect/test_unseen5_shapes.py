"""Shapes met on a fifth round of public databases run as a new user would (reports/unseen5.md),
each rule on a small file built for it here, not on the database itself."""

from __future__ import annotations

import pandas as pd
import pytest

from synthgen_sdv.core.errors import InputError
from synthgen_sdv.detect.load import load_user_data
from synthgen_sdv.detect.types import type_text


def test_a_mongodb_style_underscore_id_is_the_key(tmp_path):
    """A copy of Postgres Pro's airline demo names every key ``_id`` (as a MongoDB export
    does): bookings' ``00000F`` codes and flights' numbers had no key, and tickets was keyed
    by its passengers' document numbers instead."""
    n = 30
    pd.DataFrame(
        {"_id": [f"{i:06X}" for i in range(n)], "total_amount": [100.0 + i for i in range(n)]}
    ).to_csv(tmp_path / "bookings.csv", index=False)
    pd.DataFrame(
        {
            "_id": range(5432000987, 5432000987 + n),
            "bookings_id": [f"{i % n:06X}" for i in range(n)],
            "passenger_id": [f"{8149 + i} {604011 + 7 * i}" for i in range(n)],
        }
    ).to_csv(tmp_path / "tickets.csv", index=False)
    user = load_user_data(tmp_path)
    tables = user.metadata["tables"]
    assert tables["bookings"].get("primary_key") == "_id"
    assert tables["tickets"].get("primary_key") == "_id"
    links = {
        (r["child_table_name"], r["child_foreign_key"]) for r in user.metadata["relationships"]
    }
    assert ("tickets", "bookings_id") in links


def test_a_row_number_named_with_key_words_alone_links_no_tables(tmp_path):
    """The World Cup database numbers each table's rows in ``key_id`` (1..n): every table's
    key, and the smaller tables' were taken as 1:1 extensions of the larger ones (a crash in
    sampling followed). A name of key words alone names no table, as a bare ``id`` does."""
    pd.DataFrame({"key_id": range(1, 31), "team_id": [f"T-{i:02d}" for i in range(30)]}).to_csv(
        tmp_path / "teams.csv", index=False
    )
    pd.DataFrame(
        {
            "key_id": range(1, 61),
            "team_id": [f"T-{i % 30:02d}" for i in range(60)],
            "goals": [i % 4 for i in range(60)],
        }
    ).to_csv(tmp_path / "team_appearances.csv", index=False)
    pd.DataFrame({"key_id": range(1, 11), "team_id": [f"T-{i:02d}" for i in range(10)]}).to_csv(
        tmp_path / "host_countries.csv", index=False
    )
    user = load_user_data(tmp_path)
    links = {
        (r["child_table_name"], r["child_foreign_key"], r["parent_table_name"])
        for r in user.metadata["relationships"]
    }
    assert not [link for link in links if link[1] == "key_id"]
    assert ("team_appearances", "team_id", "teams") in links


def test_timestamps_with_a_utc_offset_are_datetimes():
    """PostgreSQL's timestamptz as text (``2017-07-05 07:12:00+07``) stayed text, so every
    booking date was sampled as a copy of a real one; now the wall time is kept (one offset)
    or the UTC time (several), as a Parquet column with a time zone is read."""
    kind, parsed, fmt = type_text(
        pd.Series(["2017-07-05 07:12:00+07", "2017-07-14 13:02:00+07", None], dtype=object)
    )
    assert (kind, fmt) == ("datetime", "%Y-%m-%d %H:%M:%S")
    assert parsed.dt.strftime("%H:%M").tolist()[:2] == ["07:12", "13:02"]
    kind, parsed, _ = type_text(
        pd.Series(["2017-07-05T07:12:00Z", "2017-07-05T09:30:00+02:00"], dtype=object)
    )
    assert kind == "datetime" and parsed.dt.strftime("%H:%M").tolist() == ["07:12", "07:30"]
    # the detected wall-time format, given back in a metadata file, still reads them
    kind, parsed, _ = type_text(pd.Series(["2017-07-05 07:12:00+07"]), "%Y-%m-%d %H:%M:%S")
    assert kind == "datetime" and parsed.dt.hour.tolist() == [7]
    # a plain date or an offset-like code is no zoned timestamp
    assert type_text(pd.Series(["2017-07-05", "2017-07-06"]))[0] == "date"
    assert type_text(pd.Series(["12:00-05", "x"]))[0] == "string"


def test_a_text_latitude_column_is_not_regenerated_as_codes(tmp_path):
    """A spreadsheet turned 45 of 2,000 latitudes into dates (``27-Aug``); SDV guessed the
    sdtype 'latitude' from the name, which the PII regenerator has no Faker method for, and
    every sampled latitude was a code like ``tL-39324355``."""
    n = 40
    pd.DataFrame(
        {
            "id": range(n),
            "latitude": ["34.15", "40.76", "27-Aug", "29.5"] * (n // 4),
            "longitude": [-117.76, -73.74, -80.1, -95.0] * (n // 4),
        }
    ).to_csv(tmp_path / "users.csv", index=False)
    user = load_user_data(tmp_path)
    columns = user.metadata["tables"]["users"]["columns"]
    assert columns["latitude"]["sdtype"] == "categorical"
    assert not columns["latitude"].get("pii")
    assert columns["longitude"]["sdtype"] == "numerical"
    assert any("users.latitude" in n and "latitude" in n for n in user.notes)


def test_amounts_with_a_currency_sign_are_numbers(tmp_path):
    """A Kaggle bank's users_data and cards_data write money as ``$59696`` and ``$24,295 ``
    (a spreadsheet's padding): text, so every amount was a category and the sample could only
    copy real amounts. Now numbers, with a note; a code with a sign (``$00012``) stays text."""
    pd.DataFrame(
        {
            "id": range(6),
            "credit_limit": ["$24,295 ", "$21,968 ", "$46,414 ", "$28 ", "$1,000,000 ", ""],
            "balance": ["-$5.50", "$0.25", "$12", "€3", "$-1.00", "$7"],
            "code": ["$00012", "$1", "$2", "$3", "$4", "$5"],
        }
    ).to_csv(tmp_path / "cards.csv", index=False)
    user = load_user_data(tmp_path)
    frame = user.tables["cards"]
    assert frame["credit_limit"].tolist()[:5] == [24295, 21968, 46414, 28, 1000000]
    assert frame["credit_limit"].isna().tolist()[5]
    assert frame["balance"].tolist() == [-5.5, 0.25, 12.0, 3.0, -1.0, 7.0]
    assert frame["code"].tolist()[0] == "$00012"
    assert any("cards.credit_limit" in n and "currency sign" in n for n in user.notes)


def _concepts(tmp_path, with_children: bool) -> None:
    # OMOP Eunomia's concept.csv writes one concept_id twice (40213200)
    ids = [40213200, 1557272, 4112343, 40481088, 40213200, 8532, 8507, *range(100, 123)]
    pd.DataFrame(
        {
            "concept_id": ids,
            "concept_name": [f"c{i}" for i in range(len(ids))],
            "concept_code": [f"{i}-{i % 7}" for i in range(len(ids))],
        }
    ).to_csv(tmp_path / "concept.csv", index=False)
    if with_children:
        pd.DataFrame(
            {
                "condition_era_id": range(40),
                "condition_concept_id": [1557272, 4112343, 40481088, 40213200] * 10,
            }
        ).to_csv(tmp_path / "condition_era.csv", index=False)


def test_a_repeated_id_that_others_refer_to_is_the_broken_key_not_a_unique_code(tmp_path):
    """Eunomia's concept.csv repeats one concept_id; its concept_code is unique, so it became
    the key, and 30 int *_concept_id columns could not refer to text codes (FK recall 0.16).
    The id other tables' columns refer to is the key, refused for its repeat as any broken
    key is; --bad-rows drop keeps its first row."""
    _concepts(tmp_path, with_children=True)
    frame = pd.read_csv(tmp_path / "concept.csv")
    assert not frame["concept_id"].is_unique and frame["concept_code"].is_unique
    with pytest.raises(InputError, match=r"concept\.csv, column concept_id"):
        load_user_data(tmp_path)
    user = load_user_data(tmp_path, bad_rows="drop")
    assert user.metadata["tables"]["concept"]["primary_key"] == "concept_id"
    links = {
        (r["child_table_name"], r["child_foreign_key"]) for r in user.metadata["relationships"]
    }
    assert ("condition_era", "condition_concept_id") in links


def test_a_unique_code_stays_the_key_when_nothing_refers_to_the_repeated_id(tmp_path):
    _concepts(tmp_path, with_children=False)
    user = load_user_data(tmp_path)
    assert user.metadata["tables"]["concept"]["primary_key"] == "concept_code"
