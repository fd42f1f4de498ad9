"""Executed lineage: steps really run, every fault label is proven by the data, and a corrupted
label or a silently changed table makes the verifier fail, naming the step and the check."""

from __future__ import annotations

import json
from pathlib import Path

import pyarrow.parquet as pq
import pytest
import yaml
from lineage_fixture import make_output

from synthgen_sdv.cli import main
from synthgen_sdv.lineage.faults import fault_rng
from synthgen_sdv.lineage.runner import run_lineage
from synthgen_sdv.lineage.spec import default_lineage_path, load_lineage_spec
from synthgen_sdv.lineage.tables import to_arrow
from synthgen_sdv.lineage.writer import lineage_document
from tests.fixtures.lineage_sample import sample_tables


def _labels(out: Path) -> list[dict]:
    return json.loads((out / "metadata" / "labels.json").read_text())["lineage"]


def _set_labels(out: Path, labels: list[dict]) -> None:
    path = out / "metadata" / "labels.json"
    doc = json.loads(path.read_text())
    doc["lineage"] = labels
    path.write_text(json.dumps(doc))


def _lineage(out: Path) -> dict:
    return yaml.safe_load((out / "metadata" / "generation_lineage.yaml").read_text())


def test_default_run_executes_every_step_with_many_fault_kinds(lineage_out):
    doc = _lineage(lineage_out)
    steps = doc["pipeline"]["steps"]
    assert len(steps) >= 20
    labels = _labels(lineage_out)
    assert len({lab["kind"] for lab in labels}) >= 8
    for lab in labels:
        assert {"id", "step", "kind", "scope", "tables", "columns", "rows", "evidence"} <= set(lab)
        if lab["scope"] in ("cells", "column", "schema"):
            assert lab["columns"], f"{lab['id']} names no columns"
        assert lab["rows"], f"{lab['id']} names no rows"
        assert lab["row_count"] == len(lab["rows"])
    for s in steps:
        assert s["status"] in ("COMPLETED", "FAILED")
        assert s["duration_ms"] > 0 and s["started_at"] < s["ended_at"]
        for o in s["outputs"]:
            if o["rows"] is not None:
                assert (lineage_out / "lineage_data" / f"{o['table']}.parquet").exists()
            assert o["columnLineage"]["fields"], f"{s['id']} has no column lineage"
    failed = [s["id"] for s in steps if s["status"] == "FAILED"]
    assert failed == [lab["step"] for lab in labels if lab["kind"] == "job_failure"]


def test_column_lineage_uses_openlineage_words(lineage_out):
    steps = {s["id"]: s for s in _lineage(lineage_out)["pipeline"]["steps"]}
    sales = steps["build_fact_sales"]["outputs"][0]["columnLineage"]
    customer = sales["fields"]["customer_id"]["inputFields"][0]
    assert customer["name"].endswith("fact_orders") and customer["field"] == "customer_id"
    assert customer["transformations"][0] == {
        "type": "DIRECT",
        "subtype": "IDENTITY",
        "description": "fact_orders.customer_id",
        "masking": False,
    }
    gross = sales["fields"]["gross_amount"]["inputFields"]
    assert {f["field"] for f in gross} == {"quantity", "unit_price"}
    assert {f["transformations"][0]["subtype"] for f in gross} == {"TRANSFORMATION"}
    assert {("JOIN", "order_id")} <= {
        (f["transformations"][0]["subtype"], f["field"]) for f in sales["dataset"]
    }
    mart = steps["build_mart_daily_sales"]["outputs"][0]["columnLineage"]["fields"]
    assert mart["revenue"]["inputFields"][0]["transformations"][0]["subtype"] == "AGGREGATION"
    emp = steps["extract_employees"]["outputs"][0]["columnLineage"]["fields"]["employee_hash"]
    assert emp["inputFields"][0]["transformations"][0]["masking"] is True


def test_verifier_proves_every_label(lineage_out, capsys):
    assert main(["validate-lineage", str(lineage_out)]) == 0
    out = capsys.readouterr().out
    n = len(_labels(lineage_out))
    assert n >= 8 and f"{n}/{n} fault labels proven by the data; 0 problem(s)" in out


def check_corrupted_label_fails(out: Path, step: str, change, expect: str, capsys) -> None:
    labels = _labels(out)
    lab = next(x for x in labels if x["step"] == step)
    change(lab)
    _set_labels(out, labels)
    assert main(["validate-lineage", str(out)]) == 1
    err = capsys.readouterr().err
    assert f"step '{step}'" in err and expect in err, err


def test_label_with_missing_rows_fails(lineage_copy, capsys):
    check_corrupted_label_fails(
        lineage_copy, "extract_inventory", lambda lab: lab["rows"].pop(), "label rows", capsys
    )


def test_label_with_wrong_kind_fails(lineage_copy, capsys):
    def to_duplicate(lab):
        lab["kind"] = "duplicate_load"

    check_corrupted_label_fails(
        lineage_copy, "extract_inventory", to_duplicate, "[duplicate_load] check", capsys
    )


def test_label_moved_to_a_normal_step_fails_both_ways(lineage_copy, capsys):
    def move(lab):
        lab["step"] = "extract_orders"

    labels = _labels(lineage_copy)
    lab = next(x for x in labels if x["kind"] == "partial_write")
    real_step = lab["step"]
    move(lab)
    _set_labels(lineage_copy, labels)
    assert main(["validate-lineage", str(lineage_copy)]) == 1
    err = capsys.readouterr().err
    assert f"step '{real_step}' (labeled partial_write) check missing_rows" in err
    assert "step 'extract_orders' [partial_write] check tables" in err


def test_silent_change_to_a_normal_table_fails(lineage_copy, capsys):
    path = lineage_copy / "lineage_data" / "stg_customers.parquet"
    table = pq.read_table(path)
    pq.write_table(table.slice(0, table.num_rows - 1), path)
    assert main(["validate-lineage", str(lineage_copy)]) == 1
    err = capsys.readouterr().err
    assert "step 'extract_customers' check row_count" in err
    assert "step 'extract_customers' (labeled normal) check missing_rows" in err


def test_fault_randomness_depends_only_on_seed_and_step():
    a = fault_rng(42, "extract_inventory").integers(0, 10**9, 3).tolist()
    assert a == fault_rng(42, "extract_inventory").integers(0, 10**9, 3).tolist()
    assert a != fault_rng(43, "extract_inventory").integers(0, 10**9, 3).tolist()
    assert a != fault_rng(42, "extract_orders").integers(0, 10**9, 3).tolist()


def test_same_seed_gives_byte_identical_files(lineage_out, tmp_path):
    again = make_output(tmp_path)
    files = sorted(
        p.relative_to(lineage_out)
        for p in lineage_out.rglob("*")
        if p.is_file() and p.parent.name != "data"
    )
    assert len(files) > 60
    for rel in files:
        assert (lineage_out / rel).read_bytes() == (again / rel).read_bytes(), rel


def test_other_seed_moves_the_faulted_rows():
    tables = sample_tables(60)
    spec = load_lineage_spec(default_lineage_path(), tables)
    a = run_lineage(tables, spec, 1)
    b = run_lineage(tables, spec, 2)
    rows_a = {lab["id"]: lab["rows"] for lab in a.labels}
    rows_b = {lab["id"]: lab["rows"] for lab in b.labels}
    assert rows_a.keys() == rows_b.keys()
    assert (
        rows_a["lineage.build_fact_sales.partial_join"]
        != rows_b["lineage.build_fact_sales.partial_join"]
    )
    doc = lineage_document(a, {"tables": {"customers": {"source": "rules"}}})
    assert list(doc)[:6] == [
        "schema",
        "version",
        "generator",
        "seed",
        "lineage_config_hash",
        "tables",
    ]
    with pytest.raises(ValueError, match="overwrite"):
        lineage_document(a, {"pipeline": {}})


def test_pipeline_runs_over_the_rule_based_generator_output(default_output, tmp_path, capsys):
    """The real generator's default tables, not the stand-ins: every label still proven."""
    import shutil

    out = tmp_path / "gen"
    shutil.copytree(default_output, out)
    kept = yaml.safe_load((out / "metadata" / "generation_lineage.yaml").read_text())
    assert main(["lineage", "--data", str(out), "--no-progress"]) == 0
    doc = _lineage(out)
    assert (
        doc["seed"] == json.loads((out / "metadata" / "schema_metadata.json").read_text())["seed"]
    )
    assert doc.get("tables") == kept.get("tables"), "the generator's tables section is kept"
    labels = json.loads((out / "metadata" / "labels.json").read_text())
    assert labels["anomalies"], "the generator's anomaly labels are kept"
    assert len({lab["kind"] for lab in labels["lineage"]}) >= 8
    assert main(["validate-lineage", str(out)]) == 0
    assert "0 problem(s)" in capsys.readouterr().out


def test_label_details_are_checked_against_the_data(lineage_copy, capsys):
    labels = _labels(lineage_copy)
    by_kind = {lab["kind"]: lab for lab in labels}
    by_kind["partial_join"]["details"]["unmatched_keys"].pop()
    by_kind["unit_scale_change"]["details"]["factor"] = 1000
    by_kind["schema_drift"]["details"]["new_name"] = "avg_salary_usd"
    _set_labels(lineage_copy, labels)
    assert main(["validate-lineage", str(lineage_copy)]) == 1
    err = capsys.readouterr().err
    assert "[partial_join] check fact_sales:" in err and "have a matched order_id" in err
    assert "[unit_scale_change] check mart_customer_value:" in err and "x 1000" in err
    assert "[schema_drift] check mart_store_staffing:" in err and "avg_salary_usd" in err


def test_fault_variants_outside_the_default_are_proven(tmp_path, capsys):
    """Retyped and dropped columns, a missing output, random partial writes: run and proven."""
    doc = yaml.safe_load(default_lineage_path().read_text())
    steps = {s["id"]: s for s in doc["steps"]}
    steps["build_mart_store_staffing"]["fault_params"] = {
        "change": "retype", "column": "headcount", "new_type": "VARCHAR",
    }  # fmt: skip
    steps["build_mart_legacy_regions"].update(
        label="schema_drift", fault_params={"change": "drop", "column": "last_created"}
    )
    steps["build_mart_inventory_health"].update(
        label="job_failure", fault_params={"mode": "missing"}
    )
    steps["extract_inventory"]["fault_params"] = {"fraction": 0.2, "mode": "random"}
    spec_path = tmp_path / "lineage.yml"
    spec_path.write_text(yaml.safe_dump(doc, sort_keys=False))
    out = tmp_path / "out"
    (out / "data").mkdir(parents=True)
    for name, frame in sample_tables(50).items():
        pq.write_table(to_arrow(frame), out / "data" / f"{name}.parquet")
    assert main(["lineage", "--data", str(out), "--spec", str(spec_path), "--no-progress"]) == 0
    assert not (out / "lineage_data" / "mart_inventory_health.parquet").exists()
    labels = {lab["step"]: lab for lab in _labels(out)}
    assert labels["build_mart_inventory_health"]["status"] == "FAILED"
    assert main(["validate-lineage", str(out)]) == 0, capsys.readouterr().err
