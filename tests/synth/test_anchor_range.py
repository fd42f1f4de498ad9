"""``anchors``: a date rebuilt as anchor + offset stays inside its column's real range.

Sakila's ``rental.return_date`` came back 2.7% past the last real return (up to six months),
classicmodels' ``shippedDate`` 6.4% past the last shipment: the anchor near the end of its own
range plus a long offset. Clipping would pile them on the last date; they are drawn between
their anchor and the bound, or left empty where the anchor itself is past it (a rental after
the last return is not yet returned), those empty rows taking the place of sampled empty
rows whose anchor is in range."""

from __future__ import annotations

import numpy as np
import pandas as pd

from synthgen_sdv.synth.anchors import Anchor, Anchors, _in_range, _rebuilt

DAY = 86_400 * 10**9


def _anchor(nullable: bool) -> Anchor:
    # range days 10..100, 1% tails at days 11 and 99
    return Anchor(
        "t", "c", "a", dtype="datetime64[ns]", step=DAY,
        bounds=(10 * DAY, 100 * DAY, 11 * DAY, 99 * DAY), nullable=nullable,
    )  # fmt: skip


def test_past_the_end_is_drawn_between_the_anchor_and_the_end():
    rng = np.random.default_rng(0)
    anchor = np.full(4000, 95 * DAY)
    ns, empty = _in_range(anchor + 20 * DAY, anchor, np.ones(4000, bool), _anchor(True), rng)
    assert not empty.any()
    assert (ns >= anchor).all() and (ns <= 100 * DAY).all()
    days = pd.Series(ns // DAY).value_counts(normalize=True)
    assert days.max() < 0.3 and len(days) == 5  # spread over days 95..99, no pile on 100


def test_before_the_start_is_drawn_between_the_start_and_the_anchor():
    rng = np.random.default_rng(0)
    anchor = np.full(1000, 12 * DAY)
    ns, empty = _in_range(anchor - 30 * DAY, anchor, np.ones(1000, bool), _anchor(False), rng)
    assert not empty.any() and (ns >= 10 * DAY).all() and (ns <= anchor).all()


def test_an_anchor_past_the_end_empties_a_nullable_column_else_draws_in_the_tail():
    rng = np.random.default_rng(0)
    anchor = np.array([50, 120, 130, 60]) * DAY
    ns = anchor + DAY
    known = np.array([True, True, True, False])
    got, empty = _in_range(ns, anchor, known, _anchor(True), rng)
    assert empty.tolist() == [False, True, True, False]
    assert got[0] == 51 * DAY and got[3] == ns[3]  # in range or unknown: untouched
    got, empty = _in_range(ns, anchor, known, _anchor(False), rng)
    assert not empty.any()
    assert ((got[1:3] >= 99 * DAY) & (got[1:3] <= 100 * DAY)).all()


def test_the_column_keeps_its_sampled_share_of_empty_rows():
    """Three rows emptied (anchors past the end) give back three sampled empty rows."""
    rng = np.random.default_rng(1)
    start = pd.Timestamp(0)
    days = np.array([20, 30, 40, 50, 60, 110, 120, 130, 70, 80])
    anchor = pd.Series(start + pd.to_timedelta(days, unit="D"))
    offset = np.full(10, 2 * 86_400.0)
    offset[[1, 3, 4]] = np.nan  # sampled empty, anchors in range
    out = _rebuilt(anchor, offset, _anchor(True), rng)
    assert out.isna().sum() == 3
    assert out.isna().to_numpy()[[5, 6, 7]].all()  # the late rentals are the empty ones
    known = out.dropna()
    assert (known >= start + pd.Timedelta(days=10)).all()
    assert (known <= start + pd.Timedelta(days=100)).all()


def test_fit_learns_the_range_and_a_model_saved_before_rebuilds_as_it_did():
    rng = np.random.default_rng(2)
    n = 400
    rental = pd.Timestamp("2005-05-24") + pd.to_timedelta(rng.integers(0, 100, n), unit="D")
    back = rental + pd.to_timedelta(rng.integers(1, 10, n), unit="D")
    back = back.where(rental < pd.Timestamp("2005-08-20"))  # the last rentals not returned
    tables = {"rental": pd.DataFrame({"rental_date": rental, "return_date": back})}
    meta = {
        "tables": {
            "rental": {
                "columns": {
                    "rental_date": {"sdtype": "datetime"},
                    "return_date": {"sdtype": "datetime"},
                }
            }
        },
        "relationships": [],
    }
    anchors, model_tables, _ = Anchors.fit(tables, meta)
    (a,) = anchors.anchors
    assert (a.column, a.anchor, a.nullable) == ("return_date", "rental_date", True)
    assert a.bounds[:2] == (back.min().value, back.max().value)
    late = model_tables["rental"].copy()
    late["return_date"] = 60 * 86_400.0  # every return two months after its rental
    restored = anchors.restore({"rental": late}, seed=3)["rental"]["return_date"]
    assert restored.max() <= back.max() and restored.notna().any()
    a.bounds = None  # as unpickled from a model saved before the range was learned
    old = anchors.restore({"rental": late}, seed=3)["rental"]["return_date"]
    assert old.max() > back.max()
