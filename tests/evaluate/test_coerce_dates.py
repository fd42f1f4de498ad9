"""A candidate's dates read from text are compared as dates, in their own format, quietly."""

from __future__ import annotations

import warnings

import pandas as pd

from synthgen_sdv.evaluate.relations import TableGraph, coerce_like


def _graph() -> TableGraph:
    meta = {
        "tables": {
            "times": {
                "primary_key": "time_id",
                "columns": {"time_id": {"sdtype": "id"}, "when": {"sdtype": "datetime"}},
            }
        },
        "relationships": [],
    }
    return TableGraph(meta)


def test_text_dates_without_a_format_are_read_as_dates_without_a_warning():
    reference = {
        "times": pd.DataFrame(
            {
                "time_id": pd.to_datetime(["2021-01-01", "2021-01-02"]),
                "when": pd.to_datetime(["2021-03-01", "2021-04-01"]),
            }
        )
    }
    for when in (["2021-03-01", "2021-04-01"], ["3/1/21", "not a date"]):
        data = {"times": pd.DataFrame({"time_id": ["2021-01-01", "2021-01-02"], "when": when})}
        with warnings.catch_warnings():
            warnings.simplefilter("error")  # pandas' "Could not infer format" is one
            out = coerce_like(data, reference, _graph())["times"]
        assert pd.api.types.is_datetime64_any_dtype(out["time_id"])
        assert out["time_id"].tolist() == reference["times"]["time_id"].tolist()
        assert out["when"].iloc[0].month == 3
