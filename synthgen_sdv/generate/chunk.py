"""One chunk of a family: every member table's columns, from (seed, table, column, chunk) alone.

Chunk ``c`` of a family's root is rows ``c * chunk_size ..``; each member table is generated
per row of its parent within the chunk. Every value depends only on (seed, table, column,
chunk) and on the key ``offsets`` of the chunk (where its rows start in each table, known from
the per-chunk counts of the pre-pass), so any process, or any Spark task, makes the same chunk.

``only`` restricts a chunk to some columns per table (and what they read): the pre-pass asks
for the columns that children counts depend on, and the type probe for the columns whose type
only the values tell. A column draws from its own stream, so it has the same values whether or
not the others are made.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import pandas as pd

from synthgen_sdv.core.nulls import with_nulls
from synthgen_sdv.core.values import is_text, take
from synthgen_sdv.kinds import ColumnContext
from synthgen_sdv.schema.plan import Family, Plan, TablePlan

Columns = dict[str, pd.Series]


class ExpressionEnv(Mapping[str, Any]):
    """Names an expression can read: own columns, '<alias>.<column>' of parents, implicit ones."""

    #: parents read at their own rows, in order (children counts): no gather needed
    whole: frozenset[str] = frozenset()

    def __init__(self, tp: TablePlan, n: int):
        self.tp, self.n = tp, n
        self.own: dict[str, Any] = {}
        self.parents: dict[str, tuple[Any, np.ndarray, np.ndarray | None]] = {}
        self._cache: dict[str, pd.Series] = {}

    def add_parent(
        self, lookup_col: str, frame: Any, pos: np.ndarray, nulls: np.ndarray | None
    ) -> None:
        """Make a looked-up table's columns (a frame or a name -> Series mapping) readable, at
        row positions ``pos`` (``nulls``: rows whose key is null read nulls)."""
        for alias, col in self.tp.parent_alias.items():
            if col == lookup_col:
                self.parents[alias] = (frame, pos, nulls)

    def __getitem__(self, key: str) -> Any:
        if key in self.own:
            return self.own[key]
        if key in self._cache:
            return self._cache[key]
        alias, _, col = key.partition(".")
        if alias not in self.parents:
            raise KeyError(key)
        frame, pos, nulls = self.parents[alias]
        values = frame[col]
        if not (alias in self.whole and _plain_numbers(values)):  # those read as they are
            values = take(values, pos)  # compact kept text (engine.compact) comes back as text
        if nulls is not None:
            values = with_nulls(values, nulls)
        self._cache[key] = values
        return values

    def at(self, key: str, idx: np.ndarray) -> Any:
        """``self[key]`` at rows ``idx`` only (a conditional's case reads its own rows): a
        parent's column is taken once, at those rows, instead of whole and then again."""
        alias, _, col = key.partition(".")
        if key in self.own or key in self._cache or alias not in self.parents:
            value = self[key]
            return take(value, idx) if isinstance(value, pd.Series) else value
        frame, pos, nulls = self.parents[alias]
        values = take(frame[col], pos[idx])
        if nulls is None or not nulls.any():
            return values
        taken = _nulled_like(values, nulls[idx])
        return self[key].pipe(take, idx) if taken is None else taken

    def codes(self, key: str) -> tuple[np.ndarray, list[Any], Any] | None:
        """A parent column at this table's rows as (codes, distinct values, the value a null
        row reads; code -1: null), factorized on the parent's rows rather than on this
        table's (a chunk's orders read their customers' segment: 10k values, not 30k texts);
        None when that is no cheaper, or for names that are not a parent's column."""
        alias, _, col = key.partition(".")
        if key in self.own or alias not in self.parents:
            return None
        frame, pos, nulls = self.parents[alias]
        values = frame[col]
        if isinstance(values.dtype, pd.CategoricalDtype):  # kept text: its codes, no text
            codes = values.cat.codes.to_numpy()[pos]
            if nulls is not None:
                codes = np.where(nulls, -1, codes)
            return codes, list(values.cat.categories), pd.NA  # read as Arrow-backed text
        if len(values) > len(pos) or (nulls is not None and nulls.any()):
            return None
        codes, uniques = pd.factorize(values, use_na_sentinel=True)
        null = values[values.isna()].iloc[0] if (codes < 0).any() else None
        return codes[pos], list(uniques), null

    def __iter__(self) -> Iterator[str]:
        return iter(self.own)

    def __len__(self) -> int:
        return len(self.own)


def _nulled_like(values: pd.Series, mask: np.ndarray) -> pd.Series | None:
    """Rows of a column that ``with_nulls`` gave nulls in some rows, taken before the nulls
    were put in (``mask``: the taken rows' share of them, maybe none): the values and dtype
    taking them afterwards gives; None for dtypes where that is not known here."""
    if mask.any():
        return with_nulls(values, mask)
    dtype = values.dtype
    if isinstance(dtype, pd.ArrowDtype) or (isinstance(dtype, np.dtype) and dtype.kind in "fM"):
        return values  # these keep their dtype when nulls are put in
    if isinstance(dtype, np.dtype) and dtype.kind in "ib":  # with_nulls' masked arrays
        data = values.to_numpy()
        masked = (
            pd.arrays.IntegerArray(data.astype(np.int64), mask.copy())
            if dtype.kind == "i"
            else pd.arrays.BooleanArray(data, mask.copy())
        )
        return pd.Series(masked)
    return None


@dataclass
class FamilyChunk:
    """The columns of each member table in one chunk, and each child row's parent position."""

    chunk: int
    tables: dict[str, Columns]
    rows: dict[str, int]
    positions: dict[str, np.ndarray] = field(default_factory=dict)

    def frame(self, table: str, columns: list[str] | None = None) -> pd.DataFrame:
        """A member table (or some of its columns) as a frame, over the chunk's own arrays
        (``copy=False``: no consolidation into 2-D blocks, which copied every column)."""
        cols = self.tables[table]
        names = list(cols) if columns is None else columns
        return pd.DataFrame(
            {c: cols[c] for c in names}, index=pd.RangeIndex(self.rows[table]), copy=False
        )


def generate_table_chunk(
    plan: Plan,
    tp: TablePlan,
    chunk: int,
    n: int,
    row_offset: int | None,
    materialized: Mapping[str, pd.DataFrame],
    driver: tuple[Mapping[str, pd.Series], np.ndarray] | None,
    only: set[str] | None = None,
) -> Columns:
    """One chunk of one table: every column (hidden ones too) in declared order, or the
    columns in ``only``. Keys of a driven table are zeros here: ``assign_keys`` sets them."""
    env = ExpressionEnv(tp, n)
    values: Columns = {}
    groups = None

    def context(col: str) -> ColumnContext:
        return ColumnContext(
            n=n,
            seed=plan.seed,
            table=tp.name,
            column=col,
            chunk=chunk,
            env=env,
            locale=plan.locale,
            row_offset=row_offset,
        )

    def wanted(col: str) -> bool:
        return only is None or col in only

    if driver is not None:
        pframe, pos = driver
        env.add_parent(tp.driver, pframe, pos, None)  # type: ignore[arg-type]
        if _reads_index_in_parent(tp):  # a few passes over every child row: only if read
            env.own["index_in_parent"] = _index_in_parent(pos)
        values[tp.driver] = pd.Series(np.zeros(n, dtype=np.int64))  # type: ignore[index]
        groups = pos
    for col in tp.lookups:
        if not wanted(col):
            continue
        spec = tp.lookup(col)
        target = materialized[spec.foreign_key_target]
        ctx = context(col)
        pos = spec.positions(ctx, len(target), groups)
        nulls = ctx.sub_rng("nulls").random(n) < spec.null_rate if spec.null_rate else None
        if (pos < 0).any():  # a distinct lookup that ran out of parents
            nulls = (pos < 0) if nulls is None else (nulls | (pos < 0))
            pos = np.where(pos < 0, 0, pos)
        parent_keys = target[tp.target_column(col, plan)]
        # text keys stay Arrow-backed, the dtype of the parent's key column
        keys = (
            take(parent_keys, pos)
            if is_text(parent_keys)
            else pd.Series(parent_keys.to_numpy()[pos])
        )
        values[col] = with_nulls(keys, nulls) if nulls is not None else keys
        env.own[col] = values[col]
        env.add_parent(col, target, pos, nulls)
    for col in tp.order:
        if not wanted(col):
            continue
        spec = tp.columns[col]
        if spec.is_key_sequence and row_offset is None:
            values[col] = pd.Series(np.zeros(n, dtype=np.int64))  # set by assign_keys
            continue
        values[col] = spec.generate(context(col))
        env.own[col] = values[col]
    for col in tp.rollups:
        if wanted(col):
            values[col] = pd.Series(np.zeros(n))
    return {c: values[c] for c in tp.columns if c in values}


def _index_in_parent(pos: np.ndarray) -> pd.Series:
    """Each child row's number among its parent's children (0, 1, ...)."""
    starts = np.r_[0, np.flatnonzero(np.diff(pos)) + 1] if len(pos) else np.array([], int)
    sizes = np.diff(np.r_[starts, len(pos)])
    return pd.Series(np.arange(len(pos)) - np.repeat(starts, sizes))


def _reads_index_in_parent(tp: TablePlan) -> bool:
    """Whether any column of ``tp`` (a case of a conditional too) reads ``index_in_parent``."""
    return any("index_in_parent" in spec.deps() for spec in tp.columns.values())


def _parent_env(child: TablePlan, parent: Mapping[str, pd.Series], n: int) -> ExpressionEnv:
    """An env over parent rows, for children_per_parent count expressions."""
    env = ExpressionEnv(child, n)
    env.add_parent(child.driver, parent, np.arange(n), None)  # type: ignore[arg-type]
    env.whole = frozenset(env.parents)
    return env


def _plain_numbers(values: pd.Series) -> bool:
    """Numpy-backed values over rows 0..n-1: taking them at 0..n-1 would copy them as they are."""
    index = values.index
    plain = isinstance(index, pd.RangeIndex) and index.start == 0 and index.step == 1
    return plain and isinstance(values.dtype, np.dtype)


def children_counts(
    plan: Plan,
    tp: TablePlan,
    chunk: int,
    parent: Mapping[str, pd.Series],
    n_parents: int,
    materialized: Mapping[str, pd.DataFrame],
) -> np.ndarray:
    """How many rows of ``tp`` each parent row of the chunk gets."""
    spec = tp.lookup(tp.driver)  # type: ignore[arg-type]
    ctx = ColumnContext(
        n=n_parents,
        seed=plan.seed,
        table=tp.name,
        column=tp.driver,  # type: ignore[arg-type]
        chunk=chunk,
        env=_parent_env(tp, parent, n_parents),
        locale=plan.locale,
    )
    counts = spec.children_counts(ctx)
    for col in tp.lookups:  # e.g. no more distinct picks per parent than there are parents
        lookup = tp.lookup(col)
        counts = lookup.limit_children(counts, len(materialized[lookup.foreign_key_target]))
    return counts


def root_rows(plan: Plan, family: Family, materialized: Mapping[str, pd.DataFrame]) -> int:
    """Rows of the family's root: configured and scaled, or those of a given (pinned) table."""
    if family.root in materialized:
        return len(materialized[family.root])
    return plan.tables[family.root].rows or 0


def family_chunk(
    plan: Plan,
    family: Family,
    chunk: int,
    materialized: Mapping[str, pd.DataFrame],
    offsets: Mapping[str, int] | None = None,
    only: Mapping[str, set[str]] | None = None,
) -> FamilyChunk:
    """Chunk ``chunk`` of every member of ``family``; with ``offsets`` (first row of each
    member table in this chunk) the keys of driven tables are assigned too."""
    root = plan.tables[family.root]
    start = chunk * plan.chunk_size
    given = family.root in materialized  # a table given whole (pinned), not generated
    n = min(plan.chunk_size, root_rows(plan, family, materialized) - start)
    out = FamilyChunk(chunk, {}, {})
    if given:
        frame = materialized[family.root].iloc[start : start + n].reset_index(drop=True)
        out.tables[family.root] = {c: frame[c] for c in frame.columns}
    else:
        cols = None if only is None else only.get(family.root, set())
        out.tables[family.root] = generate_table_chunk(
            plan, root, chunk, n, start, materialized, None, cols
        )
    out.rows[family.root] = n
    for name in family.members[1:]:
        tp = plan.tables[name]
        parent_name = tp.driver_target
        assert parent_name is not None  # members after the root are driven
        parent = out.tables[parent_name]
        counts = children_counts(plan, tp, chunk, parent, out.rows[parent_name], materialized)
        pos = np.repeat(np.arange(out.rows[parent_name]), counts)
        cols = None if only is None else only.get(name, set())
        out.tables[name] = generate_table_chunk(
            plan, tp, chunk, len(pos), None, materialized, (parent, pos), cols
        )
        out.rows[name] = len(pos)
        out.positions[name] = pos
        if offsets is not None:
            assign_keys(plan, tp, out, offsets[name])
    return out


def add_rollups(plan: Plan, family: Family, made: FamilyChunk, given: bool) -> None:
    """Aggregates of children (order total = sum of its lines), once keys are numbered."""
    for name in family.members[1:] if given else family.members:  # given tables are final
        tp = plan.tables[name]
        for col in tp.rollups:
            spec = tp.columns[col]
            child = spec.rollup_source
            assert child is not None  # the plan lists rollup columns only
            made.tables[name][col] = spec.aggregate(
                made.tables[child], made.positions[child], made.rows[name]
            )


def assign_keys(plan: Plan, tp: TablePlan, chunk: FamilyChunk, offset: int) -> None:
    """Sequence keys continue where the previous chunk stopped; the driver FK follows its parent."""
    cols = chunk.tables[tp.name]
    n = chunk.rows[tp.name]
    for col, spec in tp.columns.items():
        if spec.is_key_sequence and col in cols:
            cols[col] = pd.Series(spec.key_values(offset, n).to_numpy())
    parent = tp.lookup(tp.driver).foreign_key_target  # type: ignore[arg-type]
    key = tp.target_column(tp.driver, plan)  # type: ignore[arg-type]
    cols[tp.driver] = pd.Series(  # type: ignore[index]
        chunk.tables[parent][key].to_numpy()[chunk.positions[tp.name]]
    )


def warm_up(plan: Plan, family: Family, materialized: Mapping[str, pd.DataFrame]) -> None:
    """Build the family's per-process caches (Faker pools, lookups' popularity tables) in
    this process, before workers fork: each forked worker built its own, in every family."""
    for name in family.members:
        tp = plan.tables[name]
        for col, spec in tp.columns.items():
            spec.warm_up(plan.seed, name, col, plan.locale)
        for col in tp.lookups:
            lookup = tp.lookup(col)
            target = lookup.foreign_key_target
            if target is not None and target in materialized:
                lookup.warm_lookup(plan.seed, name, col, len(materialized[target]))
