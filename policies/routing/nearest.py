"""Nearest warehouse that shows enough stock, default mode for the service level.

The baseline most order-management systems start from: lowest zone among the warehouses whose
last-synced stock covers the order; if none does, the nearest one anyway (the stock-out is then
handled by the engine). Ties go to the shorter pick backlog, then to the first listed.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from scenarios.world import World
from sim.engine.views import OrderBatch, RoutingDecision, RoutingView

NOT_SERVED = 10_000


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
        zone = view.zone[orders.region].astype(float)
        zone[zone == 0] = NOT_SERVED
        ok = candidate_mask(orders, view)
        none_ok = ~ok.any(axis=1)
        ok[none_ok] = (view.zone[orders.region[none_ok]] > 0) & ~orders.excluded[none_ok]
        still_none = ~ok.any(axis=1)
        ok[still_none] = view.zone[orders.region[still_none]] > 0
        backlog = view.backlog()
        score = np.where(ok, zone + backlog / (backlog.max() + 1.0) * 0.5, np.inf)
        warehouse = np.argmin(score, axis=1)
        return RoutingDecision(warehouse, view.default_mode[orders.service_level])
