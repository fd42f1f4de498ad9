"""The comparison report on shapes real databases have and the test shop does not (found on
WideWorldImporters and homecredit, reports/unseen2.md): a column with no value at all, a
table whose first plotted column has none, a wide table."""

from __future__ import annotations

import numpy as np
import pandas as pd
from sdmetrics.single_table import DCRBaselineProtection

from synthgen_sdv.evaluate.metrics.privacy import _seeded, random_data
from synthgen_sdv.evaluate.report import compare


def _with_empty_columns(n: int, seed: int) -> pd.DataFrame:
    """Numbers, a date and a category with values, and one of each with none (dtypes as
    ``dcr_frame`` makes them)."""
    rng = np.random.default_rng(seed)
    return pd.DataFrame(
        {
            "num": rng.normal(size=n).round(2),
            "none_num": np.full(n, np.nan),
            "when": pd.Series(
                pd.to_datetime("2020-01-01") + pd.to_timedelta(rng.integers(0, 30, n), "D")
            ),
            "none_when": pd.Series(pd.NaT, index=range(n), dtype="datetime64[ns]"),
            "cat": pd.Series(rng.choice(["a", "b"], n), dtype=object),
            "none_cat": pd.Series(None, index=range(n), dtype=object),
            "last": rng.normal(size=n),
        }
    )


def test_random_rows_of_a_column_with_no_value_are_null_and_the_rest_sdmetrics_own():
    """SDMetrics' draw failed on an empty column ("high - low range exceeds valid bounds"):
    dcr_baseline failed for every entry. Its rows are SDMetrics' own: the empty columns null
    (their null share is 1), every other column drawn as SDMetrics draws it when the empty
    columns hold one value."""
    train = _with_empty_columns(80, 0)
    filled = train.assign(none_num=1.0, none_when=pd.Timestamp("2021-01-01"), none_cat="x").astype(
        {"none_when": "datetime64[ns]"}
    )
    with _seeded(3):
        got = random_data(train, 50)
    with _seeded(3):
        expected = DCRBaselineProtection._generate_random_data(filled, 50)
    assert got[["none_num", "none_when", "none_cat"]].isna().all().all()
    pd.testing.assert_frame_equal(
        got[["num", "when", "cat", "last"]], expected[["num", "when", "cat", "last"]]
    )


def _one_table(frame: pd.DataFrame) -> tuple[dict, dict]:
    sdtypes = {"num": "numerical", "none_num": "numerical", "when": "datetime"}
    sdtypes |= {"none_when": "datetime", "cat": "categorical", "none_cat": "categorical"}
    sdtypes |= {"last": "numerical"}
    data = {"t": frame.assign(id=range(len(frame)))}
    columns = {"id": {"sdtype": "id"}} | {c: {"sdtype": s} for c, s in sdtypes.items()}
    meta = {
        "METADATA_SPEC_VERSION": "V1",
        "tables": {"t": {"primary_key": "id", "columns": columns}},
        "relationships": [],
    }
    return data, meta


def test_dcr_baseline_scores_a_table_with_empty_columns(tmp_path):
    data, meta = _one_table(_with_empty_columns(200, 1))
    train = {"t": data["t"].iloc[:150].reset_index(drop=True)}
    holdout = {"t": data["t"].iloc[150:].reset_index(drop=True)}
    report = compare(
        train,
        holdout,
        {"copy": holdout},
        meta,
        tmp_path,
        metrics=["dcr_baseline"],
        make_plots=False,
        progress=lambda _m: None,
    )
    text = (tmp_path / "comparison.md").read_text()
    assert "failed" not in text and "OverflowError" not in text, text
    (copy,) = [c for c in report.data["candidates"] if c["name"] == "copy"]
    entry = copy["results"]["dcr_baseline"]
    assert entry["by_table"]["t"]["score"] is not None, entry


def _graph_of(frame: pd.DataFrame):
    from synthgen_sdv.evaluate.relations import TableGraph

    data, meta = _one_table(frame)
    return data, TableGraph(meta)


def test_distribution_plot_of_a_table_whose_first_column_has_no_value(tmp_path):
    """The first plotted column had no value: its panel drew nothing, the legend was taken from
    it, matplotlib got ncol=0 and the report stopped ("number sections must be larger than 0.",
    numpy's array_split). Empty columns are not plotted; a table of empty columns has no plot."""
    from synthgen_sdv.evaluate.plots import key_columns, plot_distributions

    frame = _with_empty_columns(60, 2)[["none_num", "num", "none_cat", "cat"]]
    data, graph = _graph_of(frame.assign(none_when=pd.NaT, when=pd.NaT, last=np.nan))
    assert key_columns(graph, "t", data["t"]) == ["num", "cat"]
    path = plot_distributions(data, {"copy": data}, graph, "t", tmp_path / "d.png")
    assert path is not None and path.stat().st_size > 0
    empty = data["t"].assign(num=np.nan, cat=None)
    assert plot_distributions({"t": empty}, {"copy": data}, graph, "t", tmp_path / "e.png") is None


def test_a_legend_comes_from_any_panel_that_drew_something(tmp_path):
    from synthgen_sdv.evaluate.plots import _legend_below, pyplot

    fig, axes = pyplot().subplots(1, 2, squeeze=False)
    axes[0][1].plot([0, 1], [0, 1], label="copy")
    _legend_below(fig, axes[0][0], -0.08)  # the first panel drew nothing
    assert [t.get_text() for t in fig.legends[0].get_texts()] == ["copy"]
    fig, axes = pyplot().subplots(1, 2, squeeze=False)
    _legend_below(fig, axes[0][0], -0.08)  # nothing anywhere: no legend, no error
    assert not fig.legends


def _wide(n_rows: int, seed: int) -> tuple[dict, dict]:
    """One table of 12 numbers and 3 categories (105 column pairs SDMetrics scores) and an id."""
    rng = np.random.default_rng(seed)
    base = rng.normal(size=n_rows)
    cols = {f"x{i}": base * (i % 3) + rng.normal(size=n_rows) for i in range(12)}
    cols |= {f"c{i}": rng.choice(list("abc"), n_rows) for i in range(3)}
    frame = pd.DataFrame({"id": range(n_rows), **cols})
    columns = {"id": {"sdtype": "id"}}
    columns |= {c: {"sdtype": "numerical" if c[0] == "x" else "categorical"} for c in cols}
    meta = {
        "METADATA_SPEC_VERSION": "V1",
        "tables": {"t": {"primary_key": "id", "columns": columns}},
        "relationships": [],
    }
    return {"t": frame}, meta


def test_a_wide_table_scores_a_seeded_sample_of_its_pairs_with_sdmetrics_own_metrics():
    from sdmetrics.reports import QualityReport

    from synthgen_sdv.evaluate.metrics.pairs import plan_pairs
    from synthgen_sdv.evaluate.metrics.sdmetrics_reports import _run_report

    real, meta = _wide(200, 0)
    synthetic, _ = _wide(200, 1)
    assert plan_pairs(meta, cap=105).chosen == {}  # at the bound: every pair, as before
    plan = plan_pairs(meta, cap=30, seed=4)
    assert plan.sampled == {"Column Pair Trends": [{"table": "t", "scored": 30, "of": 105}]}
    assert plan_pairs(meta, cap=30, seed=4).chosen == plan.chosen  # data plays no part
    full = QualityReport()
    full.generate(real, synthetic, meta, verbose=False)
    every = full.get_details("Column Pair Trends").set_index(["Column 1", "Column 2"])
    capped = _run_report("quality", real, synthetic, meta, plan).get_details("Column Pair Trends")
    pairs = list(zip(capped["Column 1"], capped["Column 2"], strict=True))
    assert pairs == next(iter(plan.chosen.values()))
    # SDMetrics' own score of each pair, and its order of the pairs
    np.testing.assert_array_equal(capped["Score"], every.loc[pairs, "Score"])
    assert capped["Score"].notna().sum() >= 5  # pairs under the thresholds are blank (NaN)
    assert pairs == [p for p in every.index if p in set(pairs)]
    # put back: the next report scores every pair
    again = QualityReport()
    again.generate(real, synthetic, meta, verbose=False)
    assert len(again.get_details("Column Pair Trends")) == 105


def test_the_report_says_the_pairs_were_sampled_and_scores_every_entry_on_them(tmp_path):
    data, meta = _wide(240, 2)
    train = {"t": data["t"].iloc[:180].reset_index(drop=True)}
    holdout = {"t": data["t"].iloc[180:].reset_index(drop=True)}
    other, _ = _wide(60, 3)
    report = compare(
        train,
        holdout,
        {"copy": holdout, "other": other},
        meta,
        tmp_path,
        metrics=["quality"],
        make_plots=False,
        max_column_pairs=30,
        progress=lambda _m: None,
    )
    pairs = {}
    for entry in report.data["candidates"]:
        prop = entry["results"]["quality"]["properties"]["Column Pair Trends"]
        assert prop["pairs_sampled"] == [{"table": "t", "scored": 30, "of": 105}]
        pairs[entry["name"]] = [(d["Column 1"], d["Column 2"]) for d in prop["details"]]
    assert len(pairs) == 3 and len(set(map(tuple, pairs.values()))) == 1
    assert "t: 30 of 105 pairs" in (tmp_path / "comparison.md").read_text()
