"""Shapes met on a fourth round of public databases run as a new user would (reports/unseen4.md),
each rule on a small file built for it here, not on the database itself."""

from __future__ import annotations

import pandas as pd
import pytest

from synthgen_sdv.core.errors import InputError
from synthgen_sdv.detect.load import load_user_data
from synthgen_sdv.detect.reading import read_raw


def _no_header(path, text: str) -> str:
    path.write_text(text)
    with pytest.raises(InputError) as err:
        read_raw(path)
    return str(err.value)


@pytest.mark.parametrize(
    "text",
    [
        # a SAP HANA export (OpenBeerDB): an id, then text; no fraction, no NULL mark
        '1,"British Ale"\n2,"Irish Ale"\n3,"North American Ale"\n',
        '1,1,"Classic English-Style Pale Ale"\n2,1,"English-Style IPA"\n3,1,"Bitter"\n',
        # a timestamp is no column name
        'name,2010-07-22 20:00:20\n"Rocky River",2010-07-22 20:00:20\n'
        '"Rockyard",2010-07-23 09:00:00\n',
    ],
)
def test_a_file_whose_first_row_is_a_record_has_no_header(tmp_path, text):
    """The first row of a headerless file became column names ('1', 'British Ale') and was
    lost as a row; now the file is refused, saying it seems to have no header row."""
    message = _no_header(tmp_path / "categories.csv", text)
    assert "categories.csv" in message and "no header row" in message


@pytest.mark.parametrize(
    "text",
    [
        "region,2019,2020\nnorth,10.5,11\nsouth,3,4.25\n",  # years name a pivot's columns
        "2019,2020\n10,11\n20,21\n",  # every column named by a year
        "1,label\n1,a\n2,b\n",  # the first cell is one of the first column's values
        "7,label\nx,a\ny,b\n",  # the first column holds no numbers
    ],
)
def test_numbers_in_a_header_are_still_names(tmp_path, text):
    path = tmp_path / "t.csv"
    path.write_text(text)
    assert list(read_raw(path).frame.columns) == text.split("\n")[0].split(",")


def test_backslash_escaped_quotes_and_delimiters_are_read(tmp_path):
    """SAP HANA and MySQL write a quote or a delimiter inside a value as \\" and \\, (not "");
    read as plain CSV, a row with \\" ends its quoted value early and has a field too few."""
    (tmp_path / "beers.csv").write_text(
        "id,name,descript,abv\n"
        '1,"Black Honey Ale","Sweet\\, dark",5.2\n'
        '2,"Erdinger","known as \\"fine filtration\\"",5.3\n'
        '3,"Rock River Lager","",0\n'
    )
    user = load_user_data(tmp_path)
    frame = user.tables["beers"]
    assert frame["descript"].tolist()[:2] == ["Sweet, dark", 'known as "fine filtration"']
    assert frame["abv"].tolist() == [5.2, 5.3, 0]
    assert any("backslash" in n for n in user.notes)


def test_a_ragged_file_without_backslash_escapes_is_still_refused(tmp_path):
    (tmp_path / "t.csv").write_text("a,b,c\n1,2,3\n4,5\n")
    with pytest.raises(InputError, match="do not have the header's 3 fields"):
        read_raw(tmp_path / "t.csv")


def test_a_date_column_written_in_several_formats_is_a_date(tmp_path):
    """Maven Market's transaction_date: 1997-01-01 beside 7/17/1997 (and stock_date
    12-03-1997 beside 8/16/1997), as a spreadsheet re-saved them; it stayed text (categories)."""
    (tmp_path / "sales.csv").write_text(
        "id,sold,stocked\n1,1997-01-02,12-31-1996\n2,7/17/1997,7/15/1997\n"
        "3,12/30/1997,12-03-1997\n4,,1/5/1997\n"
    )
    user = load_user_data(tmp_path)
    frame = user.tables["sales"]
    assert str(frame["sold"].dtype).startswith("datetime64")
    assert frame["sold"].dt.strftime("%Y-%m-%d").tolist()[:3] == [
        "1997-01-02",
        "1997-07-17",
        "1997-12-30",
    ]
    assert frame["sold"].isna().tolist() == [False, False, False, True]
    assert frame["stocked"].dt.strftime("%m-%d").tolist() == ["12-31", "07-15", "12-03", "01-05"]


@pytest.mark.parametrize(
    "values",
    [
        ["1997-01-02", "7/17/1997", "17/7/1997"],  # month-first and day-first together
        ["1997-01-02", "7/17/1997", "soon"],  # a word among dates
        ["A-1997-01-02", "B-7/17/1997", "C"],  # codes with digits
    ],
)
def test_values_that_are_no_one_family_of_dates_stay_text(values):
    from synthgen_sdv.detect.types import type_text

    kind, _, _ = type_text(pd.Series(values, dtype=object))
    assert kind == "string"


def test_a_postcode_named_column_of_formats_is_no_postcode(tmp_path):
    """countries-states-cities' postal_code_format (####) and postal_code_regex (^(\\d{4})$):
    SDV guesses 'postcode' by the name, and the sample held fake postcodes (95769) instead."""
    n = 40
    pd.DataFrame(
        {
            "id": range(1, n + 1),
            "postal_code_format": ["####", "#####", "@#@ #@#", ""] * (n // 4),
            "postal_code_regex": ["^(\\d{4})$", "^(\\d{5})$", "^([A-Z]\\d)$", ""] * (n // 4),
            "postal_code": ["12209", "SW1A 1AA", "S-958 22", "05021"] * (n // 4),
        }
    ).to_csv(tmp_path / "countries.csv", index=False)
    columns = load_user_data(tmp_path).metadata["tables"]["countries"]["columns"]
    assert columns["postal_code_format"]["sdtype"] == "categorical"
    assert columns["postal_code_regex"]["sdtype"] == "categorical"
    assert columns["postal_code"]["sdtype"] == "postcode"


def test_a_sequence_number_within_a_reference_completes_a_key(tmp_path):
    """GTFS stop_times(trip_id, stop_sequence): the numbers of a trip need not start at 1 nor
    be consecutive, so the ordinal rule missed it and the table had no key."""
    trips = pd.DataFrame({"trip_id": [f"T{i}" for i in range(30)], "route": ["a", "b"] * 15})
    stops = pd.DataFrame({"stop_id": [f"S{i}" for i in range(12)], "name": list("abcdefghijkl")})
    rows = []
    for i in range(30):
        start = 1 + i % 3
        for j, seq in enumerate(range(start, start + 8, 2 if i % 2 else 1)):
            rows.append((f"T{i}", f"{10 + j}:00:00", f"S{(i + j) % 12}", seq))
    stop_times = pd.DataFrame(rows, columns=["trip_id", "arrival_time", "stop_id", "stop_sequence"])
    stop_times.loc[stop_times.index[::7], "stop_id"] = "S0"  # a stop twice on some trips
    for name, frame in {"trips": trips, "stops": stops, "stop_times": stop_times}.items():
        frame.to_csv(tmp_path / f"{name}.csv", index=False)
    keys = load_user_data(tmp_path).metadata["tables"]
    assert keys["stop_times"].get("primary_key") == ["trip_id", "stop_sequence"]


def test_iso_dates_that_are_exactly_the_ambiguous_ones_are_swapped_back(tmp_path):
    """Maven Market's transaction_date: every ISO value has a day <= 12, every M/D/YYYY value
    a day > 12: the ambiguous dates were read day-first and written as ISO."""
    rows = [f"1997-{d:02d}-{m:02d}" for m in (1, 2) for d in range(1, 13)]  # swapped
    rows += [f"{m}/{d}/1997" for m in (1, 2) for d in range(13, 29)]
    frame = pd.DataFrame({"id": range(len(rows)), "sold": rows})
    frame.to_csv(tmp_path / "sales.csv", index=False)
    sold = load_user_data(tmp_path).tables["sales"]["sold"]
    assert sold.dt.month.tolist() == [1] * 12 + [2] * 12 + [1] * 16 + [2] * 16
    assert sold.dt.day.tolist()[:3] == [1, 2, 3]
    # ISO days above 12 beside them: no swap
    rows[0] = "1997-03-25"
    frame.assign(sold=rows).to_csv(tmp_path / "sales.csv", index=False)
    sold = load_user_data(tmp_path).tables["sales"]["sold"]
    assert sold.dt.strftime("%Y-%m-%d").tolist()[:2] == ["1997-03-25", "1997-02-01"]
