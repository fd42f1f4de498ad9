"""``load_user_data``: a folder of CSV / Parquet tables, typed, with detected or checked metadata.

Without a metadata file, types, keys and relationships are detected (``detect.detected``); with
one (SDV metadata JSON, or a ``schema_metadata.json`` whose ``sdv_metadata`` holds it) it is
checked against the data (``detect.declared``). ``bad_rows`` is what to do with rows that
break the table's shape or key: ``error`` (the default: exit 2 naming file, column and lines),
``drop`` or ``repair`` (see ``detect.reading`` and ``detect.integrity``).
"""

from __future__ import annotations

from pathlib import Path

from synthgen_sdv.core.errors import InputError
from synthgen_sdv.detect.declared import check_metadata
from synthgen_sdv.detect.detected import detect_metadata
from synthgen_sdv.detect.reading import (
    BAD_ROWS,
    files_not_read,
    read_raw,
    refuse_lfs_pointers,
    split_tables,
    table_files,
)
from synthgen_sdv.detect.userdata import UserData


def load_user_data(
    data_dir: str | Path, metadata_file: str | Path | None = None, bad_rows: str = "error"
) -> UserData:
    """Read every *.csv / *.parquet of ``data_dir``; detect or check the metadata (see module)."""
    if bad_rows not in BAD_ROWS:
        raise InputError(f"--bad-rows must be one of {', '.join(BAD_ROWS)}, got '{bad_rows}'")
    data_dir = Path(data_dir)
    files = table_files(data_dir)
    refuse_lfs_pointers(files)
    raws = {name: read_raw(path, bad_rows) for name, path in files.items()}
    read_notes = files_not_read(data_dir) + [n for r in raws.values() for n in r.notes]
    read_notes += split_tables({name: r.frame for name, r in raws.items()})
    if metadata_file is None:
        user = detect_metadata(data_dir, files, raws, bad_rows)
    else:
        user = check_metadata(data_dir, files, raws, Path(metadata_file), bad_rows)
    user.notes[:0] = read_notes
    user.dialects = {r.path.name: r.dialect for r in raws.values()}
    return user
