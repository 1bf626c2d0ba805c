"""The engine's side of the seam: views filled with published readings, actions as requests.

Before each policy call the engine *publishes* what the order-management system can read at
that moment (:class:`Readings`, and for monitoring the open orders and promotions) into the
view; the view holds nothing else but read-only network tables, the issued forecasts and the
policy random stream. Actions are recorded as requests the engine carries out when ``inspect``
returns. So a policy can reach no simulation object, no order book, no true storm and no array
it could write: the seal is structural, and a test walks the objects to prove it.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from scenarios.world import World
from sim.engine.contract import (
    ALERT_LEVELS,
    EngineActions,
    MonitorView,
    OpenOrders,
    OrderBatch,
    RoutingDecision,
    RoutingView,
    frozen,
    read_only,
)
from sim.engine.weather import PublicForecasts

__all__ = [
    "ALERT_LEVELS",
    "ActionRequests",
    "EngineActions",
    "MonitorView",
    "OpenOrders",
    "OrderBatch",
    "PublishedMonitorView",
    "PublishedRoutingView",
    "Readings",
    "RoutingDecision",
    "RoutingView",
    "frozen",
    "read_only",
]


@dataclass(frozen=True)
class Readings:
    """What the order-management system reads at one moment (all arrays read-only)."""

    now_h: float
    visible_stock: np.ndarray  # [warehouse, product] as of the last sync (live if no lag)
    stock_synced_h: float
    allocated_since_sync: np.ndarray  # [warehouse, product]: the OMS's own allocations
    backlog: np.ndarray  # [warehouse] orders waiting for a picker
    pickers_on_shift: np.ndarray  # [warehouse]
    carrier_load: np.ndarray  # [warehouse, mode] share of today's capacity used


class PublishedRoutingView:
    """A :class:`~sim.engine.contract.RoutingView` over the readings last published."""

    def __init__(
        self,
        world: World,
        transit_mean_h: np.ndarray,
        forecasts: PublicForecasts,
        rng: np.random.Generator,
    ) -> None:
        self.world = world  # the network as policies may know it (no scripted storms)
        self.zone = read_only(world.zone)  # [region, warehouse], 0 = not served
        self.price_usd = read_only(world.price_table_usd())  # [mode, zone]
        self.transit_mean_h = read_only(transit_mean_h)  # [mode, zone]
        self.default_mode = read_only(world.service_mode)  # by service level
        # by warehouse: the mean pick, or the mean handling delay where one replaces the pickers
        self.pick_time_mean_h = read_only(
            np.array([(w.handling or w.pick_time).mean for w in world.warehouses])
        )
        self.rng = rng  # the "policy" stream, for randomised policies
        self._forecasts = forecasts
        self._readings: Readings | None = None
        # the forecast storms (start, end, severity by region): the same from the hour they were
        # found until the next forecast is issued or ends
        none = frozen(np.zeros(0))
        self._outlook = (none, none, none)
        self._outlook_hours = (np.inf, -np.inf)  # found at, valid until

    def publish(self, readings: Readings) -> None:
        self._readings = readings

    @property
    def _now(self) -> Readings:
        if self._readings is None:
            raise RuntimeError("the view is read during a policy call only")
        return self._readings

    @property
    def now_h(self) -> float:
        return self._now.now_h

    def visible_stock(self) -> np.ndarray:
        return self._now.visible_stock

    @property
    def stock_synced_h(self) -> float:
        return self._now.stock_synced_h

    def allocated_since_sync(self) -> np.ndarray:
        return self._now.allocated_since_sync

    def backlog(self) -> np.ndarray:
        return self._now.backlog

    def pickers_on_shift(self) -> np.ndarray:
        return self._now.pickers_on_shift

    def carrier_load(self) -> np.ndarray:
        return self._now.carrier_load

    def storm_forecast(self) -> np.ndarray:
        return frozen(self._forecasts.active(len(self.world.regions), self.now_h))

    def storm_forecast_severity(self) -> np.ndarray:
        return self._storm_outlook()[2]

    def storm_window(self) -> tuple[np.ndarray, np.ndarray]:
        start, end, _ = self._storm_outlook()
        return start, end

    def _storm_outlook(self) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """Read by most routers twice a wave: the forecasts are searched again only once one
        has been issued or has ended since the last search."""
        now, (since, until) = self.now_h, self._outlook_hours
        if not since <= now < until:
            start, end, severity = self._forecasts.outlook(len(self.world.regions), now)
            self._outlook = (frozen(start), frozen(end), frozen(severity))
            self._outlook_hours = (now, self._forecasts.next_change_h(now))
        return self._outlook


class PublishedMonitorView(PublishedRoutingView):
    """A :class:`~sim.engine.contract.MonitorView`: routing's view plus open orders."""

    _open: OpenOrders | None = None
    _promotions: Mapping[str, tuple[bool, float]] = {}

    def publish_open(
        self, open_orders: OpenOrders, promotions: Mapping[str, tuple[bool, float]]
    ) -> None:
        self._open = open_orders
        self._promotions = dict(promotions)

    def open_orders(self) -> OpenOrders:
        if self._open is None:
            raise RuntimeError("open orders are read during an inspection only")
        return self._open

    def promotions(self) -> dict[str, tuple[bool, float]]:
        return dict(self._promotions)


@dataclass
class ActionRequests:
    """An :class:`~sim.engine.contract.EngineActions` that records requests, in order, with
    names checked against the network at once; the engine carries them out and clears them."""

    world: World
    requests: list[tuple[str, tuple[Any, ...]]] = field(default_factory=list)

    def take(self) -> list[tuple[str, tuple[Any, ...]]]:
        out, self.requests = self.requests, []
        return out

    def alert(self, order_ids: np.ndarray, level: str) -> None:
        if level not in ALERT_LEVELS:
            raise ValueError(f"alert level {level!r}: expected one of {', '.join(ALERT_LEVELS)}")
        self.requests.append(("alert", (_ids(order_ids), ALERT_LEVELS[level])))

    def prioritise(self, order_ids: np.ndarray) -> None:
        self.requests.append(("prioritise", (_ids(order_ids),)))

    def expedite(self, order_ids: np.ndarray, mode: str) -> None:
        self.requests.append(("expedite", (_ids(order_ids), self.world.mode_index(mode))))

    def reallocate(self, order_ids: np.ndarray, warehouse: str) -> None:
        target = self.world.warehouse_names.index(warehouse)
        self.requests.append(("reallocate", (_ids(order_ids), target)))

    def transfer(self, order_ids: np.ndarray) -> None:
        self.requests.append(("transfer", (_ids(order_ids),)))

    def notify(
        self,
        order_ids: np.ndarray,
        then: str,
        handling_h: float,
        backup_warehouse: str | None = None,
    ) -> None:
        backup = None
        if backup_warehouse is not None:
            backup = self.world.warehouse_names.index(backup_warehouse)
        self.requests.append(("notify", (_ids(order_ids), then, float(handling_h), backup)))

    def open_claim(self, order_ids: np.ndarray) -> None:
        self.requests.append(("open_claim", (_ids(order_ids),)))

    def pause_promotion(self, name: str, hours: float) -> None:
        self.requests.append(("pause_promotion", (str(name), float(hours))))


def _ids(order_ids: np.ndarray) -> np.ndarray:
    return read_only(np.unique(np.asarray(order_ids, dtype=np.int64)))
