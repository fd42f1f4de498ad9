"""``load_user_data``: a folder of CSV / Parquet tables, typed, with detected or checked metadata.

Without a metadata file, types, keys and relationships are detected (``detect.detected``); with
one (SDV metadata JSON, or a ``schema_metadata.json`` whose ``sdv_metadata`` holds it) it is
checked against the data (``detect.declared``).
"""

from __future__ import annotations

from pathlib import Path

from synthgen_sdv.detect.declared import check_metadata
from synthgen_sdv.detect.detected import detect_metadata
from synthgen_sdv.detect.reading import read_raw, table_files
from synthgen_sdv.detect.userdata import UserData


def load_user_data(data_dir: str | Path, metadata_file: str | Path | None = None) -> UserData:
    """Read every *.csv / *.parquet of ``data_dir``; detect or check the metadata (see module)."""
    data_dir = Path(data_dir)
    files = table_files(data_dir)
    raw = {name: read_raw(path) for name, path in files.items()}
    if metadata_file is None:
        return detect_metadata(data_dir, files, raw)
    return check_metadata(data_dir, files, raw, Path(metadata_file))
