"""Cheapest candidate that still meets the promise.

For every (warehouse, mode) serving the order: expected total cost = pick/pack + transport by mode
and zone + the expected cost of a stock-out re-route where the OMS's stock estimate does not cover
the order. Among candidates whose expected delivery (backlog, next pickup, mean transit, forecast
storms) meets the promise, take the cheapest; if none does, the earliest expected delivery.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from policies.routing.estimates import CandidateEstimates, NetworkPlan, estimate
from policies.routing.wave_ledger import decide_in_wave
from scenarios.checks import finite, probability
from scenarios.world import World
from sim.engine.contract import OrderBatch, RoutingDecision, RoutingView


@dataclass
class CheapestRouting:
    name: str = "cheapest"
    stockout_risk: float = 0.9  # chance an order fails where the stock estimate is short
    promise_margin_h: float = 0.0  # expected delivery must beat the promise by this much

    def __post_init__(self) -> None:
        probability("stockout_risk", self.stockout_risk)
        finite("promise_margin_h", self.promise_margin_h)  # < 0: a little late still counts

    def start(self, world: World, seed: int) -> None:
        self._plan = NetworkPlan.of(world)
        self._stockout_usd = world.costs.reroute_usd + world.costs.pick_pack_usd

    def route(self, orders: OrderBatch, view: RoutingView) -> RoutingDecision:
        est = estimate(orders, view, self._plan)
        return decide_in_wave(orders, view, est, lambda e: self.decide(orders, e))

    def decide(self, orders: OrderBatch, est: CandidateEstimates) -> RoutingDecision:
        """The cheapest candidate meeting the promise, from precomputed estimates."""
        risk = np.where(est.stock_short | orders.excluded, self.stockout_risk, 0.0)
        cost = est.transport_usd + (risk * self._stockout_usd)[:, :, None]
        feasible = est.served[:, :, None] & ~np.isnan(est.eta_h)
        meets = feasible & (est.eta_h <= orders.promised_h[:, None, None] - self.promise_margin_h)
        _n_wh, n_modes = cost.shape[1], cost.shape[2]
        cheapest = np.where(meets, cost, np.inf).reshape(len(orders), -1)
        fastest = np.where(feasible, est.eta_h + risk[:, :, None] * 24.0, np.inf)
        fastest = fastest.reshape(len(orders), -1)
        choice = np.where(
            np.isfinite(cheapest).any(axis=1), cheapest.argmin(axis=1), fastest.argmin(axis=1)
        )
        return RoutingDecision(choice // n_modes, choice % n_modes)
