"""Threshold rules written in YAML (see :mod:`policies.routing.rule_language`).

The default set stands for what operations teams write by hand: a storm forecast to stop a
warehouse's next pickup moves its orders to the backup warehouse; a long-haul parcel that would meet
a forecast storm at its destination goes by air with pick priority, to arrive ahead of it; a long
pick backlog sends orders to the next warehouse; a warehouse whose stock estimate does not cover
the order is avoided. No rule sends an order more than ``max_detour_zones`` beyond its nearest
warehouse.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from policies.routing.estimates import CandidateEstimates, NetworkPlan, estimate, nearest_choice
from policies.routing.rule_language import check_modes, holds, mode_names, parse_rules
from scenarios.checks import count
from scenarios.world import World
from sim.engine.contract import OrderBatch, RoutingDecision, RoutingView

DEFAULT_RULES: list[dict[str, Any]] = [
    {
        "name": "storm_at_warehouse",
        "when": {"warehouse_storm_forecast": True},
        "then": {"avoid_warehouse": True},
    },
    {
        "name": "storm_at_destination",
        "when": {"region_storm_forecast": True, "zone_above": 2},
        "then": {"mode": "air", "priority": True},
    },
    {
        "name": "backlog",
        "when": {"backlog_hours_above": 12.0},
        "then": {"avoid_warehouse": True},
    },
    {"name": "low_stock", "when": {"stock_short": True}, "then": {"avoid_warehouse": True}},
]


@dataclass
class RulesRouting:
    name: str = "rules"
    rules: list[dict[str, Any]] = field(default_factory=lambda: list(DEFAULT_RULES))
    max_detour_zones: int = 2  # avoiding a warehouse never sends an order further than this

    def __post_init__(self) -> None:
        self._rules = parse_rules(self.rules)
        count("max_detour_zones", self.max_detour_zones, 0)

    def world_names(self) -> Iterable[tuple[str, str, Any]]:
        return mode_names(self._rules)

    def start(self, world: World, seed: int) -> None:
        self._plan = NetworkPlan.of(world)
        check_modes(self._rules, world, key="routing.rules")
        self._mode_index = {name: i for i, name in enumerate(world.mode_names)}

    def route(self, orders: OrderBatch, view: RoutingView) -> RoutingDecision:
        est = estimate(orders, view, self._plan)
        return self.decide(orders, view, est)

    def decide(
        self,
        orders: OrderBatch,
        view: RoutingView,
        est: CandidateEstimates,
    ) -> RoutingDecision:
        """Apply the rule set to precomputed estimates (other policies fall through to this)."""
        allowed = est.served & ~orders.excluded
        nearest_zone = np.where(allowed, est.zone, np.iinfo(np.int64).max).min(axis=1)
        allowed &= est.zone <= nearest_zone[:, None] + self.max_detour_zones
        for rule in self._rules:
            if rule.then.get("avoid_warehouse"):
                allowed &= ~holds(rule, orders, est, view.default_mode, view.world.level_names)
        warehouse = nearest_choice(orders, est, allowed)
        rows = np.arange(len(orders))
        mode = view.default_mode[orders.service_level].copy()
        priority = np.zeros(len(orders), dtype=bool)
        mode_set = np.zeros(len(orders), dtype=bool)
        priority_set = np.zeros(len(orders), dtype=bool)
        for rule in self._rules:
            if "mode" not in rule.then and "priority" not in rule.then:
                continue
            match = holds(rule, orders, est, view.default_mode, view.world.level_names)[
                rows, warehouse
            ]
            if "mode" in rule.then:
                take = match & ~mode_set
                mode[take] = self._mode_index[rule.then["mode"]]
                mode_set |= take
            if "priority" in rule.then:
                take = match & ~priority_set
                priority[take] = rule.then["priority"]
                priority_set |= take
        return RoutingDecision(warehouse, mode, priority)
