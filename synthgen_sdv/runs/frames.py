"""Tables already in memory (``{name: DataFrame}``, as SDV's ``synthesizer.fit(data)`` takes
them) read as your own data: written to a temporary folder of Parquet files and read from
there, so they get exactly the typing, key detection, checks and messages that files get.

Parquet keeps pandas' types (nullable integers, categories, time zones); a column Arrow cannot
store (objects of mixed types) is stored as its text, with a note. The index is not data, as in
SDV: a named index is kept as a column. ``metadata`` may be a path, an SDV ``Metadata`` or its
dict.
"""

from __future__ import annotations

import json
import tempfile
from collections.abc import Mapping
from pathlib import Path
from typing import Any

import pandas as pd
import pyarrow as pa
import pyarrow.parquet as pq

from synthgen_sdv.core.errors import InputError
from synthgen_sdv.detect.load import load_user_data
from synthgen_sdv.detect.userdata import UserData

IN_MEMORY = Path("<in-memory tables>")


def _arrow(name: str, frame: Any, notes: list[str]) -> pa.Table:
    if not isinstance(frame, pd.DataFrame):
        raise InputError(f"table '{name}': expected a pandas DataFrame, got {type(frame).__name__}")
    frame = frame.reset_index() if any(n is not None for n in frame.index.names) else frame
    bad = [str(c) for c in frame.columns if not isinstance(c, str)]
    if bad:
        raise InputError(f"table '{name}': column names must be text, got {', '.join(bad[:5])}")
    columns = {}
    for col in frame.columns:
        try:
            columns[col] = pa.Array.from_pandas(frame[col])
        except (pa.ArrowInvalid, pa.ArrowTypeError, pa.ArrowNotImplementedError):
            text = frame[col].map(lambda v: None if v is None or v is pd.NA or v != v else str(v))
            columns[col] = pa.array(text, pa.string())
            notes.append(f"table '{name}': {col}: values of mixed types, read as text")
    return pa.table(columns) if columns else pa.table({})


def _metadata_file(metadata: Any, folder: Path) -> Path | None:
    if metadata is None or isinstance(metadata, str | Path):
        return None if metadata is None else Path(metadata)
    doc = metadata.to_dict() if hasattr(metadata, "to_dict") else metadata
    if not isinstance(doc, Mapping):
        raise InputError(
            f"metadata: expected a path, an SDV Metadata or its dict, got {type(metadata).__name__}"
        )
    path = folder / "metadata.json"
    path.write_text(json.dumps(doc, default=str))
    return path


def load_frames(
    tables: Mapping[str, pd.DataFrame], metadata: Any = None, bad_rows: str = "error"
) -> UserData:
    """``tables`` typed, with detected metadata (or ``metadata`` checked), as a folder would be."""
    if not tables:
        raise InputError("tables: no tables given (expected {name: DataFrame})")
    notes: list[str] = []
    with tempfile.TemporaryDirectory(prefix="synthgen-frames-") as tmp:
        folder = Path(tmp) / "tables"
        folder.mkdir()
        for name, frame in tables.items():
            if not isinstance(name, str) or not name or "/" in name or name.startswith("."):
                raise InputError(f"tables: {name!r} is not a table name")
            pq.write_table(_arrow(name, frame, notes), folder / f"{name}.parquet")
        try:
            user = load_user_data(folder, _metadata_file(metadata, Path(tmp)), bad_rows)
        except InputError as exc:
            raise InputError(_named(str(exc), folder, tables)) from None
    user.notes[:] = notes + [_named(n, folder, tables) for n in user.notes]
    user.reasons[:] = [_named(r, folder, tables) for r in user.reasons]
    user.data_dir, user.files = IN_MEMORY, {}
    if not isinstance(metadata, str | Path):
        user.metadata_file = None
    return user


def _named(text: str, folder: Path, tables: Mapping[str, Any]) -> str:
    """A message about the temporary files, about the tables the user passed instead."""
    for name in tables:
        text = text.replace(f"{folder}/{name}.parquet", f"tables['{name}']")
        text = text.replace(f"{name}.parquet", f"tables['{name}']")
    return text.replace(f"--data-dir {folder}", "tables").replace(str(folder), "tables")
