"""Columns whose values are all distinct in the data stay distinct in the sample (issue 10,
item 3): a date dimension's day at scale 1 and 3 with real SDV, the facts that follow it within
the bare artifact rule, and the re-labelling itself (ranks kept, grids extended, idempotent)."""

from __future__ import annotations

import warnings

import numpy as np
import pandas as pd
import pytest

from synthgen_sdv.evaluate.metrics.artifacts import value_share_excess
from synthgen_sdv.synth import SYNTHESIZERS
from synthgen_sdv.synth.treatment import choose_treatments
from synthgen_sdv.synth.unique import UniqueValues


def _date_dimension(days: int = 400, window: int = 60, seed: int = 0):
    """dim (one row per day, its weekday and month) -> fact (rows on the days of a window
    only, about 12 per day, a day's rows carry its date, plus an amount)."""
    rng = np.random.default_rng(seed)
    day = pd.date_range("2012-01-01", periods=days, freq="D")
    dim = pd.DataFrame(
        {
            "date_key": np.arange(days),
            "day": day,
            "weekday": day.dayofweek,
            "month": day.month,
            "temperature": np.round(
                10 + 8 * np.sin(np.arange(days) / 58) + rng.normal(0, 2, days), 1
            ),
        }
    )
    start = min(150, days // 3)
    counts = np.zeros(days, dtype=int)
    counts[start : start + window] = rng.poisson(12, window) + 1
    owner = np.repeat(np.arange(days), counts)
    fact = pd.DataFrame(
        {
            "fact_id": np.arange(len(owner)),
            "date_key": owner,
            "day": day[owner],
            "amount": np.round(rng.lognormal(4, 0.5, len(owner)), 2),
        }
    )
    metadata = {
        "tables": {
            "dim": {
                "primary_key": "date_key",
                "columns": {
                    "date_key": {"sdtype": "id"},
                    "day": {"sdtype": "datetime", "datetime_format": "%Y-%m-%d"},
                    "weekday": {"sdtype": "numerical"},
                    "month": {"sdtype": "numerical"},
                    "temperature": {"sdtype": "numerical"},
                },
            },
            "fact": {
                "primary_key": "fact_id",
                "columns": {
                    "fact_id": {"sdtype": "id"},
                    "date_key": {"sdtype": "id"},
                    "day": {"sdtype": "datetime", "datetime_format": "%Y-%m-%d"},
                    "amount": {"sdtype": "numerical"},
                },
            },
        },
        "relationships": [
            {
                "parent_table_name": "dim",
                "child_table_name": "fact",
                "parent_primary_key": "date_key",
                "child_foreign_key": "date_key",
            }
        ],
    }
    return {"dim": dim, "fact": fact}, metadata


@pytest.fixture(scope="module")
def date_dimension():
    tables, metadata = _date_dimension()
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        model = SYNTHESIZERS.get("hma")(seed=3).fit(tables, metadata)
    return tables, model


@pytest.mark.parametrize("scale", [1.0, 3.0])
def test_a_dimension_s_unique_day_stays_unique(date_dimension, scale):
    tables, model = date_dimension
    out = model.sample(scale=scale)
    day = pd.to_datetime(out["dim"]["day"])
    real = tables["dim"]["day"]
    assert len(day) == round(len(real) * scale)
    assert day.notna().all() and day.is_unique
    assert day.min() == real.min()
    if scale == 1.0:  # the real days, each once
        assert set(day) == set(real)
    else:  # more rows than real days: the calendar continues, it does not repeat
        assert day.max() > real.max()
        assert (day.diff().dropna() == pd.Timedelta("1D")).sum() >= len(day) - 50 or (
            day.sort_values().diff().dropna() == pd.Timedelta("1D")
        ).all()


def test_facts_on_a_unique_day_keep_their_per_day_shares(date_dimension):
    tables, model = date_dimension
    out = model.sample(scale=1.0)
    fact_day = pd.to_datetime(out["fact"]["day"])
    # every sampled fact's day is its parent's day, and the bare rule holds per day
    dim = out["dim"].set_index("date_key")
    parent_day = pd.to_datetime(dim.loc[out["fact"]["date_key"], "day"]).to_numpy()
    assert (fact_day.to_numpy() == parent_day).mean() > 0.99
    worst = value_share_excess(tables["fact"]["day"], fact_day, noise_z=0)
    assert worst.ok, worst
    # the window's days, not days spread over the dimension
    assert fact_day.nunique() <= 1.2 * tables["fact"]["day"].nunique()


def test_unique_numbers_and_dates_are_chosen_and_near_unique_ones_too():
    tables, metadata = _date_dimension()
    serial = [*range(1000, 1098), 1000, 1001]  # a running number, 98% distinct
    names = [f"n{i}" for i in range(100)]
    tables["dim"] = tables["dim"].iloc[:100].assign(serial=serial, name=names)
    metadata["tables"]["dim"]["columns"]["serial"] = {"sdtype": "numerical"}
    metadata["tables"]["dim"]["columns"]["name"] = {"sdtype": "categorical"}
    treatments = choose_treatments(tables, metadata)
    chosen = {(t.table, t.column) for t in treatments if t.treatment == "unique"}
    assert ("dim", "day") in chosen and ("dim", "serial") in chosen
    assert ("dim", "name") not in chosen  # text is left to the model
    assert ("dim", "date_key") not in chosen  # keys are never re-labelled
    assert ("dim", "month") not in chosen and ("fact", "day") not in chosen
    # amounts in cents over a range of ~50,000 cents: draws are distinct already, and the
    # real values must not replace them
    assert ("fact", "amount") not in chosen and ("dim", "temperature") not in chosen
    shares = {
        (t.table, t.column) for t in choose_treatments(tables, metadata) if t.treatment == "shares"
    }
    assert ("dim", "day") not in shares


def test_relabel_keeps_ranks_and_extends_a_grid():
    rng = np.random.default_rng(0)
    real = pd.Series(np.arange(100, 300, 2))  # a running number, step 2
    u = UniqueValues.learn("t", "c", real, "number")
    assert u.unit == 2 and u.integer
    drawn = pd.Series(rng.normal(200, 40, 100).round())  # the model's draws: repeats
    out = u.relabel(drawn, rng)
    assert sorted(out) == sorted(real)
    assert np.corrcoef(out.rank(), drawn.rank())[0, 1] > 0.99
    big = pd.Series(rng.normal(200, 40, 350))
    out = u.relabel(big, rng)
    assert out.is_unique and len(out) == 350
    assert (out % 2 == 0).all() and out.min() == 100 and out.max() == 100 + 2 * 349
    assert np.corrcoef(out.rank(), big.rank())[0, 1] > 0.99
    assert u.relabel(out, rng).equals(out)  # idempotent: the sampler and marginals both apply it


def test_relabel_amounts_dates_and_categories():
    rng = np.random.default_rng(1)
    amounts = pd.Series(np.unique(np.round(rng.lognormal(3, 1, 200), 2)))
    u = UniqueValues.learn("t", "a", amounts, "number")
    assert u.unit == pytest.approx(0.01)
    out = u.relabel(pd.Series(rng.choice(amounts, 3 * len(amounts))), rng)
    assert out.is_unique and np.allclose(out, np.round(out, 2))
    assert out.min() >= amounts.min() and out.max() <= amounts.max() + 0.1  # fills in between

    stamps = pd.Series(
        pd.date_range("2020-01-01", periods=50, freq="h").strftime("%Y-%m-%d %H:%M:%S")
    )
    u = UniqueValues.learn("t", "d", stamps, "datetime", "%Y-%m-%d %H:%M:%S")
    drawn = pd.Series(rng.choice(stamps, 50), dtype=object)
    out = u.relabel(drawn.where(rng.random(50) > 0.1), rng)  # nulls keep their rows
    assert out.dropna().is_unique and set(out.dropna()) <= set(stamps)
    assert isinstance(out.dropna().iloc[0], str)


def test_a_copied_table_keeps_its_rows():
    # a table small enough to be copied (``copies``) keeps its real rows whole
    tables, metadata = _date_dimension(days=30, window=10)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        model = SYNTHESIZERS.get("hma")(seed=1).fit(tables, metadata)
    assert "dim" in set(getattr(model.model, "_copied", None) or ())
    out = model.sample(scale=1.0)
    cols = ["day", "weekday", "month", "temperature"]
    real_rows = set(map(tuple, tables["dim"][cols].astype(str).to_numpy()))
    sampled = out["dim"][cols].assign(day=pd.to_datetime(out["dim"]["day"]))
    assert set(map(tuple, sampled.astype(str).to_numpy())) <= real_rows
