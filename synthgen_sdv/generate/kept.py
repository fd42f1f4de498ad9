"""The tables kept in memory for popularity lookups, gathered a chunk at a time in little memory.

A family's kept columns (the lookup key and the columns other tables' expressions read, e.g.
customers' names, e-mail and phone) arrive with every chunk. Held as the chunks' pandas frames
and concatenated at the end, they cost the full text of every value twice over at the end of the
family (the parts and the concatenation), which at scale 3000 is half a GB for customers alone.
Here each chunk's text goes straight into Arrow: text that repeats (names, categories) is
dictionary-encoded per chunk (a small code per row), unique text (e-mails) stays the chunks'
Arrow strings; numbers stay numpy. ``finish`` builds the table one column at a time, freeing
each column's parts as it goes; unique text is joined into one array (``_joined_text``), since
a lookup's take from a chunked array copies the whole column first.

The table the lookups read is what ``compact`` made before: repeating text as pandas
categoricals, other text Arrow-backed, the rest as generated, so generated values do not change.
"""

from __future__ import annotations

from collections.abc import Collection, Mapping, Sequence

import numpy as np
import pandas as pd
import pyarrow as pa

from synthgen_sdv.core.values import is_text

#: text with at most one distinct value per this many rows is kept dictionary-encoded
REPEATS = 4


class KeptTable:
    """One kept table's columns, added chunk by chunk (in chunk order), built by ``finish``.

    ``expected``: the table's rows when known before its first chunk (a family's root): its
    numpy columns are then filled in place as chunks arrive, so ``finish`` (serial, after the
    family's last chunk) copies none of them again."""

    def __init__(self, expected: int | None = None) -> None:
        self.columns: dict[str, list] = {}
        self.encoded: dict[str, bool] = {}  # text column -> still dictionary-encoded per chunk
        self.distinct: dict[str, int] = {}  # text column -> sum of its chunks' dictionary sizes
        self.rows = 0
        self.expected = expected
        self.filled: dict[str, np.ndarray] = {}  # numpy column -> its whole array, filling

    def add(
        self,
        frame: pd.DataFrame,
        text: Mapping[str, KeptText] | None = None,
        order: Sequence[str] | None = None,
    ) -> None:
        """One chunk's kept columns (``text``: its text columns as ``kept_text`` made them,
        in the encoding thread or a worker; the others are made here). ``order``: every
        column, when ``frame`` lacks those of ``text`` (a worker sends those as Arrow only)."""
        text = text or {}
        for col in order or frame.columns:
            parts = self.columns.setdefault(col, [])
            if col in text:
                arr, encoded = text[col]
            else:
                values = frame[col]
                if not is_text(values):
                    if not self._fill(col, values):
                        self.columns[col].append(values.reset_index(drop=True))
                    continue
                arr, encoded = _arrow(values), None
            if self.encoded.get(col, True):
                if encoded is None:
                    assert arr is not None
                    encoded = arr.dictionary_encode()
                seen = self.distinct.get(col, 0) + len(encoded.dictionary)
                if seen * 2 <= self.rows + len(encoded):
                    self.encoded[col], self.distinct[col] = True, seen
                    parts.append(encoded)
                    continue
                parts = self._decode(col)  # mostly unique so far: plain strings from here on
            parts.append(arr if arr is not None else _plain(encoded))
        self.rows += len(frame)

    def _fill(self, col: str, values: pd.Series) -> bool:
        """Copy a numpy column's chunk into its preallocated whole (False: not possible, e.g.
        an extension dtype, a dtype that changed, or more rows than expected)."""
        whole = self.filled.get(col)
        if whole is None:
            dtype = values.dtype
            plain = isinstance(dtype, np.dtype) and dtype.kind in "biufmM"
            if self.rows or self.expected is None or not plain:
                return False
            whole = self.filled[col] = np.empty(self.expected, dtype=values.dtype)
        end = self.rows + len(values)
        if values.dtype != whole.dtype or end > len(whole):  # concatenated as parts instead
            self.columns[col] = [pd.Series(whole[: self.rows])]
            del self.filled[col]
            return False
        whole[self.rows : end] = values.to_numpy()
        return True

    @property
    def plain(self) -> set[str]:
        """Text columns found mostly unique: kept as plain strings (no dictionary to make)."""
        return {col for col, encoded in self.encoded.items() if not encoded}

    def _decode(self, col: str) -> list:
        self.encoded[col] = False
        self.columns[col] = [_plain(p) for p in self.columns[col]]
        return self.columns[col]

    def nbytes(self) -> int:
        """Memory of the parts gathered so far (Arrow buffers and numpy arrays)."""
        total = 0
        for parts in self.columns.values():
            for p in parts:
                total += p.nbytes if isinstance(p, pa.Array) else int(p.memory_usage(deep=True))
        return total

    def finish(self) -> pd.DataFrame:
        """The whole table (see the module docstring), its parts freed column by column."""
        out: dict[str, pd.Series] = {}
        for col in list(self.columns):
            parts = self.columns.pop(col)
            if col in self.filled:
                whole = self.filled.pop(col)
                out[col] = pd.Series(whole if len(whole) == self.rows else whole[: self.rows])
            elif not parts:
                continue
            elif isinstance(parts[0], pd.Series):
                out[col] = pd.concat(parts, ignore_index=True)
            elif self.encoded.get(col):
                unified = pa.chunked_array(parts).unify_dictionaries()
                del parts
                if len(unified.chunk(0).dictionary) <= self.rows // REPEATS:
                    out[col] = unified.combine_chunks().to_pandas()  # a pandas categorical
                else:  # repeats within chunks, but not across the table: plain text
                    out[col] = _joined_text([_plain(c) for c in unified.chunks])
            else:
                out[col] = _joined_text(parts)
        # the columns as they are: consolidating them into 2-D blocks would copy them again
        return pd.DataFrame(out, index=pd.RangeIndex(self.rows), copy=False)


#: a kept text column of one chunk: its Arrow strings, and their dictionary encoding (None:
#: not made, the column is known to be mostly unique); the strings may be None when the
#: encoding is given (a worker sends only the encoding: the strings are its ``_plain``)
KeptText = tuple[pa.Array | None, pa.DictionaryArray | None]


def kept_text(frame: pd.DataFrame, plain: Collection[str]) -> dict[str, KeptText]:
    """The text columns of a chunk's kept frame as ``KeptTable.add`` takes them, dictionary-
    encoded unless in ``plain`` (columns found mostly unique): made in an encoding thread
    (Arrow releases the GIL), so the thread that makes chunks only gathers them."""
    out: dict[str, KeptText] = {}
    for col in frame.columns:
        values = frame[col]
        if is_text(values):
            arr = _arrow(values)
            out[col] = (arr, None if col in plain else arr.dictionary_encode())
    return out


def _arrow(values: pd.Series) -> pa.Array:
    arr = pa.array(values)
    return arr.combine_chunks() if isinstance(arr, pa.ChunkedArray) else arr


def _joined_text(parts: list[pa.Array]) -> pd.Series:
    """The parts (string arrays, in order) as one Arrow-backed Series over one array.

    Kept as the chunks, every lookup's ``take`` copied the whole column first (Arrow
    concatenates a chunked array to take from it): at scale 1000 legacy_customers' takes of
    customers' e-mail, names and phone cost 0.27 of its 0.7 CPU s, a 35 MB copy each. Joined
    once here, the end of the family holds one more copy of one column while it is joined
    (the parts are freed right after)."""
    chunks = [p if p.type == pa.string() else p.cast(pa.string()) for p in parts]
    parts.clear()
    joined = pa.concat_arrays(chunks) if chunks else pa.array([], pa.string())
    chunks.clear()
    return pd.Series(pd.arrays.ArrowExtensionArray(joined))


def _plain(arr: pa.Array) -> pa.Array:
    """A dictionary-encoded chunk back to plain strings (others as they are)."""
    if isinstance(arr, pa.DictionaryArray):
        return arr.dictionary.take(arr.indices)
    return arr


def compact(frame: pd.DataFrame) -> pd.DataFrame:
    """A whole kept table in less memory, as ``KeptTable`` builds it chunk by chunk."""
    kept = KeptTable()
    kept.add(frame)
    return kept.finish()
