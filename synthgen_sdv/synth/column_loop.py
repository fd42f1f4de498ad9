"""RDT's ``HyperTransformer`` loops with each transformer applied to its own columns in place.

RDT's ``BaseTransformer.transform`` and ``reverse_transform`` copy the whole table, drop the
transformer's columns and concatenate its output: every transformer costs a copy of every
column, so a table's transform is quadratic in its columns (a 100-column table of 1M rows
copies 100 times 800 MB) and most of a small table's transform is pandas' per-call overhead.
Here the table is a dict of its columns (``Columns``): each transformer's columns are taken
out (a copy of them, as RDT hands them over) and its outputs added, the other columns are not
touched, and the frame is built once at the end. numpy's global random state is saved once
for the loop and put back after it (``random_states.HeldState``), not around every call. The
rest is RDT's to the letter: the same private methods (``_get_columns_data``, ``_transform``,
``_reverse_transform``), each drawing from its transformer's own state, the same skip rules,
the same ``missing_value_generation`` warning, outputs added at the end as
``_add_columns_to_data`` adds them, and the same final column order. A transformer class that
overrides ``transform`` or ``reverse_transform`` keeps its own (RDT's own classes do not).

``in_place_columns``: ``HyperTransformer._transform`` and ``_reverse_transform`` replaced for the
block (our synthesizer's fit and sample); ``fit_field`` is ``_fit_field_transformer``'s walk.
The frames are equal, dtypes included, to RDT's (``tests/synth/test_column_loop.py``).
"""

from __future__ import annotations

import warnings

import numpy as np
import pandas as pd
from rdt import HyperTransformer
from rdt.errors import InvalidConfigError, InvalidDataError, TransformerProcessingError
from rdt.transformers import AnonymizedFaker, RegexGenerator
from rdt.transformers.base import BaseMultiColumnTransformer, BaseTransformer

from synthgen_sdv.core.swaps import Swap
from synthgen_sdv.synth.random_states import HeldState

_RDT_FIT = BaseTransformer.fit
_RDT_TRANSFORM = BaseTransformer.transform
_RDT_REVERSE = BaseTransformer.reverse_transform
_RESETTING = (AnonymizedFaker.reset_randomization, RegexGenerator.reset_randomization)


class Columns:
    """A table as its index and an ordered dict of its columns (Series on that one index): a
    transformer's columns are taken out and its outputs added at the end, the others not
    copied. A frame of it shares the columns (``copy=False`` on one index: no alignment)."""

    def __init__(self, data: pd.DataFrame, held: HeldState):
        if data.columns.has_duplicates:
            repeated = sorted(map(str, data.columns[data.columns.duplicated()]))
            raise ValueError(f"repeated column names: {repeated}")
        self.index = data.index
        self.series = {column: data[column] for column in data.columns}
        self.held = held  # numpy's global state, held for the transformers' calls on it

    def states(self, transformer, method: str):
        """RDT's ``@random_state`` for one call: the transformer's own state while it runs."""
        return self.held.of(transformer, method)

    def __contains__(self, column) -> bool:
        return column in self.series

    def get(self, columns: list) -> pd.Series | pd.DataFrame:
        """``BaseTransformer._get_columns_data``: a copy of the column, or of the columns."""
        if len(columns) == 1:
            return self.series[columns[0]].copy()
        return self.frame(columns, copy=True)

    def frame(self, columns=None, copy: bool = False) -> pd.DataFrame:
        """The table (or ``columns`` of it) as a frame; without ``copy`` it shares the data."""
        columns = list(self.series) if columns is None else list(columns)
        frame = pd.DataFrame(
            {column: self.series[column] for column in columns}, index=self.index, copy=copy
        )
        if not columns:  # as ``reindex(columns=[])`` leaves it
            frame.columns = pd.Index([], dtype=object)
        return frame

    def drop(self, columns) -> None:
        """The columns taken out."""
        for column in columns:
            del self.series[column]

    def add(self, output, names) -> None:
        """``BaseTransformer._add_columns_to_data``: ``output``'s columns, named ``names``,
        added at the end, by position."""
        if not names:
            return
        single = len(names) == 1 and len(output) > 0  # no rows: pandas' dtypes, below
        if single and isinstance(output, pd.Series) and output.name in (None, names[0]):
            outputs = [output]
        elif single and isinstance(output, np.ndarray) and output.ndim == 1:
            # as ``DataFrame(output)`` reads it: an object array's dates become dates
            outputs = [pd.Series(output, index=self.index, copy=False)]
        else:
            if isinstance(output, (pd.Series, np.ndarray)):
                output = pd.DataFrame(output, columns=names)
            output.columns = names
            outputs = [output.iloc[:, position] for position in range(len(names))]
        if len(set(names)) < len(names) or any(name in self.series for name in names):
            raise ValueError(f"transformer outputs {names} repeat a column of the table")
        for name, column in zip(names, outputs, strict=True):
            if len(column) != len(self.index):  # what RDT's ``set_index`` says of it
                raise ValueError(f"Length mismatch: {len(self.index)} rows, {len(column)} made")
            column = column.set_axis(self.index)
            column.name = name
            self.series[name] = column


def transform(transformer, table: Columns, keep: bool = True) -> None:
    """``transformer.transform`` on ``table``, in place (``keep``: see ``HeldState.of``)."""
    if _ran_own(transformer, table, "transform", _RDT_TRANSFORM):
        return
    columns = transformer.columns
    if any(column not in table for column in columns):
        return
    with table.held.of(transformer, "transform", keep):
        output = transformer._transform(table.get(columns))
    table.drop(columns)
    table.add(output, transformer.output_columns)


def reverse_transform(transformer, table: Columns) -> None:
    """``transformer.reverse_transform`` on ``table``, in place."""
    if _ran_own(transformer, table, "reverse_transform", _RDT_REVERSE):
        return
    outputs = transformer.output_columns
    if any(column not in table for column in outputs):
        return
    with table.states(transformer, "reverse_transform"):
        columns_data = table.get(outputs)
        generation = transformer.missing_value_generation
        if generation is not None and outputs and pd.isna(columns_data).any().any():
            warnings.warn(
                "The 'missing_value_generation' parameter is set to '"
                f"{generation}' but the data already contains missing values."
                " Missing value generation will be skipped.",
                UserWarning,
                stacklevel=2,
            )
            transformer.missing_value_generation = None
        try:
            output = transformer._reverse_transform(columns_data)
        finally:
            transformer.missing_value_generation = generation
    table.drop(outputs)
    table.add(output, transformer.columns)


def _ran_own(transformer, table: Columns, method: str, rdt_method) -> bool:
    """Whether ``transformer``'s class overrides RDT's ``method``; if so it ran, on the whole
    table as RDT calls it, and ``table`` became what it returned."""
    if getattr(type(transformer), method) is rdt_method:
        return False
    with table.held.around(transformer):
        new = Columns(getattr(transformer, method)(table.frame()), table.held)
    table.index, table.series = new.index, new.series
    return True


def fit_field(hyper, table: Columns, field, transformer, reset: bool = False) -> None:
    """``HyperTransformer._fit_field_transformer`` on ``table``, in place. ``reset``: the
    caller resets ``transformer``'s random states after (``fit_fields``)."""
    if transformer is None:
        hyper._add_field_to_set(field, hyper._fitted_fields)
        hyper._output_columns.append(field)
        return
    keep = not (reset and _resets_states(transformer))
    if not keep and type(transformer).fit is _RDT_FIT:  # RDT's ``@random_state`` as ``of``
        with table.held.of(transformer, "fit", keep=False):
            _RDT_FIT.__wrapped__(transformer, table.frame(), field)
    else:
        with table.held.around(transformer):
            if isinstance(transformer, BaseMultiColumnTransformer):
                transformer.fit(table.frame(), hyper._get_columns_to_sdtypes(field))
            else:
                transformer.fit(table.frame(), field)
    hyper._transformers_sequence.append(transformer)
    transform(transformer, table, keep)
    for column, following in transformer.get_next_transformers().items():
        if hyper._field_in_data(column, table):
            fit_field(hyper, table, column, following)


def _resets_states(transformer) -> bool:
    """Whether ``transformer.reset_randomization`` makes all its random states anew (RDT's
    own, and its generators', which call it first; ``IndexGenerator``'s does not)."""
    own = type(transformer).reset_randomization
    return own is BaseTransformer.reset_randomization or own in _RESETTING


def fit_fields(hyper, data: pd.DataFrame, fields) -> pd.DataFrame:
    """``fit_field`` over ``fields`` (field, transformer); the frame they leave. The caller
    resets the random states of the fields' transformers after (``reset_randomization``, as
    ``HyperTransformer.fit`` does): the states their fit and transform leave are not kept,
    which spares three of numpy's state copies (a twentieth of a millisecond each) per fit
    and one per transform; every draw is the same."""
    with HeldState() as held:
        table = Columns(data, held)
        for field, transformer in fields:
            fit_field(hyper, table, field, transformer, reset=True)
        return table.frame(copy=True)


def _hyper_transform(self, data, prevent_subset):
    """``HyperTransformer._transform`` (rdt 2.0) with the transformers applied in place."""
    self._validate_config_exists()
    self._validate_fitted()
    unknown_columns = self._subset(data.columns, self._input_columns, not_in=True)
    if prevent_subset:
        contained = all(column in self._input_columns for column in data.columns)
        is_subset = contained and len(data.columns) < len(self._input_columns)
        if unknown_columns or is_subset:
            raise InvalidDataError(
                "The data you are trying to transform has different columns than the original "
                "data. Column names and their sdtypes must be the same. Use the method "
                "'get_config()' to see the expected values."
            )
    elif unknown_columns:
        raise InvalidDataError(
            "Unexpected column names in the data you are trying to transform: "
            f"{unknown_columns}. Use 'get_config()' to see the acceptable column names."
        )
    with HeldState() as held:
        table = Columns(data, held)
        for transformer in self._transformers_sequence:
            transform(transformer, table)
    return table.frame(self._subset(self._output_columns, list(table.series)), copy=True)


def _hyper_reverse(self, data, prevent_subset):
    """``HyperTransformer._reverse_transform`` (rdt 2.0) with the transformers reversed in
    place."""
    self._validate_config_exists()
    self._validate_fitted()
    unknown_columns = self._subset(data.columns, self._output_columns, not_in=True)
    if unknown_columns:
        raise InvalidDataError(
            "There are unexpected column names in the data you are trying to transform. "
            f"A reverse transform is not defined for {unknown_columns}."
        )
    if prevent_subset:
        contained = all(column in self._output_columns for column in data.columns)
        if contained and len(data.columns) < len(self._output_columns):
            raise InvalidDataError(
                "You must provide a transformed dataset with all the columns from the "
                "original data."
            )
    with HeldState() as held:
        table = Columns(data, held)
        for transformer in reversed(self._transformers_sequence):
            if not prevent_subset:
                outputs = transformer.get_output_columns()
                if not outputs or not set(outputs).issubset(table.series):
                    continue
            reverse_transform(transformer, table)
    return table.frame(self._subset(self._input_columns, list(table.series)), copy=True)


_NO_COLUMNS = pd.DataFrame()


def _create_anonymized(self, num_rows, column_names):
    """``HyperTransformer.create_anonymized_columns`` (rdt 1.x) with the generators' columns
    added in place: RDT's reverse transform of an empty frame, copied, tested for nulls,
    dropped from and concatenated per generator, was about a millisecond a table's keys."""
    self._validate_fitted()
    if not isinstance(num_rows, int) or num_rows <= 0:
        raise ValueError("Parameter 'num_rows' must be an integer greater than 0.")
    unknown_columns = self._subset(column_names, self._input_columns, not_in=True)
    if unknown_columns:
        raise InvalidConfigError(
            f"Unknown column name {unknown_columns}. Use 'get_config()' to see a "
            "list of valid column names."
        )
    columns_to_generate = set()
    for column in column_names:
        if column not in self._multi_column_fields:
            columns_to_generate.add(column)
            continue
        multi_columns = self._multi_column_fields[column]
        if any(col not in column_names for col in multi_columns):
            raise InvalidConfigError(
                f"Column '{column}' is part of a multi-column field. You must include all "
                "columns inside the multi-column field to generate the anonymized columns."
            )
        columns_to_generate.add(multi_columns)
    transformers = []
    for column_name in sorted(columns_to_generate):
        transformer = self.field_transformers.get(column_name)
        if not transformer.is_generator():
            raise TransformerProcessingError(
                f"Column '{column_name}' cannot be anonymized. All columns must be assigned "
                "to 'AnonymizedFaker', 'RegexGenerator' or other ``generator``. Use "
                "'get_config()' to see the current transformer assignments."
            )
        transformers.append(transformer)
    with HeldState() as held:
        table = Columns(_NO_COLUMNS, held)
        table.index = pd.RangeIndex(num_rows)  # RDT's ``DataFrame(index=range(num_rows))``
        for transformer in transformers:
            reverse_transform(transformer, table)
    return table.frame(copy=True)


#: RDT's table-wide transform loops applied in place in ``with in_place_columns():``
in_place_columns = Swap(
    (HyperTransformer, "_transform", _hyper_transform),
    (HyperTransformer, "_reverse_transform", _hyper_reverse),
    (HyperTransformer, "create_anonymized_columns", _create_anonymized),
)
