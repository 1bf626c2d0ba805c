"""The flattened tree walk gives scikit-learn's predictions exactly, missing values included;
the one reader of scikit-learn's private tree attributes fails loudly if they change."""

from __future__ import annotations

import numpy as np
import pytest
from sklearn.ensemble import HistGradientBoostingRegressor

from sim.learning.fit import flat_forest, sklearn_tree_nodes


@pytest.mark.parametrize("missing", [False, True])
def test_flat_forest_matches_sklearn(missing: bool) -> None:
    rng = np.random.default_rng(4)
    x = rng.normal(size=(4000, 6)).astype(np.float32)
    y = 3 * x[:, 0] - x[:, 1] ** 2 + np.sin(4 * x[:, 2]) + rng.normal(scale=0.1, size=4000)
    if missing:
        x[rng.random(x.shape) < 0.1] = np.nan
    model = HistGradientBoostingRegressor(max_iter=25, max_depth=5, random_state=0).fit(x, y)
    test = rng.normal(size=(500, 6)).astype(np.float32)
    if missing:
        test[rng.random(test.shape) < 0.1] = np.nan
    assert np.allclose(flat_forest(model).predict(test), model.predict(test), rtol=0, atol=1e-9)


def test_sklearn_private_tree_attributes_are_still_there() -> None:
    """``_predictors`` and ``_baseline_prediction`` are scikit-learn internals: if a release
    renames or reshapes them, this fails before any model is trained wrong."""
    rng = np.random.default_rng(0)
    x = rng.normal(size=(300, 3))
    model = HistGradientBoostingRegressor(max_iter=3, max_depth=2, random_state=0)
    model.fit(x, x[:, 0])
    trees, baseline = sklearn_tree_nodes(model)
    assert len(trees) == 3
    for field in ("feature_idx", "num_threshold", "missing_go_to_left", "is_leaf", "left"):
        assert field in trees[0].dtype.names
    assert np.isfinite(baseline)
