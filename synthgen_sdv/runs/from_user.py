"""Your own data as fit-sample's source: a folder of CSV / Parquet tables and its metadata.

sdv 1.37.4 cannot model composite keys or self references, so they are hidden from the
synthesizer (``synth.keys``) and rebuilt after sampling. Parents of the modeled tables that are
not modeled are copied from the input (the re-attached foreign keys point at their real keys);
other tables are left out. The metadata used is saved in the output as
``metadata/detected_metadata.json``, to be edited and passed back with ``--metadata``.
"""

from __future__ import annotations

import contextlib
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from synthgen_sdv.core.errors import InputError, SynthgenError
from synthgen_sdv.core.metadata import subgraph
from synthgen_sdv.core.progress import Progress
from synthgen_sdv.core.seeds import json_hash
from synthgen_sdv.detect.load import load_user_data
from synthgen_sdv.detect.userdata import UserData, save_metadata
from synthgen_sdv.io import files, layout
from synthgen_sdv.io.writers import to_logical_types
from synthgen_sdv.runs.output import FramesOutput, Output
from synthgen_sdv.runs.source import Fitted, FitView, Sampled, Source
from synthgen_sdv.synth.keys import HiddenKeys, hide_keys, rebuild_keys
from synthgen_sdv.synth.seeding import derive_seed


def closure_of_parents(metadata: dict[str, Any], tables: list[str]) -> list[str]:
    """``tables`` plus every table they refer to, transitively (parents first is not needed)."""
    out = list(tables)
    for t in out:
        for r in metadata.get("relationships", []):
            if r["child_table_name"] == t and r["parent_table_name"] not in out:
                out.append(r["parent_table_name"])
    return out


class UserSource(Source):
    """The tables of ``data_dir`` (typed, with detected or checked metadata) read on ``load``;
    or an already loaded ``user``."""

    finish_line = "rebuild hidden keys, copy the parents not modeled"
    write_line = "the sampled tables and the parents they refer to"

    def __init__(
        self,
        data_dir: str | Path | None = None,
        metadata_file: str | Path | None = None,
        seed: int = 0,
        user: UserData | None = None,
    ):
        if data_dir is None and user is None:
            raise ValueError("UserSource needs a data_dir or a loaded user")
        self.data_dir, self.metadata_file, self._seed = data_dir, metadata_file, seed
        self.user = user

    @property
    def seed(self) -> int:
        """The seed given for this run (config.yaml's when not given on the command line)."""
        return self._seed

    def load(self, progress: Progress) -> None:
        """Read the folder, detect or check the metadata, and say what was found and why."""
        if self.user is None:
            assert self.data_dir is not None
            progress.stage(f"read your tables in {self.data_dir}")
            self.user = load_user_data(self.data_dir, self.metadata_file)
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
        """All of them."""
        return self.table_names()

    def fit_view(self, modeled: list[str]) -> FitView:
        """The tables with composite keys and self references hidden (rebuilt in ``finish``)."""
        hidden = hide_keys(self._user.tables, self._user.metadata, modeled)
        return FitView(hidden.tables, hidden.metadata, state=hidden)

    def finish(self, sampled: dict[str, pd.DataFrame], fitted: Fitted, scale: float) -> Sampled:
        """Hidden keys rebuilt, values in their logical types, unmodeled parents copied."""
        user, synth, model, modeled = self._user, fitted.synthesizer, fitted.model, fitted.modeled
        if fitted.view is None:
            fitted.view = self.fit_view(modeled)
        hidden: HiddenKeys = fitted.view.state
        rng = np.random.default_rng(derive_seed(self.seed, "byo_keys", scale))
        rebuilt, notes = rebuild_keys(sampled, hidden, user.tables, rng)
        notes = hidden.describe() + notes + list(synth.prepared.warnings)
        for kf in synth.prepared.keys:
            notes.append(
                f"{kf.table}.{kf.column} -> {kf.parent_table}.{kf.parent_column}: parent not "
                "modeled; keys drawn from its real keys with their real frequencies"
            )
        out_names = closure_of_parents(user.metadata, modeled)
        out: dict[str, pd.DataFrame] = {}
        sources: dict[str, str] = {}
        for name in out_names:
            if name in rebuilt:
                frame = rebuilt[name][list(user.tables[name].columns)]
                out[name] = to_logical_types(frame, user.types[name])
                sources[name] = f"synthesizer:{model}"
            else:
                out[name] = user.tables[name]
                sources[name] = "copied from input (parent of a modeled table, not modeled)"
                notes.append(f"{name}: not modeled; copied from the input as the parent it is")
        left_out = [t for t in user.metadata["tables"] if t not in out_names]
        if left_out:
            notes.append(
                f"not written: {', '.join(left_out)} (not modeled, and no modeled table refers "
                "to them); add them to --tables to synthesize them too"
            )
        keep = set(out_names)
        metadata = subgraph(user.metadata, [t for t in user.metadata["tables"] if t in keep], True)
        info = synth.params()
        rebuilt_keys = {
            k.table: k.describe() for k in (*hidden.composites, *hidden.self_references)
        }
        lineage: dict[str, Any] = {}
        for name in out_names:
            entry: dict[str, Any] = {
                "source": "synthesizer" if name in modeled else "copied from input",
                "input": {"file": str(user.files[name]), "rows": len(user.tables[name])},
                "rows": len(out[name]),
            }
            if name in modeled:
                entry.update(
                    {"model": model, "seed": self.seed, "sample_scale": scale, "synthesizer": info}
                )
                if name in rebuilt_keys:
                    entry["keys_rebuilt_after_sampling"] = rebuilt_keys[name]
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
        )

    def _save_metadata(self, tmp: Path) -> None:
        user = self._user
        path = tmp / layout.DETECTED_METADATA
        if user.metadata_file is None:
            save_metadata(user, path)
        else:  # verbatim, so --metadata OUT/metadata/detected_metadata.json --out OUT reruns
            files.write_bytes(path, user.metadata_file.read_bytes())

    def model_hash(self, model: str, modeled: list[str]) -> str:
        """The metadata, the synthesizer and the tables."""
        metadata = json_hash(self._user.metadata, sort_keys=True, default=str)
        return json_hash({"metadata": metadata, "model": model, "tables": sorted(modeled)})

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
