"""Reads an output folder (data/*.parquet|csv + metadata/schema_metadata.json) for comparison.

Only what scoring needs: the SDV metadata dict under ``sdv_metadata`` and one file per table,
Parquet when present, else CSV. CSV follows the output contract: header row, empty field =
NULL (so a category spelled ``NA`` stays a string), dates parsed per the metadata's
``datetime_format``.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pandas as pd

from synthgen_sdv.core.errors import InputError
from synthgen_sdv.evaluate.relations import Dataset, metadata_dict
from synthgen_sdv.io import files as io_files
from synthgen_sdv.io import layout
from synthgen_sdv.io.models import SCHEMA_METADATA_NAME, VERSION
from synthgen_sdv.io.reader import read_versioned

SCHEMA_FILE = Path(layout.SCHEMA_METADATA)


@dataclass
class OutputFolder:
    """An output folder read for scoring: its tables, SDV metadata and whole schema document."""

    path: Path
    data: Dataset
    metadata: dict  # SDV multi-table metadata dict
    schema_metadata: dict  # the whole schema_metadata.json
    files: dict[str, str]  # table -> file read, relative to path


def read_sdv_metadata(out_dir: str | Path) -> tuple[dict, dict]:
    """Return (sdv metadata dict, whole schema_metadata.json) of an output folder."""
    root = Path(out_dir)
    if not root.is_dir():
        raise InputError(f"{root}: not a directory")
    path = root / SCHEMA_FILE
    if not path.is_file():
        raise InputError(
            f"{root}: no {SCHEMA_FILE}; an output folder needs it (with an 'sdv_metadata' key) "
            "to be compared"
        )
    # Lenient on a missing schema / version (a minimal folder made by hand), strict on a wrong one.
    doc = read_versioned(path, SCHEMA_METADATA_NAME, strict=False)
    if "sdv_metadata" not in doc:
        raise InputError(f"{path}: no 'sdv_metadata' key (the SDV multi-table metadata dict)")
    try:
        md = metadata_dict(doc["sdv_metadata"])
    except InputError as exc:
        raise InputError(f"{path}: sdv_metadata: {exc}") from None
    return md, doc


def _parse_dates(df: pd.DataFrame, table_meta: dict[str, Any]) -> pd.DataFrame:
    for col, meta in table_meta.get("columns", {}).items():
        if meta.get("sdtype") != "datetime" or col not in df.columns:
            continue
        if pd.api.types.is_datetime64_any_dtype(df[col]):
            continue
        fmt = meta.get("datetime_format")
        try:
            df[col] = pd.to_datetime(df[col], format=fmt)
        except (ValueError, TypeError):
            # A value that does not fit the declared format becomes NaT, which SDMetrics'
            # Data Validity then counts against the candidate instead of crashing the run.
            df[col] = pd.to_datetime(df[col], format=fmt, errors="coerce")
    return df


def read_output_folder(out_dir: str | Path) -> OutputFolder:
    """Read every table named in the folder's SDV metadata; InputError names what is missing."""
    root = Path(out_dir)
    md, doc = read_sdv_metadata(root)
    data: Dataset = {}
    files: dict[str, str] = {}
    missing = []
    for table, tmeta in md["tables"].items():
        parquet = layout.table_path(root, layout.DATA, table, ".parquet")
        csv = layout.table_path(root, layout.DATA, table, ".csv")
        if parquet.is_file():
            df = pd.read_parquet(parquet)
            files[table] = str(parquet.relative_to(root))
        elif csv.is_file():
            df = pd.read_csv(csv, keep_default_na=False, na_values=[""], low_memory=False)
            files[table] = str(csv.relative_to(root))
        else:
            missing.append(table)
            continue
        data[table] = _parse_dates(df, tmeta)
    if missing:
        raise InputError(
            f"{root}: no data/<table>.parquet or .csv for tables {missing} named in the metadata"
        )
    return OutputFolder(path=root, data=data, metadata=md, schema_metadata=doc, files=files)


def write_output_folder(out_dir: str | Path, data: Dataset, metadata: dict, fmt: str = "parquet"):
    """Write a minimal output folder (data + schema_metadata.json with sdv_metadata).

    For tests and for scoring in-memory candidates from the command line; the full writer with
    every schema_metadata field lives in ``synthgen_sdv.io``.
    """
    root = Path(out_dir)
    (root / layout.DATA).mkdir(parents=True, exist_ok=True)
    (root / layout.METADATA).mkdir(parents=True, exist_ok=True)
    for table, df in data.items():
        if fmt == "parquet":
            df.to_parquet(layout.table_path(root, layout.DATA, table, ".parquet"), index=False)
        else:
            out = df.copy()
            for col in out.columns:
                if pd.api.types.is_datetime64_any_dtype(out[col]):
                    dated = (out[col].dropna() == out[col].dropna().dt.normalize()).all()
                    fmt_dt = "%Y-%m-%d" if dated else "%Y-%m-%d %H:%M:%S"
                    out[col] = out[col].dt.strftime(fmt_dt)
            out.to_csv(layout.table_path(root, layout.DATA, table, ".csv"), index=False)
    doc = {
        "schema": SCHEMA_METADATA_NAME,
        "version": VERSION,
        "sdv_metadata": metadata_dict(metadata),
    }
    io_files.write_text(root / SCHEMA_FILE, json.dumps(doc, indent=2))
    return root
