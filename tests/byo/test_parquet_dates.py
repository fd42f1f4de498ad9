"""Dates from Parquet in microseconds, milliseconds or seconds (what pyarrow and pandas 2 write)
are given to SDV in nanoseconds: RDT reads a date column's integers as nanoseconds, so every
InvoiceDate of WideWorldImporters' Parquet export (May 2022, in microseconds) was sampled as
1970-01-20. A date beyond what nanoseconds hold (a 9999-12-31 'open end') stays text, as it
does when read from a CSV."""

from __future__ import annotations

import datetime
import warnings

import numpy as np
import pandas as pd
import pyarrow as pa
import pytest

import synthgen_sdv as sg
from synthgen_sdv.detect.types import type_column


@pytest.mark.parametrize("unit", ["s", "ms", "us", "ns"])
def test_a_date_column_of_any_unit_is_typed_in_nanoseconds(unit):
    stamps = [datetime.datetime(2022, 5, 2, 3, 4, 5), None, datetime.datetime(1999, 1, 1)]
    series = pd.Series(pa.array(stamps, pa.timestamp(unit)).to_pandas())
    kind, typed, fmt = type_column(series)
    assert kind == "datetime" and fmt == "%Y-%m-%d %H:%M:%S"
    assert typed.dtype == "datetime64[ns]"
    assert typed.tolist()[0] == pd.Timestamp("2022-05-02 03:04:05") and pd.isna(typed[1])


def test_a_date_past_2262_keeps_the_column_as_text():
    stamps = [datetime.datetime(2022, 5, 2), datetime.datetime(9999, 12, 31), None]
    kind, typed, _ = type_column(pd.Series(pa.array(stamps, pa.timestamp("us")).to_pandas()))
    assert kind == "string"
    assert typed.tolist() == ["2022-05-02", "9999-12-31", None]


def test_microsecond_dates_from_parquet_are_sampled_in_their_real_range(tmp_path):
    rng = np.random.default_rng(0)
    days = pd.date_range("2022-05-02", periods=26, freq="D")
    customers = pd.DataFrame({"CustomerID": range(1, 31), "Name": [f"c{i}" for i in range(30)]})
    invoices = pd.DataFrame(
        {
            "InvoiceID": range(1, 301),
            "CustomerID": rng.integers(1, 31, 300),
            "InvoiceDate": pd.Series(rng.choice(days, 300)).astype("datetime64[us]"),
            "Amount": rng.gamma(2, 10, 300).round(2),
        }
    )
    customers.to_parquet(tmp_path / "Customers.parquet")
    invoices.to_parquet(tmp_path / "Invoices.parquet")
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        model = sg.fit(tmp_path, synthesizer="hma", seed=0)
    dates = pd.to_datetime(model.sample(seed=1).tables["Invoices"]["InvoiceDate"])
    assert dates.min() >= days[0] and dates.max() <= days[-1]
    assert dates.nunique() > 10
