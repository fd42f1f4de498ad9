"""The fast HMA learns what stock HMA learns (where it should) and samples valid data."""

from __future__ import annotations

import warnings

import numpy as np
import pandas as pd
import pytest
from sdv.metadata import Metadata
from sdv.multi_table import HMASynthesizer
from sdv.single_table import GaussianCopulaSynthesizer

from synthgen_sdv.synth.fast_hma import (
    EPSILON,
    FastHMASynthesizer,
    _nearest_correlation,
    per_parent_parameters,
)
from synthgen_sdv.synth.prepare import prepare_for_fit

MODELED = ["customers", "orders", "transactions"]


@pytest.fixture(scope="module")
def augmented(tiny):
    """Stock and fast HMA's augmented tables from the same preprocessed data."""
    tables, md = tiny
    prepared = prepare_for_fit(tables, md.to_dict(), MODELED)
    metadata = Metadata.load_from_dict(prepared.model_metadata)
    out = {}
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        for cls in (HMASynthesizer, FastHMASynthesizer):
            model = cls(metadata, verbose=False)
            processed = model.preprocess(prepared.model_tables)
            out[cls.__name__] = (model, model._augment_tables(processed))
    return out


def test_same_extension_columns_and_child_counts(augmented):
    _, stock = augmented["HMASynthesizer"]
    _, fast = augmented["FastHMASynthesizer"]
    for table in ("orders", "customers"):
        assert list(fast[table].columns) == list(stock[table].columns)
        assert fast[table].index.equals(stock[table].index)
    for key in ("__transactions__order_id__num_rows", "__orders__customer_id__num_rows"):
        table = "orders" if "transactions" in key else "customers"
        np.testing.assert_array_equal(fast[table][key], stock[table][key])


def test_norm_marginals_and_correlations_equal_stock(augmented):
    """transactions per order use 'norm' (stock's child default): equal to float rounding."""
    _, stock = augmented["HMASynthesizer"]
    _, fast = augmented["FastHMASynthesizer"]
    cols = [c for c in stock["orders"].columns if c.startswith("__transactions__order_id__")]
    assert any("correlation" in c for c in cols) and any(c.endswith("__loc") for c in cols)
    np.testing.assert_allclose(
        fast["orders"][cols].to_numpy(float),
        stock["orders"][cols].to_numpy(float),
        rtol=1e-7,
        atol=1e-9,
    )


def test_truncnorm_same_bounds_documented_difference(augmented):
    """Extended columns use 'truncnorm': same support bounds; loc/scale are moments, not MLE."""
    _, stock = augmented["HMASynthesizer"]
    _, fast = augmented["FastHMASynthesizer"]
    c = stock["customers"]
    f = fast["customers"]
    prefix = "__orders__customer_id__univariates____transactions__order_id__num_rows__"
    for frame in (c, f):
        lo = frame[prefix + "loc"] + frame[prefix + "a"] * frame[prefix + "scale"]
        hi = frame[prefix + "loc"] + frame[prefix + "b"] * frame[prefix + "scale"]
        frame_bounds = pd.DataFrame({"lo": lo, "hi": hi})
        if frame is c:
            stock_bounds = frame_bounds
        else:
            fast_bounds = frame_bounds
    # one-order customers get HMA's mean-filled scale, constant groups have a == b
    live = (c["__orders__customer_id__num_rows"] >= 2) & (c[prefix + "a"] != c[prefix + "b"])
    assert live.sum() >= 5
    np.testing.assert_allclose(fast_bounds[live], stock_bounds[live], rtol=1e-6, atol=1e-5)
    # the norm columns of orders per customer are still exactly stock's
    norm_cols = [
        x
        for x in c.columns
        if x.startswith("__orders__customer_id__univariates__")
        and "____" not in x
        and x.endswith(("__loc", "__scale"))
    ]
    assert norm_cols
    np.testing.assert_allclose(
        f[norm_cols].to_numpy(float), c[norm_cols].to_numpy(float), rtol=1e-7, atol=1e-9
    )


def test_per_parent_parameters_match_gaussian_copula_per_group():
    """Direct check against one GaussianCopula fit per group (what stock does)."""
    rng = np.random.default_rng(0)
    sizes = [5, 3, 8, 2]
    codes = np.repeat(np.arange(4), sizes)
    X = np.column_stack(
        [rng.normal(size=len(codes)), rng.gamma(2, size=len(codes)), rng.normal(size=len(codes))]
    )
    X[codes == 1, 2] = 4.0  # a column constant within one parent
    cols = ["a", "b", "c"]
    fast = per_parent_parameters(X, codes, 4, cols, ["norm"] * 3)
    md = Metadata.load_from_dict(
        {"tables": {"t": {"columns": {c: {"sdtype": "numerical"} for c in cols}}}}
    )
    for g in range(4):
        synth = GaussianCopulaSynthesizer(md, default_distribution="norm")
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            synth.fit_processed_data(pd.DataFrame(X[codes == g], columns=cols))
        stock = pd.Series(synth._get_parameters())
        for key, value in stock.items():
            if key == "num_rows":
                assert fast.loc[g, key] == value
            else:
                assert fast.loc[g, key] == pytest.approx(float(value), abs=1e-9), key


def test_shrinkage_pulls_small_parents_to_pooled_values():
    rng = np.random.default_rng(1)
    codes = np.repeat(np.arange(3), [1, 2, 200])
    x = rng.normal(size=len(codes))
    X = np.column_stack([x, x + 0.1 * rng.normal(size=len(codes))])
    raw = per_parent_parameters(X, codes, 3, ["x", "y"], ["norm", "norm"])
    shrunk = per_parent_parameters(X, codes, 3, ["x", "y"], ["norm", "norm"], shrinkage=5)
    assert raw.loc[0, "correlation__0__0"] == 0.0  # stock: one child -> no correlation
    assert shrunk.loc[0, "correlation__0__0"] > 0.9  # pooled correlation instead
    assert np.isnan(raw.loc[0, "univariates__x__scale"])  # stock blanks one-row scales
    assert shrunk.loc[0, "univariates__x__scale"] > 0.5
    assert shrunk.loc[2, "correlation__0__0"] == pytest.approx(
        raw.loc[2, "correlation__0__0"], abs=0.01
    )  # big parents keep their own value


def test_nearest_correlation_matches_stock():
    rng = np.random.default_rng(2)
    mats = []
    for _ in range(20):
        a = rng.uniform(-1, 1, (4, 4))
        m = (a + a.T) / 2
        np.fill_diagonal(m, 1.0)
        mats.append(m)
    fast = _nearest_correlation(np.array(mats))
    for m, f in zip(mats, fast, strict=True):
        stock = np.array(GaussianCopulaSynthesizer._get_nearest_correlation_matrix(m.copy()))
        np.testing.assert_allclose(f, stock, atol=1e-8)


def test_enforce_table_size_matches_stock(augmented):
    model, _ = augmented["FastHMASynthesizer"]
    rng = np.random.default_rng(3)
    key = "__orders__customer_id__num_rows"
    for scale in (0.5, 1.0, 3.0):
        frame = pd.DataFrame({key: rng.poisson(3, 40).astype(float)})
        a, b = {"customers": frame.copy()}, {"customers": frame.copy()}
        model._enforce_table_size("orders", "customers", scale, a)
        HMASynthesizer._enforce_table_size(model, "orders", "customers", scale, b)
        np.testing.assert_array_equal(
            a["customers"][key].to_numpy(), b["customers"][key].to_numpy()
        )
        assert a["customers"][key].sum() == round(model._table_sizes["orders"] * scale)


def test_samples_valid_data_with_stock_settings(tiny):
    tables, md = tiny
    prepared = prepare_for_fit(tables, md.to_dict(), MODELED)
    metadata = Metadata.load_from_dict(prepared.model_metadata)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        model = FastHMASynthesizer(metadata)
        model.fit(prepared.model_tables)
        out = model.sample(scale=1.5)
        metadata.validate_data(out)  # PKs unique, FKs resolve, dtypes as declared
    for table in MODELED:
        assert len(out[table]) == round(len(tables[table]) * 1.5)
        assert out[table].notna().all().all()
    assert set(out["transactions"]["order_id"]) <= set(out["orders"]["order_id"])
    # every column keeps the real data's range (min/max enforced by SDV's formatters)
    for col in ("price", "amount", "qty"):
        real = tables["transactions"][col]
        assert out["transactions"][col].between(real.min(), real.max()).all()
    assert EPSILON > 0
