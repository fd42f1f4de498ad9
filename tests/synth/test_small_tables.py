"""Small tables resampled from their rows (``small_tables``, ``fast_copula.resample_rows``):
exact frequencies, a lookup table's rows and its children's parameters kept together, larger
tables still drawn from the copula, and the same seed giving the same sample."""

from __future__ import annotations

import warnings

import numpy as np
import pandas as pd
import pytest

from synthgen_sdv.synth import SYNTHESIZERS
from synthgen_sdv.synth.copies import resample_rows

NAMES = ["Beverages", "Condiments", "Confections", "Dairy", "Grains", "Meat", "Produce", "Sea"]


def _shop(n_products: int = 400, seed: int = 0) -> tuple[dict, dict]:
    """8 categories (name, description, markup) -> products whose price depends on the
    category in no monotone way of its label."""
    rng = np.random.default_rng(seed)
    level = np.array([5.0, 80.0, 20.0, 60.0, 10.0, 100.0, 40.0, 30.0])
    categories = pd.DataFrame(
        {
            "category_id": np.arange(8),
            "category_name": NAMES,
            "description": [f"all about {n.lower()}" for n in NAMES],
            "markup": rng.uniform(0.1, 0.9, 8).round(3),
        }
    )
    cat = rng.integers(0, 8, n_products)
    products = pd.DataFrame(
        {
            "product_id": np.arange(n_products),
            "category_id": cat,
            "price": (level[cat] * rng.lognormal(0, 0.1, n_products)).round(2),
            "stock": rng.integers(0, 100, n_products),
        }
    )
    metadata = {
        "tables": {
            "categories": {
                "primary_key": "category_id",
                "columns": {
                    "category_id": {"sdtype": "id"},
                    "category_name": {"sdtype": "categorical"},
                    "description": {"sdtype": "categorical"},
                    "markup": {"sdtype": "numerical"},
                },
            },
            "products": {
                "primary_key": "product_id",
                "columns": {
                    "product_id": {"sdtype": "id"},
                    "category_id": {"sdtype": "id"},
                    "price": {"sdtype": "numerical"},
                    "stock": {"sdtype": "numerical"},
                },
            },
        },
        "relationships": [
            {
                "parent_table_name": "categories",
                "parent_primary_key": "category_id",
                "child_table_name": "products",
                "child_foreign_key": "category_id",
            }
        ],
    }
    return {"categories": categories, "products": products}, metadata


def _sample(tables, metadata, seed=3, **params):
    model = SYNTHESIZERS.get("hma")(seed=seed, **params)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        model.fit(tables, metadata)
        return model.sample(1.0)


def _rows(df: pd.DataFrame) -> set[tuple]:
    return set(df[["category_name", "description", "markup"]].itertuples(index=False))


def _price_gap(real: dict, syn: dict) -> float:
    """Mean absolute difference of the per-category-name mean price, relative to the mean."""

    def by_name(d):
        m = d["products"].merge(d["categories"], on="category_id")
        return m.groupby("category_name")["price"].mean()

    r, s = by_name(real), by_name(syn).reindex(NAMES)
    return float((r - s).abs().mean() / r.mean())


def test_resample_rows_keeps_every_row_frequency_exact():
    np.random.seed(0)
    idx = resample_rows(8, 8)
    assert sorted(idx) == list(range(8))  # scale 1: each row once
    counts = np.bincount(resample_rows(8, 20), minlength=8)
    assert counts.sum() == 20 and counts.min() == 2 and counts.max() == 3
    assert len(resample_rows(8, 3)) == 3 and len(set(resample_rows(8, 3))) == 3


def test_a_lookup_table_keeps_its_rows_and_its_childrens_parameters():
    tables, metadata = _shop()
    resampled = _sample(tables, metadata, small_tables=50)
    copula = _sample(tables, metadata, small_tables=0)
    # the 8 real (name, description, markup) rows, each once: nothing scrambled
    assert _rows(resampled["categories"]) == _rows(tables["categories"])
    assert len(resampled["categories"]) == 8
    # the copula of an 8-row table pairs names with other descriptions / markups
    assert not _rows(copula["categories"]) <= _rows(tables["categories"])
    # each name comes back with its own products' prices (its children's parameters)
    gap, copula_gap = _price_gap(tables, resampled), _price_gap(tables, copula)
    assert gap < 0.15, gap
    assert gap < copula_gap / 2, (gap, copula_gap)
    # every product points at a sampled category
    assert resampled["products"]["category_id"].isin(resampled["categories"]["category_id"]).all()


def test_tables_at_or_above_the_threshold_are_drawn_from_the_copula():
    tables, metadata = _shop()
    syn = _sample(tables, metadata, small_tables=8)  # 8 rows is not fewer than 8
    assert not _rows(syn["categories"]) <= _rows(tables["categories"])


@pytest.mark.parametrize("scale", [2.0])
def test_resampling_is_seeded_and_scales(scale):
    tables, metadata = _shop(200)
    model = SYNTHESIZERS.get("hma")(seed=5, small_tables=50)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        model.fit(tables, metadata)
        a, b = model.sample(scale), model.sample(scale)
    pd.testing.assert_frame_equal(a["categories"], b["categories"])
    pd.testing.assert_frame_equal(a["products"], b["products"])
    names = a["categories"]["category_name"].value_counts()
    assert len(a["categories"]) == 16 and (names == 2).all()


def _publishing(seed: int = 0) -> tuple[dict, dict]:
    """publishers (6) and stores (5) -> titles (18, under publishers) -> sales (30, under
    stores and titles) -> a large royalty ledger (600, under titles): small tables under
    small parents are copied, the ledger is sampled under the copies."""
    rng = np.random.default_rng(seed)
    publishers = pd.DataFrame(
        {
            "pub_id": np.arange(6),
            "pub_name": [f"press {i}" for i in range(6)],
            "city": list("ABCDEF"),
        }
    )
    stores = pd.DataFrame({"stor_id": np.arange(5), "stor_name": [f"shop {i}" for i in range(5)]})
    titles = pd.DataFrame(
        {
            "title_id": np.arange(18),
            "pub_id": rng.integers(0, 6, 18),
            "price": rng.uniform(5, 50, 18).round(2),
            "type": rng.choice(["business", "cooking", "psychology"], 18),
        }
    )
    sales = pd.DataFrame(
        {
            "sale_id": np.arange(30),
            "stor_id": rng.integers(0, 5, 30),
            "title_id": rng.integers(0, 18, 30),
            "qty": rng.integers(1, 50, 30),
        }
    )
    ledger_title = rng.integers(0, 18, 600)
    ledger = pd.DataFrame(
        {
            "entry_id": np.arange(600),
            "title_id": ledger_title,
            "amount": titles["price"].to_numpy()[ledger_title] * rng.uniform(0.9, 1.1, 600),
        }
    )
    tables = {
        "publishers": publishers,
        "stores": stores,
        "titles": titles,
        "sales": sales,
        "ledger": ledger,
    }

    def cols(df, pk, fks=(), cats=()):
        out = {pk: {"sdtype": "id"}, **{f: {"sdtype": "id"} for f in fks}}
        for c in df.columns:
            if c not in out:
                out[c] = {"sdtype": "categorical" if c in cats else "numerical"}
        return {"primary_key": pk, "columns": out}

    def rel(parent, pk, child, fk):
        return {
            "parent_table_name": parent,
            "parent_primary_key": pk,
            "child_table_name": child,
            "child_foreign_key": fk,
        }

    metadata = {
        "tables": {
            "publishers": cols(publishers, "pub_id", cats=("pub_name", "city")),
            "stores": cols(stores, "stor_id", cats=("stor_name",)),
            "titles": cols(titles, "title_id", ("pub_id",), ("type",)),
            "sales": cols(sales, "sale_id", ("stor_id", "title_id")),
            "ledger": cols(ledger, "entry_id", ("title_id",)),
        },
        "relationships": [
            rel("publishers", "pub_id", "titles", "pub_id"),
            rel("stores", "stor_id", "sales", "stor_id"),
            rel("titles", "title_id", "sales", "title_id"),
            rel("titles", "title_id", "ledger", "title_id"),
        ],
    }
    return tables, metadata


def _joined(t: dict) -> set[tuple]:
    """Each sale as (store name, title price, title type, publisher name, qty)."""
    m = (
        t["sales"]
        .merge(t["stores"], on="stor_id")
        .merge(t["titles"], on="title_id")
        .merge(t["publishers"], on="pub_id")
    )
    return set(m[["stor_name", "price", "type", "pub_name", "qty"]].itertuples(index=False))


def test_small_children_of_copied_parents_are_copied_under_every_key():
    tables, metadata = _publishing()
    syn = _sample(tables, metadata, small_tables=50)
    # every sale joins to its real store, title and publisher: the small subgraph is the real one
    assert _joined(syn) == _joined(tables)
    assert len(syn["sales"]) == 30 and len(syn["titles"]) == 18
    # the large ledger is sampled (not copied) under the copied titles, keys resolve, and each
    # title's ledger amounts follow its own price (the copied row's children's parameters)
    assert len(syn["ledger"]) == 600
    assert syn["ledger"]["title_id"].isin(syn["titles"]["title_id"]).all()
    assert not set(syn["ledger"]["amount"].round(6)) <= set(tables["ledger"]["amount"].round(6))
    m = syn["ledger"].merge(syn["titles"], on="title_id")
    assert np.corrcoef(m["amount"], m["price"])[0, 1] > 0.9
    without = _sample(tables, metadata, small_tables=0)
    assert _joined(without) != _joined(tables)


def test_the_lineage_names_the_copied_tables():
    tables, metadata = _publishing()
    model = SYNTHESIZERS.get("hma")(seed=0)  # the default copies tables under 50 rows
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        model.fit(tables, metadata)
    info = model.params()
    assert info["params"]["small_tables"] == 50
    assert info["copied_tables"] == ["publishers", "stores", "titles", "sales"]
    off = SYNTHESIZERS.get("hma")(seed=0, small_tables=0)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        off.fit(tables, metadata)
    assert "copied_tables" not in off.params()


@pytest.mark.parametrize("name", ["pubs", "clubdata"])
@pytest.mark.parametrize("scale", [1.0, 2.5])
def test_copies_skip_the_reverse_transform_and_sample_the_same(name, scale, monkeypatch, tmp_path):
    """``_copied_rows`` (the copied rows' keys made as SDV's reverse transform makes them,
    nothing else reverse transformed) against ``_finish_rows`` on every copied table of a
    real corpus database: the same sampled tables, and the fast one was taken."""
    import sys
    from pathlib import Path

    sys.path.insert(0, str(Path(__file__).resolve().parents[2] / "benchmarks"))
    import bench_realdb

    from synthgen_sdv.core.progress import QUIET
    from synthgen_sdv.runs.fit_sample import fit
    from synthgen_sdv.runs.from_user import UserSource
    from synthgen_sdv.runs.sample import sample
    from synthgen_sdv.synth.copies import SmallTableCopies

    taken = []
    fast = SmallTableCopies._copied_rows

    def counted(self, *args):
        out = fast(self, *args)
        taken.append(out is not None)
        return out

    def tables() -> dict:
        user = bench_realdb.load(name, "detected", tmp_path)
        source = UserSource(user=user, seed=0)
        fitted = fit(source, "hma", source.default_tables(), progress=QUIET)
        return sample(fitted, scale).tables

    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        monkeypatch.setattr(SmallTableCopies, "_copied_rows", counted)
        mine = tables()
        monkeypatch.setattr(SmallTableCopies, "_copied_rows", lambda self, *a: None)
        theirs = tables()
    assert taken and all(taken)
    assert mine.keys() == theirs.keys()
    for table in mine:
        pd.testing.assert_frame_equal(mine[table], theirs[table], check_exact=True)


def test_copied_tables_models_are_not_fitted_and_the_sample_is_the_same(monkeypatch):
    """A copied table is sampled from its rows: its copula is not fitted, and the sample is
    the one fitting every table's copula gives."""
    from synthgen_sdv.synth.fast_hma import FastHMASynthesizer

    tables, metadata = _shop()
    model = SYNTHESIZERS.get("hma")(seed=3, small_tables=50)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        model.fit(tables, metadata)
        skipped = model.sample(1.0)
    synthesizers = model.model._table_synthesizers
    assert synthesizers["categories"]._model is None
    assert synthesizers["products"]._model is not None

    def fit_every_table(self, augmented_data):
        for table_name, table in augmented_data.items():
            keys = self._pop_foreign_keys(table, table_name)
            self._clear_nans(table)
            self._keep_copy(table_name, table, keys)
            self._fit_table_model(table_name, table)
            for fk_column_name, fk_values in keys.items():
                table[fk_column_name] = fk_values

    monkeypatch.setattr(FastHMASynthesizer, "_model_tables", fit_every_table)
    everything = _sample(tables, metadata, seed=3, small_tables=50)
    for name in ("categories", "products"):
        pd.testing.assert_frame_equal(skipped[name], everything[name])


def test_a_table_no_longer_copied_is_fitted_after_all(monkeypatch):
    """A table skipped as copied that a later table's dropped rows un-copy gets its model."""
    from synthgen_sdv.synth.copies import SmallTableCopies

    keep = SmallTableCopies._keep_copy

    def then_uncopy(self, table, rows, foreign):
        keep(self, table, rows, foreign)
        if table == "products":  # as if a parent's rows had been dropped: nothing copied
            self._copied = []

    monkeypatch.setattr(SmallTableCopies, "_keep_copy", then_uncopy)
    tables, metadata = _shop()
    tables["products"] = tables["products"].head(30)  # both tables under 50 rows: copied
    model = SYNTHESIZERS.get("hma")(seed=3, small_tables=50)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        model.fit(tables, metadata)
        sampled = model.sample(1.0)
    assert model.model._unmodeled == {"categories", "products"}
    for synthesizer in model.model._table_synthesizers.values():
        assert synthesizer._model is not None
    assert len(sampled["categories"]) == 8
