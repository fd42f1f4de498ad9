"""Missing values put into a column without changing what it means (ints stay integers)."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc


def with_nulls(values: pd.Series, mask: np.ndarray) -> pd.Series:
    """``values`` with the rows in ``mask`` set to null, in the dtype's own null."""
    if not mask.any():
        return values
    if isinstance(values.dtype, pd.ArrowDtype):  # Arrow-backed text stays Arrow-backed
        arr = pa.array(values)
        nulled = pc.if_else(pa.array(mask), pa.scalar(None, arr.type), arr)
        return pd.Series(pd.arrays.ArrowExtensionArray(nulled), index=values.index)
    if isinstance(values.dtype, np.dtype) and values.dtype.kind in "ib":  # a mask, no copy loop
        data = values.to_numpy()
        masked = (
            pd.arrays.IntegerArray(data.astype(np.int64), mask.copy())
            if data.dtype.kind == "i"
            else pd.arrays.BooleanArray(data, mask.copy())
        )
        return pd.Series(masked, index=values.index)
    if isinstance(values.dtype, np.dtype) and values.dtype.kind in "fM":  # no pandas setitem
        data = values.to_numpy().copy()
        data[mask] = np.nan if values.dtype.kind == "f" else np.datetime64("NaT")
        return pd.Series(data, index=values.index)
    if pd.api.types.is_integer_dtype(values.dtype):
        values = values.astype("Int64")
    elif pd.api.types.is_bool_dtype(values.dtype):
        values = values.astype("boolean")
    elif not (
        pd.api.types.is_float_dtype(values.dtype)
        or pd.api.types.is_datetime64_any_dtype(values.dtype)
    ):
        values = values.astype(object)
    values = values.copy()
    values[mask] = None
    return values
