"""The infer-config run: read a dataset, infer the rule-based baseline config, write it.

The data is an output folder of ours (typed by its schema_metadata.json) or raw CSV/Parquet
files (keys and types detected as for ``fit-sample --data-dir``). What is written is loaded
back and planned, so a config that would not generate is an error here, not later.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pandas as pd

from synthgen_sdv.core.errors import InputError
from synthgen_sdv.detect.load import load_user_data
from synthgen_sdv.evaluate.loading import read_output_folder
from synthgen_sdv.io.artifacts import output_sdv_metadata
from synthgen_sdv.runs.baseline import write_inferred
from synthgen_sdv.schema.infer import infer_config
from synthgen_sdv.schema.loader import load_config
from synthgen_sdv.schema.plan import Plan, resolve_plan


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
    if (data_dir / "metadata" / "schema_metadata.json").exists() and metadata is None:
        folder = read_output_folder(data_dir)
        return folder.data, folder.metadata
    user = load_user_data(data_dir, metadata)
    # composite keys and self references are not expressible as lookups: profile without them
    return user.tables, output_sdv_metadata(user.metadata, user.types)


def run_infer_config(
    data_dir: Path, out: Path, metadata: Path | None = None, seed: int = 0
) -> InferOutcome:
    """Profile ``data_dir``, write tables.yml and config.yaml into ``out``, check they load."""
    tables, sdv_metadata = read_any(data_dir, metadata)
    folder = write_inferred(infer_config(tables, sdv_metadata, seed), out)
    plan = resolve_plan(load_config(folder))  # what we write must load
    return InferOutcome(folder, plan)
