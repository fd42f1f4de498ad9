"""Shapes from databases added last (Lahman, Stack Exchange, MIMIC's empty table), each on a
small folder built for it: a table-named column repeating per season, an empty table's key,
a table's own column not reported as naming an absent table, and a real broken key still
refused."""

from __future__ import annotations

import pandas as pd
import pytest

from synthgen_sdv.core.errors import InputError
from synthgen_sdv.detect.load import load_user_data
from tests.detect.test_unseen_names import _keys, _write
from tests.detect.test_unseen_names import _rels as _links


def _seasons() -> pd.DataFrame:
    """Lahman's Teams: teamID repeats every season; (yearID, teamID) is the key."""
    rows = [
        {"yearID": y, "lgID": "AL" if t < 3 else "NL", "teamID": f"T{t}", "W": 70 + t + y % 7}
        for y in (2014, 2015, 2016)
        for t in range(6)
    ]
    return pd.DataFrame(rows)


def test_a_table_named_column_repeating_per_season_is_part_of_a_composite_key(tmp_path):
    people = pd.DataFrame({"playerID": [f"p{i:02d}" for i in range(12)], "h": range(12)})
    salaries = pd.DataFrame(
        {"playerID": [f"p{i % 12:02d}" for i in range(24)], "yearID": [2014] * 12 + [2015] * 12}
    )
    _write(tmp_path, {"Teams": _seasons(), "People": people, "Salaries": salaries})
    user = load_user_data(tmp_path)
    keys = _keys(user)
    assert keys["Teams"] == ["yearID", "teamID"]
    assert keys["People"] == "playerID"
    assert "Teams.teamID" not in "\n".join(user.notes)  # its own column, no absent table


def test_a_table_named_key_broken_by_a_few_rows_is_still_refused(tmp_path):
    customers = pd.DataFrame({"customer_id": [*range(1, 41), 7, 9], "name": list("ab") * 21})
    _write(tmp_path, {"customers": customers})
    with pytest.raises(InputError, match=r"customers\.csv, column customer_id: 2 rows repeat"):
        load_user_data(tmp_path)


def test_a_table_named_column_repeating_with_no_composite_key_is_refused(tmp_path):
    teams = pd.concat([_seasons()] * 2, ignore_index=True)  # every row twice: no key holds
    _write(tmp_path, {"Teams": teams})
    with pytest.raises(InputError, match=r"Teams\.csv, column teamID"):
        load_user_data(tmp_path)


def test_a_table_named_column_repeating_in_different_rows_is_no_key(tmp_path):
    """Spider's college_2 ``teaches``: its bare ``id`` is the instructor's, repeated over the
    courses taught; no composite key holds it, and the rows differ, so it is no key (not a
    broken one): the run goes on without a key for the table and says why."""
    n = 30
    instructors = pd.DataFrame({"id": range(100, 100 + n), "name": [f"n{i}" for i in range(n)]})
    teaches = pd.DataFrame(
        {
            "id": [100 + (i * 7) % n for i in range(90)],
            "course": [f"course {i % 13}" for i in range(90)],
            "semester": ["Spring", "Fall", "Summer"] * 30,
            "year": [2000 + i % 3 for i in range(90)],
        }
    )
    _write(tmp_path, {"instructor": instructors, "teaches": teaches})
    user = load_user_data(tmp_path)
    assert _keys(user) == {"instructor": "id", "teaches": None}
    why = "\n".join(user.reasons)
    assert (
        "teaches key: 'id' is named after the table but repeats (30 distinct values in 90 rows)"
        in why
    )
    assert "modeled without a key" in why


def test_an_empty_table_takes_the_key_its_siblings_use(tmp_path):
    n = 20
    admissions = pd.DataFrame({"ROW_ID": range(1, n + 1), "HADM_ID": range(100, 100 + n)})
    stays = pd.DataFrame(
        {"ROW_ID": range(1, 2 * n + 1), "HADM_ID": [100 + i % n for i in range(2 * n)]}
    )
    (tmp_path / "NOTEEVENTS.csv").write_text("ROW_ID,HADM_ID,TEXT\n")
    (tmp_path / "notes.csv").write_text("note_id,body\n")
    _write(tmp_path, {"ADMISSIONS": admissions, "ICUSTAYS": stays, "CALLOUT": stays[:30]})
    keys = _keys(load_user_data(tmp_path))
    assert keys["ADMISSIONS"] == "HADM_ID"  # the key the others refer to
    assert keys["ICUSTAYS"] == keys["CALLOUT"] == "ROW_ID"
    assert keys["NOTEEVENTS"] == "ROW_ID"  # the key of two other tables
    assert keys["notes"] == "note_id"  # named after the empty table


def test_an_empty_table_with_no_telling_name_has_no_key(tmp_path):
    (tmp_path / "log.csv").write_text("when,what\n")
    _write(tmp_path, {"users": pd.DataFrame({"user_id": range(5)})})
    assert _keys(load_user_data(tmp_path))["log"] is None


def _flights(tmp_path, airport_names: bool = False):
    """nycflights' shape: natural keys of short codes, one referenced under another name."""
    codes = [f"A{i:02d}" for i in range(40)]
    airports = pd.DataFrame(
        {
            "faa": [f"Airport {c}" for c in codes] if airport_names else codes,
            "name": [f"Field {i}" for i in range(40)],
            "alt": range(40),
        }
    )
    airlines = pd.DataFrame({"carrier": ["9E", "AA", "UA", "B6"], "name": list("wxyz")})
    planes = pd.DataFrame({"tailnum": [f"N{i}JB" for i in range(30)], "seats": range(30)})
    n = 120
    flights = pd.DataFrame(
        {
            "carrier": [["9E", "AA", "UA", "B6"][i % 4] for i in range(n)],
            "tailnum": [f"N{i % 30}JB" for i in range(n)],
            "origin": [["A00", "A01", "A02"][i % 3] for i in range(n)],
            "dest": [airports["faa"][3 + i % 37] for i in range(n)],
            "delay": [i % 17 for i in range(n)],
        }
    )
    _write(tmp_path, {"airports": airports, "airlines": airlines, "planes": planes})
    _write(tmp_path, {"flights": flights})
    return load_user_data(tmp_path)


def test_natural_code_keys_are_found_and_referenced_by_other_names(tmp_path):
    user = _flights(tmp_path)
    keys = _keys(user)
    assert (keys["airlines"], keys["planes"], keys["airports"]) == ("carrier", "tailnum", "faa")
    assert _links(user) == {
        ("flights", "carrier", "airlines", "carrier"),
        ("flights", "tailnum", "planes", "tailnum"),
        ("flights", "dest", "airports", "faa"),  # many codes: unlikely by chance
        ("flights", "origin", "airports", "faa"),  # 3 codes, of the kind its sibling holds
    }


def test_few_codes_with_no_sibling_link_are_not_linked(tmp_path):
    crews = pd.DataFrame({"base": ["A00", "A01", "A02"] * 10, "crew": [f"c{i}" for i in range(30)]})
    _write(tmp_path, {"crews": crews})
    links = _links(_flights(tmp_path))
    assert ("crews", "base", "airports", "faa") not in links  # 3 codes alone: could be chance
    assert ("flights", "origin", "airports", "faa") in links


def test_text_with_spaces_is_not_a_code_key_by_values_alone(tmp_path):
    user = _flights(tmp_path, airport_names=True)
    assert _keys(user)["airports"] is None
    assert not any(link[2] == "airports" for link in _links(user))


def _votes(tmp_path):
    """Stack Exchange's shape: votes on posts the dump left out (deleted), 3 rows of 60."""
    posts = pd.DataFrame({"Id": range(1, 21), "Score": range(20)})
    votes = pd.DataFrame(
        {"Id": range(1, 61), "PostId": [*(1 + i % 20 for i in range(57)), 145, 377, 377]}
    )
    _write(tmp_path, {"Posts": posts, "Votes": votes})


def test_references_to_deleted_parents_are_named_and_repaired_on_request(tmp_path):
    _votes(tmp_path)
    user = load_user_data(tmp_path)
    assert not _links(user)
    note = "\n".join(user.notes)
    assert "Votes.PostId: named like Posts.Id but 2 of its values are not Posts keys" in note
    assert "--bad-rows repair links it and empties those 3 rows" in note
    user = load_user_data(tmp_path, bad_rows="repair")
    assert _links(user) == {("Votes", "PostId", "Posts", "Id")}
    assert int(user.tables["Votes"]["PostId"].isna().sum()) == 3
    assert "Votes.PostId: 3 rows named Posts rows that are not in the folder; emptied" in (
        "\n".join(user.notes)
    )


def test_many_references_to_missing_parents_are_never_repaired(tmp_path):
    posts = pd.DataFrame({"Id": range(1, 21)})
    votes = pd.DataFrame({"Id": range(1, 41), "PostId": [1 + i % 30 for i in range(40)]})
    _write(tmp_path, {"Posts": posts, "Votes": votes})
    user = load_user_data(tmp_path, bad_rows="repair")
    assert not _links(user)
    assert "Fix the data or declare the relationship" in "\n".join(user.notes)


def test_a_hierarchy_pointing_at_a_deleted_row_is_repaired_on_request(tmp_path):
    managers = [None, None, *(1 + i % 2 for i in range(37)), 99]  # 99: a deleted employee
    employees = pd.DataFrame({"employee_id": range(1, 41), "manager_id": managers})
    _write(tmp_path, {"employees": employees})
    user = load_user_data(tmp_path)
    assert not _links(user)
    assert "employees.manager_id: refers within employees" in "\n".join(user.notes)
    user = load_user_data(tmp_path, bad_rows="repair")
    assert _links(user) == {("employees", "manager_id", "employees", "employee_id")}
    assert int(user.tables["employees"]["manager_id"].isna().sum()) == 3


def test_an_int_column_pandas_wrote_with_nulls_is_an_int_key(tmp_path):
    """``to_csv`` of a column with NaN writes 1.0, 2.0: still ints, still a reference."""
    employees = pd.DataFrame(
        {"employee_id": range(1, 21), "manager_id": [None, *(1 + i % 3 for i in range(19))]}
    )
    employees.to_csv(tmp_path / "employees.csv", index=False)
    assert "2.0" in (tmp_path / "employees.csv").read_text()
    user = load_user_data(tmp_path)
    assert user.types["employees"]["manager_id"] == "int"
    assert _links(user) == {("employees", "manager_id", "employees", "employee_id")}
    prices = pd.DataFrame({"price": [1.0, 2.5, None]})  # a real float column stays float
    prices.to_csv(tmp_path / "prices.csv", index=False)
    assert load_user_data(tmp_path).types["prices"]["price"] == "float"


def test_a_key_that_only_starts_like_another_table_does_not_extend_it(tmp_path):
    """Spider's customers_and_invoices in German: orders (bestellungen) are keyed by
    auftragsnummer (order number), which order items (auftragspositionen) and invoices refer to
    by that name. The key only starts like 'auftragspositionen', and both keys are 1..15, so
    orders were taken for an extension of order items and every link went there."""
    n = 15
    purchases = pd.DataFrame(
        {"order_number": range(1, n + 1), "customer": [i % 4 for i in range(n)]}
    )
    items = pd.DataFrame(
        {
            "orderitem_id": range(1, n + 1),
            "order_number": [1 + (i * 7) % n for i in range(n)],
            "quantity": [1 + i % 5 for i in range(n)],
        }
    )
    invoices = pd.DataFrame(
        {"invoice_number": range(1, 11), "order_number": [1 + (i * 4) % n for i in range(10)]}
    )
    _write(tmp_path, {"purchases": purchases, "orderitems": items, "invoices": invoices})
    user = load_user_data(tmp_path)
    assert _keys(user)["purchases"] == "order_number"
    links = _links(user)
    assert ("orderitems", "order_number", "purchases", "order_number") in links
    assert ("invoices", "order_number", "purchases", "order_number") in links
    assert not any(child == "purchases" for child, *_ in links)
