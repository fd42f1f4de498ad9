"""Scores synthetic multi-table datasets against a real holdout (SDMetrics, RI, per-column
spikes, ML, privacy), and a run's written output against the data it was fitted on.

Public API (a dataset is ``dict[str, pandas.DataFrame]``; metadata is SDV's multi-table dict or
``Metadata``)::

    from synthgen_sdv.evaluate import compare, split_by_root, subsample_by_root

    split = split_by_root(real, metadata, holdout_fraction=0.2, seed=0)  # .train .holdout .info
    # ... fit candidates on split.train only, sample them ...
    report = compare(split.train, split.holdout, {"hma": hma_data}, metadata, "OUT/reports",
                     candidate_stats={"hma": {"fit_seconds": 75.0, "sample_seconds": 90.0,
                                              "peak_memory_mb": 1800.0}},
                     split_info=split.info, reference_label="the rule-based bootstrap",
                     written=WrittenOutput(data=written_tables, fitted_on=real))
    report.summary["hma"]["Quality"]; report.headline; report.written_summary

    # measuring the candidate for the resources metric:
    with measure() as fit_stats:
        model.fit(split.train)
    with measure() as sample_stats:
        hma_data = model.sample(1.0)
    candidate_stats = {"hma": combine(fit=fit_stats, sample=sample_stats)}

Modules: ``split`` (split / subsample by root entity), ``metrics/`` (the ``METRICS`` registry:
a base module and one module per family), ``report`` (``compare``, comparison.json, .md,
.html), ``report_schema`` (its JSON Schema), ``headline`` (the sentence a report opens with),
``notes`` (its "Read with care" cautions), ``markdown`` (what the report shows, and the
Markdown table helpers), ``document`` (blocks rendered to Markdown and self-contained HTML),
``plots`` (PNGs and the matplotlib helpers), ``loading`` (read an output folder),
``relations`` (the table graph of the metadata), ``measure`` (time and peak RSS), ``scoring``
(one section's entries and their shared work), ``parallel`` (its scoring and plotting jobs in
forked workers: the same report for any worker count).
"""

from synthgen_sdv.evaluate.measure import combine, measure
from synthgen_sdv.evaluate.report import ComparisonReport, WrittenOutput, compare
from synthgen_sdv.evaluate.split import Sample, Split, split_by_root, subsample_by_root

__all__ = [
    "ComparisonReport",
    "Sample",
    "Split",
    "WrittenOutput",
    "combine",
    "compare",
    "measure",
    "split_by_root",
    "subsample_by_root",
]
