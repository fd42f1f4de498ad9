"""``counts._fit_tree`` / ``counts._apply`` (sklearn's input check skipped on finite float32
rows) give the trees and leaves sklearn's checked calls give."""

import numpy as np
import pytest

from synthgen_sdv.synth.counts import _apply, _fit_tree, _tree


@pytest.mark.parametrize("seed", range(5))
@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_same_tree_and_leaves(seed, dtype):
    rng = np.random.default_rng(seed)
    X = rng.normal(size=(300, 1)).astype(dtype)
    y = np.log1p(rng.poisson(np.exp(X[:, 0]) + 1).astype(float))
    checked = _tree(6, 300).fit(X, y)
    unchecked = _fit_tree(_tree(6, 300), X, y)
    for name in ("threshold", "feature", "children_left", "children_right", "value"):
        assert np.array_equal(getattr(checked.tree_, name), getattr(unchecked.tree_, name))
    new = rng.normal(size=(50, 1)).astype(dtype)
    assert np.array_equal(checked.apply(new), _apply(unchecked, new))
    assert np.array_equal(checked.apply(X), _apply(unchecked, X[:, :]))


def test_missing_and_infinite_values_go_through_sklearn():
    rng = np.random.default_rng(1)
    X = rng.normal(size=(100, 1)).astype(np.float32)
    X[::7] = np.nan
    y = rng.normal(size=100)
    checked = _tree(4, 100).fit(X, y)
    unchecked = _fit_tree(_tree(4, 100), X, y)
    assert np.array_equal(checked.tree_.threshold, unchecked.tree_.threshold)
    assert np.array_equal(checked.tree_.missing_go_to_left, unchecked.tree_.missing_go_to_left)
    assert np.array_equal(checked.apply(X), _apply(unchecked, X))
    with pytest.raises(ValueError):
        _apply(unchecked, np.array([[np.inf]], dtype=np.float32))
