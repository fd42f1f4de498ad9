"""A date dimension keeps its dates: the key (a date, or a smart yyyymmdd integer), the date
columns equal to it and its calendar parts agree on every sampled row, at any scale."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from synthgen_sdv.detect.modeling import is_smart_date_key, yyyymmdd_dates
from synthgen_sdv.engines.validation import validate
from synthgen_sdv.runs.fit_sample import run_fit_sample
from synthgen_sdv.runs.from_user import UserSource


def _smart(days: pd.DatetimeIndex) -> np.ndarray:
    return (days.year * 10000 + days.month * 100 + days.day).to_numpy()


def _warehouse(folder, rng):
    folder.mkdir()
    days = pd.date_range("2019-11-20", periods=90)
    dim = pd.DataFrame(
        {
            "DateKey": _smart(days),
            "FullDate": days.strftime("%Y-%m-%d"),
            "DayName": days.day_name(),
            "MonthNumber": days.month,
            "CalendarYear": days.year,
        }
    )
    fact = pd.DataFrame(
        {
            "SaleID": np.arange(1, 601),
            "OrderDateKey": rng.choice(_smart(days), 600),
            "Amount": rng.gamma(2.0, 30.0, 600).round(2),
        }
    )
    dim.to_csv(folder / "DimDate.csv", index=False)
    fact.to_csv(folder / "FactSales.csv", index=False)
    return folder, days


def test_smart_date_keys_are_told_from_plain_ids():
    days = pd.date_range("2005-01-01", periods=40)
    assert is_smart_date_key(pd.Series(_smart(days)))
    # a plain id counted from 20050101 reaches a day 32: not a date key
    assert not is_smart_date_key(pd.Series(np.arange(20050101, 20050141)))
    # dates of one month only prove nothing (a run 20050101..20050125 is one too)
    assert not is_smart_date_key(pd.Series(_smart(days[:25])))
    assert not is_smart_date_key(pd.Series(_smart(days[:10]) * 10))  # nine digits
    assert not is_smart_date_key(pd.Series(np.arange(1, 41)))
    # one value no date spells, below or above the years or not a number, spoils the key
    for stray in (5, 22010101, "x"):
        mixed = pd.Series([*_smart(days), stray], dtype=object)
        assert not is_smart_date_key(mixed), stray
    assert is_smart_date_key(pd.Series([*_smart(days), None], dtype=object))  # nulls aside
    spelled = yyyymmdd_dates(pd.Series([20240229, 20230229, 19991231, 5]))
    assert spelled.isna().tolist() == [False, True, False, True]


@pytest.mark.parametrize("scale", [1.0, 2.5])
def test_a_smart_date_key_comes_back_as_dates_its_columns_agree_with(tmp_path, scale):
    data, days = _warehouse(tmp_path / "data", np.random.default_rng(0))
    out = tmp_path / "out"
    outcome = run_fit_sample(UserSource(data, seed=3), out, ["parquet"], "hma", scale=scale)
    assert validate(out).ok
    dim, fact = outcome.sampled.tables["DimDate"], outcome.sampled.tables["FactSales"]
    assert pd.api.types.is_integer_dtype(dim["DateKey"]) and dim["DateKey"].is_unique
    assert list(dim.columns) == ["DateKey", "FullDate", "DayName", "MonthNumber", "CalendarYear"]
    dates = yyyymmdd_dates(dim["DateKey"])
    assert dates.notna().all()
    assert (dates == pd.to_datetime(dim["FullDate"])).all()
    assert (dates.dt.day_name() == dim["DayName"]).all()
    assert (dates.dt.month == dim["MonthNumber"]).all()
    assert (dates.dt.year == dim["CalendarYear"]).all()
    assert fact["OrderDateKey"].isin(set(dim["DateKey"])).all()
    # the real days first; past them, day after day
    assert dates.min() == days[0]
    if scale > 1:
        assert dates.max() == days[0] + pd.Timedelta(days=len(dim) - 1)
    else:
        assert set(dates) == set(days)


def test_a_date_key_with_no_date_column_beside_it_still_gives_its_calendar(tmp_path):
    rng = np.random.default_rng(5)
    folder = tmp_path / "data"
    folder.mkdir()
    days = pd.date_range("2021-01-01", periods=60)
    pd.DataFrame(
        {"time_id": days.strftime("%Y-%m-%d"), "day_name": days.day_name(), "month": days.month}
    ).to_csv(folder / "times.csv", index=False)
    pd.DataFrame(
        {"time_id": rng.choice(days.strftime("%Y-%m-%d"), 300), "cost": rng.gamma(2, 5, 300)}
    ).to_csv(folder / "costs.csv", index=False)
    out = tmp_path / "out"
    outcome = run_fit_sample(UserSource(folder, seed=1), out, ["parquet"], "hma", scale=2.0)
    assert validate(out).ok
    times = outcome.sampled.tables["times"]
    assert list(times.columns) == ["time_id", "day_name", "month"]  # nothing added stays
    keys = pd.to_datetime(times["time_id"])
    assert keys.is_unique and (keys.dt.day_name() == times["day_name"]).all()
    assert (keys.dt.month == times["month"]).all()
    assert outcome.sampled.tables["costs"]["time_id"].isin(set(times["time_id"])).all()


def test_a_smart_date_key_sampled_in_batches_repeats_no_day(tmp_path, monkeypatch):
    """In batches (from a model folder, 1 and 2 workers): every batch's keys are days of the
    whole sample's calendar, none repeated, each agreeing with its row's date columns."""
    from synthgen_sdv.runs.model_folder import load_fitted, run_sample
    from synthgen_sdv.synth import batches
    from tests.fixtures.models import saved_model

    rng = np.random.default_rng(2)
    days = pd.date_range("2015-03-01", periods=120)
    dim = pd.DataFrame({"DateKey": _smart(days), "Day": days.strftime("%Y-%m-%d")})
    dim["Weekday"] = days.day_name()
    owner = np.repeat(dim["DateKey"].to_numpy(), rng.poisson(2, len(days)))
    fact = pd.DataFrame(
        {
            "FactID": np.arange(1, len(owner) + 1),
            "DateKey": owner,
            "Amount": rng.gamma(2, 9, len(owner)),
        }
    )
    model = saved_model(tmp_path / "M", tables={"DimDate": dim, "FactSales": fact})
    fitted = load_fitted(model)
    monkeypatch.setattr(batches, "BATCH_ROWS", 2 * sum(fitted.rows.values()) + 10)
    assert len(batches.plan_batches(4.5, 4, fitted.rows)) == 3  # 2x, 2x and 0.5x
    outs = {w: tmp_path / f"out{w}" for w in (1, 2)}
    for workers, out in outs.items():
        run_sample(model, out, ["parquet"], scale=4.5, seed=1, workers=workers)
    sampled = pd.read_parquet(outs[1] / "data" / "DimDate.parquet")
    dates = yyyymmdd_dates(sampled["DateKey"])
    assert len(sampled) == 540 and dates.notna().all() and dates.is_unique
    assert (dates == pd.to_datetime(sampled["Day"])).all()
    assert (dates.dt.day_name() == sampled["Weekday"]).all()
    facts = pd.read_parquet(outs[1] / "data" / "FactSales.parquet")
    assert facts["DateKey"].isin(set(sampled["DateKey"])).all()
    for path in sorted((outs[1] / "data").iterdir()):
        assert path.read_bytes() == (outs[2] / "data" / path.name).read_bytes(), path.name


def test_a_child_keyed_by_its_date_dimensions_key_is_coded_once(tmp_path):
    """A daily rate keyed by the date key of its date dimension (a one-to-one child whose
    key is its reference, AdventureWorksDW's FactCurrencyRate in a sample): its key is the
    parent's, coded once with it, and resolves to a sampled day."""
    rng = np.random.default_rng(6)
    folder = tmp_path / "data"
    folder.mkdir()
    days = pd.date_range("2020-01-15", periods=80)
    pd.DataFrame({"DateKey": _smart(days), "DayName": days.day_name()}).to_csv(
        folder / "DimDate.csv", index=False
    )
    rated = np.sort(rng.choice(_smart(days), 50, replace=False))
    pd.DataFrame({"DateKey": rated, "Rate": rng.normal(1.1, 0.05, 50).round(4)}).to_csv(
        folder / "FactRate.csv", index=False
    )
    out = tmp_path / "out"
    outcome = run_fit_sample(UserSource(folder, seed=0), out, ["parquet"], "hma")
    assert validate(out).ok
    dim, rate = outcome.sampled.tables["DimDate"], outcome.sampled.tables["FactRate"]
    assert yyyymmdd_dates(dim["DateKey"]).notna().all()
    assert rate["DateKey"].is_unique and rate["DateKey"].isin(set(dim["DateKey"])).all()
