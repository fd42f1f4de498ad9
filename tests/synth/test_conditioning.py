"""A child's numbers conditioned on its parents' columns (``synth.conditioning``): found on the
data, restored on the sampled tables by real hma without changing a column's values."""

from __future__ import annotations

import warnings

import numpy as np
import pandas as pd
import pytest

from synthgen_sdv.synth import SYNTHESIZERS
from synthgen_sdv.synth.conditioning import Conditioning, normal_scores


def _shop(seed: int = 0) -> tuple[dict, dict]:
    """customers -> orders -> lines <- products: a line's price is its product's (+-5%), and
    lines are sampled under orders, so HMA assigns the product key after drawing the price."""
    rng = np.random.default_rng(seed)
    n_products, n_customers = 60, 80
    family = rng.choice(["tea", "cheese", "wine"], n_products)
    price = np.round(rng.lognormal(3.0, 0.8, n_products), 2)
    products = pd.DataFrame(
        {
            "product_id": np.arange(n_products),
            "name": [f"product {i}" for i in range(n_products)],  # unique: never a feature
            "family": family,
            "price": price,
        }
    )
    customers = pd.DataFrame(
        {"customer_id": np.arange(n_customers), "credit": rng.gamma(2, 50, n_customers).round(1)}
    )
    orders = pd.DataFrame(
        {
            "order_id": np.arange(300),
            "customer_id": rng.integers(0, n_customers, 300),
            "freight": rng.gamma(2.0, 20.0, 300).round(2),
        }
    )
    owner = rng.integers(0, 300, 900)
    product = rng.integers(0, n_products, 900)
    lines = pd.DataFrame(
        {
            "line_id": np.arange(900),
            "order_id": owner,
            "product_id": product,
            "unit_price": np.round(price[product] * rng.uniform(0.95, 1.05, 900), 2),
            "quantity": rng.integers(1, 30, 900),
        }
    )
    cols = {
        "customers": {"customer_id": "id", "credit": "numerical"},
        "orders": {"order_id": "id", "customer_id": "id", "freight": "numerical"},
        "products": {
            "product_id": "id",
            "name": "categorical",
            "family": "categorical",
            "price": "numerical",
        },
        "lines": {
            "line_id": "id",
            "order_id": "id",
            "product_id": "id",
            "unit_price": "numerical",
            "quantity": "numerical",
        },
    }
    pks = {"customers": "customer_id", "orders": "order_id", "products": "product_id"}
    pks["lines"] = "line_id"
    metadata = {
        "tables": {
            t: {"primary_key": pks[t], "columns": {c: {"sdtype": s} for c, s in c_.items()}}
            for t, c_ in cols.items()
        },
        "relationships": [
            _rel("customers", "customer_id", "orders", "customer_id"),
            _rel("orders", "order_id", "lines", "order_id"),
            _rel("products", "product_id", "lines", "product_id"),
        ],
    }
    tables = {"customers": customers, "orders": orders, "products": products, "lines": lines}
    return tables, metadata


def _rel(parent: str, pk: str, child: str, fk: str) -> dict:
    return {
        "parent_table_name": parent,
        "parent_primary_key": pk,
        "child_table_name": child,
        "child_foreign_key": fk,
    }


def _price_correlation(t: dict) -> float:
    m = t["lines"].merge(t["products"], on="product_id").dropna(subset=["unit_price"])
    return float(np.corrcoef(m["unit_price"], m["price"])[0, 1])


def test_the_relation_is_found_on_the_other_parent_and_names_are_not_features():
    tables, metadata = _shop()
    found = {(c.table, c.column): c for c in Conditioning.fit(tables, metadata).columns}
    price = found[("lines", "unit_price")]
    assert price.rho > 0.95
    assert price.features[0].column == "price"
    assert all(f.column != "name" for c in found.values() for f in c.features)
    # quantity and freight are independent of every parent column: nothing to condition
    assert ("lines", "quantity") not in found
    assert ("orders", "freight") not in found


def test_columns_owned_by_another_mechanism_or_set_by_a_category_are_left_alone():
    tables, metadata = _shop()
    owned = Conditioning.fit(tables, metadata, exclude={("lines", "unit_price")})
    assert ("lines", "unit_price") not in {(c.table, c.column) for c in owned.columns}
    banded = dict(tables)
    price = tables["lines"]["unit_price"]
    banded["lines"] = tables["lines"].assign(band=pd.qcut(price, 4, labels=list("abcd")))
    metadata["tables"]["lines"]["columns"]["band"] = {"sdtype": "categorical"}
    cols = {(c.table, c.column) for c in Conditioning.fit(banded, metadata).columns}
    assert ("lines", "unit_price") not in cols  # re-ordering it would break unit_price x band


def test_a_reorder_that_breaks_its_table_more_than_it_mends_is_not_made():
    tables, metadata = _shop()
    lines = tables["lines"]
    for name, k in (("total", 2), ("tax", 3)):
        lines = lines.assign(**{name: lines["unit_price"] * k + 1})
        metadata["tables"]["lines"]["columns"][name] = {"sdtype": "numerical"}
    tables = {**tables, "lines": lines}
    (price,) = [c for c in Conditioning.fit(tables, metadata).columns if c.column == "unit_price"]
    assert price.partners["total"] > 0.99 and price.partners["tax"] > 0.99
    cond = Conditioning([price])
    # rows shuffled whole: the tie with total and tax holds, the one with the product is lost
    shuffled = lines.assign(product_id=np.random.default_rng(0).permutation(lines["product_id"]))
    out = cond.restore({**tables, "lines": shuffled})
    assert out["lines"].equals(shuffled) and not cond.last_applied
    # the same rows with total and tax unrelated already: the reorder mends without breaking
    loose = shuffled.assign(total=np.arange(len(lines)) % 7, tax=np.arange(len(lines)) % 5)
    cond.columns[0].partners = {"total": 0.0, "tax": 0.0}
    assert cond.restore({**tables, "lines": loose}) and cond.last_applied


def test_restore_reorders_values_toward_the_parent_and_keeps_them():
    tables, metadata = _shop()
    cond = Conditioning.fit(tables, metadata)
    rng = np.random.default_rng(1)
    sampled = dict(tables)
    lines = tables["lines"].copy()
    lines["unit_price"] = rng.permutation(lines["unit_price"].to_numpy())  # relation lost
    lines.loc[lines.index[:20], "unit_price"] = np.nan
    sampled["lines"] = lines
    assert abs(_price_correlation(sampled)) < 0.2
    out = cond.restore(sampled)
    assert _price_correlation(out) > 0.9
    after = out["lines"]["unit_price"]
    assert after.isna().sum() == 20 and after.iloc[:20].isna().all()  # nulls stay where they were
    assert np.array_equal(np.sort(after.dropna()), np.sort(lines["unit_price"].dropna()))
    assert out["lines"]["quantity"].equals(lines["quantity"])
    again = cond.restore(sampled)
    assert again["lines"].equals(out["lines"])  # no random draw: the same every time


def test_normal_scores_use_average_ranks_and_keep_nulls():
    z = normal_scores(np.array([1.0, 1.0, np.nan, 3.0]))
    assert np.isnan(z[2]) and z[0] == z[1] < z[3]


@pytest.mark.parametrize("seed", [3])
def test_hma_keeps_a_line_price_with_its_product(seed):
    tables, metadata = _shop()
    samples = {}
    for on in (False, True):
        model = SYNTHESIZERS.get("hma")(seed=seed, conditioning=on)
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            model.fit(tables, metadata)
            samples[on] = model.sample(1.0)
    off, on_ = _price_correlation(samples[False]), _price_correlation(samples[True])
    real = _price_correlation(tables)
    assert off < real - 0.15  # HMA alone loses part of it (this fails if that changes)
    assert on_ > real - 0.05
    # only the order of the values changed: same values, same other columns
    a, b = samples[False]["lines"], samples[True]["lines"]
    assert np.array_equal(np.sort(a["unit_price"]), np.sort(b["unit_price"]))
    assert a["quantity"].equals(b["quantity"])
    assert "lines.unit_price" in " ".join(model.params()["conditioned_columns"])


def _modes(seed: int = 0) -> tuple[dict, dict]:
    """The shop with each order's freight set by its shipping mode, not monotonically in any
    order of the modes' codes (rail is dear, air and sea cheap)."""
    tables, metadata = _shop(seed)
    rng = np.random.default_rng(seed + 1)
    orders = tables["orders"]
    mode = rng.choice(["air", "rail", "sea"], len(orders))
    base = np.where(mode == "rail", 100.0, 10.0)
    tables["orders"] = orders.assign(
        ship_mode=mode, freight=(base * rng.lognormal(0, 0.3, len(orders))).round(2)
    )
    metadata["tables"]["orders"]["columns"]["ship_mode"] = {"sdtype": "categorical"}
    return tables, metadata


def _rail_share(t: dict) -> float:
    """Share of the dearest quarter of freights that go by rail (1/3 if unrelated)."""
    o = t["orders"]
    top = o["freight"] >= o["freight"].quantile(0.75)
    return float((o.loc[top, "ship_mode"] == "rail").mean())


def test_rows_mode_conditions_a_number_on_its_own_rows_category():
    tables, metadata = _modes()
    parents = {(c.table, c.column) for c in Conditioning.fit(tables, metadata).columns}
    rows = {(c.table, c.column): c for c in Conditioning.fit(tables, metadata, rows=True).columns}
    assert ("orders", "freight") not in parents
    freight = rows[("orders", "freight")]
    assert freight.features[0].fk is None and freight.features[0].column == "ship_mode"
    sampled = {
        **tables,
        "orders": tables["orders"].assign(
            ship_mode=tables["orders"]["ship_mode"].sample(frac=1, random_state=0).to_numpy()
        ),
    }
    assert _rail_share(sampled) < 0.6
    assert _rail_share(Conditioning([freight]).restore(sampled)) > 0.9


def test_hma_rows_mode_keeps_a_non_monotone_category_relation():
    tables, metadata = _modes()
    shares = {}
    for mode in ("off", "rows"):
        model = SYNTHESIZERS.get("hma")(seed=4, conditioning=mode)
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            model.fit(tables, metadata)
            shares[mode] = _rail_share(model.sample(1.0))
    assert _rail_share(tables) > 0.95
    assert shares["rows"] > shares["off"] + 0.1
    assert shares["rows"] > 0.85


def test_restore_keeps_dtypes_of_nullable_integers_and_dates():
    tables, metadata = _shop()
    lines = tables["lines"]
    price = lines["unit_price"]
    lines = lines.assign(
        cents=(price * 100).round().astype("Int64"),
        listed=pd.Timestamp("2020-01-01", tz="UTC") + pd.to_timedelta(price * 3600, unit="s"),
        empty=np.nan,
    )
    lines.loc[lines.index[:5], "cents"] = pd.NA
    for name, sdtype in (("cents", "numerical"), ("listed", "datetime"), ("empty", "numerical")):
        metadata["tables"]["lines"]["columns"][name] = {"sdtype": sdtype}
    cond = Conditioning.fit({**tables, "lines": lines}, metadata)
    fitted = {c.column for c in cond.columns if c.table == "lines"}
    assert "empty" not in fitted
    cond.columns = [c for c in cond.columns if c.column in ("cents", "listed")]
    for c in cond.columns:
        c.partners = {}  # each alone: the others are shuffled below
    assert {c.column for c in cond.columns} == {"cents", "listed"}
    rng = np.random.default_rng(3)
    shuffled = lines.assign(
        cents=lines["cents"].sample(frac=1, random_state=1).array,
        listed=lines["listed"].to_numpy()[rng.permutation(len(lines))],
    )
    out = cond.restore({**tables, "lines": shuffled})["lines"]
    assert out["cents"].dtype == "Int64" and out["cents"].isna().sum() == 5
    assert str(out["listed"].dtype) == str(lines["listed"].dtype)
    m = out.merge(tables["products"], on="product_id")
    assert (
        np.corrcoef(m["cents"].astype(float).fillna(m["cents"].astype(float).mean()), m["price"])[
            0, 1
        ]
        > 0.9
    )
    assert np.array_equal(np.sort(out["listed"].to_numpy()), np.sort(lines["listed"].to_numpy()))


def test_a_table_wider_than_the_cap_is_left_to_hma():
    from synthgen_sdv.synth.conditioning import MAX_COLUMNS

    tables, metadata = _shop()
    lines = tables["lines"]
    extra = {f"x{i}": np.arange(len(lines)) % (i + 2) for i in range(MAX_COLUMNS)}
    wide = pd.concat([lines, pd.DataFrame(extra, index=lines.index)], axis=1)
    for name in extra:
        metadata["tables"]["lines"]["columns"][name] = {"sdtype": "numerical"}
    found = Conditioning.fit({**tables, "lines": wide}, metadata).columns
    assert not [c for c in found if c.table == "lines"]


def test_a_category_without_effect_is_not_a_feature_despite_its_leave_one_out_leak():
    # two groups of the same spread (alternate ranks): the leave-one-out mean is the group's
    # mean minus z / (n - 1), which correlates about -1 with z and would read as an effect
    tables, metadata = _shop()
    orders = tables["orders"]
    rank = orders["freight"].rank(method="first").astype(int)
    tables["orders"] = orders.assign(flag=np.where(rank % 2 == 0, "a", "b"))
    metadata["tables"]["orders"]["columns"]["flag"] = {"sdtype": "categorical"}
    found = {(c.table, c.column) for c in Conditioning.fit(tables, metadata, rows=True).columns}
    assert ("orders", "freight") not in found
