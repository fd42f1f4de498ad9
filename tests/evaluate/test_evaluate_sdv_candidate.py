"""compare() on a real SDV HMA sample: SDV's own dtypes and keys pass through every metric."""

from __future__ import annotations

import time
import warnings

import pytest
from evaluate_shop import make_shop

from synthgen_sdv.evaluate.report import CEILING, compare
from synthgen_sdv.evaluate.split import referential_integrity, split_by_root


@pytest.mark.slow
def test_compare_scores_a_real_hma_sample(metadata, tmp_path):
    from sdv.metadata import Metadata
    from sdv.multi_table import HMASynthesizer

    split = split_by_root(make_shop(90, seed=1), metadata, 0.3, seed=0)
    start = time.perf_counter()
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        synth = HMASynthesizer(Metadata.load_from_dict(metadata), verbose=False)
        synth.fit(split.train)
        sample = synth.sample(scale=1.0)
    seconds = time.perf_counter() - start
    report = compare(
        split.train,
        split.holdout,
        {"hma": sample},
        metadata,
        tmp_path,
        candidate_stats={"hma": {"total_seconds": seconds}},
        make_plots=False,
        progress=lambda _m: None,
    )
    hma, ceiling = report.summary["hma"], report.summary[CEILING]
    assert all(v["share_resolved"] == 1.0 for v in referential_integrity(sample, metadata).values())
    assert hma["RI (worst)"] == 1.0
    assert 0.4 < hma["Quality"] <= 1.0
    assert 0.0 <= hma["Column Shapes"] <= 1.0
    assert hma["DCR ratio"] is not None and hma["DCR ratio"] > 0.2  # HMA does not copy rows
    # on 27 held-out customers "closer to train" is noisy: only its range is checked here
    assert hma["DCR overfitting"] is not None and 0.0 <= hma["DCR overfitting"] <= 1.0
    assert hma["ML synth"] is not None and ceiling["ML real"] == hma["ML real"]
    assert hma["time s"] == pytest.approx(seconds)
