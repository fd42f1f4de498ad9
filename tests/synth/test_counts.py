"""Children per parent conditioned on the parent's own values (``synth.counts``): the model is
found where the parent explains its counts (and only there), and hma's sampled children stay
where the data put them: a date dimension referenced only in a window, stores that sell
nothing, with real SDV end to end."""

from __future__ import annotations

import warnings

import numpy as np
import pandas as pd
import pytest

from synthgen_sdv.synth import SYNTHESIZERS
from synthgen_sdv.synth.counts import (
    CountModel,
    fit_count_model,
    rank_calibrated,
    scaled_counts,
    to_total,
    with_zero_share,
)

START, WINDOW = pd.Timestamp("2012-03-01"), (pd.Timestamp("2012-06-01"), pd.Timestamp("2012-06-30"))
STATUS = ["open", "closed"]


def _warehouse(days: int = 800, facts: int = 900, stores: int = 80, seed: int = 0):
    """dim_date (one row per day) and dim_store (open or closed) -> fact rows that reference
    only the days of June 2012 and only open stores."""
    rng = np.random.default_rng(seed)
    dates = pd.date_range(START, periods=days, freq="D")
    dim_date = pd.DataFrame(
        {
            "date_key": np.arange(days) + 1000,
            "full_date": dates,
            "month": dates.month,
            "weekday": dates.dayofweek,
        }
    )
    status = np.where(np.arange(stores) % 3 == 0, "closed", "open")
    dim_store = pd.DataFrame(
        {
            "store_key": np.arange(stores) + 1,
            "status": status,
            "size": rng.gamma(3.0, 100.0, stores).round(0),
        }
    )
    in_window = dim_date.loc[dim_date["full_date"].between(*WINDOW), "date_key"].to_numpy()
    open_stores = dim_store.loc[dim_store["status"] == "open", "store_key"].to_numpy()
    fact = pd.DataFrame(
        {
            "fact_key": np.arange(facts),
            "date_key": rng.choice(in_window, facts),
            "store_key": rng.choice(open_stores, facts),
            "amount": rng.gamma(2.0, 50.0, facts).round(2),
        }
    )
    # the fact's own date is its day's date (anchored to dim_date by hma)
    fact["sold_at"] = fact["date_key"].map(
        dict(zip(dim_date.date_key, dim_date.full_date, strict=True))
    )
    metadata = {
        "tables": {
            "dim_date": {
                "primary_key": "date_key",
                "columns": {
                    "date_key": {"sdtype": "id"},
                    "full_date": {"sdtype": "datetime", "datetime_format": "%Y-%m-%d"},
                    "month": {"sdtype": "numerical"},
                    "weekday": {"sdtype": "numerical"},
                },
            },
            "dim_store": {
                "primary_key": "store_key",
                "columns": {
                    "store_key": {"sdtype": "id"},
                    "status": {"sdtype": "categorical"},
                    "size": {"sdtype": "numerical"},
                },
            },
            "fact": {
                "primary_key": "fact_key",
                "columns": {
                    "fact_key": {"sdtype": "id"},
                    "date_key": {"sdtype": "id"},
                    "store_key": {"sdtype": "id"},
                    "amount": {"sdtype": "numerical"},
                    "sold_at": {"sdtype": "datetime", "datetime_format": "%Y-%m-%d"},
                },
            },
        },
        "relationships": [
            {
                "parent_table_name": p,
                "parent_primary_key": k,
                "child_table_name": "fact",
                "child_foreign_key": k,
            }
            for p, k in (("dim_date", "date_key"), ("dim_store", "store_key"))
        ],
    }
    return {"dim_date": dim_date, "dim_store": dim_store, "fact": fact}, metadata


def _date_model(tables) -> CountModel | None:
    columns = {"full_date": {"sdtype": "datetime"}, "month": {"sdtype": "numerical"}}
    return fit_count_model(
        "dim_date",
        tables["dim_date"],
        "date_key",
        columns,
        {"date_key"},
        "fact",
        "date_key",
        tables["fact"]["date_key"],
    )


def test_a_window_of_a_date_dimension_is_found_and_kept_when_calibrating():
    tables, _ = _warehouse()
    model = _date_model(tables)
    assert model is not None and model.features[0].column == "full_date"
    assert model.per_value  # one row per day: duplicated synthetic days share a count
    # new parents: every day once, in another order, with copula draws that ignore the date
    parents = tables["dim_date"].sample(frac=1.0, random_state=1).reset_index(drop=True)
    draws = np.random.default_rng(2).normal(size=len(parents))
    counts = model.calibrate(parents, draws)
    inside = parents["full_date"].between(*WINDOW).to_numpy()
    assert counts[~inside].sum() == 0
    assert (counts[inside] > 0).mean() > 0.8
    # the global calibration (the previous default) puts most children outside the window
    spread = rank_calibrated(pd.Series(draws), np.sort(model.counts))
    assert spread[~inside].sum() > 0.5 * spread.sum()


def test_parents_sharing_a_unique_value_split_one_count():
    tables, _ = _warehouse()
    model = _date_model(tables)
    day = tables["dim_date"][tables["dim_date"]["full_date"] == pd.Timestamp("2012-06-10")]
    # the same day drawn three times (one with a time of day, as a copula draws dates)
    parents = pd.concat([day, day, day], ignore_index=True)
    parents.loc[2, "full_date"] += pd.Timedelta(hours=3)
    counts = model.calibrate(parents, np.array([5.0, 1.0, 3.0]))
    real = np.diff(model.starts).max()
    assert counts.sum() <= model.counts.max() and counts.max() - counts.min() <= 1
    assert real > 0


def test_no_model_where_the_parent_does_not_explain_its_counts():
    rng = np.random.default_rng(0)
    parent = pd.DataFrame(
        {"id": np.arange(500), "x": rng.normal(size=500), "c": rng.choice(list("abcd"), 500)}
    )
    child = pd.Series(rng.integers(0, 500, 3000))  # children at random, whatever x and c are
    columns = {"x": {"sdtype": "numerical"}, "c": {"sdtype": "categorical"}}
    assert fit_count_model("p", parent, "id", columns, {"id"}, "ch", "id", child) is None
    # ... and a model, on the category, where the category does
    child = pd.Series(rng.choice(parent["id"][parent["c"] == "b"].to_numpy(), 3000))
    model = fit_count_model("p", parent, "id", columns, {"id"}, "ch", "id", child)
    assert model is not None and model.features[0].column == "c"
    # a category the model never saw is pooled, not an error
    unseen = pd.DataFrame({"x": [0.0, 1.0], "c": ["b", "zz"]})
    assert model.calibrate(unseen, np.array([1.0, 2.0])).shape == (2,)


def test_counts_are_scaled_to_the_total_without_giving_childless_parents_any():
    counts = np.array([0.0, 10.0, 0.0, 30.0, 20.0, 0.0])
    out = scaled_counts(counts, 121)
    assert out.sum() == 121 and (out[counts == 0] == 0).all()
    assert list(np.argsort(out[counts > 0])) == list(np.argsort(counts[counts > 0]))
    # stock's adjustment: +1 on the smallest within the max, -1 on the largest
    assert to_total(np.array([0, 1, 5]), 9, 0, 5).sum() == 9
    assert to_total(np.array([0, 1, 5]), 3, 0, 5).tolist() == [0, 0, 3]


def test_the_zero_share_is_topped_up_never_lowered():
    counts = np.array([0.0, 3.0, 1.0, 5.0, 1.0, 0.0, 2.0, 4.0, 6.0, 2.0])
    draws = np.array([0.0, 0.5, 0.9, 0.1, 0.2, 0.0, 0.3, 0.4, 0.6, 0.1])
    # 40% of the real parents have no child: the two lowest counts (lower draw first) join
    out = with_zero_share(counts, draws, 0.4)
    assert (out == 0).sum() == 4 and out[4] == 0 and out[2] == 0
    assert (out[counts == 0] == 0).all() and (out[out > 0] == counts[out > 0]).all()
    # more childless parents than in the data: left as they are (they sit in empty bins)
    assert (with_zero_share(counts, draws, 0.1) == counts).all()


def _fit_sample(tables, metadata, seed: int = 0, **params):
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        model = SYNTHESIZERS.get("hma")(seed=seed, **params).fit(tables, metadata)
        return model, model.sample(1.0)


def _share_inside(out) -> tuple[float, float]:
    days = out["fact"]["sold_at"].pipe(pd.to_datetime)
    by_store = out["dim_store"].set_index("store_key")["status"]
    closed = out["fact"]["store_key"].map(by_store).eq("closed").mean()
    return float(days.between(*WINDOW).mean()), float(closed)


def test_hma_keeps_children_in_the_window_and_off_closed_stores():
    tables, metadata = _warehouse()
    model, out = _fit_sample(tables, metadata)
    bins = {(b["table"], b["foreign_key"]): b for b in model.params()["count_bins"]}
    assert bins["fact", "date_key"]["binned_on"] == "full_date"
    assert bins["fact", "store_key"]["binned_on"] == "status"
    inside, closed = _share_inside(out)
    assert inside > 0.95  # the other key (assigned, not sampled under) respects it too
    assert closed < 0.05
    # keys resolve, and the table keeps its size
    assert out["fact"]["date_key"].isin(out["dim_date"]["date_key"]).all()
    assert len(out["fact"]) == len(tables["fact"])
    # what it replaces: one global calibration spreads the facts over the whole dimension
    # (their date_key's days: sold_at, anchored to it, is kept in its own real range since
    # efbbf66, so it no longer shows the spread)
    _, before = _fit_sample(tables, metadata, count_model=False)
    assert _key_days_inside(before) < 0.5
    assert _key_days_inside(out) > 0.95


def _key_days_inside(out) -> float:
    days = out["fact"]["date_key"].map(out["dim_date"].set_index("date_key")["full_date"])
    return float(pd.to_datetime(days).between(*WINDOW).mean())


def test_the_count_model_is_deterministic_per_seed():
    tables, metadata = _warehouse(days=200, facts=400, stores=60)
    _, a = _fit_sample(tables, metadata, seed=3)
    _, b = _fit_sample(tables, metadata, seed=3)
    for table in a:
        pd.testing.assert_frame_equal(a[table], b[table])


def test_count_model_takes_true_or_false_only():
    assert SYNTHESIZERS.get("hma")(count_model=False).params()["params"]["count_model"] is False
    with pytest.raises(ValueError, match="count_model must be true or false"):
        SYNTHESIZERS.get("hma")(count_model="maybe")


def test_a_one_to_one_child_keyed_by_its_parent_keeps_unique_keys(tmp_path):
    """A child whose key is its parent's (a daily rate per date of a date dimension, in a
    window): the count model never gives such a parent two children (AdventureWorksDW's
    FactCurrencyRate.DateKey repeated 30 keys before the cap)."""
    import json

    from synthgen_sdv.runs.fit_sample import run_fit_sample
    from synthgen_sdv.runs.from_user import UserSource

    tables, _ = _warehouse(days=400)
    dim_date = tables["dim_date"]
    days = dim_date.loc[dim_date["full_date"] >= pd.Timestamp("2012-09-01"), "date_key"]
    rng = np.random.default_rng(3)
    rate = pd.DataFrame({"date_key": days.to_numpy(), "rate": rng.gamma(5.0, 0.2, len(days))})
    data = tmp_path / "data"
    data.mkdir()
    dim_date.to_csv(data / "dim_date.csv", index=False)
    rate.to_csv(data / "rate.csv", index=False)
    columns = {
        "dim_date": {
            "date_key": {"sdtype": "id"},
            "full_date": {"sdtype": "datetime", "datetime_format": "%Y-%m-%d"},
            "month": {"sdtype": "numerical"},
            "weekday": {"sdtype": "numerical"},
        },
        "rate": {"date_key": {"sdtype": "id"}, "rate": {"sdtype": "numerical"}},
    }
    meta = {
        "METADATA_SPEC_VERSION": "V1",
        "tables": {t: {"primary_key": "date_key", "columns": c} for t, c in columns.items()},
        "relationships": [
            {
                "parent_table_name": "dim_date",
                "parent_primary_key": "date_key",
                "child_table_name": "rate",
                "child_foreign_key": "date_key",
            }
        ],
    }
    (tmp_path / "metadata.json").write_text(json.dumps(meta))
    out = tmp_path / "out"
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        run_fit_sample(
            UserSource(data, tmp_path / "metadata.json", seed=0), out, ["csv"], "hma",
            compare=False,
        )  # fmt: skip
    sampled = pd.read_csv(out / "data" / "rate.csv")
    assert len(sampled) > 0 and sampled["date_key"].is_unique
    assert sampled["date_key"].isin(pd.read_csv(out / "data" / "dim_date.csv")["date_key"]).all()


def test_a_constant_number_of_children_per_parent_is_kept(tmp_path):
    """Every station with readings has exactly 123 (one a minute for two hours), one has
    none: each sampled station gets 123 or none, at any scale, and the table's size follows
    the stations (it was kept at the data's total by giving 124 and 125 to some)."""
    rng = np.random.default_rng(0)
    stations = pd.DataFrame(
        {"id": np.arange(1, 71), "docks": rng.integers(10, 30, 70), "lat": rng.normal(37, 0.1, 70)}
    )
    owners = np.repeat(stations["id"].to_numpy()[1:], 123)
    status = pd.DataFrame({"station_id": owners, "free": rng.integers(0, 20, len(owners))})
    stations.to_csv(tmp_path / "station.csv", index=False)
    status.to_csv(tmp_path / "status.csv", index=False)
    from synthgen_sdv.runs.fit_sample import fit
    from synthgen_sdv.runs.from_user import UserSource
    from synthgen_sdv.runs.sample import sample

    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        fitted = fit(UserSource(tmp_path), "hma")
        for seed, scale in [(0, 1.0), (1, 1.0), (2, 1.0), (3, 1.0), (4, 2.5)]:
            drawn = sample(fitted, scale, seed=seed).tables
            sizes = drawn["status"].groupby("station_id").size()
            assert set(sizes) == {123}, (seed, scale, sizes.value_counts().to_dict())
            assert drawn["status"]["station_id"].isin(drawn["station"]["id"]).all()
            assert len(drawn["station"]) - len(sizes) <= max(2, round(scale))  # few childless


def _category_before(column, values, y, min_rows):
    """``counts._category`` and ``Feature.values`` as they were (a frame of texts, the column
    coded again by ``Feature.values``): the reference of the one-factorization code."""
    from synthgen_sdv.synth.counts import _OTHER, Feature, _text

    frame = pd.DataFrame({"v": _text(values), "y": y})
    sizes = frame["v"].value_counts()
    rare = set(sizes.index[sizes < min_rows])
    if len(sizes) - len(rare) < 1:
        return None
    frame.loc[frame["v"].isin(rare), "v"] = _OTHER
    means = frame.groupby("v", sort=True)["y"].mean().sort_values(kind="stable")
    if len(means) < 2:
        return None
    feature = Feature(column, "category", [str(v) for v in means.index])
    return feature, feature.values(values)


def _category_cases():
    rng = np.random.default_rng(0)
    for n in (1, 2, 7, 40, 500):
        y = np.log1p(rng.integers(0, 6, n).astype(float))
        yield pd.Series(rng.choice(["b", "a", "c", "B", "é", ""], n)), y
        yield pd.Series(rng.choice(np.array(["x", None, "y", np.nan], dtype=object), n)), y
        yield pd.Series(pd.Categorical(rng.choice(["lo", "mid", "hi"], n))), y
        yield pd.Series(rng.choice([1, 2, 3, 10, 11], n)), y  # "10" sorts before "2"
        yield pd.Series(rng.choice([1, "1", 2.0, None], n)), y  # texts that coincide
        yield pd.Series(rng.choice(["<null>", None, "z"], n)), y
        yield pd.Series(rng.choice(["\x00other", "a", "b"], n)), y  # the marker itself
        yield pd.Series(rng.choice(["", "a", "b", "a\x00"], n)), y  # pandas: "" == "\x00.."
        yield pd.Series(pd.to_datetime(["2020-01-01", "2021-05-02", None] * n)[:n]), y
        yield pd.Series(np.arange(n).astype(str)), y  # every one rare
        yield pd.Series(rng.choice(["a", "b"], n)), np.zeros(n)  # tied means


def test_category_feature_equals_the_frame_code():
    """One factorization gives the same categories, in the same order, and the same coded
    column as the frame of texts and ``Feature.values`` (nulls, one row, categoricals,
    datetimes, numbers whose texts sort apart, values with the same text, the "other"
    marker, all rare, tied means)."""
    from synthgen_sdv.synth.counts import _category

    checked = 0
    for values, y in _category_cases():
        for min_rows in (1, 2, 5):
            got = _category("c", values, y, min_rows)
            want = _category_before("c", values, y, min_rows)
            assert (got is None) == (want is None)
            if got is not None:
                assert got[0] == want[0]
                np.testing.assert_array_equal(got[1], want[1])
                assert got[1].dtype == want[1].dtype
                checked += 1
    assert checked > 50
