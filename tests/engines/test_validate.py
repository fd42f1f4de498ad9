"""`validate`: checks, labels matching, report, JSON and exit codes."""

from __future__ import annotations

import json

import pyarrow.parquet as pq
from engines_fixture import write_fixture

from synthgen_sdv.cli import main
from synthgen_sdv.engines.validation import CHECKS, PASS, CheckResult, validate


def _by(report, status):
    return {(r.variant, r.check, r.table, r.column) for r in report.results if r.status == status}


def test_clean_passes_and_every_labeled_anomaly_is_expected(fixture_dir):
    report = validate(fixture_dir, ["clean", "dirty"])
    assert report.ok
    assert not [r for r in report.results if r.variant == "clean" and r.status != PASS]
    assert _by(report, "EXPECTED") == {
        ("dirty", "row_count", "orders", None),
        ("dirty", "column_types", "orders", "order_date"),
        ("dirty", "nullability", "customers", "name"),
        ("dirty", "primary_key", "orders", "order_id"),
        ("dirty", "foreign_key", "orders", "customer_id"),
    }
    fk = next(r for r in report.results if r.status == "EXPECTED" and r.check == "foreign_key")
    assert fk.expected == 3 and fk.anomaly_ids == ["orders.orphan_fk.0"]


def test_unlabeled_orphans_fail_with_examples_and_exit_1(tmp_path, capsys):
    out = write_fixture(tmp_path / "out", unlabeled_orphans=2)
    code = main(["validate", str(out), "--json", str(tmp_path / "v.json")])
    text = capsys.readouterr().out
    assert code == 1
    line = next(x for x in text.splitlines() if x.startswith("FAIL"))
    assert "foreign_key" in line and "orders.customer_id" in line
    assert "5 orphan rows" in line and "3 labeled (orders.orphan_fk.0); 2 not labeled" in line
    assert "order_id=21, customer_id=800000" in text  # the unlabeled rows are the examples
    data = json.loads((tmp_path / "v.json").read_text())
    assert data["schema"] == "synthgen_sdv.validation_report" and data["ok"] is False
    failed = [r for r in data["results"] if r["status"] == "FAIL"]
    assert [(r["table"], r["column"], r["failed"]) for r in failed] == [
        ("orders", "customer_id", 2)
    ]


def test_a_broken_clean_table_fails_the_clean_variant(fresh_dir, capsys):
    path = fresh_dir / "data" / "orders.parquet"
    table = pq.read_table(path)
    rows = table.to_pylist()
    rows[1]["order_id"] = rows[0]["order_id"]  # duplicate key
    rows[2]["total_amount"] = None  # NULL in a NOT NULL column
    pq.write_table(table.from_pylist(rows, schema=table.schema), path)
    assert main(["validate", str(fresh_dir), "--variant", "clean"]) == 1
    text = capsys.readouterr().out
    assert "FAIL     clean primary_key   orders.order_id: 2 rows with a NULL or duplicated" in text
    assert "FAIL     clean nullability   orders.total_amount: 1 NULLs" in text
    assert "e.g. order_id=1" in text


def test_exit_2_when_not_an_output_folder_or_unknown_version(tmp_path, fresh_dir, capsys):
    assert main(["validate", str(tmp_path / "missing")]) == 2
    meta = fresh_dir / "metadata" / "schema_metadata.json"
    meta.write_text(meta.read_text().replace('"version": 1', '"version": 7', 1))
    assert main(["validate", str(fresh_dir)]) == 2
    assert "unknown version 7" in capsys.readouterr().err


def test_checks_are_plugins(fixture_dir):
    @CHECKS.register("test_tables_have_rows")
    def _rows(ctx):
        return [
            CheckResult(
                "test_tables_have_rows",
                ctx.variant,
                t,
                None,
                PASS if len(r.frame) else "FAIL",
                f"{len(r.frame)} rows",
            )
            for t, r in ctx.tables.items()
        ]

    report = validate(fixture_dir, ["clean"], checks=["test_tables_have_rows"])
    assert [r.status for r in report.results] == [PASS] * 5


def test_csv_that_disagrees_with_parquet_fails(fresh_dir, capsys):
    path = fresh_dir / "data" / "order_items.csv"
    lines = path.read_text().splitlines()
    fields = lines[5].split(",")
    fields[3] = "99"  # quantity of item_id 5
    lines[5] = ",".join(fields)
    path.write_text("\n".join(lines) + "\n")
    assert main(["validate", str(fresh_dir), "--variant", "clean"]) == 1
    text = capsys.readouterr().out
    assert "FAIL     clean csv_parquet   order_items.quantity: 1 rows where CSV and Parquet" in text
    assert "item_id=5, parquet=" in text and "csv=99" in text
