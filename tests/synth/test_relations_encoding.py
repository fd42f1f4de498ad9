"""Lookups of determined labels (synth/dependencies) and offsets from anchors (synth/anchors):
what they find on small fixtures, that they round-trip, and that hma with them recovers the
relations a copula loses, measured against hma without them on the same data and seed."""

from __future__ import annotations

import warnings

import numpy as np
import pandas as pd
import pytest

from synthgen_sdv.synth import SYNTHESIZERS
from synthgen_sdv.synth.anchors import Anchors
from synthgen_sdv.synth.dependencies import Dependencies

MONTHS = ["Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"]


def _calendar(n: int = 400, seed: int = 0) -> tuple[dict, dict]:
    rng = np.random.default_rng(seed)
    month = rng.integers(1, 13, n)
    tables = {
        "days": pd.DataFrame(
            {
                "day_id": np.arange(n),
                "month_number": month,
                "month_name": [MONTHS[m - 1] for m in month],
                "quarter_name": [f"Q{(m - 1) // 3 + 1}" for m in month],
                "sales": rng.gamma(2.0, 50.0, n) + month * 20,
                "note": [f"n{i}" for i in range(n)],  # unique: determines all, used by none
            }
        )
    }
    metadata = {
        "tables": {
            "days": {
                "primary_key": "day_id",
                "columns": {
                    "day_id": {"sdtype": "id"},
                    "month_number": {"sdtype": "numerical"},
                    "month_name": {"sdtype": "categorical"},
                    "quarter_name": {"sdtype": "categorical"},
                    "sales": {"sdtype": "numerical"},
                    "note": {"sdtype": "categorical"},
                },
            }
        },
        "relationships": [],
    }
    return tables, metadata


def test_labels_determined_by_a_column_are_looked_up_from_it():
    tables, metadata = _calendar()
    deps, model_tables, model_meta = Dependencies.fit(tables, metadata)
    found = {(d["column"], d["determined_by"]) for d in deps.describe()}
    assert found == {("month_name", "month_number"), ("quarter_name", "month_number")}
    assert (
        "month_name" not in model_tables["days"]
        and "month_name" not in model_meta["tables"]["days"]["columns"]
    )
    assert "note" in model_tables["days"]  # a unique column is no evidence of anything
    back = deps.restore(model_tables)["days"]
    pd.testing.assert_series_equal(back["month_name"], tables["days"]["month_name"])
    # a sampled value the data lacks takes the nearest seen value's label
    odd = deps.restore({"days": pd.DataFrame({"month_number": [2.4, 11.9, 40.0]})})["days"]
    assert odd["month_name"].tolist() == ["Feb", "Dec", "Dec"]


def test_no_lookup_without_repeated_evidence():
    tables = {"t": pd.DataFrame({"a": [1, 2, 3, 4, 5, 6], "b": ["x", "y", "x", "y", "z", "z"]})}
    meta = {
        "tables": {"t": {"columns": {"a": {"sdtype": "numerical"}, "b": {"sdtype": "categorical"}}}}
    }
    deps, _, _ = Dependencies.fit(tables, meta)
    assert deps.describe() == []


def _pairwise_reference(df: pd.DataFrame, meta: dict) -> set[tuple[str, str]]:
    """Every (determinant, label) pair, one np.unique per pair: the plain definition."""
    from synthgen_sdv.synth import dependencies as d

    n, cols = len(df), list(df.columns)
    codes = {c: pd.factorize(df[c], use_na_sentinel=False) for c in cols}
    card = {c: len(u) for c, (_, u) in codes.items()}
    out = set()
    for a in cols:
        if card[a] < 2 or n - card[a] < d.MIN_REPEATS or n / card[a] < d.MIN_GROUP:
            continue
        for b in cols:
            if b == a or card[b] < 2 or meta["columns"][b]["sdtype"] not in d.LABELS:
                continue
            pairs = codes[a][0].astype(np.int64) * card[b] + codes[b][0]
            if len(np.unique(pairs)) == card[a]:
                out.add((a, b))
    return out


@pytest.mark.parametrize("n", [300, 9000])  # 9000 rows: screened on a prefix, then confirmed
def test_dependency_screen_finds_what_the_pairwise_definition_finds(n):
    from synthgen_sdv.synth import dependencies as d

    rng = np.random.default_rng(n)
    base = rng.integers(0, 12, n)
    df = pd.DataFrame(
        {
            "num": base,
            "syn1": np.array(list("abcdefghijkl"))[base],  # a synonym of num
            "syn2": np.array([f"L{v}" for v in range(12)])[base],
            "coarse": np.where(base < 6, "low", "high"),  # determined by num, not the reverse
            "noise": rng.choice(["p", "q", "r"], n),
            "flag": rng.random(n) < 0.5,
        }
    )
    # a label that agrees with num except in the last row: past the screen's prefix at 9000
    near = df["coarse"].to_numpy().copy()
    near[-1] = "low" if near[-1] == "high" else "high"
    df["near"] = near
    sdtypes = {"num": "numerical", "flag": "boolean"}
    meta = {"columns": {c: {"sdtype": sdtypes.get(c, "categorical")} for c in df.columns}}
    expected = _pairwise_reference(df, meta)
    assert ("num", "coarse") in expected and ("num", "near") not in expected
    found = set()
    lookups = d.table_lookups("t", df, meta, set())
    for lk in lookups:
        found.add((lk.source, lk.column))
    # every lookup made rests on a true dependency of the reference
    assert found and found <= expected
    assert {c for _, c in found} == {"syn1", "syn2", "coarse"}


def _rentals(n_parents: int = 150, seed: int = 1) -> tuple[dict, dict]:
    rng = np.random.default_rng(seed)
    start = pd.Timestamp("2020-01-01")
    rental_date = start + pd.to_timedelta(rng.integers(0, 3 * 365, n_parents), unit="D")
    rentals = pd.DataFrame(
        {
            "rental_id": np.arange(n_parents),
            "rental_date": rental_date,
            "fee": rng.gamma(2.0, 3.0, n_parents).round(2),
        }
    )
    counts = rng.integers(1, 5, n_parents)
    parent = np.repeat(np.arange(n_parents), counts)
    payments = pd.DataFrame(
        {
            "payment_id": np.arange(len(parent)),
            "rental_id": parent,
            "payment_date": rental_date[parent]
            + pd.to_timedelta(rng.integers(0, 48, len(parent)), unit="h"),
            "amount": rng.gamma(2.0, 2.0, len(parent)).round(2),
        }
    )
    metadata = {
        "tables": {
            "rentals": {
                "primary_key": "rental_id",
                "columns": {
                    "rental_id": {"sdtype": "id"},
                    "rental_date": {"sdtype": "datetime", "datetime_format": "%Y-%m-%d"},
                    "fee": {"sdtype": "numerical"},
                },
            },
            "payments": {
                "primary_key": "payment_id",
                "columns": {
                    "payment_id": {"sdtype": "id"},
                    "rental_id": {"sdtype": "id"},
                    "payment_date": {"sdtype": "datetime", "datetime_format": "%Y-%m-%d %H"},
                    "amount": {"sdtype": "numerical"},
                },
            },
        },
        "relationships": [
            {
                "parent_table_name": "rentals",
                "parent_primary_key": "rental_id",
                "child_table_name": "payments",
                "child_foreign_key": "rental_id",
            }
        ],
    }
    return {"rentals": rentals, "payments": payments}, metadata


def test_a_child_date_tight_to_its_parent_is_an_offset_and_round_trips():
    tables, metadata = _rentals()
    anchors, model_tables, model_meta = Anchors.fit(tables, metadata)
    assert anchors.describe() == [
        {"table": "payments", "column": "payment_date", "anchor": "rentals.rental_date"}
    ]
    assert model_meta["tables"]["payments"]["columns"]["payment_date"]["sdtype"] == "numerical"
    offsets = model_tables["payments"]["payment_date"]
    assert offsets.between(0, 48 * 3600).all()  # seconds after the rental
    back = anchors.restore(model_tables)["payments"]
    pd.testing.assert_series_equal(
        back["payment_date"], tables["payments"]["payment_date"], check_names=False
    )
    # unrelated numbers are left alone
    assert all(a["column"] != "amount" for a in anchors.describe())


def _lag_hours(out: dict) -> pd.Series:
    pay = out["payments"].merge(out["rentals"], on="rental_id")
    return (pay["payment_date"] - pay["rental_date"]).dt.total_seconds() / 3600


@pytest.mark.parametrize("seed", [0])
def test_hma_with_anchors_keeps_the_cross_table_relation(seed):
    """The payment follows its rental within two days in the data; hma with anchors keeps
    that for (nearly) every row, hma without them scatters payments over the years."""
    tables, metadata = _rentals()
    warnings.filterwarnings("ignore")
    res = {}
    for anchors in (True, False):
        synth = SYNTHESIZERS.get("hma")(seed=seed, anchors=anchors, lookups=True)
        out = synth.sample() if synth.fit(tables, metadata) else None
        lag = _lag_hours(out)
        res[anchors] = float(((lag >= -1) & (lag <= 49)).mean())
        if anchors:
            assert synth.params()["params"]["anchors"] is True
            dates = out["payments"]["payment_date"]
            assert dates.dtype.kind == "M"
            assert (dates.astype("int64") % 3_600_000_000_000 == 0).all()  # whole hours, as in
            # the data (the offset is rebuilt at the data's resolution)
    assert res[True] >= 0.95
    assert res[True] >= res[False] + 0.3


def test_hma_with_lookups_keeps_label_pairs_exact():
    tables, metadata = _calendar()
    warnings.filterwarnings("ignore")
    res = {}
    for lookups in (True, False):
        out = (
            SYNTHESIZERS.get("hma")(seed=3, lookups=lookups, anchors=True)
            .fit(tables, metadata)
            .sample()
        )["days"]
        expected = out["month_number"].round().clip(1, 12).astype(int).map(lambda m: MONTHS[m - 1])
        res[lookups] = float((out["month_name"] == expected).mean())
    assert res[True] == 1.0
    assert res[False] < 0.9
