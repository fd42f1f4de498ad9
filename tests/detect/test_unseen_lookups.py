"""Shapes of three more Spider databases (flight_2, wine_1, college_3, names in German): course
numbers written as decimals with a leading zero, German "nummer" as a key word, lookup tables
referred to by a same-named text column beside a bare ``id``, and references with plain names
(an advisor, a teacher) into sparse numeric keys. Each rule on a small folder built for it, with
the case that must stay unlinked beside it."""

from __future__ import annotations

import numpy as np
import pandas as pd

from synthgen_sdv.detect.load import load_user_data
from synthgen_sdv.detect.names import key_named, split_key
from synthgen_sdv.detect.types import type_text
from tests.detect.test_unseen_names import _keys, _rels, _write


def test_decimals_with_a_leading_zero_are_codes_not_numbers():
    kind, typed, _ = type_text(pd.Series(["600.101", "050.102", "550.310"]))
    assert kind == "string" and list(typed) == ["600.101", "050.102", "550.310"]  # all kept
    assert type_text(pd.Series(["0.5", "12.50", "-0.25"]))[0] == "float"  # real numbers
    assert type_text(pd.Series(["0123", "7"]))[0] == "string"  # unchanged: int codes


def test_course_numbers_with_leading_zeros_key_and_link(tmp_path):
    codes = [f"{d:03d}.{n}" for d in (50, 520, 600) for n in range(101, 121)]
    courses = pd.DataFrame({"course_id": codes, "title": [f"course {c}" for c in codes]})
    rng = np.random.default_rng(1)
    enrolled = pd.DataFrame(
        {"student": rng.integers(1, 40, 150), "course_id": rng.choice(codes, 150)}
    )
    _write(tmp_path, {"course": courses, "enrolled_in": enrolled})
    user = load_user_data(tmp_path)
    assert _keys(user)["course"] == "course_id"
    assert ("enrolled_in", "course_id", "course", "course_id") in _rels(user)


def test_german_nummer_is_a_key_word_glued_or_not():
    assert split_key("flugnummer") == (("flug",), "nummer")
    assert split_key("kunden_nummer") == (("kunden",), "nummer")
    assert key_named("numero_cliente") is False  # a leading word is no key word
    assert key_named("cliente_numero")
    assert split_key("nummer") == ((), None)  # alone it names nothing


def test_a_flight_number_completes_the_key_with_its_airline(tmp_path):
    airlines = pd.DataFrame({"fluggesellschaft_id": range(1, 7), "name": list("abcdef")})
    flights = pd.DataFrame(
        {
            "fluggesellschaft": np.repeat(np.arange(1, 7), 20),
            "flugnummer": np.tile(np.arange(10, 30), 6),  # repeats across airlines
            "dauer": np.arange(120) % 7,
        }
    )
    _write(tmp_path, {"fluggesellschaften": airlines, "flüge": flights})
    user = load_user_data(tmp_path)
    assert _keys(user)["flüge"] == ["fluggesellschaft", "flugnummer"]
    assert ("flüge", "fluggesellschaft", "fluggesellschaften", "fluggesellschaft_id") in _rels(user)


GRAPES = ["Barbera", "Merlot", "Syrah", "Zinfandel", "Pinot Noir", "Chardonnay", "Sangiovese"]


def _wines(tmp_path, grape_id: bool = False, grapes: list[str] = GRAPES):
    lookup = pd.DataFrame({"id": range(1, len(GRAPES) + 1), "grape": GRAPES, "colour": "Red"})
    rng = np.random.default_rng(2)
    wines = pd.DataFrame({"grape": rng.choice(grapes, 200), "price": rng.integers(10, 90, 200)})
    tables = {"grapes": lookup, "wine": wines}
    if grape_id:  # another table names grapes by its id
        tables["tasting"] = pd.DataFrame({"grape_id": rng.integers(1, 8, 50), "score": 1})
    _write(tmp_path, tables)
    return load_user_data(tmp_path)


def test_a_lookup_referred_to_by_its_text_is_keyed_by_it(tmp_path):
    user = _wines(tmp_path)
    assert _keys(user)["grapes"] == "grape"  # not the bare id nothing refers to
    assert ("wine", "grape", "grapes", "grape") in _rels(user)


def test_a_bare_id_other_tables_name_stays_the_key(tmp_path):
    user = _wines(tmp_path, grape_id=True)
    assert _keys(user)["grapes"] == "id"
    assert ("tasting", "grape_id", "grapes", "id") in _rels(user)


def test_two_shared_words_are_not_evidence_of_a_lookup(tmp_path):
    user = _wines(tmp_path, grapes=["Merlot", "Syrah"])  # inclusion likely by chance
    assert _keys(user)["grapes"] == "id"
    assert not any(r[2] == "grapes" for r in _rels(user))


def _faculty(tmp_path, ids):
    rng = np.random.default_rng(3)
    faculty = pd.DataFrame({"fakultät_id": ids, "rang": rng.choice(["Prof", "Lecturer"], 60)})
    courses = pd.DataFrame(
        {"kurs_id": range(1, 81), "lehrer": rng.choice(ids[:45], 80), "credits": 3}
    )
    students = pd.DataFrame({"student_id": range(1, 31), "alter": rng.integers(17, 25, 30)})
    _write(tmp_path, {"fakultät": faculty, "kurs": courses, "schüler": students})
    return load_user_data(tmp_path)


def test_a_plain_named_reference_into_sparse_keys_is_linked(tmp_path):
    ids = np.random.default_rng(4).choice(np.arange(1000, 9999), 60, replace=False)
    user = _faculty(tmp_path, ids)
    assert ("kurs", "lehrer", "fakultät", "fakultät_id") in _rels(user)
    assert not any(r[:2] == ("schüler", "alter") for r in _rels(user))  # not inside the keys


def test_a_plain_named_column_inside_a_dense_key_range_is_not_linked(tmp_path):
    user = _faculty(tmp_path, np.arange(1, 61))  # 1..60: any small number is "a key"
    assert not any(r[:2] == ("kurs", "lehrer") for r in _rels(user))
    assert not any(r[:2] == ("schüler", "alter") for r in _rels(user))


def test_codes_padded_with_spaces_are_said_not_linked(tmp_path):
    codes = [f"{a}{b}{c}" for a in "ABC" for b in "DEF" for c in "GHJ"]
    airports = pd.DataFrame({"flughafen_code": codes, "stadt": [f"{c} city " for c in codes]})
    rng = np.random.default_rng(5)
    flights = pd.DataFrame(
        {
            "flugnummer": range(100),
            "quellflughafen": [f" {c}" for c in rng.choice(codes, 100)],
            "zielflughafen": [f" {c}" for c in rng.choice(codes, 100)],
        }
    )
    _write(tmp_path, {"flughäfen": airports, "flüge": flights})
    user = load_user_data(tmp_path)
    assert not any(r[0] == "flüge" for r in _rels(user))  # the values are not keys as written
    notes = "\n".join(user.notes)
    for col in ("quellflughafen", "zielflughafen"):
        assert f"flüge.{col}: its values are keys of flughäfen.flughafen_code only with the " in (
            notes
        )
    assert "flugnummer: named like the keys" not in notes  # values no key: no ambiguity


def test_plain_numbers_inside_a_dense_block_of_keys_far_from_1_are_not_linked(tmp_path):
    # employee ids 100..206 (oracle_hr's): prices 100..200 sit inside them by range alone
    staff = pd.DataFrame({"employee_id": range(100, 207), "grade": 1})
    rng = np.random.default_rng(6)
    items = pd.DataFrame({"item_id": range(1, 301), "price": rng.integers(100, 201, 300)})
    _write(tmp_path, {"employees": staff, "items": items})
    assert not any(r[:2] == ("items", "price") for r in _rels(load_user_data(tmp_path)))
