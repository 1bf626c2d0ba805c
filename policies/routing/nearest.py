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
        zone = view.zone[orders.region]
        warehouse = lowest_zone(zone, orders.excluded, candidate_mask(orders, view), view.backlog())
        return RoutingDecision(warehouse, view.default_mode[orders.service_level])
