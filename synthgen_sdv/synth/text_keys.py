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
  grows longer, as RDT's own fallback counts on);
- another regex made only of character classes with counts and literals, as detection writes
  for codes (``[A-Z]{2}[0-9]{4}``, ``[0-9]{3}\\-[0-9]{2}\\-[0-9]{4}``): spelled like a pattern,
  one alphabet per position, if it holds at least ``MIN_REGEX_VALUES`` keys.

Both are functions of the count only, so keys are unique across batches, the same for any
number of workers, and a sample of one batch (drawn as before, not counted) is unchanged. A
pattern with fewer than ``MIN_VALUES`` values, or another regex, is not counted: its model is
sampled in one draw as before. A count past a format's size is an error that says so.
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
#: a regex of positions only: a class (``[A-Z0-9]``, ``\\d``) or a literal, each with a count
_REGEX_TOKEN = re.compile(r"(\[[^\]^]+\]|\\d|\\.|[A-Za-z0-9_ :/.-])(?:\{(\d+)\})?")
#: a code regex must hold at least this many keys to be counted (pubs' ``[A-Z]{2}[0-9]{4}``:
#: 6.8 million)
MIN_REGEX_VALUES = 10**6


@dataclass(frozen=True)
class KeyFormat:
    """How a counted text key is written: a bothify ``pattern`` or digits of a ``width``."""

    pattern: str | None = None
    width: int | None = None
    slots: tuple[str, ...] | None = None  # a code regex: the characters of each position

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
            regex = str(getattr(transformer, "regex_format", ""))
            found = _DIGITS_REGEX.match(regex)
            if found:
                return cls(width=int(found.group(1)))
            slots = regex_slots(regex)
            if slots is not None and cls(slots=slots).size() >= MIN_REGEX_VALUES:
                return cls(slots=slots)
        return None

    def _alphabets(self) -> list[str]:
        """The characters of each position (a literal: itself alone)."""
        if self.slots is not None:
            return list(self.slots)
        return [_alphabet(c) or c for c in self.pattern or ""]

    def size(self) -> int:
        """How many distinct keys the format holds (a digit key of any width: unbounded)."""
        if self.pattern is None and self.slots is None:
            return 0
        return math.prod(len(a) for a in self._alphabets())

    def spell(self, counts: np.ndarray, salt: int = 0) -> np.ndarray:
        """The keys of ``counts`` (whole numbers >= 0), as text; ``salt`` moves a pattern's
        bijection (each table its own, so two tables' keys do not read alike)."""
        k = np.asarray(counts, dtype=np.int64)
        if self.width is not None:
            return np.array([str(int(v)).zfill(self.width) for v in k], dtype=object)
        size = self.size()
        if len(k) and int(k.max()) >= size:
            shown = self.pattern or "".join(
                f"[{a}]" if len(a) > 1 else a for a in self._alphabets()
            )
            raise SynthgenError(
                f"{int(k.max()) + 1:,} keys asked of the key pattern {shown!r}, which holds "
                f"{size:,}: sample a smaller scale"
            )
        # a bijection: MULTIPLIER is prime to size; exact in int64 while size * MULTIPLIER fits
        wide = size * MULTIPLIER >= 2**63
        value = (k.astype(object) if wide else k) * MULTIPLIER + (OFFSET + salt) % size
        value = value % size
        chars = []
        for alphabet in reversed(self._alphabets()):
            if len(alphabet) == 1:
                chars.append(np.full(len(k), alphabet, dtype=object))
                continue
            radix = len(alphabet)
            chars.append(np.asarray(list(alphabet), dtype=object)[(value % radix).astype(np.int64)])
            value //= radix
        out = np.full(len(k), "", dtype=object)
        for column in reversed(chars):
            out = out + column
        return out


def regex_slots(regex: str) -> tuple[str, ...] | None:
    """The characters of each position of a regex made only of classes and literals with
    counts (``[A-Z]{2}[0-9]{4}``, ``\\d{3}\\-\\d{2}``), or None for any other regex."""
    slots: list[str] = []
    at = 0
    while at < len(regex):
        token = _REGEX_TOKEN.match(regex, at)
        if token is None:
            return None
        chars = _class_chars(token.group(1))
        if chars is None:
            return None
        slots += [chars] * int(token.group(2) or 1)
        at = token.end()
    return tuple(slots) if slots else None


def _class_chars(token: str) -> str | None:
    """The characters one regex position stands for, in order (None: not understood)."""
    if token == "\\d":
        return DIGITS
    if token.startswith("\\"):
        return token[1]
    if not token.startswith("["):
        return token
    body, chars = token[1:-1], []
    i = 0
    while i < len(body):
        if i + 2 < len(body) and body[i + 1] == "-":
            lo, hi = ord(body[i]), ord(body[i + 2])
            if hi < lo:
                return None
            chars += [chr(c) for c in range(lo, hi + 1)]
            i += 3
        elif body[i] == "\\" and i + 1 < len(body):
            chars.append(body[i + 1])
            i += 2
        else:
            chars.append(body[i])
            i += 1
    return "".join(dict.fromkeys(chars)) or None


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
