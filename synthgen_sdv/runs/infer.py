"""The infer-config run: read a dataset, infer the rule-based baseline config, write it.

The data is an output folder of ours (typed by its schema_metadata.json) or raw CSV/Parquet
files (keys and types detected as for ``fit-sample --data-dir``). The config folder is written
like any output (``io.output.staged_output``: whole or not at all, replaced only when it is an
earlier infer-config folder and ``overwrite``) with a marker, ``inferred_config.json``, that
records where it came from. What is written is loaded back and planned first, so a config that
would not generate is an error here, not later. Its config.yaml sends ``generate`` to a folder
named after the data (``<data>_generated``), never to the data folder itself.
"""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pandas as pd

from synthgen_sdv.core.errors import InputError
from synthgen_sdv.core.version import __version__
from synthgen_sdv.detect.load import load_user_data
from synthgen_sdv.evaluate.loading import read_output_folder
from synthgen_sdv.io import files, layout
from synthgen_sdv.io.artifacts import output_sdv_metadata
from synthgen_sdv.io.output import staged_output
from synthgen_sdv.runs.baseline import write_inferred
from synthgen_sdv.schema.infer import InferredConfig, infer_config
from synthgen_sdv.schema.loader import load_config
from synthgen_sdv.schema.models import RunConfig
from synthgen_sdv.schema.plan import Plan, resolve_plan

MARKER_SCHEMA = "synthgen_sdv.inferred_config"


@dataclass(frozen=True)
class InferOutcome:
    """The folder holding tables.yml and config.yaml, and the plan they resolve to."""

    folder: Path
    plan: Plan


def read_any(
    data_dir: Path, metadata: Path | None = None
) -> tuple[dict[str, pd.DataFrame], dict[str, Any]]:
    """(tables, SDV metadata dict) of an output folder, or of raw files via detection."""
    if not data_dir.is_dir():
        raise InputError(f"--data-dir {data_dir}: not a folder")
    if layout.is_output(data_dir) and metadata is None:
        folder = read_output_folder(data_dir)
        return folder.data, folder.metadata
    user = load_user_data(data_dir, metadata)
    # composite keys and self references are not expressible as lookups: profile without them
    return user.tables, output_sdv_metadata(user.metadata, user.types)


def generated_dir(data_dir: Path) -> str:
    """Where the inferred config's ``generate`` writes: ``<data>_generated`` beside the data
    (relative, as config.yaml paths are), never the data folder or a folder around it."""
    name = f"{Path(data_dir).resolve().name or 'data'}_generated"
    src = Path(data_dir).resolve()
    candidate, n = name, 1
    while Path(candidate).resolve() == src or src.is_relative_to(Path(candidate).resolve()):
        n += 1
        candidate = f"{name}_{n}"
    return candidate


def with_output_dir(inferred: InferredConfig, output_dir: str) -> InferredConfig:
    """``inferred`` whose config.yaml writes to ``output_dir``."""
    run_doc = {**inferred.run_doc, "output": {**inferred.run_doc["output"], "dir": output_dir}}
    return dataclasses.replace(inferred, run_doc=run_doc, run=RunConfig.model_validate(run_doc))


def run_infer_config(
    data_dir: Path,
    out: Path,
    metadata: Path | None = None,
    seed: int = 0,
    overwrite: bool = False,
) -> InferOutcome:
    """Profile ``data_dir``, write tables.yml and config.yaml into ``out`` (atomically), after
    checking that they load and plan."""
    tables, sdv_metadata = read_any(Path(data_dir), metadata)
    inferred = with_output_dir(infer_config(tables, sdv_metadata, seed), generated_dir(data_dir))
    with staged_output(out, overwrite, inputs={"--data-dir": data_dir}) as tmp:
        write_inferred(inferred, tmp)
        resolve_plan(load_config(tmp))  # what we write must load
        files.write_json(
            tmp / layout.INFERRED_CONFIG,
            {
                "schema": MARKER_SCHEMA,
                "version": 1,
                "generator": {"name": "synthgen_sdv", "version": __version__},
                "data_dir": str(Path(data_dir).resolve()),
                "metadata": str(Path(metadata).resolve()) if metadata else None,
                "seed": seed,
                "tables": list(inferred.run_doc["synthesis"]["tables"]),
            },
        )
    folder = Path(out)
    return InferOutcome(folder, resolve_plan(load_config(folder)))
