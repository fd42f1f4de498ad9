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


def _find_repeats_before(tables: dict, metadata: dict) -> list:
    """``find_repeats`` as it was before each parent row's lookup was made once per
    relationship and pairs that cannot win skipped their kappa: the reference."""
    from synthgen_sdv.synth.repeats import (
        MAX_DISTINCT,
        MIN_AGREEMENT,
        MIN_KAPPA,
        MIN_OVERLAP,
        Repeat,
        _categories,
        _kappa,
    )

    found, used = [], set()
    for r in metadata.get("relationships", []):
        parent, child = r["parent_table_name"], r["child_table_name"]
        pk, fk = r["parent_primary_key"], r["child_foreign_key"]
        if parent == child or parent not in tables or child not in tables:
            continue
        pdf, cdf = tables[parent], tables[child]
        pcols = [c for c in _categories(metadata["tables"][parent]) if c in pdf]
        pcols = [c for c in pcols if 1 < pdf[c].nunique() <= MAX_DISTINCT * pdf[c].count()]
        ccols = [c for c in _categories(metadata["tables"][child]) if c in cdf]
        ccols = [c for c in ccols if cdf[c].nunique() > 1]
        if not pcols or pk not in pdf or fk not in cdf:
            continue
        for c in ccols:
            if (child, c) in used:
                continue
            best = None
            values = cdf[c].to_numpy(dtype=object)
            for p in pcols:
                theirs = Repeat(child, c, fk, parent, pk, p, 0.0).parent_values(cdf, pdf)
                known = pd.notna(values) & pd.notna(theirs)
                if not known.any():
                    continue
                agree = float((values[known] == theirs[known]).mean())
                if _kappa(values[known], theirs[known], agree) < MIN_KAPPA:
                    continue
                distinct = pd.unique(values[known])
                overlap = float(np.isin(distinct, pdf[p].dropna().unique()).mean())
                better = best is None or agree > best.agreement
                if agree >= MIN_AGREEMENT and overlap >= MIN_OVERLAP and better:
                    best = Repeat(child, c, fk, parent, pk, p, agree)
            if best is not None:
                found.append(best)
                used.add((child, c))
    return found


def _random_shop(seed: int, n_parents: int) -> tuple[dict, dict]:
    """A parent with several category columns (nulls, a categorical dtype, booleans, a
    duplicated key) and a child whose columns repeat them at various rates, with nulls and
    keys to no parent."""
    rng = np.random.default_rng(seed)
    codes = np.array(["a", "b", "c", "d", None], dtype=object)
    parent = pd.DataFrame(
        {
            "pid": np.arange(n_parents) % max(n_parents - 1, 1),  # one key twice
            "p1": rng.choice(codes, n_parents),
            "p2": pd.Categorical(rng.choice(["x", "y", "z"], n_parents)),
            "p3": rng.random(n_parents) < 0.5,
            "p4": rng.choice(codes[:4], n_parents),
        }
    )
    n = n_parents * 4
    owner = rng.integers(-1, n_parents + 1, n)  # -1 and n_parents: no parent
    pos = np.clip(owner, 0, n_parents - 1)
    child = pd.DataFrame(
        {
            "cid": np.arange(n),
            "pid": np.where(rng.random(n) < 0.05, np.nan, owner),
            "c1": np.where(rng.random(n) < rng.uniform(0.3, 1), parent["p1"].to_numpy()[pos], "d"),
            "c2": np.where(rng.random(n) < 0.7, parent["p2"].astype(str).to_numpy()[pos], "x"),
            "c3": np.where(rng.random(n) < 0.6, parent["p4"].to_numpy()[pos], None),
            "c4": rng.random(n) < 0.5,
        }
    )
    cat = {"sdtype": "categorical"}
    metadata = {
        "tables": {
            "p": {
                "columns": {
                    "pid": {"sdtype": "id"},
                    "p1": cat,
                    "p2": cat,
                    "p3": {"sdtype": "boolean"},
                    "p4": cat,
                }
            },
            "c": {
                "columns": {
                    "cid": {"sdtype": "id"},
                    "pid": {"sdtype": "id"},
                    "c1": cat,
                    "c2": cat,
                    "c3": cat,
                    "c4": {"sdtype": "boolean"},
                }
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
    return {"p": parent, "c": child}, metadata


def test_find_repeats_equals_the_per_pair_lookup():
    """The lookup made once per relationship, and pairs that cannot be chosen skipped before
    their kappa, find the same repeats with the same agreement (random shops, nulls, a
    duplicated parent key, keys to no parent, categoricals, booleans, one row)."""
    found_any = 0
    for seed in range(40):
        tables, metadata = _random_shop(seed, n_parents=[1, 2, 30, 200][seed % 4])
        expected = _find_repeats_before(tables, metadata)
        assert find_repeats(tables, metadata) == expected
        found_any += bool(expected)
    tables, metadata = _shop()
    assert find_repeats(tables, metadata) == _find_repeats_before(tables, metadata)
    assert found_any > 5
