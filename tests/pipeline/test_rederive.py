"""Re-derivation restores the config's exact identities on any sampled data."""

from __future__ import annotations

import numpy as np
import pandas as pd

from synthgen_sdv.generate.rederive import (
    count_columns,
    recomputed_columns,
    rederive,
    renumber_keys,
)
from synthgen_sdv.runs.config import load_project
from synthgen_sdv.schema.plan import resolve_plan
from tests.conftest import DEFAULT, TINY
from tests.generate.helpers import read


def test_recomputed_columns_of_the_default_schema():
    plan = resolve_plan(load_project(DEFAULT))
    assert set(recomputed_columns(plan, "transactions")) == {
        "unit_price",
        "discount",
        "amount",
        "sold_date",
    }
    assert set(recomputed_columns(plan, "orders")) == {"order_date_key", "discount", "order_total"}
    assert recomputed_columns(plan, "customers") == ["email"]
    assert count_columns(plan, "orders") == {"item_count": "transactions"}


def test_rederive_repairs_broken_identities(tiny_output):
    plan = resolve_plan(load_project(TINY))
    tables = {t: read(tiny_output, t) for t in plan.tables}
    broken = dict(tables)
    broken["lines"] = tables["lines"].assign(amount=-1.0, line_no=0)
    broken["orders"] = tables["orders"].assign(total=0.0)
    fixed = rederive(plan, broken, ["customers", "orders", "lines"])
    pd.testing.assert_series_equal(
        fixed["lines"]["amount"], tables["lines"]["amount"], check_dtype=False
    )
    assert (fixed["lines"]["line_no"] == tables["lines"]["line_no"]).all()
    assert np.allclose(fixed["orders"]["total"], tables["orders"]["total"])


def test_renumber_keys_carries_new_keys_into_children(tiny_output):
    plan = resolve_plan(load_project(TINY))
    tables = {t: read(tiny_output, t) for t in plan.tables}
    shuffled = dict(tables)
    shuffled["customers"] = tables["customers"].assign(
        customer_id=tables["customers"]["customer_id"] * 7 + 1000
    )
    shuffled["orders"] = tables["orders"].assign(
        customer_id=tables["orders"]["customer_id"] * 7 + 1000
    )
    out = renumber_keys(plan, shuffled, ["customers", "orders"])
    assert list(out["customers"]["customer_id"]) == list(range(1, len(tables["customers"]) + 1))
    pd.testing.assert_series_equal(
        out["orders"]["customer_id"], tables["orders"]["customer_id"], check_dtype=False
    )
