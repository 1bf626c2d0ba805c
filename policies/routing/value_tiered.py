"""Value-aware allocation: high-value customers first, low-margin goods to the economy pool.

High-value (VIP) customers' orders go to the front of the pick queue; their express orders go by
air, and their standard orders too when ground is not expected to meet the promise. Standard
orders whose margin is below a threshold ship economy when economy is still expected to meet the
promise with some slack. Everything else falls through to the rule set.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from policies.routing.estimates import NetworkPlan, estimate
from policies.routing.rules import DEFAULT_RULES, RulesRouting
from scenarios.checks import non_negative
from scenarios.world import World
from sim.engine.contract import OrderBatch, RoutingDecision, RoutingView


@dataclass
class ValueTieredRouting:
    name: str = "value_tiered"
    premium_mode: str = "air"
    economy_mode: str = "economy"
    economy_margin_below_usd: float = 10.0
    economy_slack_h: float = 24.0  # economy only if expected this far inside the promise
    vip_priority: bool = True
    rules: list[dict[str, Any]] = field(default_factory=lambda: list(DEFAULT_RULES))

    def __post_init__(self) -> None:
        self._fallback = RulesRouting(name="rules", rules=self.rules)
        non_negative("economy_margin_below_usd", self.economy_margin_below_usd)
        non_negative("economy_slack_h", self.economy_slack_h)

    def world_names(self) -> Iterable[tuple[str, str, Any]]:
        return [
            ("premium_mode", "modes", self.premium_mode),
            ("economy_mode", "modes", self.economy_mode),
            *self._fallback.world_names(),
        ]

    def start(self, world: World, seed: int) -> None:
        self._plan = NetworkPlan.of(world)
        self._fallback.start(world, seed)
        self._premium = world.mode_index(self.premium_mode)
        self._economy = world.mode_index(self.economy_mode)
        self._ground = int(world.service_mode[0])

    def route(self, orders: OrderBatch, view: RoutingView) -> RoutingDecision:
        est = estimate(orders, view, self._plan)
        base = self._fallback.decide(orders, view, est)
        rows = np.arange(len(orders))
        warehouse, mode = base.warehouse, base.mode.copy()
        priority = np.zeros(len(orders), dtype=bool) if base.priority is None else base.priority
        eta = est.eta_h[rows, warehouse]  # [order, mode] at the chosen warehouse
        vip, express = orders.vip, orders.urgent
        ground_late = eta[:, self._ground] > orders.promised_h
        mode[vip & (express | ground_late)] = self._premium
        cheap = (
            ~vip
            & ~express
            & (orders.margin_usd < self.economy_margin_below_usd)
            & (eta[:, self._economy] <= orders.promised_h - self.economy_slack_h)
            & (mode == self._ground)
        )
        mode[cheap] = self._economy
        if self.vip_priority:
            priority = priority | vip
        return RoutingDecision(warehouse, mode, priority)
