"""Naming schemes found on databases nobody here wrote (TPC-H, MIMIC-III), each rule on a small
folder built for it, and the scoring rule for keys declared beside a surrogate ``ROW_ID``."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from synthgen_sdv.detect.load import load_user_data
from synthgen_sdv.detect.names import (
    column_prefix,
    generic_row_id,
    key_named,
    name_level,
    named_after_table,
    split_key,
)
from synthgen_sdv.detect.score import referenced_key, score_keys


def _write(folder, tables: dict[str, pd.DataFrame]) -> None:
    for name, frame in tables.items():
        frame.to_csv(folder / f"{name}.csv", index=False)


def _rels(user) -> set[tuple[str, str, str, str]]:
    return {
        (
            r["child_table_name"],
            r["child_foreign_key"],
            r["parent_table_name"],
            r["parent_primary_key"],
        )
        for r in user.metadata["relationships"]
    }


def _keys(user) -> dict:
    return {t: m.get("primary_key") for t, m in user.metadata["tables"].items()}


@pytest.mark.parametrize(
    "name, expected",
    [
        ("custkey", (("cust",), "key")),
        ("ITEMID", (("item",), "id")),
        ("linenumber", (("line",), "number")),
        ("postcode", (("post",), "code")),
        ("monkey", ((), None)),  # too short a stem: a plain word
        ("paid", ((), None)),
        ("CGID", ((), None)),
    ],
)
def test_glued_key_words_split_like_separated_ones(name, expected):
    assert split_key(name) == expected


def test_generic_row_ids_and_column_prefixes():
    assert generic_row_id("ROW_ID") and generic_row_id("rowid") and generic_row_id("id")
    assert not generic_row_id("row_type") and not generic_row_id("order_id")
    assert key_named("ROW_ID")
    assert column_prefix("customer", ["c_custkey", "c_name", "c_nationkey"]) == "c_"
    assert column_prefix("partsupp", ["ps_partkey", "ps_suppkey"]) == "ps_"
    assert column_prefix("customer", ["cust_id", "cust_name"]) == "cust_"
    # not the table's initials, not on every column, or two names made equal: kept
    assert column_prefix("orders", ["c_custkey", "c_name"]) is None
    assert column_prefix("orders", ["o_orderkey", "status"]) is None
    assert column_prefix("orders", ["o_key", "o_name", "oo_key"]) is None
    assert column_prefix("orders", ["order_id", "order_date"]) is None  # 5 letters: a word
    assert column_prefix("t", ["t_a"]) is None


def test_tpch_prefixed_names_find_keys_and_links(tmp_path):
    """TPC-H names every column with its table's initials: ``o_custkey`` ->
    ``customer.c_custkey``; nothing was detected before the prefix was set aside."""
    rng = np.random.default_rng(1)
    nation = pd.DataFrame({"n_nationkey": np.arange(0, 25), "n_name": [f"N{i}" for i in range(25)]})
    customer = pd.DataFrame(
        {
            "c_custkey": np.arange(1, 61),
            "c_name": [f"Customer#{i:09d}" for i in range(1, 61)],
            "c_nationkey": rng.integers(0, 25, 60),
        }
    )
    orders = pd.DataFrame(
        {
            "o_orderkey": np.arange(1, 301) * 4,
            "o_custkey": rng.integers(1, 61, 300),
            "o_totalprice": rng.random(300).round(2),
        }
    )
    line = pd.DataFrame(
        {
            "l_orderkey": np.repeat(orders.o_orderkey.to_numpy(), 3),
            "l_linenumber": np.tile([1, 2, 3], 300),
            "l_quantity": rng.integers(1, 50, 900),
        }
    )
    _write(tmp_path, {"nation": nation, "customer": customer, "orders": orders, "lineitem": line})
    user = load_user_data(tmp_path)
    assert _keys(user) == {
        "nation": "n_nationkey",
        "customer": "c_custkey",
        "orders": "o_orderkey",
        "lineitem": ["l_orderkey", "l_linenumber"],
    }
    assert _rels(user) == {
        ("customer", "c_nationkey", "nation", "n_nationkey"),
        ("orders", "o_custkey", "customer", "c_custkey"),
        ("lineitem", "l_orderkey", "orders", "o_orderkey"),
    }
    assert any("every column starts with 'c_'" in n for n in user.notes)
    assert not any("lineitem.linenumber" in n for n in user.notes)


def test_row_id_beside_the_referenced_key(tmp_path):
    """MIMIC-III: every table has a ``ROW_ID`` (1..N, so ranges overlap), the real ids are
    ``SUBJECT_ID`` / ``HADM_ID``, named after no table. The key other tables refer to wins;
    ``ROW_ID`` links nothing; an empty table's empty columns still link by name."""
    rng = np.random.default_rng(2)
    patients = pd.DataFrame(
        {"ROW_ID": np.arange(1, 41), "SUBJECT_ID": 10000 + np.arange(40) * 3, "GENDER": "F"}
    )
    subjects = rng.choice(patients.SUBJECT_ID, 80)
    admissions = pd.DataFrame(
        {"ROW_ID": np.arange(1, 81), "SUBJECT_ID": subjects, "HADM_ID": 100000 + np.arange(80) * 7}
    )
    pick = rng.integers(0, 80, 300)
    events = pd.DataFrame(
        {
            "ROW_ID": np.arange(1, 301),
            "SUBJECT_ID": admissions.SUBJECT_ID.to_numpy()[pick],
            "HADM_ID": admissions.HADM_ID.to_numpy()[pick],
            "VALUE": rng.random(300),
        }
    )
    items = pd.DataFrame({"ROW_ID": np.arange(1, 31), "LABEL": [f"item {i}" for i in range(30)]})
    notes = pd.DataFrame(columns=["ROW_ID", "SUBJECT_ID", "HADM_ID", "TEXT"])
    _write(
        tmp_path,
        {
            "PATIENTS": patients,
            "ADMISSIONS": admissions,
            "EVENTS": events,
            "D_ITEMS": items,
            "NOTEEVENTS": notes,
        },
    )
    user = load_user_data(tmp_path)
    keys = _keys(user)
    assert keys["PATIENTS"] == "SUBJECT_ID" and keys["ADMISSIONS"] == "HADM_ID"
    assert keys["EVENTS"] == "ROW_ID" and keys["D_ITEMS"] == "ROW_ID"
    rels = _rels(user)
    assert {
        ("ADMISSIONS", "SUBJECT_ID", "PATIENTS", "SUBJECT_ID"),
        ("EVENTS", "SUBJECT_ID", "PATIENTS", "SUBJECT_ID"),
        ("EVENTS", "HADM_ID", "ADMISSIONS", "HADM_ID"),
        ("NOTEEVENTS", "SUBJECT_ID", "PATIENTS", "SUBJECT_ID"),
        ("NOTEEVENTS", "HADM_ID", "ADMISSIONS", "HADM_ID"),
    } == rels  # no ROW_ID -> ROW_ID link, though 1..30 lies inside 1..300
    assert "hadm" not in " ".join(user.notes).lower()  # not an absent table any more


def test_a_column_unique_in_two_tables_is_not_a_referenced_key(tmp_path):
    """A 1:1 pair (both unique) is not the referenced-key rule's to settle."""
    _write(
        tmp_path,
        {
            "a": pd.DataFrame({"ROW_ID": [1, 2, 3], "ref_code": [7, 8, 9]}),
            "b": pd.DataFrame({"ROW_ID": [1, 2, 3], "ref_code": [9, 8, 7]}),
        },
    )
    keys = _keys(load_user_data(tmp_path))
    assert keys == {"a": "ROW_ID", "b": "ROW_ID"}


def test_score_finds_the_key_the_declared_links_reference():
    keys = {
        "tables": {"P": {"primary_key": "ROW_ID"}, "E": {"primary_key": "ROW_ID"}},
        "foreign_keys": [
            {"child": "E", "column": "SUBJECT_ID", "parent": "P", "parent_column": "SUBJECT_ID"}
        ],
    }
    assert referenced_key(keys, "P") == "SUBJECT_ID" and referenced_key(keys, "E") is None
    detected = {
        "tables": {"P": {"primary_key": "SUBJECT_ID"}, "E": {"primary_key": "ROW_ID"}},
        "relationships": [
            {
                "parent_table_name": "P",
                "parent_primary_key": "SUBJECT_ID",
                "child_table_name": "E",
                "child_foreign_key": "SUBJECT_ID",
            }
        ],
    }
    score = score_keys(detected, keys)
    assert score.primary.found == ["P.SUBJECT_ID", "E.ROW_ID"] and not score.primary.invented
    assert score.foreign.recall == 1.0
    detected["tables"]["P"]["primary_key"] = "ROW_ID"  # the declared surrogate: links cannot use it
    assert score_keys(detected, keys).primary.missed == ["P.SUBJECT_ID"]


def test_a_column_numbering_each_group_completes_a_composite_key(tmp_path):
    """Ergast's lapTimes(raceId, driverId, lap): ``lap`` has no key word, but it numbers the
    laps of each (race, driver) 1..n, so the three columns are the key. A column that does
    not restart per group (milliseconds) or does not start at 1 is not such a number."""
    rng = np.random.default_rng(3)
    races = pd.DataFrame({"raceId": np.arange(1, 31), "year": rng.integers(2000, 2010, 30)})
    drivers = pd.DataFrame({"driverId": np.arange(1, 21), "code": [f"D{i:02d}" for i in range(20)]})
    laps = [
        (r, d, lap, int(rng.integers(80000, 90000)), lap + 4)
        for r in range(1, 31)
        for d in rng.choice(np.arange(1, 21), 6, replace=False)
        for lap in range(1, int(rng.integers(3, 7)))
    ]
    lap_times = pd.DataFrame(laps, columns=["raceId", "driverId", "lap", "milliseconds", "tyre"])
    _write(tmp_path, {"races": races, "drivers": drivers, "lapTimes": lap_times})
    user = load_user_data(tmp_path)
    assert _keys(user)["lapTimes"] == ["raceId", "driverId", "lap"]
    why = next(r for r in user.reasons if r.startswith("lapTimes key"))
    assert "lap (ordinal)" in why
    # without the restart per group there is no key
    lap_times["lap"] = np.arange(len(lap_times)) % 7 + 2
    lap_times = lap_times.drop_duplicates(["raceId", "driverId", "lap"])
    lap_times.to_csv(tmp_path / "lapTimes.csv", index=False)
    assert _keys(load_user_data(tmp_path))["lapTimes"] is None


def test_skeleton_abbreviations_and_a_prefix_that_is_the_key(tmp_path):
    """MySQL's employees sample: ``dept_no`` ('d001') keys ``departments`` although "dept" is
    not the start of "department" (its letters in order), every column of departments starts
    with ``dept_`` (kept on ``dept_no``: a bare ``no`` says nothing), and ``dept_manager``,
    keyed by the same name, extends departments, so references go to departments."""
    rng = np.random.default_rng(5)
    depts = pd.DataFrame(
        {"dept_no": [f"d{i:03d}" for i in range(1, 10)], "dept_name": [f"D{i}" for i in range(9)]}
    )
    employees = pd.DataFrame(
        {"emp_no": 10001 + np.arange(120), "gender": rng.choice(["M", "F"], 120)}
    )
    dept_emp = pd.DataFrame(
        {"emp_no": employees.emp_no, "dept_no": rng.choice(depts.dept_no, 120), "x": 1}
    )
    manager = pd.DataFrame({"emp_no": 10001 + np.arange(9), "dept_no": depts.dept_no})
    _write(
        tmp_path,
        {
            "departments": depts,
            "employees": employees,
            "dept_emp": dept_emp,
            "dept_manager": manager,
        },
    )
    user = load_user_data(tmp_path)
    keys = _keys(user)
    assert keys["departments"] == "dept_no" and keys["employees"] == "emp_no"
    rels = {(c, col, p) for c, col, p, _ in _rels(user)}
    assert ("dept_emp", "dept_no", "departments") in rels
    assert ("dept_emp", "emp_no", "employees") in rels
    assert ("dept_manager", "emp_no", "employees") in rels
    assert not any(p == "dept_manager" for _, _, p in rels)  # an extension is never a parent


@pytest.mark.parametrize(
    "column, table, level",
    [("dept_no", "departments", 2), ("mgr_id", "managers", 2), ("acct_id", "account", 2)],
)
def test_skeleton_names_the_own_key(column, table, level):
    assert named_after_table(column, table) == level
    assert name_level(column, table, None) == 1  # as a reference: needs evidence from values
