"""The inferred baseline generates any acyclic schema: drivers chosen so the plan resolves."""

from __future__ import annotations

import numpy as np
import pandas as pd

from synthgen_sdv.runs.baseline import generate_baseline
from synthgen_sdv.schema.infer import infer_tables_config
from synthgen_sdv.schema.infer_links import DERIVED, LOOKUP, choose_links


def _meta(tables, keys, rels, ids=()):
    """SDV metadata for ``tables``: ids are keys and references, the rest numerical."""
    ids = set(keys.values()) | {c for _, c, _, _ in rels} | set(ids)
    return {
        "tables": {
            t: {
                "primary_key": keys.get(t),
                "columns": {c: {"sdtype": "id" if c in ids else "numerical"} for c in df.columns},
            }
            for t, df in tables.items()
        },
        "relationships": [
            {
                "parent_table_name": p,
                "parent_primary_key": pk,
                "child_table_name": c,
                "child_foreign_key": fk,
            }
            for c, fk, p, pk in rels
        ],
    }


def _chain(consistent=True):
    """patients -> admissions -> icustays, icustays also under patients (MIMIC's shape)."""
    rng = np.random.default_rng(0)
    patients = pd.DataFrame({"subject_id": np.arange(1, 41), "age": rng.integers(20, 90, 40)})
    adm_subject = rng.integers(1, 41, 120)
    admissions = pd.DataFrame(
        {"subject_id": adm_subject, "hadm_id": np.arange(100, 220), "los": rng.random(120)}
    )
    stay_hadm = rng.choice(admissions["hadm_id"], 300)
    stay_subject = admissions.set_index("hadm_id").loc[stay_hadm, "subject_id"].to_numpy()
    if not consistent:
        stay_subject = rng.integers(1, 41, 300)
    icustays = pd.DataFrame(
        {
            "subject_id": stay_subject,  # first in column order, as in MIMIC
            "hadm_id": stay_hadm,
            "icustay_id": np.arange(1000, 1300),
            "hours": rng.random(300) * 100,
        }
    )
    tables = {"patients": patients, "admissions": admissions, "icustays": icustays}
    keys = {"patients": "subject_id", "admissions": "hadm_id", "icustays": "icustay_id"}
    rels = [
        ("admissions", "subject_id", "patients", "subject_id"),
        ("icustays", "subject_id", "patients", "subject_id"),
        ("icustays", "hadm_id", "admissions", "hadm_id"),
    ]
    return tables, _meta(tables, keys, rels)


def test_child_of_two_tables_of_one_chain_is_driven_by_the_deeper_and_copies_the_other():
    tables, meta = _chain()
    choice = choose_links(tables, meta)
    assert choice.driver["icustays"] == "hadm_id"
    subject = choice.link("icustays", "subject_id")
    assert (subject.how, subject.expr) == (DERIVED, "admissions.subject_id")
    out = generate_baseline(tables, meta, seed=1)
    stays, adm = out["icustays"], out["admissions"]
    assert stays["hadm_id"].isin(adm["hadm_id"]).all()
    assert stays["subject_id"].isin(out["patients"]["subject_id"]).all()
    joined = stays.merge(adm, on="hadm_id", suffixes=("", "_adm"))
    assert (joined["subject_id"] == joined["subject_id_adm"]).all()  # the diamond holds


def test_a_diamond_the_data_breaks_is_not_copied_and_the_child_becomes_a_root():
    tables, meta = _chain(consistent=False)
    choice = choose_links(tables, meta)
    assert choice.driver["icustays"] is None
    assert {lk.how for lk in choice.links["icustays"]} == {LOOKUP}
    out = generate_baseline(tables, meta, seed=1)
    assert len(out["icustays"]) == 300
    assert out["icustays"]["hadm_id"].isin(out["admissions"]["hadm_id"]).all()


def test_drivers_that_would_make_groups_depend_on_each_other_in_a_cycle_are_not_chosen():
    # fact_a's first key is to dim_x, fact_b's to dim_y: taking the first key as the driver made
    # dim_x's group look up dim_y's and dim_y's look up dim_x's (AdventureWorksDW's DimDate and
    # DimCurrency)
    rng = np.random.default_rng(2)
    dim_x = pd.DataFrame({"x_id": np.arange(1, 21), "v": rng.random(20)})
    dim_y = pd.DataFrame({"y_id": np.arange(1, 11), "w": rng.random(10)})
    fact_a = pd.DataFrame(
        {
            "a_id": np.arange(1, 201),
            "x_id": rng.integers(1, 21, 200),
            "y_id": rng.integers(1, 11, 200),
        }
    )
    fact_b = pd.DataFrame(
        {
            "b_id": np.arange(1, 101),
            "y_id": rng.integers(1, 11, 100),
            "x_id": rng.integers(1, 21, 100),
        }
    )
    tables = {"dim_x": dim_x, "dim_y": dim_y, "fact_a": fact_a, "fact_b": fact_b}
    keys = {"dim_x": "x_id", "dim_y": "y_id", "fact_a": "a_id", "fact_b": "b_id"}
    rels = [
        ("fact_a", "x_id", "dim_x", "x_id"),
        ("fact_a", "y_id", "dim_y", "y_id"),
        ("fact_b", "y_id", "dim_y", "y_id"),
        ("fact_b", "x_id", "dim_x", "x_id"),
    ]
    meta = _meta(tables, keys, rels)
    choice = choose_links(tables, meta)
    assert choice.driver["fact_a"] == "x_id" and choice.driver["fact_b"] == "x_id"
    out = generate_baseline(tables, meta, seed=1)
    for fact in ("fact_a", "fact_b"):
        assert out[fact]["x_id"].isin(out["dim_x"]["x_id"]).all()
        assert out[fact]["y_id"].isin(out["dim_y"]["y_id"]).all()


def test_a_nullable_key_is_never_the_driver():
    tables, meta = _chain()
    tables["icustays"]["hadm_id"] = tables["icustays"]["hadm_id"].astype("float")
    tables["icustays"].loc[::5, "hadm_id"] = np.nan
    choice = choose_links(tables, meta)
    # hadm_id has nulls, and with subject_id as the driver admissions would be looked up while
    # it is generated with icustays: icustays becomes a root of lookups
    assert choice.driver["icustays"] is None
    stays = generate_baseline(tables, meta, seed=1)["icustays"]
    assert 0.1 < stays["hadm_id"].isna().mean() < 0.3


def test_an_integer_key_to_its_own_table_keeps_integer_values_not_uuids():
    emp = pd.DataFrame(
        {"emp_id": np.arange(1, 51), "boss_id": [np.nan] + [1.0] * 9 + list(range(2, 42))}
    )
    meta = _meta({"emp": emp}, {"emp": "emp_id"}, [], ids=["boss_id"])  # as detection types it
    spec = infer_tables_config({"emp": emp}, meta)["tables"]["emp"]["columns"]["boss_id"]
    assert spec["kind"] == "categorical" and spec["dtype"] == "int"
    assert spec["null_rate"] == 0.02
    out = generate_baseline({"emp": emp}, meta, seed=1)["emp"]
    assert (
        pd.api.types.is_integer_dtype(out["boss_id"].dropna())
        or (out["boss_id"].dropna() == out["boss_id"].dropna().round()).all()
    )


def test_a_table_keyed_by_its_reference_is_generated_one_row_per_parent_at_most():
    """csu_1's csu_gebühren: keyed by 'campus', a reference to campuses (a 1:1 extension for
    some campuses). The key is the driving link: it said "a table needs 'rows' unless one
    lookup has children_per_parent" (the key was written as a sequence, not a lookup)."""
    rng = np.random.default_rng(0)
    campuses = pd.DataFrame({"id": np.arange(1, 31), "size": rng.random(30)})
    fees = pd.DataFrame({"campus": rng.choice(np.arange(1, 31), 20, replace=False)})
    fees["fee"] = rng.integers(1000, 3000, 20)
    enrollments = pd.DataFrame({"campus": rng.integers(1, 31, 200), "n": rng.random(200)})
    tables = {"campuses": campuses, "fees": fees, "enrollments": enrollments}
    keys = {"campuses": "id", "fees": "campus"}
    rels = [("fees", "campus", "campuses", "id"), ("enrollments", "campus", "campuses", "id")]
    out = generate_baseline(tables, _meta(tables, keys, rels), seed=1, scale=2.0)
    fees_out = out["fees"]
    assert fees_out["campus"].is_unique
    assert fees_out["campus"].isin(out["campuses"]["id"]).all()
    assert 0 < len(fees_out) <= len(out["campuses"])
