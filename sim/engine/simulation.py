"""One run of the fulfilment network: wires demand, warehouses, carriers and policies into SimPy.

Life cycle of an order: created -> routed in an allocation wave (warehouse + mode) -> stock
reserved (or, when stale stock misled routing: re-routed — after ``reroute_delay_h``, in the next
allocation wave, with that wave's arrivals —, back-ordered or cancelled) -> queued for
a picker -> picked/packed -> waits at the dock for the carrier pickup -> in transit -> delivered.
Everything random is drawn from named streams, so policies see common random numbers. Policies
are called through the seam in :mod:`sim.engine.contract`: before each call the simulation
publishes what the order-management system can read; monitoring's actions come back as requests.
"""

from __future__ import annotations

import math
from collections import deque
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
from sim.engine.demand import OrderStream, day_orders, expected_orders
from sim.engine.drains import StockDrains
from sim.engine.interventions import Interventions
from sim.engine.invariants import check_counts, check_places, check_stock
from sim.engine.orderbook import OrderBook
from sim.engine.parked import ParkedOrders
from sim.engine.promotions import PromotionPauses
from sim.engine.quantile import ValueStore
from sim.engine.restart import condition_weather, place
from sim.engine.result import FinishedRun, Records, Rows, RunResult, TimeSeries, events_scheduled
from sim.engine.sink import CollectedOrders, OrderSink
from sim.engine.snapshot_state import SnapshotRequest, SnapshotState, capture
from sim.engine.stock_view import StockVisibility
from sim.engine.streams import RandomStreams
from sim.engine.views import ActionRequests, PublishedMonitorView, Readings, frozen, read_only
from sim.engine.warehouse import HIGH_PRIORITY, NORMAL_PRIORITY, WarehouseOps
from sim.engine.weather import generate_weather
from sim.engine.window import Window

ProgressCallback = Callable[[float], None]  # called with simulated days done
DEFAULT_COOLDOWN_DAYS = 14.0  # the cohort's last orders may run this long past the horizon
COOL_DOWN_CHECK_H = 1.0  # in the cool-down, how often the run checks whether the cohort resolved
TIME_TOLERANCE_H = 1e-9  # a wave at 0.1 h steps may land a rounding error before a ready time
AUDIT_EVERY_H = 24.0  # the order-place and stock invariants, also checked during the run
# finished orders are handed to the sink at each audit
CAPACITY_SLACK = 1.05  # order ids mapped up front: the expected count and this much more
# finished orders are turned into records at most this many at a time (a quarter row group of
# orders.parquet), so the orders left when the run stops never make one run-sized chunk
RECORD_CHUNK_ORDERS = 16_384


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
        cooldown_days: float = DEFAULT_COOLDOWN_DAYS,
        sink: OrderSink | None = None,
        snapshot: SnapshotRequest | None = None,
        start: SnapshotState | None = None,
        demand_until_h: float | None = None,
        delivery_times: ValueStore | None = None,
    ) -> None:
        self.world = world
        self.routing = routing
        self.monitoring = monitoring
        self.seed = seed
        self.horizon_h = horizon_days * 24.0
        self.warmup_h = warmup_days * 24.0
        self.limit_h = self.horizon_h + cooldown_days * 24.0  # the run stops by then at the latest
        # orders arrive until then (a now-cast bounds new demand apart from the run's limit)
        self.demand_end_h = (
            self.limit_h if demand_until_h is None else min(demand_until_h, self.limit_h)
        )
        self.progress = progress
        self.streams = RandomStreams(seed)
        # orders and weather go on past the horizon, from the same per-day streams (not counted);
        # orders are drawn a day at a time as the clock reaches the day (_draw_through), into
        # columns whose memory is given back once their orders are recorded (_record_finished)
        self.storms, self.forecasts = generate_weather(
            world, self.limit_h + world.weather.forecast_lead_h, self.streams
        )
        self.start_h = 0.0 if start is None else start.snapshot_h  # the clock's first hour
        if start is not None:  # the snapshot's forecasts were out; storms follow them
            self.storms, self.forecasts = condition_weather(
                world, self.storms, self.forecasts, start, seed
            )
        expected = expected_orders(world, self.limit_h)
        self.window = Window(int(CAPACITY_SLACK * expected + 6 * math.sqrt(expected)) + 1024)
        self.orders = OrderStream.in_window(self.window)
        self.book = OrderBook(self.window)
        self.promised_h: np.ndarray  # the promise, made at creation, never changes
        self.window.add(self, "promised_h", np.float64, np.nan)
        self._pick_cost: np.ndarray
        self.window.add(self, "_pick_cost", np.float64, 0.0)
        self.n_orders = 0  # orders drawn so far: ids below this
        self._days_drawn = 0
        self.n_before_horizon = -1  # known once the clock reaches the horizon
        self._recorded = 0  # orders below this are finished, handed to the sink and forgotten
        # (or parked: in transit, their rows kept aside until delivered, when nothing can touch
        # a shipped parcel: a monitoring policy that never acts)
        self.parked = ParkedOrders()
        self._park = not math.isfinite(monitoring.interval_h)
        self.timeseries = TimeSeries(len(world.warehouses), timeseries_interval_h, self.horizon_h)
        self.records = Records(
            world,
            CollectedOrders() if sink is None else sink,
            self.timeseries.time_h,
            self.warmup_h,
            self.horizon_h,
            delivery_times,
        )
        self.env = simpy.Environment(initial_time=self.start_h)
        availability = Availability(world, self.storms)
        self.carriers = CarrierOps(self.env, world, self.book, self.orders, availability)
        self.warehouses = [
            WarehouseOps(
                self.env,
                i,
                spec,
                self.book,
                self.orders,
                availability,
                self._packed,
                lambda order, w: self.stock.note_allocation(order, w),
            )
            for i, spec in enumerate(world.warehouses)
        ]
        for ops in self.warehouses:
            self.window.add(ops, "pick_h", np.float64, np.nan)
        inventory = world.inventory
        self.stock = StockVisibility(
            self.env,
            self.warehouses,
            self.orders,
            inventory.sync_interval_h,
            lagging=inventory.enabled and inventory.sync_interval_h > 0,
        )
        self.drains = StockDrains(self.env, world, self.warehouses, self.streams)
        self.promotions = PromotionPauses(self.env, world, self.orders, self.book, self._route)
        self._excluded: dict[int, set[int]] = {}
        # re-routed orders waiting out reroute_delay_h: (ready hour, order), in ready order; they
        # join the first allocation wave after it (or, without waves, the re-route timer)
        self._reroutes: deque[tuple[float, int]] = deque()
        self._reroute_wake: simpy.Event | None = None
        self._arrived = 0  # orders with index below this have arrived
        self._oldest_open = 0
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
        routing.start(known, seed)
        monitoring.start(known, seed)
        self.env.process(self._allocation())
        if world.allocation_wave_h <= 0:
            self.env.process(self._reroute_timer())
        self.stock.start_syncing()
        self.drains.start()
        if math.isfinite(monitoring.interval_h):
            self.env.process(self._monitoring())
        self.env.process(self._sample())
        self._stop = self.env.event()
        self._settled_only = not math.isfinite(monitoring.interval_h)
        self.end_h = self.limit_h  # when outcomes are read; set when the run stops
        self.env.process(self._cool_down())
        if progress is not None:
            self.env.process(self._progress())
        if snapshot is not None:
            self.env.process(self._snapshot(snapshot))
        self.snapshot_ids = np.zeros(0, dtype=np.int64)  # started from a snapshot: its order ids
        if start is not None:
            self._days_drawn = int(self.start_h // 24.0)  # new demand: from the snapshot on
            self.snapshot_ids = place(self, start, seed)

    # -- processes -----------------------------------------------------------------------------
    def _allocation(self) -> Generator[Any, Any, None]:
        """Route arrivals: in allocation waves (with the re-routes that are due), or one by one."""
        env, wave = self.env, self.world.allocation_wave_h
        i = self._arrived  # (a run from a snapshot: its orders arrived before the start)
        if wave > 0:
            while True:
                yield env.timeout(wave)
                self._draw_through(env.now)
                arrived = self.orders.created_h[i : self.n_orders]
                j = i + int(np.searchsorted(arrived, env.now, side="right"))
                self._admit(i, j, self._due_reroutes())
                i = j
        else:
            while True:
                while i >= self.n_orders and self._days_drawn * 24.0 < self.demand_end_h:
                    self._draw_through(self._days_drawn * 24.0)
                if i >= self.n_orders:
                    return
                created = self.orders.created_h[i]
                if created > env.now:
                    yield env.timeout(created - env.now)
                self._admit(i, i + 1, self._due_reroutes())
                i += 1

    def _draw_through(self, t_h: float) -> None:
        """Draw the orders of every day that starts by ``t_h`` (up to the run's limit), each from
        its own per-day streams: the same orders as drawing the whole run up front."""
        world, costs = self.world, self.world.costs
        while self._days_drawn * 24.0 <= t_h and self._days_drawn * 24.0 < self.demand_end_h:
            day = day_orders(world, self._days_drawn, self.streams)
            self._days_drawn += 1
            keep = int(np.searchsorted(day["created_h"], self.demand_end_h, side="left"))
            first = 0  # from a snapshot: the orders before it are the snapshot's
            if self.start_h > 0:
                first = int(np.searchsorted(day["created_h"][:keep], self.start_h, side="right"))
            day = {k: v[first:keep] for k, v in day.items()}
            keep -= first
            lo, hi = self.n_orders, self.n_orders + keep
            self.window.open(hi)
            self.orders.put(lo, day)
            self.promised_h[lo:hi] = (
                day["created_h"] + world.promise_table_h[day["service_level"], day["region"]]
            )
            self._pick_cost[lo:hi] = costs.pick_pack_charge_usd(day["items"])
            for ops in self.warehouses:  # the order's pick-time draw through each site's law
                ops.pick_h[lo:hi] = ops.spec.pick_time.quantile(day["u_pick"])
            self.n_orders = hi

    def _admit(self, i: int, j: int, again: np.ndarray) -> None:
        """Orders ``i..j-1`` arrive (those of paused promotions are held back); they are routed
        in one batch after the re-routes that are due."""
        arrivals = np.arange(i, j)
        if j > i:
            self._arrived = j
            self.book.stage[i:j] = Stage.WAITING_ROUTE
            arrivals = self._customer_cancels(arrivals)
            arrivals = self.promotions.hold_paused(arrivals)
            self.book.released_h[arrivals] = self.env.now
        batch = np.concatenate([again, arrivals]) if len(again) else arrivals
        if len(batch):
            self._route(batch)

    def _customer_cancels(self, arrivals: np.ndarray) -> np.ndarray:
        """Arrivals whose customer cancels at checkout (their level's ``cancel_p``) are resolved
        as cancelled now, before routing; the others go on."""
        gone = self.orders.customer_cancels[arrivals]
        if not gone.any():
            return arrivals
        idx = arrivals[gone]
        self.book.stage[idx] = Stage.CANCELLED
        self.book.cancelled_h[idx] = self.env.now
        self.book.customer_cancelled[idx] = True
        return arrivals[~gone]

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
                self._record_finished()
            yield self.env.timeout(self.timeseries.interval_h)

    def _record_finished(self, end_h: float | None = None) -> None:
        """Hand the records of the oldest orders, once all are finished (cancelled, or delivered
        by now, and none waiting on the monitoring team), to the sink and give their memory back;
        parcels among them still in transit are parked (when nothing can touch them) and recorded
        once delivered. With ``end_h`` (the run stopped): every order left, its outcome read at
        ``end_h``."""
        book, lo, now = self.book, self._recorded, self.env.now
        parked: np.ndarray | None = None
        if end_h is None:
            self._record_parked(now, self.parked.book["delivered_h"] <= now)
            hi = self._arrived
            stage = book.stage[lo:hi]
            in_transit = stage == Stage.IN_TRANSIT
            delivered = in_transit & (book.delivered_h[lo:hi] <= now)
            done = (stage == Stage.CANCELLED) | (in_transit if self._park else delivered)
            k = lo + (len(done) if done.all() else int(np.argmin(done)))
            k = int(min(k, self.interventions.oldest_in_hand()))
            if self._park:
                parked = in_transit[: k - lo] & ~delivered[: k - lo]
                self.parked.park(lo + np.flatnonzero(parked), self.orders, book, self.promised_h)
        else:
            k = self.n_orders
        if k <= lo and end_h is None:
            return  # (the last call always hands a chunk over, if empty: a file gets its columns)
        read_at = now if end_h is None else end_h
        while True:  # at least one chunk, if empty
            hi = min(k, lo + RECORD_CHUNK_ORDERS)
            rows = Rows(self.world, self.orders, book, self.promised_h, lo, hi, read_at)
            self.records.add(
                rows, None if parked is None else parked[lo - self._recorded : hi - self._recorded]
            )
            lo = hi
            if lo >= k:
                break
        self._recorded = self.interventions.recorded_below = k
        self.window.release(k)
        if end_h is not None:
            self._record_parked(end_h, np.ones(len(self.parked), dtype=bool))

    def _record_parked(self, read_at: float, which: np.ndarray) -> None:
        """Record the parked orders ``which`` selects, their outcomes read at ``read_at``."""
        if not which.any():
            return
        taken = self.parked.take(which)
        for lo in range(0, len(taken.ids), RECORD_CHUNK_ORDERS):
            hi = min(len(taken.ids), lo + RECORD_CHUNK_ORDERS)
            rows = Rows(
                self.world, taken.orders, taken.book, taken.promised_h, lo, hi, read_at, taken.ids
            )
            self.records.add_parked(rows)

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

    def _cool_down(self) -> Generator[Any, Any, None]:
        """From the horizon on, stop the run once every order created before it is resolved
        (delivered or cancelled), or at the cool-down limit.

        Under a monitoring policy that never acts, nothing touches a parcel after pickup, so an
        order is resolved once it has shipped (its delivery time is settled then) and the run
        stops as soon as all are: outcomes are read at the last delivery, exactly as if the run
        had gone on to it. Otherwise the run goes on until the last delivery has happened.
        """
        env, book = self.env, self.book
        yield env.timeout(self.horizon_h - self.start_h)
        self._draw_through(self.horizon_h)
        lo = self._recorded
        created = self.orders.created_h[lo : self.n_orders]
        self.n_before_horizon = lo + int(np.searchsorted(created, self.horizon_h))
        pending = np.arange(lo, self.n_before_horizon)
        while True:
            pending = pending[pending >= self._recorded]  # recorded: finished, memory given back
            stage = book.stage[pending]
            shipped = stage == Stage.IN_TRANSIT
            if self._settled_only:
                resolved = shipped | (stage == Stage.CANCELLED)
            else:
                resolved = (stage == Stage.CANCELLED) | (
                    shipped & (book.delivered_h[pending] <= env.now)
                )
            pending = pending[~resolved]
            if not len(pending) or env.now >= self.limit_h - TIME_TOLERANCE_H:
                break
            if shipped[~resolved].all():  # only deliveries left: wait for the last
                wait = float(book.delivered_h[pending].max()) - env.now
            else:
                wait = COOL_DOWN_CHECK_H
            yield env.timeout(max(min(wait, self.limit_h - env.now), 0.0))
        self.end_h = env.now
        if self._settled_only and not len(pending):
            delivered = book.delivered_h[self._recorded : self.n_before_horizon]
            last = self.records.last_delivered_h  # of the orders already recorded
            if (~np.isnan(delivered)).any():
                last = float(np.fmax(last, np.nanmax(delivered)))
            last = env.now if math.isnan(last) else last
            self.end_h = min(max(env.now, last), self.limit_h)
        self._stop.succeed()

    def _charge_unserved(self) -> None:
        """Orders created before the horizon and still open when the run stops are never served:
        treated as cancelled then (``cancel_usd``) and their margin lost."""
        book, lo, n = self.book, self._recorded, self.n_before_horizon
        stage, delivered_h = book.stage[lo:n], book.delivered_h[lo:n]
        open_ = (stage != Stage.CANCELLED) & ~(
            (stage == Stage.IN_TRANSIT) & (delivered_h <= self.end_h)
        )
        self._never_served(
            book.cost_unserved_usd, self.orders.margin_usd, lo + np.flatnonzero(open_)
        )
        parked = self.parked.book  # parcels parked in transit: open if not delivered by the end
        late = (self.parked.ids < n) & (parked["delivered_h"] > self.end_h)
        if late.any():
            self._never_served(
                parked["cost_unserved_usd"], self.parked.orders["margin_usd"], np.flatnonzero(late)
            )

    def _never_served(
        self, cost_unserved_usd: np.ndarray, margin_usd: np.ndarray, rows: np.ndarray
    ) -> None:
        """Charge ``rows`` of a table (the run's columns or the parked parcels') as never served:
        ``cancel_usd`` each and their margin lost, on the order and in the cost ledger."""
        costs = self.world.costs
        lost = costs.unserved_margin_loss_p * margin_usd[rows]
        cost_unserved_usd[rows] += costs.cancel_usd + lost
        self.book.charged.charge("unserved_open", costs.cancel_usd * len(rows), len(rows))
        self.book.charged.charge("unserved_margin", float(lost.sum()), len(rows))

    def _lost_margin(self, idx: np.ndarray) -> np.ndarray:
        return self.world.costs.unserved_margin_loss_p * self.orders.margin_usd[idx]

    def _snapshot(self, request: SnapshotRequest) -> Generator[Any, Any, None]:
        """Hand the OMS's view of the network at ``request.at_h`` over (reads only)."""
        yield self.env.timeout(request.at_h - self.env.now)
        yield self.env.timeout(0.0)  # after what was due at that hour (an allocation wave, say)
        request.deliver(capture(self))

    def _progress(self) -> Generator[Any, Any, None]:
        assert self.progress is not None
        while True:
            yield self.env.timeout(24.0)
            self.progress(self.env.now / 24.0)

    def _due_reroutes(self) -> np.ndarray:
        """Re-routed orders whose delay has passed, oldest first, taken off the waiting list."""
        waiting, now = self._reroutes, self.env.now
        due: list[int] = []
        while waiting and waiting[0][0] <= now + TIME_TOLERANCE_H:
            due.append(waiting.popleft()[1])
        return np.asarray(due, dtype=np.int64)

    def _reroute_timer(self) -> Generator[Any, Any, None]:
        """Without allocation waves: route re-routed orders as their delay passes (one process
        for all of them; ready times come in order, as the delay is the same for every order)."""
        env = self.env
        while True:
            if not self._reroutes:
                self._reroute_wake = env.event()
                yield self._reroute_wake
            ready = self._reroutes[0][0]
            if ready > env.now:
                yield env.timeout(ready - env.now)
            due = self._due_reroutes()
            if len(due):
                self._route(due)

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
        # a lost parcel's replacement (shipped when declared lost, or on a claim) scans again
        resent = np.fmin(book.lost_declared_h[idx], book.claim_h[idx])
        resent = np.where(book.lost[idx] & (resent <= now), resent, np.nan)
        again = ~np.isnan(resent)
        last_scan[again] = (resent + np.floor((now - resent) / interval) * interval)[again]
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
            urgent=orders.urgent[idx],
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
        lo, hi = max(self._oldest_open, self._recorded), self._arrived
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
            urgent=o.urgent[idx],
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
        if len(idx) == 1:  # arrivals routed one by one (no allocation waves): plain scalars
            urgent = None if decision.priority is None else np.asarray(decision.priority, bool)
            self._carry_out(int(idx[0]), int(warehouse[0]), int(mode[0]), urgent)
            return
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
            self._dispatch(order, w, rank)

    def _carry_out(self, order: int, w: int, mode: int, urgent: np.ndarray | None) -> None:
        """:meth:`_route`'s bookkeeping for a batch of one order, on scalars."""
        book = self.book
        book.warehouse[order] = w
        book.mode[order] = mode
        book.zone[order] = self.world.zone[self.orders.region[order], w]
        if math.isnan(book.routed_h[order]):
            book.routed_h[order] = self.env.now
        rank = NORMAL_PRIORITY
        if urgent is not None and urgent[0]:
            rank = HIGH_PRIORITY
            book.prioritised[order] = True
        self._dispatch(order, w, rank)

    def _dispatch(self, order: int, w: int, rank: int) -> None:
        """Reserve the routed order's stock and queue it for a picker, or handle the stock-out."""
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
        if len(idx) == 1:  # the same checks on scalars
            w, m = int(warehouse[0]), int(mode[0])
            known = 0 <= w < len(self.warehouses) and 0 <= m < len(self.world.modes)
            serves = known and self.world.zone[self.orders.region[int(idx[0])], w] != 0
        else:
            known = not (
                ((warehouse < 0) | (warehouse >= len(self.warehouses))).any()
                or ((mode < 0) | (mode >= len(self.world.modes))).any()
            )
            serves = known and not (self.world.zone[self.orders.region[idx], warehouse] == 0).any()
        if not known:
            raise PolicyError(f"routing {name!r} chose an unknown warehouse or mode")
        if not serves:
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
            self._reroutes.append((self.env.now + inv.reroute_delay_h, order))
            wake = self._reroute_wake
            if wake is not None and not wake.triggered:
                wake.succeed()
        elif inv.on_stockout != "cancel" and ops.can_backorder(product):
            book.backordered[order] = True
            book.cost_exception_usd[order] += costs.backorder_usd
            book.charged.charge("backorder", costs.backorder_usd)
            ops.backorder(order)
        else:
            book.cost_exception_usd[order] += costs.cancel_usd
            book.charged.charge("cancel", costs.cancel_usd)
            lost = float(self._lost_margin(np.array([order]))[0])
            book.cost_unserved_usd[order] += lost
            book.charged.charge("unserved_margin", lost)
            book.stage[order] = Stage.CANCELLED
            book.cancelled_h[order] = self.env.now

    def _packed(self, order: int) -> None:
        cost = self._pick_cost[order]
        self.book.cost_pick_usd[order] = cost
        self.book.charged.charge("pick", cost)
        if self.world.warehouses[self.book.warehouse[order]].handling is None:
            self.carriers.add_packed(order)
        else:  # the handling delay ends at the handover
            self.carriers.hand_over(order)

    # -- invariants ------------------------------------------------------------------------------
    def _check_places(self) -> None:
        """Every open order in exactly one container, agreeing with its stage (InvariantError)."""
        now, book, lo = self.env.now, self.book, self._recorded
        self._draw_through(now)
        created = self.orders.created_h[lo : self.n_orders]
        n_created = lo + int(np.searchsorted(created, now, side="right"))
        shipped = ~np.isnan(book.shipped_h[lo:n_created])
        places: dict[str, Sequence[int] | np.ndarray] = {
            "awaiting the allocation wave": np.arange(self._arrived, n_created),
            "held by a paused promotion": self.promotions.held_orders(),
            "waiting for a re-route": [order for _, order in self._reroutes],
            "back-ordered": np.concatenate([w.backordered_orders() for w in self.warehouses]),
            "in a pick queue": np.concatenate([w.queued_orders() for w in self.warehouses]),
            "being picked": np.concatenate([w.orders_in_hand() for w in self.warehouses]),
            "at a dock": self.carriers.docked_orders(),
            "in transit": lo + np.flatnonzero(shipped & (book.delivered_h[lo:n_created] > now)),
        }
        check_places(
            places, book.stage, book.delivered_h, now, n_created, first=lo, drawn=self.n_orders
        )
        for ops in self.warehouses:
            check_stock(ops.spec.name, ops.on_hand, ops.units)
            check_counts(ops.spec.name, ops.counts())
        self.stock.check_ledger()

    # -- run -------------------------------------------------------------------------------------
    def run(self) -> RunResult:
        self.env.run(until=self._stop)
        self._check_places()  # as the run stopped (the sampler took the row at the horizon)
        self._charge_unserved()
        self._record_finished(end_h=self.end_h)
        return self.records.result(
            FinishedRun(
                world=self.world,
                timeseries=self.timeseries,
                seed=self.seed,
                warmup_h=self.warmup_h,
                horizon_h=self.horizon_h,
                end_h=self.end_h,
                stopped_h=float(self.env.now),
                min_stock=min(int(w.min_on_hand.min()) for w in self.warehouses),
                counts={
                    "events": events_scheduled(self.env),
                    "replenishments": sum(w.replenishments for w in self.warehouses),
                    "pickups_skipped": self.carriers.pickups_skipped,
                    "storms": len(self.storms.region),
                    "forecasts": len(self.forecasts.region),
                    "orders_drawn": self.n_orders,  # the cool-down's arrivals too
                },
            ),
            self.book.charged,
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
    cooldown_days: float = DEFAULT_COOLDOWN_DAYS,
    sink: OrderSink | None = None,
    snapshot: SnapshotRequest | None = None,
    start: SnapshotState | None = None,
    demand_until_h: float | None = None,
    delivery_times: ValueStore | None = None,
) -> RunResult:
    """Simulate one replication and return its records (invariants already checked).

    KPIs count the cohort of orders created in [warm-up, horizon); the run goes on past the
    horizon (arrivals continuing) until they are all resolved or ``cooldown_days`` have passed.
    Finished orders' records go to ``sink`` as the run goes (by default they are collected and
    returned in ``RunResult.orders``; with a sink of your own ``RunResult.orders`` is empty).
    With ``snapshot``, the OMS's view at its hour is handed to its callback as the run passes it.
    With ``start``, the run starts from that snapshot (:mod:`sim.engine.restart`): its clock at
    the snapshot's hour, horizon and warm-up still counted from hour 0. Orders arrive until
    ``demand_until_h`` (default: as long as the run goes on).
    The delivery times of delivered cohort orders, ranked at the end for the exact p90, are kept
    in ``delivery_times`` (default: in memory, 8 bytes an order).
    """
    return Simulation(
        world,
        routing,
        monitoring,
        seed,
        horizon_days,
        warmup_days,
        timeseries_interval_h,
        progress,
        cooldown_days,
        sink,
        snapshot,
        start,
        demand_until_h,
        delivery_times,
    ).run()
