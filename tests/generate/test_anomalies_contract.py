"""Contract tests over every anomaly kind: about rate x rows touched, labeled, seeded."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pyarrow as pa
import pytest

from synthgen_sdv.anomalies import ANOMALIES, ChunkInfo

N = 2000
FRAME = pd.DataFrame(
    {
        "id": np.arange(1, N + 1),
        "parent_id": np.arange(N) % 50 + 1,
        "qty": np.arange(N) % 7 + 1,
        "price": np.linspace(1, 100, N),
        "day": pd.date_range("2021-01-01", periods=N, freq="D"),
        "label": ["x"] * N,
    }
)
TABLE = pa.Table.from_pandas(FRAME, preserve_index=False).cast(
    pa.schema(
        [
            ("id", pa.int64()),
            ("parent_id", pa.int64()),
            ("qty", pa.int64()),
            ("price", pa.float64()),
            ("day", pa.date32()),
            ("label", pa.string()),
        ]
    )
)
INFO = ChunkInfo(
    primary_key="id",
    logical_types={
        "id": "int",
        "parent_id": "int",
        "qty": "int",
        "price": "float",
        "day": "date",
        "label": "string",
    },
    lookup_targets={"parent_id": "parents"},
    orphan_base={"parent_id": 1_000_000},
)
COLUMN = {
    "null_burst": "label",
    "outliers": "qty",
    "orphan_fk": "parent_id",
    "format_drift": "day",
    "duplicate_rows": None,
    "late_arriving": None,
}


def make(kind: str, rate: float = 0.05):
    return ANOMALIES.get(kind)(kind=kind, table="t", column=COLUMN[kind], rate=rate)


def apply(anomaly, seed: int):
    """The anomaly on TABLE: (dirty frame, touched keys, late rows or None)."""
    result = anomaly.apply(TABLE, np.random.default_rng(seed), INFO)
    late = result.deferred.to_pandas() if result.deferred is not None else None
    return result.table.to_pandas(), result.keys(), late


NEEDS_FOREIGN_KEY = {"orphan_fk"}  # the target column must hold keys of another table


def test_every_anomaly_kind_is_covered():
    assert set(ANOMALIES) == set(COLUMN)


@pytest.mark.parametrize("kind", sorted(COLUMN))
def test_anomaly_declares_what_its_column_must_be(kind):
    anomaly = make(kind)
    assert anomaly.needs_column is (COLUMN[kind] is not None)
    assert anomaly.needs_foreign_key is (kind in NEEDS_FOREIGN_KEY)


@pytest.mark.parametrize("kind", sorted(COLUMN))
def test_anomaly_touches_about_rate_rows_and_labels_real_keys(kind):
    _, rows, _ = apply(make(kind), 1)
    assert abs(len(rows) - 0.05 * N) <= 2
    assert set(rows) <= set(FRAME["id"])
    assert len(set(rows)) == len(rows)
    assert TABLE.equals(pa.Table.from_pandas(FRAME, preserve_index=False).cast(TABLE.schema)), (
        "the clean table is never modified"
    )


@pytest.mark.parametrize("kind", sorted(COLUMN))
def test_anomaly_is_deterministic(kind):
    a, b = apply(make(kind), 5), apply(make(kind), 5)
    assert a[1] == b[1]
    pd.testing.assert_frame_equal(a[0], b[0])


@pytest.mark.parametrize("kind", sorted(COLUMN))
def test_labeled_rows_are_exactly_the_changed_rows(kind):
    out, keys, late = apply(make(kind), 2)
    rows = set(keys)
    if kind == "duplicate_rows":
        assert set(out.loc[out["id"].duplicated(), "id"]) == rows and len(out) == N + len(rows)
    elif kind == "late_arriving":
        assert set(late["id"]) == rows and len(out) == N - len(rows)
    else:
        col = COLUMN[kind]
        clean = TABLE.to_pandas().set_index("id")[col]
        dirty = out.set_index("id")[col]
        if kind == "format_drift":
            clean = pd.to_datetime(clean).dt.strftime("%Y-%m-%d")
        changed = dirty.index[~(dirty.eq(clean) | (dirty.isna() & clean.isna()))]
        assert set(changed) == rows


def test_null_burst_is_contiguous():
    _, keys, _ = apply(make("null_burst", 0.1), 3)
    rows = sorted(keys)
    assert rows == list(range(rows[0], rows[0] + len(rows)))


def test_format_drift_writes_another_format():
    out, keys, _ = apply(make("format_drift", 0.1), 3)
    drifted = out.set_index("id").loc[keys, "day"]
    assert drifted.str.match(r"^\d{2}/\d{2}/\d{4}$").all()
    assert make("format_drift").dirty_type("date") == "string"


def test_outliers_multiply_by_the_factor():
    anomaly = ANOMALIES.get("outliers")(
        kind="outliers", table="t", column="price", rate=0.01, factor=1000
    )
    out, keys, _ = apply(anomaly, 3)
    assert np.allclose(
        out.set_index("id").loc[keys, "price"], FRAME.set_index("id").loc[keys, "price"] * 1000
    )
