"""The process's memory, read and handed back: what keeps a long run (generation, then the lineage
pipeline) flat, and what ``-v`` reports per stage (``stage``).

``tracemalloc`` sees neither numpy, Arrow nor DuckDB, so the numbers come from the kernel: the
resident set (VmRSS) and its high-water mark (VmHWM), which ``stage`` resets after reading so
each stage reports its own peak. On systems without /proc the numbers are absent, not guessed.
"""

from __future__ import annotations

import contextlib
import ctypes
import gc
import logging
from pathlib import Path

import pyarrow as pa

LOG = logging.getLogger("synthgen_sdv.memory")
_STATUS = Path("/proc/self/status")
_CLEAR_REFS = Path("/proc/self/clear_refs")


def _status_mb(field: str) -> float | None:
    try:
        text = _STATUS.read_text()
    except OSError:
        return None
    for line in text.splitlines():
        if line.startswith(field + ":"):
            return int(line.split()[1]) / 1024
    return None


def rss_mb() -> float | None:
    """The resident memory of this process now, in MB (None: not on Linux)."""
    return _status_mb("VmRSS")


def take_peak_mb() -> float | None:
    """The peak resident memory since the last call (or the start), in MB; resets the peak."""
    peak = _status_mb("VmHWM")
    with contextlib.suppress(OSError):
        _CLEAR_REFS.write_text("5")  # 5: reset the high-water mark to the current RSS
    return peak


def release_memory(collect: bool = True) -> None:
    """Hand freed memory back to the system between stages: unreachable Python objects
    (``collect``: a full garbage collection, 0.05-0.2 s, worth it after large kept tables),
    the Arrow pool's unused pages and glibc's free lists, which the process otherwise keeps
    (and a later stage, such as DuckDB's buffer pool, would come on top of)."""
    if collect:
        gc.collect()
    pa.default_memory_pool().release_unused()
    with contextlib.suppress(OSError, AttributeError):  # not glibc: nothing to trim
        ctypes.CDLL("libc.so.6").malloc_trim(0)


def stage(name: str, **extra_mb: float) -> None:
    """Log (debug, shown with ``-v``) the memory at the end of stage ``name``: resident now,
    its peak since the previous stage, and ``extra_mb`` parts (kept tables, DuckDB, ...)."""
    if not LOG.isEnabledFor(logging.DEBUG):
        return
    now, peak = rss_mb(), take_peak_mb()
    if now is None or peak is None:
        return
    parts = "".join(f", {k.replace('_', ' ')} {v:,.0f} MB" for k, v in extra_mb.items())
    arrow = pa.total_allocated_bytes() / 2**20
    LOG.debug(f"{name}: RSS {now:,.0f} MB, peak {peak:,.0f} MB, Arrow {arrow:,.0f} MB{parts}")
