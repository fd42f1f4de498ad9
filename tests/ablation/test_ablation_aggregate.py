"""Aggregation over seeds, with numbers worked out by hand."""

from __future__ import annotations

import math

import pytest

from synthgen_sdv.runs.ablation import aggregate, describe, render_markdown, table


def cell(seed, scale, candidates):
    return {"seed": seed, "scale": scale, "candidates": candidates, "rows": {}, "seconds": 1.0}


def ok(**metrics):
    return {"status": "ok", "metrics": metrics}


def test_describe_uses_the_sample_standard_deviation():
    got = describe([0.7, 0.8, 0.9])
    assert got["mean"] == pytest.approx(0.8)
    assert got["std"] == pytest.approx(0.1)  # sqrt((0.01 + 0 + 0.01) / 2)
    assert (got["min"], got["max"], got["n"]) == (0.7, 0.9, 3)
    assert describe([0.5]) == {"mean": 0.5, "std": 0.0, "min": 0.5, "max": 0.5, "n": 1}
    assert describe([])["mean"] is None


def test_aggregate_groups_by_scale_and_candidate_and_skips_blanks_and_failures():
    cells = [
        cell(1, 0.5, {"hma": ok(Quality=0.6, **{"fit s": 2.0}), "ceil": ok(Quality=0.9)}),
        cell(2, 0.5, {"hma": ok(Quality=0.8, **{"fit s": 4.0}), "ceil": ok(Quality=0.7)}),
        cell(3, 0.5, {"hma": {"status": "error", "error": "boom"}, "ceil": ok(Quality=0.8)}),
        cell(1, 1.0, {"hma": ok(Quality=0.5), "ceil": ok(Quality=1.0)}),
    ]
    rows = {(r["scale"], r["candidate"], r["metric"]): r for r in aggregate(cells)}
    q = rows[(0.5, "hma", "Quality")]
    assert q["mean"] == pytest.approx(0.7)
    assert q["std"] == pytest.approx(math.sqrt(0.02))
    assert (q["min"], q["max"], q["n"], q["failed"]) == (0.6, 0.8, 2, 1)
    assert rows[(0.5, "hma", "fit s")]["mean"] == pytest.approx(3.0)
    assert rows[(0.5, "ceil", "Quality")]["n"] == 3
    assert rows[(0.5, "ceil", "Quality")]["failed"] == 0
    assert rows[(1.0, "hma", "Quality")] == {
        "scale": 1.0,
        "candidate": "hma",
        "metric": "Quality",
        "mean": 0.5,
        "std": 0.0,
        "min": 0.5,
        "max": 0.5,
        "n": 1,
        "failed": 0,
    }
    # the ceiling has no fit time: no row, rather than a mean of zeros
    assert (0.5, "ceil", "fit s") not in rows
    # grid order: scales ascending, candidates as they first appeared
    order = list(dict.fromkeys((r["scale"], r["candidate"]) for r in aggregate(cells)))
    assert order == [(0.5, "hma"), (0.5, "ceil"), (1.0, "hma"), (1.0, "ceil")]


def test_a_candidate_that_always_failed_is_still_listed_as_failed():
    cells = [cell(s, 1.0, {"x": {"status": "error", "error": "no"}}) for s in (1, 2)]
    (row,) = aggregate(cells)
    assert (row["candidate"], row["mean"], row["n"], row["failed"]) == ("x", None, 0, 2)


def test_markdown_shows_mean_plus_minus_std_and_the_failures():
    cells = [
        cell(1, 1.0, {"hma": ok(Quality=0.6), "gc": {"status": "error", "error": "Err: x\nmore"}}),
        cell(2, 1.0, {"hma": ok(Quality=0.8), "gc": ok(Quality=0.5)}),
    ]
    doc = {
        "grid": {
            "seeds": [1, 2],
            "scales": [1.0],
            "synthesizers": ["hma", "gc"],
            "baseline": False,
            "holdout_fraction": 0.2,
            "candidates": ["hma", "gc"],
            "cells": 2,
        },
        "seconds": 3.0,
        "cells": cells,
        "aggregates": aggregate(cells),
        "machine": {"cores": 2, "os": "x", "python": "3.11"},
        "versions": {"sdv": "1.37.4"},
    }
    md = render_markdown(doc)
    assert "| 1 | hma | 0.700 ± 0.141 |" in md
    assert "| 1 | gc | 0.500 | n/a |" in md  # one seed: no ± shown
    assert "- seed 1, scale 1, gc: `Err: x`" in md
    assert table(doc)[(1.0, "gc")]["Quality"]["failed"] == 1
