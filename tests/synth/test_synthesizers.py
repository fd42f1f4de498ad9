"""Contract of every registered synthesizer, seeding, saved models, and the registry."""

from __future__ import annotations

import json
import warnings

import numpy as np
import pandas as pd
import pytest

from synthgen_sdv.core.errors import InputError
from synthgen_sdv.synth import SYNTHESIZERS, seeded
from synthgen_sdv.synth.store import MANIFEST_FILE, load_model, save_model
from tests.fixtures.demo import demo_metadata, demo_tables

MODELED = ["customers", "orders", "transactions"]


def _fit_sample(name, tables, md, seed, scale=1.0, **params):
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        synth = SYNTHESIZERS.get(name)(seed=seed, **params).fit(tables, md, modeled=MODELED)
        return synth, synth.sample(scale)


def test_registry_lists_the_synthesizers_and_suggests():
    assert {"hma", "hma_stock", "gaussian_copula"} <= set(SYNTHESIZERS)
    with pytest.raises(InputError, match="did you mean 'hma'"):
        SYNTHESIZERS.get("hmaa")


@pytest.mark.parametrize("name", ["hma", "gaussian_copula"])
def test_contract_valid_tables_at_a_scale(name, tiny, dangling):
    tables, md = tiny
    synth, out = _fit_sample(name, tables, md, seed=1, scale=2.0)
    assert set(out) == set(MODELED)
    assert len(out["customers"]) == 2 * len(tables["customers"])
    for table in MODELED:
        assert list(out[table].columns) == list(tables[table].columns)  # order restored
        pk = md.tables[table].primary_key
        assert out[table][pk].is_unique
    assert dangling(out, tables, md.to_dict()) == 0  # incl. product_id re-attached
    params = synth.params()
    assert params["name"] == name and params["seed"] == 1
    json.dumps(params, default=str)  # lineage-ready


@pytest.mark.slow
def test_stock_hma_behind_the_same_interface(dangling):
    tables, md = demo_tables(12, seed=5), demo_metadata()
    _, out = _fit_sample("hma_stock", tables, md, seed=0)
    assert dangling(out, tables, md.to_dict()) == 0
    assert len(out["orders"]) == len(tables["orders"])


@pytest.mark.slow
@pytest.mark.parametrize("name", ["hma", "gaussian_copula"])
def test_same_seed_same_tables_other_seed_differs(name, tiny):
    tables, md = tiny
    _, a = _fit_sample(name, tables, md, seed=11)
    _, b = _fit_sample(name, tables, md, seed=11)
    _, c = _fit_sample(name, tables, md, seed=12)
    for table in MODELED:
        pd.testing.assert_frame_equal(a[table], b[table])
    assert not a["transactions"].equals(c["transactions"])
    assert not a["customers"]["income"].equals(c["customers"]["income"])


def test_sample_is_a_function_of_model_seed_and_scale(fitted_hma):
    first = fitted_hma.sample(1.0)
    again = fitted_hma.sample(1.0)
    for table in MODELED:
        pd.testing.assert_frame_equal(first[table], again[table])
    # the seed of a draw is an argument: another seed, another draw; the fitting seed stays
    other, same = fitted_hma.sample(0.5, seed=99), fitted_hma.sample(0.5, seed=99)
    assert not other["customers"].equals(fitted_hma.sample(0.5)["customers"])
    for table in MODELED:
        pd.testing.assert_frame_equal(other[table], same[table])
    assert fitted_hma.seed == 7


def test_seeded_restores_global_rng_state():
    np.random.seed(123)
    expected = np.random.random()
    np.random.seed(123)
    with seeded(5):
        inside = np.random.random()
    assert np.random.random() == expected
    with seeded(5):
        assert np.random.random() == inside


def _save(synth, folder):
    rows = {t: 1 for t in synth.prepared.modeled}
    return save_model(synth, folder, fit_seed=synth.seed, rows=rows, source={"kind": "test"})


def test_save_load_same_samples_and_guards(fitted_hma, tmp_path):
    _save(fitted_hma, tmp_path / "m")
    loaded = load_model(tmp_path / "m").synthesizer
    a, b = fitted_hma.sample(1.0), loaded.sample(1.0)
    for table in MODELED:
        pd.testing.assert_frame_equal(a[table], b[table])
    manifest = json.loads((tmp_path / "m" / MANIFEST_FILE).read_text())
    assert manifest["synthesizer"]["name"] == "hma" and manifest["tables"] == MODELED
    assert {"sdv", "rdt", "sdmetrics", "python", "synthgen_sdv"} <= set(manifest["versions"])
    assert manifest["fit_seed"] == 7 and "model.pkl" in manifest["files"]

    manifest["versions"]["sdv"] = "1.38.0"
    (tmp_path / "m" / MANIFEST_FILE).write_text(json.dumps(manifest))
    with pytest.raises(InputError, match=r"sdv 1.38.0 \(saved\) != 1.37.4 \(installed\)"):
        load_model(tmp_path / "m")


def test_pickle_holds_no_training_rows(fitted_hma, tmp_path):
    _save(fitted_hma, tmp_path / "m")
    loaded = load_model(tmp_path / "m").synthesizer
    assert loaded.prepared.model_tables == {}


def test_unfitted_is_an_input_error():
    synth = SYNTHESIZERS.get("hma")(seed=0)
    with pytest.raises(InputError, match="not fitted"):
        synth.sample(1.0)


def test_bad_scale(fitted_hma):
    with pytest.raises(InputError, match="scale must be a number > 0"):
        fitted_hma.sample(0)


def test_progress_callback_sees_every_stage(tiny, tmp_path):
    tables, md = tiny
    seen = []
    synth = SYNTHESIZERS.get("gaussian_copula")(seed=0, progress=lambda s, t: seen.append((s, t)))
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        synth.fit(tables, md, modeled=MODELED).sample(1.0)
    stages = [s for s, t in seen if t is not None]
    assert stages[0].startswith("prepare") and stages[1].startswith("fit")
    assert any(s.startswith("sample") for s in stages)
    _save(synth, tmp_path / "m")  # the callback is not pickled
    assert load_model(tmp_path / "m").synthesizer.progress is None


def _awkward():
    """Nulls everywhere, orphan child rows, a keys-only child, a second root, a nullable key
    to an unmodeled lookup table, a boolean and a datetime with NaT."""
    from sdv.metadata import Metadata

    rng = np.random.default_rng(0)
    n, m = 30, 100
    p = pd.DataFrame(
        {
            "pid": np.arange(n),
            "flag": rng.random(n) < 0.3,
            "v": np.where(rng.random(n) < 0.2, np.nan, rng.normal(size=n)),
            "when": pd.to_datetime("2020-01-01") + pd.to_timedelta(rng.integers(0, 300, n), "D"),
        }
    )
    p.loc[3, "when"] = pd.NaT
    c = pd.DataFrame(
        {
            "cid": np.arange(m),
            "pid": rng.integers(0, n, m).astype(float),
            "cat": rng.choice(["a", "b", None], m),
            "w": rng.gamma(2, size=m),
            "lk": rng.integers(0, 5, m).astype(float),
        }
    )
    c.loc[:4, "pid"] = np.nan
    c.loc[7:9, "lk"] = np.nan
    tables = {
        "p": p,
        "c": c,
        "k": pd.DataFrame({"kid": np.arange(40), "pid": rng.integers(0, n, 40)}),
        "other": pd.DataFrame({"oid": np.arange(12), "x": rng.normal(size=12)}),
        "look": pd.DataFrame({"lid": np.arange(5), "name": list("vwxyz")}),
    }
    ident = {"sdtype": "id"}
    md = Metadata.load_from_dict(
        {
            "tables": {
                "p": {
                    "primary_key": "pid",
                    "columns": {
                        "pid": ident,
                        "flag": {"sdtype": "boolean"},
                        "v": {"sdtype": "numerical"},
                        "when": {"sdtype": "datetime", "datetime_format": "%Y-%m-%d"},
                    },
                },
                "c": {
                    "primary_key": "cid",
                    "columns": {
                        "cid": ident,
                        "pid": ident,
                        "cat": {"sdtype": "categorical"},
                        "w": {"sdtype": "numerical"},
                        "lk": ident,
                    },
                },
                "k": {"primary_key": "kid", "columns": {"kid": ident, "pid": ident}},
                "other": {
                    "primary_key": "oid",
                    "columns": {"oid": ident, "x": {"sdtype": "numerical"}},
                },
                "look": {
                    "primary_key": "lid",
                    "columns": {"lid": ident, "name": {"sdtype": "categorical"}},
                },
            },
            "relationships": [
                {
                    "parent_table_name": "p",
                    "parent_primary_key": "pid",
                    "child_table_name": "c",
                    "child_foreign_key": "pid",
                },
                {
                    "parent_table_name": "p",
                    "parent_primary_key": "pid",
                    "child_table_name": "k",
                    "child_foreign_key": "pid",
                },
                {
                    "parent_table_name": "look",
                    "parent_primary_key": "lid",
                    "child_table_name": "c",
                    "child_foreign_key": "lk",
                },
            ],
        }
    )
    return tables, md


@pytest.mark.parametrize("name", ["hma", "gaussian_copula"])
def test_nulls_orphans_keys_only_child_and_two_roots(name):
    tables, md = _awkward()
    modeled = ["p", "c", "k", "other"]
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        out = SYNTHESIZERS.get(name)(seed=0).fit(tables, md, modeled=modeled).sample(1.0)
        md.validate_data({**out, "look": tables["look"]})  # every key resolves
    assert set(out) == set(modeled) and len(out["other"]) == 12
    assert 0 < out["c"]["lk"].isna().mean() < 0.2  # nullable re-attached key keeps nulls
    assert out["c"]["pid"].isna().any()  # orphan rows stay orphans
    assert out["p"]["v"].isna().any() and out["c"]["cat"].isna().any()
