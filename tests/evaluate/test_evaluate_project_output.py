"""compare() on the project's own generated output folder (all tables, its SDV metadata)."""

from __future__ import annotations

import pytest

from synthgen_sdv.evaluate.loading import read_output_folder
from synthgen_sdv.evaluate.report import CEILING, compare
from synthgen_sdv.evaluate.split import referential_integrity, split_by_root


def test_compare_on_the_default_generated_output(default_output, tmp_path):
    folder = read_output_folder(default_output)
    split = split_by_root(folder.data, folder.metadata, 0.2, seed=0)
    assert split.info["root_table"] == "customers"  # the data subject, not stores or dates
    for part in (split.train, split.holdout):
        per = referential_integrity(part, folder.metadata).values()
        assert all(v["share_resolved"] in (1.0, None) for v in per)
    report = compare(
        split.train,
        split.holdout,
        {"copy": split.train},
        folder.metadata,
        tmp_path,
        metrics=["quality", "referential_integrity", "dcr_ratio"],
        scope="held_out",
        make_plots=False,
        progress=lambda _m: None,
    )
    opts = report.data["options"]
    assert opts["root_table"] == "customers"
    assert set(opts["scored_tables"]) >= {"customers", "orders", "transactions"}
    assert "stores" not in opts["scored_tables"]
    assert report.summary["copy"]["RI (worst)"] == 1.0
    assert report.summary["copy"]["DCR ratio"] < 0.2
    assert report.summary[CEILING]["Quality"] == pytest.approx(report.summary["copy"]["Quality"])
