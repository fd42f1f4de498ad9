"""A comparison report that fails is said, also with --no-progress (QUIET): WideWorldImporters
as 33 Parquet files wrote its output with exit 0 and no report, and no line said why."""

from __future__ import annotations

import numpy as np
import pandas as pd

from synthgen_sdv.core.progress import QUIET
from synthgen_sdv.detect.load import load_user_data
from synthgen_sdv.runs import from_user
from synthgen_sdv.runs.from_user import UserSource


def test_a_failed_comparison_is_said_with_a_quiet_progress(tmp_path, monkeypatch, capsys):
    rng = np.random.default_rng(0)
    data = tmp_path / "data"
    data.mkdir()
    pd.DataFrame({"customer_id": range(1, 41), "age": rng.integers(18, 80, 40)}).to_csv(
        data / "customers.csv", index=False
    )
    pd.DataFrame(
        {"order_id": range(1, 121), "customer_id": rng.integers(1, 41, 120), "x": rng.random(120)}
    ).to_csv(data / "orders.csv", index=False)
    source = UserSource(user=load_user_data(data), seed=0)

    def boom(*args, **kwargs):
        raise RuntimeError("boom")

    monkeypatch.setattr(from_user, "holdout_study", boom)
    study = source.compare(tmp_path / "reports", "hma", source.default_tables(), None, QUIET)
    assert study is None
    captured = capsys.readouterr()
    assert "[compare] no comparison report: RuntimeError: boom" in captured.out + captured.err
