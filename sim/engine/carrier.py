"""Carrier pickups at each warehouse dock and the transit that follows.

A dock holds packed parcels per mode; the carrier calls at its pickup hours (the cut-offs) and takes
up to its remaining daily capacity, oldest first. A storm at or above the mode's stop severity over
the warehouse cancels the pickup; a warehouse outage does too. Transit is settled at pickup:
the order's own transit quantile through the lane's zone distribution, plus storm delay on the
destination region, plus a replacement shipment if the parcel is lost (a lost parcel's tracking
goes dark where it went missing). No event per parcel.
"""

from __future__ import annotations

from collections import deque
from collections.abc import Generator
from typing import Any

import numpy as np
import simpy

from scenarios.world import Mode, World
from sim.engine.availability import Availability
from sim.engine.contract import Stage
from sim.engine.demand import OrderStream
from sim.engine.orderbook import OrderBook


class CarrierOps:
    def __init__(
        self,
        env: simpy.Environment,
        world: World,
        book: OrderBook,
        orders: OrderStream,
        availability: Availability,
    ) -> None:
        self.env = env
        self.world = world
        self.book = book
        self.orders = orders
        self.availability = availability
        n_wh, n_modes = len(world.warehouses), len(world.modes)
        self.docks: list[list[deque[int]]] = [
            [deque() for _ in range(n_modes)] for _ in range(n_wh)
        ]
        self.shipped_today = np.zeros((n_wh, n_modes), dtype=np.int64)
        self.capacity = np.array([[m.daily_capacity for m in world.modes]] * n_wh, dtype=np.int64)
        self.price = world.price_table_usd()
        self.pickups_skipped = 0
        for w in range(n_wh):
            for m in range(n_modes):
                env.process(self._pickups(w, m))
        env.process(self._midnight_reset())

    def add_packed(self, order: int) -> None:
        self.docks[self.book.warehouse[order]][self.book.mode[order]].append(order)

    def hand_over(self, order: int) -> None:
        """A parcel handed straight to the carrier (a warehouse with a handling delay: the
        fitted delay already holds the wait for a pickup); counted in the day's load."""
        w, m = int(self.book.warehouse[order]), int(self.book.mode[order])
        self.shipped_today[w, m] += 1
        self.ship(np.array([order], dtype=np.int64), m, self.world.modes[m])

    def docked_orders(self) -> np.ndarray:
        """Orders waiting at a dock: live entries only (the order's own warehouse and mode, not
        shipped), one per entry, so an order docked twice shows twice."""
        book = self.book
        entries = [
            np.fromiter(dock, dtype=np.int64, count=len(dock))
            for docks in self.docks
            for dock in docks
        ]
        keys = [(w, m) for w in range(len(self.docks)) for m in range(len(self.docks[w]))]
        live = [
            ids[(book.warehouse[ids] == w) & (book.mode[ids] == m) & np.isnan(book.shipped_h[ids])]
            for ids, (w, m) in zip(entries, keys, strict=True)
        ]
        return np.concatenate(live) if live else np.zeros(0, dtype=np.int64)

    def dock_size(self, warehouse: int) -> int:
        return sum(len(d) for d in self.docks[warehouse])

    def _midnight_reset(self) -> Generator[Any, Any, None]:
        while True:
            yield self.env.timeout(24.0 - self.env.now % 24.0)
            self.shipped_today[:] = 0

    def _pickups(self, w: int, m: int) -> Generator[Any, Any, None]:
        """The carrier's calls, every day for as long as the run goes on (past the horizon too)."""
        env = self.env
        mode = self.world.modes[m]
        day = 0.0
        while True:
            for hour in mode.pickup_hours:
                t = day + hour
                if t < env.now:
                    continue
                yield env.timeout(t - env.now)
                if self.availability.pickup_blocked(w, mode, t):
                    self.pickups_skipped += 1
                    continue
                self._collect(w, m, mode)
            day += 24.0

    def _collect(self, w: int, m: int, mode: Mode) -> None:
        dock = self.docks[w][m]
        book = self.book
        room = int(self.capacity[w, m] - self.shipped_today[w, m])
        taken: list[int] = []
        while dock and len(taken) < room:
            order = dock.popleft()
            # lazy deletion: an order whose mode was changed sits in another dock too
            if book.stage[order] == Stage.PACKED and book.mode[order] == m:
                taken.append(order)
        if taken:
            self.shipped_today[w, m] += len(taken)
            self.ship(np.asarray(taken, dtype=np.int64), m, mode)

    def ship(self, parcels: np.ndarray, m: int, mode: Mode) -> None:
        """Hand parcels to the carrier now and settle their transit, tracking and cost."""
        now = self.env.now
        book, orders = self.book, self.orders
        zones = book.zone[parcels]
        transit = np.empty(len(parcels))
        for z in np.unique(zones):
            mine = zones == z
            transit[mine] = mode.transit_by_zone[z - 1].quantile(orders.u_transit[parcels[mine]])
        regions = orders.region[parcels]
        arrive = now + transit
        # a stopping storm holds deliveries until it has passed; any storm met delays them
        held, delay = self.availability.transit_disruption(regions, mode, now, arrive)
        arrive = arrive + held + delay
        book.storm_delay_h[parcels] = held + delay
        book.transit_h[parcels] = arrive - now
        lost = orders.u_loss[parcels] < mode.loss_p
        # tracking goes dark part-way: a scan gap, or the point where a lost parcel went missing
        # (a lost parcel scans no more: loss and silence are one event, not independent draws)
        dark = lost | (orders.u_scan_gap[parcels] < mode.scan_gap_p)
        book.track_gap_start_h[parcels[dark]] = now + orders.u_gap_start[parcels[dark]] * (
            arrive[dark] - now
        )
        if lost.any():
            # the carrier declares the loss a wait past the due date; a replacement ships then
            declared = arrive[lost] + self.world.costs.lost_parcel_detect_h
            book.lost_declared_h[parcels[lost]] = declared
            arrive[lost] = declared + transit[lost]
            book.lost[parcels[lost]] = True
            extra = self.world.costs.pick_pack_usd + self.price[m, zones[lost]]
            book.cost_exception_usd[parcels[lost]] += extra
            book.charged.charge("lost_replacement", float(extra.sum()), int(lost.sum()))
        book.stage[parcels] = Stage.IN_TRANSIT
        book.shipped_h[parcels] = now
        book.delivered_h[parcels] = arrive
        price = self.price[m, zones]
        book.cost_transport_usd[parcels] = price
        book.charged.charge("transport", float(price.sum()), len(parcels))
