"""One run of the fulfilment network: wires demand, warehouses, carriers and policies into SimPy.

Life cycle of an order: created -> routed in an allocation wave (warehouse + mode) -> stock
reserved (or, when stale stock misled routing: re-routed, back-ordered or cancelled) -> queued for
a picker -> picked/packed -> waits at the dock for the carrier pickup -> in transit -> delivered.
Everything random is drawn from named streams, so policies see common random numbers. Policies
are called through the seam in :mod:`sim.engine.contract`: before each call the simulation
publishes what the order-management system can read; monitoring's actions come back as requests.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Generator, Sequence
from typing import Any

import numpy as np
import simpy

from scenarios.world import World
from sim.engine.availability import Availability
from sim.engine.carrier import CarrierOps
from sim.engine.contract import (
    MonitoringPolicy,
    OpenOrders,
    OrderBatch,
    RoutingPolicy,
    Stage,
    public_world,
)
from sim.engine.demand import generate_orders
from sim.engine.interventions import Interventions
from sim.engine.invariants import check_counts, check_places, check_stock
from sim.engine.orderbook import OrderBook
from sim.engine.promotions import PromotionPauses
from sim.engine.result import FinishedRun, RunResult, TimeSeries, collect, events_scheduled
from sim.engine.stock_view import StockVisibility
from sim.engine.streams import RandomStreams
from sim.engine.views import ActionRequests, PublishedMonitorView, Readings, frozen, read_only
from sim.engine.warehouse import HIGH_PRIORITY, NORMAL_PRIORITY, WarehouseOps
from sim.engine.weather import generate_weather

ProgressCallback = Callable[[float], None]  # called with simulated days done
AUDIT_EVERY_H = 24.0  # the order-place and stock invariants, also checked during the run


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
        self.book = OrderBook(len(self.orders))
        self.promised_h = (
            self.orders.created_h + world.customer.promise_h[self.orders.service_level]
        )
        self.env = simpy.Environment()
        availability = Availability(world, self.storms)
        self.carriers = CarrierOps(
            self.env, world, self.book, self.orders, availability, self.horizon_h
        )
        self.warehouses = [
            WarehouseOps(self.env, i, spec, self.book, self.orders, availability, self._packed)
            for i, spec in enumerate(world.warehouses)
        ]
        inventory = world.inventory
        self.stock = StockVisibility(
            self.env,
            self.warehouses,
            self.orders,
            inventory.sync_interval_h,
            lagging=inventory.enabled and inventory.sync_interval_h > 0,
        )
        self.promotions = PromotionPauses(
            self.env, world, self.orders, self.book, self.promised_h, self._route
        )
        self._excluded: dict[int, set[int]] = {}
        self._rerouting: set[int] = set()  # stocked out, waiting out the re-route delay
        self._arrived = 0  # orders with index below this have arrived
        self._oldest_open = 0
        self._pick_cost = world.costs.pick_pack_usd + world.costs.extra_item_usd * (
            self.orders.items - 1
        )
        self.interventions = Interventions(
            self.env,
            world,
            self.orders,
            self.book,
            self.warehouses,
            self.carriers,
            self.stock,
            self.promotions,
            int(getattr(monitoring, "team_size", 0)),
        )
        # policies get the network without the scripted storms: those are future weather truth
        known = public_world(world)
        self.view = PublishedMonitorView(
            known, world.transit_mean_table_h(), self.forecasts.public(), self.streams["policy"]
        )
        self.actions = ActionRequests(known)
        self.timeseries = TimeSeries(len(world.warehouses), timeseries_interval_h, self.horizon_h)
        routing.start(known, seed)
        monitoring.start(known, seed)
        self.env.process(self._allocation())
        self.stock.start_syncing()
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
                arrivals = self.promotions.hold_paused(np.arange(i, j))
                self.book.released_h[arrivals] = env.now
                if len(arrivals):
                    self._route(arrivals)
                i = j

    def _monitoring(self) -> Generator[Any, Any, None]:
        while True:
            yield self.env.timeout(self.monitoring.interval_h)
            self._publish()
            now = self.env.now
            self.view.publish_open(self._open_orders(), self.promotions.status(now))
            self.monitoring.inspect(self.view, self.actions)
            self.interventions.apply(self.actions.take())

    def _sample(self) -> Generator[Any, Any, None]:
        while True:
            self._record_sample()
            if self.env.now % AUDIT_EVERY_H < self.timeseries.interval_h:
                self._check_places()
            yield self.env.timeout(self.timeseries.interval_h)

    def _record_sample(self) -> None:
        ts, now = self.timeseries, self.env.now
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

    def _progress(self) -> Generator[Any, Any, None]:
        assert self.progress is not None
        while True:
            yield self.env.timeout(24.0)
            self.progress(self.env.now / 24.0)

    def _reroute_later(self, orders: np.ndarray, delay_h: float) -> Generator[Any, Any, None]:
        yield self.env.timeout(delay_h)
        self._rerouting.difference_update(orders.tolist())
        self._route(orders)

    # -- what policies may read ----------------------------------------------------------------
    def _publish(self) -> None:
        """Put what the order-management system can read right now into the policies' view."""
        now = self.env.now
        carriers = self.carriers
        self.view.publish(
            Readings(
                now_h=float(now),
                visible_stock=self.stock.visible(),
                stock_synced_h=self.stock.synced_h,
                allocated_since_sync=read_only(self.stock.allocated_since_sync),
                backlog=frozen(np.array([w.backlog for w in self.warehouses])),
                pickers_on_shift=frozen(np.array([w.pickers_on(now) for w in self.warehouses])),
                carrier_load=frozen(carriers.shipped_today / carriers.capacity),
            )
        )

    def _open_orders(self) -> OpenOrders:
        """The open orders as the order-management system knows them, with tracking."""
        idx = self._open_order_ids()
        book, orders, now = self.book, self.orders, self.env.now
        shipped = book.shipped_h[idx]
        mode = book.mode[idx]
        interval = np.array([m.scan_interval_h for m in self.world.modes])[np.maximum(mode, 0)]
        last_scan = shipped + np.floor((now - shipped) / interval) * interval
        dark = book.track_gap_start_h[idx]
        last_scan = np.where(dark <= now, np.fmax(shipped, np.fmin(last_scan, dark)), last_scan)
        columns = OpenOrders(
            order_id=idx,
            stage=book.stage[idx],
            created_h=orders.created_h[idx],
            promised_h=self.promised_h[idx],
            region=orders.region[idx],
            warehouse=book.warehouse[idx],
            mode=mode,
            value_usd=orders.value_usd[idx],
            vip=orders.vip[idx],
            service_level=orders.service_level[idx],
            queued_h=book.queued_h[idx],
            picked_h=book.picked_h[idx],
            shipped_h=shipped,
            last_scan_h=last_scan,
            alert_level=book.alert_level[idx],
            claim_open=~np.isnan(book.claim_h[idx]),
        )
        for column in vars(columns).values():  # fancy indexing made copies: freeze them
            column.setflags(write=False)
        return columns

    def _open_order_ids(self) -> np.ndarray:
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

    # -- routing and stock-outs ----------------------------------------------------------------
    def _batch(self, idx: np.ndarray) -> OrderBatch:
        o = self.orders
        excluded = np.zeros((len(idx), len(self.warehouses)), dtype=bool)
        if self._excluded:
            for k, order in enumerate(idx):
                for w in self._excluded.get(int(order), ()):
                    excluded[k, w] = True
        batch = OrderBatch(
            order_id=idx.copy(),
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
        for column in vars(batch).values():
            column.setflags(write=False)
        return batch

    def _route(self, idx: np.ndarray) -> None:
        self._publish()
        decision = self.routing.route(self._batch(idx), self.view)
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
                self.stock.note_allocation(order, w)
                ops.enqueue(order, rank)
            else:
                self._stockout(order, w)

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
            book.charged.charge("reroute", costs.reroute_usd)
            book.stage[order] = Stage.WAITING_ROUTE
            self._rerouting.add(order)
            self.env.process(self._reroute_later(np.array([order]), inv.reroute_delay_h))
        elif inv.on_stockout != "cancel" and ops.can_backorder(product):
            book.backordered[order] = True
            book.cost_exception_usd[order] += costs.backorder_usd
            book.charged.charge("backorder", costs.backorder_usd)
            ops.backorder(order)
        else:
            book.cost_exception_usd[order] += costs.cancel_usd
            book.charged.charge("cancel", costs.cancel_usd)
            book.stage[order] = Stage.CANCELLED
            book.cancelled_h[order] = self.env.now

    def _packed(self, order: int) -> None:
        cost = self._pick_cost[order]
        self.book.cost_pick_usd[order] = cost
        self.book.charged.charge("pick", cost)
        self.carriers.add_packed(order)

    # -- invariants ------------------------------------------------------------------------------
    def _check_places(self) -> None:
        """Every open order in exactly one container, agreeing with its stage (InvariantError)."""
        now, book = self.env.now, self.book
        n_created = int(np.searchsorted(self.orders.created_h, now, side="right"))
        shipped = ~np.isnan(book.shipped_h[:n_created])
        places: dict[str, Sequence[int] | np.ndarray] = {
            "awaiting the allocation wave": np.arange(self._arrived, n_created),
            "held by a paused promotion": self.promotions.held_orders(),
            "waiting for a re-route": list(self._rerouting),
            "back-ordered": np.concatenate([w.backordered_orders() for w in self.warehouses]),
            "in a pick queue": np.concatenate([w.queued_orders() for w in self.warehouses]),
            "being picked": np.concatenate([w.orders_in_hand() for w in self.warehouses]),
            "at a dock": self.carriers.docked_orders(),
            "in transit": np.flatnonzero(shipped & (book.delivered_h[:n_created] > now)),
        }
        check_places(places, book.stage, book.delivered_h, now, n_created)
        for ops in self.warehouses:
            check_stock(ops.spec.name, ops.on_hand, ops.units)
            check_counts(ops.spec.name, ops.counts())

    # -- run -------------------------------------------------------------------------------------
    def run(self) -> RunResult:
        self.env.run(until=self.horizon_h)
        self._record_sample()  # the row at the horizon (the sampler's own event there never runs)
        self._check_places()
        return collect(
            FinishedRun(
                world=self.world,
                orders=self.orders,
                book=self.book,
                promised_h=self.promised_h,
                timeseries=self.timeseries,
                seed=self.seed,
                warmup_h=self.warmup_h,
                horizon_h=self.horizon_h,
                min_stock=min(int(w.min_on_hand.min()) for w in self.warehouses),
                counts={
                    "events": events_scheduled(self.env),
                    "replenishments": sum(w.replenishments for w in self.warehouses),
                    "pickups_skipped": self.carriers.pickups_skipped,
                    "storms": len(self.storms.region),
                    "forecasts": len(self.forecasts.region),
                },
            )
        )


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
