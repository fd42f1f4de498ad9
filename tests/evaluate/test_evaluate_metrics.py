"""Each metric returns sane bounds and degrades when the candidate is deliberately broken."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from evaluate_shop import make_shop, shuffle_columns

from synthgen_sdv.core.errors import InputError
from synthgen_sdv.evaluate.metrics import METRICS, EvalContext, EvalOptions, sdmetrics_thresholds
from synthgen_sdv.evaluate.relations import TableGraph
from synthgen_sdv.evaluate.split import split_by_root


@pytest.fixture(scope="module")
def parts(metadata):
    split = split_by_root(make_shop(240, seed=11), metadata, 0.4, seed=0)
    return split.train, split.holdout


def score(name, metadata, train, holdout, candidate, shared=None, ceiling=False, **opts):
    ctx = EvalContext(
        name="x",
        train=train,
        holdout=holdout,
        candidate=candidate,
        candidate_sample=candidate,
        holdout_sample=holdout,
        metadata=metadata,
        graph=TableGraph(metadata),
        options=EvalOptions(**opts),
        is_ceiling=ceiling,
        stats={"fit_seconds": 2.0, "sample_seconds": 0.5, "peak_memory_mb": 321.0},
        shared={} if shared is None else shared,
    )
    return METRICS.get(name)().compute(ctx)


def test_sdmetrics_reports_called_directly_work_with_installed_sdmetrics(parts, metadata):
    """sdv 1.37.4's evaluate_quality breaks with sdmetrics 0.32; our direct call must not."""
    import sdmetrics

    train, holdout = parts
    assert sdmetrics.__version__.startswith("0.32")
    quality = score("quality", metadata, train, holdout, train)
    assert set(quality["properties"]) == {
        "Column Shapes",
        "Column Pair Trends",
        "Cardinality",
        "Intertable Trends",
    }
    for prop in quality["properties"].values():
        assert prop["score"] is not None and 0.0 <= prop["score"] <= 1.0
        assert prop["details"]
    assert quality["properties"]["Column Shapes"]["by_table"]["customers"] > 0.7
    assert 0.0 <= quality["score"] <= 1.0
    diag = score("diagnostic", metadata, train, holdout, train)
    assert set(diag["properties"]) == {"Data Validity", "Data Structure", "Relationship Validity"}
    assert diag["properties"]["Data Structure"]["score"] == 1.0


@pytest.mark.filterwarnings("ignore::FutureWarning")
def test_sdv_wrapper_is_the_known_trap(parts, metadata):
    """Why we call SDMetrics directly: sdv's wrapper passes verbose where constraints go.

    If this starts to pass, the installed sdv/sdmetrics pair agrees again; the direct call
    above stays correct either way.
    """
    from sdv.evaluation.multi_table import evaluate_quality
    from sdv.metadata import Metadata

    train, holdout = parts
    with pytest.raises(ValueError, match="'constraints' parameter"):
        evaluate_quality(holdout, train, Metadata.load_from_dict(metadata), verbose=False)


def test_thresholds_are_read_from_installed_sdmetrics():
    from sdmetrics.reports.single_table._properties import column_pair_trends  # noqa: F401

    thr = sdmetrics_thresholds()
    assert thr["real_correlation_threshold"] == 0.5
    assert thr["real_association_threshold"] == 0.3
    assert "Cramer" in thr["rule"]


def test_blank_property_is_null_with_reason_and_overall_uses_the_rest():
    rng = np.random.default_rng(0)
    n = 300
    md = {
        "METADATA_SPEC_VERSION": "V1",
        "tables": {
            "a": {
                "primary_key": "id",
                "columns": {
                    "id": {"sdtype": "id"},
                    "x": {"sdtype": "numerical"},
                    "y": {"sdtype": "numerical"},
                },
            },
            "b": {
                "primary_key": "bid",
                "columns": {
                    "bid": {"sdtype": "id"},
                    "id": {"sdtype": "id"},
                    "z": {"sdtype": "numerical"},
                },
            },
        },
        "relationships": [
            {
                "parent_table_name": "a",
                "parent_primary_key": "id",
                "child_table_name": "b",
                "child_foreign_key": "id",
            }
        ],
    }

    def make(seed):
        r = np.random.default_rng(seed)
        a = pd.DataFrame({"id": np.arange(n), "x": r.normal(size=n), "y": r.normal(size=n)})
        b = pd.DataFrame({"bid": np.arange(2 * n), "id": r.integers(0, n, 2 * n)})
        b["z"] = r.normal(size=2 * n)
        return {"a": a, "b": b}

    real, synth = make(1), make(2)
    assert abs(np.corrcoef(real["a"]["x"], real["a"]["y"])[0, 1]) < 0.5
    result = score("quality", md, real, real, synth)
    pair = result["properties"]["Column Pair Trends"]
    assert pair["score"] is None
    assert "no column pair in the holdout passes the thresholds" in pair["reason"]
    assert pair["pairs_scored"] == 0 and pair["pairs_total"] == 1
    shapes = result["properties"]["Column Shapes"]["score"]
    card = result["properties"]["Cardinality"]["score"]
    assert result["score"] == pytest.approx((shapes + card) / 2)
    del rng


def test_shuffled_columns_score_lower_on_pair_trends_and_ml(parts, metadata):
    train, holdout = parts
    shared = {}
    good = {m: score(m, metadata, train, holdout, train, shared) for m in ("quality", "ml_utility")}
    bad_data = shuffle_columns(train)
    bad = {
        m: score(m, metadata, train, holdout, bad_data, shared) for m in ("quality", "ml_utility")
    }
    g, b = good["quality"]["properties"], bad["quality"]["properties"]
    assert b["Column Pair Trends"]["score"] < g["Column Pair Trends"]["score"] - 0.1
    assert b["Intertable Trends"]["score"] < g["Intertable Trends"]["score"]
    # Marginals are untouched by a shuffle, so Column Shapes barely moves.
    assert abs(b["Column Shapes"]["score"] - g["Column Shapes"]["score"]) < 0.02
    assert bad["ml_utility"]["score"] < good["ml_utility"]["score"] - 0.3
    assert good["ml_utility"]["score"] == pytest.approx(1.0)
    assert good["ml_utility"]["target"]["column"] == "segment"
    assert 0.0 <= bad["ml_utility"]["synthetic"]["score"] <= 1.0


def test_orphan_foreign_keys_lower_referential_integrity(parts, metadata):
    train, holdout = parts
    clean_ri = score("referential_integrity", metadata, train, holdout, train)
    assert clean_ri["score"] == 1.0
    broken = dict(train)
    orders = train["orders"].copy()
    orders.loc[orders.index[::4], "customer_id"] = -1
    broken["orders"] = orders
    ri = score("referential_integrity", metadata, train, holdout, broken)
    rel = ri["by_relationship"]["orders.customer_id -> customers.customer_id"]
    assert rel["share_resolved"] == pytest.approx(1 - len(orders.index[::4]) / len(orders))
    assert ri["score"] == rel["share_resolved"]
    diag = score("diagnostic", metadata, train, holdout, broken)
    assert diag["properties"]["Relationship Validity"]["score"] < 1.0


def test_regression_target_and_bad_target(parts, metadata):
    train, holdout = parts
    res = score("ml_utility", metadata, train, holdout, train, target="orders.order_value")
    assert res["target"]["task"] == "regression" and res["metric"] == "R^2"
    assert res["real"]["score"] > 0.5  # order value follows from its transactions
    with pytest.raises(InputError, match="is not a value column"):
        score("ml_utility", metadata, train, holdout, train, target="orders.nope")
    with pytest.raises(InputError, match="table 'products' is not held out"):
        score("ml_utility", metadata, train, holdout, train, target="products.category")


def test_dcr_ratio_flags_copies_and_passes_fresh_samples(parts, metadata):
    train, holdout = parts
    shared = {}
    copy = score("dcr_ratio", metadata, train, holdout, train, shared)
    fresh = score("dcr_ratio", metadata, train, holdout, make_shop(150, seed=99), shared)
    assert copy["score"] == pytest.approx(0.0)
    assert copy["by_table"]["customers"]["candidate_share_exact"] == 1.0
    assert fresh["score"] > 0.5
    assert "products" not in fresh["by_table"]  # shared: the holdout holds train's rows
    ceiling = score("dcr_ratio", metadata, train, holdout, train, shared, ceiling=True)
    assert ceiling["score"] is None and "training data itself" in ceiling["reason"]


def test_sdmetrics_dcr_metrics_match_sdmetrics_and_see_copies(parts, metadata):
    """Our wrapper gives SDMetrics' own numbers on the encoded rows, seeded (same inputs, same
    score), and reads as documented: fresh rows near 1 for overfitting, copies lower."""
    from sdmetrics.single_table import DCROverfittingProtection

    from synthgen_sdv.evaluate.metrics.privacy import dcr_frame

    train, holdout = parts
    fresh_data = make_shop(150, seed=99, products=train["products"])
    shared = {}
    copy = score("dcr_overfitting", metadata, train, holdout, train, shared)
    fresh = score("dcr_overfitting", metadata, train, holdout, fresh_data, shared)
    assert fresh["score"] > 0.7 and copy["score"] < 0.5
    assert copy["by_table"]["customers"]["share_closer_to_train"] > 0.75
    assert "outside the 'customers' subtree" in fresh["by_table"]["products"]["reason"]
    graph = TableGraph(metadata)
    frames = shared["dcr:customers"]
    query, meta = dcr_frame(fresh_data["customers"], graph, "customers")
    direct = DCROverfittingProtection.compute(
        frames["train_eq"],
        frames["codes"](query),  # the references are coded (privacy._Codes): the query too
        frames["holdout_ref"],
        {"tables": {"customers": meta}},
        "customers",
    )
    assert fresh["by_table"]["customers"]["score"] == pytest.approx(direct)

    base_a = score("dcr_baseline", metadata, train, holdout, fresh_data, {})
    base_b = score("dcr_baseline", metadata, train, holdout, fresh_data, {})
    assert base_a["by_table"] == base_b["by_table"]  # the random baseline is seeded
    copy_base = score("dcr_baseline", metadata, train, holdout, train, {})
    assert copy_base["by_table"]["customers"]["score"] == 0.0  # copies sit on train rows
    real = score("dcr_baseline", metadata, train, holdout, train, {}, ceiling=True)
    customers = real["by_table"]["customers"]
    assert customers["scored"].startswith("holdout rows") and customers["score"] > 0.0
    assert base_a["by_table"]["customers"]["holdout_score"] == customers["score"]
    ceiling = score("dcr_overfitting", metadata, train, holdout, train, {}, ceiling=True)
    assert ceiling["score"] is None and "training data itself" in ceiling["reason"]


def test_dcr_baseline_is_blank_where_unseen_real_rows_repeat_train(metadata):
    """A table of a few discrete values: unseen real rows sit on train rows (distance 0), so
    the baseline cannot tell copying from realism and says so instead of scoring 0."""
    data = make_shop(200, seed=3)
    data["orders"] = data["orders"].assign(order_value=(data["orders"]["order_value"] > 50) * 1.0)
    split = split_by_root(data, metadata, 0.4, seed=0)
    res = score("dcr_baseline", metadata, split.train, split.holdout, make_shop(100, seed=4), {})
    assert res["by_table"]["orders"]["score"] is None
    assert "exact copies in train" in res["by_table"]["orders"]["reason"]
    assert res["by_table"]["customers"]["score"] is not None


def test_per_column_check_catches_a_planted_spike_and_passes_a_faithful_sample(parts, metadata):
    """The issue-10 spike: one discrete value (the maximum) takes 8% of the rows against almost
    none in the data learned from. A fresh sample of the same process passes every column."""
    train, holdout = parts
    faithful = make_shop(240, seed=12, products=train["products"])
    res = score("column_artifacts", metadata, train, holdout, faithful)
    assert res["failing"] == [] and res["score"] == 1.0
    assert res["columns_checked"] == 11  # value columns: 4 + 2 + 2 + 3 (keys left out)
    assert res["reference"] == "train"
    spiked = {k: v.copy() for k, v in faithful.items()}
    tx = spiked["transactions"]
    top = int(train["transactions"]["quantity"].max())
    tx.loc[tx.sample(frac=0.08, random_state=0).index, "quantity"] = top
    res = score("column_artifacts", metadata, train, holdout, spiked)
    assert res["failing"] == ["transactions.quantity"]
    worst = res["worst_excess"]
    assert (worst["table"], worst["column"], worst["value"]) == ("transactions", "quantity", top)
    assert worst["real_share"] < 0.01 and worst["synthetic_share"] > 0.08 and not worst["ok"]
    cols = METRICS.get("column_artifacts")().columns(res)
    assert cols["Spikes"] == 1 and cols["Worst shape"] < 1.0
    # the ceiling row checks train against the holdout: sampling noise alone passes
    ceiling = score("column_artifacts", metadata, train, holdout, train, ceiling=True)
    assert ceiling["reference"] == "holdout" and ceiling["failing"] == []


def test_resources_echo_caller_numbers(parts, metadata):
    train, holdout = parts
    res = score("resources", metadata, train, holdout, train)
    assert res["total_seconds"] == 2.5 and res["peak_memory_mb"] == 321.0


def test_unknown_metric_names_the_closest():
    with pytest.raises(InputError, match="did you mean 'quality'"):
        METRICS.get("qualty")


def test_sdmetrics_reports_raise_no_deprecation_warning(tmp_path, metadata):
    """sdmetrics 0.32 deprecates sdmetrics.reports.multi_table (a FutureWarning on first import);
    the unified sdmetrics.reports classes are used instead. Checked in a fresh interpreter, so
    that an earlier import in this process cannot hide the warning."""
    import json
    import subprocess
    import sys

    shop = make_shop(30, seed=1)
    for name, df in shop.items():
        df.to_pickle(tmp_path / f"{name}.pkl")
    (tmp_path / "md.json").write_text(json.dumps(metadata))
    code = f"""
import json, warnings
from pathlib import Path
import pandas as pd
warnings.simplefilter("error", FutureWarning)
warnings.simplefilter("error", DeprecationWarning)
from synthgen_sdv.evaluate.metrics.sdmetrics_reports import _run_report
root = Path({str(tmp_path)!r})
data = {{p.stem: pd.read_pickle(p) for p in root.glob("*.pkl")}}
md = json.loads((root / "md.json").read_text())
for kind in ("quality", "diagnostic"):
    _run_report(kind, data, data, md)
import sys
assert "sdmetrics.reports.multi_table.quality_report" not in sys.modules
"""
    proc = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True)
    assert proc.returncode == 0, proc.stderr[-2000:]
