"""The sentence a report opens with: what was compared with what, at what sizes."""

from __future__ import annotations

from synthgen_sdv.evaluate.headline import headline, sizes

TABLES = ["customers", "orders", "transactions"]
TRAIN = {"customers": 800, "orders": 3210, "transactions": 12050, "products": 500}
HOLD = {"customers": 200, "orders": 790, "transactions": 3010, "products": 500}


def test_sizes_name_the_root_then_its_descendants():
    assert sizes(TRAIN, TABLES) == "800 customers (3,210 orders, 12,050 transactions)"
    assert sizes(TRAIN, ["customers"]) == "800 customers"
    assert sizes(HOLD, TABLES, "held-out").startswith("200 held-out customers (790 orders")


def test_trained_candidates_with_a_written_output():
    text = headline(
        TABLES,
        TRAIN,
        HOLD,
        HOLD,
        "the rule-based bootstrap",
        written={
            "rows": {"customers": 2000, "orders": 7900, "transactions": 30100},
            "fitted_rows": {"customers": 1000, "orders": 4000, "transactions": 15060},
        },
    )
    assert text == (
        "Each candidate was trained on 800 customers (3,210 orders, 12,050 transactions) of the "
        "rule-based bootstrap and scored against the 200 held-out customers (790 orders, 3,010 "
        "transactions), which no candidate saw; the written output, 2,000 customers (7,900 "
        "orders, 30,100 transactions), is scored in section 2 against the data it was fitted "
        "on, 1,000 customers (4,000 orders, 15,060 transactions)."
    )


def test_a_subsampled_holdout_and_candidates_made_elsewhere():
    scored = {"customers": 50, "orders": 190, "transactions": 700}
    text = headline(TABLES, TRAIN, HOLD, scored, "REF", trained_on_train=False)
    assert text == (
        "Each candidate was scored against 50 of the 200 held-out customers (with 190 orders, "
        "700 transactions) split from REF, with the other 800 customers (3,210 orders, 12,050 "
        "transactions) as the train ceiling."
    )
    given = headline(TABLES, TRAIN, HOLD, HOLD, "REF", trained_on_train=False, holdout_label="H")
    assert given.startswith("Each candidate was scored against the 200 held-out customers")
    assert given.endswith(
        "in H, with the 800 customers (3,210 orders, 12,050 transactions) of "
        "REF as the train ceiling."
    )
