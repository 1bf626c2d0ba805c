"""One run of the fulfilment network: wires demand, warehouses, carriers and policies into SimPy.

Life cycle of an order: created -> routed in an allocation wave (warehouse + mode) -> stock
reserved (or, when stale stock misled routing: re-routed, back-ordered or cancelled) -> queued for
a picker -> picked/packed -> waits at the dock for the carrier pickup -> in transit -> delivered.
Everything random is drawn from named streams, so policies see common random numbers.
"""

from __future__ import annotations

import dataclasses
import math
from collections.abc import Callable, Generator
from typing import TYPE_CHECKING, Any

import numpy as np
import simpy

from scenarios.world import World
from sim.engine.carrier import CarrierOps
from sim.engine.demand import generate_orders
from sim.engine.interventions import Interventions
from sim.engine.orderbook import OrderBook, Stage
from sim.engine.result import RunResult, TimeSeries
from sim.engine.streams import RandomStreams
from sim.engine.views import (
    EngineActions,
    MonitorView,
    OrderBatch,
    RoutingView,
)
from sim.engine.warehouse import HIGH_PRIORITY, NORMAL_PRIORITY, WarehouseOps
from sim.engine.weather import generate_weather

if TYPE_CHECKING:
    from policies.protocols import MonitoringPolicy, RoutingPolicy

ProgressCallback = Callable[[float], None]  # called with simulated days done


class PolicyError(RuntimeError):
    """A policy returned a decision the network cannot carry out."""


class Simulation:
    """Build with a world, two policies and a seed; :meth:`run` returns the records."""

    def __init__(
        self,
        world: World,
        routing: RoutingPolicy,
        monitoring: MonitoringPolicy,
        seed: int,
        horizon_days: float,
        warmup_days: float = 0.0,
        timeseries_interval_h: float = 1.0,
        progress: ProgressCallback | None = None,
    ) -> None:
        self.world = world
        self.routing = routing
        self.monitoring = monitoring
        self.seed = seed
        self.horizon_h = horizon_days * 24.0
        self.warmup_h = warmup_days * 24.0
        self.progress = progress
        self.streams = RandomStreams(seed)
        self.orders = generate_orders(world, self.horizon_h, self.streams)
        self.storms, self.forecasts = generate_weather(world, self.horizon_h, self.streams)
        n = len(self.orders)
        self.book = OrderBook(n)
        self.promised_h = (
            self.orders.created_h + world.customer.promise_h[self.orders.service_level]
        )
        self.env = simpy.Environment()
        self.carriers = CarrierOps(
            self.env, world, self.book, self.orders, self.storms, self.horizon_h
        )
        self.warehouses = [
            WarehouseOps(
                self.env,
                i,
                spec,
                self.book,
                self.orders,
                self.storms,
                world.weather.warehouse_slowdown,
                self._packed,
            )
            for i, spec in enumerate(world.warehouses)
        ]
        self._synced_stock = np.stack([w.on_hand for w in self.warehouses]).astype(np.int64)
        self.stock_synced_h = 0.0
        self.allocated_since_sync = np.zeros_like(self._synced_stock)
        self._lagging_stock = world.inventory.enabled and world.inventory.sync_interval_h > 0
        self.paused_until_h: dict[int, float] = {}  # burst -> hour its promotion resumes
        self._held: dict[int, list[int]] = {}  # burst -> orders held back meanwhile
        self._excluded: dict[int, set[int]] = {}
        self._arrived = 0  # orders with index below this have arrived
        self._oldest_open = 0
        self._pick_cost = world.costs.pick_pack_usd + world.costs.extra_item_usd * (
            self.orders.items - 1
        )
        # policies get the network without the scripted storms: those are future weather truth
        self.public_world = dataclasses.replace(
            world, weather=dataclasses.replace(world.weather, scripted=())
        )
        self.interventions = Interventions(self, int(getattr(monitoring, "team_size", 0)))
        self.routing_view = RoutingView(self)
        self.monitor_view = MonitorView(self)
        self.actions = EngineActions(self)
        self.timeseries = TimeSeries(len(world.warehouses), timeseries_interval_h, self.horizon_h)
        routing.start(self.public_world, seed)
        monitoring.start(self.public_world, seed)
        self.env.process(self._allocation())
        if world.inventory.enabled and world.inventory.sync_interval_h > 0:
            self.env.process(self._stock_sync())
        if math.isfinite(monitoring.interval_h):
            self.env.process(self._monitoring())
        self.env.process(self._sample())
        if progress is not None:
            self.env.process(self._progress())

    # -- processes -----------------------------------------------------------------------------
    def _allocation(self) -> Generator[Any, Any, None]:
        env, created = self.env, self.orders.created_h
        n, wave = len(created), self.world.allocation_wave_h
        i = 0
        while i < n:
            if wave > 0:
                yield env.timeout(wave)
                j = int(np.searchsorted(created, env.now, side="right"))
            else:
                if created[i] > env.now:
                    yield env.timeout(created[i] - env.now)
                j = i + 1
            if j > i:
                self._arrived = j
                self.book.stage[i:j] = Stage.WAITING_ROUTE
                arrivals = np.arange(i, j)
                if self.paused_until_h:
                    arrivals = self._hold_paused(arrivals)
                self.book.released_h[arrivals] = env.now
                if len(arrivals):
                    self._route(arrivals)
                i = j

    def _hold_paused(self, arrivals: np.ndarray) -> np.ndarray:
        """Keep back orders of paused promotions; return the ones that enter now."""
        now, burst = self.env.now, self.orders.burst[arrivals]
        enter = np.ones(len(arrivals), dtype=bool)
        for b, until in self.paused_until_h.items():
            if until > now:
                mine = burst == b
                self._held.setdefault(b, []).extend(arrivals[mine].tolist())
                enter &= ~mine
        return arrivals[enter]

    def release_held(self, burst: int, until_h: float) -> Generator[Any, Any, None]:
        """At the end of a pause, held orders enter, promised from now."""
        yield self.env.timeout(until_h - self.env.now)
        if self.paused_until_h.get(burst) != until_h:
            return  # the pause was extended; a later release takes them
        del self.paused_until_h[burst]
        held = np.asarray(self._held.pop(burst, []), dtype=np.int64)
        if len(held):
            now, book = self.env.now, self.book
            book.held[held] = True
            book.released_h[held] = now
            self.promised_h[held] = (
                now + self.world.customer.promise_h[self.orders.service_level[held]]
            )
            margin_loss = self.world.costs.held_order_margin_loss_p * self.orders.margin_usd[held]
            book.cost_monitoring_usd[held] += margin_loss
            self._route(held)

    def _stock_sync(self) -> Generator[Any, Any, None]:
        while True:
            yield self.env.timeout(self.world.inventory.sync_interval_h)
            for w, ops in enumerate(self.warehouses):
                self._synced_stock[w] = ops.on_hand
            self.allocated_since_sync[:] = 0
            self.stock_synced_h = self.env.now

    def _monitoring(self) -> Generator[Any, Any, None]:
        while True:
            yield self.env.timeout(self.monitoring.interval_h)
            self.monitoring.inspect(self.monitor_view, self.actions)

    def _sample(self) -> Generator[Any, Any, None]:
        ts = self.timeseries
        while True:
            now = self.env.now
            for w, ops in enumerate(self.warehouses):
                ts.record(
                    w,
                    now,
                    backlog=ops.backlog,
                    picking=ops.busy,
                    at_dock=self.carriers.dock_size(w),
                    backordered=int(sum(len(q) for q in ops.backorders)),
                    stock_units=int(ops.on_hand.sum()) if self.world.inventory.enabled else -1,
                    pickers_on_shift=ops.pickers_on(now),
                )
            yield self.env.timeout(ts.interval_h)

    def _progress(self) -> Generator[Any, Any, None]:
        assert self.progress is not None
        while True:
            yield self.env.timeout(24.0)
            self.progress(self.env.now / 24.0)

    def _reroute_later(self, orders: np.ndarray, delay_h: float) -> Generator[Any, Any, None]:
        yield self.env.timeout(delay_h)
        self._route(orders)

    # -- routing and stock-outs ----------------------------------------------------------------
    def visible_stock(self) -> np.ndarray:
        """Stock as the order-management system sees it (live when syncing is real time)."""
        if self.world.inventory.sync_interval_h > 0:
            out = self._synced_stock.copy()
        else:
            out = np.stack([w.on_hand for w in self.warehouses])
        out.setflags(write=False)
        return out

    def _batch(self, idx: np.ndarray) -> OrderBatch:
        o = self.orders
        excluded = np.zeros((len(idx), len(self.warehouses)), dtype=bool)
        if self._excluded:
            for k, order in enumerate(idx):
                for w in self._excluded.get(int(order), ()):
                    excluded[k, w] = True
        return OrderBatch(
            order_id=idx,
            created_h=o.created_h[idx],
            promised_h=self.promised_h[idx],
            region=o.region[idx],
            product=o.product[idx],
            items=o.items[idx],
            value_usd=o.value_usd[idx],
            margin_usd=o.margin_usd[idx],
            channel=o.channel[idx],
            service_level=o.service_level[idx],
            vip=o.vip[idx],
            signal=o.signal[idx],
            excluded=excluded,
        )

    def _route(self, idx: np.ndarray) -> None:
        decision = self.routing.route(self._batch(idx), self.routing_view)
        warehouse = np.asarray(decision.warehouse, dtype=np.int64)
        mode = np.asarray(decision.mode, dtype=np.int64)
        self._check_decision(idx, warehouse, mode)
        book, now = self.book, self.env.now
        book.warehouse[idx] = warehouse
        book.mode[idx] = mode
        book.zone[idx] = self.world.zone[self.orders.region[idx], warehouse]
        first = np.isnan(book.routed_h[idx])
        book.routed_h[idx[first]] = now
        if decision.priority is None:
            priority = [NORMAL_PRIORITY] * len(idx)
        else:
            urgent = np.asarray(decision.priority, dtype=bool)
            priority = np.where(urgent, HIGH_PRIORITY, NORMAL_PRIORITY).tolist()
            book.prioritised[idx[urgent]] = True
        for order, w, rank in zip(idx.tolist(), warehouse.tolist(), priority, strict=True):
            ops = self.warehouses[w]
            if ops.try_reserve(order):
                self.note_allocation(order, w)
                ops.enqueue(order, rank)
            else:
                self._stockout(order, w)

    def note_allocation(self, order: int, w: int) -> None:
        """The OMS's own record of units it sent since the last sync (observable to policies)."""
        if self._lagging_stock:
            self.allocated_since_sync[w, self.orders.product[order]] += self.orders.items[order]

    def _check_decision(self, idx: np.ndarray, warehouse: np.ndarray, mode: np.ndarray) -> None:
        name = getattr(self.routing, "name", type(self.routing).__name__)
        if warehouse.shape != idx.shape or mode.shape != idx.shape:
            raise PolicyError(
                f"routing {name!r} returned {warehouse.shape}/{mode.shape} "
                f"decisions for {len(idx)} orders"
            )
        if ((warehouse < 0) | (warehouse >= len(self.warehouses))).any() or (
            (mode < 0) | (mode >= len(self.world.modes))
        ).any():
            raise PolicyError(f"routing {name!r} chose an unknown warehouse or mode")
        if (self.world.zone[self.orders.region[idx], warehouse] == 0).any():
            raise PolicyError(f"routing {name!r} chose a warehouse that does not serve the region")

    def _stockout(self, order: int, w: int) -> None:
        """True stock cannot cover an order routed on stale stock: re-route, back-order, cancel."""
        inv, costs, book = self.world.inventory, self.world.costs, self.book
        ops = self.warehouses[w]
        product = int(self.orders.product[order])
        tried = self._excluded.setdefault(order, set())
        tried.add(w)
        alternatives = np.flatnonzero(self.world.zone[self.orders.region[order]] > 0)
        untried = [a for a in alternatives.tolist() if a not in tried]
        if inv.on_stockout == "reroute" and book.reroutes[order] < inv.max_reroutes and untried:
            book.reroutes[order] += 1
            book.cost_exception_usd[order] += costs.reroute_usd
            book.stage[order] = Stage.WAITING_ROUTE
            self.env.process(self._reroute_later(np.array([order]), inv.reroute_delay_h))
        elif inv.on_stockout != "cancel" and ops.can_backorder(product):
            book.backordered[order] = True
            book.cost_exception_usd[order] += costs.backorder_usd
            ops.backorder(order)
        else:
            book.cost_exception_usd[order] += costs.cancel_usd
            book.stage[order] = Stage.CANCELLED
            book.cancelled_h[order] = self.env.now

    def _packed(self, order: int) -> None:
        self.book.cost_pick_usd[order] = self._pick_cost[order]
        self.carriers.add_packed(order)

    # -- monitoring actions --------------------------------------------------------------------
    def open_order_ids(self) -> np.ndarray:
        """Arrived orders not yet delivered (as of now) or cancelled."""
        book, now = self.book, self.env.now
        lo, hi = self._oldest_open, self._arrived
        stage = book.stage[lo:hi]
        done = (stage == Stage.CANCELLED) | (
            (stage == Stage.IN_TRANSIT) & (book.delivered_h[lo:hi] <= now)
        )
        if len(done) and done.all():
            self._oldest_open = hi
        elif len(done):
            self._oldest_open = lo + int(np.argmin(done))
        return lo + np.flatnonzero(~done)

    # -- run -------------------------------------------------------------------------------------
    def run(self) -> RunResult:
        self.env.run(until=self.horizon_h)
        return RunResult.from_simulation(self)


def run(
    world: World,
    routing: RoutingPolicy,
    monitoring: MonitoringPolicy,
    seed: int,
    horizon_days: float,
    warmup_days: float = 0.0,
    timeseries_interval_h: float = 1.0,
    progress: ProgressCallback | None = None,
) -> RunResult:
    """Simulate one replication and return its records (invariants already checked)."""
    return Simulation(
        world, routing, monitoring, seed, horizon_days, warmup_days, timeseries_interval_h, progress
    ).run()
