"""RDT's ``learn_rounding_digits`` on a numpy array instead of a pandas Series; number columns
clipped to their learned range on numpy too (``clip``).

SDV's numerical formatter and RDT's ``FloatFormatter`` each learn, for every number column,
how many decimals its values have: RDT's function rounds the column to 0, 1, 2, ... decimals
until the rounded values equal the column, each try a new Series and a comparison. On a small
database those tries were about a twentieth of the fit. The same steps on the column's numpy
array (pandas' ``Series.round`` of a float64 or int64 column is numpy's ``round``; its ``max``
numpy's ``max``) give the same answer (tested in ``tests/synth/test_fast_rounding.py``).
Columns of any other dtype (object, bool, nullable, Arrow) go through RDT's function.

Reverse transforms clip every number column to the range learned at fit twice: RDT's
``FloatFormatter`` (``QuantileNormalizer`` is one) and SDV's ``NumericalFormatter``, each with
pandas' ``Series.clip`` (two ``where``s, four Series, a null mask: about half a millisecond a
column, a twentieth of car_1's fit + sample). ``clip`` does the same on the column's array for
a float64 column and number bounds a float holds exactly, or an int64 column and integer
bounds (pandas' own rules: a null bound is no bound, bounds in either order, nulls kept), and
calls pandas for anything else.

``fast_rounding()``: the replacements in force for the block (our synthesizer's fit and
sample), RDT's and SDV's own outside it.
"""

from __future__ import annotations

import numbers

import numpy as np
import pandas as pd
from rdt.transformers import numerical as rdt_numerical
from rdt.transformers import utils as rdt_utils
from sdv.data_processing import numerical_formatter
from sdv.data_processing.numerical_formatter import NumericalFormatter

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


def _bound(value):
    """A clip bound as pandas' ``Series.clip`` reads it on a float64 column: None for no bound
    (None or null), the float it becomes, or ``...`` where pandas must decide (a bound that is
    not a real number, or an integer a float does not hold exactly)."""
    if value is None:
        return None
    if isinstance(value, (bool, np.bool_)) or not isinstance(value, numbers.Real):
        return ...
    if isinstance(value, numbers.Integral):
        exact = float(int(value))
        return exact if exact == int(value) else ...
    value = float(value)
    return None if value != value else value


def _int_bound(value):
    """``_bound`` for an int64 column: only an integer bound int64 holds keeps it int64."""
    if value is None:
        return None
    if isinstance(value, (float, np.floating)) and value != value:
        return None
    if isinstance(value, (bool, np.bool_)) or not isinstance(value, numbers.Integral):
        return ...
    value = int(value)
    return value if -(2**63) <= value < 2**63 else ...


_ARRAYS = (np.dtype(np.float64), np.dtype(np.int64))


def clip(data, lower, upper):
    """``data.clip(lower, upper)``: on the array for a float64 Series, or an int64 one with
    integer bounds (``Series.clip``'s scalar path: null bounds dropped, bounds ordered,
    ``where`` above and below, nulls kept), by pandas or numpy for anything else."""
    if isinstance(data, pd.Series) and data.dtype == np.int64:
        lo, hi = _int_bound(lower), _int_bound(upper)
    else:
        lo, hi = _bound(lower), _bound(upper)
    if not isinstance(data, pd.Series) or data.dtype not in _ARRAYS or ... in (lo, hi):
        return data.clip(lower, upper)
    if lo is not None and hi is not None:
        lo, hi = min(lo, hi), max(lo, hi)
    values = data.to_numpy()
    keep = np.isnan(values) if values.dtype == np.float64 else np.zeros(len(values), bool)
    out = values
    if lo is not None:
        out = np.where(keep | (values >= lo), out, lo)
    if hi is not None:
        out = np.where(keep | (values <= hi), out, hi)
    if out is values:
        out = values.copy()
    return pd.Series(out, index=data.index, name=data.name, copy=False)


def float_reverse(self, data):
    """``rdt.transformers.FloatFormatter._reverse_transform`` (rdt 1.x) with ``clip``."""
    if not isinstance(data, np.ndarray):
        data = data.to_numpy()
    data = self.null_transformer.reverse_transform(data)
    return _clip_round_cast(self, data, rdt_numerical.INTEGER_BOUNDS, self.learn_rounding_scheme)


def format_data(self, column):
    """``sdv.data_processing.NumericalFormatter.format_data`` (sdv 1.x) with ``clip``."""
    bounds = numerical_formatter.INTEGER_BOUNDS
    return _clip_round_cast(self, column.copy(), bounds, self.enforce_rounding)


def _clip_round_cast(self, values, integer_bounds, rounding: bool):
    """What RDT's and SDV's number formatters do alike to sampled values: clip to the learned
    range (else to the integer type's), round to the learned decimals, cast to the dtype."""
    if self.enforce_min_max_values:
        values = clip(values, self._min_value, self._max_value)
    elif not self.computer_representation.startswith("Float"):
        min_bound, max_bound = integer_bounds[self.computer_representation]
        values = clip(values, min_bound, max_bound)
    is_integer = pd.api.types.is_integer_dtype(self._dtype)
    np_integer_with_nans = (
        not pd.api.types.is_extension_array_dtype(self._dtype)
        and is_integer
        and pd.isna(values).any()
    )
    if rounding and self._rounding_digits is not None:
        values = values.round(self._rounding_digits)
    elif is_integer:
        values = values.round(0)
    return values.astype(self._dtype if not np_integer_with_nans else "float64")


#: SDV's and RDT's number formatters learn their decimals, and clip, on numpy in
#: ``with fast_rounding():``
fast_rounding = Swap(
    (rdt_numerical, "learn_rounding_digits", learn_rounding_digits),
    (numerical_formatter, "learn_rounding_digits", learn_rounding_digits),
    (rdt_numerical.FloatFormatter, "_reverse_transform", float_reverse),
    (NumericalFormatter, "format_data", format_data),
)
