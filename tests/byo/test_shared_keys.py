"""A primary key that is also a reference (a one-to-one extension table), as Spider's
cre_doc_tracking_db has it: sdv 1.37.4 drew a key of its own and then dropped every row
("All references ... are unknown", exit 1). ``synth.keys`` hides it either way; the output's
keys are unique and every reference resolves, whether or not other tables refer to it."""

from __future__ import annotations

import warnings

import numpy as np
import pandas as pd
import pytest

from synthgen_sdv.detect.load import load_user_data
from synthgen_sdv.runs.fit_sample import fit
from synthgen_sdv.runs.from_user import UserSource
from synthgen_sdv.runs.sample import sample


def _folder(tmp_path, with_grandchild: bool):
    rng = np.random.default_rng(3)
    n = 60
    documents = pd.DataFrame(
        {
            "document_id": np.arange(1, n + 1) * 3,
            "document_type_code": rng.choice(["CV", "BK", "PR"], n),
            "pages": rng.integers(1, 400, n),
        }
    )
    kept = np.sort(rng.choice(documents["document_id"], 40, replace=False))
    destroyed = pd.DataFrame(
        {
            "document_id": kept,
            "planned_year": rng.integers(1990, 2020, 40),
            "approved": rng.choice(["yes", "no"], 40),
        }
    )
    tables = {"documents": documents, "destructions": destroyed}
    if with_grandchild:
        tables["destruction_witnesses"] = pd.DataFrame(
            {
                "witness_id": np.arange(1, 81),
                "destruction_id": rng.choice(kept, 80),
                "age": rng.integers(20, 70, 80),
            }
        )
    for name, frame in tables.items():
        frame.to_csv(tmp_path / f"{name}.csv", index=False)
    return tables


@pytest.mark.parametrize("with_grandchild", [False, True], ids=["leaf", "referenced"])
def test_a_key_that_is_also_a_reference_samples_unique_resolving_keys(tmp_path, with_grandchild):
    real = _folder(tmp_path, with_grandchild)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        user = load_user_data(tmp_path)
        meta = user.metadata
        assert meta["tables"]["destructions"]["primary_key"] == "document_id"
        assert ("destructions", "document_id", "documents") in {
            (r["child_table_name"], r["child_foreign_key"], r["parent_table_name"])
            for r in meta["relationships"]
        }
        if with_grandchild:  # then the key is kept and mapped onto the parent's keys
            assert {
                "parent_table_name": "destructions",
                "parent_primary_key": "document_id",
                "child_table_name": "destruction_witnesses",
                "child_foreign_key": "destruction_id",
            } in meta["relationships"]
        source = UserSource(user=user, seed=0)
        fitted = fit(source, "hma")
        out = sample(fitted, 1.0, seed=0).tables
    parents = set(out["documents"]["document_id"])
    child = out["destructions"]
    assert len(child) >= 0.75 * len(real["destructions"])
    assert child["document_id"].is_unique and child["document_id"].notna().all()
    assert set(child["document_id"]) <= parents
    assert child["document_id"].dtype == out["documents"]["document_id"].dtype
    if with_grandchild:
        refs = out["destruction_witnesses"]["destruction_id"].dropna()
        assert len(refs) >= 0.9 * len(out["destruction_witnesses"])
        assert set(refs) <= set(child["document_id"])


def test_keys_that_are_also_references_stay_unique_across_batches(tmp_path, monkeypatch):
    """Sampled in batches of root rows by 1 and 2 workers: the extension table's keys are
    unique across batches, name rows of the table extended, its children follow, and the
    files are the same for any number of workers."""
    from synthgen_sdv.runs.model_folder import load_fitted, run_sample
    from synthgen_sdv.synth import batches
    from synthgen_sdv.synth.batches import plan_batches
    from tests.fixtures.models import saved_model

    folder = tmp_path / "data"
    folder.mkdir()
    _folder(folder, True)
    model = saved_model(tmp_path / "M", folder=folder)
    fitted = load_fitted(model)
    monkeypatch.setattr(batches, "BATCH_ROWS", 2 * sum(fitted.rows.values()) + 10)
    assert len(plan_batches(4, 3, fitted.rows)) > 1
    outs = []
    for workers in (1, 2):
        outs.append(tmp_path / f"out{workers}")
        run_sample(model, outs[-1], ["parquet"], scale=4, seed=5, workers=workers)
    read = {
        t: pd.read_parquet(outs[0] / "data" / f"{t}.parquet")
        for t in ("documents", "destructions", "destruction_witnesses")
    }
    keys = read["destructions"]["document_id"]
    assert keys.is_unique and keys.notna().all() and len(keys) > 100
    assert keys.isin(read["documents"]["document_id"]).all()
    refs = read["destruction_witnesses"]["destruction_id"].dropna()
    assert len(refs) > 0.9 * len(read["destruction_witnesses"]) and refs.isin(keys).all()
    for path in sorted((outs[0] / "data").iterdir()):
        assert path.read_bytes() == (outs[1] / "data" / path.name).read_bytes(), path.name


def test_a_chain_of_extension_tables_keeps_unique_resolving_keys():
    """documents <- details (key = reference, referred to) <- approvals (key = reference):
    details are mapped onto sampled documents, one detail beyond them dropped, and the
    approval that named it goes with it (remaps run before the tables below drop)."""
    from synthgen_sdv.synth.keys import HiddenKeys, SharedKey, rebuild_keys

    sampled = {
        "documents": pd.DataFrame({"document_id": [10, 20, 30]}),
        "details": pd.DataFrame({"document_id": [1, 2, 3, 4], "x": list("abcd")}),
        "approvals": pd.DataFrame({"document_id": [4, 2, 2, 3], "y": [1, 2, 3, 4]}),
    }
    shared = [
        SharedKey("approvals", "document_id", "details", "document_id", False),
        SharedKey(
            "details",
            "document_id",
            "documents",
            "document_id",
            True,
            [("approvals", "document_id")],
        ),
    ]
    hidden = HiddenKeys(sampled, {"tables": {}, "relationships": []}, shared=shared)
    out, notes = rebuild_keys(sampled, hidden, {}, np.random.default_rng(0))
    details, approvals = out["details"], out["approvals"]
    assert len(details) == 3 and details["document_id"].is_unique
    assert set(details["document_id"]) == {10, 20, 30}
    assert approvals["document_id"].is_unique and approvals["document_id"].notna().all()
    assert set(approvals["document_id"]) <= set(details["document_id"])
    assert approvals["y"].tolist() == [2, 4]  # 4's detail was dropped; 2 repeated
    assert any("1 rows beyond the 3 documents keys dropped" in n for n in notes)
