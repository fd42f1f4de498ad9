"""DataFrames in memory, as SDV's ``synthesizer.fit(data)`` takes them: ``sg.read(dict)``,
``sg.fit(dict, metadata=...)``, ``sg.compare(reference=dict, ...)``.

Before, ``sg.fit({"customers": df, ...})`` raised pathlib's "expected str, bytes or
os.PathLike object, not dict": a notebook user who knows SDV had to write files first.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from sdv.metadata import Metadata

import synthgen_sdv as sg
from synthgen_sdv.core.errors import InputError

N = 120


@pytest.fixture(scope="module")
def frames() -> dict[str, pd.DataFrame]:
    rng = np.random.default_rng(3)
    customers = pd.DataFrame(
        {
            "customer_id": np.arange(1, N + 1),
            "segment": pd.Categorical(rng.choice(["a", "b", "c"], N)),
            "age": pd.array(rng.integers(18, 90, N), dtype="Int64"),
            "joined": pd.date_range("2020-01-01", periods=N, freq="D", tz="Europe/Paris"),
            "vip": pd.array([True, False, None] * (N // 3), dtype="boolean"),
            "code": [i if i % 2 else f"c{i}" for i in range(N)],  # mixed types
        }
    )
    customers.loc[3, "age"] = pd.NA
    orders = pd.DataFrame(
        {
            "order_id": np.arange(1, 4 * N + 1),
            "customer_id": rng.integers(1, N + 1, 4 * N),
            "amount": rng.gamma(2.0, 10.0, 4 * N).astype("float32"),
        }
    )
    return {"customers": customers, "orders": orders}


def test_read_types_and_detects_keys_as_a_folder_would(frames):
    ds = sg.read(frames)
    md = ds.metadata_dict
    assert md["tables"]["customers"]["primary_key"] == "customer_id"
    assert [(r["child_table_name"], r["child_foreign_key"]) for r in md["relationships"]] == [
        ("orders", "customer_id")
    ]
    assert ds.types["customers"]["joined"] == "date"
    assert ds.tables["customers"]["age"].isna().sum() == 1
    assert "table 'customers': code: values of mixed types, read as text" in ds.notes
    assert not any("synthgen-frames-" in n for n in ds.notes)  # no temporary path leaks


def test_fit_sample_and_compare_dataframes(frames):
    model = sg.fit(frames, seed=1)
    out = model.sample(seed=2)
    assert len(out.tables["customers"]) == N and len(out.tables["orders"]) == 4 * N
    assert out.tables["orders"]["customer_id"].isin(out.tables["customers"]["customer_id"]).all()
    report = sg.compare(reference=sg.read(frames), candidates={"hma": out})
    assert 0.5 < report.score <= 1.0


def test_sdv_metadata_is_taken_as_given(frames):
    md = Metadata.load_from_dict(
        {
            "tables": {
                "customers": {
                    "primary_key": "customer_id",
                    "columns": {
                        "customer_id": {"sdtype": "id"},
                        "segment": {"sdtype": "categorical"},
                        "age": {"sdtype": "numerical"},
                        "joined": {"sdtype": "datetime"},
                        "vip": {"sdtype": "boolean"},
                        "code": {"sdtype": "categorical"},
                    },
                },
                "orders": {
                    "primary_key": "order_id",
                    "columns": {
                        "order_id": {"sdtype": "id"},
                        "customer_id": {"sdtype": "id"},
                        "amount": {"sdtype": "numerical"},
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
    )
    for given in (md, md.to_dict()):
        ds = sg.read(frames, metadata=given)
        assert ds.metadata_dict["relationships"][0]["child_table_name"] == "orders"
        assert ds.user.metadata_file is None  # nothing points at the temporary file


def test_bad_frames_are_input_errors_naming_the_table(frames):
    with pytest.raises(InputError, match="table 'customers': expected a pandas DataFrame"):
        sg.read({"customers": [1, 2, 3]})
    with pytest.raises(InputError, match="no tables given"):
        sg.read({})
    repeated = {"customers": frames["customers"].assign(customer_id=1)}
    with pytest.raises(InputError, match=r"tables\['customers'\], column customer_id"):
        sg.read(repeated)
    with pytest.raises(InputError, match="a Dataset has its own"):
        sg.fit(sg.read(frames), metadata={"tables": {}})
