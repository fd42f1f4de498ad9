"""Keys that repeat or are empty: an error naming file, column and rows, or rows dropped.

A primary key (declared, or a column named as the table's key) identifies every row: when it
repeats or is empty, every relationship to that table is ambiguous, so the run stops with the
file, the column, the repeated values and the lines holding them, unless ``--bad-rows drop``
(or ``repair``) is given: then the first row of each key value is kept, rows without a key
are left out, and a note says how many.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd

from synthgen_sdv.core.errors import InputError
from synthgen_sdv.detect.reading import RawTable

HINT = (
    "a key identifies each row: fix the file, name the key in a metadata file (--metadata), "
    "or pass --bad-rows drop to keep the first row of each key value"
)


@dataclass
class KeyProblem:
    """A key that is not one: rows repeating an earlier row's value, rows without a value."""

    table: str
    column: str  # the key's columns, comma-separated
    repeated: np.ndarray  # positions of rows repeating an earlier row's value
    empty: np.ndarray  # positions of rows without a value
    examples: list  # repeated values


def key_problem(frame: pd.DataFrame, table: str, cols: list[str]) -> KeyProblem | None:
    """The rows of ``frame`` that repeat or lack the key ``cols``, or None when it holds."""
    sub = frame[cols]
    empty = sub.isna().any(axis=1)
    repeated = sub.duplicated(keep="first") & ~empty
    if not empty.any() and not repeated.any():
        return None
    examples = sub[repeated].drop_duplicates().head(3)
    shown = examples.iloc[:, 0].tolist() if len(cols) == 1 else examples.to_dict("records")
    return KeyProblem(
        table,
        ", ".join(cols),
        np.flatnonzero(repeated.to_numpy()),
        np.flatnonzero(empty.to_numpy()),
        shown,
    )


def _rows(n: int, verb: str) -> str:
    """``1 row repeats``, ``2 rows repeat``, ``1 row has``."""
    if n != 1:
        return f"{n} rows {verb}"
    return f"1 row {'has' if verb == 'have' else verb + 's'}"


def describe(problem: KeyProblem, raw: RawTable, frame: pd.DataFrame) -> str:
    """``customers.csv, column customer_id: 2 rows repeat a value, e.g. 7 (lines 3, 9)...``."""
    parts = []
    cols = [c.strip() for c in problem.column.split(",")]
    if len(problem.repeated):
        first = problem.repeated[0]
        value = frame.iloc[first][cols].tolist()
        # an empty key compares as <NA>, which all() would skip: it is not the same value
        equal = (frame[cols] == frame.iloc[first][cols]).astype("boolean").fillna(False)
        same = np.flatnonzero(equal.all(axis=1).to_numpy(dtype=bool))
        shown = ", ".join(repr(v.item() if isinstance(v, np.generic) else v) for v in value)
        parts.append(
            f"{_rows(len(problem.repeated), 'repeat')} a key value, e.g. {shown} on "
            f"{raw.where(same)}"
        )
    if len(problem.empty):
        parts.append(f"{_rows(len(problem.empty), 'have')} no key ({raw.where(problem.empty)})")
    return f"{raw.path.name}, column {problem.column}: " + "; ".join(parts)


def refuse_or_drop(
    problems: list[KeyProblem],
    raws: dict[str, RawTable],
    frames: dict[str, pd.DataFrame],
    bad_rows: str,
    notes: list[str],
    what: str = "the column named after the table is not a key",
) -> None:
    """Raise one ``InputError`` for all ``problems``, or drop their rows (``bad_rows``)."""
    if not problems:
        return
    lines = [describe(p, raws[p.table], frames[p.table]) for p in problems]
    if bad_rows not in ("drop", "repair"):
        raise InputError(f"{what}:\n" + "\n".join(f"  - {line}" for line in lines) + f"\n{HINT}")
    for p, line in zip(problems, lines, strict=True):
        drop = np.union1d(p.repeated, p.empty)
        keep = np.ones(len(frames[p.table]), bool)
        keep[drop] = False
        frames[p.table] = frames[p.table][keep].reset_index(drop=True)
        raws[p.table].drop_rows(drop)
        notes.append(f"{line}: {len(drop)} rows left out (--bad-rows {bad_rows})")
