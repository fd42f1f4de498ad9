"""Sampling a large scale in batches of root rows: bounded memory and parallel workers.

A sample at ``scale`` is cut into batches, each a synthesizer ``sample`` call at a part of
the scale: every batch holds whole root rows with all their descendants, so foreign keys never
cross batches and each batch can be finished (keys, derived columns, totals) on its own. The
caller gives each batch its key offsets (the rows of the batches before it), which makes keys
unique across batches.

The batch plan depends only on the model and the asked scale: a batch is ``batch_scale``
times the fitted rows, with ``batch_scale`` the largest whole multiple of the fitted rows that
keeps a batch under ``BATCH_ROWS`` rows and under ``BATCH_CELLS`` modeled cells (at least 1).
Cells, not rows, are what a batch's sampling holds at its peak: a parent table is sampled with
its children's per-parent parameters as extra columns (``model_widths``: hundreds on a wide
parent), so a batch of 200,000 rows of mimic_demo peaked at 1.4 GB and one of the default
config at 0.2 GB. Batch ``i`` samples with the seed
``batch_seed(seed, i)``; batch 0 uses the seed itself, so a sample that fits in one batch is
exactly the unbatched one. Output is therefore a function of (model, seed, scale) and the same
for any number of workers; it does depend on ``BATCH_ROWS`` and ``BATCH_CELLS``, constants of
the code, not options (changing one is a deliberate change of output bytes).

Keys the caller renumbers (``renumbered``: a config renumbers its sequence keys in sampled
order) need not be drawn the way SDV draws them, one Faker ``random_int`` call per row with a
uniqueness check (1.4 million Python calls at a million transactions): ``counted_keys`` makes
them a counter instead. RDT draws them from the transformer's own Faker, not from the global
RNGs the other columns come from, so the other columns, and the renumbered output, are the
same bytes either way.

PII columns are regenerated per batch from pools drawn once per sample (``pii.shared_pools``):
a pool costs as much as a batch's rows, so it is not drawn again for every batch.

Whole multiples keep row counts exact: the root rows of full batches are whole multiples of
the fitted rows, so the batches' rows add up to ``round(rows * scale)`` like one call's.
"""

from __future__ import annotations

import contextlib
import math
import multiprocessing as mp
from collections import deque
from collections.abc import Collection, Generator, Iterator, Mapping
from dataclasses import dataclass
from typing import Any, Protocol

import numpy as np
import pandas as pd

from synthgen_sdv.synth import pii, unique
from synthgen_sdv.synth.base import Synthesizer
from synthgen_sdv.synth.seeding import derive_seed
from synthgen_sdv.synth.text_keys import KeyFormat, as_text

#: about how many rows (all modeled tables together) one batch samples
BATCH_ROWS = 200_000
#: about how many modeled cells (rows x ``model_widths``, all tables together) one batch
#: samples: a batch's sampling peaked at about 50 bytes per cell (mimic_demo, 16.7M cells,
#: 870 MB above the loaded model), so this keeps a batch near 80 MB; the default config's
#: batches (1.2M cells) are below it and unchanged
BATCH_CELLS = 1_500_000


@dataclass(frozen=True)
class Batch:
    """One synthesizer call: its position, its part of the scale and its seed."""

    index: int
    scale: float
    seed: int
    #: every batch's scale, in order (empty for a sample of one batch): the batch's place in
    #: the whole, from which unique columns continue across batches (``unique.Place``)
    scales: tuple[float, ...] = ()


def batch_scale(fitted_rows: Mapping[str, int], widths: Mapping[str, int] | None = None) -> int:
    """The scale of one full batch: the largest whole multiple of the fitted rows of every
    modeled table that stays under ``BATCH_ROWS`` rows and, given the tables' ``widths``
    (``model_widths``), under ``BATCH_CELLS`` cells (at least 1)."""
    total = sum(int(n) for n in fitted_rows.values())
    step = BATCH_ROWS // max(total, 1)
    if widths:
        cells = sum(int(n) * max(1, int(widths.get(t, 1))) for t, n in fitted_rows.items())
        step = min(step, BATCH_CELLS // max(cells, 1))
    return max(1, step)


def model_widths(synthesizer: Synthesizer, tables: Collection[str]) -> dict[str, int]:
    """Columns each of ``tables`` is sampled with: its own, plus the per-parent parameters of
    its children that an HMA adds to a parent (none for other synthesizers)."""
    model = getattr(synthesizer, "model", None)
    meta = getattr(getattr(model, "metadata", None), "tables", {})
    extended = getattr(model, "_parent_extended_columns", {}) or {}
    out = {}
    for table in tables:
        own = len(getattr(meta.get(table), "columns", {}) or {}) if table in meta else 1
        out[table] = max(1, own + len(extended.get(table, ())))
    return out


def batch_seed(seed: int, index: int) -> int:
    """The seed of batch ``index``: the sample's own seed for the first batch (so one batch is
    the unbatched sample), a named derivation of it for the others."""
    return int(seed) if index == 0 else derive_seed(int(seed), "batch", index)


def plan_batches(
    scale: float,
    seed: int,
    fitted_rows: Mapping[str, int],
    widths: Mapping[str, int] | None = None,
) -> list[Batch]:
    """The batches of a sample at ``scale``: full batches of ``batch_scale`` and the rest."""
    step = batch_scale(fitted_rows, widths)
    count = max(1, math.ceil(scale / step - 1e-9))
    if count == 1:  # the scale as given: a synthesizer's seeds derive from it (2 is not 2.0)
        return [Batch(0, scale, batch_seed(seed, 0))]
    last = scale - step * (count - 1)
    parts = tuple(float(step if i < count - 1 else last) for i in range(count))
    return [Batch(i, part, batch_seed(seed, i), parts) for i, part in enumerate(parts)]


def _key_transformers(synthesizer: Synthesizer, tables: Collection[str]) -> dict[str, Any]:
    """RDT's generators of the primary keys of ``tables`` that can be counted, by table: random
    integers, and text of a pattern or digits (``text_keys.KeyFormat``); none if the model is
    not an SDV multi-table model with the private layout this reads."""
    model = getattr(synthesizer, "model", None)
    out = {}
    for name, table in getattr(model, "_table_synthesizers", {}).items():
        processor = getattr(table, "_data_processor", None)
        if name not in tables or processor is None:
            continue
        key = getattr(processor, "_primary_key", None)
        fields = getattr(getattr(processor, "_hyper_transformer", None), "field_transformers", {})
        transformer = fields.get(key)
        kind = type(transformer).__name__
        drawn = {"AnonymizedFaker": "_reverse_transform_with_fallback", "RegexGenerator": "_sample"}
        if kind not in drawn or not hasattr(transformer, drawn[kind]):
            continue
        integers = getattr(transformer, "function_name", None) == "random_int"
        if integers or KeyFormat.of(transformer) is not None:
            out[name] = transformer
    return out


def countable_keys(synthesizer: Synthesizer, tables: Collection[str]) -> set[str]:
    """Tables of ``tables`` whose primary keys SDV draws as random integers or text of a
    pattern: ``counted_keys`` can count them instead, ``shift_keys`` make them unique across
    batches, and ``text_keys.as_text`` writes the text ones as text (``text_key_formats``)."""
    return set(_key_transformers(synthesizer, tables))


def text_key_formats(synthesizer: Synthesizer, tables: Collection[str]) -> dict[str, KeyFormat]:
    """The counted keys of ``tables`` that are text, and how they are written."""
    out = {}
    for name, transformer in _key_transformers(synthesizer, tables).items():
        fmt = KeyFormat.of(transformer)
        if fmt is not None:
            out[name] = fmt
    return out


def refers_to_counted(
    table: str, columns: Collection[str], relationships: list[dict[str, Any]], counted: set[str]
) -> bool:
    """Whether one of ``columns`` of ``table`` refers to another table whose keys are counted
    per batch: a combination (a composite key) that holds such a key holds one of its own
    batch, so combinations unique within each batch are unique across them."""
    return any(
        r["child_table_name"] == table
        and r["child_foreign_key"] in columns
        and r["parent_table_name"] in counted
        and r["parent_table_name"] != table
        for r in relationships
    )


def key_parent(
    table: str, column: str, relationships: list[dict[str, Any]], counted: Collection[str]
) -> str | None:
    """The counted parent whose keys ``table``'s key ``column`` holds when it is a foreign
    key too (a one-to-one extension: ``pub_info.pub_id -> publishers``), else None. Such a
    key is the parent's key, moved with the parent's (unique across batches: each batch
    takes its parent keys from a range of its own)."""
    for r in relationships:
        if (
            r["child_table_name"] == table
            and r["child_foreign_key"] == column
            and r["parent_table_name"] in counted
            and r["parent_table_name"] != table
        ):
            return str(r["parent_table_name"])
    return None


def shift_keys(
    tables: Mapping[str, pd.DataFrame],
    counted: Mapping[str, str],
    relationships: list[dict[str, Any]],
    offset: Mapping[str, int],
    start: int | Mapping[str, int] = 1,
) -> dict[str, pd.DataFrame]:
    """One batch's counted keys (0, 1, ... per batch, ``counted``: table -> key column) made
    global: ``start`` (or the table's in a mapping, else 1: the data's smallest key) plus the
    rows of the batches before, and the foreign keys of
    ``relationships`` that point at them moved along (so they still resolve; a key that is a
    foreign key too moves as the foreign key, ``key_parent``)."""
    out = dict(tables)
    first = start if isinstance(start, Mapping) else dict.fromkeys(counted, start)
    moved = {t: int(first.get(t, 1)) + int(offset.get(t, 0)) for t in counted if t in out}
    for table, shift in moved.items():
        if key_parent(table, counted[table], relationships, counted):
            continue  # a key that is a foreign key too: moved with its parent's keys below
        frame = out[table].copy()
        frame[counted[table]] = pd.to_numeric(frame[counted[table]]).astype("int64") + shift
        out[table] = frame
    for r in relationships:
        parent, child = r["parent_table_name"], r["child_table_name"]
        if parent in moved and child in out and parent != child:
            frame = out[child].copy()
            col = r["child_foreign_key"]
            keys = pd.to_numeric(frame[col]).astype("Int64") + moved[parent]
            frame[col] = keys if keys.hasnans else keys.astype("int64")
            out[child] = frame
    return out


def global_keys(
    synthesizer: Synthesizer,
    tables: Mapping[str, pd.DataFrame],
    counted: Mapping[str, str],
    metadata: Mapping[str, Any],
    offset: Mapping[str, int],
    starts: Mapping[str, int] | None = None,
) -> dict[str, pd.DataFrame]:
    """One batch's counted keys (``counted``: table -> key column) made global
    (``shift_keys``, integers from ``starts``: the data's smallest keys), the text ones then
    spelled as text (``text_keys.as_text``), foreign keys along, by the modeled
    ``metadata``'s relationships."""
    rels = metadata["relationships"]
    shifted = shift_keys(tables, counted, rels, offset, starts or {})
    texts = text_key_formats(synthesizer, counted)
    formats = {t: (counted[t], fmt) for t, fmt in texts.items()}
    parented = [t for t, key in counted.items() if key_parent(t, key, rels, counted)]
    return as_text(shifted, formats, rels, parented)


@contextlib.contextmanager
def counted_keys(synthesizer: Synthesizer, tables: Collection[str]) -> Iterator[None]:
    """While sampling, the primary keys of ``tables`` are 0, 1, 2, ... (unique, as SDV's are)
    instead of one Faker draw per row; only for keys the caller renumbers anyway."""
    patched = []
    for transformer in _key_transformers(synthesizer, tables).values():
        start = [0]

        def count(size: int, start: list[int] = start) -> np.ndarray:
            values = np.arange(start[0], start[0] + size).astype(object)
            start[0] += size
            return values

        if type(transformer).__name__ == "RegexGenerator":  # RDT's _sample(n, unique) -> list
            transformer._sample = lambda size, _unique, count=count: list(count(size))
            patched.append((transformer, "_sample"))
        else:
            transformer._reverse_transform_with_fallback = count
            patched.append((transformer, "_reverse_transform_with_fallback"))
    try:
        yield
    finally:
        for transformer, name in patched:
            delattr(transformer, name)


# --- sampling, in order, in this process or in forked workers ---------------------------------


def sample_batch(
    synthesizer: Synthesizer,
    batch: Batch,
    *,
    seed: int,
    count: int,
    renumbered: Collection[str] = (),
) -> dict[str, pd.DataFrame]:
    """One batch of a sample of ``count`` batches with the sample's ``seed``: a pure function
    of its arguments, so any process (a forked worker, a Spark executor) draws the same
    tables. The keys of ``renumbered`` tables are counted (``counted_keys``); PII pools are
    shared across batches when there are several (``pii.shared_pools``)."""
    pools = pii.shared_pools(seed, batch.index) if count > 1 else contextlib.nullcontext()
    with counted_keys(synthesizer, renumbered), pools, unique.placed(place(synthesizer, batch)):
        return synthesizer.sample(batch.scale, seed=batch.seed)


def place(synthesizer: Synthesizer, batch: Batch) -> unique.Place | None:
    """``batch``'s place in its sample (None for a sample of one batch), with the fitted rows
    of the model's tables (SDV's HMA samples ``round(rows x scale)`` of each)."""
    if len(batch.scales) < 2:
        return None
    sizes = getattr(getattr(synthesizer, "model", None), "_table_sizes", None) or {}
    return unique.Place(batch.index, batch.scales, {t: int(n) for t, n in sizes.items()})


_STATE: dict[str, Any] = {}


def _sample_one(batch: Batch) -> tuple[Batch, dict[str, pd.DataFrame]]:
    synthesizer: Synthesizer = _STATE["synthesizer"]
    return batch, sample_batch(
        synthesizer,
        batch,
        seed=_STATE["seed"],
        count=_STATE["batches"],
        renumbered=_STATE["renumbered"],
    )


def _warm_pools(synthesizer: Synthesizer, seed: int) -> None:
    """Draw the shared PII pools before forking, so workers inherit them instead of each
    drawing its own."""
    prepared = synthesizer.prepared
    with pii.shared_pools(seed, 0):
        for column in prepared.pii if prepared is not None else ():
            column.generate(1, seed)


def sample_batches(
    synthesizer: Synthesizer,
    batches: list[Batch],
    workers: int = 1,
    renumbered: Collection[str] = (),
) -> Generator[tuple[Batch, dict[str, pd.DataFrame]], None, None]:
    """Sample ``batches`` and yield ``(batch, tables)`` in batch order. The primary keys of
    ``renumbered`` tables are counted, not drawn (``counted_keys``).

    With ``workers`` > 1 batches are sampled in forked processes (they inherit the fitted
    synthesizer without pickling it); at most ``workers + 1`` batches are in flight, so memory
    stays bounded however slowly the caller consumes them.
    """
    _STATE.update(
        synthesizer=synthesizer,
        renumbered=set(renumbered),
        seed=batches[0].seed,
        batches=len(batches),
    )
    try:
        if workers <= 1 or len(batches) == 1:
            yield from map(_sample_one, batches)
            return
        _warm_pools(synthesizer, batches[0].seed)
        ctx = mp.get_context("fork")
        with ctx.Pool(min(workers, len(batches))) as pool:
            pending: deque = deque()
            todo = iter(batches)
            for batch in todo:
                pending.append(pool.apply_async(_sample_one, (batch,)))
                if len(pending) > workers:
                    break
            while pending:
                yield pending.popleft().get()
                nxt = next(todo, None)
                if nxt is not None:
                    pending.append(pool.apply_async(_sample_one, (nxt,)))
    finally:
        _STATE.clear()


class BatchSampler(Protocol):
    """Where the batches of a sample are drawn: ``sample(synthesizer, batches, renumbered)``
    yields ``(batch, raw tables)`` in batch order, whatever runs them (``LocalBatches``:
    this process or forked workers; ``synth.spark_sample.SparkBatches``: Spark tasks)."""

    def describe(self) -> str:
        """Where the batches run, for the progress line (``2 workers``, ``Spark local[2]``)."""
        ...

    def prepare(self, synthesizer: Synthesizer) -> None:
        """Get ready to draw from ``synthesizer`` without blocking (Spark starts and ships the
        model while the driver loads its data); optional work, never required."""
        ...

    def sample(
        self, synthesizer: Synthesizer, batches: list[Batch], renumbered: Collection[str]
    ) -> Generator[tuple[Batch, dict[str, pd.DataFrame]], None, None]:
        """The batches' raw tables, in batch order."""
        ...

    def close(self) -> None:
        """Let go of what the sampler started (a Spark session it made)."""
        ...


@dataclass
class LocalBatches:
    """Batches in this process (``workers`` 1) or in forked worker processes."""

    workers: int = 1

    def describe(self) -> str:
        """``N worker(s)``."""
        return f"{self.workers} worker{'s' if self.workers > 1 else ''}"

    def prepare(self, synthesizer: Synthesizer) -> None:
        """Nothing to prepare: forked workers inherit the model."""

    def sample(
        self, synthesizer: Synthesizer, batches: list[Batch], renumbered: Collection[str]
    ) -> Generator[tuple[Batch, dict[str, pd.DataFrame]], None, None]:
        """``sample_batches`` with this sampler's workers."""
        return sample_batches(synthesizer, batches, self.workers, renumbered)

    def close(self) -> None:
        """Nothing to let go of: the pool ends with its iterator."""
