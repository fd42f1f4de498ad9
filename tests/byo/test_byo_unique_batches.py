"""A unique column of your own data stays unique across the batches of a sample (issue 11
item 3): each batch takes its part of the whole sample's values (``synth.unique.Place``), so a
date dimension sampled in several batches repeats no day, its calendar continues past the real
one, and the files are the same run to run and for any number of workers."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from synthgen_sdv.runs.model_folder import load_fitted, run_sample
from synthgen_sdv.synth import batches
from synthgen_sdv.synth.batches import plan_batches
from synthgen_sdv.synth.unique import Place
from tests.fixtures.models import saved_model


def _calendar(days: int = 150, seed: int = 0) -> dict[str, pd.DataFrame]:
    """dim (one row per day: its date, weekday, a reading) -> fact (rows on some days)."""
    rng = np.random.default_rng(seed)
    day = pd.date_range("2015-03-01", periods=days, freq="D")
    dim = pd.DataFrame(
        {
            "date_key": np.arange(1, days + 1),
            "day": day.strftime("%Y-%m-%d"),
            "weekday": day.dayofweek,
            "reading": np.round(20 + 5 * np.sin(np.arange(days) / 20) + rng.normal(0, 1, days), 1),
        }
    )
    owner = np.repeat(dim["date_key"].to_numpy(), rng.poisson(2, days))
    fact = pd.DataFrame(
        {
            "fact_id": np.arange(1, len(owner) + 1),
            "date_key": owner,
            "amount": np.round(rng.lognormal(3, 0.4, len(owner)), 2),
        }
    )
    return {"dim": dim, "fact": fact}


@pytest.fixture(scope="module")
def calendar_model(tmp_path_factory):
    return saved_model(tmp_path_factory.mktemp("calendar_model") / "M", tables=_calendar())


def test_a_unique_date_repeats_no_day_across_batches(calendar_model, monkeypatch, tmp_path):
    fitted = load_fitted(calendar_model)
    unique = [(u.table, u.column) for u in getattr(fitted.synthesizer.model, "unique_columns", ())]
    assert ("dim", "day") in unique  # the rule the test is about is on
    monkeypatch.setattr(batches, "BATCH_ROWS", 2 * sum(fitted.rows.values()) + 10)
    plan = plan_batches(5.5, 4, fitted.rows)
    assert len(plan) == 3 and plan[-1].scale == 1.5  # two full batches of 2x and the rest
    outs = {}
    for name, workers in (("a", 1), ("b", 1), ("c", 2)):
        outs[name] = tmp_path / name
        run_sample(calendar_model, outs[name], ["parquet"], scale=5.5, seed=4, workers=workers)
    dim = pd.read_parquet(outs["a"] / "data" / "dim.parquet")
    days = pd.to_datetime(dim["day"])
    assert len(days) == round(150 * 5.5) and days.notna().all()
    assert days.is_unique  # no batch repeats another's days
    real = pd.date_range("2015-03-01", periods=150, freq="D")
    assert days.min() == real.min() and days.max() > real.max()  # the calendar continues
    # every batch spans the whole calendar, not a slice of it (its dependence is kept)
    first = days.iloc[: 2 * 150]
    assert first.max() - first.min() > pd.Timedelta(days=0.9 * 5.5 * 150)
    fact = pd.read_parquet(outs["a"] / "data" / "fact.parquet")
    assert fact["date_key"].isin(dim["date_key"]).all()
    for path in sorted((outs["a"] / "data").iterdir()):
        same = path.read_bytes()
        assert same == (outs["b"] / "data" / path.name).read_bytes(), path.name  # run to run
        assert same == (outs["c"] / "data" / path.name).read_bytes(), path.name  # 2 workers


@pytest.mark.parametrize(
    "scales", [(2.0, 2.0, 1.5), (4.0, 4.0, 4.0, 0.5), (1.0, 1.0), (3.0, 3.0, 0.25)]
)
@pytest.mark.parametrize("size", [1, 7, 13, 150])
def test_the_batches_places_partition_the_whole(scales, size):
    """Together the batches' rows take every place of the whole once, each batch in order."""
    places = [Place(i, scales, {"t": size}) for i in range(len(scales))]
    taken: list[int] = []
    totals = set()
    for place in places:
        rows = place.rows("t")
        assert rows is not None
        found = place.slots("t", rows[place.index])
        assert found is not None
        index, total = found
        assert np.all(np.diff(index) > 0)
        taken += index.tolist()
        totals.add(total)
    assert totals == {sum(round(size * s) for s in scales)}
    assert sorted(taken) == list(range(totals.pop()))
    assert Place(0, (3.0,), {"t": size}).slots("t", 3 * size) is None  # one batch: no place
