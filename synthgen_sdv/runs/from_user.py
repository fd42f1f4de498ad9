"""Your own data as fit-sample's source: a folder of CSV / Parquet tables and its metadata.

sdv 1.37.4 cannot model composite keys or self references, so they are hidden from the
synthesizer (``synth.keys``) and rebuilt after sampling; date keys are given to it as integers
and foreign keys left out of the modeled graph (a cycle's weakest link, ``detect.graph``) are
re-attached after sampling (``detect.modeling``). Parents of the modeled tables that are not
modeled are copied from the input (the re-attached foreign keys point at their real keys);
other tables are left out. No column but a key may come out as SDV's placeholder ids. The
metadata used is saved in the output as ``metadata/detected_metadata.json``, to be edited and
passed back with ``--metadata``.

A model folder keeps what sampling needs without the data folder (``source/``): the metadata,
the logical types and column order, how the hidden keys are rebuilt, and the parents that are
copied (so those rows are in the model folder, as Parquet).
"""

from __future__ import annotations

import contextlib
import io
import json
from collections.abc import Iterator, Mapping
from dataclasses import asdict, replace
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.parquet as pq
from pydantic import BaseModel

from synthgen_sdv.core.errors import InputError, SynthgenError
from synthgen_sdv.core.metadata import closure_of_parents, subgraph
from synthgen_sdv.core.progress import Progress
from synthgen_sdv.detect import graph
from synthgen_sdv.detect.graph import empty_links, limit_columns, relationship_of
from synthgen_sdv.detect.load import load_user_data
from synthgen_sdv.detect.modeling import FitState, fit_tables, refuse_placeholders, restore
from synthgen_sdv.detect.reading import table_files
from synthgen_sdv.detect.userdata import UserData, save_metadata
from synthgen_sdv.evaluate.relations import TableGraph, scorable_metadata
from synthgen_sdv.io import files, layout
from synthgen_sdv.io.spill import SpilledTable
from synthgen_sdv.io.writers import to_arrow, to_logical_types
from synthgen_sdv.runs.dataset import Dataset
from synthgen_sdv.runs.estimate import Estimate
from synthgen_sdv.runs.fit_sample import fit as fit_source
from synthgen_sdv.runs.fitting import STAGES
from synthgen_sdv.runs.output import FramesOutput, Output
from synthgen_sdv.runs.sample import sample
from synthgen_sdv.runs.source import SOURCE_KINDS, Fitted, FitView, Sampled, Source, source_record
from synthgen_sdv.runs.study import (
    COMPARED_MODELS,
    Learner,
    StudyResult,
    holdout_study,
    written_output,
)
from synthgen_sdv.runs.user_estimate import estimate_user
from synthgen_sdv.synth.base import for_table
from synthgen_sdv.synth.batches import countable_keys, global_keys, refers_to_counted
from synthgen_sdv.synth.keys import (
    CompositeKey,
    HiddenKeys,
    SelfReference,
    hide_keys,
    merge_notes,
    rebuild_keys,
)
from synthgen_sdv.synth.limits import check_modeled_subgraph
from synthgen_sdv.synth.seeding import derive_seed
from synthgen_sdv.synth.store import SavedModel

#: where a model folder keeps what sampling your data needs
USER_FOLDER = "source"


class UserRecord(BaseModel):
    """The manifest's ``source`` section of a model fitted on your own data."""

    kind: str
    seed: int
    data_dir: str
    metadata_file: str | None
    inputs: dict[str, dict[str, Any]]
    columns: dict[str, list[str]]
    copied: list[str]
    self_references: list[dict[str, Any]]
    composites: list[dict[str, Any]]


def _parquet(frame: pd.DataFrame, types: dict[str, str] | None = None) -> bytes:
    """``frame`` as Parquet bytes (in its logical ``types`` when given)."""
    table = to_arrow(frame, types) if types else pa.Table.from_pandas(frame, preserve_index=False)
    buf = io.BytesIO()
    pq.write_table(table, buf)
    return buf.getvalue()


def _frame(data: bytes) -> pd.DataFrame:
    return pq.read_table(io.BytesIO(data)).to_pandas()


@SOURCE_KINDS.register("user")
class UserSource(Source):
    """The typed tables of ``data_dir`` and their metadata, read on ``load``; or ``user``."""

    kind, batched, batch_alone = "user", True, True  # one batch counts its keys too
    finish_line = "rebuild hidden keys, copy the parents not modeled"
    write_line = "the sampled tables and the parents they refer to"

    def __init__(
        self,
        data_dir: str | Path | None = None,
        metadata_file: str | Path | None = None,
        seed: int = 0,
        user: UserData | None = None,
        bad_rows: str = "error",
    ):
        if data_dir is None and user is None:
            raise ValueError("UserSource needs a data_dir or a loaded user")
        self.data_dir, self.metadata_file, self._seed = data_dir, metadata_file, seed
        self.user = user
        self.bad_rows = bad_rows
        self.inputs: dict[str, dict[str, Any]] | None = None  # a model folder's record

    @property
    def seed(self) -> int:
        """The seed given for this run (config.yaml's when not given on the command line)."""
        return self._seed

    def estimate(
        self,
        formats: list[str],
        modeled: list[str] | None,
        scale: float,
        *,
        fit: bool = True,
        compare: bool = True,
    ) -> Estimate | None:
        """From the input files' sizes, before they are read (``runs.user_estimate``)."""
        if self.data_dir is None or self.user is not None:
            return None
        files = table_files(Path(self.data_dir))
        return estimate_user(files, formats, modeled, scale, fit=fit, compare=compare)

    def load(self, progress: Progress) -> None:
        """Read the folder, detect or check the metadata, and say what was found and why."""
        if self.user is None:
            assert self.data_dir is not None
            progress.stage(f"read your tables in {self.data_dir}")
            self.user = load_user_data(self.data_dir, self.metadata_file, self.bad_rows)
            progress.say(self.user.describe())

    @property
    def _user(self) -> UserData:
        if self.user is None:
            raise RuntimeError("UserSource.load() first: the data is not read yet")
        return self.user

    @property
    def tables(self) -> dict[str, pd.DataFrame]:
        """The user's typed tables."""
        return self._user.tables

    def table_names(self) -> list[str]:
        """Every table of the metadata."""
        return list(self._user.metadata["tables"])

    def default_tables(self) -> list[str]:
        """All of them but empty ones (SDV cannot fit a table without rows; such a table is
        named among those not written); none at all is bad input, said before any work."""
        tables = [t for t in self.table_names() if len(self._user.tables[t])]
        if not tables:
            user = self._user
            files = ", ".join(user.files[t].name if t in user.files else t for t in user.tables)
            raise InputError(
                f"{user.data_dir}: every table is empty (a header, no rows): {files}; there is "
                "nothing to learn from"
            )
        return tables

    def fit_view(self, modeled: list[str]) -> FitView:
        """The tables with composite keys, self references and left-out links hidden and date
        keys as integers (all undone in ``finish``); checked against what HMA can model."""
        user = self._user
        chosen = set(modeled)
        empty = empty_links(
            [
                relationship_of(r, user.tables, user.metadata)
                for r in user.metadata["relationships"]
                if r["child_table_name"] in chosen
            ],
            user.tables,
        )
        tables, metadata, state = fit_tables(user, modeled, empty)
        hidden = hide_keys(tables, metadata, modeled)
        rels = [
            relationship_of(r, user.tables, user.metadata) for r in hidden.metadata["relationships"]
        ]
        cuts = limit_columns(subgraph(hidden.metadata, modeled), rels, graph.MODELABLE_COLUMNS)
        if cuts:
            tables, metadata, state = fit_tables(user, modeled, [*empty, *cuts])
            hidden = hide_keys(tables, metadata, modeled)
        check_modeled_subgraph(hidden.metadata, modeled, hidden.tables)
        return FitView(hidden.tables, hidden.metadata, state=(hidden, state))

    def _input(self, name: str) -> dict[str, Any]:
        """The input file and row count of a table (for the lineage file)."""
        if self.inputs is not None:
            return self.inputs[name]
        user = self._user
        file = user.files.get(name)
        out: dict[str, Any] = {"file": str(file) if file else "(in memory)"}
        if file is not None and file.name in user.dialects:
            out["read_as"] = user.dialects[file.name]  # the CSV dialect detected
        return {**out, "rows": len(user.tables[name])}

    def _state(self, fitted: Fitted) -> tuple[HiddenKeys, FitState]:
        if fitted.view is None:
            fitted.view = self.fit_view(fitted.modeled)
        return fitted.view.state  # type: ignore[no-any-return]

    def _rebuilt(
        self, sampled: dict[str, pd.DataFrame], fitted: Fitted, seed: int, scale: float
    ) -> tuple[dict[str, pd.DataFrame], list[str]]:
        """Hidden keys rebuilt, left-out links re-attached, values in their logical types."""
        user = self._user
        hidden, state = self._state(fitted)
        rng = np.random.default_rng(derive_seed(seed, "byo_keys", scale))
        rebuilt, notes = rebuild_keys(sampled, hidden, user.tables, rng)
        rebuilt = restore(rebuilt, state, user.tables, rng)
        cols = {name: list(user.tables[name].columns) for name in rebuilt}
        frames = {n: f if list(f.columns) == cols[n] else f[cols[n]] for n, f in rebuilt.items()}
        return {n: to_logical_types(f, user.types[n]) for n, f in frames.items()}, notes

    def batchable(self, fitted: Fitted) -> bool:
        """Batches need keys that can be counted across them: every modeled table's primary
        key an integer or text SDV draws at random (``batches.countable_keys``), and every
        composite key with a column that refers to such a table (its combinations then hold
        a key of their own batch, so they cannot repeat across batches). No alternate keys:
        SDV draws them per batch, unique within it only, so such a sample is one draw."""
        hidden, _ = self._state(fitted)
        meta = _modeled_metadata(fitted)
        tables = [meta["tables"].get(t, {}) for t in fitted.modeled]
        if any(t.get("alternate_keys") for t in tables):
            return False
        keyed = {t for t in fitted.modeled if meta["tables"].get(t, {}).get("primary_key")}
        counted = self.renumbered(fitted)
        rels = meta["relationships"]
        return keyed <= counted and all(
            refers_to_counted(ck.table, ck.columns, rels, counted) for ck in hidden.composites
        )

    def renumbered(self, fitted: Fitted) -> set[str]:
        """Modeled tables whose keys are counted (1, 2, ... across batches; text spelled)."""
        return countable_keys(fitted.synthesizer, fitted.modeled)

    def finish_tables(
        self,
        sampled: dict[str, pd.DataFrame],
        fitted: Fitted,
        offsets: Mapping[str, int] | None = None,
        *,
        seed: int | None = None,
        scale: float = 1.0,
    ) -> dict[str, pd.DataFrame]:
        """One batch: counted keys after ``offsets`` rows, then as ``finish`` (its seed, scale)."""
        shifted = self._counted(sampled, fitted, offsets)
        tables, notes = self._rebuilt(shifted, fitted, self.seed if seed is None else seed, scale)
        first = not any((offsets or {}).values())  # the batches' notes, summed up by ``whole``
        self._batch_notes = [*([] if first else getattr(self, "_batch_notes", [])), *notes]
        refuse_placeholders(tables, subgraph(self._user.metadata, list(tables), True), [])
        return tables

    def _counted(
        self,
        sampled: dict[str, pd.DataFrame],
        fitted: Fitted,
        offsets: Mapping[str, int] | None = None,
    ) -> dict[str, pd.DataFrame]:
        """Counted keys (0, 1, ... as drawn) after ``offsets`` rows, from the data's first."""
        meta = _modeled_metadata(fitted)
        counted = {t: meta["tables"][t]["primary_key"] for t in self.renumbered(fitted)}
        starts = self._state(fitted)[1].key_starts  # integer keys from the data's first
        return global_keys(fitted.synthesizer, sampled, counted, meta, offsets or {}, starts)

    def whole(
        self, tables: dict[str, pd.DataFrame], fitted: Fitted, scale: float, seed: int
    ) -> Sampled:
        """The batches' tables (in memory or spilled), copied parents, lineage, their notes."""
        return self._assemble(tables, merge_notes(self._batch_notes), fitted, scale, seed)

    def finish(
        self, sampled: dict[str, pd.DataFrame], fitted: Fitted, scale: float, seed: int
    ) -> Sampled:
        """Counted keys numbered from the data's first (as one batch's: not SDV's random
        integers), hidden keys rebuilt, logical types, unmodeled parents copied."""
        sampled = self._counted(sampled, fitted)
        rebuilt, notes = self._rebuilt(sampled, fitted, seed, scale)
        return self._assemble(rebuilt, notes, fitted, scale, seed)

    def _assemble(
        self,
        rebuilt: dict[str, Any],
        rebuild_notes: list[str],
        fitted: Fitted,
        scale: float,
        seed: int,
    ) -> Sampled:
        user, synth, model, modeled = self._user, fitted.synthesizer, fitted.model, fitted.modeled
        hidden, state = self._state(fitted)
        notes = hidden.describe() + state.describe() + rebuild_notes + list(synth.prepared.warnings)
        for kf in synth.prepared.keys:
            notes.append(
                f"{kf.table}.{kf.column} -> {kf.parent_table}.{kf.parent_column}: parent not "
                "modeled; keys drawn from its real keys with their real frequencies"
            )
        info = synth.params()
        if copied := info.get("copied_tables"):
            limit = info.get("params", {}).get("small_tables")
            notes.append(
                f"{', '.join(copied)}: fewer than {limit} rows; sampled as copies of their real "
                "rows (PII columns regenerated); --synth-param small_tables=0 synthesizes them"
            )
        left = [lo.relationship.as_sdv() for lo, _ in state.left_out]
        out_names = closure_of_parents(user.metadata, modeled, left)
        empty = [t for t, f in user.tables.items() if t not in out_names and f.empty]
        out_names = [*out_names, *empty]  # written empty: every table a load expects is there
        out: dict[str, pd.DataFrame] = {}
        sources: dict[str, str] = {}
        for name in out_names:
            if name in rebuilt:
                out[name] = rebuilt[name]
                sources[name] = f"synthesizer:{model}"
            elif name in empty:
                out[name] = user.tables[name]
                sources[name] = "empty in the input: written empty"
            else:
                out[name] = user.tables[name]
                sources[name] = "copied from input (parent of a modeled table, not modeled)"
                notes.append(f"{name}: not modeled; copied from the input as the parent it is")
        if empty:
            notes.append(f"{', '.join(empty)}: no rows in the input; written empty")
        if left_out := [t for t in user.metadata["tables"] if t not in out_names]:
            notes.append(
                f"not written: {', '.join(left_out)} (not modeled, and no modeled table refers "
                "to them); add them to --tables to synthesize them too"
            )
        keep = set(out_names)
        metadata = subgraph(user.metadata, [t for t in user.metadata["tables"] if t in keep], True)
        if not any(isinstance(t, SpilledTable) for t in out.values()):  # else: per batch
            refuse_placeholders(out, metadata, left)
        rebuilt_keys = {
            k.table: k.describe() for k in (*hidden.composites, *hidden.self_references)
        }
        lineage: dict[str, Any] = {}
        for name in out_names:
            entry: dict[str, Any] = {
                "source": "synthesizer" if name in modeled else "copied from input",
                "input": self._input(name),
                "rows": len(out[name]),
            }
            if name in modeled:
                entry.update(
                    {
                        "model": model,
                        "seed": self.seed,
                        "sample_seed": seed,
                        "sample_scale": scale,
                        "synthesizer": for_table(info, name),
                    }
                )
                if name in rebuilt_keys:
                    entry["keys_rebuilt_after_sampling"] = rebuilt_keys[name]
                reattached = [
                    lo.as_dict() for lo, _ in state.left_out if lo.relationship.child == name
                ]
                if reattached:
                    entry["foreign_keys_left_out_of_the_model"] = reattached
            lineage[name] = entry
        types = {t: user.types[t] for t in out_names}
        return Sampled(
            out, sources, lineage, list(modeled), scale, synth, info, metadata, types, notes
        )

    def output(self, sampled: Sampled, progress: Progress) -> Output:
        """The sampled and copied tables, and the metadata used (editable, for --metadata)."""
        return FramesOutput(
            sampled.tables,
            sampled.metadata,
            sampled.types,
            self.seed,
            sampled.scale,
            sources=sampled.sources,
            lineage=sampled.lineage,
            extra=self._save_metadata,
            progress=progress,
        )

    def dataset(self, sampled: Sampled, progress: Progress) -> Dataset:
        """The sampled tables and the copied parents (in their logical types, as a loaded
        model's are), with the metadata used."""
        return Dataset(
            tables={t: to_logical_types(df, sampled.types[t]) for t, df in sampled.tables.items()},
            metadata_dict=sampled.metadata,
            types=sampled.types,
            sources=dict(sampled.sources),
            lineage=sampled.lineage,
            sampling=sampled.sampling,
            seed=self.seed,
            scale=sampled.scale,
            notes=list(sampled.notes),
        )

    def _save_metadata(self, tmp: Path) -> None:
        user = self._user
        path = tmp / layout.DETECTED_METADATA
        if user.metadata_file is None:
            save_metadata(user, path)
        else:  # verbatim, so --metadata OUT/metadata/detected_metadata.json --out OUT reruns
            files.write_bytes(path, user.metadata_file.read_bytes())

    def model_record(self, fitted: Fitted) -> tuple[dict[str, Any], dict[str, bytes]]:
        """The metadata, types, column order and hidden keys, and the parents that are copied
        (as Parquet): enough to sample without the data folder."""
        user, modeled = self._user, fitted.modeled
        if fitted.view is None:
            fitted.view = self.fit_view(modeled)
        hidden: HiddenKeys
        state: FitState
        hidden, state = fitted.view.state
        left = [lo.relationship.as_sdv() for lo, _ in state.left_out]
        kept = closure_of_parents(user.metadata, modeled, left)
        copied = [t for t in kept if t not in modeled]
        folder = USER_FOLDER
        out = {
            f"{folder}/metadata.json": json.dumps(user.metadata, indent=2, default=str).encode(),
            f"{folder}/types.json": json.dumps(user.types, indent=2).encode(),
            f"{folder}/fit_state.json": json.dumps(state.to_record(), indent=2).encode(),
        }
        for name in copied:
            out[f"{folder}/tables/{name}.parquet"] = _parquet(user.tables[name], user.types[name])
        composites = []
        for i, ck in enumerate(hidden.composites):
            doc = {k: v for k, v in asdict(ck).items() if k != "observed"}
            doc["observed"] = f"{folder}/keys/{i}.parquet"
            values = pd.Series(ck.observed)
            try:
                out[doc["observed"]] = _parquet(pd.DataFrame({"observed": values}))
            except (pa.ArrowInvalid, pa.ArrowTypeError):  # mixed values: kept as text
                out[doc["observed"]] = _parquet(pd.DataFrame({"observed": values.astype(str)}))
            composites.append(doc)
        record = UserRecord(
            kind=self.kind,
            seed=self.seed,
            data_dir=str(user.data_dir),
            metadata_file=str(user.metadata_file) if user.metadata_file else None,
            inputs={t: self._input(t) for t in kept},
            columns={t: list(user.tables[t].columns) for t in kept},
            copied=copied,
            self_references=[asdict(r) for r in hidden.self_references],
            composites=composites,
        )
        return record.model_dump(), out

    @classmethod
    def from_model(cls, saved: SavedModel, workers: int = 1) -> Fitted:
        """Your metadata and copied parents from the model folder; no data folder is read."""
        record = source_record(UserRecord, saved)
        folder = USER_FOLDER
        metadata = json.loads(saved.read(f"{folder}/metadata.json"))
        types = json.loads(saved.read(f"{folder}/types.json"))
        tables: dict[str, pd.DataFrame] = {}
        for name, columns in record.columns.items():
            if name in record.copied:
                frame = _frame(saved.read(f"{folder}/tables/{name}.parquet"))
                tables[name] = to_logical_types(frame[columns], types[name])
            else:
                tables[name] = pd.DataFrame(columns=columns)  # sampled: only its columns matter
        composites = []
        for doc in record.composites:
            observed = _frame(saved.read(doc["observed"]))["observed"].to_numpy()
            parent = tuple(doc["parent"]) if doc.get("parent") else None
            composites.append(CompositeKey(**{**doc, "parent": parent, "observed": observed}))
        hidden = HiddenKeys(
            {}, metadata, composites, [SelfReference(**r) for r in record.self_references]
        )
        user = UserData(
            data_dir=Path(record.data_dir),
            files={t: Path(i["file"]) for t, i in record.inputs.items()},
            tables=tables,
            metadata=metadata,
            types=types,
        )
        source = cls(user=user, seed=record.seed)
        source.inputs = record.inputs
        m = saved.manifest
        state = FitState.from_record(json.loads(saved.read(f"{folder}/fit_state.json")))
        view = FitView({}, hidden.metadata, state=(hidden, state))
        return Fitted(source, saved.synthesizer, m.model, list(m.tables), dict(m.rows), view)

    def study_setup(
        self, modeled: list[str], params: dict[str, Any] | None = None
    ) -> tuple[dict[str, pd.DataFrame], dict[str, Any], str, Learner]:
        """What a holdout study of your data needs: the tables scored (the modeled ones and the
        parents copied with them), their metadata as the evaluation reads it, the entity root
        of the modeled tables (where the split cuts) and how a synthesizer learns from a train
        split (this source's fit and finish on the train tables)."""
        user = self._user
        names = set(closure_of_parents(user.metadata, modeled))
        full = subgraph(user.metadata, [t for t in user.metadata["tables"] if t in names])
        meta, _ = scorable_metadata(full)
        root = TableGraph(subgraph(meta, modeled)).entity_root(user.tables)

        def fit_on(train: dict[str, pd.DataFrame], name: str) -> Fitted:
            source = UserSource(user=replace(user, tables=train), seed=self.seed)
            return fit_source(source, name, modeled, params)

        def sample_of(fitted: Fitted) -> dict[str, pd.DataFrame]:
            tables = sample(fitted).tables  # once: a sample per table cost N samples
            return {t: tables[t] for t in meta["tables"]}

        reference = {t: user.tables[t] for t in meta["tables"]}
        return reference, meta, root, Learner(fit_on, sample_of)

    def compare(
        self,
        report_dir: Path,
        model: str,
        modeled: list[str],
        params: dict[str, Any] | None,
        progress: Progress,
        *,
        sampled: Sampled | None = None,
        timings: dict[str, float] | None = None,
    ) -> StudyResult | None:
        """The holdout comparison of ``model``, gaussian_copula and the rule-based baseline,
        as for a config: your tables split by root entity (a large input subsampled first);
        with ``sampled``, the output against your tables as section 2. A comparison that
        cannot be made is said on the stage lines (with --no-progress too); the output stays."""
        user = self._user
        reference, meta, root, learner = self.study_setup(modeled, params)
        written = None
        if sampled is not None:
            written = written_output(sampled.tables, list(meta["tables"]), reference, timings)
        others = [m for m in COMPARED_MODELS if m != model]
        try:
            return holdout_study(
                reference,
                meta,
                root,
                [model, *others],
                learner,
                report_dir,
                seed=self.seed,
                label=self.label,
                context=user.tables,
                written=written,
                tolerate_failures=True,
                reporter=progress,
            )
        except Exception as exc:  # the output is what was asked for; the report is extra
            STAGES.say(f"[compare] no comparison report: {type(exc).__name__}: {exc}")
            return None

    @property
    def label(self) -> str:
        """How the report's opening sentence names your data."""
        return f"your tables in {self._user.data_dir}"

    @contextlib.contextmanager
    def fitting(self, out: Path) -> Iterator[None]:
        """A failure with detected metadata saves it beside ``out`` and says how to fix it."""
        try:
            yield
        except SynthgenError as exc:
            user = self._user
            if user.metadata_file is not None:
                raise
            saved = save_metadata(user, out.parent / f"{out.name}.detected_metadata.json")
            cls = InputError if isinstance(exc, InputError) else SynthgenError
            raise cls(
                f"{exc}\nThe detected metadata is saved in {saved}: edit it (keys, "
                f"relationships, sdtypes) and rerun with --metadata {saved}"
            ) from None

    def done(self, out: Path, progress: Progress) -> dict[str, Path]:
        """Where the metadata used was saved (to edit and pass back with --metadata)."""
        path = out / layout.DETECTED_METADATA
        what = "detected metadata" if self._user.metadata_file is None else "metadata used (a copy)"
        progress.say(f"{what} saved in {path}; edit it and rerun with --metadata {path}")
        return {"metadata": path}


def _modeled_metadata(fitted: Fitted) -> dict[str, Any]:
    """The SDV metadata the synthesizer modeled (keys hidden, links left out)."""
    prepared = fitted.synthesizer.prepared
    return prepared.model_metadata if prepared is not None else {"tables": {}, "relationships": []}
