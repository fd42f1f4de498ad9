"""How big a run will be, before it starts: rows, bytes on disk and peak memory.

``estimate_generate`` / ``estimate_fit_sample`` build an ``Estimate`` from the resolved plan and
a *pilot*: the real engine runs the same plan with every root table cut to ``PILOT_ROWS`` rows
(in chunks of ``PILOT_CHUNK``), into a sink that measures instead of writing. The pilot gives:

- rows per table: roots have their exact rows from the plan; every other table gets its
  parent's rows times the rows per parent row the pilot drew (the children-per-parent
  expectation, whatever its distribution or expression), and so on down the chain;
- bytes per row on disk, per table and per format: the pilot's rows written with the real
  Arrow conversion to Parquet (zstd) and CSV in memory, at the full and half pilot size, so
  a file's fixed overhead is not counted per row;
- bytes per row in memory (pandas, deep), for the tables the engine keeps whole and the chunks
  it holds.

No config can make the pilot itself large: a *scout* first runs with every root cut to
``SCOUT_ROWS`` rows and at most ``SCOUT_CAP`` rows per parent row, and its rows per root row size
the pilot's roots; both stop after ``PILOT_MAX_ROWS`` rows. A count fixed by the config (a
number, or a distribution with numeric parameters) above the pilot's cap is taken as configured;
an expression that reaches the cap makes the estimate a lower bound, which the guard refuses
(``--force`` runs it anyway).

Peak memory is a model (``MemoryModel``) over those measurements: the process as it is when
the estimate is made, the tables kept whole (popularity-looked-up dimensions; all bootstrap
tables for fit-sample), one chunk of every table of the largest family times a working-set
factor (per worker), the lineage pipeline over the written tables and, for fit-sample, the
synthesizer's fit and sample. Its factors are calibrated against measured runs
(``benchmarks/bench_estimate.py`` writes ``reports/estimate.md``; ``tests/guard`` checks the
estimate against real runs with a generous bound). When the engine's memory changes (streaming
lineage, Arrow chunks), change the model here: ``MemoryModel`` and ``_memory_parts`` are the
only places that know how the engine spends memory.

``runs.guard`` compares an estimate with the free disk and the memory budget.
"""

from __future__ import annotations

import gc
import io
import json
import math
import sys
from collections.abc import Iterable
from dataclasses import dataclass, field, replace

import pandas as pd
import psutil
import pyarrow.csv as pacsv
import pyarrow.parquet as pq

from synthgen_sdv.core.sizes import human_bytes
from synthgen_sdv.generate.engine import Engine
from synthgen_sdv.io.layout import DATA, DATA_DIRTY
from synthgen_sdv.io.sink import Sink
from synthgen_sdv.io.writers import decode_parquet, to_arrow
from synthgen_sdv.lineage.workspace import Limits
from synthgen_sdv.schema.plan import Plan

#: the scout: rows of each root and at most this many rows per parent row (so at most
#: 16 * (64 + 64**2 + 64**3) rows for a three-level chain of counts that hit the cap)
SCOUT_ROWS, SCOUT_CAP = 16, 64
#: the pilot: rows of each root (at most), chunk size, rows per parent row (at most), and the
#: rows each family aims at (its root's rows are cut to reach about that many)
PILOT_ROWS, PILOT_CHUNK, PILOT_CAP, PILOT_TARGET_ROWS = 256, 128, 256, 40_000
#: a scout or pilot stops once it has made this many rows
PILOT_MAX_ROWS = 300_000
#: bytes written besides the tables and labels: schema metadata, the lineage document,
#: OpenLineage events and the ETL fault labels (about 0.7 MB for the default lineage.yml)
METADATA_BYTES = 1_000_000
#: the lineage pipeline's step outputs (lineage_data/) relative to the clean tables' Parquet
#: bytes: its staging, core and mart tables copy and join them (measured: 4.9x at scale 10 of
#: the default config, reports/estimate.md)
LINEAGE_DISK_RATIO = 5.0


@dataclass(frozen=True)
class MemoryModel:
    """How the engine and the stages spend memory, as factors of measured bytes.

    Calibrated on this project's default config (benchmarks/bench_estimate.py): each factor
    was set so that the estimate is at or above the measured peak RSS, within about 2x.
    """

    #: a chunk being made: its columns, the expression environment, the Arrow conversion,
    #: the dirty copy and the encoding thread's piece, relative to the chunk's emitted frame
    #: (measured: about 280 MB of working set at scale 3000, reports/memory_profile.md)
    chunk_factor: float = 16.0
    #: a kept table (its compact size, measured on the pilot) while its chunks are gathered
    #: and built into one table, a column at a time (``generate.kept``)
    kept_factor: float = 2.0
    #: a forked worker's own pages (copy-on-write of the parent, its chunk aside)
    worker_bytes: int = 80 * 2**20
    #: the lineage pipeline: DuckDB and its buffers, whatever the data, and what generation
    #: leaves in the process (its imports and pools)
    lineage_fixed: int = 150 * 2**20
    #: the lineage pipeline: DuckDB's working memory and the Arrow batches of the step outputs,
    #: relative to the tables' pandas size, while that is below DuckDB's memory limit ...
    lineage_factor: float = 10.0
    #: ... which caps it: DuckDB spills past its limit (``lineage.workspace.Limits``; a retry
    #: only lowers it), so the pipeline's memory stops growing with the data; this many times
    #: the limit, plus ``lineage_stream`` for the Arrow batches, key lists and DuckDB's
    #: allocations outside its buffer pool (measured: up to 280 MB above the limit at scale
    #: 3000, in build_fact_sales: reports/memory_profile.md)
    lineage_limit_factor: float = 1.0
    lineage_stream: int = 300 * 2**20
    #: SDV, RDT, SDMetrics, torch and scikit-learn once imported (fit-sample and sample import
    #: them after the estimate is made)
    synth_libraries: int = 330 * 2**20
    #: fitting a synthesizer, relative to the modeled tables' in-memory size
    fit_factor: float = 30.0
    #: the comparison report's extra fits (another synthesizer and the baseline on a split)
    compare_factor: float = 30.0
    #: sampled tables while keys and derived columns are recomputed
    sample_factor: float = 6.0


MEMORY_MODEL = MemoryModel()
#: the parts of the estimate that live during generation only (see ``peak_memory_bytes``)
GENERATION_PARTS = ("kept tables", "chunks", "workers")


@dataclass
class TableSize:
    """One table of the estimate: rows, rows in its dirty copy, bytes on disk and in memory."""

    rows: int
    dirty_rows: int
    disk_bytes: int
    memory_per_row: float
    disk_per_row: float
    kept_per_row: float = 0.0  # the compact kept table (lookups), measured on the pilot


@dataclass
class Estimate:
    """What a run will make: rows per table, bytes on disk, peak memory by part."""

    command: str
    tables: dict[str, TableSize]
    disk_bytes: int
    memory_parts: dict[str, int]
    lower_bound: bool = False  # the pilot stopped early: the real numbers are larger
    notes: list[str] = field(default_factory=list)

    @property
    def rows(self) -> int:
        """Rows of every table (clean copies)."""
        return sum(t.rows for t in self.tables.values())

    @property
    def peak_memory_bytes(self) -> int:
        """The peak memory the model predicts: the sum of its parts, except that generation
        (kept tables, chunks, workers) and the lineage pipeline come one after the other, as
        generation hands its memory back before the pipeline starts: the larger of the two."""
        parts = self.memory_parts
        phased = sum(parts.get(k, 0) for k in GENERATION_PARTS)
        rest = sum(v for k, v in parts.items() if k not in GENERATION_PARTS and k != "lineage")
        return rest + max(phased, parts.get("lineage", 0))

    def line(self) -> str:
        """The one line printed before a run starts."""
        more = "at least " if self.lower_bound else ""
        return (
            f"estimate: {more}{self.rows:,} rows in {len(self.tables)} tables, "
            f"{more}{human_bytes(self.disk_bytes)} on disk, peak memory "
            f"{more}{human_bytes(self.peak_memory_bytes)}"
        )

    def as_dict(self) -> dict:
        """The estimate as plain values (for reports and tests)."""
        return {
            "command": self.command,
            "rows": self.rows,
            "disk_bytes": self.disk_bytes,
            "peak_memory_bytes": self.peak_memory_bytes,
            "memory_parts": dict(self.memory_parts),
            "lower_bound": self.lower_bound,
            "tables": {
                t: {"rows": s.rows, "dirty_rows": s.dirty_rows, "disk_bytes": s.disk_bytes}
                for t, s in self.tables.items()
            },
        }


# --------------------------------------------------------------------------- the pilot


class _PilotFull(Exception):
    """The pilot made PILOT_MAX_ROWS rows: enough to know the run is huge."""


class _MeasuringSink(Sink):
    """Keeps the pilot's chunks (small by construction) to measure them afterwards."""

    def __init__(self) -> None:
        self.types: dict[str, dict[str, str]] = {}
        self.dirty_types: dict[str, dict[str, str] | None] = {}
        self.clean: dict[str, list[pd.DataFrame]] = {}
        self.dirty_rows: dict[str, int] = {}
        self.total = 0

    def begin(self, table: str, types: dict[str, str], dirty_types: dict[str, str] | None) -> None:
        """Remember the table's types."""
        self.types[table], self.dirty_types[table] = types, dirty_types
        self.clean.setdefault(table, [])

    formats = ("parquet",)  # the engine hands chunks over encoded: decoded in ``append``

    def append(self, table: str, pieces: dict[tuple[str, str], bytes]) -> None:
        """Decode the chunk's clean piece (and count its dirty rows), as ``write`` would."""
        clean = pieces.get((DATA, "parquet"))
        dirty = pieces.get((DATA_DIRTY, "parquet"))
        if clean is None and dirty is None:
            return
        frame = decode_parquet(clean) if clean is not None else pd.DataFrame()
        self.write(table, frame, decode_parquet(dirty) if dirty is not None else None)

    def write(self, table: str, frame: pd.DataFrame, dirty: pd.DataFrame | None) -> None:
        """Keep the chunk; stop the pilot once it has made PILOT_MAX_ROWS rows."""
        self.clean[table].append(frame)
        if dirty is not None:
            self.dirty_rows[table] = self.dirty_rows.get(table, 0) + len(dirty)
        self.total += len(frame)
        if self.total > PILOT_MAX_ROWS:
            raise _PilotFull


@dataclass
class _Pilot:
    plan: Plan
    rows: dict[str, int]
    dirty_rows: dict[str, int]
    memory_per_row: dict[str, float]
    disk: dict[str, dict[str, tuple[float, float]]]  # table -> format -> (overhead, per row)
    full: bool  # stopped early
    label_bytes: int = 0  # labels.json's anomalies and entity links for the pilot's rows
    kept_bytes: dict[str, int] = field(default_factory=dict)  # the engine's kept tables


def _small_plan(plan: Plan, root_rows: dict[str, int], chunk: int, cap: int) -> Plan:
    """``plan`` with each root cut to ``root_rows`` (its family's) and at most ``cap`` rows
    per parent row in every driven table."""
    tables = {}
    for name, tp in plan.tables.items():
        if tp.rows is not None:
            tp = replace(tp, rows=min(tp.rows, root_rows.get(tp.family, PILOT_ROWS)))
        if tp.driver is not None:
            capped = tp.lookup(tp.driver).with_children_cap(cap)
            spec = tp.spec.model_copy(update={"columns": {**tp.spec.columns, tp.driver: capped}})
            tp = replace(tp, spec=spec)
        tables[name] = tp
    return replace(plan, tables=tables, chunk_size=chunk)


def _run(plan: Plan) -> tuple[_MeasuringSink, bool, int, dict[str, int]]:
    """The engine over a small plan into a measuring sink: (sink, stopped early, label bytes,
    bytes of the tables kept for lookups)."""
    sink = _MeasuringSink()
    try:
        result = Engine(plan, workers=1, progress=False).run(sink)
    except (_PilotFull, MemoryError):
        return sink, True, 0, {}
    labels = {"anomalies": result.anomalies, "entity_links": result.entity_links}
    return sink, False, len(json.dumps(labels, indent=2, default=str)), result.kept_bytes


def _rows_per_root(plan: Plan, rows: dict[str, int]) -> dict[str, float]:
    """Rows of every member of each family per row of its root (from a pilot's counts)."""
    out = {}
    for family in plan.families:
        root = rows.get(family.root, 0)
        out[family.root] = sum(rows.get(m, 0) for m in family.members) / root if root else 1.0
    return out


def _pilot(plan: Plan, formats: Iterable[str]) -> _Pilot:
    """Two small runs of the engine: a scout (roots of SCOUT_ROWS rows, at most SCOUT_CAP
    children per parent) that sizes the pilot, then the pilot (each family's root cut so that
    the family makes about PILOT_TARGET_ROWS rows, at most PILOT_CAP children per parent)."""
    scout_plan = _small_plan(
        plan, {f.root: SCOUT_ROWS for f in plan.families}, SCOUT_ROWS, SCOUT_CAP
    )
    scout, full, _, kept = _run(scout_plan)
    scout_rows = {t: sum(len(c) for c in chunks) for t, chunks in scout.clean.items()}
    del scout
    capped = full
    if not full:
        per_root = _rows_per_root(scout_plan, scout_rows)
        roots = {
            root: int(min(max(PILOT_TARGET_ROWS / max(n, 1.0), SCOUT_ROWS), PILOT_ROWS))
            for root, n in per_root.items()
        }
        sink, full, label_bytes, kept = _run(_small_plan(plan, roots, PILOT_CHUNK, PILOT_CAP))
    else:
        sink, label_bytes = _MeasuringSink(), 0
    rows, mem, disk = {}, {}, {}
    for table, chunks in sink.clean.items():
        frame = pd.concat(chunks, ignore_index=True) if chunks else pd.DataFrame()
        rows[table] = len(frame)
        mem[table] = float(frame.memory_usage(deep=True).sum()) / max(len(frame), 1)
        disk[table] = {f: _bytes_per_row(frame, sink.types[table], f) for f in formats}
    if full:  # keep what the scout saw when the pilot could not finish
        rows = {**scout_rows, **rows} if capped else rows
    dirty = dict(sink.dirty_rows)
    del sink
    gc.collect()
    return _Pilot(plan, rows, dirty, mem, disk, full, label_bytes, kept)


def _bytes_per_row(frame: pd.DataFrame, types: dict[str, str], fmt: str) -> tuple[float, float]:
    """(fixed bytes, bytes per row) of ``frame`` in ``fmt``, from the full and half frame."""
    if not len(frame):
        return 0.0, 0.0

    def size(part: pd.DataFrame) -> int:
        buf = io.BytesIO()
        table = to_arrow(part, types)
        if fmt == "parquet":
            pq.write_table(table, buf, compression="zstd")
        else:
            pacsv.write_csv(table, buf)
        return buf.tell()

    n = len(frame)
    whole = size(frame)
    if n < 8:
        return 0.0, whole / n
    half = size(frame.iloc[: n // 2])
    per_row = max((whole - half) / (n - n // 2), 1.0)
    return max(whole - per_row * n, 0.0), per_row


# --------------------------------------------------------------------------- scaling up


def _ratios(plan: Plan, pilot: _Pilot) -> tuple[dict[str, float], bool]:
    """Rows per parent row of every driven table, and whether one is only a lower bound.

    The pilot's ratio, unless the config fixes a mean above half the pilot's cap (a count of a
    billion): then that mean. A ratio at the cap with no fixed mean (an expression giving
    huge counts) is a lower bound.
    """
    out, lower = {}, pilot.full
    for name, tp in plan.tables.items():
        if tp.driver is None:
            continue
        parent_rows = pilot.rows.get(tp.driver_target or "", 0)
        ratio = pilot.rows.get(name, 0) / parent_rows if parent_rows else 0.0
        fixed = tp.lookup(tp.driver).expected_children()
        if fixed is not None and fixed > PILOT_CAP / 2:
            ratio = fixed
        elif fixed is None and ratio >= PILOT_CAP / 2:
            lower = True
        out[name] = ratio
    return out, lower


def _full_rows(
    plan: Plan, ratios: dict[str, float], scaled: set[str], factor: float
) -> dict[str, float]:
    """Rows of every table at full size: roots exact, children by their ratio; tables in
    ``scaled`` (sampled ones and their children) times ``factor``."""
    out: dict[str, float] = {}
    for name in plan.table_order:
        tp = plan.tables[name]
        parent = tp.driver_target
        if parent is None:
            out[name] = float(tp.rows or 0)
        else:
            out[name] = out.get(parent, 0.0) * ratios.get(name, 0.0)
        if name in scaled and (parent is None or parent not in scaled):
            out[name] *= factor
    return out


def _descendants(plan: Plan, roots: Iterable[str]) -> set[str]:
    out = set(roots)
    changed = True
    while changed:
        changed = False
        for name, tp in plan.tables.items():
            if name not in out and tp.driver_target in out:
                out.add(name)
                changed = True
    return out


def _sizes(
    plan: Plan, pilot: _Pilot, formats: list[str], rows: dict[str, float]
) -> dict[str, TableSize]:
    out = {}
    for name in plan.tables:
        n = rows.get(name, 0.0)
        p_rows = pilot.rows.get(name, 0)
        dirty_ratio = pilot.dirty_rows.get(name, 0) / p_rows if p_rows else 0.0
        dirty = n * dirty_ratio
        disk = 0.0
        per_row = 0.0
        for fmt in formats:
            overhead, each = pilot.disk.get(name, {}).get(fmt, (0.0, 0.0))
            per_row += each
            disk += overhead + each * n
            if dirty:
                disk += overhead + each * dirty
        out[name] = TableSize(
            rows=_round(n),
            dirty_rows=_round(dirty),
            disk_bytes=_round(disk),
            memory_per_row=pilot.memory_per_row.get(name, 0.0),
            disk_per_row=per_row,
            kept_per_row=pilot.kept_bytes.get(name, 0) / p_rows if p_rows else 0.0,
        )
    return out


def _round(x: float) -> int:
    return int(min(x, 2**62)) if math.isfinite(x) else 2**62


def _disk(
    plan: Plan, pilot: _Pilot, sizes: dict[str, TableSize], etl: bool, formats: list[str]
) -> int:
    """The tables, the labels (the pilot's, scaled by rows), the metadata and the lineage
    pipeline's step outputs (``LINEAGE_DISK_RATIO`` times the clean tables' Parquet bytes)."""
    total = sum(s.disk_bytes for s in sizes.values()) + METADATA_BYTES
    pilot_rows = sum(pilot.rows.values())
    if pilot_rows:
        total += pilot.label_bytes * sum(s.rows for s in sizes.values()) / pilot_rows
    if etl and plan.loaded.lineage is not None and "parquet" in formats:
        parquet = sum(
            overhead + per_row * sizes[t].rows
            for t, by_format in pilot.disk.items()
            if t in sizes
            for overhead, per_row in [by_format["parquet"]]
        )
        total += parquet * LINEAGE_DISK_RATIO
    return _round(total)


# --------------------------------------------------------------------------- memory


def _table_bytes(sizes: dict[str, TableSize], names: Iterable[str]) -> float:
    return sum(sizes[n].rows * sizes[n].memory_per_row for n in names if n in sizes)


def _chunk_bytes(plan: Plan, sizes: dict[str, TableSize]) -> float:
    """The largest family's chunk: chunk_size root rows and every member's rows for them."""
    largest = 0.0
    for family in plan.families:
        root_rows = sizes[family.root].rows
        if not root_rows:
            continue
        per_root = sum(sizes[m].rows / root_rows * sizes[m].memory_per_row for m in family.members)
        largest = max(largest, min(plan.chunk_size, root_rows) * per_root)
    return largest


def _memory_parts(
    plan: Plan,
    sizes: dict[str, TableSize],
    workers: int,
    etl: bool,
    kept: Iterable[str],
    model: MemoryModel,
) -> dict[str, int]:
    kept_bytes = sum(sizes[t].rows * sizes[t].kept_per_row for t in kept if t in sizes)
    chunk = _chunk_bytes(plan, sizes) * model.chunk_factor
    parts = {
        "process": psutil.Process().memory_info().rss,
        "kept tables": kept_bytes * model.kept_factor,
        "chunks": chunk * (2 if workers > 1 else 1),
    }
    if workers > 1:
        parts["workers"] = workers * (model.worker_bytes + chunk)
    if etl and plan.loaded.lineage is not None:
        cap = Limits.from_env().memory_mb * 2**20 * model.lineage_limit_factor
        working = min(_table_bytes(sizes, sizes) * model.lineage_factor, cap + model.lineage_stream)
        parts["lineage"] = model.lineage_fixed + working
    return {k: _round(v) for k, v in parts.items()}


# --------------------------------------------------------------------------- the commands


def estimate_generate(
    plan: Plan,
    formats: list[str],
    workers: int = 1,
    etl: bool = True,
    model: MemoryModel = MEMORY_MODEL,
) -> Estimate:
    """The size of ``generate`` over ``plan``."""
    pilot = _pilot(plan, formats)
    ratios, lower = _ratios(plan, pilot)
    sizes = _sizes(plan, pilot, formats, _full_rows(plan, ratios, set(), 1.0))
    parts = _memory_parts(plan, sizes, workers, etl, plan.materialized, model)
    disk = _disk(plan, pilot, sizes, etl, formats)
    return Estimate("generate", sizes, disk, parts, lower_bound=lower)


def estimate_fit_sample(
    plan: Plan,
    formats: list[str],
    modeled: list[str],
    sample_scale: float,
    workers: int = 1,
    etl: bool = True,
    fit: bool = True,
    compare: bool = True,
    model: MemoryModel = MEMORY_MODEL,
) -> Estimate:
    """The size of ``fit-sample`` (``fit`` False: ``sample`` from a saved model): the bootstrap
    at the plan's scale kept whole, the fit on ``modeled``, ``sample_scale`` times the modeled
    tables (and the tables generated per their rows) sampled, written and run through lineage."""
    pilot = _pilot(plan, formats)
    ratios, lower = _ratios(plan, pilot)
    boot = _sizes(plan, pilot, formats, _full_rows(plan, ratios, set(), 1.0))
    scaled = _descendants(plan, [m for m in modeled if m in plan.tables])
    sizes = _sizes(plan, pilot, formats, _full_rows(plan, ratios, scaled, sample_scale))
    modeled_bytes = _table_bytes(boot, modeled)
    parts = _memory_parts(plan, sizes, workers, etl, (), model)
    parts["bootstrap"] = _round(_table_bytes(boot, boot))
    if "sdv" not in sys.modules:  # imported after the estimate: not in the process's size yet
        parts["synthesizer libraries"] = model.synth_libraries
    synth = 0.0
    if fit:
        synth = modeled_bytes * model.fit_factor
        if compare:
            synth += modeled_bytes * model.compare_factor
    sampled = _table_bytes(sizes, scaled) * model.sample_factor
    parts["synthesizer"] = _round(max(synth, sampled))
    command = "fit-sample" if fit else "sample"
    disk = _disk(plan, pilot, sizes, etl, formats)
    return Estimate(command, sizes, disk, parts, lower)
