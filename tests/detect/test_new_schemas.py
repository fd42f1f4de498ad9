"""Key detection on schemas the corpus does not have, so the rules are not tuned to it.

Three small databases invented here, each in a naming style of its own, with the traps of real
data: small integer columns inside dense 1..N keys (``pages``, ``edition``, ``RoomNo``), a
link table whose key is its two references, text keys, a column named like a table that is
not in the folder, and a staff reference named by its role. Detected keys must equal the
declared ones exactly (precision and recall 1.0).
"""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from synthgen_sdv.detect.load import load_user_data
from synthgen_sdv.detect.score import score_keys


def _fk(child: str, column: str, parent: str, parent_column: str) -> dict[str, str]:
    return {"child": child, "column": column, "parent": parent, "parent_column": parent_column}


def _library(rng: np.random.Generator) -> tuple[dict[str, pd.DataFrame], dict]:
    """snake_case, plural tables, ``<table>_id`` keys, a link table ``book_tags``."""
    n_auth, n_pub, n_book, n_tag = 25, 6, 80, 12
    books = pd.DataFrame(
        {
            "book_id": np.arange(1, n_book + 1),
            "author_id": np.r_[np.arange(1, n_auth + 1), rng.integers(1, n_auth + 1, 55)],
            "publisher_id": rng.integers(1, n_pub + 1, n_book),
            "pages": rng.integers(90, 800, n_book),
            "edition": rng.integers(1, 6, n_book),  # 1..5: inside every dense key range
            "series_id": rng.integers(1, 4, n_book),  # no series table: a note, not a key
        }
    )
    pairs = {
        (int(b), int(t))
        for b, t in zip(
            rng.integers(1, n_book + 1, 200), rng.integers(1, n_tag + 1, 200), strict=True
        )
    }
    book_tags = pd.DataFrame(sorted(pairs), columns=["book_id", "tag_id"])
    tables = {
        "authors": pd.DataFrame(
            {
                "author_id": np.arange(1, n_auth + 1),
                "name": [f"author {i}" for i in range(n_auth)],
                "born": rng.integers(1900, 2000, n_auth),
            }
        ),
        "publishers": pd.DataFrame(
            {"publisher_id": np.arange(1, n_pub + 1), "city": rng.choice(["x", "y", "z"], n_pub)}
        ),
        "books": books,
        "tags": pd.DataFrame(
            {"tag_id": np.arange(1, n_tag + 1), "label": [f"tag{i}" for i in range(n_tag)]}
        ),
        "book_tags": book_tags,
        "loans": pd.DataFrame(
            {
                "loan_id": np.arange(1, 301),
                "book_id": rng.integers(1, n_book + 1, 300),
                "days": rng.integers(1, 30, 300),
            }
        ),
    }
    keys = {
        "tables": {
            "authors": {"primary_key": "author_id"},
            "publishers": {"primary_key": "publisher_id"},
            "books": {"primary_key": "book_id"},
            "tags": {"primary_key": "tag_id"},
            "book_tags": {"primary_key": ["book_id", "tag_id"]},
            "loans": {"primary_key": "loan_id"},
        },
        "foreign_keys": [
            _fk("books", "author_id", "authors", "author_id"),
            _fk("books", "publisher_id", "publishers", "publisher_id"),
            _fk("book_tags", "book_id", "books", "book_id"),
            _fk("book_tags", "tag_id", "tags", "tag_id"),
            _fk("loans", "book_id", "books", "book_id"),
        ],
    }
    return tables, keys


def _clinic(rng: np.random.Generator) -> tuple[dict[str, pd.DataFrame], dict]:
    """CamelCase, singular tables, ``ID`` suffix, a role (``ReferringDoctorID``), text keys."""
    n_cl, n_doc, n_pat, n_vis = 4, 15, 120, 400
    codes = [f"D{i:03d}" for i in range(30)]
    visit = pd.DataFrame(
        {
            "VisitID": np.arange(1000, 1000 + n_vis),
            "PatientID": rng.integers(1, n_pat + 1, n_vis),
            "DoctorID": rng.integers(1, n_doc + 1, n_vis),
            "RoomNo": rng.integers(1, 5, n_vis),  # 1..4: inside Clinic's 1..4, by range only
            "Fee": rng.gamma(2.0, 40.0, n_vis).round(2),
        }
    )
    diag = {
        (int(v), str(c))
        for v, c in zip(rng.choice(visit["VisitID"], 500), rng.choice(codes, 500), strict=True)
    }
    tables = {
        "Clinic": pd.DataFrame({"ClinicID": np.arange(1, n_cl + 1), "City": ["a", "b", "c", "d"]}),
        "Doctor": pd.DataFrame(
            {
                "DoctorID": np.arange(1, n_doc + 1),
                "ClinicID": rng.integers(1, n_cl + 1, n_doc),
                "Grade": rng.integers(1, 4, n_doc),
            }
        ),
        "Patient": pd.DataFrame(
            {
                "PatientID": np.arange(1, n_pat + 1),
                "ClinicID": rng.integers(1, n_cl + 1, n_pat),
                "ReferringDoctorID": rng.integers(1, n_doc + 1, n_pat),
                "Age": rng.integers(1, 95, n_pat),
            }
        ),
        "Visit": visit,
        "Diagnosis": pd.DataFrame({"DiagnosisCode": codes, "Chapter": rng.choice(["I", "II"], 30)}),
        "VisitDiagnosis": pd.DataFrame(sorted(diag), columns=["VisitID", "DiagnosisCode"]),
    }
    keys = {
        "tables": {
            "Clinic": {"primary_key": "ClinicID"},
            "Doctor": {"primary_key": "DoctorID"},
            "Patient": {"primary_key": "PatientID"},
            "Visit": {"primary_key": "VisitID"},
            "Diagnosis": {"primary_key": "DiagnosisCode"},
            "VisitDiagnosis": {"primary_key": ["VisitID", "DiagnosisCode"]},
        },
        "foreign_keys": [
            _fk("Doctor", "ClinicID", "Clinic", "ClinicID"),
            _fk("Patient", "ClinicID", "Clinic", "ClinicID"),
            _fk("Patient", "ReferringDoctorID", "Doctor", "DoctorID"),
            _fk("Visit", "PatientID", "Patient", "PatientID"),
            _fk("Visit", "DoctorID", "Doctor", "DoctorID"),
            _fk("VisitDiagnosis", "VisitID", "Visit", "VisitID"),
            _fk("VisitDiagnosis", "DiagnosisCode", "Diagnosis", "DiagnosisCode"),
        ],
    }
    return tables, keys


def _shop(rng: np.random.Generator) -> tuple[dict[str, pd.DataFrame], dict]:
    """Plain ``id`` keys with ``<table>_id`` references, a staff role, a self reference."""
    n_emp, n_cust, n_ord = 12, 60, 250
    boss = pd.array([None, 1, 1, 2, 2, 3, 3, 3, 2, 1, 4, 4], dtype="Int64")
    tables = {
        "employees": pd.DataFrame(
            {"id": np.arange(1, n_emp + 1), "manager_id": boss, "level": rng.integers(1, 4, n_emp)}
        ),
        "customers": pd.DataFrame(
            {
                "id": np.arange(1, n_cust + 1),
                "account_manager_id": rng.integers(1, 5, n_cust),  # a staff role, 1..4
                "segment": rng.choice(["a", "b"], n_cust),
            }
        ),
        "orders": pd.DataFrame(
            {
                "id": np.arange(1, n_ord + 1),
                "customer_id": rng.integers(1, n_cust + 1, n_ord),
                "quantity": rng.integers(1, 10, n_ord),
            }
        ),
    }
    keys = {
        "tables": {
            "employees": {"primary_key": "id"},
            "customers": {"primary_key": "id"},
            "orders": {"primary_key": "id"},
        },
        "foreign_keys": [
            _fk("employees", "manager_id", "employees", "id"),
            _fk("customers", "account_manager_id", "employees", "id"),
            _fk("orders", "customer_id", "customers", "id"),
        ],
    }
    return tables, keys


@pytest.mark.parametrize("make", [_library, _clinic, _shop], ids=["library", "clinic", "shop"])
def test_a_new_schema_is_detected_exactly(make, tmp_path):
    tables, keys = make(np.random.default_rng(7))
    for name, frame in tables.items():
        frame.to_csv(tmp_path / f"{name}.csv", index=False)
    user = load_user_data(tmp_path)
    score = score_keys(user.document(), keys)
    for kind in (score.primary, score.foreign):
        assert (kind.missed, kind.invented) == ([], []), score.as_dict()
    if make is _library:
        assert "books.series_id ('series')" in "\n".join(user.notes)
