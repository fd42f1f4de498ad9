"""No pile-ups on discrete, bounded and date columns (treatment.py, fast_hma.py), checked with
the per-column share check (evaluate.metrics.artifacts): on planted scenarios, on the default
fit-sample output at small scale and on a corpus database."""

from __future__ import annotations

import warnings

import numpy as np
import pandas as pd
import pytest

from synthgen_sdv.evaluate.metrics.artifacts import (
    column_artifacts,
    skip_columns,
    value_share_excess,
)
from synthgen_sdv.runs.config import load_project
from synthgen_sdv.runs.fit_sample import fit
from synthgen_sdv.runs.from_config import ConfigSource
from synthgen_sdv.runs.from_user import UserSource
from synthgen_sdv.runs.sample import sample
from synthgen_sdv.schema.plan import resolve_plan
from synthgen_sdv.synth import SYNTHESIZERS
from synthgen_sdv.synth.fast_hma import FastHMASynthesizer, per_parent_parameters
from synthgen_sdv.synth.treatment import (
    NormalOrderedEncoder,
    NormalUniformEncoder,
    QuantileDatetime,
)
from tests.conftest import DEFAULT, ROOT

CORPUS = ROOT / "tests" / "data" / "corpus"
RULES_BEFORE = ("discrete", "quantile", "ordered")  # categories on [0, 1], dates unclipped


def _max_spike_data(seed: int = 0):
    """Children whose discrete quantity has a rare maximum (0.05%) and whose per-parent means
    vary a lot: the per-parent normals of HMA reach past the top of the scale."""
    rng = np.random.default_rng(seed)
    lam = rng.gamma(2.0, 0.6, 400)
    counts = 1 + rng.poisson(4, 400)
    owner = np.repeat(np.arange(400), counts)
    days = rng.integers(0, 60, len(owner)) + (lam[owner] * 20).astype(int)
    tables = {
        "p": pd.DataFrame({"pid": np.arange(400), "lam": lam.round(3)}),
        "c": pd.DataFrame(
            {
                "cid": np.arange(len(owner)),
                "pid": owner,
                "qty": 1 + rng.poisson(lam[owner]),
                "day": pd.Timestamp("2024-01-01") + pd.to_timedelta(days, "D"),
            }
        ),
    }
    metadata = {
        "tables": {
            "p": {
                "primary_key": "pid",
                "columns": {"pid": {"sdtype": "id"}, "lam": {"sdtype": "numerical"}},
            },
            "c": {
                "primary_key": "cid",
                "columns": {
                    "cid": {"sdtype": "id"},
                    "pid": {"sdtype": "id"},
                    "qty": {"sdtype": "numerical"},
                    "day": {"sdtype": "datetime", "datetime_format": "%Y-%m-%d"},
                },
            },
        },
        "relationships": [
            {
                "parent_table_name": "p",
                "child_table_name": "c",
                "parent_primary_key": "pid",
                "child_foreign_key": "pid",
            }
        ],
    }
    return tables, metadata


def _sample(rules, tables, metadata):
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        synth = SYNTHESIZERS.get("hma")(seed=1, rules=rules).fit(tables, metadata)
        return synth.sample(1.0)


def test_the_rare_maximum_keeps_its_share():
    tables, metadata = _max_spike_data()
    qty = tables["c"]["qty"]
    top = qty.max()
    assert (qty == top).mean() < 0.002
    before = _sample(RULES_BEFORE, tables, metadata)["c"]["qty"]
    worst = value_share_excess(qty, before)
    assert worst.value == top and worst.synthetic_share > 0.03  # the scenario does spike
    after = _sample(("discrete", "quantile", "ordered", "normal"), tables, metadata)
    worst = value_share_excess(qty, after["c"]["qty"], noise_z=0)
    assert worst.ok, worst
    assert (after["c"]["qty"] == top).mean() <= 2 * (qty == top).mean() + 0.01


def test_dates_do_not_pile_up_on_the_last_day():
    tables, metadata = _max_spike_data()
    days = tables["c"]["day"]
    no_dates = _sample(("discrete", "ordered", "normal"), tables, metadata)["c"]["day"]
    assert not value_share_excess(days, no_dates, noise_z=0).ok  # SDV's clipped timestamps
    after = _sample(("discrete", "quantile", "ordered", "normal"), tables, metadata)["c"]["day"]
    assert value_share_excess(days, after, noise_z=0).ok
    assert after.min() >= days.min() and after.max() <= days.max()


def test_normal_score_encoders_round_trip_and_never_clip():
    values = pd.Series(["a"] * 50 + ["b"] * 30 + ["c"] * 20, name="x")
    encoders = [
        (NormalUniformEncoder(), ["a", "c"]),
        (NormalOrderedEncoder(["c", "a", "b"]), ["c", "b"]),
    ]
    for enc, extremes in encoders:
        data = values.to_frame()
        enc.fit(data, "x")
        z = enc.transform(data)["x"]
        assert z.abs().max() < 7 and abs(z.mean()) < 0.5 and 0.6 < z.std() < 1.4
        back = enc.reverse_transform(pd.DataFrame({"x": z}))["x"]
        assert (back == values).all()
        far = enc.reverse_transform(pd.DataFrame({"x": [-40.0, 40.0]}))["x"].tolist()
        assert far == extremes  # the first and last category, not an error or a null


def test_quantile_datetime_round_trips_with_nulls():
    days = pd.Series(pd.to_datetime(["2024-01-01", "2024-01-05", None, "2024-03-01"] * 25))
    enc = QuantileDatetime(datetime_format="%Y-%m-%d")
    data = days.rename("d").to_frame()
    enc.fit(data, "d")
    out = enc.transform(data)
    back = enc.reverse_transform(out)["d"]
    assert back.isna().mean() == pytest.approx(0.25, abs=0.15)
    assert set(back.dropna()) <= set(days.dropna())


def test_a_few_odd_parents_do_not_set_everyone_s_spread():
    # 1,000 parents with one child each and one parent with five children far apart
    x = np.concatenate([np.random.default_rng(0).normal(0, 1, 1000), [-6, -3, 0, 3, 6]])
    codes = np.concatenate([np.arange(1000), np.full(5, 1000)])
    frame = per_parent_parameters(x[:, None], codes, 1001, ["v"], ["norm"], shrinkage=5.0)
    singles = frame["univariates__v__scale"].to_numpy()[:1000]
    assert singles.max() < 0.2  # unweighted pooling gave them sqrt(90 / 4) = 4.7


def test_childless_parents_take_a_donor_s_parameters():
    table = pd.DataFrame(
        {"n": [0, 2, 0, 3, 0], "loc": [np.nan, 1.0, np.nan, 5.0, np.nan], "scale": [np.nan] * 5}
    )
    table.loc[[1, 3], "scale"] = [0.5, 0.7]
    np.random.seed(0)
    FastHMASynthesizer._fill_childless(table, ["loc", "scale"], "n")
    assert table[["loc", "scale"]].notna().all().all()
    pairs = set(map(tuple, table[["loc", "scale"]].to_numpy()))
    assert pairs <= {(1.0, 0.5), (5.0, 0.7)}  # whole blocks copied, never mixed


def _fit_sample_against_what_it_learned(source):
    """hma fitted and sampled through fit-sample's own path (``runs.fit_sample.fit``,
    ``runs.sample.sample``); the per-column check of every modeled column against the tables
    it learned from (keys and fresh-by-design columns skipped, as in the report)."""
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        fitted = fit(source, "hma")
        sampled = sample(fitted, 1.0)
    real = fitted.view.tables
    synthetic = {t: sampled.tables[t] for t in fitted.modeled}
    skip = skip_columns(fitted.view.metadata)
    return real, synthetic, skip


def test_default_fit_sample_output_has_no_spikes_at_small_scale():
    plan = resolve_plan(load_project(DEFAULT), scale=0.2)
    real, synthetic, skip = _fit_sample_against_what_it_learned(ConfigSource(plan))
    assert set(synthetic) == {"customers", "orders", "transactions"}
    checked = column_artifacts(real, synthetic, skip=skip)
    assert len(checked) >= 8 and checked["ok"].all(), checked.head().to_string()
    # the column, with the bare rule (2,300 rows: noise is small next to 1 point)
    qty_real, qty_syn = real["transactions"]["quantity"], synthetic["transactions"]["quantity"]
    assert value_share_excess(qty_real, qty_syn, noise_z=0).ok
    top = qty_real.max()
    assert (qty_syn == top).mean() <= 2 * (qty_real == top).mean() + 0.01
    assert qty_syn.max() <= top and qty_syn.min() >= qty_real.min()


def test_a_corpus_database_has_no_spikes():
    # Oracle CO: nanosecond timestamps, prices, a nullable key, 7 tables of 23 to 3,914 rows
    real, synthetic, skip = _fit_sample_against_what_it_learned(UserSource(CORPUS / "oracle_co"))
    checked = column_artifacts(real, synthetic, skip=skip)
    assert len(checked) >= 10 and checked["ok"].all(), checked.head().to_string()
    # the bare rule on every table large enough for one point to be more than noise
    big = {t: frame for t, frame in synthetic.items() if len(real[t]) >= 1000}
    assert len(big) >= 3
    bare = column_artifacts(real, big, skip=skip, noise_z=0)
    assert bare["ok"].all(), bare.head().to_string()


@pytest.mark.slow  # a whole corpus database, fitted and sampled (~30 s on a loaded machine)
def test_repeated_prices_keep_their_shares_on_a_corpus_database():
    # AdventureWorksLT: 99 list prices over 295 products, 64 unit prices over 542 order lines;
    # HMA's per-parent normals put a model's products on one price (1.4% -> 4.7% of rows)
    real, synthetic, _ = _fit_sample_against_what_it_learned(
        UserSource(CORPUS / "adventureworks_lt")
    )
    for table, column in [
        ("Product", "ListPrice"),
        ("Product", "StandardCost"),
        ("SalesOrderDetail", "UnitPrice"),
    ]:
        worst = value_share_excess(real[table][column], synthetic[table][column], noise_z=0)
        assert worst.ok, (table, column, worst)
