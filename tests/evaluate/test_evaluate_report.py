"""compare() writes comparison.json (valid against its own schema), comparison.md and PNGs."""

from __future__ import annotations

import copy
import json

import jsonschema
import numpy as np
import pytest
from evaluate_shop import make_shop, shuffle_columns

from synthgen_sdv.core.errors import InputError
from synthgen_sdv.evaluate.metrics import METRICS, Metric
from synthgen_sdv.evaluate.report import CEILING, COMPARISON_JSON_SCHEMA, compare
from synthgen_sdv.evaluate.split import split_by_root

PNG_MAGIC = b"\x89PNG\r\n\x1a\n"


@pytest.fixture(scope="module")
def report(tmp_path_factory, metadata):
    split = split_by_root(make_shop(200, seed=21), metadata, 0.3, seed=4)
    orphans = dict(split.train)
    orders = split.train["orders"].copy()
    orders.loc[orders.index[::3], "customer_id"] = -7
    orphans["orders"] = orders
    candidates = {
        "independent": make_shop(150, seed=8),
        "shuffled": shuffle_columns(split.train),
        "orphans": orphans,
        "copy": split.train,
    }
    out = tmp_path_factory.mktemp("cmp") / "reports"
    return compare(
        split.train,
        split.holdout,
        candidates,
        metadata,
        out,
        candidate_stats={"independent": {"fit_seconds": 3.0, "peak_memory_mb": 80.5}},
        max_root_rows=50,
        split_info=split.info,
        progress=lambda _msg: None,
    )


def test_files_exist_and_json_validates_its_schema(report):
    doc = json.loads(report.files["json"].read_text())
    jsonschema.validate(doc, COMPARISON_JSON_SCHEMA)
    assert doc["schema"] == "synthgen_sdv.comparison" and doc["version"] == 1
    assert [c["name"] for c in doc["candidates"]] == [
        CEILING,
        "independent",
        "shuffled",
        "orphans",
        "copy",
    ]
    assert doc["thresholds"]["real_correlation_threshold"] == 0.5
    assert "learn from the real train split only" in doc["protocol"]
    assert doc["split"]["root_table"] == "customers"
    for name in ("property_scores", "cardinality", "distributions_customers"):
        assert name in doc["plots"]
    for key in ("correlations_customers", "correlations_transactions"):
        assert key in doc["plots"]
    for rel in doc["plots"].values():
        assert (report.out_dir / rel).read_bytes()[:8] == PNG_MAGIC


def test_sample_sizes_are_bounded_and_reported(report):
    doc = report.data
    held = doc["sample_sizes"]["holdout_evaluated"]
    assert held["root_rows_kept"] == 50 and held["sampled"] is True
    for cand in doc["candidates"]:
        assert cand["sample"]["root_rows_kept"] == 50
        assert cand["rows"]["customers"] >= 50


def test_broken_candidates_rank_below_the_ceiling(report):
    s = report.summary
    ceiling = s[CEILING]
    assert s["shuffled"]["Column Pair Trends"] < ceiling["Column Pair Trends"]
    assert s["shuffled"]["ML ratio"] < 0.7
    assert s["orphans"]["RI (worst)"] == pytest.approx(2 / 3, abs=0.01)
    assert s["copy"]["DCR ratio"] == pytest.approx(0.0)
    assert s["independent"]["DCR ratio"] > 0.5
    assert ceiling["DCR ratio"] is None
    assert s["independent"]["time s"] == 3.0 and s["independent"]["peak MB"] == 80.5
    for row in s.values():
        for col in ("Quality", "Column Shapes", "RI (worst)", "closer to train"):
            assert row[col] is None or 0.0 <= row[col] <= 1.0


def test_markdown_reads_at_a_glance(report):
    md = report.files["markdown"].read_text()
    table = md.split("\n\n")[1].splitlines()
    assert table[0].startswith("| candidate | Quality | Column Shapes | Column Pair Trends")
    assert len(table) == 2 + 5
    assert "| *train (ceiling)* |" in table[2]
    assert "## Protocol" in md and "real_correlation_threshold = 0.5" in md
    assert "train (ceiling) / privacy_dcr: the ceiling is the training data itself" in md
    assert "- Column Pair Trends: " in md and "pass the thresholds in the holdout" in md
    assert "| candidate | TSTR macro F1 | TRTR macro F1 | ratio |" in md
    assert "## Column Shapes per table" in md and "| candidate | customers | products |" in md
    assert "## Weakest columns" in md
    assert "'copy' sits much closer to the training rows" in md
    assert "## Read with care" in md and "The holdout has only 50 'customers' rows" in md
    assert "customers.segment (classification, chosen by auto)" in md
    assert "![cardinality](plots/cardinality.png)" in md


def test_compare_rejects_mismatched_candidate(metadata, tmp_path):
    data = make_shop(30, seed=1)
    bad = {k: v for k, v in data.items() if k != "products"}
    with pytest.raises(InputError, match=r"candidate 'bad' does not match the metadata: missing"):
        compare(data, data, {"bad": bad}, metadata, tmp_path, progress=lambda _m: None)
    renamed = dict(data)
    renamed["orders"] = data["orders"].rename(columns={"channel": "chanel"})
    with pytest.raises(InputError, match=r"orders: missing columns \['channel'\]"):
        compare(data, data, {"r": renamed}, metadata, tmp_path, progress=lambda _m: None)


@METRICS.register("test_always_fails")
class _AlwaysFails(Metric):
    """A plug-in registered from outside the package; it fails to show failures are recorded."""

    title = "Fails"

    def compute(self, ctx):
        raise RuntimeError("boom")


def test_plugin_metric_and_a_failing_metric_are_recorded(metadata, tmp_path):
    data = make_shop(40, seed=2)
    broken = make_shop(30, seed=3)
    broken["transactions"] = broken["transactions"].iloc[:0]
    report = compare(
        data,
        data,
        {"empty": broken},
        metadata,
        tmp_path,
        metrics=["ml_utility", "test_always_fails"],
        make_plots=False,
        progress=lambda _m: None,
    )
    res = report.result("empty", "test_always_fails")
    assert res == {"score": None, "reason": "failed: RuntimeError: boom"}
    assert report.summary["empty"]["Fails"] is None
    # No transactions at all: the ML features from them are dropped, the model still trains.
    assert report.result("empty", "ml_utility")["synthetic"]["train_rows"] == 30
    md = report.files["markdown"].read_text()
    assert "empty / test_always_fails: failed: RuntimeError: boom" in md


def test_scope_identifier_like_and_chance_level_notes(metadata, tmp_path):
    rng = np.random.default_rng(5)
    md = copy.deepcopy(metadata)
    md["tables"]["customers"]["columns"]["email"] = {"sdtype": "categorical"}
    md["tables"]["customers"]["columns"]["city"] = {"sdtype": "categorical"}

    def with_extra(data):
        data = dict(data)
        cust = data["customers"].copy()
        cust["email"] = [f"c{i}@x.org" for i in cust["customer_id"]]
        cust["city"] = rng.choice([f"city{i}" for i in range(40)], len(cust))
        data["customers"] = cust
        return data

    split = split_by_root(with_extra(make_shop(200, seed=6)), md, 0.4, seed=1)
    report = compare(
        split.train,
        split.holdout,
        {"other": with_extra(make_shop(100, seed=7))},
        md,
        tmp_path,
        metrics=["quality"],
        scope="held_out",
        make_plots=False,
        progress=lambda _m: None,
    )
    opts = report.data["options"]
    assert opts["scored_tables"] == ["customers", "orders", "transactions"]
    assert opts["identifier_like_skipped"] == ["customers.email"]
    quality = report.result("other", "quality")
    assert "products" not in quality["properties"]["Column Shapes"]["by_table"]
    pairs = quality["properties"]["Column Pair Trends"]["details"]
    assert all("email" not in (p["Column 1"], p["Column 2"]) for p in pairs)
    notes = " ".join(report.data["notes"])
    assert "Not scored by SDMetrics" in notes and "customers.email" in notes
    assert "pass the threshold by chance" in notes and "x city (V" in notes
    with pytest.raises(InputError, match="scope must be one of"):
        compare(split.train, split.holdout, {}, md, tmp_path, scope="some")
