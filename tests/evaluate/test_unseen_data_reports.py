"""The comparison report on shapes real databases have and the test shop does not (found on
WideWorldImporters, reports/unseen2.md): a column with no value at all."""

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
