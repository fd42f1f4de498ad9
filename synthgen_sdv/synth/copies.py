"""Small tables copied with their real rows (``small_tables``): lookup tables and their small
children, sampled by resampling rows instead of from models fitted on a handful of them.

HMA models a root table with a Gaussian copula over its columns and its children's
per-parent parameters, and a child from per-parent normals. On a table of 5-50 rows
(categories, regions, publishers, job titles) neither can be estimated: the copula has as many
columns as rows once the children's parameters are added, and scrambles which name goes with
which description and which children; a small child of such a table (the 18 titles of 8
publishers, the 77 products of 8 categories and 29 suppliers) is re-drawn per parent from
normals fitted on two or three rows. In the real data these rows *are* the distribution.

A table is copied when it has fewer than ``small_tables`` rows and every parent it has is
copied too. Its rows are the real rows (values as fitted, with the row's own children's
parameters from HMA's processed space, so the children of a copied row follow that row; new
primary keys as HMA makes them), each taken ``scale`` times
(``resample_rows``: exact frequencies, shuffled); a copied child row points at a copy of its
real parent row under every foreign key, so the joint of a lookup table and its small children
is the real one. Tables not copied are sampled by HMA under the copies as usual.

Privacy: the attribute values of such tables are copies of real rows (PII columns are still
regenerated, ``synth.pii``); ``small_tables=0`` turns it off. Measured in
``reports/crosstable.md``.
"""

from __future__ import annotations

import contextlib
from dataclasses import dataclass

import numpy as np
import pandas as pd


def resample_rows(n: int, num_rows: int) -> np.ndarray:
    """Indices of ``num_rows`` rows out of ``n``: every row ``num_rows // n`` times and the rest
    without replacement, shuffled (global numpy state, seeded by the caller). The rows keep
    their real frequencies exactly, where a bootstrap would drop a third of an 8-row table."""
    whole, rest = divmod(num_rows, n)
    index = np.concatenate([np.tile(np.arange(n), whole), np.random.permutation(n)[:rest]])
    return np.random.permutation(index).astype(np.intp)


@dataclass
class CopySource:
    """A copied table's fitted rows: processed values (foreign keys removed), each row's real
    primary key and its real foreign key values, and the rows as fitted (``values``)."""

    rows: pd.DataFrame
    keys: np.ndarray
    foreign: dict[str, np.ndarray]
    values: pd.DataFrame


def copied_tables(sizes: dict[str, int], parents: dict[str, set[str]], below: int) -> list[str]:
    """Tables of fewer than ``below`` rows whose parents are all copied, parents first."""
    out: list[str] = []
    todo = sorted(t for t, n in sizes.items() if 0 < n < below)
    changed = True
    while changed:
        changed = False
        for table in todo:
            if table not in out and all(p in out for p in parents.get(table, ())):
                out.append(table)
                changed = True
    return out


class SmallTableCopies:
    """Mixin for ``FastHMASynthesizer``: which tables are copied (``_plan_copies`` at fit),
    their rows (``_keep_copy`` per table) and the copies at sampling (``_copy_table``)."""

    small_tables: int = 0
    _copied: list[str] | None = None
    _copy_sources: dict[str, CopySource] | None = None
    _origin: dict[str, np.ndarray] | None = None  # per sample: original row of each copy
    _copy_values: dict[str, pd.DataFrame] | None = None
    _unmodeled: set[str] | None = None

    def fit(self, data):
        """Choose the copied tables and keep their rows as fitted, then fit."""
        parents = {t: set(p) for t, p in self.metadata._get_parent_map().items()}
        sizes = {t: len(df) for t, df in data.items()}
        below = self.small_tables
        self._copied = copied_tables(sizes, parents, below) if below else []
        self._copy_sources = {}
        self._unmodeled = set()  # copied when their turn came in ``_model_tables``
        self._copy_values = {t: data[t].reset_index(drop=True) for t in self._copied}
        return super().fit(data)

    def _fit_no_longer_copied(self, augmented_data: dict) -> None:
        """A copied table's model is not fitted (``_model_tables``): it is sampled from its
        rows, never from its copula, and is no child's fallback (its children are copied
        too); 2 ms a table, a twentieth of car_1's fit + sample. Here the models of tables
        that were copied when their turn came and are no longer (a parent's rows were dropped
        by preprocessing, ``_keep_copy``) are fitted after all, as stock's loop fits them."""
        for table_name, table in augmented_data.items():
            if self._is_copied(table_name) or table_name not in (self._unmodeled or ()):
                continue
            keys = self._pop_foreign_keys(table, table_name)
            self._fit_table_model(table_name, table)
            for fk_column_name, fk_values in keys.items():
                table[fk_column_name] = fk_values

    def _lineage(self, table: str) -> set[str]:
        """Every ancestor of ``table``."""
        out, todo = set(), [table]
        while todo:
            for parent in self.metadata._get_parent_map().get(todo.pop(), ()):
                if parent not in out:
                    out.add(parent)
                    todo.append(parent)
        return out

    def _is_copied(self, table: str) -> bool:
        return table in (self._copied or ()) and table in (self._copy_sources or {})

    def _keep_copy(self, table: str, rows: pd.DataFrame, foreign: dict[str, np.ndarray]) -> None:
        """Remember ``table``'s processed rows (index: its primary key) if it is copied."""
        if table not in (self._copied or ()):
            return
        values = (self._copy_values or {}).get(table)
        if values is not None and len(values) == len(rows):
            keys = rows.index.to_numpy()
            self._copy_sources[table] = CopySource(rows.copy(), keys, dict(foreign), values)
            self._unmodeled.add(table)
        else:  # rows dropped by preprocessing: sampled by HMA instead, and so its children
            self._copied = [t for t in self._copied if t != table and table not in self._lineage(t)]

    def _ready_to_copy(self, table: str, sampled_data: dict) -> bool:
        """A copied table not yet sampled whose parents all are."""
        parents = self.metadata._get_parent_map().get(table, set())
        return (
            self._is_copied(table)
            and table not in sampled_data
            and all(p in sampled_data for p in parents)
        )

    def _copy_table(self, table: str, sampled_data: dict, scale: float) -> pd.DataFrame:
        """``table``'s real rows, each ``scale`` times, with new primary keys made as HMA makes
        them and every foreign key pointing at a copy of the real parent row."""
        if self._origin is None:
            self._origin = {}
        source = self._copy_sources[table]
        n = len(source.rows)
        picked = resample_rows(n, max(round(n * scale), 1))
        raw = source.rows.iloc[picked].reset_index(drop=True)
        # alternate keys keep their real values while every row is copied at most once;
        # past that they are made as HMA makes keys, like the primary key, to stay unique
        meta = self.metadata.tables[table]
        regenerated = set(meta.alternate_keys or ()) if len(picked) > n else set()
        sampled = self._copied_rows(table, raw, source, picked, regenerated)
        if sampled is None:
            sampled = self._finish_rows(table, raw)
        picked = picked[sampled.index.to_numpy()]
        # the fitted values themselves: a round trip through the processed space (quantile
        # scores, per-value shares) need not give back the exact real value
        kept = {*source.foreign, *regenerated}
        for column in source.values.columns:
            if column != meta.primary_key and column not in kept:
                sampled[column] = source.values[column].to_numpy()[picked]
        repeat = pd.Series(picked).groupby(picked).cumcount().to_numpy()
        for fk, parent_keys in source.foreign.items():
            sampled[fk] = self._copied_parent_keys(
                table, fk, parent_keys[picked], repeat, sampled_data
            )
        self._origin[table] = picked
        return sampled.reset_index(drop=True)

    def _copied_rows(
        self, table, raw, source, picked, regenerated=frozenset()
    ) -> pd.DataFrame | None:
        """``_finish_rows(table, raw)`` as ``_copy_table`` keeps it, without reverse
        transforming the columns it replaces with the real values: SDV's reverse transform of
        the rows keeps its column order, makes the keys (drawn, cast and formatted as SDV
        does; ``regenerated``: the alternate keys kept as made too) and adds the children's
        parameters. None where SDV would do more than that
        (constraints, composite keys, a column the fitted values lack): ``_finish_rows``."""
        synthesizer = self._table_synthesizers[table]
        processor = synthesizer._data_processor
        if (
            processor._constraints
            or processor._constraints_to_reverse
            or getattr(synthesizer, "_composite_keys", None)
            or getattr(synthesizer, "_chained_constraints", None)
            or getattr(synthesizer, "_reject_sampling_constraints", None)
        ):
            return None
        hyper = processor._hyper_transformer
        if hyper._multi_column_fields or processor.grouped_columns_to_transformers:
            return None
        fields = hyper.field_transformers
        # what SDV's reverse transform returns of the real rows processed: every column with
        # a transformer (reversed, or anonymized if a generator's), the keys and the columns
        # passed through, in the metadata's order
        made = [
            column
            for column in processor.metadata.columns
            if column in processor._keys or fields.get(column) is not None or column in raw.columns
        ]
        keep = source.values.columns
        primary = processor._primary_key
        if any(column != primary and column not in keep for column in made):
            return None
        frame = {column: source.values[column].to_numpy()[picked] for column in made}
        if processor._keys:
            keys = processor.generate_keys(len(raw))
            for column in {primary, *regenerated} & set(keys):
                frame[column] = _as_sdv_keeps(processor, column, keys[column])
        sampled = pd.DataFrame(frame, index=raw.index, columns=made)
        input_columns = hyper._input_columns
        extra = [c for c in raw.columns if c not in input_columns and c not in sampled]
        return pd.concat([sampled, raw[extra]], axis=1)

    def _copied_parent_keys(self, table, fk, real_keys, repeat, sampled_data) -> np.ndarray:
        """For each copied row: the key of the ``repeat``-th copy (cycling) of its real parent
        row; null where the real key is null or no copy of that parent was sampled."""
        parent = next(
            r["parent_table_name"]
            for r in self.metadata.relationships
            if r["child_table_name"] == table and r["child_foreign_key"] == fk
        )
        origin = self._origin[parent]
        source = self._copy_sources[parent]
        sampled_keys = sampled_data[parent][self.metadata.tables[parent].primary_key].to_numpy()
        wanted = pd.Index(source.keys).get_indexer(real_keys)  # real parent row; -1: null
        order = np.argsort(origin, kind="stable")  # copies of each parent row, in order
        first = np.searchsorted(origin[order], wanted, side="left")
        count = np.searchsorted(origin[order], wanted, side="right") - first
        found = (wanted >= 0) & (count > 0)
        out = np.full(len(real_keys), None, dtype=object)
        at = first[found] + repeat[found] % count[found]
        out[found] = sampled_keys[order[at]]
        return pd.Series(out).where(found).to_numpy()


def _as_sdv_keeps(processor, column: str, values: pd.Series) -> pd.Series:
    """A generated key column as SDV's ``DataProcessor.reverse_transform`` leaves it: nulls
    dropped, cast to the real dtype (left as made where it cannot be). SDV keeps no formatter
    for a primary key (``_fit_formatters`` skips it)."""
    dtype = processor._dtypes[column]
    if pd.api.types.is_integer_dtype(dtype) and pd.api.types.is_float_dtype(values.dtype):
        values = values.round()
    values = values[values.notna()].reindex(values.index)
    with contextlib.suppress(ValueError, OverflowError):  # SDV leaves it as made
        values = values.astype(dtype)
    return values
