"""Limits, PII, re-attached keys and per-column treatment around the synthesizers."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from synthgen_sdv.core.errors import InputError
from synthgen_sdv.synth.limits import check_modeled_subgraph
from synthgen_sdv.synth.pii import PiiColumn
from synthgen_sdv.synth.prepare import prepare_for_fit, restore_after_sample
from synthgen_sdv.synth.treatment import choose_treatments

MODELED = ["customers", "orders", "transactions"]


def _md(tables, relationships):
    return {"tables": tables, "relationships": relationships}


def _table(cols, pk="id"):
    out = {"columns": {c: {"sdtype": "id"} for c in cols}}
    out["columns"]["x"] = {"sdtype": "numerical"}
    if pk:
        out["primary_key"] = pk
    return out


def _rel(parent, child, fk):
    return {
        "parent_table_name": parent,
        "parent_primary_key": "id",
        "child_table_name": child,
        "child_foreign_key": fk,
    }


def test_limits_collect_every_problem_with_names_and_a_hint():
    md = _md(
        {
            "a": _table(["id", "b_id"]),
            "b": _table(["id", "a_id"]),
            "s": _table(["id", "boss"]),
            "n": _table(["id"], pk=None),
            "m": _table(["n_id", "id"]),
            "k": {
                "primary_key": ["k1", "k2"],
                "columns": {"k1": {"sdtype": "id"}, "k2": {"sdtype": "id"}},
            },
        },
        [
            _rel("a", "b", "a_id"),
            _rel("b", "a", "b_id"),
            _rel("s", "s", "boss"),
            {**_rel("n", "m", "n_id"), "parent_primary_key": "id"},
        ],
    )
    with pytest.raises(InputError) as err:
        check_modeled_subgraph(md, ["a", "b", "s", "n", "m", "k", "zzz"])
    msg = str(err.value)
    assert "table 'zzz' is not in the metadata" in msg
    assert "table 'k': composite primary key ['k1', 'k2']" in msg
    assert "table 'n' is the parent of m but has no primary key" in msg
    assert "table 's' references itself (s.boss -> s.id)" in msg
    assert "form a cycle (a -> b -> a)" in msg or "form a cycle (b -> a -> b)" in msg
    assert "--tables a,b,c" in msg


def test_limits_accept_a_subgraph_that_leaves_the_cycle_out():
    md = _md(
        {"a": _table(["id", "b_id"]), "b": _table(["id", "a_id"])},
        [_rel("a", "b", "a_id"), _rel("b", "a", "b_id")],
    )
    assert check_modeled_subgraph(md, ["a"]) == []


def test_limits_warn_for_a_second_modeled_parent():
    md = _md(
        {"a": _table(["id"]), "b": _table(["id"]), "c": _table(["id", "a_id", "b_id"])},
        [_rel("a", "c", "a_id"), _rel("b", "c", "b_id")],
    )
    warnings = check_modeled_subgraph(md, ["a", "b", "c"])
    assert any("table 'c' has 2 modeled parents (a, b)" in w for w in warnings)


def test_prepare_hides_pii_and_unmodeled_keys_from_sdv(tiny):
    tables, md = tiny
    prepared = prepare_for_fit(tables, md.to_dict(), MODELED)
    seen = prepared.model_metadata
    assert set(seen["tables"]) == set(MODELED)
    assert "name" not in seen["tables"]["customers"]["columns"]
    assert "email" not in seen["tables"]["customers"]["columns"]
    assert "product_id" not in seen["tables"]["transactions"]["columns"]
    assert "product_id" not in prepared.model_tables["transactions"]
    assert all(r["parent_table_name"] != "products" for r in seen["relationships"])
    assert [k.column for k in prepared.keys] == ["product_id"]
    assert prepared.keys[0].condition == "category"  # category follows the product


def test_reattached_keys_are_real_and_follow_the_condition(tiny):
    tables, md = tiny
    prepared = prepare_for_fit(tables, md.to_dict(), MODELED)
    n = 5000
    fake = {
        t: df.iloc[np.arange(n) % len(df)].reset_index(drop=True)
        for t, df in prepared.model_tables.items()
    }
    out = restore_after_sample(fake, prepared, seed=3)
    tx = out["transactions"]
    assert tx["product_id"].isin(tables["products"]["product_id"]).all()
    assert tx["product_id"].dtype == tables["transactions"]["product_id"].dtype
    category_of = tables["products"].set_index("product_id")["category"]
    assert (category_of.loc[tx["product_id"]].to_numpy() == tx["category"].to_numpy()).all()
    # frequencies follow the real ones
    real = tables["transactions"]["product_id"].value_counts(normalize=True)
    top = real.index[0]
    assert abs((tx["product_id"] == top).mean() - real.iloc[0]) < 0.03
    again = restore_after_sample(fake, prepared, seed=3)["transactions"]["product_id"]
    assert again.equals(tx["product_id"])


def test_pii_regenerated_unique_seeded_with_nulls():
    col = PiiColumn("customers", "email", "email", null_rate=0.0, unique=True)
    a = col.generate(7000, seed=1)
    assert len(set(a)) == 7000 and all("@" in v for v in a)
    assert (a == col.generate(7000, seed=1)).all()
    assert not (a == col.generate(7000, seed=2)).all()
    named = PiiColumn("customers", "name", "name", null_rate=0.3, unique=False).generate(2000, 4)
    assert 0.25 < pd.isna(named).mean() < 0.35
    odd = PiiColumn("t", "c", "some_custom_sdtype", 0.0, False).generate(10, 1)
    assert len(odd) == 10


def test_pii_values_do_not_come_from_the_real_data(fitted_hma, tiny):
    tables, _ = tiny
    out = fitted_hma.sample(1.0)
    assert not set(out["customers"]["email"]) & set(tables["customers"]["email"])
    assert out["customers"]["email"].is_unique


def test_treatments_on_the_demo_data(tiny):
    tables, md = tiny
    sub = prepare_for_fit(tables, md.to_dict(), MODELED)
    chosen: dict[tuple[str, str], set[str]] = {}
    for t in choose_treatments(sub.model_tables, sub.model_metadata):
        chosen.setdefault((t.table, t.column), set()).add(t.treatment)
    assert {"discrete", "ordered", "shares"} <= chosen[("transactions", "discount")]
    assert chosen[("transactions", "price")] == {"quantile"}  # continuous: no share rule
    ordered = [
        t
        for t in choose_treatments(sub.model_tables, sub.model_metadata)
        if (t.table, t.column, t.treatment) == ("transactions", "category", "ordered")
    ]
    assert ordered and ordered[0].params["by"] == "price"
    assert ordered[0].params["order"][-1] == "electronics"  # most expensive last
    logs = choose_treatments(sub.model_tables, sub.model_metadata, rules=["log"])
    assert {(t.table, t.column) for t in logs} >= {("transactions", "amount")}
    with pytest.raises(ValueError, match="unknown treatment rules"):
        choose_treatments(sub.model_tables, sub.model_metadata, rules=["bogus"])
