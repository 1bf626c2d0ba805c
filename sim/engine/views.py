"""What policies may see and do: read-only views of the engine and a small set of actions.

Views hand out copies or read-only arrays of *observable* state only: stock as of the last sync,
backlogs, carrier load, issued weather forecasts and the public order attributes. True stock, true
weather and the customer's own expectation never cross this boundary.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

import numpy as np

from scenarios.world import World

if TYPE_CHECKING:
    from sim.engine.simulation import Simulation


def _frozen(a: np.ndarray) -> np.ndarray:
    a = np.array(a, copy=True)
    a.setflags(write=False)
    return a


@dataclass(frozen=True)
class OrderBatch:
    """Orders to route together (one allocation wave), public attributes only."""

    order_id: np.ndarray
    created_h: np.ndarray
    promised_h: np.ndarray
    region: np.ndarray
    product: np.ndarray
    items: np.ndarray
    value_usd: np.ndarray
    margin_usd: np.ndarray
    channel: np.ndarray
    service_level: np.ndarray  # 0 standard, 1 express
    vip: np.ndarray
    signal: np.ndarray  # behaviour signal in (0, 1): higher = more relaxed customer
    excluded: np.ndarray  # [order, warehouse] True where the order already failed for stock

    def __len__(self) -> int:
        return len(self.order_id)


@dataclass(frozen=True)
class RoutingDecision:
    """Per order of the batch: warehouse index, mode index, and optionally pick priority."""

    warehouse: np.ndarray
    mode: np.ndarray
    priority: np.ndarray | None = None  # True: to the front of the pick queue


class RoutingView:
    """Observable network state at decision time."""

    def __init__(self, sim: Simulation) -> None:
        self._sim = sim
        self.world: World = sim.public_world  # the network, without scripted storms
        self.zone = _frozen(sim.world.zone)  # [region, warehouse], 0 = not served
        self.price_usd = _frozen(sim.world.price_table_usd())  # [mode, zone]
        self.transit_mean_h = _frozen(sim.world.transit_mean_table_h())  # [mode, zone]
        self.default_mode = _frozen(sim.world.service_mode)  # by service level
        self.pick_time_mean_h = _frozen(
            np.array([w.pick_time.mean_h for w in sim.world.warehouses])
        )
        self.rng = sim.streams["policy"]

    @property
    def now_h(self) -> float:
        return float(self._sim.env.now)

    def visible_stock(self) -> np.ndarray:
        """Units by [warehouse, product class] as of the last stock sync."""
        return self._sim.visible_stock()

    @property
    def stock_synced_h(self) -> float:
        return self._sim.stock_synced_h

    def allocated_since_sync(self) -> np.ndarray:
        """Units the order-management system itself sent to [warehouse, product] since the sync:
        its own bookkeeping, so visible stock minus this is its best estimate of what is left."""
        out = self._sim.allocated_since_sync.copy()
        out.setflags(write=False)
        return out

    def backlog(self) -> np.ndarray:
        """Orders waiting for a picker, by warehouse."""
        return np.array([w.backlog for w in self._sim.warehouses])

    def pickers_on_shift(self) -> np.ndarray:
        now = self.now_h
        return np.array([w.pickers_on(now) for w in self._sim.warehouses])

    def carrier_load(self) -> np.ndarray:
        """Share of today's capacity used, by [warehouse, mode]."""
        c = self._sim.carriers
        return c.shipped_today / c.capacity

    def storm_forecast(self) -> np.ndarray:
        """By region: a storm is forecast (issued and not yet over)."""
        return self._sim.forecasts.active(len(self.world.regions), self.now_h)

    def storm_window(self) -> tuple[np.ndarray, np.ndarray]:
        """By region: predicted (start, end) hour of the next forecast storm, inf if none."""
        return self._sim.forecasts.window(len(self.world.regions), self.now_h)


@dataclass(frozen=True)
class OpenOrders:
    """Orders not yet delivered or cancelled, as the order-management system knows them."""

    order_id: np.ndarray
    stage: np.ndarray  # sim.engine.orderbook.Stage values
    created_h: np.ndarray
    promised_h: np.ndarray
    region: np.ndarray
    warehouse: np.ndarray
    mode: np.ndarray
    value_usd: np.ndarray
    vip: np.ndarray
    service_level: np.ndarray
    queued_h: np.ndarray
    picked_h: np.ndarray
    shipped_h: np.ndarray
    last_scan_h: np.ndarray  # NaN until shipped
    alert_level: np.ndarray  # highest level raised so far (0 none, 1 blue, 2 yellow, 3 red)
    claim_open: np.ndarray


class MonitorView(RoutingView):
    """Routing's view plus the open orders and their tracking."""

    def open_orders(self) -> OpenOrders:
        sim = self._sim
        idx = sim.open_order_ids()
        book, orders = sim.book, sim.orders
        now = self.now_h
        shipped = book.shipped_h[idx]
        mode = book.mode[idx]
        interval = np.array([m.scan_interval_h for m in self.world.modes])[np.maximum(mode, 0)]
        last_scan = shipped + np.floor((now - shipped) / interval) * interval
        dark = book.track_gap_start_h[idx]
        last_scan = np.where(dark <= now, np.fmax(shipped, np.fmin(last_scan, dark)), last_scan)
        return OpenOrders(
            order_id=idx,
            stage=book.stage[idx].copy(),
            created_h=orders.created_h[idx],
            promised_h=sim.promised_h[idx],
            region=orders.region[idx],
            warehouse=book.warehouse[idx].copy(),
            mode=mode.copy(),
            value_usd=orders.value_usd[idx],
            vip=orders.vip[idx],
            service_level=orders.service_level[idx],
            queued_h=book.queued_h[idx].copy(),
            picked_h=book.picked_h[idx].copy(),
            shipped_h=shipped.copy(),
            last_scan_h=last_scan,
            alert_level=book.alert_level[idx].copy(),
            claim_open=~np.isnan(book.claim_h[idx]),
        )

    def promotions(self) -> dict[str, tuple[bool, float]]:
        """By burst name: (running now per the plan, paused until hour or NaN)."""
        sim, now = self._sim, self.now_h
        return {
            b.name: (
                b.start_h <= now < b.start_h + b.duration_h,
                sim.paused_until_h.get(i, float("nan")),
            )
            for i, b in enumerate(self.world.demand.bursts)
            if b.promotion
        }


ALERT_LEVELS = {"blue": 1, "yellow": 2, "red": 3}


class EngineActions:
    """The few things a monitoring policy may do; each returns how many orders it changed."""

    def __init__(self, sim: Simulation) -> None:
        self._world = sim.world
        self._do = sim.interventions

    def alert(self, order_ids: np.ndarray, level: str) -> int:
        """Record an alert (once per order and level), for the alert-quality KPIs."""
        return self._do.record_alert(_ids(order_ids), ALERT_LEVELS[level])

    def prioritise(self, order_ids: np.ndarray) -> int:
        """Move queued orders to the front of their warehouse's pick queue."""
        return self._do.prioritise(_ids(order_ids))

    def expedite(self, order_ids: np.ndarray, mode: str) -> int:
        """Switch unshipped orders to another mode (its price is paid at pickup)."""
        return self._do.expedite(_ids(order_ids), self._world.mode_index(mode))

    def reallocate(self, order_ids: np.ndarray, warehouse: str) -> int:
        """Transfer orders not yet picked to another warehouse, if its stock allows."""
        return self._do.reallocate(_ids(order_ids), self._world.warehouse_names.index(warehouse))

    def transfer(self, order_ids: np.ndarray) -> int:
        """Move orders not yet picked to their backup warehouse: the least-loaded other warehouse
        serving the region (at most two zones further) that shows stock and has less work queued
        per picker than theirs. Orders without such a backup stay."""
        return self._do.transfer(_ids(order_ids))

    def notify(
        self,
        order_ids: np.ndarray,
        then: str,
        handling_h: float,
        backup_warehouse: str | None = None,
    ) -> int:
        """Hand orders to the human team (the policy's ``team_size`` people): after
        ``handling_h`` of a free person's time, ``then`` happens: ``prioritise``, ``expedite``
        (to the fastest mode) or ``transfer`` (to ``backup_warehouse`` if given, else as
        :meth:`transfer`). Staff time is charged to the orders."""
        backup = None
        if backup_warehouse is not None:
            backup = self._world.warehouse_names.index(backup_warehouse)
        return self._do.notify(_ids(order_ids), then, handling_h, backup)

    def open_claim(self, order_ids: np.ndarray) -> int:
        """Open a claims pre-review on shipped orders: contact the customer, and if the parcel is
        really lost, ship the replacement now instead of after the carrier notices."""
        return self._do.open_claim(_ids(order_ids))

    def pause_promotion(self, name: str, hours: float) -> bool:
        """Hold back a promotion's burst orders for ``hours``; they enter when it resumes."""
        return self._do.pause_promotion(name, hours)


def _ids(order_ids: np.ndarray) -> np.ndarray:
    return np.unique(np.asarray(order_ids, dtype=np.int64))
