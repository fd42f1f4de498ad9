"""Limits on what a config may ask for, in one place, so that every input is bounded.

A config file is input we cannot trust to be careful (nor always benign). Each limit turns what
would otherwise hang, exhaust memory or crash (an alias bomb, ``10**10**10``, ``'x' * 10**9``, a
format padded to a gigabyte) into a config error naming the YAML path, found before any work
starts. The limits are far above what a real config needs; README.md ("Limits") lists them.
"""

from __future__ import annotations

import json
import math
import os
import re
import stat
from pathlib import Path
from typing import Any

from synthgen_sdv.core.errors import InputError

#: a configuration file (tables.yml, config.yaml, lineage.yml) larger than this is refused
MAX_YAML_BYTES = 10 * 2**20
#: nesting of YAML mappings and lists
MAX_YAML_DEPTH = 64
#: YAML nodes once every alias is expanded (what the models would have to walk)
MAX_YAML_NODES = 200_000

#: characters of one expression
MAX_EXPRESSION_CHARS = 2_000
#: syntax-tree nodes of one expression
MAX_EXPRESSION_NODES = 500
#: nesting of one expression's syntax tree
MAX_EXPRESSION_DEPTH = 50
#: characters of any text value an expression or a format makes
MAX_TEXT_CHARS = 10_000
#: bits of an integer an expression computes (2**4096 has 1,234 digits)
MAX_INT_BITS = 4_096
#: decimal places ``round`` may be asked for (either sign)
MAX_ROUND_DIGITS = 100

#: a JSON document we read back (schema_metadata.json, labels.json, a marker, a manifest)
MAX_JSON_BYTES = 256 * 2**20

#: width and precision in a format spec (``{x:>100}``) or a strftime directive (``%0100Y``)
MAX_FORMAT_WIDTH = 100
#: characters of a strftime format or a format template
MAX_FORMAT_CHARS = 200

# the format-spec mini-language: [[fill]align][sign][z][#][0][width][grouping][.precision][type]
_SPEC = re.compile(
    r"(?:(?P<fill>.)?(?P<align>[<>=^]))?(?P<sign>[-+ ])?z?#?0?(?P<width>\d+)?[_,]?"
    r"(?:\.(?P<precision>\d+))?(?P<type>[bcdeEfFgGnosxX%])?",
    re.DOTALL,
)
_STRFTIME_WIDTH = re.compile(r"%[-_0^#]*(\d+)")


def format_spec_problem(spec: str) -> str | None:
    """Why a ``format()`` spec is refused (a width or precision beyond the limit), or None."""
    match = _SPEC.fullmatch(spec)
    if match is None:
        return None  # not a spec we can read: format() itself reports what is wrong with it
    for part in ("width", "precision"):
        value = match.group(part)
        if value is not None and int(value) > MAX_FORMAT_WIDTH:
            limit = MAX_FORMAT_WIDTH
            return f"format spec {spec!r}: {part} {int(value)} is above the limit of {limit}"
    return None


def strftime_problem(fmt: str) -> str | None:
    """Why a strftime format is refused (too long, or a padded directive too wide), or None."""
    if len(fmt) > MAX_FORMAT_CHARS:
        return f"date format is {len(fmt)} characters long; the limit is {MAX_FORMAT_CHARS}"
    for width in _STRFTIME_WIDTH.findall(fmt):
        if int(width) > MAX_FORMAT_WIDTH:
            return (
                f"date format {fmt!r}: width {int(width)} is above the limit of {MAX_FORMAT_WIDTH}"
            )
    return None


def int_bits_problem(bits: float) -> str | None:
    """Why an integer of about ``bits`` bits is refused, or None."""
    if bits > MAX_INT_BITS:
        digits = int(bits * math.log10(2)) + 1
        return (
            f"the result would have about {digits:,} digits; integers in expressions are "
            f"limited to {MAX_INT_BITS} bits"
        )
    return None


class UnreadableFile(InputError):
    """A file refused before it is read whole (its message names no path: callers add it)."""


def read_text_file(path: str | Path, limit: int, encoding: str = "utf-8") -> str:
    """The text of a file of at most ``limit`` bytes, never read past the limit.

    Only a regular file is opened: a FIFO would block, a device (``/dev/zero``, a symlink to
    it) or a ``/proc`` file may never end or report size 0; ``stat`` follows symlinks, so a
    link to one is refused too. Raises ``FileNotFoundError`` / ``OSError`` as ``open`` does,
    and ``UnreadableFile`` for a file that is too large, not a regular file or not text."""
    info = os.stat(path)
    if stat.S_ISDIR(info.st_mode):
        raise IsADirectoryError(21, "is a folder, not a file", str(path))
    if not stat.S_ISREG(info.st_mode):
        raise UnreadableFile(
            "not a regular file (a FIFO, socket or device); refused, since reading it might "
            "block or never end"
        )
    if info.st_size > limit:
        raise UnreadableFile(f"file is {info.st_size:,} bytes; the limit is {limit:,}")
    with open(path, "rb") as fh:
        data = fh.read(limit + 1)
    if len(data) > limit:
        raise UnreadableFile(f"file is over {limit:,} bytes; the limit is {limit:,}")
    try:
        return data.decode(encoding)
    except UnicodeDecodeError as exc:
        line = data.count(b"\n", 0, exc.start) + 1
        raise UnreadableFile(
            f"not {encoding.upper()} text: byte 0x{data[exc.start]:02x} on line {line} "
            f"(byte offset {exc.start:,}); save the file as {encoding.upper()}"
        ) from None


def parse_json(text: str | bytes) -> Any:
    """``json.loads``, where a document nested too deeply for the decoder (``[[[[...]]]]``
    100,000 deep) is a ``ValueError`` like any other invalid JSON, not a RecursionError."""
    try:
        return json.loads(text)
    except RecursionError:
        raise ValueError("JSON nested too deeply to read") from None
