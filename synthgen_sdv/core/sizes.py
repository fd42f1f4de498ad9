"""Sizes in bytes as people write them ('8GB', '512 MiB', '75%') and as we print them."""

from __future__ import annotations

import math
import re
from dataclasses import dataclass

from synthgen_sdv.core.errors import InputError

_UNITS = {
    "": 1,
    "b": 1,
    "k": 1000,
    "kb": 1000,
    "kib": 2**10,
    "m": 1000**2,
    "mb": 1000**2,
    "mib": 2**20,
    "g": 1000**3,
    "gb": 1000**3,
    "gib": 2**30,
    "t": 1000**4,
    "tb": 1000**4,
    "tib": 2**40,
}
_SIZE = re.compile(r"\s*([0-9]*\.?[0-9]+(?:[eE][+-]?[0-9]+)?)\s*([a-zA-Z]*|%)\s*")


@dataclass(frozen=True)
class Size:
    """A size: ``bytes``, or a ``fraction`` of something known later (available memory)."""

    bytes: int | None = None
    fraction: float | None = None

    def of(self, total: int) -> int:
        """The size in bytes, a fraction taken of ``total``."""
        return self.bytes if self.bytes is not None else int((self.fraction or 0.0) * total)

    def __str__(self) -> str:
        if self.bytes is not None:
            return human_bytes(self.bytes)
        return f"{(self.fraction or 0.0) * 100:g}%"


def parse_size(text: str | int | float, what: str = "size") -> Size:
    """'8GB' (powers of 1000), '8GiB' (powers of 1024), '75%' (of available memory) or a plain
    number of bytes; anything else raises InputError naming ``what``."""
    if isinstance(text, bool):
        raise InputError(f"{what}: expected a size like 8GB, 512MiB or 75%, got {text!r}")
    if isinstance(text, int | float):
        text = str(text)
    match = _SIZE.fullmatch(str(text))
    if match is None:
        raise InputError(f"{what}: expected a size like 8GB, 512MiB or 75%, got {text!r}")
    number, unit = float(match.group(1)), match.group(2).lower()
    if not math.isfinite(number) or number <= 0:
        raise InputError(f"{what}: must be a positive size, got {text!r}")
    if unit == "%":
        if number > 100:
            raise InputError(f"{what}: a percentage of available memory is at most 100%")
        return Size(fraction=number / 100)
    if unit not in _UNITS:
        raise InputError(
            f"{what}: unknown unit {match.group(2)!r} in {text!r}; use B, KB, MB, GB, TB "
            "(or KiB, MiB, GiB, TiB) or %"
        )
    return Size(bytes=int(number * _UNITS[unit]))


def human_bytes(n: float) -> str:
    """1234567 -> '1.2 MB' (powers of 1000, as disks and the estimate line count)."""
    for unit in ("B", "KB", "MB", "GB", "TB", "PB"):
        if abs(n) < 1000 or unit == "PB":
            return f"{n:,.0f} {unit}" if unit == "B" else f"{n:,.1f} {unit}"
        n /= 1000
    return f"{n:,.1f} PB"  # pragma: no cover - the loop returns
