"""The chunked, seeded rule-based engine: a plan in, clean (and dirty) table chunks out.

Tables are generated family by family (a root table and the tables generated per its rows,
such as customers -> orders -> transactions -> returns). A family is cut into fixed-size
chunks of its root; every value in a chunk depends only on (seed, table, column, chunk), so
workers may generate chunks in any order. Keys of driven tables depend on how many rows the
earlier chunks had, so the main process assigns them in chunk order: output is the same for
any number of workers. Tables that others look up by popularity are kept in memory whole;
everything else streams to the sink, so memory stays flat as scale grows.
"""

from __future__ import annotations

import math
import multiprocessing as mp
import time
from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import pandas as pd

from synthgen_sdv.anomalies import ChunkInfo
from synthgen_sdv.core.nulls import with_nulls
from synthgen_sdv.core.progress import Progress
from synthgen_sdv.core.seeds import rng_for
from synthgen_sdv.io.sink import Sink
from synthgen_sdv.kinds import ColumnContext
from synthgen_sdv.kinds.derived import infer_logical_type
from synthgen_sdv.schema.plan import Family, Plan, TablePlan


@dataclass
class GenerationResult:
    """What a run produced besides the files: counts, types, labels, and the kept tables."""

    row_counts: dict[str, int]
    dirty_row_counts: dict[str, int]
    types: dict[str, dict[str, str]]
    anomalies: list[dict[str, Any]]
    entity_links: list[dict[str, Any]]
    seconds: float
    nullable: dict[str, set[str]] = field(default_factory=dict)  # columns seen with nulls
    tables: dict[str, pd.DataFrame] = field(default_factory=dict)  # the kept clean tables


# --- the per-chunk work (runs in workers) ---------------------------------------------------

_STATE: dict[str, Any] = {}


class ExpressionEnv(Mapping[str, Any]):
    """Names an expression can read: own columns, '<alias>.<column>' of parents, implicit ones."""

    def __init__(self, tp: TablePlan, n: int):
        self.tp, self.n = tp, n
        self.own: dict[str, Any] = {}
        self.parents: dict[str, tuple[pd.DataFrame, np.ndarray, np.ndarray | None]] = {}
        self._cache: dict[str, pd.Series] = {}

    def add_parent(
        self, lookup_col: str, frame: pd.DataFrame, pos: np.ndarray, nulls: np.ndarray | None
    ) -> None:
        """Make a looked-up table's columns readable, at row positions ``pos`` (``nulls``:
        rows whose key is null read nulls)."""
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
        values = frame[col].iloc[pos].reset_index(drop=True)
        if nulls is not None:
            values = with_nulls(values, nulls)
        self._cache[key] = values
        return values

    def __iter__(self) -> Iterator[str]:
        return iter(self.own)

    def __len__(self) -> int:
        return len(self.own)


def _parent_env(plan: Plan, child: TablePlan, frame: pd.DataFrame) -> ExpressionEnv:
    """An env over parent rows, for children_per_parent count expressions."""
    env = ExpressionEnv(child, len(frame))
    env.add_parent(child.driver, frame, np.arange(len(frame)), None)  # type: ignore[arg-type]
    return env


def generate_table_chunk(
    plan: Plan,
    tp: TablePlan,
    chunk: int,
    n: int,
    row_offset: int | None,
    materialized: Mapping[str, pd.DataFrame],
    driver: tuple[pd.DataFrame, np.ndarray] | None,
) -> pd.DataFrame:
    """One chunk of one table, with every column (hidden ones too) in declared order."""
    env = ExpressionEnv(tp, n)
    values: dict[str, Any] = {}
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

    if driver is not None:
        pframe, pos = driver
        env.add_parent(tp.driver, pframe, pos, None)  # type: ignore[arg-type]
        starts = np.r_[0, np.flatnonzero(np.diff(pos)) + 1] if len(pos) else np.array([], int)
        sizes = np.diff(np.r_[starts, len(pos)])
        env.own["index_in_parent"] = pd.Series(np.arange(len(pos)) - np.repeat(starts, sizes))
        values[tp.driver] = pd.Series(np.zeros(n, dtype=np.int64))  # keys set by the main process
        groups = pos
    for col in tp.lookups:
        spec = tp.lookup(col)
        target = materialized[spec.foreign_key_target]
        ctx = context(col)
        pos = spec.positions(ctx, len(target), groups)
        nulls = ctx.sub_rng("nulls").random(n) < spec.null_rate if spec.null_rate else None
        if (pos < 0).any():  # a distinct lookup that ran out of parents
            nulls = (pos < 0) if nulls is None else (nulls | (pos < 0))
            pos = np.where(pos < 0, 0, pos)
        keys = pd.Series(target[tp.target_column(col, plan)].to_numpy()[pos])
        values[col] = with_nulls(keys, nulls) if nulls is not None else keys
        env.own[col] = values[col]
        env.add_parent(col, target, pos, nulls)
    for col in tp.order:
        spec = tp.columns[col]
        if spec.is_key_sequence and row_offset is None:
            values[col] = pd.Series(np.zeros(n, dtype=np.int64))  # assigned by the main process
            continue
        ctx = context(col)
        values[col] = spec.generate(ctx)
        env.own[col] = values[col]
    for col in tp.rollups:
        values[col] = pd.Series(np.zeros(n))
    return pd.DataFrame({c: values[c] for c in tp.columns}, index=pd.RangeIndex(n))


def _family_chunk(
    args: tuple[Family, int],
) -> tuple[int, dict[str, pd.DataFrame], dict[str, np.ndarray]]:
    family, chunk = args
    plan: Plan = _STATE["plan"]
    materialized: Mapping[str, pd.DataFrame] = _STATE["materialized"]
    root = plan.tables[family.root]
    start = chunk * plan.chunk_size
    given = family.root in materialized  # a table given whole (pinned), not generated
    rows = len(materialized[family.root]) if given else root.rows
    n = min(plan.chunk_size, rows - start)  # type: ignore[operator]
    frames: dict[str, pd.DataFrame] = {}
    positions: dict[str, np.ndarray] = {}
    if given:
        frames[family.root] = (
            materialized[family.root].iloc[start : start + n].reset_index(drop=True)
        )
    else:
        frames[family.root] = generate_table_chunk(plan, root, chunk, n, start, materialized, None)
    for name in family.members[1:]:
        tp = plan.tables[name]
        spec = tp.lookup(tp.driver)  # type: ignore[arg-type]
        pframe = frames[spec.foreign_key_target]
        ctx = ColumnContext(
            n=len(pframe),
            seed=plan.seed,
            table=name,
            column=tp.driver,  # type: ignore[arg-type]
            chunk=chunk,
            env=_parent_env(plan, tp, pframe),
            locale=plan.locale,
        )
        counts = spec.children_counts(ctx)
        for col in tp.lookups:  # e.g. no more distinct picks per parent than there are parents
            lookup = tp.lookup(col)
            counts = lookup.limit_children(counts, len(materialized[lookup.foreign_key_target]))
        pos = np.repeat(np.arange(len(pframe)), counts)
        frames[name] = generate_table_chunk(
            plan, tp, chunk, len(pos), None, materialized, (pframe, pos)
        )
        positions[name] = pos
    for name in family.members[1:] if given else family.members:  # given tables are final
        tp = plan.tables[name]
        for col in tp.rollups:
            spec = tp.columns[col]
            child = spec.rollup_source
            assert child is not None  # the plan lists rollup columns only
            frames[name][col] = spec.aggregate(frames[child], positions[child], len(frames[name]))
    return chunk, frames, positions


# --- the main process ------------------------------------------------------------------------


class Engine:
    """Runs a plan: families in order, chunks in order, keys and anomalies applied in main."""

    def __init__(
        self,
        plan: Plan,
        workers: int = 1,
        keep: set[str] | None = None,
        progress: bool = True,
        log: Callable[[str], None] | None = None,
    ):
        self.plan, self.workers, self.progress = plan, max(1, workers), progress
        self.keep = set(keep or ())
        self.log = log or (lambda _msg: None)

    def run(self, sink: Sink, pinned: Mapping[str, pd.DataFrame] | None = None) -> GenerationResult:
        """Generate every table. ``pinned`` tables are given whole (sampled by a synthesizer):
        they are written as they are, and the tables that depend on them are generated on them.
        """
        started = time.perf_counter()
        plan = self.plan
        materialized: dict[str, pd.DataFrame] = dict(pinned or {})
        given = set(pinned or ())
        families = plan.with_pinned(given) if given else plan.families
        state = _RunState(plan)
        for family in families:
            t0 = time.perf_counter()
            root = plan.tables[family.root]
            rows = len(materialized[family.root]) if family.root in materialized else root.rows
            n_chunks = max(1, math.ceil(rows / plan.chunk_size))  # type: ignore[operator]
            collected: dict[str, list[pd.DataFrame]] = {
                t: []
                for t in family.members
                if (t in plan.materialized or t in self.keep) and t not in given
            }
            offsets = dict.fromkeys(family.members, 0)
            chunks = Progress(quiet=not self.progress).bar(  # a bar on a terminal only
                self._chunks(family, n_chunks, materialized),
                total=n_chunks,
                desc=" + ".join(family.members),
                unit="chunk",
            )
            for chunk, frames, positions in chunks:
                for name in family.members:
                    frame = frames[name]
                    tp = plan.tables[name]
                    if tp.driver is not None and name not in given:
                        _assign_keys(plan, tp, frame, frames, positions[name], offsets[name])
                    offsets[name] += len(frame)
                    state.emit(sink, name, frame, chunk, materialized)
                    if name in collected:
                        collected[name].append(frame)
            for name in family.members:
                state.finish(sink, name)
                if name in collected:
                    full = (
                        pd.concat(collected[name], ignore_index=True)
                        if collected[name]
                        else pd.DataFrame(columns=list(plan.tables[name].columns))
                    )
                    materialized[name] = full
            rows = ", ".join(f"{t} {state.rows[t]:,}" for t in family.members)
            self.log(f"generated {rows} rows in {time.perf_counter() - t0:.1f} s")
        return GenerationResult(
            row_counts={t: state.rows[t] for t in plan.tables if t in state.rows},
            dirty_row_counts=dict(state.dirty_rows),
            types=state.types,
            anomalies=state.labels(),
            entity_links=state.links,
            seconds=time.perf_counter() - started,
            nullable=state.nulls,
            tables={
                t: _emitted(plan.tables[t], materialized[t]) for t in self.keep if t in materialized
            },
        )

    def _chunks(self, family: Family, n_chunks: int, materialized: dict[str, pd.DataFrame]):
        _STATE["plan"], _STATE["materialized"] = self.plan, materialized
        tasks = [(family, c) for c in range(n_chunks)]
        if self.workers == 1 or n_chunks == 1:
            yield from map(_family_chunk, tasks)
            return
        self._warm_pools(family)
        ctx = mp.get_context("fork")  # workers inherit the plan and kept tables without pickling
        with ctx.Pool(min(self.workers, n_chunks)) as pool:
            yield from pool.imap(_family_chunk, tasks)

    def _warm_pools(self, family: Family) -> None:
        """Build Faker pools before forking, so workers inherit them instead of each rebuilding."""
        for name in family.members:
            for col, spec in self.plan.tables[name].columns.items():
                spec.warm_up(self.plan.seed, name, col, self.plan.locale)


def _emitted(tp: TablePlan, frame: pd.DataFrame) -> pd.DataFrame:
    return frame[tp.emitted].reset_index(drop=True)


def _assign_keys(
    plan: Plan,
    tp: TablePlan,
    frame: pd.DataFrame,
    frames: dict[str, pd.DataFrame],
    pos: np.ndarray,
    offset: int,
) -> None:
    """Sequence keys continue where the previous chunk stopped; the driver FK follows its parent."""
    for col, spec in tp.columns.items():
        if spec.is_key_sequence:
            frame[col] = spec.key_values(offset, len(frame)).to_numpy()
    parent = tp.lookup(tp.driver).foreign_key_target  # type: ignore[arg-type]
    key = tp.target_column(tp.driver, plan)  # type: ignore[arg-type]
    frame[tp.driver] = frames[parent][key].to_numpy()[pos]


class _RunState:
    """Types, anomalies and labels, accumulated in chunk order in the main process."""

    def __init__(self, plan: Plan):
        self.plan = plan
        self.rows: dict[str, int] = {}
        self.dirty_rows: dict[str, int] = {}
        self.types: dict[str, dict[str, str]] = {}
        self.nulls: dict[str, set[str]] = {}
        self.dirty_types: dict[str, dict[str, str]] = {}
        self.deferred: dict[str, list[pd.DataFrame]] = {}
        self.touched: dict[int, list[Any]] = {}
        self.links: list[dict[str, Any]] = []
        self.by_table: dict[str, list[tuple[int, Any]]] = {}
        for i, anomaly in enumerate(plan.anomalies):
            self.by_table.setdefault(anomaly.table, []).append((i, anomaly))

    def _types(self, tp: TablePlan, frame: pd.DataFrame) -> dict[str, str]:
        out = {}
        for col in tp.emitted:
            spec = tp.columns[col]
            kind = spec.logical_type()
            parent = spec.foreign_key_target
            if kind == "inferred" and parent is not None:
                target = self.plan.tables[parent]
                kind = (
                    self.types.get(parent, {}).get(tp.target_column(col, self.plan))
                    or target.columns[tp.target_column(col, self.plan)].logical_type()
                )
            if kind == "inferred":
                kind = infer_logical_type(frame[col])  # an empty chunk still has its dtype
            out[col] = kind
        return out

    def emit(
        self,
        sink: Sink,
        name: str,
        frame: pd.DataFrame,
        chunk: int,
        materialized: Mapping[str, pd.DataFrame],
    ) -> None:
        tp = self.plan.tables[name]
        if name not in self.types:
            self.types[name] = self._types(tp, frame)
            dirty = None
            if name in self.by_table:
                dirty = dict(self.types[name])
                for _, anomaly in self.by_table[name]:
                    if anomaly.column:
                        dirty[anomaly.column] = anomaly.dirty_type(dirty[anomaly.column])
                self.dirty_types[name] = dirty
            sink.begin(name, self.types[name], dirty)
            self.rows[name] = 0
        self._record_links(tp, frame)
        clean = _emitted(tp, frame)
        self.rows[name] += len(clean)
        self.nulls.setdefault(name, set()).update(clean.columns[clean.isna().any()].tolist())
        dirty_frame = (
            self._corrupt(tp, clean, chunk, materialized) if name in self.by_table else None
        )
        if dirty_frame is not None:
            self.dirty_rows[name] = self.dirty_rows.get(name, 0) + len(dirty_frame)
        sink.write(name, clean, dirty_frame)

    def _corrupt(
        self,
        tp: TablePlan,
        clean: pd.DataFrame,
        chunk: int,
        materialized: Mapping[str, pd.DataFrame],
    ) -> pd.DataFrame:
        lookups = {
            c: s.foreign_key_target
            for c, s in tp.columns.items()
            if s.foreign_key_target is not None
        }
        info = ChunkInfo(
            primary_key=tp.primary_key,
            logical_types=self.types[tp.name],
            lookup_targets=lookups,
            orphan_base=self._orphan_base(tp, materialized),
        )
        frame = clean
        for i, anomaly in self.by_table[tp.name]:
            rng = rng_for(self.plan.seed, "anomaly", i, tp.name, chunk)
            result = anomaly.apply(frame, rng, info)
            frame = result.frame
            self.touched.setdefault(i, []).extend(_plain(v) for v in result.rows)
            if result.deferred is not None and len(result.deferred):
                self.deferred.setdefault(tp.name, []).append(result.deferred)
        return frame

    def _orphan_base(self, tp: TablePlan, materialized: Mapping[str, pd.DataFrame]) -> dict:
        out: dict[str, Any] = {}
        for col, spec in tp.columns.items():
            parent = spec.foreign_key_target
            if parent is None:
                continue
            if self.types.get(tp.name, {}).get(col) == "string":
                out[col] = "ORPHAN-"
            elif parent in materialized and len(materialized[parent]):
                keys = pd.to_numeric(materialized[parent][tp.target_column(col, self.plan)])
                out[col] = int(keys.max()) + 1_000_000
            else:
                out[col] = 10**12
        return out

    def finish(self, sink: Sink, name: str) -> None:
        for extra in self.deferred.pop(name, []):
            self.dirty_rows[name] = self.dirty_rows.get(name, 0) + len(extra)
            sink.write(name, extra.iloc[0:0], extra)
        sink.end(name)

    def _record_links(self, tp: TablePlan, frame: pd.DataFrame) -> None:
        for col, spec in tp.columns.items():
            if spec.foreign_key_target is not None and spec.ground_truth:
                linked = frame[frame[col].notna()]
                for key, target in zip(linked[tp.primary_key], linked[col], strict=True):
                    self.links.append(
                        {
                            "table": tp.name,
                            "key": _plain(key),
                            "links_to": {"table": spec.foreign_key_target, "key": _plain(target)},
                            "via": col,
                        }
                    )

    def labels(self) -> list[dict[str, Any]]:
        out = []
        for i, anomaly in enumerate(self.plan.anomalies):
            tp = self.plan.tables[anomaly.table]
            out.append(
                {
                    "id": f"{anomaly.table}.{anomaly.kind}.{i}",
                    "kind": anomaly.kind,
                    "table": anomaly.table,
                    "column": anomaly.column,
                    "primary_key": tp.primary_key,
                    "rows": self.touched.get(i, []),
                    "params": anomaly.params(),
                    "description": anomaly.description
                    or type(anomaly).__doc__.strip().splitlines()[0],
                }
            )
        return out


def _plain(value: Any) -> Any:
    return value.item() if isinstance(value, np.generic) else value
