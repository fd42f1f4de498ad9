"""``detect.modeling.placeholder_columns``: a non-key text column SDV filled with nothing but
its generated ids (``sdv-id-...``) is found; one real value anywhere clears the column."""

from __future__ import annotations

import pandas as pd

from synthgen_sdv.detect.modeling import placeholder_columns


def test_only_columns_of_nothing_but_placeholders_are_found():
    tables = {
        "t": pd.DataFrame(
            {
                "t_id": ["sdv-id-a", "sdv-id-b", "sdv-id-c"],  # a key: not asked about
                "token": [None, "sdv-id-1", "sdv-id-2"],  # nulls aside, all placeholders
                "raw": [b"sdv-id-1", b"sdv-id-2", None],  # bytes, read as text
                "first_real": ["x", "sdv-id-1", "sdv-id-2"],
                "last_real": ["sdv-id-1", "sdv-id-2", "x"],
                "empty": [None, None, None],
                "n": [1, 2, 3],
            }
        )
    }
    assert placeholder_columns(tables, {("t", "t_id")}) == ["t.token", "t.raw"]
