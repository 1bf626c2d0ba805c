"""Score a gradient-boosted tree ensemble with a few vectorised numpy steps.

A fitted ensemble is kept as one flat node table (every tree's nodes end to end) and all trees
are descended together, one level per step: for the small batches of an allocation wave (tens of
orders x a dozen candidates) this costs far less than walking each tree in its own call, and it
needs nothing but numpy arrays, which load without executing code. Built from scikit-learn's
``HistGradientBoostingRegressor`` by :func:`sim.learning.fit.flat_forest`, which gives the same
predictions (checked in the tests).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field

import numpy as np

ARRAYS = ("roots", "feature", "threshold", "missing_left", "is_leaf", "left", "right", "value")


@dataclass(frozen=True)
class FlatForest:
    """A tree ensemble as flat arrays: ``left``/``right`` are global node indices (a leaf points
    at itself, so every walk can take ``depth`` steps); the prediction is ``baseline`` plus the
    sum of the leaf values reached."""

    roots: np.ndarray  # [tree] index of its root node
    feature: np.ndarray  # [node] feature index tested (0 at leaves)
    threshold: np.ndarray  # [node] go right when value > threshold
    missing_left: np.ndarray  # [node] where a missing value goes
    is_leaf: np.ndarray
    left: np.ndarray
    right: np.ndarray
    value: np.ndarray  # [node] leaf value
    depth: int
    baseline: float
    # derived for the fast walk (platform-sized indices: ``ndarray.take`` casts others first)
    children: np.ndarray = field(init=False, repr=False, compare=False)
    node_feature: np.ndarray = field(init=False, repr=False, compare=False)
    root_feature: np.ndarray = field(init=False, repr=False, compare=False)
    root_threshold: np.ndarray = field(init=False, repr=False, compare=False)
    root_left: np.ndarray = field(init=False, repr=False, compare=False)
    root_right: np.ndarray = field(init=False, repr=False, compare=False)

    def __post_init__(self) -> None:
        n = len(self.feature)
        for name in ARRAYS[1:]:
            if len(getattr(self, name)) != n:
                raise ValueError(
                    f"flat forest: {name} has {len(getattr(self, name))} nodes, not {n}"
                )
        for name in ("roots", "left", "right"):
            a = getattr(self, name)
            if len(a) and (a.min() < 0 or a.max() >= n):
                raise ValueError(f"flat forest: {name} points outside the {n} nodes")
        # children[2 * node] = left, children[2 * node + 1] = right: one gather per level; the
        # walk is all gathers, so their cost is the cost
        derived = {
            "children": np.stack([self.left, self.right], axis=1).ravel().astype(np.intp),
            "node_feature": self.feature.astype(np.intp),
            # every row starts at the roots: the first level needs no gathers
            "root_feature": self.feature[self.roots].astype(np.intp),
            "root_threshold": self.threshold[self.roots],
            "root_left": self.left[self.roots].astype(np.intp),
            "root_right": self.right[self.roots].astype(np.intp),
        }
        for name, array in derived.items():
            object.__setattr__(self, name, array)

    @classmethod
    def from_arrays(
        cls, arrays: Mapping[str, np.ndarray], depth: int, baseline: float
    ) -> FlatForest:
        return cls(
            roots=np.asarray(arrays["roots"], dtype=np.int64),
            feature=np.asarray(arrays["feature"], dtype=np.int64),
            threshold=np.asarray(arrays["threshold"], dtype=np.float64),
            missing_left=np.asarray(arrays["missing_left"], dtype=bool),
            is_leaf=np.asarray(arrays["is_leaf"], dtype=bool),
            left=np.asarray(arrays["left"], dtype=np.int64),
            right=np.asarray(arrays["right"], dtype=np.int64),
            value=np.asarray(arrays["value"], dtype=np.float64),
            depth=int(depth),
            baseline=float(baseline),
        )

    def arrays(self) -> dict[str, np.ndarray]:
        return {name: getattr(self, name) for name in ARRAYS}

    def predict(self, x: np.ndarray) -> np.ndarray:
        """Predictions for the rows of ``x`` [row, feature]."""
        n, n_features = x.shape
        flat = np.ascontiguousarray(x, dtype=np.float64).ravel()
        if np.isnan(flat).any():  # the careful walk: a missing value goes where training sent it
            return self.predict_careful(x)
        if n == 0 or self.depth == 0:
            return self.predict_careful(x)
        # tree-major: all rows through tree 0, then tree 1, ...; the first level at once
        go_right = flat.reshape(n, n_features)[:, self.root_feature] > self.root_threshold
        node = np.where(go_right.T, self.root_right[:, None], self.root_left[:, None]).ravel()
        row_start = np.tile(
            np.arange(0, n * n_features, n_features, dtype=np.intp), len(self.roots)
        )
        children, feature, threshold = self.children, self.node_feature, self.threshold
        for _ in range(self.depth - 1):
            go_right = flat.take(row_start + feature.take(node)) > threshold.take(node)
            node = children.take(2 * node + go_right)
        return self.baseline + self.value.take(node).reshape(len(self.roots), n).sum(axis=0)

    def predict_careful(self, x: np.ndarray) -> np.ndarray:
        """The plain walk, missing values included: one level of every tree per step."""
        n, n_features = x.shape
        flat = np.ascontiguousarray(x, dtype=np.float64).ravel()
        row_start = np.tile(np.arange(n, dtype=np.int64) * n_features, len(self.roots))
        node = np.repeat(self.roots, n)
        for _ in range(self.depth):
            value = flat[row_start + self.feature[node]]
            go_left = (value <= self.threshold[node]) | (np.isnan(value) & self.missing_left[node])
            node = np.where(go_left, self.left[node], self.right[node])
        return self.baseline + self.value[node].reshape(len(self.roots), n).sum(axis=0)
