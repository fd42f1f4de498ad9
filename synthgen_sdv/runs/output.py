"""The one writer of an output folder, for every way tables are made.

``write_output(out, formats, output)`` builds the folder in a temporary sibling
(``io.output.staged_output``) and moves it into place only when complete. An ``Output`` says
what goes in: ``produce`` streams the tables into the file sink, ``schema_metadata`` describes
them through one of the two ``io.artifacts`` adapters, and the ETL run, labels and lineage
follow. Two outputs exist:

* ``PlanOutput``: tables made from a config by the rule-based engine (``generate``), some of
  them sampled by a synthesizer and pinned (``fit-sample`` on the bootstrap); the engine
  generates the tables that depend on pinned ones, injects anomalies and runs lineage.yml;
* ``FramesOutput``: given tables with their SDV metadata (``fit-sample --data-dir``).
"""

from __future__ import annotations

import time
from abc import ABC, abstractmethod
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pandas as pd

from synthgen_sdv.core.progress import QUIET, Progress
from synthgen_sdv.core.seeds import json_hash
from synthgen_sdv.generate.engine import Engine, GenerationResult
from synthgen_sdv.generate.executors import Executor
from synthgen_sdv.io import artifacts, files, layout
from synthgen_sdv.io.models import TableMeta
from synthgen_sdv.io.output import staged_output
from synthgen_sdv.io.spill import SpilledTable
from synthgen_sdv.io.writers import DEFAULT_COMPRESSION, FileSink, to_logical_types
from synthgen_sdv.lineage.writer import lineage_labels, run_for_output
from synthgen_sdv.schema.plan import Plan


@dataclass
class Written:
    """What a write produced: the generation result and the schema_metadata document."""

    result: GenerationResult
    schema_metadata: dict[str, Any]


class Output(ABC):
    """The tables of one output folder and their documents, as the writer asks for them."""

    seed: int
    config_hash: str
    compression: str = DEFAULT_COMPRESSION  # the Parquet codec
    #: the ``sampling`` section of schema_metadata.json (seed, scale, model), when sampled
    sampling: dict[str, Any] | None = None

    @abstractmethod
    def produce(self, sink: FileSink) -> GenerationResult:
        """Stream every table into ``sink``; return counts, types and labels."""

    @abstractmethod
    def schema_metadata(self, result: GenerationResult, sink: FileSink) -> dict[str, Any]:
        """metadata/schema_metadata.json of what ``produce`` wrote."""

    @abstractmethod
    def lineage_tables(self, result: GenerationResult) -> dict[str, Any] | None:
        """The ``tables`` section of generation_lineage.yaml (None: no lineage file)."""

    def etl(
        self, tmp: Path, tables_lineage: dict[str, Any] | None, formats: list[str]
    ) -> list[dict[str, Any]]:
        """Run the ETL pipeline over the written tables; its fault labels (default: none)."""
        return []

    def labels(
        self, result: GenerationResult, etl_labels: list[dict[str, Any]]
    ) -> dict[str, Any] | None:
        """metadata/labels.json (None: the output has no labels file)."""
        return None

    def extra_files(self, tmp: Path) -> None:  # noqa: B027 - optional hook
        """Anything else the output holds (written into the staged folder ``tmp``)."""


def write_into(tmp: Path, formats: list[str], output: Output) -> Written:
    """Write ``output`` into the folder ``tmp`` (already staged): data, then metadata."""
    sink = FileSink(tmp, formats, output.compression)
    result = output.produce(sink)
    meta = output.schema_metadata(result, sink)
    if output.sampling:
        meta["sampling"] = output.sampling
    files.write_json(tmp / layout.SCHEMA_METADATA, meta)
    tables_lineage = output.lineage_tables(result)
    etl_labels = output.etl(tmp, tables_lineage, sink.formats)
    labels = output.labels(result, etl_labels)
    if labels is not None:
        files.write_json(tmp / layout.LABELS, labels)
    lineage_path = tmp / layout.GENERATION_LINEAGE
    if tables_lineage is not None and not lineage_path.exists():  # the ETL run writes it too
        doc = artifacts.lineage_tables_document(output.seed, output.config_hash, tables_lineage)
        files.write_yaml(lineage_path, doc)
    output.extra_files(tmp)
    return Written(result, meta)


def write_output(
    out: Path,
    formats: list[str],
    output: Output,
    extra: Callable[[Path], None] | None = None,
    overwrite: bool = False,
) -> Written:
    """Write ``output`` into ``out`` atomically; ``extra`` adds to the staged folder (reports).
    An earlier output in ``out`` is replaced only with ``overwrite`` (``io.output``)."""
    with staged_output(out, overwrite) as tmp:
        written = write_into(tmp, formats, output)
        if extra:
            extra(tmp)
    return written


# --------------------------------------------------------------------------- from a config


def rules_lineage(plan: Plan, result: GenerationResult) -> dict[str, Any]:
    """How each table was made by the rule-based bootstrap (the `tables` lineage section)."""
    out = {}
    for name, tp in plan.tables.items():
        entry: dict[str, Any] = {
            "source": "rules",
            "rows": result.row_counts.get(name, 0),
            "group": tp.family,
            "config": "tables.yml",
        }
        if tp.driver:
            entry["generated_per_row_of"] = tp.lookup(tp.driver).foreign_key_target
        entry["looks_up"] = sorted({tp.lookup(c).foreign_key_target for c in tp.lookups})
        out[name] = entry
    return out


def _reads(plan: Plan, table: str) -> set[str]:
    tp = plan.tables[table]
    lookups = (*tp.lookups, *([tp.driver] if tp.driver else []))
    return {tp.lookup(c).foreign_key_target for c in lookups}


@dataclass
class PlanOutput(Output):
    """Tables made from ``plan`` by the engine; ``pinned`` ones (sampled) are written as given
    and the tables that depend on them are generated on top of them."""

    plan: Plan
    workers: int = 1
    progress: Progress = field(default_factory=lambda: QUIET)
    etl_enabled: bool = True
    pinned: Mapping[str, pd.DataFrame] | None = None
    sources: dict[str, str] | None = None
    pinned_lineage: dict[str, dict[str, Any]] = field(default_factory=dict)
    executor: Executor | None = None  # where chunks are made (default: ``workers`` processes)
    compression: str = DEFAULT_COMPRESSION

    def __post_init__(self) -> None:
        self.seed, self.config_hash = self.plan.seed, self.plan.config_hash

    def produce(self, sink: FileSink) -> GenerationResult:
        """The engine's run over the plan (the pinned tables as given)."""
        bars = not self.progress.quiet
        # a line per table family: the stages of `generate`, sub-steps of fit-sample's write
        log = self.progress.detail if self.pinned else self.progress.say
        engine = Engine(
            self.plan,
            workers=self.workers,
            progress=bars,
            log=log if bars else None,
            executor=self.executor,
        )
        return engine.run(sink, pinned=self.pinned)

    def schema_metadata(self, result: GenerationResult, sink: FileSink) -> dict[str, Any]:
        """Described by the config adapter (``io.artifacts.describe_plan``)."""
        dirty = {
            t: {"files": sink.dirty_files[t], "row_count": result.dirty_row_counts.get(t, 0)}
            for t in sink.dirty_files
        }
        return artifacts.schema_metadata(
            self.plan,
            result.types,
            result.row_counts,
            result.nullable,
            sink.files,
            dirty,
            self.sources,
        )

    def lineage_tables(self, result: GenerationResult) -> dict[str, Any]:
        """Rules for every table; the sampler's entries for pinned ones and their dependents."""
        tables = rules_lineage(self.plan, result)
        if not self.pinned:
            return tables
        for name, entry in tables.items():
            entry.update(self.pinned_lineage.get(name, {}))
            if name not in self.pinned and any(t in self.pinned for t in _reads(self.plan, name)):
                entry["source"] = "rules, on synthesized parents"
        return tables

    def etl(
        self, tmp: Path, tables_lineage: dict[str, Any] | None, formats: list[str]
    ) -> list[dict[str, Any]]:
        """Execute lineage.yml over the written tables: staging/core/mart data, faults, events."""
        spec_path = self.plan.loaded.config_dir / "lineage.yml"
        if not self.etl_enabled or self.plan.loaded.lineage is None or not spec_path.exists():
            return []
        if "parquet" not in formats:
            self.progress.say(
                "note: ETL lineage skipped: it runs over the Parquet output (add --format both)"
            )
            return []
        self.progress.say(
            "running the ETL pipeline of lineage.yml (faults injected, OpenLineage events)"
        )
        run = run_for_output(
            tmp,
            self.plan.seed,
            spec_path=spec_path,
            write_labels=False,
            extra_sections={"config_hash": self.plan.config_hash, "tables": tables_lineage},
            progress=self.progress,
        )
        return lineage_labels(run)

    def labels(self, result: GenerationResult, etl_labels: list[dict[str, Any]]) -> dict[str, Any]:
        """Anomalies and entity links of the engine's run, and the ETL fault labels."""
        return artifacts.labels_document(
            self.plan.seed,
            self.plan.config_hash,
            result.anomalies,
            result.entity_links,
            etl_labels,
            result.entity_link_files,
        )


# --------------------------------------------------------------------------- given tables


@dataclass
class FramesOutput(Output):
    """Given tables, described by their SDV metadata (composite keys and self references kept
    in schema_metadata.json, left out of its ``sdv_metadata``) and logical types."""

    tables: Mapping[str, pd.DataFrame]
    metadata: dict[str, Any]
    types: dict[str, dict[str, str]]
    seed: int
    scale: float = 1.0
    sources: dict[str, str] | None = None
    descriptions: dict[str, str] | None = None
    lineage: dict[str, Any] | None = None
    extra: Callable[[Path], None] | None = None
    progress: Progress = field(default_factory=lambda: QUIET)
    #: columns seen with nulls in tables written a part at a time (filled by ``produce``)
    nullable: dict[str, set[str]] = field(default_factory=dict)

    def __post_init__(self) -> None:
        self.config_hash = json_hash(self.metadata, sort_keys=True, default=str)

    def produce(self, sink: FileSink) -> GenerationResult:
        """Each table in its logical types, into data/: a spilled table a part at a time (the
        columns seen with nulls noted on the way, for ``describe``)."""
        started = time.perf_counter()
        types: dict[str, dict[str, str]] = {}
        for name, table in self.tables.items():
            types[name] = {c: self.types[name][c] for c in table.columns}
            sink.begin(name, types[name], None)
            if isinstance(table, SpilledTable):
                seen: set[str] = set()
                for i, part in enumerate(table.frames(), 1):
                    seen.update(c for c in part.columns if part[c].isna().any())
                    sink.write(name, to_logical_types(part, types[name]), None)
                    self.progress.detail(f"  {name}: part {i}/{len(table.parts)} written")
                self.nullable[name] = seen
            else:
                sink.write(name, to_logical_types(table, types[name]), None)
            sink.end(name)
            self.progress.detail(f"  {name}: {len(table):,} rows written")
        return GenerationResult(
            row_counts={name: len(frame) for name, frame in self.tables.items()},
            dirty_row_counts={},
            types=types,
            anomalies=[],
            entity_links=[],
            seconds=time.perf_counter() - started,
            nullable=dict(self.nullable),
        )

    def describe(self, result: GenerationResult, sink: FileSink) -> dict[str, TableMeta]:
        """Each written table, by the your-own-data adapter (``io.artifacts.describe_frames``)."""
        return artifacts.describe_frames(
            self.tables,
            self.metadata,
            self.types,
            sink.files,
            self.sources,
            self.descriptions,
            nullable=self.nullable,
            rows=result.row_counts,
        )

    def schema_metadata(self, result: GenerationResult, sink: FileSink) -> dict[str, Any]:
        """The document of the tables ``describe`` describes."""
        tables = self.describe(result, sink)
        return artifacts.schema_metadata_document(
            self.seed,
            self.config_hash,
            self.scale,
            artifacts.output_sdv_metadata(self.metadata, self.types),
            tables,
        )

    def lineage_tables(self, result: GenerationResult) -> dict[str, Any] | None:
        """How each table was made, when the caller knows (``lineage``)."""
        return self.lineage

    def extra_files(self, tmp: Path) -> None:
        """The caller's own files (e.g. the detected metadata)."""
        if self.extra is not None:
            self.extra(tmp)


def write_user_output(
    out_dir: str | Path,
    tables: dict[str, pd.DataFrame],
    metadata: dict[str, Any],
    types: dict[str, dict[str, str]],
    seed: int,
    scale: float = 1.0,
    formats: tuple[str, ...] | list[str] = ("parquet",),
    sources: dict[str, str] | None = None,
    descriptions: dict[str, str] | None = None,
    lineage: dict[str, Any] | None = None,
) -> dict[str, Any]:
    """Write data/<table>.<fmt> and metadata/schema_metadata.json of given tables into
    ``out_dir`` (a staged folder: call it inside ``staged_output``); return the document.

    ``lineage`` is written as metadata/generation_lineage.yaml under ``tables``; the config hash
    is the sha256 of the metadata dict.
    """
    output = FramesOutput(tables, metadata, types, seed, scale, sources, descriptions, lineage)
    return write_into(Path(out_dir), list(formats), output).schema_metadata
