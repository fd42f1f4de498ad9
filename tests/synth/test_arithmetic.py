"""A number that is the sum or product of others in its row is computed from the sampled
terms, so sampled invoices add up; columns that merely look related are left to the model."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from synthgen_sdv.runs.fit_sample import run_fit_sample
from synthgen_sdv.runs.from_user import UserSource
from synthgen_sdv.synth import SYNTHESIZERS
from synthgen_sdv.synth.arithmetic import table_relations


def _orders(n: int, rng: np.random.Generator) -> pd.DataFrame:
    qty = rng.integers(1, 9, n)
    price = np.round(rng.lognormal(2.5, 0.6, n), 2)
    subtotal = np.round(qty * price, 2)
    tax = np.round(subtotal * 0.08, 2)
    freight = np.round(rng.gamma(2.0, 3.0, n), 2)
    return pd.DataFrame(
        {
            "order_id": np.arange(1, n + 1),
            "qty": qty,
            "price": price,
            "subtotal": subtotal,
            "tax": tax,
            "freight": freight,
            "total": np.round(subtotal + tax + freight, 2),
            "weight": np.round(rng.gamma(3.0, 1.0, n), 1),  # no relation
            "score": rng.integers(0, 4, n),  # small integers: no chance sums
            "score2": rng.integers(0, 4, n),
        }
    )


def _meta(df: pd.DataFrame) -> dict:
    cols = {c: {"sdtype": "numerical"} for c in df.columns}
    cols["order_id"] = {"sdtype": "id"}
    return {"columns": cols, "primary_key": "order_id"}


def test_sums_and_products_are_found_and_nothing_else():
    df = _orders(300, np.random.default_rng(0))
    found = {r.column: r for r in table_relations("orders", df, _meta(df), {"order_id"})}
    assert set(found) == {"subtotal", "total"}
    assert found["subtotal"].op == "product" and set(found["subtotal"].terms) == {"qty", "price"}
    assert found["total"].op == "sum"
    assert set(found["total"].terms) == {"subtotal", "tax", "freight"}
    # a computed column is a term of another: computed first
    order = [r.column for r in table_relations("orders", df, _meta(df), {"order_id"})]
    assert order == ["subtotal", "total"]


def test_a_relation_needs_rows_where_every_term_matters():
    rng = np.random.default_rng(1)
    a = np.round(rng.gamma(4.0, 10.0, 200), 2)
    b = np.where(np.arange(200) < 10, rng.integers(1, 5, 200), 0).astype(float)  # 10 non-zero
    df = pd.DataFrame({"a": a, "b": b, "c": a + b})
    assert table_relations("t", df, _meta(df), set()) == []
    df = pd.DataFrame({"a": a, "b": b + 1, "c": a + b + 1})
    (rel,) = table_relations("t", df, _meta(df), set())
    assert rel.column == "c" and rel.label() == "c = a + b"


def test_terms_that_would_pile_the_total_onto_a_few_values_leave_it_modeled():
    """Jaffle Shop's shape: subtotals of a few menu sums, tax at one of three rates; the
    total of a subtotal and a tax paired otherwise than the data pairs them takes values
    the data never has, on many rows: the total stays modeled."""
    rng = np.random.default_rng(4)
    subtotal = rng.choice([500, 600, 1000, 1200], 2000).astype(float)
    tax = np.round(subtotal * rng.choice([0.04, 0.06, 0.08], 2000))
    df = pd.DataFrame({"subtotal": subtotal, "tax": tax, "total": subtotal + tax})
    assert table_relations("orders", df, _meta(df), set()) == []


def test_a_column_read_by_another_mechanism_is_never_computed():
    df = _orders(100, np.random.default_rng(2))
    found = table_relations("orders", df, _meta(df), {"order_id", "total"})
    assert "total" not in {r.column for r in found}


def test_sampled_orders_add_up(tmp_path):
    data = tmp_path / "data"
    data.mkdir()
    rng = np.random.default_rng(3)
    orders = _orders(400, rng)
    orders["customer_id"] = rng.integers(1, 41, 400)
    orders.to_csv(data / "orders.csv", index=False)
    pd.DataFrame({"customer_id": np.arange(1, 41), "age": rng.integers(18, 80, 40)}).to_csv(
        data / "customers.csv", index=False
    )
    out = tmp_path / "out"
    outcome = run_fit_sample(UserSource(data, seed=0), out, ["parquet"], "hma", scale=1.5)
    s = outcome.sampled.tables["orders"]
    assert np.allclose(s["subtotal"], s["qty"] * s["price"], atol=0.005)
    assert np.allclose(s["total"], s["subtotal"] + s["tax"] + s["freight"], atol=0.005)
    assert (s["total"].round(2) == s["total"]).all()  # in the data's cents
    written = pd.read_parquet(out / "data" / "orders.parquet")
    assert np.allclose(written["total"], written[["subtotal", "tax", "freight"]].sum(axis=1))
    assert "total = " in (out / "metadata" / "generation_lineage.yaml").read_text()


@pytest.mark.parametrize("switch", ["arithmetic", "calendar", "lookups", "anchors", "repeats"])
def test_a_switch_takes_true_or_false_only(switch):
    assert SYNTHESIZERS.get("hma")(**{switch: False}).params()["params"][switch] is False
    with pytest.raises(ValueError, match=f"{switch} must be true or false, got 'maybe'"):
        SYNTHESIZERS.get("hma")(**{switch: "maybe"})
