"""Alternate keys of SDV metadata (``alternate_keys``: a column unique in every row besides the
primary key): accepted with ``--metadata`` and checked against the data like a primary key,
and unique in every sample: a copied small table past scale 1 makes them as it makes its
primary key, and a sample with them is not cut into batches (SDV draws them unique within one
draw only)."""

from __future__ import annotations

import warnings

import numpy as np
import pandas as pd
import pytest

import synthgen_sdv as sg
from synthgen_sdv.core.errors import InputError
from synthgen_sdv.synth import batches


def _data(n: int = 600) -> tuple[dict[str, pd.DataFrame], dict]:
    """cats (8 rows, copied: an alternate key ``code``) -> items (``sku`` an alternate key)."""
    rng = np.random.default_rng(0)
    cats = pd.DataFrame(
        {"cat_id": range(1, 9), "code": [f"C{i:03d}" for i in range(8)], "name": list("abcdefgh")}
    )
    items = pd.DataFrame(
        {
            "item_id": range(1, n + 1),
            "sku": [f"SK{i:05d}" for i in rng.permutation(n)],
            "cat_id": rng.integers(1, 9, n),
            "price": rng.gamma(2, 10, n).round(2),
        }
    )
    ident = {"sdtype": "id"}
    meta = {
        "tables": {
            "cats": {
                "primary_key": "cat_id",
                "alternate_keys": ["code"],
                "columns": {
                    "cat_id": ident,
                    "code": {"sdtype": "id", "regex_format": "C[0-9]{3}"},
                    "name": {"sdtype": "categorical"},
                },
            },
            "items": {
                "primary_key": "item_id",
                "alternate_keys": ["sku"],
                "columns": {
                    "item_id": ident,
                    "sku": {"sdtype": "id", "regex_format": "SK[0-9]{5}"},
                    "cat_id": ident,
                    "price": {"sdtype": "numerical"},
                },
            },
        },
        "relationships": [
            {
                "parent_table_name": "cats",
                "parent_primary_key": "cat_id",
                "child_table_name": "items",
                "child_foreign_key": "cat_id",
            }
        ],
    }
    return {"cats": cats, "items": items}, meta


@pytest.fixture(scope="module")
def model():
    tables, meta = _data()
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        return sg.fit(tables, metadata=meta, synthesizer="hma", seed=0)


def test_alternate_keys_are_accepted_and_unique_at_any_scale(model):
    real = _data()[0]["cats"]
    one = model.sample(scale=1, seed=1).tables
    assert sorted(one["cats"]["code"]) == sorted(real["code"])  # copied rows keep real codes
    for scale in (2.5, 4):
        out = model.sample(scale=scale, seed=1).tables
        assert len(out["cats"]) == 20 if scale == 2.5 else len(out["cats"]) == 32
        for table, column in (("cats", "code"), ("items", "sku")):
            values = out[table][column]
            assert values.notna().all() and values.is_unique, (scale, table, column)
        assert out["items"]["cat_id"].isin(out["cats"]["cat_id"]).all()


def test_a_sample_with_alternate_keys_is_one_draw_and_stays_unique(model, monkeypatch):
    monkeypatch.setattr(batches, "BATCH_ROWS", 1_000)  # 3x the fitted rows: 3 batches
    out = model.sample(scale=3, seed=2).tables
    assert len(out["items"]) == 1_800
    assert out["items"]["sku"].is_unique and out["cats"]["code"].is_unique


@pytest.mark.parametrize(
    ("change", "said"),
    [
        (lambda t, m: t["items"].__setitem__("sku", ["SK1"] * len(t["items"])), "repeat"),
        (lambda t, m: m["tables"]["items"].__setitem__("alternate_keys", ["nope"]), "nope"),
    ],
)
def test_an_alternate_key_the_data_breaks_is_refused_with_where(change, said):
    tables, meta = _data(60)
    change(tables, meta)
    with pytest.raises(InputError) as info:
        sg.fit(tables, metadata=meta, synthesizer="hma", seed=0)
    message = str(info.value)
    assert "tables.items.alternate_keys" in message and said in message
