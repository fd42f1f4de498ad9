"""The holdout protocol over any source (runs.study.holdout_study), with learners that need no
synthesizer: a copier, a failing one. The real rule-based baseline runs."""

from __future__ import annotations

import copy

import numpy as np
import pandas as pd
import pytest
from evaluate_shop import make_shop

from synthgen_sdv.core.metadata import subgraph
from synthgen_sdv.evaluate.report import CEILING, compare
from synthgen_sdv.evaluate.split import referential_integrity
from synthgen_sdv.runs.study import BASELINE, Learner, baseline_view, holdout_study

QUIET = {"make_plots": False}


def copier(metadata: dict) -> Learner:
    """A 'synthesizer' that returns its training tables: the protocol must score it against the
    holdout it never saw, and flag it as a copier."""
    return Learner(
        fit=lambda train, model: train,
        sample=lambda fitted: {t: fitted[t] for t in metadata["tables"]},
    )


def test_study_splits_fits_on_train_only_and_writes_the_report(tmp_path, metadata):
    shop = make_shop(160, seed=2)
    seen: list[int] = []
    learner = copier(metadata)
    spy = Learner(
        fit=lambda t, m: seen.append(len(t["customers"])) or learner.fit(t, m),
        sample=learner.sample,
    )
    result = holdout_study(
        shop,
        metadata,
        "customers",
        ["copy"],
        spy,
        tmp_path / "reports",
        seed=3,
        label="the shop",
        **QUIET,
    )
    report = result.report
    assert seen == [128], "the learner sees the train split only (160 - 20%)"
    assert [c["name"] for c in report.data["candidates"]] == [CEILING, "copy", BASELINE]
    assert (
        report.headline.startswith("Each candidate was trained on 128 customers (")
        and "of the shop and scored against the 32 held-out customers" in report.headline
    )
    assert report.summary["copy"]["DCR ratio"] == pytest.approx(0.0)
    assert report.summary[BASELINE]["RI (worst)"] == 1.0
    assert set(result.stats) == {"copy", BASELINE}
    assert (tmp_path / "reports" / "baseline_config" / "tables.yml").is_file()


def test_a_large_reference_is_subsampled_by_root_entity_first(tmp_path, metadata):
    shop = make_shop(300, seed=4)
    subtree_rows = sum(len(shop[t]) for t in ("customers", "orders", "transactions"))
    result = holdout_study(
        shop,
        metadata,
        "customers",
        ["copy"],
        copier(metadata),
        tmp_path,
        seed=1,
        label="the shop",
        baseline=False,
        max_rows=subtree_rows // 3,
        **QUIET,
    )
    split = result.report.data["split"]
    kept = split["rows"]["customers"]["input"]
    assert 80 <= kept <= 110  # about a third of the 300 customers, with all their rows
    rows = sum(split["rows"][t]["input"] for t in ("customers", "orders", "transactions"))
    assert rows < 1.2 * subtree_rows / 3  # by root count, so about the limit
    assert f"of a root-entity subsample ({kept:,} of 300 customers) of the shop" in (
        result.report.headline
    )


def test_a_failing_candidate_is_recorded_or_raised(tmp_path, metadata):
    shop = make_shop(100, seed=5)
    good = copier(metadata)

    def fit(train, model):
        if model == "broken":
            raise ValueError("cannot model this")
        return good.fit(train, model)

    learner = Learner(fit, good.sample)
    result = holdout_study(
        shop,
        metadata,
        "customers",
        ["copy", "broken"],
        learner,
        tmp_path,
        seed=0,
        label="the shop",
        baseline=False,
        tolerate_failures=True,
        **QUIET,
    )
    assert "broken" not in result.report.summary
    assert any(
        n.startswith("'broken' is not in the table: it failed on the train split (ValueError")
        for n in result.report.data["notes"]
    )
    with pytest.raises(ValueError, match="cannot model this"):
        holdout_study(
            shop,
            metadata,
            "customers",
            ["broken"],
            learner,
            tmp_path / "again",
            seed=0,
            label="the shop",
            baseline=False,
            **QUIET,
        )


def _with_keys_sdv_cannot_read(shop: dict, metadata: dict) -> tuple[dict, dict]:
    """Your own data's metadata may hold a composite key and a self reference."""
    md = copy.deepcopy(metadata)
    data = {t: df.copy() for t, df in shop.items()}
    customers = data["customers"]
    rng = np.random.default_rng(0)
    referrer = customers["customer_id"].sample(frac=1.0, random_state=1).to_numpy()
    customers["referrer_id"] = pd.array(
        np.where(rng.random(len(customers)) < 0.5, referrer, -1), dtype="Int64"
    )
    customers.loc[customers["referrer_id"] == -1, "referrer_id"] = pd.NA
    md["tables"]["customers"]["columns"]["referrer_id"] = {"sdtype": "id"}
    md["relationships"].append(
        {
            "parent_table_name": "customers",
            "parent_primary_key": "customer_id",
            "child_table_name": "customers",
            "child_foreign_key": "referrer_id",
        }
    )
    tx = data["transactions"]
    tx["line"] = tx.groupby("order_id").cumcount() + 1
    md["tables"]["transactions"]["columns"]["line"] = {"sdtype": "id"}
    md["tables"]["transactions"]["primary_key"] = ["order_id", "line"]
    return data, md


def test_compare_reads_composite_keys_and_self_references(tmp_path, metadata):
    data, md = _with_keys_sdv_cannot_read(make_shop(120, seed=6), metadata)
    report = compare(
        data,
        data,
        {"same": data},
        md,
        tmp_path,
        metrics=["quality", "referential_integrity"],
        make_plots=False,
        progress=lambda _m: None,
    )
    assert report.summary["same"]["Quality"] is not None  # SDMetrics ran without the self ref
    rels = report.result("same", "referential_integrity")["by_relationship"]
    assert "customers.referrer_id -> customers.customer_id" in rels
    notes = " ".join(report.data["notes"])
    assert "transactions: composite primary key (order_id, line) scored as plain ids" in notes


def test_baseline_is_inferred_without_self_references(tmp_path, metadata):
    data, md = _with_keys_sdv_cannot_read(make_shop(120, seed=7), metadata)
    view = baseline_view(md)
    assert "referrer_id" not in view["tables"]["customers"]["columns"]
    assert all(r["parent_table_name"] != r["child_table_name"] for r in view["relationships"])
    assert baseline_view(metadata) is metadata
    md["tables"]["transactions"]["primary_key"] = "transaction_id"
    result = holdout_study(
        data,
        md,
        "customers",
        [],
        copier(md),
        tmp_path,
        seed=2,
        label="the shop",
        **QUIET,
    )
    base = result.report.result(BASELINE, "referential_integrity")["by_relationship"]
    # the baseline leaves the self reference empty (never invented), the rest resolves
    assert base["customers.referrer_id -> customers.customer_id"]["non_null"] == 0
    assert base["orders.customer_id -> customers.customer_id"]["share_resolved"] == 1.0
    sub = subgraph(md, ["customers", "orders"])
    assert all(
        v["share_resolved"] in (1.0, None)
        for v in referential_integrity({t: data[t] for t in sub["tables"]}, sub).values()
    )
