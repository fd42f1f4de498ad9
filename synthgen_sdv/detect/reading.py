"""Reading a folder of user tables: one table per *.csv / *.parquet file, named by its stem.

CSV files are read as text (empty field = NULL) so that every column is typed from its values
(``detect.types``), not from pandas' guesses. Their dialect is detected (``detect.dialect``)
and every record is counted: a row with more or fewer fields than the header (a *ragged* row)
is an error naming the file, its lines and what they hold, unless ``bad_rows`` says to drop
them or to repair them (short rows padded with empty fields; long rows whose extra fields are
empty trimmed, other long rows dropped). Table and column names are checked
(``check_name``), and every row remembers the file line it came from, for messages.
"""

from __future__ import annotations

import codecs
import csv
import re
from array import array
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import pandas as pd
import pyarrow.parquet as pq

from synthgen_sdv.core.errors import InputError
from synthgen_sdv.core.names import check_column_name, check_table_name
from synthgen_sdv.detect.arrow_types import readable
from synthgen_sdv.detect.dialect import (
    SAMPLE_BYTES,
    Dialect,
    backslash_escapes,
    decimal_comma_columns,
    sniff,
    to_decimal_point,
)

SUFFIXES = (".csv", ".parquet")
BAD_ROWS = ("error", "drop", "repair")
MAX_NAME = 128
# columns per table: detection and fitting cost grows with columns (about 5 ms and 20-40 ms a
# column on 2 cores), so a 20,000-column file would run for many minutes; refused up front
MAX_COLUMNS = 2000
MAX_SHOWN = 3  # example rows in a message
# a column with no name and values in at most this share of rows is a spreadsheet's stray
# cells (MovieLens' ratings.csv as one copy has it: 3 values in 100,004 rows), left out
STRAY_SHARE = 0.01
# one field may hold a long text (a post body, an HTML page, a JSON document): Python's csv
# refuses fields above 128 KiB by default; 64 MiB still bounds a field by the file it is in
FIELD_LIMIT = 1 << 26
csv.field_size_limit(max(csv.field_size_limit(), FIELD_LIMIT))
FIX_HINT = (
    "pass --bad-rows drop to leave such rows out, or --bad-rows repair to pad short rows "
    "with empty fields"
)


def check_name(name: str, what: str) -> str | None:
    """Why ``name`` cannot be a table or column name, or None when it can.

    A name is not empty, at most ``MAX_NAME`` characters, not ``.`` or ``..``, and holds no
    path separator or control character (it becomes a file name and a SQL identifier).
    """
    if not name or not name.strip():
        return f"{what} has an empty name"
    if name in (".", ".."):
        return f"{what} is named '{name}'"
    if len(name) > MAX_NAME:
        return f"{what} '{name[:40]}...' has a name longer than {MAX_NAME} characters"
    if any(c in name for c in "/\\") or any(ord(c) < 32 or ord(c) == 127 for c in name):
        return f"{what} {name!r} has a path separator or control character in its name"
    return None


# files that look like tables but are not read, and what to do with each (a note, so that a
# table left out is never silent: a folder of *.csv.gz once ran on its one plain CSV)
NOT_READ = {
    ".gz": "a compressed file: decompress it to .csv",
    ".bz2": "a compressed file: decompress it to .csv",
    ".xz": "a compressed file: decompress it to .csv",
    ".zst": "a compressed file: decompress it to .csv",
    ".zip": "an archive: extract its .csv files",
    ".tsv": "delimited text: name it .csv (its delimiter is detected)",
    ".txt": "if it is delimited text, name it .csv (its delimiter is detected)",
    ".xlsx": "a spreadsheet: export each sheet as .csv",
    ".xls": "a spreadsheet: export each sheet as .csv",
    ".json": "JSON is not read: export the table as .csv or .parquet",
    ".jsonl": "JSON is not read: export the table as .csv or .parquet",
    ".pq": "name it .parquet",
}


def files_not_read(data_dir: Path) -> list[str]:
    """A note for each file of ``data_dir`` that looks like a table but is not read."""
    notes = []
    for path in sorted(data_dir.iterdir()):
        why = NOT_READ.get(path.suffix.lower())
        if why and path.is_file():
            notes.append(f"{path.name}: not read as a table ({why})")
    return notes


def table_files(data_dir: Path) -> dict[str, Path]:
    """``{table: file}`` for every *.csv / *.parquet in ``data_dir`` (table = file stem)."""
    if not data_dir.is_dir():
        raise InputError(f"--data-dir {data_dir}: no such directory")
    files: dict[str, Path] = {}
    folded: dict[str, str] = {}
    for path in sorted(data_dir.iterdir()):
        if path.suffix.lower() not in SUFFIXES or not path.is_file():
            continue
        check_table_name(path.stem, f"--data-dir {data_dir}: {path.name}")  # a file name later
        if path.stem in files or path.stem.lower() in folded:
            other = files.get(path.stem) or files[folded[path.stem.lower()]]
            raise InputError(
                f"--data-dir {data_dir}: table '{path.stem}' has two files "
                f"({other.name}, {path.name}); keep one (table names ignore case)"
            )
        problem = check_name(path.stem, f"file {path.name}: the table")
        if problem:
            raise InputError(f"--data-dir {data_dir}: {problem}; rename the file")
        files[path.stem] = path
        folded[path.stem.lower()] = path.stem
    if not files:
        others = sorted(p.name for p in data_dir.iterdir() if p.is_file())
        seen = f" (it holds {_clip(others, 80)}: name delimited text files *.csv)" if others else ""
        raise InputError(f"--data-dir {data_dir}: no .csv or .parquet files in it{seen}")
    return files


LFS_POINTER = b"version https://git-lfs.github.com/spec/"


def refuse_lfs_pointers(files: dict[str, Path]) -> None:
    """Exit 2 naming every file that is a Git LFS pointer (a clone without ``git lfs``: the
    file holds three lines naming the data, not the data), before any is read as a table."""
    pointers = []
    for path in files.values():
        with open(path, "rb") as f:
            head = f.read(200)
        if head.startswith(LFS_POINTER):
            size = re.search(rb"\nsize (\d+)", head)
            pointers.append(f"{path.name} ({int(size.group(1)):,} bytes)" if size else path.name)
    if pointers:
        raise InputError(
            f"{len(pointers)} of the {len(files)} files are Git LFS pointers, not the data "
            f"(the repository was cloned without git-lfs): {_clip(pointers, 200)}; run "
            "'git lfs pull' in that repository (or download the files themselves)"
        )


def split_tables(frames: dict[str, pd.DataFrame]) -> list[str]:
    """A note for each group of tables with the same columns (names ignore case), at least
    two of them: the parts of one table saved a year or a month a file (AdventureWorks'
    Sales_2021, Sales_2022, Sales_2023) are modeled as tables of their own; files with the
    same rows too are copies."""
    groups: dict[tuple[str, ...], list[str]] = {}
    for table, frame in frames.items():
        if len(frame.columns) >= 2:
            groups.setdefault(tuple(str(c).lower() for c in frame.columns), []).append(table)
    notes = []
    for cols, tables in groups.items():
        if len(tables) < 2:
            continue
        first = frames[tables[0]]
        if all(frames[t].equals(first) for t in tables[1:]):
            notes.append(
                f"{', '.join(tables)} hold the same columns and rows (copies of one file?): "
                "each is modeled as a table of its own"
            )
            continue
        notes.append(
            f"{', '.join(tables)} have the same {len(cols)} columns: each is modeled as a table "
            "of its own; if they are parts of one table (a year or a month a file), put their "
            "rows in one file"
        )
    return notes


@dataclass
class RawTable:
    """One file as read: its rows as text (CSV) or as stored (Parquet), where each row came
    from, the dialect detected and what was changed while reading."""

    path: Path
    frame: pd.DataFrame
    lines: np.ndarray | None = None  # file line of each row (CSV); None: row numbers
    dialect: str = ""
    notes: list[str] = field(default_factory=list)

    def where(self, positions) -> str:
        """``lines 5, 9`` (CSV) or ``rows 3, 7`` (Parquet) of rows at ``positions``."""
        pos = [int(p) for p in list(positions)[:MAX_SHOWN]]
        if self.lines is None:
            return "rows " + ", ".join(str(p + 1) for p in pos)
        return "lines " + ", ".join(str(int(self.lines[p])) for p in pos)

    def drop_rows(self, positions: np.ndarray) -> None:
        """Leave the rows at ``positions`` out (their line numbers go with them)."""
        keep = np.ones(len(self.frame), bool)
        keep[positions] = False
        self.frame = self.frame[keep].reset_index(drop=True)
        if self.lines is not None:
            self.lines = self.lines[keep]


def read_raw(path: Path, bad_rows: str = "error") -> RawTable:
    """A CSV as text (dialect detected, ragged rows refused or fixed), a Parquet as stored."""
    try:
        if path.suffix.lower() == ".parquet":
            _check_width(path, len(pq.read_schema(path).names))
            table, notes = readable(pq.read_table(path), path.name)
            raw = RawTable(path, table.to_pandas(), dialect="parquet", notes=notes)
        else:
            raw = _read_csv(path, bad_rows)
    except UnicodeDecodeError as exc:
        raise InputError(f"{path}: not UTF-8 text ({exc.reason}); save it as UTF-8") from None
    except InputError:
        raise
    except Exception as exc:  # pandas / pyarrow parse errors carry the line; pass them on
        raise InputError(f"{path}: cannot read it: {exc}") from None
    _check_columns(raw)
    return raw


_BOMS = (
    (codecs.BOM_UTF32_LE, "utf-32"),
    (codecs.BOM_UTF32_BE, "utf-32"),
    (codecs.BOM_UTF8, "utf-8-sig"),
    (codecs.BOM_UTF16_LE, "utf-16"),
    (codecs.BOM_UTF16_BE, "utf-16"),
)
CHUNK = 1 << 20


def file_encoding(path: Path) -> str:
    """The text encoding of a CSV file: the one its byte-order mark names (UTF-8, or UTF-16
    as SQL Server and Excel's "Unicode text" write), else UTF-8 when every byte decodes as
    such, else Windows-1252 (Excel's "CSV" on Windows), else Latin-1 (never fails)."""
    with open(path, "rb") as fh:
        head = fh.read(4)
        for bom, name in _BOMS:
            if head.startswith(bom):
                return name
        fh.seek(0)
        for name in ("utf-8", "cp1252"):
            decoder = codecs.getincrementaldecoder(name)()
            fh.seek(0)
            try:
                while chunk := fh.read(CHUNK):
                    decoder.decode(chunk)
                decoder.decode(b"", final=True)
            except UnicodeDecodeError:
                continue
            return "utf-8-sig" if name == "utf-8" else name
    return "latin-1"


def _csv_kwargs(dialect: Dialect) -> dict:
    return {
        "delimiter": dialect.delimiter,
        "quotechar": dialect.quotechar,
        "doublequote": True,
        "escapechar": dialect.escapechar,
    }


_CONTROL = re.compile(r"[\x00-\x08\x0b\x0e-\x1f\x7f]")
MAX_CONTROL_SHARE = 0.01  # text has next to no control characters; a binary file is full of them


def _check_text(path: Path, sample: str) -> None:
    """Refuse a file that is not text (a spreadsheet, an archive, an image saved as .csv):
    a NUL character, or more than 1% control characters in its first bytes."""
    found = _CONTROL.findall(sample)
    if "\x00" in sample or len(found) > MAX_CONTROL_SHARE * max(len(sample), 1):
        raise InputError(
            f"{path}: not a text CSV file ({len(found):,} control characters in its first "
            f"{len(sample):,} characters, e.g. {found[0]!r}); binary files (xlsx, zip, "
            "images) cannot be read: export the table as CSV or Parquet"
        )


def _read_csv(path: Path, bad_rows: str) -> RawTable:
    encoding = file_encoding(path)
    with open(path, "rb") as fh:
        head = fh.read(SAMPLE_BYTES)
    sample = head.decode(encoding, errors="ignore" if len(head) == SAMPLE_BYTES else "strict")
    _check_text(path, sample)
    dialect = sniff(sample)
    header, lines, ragged = _scan(path, dialect, encoding)
    if header is None:
        raise InputError(f"{path}: empty file; a table needs a header row")
    escaped = _escaped(path, dialect, encoding, len(ragged))
    if escaped:
        dialect, (header, lines, ragged) = escaped
    if ragged:
        frame, lines, note = _fix_ragged(path, dialect, header, ragged, bad_rows, encoding)
    else:
        frame = pd.read_csv(
            path,
            sep=dialect.delimiter,
            quotechar=dialect.quotechar,
            escapechar=dialect.escapechar,
            dtype=str,
            keep_default_na=False,
            na_values=[""],
            encoding=encoding,
            skip_blank_lines=True,
            header=0,
            names=_unique_names(header),
            index_col=False,
        )
        note = None
    raw = RawTable(path, frame, lines, dialect.describe())
    if note:
        raw.notes.append(note)
    if escaped:
        raw.notes.append(
            f"{path.name}: values write a quote or a delimiter as \\{dialect.quotechar} or "
            f"\\{dialect.delimiter} (a backslash escape, as SAP HANA and MySQL export): read so"
        )
    if encoding in ("cp1252", "latin-1"):
        name = "Windows-1252" if encoding == "cp1252" else encoding
        raw.notes.append(
            f"{path.name}: not UTF-8; read as {name} (check accented letters; save it as UTF-8 "
            "to be sure)"
        )
    commas = decimal_comma_columns(frame, dialect)
    for col in commas:
        frame[col] = to_decimal_point(frame[col])
    if commas:
        raw.dialect = dialect.describe(",")
        raw.notes.append(
            f"{path.name}: {', '.join(commas)}: numbers with a decimal comma, read as numbers"
        )
    if encoding != "utf-8-sig":
        raw.dialect += f", encoding {encoding}"
    raw.frame = frame
    return raw


def _escaped(path: Path, dialect: Dialect, encoding: str, ragged: int):
    """(the dialect with a backslash escape, its scan) when the file escapes quotes or
    delimiters with a backslash and so reads with no more ragged rows than without; else None.
    """
    with open(path, encoding=encoding, newline="") as fh:
        if not backslash_escapes(fh, dialect):
            return None
    escaped = Dialect(dialect.delimiter, dialect.quotechar, "\\")
    scan = _scan(path, escaped, encoding)
    return (escaped, scan) if len(scan[2]) <= ragged else None


def _unique_names(header: list[str]) -> list[str]:
    # duplicates are refused by _check_columns; here they only must not crash pandas
    seen: dict[str, int] = {}
    out = []
    for name in header:
        n = seen.get(name, 0)
        seen[name] = n + 1
        out.append(name if n == 0 else f"{name}\x00{n}")
    return out


def _scan(
    path: Path, dialect: Dialect, encoding: str = "utf-8-sig"
) -> tuple[list[str] | None, np.ndarray, list]:
    """(header, first line of every record, ragged records as (row, line, fields, values))."""
    header = None
    starts = array("q")
    ragged: list[tuple[int, int, int, list[str]]] = []
    with open(path, encoding=encoding, newline="") as fh:
        reader = csv.reader(fh, **_csv_kwargs(dialect))
        last = 0
        try:
            for row in reader:
                start, last = last + 1, reader.line_num
                if not row or row == [""]:
                    continue  # a blank line, as pandas skips it
                if header is None:
                    _check_width(path, len(row))
                    header = row
                    continue
                if len(row) != len(header):
                    ragged.append((len(starts), start, len(row), row))
                starts.append(start)
        except csv.Error as exc:
            raise InputError(f"{path}: line {reader.line_num}: {exc}") from None
    return header, np.frombuffer(starts, dtype=np.int64).copy(), ragged


def _fix_ragged(
    path: Path,
    dialect: Dialect,
    header: list[str],
    ragged: list,
    bad_rows: str,
    encoding: str = "utf-8-sig",
):
    n = len(header)
    if bad_rows not in ("drop", "repair"):
        shown = "; ".join(
            f"line {line} has {k} fields: {_clip(values)}" for _, line, k, values in ragged[:3]
        )
        raise InputError(
            f"{path}: {len(ragged)} rows do not have the header's {n} fields "
            f"({_clip(header)}); {shown}. A delimiter or quote inside an unquoted value, or a "
            f"missing value, shifts every later column: fix the file, or {FIX_HINT}"
        )
    rows, starts, dropped, repaired = [], [], 0, 0
    bad = {row: k for row, _, k, _ in ragged}
    with open(path, encoding=encoding, newline="") as fh:
        reader = csv.reader(fh, **_csv_kwargs(dialect))
        last, seen_header, index = 0, False, 0
        for row in reader:
            start, last = last + 1, reader.line_num
            if not row or row == [""]:
                continue
            if not seen_header:
                seen_header = True
                continue
            if index in bad:
                fixed = _repair(row, n) if bad_rows == "repair" else None
                index += 1
                if fixed is None:
                    dropped += 1
                    continue
                row, repaired = fixed, repaired + 1
            else:
                index += 1
            rows.append([v if v != "" else None for v in row])
            starts.append(start)
    frame = pd.DataFrame(rows, columns=_unique_names(header), dtype=object)
    what = [f"{dropped} dropped"] if dropped else []
    if repaired:
        what.append(f"{repaired} repaired (padded with empty fields or trailing empties cut)")
    note = (
        f"{path.name}: {len(ragged)} rows had another number of fields than the header's {n} "
        f"(first at line {ragged[0][1]}): {', '.join(what)} (--bad-rows {bad_rows})"
    )
    return frame, np.asarray(starts, dtype=np.int64), note


def _repair(row: list[str], n: int) -> list[str] | None:
    if len(row) < n:
        return row + [""] * (n - len(row))
    if all(v == "" for v in row[n:]):
        return row[:n]
    return None


def _clip(values: list[str], limit: int = 80) -> str:
    text = ", ".join(repr(v) for v in values)
    return text if len(text) <= limit else text[: limit - 3] + "..."


def _check_width(path: Path, n: int) -> None:
    """Refuse a table wider than ``MAX_COLUMNS`` before its rows are read."""
    if n > MAX_COLUMNS:
        raise InputError(
            f"{path}: {n:,} columns; at most {MAX_COLUMNS:,} per table are supported (detection "
            "and fitting time grow with every column): keep the columns you need in the file, "
            "or split it into tables that share its key"
        )


# A header cell no column is named: a NULL mark (MySQL's \N), a fraction (-6.0817), a
# timestamp (2010-07-22 20:00:20), a number.
_NULL_MARK = re.compile(r"^(\\N|NULL)$")
_FRACTION = re.compile(r"^-?\d*\.\d+$")
_TIMESTAMP = re.compile(r"^\d{4}-\d{2}-\d{2}[ T]\d{2}:\d{2}(:\d{2}(\.\d+)?)?$")
_NUMBER = re.compile(r"^-?\d+(\.\d+)?$")
_WHOLE = re.compile(r"^-?\d{1,18}$")


def _first_cell_is_a_key_value(header: list[str], frame: pd.DataFrame) -> bool:
    """Whether the header's first cell is one more value of an id column: a whole number, the
    first column distinct whole numbers on every row, none of them that number (a headerless
    export's first record: ``1,"British Ale"`` over ``2,"Irish Ale"``). A header of nothing
    but numbers (years naming a pivot's columns) stays a header."""
    if not header or not _WHOLE.match(header[0]) or all(_NUMBER.match(h) for h in header):
        return False
    first = frame.iloc[:, 0]
    if first.isna().any() or not len(first):
        return False
    text = first.astype(str)
    if not text.str.fullmatch(r"-?\d{1,18}").all():
        return False
    values = text.astype("int64")
    return bool(values.is_unique) and int(header[0]) not in set(values.tolist())


def _unnamed(column) -> bool:
    """A column with no name: empty, pandas' ``Unnamed: 4``, or ``_unique_names``' ``\x00n``."""
    text = str(column)
    return not text.split("\x00")[0].strip() or text.startswith("Unnamed: ")


def _row_index(values: pd.Series) -> bool:
    """Whether a nameless column is a row index: a whole number on every row, all distinct
    (pandas' index of a frame, its rows in any order after a sample or a filter)."""
    if len(values) < 2 or values.isna().any():
        return False
    if pd.api.types.is_integer_dtype(values):
        numbers = values
    else:
        text = values.astype(str)
        if not text.str.fullmatch(r"\d{1,18}").all():
            return False
        numbers = text.astype("int64")
    return bool(numbers.is_unique)


def _check_columns(raw: RawTable) -> None:
    """Refuse unusable column names; drop a nameless column that is empty (a trailing
    delimiter) or holds a few stray values (a spreadsheet's leftovers), saying so."""
    frame, name = raw.frame, raw.path.name
    problems = []
    unnamed = [(i, c) for i, c in enumerate(frame.columns) if _unnamed(c)]
    empty = [c for _, c in unnamed if frame[c].isna().all()]
    if empty:
        raw.notes.append(f"{name}: {len(empty)} empty column(s) without a name left out")
    for i, c in unnamed:
        filled = np.flatnonzero(frame[c].notna().to_numpy())
        if not len(filled):
            continue
        if i == 0 and _row_index(frame[c]):
            empty.append(c)
            raw.notes.append(
                f"{name}: its first column has no name and holds a distinct whole number on "
                "every row (a row index, as pandas' to_csv writes it unless index=False): "
                "left out"
            )
            continue
        where = raw.where(filled)
        if len(filled) <= STRAY_SHARE * len(frame):
            empty.append(c)
            raw.notes.append(
                f"{name}: column {i + 1} has no name and only {len(filled)} "
                f"value{'s' if len(filled) > 1 else ''} in "
                f"{len(frame):,} rows ({where}): left out as stray cells"
            )
        else:
            problems.append(
                f"column {i + 1} of {name} has no name and holds {len(filled):,} values "
                f"({where}, ...): name it in the header row"
            )
    frame = frame.drop(columns=empty)
    folded: dict[str, int] = {}
    position = {c: i for i, c in enumerate(raw.frame.columns)}  # in the file's header
    for col in frame.columns:
        i = position[col]
        if _unnamed(col):
            continue  # said above
        text = str(col).split("\x00")[0]
        problem = check_name(text, f"a column of {name}")
        if problem:
            problems.append(problem)
            continue
        check_column_name(text, f"{raw.path}: column")  # core.names: the package's rule
        if text.lower() in folded:
            problems.append(
                f"column '{text}' appears twice in the header (columns {folded[text.lower()]} "
                f"and {i + 1}; names ignore case): rename one"
            )
        folded.setdefault(text.lower(), i + 1)
    header = [str(c).split("\x00")[0] for c in frame.columns]
    data_like = [h for h in header if _NULL_MARK.match(h) or _NUMBER.match(h)]
    if (
        (problems and data_like)
        or any(_NULL_MARK.match(h) or _FRACTION.match(h) or _TIMESTAMP.match(h) for h in header)
        or _first_cell_is_a_key_value(header, frame)
    ):
        problems.append(
            f"its first row looks like data, not column names ({_clip(header, 60)}): the file "
            "seems to have no header row; add one naming the columns"
        )
    if problems:
        raise InputError(f"{raw.path}: " + "; ".join(dict.fromkeys(problems)))
    raw.frame = frame.rename(columns=str)
