"""Origins as logged: "what we do today" in a marketplace, as the baseline other policies beat.

In a marketplace the origin is not a routing choice: the seller who has the item ships it. This
policy draws each order's origin from the region's observed origin shares
(``scenario.observed_origins``) and its mode from its service level's ``mode_mix`` (the mode the
customer chose), with the run's policy random stream, so the order stream and the world stay
common random numbers and other policies can be compared against it. An origin that already
failed the order for stock is left out and the shares renormalised; a region with no observed
origin (or none left) goes to its nearest serving warehouse.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np

from policies.routing.estimates import lowest_zone
from scenarios.errors import ConfigError
from scenarios.world import World
from sim.engine.contract import OrderBatch, RoutingDecision, RoutingView


def draw_rows(probabilities: np.ndarray, u: np.ndarray) -> np.ndarray:
    """Per row, the index whose cumulative share first exceeds ``u`` (rows sum to 1)."""
    cumulative = np.cumsum(probabilities, axis=1)
    index = (u[:, None] >= cumulative).sum(axis=1)
    return np.minimum(index, probabilities.shape[1] - 1)


@dataclass
class AsLoggedRouting:
    name: str = "as_logged"
    _origin: np.ndarray = field(init=False, repr=False, default_factory=lambda: np.zeros((0, 0)))
    _mode_mix: np.ndarray = field(init=False, repr=False, default_factory=lambda: np.zeros((0, 0)))

    def start(self, world: World, seed: int) -> None:
        """The origin and mode tables; a scenario without observed origins is refused."""
        if world.observed_origin is None:
            raise ConfigError(
                "scenario.observed_origins",
                "origin shares as logged (region: {warehouse: share}) for routing=as_logged",
            )
        self._origin = np.asarray(world.observed_origin, dtype=float)
        self._mode_mix = np.array([level.mode_mix for level in world.service_levels])

    def route(self, orders: OrderBatch, view: RoutingView) -> RoutingDecision:
        n = len(orders)
        rng = view.rng
        u_origin, u_mode = rng.random(n), rng.random(n)
        zone = view.zone[orders.region]
        shares = np.where(orders.excluded | (zone == 0), 0.0, self._origin[orders.region])
        total = shares.sum(axis=1)
        observed = total > 0
        warehouse = lowest_zone(zone, orders.excluded, zone > 0, view.backlog())
        if observed.any():
            rows = shares[observed] / total[observed, None]
            warehouse[observed] = draw_rows(rows, u_origin[observed])
        mode = draw_rows(self._mode_mix[orders.service_level], u_mode)
        return RoutingDecision(warehouse, mode)
