"""The per-column artifact check (evaluate.metrics.artifacts): pure pandas, against SDMetrics."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from synthgen_sdv.evaluate.metrics.artifacts import (
    column_artifacts,
    key_columns,
    shape_complement,
    skip_columns,
    value_share_excess,
)


def test_a_spike_on_the_maximum_is_caught_with_its_shares():
    rng = np.random.default_rng(0)
    real = pd.Series(np.clip(rng.poisson(1.5, 10_000) + 1, 1, 9))
    real.iloc[:2] = 9  # 9 is rare: 0.02% or so
    synthetic = real.copy()
    synthetic.iloc[: int(0.075 * len(real))] = 9  # the clipped-tail spike of issue 10
    worst = value_share_excess(real, synthetic)
    assert worst.value == 9
    assert worst.real_share == pytest.approx((real == 9).mean())
    assert worst.synthetic_share == pytest.approx((synthetic == 9).mean())
    assert worst.excess > 0.05 and not worst.ok
    # the bare rule: excess = synthetic - (2 x real + 1 point)
    bare = value_share_excess(real, synthetic, noise_z=0)
    expected = worst.synthetic_share - (2 * worst.real_share + 0.01)
    assert bare.excess == pytest.approx(expected)


def test_same_distribution_passes_and_a_fresh_sample_of_it_too():
    rng = np.random.default_rng(1)
    real = pd.Series(rng.choice([1, 2, 3, 4], 5000, p=[0.5, 0.3, 0.15, 0.05]))
    assert value_share_excess(real, real).ok
    again = pd.Series(rng.choice([1, 2, 3, 4], 5000, p=[0.5, 0.3, 0.15, 0.05]))
    assert value_share_excess(real, again).ok
    # doubling a share plus one point is tolerated, a bit more is not
    assert value_share_excess(real, pd.Series([4] * 10 + [1] * 90), noise_z=0).ok
    assert not value_share_excess(real, pd.Series([4] * 12 + [1] * 88), noise_z=0).ok


def test_small_tables_get_a_sampling_noise_allowance():
    real = pd.Series(np.arange(19.0))
    synthetic = pd.Series(np.arange(19.0) + 0.5)  # every value new, each once: 5.3%
    assert not value_share_excess(real, synthetic, noise_z=0).ok
    assert value_share_excess(real, synthetic).ok


def test_values_compare_across_dtypes_and_nulls_count():
    real = pd.Series([1, 2, 3, 4] * 25)
    assert value_share_excess(real, pd.Series([1.0, 2.0, 3.0, 4.0] * 25)).ok
    text = pd.Series(["1", "2", "3", "4"] * 25)
    assert value_share_excess(pd.Series([1, 2, 3, 4] * 25, dtype=object), text).ok
    with_nulls = pd.Series([1.0, 2.0, None, None] * 25)
    worst = value_share_excess(real, with_nulls)
    assert worst.value is None and worst.synthetic_share == 0.5 and not worst.ok
    days = pd.Series(pd.to_datetime(["2024-01-01", "2024-01-02", "2024-01-03", "2024-01-04"] * 25))
    piled = pd.Series(pd.to_datetime(["2024-01-02"] * 100))
    worst = value_share_excess(days, piled)
    assert worst.value == pd.Timestamp("2024-01-02") and not worst.ok
    empty = value_share_excess(pd.Series([], dtype=float), real)
    assert empty.ok and empty.value is None


def test_shape_complement_matches_sdmetrics():
    from sdmetrics.single_column import KSComplement, TVComplement

    rng = np.random.default_rng(2)
    a, b = pd.Series(rng.normal(0, 1, 700)), pd.Series(rng.normal(0.3, 1.2, 500))
    metric, score = shape_complement(a, b)
    assert metric == "KSComplement"
    assert score == pytest.approx(KSComplement.compute(a, b), abs=1e-9)
    c = pd.Series(rng.choice(list("abcd"), 600))
    d = pd.Series(rng.choice(list("abce"), 400, p=[0.4, 0.3, 0.2, 0.1]))
    metric, score = shape_complement(c, d)
    assert metric == "TVComplement"
    assert score == pytest.approx(TVComplement.compute(c, d), abs=1e-5)
    t1 = pd.Series(pd.to_datetime("2024-01-01") + pd.to_timedelta(rng.integers(0, 90, 300), "D"))
    t2 = pd.Series(pd.to_datetime("2024-01-15") + pd.to_timedelta(rng.integers(0, 90, 300), "D"))
    assert shape_complement(t1, t2)[1] == pytest.approx(KSComplement.compute(t1, t2), abs=1e-9)


def test_column_artifacts_ranks_every_column_and_skips_keys():
    metadata = {
        "tables": {
            "p": {"primary_key": "id", "columns": {"id": {}, "x": {}}},
            "c": {"primary_key": ["id", "line"], "columns": {"id": {}, "line": {}, "q": {}}},
        },
        "relationships": [
            {
                "parent_table_name": "p",
                "child_table_name": "c",
                "parent_primary_key": "id",
                "child_foreign_key": "id",
            }
        ],
    }
    skip = key_columns(metadata)
    assert skip == {"p": {"id"}, "c": {"id", "line"}}
    metadata["tables"]["p"]["columns"] = {"id": {"sdtype": "id"}, "x": {"sdtype": "numerical"}}
    metadata["tables"]["p"]["columns"]["mail"] = {"sdtype": "email"}
    metadata["tables"]["c"]["columns"]["q"] = {"sdtype": "categorical", "pii": True}
    assert skip_columns(metadata)["p"] == {"id", "mail"}
    assert "q" in skip_columns(metadata)["c"]
    real = {
        "p": pd.DataFrame({"id": range(100), "x": np.linspace(0, 1, 100)}),
        "c": pd.DataFrame({"id": [1] * 200, "line": range(200), "q": [1, 1, 1, 2] * 50}),
    }
    synthetic = {
        "p": pd.DataFrame({"id": range(500, 600), "x": np.linspace(0, 1, 100)}),
        "c": pd.DataFrame({"id": [7] * 200, "line": range(200), "q": [2] * 200}),
    }
    frame = column_artifacts(real, synthetic, skip=skip)
    assert list(frame[["table", "column"]].itertuples(index=False, name=None)) == [
        ("c", "q"),
        ("p", "x"),
    ]
    assert not frame.iloc[0].ok and frame.iloc[0].value == 2 and frame.iloc[1].ok
    assert set(frame.columns) >= {"metric", "score", "real_share", "synthetic_share", "excess"}
