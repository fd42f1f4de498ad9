"""Every value keeps about its real share (issue 10, item 3), one planted cause per test, with
real SDV: a nullable number (nulls were imputed with the mean before the marginal was fitted),
a two-valued number whose rare value depends on the parent, a clipped column with a real mass
at its bound, a nullable date; and gaussian_copula on a table of keys only and on a parent whose
children all sit under one row (the two corpus failures, chinook and oracle_co)."""

from __future__ import annotations

import warnings

import numpy as np
import pandas as pd
import pytest

from synthgen_sdv.evaluate.metrics.artifacts import value_share_excess
from synthgen_sdv.synth import SYNTHESIZERS
from synthgen_sdv.synth.marginals import DiscreteShares
from synthgen_sdv.synth.treatment import QuantileDatetime, QuantileNormalizer
from tests.synth.conftest import count_dangling

MODELS = ("hma", "gaussian_copula")


def _rel(parent: str, child: str, pk: str, fk: str | None = None) -> dict:
    return {
        "parent_table_name": parent,
        "child_table_name": child,
        "parent_primary_key": pk,
        "child_foreign_key": fk or pk,
    }


def _parent_child(seed: int = 0, parents: int = 150):
    """p (pid, kind) -> c (cid, pid, weight 30% null, price 0.99/1.99 by parent, score clipped
    at 100 on 20% of rows, day 25% null)."""
    rng = np.random.default_rng(seed)
    video = rng.random(parents) < 0.06  # a few parents hold every 1.99
    counts = 1 + rng.poisson(6, parents)
    owner = np.repeat(np.arange(parents), counts)
    n = len(owner)
    weight = rng.lognormal(7, 1, n).round(2)
    weight[rng.random(n) < 0.3] = np.nan
    score = np.minimum(rng.normal(80, 15, n), 100.0).round(1)
    days = pd.Timestamp("2020-01-01") + pd.to_timedelta(rng.integers(0, 900, n), "D")
    day = pd.Series(days).where(rng.random(n) >= 0.25)
    level = np.where(video[owner], 0, 1 + rng.binomial(2, 0.3, n))  # 0..3, a category
    tables = {
        "p": pd.DataFrame({"pid": np.arange(parents), "kind": np.where(video, "v", "a")}),
        "c": pd.DataFrame(
            {
                "cid": np.arange(n),
                "pid": owner,
                "weight": weight,
                "price": np.where(video[owner], 1.99, 0.99),
                "score": score,
                "day": day,
                "level": level,
            }
        ),
    }
    metadata = {
        "tables": {
            "p": {
                "primary_key": "pid",
                "columns": {"pid": {"sdtype": "id"}, "kind": {"sdtype": "categorical"}},
            },
            "c": {
                "primary_key": "cid",
                "columns": {
                    "cid": {"sdtype": "id"},
                    "pid": {"sdtype": "id"},
                    "weight": {"sdtype": "numerical"},
                    "price": {"sdtype": "numerical"},
                    "score": {"sdtype": "numerical"},
                    "day": {"sdtype": "datetime", "datetime_format": "%Y-%m-%d"},
                    "level": {"sdtype": "categorical"},
                },
            },
        },
        "relationships": [_rel("p", "c", "pid")],
    }
    return tables, metadata


def _fit_sample(model: str, tables, metadata, seed: int = 1) -> dict[str, pd.DataFrame]:
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        return SYNTHESIZERS.get(model)(seed=seed).fit(tables, metadata).sample(1.0)


@pytest.fixture(scope="module")
def planted():
    tables, metadata = _parent_child()
    return tables, metadata, {m: _fit_sample(m, tables, metadata) for m in MODELS}


def test_a_nullable_number_is_modeled_without_a_point_mass_at_its_mean():
    rng = np.random.default_rng(0)
    x = pd.Series(rng.lognormal(7, 1, 400).round(2))
    x[rng.random(400) < 0.3] = np.nan
    t = QuantileNormalizer()
    t.fit(pd.DataFrame({"w": x}), "w")
    z = t.transform(pd.DataFrame({"w": x}))["w"].to_numpy()
    # the scores of the null rows are spread like a standard normal, not one repeated value
    assert pd.Series(z[x.isna().to_numpy()]).nunique() == x.isna().sum()
    assert abs(np.mean(z)) < 0.1 and 0.9 < np.std(z) < 1.1
    # and the marginal is the known values': the mean is not a knot of it
    back = t.reverse_transform(pd.DataFrame({"w": np.linspace(-2, 2, 2001)}))["w"].dropna()
    assert (back.round(2) == round(x.mean(), 2)).mean() < 0.01


def test_a_nullable_date_is_modeled_without_a_point_mass():
    rng = np.random.default_rng(0)
    days = pd.Series(pd.Timestamp("2021-01-01") + pd.to_timedelta(rng.integers(0, 500, 400), "D"))
    days = days.where(rng.random(400) >= 0.3)
    t = QuantileDatetime(datetime_format="%Y-%m-%d")
    t.fit(pd.DataFrame({"d": days}), "d")
    z = t.transform(pd.DataFrame({"d": days}))["d"].to_numpy()
    assert pd.Series(z[days.isna().to_numpy()]).nunique() == days.isna().sum()


@pytest.mark.parametrize("model", MODELS)
@pytest.mark.parametrize("column", ["weight", "price", "score", "day", "level"])
def test_no_value_exceeds_twice_its_real_share_plus_a_point(planted, model, column):
    tables, _, out = planted
    real, synthetic = tables["c"][column], out[model]["c"][column]
    worst = value_share_excess(real, synthetic, noise_z=0)
    assert worst.ok, worst


@pytest.mark.parametrize("model", MODELS)
def test_a_two_valued_number_keeps_its_shares_and_its_nulls(planted, model):
    tables, _, out = planted
    real, synthetic = tables["c"], out[model]["c"]
    assert set(synthetic["price"].unique()) == {0.99, 1.99}
    real_share = (real["price"] == 1.99).mean()
    assert abs((synthetic["price"] == 1.99).mean() - real_share) < 0.005
    # a category whose values are numbers (a level detected as categorical) too
    shares = real["level"].value_counts(normalize=True)
    got = synthetic["level"].value_counts(normalize=True).reindex(shares.index)
    assert (got - shares).abs().max() < 0.005, (shares, got)
    # the rare value still goes with the parents that hold it where the model links them
    assert abs(synthetic["weight"].isna().mean() - 0.3) < 0.06
    assert abs(synthetic["day"].isna().mean() - 0.25) < 0.06


def test_the_clipped_bound_keeps_its_real_mass_and_no_more(planted):
    tables, _, out = planted
    real = (tables["c"]["score"] == 100.0).mean()
    for model in MODELS:
        share = (out[model]["c"]["score"] == 100.0).mean()
        assert share <= 2 * real + 0.01, (model, real, share)


def test_relabel_by_rank_keeps_the_order_and_the_shares():
    shares = DiscreteShares("t", "x", (1, 2, 3), (0.5, 0.3, 0.2))
    sampled = pd.Series([3, 3, 3, 3, 3, 2, 2, 1, 1, 1, None], dtype="Float64")
    out = shares.relabel(sampled, np.random.default_rng(0))
    assert out.isna().sum() == 1 and out.iloc[-1] is pd.NA
    assert out.value_counts().to_dict() == {1: 5, 2: 3, 3: 2}
    # a row sampled higher never comes back lower than one sampled lower
    frame = pd.DataFrame({"sampled": sampled, "out": out}).dropna()
    by = frame.groupby("sampled")["out"].agg(["min", "max"]).sort_index()
    assert (by["max"].to_numpy()[:-1] <= by["min"].to_numpy()[1:]).all()
    assert shares.counts(7).sum() == 7


def test_gaussian_copula_samples_a_table_of_keys_only():
    rng = np.random.default_rng(0)
    tables = {
        "playlist": pd.DataFrame({"plid": np.arange(20), "name": rng.choice(["x", "y"], 20)}),
        "track": pd.DataFrame({"tid": np.arange(60), "ms": rng.integers(1000, 9000, 60)}),
        "link": pd.DataFrame({"plid": rng.integers(0, 20, 200), "tid": rng.integers(0, 60, 200)}),
    }
    metadata = {
        "tables": {
            "playlist": {
                "primary_key": "plid",
                "columns": {"plid": {"sdtype": "id"}, "name": {"sdtype": "categorical"}},
            },
            "track": {
                "primary_key": "tid",
                "columns": {"tid": {"sdtype": "id"}, "ms": {"sdtype": "numerical"}},
            },
            "link": {"columns": {"plid": {"sdtype": "id"}, "tid": {"sdtype": "id"}}},
        },
        "relationships": [_rel("playlist", "link", "plid"), _rel("track", "link", "tid")],
    }
    out = _fit_sample("gaussian_copula", tables, metadata)
    assert list(out["link"].columns) == ["plid", "tid"]
    assert 100 < len(out["link"]) < 300
    assert count_dangling(out, tables, metadata) == 0


def test_gaussian_copula_survives_a_parent_whose_children_sit_under_one_row():
    """oracle_co: every shipment is under store 1 of 23 stores, and shipments is the second
    parent of order_items; the shipments drawn under stores were often none at all, and the
    keys of order_items were then drawn from an empty pool."""
    rng = np.random.default_rng(0)
    n_ship, n_cust = 300, 60
    tables = {
        "store": pd.DataFrame({"sid": np.arange(23), "size": rng.integers(1, 9, 23)}),
        "customer": pd.DataFrame({"cid": np.arange(n_cust), "age": rng.integers(18, 80, n_cust)}),
        "shipment": pd.DataFrame(
            {
                "shid": np.arange(n_ship),
                "sid": np.zeros(n_ship, dtype=int),
                "cid": rng.integers(0, n_cust, n_ship),
                "status": rng.choice(["done", "open"], n_ship),
            }
        ),
        "item": pd.DataFrame(
            {
                "iid": np.arange(900),
                "cid": rng.integers(0, n_cust, 900),
                "shid": pd.array(
                    np.where(rng.random(900) < 0.2, None, rng.integers(0, n_ship, 900)),
                    dtype="Int64",
                ),
                "qty": rng.integers(1, 5, 900),
            }
        ),
    }
    ids = {"sdtype": "id"}
    metadata = {
        "tables": {
            "store": {
                "primary_key": "sid",
                "columns": {"sid": ids, "size": {"sdtype": "numerical"}},
            },
            "customer": {
                "primary_key": "cid",
                "columns": {"cid": ids, "age": {"sdtype": "numerical"}},
            },
            "shipment": {
                "primary_key": "shid",
                "columns": {
                    "shid": ids,
                    "sid": ids,
                    "cid": ids,
                    "status": {"sdtype": "categorical"},
                },
            },
            "item": {
                "primary_key": "iid",
                "columns": {"iid": ids, "cid": ids, "shid": ids, "qty": {"sdtype": "numerical"}},
            },
        },
        "relationships": [
            _rel("store", "shipment", "sid"),
            _rel("customer", "shipment", "cid"),
            _rel("customer", "item", "cid"),
            _rel("shipment", "item", "shid"),
        ],
    }
    for seed in range(3):
        out = _fit_sample("gaussian_copula", tables, metadata, seed=seed)
        assert len(out["shipment"]) > 100  # driven by the 60 customers, not the 23 stores
        assert count_dangling(out, tables, metadata) == 0
        assert 0.1 < out["item"]["shid"].isna().mean() < 0.3


def test_timestamps_come_back_exactly_on_the_data_s_own_values():
    """Nanoseconds since 1970 do not fit a float64: RDT's float path returned a real
    ``12:20:28.330`` as ``12:20:28.329999``, a value the data never holds."""
    rng = np.random.default_rng(0)
    real_values = pd.to_datetime(
        ["2022-08-25", "2022-08-27", "2026-08-11 12:20:28.330", "2026-08-11 12:20:28.343"],
        format="ISO8601",
    )
    stamps = pd.Series(rng.choice(real_values, 400, p=[0.4, 0.3, 0.15, 0.15]))
    t = QuantileDatetime(datetime_format="%Y-%m-%d %H:%M:%S.%f")
    t.fit(pd.DataFrame({"d": stamps}), "d")
    back = t.reverse_transform(pd.DataFrame({"d": rng.normal(0, 1, 2000)}))["d"]
    back = pd.to_datetime(back)
    assert back.isin(real_values).mean() > 0.9
    assert value_share_excess(stamps, back, noise_z=0).ok


@pytest.mark.parametrize("model", MODELS)
def test_a_few_valued_date_keeps_its_real_dates_and_shares(model):
    # quarter-end snapshot dates under a parent (AdventureWorksDW's sales quotas: 12 dates):
    # per-parent noise made dates no row had, one of them for 10% of rows
    rng = np.random.default_rng(4)
    quarters = pd.date_range("2011-03-31", periods=8, freq="QE")
    parents = 25
    counts = 2 + rng.poisson(5, parents)
    owner = np.repeat(np.arange(parents), counts)
    start = rng.integers(0, 4, parents)[owner]  # each parent's quotas from its own quarter on
    step = np.concatenate([np.arange(c) for c in counts]) % 5
    tables = {
        "p": pd.DataFrame({"pid": np.arange(parents), "base": rng.gamma(3, 100, parents)}),
        "c": pd.DataFrame(
            {
                "cid": np.arange(len(owner)),
                "pid": owner,
                "quota_date": quarters[np.minimum(start + step, 7)],
                "amount": rng.gamma(2, 50, len(owner)).round(2),
            }
        ),
    }
    metadata = {
        "tables": {
            "p": {
                "primary_key": "pid",
                "columns": {"pid": {"sdtype": "id"}, "base": {"sdtype": "numerical"}},
            },
            "c": {
                "primary_key": "cid",
                "columns": {
                    "cid": {"sdtype": "id"},
                    "pid": {"sdtype": "id"},
                    "quota_date": {"sdtype": "datetime", "datetime_format": "%Y-%m-%d"},
                    "amount": {"sdtype": "numerical"},
                },
            },
        },
        "relationships": [_rel("p", "c", "pid")],
    }
    synthetic = _fit_sample(model, tables, metadata)["c"]["quota_date"]
    real = tables["c"]["quota_date"]
    assert synthetic.isin(set(real)).all()
    assert value_share_excess(real, synthetic, noise_z=0).ok


def test_unordered_categories_move_only_their_surplus():
    """Rule ``unordered``: a category drawn above its share gives only its surplus rows (and
    a value the data lacks gives all of them) to the categories drawn below theirs; every
    other row keeps the category the model gave it, and the shares come out exact."""
    from synthgen_sdv.synth.marginals import CategoryShares

    shares = CategoryShares("t", "c", ("a", "b", "c", "d"), (0.4, 0.3, 0.2, 0.1))
    sampled = pd.Series(["a"] * 70 + ["b"] * 20 + ["c"] * 5 + ["zz"] * 5 + [None] * 3)
    out = shares.relabel(sampled, np.random.default_rng(0))
    counts = out.value_counts()
    assert counts.to_dict() == {"a": 40, "b": 30, "c": 20, "d": 10}
    assert out.isna().sum() == 3 and out[sampled.isna()].isna().all()
    kept = (out == sampled) & sampled.notna()
    assert kept.sum() == 40 + 20 + 5  # a's first 40 (by chance which), all of b's and c's
    assert (out[sampled.isin(["b", "c"])] == sampled[sampled.isin(["b", "c"])]).all()
    again = shares.relabel(sampled, np.random.default_rng(0))
    assert again.equals(out)


def test_the_unordered_rule_covers_categories_without_an_order_only():
    from synthgen_sdv.synth.treatment import DEFAULT_RULES, choose_treatments

    rng = np.random.default_rng(1)
    n = 400
    df = pd.DataFrame(
        {
            "id": np.arange(n),
            "colour": rng.choice(["red", "green", "blue", "grey"], n),
            "level": rng.choice(["1", "2", "3"], n),  # numbers as text: ranked, as before
            "size": rng.normal(10, 2, n),
            "one": ["x"] * n,
        }
    )
    meta = {
        "tables": {
            "t": {
                "primary_key": "id",
                "columns": {
                    "id": {"sdtype": "id"},
                    "colour": {"sdtype": "categorical"},
                    "level": {"sdtype": "categorical"},
                    "size": {"sdtype": "numerical"},
                    "one": {"sdtype": "categorical"},
                },
            }
        },
        "relationships": [],
    }
    shares = {
        t.column: t.params
        for t in choose_treatments({"t": df}, meta, DEFAULT_RULES)
        if t.treatment == "shares"
    }
    assert shares["colour"] == {"unordered": True}
    assert "unordered" not in shares["level"] and "one" not in shares
    without = [r for r in DEFAULT_RULES if r != "unordered"]
    assert "colour" not in {
        t.column for t in choose_treatments({"t": df}, meta, without) if t.treatment == "shares"
    }
