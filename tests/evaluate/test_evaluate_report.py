"""compare() writes comparison.json (valid against its own schema), comparison.md and PNGs."""

from __future__ import annotations

import base64
import copy
import html
import json
import re

import jsonschema
import numpy as np
import pytest
from evaluate_shop import make_shop, shuffle_columns

from synthgen_sdv.core.errors import InputError
from synthgen_sdv.evaluate.metrics import METRICS, Metric
from synthgen_sdv.evaluate.report import (
    CEILING,
    COMPARISON_JSON_SCHEMA,
    WRITTEN,
    WrittenOutput,
    compare,
)
from synthgen_sdv.evaluate.split import split_by_root

PNG_MAGIC = b"\x89PNG\r\n\x1a\n"


@pytest.fixture(scope="module")
def shop_split(metadata):
    full = make_shop(200, seed=21)
    return full, split_by_root(full, metadata, 0.3, seed=4)


@pytest.fixture(scope="module")
def report(tmp_path_factory, metadata, shop_split):
    full, split = shop_split
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
    written = make_shop(400, seed=9, products=full["products"])
    return compare(
        split.train,
        split.holdout,
        candidates,
        metadata,
        out,
        candidate_stats={"independent": {"fit_seconds": 3.0, "peak_memory_mb": 80.5}},
        max_root_rows=50,
        split_info=split.info,
        reference_label="the test shop",
        written=WrittenOutput(written, full, {"fit_seconds": 1.0, "sample_seconds": 2.0}),
        progress=lambda _msg: None,
    )


def test_files_exist_and_json_validates_its_schema(report):
    doc = json.loads(report.files["json"].read_text())
    jsonschema.validate(doc, COMPARISON_JSON_SCHEMA)
    assert doc["schema"] == "synthgen_sdv.comparison" and doc["version"] == 2
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
    for rel in [*doc["plots"].values(), *doc["written"]["plots"].values()]:
        assert (report.out_dir / rel).read_bytes()[:8] == PNG_MAGIC
    assert doc["written"]["plots"]["cardinality"] == "plots/written_cardinality.png"


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
    assert ceiling["DCR ratio"] is None and ceiling["DCR overfitting"] is None
    assert s["copy"]["DCR overfitting"] < s["independent"]["DCR overfitting"]
    assert ceiling["DCR baseline"] is not None  # the holdout's own: what unseen real rows score
    assert s["independent"]["time s"] == 3.0 and s["independent"]["peak MB"] == 80.5
    assert s["copy"]["Spikes"] == 0 and ceiling["Spikes"] == 0
    for row in s.values():
        for col in ("Quality", "Column Shapes", "RI (worst)", "closer to train", "DCR baseline"):
            assert row[col] is None or 0.0 <= row[col] <= 1.0


def test_markdown_opens_with_one_sentence_then_reads_at_a_glance(report):
    md = report.files["markdown"].read_text()
    title, sentence, section, table = md.split("\n\n")[:4]
    assert title == "# Synthetic data comparison"
    assert (
        sentence
        == report.headline
        == (
            "Each candidate was trained on 140 customers (316 orders, 962 transactions) of the "
            "test shop and scored against 50 of the 60 held-out customers (with 101 orders, 274 "
            "transactions), which no candidate saw; the written output, 400 customers (857 orders, "
            "2,555 transactions), is scored in section 2 against the data it was fitted on, 200 "
            "customers (430 orders, 1,275 transactions)."
        )
    )
    assert sentence.count(". ") == 0, "one sentence"
    assert section.startswith("## 1. Holdout comparison")
    table = table.splitlines()
    assert table[0].startswith("| candidate | Quality | Column Shapes | Column Pair Trends")
    assert len(table) == 2 + 5
    assert "| *train (ceiling)* |" in table[2]
    assert "### Protocol" in md and "real_correlation_threshold = 0.5" in md
    assert "train (ceiling) / dcr_overfitting: the ceiling is the training data itself" in md
    assert "- Column Pair Trends: " in md and "pass the thresholds in the real data" in md
    assert "| candidate | TSTR macro F1 | TRTR macro F1 | ratio |" in md
    assert "### Column Shapes per table" in md and "| candidate | customers | products |" in md
    assert "### Weakest columns" in md and "### Per-column check" in md
    assert "'copy' sits much closer to the training rows" in md
    assert "### Read with care" in md and "The holdout has only 50 'customers' rows" in md
    assert "customers.segment (classification, chosen by auto)" in md
    assert "![cardinality](plots/cardinality.png)" in md
    written = md.split("## 2. The written output, against the data it was fitted on")[1]
    assert "| **written output** |" in written and "DCR overfitting" not in written
    assert "![cardinality](plots/written_cardinality.png)" in written


def test_written_section_scores_the_output_against_what_it_was_fitted_on(report):
    doc = report.data["written"]
    assert doc["rows"]["customers"] == 400 and doc["fitted_rows"]["customers"] == 200
    (entry,) = doc["candidates"]
    assert entry["name"] == WRITTEN and entry["role"] == "written"
    assert set(entry["results"]) == {
        "quality",
        "diagnostic",
        "referential_integrity",
        "column_artifacts",
        "dcr_baseline",
        "resources",
    }
    assert entry["results"]["column_artifacts"]["reference"] == "the data it was fitted on"
    summary = report.written_summary
    assert 0.5 < summary["Quality"] <= 1.0 and summary["RI (worst)"] == 1.0
    assert summary["Spikes"] == 0  # a fresh sample of the same shop
    assert summary["DCR baseline"] is not None and summary["time s"] == 3.0
    assert report.result(WRITTEN, "quality")["score"] == summary["Quality"]


def test_html_is_one_self_contained_file_with_the_same_sentence(report):
    html_text = report.files["html"].read_text()
    assert report.files["html"].name == "comparison.html"
    assert html_text.startswith("<!DOCTYPE html>")
    first_para = re.search(r"<p[^>]*>(.*?)</p>", html_text, re.S).group(1)
    assert first_para == html.escape(report.headline, quote=False)
    assert "<h1>Synthetic data comparison</h1>" in html_text
    # nothing outside the file: no links, no scripts or style sheets fetched, no URLs
    assert not re.search(r"(href|src)=\"(?!data:)", html_text)
    assert "http://" not in html_text and "https://" not in html_text
    assert "<script" not in html_text and "<link" not in html_text
    images = re.findall(r'<img alt="([^"]+)" src="data:image/png;base64,([^"]+)"', html_text)
    expected = len(report.data["plots"]) + len(report.data["written"]["plots"])
    assert len(images) == expected
    for _alt, payload in images:
        assert base64.b64decode(payload)[:8] == PNG_MAGIC
    assert "<td><strong>independent</strong></td>" in html_text
    assert "<em>train (ceiling)</em>" in html_text
    assert "Per-column check" in html_text and "2. The written output" in html_text


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
