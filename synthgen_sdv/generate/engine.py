"""The chunked, seeded rule-based engine: a plan in, clean (and dirty) tables out.

Tables are generated family by family (a root table and the tables generated per its rows,
such as customers -> orders -> transactions -> returns), in an order where every table a
family looks up by popularity is finished. A family is cut into fixed-size chunks of its root;
every value in a chunk depends only on (seed, table, column, chunk) and on where the chunk's
rows start in each table, which a pre-pass of row counts gives before any chunk is made
(``prepass``). So each chunk is a self-contained task (``tasks``): made, corrupted and encoded
in a worker process or a Spark task (``executors``), while the main process only appends the
pieces in chunk order and records counts and labels. Output is the same for any number of
workers. Only the columns other tables read of tables that are looked up by popularity are kept
in memory (their size is reported); everything else streams to the files.
"""

from __future__ import annotations

import math
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from itertools import accumulate
from typing import Any

import pandas as pd
from tqdm.auto import tqdm

from synthgen_sdv.core.memory import release_memory, stage
from synthgen_sdv.core.progress import Progress
from synthgen_sdv.generate.chunk import warm_up
from synthgen_sdv.generate.executors import Executor, LocalExecutor
from synthgen_sdv.generate.kept import KeptTable
from synthgen_sdv.generate.labels import LabelCollector
from synthgen_sdv.generate.ledger import Late, Ledger
from synthgen_sdv.generate.prepass import closure, inferred_columns
from synthgen_sdv.generate.tasks import (
    ChunkResult,
    CountResult,
    FamilyJob,
    Types,
    chunk_task,
    count_task,
    dirty_types,
    family_types,
    file_keys,
    place_key,
)
from synthgen_sdv.io.sink import Sink
from synthgen_sdv.schema.plan import Family, Plan


@dataclass
class GenerationResult:
    """What a run produced besides the files: counts, types, labels, and the kept tables."""

    row_counts: dict[str, int]
    dirty_row_counts: dict[str, int]
    types: dict[str, dict[str, str]]
    anomalies: list[dict[str, Any]]
    entity_links: list[dict[str, Any]]
    seconds: float
    entity_link_files: list[dict[str, Any]] = field(default_factory=list)  # large link groups
    nullable: dict[str, set[str]] = field(default_factory=dict)  # columns seen with nulls
    tables: dict[str, pd.DataFrame] = field(default_factory=dict)  # the kept clean tables
    kept_bytes: dict[str, int] = field(default_factory=dict)  # memory of tables kept for lookups


def lookup_reads(plan: Plan) -> dict[str, set[str]]:
    """Columns of each table that other tables read through popularity lookups: the target
    key, and the columns their expressions name (``customers.email``)."""
    out: dict[str, set[str]] = {}
    for tp in plan.tables.values():
        for col in tp.lookups:
            target = tp.lookup(col).foreign_key_target
            cols = out.setdefault(target, set())
            cols.add(tp.target_column(col, plan))
            aliases = {a for a, c in tp.parent_alias.items() if c == col}
            for spec in tp.columns.values():
                for ref in spec.deps():
                    alias, dot, pcol = ref.partition(".")
                    if dot and alias in aliases:
                        cols.add(pcol)
    return out


class Engine:
    """Runs a plan: families in order, each one's chunks as tasks on ``executor``."""

    def __init__(
        self,
        plan: Plan,
        workers: int = 1,
        keep: set[str] | None = None,
        progress: bool = True,
        log: Callable[[str], None] | None = None,
        executor: Executor | None = None,
    ):
        self.plan, self.progress = plan, progress
        self.executor = executor or LocalExecutor(workers)
        self.keep = set(keep or ())
        self.log = log or (lambda _msg: None)
        self._reads = lookup_reads(plan)

    def run(self, sink: Sink, pinned: Mapping[str, pd.DataFrame] | None = None) -> GenerationResult:
        """Generate every table. ``pinned`` tables are given whole (sampled by a synthesizer):
        they are written as they are, and the tables that depend on them are generated on them.
        """
        started = time.perf_counter()
        plan = self.plan
        materialized: dict[str, pd.DataFrame] = dict(pinned or {})
        given = frozenset(pinned or ())
        families = plan.with_pinned(set(given)) if given else plan.families
        state = _RunState(plan, LabelCollector(plan, sink.root))
        sizes: dict[str, int] = {}  # kept tables' bytes, measured once (a deep measure)
        for family in families:
            t0 = time.perf_counter()
            self._family(family, sink, state, materialized, given)
            rows = ", ".join(f"{t} {state.rows[t]:,}" for t in family.members)
            self.log(f"generated {rows} rows in {time.perf_counter() - t0:.1f} s")
            for t in family.members:
                if t in materialized and t not in given:
                    sizes[t] = int(materialized[t].memory_usage(deep=True).sum())
            if self.progress:  # not the estimate's pilot runs
                kept = {f"kept {t}": sizes[t] / 2**20 for t in family.members if t in sizes}
                stage(f"generated {' + '.join(family.members)}", **kept)
        kept_bytes = {t: sizes[t] for t in plan.materialized if t in sizes}
        tables = {
            t: materialized[t][plan.tables[t].emitted].reset_index(drop=True)
            for t in self.keep
            if t in materialized
        }
        materialized.clear()
        release_memory(collect=sum(kept_bytes.values()) > _COLLECT_ABOVE)
        if self.progress:
            stage("generation finished, memory released")
        return GenerationResult(
            row_counts={t: state.rows[t] for t in plan.tables if t in state.rows},
            dirty_row_counts=dict(state.dirty_rows),
            types=state.types,
            anomalies=state.labels.anomalies(),
            entity_links=state.labels.entity_links(),
            entity_link_files=state.labels.entity_link_files(),
            seconds=time.perf_counter() - started,
            nullable=state.nulls,
            tables=tables,
            kept_bytes=kept_bytes,
        )

    def _kept_columns(self, family: Family, given: frozenset[str]) -> dict[str, list[str]]:
        out = {}
        for name in family.members:
            tp = self.plan.tables[name]
            if name in given:
                continue
            cols = set(self._reads.get(name, ())) if name in self.plan.materialized else set()
            if name in self.keep:
                cols |= set(tp.emitted)
            if cols:
                out[name] = [c for c in tp.columns if c in cols]
        return out

    def _family(
        self,
        family: Family,
        sink: Sink,
        state: _RunState,
        materialized: dict[str, pd.DataFrame],
        given: frozenset[str],
    ) -> None:
        plan = self.plan
        root = plan.tables[family.root]
        rows = len(materialized[family.root]) if family.root in materialized else root.rows
        n_chunks = max(1, math.ceil((rows or 0) / plan.chunk_size))
        kept_columns = self._kept_columns(family, given)
        job = FamilyJob(
            plan,
            family,
            materialized,
            sink.formats,
            kept_columns,
            sink.compression,
            given,
            split=sink.places,
            compact=frozenset(t for t in kept_columns if t not in self.keep),
        )
        bar = tqdm(
            total=n_chunks,
            desc=" + ".join(family.members),
            unit="chunk",
            disable=not Progress(quiet=not self.progress).interactive or n_chunks <= 1,
            leave=False,
        )  # a bar on a terminal only
        collected = _Collected(family, self.keep, job.plain, rows)
        self._chunks(job, n_chunks, collected, sink, state, bar)
        bar.close()
        kept = collected.finish(sink, materialized)
        if kept:  # what the gathered parts of a kept table left behind
            release_memory(collect=kept > _COLLECT_ABOVE)

    def _chunks(
        self,
        job: FamilyJob,
        n_chunks: int,
        collected: _Collected,
        sink: Sink,
        state: _RunState,
        bar: Any,
    ) -> None:
        plan, family = self.plan, job.family
        if n_chunks == 1:  # one chunk: no pre-pass, its types are its own
            zero = dict.fromkeys(family.members, 0)
            result = chunk_task(job, 0, zero, None, state.types)
            assert result.types is not None
            collected.add(result, result.types, dirty_types(job, result.types), sink, state)
            bar.update(1)
        else:
            job.probe_columns = inferred_columns(plan, family, state.types)
            if len(family.members) > 1:
                job.count_columns = closure(plan, family, {})
            if self.executor.shares_memory:  # counts posted as chunks finish: no pre-pass
                if len(family.members) > 1:
                    job.ledger = Ledger(n_chunks, family.members)
                start = None if job.ledger else dict.fromkeys(family.members, 0)
                if not self.executor.inline:
                    self._forked(job, n_chunks, start, collected, sink, state, bar)
                    return
                job.defer_encoding = True  # chunk 0, made whole here, decides the types; its
                try:  # pieces encode while the session makes chunk 1
                    head = chunk_task(job, 0, start, None, state.types)
                finally:
                    job.defer_encoding = False
                assert head.types is not None
                types = head.types
                dirty = dirty_types(job, types)
                with self.executor.session(job) as session:
                    session.hold(head)
                    tasks = [(c, start, types) for c in range(1, n_chunks)]
                    for result in session.map(chunk_task, tasks):
                        collected.add(result, types, dirty, sink, state)
                        bar.update(1)
            else:
                with self.executor.session(job) as session:
                    types, offsets = self._prepass(job, session, n_chunks, state.types)
                    dirty = dirty_types(job, types)
                    tasks = [(c, offsets[c], types) for c in range(n_chunks)]
                    for result in session.map(chunk_task, tasks):
                        collected.add(result, types, dirty, sink, state)
                        bar.update(1)

    def _forked(
        self,
        job: FamilyJob,
        n_chunks: int,
        start: dict[str, int] | None,
        collected: _Collected,
        sink: Sink,
        state: _RunState,
        bar: Any,
    ) -> None:
        """A family on forked workers: they start making chunks at once; worker 0 decides the
        types from chunk 0, this process begins the files and sends both (``FamilyJob.late``)."""
        family = job.family
        places = sink.places and self.executor.places  # workers write into the files
        job.late = Late(self.executor.parallelism)
        if places:
            job.sizes = Ledger(n_chunks, file_keys(job))
        tasks = [(c, start, None) for c in range(n_chunks)]
        warm_up(self.plan, family, job.materialized)  # once here, inherited by the workers
        state.labels.wait()  # no label block still writing (in Arrow) when the process forks
        job.known = dict(state.types)
        with self.executor.session(job) as session:
            session.start(chunk_task, tasks)
            job.late.forked()
            decided = job.late.decided()  # worker 0's, from chunk 0 (None: it failed)
            types = decided or family_types(job, state.types, self._probe(job))
            dirty = dirty_types(job, types)
            if places:
                collected.begin_all(types, dirty, sink, state)
                job.placement = {t: sink.placement(t) for t in family.members}
                opened = {place_key(t, *f) for t, p in job.placement.items() for f in p}
                assert opened == set(file_keys(job)), f"files {opened} != {file_keys(job)}"
            job.late.send((types, job.placement))
            for result in session.map(chunk_task, tasks):
                collected.add(result, types, dirty, sink, state)
                bar.update(1)

    @staticmethod
    def _probe(job: FamilyJob) -> CountResult:
        """Chunk 0's values of the columns typed by their values (made here, only those)."""
        if job.probe_columns:
            return count_task(job, 0)
        return CountResult(0, {job.family.root: 1})

    def _prepass(
        self, job: FamilyJob, session: Any, n_chunks: int, known: Types
    ) -> tuple[Types, list[dict[str, int]]]:
        """Types (from chunk 0 when values tell them) and each chunk's first row per table."""
        family = job.family
        if len(family.members) > 1:
            counts = list(session.map(count_task, [(c,) for c in range(n_chunks)]))
        elif job.probe_columns:
            counts = list(session.map(count_task, [(0,)]))
        else:
            counts = [CountResult(0, {family.root: 1})]
        types = family_types(job, known, counts[0])
        offsets = [dict.fromkeys(family.members, 0)]
        if len(family.members) > 1:
            sums = accumulate(
                (c.rows for c in counts[:-1]),
                lambda acc, rows: {t: acc[t] + rows[t] for t in family.members},
                initial=dict.fromkeys(family.members, 0),
            )
            offsets = list(sums)
        else:
            offsets = offsets * n_chunks
        return types, offsets


#: kept tables above this many bytes are worth a full garbage collection when a run ends (it
#: costs 0.05-0.2 s, a tenth of a scale-100 run, to find the few cycles among them)
_COLLECT_ABOVE = 64 << 20


class _RunState:
    """Counts, types, columns with nulls and labels, accumulated over families."""

    def __init__(self, plan: Plan, labels: LabelCollector):
        self.plan = plan
        self.labels = labels
        self.rows: dict[str, int] = {}
        self.dirty_rows: dict[str, int] = {}
        self.types: dict[str, dict[str, str]] = {}
        self.nulls: dict[str, set[str]] = {}


class _Collected:
    """One family's results as they arrive in chunk order: appended, counted, labeled."""

    def __init__(
        self, family: Family, keep: set[str], plain: dict[str, set[str]], rows: int | None = None
    ):
        self.family, self.keep = family, keep
        self.root_rows = rows  # the root's rows, known up front: its kept columns fill in place
        self.plain = plain  # FamilyJob.plain: what the encoding thread need not encode
        self.deferred: dict[str, list[dict[tuple[str, str], bytes]]] = {}
        self.kept: dict[str, list[pd.DataFrame]] = {}  # tables kept for the caller, as made
        self.lookups: dict[str, KeptTable] = {}  # tables kept for lookups, compact

    def begin_all(self, types: Types, dirty: Types, sink: Sink, state: _RunState) -> None:
        """Begin every member table (before its first chunk arrives, when workers write)."""
        for name in self.family.members:
            if name not in state.rows:
                state.types[name] = types[name]
                sink.begin(name, types[name], dirty.get(name))
                state.rows[name] = 0
                state.nulls[name] = set()
                if name in dirty:
                    state.dirty_rows[name] = 0

    def add(
        self, result: ChunkResult, types: Types, dirty: Types, sink: Sink, state: _RunState
    ) -> None:
        self.begin_all(types, dirty, sink, state)
        for name in self.family.members:
            part = result.tables[name]
            sink.append(name, part.pieces)
            state.rows[name] += part.rows
            state.nulls[name].update(part.nulls)
            if name in dirty:
                state.dirty_rows[name] += part.dirty_rows + part.deferred_rows
            state.labels.add(name, result.chunk, part.touched, part.links)
            if part.deferred:
                self.deferred.setdefault(name, []).extend(part.deferred)
            if part.kept is not None and name in self.keep:
                self.kept.setdefault(name, []).append(part.kept)
            elif part.kept is not None:
                if name not in self.lookups:
                    root = name == self.family.root
                    self.lookups[name] = KeptTable(self.root_rows if root else None)
                kept = self.lookups[name]
                kept.add(part.kept, part.kept_text, part.kept_order)
                self.plain[name] = kept.plain

    def finish(self, sink: Sink, materialized: dict[str, pd.DataFrame]) -> int:
        """End the family's tables; build its kept tables. Returns their parts' bytes."""
        parts = sum(k.nbytes() for k in self.lookups.values())
        for name in self.family.members:
            for pieces in self.deferred.pop(name, []):
                sink.append(name, pieces)
            sink.end(name)
            if name in self.kept:  # tables kept for the caller stay as generated (dtypes too)
                materialized[name] = pd.concat(self.kept.pop(name), ignore_index=True)
            elif name in self.lookups:
                materialized[name] = self.lookups.pop(name).finish()
        return parts
