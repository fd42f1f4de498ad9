"""A long chain of tables (hostile input): the column estimate saturates instead of growing to
numbers with billions of digits, and limit_columns cuts the chain into modelable pieces."""

from __future__ import annotations

from synthgen_sdv.detect.graph import (
    ESTIMATE_CAP,
    MODELABLE_COLUMNS,
    estimate_columns,
    limit_columns,
)
from synthgen_sdv.detect.links import Relationship
from synthgen_sdv.detect.names import Level


def _chain(n: int) -> tuple[dict, list[Relationship]]:
    tables = {
        f"t{i:02d}": {
            "primary_key": "id",
            "columns": {
                "id": {"sdtype": "id"},
                "up": {"sdtype": "id"},
                "v": {"sdtype": "numerical"},
            },
        }
        for i in range(n)
    }
    rels = [
        Relationship(f"t{i - 1:02d}", "id", f"t{i:02d}", "up", "", int(Level.SAME))
        for i in range(1, n)
    ]
    return {"tables": tables, "relationships": [r.as_sdv() for r in rels]}, rels


def test_the_estimate_of_a_deep_chain_saturates():
    md, _ = _chain(40)
    assert estimate_columns(md) == ESTIMATE_CAP  # 2**40 digits unbounded
    short, _ = _chain(3)
    assert estimate_columns(short) < MODELABLE_COLUMNS  # below the cap: the exact formula


def test_a_deep_chain_is_cut_into_modelable_pieces():
    md, rels = _chain(40)
    left = limit_columns(md, rels, MODELABLE_COLUMNS)
    cut = {lo.relationship.child for lo in left}
    kept = [r for r in md["relationships"] if r["child_table_name"] not in cut]
    assert estimate_columns({**md, "relationships": kept}) <= MODELABLE_COLUMNS
    # no cut more than needed: each one, put back, would break the limit
    for lo in left:
        back = [*kept, lo.relationship.as_sdv()]
        assert estimate_columns({**md, "relationships": back}) > MODELABLE_COLUMNS
    assert all("columns for these tables" in lo.reason for lo in left)
