"""Calendar parts of a date (issue 10, realistic dimensions): a date dimension's year, month,
weekday, week and fiscal quarter are found by rule, computed from the sampled date, and agree
with it on every sampled row; columns no calendar rule gives are left to the model."""

from __future__ import annotations

import warnings

import numpy as np
import pandas as pd
import pytest

from synthgen_sdv.synth import SYNTHESIZERS
from synthgen_sdv.synth.calendar import PARTS, Calendar, part_values, table_parts


def _dimension(days: int = 500, seed: int = 0) -> pd.DataFrame:
    rng = np.random.default_rng(seed)
    day = pd.Series(pd.date_range("2011-11-20", periods=days, freq="D"))
    return pd.DataFrame(
        {
            "date_key": np.arange(days),
            "full_date": day,
            "cal_year": day.dt.year,
            "month_no": day.dt.month.astype(str),  # numbers written as text
            "MONTH_NAME": day.dt.month_name().str.upper(),
            "day_abbr": day.dt.day_name().str[:3],
            "dow": (day.dt.dayofweek + 1) % 7 + 1,  # Sunday = 1 (SQL Server, AdventureWorks)
            "iso_week": day.dt.isocalendar().week.astype("int64"),
            "fiscal_q": (day + pd.DateOffset(months=6)).dt.quarter,  # a year from July
            "period": day.dt.strftime("%Y-%m"),
            "noise": rng.integers(1, 13, days),  # a month-like range that is no month
            "region": rng.choice(["north", "south"], days),
        }
    )


def _meta(df: pd.DataFrame) -> dict:
    columns = {c: {"sdtype": "numerical"} for c in df.columns}
    columns["date_key"] = {"sdtype": "id"}
    columns["full_date"] = {"sdtype": "datetime", "datetime_format": "%Y-%m-%d"}
    for c in ("month_no", "MONTH_NAME", "day_abbr", "period", "region"):
        columns[c] = {"sdtype": "categorical"}
    return {"primary_key": "date_key", "columns": columns}


EXPECTED = {
    "cal_year": "year",
    "month_no": "month",
    "MONTH_NAME": "month_name:upper",
    "day_abbr": "day_abbr",
    "dow": "weekday_sun1",
    "iso_week": "iso_week",
    "fiscal_q": "quarter+6m",
    "period": "year_month",
}


def test_every_calendar_part_is_found_by_its_rule_and_nothing_else():
    df = _dimension()
    parts = table_parts("dim", df, _meta(df), {"date_key"})
    assert {p.column: p.part for p in parts} == EXPECTED
    assert {p.source for p in parts} == {"full_date"}


def test_restore_computes_each_part_from_new_dates_in_the_data_dtype():
    df = _dimension()
    calendar, tables, meta = Calendar.fit({"dim": df}, {"tables": {"dim": _meta(df)}})
    assert set(tables["dim"].columns) == set(df.columns) - set(EXPECTED)
    assert set(meta["tables"]["dim"]["columns"]) == set(tables["dim"].columns)
    new = pd.DataFrame(
        {"date_key": [0, 1, 2], "full_date": pd.to_datetime(["2030-07-01", "2031-01-31", None])}
    )
    out = calendar.restore({"dim": new})["dim"]
    assert out["cal_year"].tolist()[:2] == [2030, 2031] and pd.isna(out["cal_year"].iloc[2])
    assert out["month_no"].tolist() == ["7", "1", None]  # text stays text
    assert out["MONTH_NAME"].tolist()[:2] == ["JULY", "JANUARY"]
    assert out["fiscal_q"].tolist()[:2] == [1, 3]  # July opens the fiscal year
    assert out["dow"].tolist()[:2] == [2, 6]  # a Monday, a Friday (Sunday = 1)
    assert out["period"].tolist()[:2] == ["2030-07", "2031-01"]


def test_columns_that_only_look_like_parts_are_not_taken():
    df = _dimension()
    # a year wrong on one row, a month empty where the date is known, a constant, too few rows
    df["almost_year"] = df["cal_year"]
    df.loc[17, "almost_year"] += 1
    df["gappy_month"] = df["full_date"].dt.month.astype("Int64")
    df.loc[5, "gappy_month"] = pd.NA
    df["one_year"] = 2012
    meta = _meta(df)
    for c in ("almost_year", "gappy_month", "one_year"):
        meta["columns"][c] = {"sdtype": "numerical"}
    found = {p.column for p in table_parts("dim", df, meta, {"date_key"})}
    assert found == set(EXPECTED)
    assert table_parts("dim", df.head(10), meta, {"date_key"}) == []


def test_a_part_of_a_nullable_date_is_empty_exactly_where_the_date_is():
    df = _dimension()
    df.loc[::7, "full_date"] = pd.NaT
    df["cal_year"] = df["full_date"].dt.year.astype("Int64")
    parts = {p.column: p.part for p in table_parts("dim", df, _meta(df), {"date_key"})}
    assert parts["cal_year"] == "year"
    assert "month_no" not in parts  # it still has a month where the date is empty


def test_the_registry_names_every_part_it_tries():
    assert "quarter+6m" in PARTS and "year-3m" in PARTS and "week_sunday_first" in PARTS
    with pytest.raises(Exception, match="did you mean"):
        PARTS.get("quarter+6")


@pytest.mark.parametrize("calendar", [True, False])
def test_hma_samples_a_dimension_whose_parts_agree_with_its_date(calendar):
    """With the rule on, every sampled row's parts are its date's; off, the copula draws them
    apart (which is why the rule exists: the test would fail without it)."""
    dim = _dimension(days=400, seed=1).drop(columns=["noise"])
    rng = np.random.default_rng(2)
    owner = rng.integers(0, len(dim), 3000)
    fact = pd.DataFrame(
        {"sale_id": np.arange(3000), "date_key": owner, "amount": rng.gamma(2.0, 30.0, 3000)}
    )
    meta = {
        "tables": {
            "dim": {
                **_meta(dim),
                "columns": {c: m for c, m in _meta(dim)["columns"].items() if c in dim.columns},
            },
            "fact": {
                "primary_key": "sale_id",
                "columns": {
                    "sale_id": {"sdtype": "id"},
                    "date_key": {"sdtype": "id"},
                    "amount": {"sdtype": "numerical"},
                },
            },
        },
        "relationships": [
            {
                "parent_table_name": "dim",
                "parent_primary_key": "date_key",
                "child_table_name": "fact",
                "child_foreign_key": "date_key",
            }
        ],
    }
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        model = SYNTHESIZERS.get("hma")(seed=4, calendar=calendar)
        model.fit({"dim": dim, "fact": fact}, meta)
        out = model.sample(scale=1.0)["dim"]
    dates = pd.to_datetime(out["full_date"]).reset_index(drop=True)
    agree = {
        c: float(
            (part_values(p, dates).astype(str).to_numpy() == out[c].astype(str).to_numpy()).mean()
        )
        for c, p in EXPECTED.items()
    }
    if calendar:
        assert agree == dict.fromkeys(EXPECTED, 1.0)
        assert model.params()["calendar_columns"][0]["part_of"] == "full_date"
        assert out["month_no"].map(type).eq(str).all()
    else:
        assert min(agree.values()) < 0.5, agree


def test_a_categorical_column_gets_years_its_categories_lack():
    df = _dimension()
    df["cal_year"] = df["cal_year"].astype("category")
    calendar, _, _ = Calendar.fit({"dim": df}, {"tables": {"dim": _meta(df)}})
    new = pd.DataFrame({"date_key": [0], "full_date": pd.to_datetime(["2040-03-01"])})
    assert calendar.restore({"dim": new})["dim"]["cal_year"].tolist() == [2040]


def test_a_memo_shared_by_two_fits_finds_the_same_parts():
    """hma looks for calendar parts twice per fit; the second look reuses the first's on
    frames left unchanged, and finds what a fresh look finds."""
    days = pd.date_range("2020-01-01", periods=400, freq="D")
    df = pd.DataFrame({"id": range(400), "day": days, "month": days.month, "x": range(400)})
    meta = {
        "tables": {
            "t": {
                "primary_key": "id",
                "columns": {
                    "id": {"sdtype": "id"},
                    "day": {"sdtype": "datetime"},
                    "month": {"sdtype": "numerical"},
                    "x": {"sdtype": "numerical"},
                },
            }
        },
        "relationships": [],
    }
    fresh = Calendar.fit({"t": df}, meta)[0].parts
    memo: dict = {}
    first = Calendar.fit({"t": df}, meta, memo)[0].parts
    assert len(memo) == 1
    again = Calendar.fit({"t": df}, meta, memo)[0].parts
    assert len(memo) == 1  # the same frame: looked up, not searched again
    assert [(p.column, p.part) for p in fresh] == [(p.column, p.part) for p in first]
    assert [(p.column, p.part) for p in again] == [("month", fresh[0].part)]
    changed = Calendar.fit({"t": df.drop(columns=["month"])}, meta, memo)[0].parts
    assert changed == [] and len(memo) == 2
