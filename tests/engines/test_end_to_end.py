"""The real generator's output: generate, validate both variants, load, parity.

Spark is left out here to keep the suite fast (13 tables and ~40 queries cost about a minute on
2 cores); test_spark_parity covers Spark against DuckDB and fakesnow on the fixture.
"""

from __future__ import annotations

import json

import pytest

from synthgen_sdv.cli import main


@pytest.fixture(scope="module")
def generated(tmp_path_factory):
    out = tmp_path_factory.mktemp("e2e") / "out"
    code = main(
        [
            "generate",
            "--out",
            str(out),
            "--scale",
            "0.1",
            "--format",
            "both",
            "--workers",
            "1",
            "--no-progress",
        ]
    )
    assert code == 0
    return out


def test_generated_output_validates_and_labeled_anomalies_are_expected(generated, tmp_path, capsys):
    assert main(["validate", str(generated), "--json", str(tmp_path / "v.json")]) == 0
    report = json.loads((tmp_path / "v.json").read_text())
    assert report["ok"]
    assert not [r for r in report["results"] if r["variant"] == "clean" and r["status"] != "PASS"]
    labels = json.loads((generated / "metadata" / "labels.json").read_text())
    expected_ids = {
        i for r in report["results"] if r["status"] == "EXPECTED" for i in r["anomaly_ids"]
    }
    # every anomaly that breaks a key, a type or a NOT NULL is recognised from its label
    kinds = {a["id"]: a["kind"] for a in labels["anomalies"]}
    breaking = {
        i
        for i, k in kinds.items()
        if k in ("orphan_fk", "duplicate_rows", "format_drift", "null_burst")
    }
    assert breaking and breaking <= expected_ids
    assert "RESULT: OK" in capsys.readouterr().out


@pytest.mark.filterwarnings("ignore:Arrow output on a DB-API result:UserWarning")
def test_generated_output_loads_with_parity(generated, tmp_path, monkeypatch, capsys):
    fakesnow = pytest.importorskip("fakesnow")
    for key, value in {
        "ACCOUNT": "acct",
        "USER": "u",
        "PASSWORD": "pw-e2e",
        "DATABASE": "E2E",
        "SCHEMA": "PUBLIC",
    }.items():
        monkeypatch.setenv(f"SNOWFLAKE_{key}", value)
    with fakesnow.patch():
        code = main(
            [
                "load",
                str(generated),
                "--engine",
                "duckdb,snowflake",
                "--parity",
                "--database",
                str(tmp_path / "e2e.duckdb"),
                "--json",
                str(tmp_path / "load.json"),
            ]
        )
    text = capsys.readouterr().out
    assert code == 0, text
    summary = json.loads((tmp_path / "load.json").read_text())
    meta = json.loads((generated / "metadata" / "schema_metadata.json").read_text())
    declared = {t: m["row_count"] for t, m in meta["tables"].items()}
    assert [load["tables"] for load in summary["loads"]] == [declared] * 2
    assert summary["parity"]["ok"] and summary["parity"]["engines"] == ["duckdb", "snowflake"]
    assert "all results agree" in text
