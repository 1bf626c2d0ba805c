"""Stock that leaves a warehouse without any web order: other channels and shrink.

Omnichannel stock is shared: stores, marketplaces and B2B draw units from the same warehouse
outside the web order-management system, and some units simply disappear (theft, damage, admin
error). The OMS learns of both only at its next stock sync, so its picture drifts from the truth
between syncs — the reason a slower sync costs re-routes even for routers that keep a ledger of
their own allocations (DOMAIN.md "Inventory visibility").

Rates are per warehouse and product class, from the world: the web's expected units at each
warehouse (each region's demand shared among its nearest warehouses), scaled so that other
channels take ``other_channel_share`` of all units drawn, plus shrink at ``shrink_share`` of all
units sold. Counts are Poisson per hour, drawn per day from the ``drains`` stream (common random
numbers: the same drains under every policy), and applied once an hour (one event for the whole
network); a channel cannot take
units that are not there.
"""

from __future__ import annotations

from collections.abc import Generator, Sequence
from typing import Any

import numpy as np
import simpy

from scenarios.world import World
from sim.engine.streams import RandomStreams
from sim.engine.warehouse import WarehouseOps

HOURS_PER_DAY = 24


def web_units_per_h(world: World) -> np.ndarray:
    """[warehouse, product] expected web units an hour, each region served by its nearest
    warehouses (ties share): where the web's own demand would draw them by default."""
    d, zone = world.demand, world.zone.astype(float)
    served = np.where(zone > 0, zone, np.inf)
    nearest = served == served.min(axis=1, keepdims=True)
    split = nearest / nearest.sum(axis=1, keepdims=True)  # [region, warehouse]
    by_warehouse = d.region_share @ split
    units_per_order = 1.0 + d.extra_items_mean
    return np.outer(by_warehouse, d.product_share) * d.base_rate_per_h * units_per_order


def drain_rates_per_h(world: World) -> tuple[np.ndarray, np.ndarray]:
    """([warehouse, product] units an hour to other channels, the same lost to shrink)."""
    inv = world.inventory
    web = web_units_per_h(world)
    other = web * inv.other_channel_share / (1.0 - inv.other_channel_share)
    return other, (web + other) * inv.shrink_share


class StockDrains:
    """Applies other channels' draws and shrink to true stock, hour by hour."""

    def __init__(
        self,
        env: simpy.Environment,
        world: World,
        warehouses: Sequence[WarehouseOps],
        streams: RandomStreams,
    ) -> None:
        self._env = env
        self._warehouses = warehouses
        self._streams = streams
        self._other_per_h, self._shrink_per_h = drain_rates_per_h(world)
        inv = world.inventory
        self.active = inv.enabled and bool((self._other_per_h + self._shrink_per_h).any())
        self._day = -1
        self._other: np.ndarray = np.empty(0)
        self._shrink: np.ndarray = np.empty(0)

    def start(self) -> None:
        """Start the hourly drain (a process; started by the simulation in its fixed order)."""
        if self.active:
            self._env.process(self._drain())

    def _counts(self, hour: int) -> tuple[np.ndarray, np.ndarray]:
        """[warehouse, product] units drawn by other channels and lost to shrink in ``hour``."""
        day = hour // 24
        if day != self._day:
            rng = self._streams.day("drains", day)
            shape = (HOURS_PER_DAY, *self._other_per_h.shape)
            self._other = rng.poisson(self._other_per_h, shape)
            self._shrink = rng.poisson(self._shrink_per_h, shape)
            self._day = day
        k = hour % HOURS_PER_DAY
        return self._other[k], self._shrink[k]

    def _drain(self) -> Generator[Any, Any, None]:
        hour = 0
        while True:
            yield self._env.timeout(1.0)
            other, shrink = self._counts(hour)
            for w, ops in enumerate(self._warehouses):
                ops.drain(other[w], shrink[w])
            hour += 1
