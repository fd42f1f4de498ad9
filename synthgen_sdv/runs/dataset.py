"""``Dataset``: tables in memory with their metadata, what the Python API hands around.

A Dataset is made by the rule-based engine (``materialize``: ``sg.generate``, and a config
model's sample with the tables the rules generate on top of it), read from a folder
(``read_dataset``: an output folder, or a folder of your CSV / Parquet files), or made from
your-own-data samples. ``Dataset.write`` writes it with the one writer of the command line
(``runs.output.write_output``: staged, then moved into place): a dataset made from a config
also gets its ETL lineage run and its labels; any other gets data/, data_dirty/ (when it has
dirty tables), metadata/schema_metadata.json, labels.json (when it has labels) and
generation_lineage.yaml (when it knows how its tables were made).
"""

from __future__ import annotations

import tempfile
import time
from collections.abc import Mapping
from copy import deepcopy
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pandas as pd
import pyarrow as pa
import pyarrow.parquet as pq
from sdv.metadata import Metadata

from synthgen_sdv.core.errors import InputError
from synthgen_sdv.core.metadata import subgraph
from synthgen_sdv.core.progress import QUIET, Progress
from synthgen_sdv.detect.load import load_user_data
from synthgen_sdv.detect.types import type_column
from synthgen_sdv.detect.userdata import UserData
from synthgen_sdv.engines.reader import read_table
from synthgen_sdv.engines.validation import ValidationReport, validate
from synthgen_sdv.evaluate.loading import read_output_folder
from synthgen_sdv.generate.engine import Engine, GenerationResult
from synthgen_sdv.io import artifacts, layout
from synthgen_sdv.io.models import DirtyMeta, TableMeta
from synthgen_sdv.io.reader import load_labels, load_schema_metadata, read_json, read_yaml
from synthgen_sdv.io.sink import Sink
from synthgen_sdv.io.writers import FileSink, decode_parquet, to_logical_types
from synthgen_sdv.kinds.base import SQL_TYPES
from synthgen_sdv.runs.frames import load_frames
from synthgen_sdv.runs.output import FramesOutput, PlanOutput, write_output
from synthgen_sdv.schema.plan import Plan

FORMATS = {"parquet": ["parquet"], "csv": ["csv"], "both": ["parquet", "csv"]}
#: the logical type of each SQL type (a folder that does not record logical types)
LOGICAL_OF_SQL = {v: k for k, v in SQL_TYPES.items()}
_ARROW_LOGICAL = (
    (pa.types.is_boolean, "bool"),
    (pa.types.is_integer, "int"),
    (pa.types.is_floating, "float"),
    (pa.types.is_date, "date"),
    (pa.types.is_timestamp, "datetime"),
)


class CollectSink(Sink):
    """Keeps what a writer would write: clean and dirty chunks, and both sets of types.

    The engine hands chunks over as Parquet pieces (encoded where they were made, as for the
    files); dirty pieces are decoded here (integers with nulls as ``Int64``, text
    Arrow-backed, dates as datetime64). Clean pieces are dropped: ``materialize`` takes the
    clean tables from the engine's kept frames, the very frames a bootstrap keeps."""

    formats = ("parquet",)

    def __init__(self) -> None:
        self.clean: dict[str, list[pd.DataFrame]] = {}
        self.dirty: dict[str, list[pd.DataFrame]] = {}
        self.dirty_types: dict[str, dict[str, str]] = {}

    def begin(self, table: str, types: dict[str, str], dirty_types: dict[str, str] | None) -> None:
        """Start collecting ``table``."""
        self.clean[table] = []
        if dirty_types is not None:
            self.dirty[table], self.dirty_types[table] = [], dict(dirty_types)

    def write(self, table: str, frame: pd.DataFrame, dirty: pd.DataFrame | None) -> None:
        """Keep the chunk (and its dirty copy)."""
        self.clean[table].append(frame)
        if dirty is not None:
            self.dirty[table].append(dirty)

    def append(self, table: str, pieces: dict[tuple[str, str], bytes]) -> None:
        """Decode the chunk's dirty piece and keep it (the clean one: see the class)."""
        for (folder, _fmt), piece in pieces.items():
            if folder == layout.DATA_DIRTY:
                self.dirty[table].append(decode_parquet(piece))

    @staticmethod
    def _joined(parts: dict[str, list[pd.DataFrame]]) -> dict[str, pd.DataFrame]:
        return {t: pd.concat(fs, ignore_index=True) for t, fs in parts.items() if fs}

    def tables(self) -> dict[str, pd.DataFrame]:
        """The clean tables, whole."""
        return self._joined(self.clean)

    def dirty_tables(self) -> dict[str, pd.DataFrame]:
        """The dirty tables, whole."""
        return self._joined(self.dirty)


@dataclass
class Dataset:
    """Tables (pandas DataFrames) with their SDV metadata and labels.

    ``tables`` are the clean tables; ``metadata`` is SDV's ``Metadata`` (what SDV and
    SDMetrics take); ``labels`` is labels.json (injected anomalies with the keys of the rows
    they touched, hidden entity links, ETL faults; empty when there are none); ``dirty`` the
    tables with the anomalies applied. ``metadata_dict`` is the metadata as a dict, with
    composite keys and self references (which SDV's ``Metadata`` cannot hold) kept;
    ``types`` the logical type of each column; ``sources`` where each table came from;
    ``sampling`` the seed and scale of a sample (None otherwise).

    >>> ds = sg.read("output")
    >>> ds.tables["orders"].head()
    >>> ds.metadata.visualize()
    """

    tables: dict[str, pd.DataFrame]
    metadata_dict: dict[str, Any]
    types: dict[str, dict[str, str]]
    labels: dict[str, Any] = field(default_factory=dict)
    dirty: dict[str, pd.DataFrame] = field(default_factory=dict)
    dirty_types: dict[str, dict[str, str]] = field(default_factory=dict)
    sources: dict[str, str] = field(default_factory=dict)
    lineage: dict[str, Any] | None = None
    sampling: dict[str, Any] | None = None
    seed: int | None = None
    scale: float | None = None
    path: Path | None = None
    notes: list[str] = field(default_factory=list)
    plan: Plan | None = field(default=None, repr=False)
    descriptions: dict[str, TableMeta] | None = field(default=None, repr=False)
    user: UserData | None = field(default=None, repr=False)
    generated_hash: str | None = field(default=None, repr=False)
    _metadata: Metadata | None = field(default=None, repr=False)

    @property
    def metadata(self) -> Metadata:
        """SDV's ``Metadata`` of the tables (composite keys and self references left out, as
        SDV cannot model them; ``metadata_dict`` keeps them).

        >>> ds.metadata.to_dict()["relationships"]
        """
        if self._metadata is None:
            md = artifacts.output_sdv_metadata(self.metadata_dict, self.types)
            self._metadata = Metadata.load_from_dict(md)
        return self._metadata

    def __repr__(self) -> str:
        rows = ", ".join(f"{t} {len(df):,}" for t, df in self.tables.items())
        extra = f"; sampled with seed {self.sampling['seed']}" if self.sampling else ""
        return f"Dataset({len(self.tables)} tables: {rows} rows{extra})"

    def write(self, path: str | Path, format: str = "parquet", *, overwrite: bool = False) -> Path:
        """Write an output folder at ``path`` (``format``: parquet, csv or both) with the
        command line's writer: built in a temporary sibling and moved into place only when
        complete. An existing folder is replaced only with ``overwrite=True``, and only if it
        is an output folder. Returns the folder.

        >>> ds.write("out", format="both")
        """
        if format not in FORMATS:
            raise InputError(f"format must be one of {', '.join(FORMATS)}, got {format!r}")
        out = Path(path)
        refuse_without_overwrite(out, overwrite)
        write_output(out, FORMATS[format], self._output(), overwrite=overwrite)
        return out.resolve()

    def validate(self) -> ValidationReport:
        """The ``validate`` command's checks (keys, foreign keys, types, nullability, row
        counts; the dirty tables against the labels) on this dataset as it would be written.

        >>> report = ds.validate(); report.ok, report.summary()
        """
        with tempfile.TemporaryDirectory(prefix="synthgen_validate_") as tmp:
            out = Path(tmp) / "out"
            write_output(out, ["parquet"], self._output(etl=False))
            variants = ["clean", "dirty"] if self.dirty else ["clean"]
            return validate(out, variants)

    def _check(self) -> None:
        """Every table and column described by the metadata and types (edited frames)."""
        problems = []
        for name, frame in self.tables.items():
            described = self.metadata_dict.get("tables", {}).get(name, {}).get("columns", {})
            if name not in self.types or not described:
                problems.append(f"tables[{name!r}]: not in the dataset's metadata")
                continue
            for col in frame.columns:
                if col not in described or col not in self.types[name]:
                    problems.append(f"tables[{name!r}][{col!r}]: not in the metadata")
        if problems:
            raise InputError(
                "the dataset's tables and metadata disagree (add the column to "
                "metadata_dict and types, or drop it):\n" + "\n".join(f"  - {p}" for p in problems)
            )

    def _written_metadata(self) -> dict[str, Any]:
        """``metadata_dict`` cut to the tables and columns there are (a table or column
        dropped from ``tables`` leaves the written metadata too)."""
        md = subgraph(self.metadata_dict, list(self.tables), copy=True)
        for name, tmeta in md["tables"].items():
            present = set(self.tables[name].columns)
            tmeta["columns"] = {c: m for c, m in tmeta["columns"].items() if c in present}
            pk = tmeta.get("primary_key")
            if pk is not None and not set([pk] if isinstance(pk, str) else pk) <= present:
                tmeta.pop("primary_key")
        md["relationships"] = [
            r
            for r in md["relationships"]
            if r["child_foreign_key"] in md["tables"][r["child_table_name"]]["columns"]
            and md["tables"][r["parent_table_name"]].get("primary_key") == r["parent_primary_key"]
        ]
        return md

    def _plan_shaped(self) -> bool:
        """Still the tables and columns of its config (else it is written as plain frames)."""
        plan = self.plan
        return (
            plan is not None
            and list(self.tables) == list(plan.tables)
            and all(
                list(frame.columns) == list(plan.tables[name].emitted)
                for name, frame in self.tables.items()
            )
        )

    def _output(self, etl: bool = True) -> PlanOutput | FramesOutput:
        self._check()
        output: PlanOutput | FramesOutput
        if self.plan is not None and self._plan_shaped():
            modeled = (self.sampling or {}).get("model", {}).get("tables", [])
            output = PlanFramesOutput(
                self.plan,
                etl_enabled=etl,
                pinned={t: self.tables[t] for t in modeled if t in self.tables} or None,
                sources=self.sources or None,
                pinned_lineage=dict(self.lineage or {}) if self.sampling else {},
                dataset=self,
            )
        else:
            output = DatasetOutput(
                self.tables,
                self._written_metadata(),
                self.types,
                self.seed if self.seed is not None else 0,
                self.scale if self.scale is not None else 1.0,
                sources=self.sources or None,
                lineage=self.lineage,
                dataset=self,
            )
        output.sampling = self.sampling
        return output


def _dirty_kept(ds: Dataset) -> dict[str, pd.DataFrame]:
    """The dirty tables that still match their clean table's columns (an edited table's dirty
    copy, and the labels of its anomalies, are not written: they describe other data)."""
    return {
        t: d
        for t, d in ds.dirty.items()
        if t in ds.tables and list(d.columns) == list(ds.tables[t].columns)
    }


def _produce(sink: FileSink, ds: Dataset) -> GenerationResult:
    """Write a dataset's clean (and dirty) tables into ``sink`` in their logical types."""
    started = time.perf_counter()
    nullable: dict[str, set[str]] = {}
    kept = _dirty_kept(ds)
    for name, frame in ds.tables.items():
        types = {c: ds.types[name][c] for c in frame.columns}
        dirty = kept.get(name)
        sink.begin(name, types, ds.dirty_types.get(name) if dirty is not None else None)
        dirty_frame = None if dirty is None else to_logical_types(dirty, ds.dirty_types[name])
        sink.write(name, to_logical_types(frame, types), dirty_frame)
        sink.end(name)
        nullable[name] = set(frame.columns[frame.isna().any()].tolist())
    return GenerationResult(
        row_counts={name: len(frame) for name, frame in ds.tables.items()},
        dirty_row_counts={name: len(frame) for name, frame in kept.items()},
        types={name: dict(ds.types[name]) for name in ds.tables},
        anomalies=[a for a in ds.labels.get("anomalies", []) if a.get("table") in kept],
        entity_links=list(ds.labels.get("entity_links", [])),
        seconds=time.perf_counter() - started,
        nullable=nullable,
    )


@dataclass
class PlanFramesOutput(PlanOutput):
    """A dataset made from a config, written like ``generate`` writes: schema metadata from
    the config, labels, ETL lineage; its tables as they are in memory."""

    dataset: Dataset | None = None

    def produce(self, sink: FileSink) -> GenerationResult:
        """The dataset's tables, as given."""
        assert self.dataset is not None
        return _produce(sink, self.dataset)


@dataclass
class DatasetOutput(FramesOutput):
    """Any other dataset: its tables, dirty tables and labels, described as they were read
    (or by the your-own-data adapter)."""

    dataset: Dataset | None = None

    def produce(self, sink: FileSink) -> GenerationResult:
        """The dataset's tables and dirty tables."""
        assert self.dataset is not None
        return _produce(sink, self.dataset)

    def describe(self, result: GenerationResult, sink: FileSink) -> dict[str, TableMeta]:
        """Tables described as they were read when their columns still match, else from the
        metadata and types; each with its files and dirty variant."""
        assert self.dataset is not None
        ds = self.dataset
        tables = super().describe(result, sink)
        for name, desc in (ds.descriptions or {}).items():
            if name in tables and list(desc.columns) == list(ds.tables[name].columns):
                tables[name] = desc.model_copy(
                    update={
                        "row_count": len(ds.tables[name]),
                        "files": sink.files.get(name, {}),
                        "foreign_keys": tables[name].foreign_keys,
                        "primary_key": tables[name].primary_key,
                        "source": tables[name].source if ds.sources else desc.source,
                    }
                )
        for name, files in sink.dirty_files.items():
            dirty = DirtyMeta(files=files, row_count=result.dirty_row_counts.get(name))
            tables[name] = tables[name].model_copy(update={"dirty": dirty})
        return tables

    def labels(
        self, result: GenerationResult, etl_labels: list[dict[str, Any]]
    ) -> dict[str, Any] | None:
        """The dataset's labels, when it has any (anomalies of the dirty tables written)."""
        assert self.dataset is not None
        labels = self.dataset.labels
        if not labels:
            return None
        return {**labels, "anomalies": result.anomalies}


def refuse_without_overwrite(out: Path, overwrite: bool) -> None:
    """A library caller's folder that holds anything is replaced only with ``overwrite=True``
    (said in the API's own spelling; the writer's claim then checks that it is ours)."""
    if out.exists() and (not out.is_dir() or any(out.iterdir())) and not overwrite:
        raise InputError(
            f"{out}: exists; pass overwrite=True to replace it (only a folder synthgen_sdv "
            "wrote is ever replaced)"
        )


def materialize(
    plan: Plan,
    pinned: Mapping[str, pd.DataFrame] | None = None,
    workers: int = 1,
    sources: dict[str, str] | None = None,
    lineage: dict[str, Any] | None = None,
    sampling: dict[str, Any] | None = None,
    progress: Progress = QUIET,
) -> Dataset:
    """Every table of ``plan`` in memory, as ``generate`` would write it (``pinned`` tables as
    given, the tables that depend on them generated on top of them)."""
    sink = CollectSink()
    bars = not progress.quiet
    engine = Engine(
        plan,
        workers=workers,
        keep=set(plan.tables),
        progress=bars,
        log=progress.say if bars else None,
    )
    result = engine.run(sink, pinned=pinned)
    tables = {**sink.tables(), **result.tables}
    for name in result.types:  # a table with no rows still has its columns
        tables.setdefault(name, pd.DataFrame(columns=list(result.types[name])))
    labels = artifacts.labels_document(
        plan.seed, plan.config_hash, result.anomalies, result.entity_links, []
    )
    return Dataset(
        tables={t: tables[t] for t in plan.tables if t in tables},
        metadata_dict=artifacts.sdv_metadata(plan, result.types),
        types=result.types,
        labels=labels,
        dirty=sink.dirty_tables(),
        dirty_types=sink.dirty_types,
        sources=dict(sources or {}),
        lineage=lineage,
        sampling=sampling,
        seed=plan.seed,
        scale=plan.scale,
        plan=plan,
    )


# --------------------------------------------------------------------------- reading


def _rich_metadata(sdv_md: dict[str, Any], tables: Mapping[str, TableMeta]) -> dict[str, Any]:
    """SDV metadata with the keys schema_metadata.json declares per table: composite primary
    keys and self references, which its ``sdv_metadata`` leaves out, come back."""
    md = deepcopy(sdv_md)
    md.setdefault("METADATA_SPEC_VERSION", "V1")
    rels = []
    for name, table in tables.items():
        if table.primary_key is not None:
            md["tables"][name]["primary_key"] = table.primary_key
        for fk in table.foreign_keys:
            parent = tables.get(fk.parent_table)
            if parent is not None and parent.primary_key == fk.parent_column:
                rels.append(
                    {
                        "parent_table_name": fk.parent_table,
                        "parent_primary_key": fk.parent_column,
                        "child_table_name": name,
                        "child_foreign_key": fk.column,
                    }
                )
    md["relationships"] = rels
    return md


def _logical(table: TableMeta) -> dict[str, str]:
    return {c: m.logical_type or LOGICAL_OF_SQL[m.sql_type] for c, m in table.columns.items()}


def _read_dirty(root: Path, table: TableMeta, name: str):
    """The dirty variant as stored (its drifted values kept), and its types."""
    files = table.dirty.files if table.dirty else {}
    if "parquet" in files:
        arrow = pq.read_table(layout.inside(root, files["parquet"], f"tables.{name}.dirty"))
        types = {
            f.name: next((k for test, k in _ARROW_LOGICAL if test(f.type)), "string")
            for f in arrow.schema
        }
        return arrow.to_pandas(), types
    path = layout.inside(root, files["csv"], f"tables.{name}.dirty")
    text = pd.read_csv(path, dtype=str, keep_default_na=False, na_values=[""])
    typed = {c: type_column(text[c]) for c in text.columns}
    return pd.DataFrame({c: t[1] for c, t in typed.items()}), {c: t[0] for c, t in typed.items()}


def _read_output(root: Path) -> Dataset:
    doc = read_json(root / layout.SCHEMA_METADATA)
    if "tables" not in doc:  # a minimal folder (sdv_metadata and data only): typed from values
        folder = read_output_folder(root)
        types = {t: {c: type_column(df[c])[0] for c in df.columns} for t, df in folder.data.items()}
        data = {t: to_logical_types(df, types[t]) for t, df in folder.data.items()}
        return Dataset(data, folder.metadata, types, path=root.resolve())
    schema = load_schema_metadata(root)
    tables, types, notes = {}, {}, []
    for name, table in schema.tables.items():
        read = read_table(root, schema, name)
        types[name] = _logical(table)
        tables[name] = to_logical_types(read.frame, types[name])
        for col, rows in read.bad_values.items():
            notes.append(f"{name}.{col}: {len(rows)} values do not fit its type; read as null")
        if read.missing_columns:
            notes.append(f"{name}: columns missing from its file: {read.missing_columns}")
    dirty, dirty_types = {}, {}
    for name, table in schema.tables.items():
        if table.dirty is not None and table.dirty.files:
            dirty[name], dirty_types[name] = _read_dirty(root, table, name)
    labels: dict[str, Any] = {}
    if (root / layout.LABELS).is_file():
        load_labels(root)  # checked (schema, version, fields); kept as written, every field
        labels = read_json(root / layout.LABELS)
    lineage_path = root / layout.GENERATION_LINEAGE
    lineage = read_yaml(lineage_path).get("tables") if lineage_path.is_file() else None
    return Dataset(
        tables=tables,
        metadata_dict=_rich_metadata(schema.sdv_metadata, schema.tables),
        types=types,
        labels=labels,
        dirty=dirty,
        dirty_types=dirty_types,
        sources={t: m.source for t, m in schema.tables.items() if m.source},
        lineage=lineage,
        sampling=schema.sampling,
        seed=schema.seed,
        scale=schema.scale,
        path=root.resolve(),
        notes=notes,
        descriptions=dict(schema.tables),
    )


def from_user_data(user: UserData) -> Dataset:
    """Your loaded tables as a Dataset (detected or checked metadata, typed columns)."""
    return Dataset(
        tables=dict(user.tables),
        metadata_dict=deepcopy(user.metadata),
        types=deepcopy(user.types),
        path=user.data_dir.resolve(),
        notes=[*user.reasons, *user.notes],
        user=user,
    )


def read_dataset(
    path: str | Path | Mapping[str, pd.DataFrame],
    metadata: Any = None,
    bad_rows: str = "error",
) -> Dataset:
    """An output folder (it has metadata/schema_metadata.json) or a folder of CSV / Parquet
    tables, one per file (types, keys and relationships detected, or ``metadata`` checked;
    ``bad_rows``: what to do with ragged rows and repeated keys, as ``--bad-rows``); or
    ``{name: DataFrame}`` in memory, read as such a folder would be (``runs.frames``)."""
    if isinstance(path, Mapping):
        return from_user_data(load_frames(path, metadata, bad_rows))
    root = Path(path)
    if not root.is_dir():
        raise InputError(f"{root}: no such folder")
    if (root / layout.SCHEMA_METADATA).is_file():
        if metadata is not None:
            raise InputError(
                f"{root} is an output folder: its metadata is its schema_metadata.json; "
                "metadata= applies to a folder of CSV / Parquet files"
            )
        return _read_output(root)
    return from_user_data(load_user_data(root, metadata, bad_rows))
