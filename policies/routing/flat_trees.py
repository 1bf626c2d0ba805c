"""Score a fitted gradient-boosted tree ensemble with a few vectorised numpy steps.

scikit-learn's ``HistGradientBoostingRegressor.predict`` walks each tree in its own call, which
for the small batches of an allocation wave (tens of orders x a dozen candidates) costs far more
than the arithmetic. Flattening all trees into one node table and descending them together, one
level per step, gives the same predictions (checked in the tests) at a fraction of the cost.
"""

from __future__ import annotations

import numpy as np
from sklearn.ensemble import HistGradientBoostingRegressor


class FlatForest:
    """Same predictions as the regressor it is built from (numerical features only)."""

    def __init__(self, model: HistGradientBoostingRegressor) -> None:
        trees = [predictors[0].nodes for predictors in model._predictors]
        if any(t["is_categorical"].any() for t in trees):
            raise ValueError("FlatForest handles numerical features only")
        sizes = np.array([len(t) for t in trees])
        starts = np.concatenate([[0], np.cumsum(sizes)[:-1]])
        nodes = np.concatenate(trees)
        offset = np.repeat(starts, sizes)
        self.roots = starts.astype(np.int64)
        self.feature = nodes["feature_idx"].astype(np.int64)
        self.threshold = nodes["num_threshold"]
        self.missing_left = nodes["missing_go_to_left"].astype(bool)
        self.is_leaf = nodes["is_leaf"].astype(bool)
        own = np.arange(len(nodes))
        # leaves point at themselves, so every walk can take the same number of steps
        self.left = np.where(self.is_leaf, own, nodes["left"].astype(np.int64) + offset)
        self.right = np.where(self.is_leaf, own, nodes["right"].astype(np.int64) + offset)
        self.feature[self.is_leaf] = 0
        # children[2 * node] = left, children[2 * node + 1] = right: one gather per level;
        # int32 indices and np.take: the walk is all gathers, so their cost is the cost
        self.children = np.stack([self.left, self.right], axis=1).ravel().astype(np.int32)
        self.feature32 = self.feature.astype(np.int32)
        self.roots32 = self.roots.astype(np.int32)
        self.depth = int(nodes["depth"].max())
        self.value = nodes["value"]
        self.baseline = float(np.ravel(model._baseline_prediction)[0])

    def predict(self, x: np.ndarray) -> np.ndarray:
        n, n_features = x.shape
        flat = np.ascontiguousarray(x, dtype=np.float64).ravel()
        # tree-major: all rows through tree 0, then tree 1, ...
        row_start = np.tile(np.arange(n, dtype=np.int32) * n_features, len(self.roots))
        node = np.repeat(self.roots32, n)
        if np.isnan(flat).any():  # the careful walk: a missing value goes where training sent it
            for _ in range(self.depth):
                value = flat[row_start + self.feature[node]]
                go_left = (value <= self.threshold[node]) | (
                    np.isnan(value) & self.missing_left[node]
                )
                node = np.where(go_left, self.left[node], self.right[node]).astype(np.int32)
        else:
            for _ in range(self.depth):
                value = np.take(flat, row_start + np.take(self.feature32, node))
                go_right = value > np.take(self.threshold, node)
                node = np.take(self.children, 2 * node + go_right)
        return self.baseline + np.take(self.value, node).reshape(len(self.roots), n).sum(axis=0)
