"""``--metadata`` takes SDV's files as SDV writes them: multi-table metadata, and single-table
metadata (``SingleTableMetadata.save_to_json``: ``columns`` at the top) for a folder of one
table, which is what ``Metadata.load_from_dict`` makes of it."""

from __future__ import annotations

import json

import numpy as np
import pandas as pd
import pytest
from sdv.metadata import SingleTableMetadata

from synthgen_sdv.core.errors import InputError
from synthgen_sdv.detect.load import load_user_data


def _folder(tmp_path, names=("orders",)):
    rng = np.random.default_rng(1)
    data = tmp_path / "data"
    data.mkdir()
    frame = pd.DataFrame(
        {"order_no": range(100, 160), "amount": rng.gamma(2, 9, 60).round(2), "code": ["a"] * 60}
    )
    for name in names:
        frame.to_csv(data / f"{name}.csv", index=False)
    single = SingleTableMetadata()
    single.detect_from_dataframe(frame)
    single.update_column("code", sdtype="categorical")
    single.set_primary_key("order_no")
    path = tmp_path / "single.json"
    single.save_to_json(path)
    assert "tables" not in json.loads(path.read_text())  # SDV's single-table layout
    return data, path


def test_single_table_sdv_metadata_describes_the_folders_one_table(tmp_path):
    data, path = _folder(tmp_path)
    user = load_user_data(data, path)
    assert list(user.tables) == ["orders"]
    table = user.metadata["tables"]["orders"]
    assert table["primary_key"] == "order_no"
    assert table["columns"]["code"]["sdtype"] == "categorical"
    assert user.metadata["relationships"] == []


def test_single_table_sdv_metadata_for_several_tables_says_which(tmp_path):
    data, path = _folder(tmp_path, ("orders", "returns"))
    with pytest.raises(InputError) as info:
        load_user_data(data, path)
    message = str(info.value)
    assert "single-table" in message and "orders, returns" in message and str(path) in message
