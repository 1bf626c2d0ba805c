"""The flattened tree walk gives scikit-learn's predictions exactly, missing values included."""

from __future__ import annotations

import numpy as np
import pytest
from sklearn.ensemble import HistGradientBoostingRegressor

from policies.routing.flat_trees import FlatForest


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
    assert np.allclose(FlatForest(model).predict(test), model.predict(test), rtol=0, atol=1e-9)
