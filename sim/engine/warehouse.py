"""A warehouse in operation: true stock with (s, S) replenishment, a pick queue, and pickers on
shifts.

Each picker is one SimPy process: on shift it takes the most urgent order from the queue (FIFO
within a priority), picks and packs it, and hands it to the dock; off shift or during an outage it
sleeps until it is due back (an order in hand is finished first). Only the pick itself costs an
event, so the queue is an M/M/c queue when the scenario is reduced to one.
"""

from __future__ import annotations

import heapq
from collections import deque
from collections.abc import Callable, Generator
from typing import Any

import numpy as np
import simpy

from scenarios.distributions import Distribution
from scenarios.world import Warehouse
from sim.engine.availability import Availability
from sim.engine.contract import Stage
from sim.engine.demand import OrderStream
from sim.engine.ledger import StockLedger
from sim.engine.orderbook import OrderBook

NORMAL_PRIORITY = 1
# a picker's known working span ends this much before its shift's end (or an outage's start),
# so that rounding in hour-of-day arithmetic can never extend it past the exact check
ON_SPAN_MARGIN_H = 1e-6
HIGH_PRIORITY = 0


class WarehouseOps:
    def __init__(
        self,
        env: simpy.Environment,
        index: int,
        spec: Warehouse,
        book: OrderBook,
        orders: OrderStream,
        availability: Availability,
        on_packed: Callable[[int], None],
        on_allocated: Callable[[int, int], None] | None = None,
    ) -> None:
        self.env = env
        self.index = index
        self.spec = spec
        self.book = book
        self.orders = orders
        self.availability = availability
        self.on_packed = on_packed
        # the OMS's allocation ledger, told of reservations the warehouse makes for back-orders
        self.on_allocated = on_allocated
        self.on_hand = spec.stock_initial.copy()
        self.units = StockLedger(self.on_hand)  # movements, kept apart from on_hand
        self.on_order = np.zeros_like(self.on_hand)
        # purchase orders not yet received, by number: (due hour, product, units) — the OMS's own
        self.inbound: dict[int, tuple[float, int, int]] = {}
        self._po_number = 0
        self.min_on_hand = self.on_hand.copy()
        self.backordered_units = np.zeros_like(self.on_hand)
        self.backorders: list[deque[int]] = [deque() for _ in range(len(self.on_hand))]
        self._queue: list[tuple[int, int, int, int]] = []  # (priority, seq, order, token)
        self._seq = 0
        self.backlog = 0  # valid orders queued for pick
        self.busy = 0
        self.replenishments = 0
        self._idle: list[simpy.Event] = []
        # each order's pick time here, drawn with the day (vectorised; the simulation fills it)
        self.pick_h: np.ndarray = np.empty(0)
        self._picks_slowed = availability.picks_slowed(index)
        self._on_intervals = self._shift_intervals()
        self._staff = spec.pickers if not spec.shifts else max(s.pickers for s in spec.shifts)
        n_pickers = self._staff + spec.extra_pickers
        self._added_from_h = spec.extra_from_h  # pickers _staff.. (a what-if's) work from then
        self._in_hand = [-1] * n_pickers  # per picker: the order being picked, -1 none
        # per picker: hours [since, until) it is known to work (asked before every pick)
        self._on_span = [(np.inf, -np.inf)] * n_pickers
        self._handling = spec.handling  # None: pickers; else each order's handover delay
        self._in_handling: set[int] = set()
        self._resumed: dict[int, float] = {}  # picker -> hours left of the pick in its hand
        for k in range(n_pickers if self._handling is None else 0):
            env.process(self._picker(k))

    # -- stock ---------------------------------------------------------------------------------
    def try_reserve(self, order: int) -> bool:
        """Take the order's units from true stock if they are there; trigger replenishment."""
        product, items = self.orders.product[order], self.orders.items[order]
        if self.on_hand[product] < items:
            return False
        self.on_hand[product] -= items
        self.units.reserved[product] += items
        if self.on_hand[product] < self.min_on_hand[product]:
            self.min_on_hand[product] = self.on_hand[product]
        self._maybe_replenish(product)
        return True

    def release(self, order: int) -> None:
        """Put a reserved order's units back (the order was moved elsewhere); they serve the
        product's waiting back-orders first."""
        product, items = self.orders.product[order], self.orders.items[order]
        self.on_hand[product] += items
        self.units.released[product] += items
        self._fill_backorders(product)

    def drain(self, other_channels: np.ndarray, shrink: np.ndarray) -> None:
        """Units by product that leave without a web order: other channels' draws (as far as
        stock lasts), then shrink; the warehouse reorders on its own true stock."""
        taken = np.minimum(other_channels, self.on_hand)
        self.on_hand -= taken
        self.units.other_channels += taken
        lost = np.minimum(shrink, self.on_hand)
        self.on_hand -= lost
        self.units.shrunk += lost
        np.minimum(self.min_on_hand, self.on_hand, out=self.min_on_hand)
        for product in np.flatnonzero(taken + lost).tolist():
            self._maybe_replenish(product)

    def can_backorder(self, product: int) -> bool:
        return bool(self.spec.reorder_point[product] >= 0)

    def backorder(self, order: int) -> None:
        product = self.orders.product[order]
        self.backorders[product].append(order)
        self.backordered_units[product] += self.orders.items[order]
        self.book.stage[order] = Stage.BACKORDERED
        self._maybe_replenish(product)

    def withdraw_backorder(self, order: int) -> None:
        """Take a back-ordered order off the waiting list (it was moved elsewhere)."""
        product = self.orders.product[order]
        self.backorders[product].remove(order)
        self.backordered_units[product] -= self.orders.items[order]

    def _maybe_replenish(self, product: int) -> None:
        s_point = self.spec.reorder_point[product]
        position = self.on_hand[product] + self.on_order[product] - self.backordered_units[product]
        if s_point >= 0 and position <= s_point:
            quantity = int(self.spec.order_up_to[product] - position)
            self.replenishments += 1
            self.expect(product, quantity, self.spec.replenish_lead_time_h)

    def expect(self, product: int, quantity: int, lead_h: float) -> None:
        """Place a purchase order for ``quantity`` units of ``product`` arriving in ``lead_h``."""
        self.on_order[product] += quantity
        self._po_number += 1
        self.inbound[self._po_number] = (self.env.now + lead_h, product, quantity)
        self.env.process(self._replenish(product, quantity, lead_h, self._po_number))

    def _replenish(
        self, product: int, quantity: int, lead_h: float, number: int
    ) -> Generator[Any, Any, None]:
        yield self.env.timeout(lead_h)
        del self.inbound[number]
        self.on_order[product] -= quantity
        self.on_hand[product] += quantity
        self.units.received[product] += quantity
        self._fill_backorders(product)
        self._maybe_replenish(product)

    def _fill_backorders(self, product: int) -> None:
        """Serve waiting back-orders, oldest first, while stock covers them; each reservation
        goes through the OMS's allocation ledger like any other."""
        waiting = self.backorders[product]
        while waiting and self.on_hand[product] >= self.orders.items[waiting[0]]:
            order = waiting.popleft()
            self.backordered_units[product] -= self.orders.items[order]
            self.try_reserve(order)
            if self.on_allocated is not None:
                self.on_allocated(order, self.index)
            self.enqueue(order)

    # -- pick queue ----------------------------------------------------------------------------
    def enqueue(self, order: int, priority: int = NORMAL_PRIORITY) -> None:
        """Queue a reserved order for picking (again, with a new priority, if already queued);
        with a handling delay, start it at once instead."""
        if self._handling is not None:
            self._handle(order, self._handling)
            return
        book = self.book
        if book.stage[order] != Stage.QUEUED:
            book.stage[order] = Stage.QUEUED
            book.queued_h[order] = self.env.now
            self.backlog += 1
        book.queue_token[order] += 1
        self._seq += 1
        heapq.heappush(self._queue, (priority, self._seq, order, int(book.queue_token[order])))
        if self._idle:
            self._idle.pop().succeed()

    def dequeue(self, order: int) -> None:
        """Take a queued order out of the queue (moved to another warehouse or cancelled)."""
        if self.book.stage[order] == Stage.QUEUED:
            self.book.queue_token[order] += 1
            self.backlog -= 1

    def _next_valid(self) -> int:
        queue, token, stage = self._queue, self.book.queue_token, self.book.stage
        while queue:
            _, _, order, tok = heapq.heappop(queue)
            if tok == token[order] and stage[order] == Stage.QUEUED:
                return order
        return -1

    # -- what it holds (for the invariants) ---------------------------------------------------
    def queued_orders(self) -> np.ndarray:
        """Orders with a live entry in the pick queue (one per entry: a duplicate is a bug)."""
        token = self.book.queue_token
        return np.array([o for _, _, o, tok in self._queue if tok == token[o]], dtype=np.int64)

    def orders_in_hand(self) -> np.ndarray:
        """Orders being picked (or in their handling delay)."""
        held = [o for o in self._in_hand if o >= 0] + sorted(self._in_handling)
        return np.array(held, dtype=np.int64)

    def backordered_orders(self) -> np.ndarray:
        return np.array([o for q in self.backorders for o in q], dtype=np.int64)

    def counts(self) -> dict[str, tuple[int, int]]:
        """Each counter beside the count of what it counts (for the invariants)."""
        waiting = self.backordered_orders()
        return {
            "backlog": (self.backlog, len(self.queued_orders())),
            "busy pickers": (self.busy, len(self.orders_in_hand())),
            "back-ordered units": (
                int(self.backordered_units.sum()),
                int(self.orders.items[waiting].sum()),
            ),
        }

    # -- handling delay (instead of pickers) ---------------------------------------------------
    def _handle(self, order: int, handling: Distribution) -> None:
        """The order is handed to the carrier after its handling delay (the order's own picking
        quantile through the fitted distribution, slowed by storms as picks are): one timeout,
        no picker, no queue; it counts as being picked until then."""
        book, env = self.book, self.env
        book.stage[order] = Stage.PICKING
        book.queued_h[order] = book.pick_start_h[order] = env.now
        self.busy += 1
        self._in_handling.add(order)
        delay = float(handling.quantile(self.orders.u_pick[order]))
        if self._picks_slowed:
            delay *= self.availability.pick_time_factor(self.index, env.now)
        env.timeout(delay).callbacks.append(lambda _event: self._handed(order))

    def _handed(self, order: int) -> None:
        self._in_handling.discard(order)
        self.busy -= 1
        self.book.picked_h[order] = self.env.now
        self.book.stage[order] = Stage.PACKED
        self.on_packed(order)

    # -- a run started from a snapshot -----------------------------------------------------------
    def restock(self, on_hand: np.ndarray) -> None:
        """Start from ``on_hand`` units by product instead of the scenario's initial stock."""
        self.on_hand = np.asarray(on_hand, dtype=self.on_hand.dtype).copy()
        self.units = StockLedger(self.on_hand)
        self.min_on_hand = self.on_hand.copy()

    def resume(self, order: int, remaining_h: float) -> None:
        """An order already being picked (or handled) at the start: done in ``remaining_h``.
        Held by a free picker; with none free (a real snapshot may say more than the shift
        has), it goes to the front of the queue with ``remaining_h`` as its pick time."""
        book = self.book
        if self._handling is not None:
            book.stage[order] = Stage.PICKING
            self.busy += 1
            self._in_handling.add(order)
            self.env.timeout(remaining_h).callbacks.append(lambda _event: self._handed(order))
            return
        free = [k for k, held in enumerate(self._in_hand) if held < 0]
        if not free:
            self.pick_h[order] = remaining_h
            self.enqueue(order, HIGH_PRIORITY)
            return
        book.stage[order] = Stage.PICKING
        self.busy += 1
        self._in_hand[free[0]] = order
        self._resumed[free[0]] = remaining_h

    def _put_down(self, k: int) -> None:
        """Picker ``k`` finishes the resumed order in its hand."""
        order = self._in_hand[k]
        self._in_hand[k] = -1
        self.busy -= 1
        self.book.picked_h[order] = self.env.now
        self.book.stage[order] = Stage.PACKED
        self.on_packed(order)

    # -- pickers -------------------------------------------------------------------------------
    def _shift_intervals(self) -> list[list[tuple[float, float]]]:
        """Per picker: the hours of day (start, end) it is on, ends may pass 24."""
        if not self.spec.shifts:
            return []
        n = max(s.pickers for s in self.spec.shifts)
        return [  # an added picker (k >= n) works every shift
            [
                (s.start_h, s.start_h + s.length_h)
                for s in self.spec.shifts
                if k < s.pickers or k >= n
            ]
            for k in range(n + self.spec.extra_pickers)
        ]

    def hours_until_on(self, picker: int, t_h: float) -> float:
        """0 if the picker works at ``t_h``, otherwise hours until it next does; once found at
        work, known to be until its shift ends or an outage starts."""
        since, until = self._on_span[picker]
        if since <= t_h < until:
            return 0.0
        wait = self._hours_until_on(picker, t_h)
        if wait == 0.0:
            self._on_span[picker] = (t_h, self._on_until_h(picker, t_h) - ON_SPAN_MARGIN_H)
        return wait

    def _on_until_h(self, picker: int, t_h: float) -> float:
        """For a picker at work at ``t_h``: when its shift covering ``t_h`` ends (the longest of
        those covering it) or the site's next outage starts, whichever is first."""
        until = self.availability.next_outage_start_h(self.index, t_h)
        if self._on_intervals:
            hour = t_h % 24.0
            day = t_h - hour  # exact: a multiple of 24
            ends = [day + end for start, end in self._on_intervals[picker] if start <= hour < end]
            ends += [
                day - 24.0 + end
                for start, end in self._on_intervals[picker]
                if start <= hour + 24.0 < end
            ]
            until = min(until, max(ends))
        return until

    def _hours_until_on(self, picker: int, t_h: float) -> float:
        if picker >= self._staff and t_h < self._added_from_h:  # added, not yet come
            start = self._added_from_h
            return start - t_h + self._hours_until_on(picker, start)
        outage_end = self.availability.outage_end_h(self.index, t_h)
        if outage_end is not None:
            return outage_end - t_h + self._hours_until_on(picker, outage_end)
        if not self._on_intervals:
            return 0.0
        hour = t_h % 24.0
        wait = 24.0
        for start, end in self._on_intervals[picker]:
            if start <= hour < end or start <= hour + 24.0 < end:
                return 0.0
            wait = min(wait, (start - hour) % 24.0)
        return wait

    def pickers_on(self, t_h: float) -> int:
        """Pickers on shift at ``t_h`` (pickers 0..n-1 of the largest active shift)."""
        if self.availability.site_down(self.index, t_h):
            return 0
        added = self.spec.extra_pickers if t_h >= self.spec.extra_from_h else 0
        if not self.spec.shifts:
            return self.spec.pickers + added
        hour = t_h % 24.0
        on = [
            s.pickers
            for s in self.spec.shifts
            if s.start_h <= hour < s.start_h + s.length_h
            or s.start_h <= hour + 24.0 < s.start_h + s.length_h
        ]
        return max(on) + added if on else 0

    def _picker(self, k: int) -> Generator[Any, Any, None]:
        env, book = self.env, self.book
        if k in self._resumed:  # a run started from a snapshot: the pick in hand comes first
            yield env.timeout(self._resumed.pop(k))
            self._put_down(k)
        while True:
            wait = self.hours_until_on(k, env.now)
            if wait > 0:
                if self._queue and self._idle:
                    self._idle.pop().succeed()  # let a colleague on shift take the work
                yield env.timeout(wait)
                continue
            order = self._next_valid()
            if order < 0:
                wake = env.event()
                self._idle.append(wake)
                yield wake
                continue
            if self._queue and self._idle:
                self._idle.pop().succeed()
            self.backlog -= 1
            self.busy += 1
            book.stage[order] = Stage.PICKING
            book.pick_start_h[order] = env.now
            self._in_hand[k] = order
            duration = float(self.pick_h[order])
            if self._picks_slowed:
                duration *= self.availability.pick_time_factor(self.index, env.now)
            yield env.timeout(duration)
            self._in_hand[k] = -1
            self.busy -= 1
            book.picked_h[order] = env.now
            book.stage[order] = Stage.PACKED
            self.on_packed(order)
