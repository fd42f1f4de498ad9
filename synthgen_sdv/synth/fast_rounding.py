"""RDT's ``learn_rounding_digits`` on a numpy array instead of a pandas Series.

SDV's numerical formatter and RDT's ``FloatFormatter`` each learn, for every number column,
how many decimals its values have: RDT's function rounds the column to 0, 1, 2, ... decimals
until the rounded values equal the column, each try a new Series and a comparison. On a small
database those tries were about a twentieth of the fit. The same steps on the column's numpy
array (pandas' ``Series.round`` of a float64 or int64 column is numpy's ``round``; its ``max``
numpy's ``max``) give the same answer (tested in ``tests/synth/test_fast_rounding.py``).
Columns of any other dtype (object, bool, nullable, Arrow) go through RDT's function.

``fast_rounding()``: the replacement in force for the block (our synthesizer's fit and
sample), RDT's own outside it.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
from rdt.transformers import numerical as rdt_numerical
from rdt.transformers import utils as rdt_utils
from sdv.data_processing import numerical_formatter

from synthgen_sdv.core.swaps import Swap

_RDT = rdt_utils.learn_rounding_digits


def learn_rounding_digits(data):
    """``rdt.transformers.utils.learn_rounding_digits(data)``, on numpy for plain numbers."""
    dtype = getattr(data, "dtype", None)
    if not (isinstance(data, pd.Series) and isinstance(dtype, np.dtype) and dtype.kind in "iuf"):
        return _RDT(data)
    values = data.to_numpy()
    if dtype.kind == "f":
        values = values[~(np.isinf(values) | np.isnan(values))]
    if len(values) == 0:
        return None
    highest_int = int(np.max(np.abs(values)))
    most_digits = len(str(highest_int)) if highest_int != 0 else 0
    max_decimals = max(0, rdt_utils.MAX_DECIMALS - most_digits)
    if (values == values.round(max_decimals)).all():
        for decimal in range(max_decimals + 1):
            if (values == values.round(decimal)).all():
                return decimal
    rdt_utils.LOGGER.info(
        "No rounding scheme detected for column '%s'. Data will not be rounded.",
        data.name,
    )
    return None


#: SDV's and RDT's number formatters learn their decimals on numpy in ``with fast_rounding():``
fast_rounding = Swap(
    (rdt_numerical, "learn_rounding_digits", learn_rounding_digits),
    (numerical_formatter, "learn_rounding_digits", learn_rounding_digits),
)
