"""Rule ``dates`` (synth.treatment): dates that repeat keep their per-date shares where a few
parents hold most children (WideWorldImporters' purchase order lines under their stock items:
20 of 227 items hold 97% of the lines; HMA gave the many-line draws the one-line items' first
day, 10.5% of the lines on it against 1.1%)."""

from __future__ import annotations

import warnings

import numpy as np
import pandas as pd
from scipy.stats import ks_2samp

from synthgen_sdv.evaluate.metrics.artifacts import value_share_excess
from synthgen_sdv.synth import SYNTHESIZERS
from synthgen_sdv.synth.marginals import _as_numbers
from synthgen_sdv.synth.treatment import DEFAULT_RULES, choose_treatments


def _few_parents_hold_most(singles: int = 200) -> tuple[dict, dict]:
    """``singles`` items with one line on the first day, 20 items with ~400 lines over 1,000
    days."""
    rng = np.random.default_rng(0)
    counts = np.concatenate([np.ones(singles, int), rng.integers(350, 450, 20)])
    items = singles + 20
    owner = np.repeat(np.arange(items), counts)
    big = owner >= singles
    days = np.where(big, rng.integers(0, 1000, len(owner)), 0)
    tables = {
        "items": pd.DataFrame(
            {"item_id": np.arange(items), "price": rng.gamma(2, 10, items).round(2)}
        ),
        "lines": pd.DataFrame(
            {
                "line_id": np.arange(len(owner)),
                "item_id": owner,
                "edited": pd.Timestamp("2013-01-02") + pd.to_timedelta(days, "D"),
            }
        ),
    }
    metadata = {
        "tables": {
            "items": {
                "primary_key": "item_id",
                "columns": {"item_id": {"sdtype": "id"}, "price": {"sdtype": "numerical"}},
            },
            "lines": {
                "primary_key": "line_id",
                "columns": {
                    "line_id": {"sdtype": "id"},
                    "item_id": {"sdtype": "id"},
                    "edited": {"sdtype": "datetime", "datetime_format": "%Y-%m-%d"},
                },
            },
        },
        "relationships": [
            {
                "parent_table_name": "items",
                "child_table_name": "lines",
                "parent_primary_key": "item_id",
                "child_foreign_key": "item_id",
            }
        ],
    }
    return tables, metadata


def _shift_and_check(rules) -> tuple[float, bool]:
    """KS distance of the sampled lines' dates from the real ones, and whether every date
    keeps its share (the comparison report's per-column check)."""
    tables, metadata = _few_parents_hold_most()
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        out = SYNTHESIZERS.get("hma")(seed=3, rules=rules).fit(tables, metadata).sample(1.0)
    real, synthetic = tables["lines"]["edited"], pd.to_datetime(out["lines"]["edited"])
    distance = ks_2samp(real.astype("int64"), synthetic.astype("int64")).statistic
    return float(distance), value_share_excess(real, synthetic, noise_z=0).ok


def test_repeated_dates_are_given_the_rule():
    tables, metadata = _few_parents_hold_most()
    chosen = choose_treatments(tables, metadata)
    assert any(
        t.column == "edited" and t.treatment == "shares" and "dates over" in t.reason
        for t in chosen
    )
    without = choose_treatments(tables, metadata, [r for r in DEFAULT_RULES if r != "dates"])
    assert not any(t.column == "edited" and t.treatment == "shares" for t in without)


def test_repeated_dates_keep_their_shares_where_few_parents_hold_most_children():
    before, _ = _shift_and_check([r for r in DEFAULT_RULES if r != "dates"])
    assert before > 0.2  # the scenario's lines move to the one-line items' first day
    after, ok = _shift_and_check(DEFAULT_RULES)
    assert after < 0.02 and ok


def test_dates_rank_as_their_instants_whatever_their_form():
    stamps = pd.Series(pd.to_datetime(["2020-01-02", "2019-12-31 23:00", None], format="mixed"))
    text = pd.Series(["2020-01-02", "2019-12-31 23:00:00", None])
    for values in (stamps, text, stamps.dt.tz_localize("UTC")):
        numbers = _as_numbers(values)
        assert numbers.iloc[1] < numbers.iloc[0] and np.isnan(numbers.iloc[2])
    assert _as_numbers(pd.Series(["3", "1.5"])).tolist() == [3.0, 1.5]
