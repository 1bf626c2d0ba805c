"""Fitting the learned router's model from simulated history.

Model: a gradient-boosted regressor of delivery time from decision (hours), flattened into
arrays for scoring, plus the empirical distribution of its held-out residuals per mode, which
turns a predicted time into a late risk. The pseudo-urgency classifier (logistic regression on
the behaviour signal) learns from the history which express customers would have been happy
later, as a company learns from surveys. Training seeds are stored with the model; the router
refuses to be evaluated on them.
"""

from __future__ import annotations

from typing import Any

import numpy as np
import sklearn
from scipy import special
from sklearn.ensemble import HistGradientBoostingRegressor
from sklearn.linear_model import LogisticRegression

from policies.routing.features import feature_names
from policies.routing.flat_trees import FlatForest
from policies.routing.router_model import CENSORED_TAIL_DAYS, RESIDUAL_QUANTILES, RouterModel
from scenarios.world import World
from sim.learning.history import simulate_history

# shallow trees: scoring walks every tree level by level, so depth is what scoring costs
MODEL_PARAMS = {"max_iter": 24, "max_depth": 5, "learning_rate": 0.3}


def train(
    world: World,
    seeds: tuple[int, ...],
    days: float = 28.0,
    tail_days: float = CENSORED_TAIL_DAYS,
    max_rows: int = 150_000,
) -> RouterModel:
    history = simulate_history(world, seeds, days, tail_days)
    rng = np.random.default_rng(0)
    order = rng.permutation(len(history.delivery_h))[:max_rows]
    x, y, mode = history.features[order], history.delivery_h[order], history.mode[order]
    cut = int(0.8 * len(y))
    model = HistGradientBoostingRegressor(**MODEL_PARAMS, random_state=0)
    model.fit(x[:cut], y[:cut])
    residual = y[cut:] - model.predict(x[cut:])
    quantiles = np.stack(
        [
            np.quantile(residual[mode[cut:] == m], RESIDUAL_QUANTILES)
            if (mode[cut:] == m).any()
            else np.quantile(residual, RESIDUAL_QUANTILES)
            for m in range(len(world.modes))
        ]
    )
    logit = special.logit(np.clip(history.signal, 1e-6, 1 - 1e-6))[:, None]
    pseudo_model = LogisticRegression().fit(logit, history.pseudo_urgent)
    p = pseudo_model.predict_proba(logit)[:, 1]
    metadata = {
        "scenario": world.name,
        "training_seeds": list(seeds),
        "training_days": days,
        "rows": int(len(y)),
        "delivery_mae_h": float(np.mean(np.abs(residual))),
        "delivery_baseline_mae_h": float(np.mean(np.abs(y[cut:] - np.median(y[:cut])))),
        "pseudo_urgency_auc": _auc(p, history.pseudo_urgent),
        "sklearn": sklearn.__version__,
    }
    return RouterModel(
        delivery=flat_forest(model),
        residual_quantiles_h=quantiles,
        pseudo_urgency_coef=float(pseudo_model.coef_[0, 0]),
        pseudo_urgency_intercept=float(pseudo_model.intercept_[0]),
        feature_names=feature_names(world.mode_names),
        metadata=metadata,
    )


def _auc(score: np.ndarray, label: np.ndarray) -> float:
    """Area under the ROC curve by the rank-sum formula."""
    ranks = np.argsort(np.argsort(score)) + 1
    pos = label.sum()
    neg = len(label) - pos
    return (
        float((ranks[label].sum() - pos * (pos + 1) / 2) / (pos * neg))
        if pos and neg
        else float("nan")
    )


def sklearn_tree_nodes(model: HistGradientBoostingRegressor) -> tuple[list[Any], float]:
    """Each tree's node table and the baseline prediction of a fitted regressor.

    scikit-learn keeps these in private attributes (``_predictors``, ``_baseline_prediction``);
    this is the one place that reads them, and a test fails loudly if they change.
    """
    trees = [predictors[0].nodes for predictors in model._predictors]
    return trees, float(np.ravel(model._baseline_prediction)[0])


def flat_forest(model: HistGradientBoostingRegressor) -> FlatForest:
    """The regressor's trees as one flat node table (numerical features only)."""
    trees, baseline = sklearn_tree_nodes(model)
    if any(t["is_categorical"].any() for t in trees):
        raise ValueError("FlatForest handles numerical features only")
    sizes = np.array([len(t) for t in trees])
    starts = np.concatenate([[0], np.cumsum(sizes)[:-1]])
    nodes = np.concatenate(trees)
    offset = np.repeat(starts, sizes)
    is_leaf = nodes["is_leaf"].astype(bool)
    own = np.arange(len(nodes))
    feature = nodes["feature_idx"].astype(np.int64)
    feature[is_leaf] = 0
    return FlatForest(
        roots=starts.astype(np.int64),
        feature=feature,
        threshold=nodes["num_threshold"].astype(np.float64),
        missing_left=nodes["missing_go_to_left"].astype(bool),
        is_leaf=is_leaf,
        # leaves point at themselves, so every walk can take the same number of steps
        left=np.where(is_leaf, own, nodes["left"].astype(np.int64) + offset),
        right=np.where(is_leaf, own, nodes["right"].astype(np.int64) + offset),
        value=nodes["value"].astype(np.float64),
        depth=int(nodes["depth"].max()),
        baseline=baseline,
    )
