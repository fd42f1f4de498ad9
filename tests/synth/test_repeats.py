"""A child's category column that repeats its parent's (``synth.repeats``): found on the data,
modeled as a "same as the parent" flag, and kept across the relationship by hma."""

from __future__ import annotations

import warnings

import numpy as np
import pandas as pd

from synthgen_sdv.synth import SYNTHESIZERS
from synthgen_sdv.synth.repeats import Repeats, find_repeats

COUNTRIES = ["USA", "Germany", "France", "Brazil", "UK", "Spain", "Mexico", "Italy", "Canada"]


def _shop(n_customers: int = 300, seed: int = 0, same: float = 0.85) -> tuple[dict, dict]:
    """customers (country) -> orders whose ship_country is the customer's ``same`` of the
    time, otherwise any country."""
    rng = np.random.default_rng(seed)
    weights = np.linspace(2, 0.5, len(COUNTRIES))
    country = rng.choice(COUNTRIES, n_customers, p=weights / weights.sum())
    customers = pd.DataFrame(
        {
            "customer_id": np.arange(n_customers),
            "country": country,
            "credit": rng.gamma(2.0, 100.0, n_customers).round(2),
        }
    )
    owner = rng.integers(0, n_customers, n_customers * 5)
    repeat = rng.random(len(owner)) < same
    ship = np.where(repeat, country[owner], rng.choice(COUNTRIES, len(owner)))
    orders = pd.DataFrame(
        {
            "order_id": np.arange(len(owner)),
            "customer_id": owner,
            "ship_country": ship,
            "freight": rng.gamma(2.0, 20.0, len(owner)).round(2),
        }
    )
    metadata = {
        "tables": {
            "customers": {
                "primary_key": "customer_id",
                "columns": {
                    "customer_id": {"sdtype": "id"},
                    "country": {"sdtype": "categorical"},
                    "credit": {"sdtype": "numerical"},
                },
            },
            "orders": {
                "primary_key": "order_id",
                "columns": {
                    "order_id": {"sdtype": "id"},
                    "customer_id": {"sdtype": "id"},
                    "ship_country": {"sdtype": "categorical"},
                    "freight": {"sdtype": "numerical"},
                },
            },
        },
        "relationships": [
            {
                "parent_table_name": "customers",
                "parent_primary_key": "customer_id",
                "child_table_name": "orders",
                "child_foreign_key": "customer_id",
            }
        ],
    }
    return {"customers": customers, "orders": orders}, metadata


def _same_country(t: dict) -> float:
    m = t["orders"].merge(t["customers"], on="customer_id")
    return float((m["ship_country"] == m["country"]).mean())


def test_the_repeated_column_is_found_with_its_share():
    tables, metadata = _shop()
    (found,) = find_repeats(tables, metadata)
    assert (found.table, found.column, found.parent, found.source) == (
        "orders",
        "ship_country",
        "customers",
        "country",
    )
    assert abs(found.agreement - _same_country(tables)) < 1e-9


def test_a_column_that_does_not_repeat_its_parent_is_left_alone():
    tables, metadata = _shop(same=0.0)  # ship countries independent of the customer's
    repeats, model_tables, model_meta = Repeats.fit(tables, metadata)
    assert repeats.repeats == [] and model_tables is tables and model_meta is metadata


def test_fit_adds_a_flag_and_restore_copies_the_parents_value_and_drops_it():
    tables, metadata = _shop()
    repeats, model_tables, model_meta = Repeats.fit(tables, metadata)
    flag = repeats.repeats[0].flag
    assert model_meta["tables"]["orders"]["columns"][flag] == {"sdtype": "categorical"}
    assert (model_tables["orders"][flag] == "y").mean() == _same_country(tables)
    # a sample whose flags say "y" everywhere comes back with every order in its customer's
    # country, whatever ship_country was drawn; the flag column is gone
    sampled = {k: v.copy() for k, v in model_tables.items()}
    sampled["orders"][flag] = "y"
    sampled["orders"]["ship_country"] = "Nowhere"
    restored = repeats.restore(sampled)
    assert flag not in restored["orders"]
    assert _same_country(restored) == 1.0


def test_a_null_parent_value_is_not_repeated_into_the_child():
    # the sampled parents may lack values the real parents of these rows always had (MIMIC's
    # D_ITEMS.UNITNAME, null for 44% of sampled items): the row keeps its own value
    tables, metadata = _shop()
    repeats, model_tables, _ = Repeats.fit(tables, metadata)
    flag = repeats.repeats[0].flag
    sampled = {k: v.copy() for k, v in model_tables.items()}
    sampled["orders"][flag] = "y"
    sampled["orders"]["ship_country"] = "Own"
    sampled["customers"]["country"] = sampled["customers"]["country"].astype(object)
    sampled["customers"].loc[sampled["customers"].index[::2], "country"] = None
    restored = repeats.restore(sampled)["orders"]
    assert restored["ship_country"].notna().all()
    parent_null = (
        restored["customer_id"].map(sampled["customers"].set_index("customer_id")["country"]).isna()
    )
    assert (restored.loc[parent_null, "ship_country"] == "Own").all()
    assert (restored.loc[~parent_null, "ship_country"] != "Own").all()


def test_hma_keeps_the_share_of_children_holding_their_parents_value():
    tables, metadata = _shop()
    real = _same_country(tables)  # about 0.86

    def share(repeats: bool) -> float:
        model = SYNTHESIZERS.get("hma")(seed=2, repeats=repeats)
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            model.fit(tables, metadata)
            sample = model.sample(1.0)
        assert set(sample["orders"].columns) == set(tables["orders"].columns)
        return _same_country(sample)

    kept, lost = share(True), share(False)
    model = SYNTHESIZERS.get("hma")(seed=2)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        model.fit(tables, metadata)
    assert model.params()["repeated_columns"][0]["repeats"] == "customers.country (via customer_id)"
    assert abs(kept - real) < 0.1, (kept, real)
    assert kept > lost + 0.3, (kept, lost)


def test_constant_columns_repeat_nothing():
    tables, metadata = _shop()
    tables["customers"]["flag"] = False
    tables["orders"]["online"] = False
    metadata["tables"]["customers"]["columns"]["flag"] = {"sdtype": "boolean"}
    metadata["tables"]["orders"]["columns"]["online"] = {"sdtype": "boolean"}
    assert [r.column for r in find_repeats(tables, metadata)] == ["ship_country"]


def test_names_unique_to_their_parent_are_not_repeated():
    tables, metadata = _shop()
    customers, orders = tables["customers"], tables["orders"]
    customers["company"] = [f"company {i}" for i in range(len(customers))]
    orders["ship_name"] = customers["company"].to_numpy()[orders["customer_id"].to_numpy()]
    metadata["tables"]["customers"]["columns"]["company"] = {"sdtype": "categorical"}
    metadata["tables"]["orders"]["columns"]["ship_name"] = {"sdtype": "categorical"}
    assert [r.column for r in find_repeats(tables, metadata)] == ["ship_country"]


def test_codes_that_match_by_chance_repeat_nothing():
    tables, metadata = _shop()
    rng = np.random.default_rng(3)
    # two columns of mostly-zero codes: they agree in most rows, but no more than chance
    tables["customers"]["tier"] = rng.choice(["0", "1"], len(tables["customers"]), p=[0.8, 0.2])
    tables["orders"]["level"] = rng.choice(["0", "1"], len(tables["orders"]), p=[0.8, 0.2])
    metadata["tables"]["customers"]["columns"]["tier"] = {"sdtype": "categorical"}
    metadata["tables"]["orders"]["columns"]["level"] = {"sdtype": "categorical"}
    assert [r.column for r in find_repeats(tables, metadata)] == ["ship_country"]
