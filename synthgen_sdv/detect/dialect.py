"""A CSV file's dialect: delimiter, quote character and decimal mark, detected from a sample.

The delimiter and quote character are the pair that splits the sample's lines into the same
number of fields (more than one) most consistently (``csv.Sniffer`` guesses from character
frequencies and misreads short files; counting fields is what matters here). A decimal comma
is recognised per column after reading (``decimal_comma_columns``): with a delimiter other
than ``,``, a column whose every value looks like ``1234,5`` or ``1.234,5`` holds numbers
written with a decimal comma.
"""

from __future__ import annotations

import csv
import io
import re
from collections import Counter
from dataclasses import dataclass

import pandas as pd

DELIMITERS = (",", ";", "\t", "|")
QUOTES = ('"', "'")
SAMPLE_BYTES = 1 << 16
MIN_CONSISTENT = 0.9  # share of sample lines with the most common field count
_DECIMAL_COMMA = re.compile(r"^[+-]?(\d{1,3}(\.\d{3})+|\d+),\d+$")
_NAMES = {",": "','", ";": "';'", "\t": "tab", "|": "'|'"}


@dataclass(frozen=True)
class Dialect:
    """How a CSV file is written: what separates fields and what quotes them."""

    delimiter: str = ","
    quotechar: str = '"'
    escapechar: str | None = None  # '\\' where values write \" and \, (SAP HANA, MySQL)

    def describe(self, decimal: str = ".") -> str:
        """``delimiter ';', quote '"', decimal mark ','`` (what the run reports)."""
        escape = f", escape '{self.escapechar}'" if self.escapechar else ""
        return (
            f"delimiter {_NAMES.get(self.delimiter, repr(self.delimiter))}, quote "
            f"'{self.quotechar}'{escape}, decimal mark '{decimal}'"
        )


def _field_counts(lines: list[str], delimiter: str, quote: str) -> list[int]:
    reader = csv.reader(io.StringIO("\n".join(lines)), delimiter=delimiter, quotechar=quote)
    try:
        return [len(row) for row in reader if row]
    except csv.Error:
        return []


def sniff(sample: str) -> Dialect:
    """The dialect of a CSV file from its first ``SAMPLE_BYTES`` (decoded).

    Every (delimiter, quote) pair splits the sample's lines; the pair whose most common field
    count is above one and shared by at least ``MIN_CONSISTENT`` of the lines (the header
    among them) wins; ties go to the more usual pair (``,`` before ``;``, ``"`` before ``'``).
    """
    lines = sample.splitlines()
    if len(sample) >= SAMPLE_BYTES - 4 and len(lines) > 1:
        lines = lines[:-1]  # the last line of a cut sample may be incomplete
    best: tuple[tuple, Dialect] | None = None
    for rank, (delimiter, quote) in enumerate((d, q) for q in QUOTES for d in DELIMITERS):
        if quote != '"' and not _quotes_with(lines, delimiter, quote):
            continue
        counts = _field_counts(lines, delimiter, quote)
        if not counts:
            continue
        fields, hits = Counter(counts).most_common(1)[0]
        share = hits / len(counts)
        score = (fields > 1 and share >= MIN_CONSISTENT, counts[0] == fields, share, fields, -rank)
        if best is None or score > best[0]:
            best = (score, Dialect(delimiter, quote))
    return best[1] if best is not None and best[0][0] else Dialect()


def backslash_escapes(fh, dialect: Dialect, chunk: int = 1 << 20) -> bool:
    """Whether a text file escapes its quote or delimiter with a backslash inside values
    (``"known as \\"fine\\""``, ``Sweet\\, dark``): an odd run of backslashes before either,
    read in chunks. A file with MySQL's ``\\N`` NULL marks is left as it is (an escaping
    reader would make them the letter N)."""
    q, d = re.escape(dialect.quotechar), re.escape(dialect.delimiter)
    escaped = re.compile(rf"(?<!\\)(?:\\\\)*\\[{q}{d}]")
    null_mark = re.compile(rf"(?:^|{d})\\N(?:{d}|\r?$)", re.MULTILINE)
    pairs = ("\\" + dialect.quotechar, "\\" + dialect.delimiter)  # found fast, then checked
    found, tail = False, ""
    while text := fh.read(chunk):
        text, tail = tail + text, text[-8:]
        if "\\N" in text and null_mark.search(text):
            return False
        found = found or (any(p in text for p in pairs) and bool(escaped.search(text)))
    return found


def _quotes_with(lines: list[str], delimiter: str, quote: str) -> bool:
    """Whether some field of the sample starts with ``quote``."""
    pattern = re.compile(rf"(^|{re.escape(delimiter)}){re.escape(quote)}")
    return any(pattern.search(line) for line in lines)


def decimal_comma_columns(frame: pd.DataFrame, dialect: Dialect) -> list[str]:
    """Text columns whose every value is a number written with a decimal comma."""
    if dialect.delimiter == ",":
        return []
    found = []
    for col in frame.columns:
        values = frame[col].dropna()
        if (
            len(values)
            and values.map(type).eq(str).all()
            and values.str.match(_DECIMAL_COMMA).all()
        ):
            found.append(col)
    return found


def to_decimal_point(values: pd.Series) -> pd.Series:
    """``1.234,5`` -> ``1234.5``: a decimal-comma column as the text the typing step reads."""
    return values.str.replace(".", "", regex=False).str.replace(",", ".", regex=False)
