"""The 'mostly' synthesizer (MOSTLY AI engine): registration, missing extra, keys, a real fit."""

from __future__ import annotations

import json
import subprocess
import sys
import warnings

import numpy as np
import pandas as pd
import pytest

from synthgen_sdv.core.errors import MissingExtraError
from synthgen_sdv.synth import SYNTHESIZERS
from synthgen_sdv.synth.mostly import MostlyTables

MODELED = ["customers", "orders", "transactions"]


def test_registered_without_importing_mostlyai():
    code = (
        "import sys, synthgen_sdv.synth as s; "
        "assert 'mostly' in s.SYNTHESIZERS; "
        "assert not any(m == 'mostlyai' or m.startswith('mostlyai.') for m in sys.modules)"
    )
    subprocess.run([sys.executable, "-c", code], check=True)


def test_fit_without_the_extra_says_how_to_install(tiny, monkeypatch):
    # None in sys.modules is how Python marks a package as not importable: this is the shared
    # venv's situation (no mostlyai), reproduced where it is installed too
    monkeypatch.setitem(sys.modules, "mostlyai", None)
    tables, md = tiny
    with pytest.raises(MissingExtraError) as err:
        SYNTHESIZERS.get("mostly")(seed=0).fit(tables, md, modeled=MODELED)
    msg = str(err.value)
    assert "'mostly' synthesizer" in msg and "'mostlyai'" in msg
    assert "pip install -c constraints.txt -e '.[mostly]'" in msg


def _fitted_state() -> MostlyTables:
    """A synthesizer in the state fit leaves (what _sample needs besides the generator)."""
    synth = MostlyTables(seed=0)
    synth.order = ["customers", "orders", "transactions"]
    synth.primary_keys = {"customers": "cid", "orders": "oid", "transactions": "tid"}
    synth.links = [
        {"child": "orders", "column": "cid", "parent": "customers", "parent_key": "cid",
         "context": True},
        {"child": "transactions", "column": "oid", "parent": "orders", "parent_key": "oid",
         "context": True},
    ]  # fmt: skip
    synth.dtypes = {
        "customers": {"cid": "int64", "segment": "object", "since": "datetime64[ns]"},
        "orders": {"oid": "object", "cid": "int64", "total": "float64"},
        "transactions": {"tid": "int64", "oid": "object", "qty": "int64"},
    }
    synth.columns = {t: list(d) for t, d in synth.dtypes.items()}
    return synth


def test_string_keys_come_back_as_our_key_types_and_links_hold():
    # what MOSTLY AI delivers: every key as text, numbers as nullable / arrow types
    raw = {
        "customers": pd.DataFrame(
            {
                "segment": pd.array(["a", "b", "a"], dtype="string"),
                "cid": pd.array(["mostly-7", "mostly-2", "mostly-9"], dtype="string"),
                "since": ["2021-01-02", "2022-03-04", "2020-05-06"],
            }
        ),
        "orders": pd.DataFrame(
            {
                "oid": pd.array(["o-1", "o-2", "o-3", "o-4"], dtype="string"),
                "cid": pd.array(["mostly-9", "mostly-9", "mostly-7", "mostly-2"], dtype="string"),
                "total": pd.array([1.5, 2.0, 3.25, 4.0], dtype="Float64"),
            }
        ),
        "transactions": pd.DataFrame(
            {
                "tid": pd.array(["t-1", "t-2", "t-3"], dtype="string"),
                "oid": pd.array(["o-4", "o-1", "o-1"], dtype="string"),
                "qty": pd.array([1, 2, 3], dtype="Int64"),
            }
        ),
    }
    out = _fitted_state()._restore_keys_and_types(raw)
    for table, dtypes in _fitted_state().dtypes.items():
        assert list(out[table].columns) == list(dtypes)  # fitted order
        assert {c: str(d) for c, d in out[table].dtypes.items()} == dtypes
    assert out["customers"]["cid"].tolist() == [1, 2, 3]  # integer keys renumbered
    assert out["orders"]["cid"].tolist() == [3, 3, 1, 2]  # children follow their parent
    assert out["orders"]["oid"].tolist() == ["o-1", "o-2", "o-3", "o-4"]  # text keys kept
    assert out["transactions"]["oid"].tolist() == ["o-4", "o-1", "o-1"]
    assert out["customers"]["since"].iloc[0] == pd.Timestamp("2021-01-02")


@pytest.mark.slow
def test_real_fit_and_sample_with_mostlyai(tiny, dangling, tmp_path):
    pytest.importorskip("mostlyai.sdk")
    tables, md = tiny
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        synth = SYNTHESIZERS.get("mostly")(seed=3, max_training_minutes=0.2, max_epochs=3)
        synth.fit(tables, md, modeled=MODELED)
        out = synth.sample(1.5)
    assert len(out["customers"]) == round(1.5 * len(tables["customers"]))
    for table in MODELED:
        assert list(out[table].columns) == list(tables[table].columns)
        assert dict(out[table].dtypes) == dict(tables[table].dtypes)
        assert out[table][md.tables[table].primary_key].is_unique
    assert len(out["orders"]) > 0 and len(out["transactions"]) > 0
    assert dangling(out, tables, md.to_dict()) == 0  # incl. product_id re-attached
    seen = set(tables["customers"]["segment"])
    assert set(out["customers"]["segment"].dropna()) <= seen  # no _RARE_ tokens
    assert np.isfinite(out["transactions"]["price"]).all()
    params = synth.params()
    assert params["name"] == "mostly" and params["params"]["max_epochs"] == 3
    json.dumps(params, default=str)
    # the model file carries the generator: a loaded copy samples on its own, and sampling is
    # a function of (fitted model, seed, scale)
    synth.save(tmp_path / "model.pkl")
    again = MostlyTables.load(tmp_path / "model.pkl").sample(1.0)
    assert len(again["customers"]) == len(tables["customers"])
    assert dangling(again, tables, md.to_dict()) == 0
    first = synth.sample(1.0)
    for table in MODELED:
        pd.testing.assert_frame_equal(again[table], first[table])
