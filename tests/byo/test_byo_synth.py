"""Bring-your-own-data synthesis: fit + sample on Northwind, rebuilt keys, a valid output folder."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
import yaml

from synthgen_sdv.core.errors import InputError
from synthgen_sdv.detect.load import load_user_data
from synthgen_sdv.io.output import staged_output
from synthgen_sdv.runs.fit_sample import fit, run_fit_sample
from synthgen_sdv.runs.from_user import UserSource
from synthgen_sdv.runs.output import write_user_output
from synthgen_sdv.runs.sample import sample
from synthgen_sdv.synth.keys import hide_keys, rebuild_keys

NORTHWIND = Path(__file__).resolve().parents[2].parent / "shared/datasets/northwind"
SUBGRAPH = ["customers", "orders", "order_details"]


def synthesize(user, model="hma", tables=None, scale=1.0, seed=0):
    """Fit on your own (loaded) data and sample: the first half of fit-sample --data-dir."""
    return sample(fit(UserSource(user=user, seed=seed), model, tables), scale)


def run_user_fit_sample(data, out, metadata_file=None, model="hma", scale=1.0, seed=0):
    source = UserSource(data, metadata_file, seed)
    return source, run_fit_sample(source, out, ["parquet"], model, scale=scale, overwrite=True)


@pytest.fixture(scope="module")
def northwind():
    if not (NORTHWIND / "orders.csv").is_file():
        pytest.skip(f"the Northwind CSV files are not at {NORTHWIND}")
    return load_user_data(NORTHWIND)


def _assert_keys_hold(tables: dict[str, pd.DataFrame], metadata: dict) -> None:
    for name, tmeta in metadata["tables"].items():
        pk = tmeta.get("primary_key")
        if pk:
            cols = pk if isinstance(pk, list) else [pk]
            assert not tables[name][cols].duplicated().any(), f"{name} key repeats"
            assert tables[name][cols].notna().all().all(), f"{name} key is empty"
    for r in metadata["relationships"]:
        child = tables[r["child_table_name"]][r["child_foreign_key"]].dropna()
        parent = set(tables[r["parent_table_name"]][r["parent_primary_key"]])
        assert child.isin(parent).all(), f"{r} dangles"


def test_gaussian_copula_subgraph_end_to_end(northwind, tmp_path):
    from synthgen_sdv.engines.validation import validate
    from synthgen_sdv.evaluate.loading import read_output_folder

    result = synthesize(northwind, model="gaussian_copula", tables=SUBGRAPH, scale=1.0, seed=7)
    tables = result.tables
    assert result.modeled == SUBGRAPH
    # parents of the modeled tables come along as copies, so every foreign key resolves
    assert set(tables) == set(northwind.tables)
    assert result.sources["orders"] == "synthesizer:gaussian_copula"
    assert result.sources["products"].startswith("copied from input")
    pd.testing.assert_frame_equal(tables["shippers"], northwind.tables["shippers"])
    _assert_keys_hold(tables, result.metadata)
    details = tables["order_details"]
    assert not details.duplicated(["order_id", "product_id"]).any()
    assert len(details) > 0.5 * len(northwind.tables["order_details"])
    assert tables["customers"]["customer_id"].str.fullmatch("[A-Z]{5}").all()
    # PII is regenerated, never copied
    real_names = set(northwind.tables["customers"]["contact_name"])
    assert not tables["customers"]["contact_name"].isin(real_names).any()
    assert any("composite key (order_id, product_id)" in n for n in result.notes)

    again = synthesize(northwind, model="gaussian_copula", tables=SUBGRAPH, scale=1.0, seed=7)
    for name in SUBGRAPH:
        pd.testing.assert_frame_equal(again.tables[name], tables[name])

    out = tmp_path / "out"
    with staged_output(out) as tmp:
        doc = write_user_output(
            tmp,
            tables,
            result.metadata,
            result.types,
            seed=7,
            formats=("parquet", "csv"),
            sources=result.sources,
            lineage=result.lineage,
        )
    report = validate(out)
    assert report.ok, report.to_text()
    written = json.loads((out / "metadata/schema_metadata.json").read_text())
    assert written == json.loads(json.dumps(doc, default=str))
    assert written["schema"] == "synthgen_sdv.schema_metadata" and written["seed"] == 7
    orders = written["tables"]["orders"]
    assert orders["row_count"] == len(tables["orders"])
    assert orders["files"] == {"parquet": "data/orders.parquet", "csv": "data/orders.csv"}
    assert {"column": "ship_via", "parent_table": "shippers", "parent_column": "shipper_id"} in (
        orders["foreign_keys"]
    )
    assert orders["columns"]["order_date"]["sql_type"] == "DATE"
    assert orders["columns"]["shipped_date"]["nullable"] is True
    assert orders["columns"]["customer_id"] | {} == {
        "sql_type": "VARCHAR",
        "logical_type": "string",
        "nullable": False,
        "kind": "user",
        "sdtype": "id",
        "pii": False,
        "description": "",
        "domain": "user",
    }
    assert written["tables"]["order_details"]["primary_key"] == ["order_id", "product_id"]
    # sdv_metadata is what SDV accepts: no composite key, no self reference
    sdv_md = written["sdv_metadata"]
    assert "primary_key" not in sdv_md["tables"]["order_details"]
    assert all(r["parent_table_name"] != r["child_table_name"] for r in sdv_md["relationships"])
    from sdv.metadata import Metadata

    Metadata.load_from_dict(sdv_md).validate()
    lineage = yaml.safe_load((out / "metadata/generation_lineage.yaml").read_text())
    assert lineage["schema"] == "synthgen_sdv.generation_lineage"
    assert lineage["tables"]["order_details"]["source"] == "synthesizer"
    assert "composite key" in lineage["tables"]["order_details"]["keys_rebuilt_after_sampling"]
    assert lineage["tables"]["products"]["source"] == "copied from input"
    folder = read_output_folder(out)
    assert pd.api.types.is_datetime64_any_dtype(folder.data["orders"]["order_date"])


def _tree(n: int, seed: int) -> dict[str, pd.DataFrame]:
    rng = np.random.default_rng(seed)
    boss = np.where(np.arange(n) < 2, None, rng.integers(0, 2, n)).astype(object)
    return {"staff": pd.DataFrame({"staff_id": np.arange(n), "boss_id": boss})}


def test_self_reference_is_rebuilt_as_a_forest():
    tables = _tree(50, 0)
    md = {
        "tables": {
            "staff": {
                "primary_key": "staff_id",
                "columns": {"staff_id": {"sdtype": "id"}, "boss_id": {"sdtype": "id"}},
            }
        },
        "relationships": [
            {
                "parent_table_name": "staff",
                "parent_primary_key": "staff_id",
                "child_table_name": "staff",
                "child_foreign_key": "boss_id",
            }
        ],
    }
    hidden = hide_keys(tables, md, ["staff"])
    assert hidden.metadata["relationships"] == []
    assert "boss_id" not in hidden.tables["staff"]
    assert "boss_id" not in hidden.metadata["tables"]["staff"]["columns"]
    sampled = {"staff": pd.DataFrame({"staff_id": np.arange(1000, 1400)})}
    out, _ = rebuild_keys(sampled, hidden, tables, np.random.default_rng(1))
    staff = out["staff"]
    boss = staff.set_index("staff_id")["boss_id"]
    assert boss.dropna().isin(staff["staff_id"]).all()
    assert 0.0 < boss.isna().mean() < 0.12  # learned: 2 of 50 rows are the top
    assert boss.dropna().nunique() <= 0.1 * len(staff)  # learned: few rows are referenced
    for start in boss.index:  # every chain ends at the top: no cycles
        seen, node = set(), start
        while pd.notna(node):
            assert node not in seen
            seen.add(node)
            node = boss[node]


def test_composite_key_repeats_get_a_new_free_value():
    real = {
        "parents": pd.DataFrame({"pid": [1, 2]}),
        "items": pd.DataFrame({"iid": [10, 11, 12]}),
        "links": pd.DataFrame({"pid": [1, 1, 2], "iid": [10, 11, 10], "w": [1.0, 2.0, 3.0]}),
    }
    md = {
        "tables": {
            "parents": {"primary_key": "pid", "columns": {"pid": {"sdtype": "id"}}},
            "items": {"primary_key": "iid", "columns": {"iid": {"sdtype": "id"}}},
            "links": {
                "primary_key": ["pid", "iid"],
                "columns": {
                    "pid": {"sdtype": "id"},
                    "iid": {"sdtype": "id"},
                    "w": {"sdtype": "numerical"},
                },
            },
        },
        "relationships": [
            {
                "parent_table_name": p,
                "parent_primary_key": k,
                "child_table_name": "links",
                "child_foreign_key": k,
            }
            for p, k in (("parents", "pid"), ("items", "iid"))
        ],
    }
    hidden = hide_keys(real, md, ["parents", "links"])
    (ck,) = hidden.composites
    assert (ck.free, ck.fixed, ck.parent) == ("iid", ["pid"], ("items", "iid"))
    assert "primary_key" not in hidden.metadata["tables"]["links"]
    # parent 1 gets 5 rows but only 3 items exist: 2 rows cannot be made unique and are dropped
    sampled = {
        "parents": pd.DataFrame({"pid": [1, 2]}),
        "links": pd.DataFrame({"pid": [1, 1, 1, 1, 1, 2, 2], "iid": [10] * 7, "w": np.arange(7.0)}),
    }
    out, notes = rebuild_keys(sampled, hidden, real, np.random.default_rng(0))
    links = out["links"]
    assert not links.duplicated(["pid", "iid"]).any()
    assert links["iid"].isin(real["items"]["iid"]).all()
    assert sorted(links.groupby("pid").size().tolist()) == [2, 3]
    assert notes == [
        "links: 3 repeated (pid, iid) combinations got a new iid; 2 rows dropped "
        "(no unused iid left)"
    ]


def test_what_cannot_be_modeled_says_why(tmp_path):
    (tmp_path / "a.csv").write_text("a_id,b_id\n1,1\n2,2\n")
    (tmp_path / "b.csv").write_text("b_id,a_id\n1,1\n2,2\n")
    user = load_user_data(tmp_path)
    assert len(user.metadata["relationships"]) == 2
    with pytest.raises(InputError, match=r"form a cycle \((a -> b -> a|b -> a -> b)\)"):
        synthesize(user, model="gaussian_copula")
    with pytest.raises(InputError, match=r"unknown table.*c; tables are: a, b"):
        synthesize(user, model="gaussian_copula", tables=["a", "c"])


@pytest.mark.slow
def test_hma_on_all_of_northwind(northwind, tmp_path):
    from synthgen_sdv.engines.validation import validate

    result = synthesize(northwind, model="hma", scale=1.0, seed=1)
    assert result.modeled == list(northwind.tables)
    assert all(s == "synthesizer:hma" for s in result.sources.values())
    _assert_keys_hold(result.tables, result.metadata)
    employees = result.tables["employees"]
    assert employees["reports_to"].isna().any() and employees["reports_to"].notna().any()
    out = tmp_path / "out"
    with staged_output(out) as tmp:
        write_user_output(
            tmp, result.tables, result.metadata, result.types, seed=1, lineage=result.lineage
        )
    report = validate(out)
    assert report.ok, report.to_text()


def test_run_user_fit_sample_writes_detected_metadata(tmp_path):
    from synthgen_sdv.engines.validation import validate

    data = tmp_path / "data"
    data.mkdir()
    (data / "teams.csv").write_text("team_id,size\nT1,3\nT2,4\nT3,3\n")
    rows = "\n".join(f"{i},T{i % 3 + 1},{'' if i < 2 else i % 2},{i % 4}" for i in range(12))
    (data / "players.csv").write_text("player_id,team_id,mentor_id,goals\n" + rows + "\n")
    out = tmp_path / "out"
    _, outcome = run_user_fit_sample(data, out, model="gaussian_copula", scale=2.0, seed=5)
    metadata_path = outcome.files["metadata"]
    assert metadata_path == out.resolve() / "metadata" / "detected_metadata.json"
    assert validate(out).ok
    assert len(outcome.sampled.tables["teams"]) == 6
    rels = {
        (r["child_table_name"], r["child_foreign_key"])
        for r in outcome.sampled.metadata["relationships"]
    }
    assert rels == {("players", "team_id"), ("players", "mentor_id")}
    # edit the saved file in place and rerun into the same folder: the edit is kept
    md = json.loads(metadata_path.read_text())
    md["tables"]["teams"]["columns"]["size"] = {"sdtype": "categorical"}
    metadata_path.write_text(json.dumps(md, indent=1))
    source, again = run_user_fit_sample(
        data, out, metadata_file=metadata_path, model="gaussian_copula", seed=5
    )
    assert source.user.metadata["tables"]["teams"]["columns"]["size"]["sdtype"] == "categorical"
    assert json.loads(again.files["metadata"].read_text()) == md

    (data / "teams.csv").write_text("team_id,captain_id\nT1,1\nT2,2\nT3,3\n")
    with pytest.raises(InputError) as err:
        run_user_fit_sample(data, tmp_path / "cycle", model="gaussian_copula")
    saved = tmp_path / "cycle.detected_metadata.json"
    assert f"rerun with --metadata {saved}" in str(err.value)
    assert "form a cycle" in str(err.value)
    assert saved.is_file() and not (tmp_path / "cycle").exists()
