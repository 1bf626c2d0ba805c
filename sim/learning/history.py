"""Simulated history for the learned router: decisions logged with their candidate features.

History comes from the scenario run under an exploring router (half the orders to a random
serving warehouse and mode, the rest to the nearest), which logs each order's candidate features
at decision time; outcomes are joined from the run's records. Orders still open at the end are
dropped, and so are those decided in the last ``tail_days`` (their outcomes are censored). The
world is the one policies know (no scripted storms), and the pseudo-urgency labels are noisy, as
survey answers are.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np

from policies.monitoring.none import NoMonitoring
from policies.routing.estimates import NetworkPlan, estimate, nearest_choice
from policies.routing.features import candidate_features, feature_names
from scenarios.world import World
from sim.engine import run
from sim.engine.contract import OrderBatch, RoutingDecision, RoutingView, public_world
from sim.engine.demand import generate_orders
from sim.engine.streams import RandomStreams


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


@dataclass(frozen=True)
class History:
    """Training rows: features at decision, delivery hours from decision, the mode, hours from
    decision to the promise, and which training seed the row came from; and, for express orders,
    the behaviour signal with the pseudo-urgency label as a survey would report it."""

    features: np.ndarray
    delivery_h: np.ndarray
    mode: np.ndarray
    slack_h: np.ndarray
    seed: np.ndarray
    signal: np.ndarray
    pseudo_urgent: np.ndarray


def survey_labels(truth: np.ndarray, noise_p: float, seed: int) -> np.ndarray:
    """The pseudo-urgency label as learnt from surveys: each answer wrong with ``noise_p``
    (its own stream per seed, so the history's orders and weather are untouched)."""
    rng = np.random.default_rng(np.random.SeedSequence([seed, 7_700_002]))
    return truth ^ (rng.random(len(truth)) < noise_p)


def simulate_history(
    world: World,
    seeds: tuple[int, ...],
    days: float,
    tail_days: float,
    label_noise_p: float = 0.0,
) -> History:
    """History of ``world`` as policies know it: scripted storms are future weather truth, so
    they are stripped here, whichever path asks for training."""
    world = public_world(world)
    xs, ys, modes, slacks, origin, signals, labels = [], [], [], [], [], [], []
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
        recorded = ids < len(result.orders["status"])  # cool-down arrivals are not recorded
        ids, x, decided = ids[recorded], x[recorded], decided[recorded]
        delivered = result.orders["status"][ids] == "delivered"
        keep = delivered & (decided < days * 24.0 - tail_days * 24.0)
        xs.append(x[keep])
        ys.append((result.orders["delivered_h"][ids] - decided)[keep])
        modes.append(np.argmax(x[keep][:, mode_cols], axis=1))
        slacks.append((result.orders["promised_h"][ids] - decided)[keep])
        origin.append(np.full(int(keep.sum()), seed, dtype=np.int64))
        history = generate_orders(world, days * 24.0, RandomStreams(seed))
        express = history.urgent
        signals.append(history.signal[express])
        labels.append(survey_labels(history.pseudo_urgent[express], label_noise_p, seed))
    return History(
        np.concatenate(xs),
        np.concatenate(ys),
        np.concatenate(modes),
        np.concatenate(slacks),
        np.concatenate(origin),
        np.concatenate(signals),
        np.concatenate(labels),
    )
