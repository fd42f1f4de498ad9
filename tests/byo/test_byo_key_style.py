"""Sampled integer keys look like the data's: counted from the data's smallest key, in order,
at scale 1 as in batches, and through a model folder (no data needed); foreign keys follow."""

from __future__ import annotations

import warnings

import numpy as np
import pandas as pd

import synthgen_sdv as sg
from synthgen_sdv.runs.model_folder import run_sample


def _folder(tmp_path):
    rng = np.random.default_rng(0)
    data = tmp_path / "data"
    data.mkdir()
    staff = pd.DataFrame({"staff_id": np.arange(1, 9), "grade": rng.integers(1, 5, 8)})
    orders = pd.DataFrame(
        {
            "order_id": np.arange(10248, 10248 + 300),
            "staff_id": rng.integers(1, 9, 300),
            "amount": np.round(rng.gamma(2.0, 40.0, 300), 2),
        }
    )
    staff.to_csv(data / "staff.csv", index=False)
    orders.to_csv(data / "orders.csv", index=False)
    return data


def test_integer_keys_start_at_the_data_s_first_key_and_count_up(tmp_path):
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        model = sg.fit(sg.read(_folder(tmp_path)), synthesizer="hma")
        one = model.sample(seed=1)
    staff, orders = one.tables["staff"], one.tables["orders"]
    assert staff["staff_id"].tolist() == list(range(1, len(staff) + 1))
    assert orders["order_id"].tolist() == list(range(10248, 10248 + len(orders)))
    assert set(orders["staff_id"]) <= set(staff["staff_id"])
    out = tmp_path / "out"
    model.save(tmp_path / "M")
    run_sample(tmp_path / "M", out, ["csv"], scale=2.0, seed=1)
    again = pd.read_csv(out / "data" / "orders.csv")
    assert again["order_id"].min() == 10248 and again["order_id"].is_unique
    assert again["order_id"].max() == 10248 + len(again) - 1
