"""Reading a folder of user tables: one table per *.csv / *.parquet file, named by its stem.

CSV files are read as text (empty field = NULL) so that every column is typed from its values
(``detect.types``), not from pandas' guesses.
"""

from __future__ import annotations

from pathlib import Path

import pandas as pd

from synthgen_sdv.core.errors import InputError
from synthgen_sdv.core.names import check_column_name, check_table_name

SUFFIXES = (".csv", ".parquet")


def table_files(data_dir: Path) -> dict[str, Path]:
    """``{table: file}`` for every *.csv / *.parquet in ``data_dir`` (table = file stem)."""
    if not data_dir.is_dir():
        raise InputError(f"--data-dir {data_dir}: no such directory")
    files: dict[str, Path] = {}
    for path in sorted(data_dir.iterdir()):
        if path.suffix.lower() not in SUFFIXES or not path.is_file():
            continue
        check_table_name(path.stem, f"--data-dir {data_dir}: {path.name}")  # a file name later
        if path.stem in files:
            raise InputError(
                f"--data-dir {data_dir}: table '{path.stem}' has two files "
                f"({files[path.stem].name}, {path.name}); keep one"
            )
        files[path.stem] = path
    if not files:
        raise InputError(f"--data-dir {data_dir}: no .csv or .parquet files in it")
    return files


def read_raw(path: Path) -> pd.DataFrame:
    """A CSV as text (empty field = NULL), a Parquet file as stored; column names checked
    (``core.names``)."""
    frame = _read(path)
    for column in frame.columns:
        check_column_name(column, f"{path}: column")
    return frame


def _read(path: Path) -> pd.DataFrame:
    try:
        if path.suffix.lower() == ".parquet":
            return pd.read_parquet(path)
        return pd.read_csv(path, dtype=str, keep_default_na=False, na_values=[""])
    except UnicodeDecodeError as exc:
        raise InputError(f"{path}: not UTF-8 text ({exc.reason}); save it as UTF-8") from None
    except Exception as exc:  # pandas / pyarrow parse errors carry the line; pass them on
        raise InputError(f"{path}: cannot read it: {exc}") from None
