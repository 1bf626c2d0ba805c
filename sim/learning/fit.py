"""Fitting the learned router's model from simulated history.

Model: a gradient-boosted regressor of delivery time from decision (hours), flattened into
arrays for scoring, plus the empirical distribution of its residuals on held-out seeds per mode
and storm exposure (a forecast storm at the warehouse or destination), which turns a predicted
time into a late risk; how well that risk is calibrated is measured the
same way and kept with the model (and written as ``<model>.calibration.csv`` by training). The
pseudo-urgency classifier (logistic regression on the behaviour signal) learns from the history
which express customers would have been happy later, as a company learns from surveys: from
labels with ``LABEL_NOISE_P`` of them wrong. Training seeds are stored with the model; the router
refuses to be evaluated on them.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import numpy as np
import sklearn
from scipy import special
from sklearn.ensemble import HistGradientBoostingRegressor
from sklearn.isotonic import IsotonicRegression
from sklearn.linear_model import LogisticRegression

from policies.routing.features import feature_names
from policies.routing.flat_trees import FlatForest
from policies.routing.router_model import (
    CENSORED_TAIL_DAYS,
    RESIDUAL_QUANTILES,
    RouterModel,
    late_probability,
    recalibrated,
    risk_groups,
)
from scenarios.world import World
from sim.learning.history import simulate_history

# shallow trees: scoring walks every tree level by level, so depth is what scoring costs
MODEL_PARAMS = {"max_iter": 24, "max_depth": 5, "learning_rate": 0.3}
# Share of survey answers on urgency that disagree with the customer's real patience: stated and
# revealed preferences differ (a customer who ticks "needed it fast" and would have waited, or
# the reverse), and surveys reach a self-selected few. One in five is a conservative middle.
LABEL_NOISE_P = 0.2
CALIBRATION_BINS = np.linspace(0.0, 1.0, 11)  # late-risk bins of 10 points
CALIBRATION_COLUMNS = ("p_low", "p_high", "orders", "predicted", "observed", "error_pp")


def train(
    world: World,
    seeds: tuple[int, ...],
    days: float = 28.0,
    tail_days: float = CENSORED_TAIL_DAYS,
    max_rows: int = 150_000,
    label_noise_p: float = LABEL_NOISE_P,
) -> RouterModel:
    """Fit on the history of ``seeds`` (at least two): residuals and late-risk calibration come
    from held-out *seeds* (rows of one wave share features and outcomes, so a random row split
    would flatter the model), cross-fitted: each seed is predicted by a model fitted on the
    others; the model kept is fitted on all."""
    if len(seeds) < 2:
        raise ValueError("train: at least two training seeds (residuals come from held-out seeds)")
    history = simulate_history(world, seeds, days, tail_days, label_noise_p)
    rng = np.random.default_rng(0)
    order = np.sort(rng.permutation(len(history.delivery_h))[:max_rows])
    x, y = history.features[order], history.delivery_h[order]
    slack, origin = history.slack_h[order], history.seed[order]
    n_groups = 2 * len(world.modes)  # by mode, and storm-exposed or not
    group = risk_groups(x, feature_names(world.mode_names), n_groups)
    held_out = np.empty(len(y))  # each row predicted by a model that never saw its seed
    for seed in seeds:
        mine = origin == seed
        model = HistGradientBoostingRegressor(**MODEL_PARAMS, random_state=0)
        held_out[mine] = model.fit(x[~mine], y[~mine]).predict(x[mine])
    residual = y - held_out
    model = HistGradientBoostingRegressor(**MODEL_PARAMS, random_state=0).fit(x, y)
    # each seed's late risk from the residuals of the *other* seeds: an honest calibration
    p_late = np.empty(len(y))
    for seed in seeds:
        mine = origin == seed
        q = residual_quantiles(residual[~mine], group[~mine], n_groups)
        p_late[mine] = late_probability(q, held_out[mine], slack[mine], group[mine])
    late = y > slack
    # the residual probability, recalibrated by an isotonic map; its calibration table is
    # measured on each seed through a map fitted on the *other* seeds (nested cross-fitting)
    p_cal = np.empty(len(y))
    for seed in seeds:
        mine = origin == seed
        p_cal[mine] = recalibrated(p_late[mine], isotonic_map(p_late[~mine], late[~mine]))
    calibration = calibration_table(p_cal, late)
    logit = special.logit(np.clip(history.signal, 1e-6, 1 - 1e-6))[:, None]
    pseudo_model = LogisticRegression().fit(logit, history.pseudo_urgent)
    p = pseudo_model.predict_proba(logit)[:, 1]
    metadata = {
        "scenario": world.name,
        "training_seeds": list(seeds),
        "training_days": days,
        "rows": int(len(y)),
        "delivery_mae_h": float(np.mean(np.abs(residual))),
        "delivery_baseline_mae_h": _baseline_mae(y, origin, seeds),
        "pseudo_urgency_label_noise_p": label_noise_p,
        "pseudo_urgency_auc": _auc(p, history.pseudo_urgent),
        "late_risk_calibration": [
            dict(zip(CALIBRATION_COLUMNS, row, strict=True)) for row in calibration
        ],
        "sklearn": sklearn.__version__,
    }
    return RouterModel(
        delivery=flat_forest(model),
        residual_quantiles_h=residual_quantiles(residual, group, n_groups),
        pseudo_urgency_coef=float(pseudo_model.coef_[0, 0]),
        pseudo_urgency_intercept=float(pseudo_model.intercept_[0]),
        feature_names=feature_names(world.mode_names),
        metadata=metadata,
        late_risk_map=isotonic_map(p_late, late),
    )


def isotonic_map(p: np.ndarray, late: np.ndarray) -> np.ndarray:
    """``[2, knots]``: the isotonic (monotone, least-squares) fit of the late outcome on ``p``,
    as :func:`policies.routing.router_model.recalibrated` applies it. Residual quantiles pooled
    per risk group miss how spread varies with the prediction; this puts that back."""
    iso = IsotonicRegression(y_min=0.0, y_max=1.0, out_of_bounds="clip").fit(p, late)
    return np.stack([iso.X_thresholds_, iso.y_thresholds_]).astype(np.float64)


def residual_quantiles(residual: np.ndarray, group: np.ndarray, n_groups: int) -> np.ndarray:
    """[group, quantile] of the residuals (all groups' for a group never seen)."""
    return np.stack(
        [
            np.quantile(
                residual[group == g] if (group == g).any() else residual, RESIDUAL_QUANTILES
            )
            for g in range(n_groups)
        ]
    )


def calibration_table(p_late: np.ndarray, late: np.ndarray) -> list[tuple[float, ...]]:
    """Predicted vs observed late share per late-risk bin: (p_low, p_high, orders, predicted,
    observed, error in percentage points); empty bins left out."""
    rows: list[tuple[float, ...]] = []
    which = np.clip(np.digitize(p_late, CALIBRATION_BINS) - 1, 0, len(CALIBRATION_BINS) - 2)
    for b in range(len(CALIBRATION_BINS) - 1):
        mine = which == b
        if mine.any():
            predicted, observed = float(p_late[mine].mean()), float(late[mine].mean())
            rows.append(
                (
                    float(CALIBRATION_BINS[b]),
                    float(CALIBRATION_BINS[b + 1]),
                    int(mine.sum()),
                    predicted,
                    observed,
                    100.0 * (observed - predicted),
                )
            )
    return rows


def calibration_csv(model: RouterModel) -> str:
    """The model's late-risk calibration table as CSV text (training writes it beside the
    model as ``<model>.calibration.csv``)."""
    rows = model.metadata.get("late_risk_calibration", [])
    lines = [",".join(CALIBRATION_COLUMNS)]
    lines += [",".join(f"{row[c]:.6g}" for c in CALIBRATION_COLUMNS) for row in rows]
    return "\n".join(lines) + "\n"


def calibration_path(model_path: Path) -> Path:
    """Where a model's calibration table goes: ``<model>.calibration.csv`` beside it."""
    return model_path.with_name(f"{model_path.stem}.calibration.csv")


def _baseline_mae(y: np.ndarray, origin: np.ndarray, seeds: tuple[int, ...]) -> float:
    """MAE of a constant guess (the other seeds' median), per held-out seed."""
    errors = [np.abs(y[origin == s] - np.median(y[origin != s])) for s in seeds]
    return float(np.mean(np.concatenate(errors)))


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
