"""Reading an output folder back for assertions (independent of the product's readers)."""

from __future__ import annotations

import hashlib
import json
from pathlib import Path

import pandas as pd


def schema(out: Path) -> dict:
    return json.loads((out / "metadata" / "schema_metadata.json").read_text())


def labels(out: Path) -> dict:
    return json.loads((out / "metadata" / "labels.json").read_text())


def read(out: Path, table: str, folder: str = "data") -> pd.DataFrame:
    return pd.read_parquet(out / folder / f"{table}.parquet")


def tree_hashes(out: Path) -> dict[str, str]:
    return {
        str(p.relative_to(out)): hashlib.sha256(p.read_bytes()).hexdigest()
        for p in sorted(out.rglob("*"))
        if p.is_file()
    }
