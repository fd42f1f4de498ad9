"""The work of one chunk, as a worker process or a Spark task does it.

``count_task`` is the pre-pass (rows per member table, and the types chunk 0 tells);
``chunk_task`` makes the whole chunk, applies the anomalies to a copy, encodes the clean and
dirty pieces in every output format and returns them with what the main process records (row
counts, columns seen with nulls, touched keys, entity links, late rows, the columns of tables
that are kept). Nothing but bytes and small arrays goes back, so the main process only appends.

A task reads only its ``FamilyJob`` and its arguments: its output is a function of (seed, chunk,
offsets), whichever process runs it.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import pandas as pd

from synthgen_sdv.anomalies import ChunkInfo
from synthgen_sdv.core.seeds import rng_for
from synthgen_sdv.generate.chunk import FamilyChunk, family_chunk
from synthgen_sdv.generate.prepass import Needed, closure, table_types
from synthgen_sdv.io import layout
from synthgen_sdv.io.writers import encode_chunk, to_arrow
from synthgen_sdv.schema.plan import Family, Plan

Types = dict[str, dict[str, str]]


@dataclass
class FamilyJob:
    """What every chunk task of a family needs; set once per family (inherited by forked
    workers, broadcast to Spark executors)."""

    plan: Plan
    family: Family
    materialized: Mapping[str, pd.DataFrame]
    formats: tuple[str, ...]
    kept: dict[str, list[str]]  # table -> columns returned to the main process
    given: frozenset[str] = frozenset()
    count_columns: Needed | None = None  # what the pre-pass makes (None: whole chunks)
    probe_columns: Needed = field(default_factory=dict)  # columns typed by their values

    def anomalies(self, table: str) -> list[tuple[int, Any]]:
        """(index in the config, anomaly) of every anomaly of ``table``."""
        return [(i, a) for i, a in enumerate(self.plan.anomalies) if a.table == table]


@dataclass
class CountResult:
    """Rows per member table in one chunk (and the inferred types, for chunk 0)."""

    chunk: int
    rows: dict[str, int]
    values: dict[str, dict[str, pd.Series]] = field(default_factory=dict)


@dataclass
class TableChunk:
    """One member table's share of a chunk, as the main process records it."""

    rows: int
    nulls: list[str]
    pieces: dict[tuple[str, str], bytes]  # (data | data_dirty, format) -> encoded piece
    dirty_rows: int = 0
    deferred_rows: int = 0
    touched: dict[int, list[Any]] = field(default_factory=dict)  # anomaly index -> keys
    deferred: list[dict[tuple[str, str], bytes]] = field(default_factory=list)  # late rows
    links: dict[str, tuple[list[Any], list[Any]]] = field(default_factory=dict)
    kept: pd.DataFrame | None = None


@dataclass
class ChunkResult:
    """Every member table's share of one chunk, and the types when the chunk decided them."""

    chunk: int
    tables: dict[str, TableChunk]
    types: Types | None = None


def count_task(job: FamilyJob, chunk: int) -> CountResult:
    """The pre-pass of one chunk: rows per member (and chunk 0's values of probed columns)."""
    wanted = job.probe_columns if chunk == 0 else {}
    only = job.count_columns
    if wanted and only is not None:
        only = closure(job.plan, job.family, {**_union(only, wanted)})
    made = family_chunk(job.plan, job.family, chunk, job.materialized, None, only)
    values = {t: {c: made.tables[t][c] for c in cols} for t, cols in wanted.items()}
    return CountResult(chunk, dict(made.rows), values)


def _union(a: Needed, b: Needed) -> Needed:
    return {t: set(a.get(t, ())) | set(b.get(t, ())) for t in set(a) | set(b)}


def family_types(job: FamilyJob, known: Types, chunk0: CountResult | FamilyChunk) -> Types:
    """Logical types of every member (clean), from the config or chunk 0's values."""
    values = chunk0.values if isinstance(chunk0, CountResult) else chunk0.tables
    out: Types = {}
    for name in job.family.members:
        out[name] = table_types(
            job.plan, name, {**known, **out}, values.get(name, {}), chunk0.rows[name]
        )
    return out


def dirty_types(job: FamilyJob, types: Types) -> Types:
    """Types of the dirty copies (an anomaly may turn a column into text)."""
    out: Types = {}
    for name in job.family.members:
        anomalies = job.anomalies(name)
        if anomalies:
            dirty = dict(types[name])
            for _, anomaly in anomalies:
                if anomaly.column:
                    dirty[anomaly.column] = anomaly.dirty_type(dirty[anomaly.column])
            out[name] = dirty
    return out


def chunk_task(
    job: FamilyJob,
    chunk: int,
    offsets: Mapping[str, int],
    types: Types | None,
    known: Types | None = None,
) -> ChunkResult:
    """Make chunk ``chunk`` whole and encode it (``types`` None: decide them from this chunk,
    which is chunk 0; ``known`` gives the types of tables it looks up)."""
    made = family_chunk(job.plan, job.family, chunk, job.materialized, offsets)
    decided = None
    if types is None:
        types = decided = family_types(job, known or {}, made)
    dirty = dirty_types(job, types)
    out = {}
    for name in job.family.members:
        out[name] = _table_chunk(job, made, name, types[name], dirty.get(name))
    return ChunkResult(chunk, out, decided)


def _table_chunk(
    job: FamilyJob,
    made: FamilyChunk,
    name: str,
    types: dict[str, str],
    dirty_types: dict[str, str] | None,
) -> TableChunk:
    plan = job.plan
    tp = plan.tables[name]
    clean = made.frame(name, tp.emitted)
    arrow = to_arrow(clean, types)
    result = TableChunk(
        rows=len(clean),
        nulls=[
            f.name for f, col in zip(arrow.schema, arrow.columns, strict=True) if col.null_count
        ],
        pieces=encode_chunk(job.formats, layout.DATA, arrow, types),
        links=_links(plan, name, made),
    )
    if name in job.kept:
        result.kept = made.frame(name, job.kept[name])
    if dirty_types is not None:
        frame, result.touched, deferred = _corrupt(job, name, clean, made.chunk, types)
        result.dirty_rows = len(frame)
        result.pieces.update(encode_chunk(job.formats, layout.DATA_DIRTY, frame, dirty_types))
        for late in deferred:  # appended after the last chunk
            result.deferred.append(encode_chunk(job.formats, layout.DATA_DIRTY, late, dirty_types))
            result.deferred_rows += len(late)
    return result


def _corrupt(
    job: FamilyJob, name: str, clean: pd.DataFrame, chunk: int, types: dict[str, str]
) -> tuple[pd.DataFrame, dict[int, list[Any]], list[pd.DataFrame]]:
    plan = job.plan
    tp = plan.tables[name]
    lookups = {
        c: s.foreign_key_target for c, s in tp.columns.items() if s.foreign_key_target is not None
    }
    info = ChunkInfo(
        primary_key=tp.primary_key,
        logical_types=types,
        lookup_targets=lookups,
        orphan_base=orphan_base(plan, name, types, job.materialized),
    )
    frame = clean
    touched: dict[int, list[Any]] = {}
    deferred: list[pd.DataFrame] = []
    for i, anomaly in job.anomalies(name):
        rng = rng_for(plan.seed, "anomaly", i, name, chunk)
        result = anomaly.apply(frame, rng, info)
        frame = result.frame
        touched[i] = [_plain(v) for v in result.rows]
        if result.deferred is not None and len(result.deferred):
            deferred.append(result.deferred)
    return frame, touched, deferred


def _links(plan: Plan, name: str, made: FamilyChunk) -> dict[str, tuple[list[Any], list[Any]]]:
    """Hidden links of ``ground_truth`` lookups: (this table's keys, the target's keys)."""
    tp = plan.tables[name]
    cols = made.tables[name]
    out = {}
    for col, spec in tp.columns.items():
        if spec.foreign_key_target is not None and spec.ground_truth:
            mask = cols[col].notna().to_numpy()
            out[col] = (cols[tp.primary_key][mask].tolist(), cols[col][mask].tolist())
    return out


def orphan_base(
    plan: Plan, table: str, types: Mapping[str, str], materialized: Mapping
) -> dict[str, Any]:
    """Per foreign-key column: the first key that no parent row has (orphan_fk anomalies)."""
    tp = plan.tables[table]
    out: dict[str, Any] = {}
    for col, spec in tp.columns.items():
        parent = spec.foreign_key_target
        if parent is None:
            continue
        if types.get(col) == "string":
            out[col] = "ORPHAN-"
        elif parent in materialized and len(materialized[parent]):
            keys = pd.to_numeric(materialized[parent][tp.target_column(col, plan)])
            out[col] = int(keys.max()) + 1_000_000
        else:
            out[col] = 10**12
    return out


def _plain(value: Any) -> Any:
    return value.item() if isinstance(value, np.generic) else value
