"""The holdout learner of your own data samples the fitted model once for all its tables."""

from __future__ import annotations

import warnings

import pytest

from synthgen_sdv.core.progress import QUIET
from synthgen_sdv.runs import from_user
from synthgen_sdv.runs.from_user import UserSource
from tests.conftest import ROOT


@pytest.mark.slow
def test_one_sample_serves_every_table(monkeypatch):
    calls = []
    real_sample = from_user.sample

    def counted(*args, **kwargs):
        calls.append(1)
        return real_sample(*args, **kwargs)

    monkeypatch.setattr(from_user, "sample", counted)
    source = UserSource(ROOT / "tests" / "data" / "corpus" / "pubs", seed=0)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        source.load(QUIET)
        modeled = source.default_tables()
        reference, meta, _root, learner = source.study_setup(modeled)
        tables = learner.sample(learner.fit(reference, "gaussian_copula"))
    assert len(meta["tables"]) > 3 and set(tables) == set(meta["tables"])
    assert len(calls) == 1  # was one sample per table
