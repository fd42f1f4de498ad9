"""measure(): wall time and peak RSS of a block; combine() shapes them for compare()."""

from __future__ import annotations

import time

import numpy as np

from synthgen_sdv.evaluate.measure import combine, measure


def test_measure_sees_time_and_a_memory_peak():
    with measure(interval=0.01) as stats:
        block = np.ones(80 * 2**20 // 8)  # 80 MB, touched so it is resident
        time.sleep(0.1)
        del block
    assert stats["seconds"] >= 0.1
    assert stats["peak_memory_mb"] - stats["baseline_mb"] > 60


def test_combine_sums_time_and_keeps_the_higher_peak():
    fit = {"seconds": 2.0, "peak_memory_mb": 300.0, "baseline_mb": 100.0}
    sample = {"seconds": 0.5, "peak_memory_mb": 250.0, "baseline_mb": 100.0}
    assert combine(fit=fit, sample=sample) == {
        "fit_seconds": 2.0,
        "sample_seconds": 0.5,
        "peak_memory_mb": 300.0,
        "total_seconds": 2.5,
    }
