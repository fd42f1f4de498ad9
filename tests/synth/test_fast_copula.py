"""The fast table copulas and one-to-one children: stock's results, without stock's loops."""

from __future__ import annotations

import logging
import warnings

import numpy as np
import pandas as pd
import pytest
from copulas.multivariate import GaussianMultivariate
from scipy import stats
from sdv.metadata import Metadata
from sdv.multi_table import HMASynthesizer

from synthgen_sdv.synth import fastmath
from synthgen_sdv.synth.fast_copula import (
    FastGaussianMultivariate,
    MomentCopulaSynthesizer,
    MomentTruncatedGaussian,
    sampling_factor,
    univariate_parameters,
)
from synthgen_sdv.synth.fast_hma import FastHMASynthesizer

NORMAL = "copulas.univariate.GaussianUnivariate"


def _frame(n: int = 300, seed: int = 1) -> pd.DataFrame:
    rng = np.random.default_rng(seed)
    x = rng.normal(size=n)
    return pd.DataFrame(
        {
            "x": x,
            "y": 2 * x + rng.normal(size=n),
            "z": rng.gamma(2.0, size=n),
            "w": rng.uniform(size=n),
        }
    )


@pytest.mark.parametrize("wide", [False, True])  # True: the one-product correlation
@pytest.mark.parametrize("rows", [300, 8])  # 8 rows of 30 columns: a singular matrix
def test_correlation_equals_copulas(rows, wide, monkeypatch):
    if wide:
        monkeypatch.setattr(fastmath, "WIDE_CORRELATION", 0)
    rng = np.random.default_rng(rows)
    data = pd.DataFrame(rng.normal(size=(rows, 30))).add_prefix("c")
    data["c1"] = data["c0"] * 2  # perfectly correlated pair
    stock, fast = GaussianMultivariate(NORMAL), FastGaussianMultivariate(NORMAL)
    for model in (stock, fast):
        model.fit(data)
    pd.testing.assert_frame_equal(fast.correlation, stock.correlation, rtol=1e-12, atol=1e-12)


def test_batched_truncnorm_scores_equal_per_column_scores():
    data = _frame(200)
    data["const"] = 3.0  # a constant column keeps copulas' step function
    dist = {c: MomentTruncatedGaussian for c in data.columns}
    dist["w"] = NORMAL  # a column outside the batch
    stock, fast = GaussianMultivariate(dist), FastGaussianMultivariate(dist)
    for model in (stock, fast):
        model.fit(data)
    np.testing.assert_allclose(
        fast._transform_to_normal(data), stock._transform_to_normal(data), rtol=1e-12
    )
    pd.testing.assert_frame_equal(fast.correlation, stock.correlation, rtol=1e-12, atol=1e-12)


def test_batched_truncnorm_draws_equal_per_column_quantiles():
    data = _frame(200)
    data["const"] = 3.0
    dist = {c: MomentTruncatedGaussian for c in data.columns}
    dist["w"] = NORMAL
    fast = FastGaussianMultivariate(dist)
    fast.fit(data)
    np.random.seed(1)
    got = fast.sample(100)
    np.random.seed(1)
    uniform = stats.norm.cdf(fast._normal_draws(100))
    for j, (column, univariate) in enumerate(zip(fast.columns, fast.univariates, strict=True)):
        np.testing.assert_array_equal(got[column], univariate.percent_point(uniform[:, j]))
    assert (got["const"] == 3.0).all()


@pytest.mark.parametrize("rank", [40, 7])
def test_sampling_factor_is_a_square_root(rank):
    rng = np.random.default_rng(rank)
    z = rng.normal(size=(rank + 1, 40))
    corr = np.nan_to_num(np.corrcoef(z.T))
    factor = sampling_factor(corr)
    np.testing.assert_allclose(factor.T @ factor, corr, atol=1e-9)


def test_draws_follow_the_correlation_and_repeat_with_the_seed():
    data = _frame(2000)
    fast = FastGaussianMultivariate(NORMAL)
    fast.fit(data)
    np.random.seed(4)
    first = fast._get_normal_samples(20000, None)
    np.testing.assert_allclose(first.corr().to_numpy(), fast.correlation.to_numpy(), atol=0.03)
    np.random.seed(4)
    pd.testing.assert_frame_equal(fast._get_normal_samples(20000, None), first, check_exact=True)
    fast.fit(_frame(2000, seed=2))  # refitted: a new matrix, a new factor
    again = fast._get_normal_samples(20000, None)
    np.testing.assert_allclose(again.corr().to_numpy(), fast.correlation.to_numpy(), atol=0.03)


def test_univariate_parameters_are_stocks_univariate_entries():
    metadata = Metadata.detect_from_dataframe(_frame(), "t")
    synthesizer = MomentCopulaSynthesizer(metadata, default_distribution="truncnorm")
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        synthesizer.fit(_frame())
    stock = {k: v for k, v in synthesizer._get_parameters().items() if "univariates" in k}
    assert univariate_parameters(synthesizer) == stock


def test_moment_truncnorm_columns_keep_scipys_values():
    metadata = Metadata.detect_from_dataframe(_frame(), "t")
    synthesizer = MomentCopulaSynthesizer(metadata, default_distribution="truncnorm")
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        synthesizer.fit(_frame())
    for univariate in synthesizer._model.univariates:
        params = univariate._params
        x = np.linspace(
            params["loc"] - 3 * params["scale"], params["loc"] + 3 * params["scale"], 31
        )
        np.testing.assert_allclose(
            univariate.cdf(x), stats.truncnorm.cdf(x, **params), rtol=1e-9, atol=1e-12
        )
        q = np.linspace(0.001, 0.999, 31)
        np.testing.assert_allclose(
            univariate.percent_point(q), stats.truncnorm.ppf(q, **params), rtol=1e-9, atol=1e-12
        )


def test_clear_nans_fills_as_stock_does():
    rng = np.random.default_rng(0)
    frame = pd.DataFrame(
        {
            "a": rng.normal(size=20),
            "b": [np.nan] * 20,
            "c": rng.normal(size=20),
            "d": list("xyxyxyxyxyxyxyxyxyxy"),
            "fk": rng.integers(0, 5, 20).astype(float),
        }
    )
    frame.loc[[1, 4], "a"] = np.nan
    frame.loc[[2], "d"] = None
    frame.loc[[3], "fk"] = np.nan
    stock, fast = frame.copy(), frame.copy()
    HMASynthesizer._clear_nans(stock, ignore_cols=["fk"])
    FastHMASynthesizer._clear_nans(fast, ignore_cols=["fk"])
    pd.testing.assert_frame_equal(fast, stock)


@pytest.fixture(scope="module")
def one_to_one():
    rng = np.random.default_rng(5)
    n = 60
    parents = pd.DataFrame(
        {"pid": np.arange(n), "size": rng.normal(10, 2, n), "kind": rng.choice(["a", "b"], n)}
    )
    has = np.sort(rng.choice(n, 40, replace=False))  # 40 of the 60 parents have a child
    info = pd.DataFrame(
        {"pid": has, "score": parents["size"].to_numpy()[has] * 3 + rng.normal(0, 1, 40)}
    )
    metadata = Metadata.load_from_dict(
        {
            "tables": {
                "parent": {
                    "primary_key": "pid",
                    "columns": {
                        "pid": {"sdtype": "id"},
                        "size": {"sdtype": "numerical"},
                        "kind": {"sdtype": "categorical"},
                    },
                },
                "info": {
                    "primary_key": "pid",
                    "columns": {"pid": {"sdtype": "id"}, "score": {"sdtype": "numerical"}},
                },
            },
            "relationships": [
                {
                    "parent_table_name": "parent",
                    "parent_primary_key": "pid",
                    "child_table_name": "info",
                    "child_foreign_key": "pid",
                }
            ],
        }
    )
    return {"parent": parents, "info": info}, metadata


def test_one_to_one_child_is_modeled_in_closed_form(one_to_one, caplog):
    tables, metadata = one_to_one
    model = FastHMASynthesizer(metadata, shrinkage=5.0)
    with warnings.catch_warnings(), caplog.at_level(logging.WARNING):
        warnings.simplefilter("ignore")
        model.fit(tables)
    assert "per-parent loop" not in caplog.text
    assert ("info", "pid") in model._fast_columns
    np.random.seed(0)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        out = model.sample(scale=1.0)
    info, parent = out["info"], out["parent"]
    assert info["pid"].is_unique  # one row per parent at most
    assert set(info["pid"]) <= set(parent["pid"])
    assert len(info) == 40
    # the child's value is a parameter of its parent's row: within the real range
    assert (
        info["score"]
        .between(tables["info"]["score"].min() - 1e-6, tables["info"]["score"].max() + 1e-6)
        .all()
    )


def test_one_to_one_parameters_equal_stocks(one_to_one):
    """With shrinkage 0 each parent's loc is its child's value, as stock's one-row copula."""
    tables, metadata = one_to_one
    augmented = {}
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        for cls in (HMASynthesizer, FastHMASynthesizer):
            model = cls(metadata, verbose=False)
            augmented[cls.__name__] = model._augment_tables(model.preprocess(tables))["parent"]
    stock, fast = augmented["HMASynthesizer"], augmented["FastHMASynthesizer"]
    for col in ("__info__pid__univariates__score__loc", "__info__pid__num_rows"):
        np.testing.assert_allclose(fast[col].to_numpy(float), stock[col].to_numpy(float))


def test_a_beta_child_column_is_modeled_per_parent_in_closed_form(caplog):
    rng = np.random.default_rng(8)
    parents = pd.DataFrame({"pid": np.arange(40), "size": rng.normal(10, 2, 40)})
    fk = rng.integers(0, 40, 300)
    kids = pd.DataFrame({"kid": np.arange(300), "pid": fk, "x": rng.beta(2, 5, 300) * 10})
    metadata = Metadata.load_from_dict(
        {
            "tables": {
                "parent": {
                    "primary_key": "pid",
                    "columns": {"pid": {"sdtype": "id"}, "size": {"sdtype": "numerical"}},
                },
                "kid": {
                    "primary_key": "kid",
                    "columns": {
                        "kid": {"sdtype": "id"},
                        "pid": {"sdtype": "id"},
                        "x": {"sdtype": "numerical"},
                    },
                },
            },
            "relationships": [
                {
                    "parent_table_name": "parent",
                    "parent_primary_key": "pid",
                    "child_table_name": "kid",
                    "child_foreign_key": "pid",
                }
            ],
        }
    )
    model = FastHMASynthesizer(metadata)
    model.set_table_parameters("kid", {"default_distribution": "beta"})
    with warnings.catch_warnings(), caplog.at_level(logging.INFO):
        warnings.simplefilter("ignore")
        model.fit({"parent": parents, "kid": kids})
        np.random.seed(0)
        out = model.sample(scale=1.0)
    assert "per-parent loop" not in caplog.text
    assert model._fast_columns[("kid", "pid")][1] == ["truncnorm"]
    assert set(out["kid"]["pid"]) <= set(out["parent"]["pid"])
    assert out["kid"]["x"].between(kids["x"].min() - 1e-6, kids["x"].max() + 1e-6).all()
