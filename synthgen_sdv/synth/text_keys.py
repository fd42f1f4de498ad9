"""Text primary keys counted across the batches of a sample, then written as text.

SDV draws a text primary key as random text of a pattern (RDT's ``AnonymizedFaker`` with
``bothify``: ``sdv-id-??????`` for an id without a format) or as the strings of a regex
(``RegexGenerator``: ``[0-9]{4}`` detected from keys such as ``0736``), unique within one draw
only: two batches drawn apart would repeat each other's keys, so such a model was sampled in one
draw, its memory growing with the scale. While a sample is drawn in batches these keys are
counted instead, like integer keys (``batches.counted_keys``), moved past the rows of the
batches before (``batches.shift_keys``), and then written as text by ``as_text``, the foreign
keys that point at them alike:

- a pattern (``#`` a digit, ``?`` a letter, anything else literal): the count ``k`` is
  scrambled by a fixed bijection of the pattern's values (``k * MULTIPLIER + OFFSET`` modulo
  their number) and spelled in the pattern, so keys look like SDV's and stay distinct;
- digits of a width (``[0-9]{n}``, ``\\d{n}``): the count, zero-padded (past ``10**n`` keys it
  grows longer, as RDT's own fallback counts on).

Both are functions of the count only, so keys are unique across batches, the same for any
number of workers, and a sample of one batch (drawn as before, not counted) is unchanged. A
pattern with fewer than ``MIN_VALUES`` values, or another regex, is not counted: its model is
sampled in one draw as before.
"""

from __future__ import annotations

import math
import re
import string
import zlib
from collections.abc import Collection, Mapping
from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd

from synthgen_sdv.core.errors import SynthgenError

#: a pattern must hold at least this many keys to be counted (``sdv-id-??????``: 52**6)
MIN_VALUES = 10**9
#: the scrambling bijection: a prime that divides no pattern's size (their factors: 2, 5, 13),
#: near 2**28 so that consecutive counts differ in the pattern's first characters
MULTIPLIER = 268_435_399
OFFSET = 7_919
LETTERS = string.ascii_letters  # Faker's bothify letters
DIGITS = string.digits
_DIGITS_REGEX = re.compile(r"^(?:\[0-9\]|\\d)\{(\d+)\}$")


@dataclass(frozen=True)
class KeyFormat:
    """How a counted text key is written: a bothify ``pattern`` or digits of a ``width``."""

    pattern: str | None = None
    width: int | None = None

    @classmethod
    def of(cls, transformer: Any) -> KeyFormat | None:
        """The format of the text keys ``transformer`` draws, or None when they cannot be
        counted (not text, another regex, too few values)."""
        kind = type(transformer).__name__
        if kind == "AnonymizedFaker" and getattr(transformer, "function_name", None) == "bothify":
            pattern = (getattr(transformer, "function_kwargs", None) or {}).get("text")
            if isinstance(pattern, str) and cls(pattern=pattern).size() >= MIN_VALUES:
                return cls(pattern=pattern)
            return None
        if kind == "RegexGenerator":
            found = _DIGITS_REGEX.match(str(getattr(transformer, "regex_format", "")))
            return cls(width=int(found.group(1))) if found else None
        return None

    def size(self) -> int:
        """How many distinct keys the format holds (a digit key of any width: unbounded)."""
        if self.pattern is None:
            return 0
        return math.prod(len(_alphabet(c) or "x") for c in self.pattern)

    def spell(self, counts: np.ndarray, salt: int = 0) -> np.ndarray:
        """The keys of ``counts`` (whole numbers >= 0), as text; ``salt`` moves a pattern's
        bijection (each table its own, so two tables' keys do not read alike)."""
        k = np.asarray(counts, dtype=np.int64)
        if self.width is not None:
            return np.array([str(int(v)).zfill(self.width) for v in k], dtype=object)
        assert self.pattern is not None
        size = self.size()
        if len(k) and int(k.max()) >= size:
            raise SynthgenError(
                f"{int(k.max()) + 1:,} keys asked of the key pattern {self.pattern!r}, which holds "
                f"{size:,}: sample a smaller scale"
            )
        # a bijection: MULTIPLIER is prime to size; exact in int64 while size * MULTIPLIER fits
        wide = size * MULTIPLIER >= 2**63
        value = (k.astype(object) if wide else k) * MULTIPLIER + (OFFSET + salt) % size
        value = value % size
        chars = []
        for c in reversed(self.pattern):
            alphabet = _alphabet(c)
            if alphabet is None:
                chars.append(np.full(len(k), c, dtype=object))
                continue
            radix = len(alphabet)
            chars.append(np.asarray(list(alphabet), dtype=object)[(value % radix).astype(np.int64)])
            value //= radix
        out = np.full(len(k), "", dtype=object)
        for column in reversed(chars):
            out = out + column
        return out


def _alphabet(c: str) -> str | None:
    """The characters a pattern's ``c`` stands for (None: a literal)."""
    return {"#": DIGITS, "?": LETTERS}.get(c)


def as_text(
    tables: Mapping[str, pd.DataFrame],
    formats: Mapping[str, tuple[str, KeyFormat]],
    relationships: list[dict[str, Any]],
    parented: Collection[str] = (),
) -> dict[str, pd.DataFrame]:
    """One batch's counted text keys (``formats``: table -> (key column, format)) spelled as
    text, and the foreign keys of ``relationships`` that point at them alike. The keys of
    ``parented`` tables are foreign keys too (``batches.key_parent``): they hold their
    parent's keys and are spelled as those."""
    out = dict(tables)
    for table, (column, fmt) in formats.items():
        if table in out and table not in parented:
            spelled = _spelled(out[table][column], fmt, table)
            out[table] = out[table].assign(**{column: spelled})
    for r in relationships:
        parent, child = r["parent_table_name"], r["child_table_name"]
        if parent in formats and child in out:
            col = r["child_foreign_key"]
            spelled = _spelled(out[child][col], formats[parent][1], parent)
            out[child] = out[child].assign(**{col: spelled})
    return out


def _spelled(column: pd.Series, fmt: KeyFormat, table: str) -> pd.Series:
    """``column``'s counted keys of ``table`` as text, nulls kept."""
    known = column.notna().to_numpy()
    out = pd.Series(np.full(len(column), None, dtype=object), index=column.index)
    if known.any():
        counts = pd.to_numeric(column[known]).to_numpy(dtype=np.int64)
        out[known] = fmt.spell(counts, zlib.crc32(table.encode()))
    return out
