"""The work of one chunk, as a worker process or a Spark task does it.

``count_task`` is the pre-pass (rows per member table, and the types chunk 0 tells);
``chunk_task`` makes the whole chunk, applies the anomalies to a copy, encodes the clean and
dirty pieces in every output format and returns them with what the main process records (row
counts, columns seen with nulls, touched keys, entity links, late rows, the columns of tables
that are kept). Nothing but bytes and small arrays goes back, so the main process only appends;
local workers even write the pieces into the tables' files themselves (``_place``).

A task reads only its ``FamilyJob`` and its arguments: its output is a function of (seed, chunk,
offsets), whichever process runs it.
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import dataclass, field
from functools import partial
from typing import Any

import pandas as pd
import pyarrow as pa

from synthgen_sdv.anomalies import ChunkInfo
from synthgen_sdv.core.seeds import rng_for
from synthgen_sdv.generate.chunk import FamilyChunk, add_rollups, assign_keys, family_chunk
from synthgen_sdv.generate.kept import KeptText, kept_text
from synthgen_sdv.generate.ledger import Late, Ledger
from synthgen_sdv.generate.prepass import Needed, closure, table_types
from synthgen_sdv.io import layout
from synthgen_sdv.io.sink import Placed, pwrite_all
from synthgen_sdv.io.writers import WRITERS, Pieces, encode_chunk, schema_for, to_arrow
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
    compression: str = "snappy"
    given: frozenset[str] = frozenset()
    count_columns: Needed | None = None  # what the pre-pass makes (None: whole chunks)
    probe_columns: Needed = field(default_factory=dict)  # columns typed by their values
    ledger: Ledger | None = None  # shared row counts, when workers take chunks in order
    #: (types, placement) sent by the main process after the workers started, the types
    #: decided by worker 0 from chunk 0 (None: the tasks are given their types)
    late: Late | None = None
    #: the types of the tables the family looks up (what worker 0 decides chunk 0's with)
    known: Types = field(default_factory=dict)
    #: table -> (folder, format) -> (its file, where this family's first piece goes): local
    #: workers write their pieces there themselves (None: pieces go back as bytes)
    placement: dict[str, dict[tuple[str, str], tuple[str, int]]] | None = None
    sizes: Ledger | None = None  # shared encoded sizes per file, for ``placement``
    #: return results whose pieces are still encoding (``ChunkResult.settle`` waits):
    #: the inline session makes the next chunk meanwhile (results that are pickled cannot)
    defer_encoding: bool = False
    #: the sink takes pieces split for their files where they were encoded (``Prepared``)
    split: bool = False
    #: set in a forked worker's copy: it encodes in its own thread (the workers already keep
    #: the cores busy) and sends kept text as Arrow (``KeptCopy``), not as pickled objects
    in_worker: bool = False

    #: tables gathered compact for lookups (``KeptTable``): their kept text is made Arrow
    #: (and dictionary-encoded) in the encoding thread, when results stay in this process
    compact: frozenset[str] = frozenset()
    #: table -> its kept text columns found mostly unique so far (no dictionary to make)
    plain: dict[str, set[str]] = field(default_factory=dict)
    #: table -> what its anomalies know of it (``_chunk_info``: the same for every chunk)
    infos: dict[str, ChunkInfo] = field(default_factory=dict, repr=False)

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
    pieces: Pieces  # (data | data_dirty, format) -> encoded piece (or where it was placed)
    dirty_rows: int = 0
    deferred_rows: int = 0
    touched: dict[int, pa.Array] = field(default_factory=dict)  # anomaly index -> keys
    deferred: list[Pieces] = field(default_factory=list)  # late rows
    links: dict[str, tuple[pa.Array, pa.Array]] = field(default_factory=dict)
    kept: pd.DataFrame | None = None
    kept_text: dict[str, KeptText] | None = None  # its text as ``KeptTable.add`` takes it
    kept_order: list[str] | None = None  # every kept column, when ``kept`` lacks the text


@dataclass
class ChunkResult:
    """Every member table's share of one chunk, and the types when the chunk decided them."""

    chunk: int
    tables: dict[str, TableChunk]
    types: Types | None = None
    #: work still running in the encoding thread, per member table: the clean pieces, then
    #: the dirty copy (``settle`` adds them)
    encoding: dict[str, list[Future[Any]]] = field(default_factory=dict)

    def settle(self) -> ChunkResult:
        """This result with every piece encoded (waits for the encoding thread)."""
        for name, pending in self.encoding.items():
            part = self.tables[name]
            for future in pending:
                future.result().into(part)
        self.encoding = {}
        return self


@dataclass
class CleanCopy:
    """A member's clean share of one chunk, as Arrow and encoded (in the encoding thread)."""

    arrow: pa.Table
    pieces: Pieces
    nulls: list[str]

    def into(self, part: TableChunk) -> None:
        """Record it in the member's share of the chunk."""
        part.pieces.update(self.pieces)
        part.nulls = self.nulls


@dataclass
class DirtyCopy:
    """A member's dirty copy of one chunk, corrupted and encoded (in the encoding thread)."""

    pieces: Pieces
    rows: int
    touched: dict[int, pa.Array]
    deferred: list[Pieces]
    deferred_rows: int

    def into(self, part: TableChunk) -> None:
        """Record it in the member's share of the chunk."""
        part.pieces.update(self.pieces)
        part.dirty_rows, part.touched = self.rows, self.touched
        part.deferred, part.deferred_rows = self.deferred, self.deferred_rows


@dataclass
class KeptCopy:
    """A compact kept table's text columns of one chunk, made Arrow (in the encoding thread)."""

    text: dict[str, KeptText]

    def into(self, part: TableChunk) -> None:
        """Record it in the member's share of the chunk."""
        part.kept_text = self.text


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
            job.plan, name, {**known, **out}, values.get(name, {}), chunk0.rows.get(name, 1)
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
    offsets: Mapping[str, int] | None,
    types: Types | None,
    known: Types | None = None,
) -> ChunkResult:
    """Make chunk ``chunk`` whole and encode it. ``offsets``: where its rows start in each
    member table (None: from ``job.ledger``, once the chunks before it are counted);
    ``types`` None: decide them from this chunk, which is chunk 0 (``known``: the types of
    the tables it looks up)."""
    try:
        result = _made(job, chunk, offsets, types, known)
        if job.defer_encoding:
            return result
        result.settle()
    except BaseException:
        if job.sizes is not None:  # later chunks wait for this one's sizes: let them stop
            job.sizes.fail()
        raise
    if job.placement is not None:
        _place(job, chunk, result.tables)
    if job.in_worker:
        _kept_text_apart(job, result.tables)
    return result


def _kept_text_apart(job: FamilyJob, tables: dict[str, TableChunk]) -> None:
    """In a worker: kept text goes back as its Arrow arrays only (``KeptTable.add`` takes them
    with ``kept_order``), not also as pickled Python strings that the main process unpickles
    one by one, and a dictionary-encoded column as its encoding only (2.4 -> ~1.5 MB a
    customers chunk); columns this worker found mostly unique get no dictionary from here on."""
    for name, part in tables.items():
        if part.kept is None or not part.kept_text:
            continue
        part.kept_order = list(part.kept.columns)
        part.kept = part.kept.drop(columns=list(part.kept_text))
        for col, (_, encoded) in part.kept_text.items():
            if encoded is None:
                continue
            part.kept_text[col] = (None, encoded)  # the strings are the encoding's, sent once
            if len(encoded.dictionary) * 2 > len(encoded):
                job.plain.setdefault(name, set()).add(col)


def _made(
    job: FamilyJob,
    chunk: int,
    offsets: Mapping[str, int] | None,
    types: Types | None,
    known: Types | None,
) -> ChunkResult:
    """The chunk made and its dirty copies corrupted; its pieces are still encoding."""
    if offsets is None:
        assert job.ledger is not None
        try:
            made = family_chunk(job.plan, job.family, chunk, job.materialized)
            job.ledger.post(chunk, made.rows)
        except BaseException:
            job.ledger.fail()
            raise
        offsets = job.ledger.offsets(chunk)
        for name in job.family.members[1:]:
            assign_keys(job.plan, job.plan.tables[name], made, offsets[name])
    else:
        made = family_chunk(job.plan, job.family, chunk, job.materialized, offsets)
    add_rollups(job.plan, job.family, made, job.family.root in job.given)
    decided, placed_late = None, False
    if types is None and job.late is not None and chunk == 0:  # worker 0 decides the types
        types = family_types(job, job.known, made)
        job.late.decide(types)
        placed_late = True  # the placement is read once the chunk is encoded
    elif types is None and job.late is not None:  # decided by worker 0 and the main process
        types, job.placement = job.late.get()
    elif types is None:
        types = decided = family_types(job, known or {}, made)
    dirty = dirty_types(job, types)
    # the chunk goes to Arrow and encodes in a thread (Arrow releases the GIL), its dirty
    # copies are corrupted there too, while this thread (in one process) makes the next chunk
    encoder = _NOW if job.in_worker else _encoder()
    encoding: dict[str, list[Future[Any]]] = {}
    out = {}
    for name in job.family.members:
        clean = encoder.submit(_clean_copy, job, made.tables[name], types[name])
        encoding[name] = [clean]
        out[name] = _table_chunk(job, made, name)
        kept = out[name].kept
        if kept is not None and name in job.compact and (job.defer_encoding or job.in_worker):
            plain = set(job.plain.get(name, ()))
            encoding[name].append(encoder.submit(lambda k=kept, p=plain: KeptCopy(kept_text(k, p))))
        if dirty.get(name) is not None:
            encoding[name].append(
                encoder.submit(
                    _dirty_copy, job, name, clean, made.chunk, (types[name], dirty[name])
                )
            )
    if placed_late:  # the main process began the files meanwhile
        assert job.late is not None
        job.placement = job.late.get()[1]
    return ChunkResult(chunk, out, decided, encoding=encoding)


def place_key(table: str, folder: str, fmt: str) -> str:
    """The name of one file of a family in its size ledger."""
    return f"{table}/{folder}/{fmt}"


def file_keys(job: FamilyJob) -> tuple[str, ...]:
    """The family's files, as the sink opens them (before the types are known): each member
    in every format, in data/ and, with anomalies, in data_dirty/."""
    return tuple(
        place_key(name, folder, fmt)
        for name in job.family.members
        for folder in (layout.DATA, layout.DATA_DIRTY)[: 2 if job.anomalies(name) else 1]
        for fmt in job.formats
    )


def _place(job: FamilyJob, chunk: int, tables: dict[str, TableChunk]) -> None:
    """Write the chunk's pieces into the tables' files (late rows stay bytes), each where the
    chunks before it end: the main process records them instead of unpickling and writing."""
    assert job.placement is not None and job.sizes is not None
    prepared: dict[tuple[str, str, str], tuple[bytes, Any]] = {}
    try:
        for name, part in tables.items():
            for (folder, fmt), piece in part.pieces.items():
                assert isinstance(piece, bytes)
                prepared[(name, folder, fmt)] = WRITERS.get(fmt).place(piece)
        sizes = dict.fromkeys(job.sizes.members, 0)
        sizes.update({place_key(*key): len(body) for key, (body, _) in prepared.items()})
        job.sizes.post(chunk, sizes)
    except BaseException:
        job.sizes.fail()
        raise
    before = job.sizes.offsets(chunk)  # waits for the chunks before this one
    for (name, folder, fmt), (body, meta) in prepared.items():
        path, start = job.placement[name][(folder, fmt)]
        offset = start + before[place_key(name, folder, fmt)]
        pwrite_all(path, body, offset)
        tables[name].pieces[(folder, fmt)] = Placed(path, offset, len(body), meta)


class _Now:
    """Runs what is submitted at once, in this thread (a forked worker's encoding)."""

    @staticmethod
    def submit(fn: Any, *args: Any) -> Future[Any]:
        future: Future[Any] = Future()
        try:
            future.set_result(fn(*args))
        except BaseException as exc:
            future.set_exception(exc)
        return future


_NOW = _Now()
_ENCODER: tuple[int, ThreadPoolExecutor] | None = None  # (pid, pool): threads do not fork


def _encoder() -> ThreadPoolExecutor:
    """This process's encoding threads (made again in a forked worker). Two: a chunk's dirty
    copy (anomalies, then encoding) runs beside the next chunk's clean encoding; with one,
    the full run waited on it (scale 1000, one worker: 8.4-8.7 s -> 7.6-7.9 s, the same
    bytes). A dirty copy only waits on its own clean copy, submitted before it: no deadlock."""
    global _ENCODER
    if _ENCODER is None or _ENCODER[0] != os.getpid():
        _ENCODER = (os.getpid(), ThreadPoolExecutor(2, thread_name_prefix="encode"))
    return _ENCODER[1]


def _encode_for(job: FamilyJob) -> Any:
    """How the encoding thread encodes: pieces split for their files too when the result
    stays in this process (``Prepared``: the main thread then only writes bytes), plain bytes
    when a worker places them or a Spark task returns them."""
    return partial(encode_chunk, prepared=job.defer_encoding and job.split)


def _clean_copy(
    job: FamilyJob, columns: Mapping[str, pd.Series], types: dict[str, str]
) -> CleanCopy:
    """A member's chunk in its logical types as Arrow, encoded; the columns with nulls."""
    arrow = to_arrow(columns, types)
    nulls = [f.name for f, col in zip(arrow.schema, arrow.columns, strict=True) if col.null_count]
    pieces = _encode_for(job)(job.formats, layout.DATA, arrow, types, job.compression)
    return CleanCopy(arrow, pieces, nulls)


def _table_chunk(job: FamilyJob, made: FamilyChunk, name: str) -> TableChunk:
    """A member's share of the chunk, as far as this thread makes it: rows, entity links and
    kept columns (``settle`` adds the pieces and the columns with nulls)."""
    result = TableChunk(
        rows=made.rows[name], nulls=[], pieces={}, links=_links(job.plan, name, made)
    )
    if name in job.kept:
        result.kept = made.frame(name, job.kept[name])
    return result


def _dirty_copy(
    job: FamilyJob,
    name: str,
    clean: Future[CleanCopy],
    chunk: int,
    both_types: tuple[dict[str, str], dict[str, str]],
) -> DirtyCopy:
    """The chunk's dirty copy of member ``name``: the anomalies applied to the clean Arrow
    table (done before: the encoding thread takes work in order), encoded; late rows encoded
    apart (appended after the last chunk)."""
    types, dirty_types = both_types
    dirty, touched, deferred = _corrupt(job, name, clean.result().arrow, chunk, types)
    dirty = dirty.cast(schema_for(dirty_types))
    pieces = _encode_for(job)(job.formats, layout.DATA_DIRTY, dirty, dirty_types, job.compression)
    late_pieces, late_rows = [], 0
    for late in deferred:
        late = late.cast(schema_for(dirty_types))
        late_pieces.append(
            encode_chunk(job.formats, layout.DATA_DIRTY, late, dirty_types, job.compression)
        )
        late_rows += late.num_rows
    return DirtyCopy(pieces, dirty.num_rows, touched, late_pieces, late_rows)


def _corrupt(
    job: FamilyJob, name: str, clean: pa.Table, chunk: int, types: dict[str, str]
) -> tuple[pa.Table, dict[int, pa.Array], list[pa.Table]]:
    plan = job.plan
    info = _chunk_info(job, name, types)
    table = clean
    touched: dict[int, pa.Array] = {}
    deferred: list[pa.Table] = []
    for i, anomaly in job.anomalies(name):
        rng = rng_for(plan.seed, "anomaly", i, name, chunk)
        result = anomaly.apply(table, rng, info)
        table = result.table
        touched[i] = result.rows
        if result.deferred is not None and result.deferred.num_rows:
            deferred.append(result.deferred)
    return table, touched, deferred


def _chunk_info(job: FamilyJob, name: str, types: dict[str, str]) -> ChunkInfo:
    """What the anomalies of ``name`` know of it, made once per family: the first missing
    parent key scans the whole parent table (every chunk did, in the encoding thread, holding
    the GIL: 0.08 CPU s at scale 300). A race of the two encoding threads makes it twice, alike."""
    info = job.infos.get(name)
    if info is None or info.logical_types != types:
        tp = job.plan.tables[name]
        lookups = {
            c: s.foreign_key_target
            for c, s in tp.columns.items()
            if s.foreign_key_target is not None
        }
        info = job.infos[name] = ChunkInfo(
            primary_key=tp.primary_key,
            logical_types=types,
            lookup_targets=lookups,
            orphan_base=orphan_base(job.plan, name, types, job.materialized),
        )
    return info


def _links(plan: Plan, name: str, made: FamilyChunk) -> dict[str, tuple[pa.Array, pa.Array]]:
    """Hidden links of ``ground_truth`` lookups: (this table's keys, the target's keys)."""
    tp = plan.tables[name]
    cols = made.tables[name]
    out = {}
    for col, spec in tp.columns.items():
        if spec.foreign_key_target is not None and spec.ground_truth:
            mask = cols[col].notna().to_numpy()
            keys, targets = cols[tp.primary_key][mask], cols[col][mask]
            out[col] = (_plain_array(keys), _plain_array(targets))
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


def _plain_array(values: pd.Series) -> pa.Array:
    """A column's values as an Arrow array of its plain type (nullable ints as int64)."""
    arr = pa.array(values.reset_index(drop=True))
    return arr.combine_chunks() if isinstance(arr, pa.ChunkedArray) else arr
