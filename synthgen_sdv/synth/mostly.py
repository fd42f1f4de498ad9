"""``mostly``: the open-source MOSTLY AI engine (``mostlyai[local]``) behind our interface.

An external anchor for the comparison: a deep autoregressive model per table, trained offline by
the SDK's local mode (``MostlyAI(local=True)``) in a temporary folder. Each modeled table's first
modeled parent is its *context* foreign key (MOSTLY AI learns and generates a parent's children
together as a sequence, with the parent and grand-parent as context: customers -> orders ->
transactions is a chain of two context keys); a second modeled parent becomes a non-context key
(MOSTLY AI trains a matching model for it). Root tables are generated at ``scale`` x their
fitted rows, children follow from the sequences.

MOSTLY AI rewrites keys as strings; ``_sample`` maps every primary key back to the fitted key
type (integers 1..n, or MOSTLY AI's strings for text keys), carries the mapping into the
foreign keys and restores every column's fitted dtype. The fitted generator is kept as the
bytes of MOSTLY AI's export, so the synthesizer pickles like the others (``save`` / ``load``).

Parameters (``SYNTHESIZERS.get("mostly")(seed=..., **params)``):
    max_training_minutes: per-table training time cap (MOSTLY AI's ``max_training_time``)
    max_epochs: per-table epoch cap
    model: MOSTLY AI tabular model size ("MOSTLY_AI/Small", "/Medium", "/Large")
    max_sample_size: cap on training samples per table (None = all)
    value_protection: MOSTLY AI's rare-category / extreme-value protection; off by default
        because it replaces rare categories by a ``_RARE_`` token that our rules cannot use

Install: ``pip install -c constraints.txt -e '.[mostly]'``. Its import fails while a
torchvision built for another torch is installed (``operator torchvision::nms does not
exist``): ``pip uninstall torchvision torchaudio`` in that environment fixes it.
Reproducibility: MOSTLY AI's ``random_state`` is set from our seed for training and for
generation, so ``sample`` is a function of (fitted model, seed, scale) and two fits on the same
tables agree (tested on one machine) as long as the epoch cap or MOSTLY AI's early stopping, not
the wall-clock budget (``max_training_minutes``), ends each table's training.
"""

from __future__ import annotations

import contextlib
import graphlib
import importlib.util
import logging
import os
import tempfile
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from synthgen_sdv.core.errors import MissingExtraError, SynthgenError
from synthgen_sdv.core.startup import allow_torch
from synthgen_sdv.synth.base import SYNTHESIZERS, Synthesizer
from synthgen_sdv.synth.seeding import derive_seed

PURPOSE = "The 'mostly' synthesizer"


def import_mostly():
    """``mostlyai.sdk.MostlyAI``, or an error that says how to get it."""
    allow_torch()  # MOSTLY AI trains with torch
    if importlib.util.find_spec("mostlyai") is None or (
        importlib.util.find_spec("mostlyai.sdk") is None
    ):
        raise MissingExtraError("mostlyai", "mostly", PURPOSE)
    try:
        from mostlyai.sdk import MostlyAI
    except ImportError as exc:
        raise SynthgenError(
            f"{PURPOSE}: mostlyai is installed but cannot be imported ({exc}). A torchvision "
            "built for another torch version breaks it ('operator torchvision::nms does not "
            "exist'); fix: pip uninstall torchvision torchaudio"
        ) from exc
    return MostlyAI


@contextlib.contextmanager
def local_client(verbose: bool):
    """A MOSTLY AI client in local mode, on a private temporary home folder (removed after)."""
    mostly_ai = import_mostly()
    # its jobs run in subprocesses that inherit the environment; pandas' deprecation warnings
    # from inside mostlyai are not the user's to act on
    saved = os.environ.get("PYTHONWARNINGS")
    os.environ["PYTHONWARNINGS"] = "ignore::FutureWarning,ignore::DeprecationWarning"
    with tempfile.TemporaryDirectory(prefix="synthgen-mostly-") as home:
        client = mostly_ai(local=True, local_dir=home, quiet=not verbose)
        if not verbose:
            logging.getLogger("mostlyai").setLevel(logging.WARNING)
        try:
            yield client, Path(home)
        finally:
            if saved is None:
                os.environ.pop("PYTHONWARNINGS", None)
            else:
                os.environ["PYTHONWARNINGS"] = saved
            server = getattr(client, "local_server", None)
            if server is not None:
                # it announces its shutdown on stdout, where our CLI prints its own lines
                with open(os.devnull, "w") as null, contextlib.redirect_stdout(null):
                    server.stop()


def _relationships(metadata: dict) -> list[dict]:
    """Single-column relationships between modeled tables (composite keys are rebuilt later)."""
    return [
        r
        for r in metadata.get("relationships", [])
        if isinstance(r["child_foreign_key"], str) and isinstance(r["parent_primary_key"], str)
    ]


@SYNTHESIZERS.register("mostly")
class MostlyTables(Synthesizer):
    """MOSTLY AI's TabularARGN models, one per table, linked by context foreign keys."""

    name = "mostly"

    def __init__(
        self,
        seed: int = 0,
        verbose: bool = False,
        max_training_minutes: float = 1.0,
        max_epochs: float = 20,
        model: str = "MOSTLY_AI/Small",
        max_sample_size: int | None = None,
        value_protection: bool = False,
        **kwargs,
    ):
        super().__init__(seed=seed, verbose=verbose, **kwargs)
        self.max_training_minutes = float(max_training_minutes)
        self.max_epochs = float(max_epochs)
        self.model = model
        self.max_sample_size = max_sample_size
        self.value_protection = bool(value_protection)
        self.generator_zip: bytes = b""
        self.order: list[str] = []
        self.roots: list[str] = []
        self.sizes: dict[str, int] = {}
        self.primary_keys: dict[str, str | None] = {}
        self.links: list[dict] = []  # {child, column, parent, parent_key, context}
        self.dtypes: dict[str, dict[str, str]] = {}
        self.columns: dict[str, list[str]] = {}

    def fit(self, tables, metadata, modeled=None):
        """Fail at once when the extra is missing, then fit as every synthesizer does."""
        import_mostly()  # fail before any preparation work when the extra is missing
        return super().fit(tables, metadata, modeled)

    def sample(self, scale: float = 1.0, seed: int | None = None) -> dict[str, pd.DataFrame]:
        """Import MOSTLY AI (and so torch) first: the seeding around the draw seeds torch only
        if it is imported, and a command-line process loads it only when asked
        (``core.startup``)."""
        import_mostly()
        return super().sample(scale, seed)

    # ------------------------------------------------------------------ fit
    def _fit(self, tables: dict[str, pd.DataFrame], metadata: dict) -> None:
        rels = _relationships(metadata)
        graph: dict[str, set[str]] = {t: set() for t in metadata["tables"]}
        self.links = []
        for r in rels:
            child = r["child_table_name"]
            has_context = any(x["child"] == child and x["context"] for x in self.links)
            graph[child].add(r["parent_table_name"])
            self.links.append(
                {
                    "child": child,
                    "column": r["child_foreign_key"],
                    "parent": r["parent_table_name"],
                    "parent_key": r["parent_primary_key"],
                    # one context key per table (MOSTLY AI's rule): the first modeled parent
                    "context": not has_context,
                }
            )
        self.order = list(graphlib.TopologicalSorter(graph).static_order())
        self.roots = [
            t for t in self.order if not any(x["child"] == t and x["context"] for x in self.links)
        ]
        self.sizes = {t: len(tables[t]) for t in self.order}
        self.primary_keys = {t: metadata["tables"][t].get("primary_key") for t in self.order}
        self.dtypes = {t: {c: str(d) for c, d in tables[t].dtypes.items()} for t in self.order}
        self.columns = {t: list(tables[t].columns) for t in self.order}

        config = {
            "name": "synthgen_sdv",
            "random_state": derive_seed(self.seed, "mostly", "fit"),
            "tables": [self._table_config(t, tables[t]) for t in self.order],
        }
        with local_client(self.verbose) as (client, home):
            generator = client.train(config=config, wait=True, progress_bar=self.verbose)
            generator.reload()
            status = str(getattr(generator, "training_status", ""))
            if "DONE" not in status.upper():
                raise SynthgenError(f"{PURPOSE}: MOSTLY AI training ended with status {status}")
            self.generator_zip = generator.export_to_file(home / "generator.zip").read_bytes()

    def _table_config(self, table: str, frame: pd.DataFrame) -> dict[str, Any]:
        pk = self.primary_keys[table]
        keys = [x for x in self.links if x["child"] == table]
        data = frame.copy()
        # MOSTLY AI matches keys as strings; giving them as strings keeps both sides alike
        for col in [pk, *(x["column"] for x in keys)]:
            if col:
                data[col] = data[col].astype("string")
        out: dict[str, Any] = {
            "name": table,
            "data": data,
            "tabular_model_configuration": {
                "model": self.model,
                "max_training_time": self.max_training_minutes,
                "max_epochs": self.max_epochs,
                "max_sample_size": self.max_sample_size,
                "value_protection": self.value_protection,
                "enable_model_report": False,
            },
        }
        if pk:
            out["primary_key"] = pk
        if keys:
            out["foreign_keys"] = [
                {"column": x["column"], "referenced_table": x["parent"], "is_context": x["context"]}
                for x in keys
            ]
        return out

    # ------------------------------------------------------------------ sample
    def _sample(self, scale: float) -> dict[str, pd.DataFrame]:
        sizes = {t: max(1, round(self.sizes[t] * scale)) for t in self.roots}
        config = {
            "random_state": derive_seed(self.seed, "mostly", "sample", scale),
            "tables": [
                {
                    "name": t,
                    "configuration": {"sample_size": sizes.get(t), "enable_data_report": False},
                }
                for t in self.order
            ],
        }
        with local_client(self.verbose) as (client, home):
            path = home / "generator.zip"
            path.write_bytes(self.generator_zip)
            generator = client.generators.import_from_file(path)
            dataset = client.generate(generator, config=config, progress_bar=self.verbose)
            raw = dataset.data(return_type="dict")
        return self._restore_keys_and_types(raw)

    def _restore_keys_and_types(self, raw: dict[str, pd.DataFrame]) -> dict[str, pd.DataFrame]:
        out = {t: raw[t].reset_index(drop=True).copy() for t in self.order}
        maps: dict[str, pd.Series] = {}  # table -> MOSTLY AI's key (as text) -> our key
        for table in self.order:  # parents first, so their mapping exists for their children
            for link in (x for x in self.links if x["child"] == table):
                fk = out[table][link["column"]].astype("string")
                out[table][link["column"]] = fk.map(maps[link["parent"]]).to_numpy()
            pk = self.primary_keys[table]
            if pk:
                old = out[table][pk].astype("string")
                if pd.api.types.is_integer_dtype(pd.api.types.pandas_dtype(self.dtypes[table][pk])):
                    new = np.arange(1, len(old) + 1, dtype=np.int64)
                else:
                    new = old.astype(object).to_numpy()
                maps[table] = pd.Series(new, index=pd.Index(old))
                out[table][pk] = new
            out[table] = _with_dtypes(out[table], self.columns[table], self.dtypes[table])
        return out

    def _params(self) -> dict[str, Any]:
        return {
            "max_training_minutes": self.max_training_minutes,
            "max_epochs": self.max_epochs,
            "model": self.model,
            "max_sample_size": self.max_sample_size,
            "value_protection": self.value_protection,
            "pii": self.pii,
            "reattach_condition": self.reattach_condition,
        }


def _with_dtypes(frame: pd.DataFrame, columns: list[str], dtypes: dict[str, str]) -> pd.DataFrame:
    """The fitted columns in the fitted order and dtypes, where the values allow it."""
    out = frame[[c for c in columns if c in frame]].copy()
    for col in out.columns:
        want = dtypes[col]
        if str(out[col].dtype) == want:
            continue
        series = out[col]
        if want.startswith("datetime64"):
            series = pd.to_datetime(series, errors="coerce")
        elif want in ("object", "str") and str(series.dtype) in ("string", "category"):
            series = series.astype(object).where(series.notna(), None)
        # a nullable integer column with gaps, or text in a numeric one, keeps its sampled type
        with contextlib.suppress(TypeError, ValueError):
            series = series.astype(want)
        out[col] = series
    return out
