"""SDV's per-table setup and preprocessing, each step run once instead of twice.

``TablesBuiltOnce``: HMA builds every table's synthesizer, then builds each child's again
to set its parameters (and ours built the roots' again); here each is built once, with them.

``BaseSynthesizer._preprocess`` is ``DataProcessor.fit(data)`` then ``.transform(data)``.
RDT's ``HyperTransformer.fit`` already transforms the whole table (each transformer is
fitted, then transforms the data the next one is fitted on) and throws the result away;
``transform`` then runs every transformer over the same rows again. On a small database
that second pass was about a third of SDV's preprocessing. ``fit_transform`` keeps the
fit's result instead. It is the same frame: each transformer's ``fit`` seeds its transform
random state from a hash of the data, and ``reset_randomization`` after the fit re-seeds
it from that same hash, so the fit's transform and the later one make the same draws on
the same values; the index is the primary key, as ``DataProcessor.transform`` sets it.
Anything outside that case (an empty table, columns the metadata does not list) goes
through SDV's two calls.

``deferred_fakers``: every ``Faker`` RDT's ``AnonymizedFaker`` builds (one per key column of
every table) is a ``DeferredFaker``, built when first drawn from.

``shared_prototypes``: SDV's ``DataProcessor`` deep-copies RDT's default transformers for every
table (about 1.5 ms each: their random states and a ``Faker``), though it only ever reads them
as prototypes; here every table's processor shares RDT's cached ones.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from contextlib import contextmanager
from copy import deepcopy

import faker
import numpy as np
import pandas as pd
from rdt.transformers import AnonymizedFaker, get_default_transformers
from rdt.transformers.base import BaseTransformer
from rdt.transformers.pii import anonymizer as rdt_anonymizer
from sdv.data_processing import data_processor as sdv_data_processor
from sdv.multi_table.base import BaseMultiTableSynthesizer

from synthgen_sdv.core.swaps import Swap
from synthgen_sdv.synth.column_loop import fit_fields


def fit_transform(processor, data: pd.DataFrame) -> pd.DataFrame:
    """``processor.fit(data)`` then ``processor.transform(data)``, transforming once."""
    columns = [c for c in processor.get_sdtypes(primary_keys=True) if c in data.columns]
    if data.empty or set(columns) != set(data.columns):
        processor.fit(data)
        return processor.transform(data)
    processor._prepared_for_fitting = False
    processor.prepare_for_fitting(data)
    hyper = processor._hyper_transformer
    transformed = _fit_hyper(hyper, data)
    processor.fitted = True
    output = hyper._subset(hyper._output_columns, transformed.columns)
    transformed = transformed.reindex(columns=output)
    if processor._keys:  # DataProcessor.transform: rows indexed by their primary key
        transformed.index = data.set_index(processor._primary_key, drop=False).index
    return transformed


def _fit_hyper(hyper, data: pd.DataFrame) -> pd.DataFrame:
    """``HyperTransformer.fit`` (rdt 1.x), returning the data its transformers produced
    (each transformer applied in place: ``column_loop``)."""
    hyper._validate_detect_config_called(data)
    hyper._unfit()
    hyper._input_columns = list(data.columns)
    skipped: list[str] = []  # the other columns of a multi-column field already fitted
    fields = []
    for column in hyper._input_columns:
        if column in skipped:
            continue
        if column in hyper._multi_column_fields:
            field = hyper._multi_column_fields[column]
            skipped.extend(col for col in field if col != column)
        else:
            field = column
        fields.append((field, hyper.field_transformers[field]))
    data = fit_fields(hyper, data, fields)
    hyper._validate_all_fields_fitted()
    hyper._fitted = True
    hyper._modified_config = False
    reset_randomization(hyper)
    return data


class ValidateOnce:
    """Mixin for an SDV multi-table synthesizer: its tables are validated once per fit.

    SDV validates every table three times in a fit: in ``auto_assign_transformers`` (our
    treatments are set after it), again when ``preprocess`` re-assigns the transformers, and
    in ``preprocess``'s own validation of all tables and keys, which covers the other two.
    Here assigning a table's transformers prepares its processor and drops its foreign keys
    from the model, as SDV does, without validating; ``preprocess`` still validates everything
    once, with the per-value checks a column's dtype already proves skipped
    (``proven_columns``). A table with constraints goes through SDV's own path."""

    def validate(self, data):
        """SDV's validation of ``data``, per-value checks skipped where the dtype proves them."""
        with proven_columns(self._original_metadata):
            super().validate(data)

    def _assign_table_transformers(self, synthesizer, table_name, table_data):
        if getattr(synthesizer, "_chained_constraints", None) or getattr(
            synthesizer, "_reject_sampling_constraints", None
        ):
            return super()._assign_table_transformers(synthesizer, table_name, table_data)
        synthesizer._data_processor.prepare_for_fitting(table_data)  # no-op once prepared
        synthesizer._constraints_fitted = True  # what SDV's constraint step sets when none
        primary_key = self.metadata.tables[table_name].primary_key
        synthesizer.update_transformers(
            {
                column: None
                for column in self.metadata._get_all_foreign_keys(table_name)
                if column != primary_key
            }
        )


# sdtype -> a test on a column's dtype that proves every value passes SDV's per-value check
# (``SingleTableMetadata._validate_column_data``): ints and floats are numbers (or missing),
# a bool dtype holds only True/False, and datetime64 values parse in any format.
PROOFS: dict[str, Callable[[pd.Series], bool]] = {
    "numerical": lambda s: pd.api.types.is_integer_dtype(s) or pd.api.types.is_float_dtype(s),
    "boolean": pd.api.types.is_bool_dtype,
    "datetime": pd.api.types.is_datetime64_dtype,
}


@contextmanager
def proven_columns(metadata) -> Iterator[None]:
    """SDV's data validation under this block skips the per-value check of a column whose
    dtype proves it (``PROOFS``): on 123k numbers, mapping ``_is_numerical_type`` over each
    value cost 0.17 s, and a datetime64 column with a format was parsed again. Errors and
    warnings are unchanged: every other column (and a datetime without a format, whose check
    samples rows with numpy's global random state) is checked by SDV. Foreign keys that all
    resolve are seen so by ``isin`` instead of a merge per relationship (``_resolving``; a
    twentieth of a small database's fit + sample). Only these metadata objects, for this
    block: stock SDV elsewhere is untouched."""
    tables = list(metadata.tables.values())
    for table in tables:
        table._validate_column_data = _proven(table, table._validate_column_data)
        table._validate_keys_dont_have_missing_values = _clean_keys(
            table._validate_keys_dont_have_missing_values,
            lambda t=table: t._get_primary_and_alternate_keys() | t._get_set_of_sequence_keys(),
            lambda column: not column.isna().any(),
        )
        table._validate_key_values_are_unique = _clean_keys(
            table._validate_key_values_are_unique,
            table._get_primary_and_alternate_keys,
            lambda column: not column.duplicated().any(),
        )
    metadata._validate_foreign_keys = _resolving(metadata, metadata._validate_foreign_keys)
    try:
        yield
    finally:
        for table in tables:
            del table._validate_column_data
            del table._validate_keys_dont_have_missing_values
            del table._validate_key_values_are_unique
        del metadata._validate_foreign_keys


def _clean_keys(check: Callable, keys_of: Callable, clean: Callable[[pd.Series], bool]):
    """SDV's per-key check ``check`` (no missing values; no repeated values) answered with no
    error at once where every key of the table (``keys_of``) is one column whose Series is
    ``clean``: SDV tests a one-column frame of each key (a selection, a frame-wide test and a
    reduction, a twentieth of a small database's fit + sample). Anything else, and every key
    that fails, goes through SDV's check, so its errors are SDV's."""

    def run(data) -> list:
        for key in keys_of():
            column = data.get(key) if isinstance(key, str) else None
            if not isinstance(column, pd.Series) or not clean(column):
                return check(data)  # type: ignore[no-any-return]
        return []

    return run


def _resolving(metadata, check: Callable) -> Callable:
    """SDV's foreign-key check (a left merge of each child's keys on its parent's, per
    relationship), answered with no error at once where every relationship has one-column
    keys of the same dtype and every non-null child key is among the parent's (``isin``): the
    merge would find each row a parent, and the rows it does not are dropped for their null
    key. Anything else (a composite key, dtypes that differ, a key to no parent) goes
    through SDV's check, so its errors are SDV's."""

    def run(data) -> list:
        if all(_resolves(relation, data) for relation in metadata.relationships):
            return []
        return check(data)  # type: ignore[no-any-return]

    return run


def _resolves(relation: dict, data: dict) -> bool:
    child = data.get(relation["child_table_name"])
    parent = data.get(relation["parent_table_name"])
    if not (isinstance(child, pd.DataFrame) and isinstance(parent, pd.DataFrame)):
        return True  # SDV's check skips it too
    fk, pk = relation["child_foreign_key"], relation["parent_primary_key"]
    if not (isinstance(fk, str) and isinstance(pk, str)):
        return False
    if fk not in child.columns or pk not in parent.columns:
        return False
    keys, parents = child[fk], parent[pk]
    if not (isinstance(keys, pd.Series) and isinstance(parents, pd.Series)):
        return False  # a repeated column name
    if keys.dtype != parents.dtype:
        return False
    return bool(keys.dropna().isin(parents).all())


def _proven(table, check: Callable) -> Callable:
    def run(column: pd.Series, sdtype_warnings) -> list:
        meta = table.columns[column.name]
        proof = PROOFS.get(meta["sdtype"])
        sampled = meta["sdtype"] == "datetime" and not meta.get("datetime_format")
        if proof is not None and not sampled and proof(column):
            return []
        return check(column, sdtype_warnings)  # type: ignore[no-any-return]

    return run


class TablesBuiltOnce:
    """Mixin for SDV's ``HMASynthesizer``: each table's synthesizer is built once, with its
    parameters (``table_parameters`` per table, and HMA's ``norm`` for every child), instead
    of built with none and rebuilt when ``HMASynthesizer.__init__`` sets the children's (and
    the caller the roots'). A build deep-copies RDT's default transformers, a ``Faker`` among
    them: 12 builds for 6 tables were about a tenth of a small database's fit + sample."""

    def __init__(self, metadata, *args, table_parameters: dict | None = None, **kwargs):
        self._prebuilt = {t: dict(p) for t, p in (table_parameters or {}).items()}
        super().__init__(metadata, *args, **kwargs)
        self._prebuilt = {}  # from here on, parameters set rebuild the table's synthesizer

    def _initialize_models(self):
        children = {r["child_table_name"] for r in self.metadata.relationships}
        for table in children:  # HMASynthesizer.__init__ sets this on each child
            self._prebuilt.setdefault(table, {})["default_distribution"] = "norm"
        for table, parameters in self._prebuilt.items():
            self._table_parameters[table].update(deepcopy(parameters))
        super()._initialize_models()

    def set_table_parameters(self, table_name, table_parameters):
        """SDV's, except for parameters the table's synthesizer was just built with."""
        if table_parameters.items() <= self._prebuilt.get(table_name, {}).items():
            self._table_parameters[table_name].update(deepcopy(table_parameters))
            return
        super().set_table_parameters(table_name, table_parameters)


class DeferredFaker:
    """Stands in for the ``Faker`` of an RDT ``AnonymizedFaker`` until it is first used.

    RDT builds a new ``Faker`` with all its providers, about a millisecond each, when it
    builds an ``AnonymizedFaker`` (SDV builds one per key column of every table) and on every
    ``reset_randomization`` (after a fit, and before every sample); it only seeds it
    (``seed_instance``) before the next reset, and a key whose values are drawn again after
    sampling never uses it. Built on first use with the same locales, and seeded with the
    last seed given if one was (building a ``Faker`` draws nothing), it makes the same
    values."""

    def __init__(self, locales, seed=None, seeded: bool = True):
        self._args = (locales, seed, seeded)
        self._made = None

    def seed_instance(self, seed=None) -> None:
        """``Faker.seed_instance``: kept for when the ``Faker`` is built."""
        if self._made is None:
            self._args = (self._args[0], seed, True)
        else:
            self._made.seed_instance(seed)

    def __getattr__(self, name: str):
        if name.startswith("__") or name in ("_args", "_made"):  # copy / pickle probes
            raise AttributeError(name)
        return getattr(self._make(), name)

    def _make(self):
        if self._made is None:
            locales, seed, seeded = self._args
            self._made = faker.Faker(locales)
            if seeded:  # an unseeded Faker shares faker's module random
                self._made.seed_instance(seed)
        return self._made


class _DeferringFaker:
    """The ``faker`` module as RDT's anonymizer sees it in ``with deferred_fakers():``: its
    ``Faker(locales)`` is a ``DeferredFaker``; everything else is faker's."""

    def __getattr__(self, name: str):
        return getattr(faker, name)

    @staticmethod
    def Faker(locales=None) -> DeferredFaker:
        return DeferredFaker(locales, seeded=False)


#: every ``Faker`` RDT's ``AnonymizedFaker`` builds in the block made on first use
deferred_fakers = Swap((rdt_anonymizer, "faker", _DeferringFaker()))


def reset_randomization(hyper) -> None:
    """``HyperTransformer.reset_randomization`` with each plain ``AnonymizedFaker``'s new
    ``Faker`` deferred (``DeferredFaker``); every other transformer resets as RDT's."""
    for transformer in hyper.field_transformers.values():
        if type(transformer) is AnonymizedFaker:
            BaseTransformer.reset_randomization(transformer)  # AnonymizedFaker's own, then:
            transformer.faker = DeferredFaker(transformer.locales, transformer._faker_random_seed)
            if getattr(transformer, "cardinality_rule", None) == "scale":
                transformer._remaining_samples["repetitions"] = 0
                np.random.seed(transformer.random_seed)
        elif transformer:
            transformer.reset_randomization()


class DeferredFakers:
    """Mixin for an SDV multi-table synthesizer: ``reset_sampling`` as SDV's (the numpy seed,
    each table's processor and random state), the fakers' rebuild deferred."""

    def reset_sampling(self):
        """``BaseMultiTableSynthesizer.reset_sampling`` with ``reset_randomization``."""
        self._numpy_seed = 73251
        self._reset_tables()

    def preprocess(self, data):
        """``HMASynthesizer.preprocess``: SDV's multi-table preprocessing, then each table's
        sampling reset (here with the fakers deferred)."""
        processed = BaseMultiTableSynthesizer.preprocess(self, data)
        self._reset_tables()
        return processed

    def _reset_tables(self) -> None:
        for synthesizer in self._table_synthesizers.values():  # BaseSynthesizer.reset_sampling
            reset_randomization(synthesizer._data_processor._hyper_transformer)
            synthesizer._random_state_set = False


class _Prototypes(dict):
    """RDT's cached default transformers as SDV's ``DataProcessor.__init__`` deep-copies them:
    a new dict of the same instances. SDV never changes a prototype in place: it replaces
    entries of the dict (``_update_numerical_transformer``, a synthesizer's own transformers)
    and deep-copies or rebuilds a prototype for each column (``_get_transformer_with_parameters``),
    so one set serves every table and RDT's cache stays as it was."""

    def __deepcopy__(self, memo) -> dict:
        return dict(self)


def _shared_default_transformers() -> _Prototypes:
    return _Prototypes(get_default_transformers())


#: every table's ``DataProcessor`` built in the block reads RDT's cached default transformers
shared_prototypes = Swap(
    (sdv_data_processor, "get_default_transformers", _shared_default_transformers)
)
