"""Training the learned router: simulate history on training seeds, fit, save with metadata.

History comes from the scenario run under an exploring router (half the orders to a random
serving warehouse and mode, the rest to the nearest), which logs each order's candidate features
at decision time; outcomes are joined from the run's records. Orders still open at the end are
dropped, and so are those decided in the last ``tail_days`` (their outcomes are censored).

Model: a gradient-boosted regressor of delivery time from decision (hours), plus the empirical
distribution of its held-out residuals per mode, which turns a predicted time into a late risk.
The pseudo-urgency classifier (logistic regression on the behaviour signal) learns from the
history which express customers would have been happy later, as a company learns from surveys.
Training seeds are stored with the model; evaluation on them is refused.
"""

from __future__ import annotations

import contextlib
import hashlib
import os
import pickle
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import joblib
import numpy as np
import sklearn
from scipy import special
from sklearn.ensemble import HistGradientBoostingRegressor
from sklearn.linear_model import LogisticRegression

from policies.monitoring.none import NoMonitoring
from policies.routing.estimates import NetworkPlan, estimate, nearest_choice
from policies.routing.features import candidate_features, feature_names
from scenarios.world import World
from sim.engine import run
from sim.engine.demand import generate_orders
from sim.engine.streams import RandomStreams
from sim.engine.views import OrderBatch, RoutingDecision, RoutingView

MODEL_CACHE_ENV = "ORDERTWIN_MODEL_CACHE"
DEFAULT_CACHE = Path("results") / "models"
RESIDUAL_QUANTILES = np.linspace(0.0, 1.0, 201)
CENSORED_TAIL_DAYS = 8.0  # orders decided this close to the end may not have arrived yet
# shallow trees: scoring walks every tree level by level, so depth is what scoring costs
MODEL_PARAMS = {"max_iter": 24, "max_depth": 5, "learning_rate": 0.3}


@dataclass
class ExploringRouting:
    """Routes half the orders at random (so every candidate is seen) and logs features."""

    explore_p: float = 0.5
    name: str = "exploring"
    rows: list[np.ndarray] = field(default_factory=list)
    order_ids: list[np.ndarray] = field(default_factory=list)
    decided_h: list[np.ndarray] = field(default_factory=list)

    def start(self, world: World, seed: int) -> None:
        self._plan = NetworkPlan.of(world)
        self._rng = np.random.default_rng(np.random.SeedSequence([seed, 7_700_001]))

    def route(self, orders: OrderBatch, view: RoutingView) -> RoutingDecision:
        est = estimate(orders, view, self._plan)
        allowed = est.served & ~orders.excluded & ~est.stock_short
        warehouse = nearest_choice(orders, est, allowed)
        mode = view.default_mode[orders.service_level].copy()
        explore = self._rng.random(len(orders)) < self.explore_p
        for k in np.flatnonzero(explore):
            options = np.flatnonzero(est.served[k] & ~orders.excluded[k])
            if len(options):
                warehouse[k] = self._rng.choice(options)
            mode[k] = self._rng.integers(est.eta_h.shape[2])
        rows = np.arange(len(orders))
        self.rows.append(candidate_features(orders, view, est, rows, warehouse, mode))
        self.order_ids.append(orders.order_id.copy())
        self.decided_h.append(np.full(len(orders), view.now_h))
        return RoutingDecision(warehouse, mode)


@dataclass
class TrainedRouterModel:
    """Everything the learned router needs, saved as one file."""

    delivery_model: Any
    residual_quantiles_h: np.ndarray  # [mode, quantile]
    pseudo_urgency_model: Any
    feature_names: tuple[str, ...]
    metadata: dict[str, Any]

    @property
    def training_seeds(self) -> tuple[int, ...]:
        return tuple(self.metadata["training_seeds"])

    def late_probability(
        self, predicted_h: np.ndarray, slack_h: np.ndarray, mode: np.ndarray
    ) -> np.ndarray:
        """P(delivery later than predicted + slack), from the held-out residuals by mode."""
        out = np.empty(len(predicted_h))
        for m in np.unique(mode):
            mine = mode == m
            q = self.residual_quantiles_h[m]
            cdf = np.interp(slack_h[mine] - predicted_h[mine], q, RESIDUAL_QUANTILES)
            out[mine] = 1.0 - cdf
        return out

    def pseudo_urgent_probability(self, signal: np.ndarray) -> np.ndarray:
        """P(pseudo-urgent | behaviour signal): the fitted logistic curve, evaluated directly."""
        logit = special.logit(np.clip(signal, 1e-6, 1 - 1e-6))
        m = self.pseudo_urgency_model
        return np.asarray(special.expit(m.coef_[0, 0] * logit + m.intercept_[0]))


def simulate_history(
    world: World,
    seeds: tuple[int, ...],
    days: float,
    tail_days: float,
) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """(features, delivery hours from decision, mode, express signal, pseudo-urgent label)."""
    xs, ys, modes, signals, labels = [], [], [], [], []
    names = feature_names(world.mode_names)
    mode_cols = [names.index(f"mode_{m}") for m in world.mode_names]
    for seed in seeds:
        explorer = ExploringRouting()
        result = run(world, explorer, NoMonitoring(), seed=seed, horizon_days=days)
        ids = np.concatenate(explorer.order_ids)
        x = np.concatenate(explorer.rows)
        decided = np.concatenate(explorer.decided_h)
        ids, first = np.unique(ids, return_index=True)  # a re-route keeps its first decision
        x, decided = x[first], decided[first]
        delivered = result.orders["status"][ids] == "delivered"
        keep = delivered & (decided < days * 24.0 - tail_days * 24.0)
        xs.append(x[keep])
        ys.append((result.orders["delivered_h"][ids] - decided)[keep])
        modes.append(np.argmax(x[keep][:, mode_cols], axis=1))
        history = generate_orders(world, days * 24.0, RandomStreams(seed))
        express = history.service_level == 1
        signals.append(history.signal[express])
        labels.append(history.pseudo_urgent[express])
    return (
        np.concatenate(xs),
        np.concatenate(ys),
        np.concatenate(modes),
        np.concatenate(signals),
        np.concatenate(labels),
    )


def train(
    world: World,
    seeds: tuple[int, ...],
    days: float = 28.0,
    tail_days: float = CENSORED_TAIL_DAYS,
    max_rows: int = 150_000,
) -> TrainedRouterModel:
    x, y, mode, signal, pseudo = simulate_history(world, seeds, days, tail_days)
    rng = np.random.default_rng(0)
    order = rng.permutation(len(y))[:max_rows]
    x, y, mode = x[order], y[order], mode[order]
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
    logit = special.logit(np.clip(signal, 1e-6, 1 - 1e-6))[:, None]
    pseudo_model = LogisticRegression().fit(logit, pseudo)
    p = pseudo_model.predict_proba(logit)[:, 1]
    metadata = {
        "scenario": world.name,
        "training_seeds": list(seeds),
        "training_days": days,
        "rows": int(len(y)),
        "delivery_mae_h": float(np.mean(np.abs(residual))),
        "delivery_baseline_mae_h": float(np.mean(np.abs(y[cut:] - np.median(y[:cut])))),
        "pseudo_urgency_auc": _auc(p, pseudo),
        "sklearn": sklearn.__version__,
    }
    return TrainedRouterModel(
        model, quantiles, pseudo_model, feature_names(world.mode_names), metadata
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


def save(model: TrainedRouterModel, path: Path) -> Path:
    """Write atomically (parallel sweep jobs may train the same model at once)."""
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_suffix(f".{os.getpid()}.tmp")
    joblib.dump(model, tmp)
    os.replace(tmp, path)
    return path


def load(path: Path) -> TrainedRouterModel:
    model = joblib.load(path)
    if not isinstance(model, TrainedRouterModel):
        raise ValueError(f"{path} does not hold a trained router model")
    return model


@contextlib.contextmanager
def cache_lock(path: Path) -> Iterator[None]:
    """Hold an exclusive lock beside ``path`` (POSIX ``flock``; elsewhere no lock, and parallel
    jobs may train the same model twice, which is only wasted time: saves are atomic)."""
    path.parent.mkdir(parents=True, exist_ok=True)
    try:
        import fcntl
    except ImportError:  # pragma: no cover - not POSIX
        yield
        return
    with open(path.with_suffix(".lock"), "w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        try:
            yield
        finally:
            fcntl.flock(lock, fcntl.LOCK_UN)


def cache_path(world: World, seeds: tuple[int, ...], days: float) -> Path:
    """Where the model for this exact world and training set is cached."""
    spec = (world, seeds, days, MODEL_PARAMS, feature_names(world.mode_names), sklearn.__version__)
    key = hashlib.sha256(pickle.dumps(spec)).hexdigest()
    root = Path(os.environ.get(MODEL_CACHE_ENV, DEFAULT_CACHE))
    return root / f"predictive-{world.name}-{key[:16]}.joblib"
