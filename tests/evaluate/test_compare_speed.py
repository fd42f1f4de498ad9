"""The faster comparison says what the slower one said.

The report's content is pinned by ``data/compare_scores_before.json``: every number, note and
plot name of a comparison on the test shop, written by the code before the comparison's jobs
ran in workers, shared their real-data work and coded categories for SDMetrics' DCR (commit
3fafdec). One worker and two give that report. The pieces that make it cheaper are each held
equal to SDMetrics' own call: the shared random baseline of DCRBaselineProtection, categories
as codes for DCRBaselineProtection and DCROverfittingProtection.
"""

from __future__ import annotations

import json
import math
import os
from pathlib import Path

import numpy as np
import pandas as pd
import psutil
import pytest
from evaluate_shop import make_shop, shop_metadata, shuffle_columns
from sdmetrics.single_table import DCRBaselineProtection, DCROverfittingProtection
from sdmetrics.single_table.privacy import dcr_overfitting_protection, dcr_utils

from synthgen_sdv.evaluate.metrics.privacy import _Codes, _seeded, baseline_breakdown
from synthgen_sdv.evaluate.parallel import Job, auto_workers, run_jobs
from synthgen_sdv.evaluate.report import WrittenOutput, compare
from synthgen_sdv.evaluate.split import split_by_root

BEFORE = Path(__file__).parent / "data" / "compare_scores_before.json"


def scores_of(value):
    """The report without what a run measures about itself (seconds, the creation time)."""
    if isinstance(value, dict):
        return {
            k: scores_of(v) for k, v in value.items() if "seconds" not in k and k != "created_utc"
        }
    if isinstance(value, list):
        return [scores_of(v) for v in value]
    return value


def assert_same(a, b, where="report"):
    """Equal structure, equal text, numbers equal to 1e-9 (another BLAS may differ in the last
    bits; this machine gives them bit for bit)."""
    if isinstance(a, dict):
        assert isinstance(b, dict) and list(a) == list(b), where
        for k in a:
            assert_same(a[k], b[k], f"{where}.{k}")
    elif isinstance(a, list):
        assert isinstance(b, list) and len(a) == len(b), where
        for i, (x, y) in enumerate(zip(a, b, strict=True)):
            assert_same(x, y, f"{where}[{i}]")
    elif isinstance(a, float) and isinstance(b, float):
        assert math.isclose(a, b, rel_tol=1e-9, abs_tol=1e-12), f"{where}: {a} != {b}"
    else:
        assert a == b, f"{where}: {a!r} != {b!r}"


def shop_report(out: Path, workers: int) -> dict:
    """The comparison that wrote data/compare_scores_before.json, with ``workers``."""
    md = shop_metadata()
    full = make_shop(300, seed=21)
    split = split_by_root(full, md, 0.3, seed=4)
    candidates = {
        "independent": make_shop(250, seed=8),
        "shuffled": shuffle_columns(split.train),
        "copy": split.train,
    }
    written = make_shop(400, seed=9, products=full["products"])
    report = compare(
        split.train,
        split.holdout,
        candidates,
        md,
        out,
        seed=3,
        split_info=split.info,
        reference_label="the test shop",
        written=WrittenOutput(written, full, {"fit_seconds": 1.0}),
        progress=lambda _m: None,
        workers=workers,
    )
    data = scores_of(report.data)
    keys = ("candidates", "written", "notes", "columns", "headline", "plots")
    return json.loads(json.dumps({k: data[k] for k in keys}, sort_keys=True))


@pytest.mark.slow
def test_report_is_the_one_before_for_one_worker_and_two(tmp_path):
    before = json.loads(BEFORE.read_text())
    children = {p.pid for p in psutil.Process().children()}  # another test's, in this worker
    one = shop_report(tmp_path / "one", workers=1)
    two = shop_report(tmp_path / "two", workers=2)
    assert one == two  # bit for bit, whatever the worker count
    assert_same(before, one)
    for name in before["plots"].values():
        assert (tmp_path / "two" / name).stat().st_size > 0
    # no worker outlives the comparison
    assert {p.pid for p in psutil.Process().children()} <= children


def _frames(n: int, seed: int) -> tuple[pd.DataFrame, dict]:
    """A table of every sdtype DCR reads, nulls in each, in the dtypes ``dcr_frame`` makes."""
    rng = np.random.default_rng(seed)
    cat = pd.Series(rng.choice(["a", "b", "c", "d"], n), dtype=object)
    cat[rng.random(n) < 0.1] = None
    flag = pd.Series(rng.random(n) < 0.5, dtype=object)
    flag[rng.random(n) < 0.1] = None
    num = pd.Series(rng.normal(size=n).round(1))
    num[rng.random(n) < 0.1] = np.nan
    when = pd.Series(pd.to_datetime("2020-01-01") + pd.to_timedelta(rng.integers(0, 30, n), "D"))
    when[rng.random(n) < 0.1] = pd.NaT
    frame = pd.DataFrame({"num": num, "cat": cat, "flag": flag, "when": when})
    meta = {
        "columns": {
            "num": {"sdtype": "numerical"},
            "cat": {"sdtype": "categorical"},
            "flag": {"sdtype": "boolean"},
            "when": {"sdtype": "datetime"},
        }
    }
    return frame, meta


def test_coded_categories_give_sdmetrics_the_same_distances():
    reference, meta = _frames(300, 0)
    query, _ = _frames(120, 1)
    query.loc[query.index[:5], "cat"] = "never seen"  # a value no reference row holds
    codes = _Codes([reference], meta)
    raw = dcr_utils.calculate_dcr(dataset=query, reference_dataset=reference, metadata=meta)
    coded = dcr_utils.calculate_dcr(
        dataset=codes(query), reference_dataset=codes(reference), metadata=meta
    )
    pd.testing.assert_series_equal(raw, coded)


def test_dcr_metrics_on_codes_equal_sdmetrics_compute_breakdown():
    train, meta = _frames(400, 2)
    holdout, _ = _frames(150, 3)
    query, _ = _frames(200, 4)
    table = {"tables": {"t": meta}}
    codes = _Codes([train, holdout], meta)
    with _seeded(7):
        expected = DCRBaselineProtection.compute_breakdown(
            real_data=train, synthetic_data=query, metadata=table, table_name="t"
        )
    frames = {"train_raw": train, "train": codes(train), "codes": codes, "metadata": table}
    got = baseline_breakdown(frames, "t", codes(query), seed=7)
    assert got == expected
    again = baseline_breakdown(frames, "t", codes(query.iloc[::-1]), seed=7)
    assert (
        again["median_DCR_to_real_data"]["random_data_baseline"]
        == (expected["median_DCR_to_real_data"]["random_data_baseline"])
    )  # the random side is made once and shared
    assert [k for k in frames if k.startswith("random_median")] == ["random_median:200"]

    kwargs = {"metadata": table, "table_name": "t"}
    raw = DCROverfittingProtection.compute_breakdown(
        real_training_data=train.iloc[:150],
        synthetic_data=query,
        real_validation_data=holdout,
        **kwargs,
    )
    coded = DCROverfittingProtection.compute_breakdown(
        real_training_data=codes(train.iloc[:150]),
        synthetic_data=codes(query),
        real_validation_data=codes(holdout),
        **kwargs,
    )
    assert coded == raw


def test_distance_work_is_shared_between_entries(tmp_path, monkeypatch):
    """Per held-out table: the holdout's distances once, the random rows' once per query size;
    per candidate one distance for the baseline and two for the overfitting score (before:
    two for the baseline, the random rows' again each time)."""
    calls: list[int] = []
    real = dcr_utils.calculate_dcr

    def counted(*args, **kwargs):
        calls.append(1)
        return real(*args, **kwargs)

    monkeypatch.setattr(dcr_utils, "calculate_dcr", counted)
    monkeypatch.setattr(dcr_overfitting_protection, "calculate_dcr", counted)
    md = shop_metadata()
    full = make_shop(120, seed=5)
    split = split_by_root(full, md, 0.3, seed=1)
    candidates = {"a": make_shop(90, seed=6), "b": make_shop(90, seed=7)}
    report = compare(
        split.train,
        split.holdout,
        candidates,
        md,
        tmp_path,
        metrics=["dcr_baseline", "dcr_overfitting"],
        make_plots=False,
        progress=lambda _m: None,
        workers=1,
    )
    tables = [
        t
        for t, e in report.result("a", "dcr_baseline")["by_table"].items()
        if e.get("score") is not None or "median_dcr" in e
    ]
    assert tables
    query = 500  # EvalOptions.dcr_query_rows
    expected = 0
    for t in tables:
        sizes = {min(query, len(split.holdout[t]))} | {
            min(query, len(c[t])) for c in candidates.values()
        }
        expected += 1 + len(sizes) + 3 * len(candidates)
    assert len(calls) == expected


def test_jobs_come_back_in_order_with_a_line_each_and_errors_stop_the_workers(monkeypatch):
    lines: list[str] = []
    children = {p.pid for p in psutil.Process().children()}  # another test's, in this worker
    jobs = [Job(f"job {i}", lambda i=i: (i, os.getpid()), cost=i) for i in range(5)]
    results = run_jobs(jobs, workers=2, say=lines.append)
    assert [r[0] for r in results] == list(range(5))
    assert len({pid for _, pid in results} - {os.getpid()}) >= 1  # ran in workers
    assert len(lines) == 5 and all(line.startswith("job ") for line in lines)
    assert [r[0] for r in run_jobs(jobs, workers=1)] == list(range(5))
    quiet = [Job("a plot", lambda: 1, loud=False), Job("scores", lambda: 2)]
    lines.clear()
    assert run_jobs(quiet, workers=1, say=lines.append) == [1, 2]
    assert len(lines) == 1 and lines[0].startswith("scores: ")

    def broken():
        raise ValueError("job 2 is broken")

    with pytest.raises(ValueError, match="job 2 is broken"):
        run_jobs([*jobs[:2], Job("bad", broken), *jobs[2:]], workers=2)
    assert {p.pid for p in psutil.Process().children()} <= children

    monkeypatch.setenv("SYNTHGEN_COMPARE_WORKERS", "1")
    assert auto_workers(10) == 1
    monkeypatch.delenv("SYNTHGEN_COMPARE_WORKERS")
    assert 1 <= auto_workers(10) <= 4 and auto_workers(1) == 1
