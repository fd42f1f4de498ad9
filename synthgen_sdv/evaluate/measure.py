"""Measures wall time and peak memory of a block, for the ``resources`` metric of a comparison.

Usage::

    with measure() as fit_stats:
        synthesizer.fit(train)
    with measure() as sample_stats:
        data = synthesizer.sample(scale)
    stats = combine(fit=fit_stats, sample=sample_stats)  # -> candidate_stats[name]

Peak memory is the resident set size (RSS) of this process and its child processes, polled
by a background thread every ``interval`` seconds: a spike shorter than the interval can be
missed, and the number includes what the process held before the block (``baseline_mb``).
"""

from __future__ import annotations

import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any


def _rss_bytes(proc) -> int:
    import psutil

    total = proc.memory_info().rss
    for child in proc.children(recursive=True):
        try:
            total += child.memory_info().rss
        except psutil.Error:  # a worker that just exited
            continue
    return total


@contextmanager
def measure(interval: float = 0.05) -> Iterator[dict[str, Any]]:
    """Yield a dict that, after the block, holds seconds, peak_memory_mb and baseline_mb."""
    import psutil

    proc = psutil.Process()
    baseline = _rss_bytes(proc)
    peak = [baseline]
    stop = threading.Event()

    def poll() -> None:
        while not stop.wait(interval):
            peak[0] = max(peak[0], _rss_bytes(proc))

    thread = threading.Thread(target=poll, name="measure-rss", daemon=True)
    stats: dict[str, Any] = {}
    start = time.perf_counter()
    thread.start()
    try:
        yield stats
    finally:
        seconds = time.perf_counter() - start
        stop.set()
        thread.join()
        peak[0] = max(peak[0], _rss_bytes(proc))
        stats.update(
            seconds=round(seconds, 3),
            peak_memory_mb=round(peak[0] / 2**20, 1),
            baseline_mb=round(baseline / 2**20, 1),
        )


def combine(fit: dict[str, Any] | None = None, sample: dict[str, Any] | None = None) -> dict:
    """``candidate_stats`` for ``compare`` from the ``measure`` dicts of fit and sample."""
    out: dict[str, Any] = {}
    if fit:
        out["fit_seconds"] = fit["seconds"]
    if sample:
        out["sample_seconds"] = sample["seconds"]
    peaks = [s["peak_memory_mb"] for s in (fit, sample) if s]
    if peaks:
        out["peak_memory_mb"] = max(peaks)
    out["total_seconds"] = round(out.get("fit_seconds", 0) + out.get("sample_seconds", 0), 3)
    return out
