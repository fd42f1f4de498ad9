"""``io.writers.to_logical_types`` passes columns already in their type through: the same
frame as converting every column (``_converted``, the conversion without that shortcut)."""

from __future__ import annotations

import numpy as np
import pandas as pd

from synthgen_sdv.io.writers import to_logical_types


def _converted(frame: pd.DataFrame, types: dict[str, str]) -> pd.DataFrame:
    out = {}
    for col in frame.columns:
        s, kind = frame[col], types.get(col, "string")
        if kind == "int":
            s = pd.to_numeric(s, errors="coerce").round().astype("Int64")
        elif kind == "float":
            s = pd.to_numeric(s, errors="coerce").astype("float64")
        elif kind in ("date", "datetime"):
            s = pd.to_datetime(s, errors="coerce")
            if kind == "date":
                s = s.dt.normalize()
        elif kind == "bool":
            s = s.astype("boolean")
        else:
            s = s.astype(object).where(s.notna(), None)
        out[col] = s
    return pd.DataFrame(out, index=frame.index).reset_index(drop=True)


def test_passing_ready_columns_through_gives_the_converted_frame():
    n = 60
    rng = np.random.default_rng(3)
    when = pd.Timestamp("2015-06-01") + pd.to_timedelta(rng.integers(0, 10**6, n), "s")
    frame = pd.DataFrame(
        {
            "when": when,  # ready
            "when_text": when.strftime("%Y-%m-%d %H:%M:%S"),  # parsed
            "day": when.normalize(),  # a date: normalized by the conversion
            "x": rng.normal(size=n),  # ready
            "n_float": rng.integers(0, 9, n).astype(float),  # an int sampled as float
            "n": pd.array(rng.integers(0, 9, n), dtype="Int64"),  # ready
            "flag": pd.array(rng.random(n) < 0.5, dtype="boolean"),  # ready
            "flag_np": rng.random(n) < 0.5,
            "label": np.where(rng.random(n) < 0.2, None, "a"),
        },
        index=pd.RangeIndex(5, 5 + n),
    )
    frame.loc[7, ["when", "x"]] = [pd.NaT, np.nan]
    types = {
        "when": "datetime",
        "when_text": "datetime",
        "day": "date",
        "x": "float",
        "n_float": "int",
        "n": "int",
        "flag": "bool",
        "flag_np": "bool",
    }
    pd.testing.assert_frame_equal(to_logical_types(frame, types), _converted(frame, types))
    only_text = frame[["label", "when_text"]]
    pd.testing.assert_frame_equal(to_logical_types(only_text, types), _converted(only_text, types))
