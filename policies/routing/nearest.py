"""Nearest warehouse that shows enough stock, default mode for the service level.

The baseline most order-management systems start from: lowest zone among the warehouses whose
last-synced stock covers the order; if none does, the nearest one anyway (the stock-out is then
handled by the engine). Ties go to the shorter pick backlog, then to the first listed.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from policies.routing.estimates import lowest_zone
from scenarios.world import World
from sim.engine.contract import OrderBatch, RoutingDecision, RoutingView


def candidate_mask(orders: OrderBatch, view: RoutingView) -> np.ndarray:
    """[order, warehouse]: serves the region, not yet failed, and visible stock covers the order."""
    serves = view.zone[orders.region] > 0
    stock = orders.items[:, None] <= view.visible_stock()[:, orders.product].T
    return serves & ~orders.excluded & stock


@dataclass
class NearestRouting:
    name: str = "nearest"

    def start(self, world: World, seed: int) -> None:
        """Nothing to precompute."""

    def route(self, orders: OrderBatch, view: RoutingView) -> RoutingDecision:
        if len(orders) == 1:
            return route_one(orders, view)
        zone = view.zone[orders.region]
        warehouse = lowest_zone(zone, orders.excluded, candidate_mask(orders, view), view.backlog())
        return RoutingDecision(warehouse, view.default_mode[orders.service_level])


def route_one(orders: OrderBatch, view: RoutingView) -> RoutingDecision:
    """:meth:`NearestRouting.route` for a batch of one order (arrivals routed one by one), in
    plain Python numbers: the same arithmetic, without a dozen numpy calls on one row."""
    zone = view.zone[orders.region[0]].tolist()
    excluded = orders.excluded[0].tolist()
    stock = view.visible_stock()[:, orders.product[0]].tolist()
    items = int(orders.items[0])
    backlog = view.backlog().tolist()
    served = [z > 0 for z in zone]
    allowed = [s and not x and items <= u for s, x, u in zip(served, excluded, stock, strict=True)]
    if not any(allowed):
        allowed = [s and not x for s, x in zip(served, excluded, strict=True)]
        if not any(allowed):
            allowed = served
    scale = max(backlog) + 1.0
    best, best_score = 0, np.inf
    for w, (use, z, b) in enumerate(zip(allowed, zone, backlog, strict=True)):
        score = z + b / scale * 0.5 if use else np.inf
        if score < best_score:
            best, best_score = w, score
    return RoutingDecision(
        np.array([best], dtype=np.int64), view.default_mode[orders.service_level]
    )
