"""What monitoring can do to orders in flight, and what it costs.

Alerts are recorded (first time per order and level) so alert precision and recall can be scored
against what really happened. Actions either happen at once (prioritise, expedite, reallocate,
open a claim, pause a promotion) or go through the policy's human team: a SimPy resource of
``team_size`` people, each notification holding one person for ``handling_h`` before its action
takes effect; an order is notified once at most (later requests for it are dropped), and when it
was notified and handled is recorded, so the team's queue and response times can be reported.
Staff time and claims are charged to the orders as monitoring cost.
"""

from __future__ import annotations

import math
from collections.abc import Generator, Sequence
from typing import Any

import numpy as np
import simpy

from scenarios.world import World
from sim.engine.carrier import CarrierOps
from sim.engine.contract import Stage
from sim.engine.demand import OrderStream
from sim.engine.orderbook import OrderBook
from sim.engine.promotions import PromotionPauses
from sim.engine.stock_view import StockVisibility
from sim.engine.warehouse import HIGH_PRIORITY, WarehouseOps

NOTIFY_ACTIONS = ("prioritise", "expedite", "transfer")
BACKUP_MAX_DETOUR_ZONES = 2
UNSHIPPED = (Stage.BACKORDERED, Stage.QUEUED, Stage.PICKING, Stage.PACKED)
ACTIONS = {  # request name -> method carrying it out
    "alert": "record_alert",
    "prioritise": "prioritise",
    "expedite": "expedite",
    "reallocate": "reallocate",
    "transfer": "transfer",
    "notify": "notify",
    "open_claim": "open_claim",
    "pause_promotion": "pause_promotion",
}


class Interventions:
    """Carries out monitoring's requests on the engine's state."""

    def __init__(
        self,
        env: simpy.Environment,
        world: World,
        orders: OrderStream,
        book: OrderBook,
        warehouses: Sequence[WarehouseOps],
        carriers: CarrierOps,
        stock: StockVisibility,
        promotions: PromotionPauses,
        team_size: int,
    ) -> None:
        self.env = env
        self.world = world
        self.orders = orders
        self.book = book
        self.warehouses = warehouses
        self.carriers = carriers
        self.stock = stock
        self.promotions = promotions
        self.team = simpy.Resource(env, capacity=team_size) if team_size > 0 else None
        self.fastest_mode = int(np.argmin(world.transit_mean_table_h()[:, 1]))
        self.in_hand: dict[int, int] = {}  # order -> requests the team is still handling
        self.recorded_below = 0  # orders below this are finished and recorded: never touched

    def oldest_in_hand(self) -> float:
        """The lowest order id the team is still handling (it may charge it), or infinity."""
        return min(self.in_hand) if self.in_hand else math.inf

    def apply(self, requests: Sequence[tuple[str, tuple[Any, ...]]]) -> None:
        """Carry out recorded requests in the order they were made."""
        for action, args in requests:
            for arg in args:
                if isinstance(arg, np.ndarray) and len(arg) and arg.min() < self.recorded_below:
                    raise ValueError(
                        f"{action}: order {int(arg.min())} is finished and recorded; monitoring "
                        "acts on open orders only"
                    )
            getattr(self, ACTIONS[action])(*args)

    # -- alerts --------------------------------------------------------------------------------
    def record_alert(self, idx: np.ndarray, level: int) -> int:
        book, now = self.book, self.env.now
        bit = np.int8(1 << (level - 1))
        new = idx[(book.alert_mask[idx] & bit) == 0]
        book.alert_mask[new] |= bit
        book.alert_level[new] = np.maximum(book.alert_level[new], level)
        first = new[np.isnan(book.alert_first_h[new])]
        book.alert_first_h[first] = now
        return len(new)

    # -- immediate actions ---------------------------------------------------------------------
    def prioritise(self, idx: np.ndarray) -> int:
        book = self.book
        queued = idx[(book.stage[idx] == Stage.QUEUED) & ~book.prioritised[idx]]
        for order in queued.tolist():
            self.warehouses[book.warehouse[order]].enqueue(order, HIGH_PRIORITY)
        book.prioritised[queued] = True
        return len(queued)

    def expedite(self, idx: np.ndarray, mode: int) -> int:
        book = self.book
        movable = idx[np.isin(book.stage[idx], UNSHIPPED) & (book.mode[idx] != mode)]
        book.mode[movable] = mode
        book.expedited[movable] = True
        for order in movable[book.stage[movable] == Stage.PACKED].tolist():
            self.carriers.add_packed(order)
        return len(movable)

    def reallocate(self, idx: np.ndarray, w: int) -> int:
        """Move not-yet-picked orders (queued or back-ordered) to warehouse ``w`` if its true
        stock allows; the move costs a re-route and the order goes to the front of the queue."""
        book, world = self.book, self.world
        target, moved = self.warehouses[w], 0
        waiting = (book.stage[idx] == Stage.QUEUED) | (book.stage[idx] == Stage.BACKORDERED)
        for order in idx[waiting].tolist():
            old = int(book.warehouse[order])
            if old == w or world.zone[self.orders.region[order], w] == 0:
                continue
            if not target.try_reserve(order):
                continue
            source = self.warehouses[old]
            if book.stage[order] == Stage.QUEUED:
                source.dequeue(order)
                source.release(order)
            else:
                source.withdraw_backorder(order)
            book.stage[order] = Stage.WAITING_ROUTE
            book.warehouse[order] = w
            book.zone[order] = world.zone[self.orders.region[order], w]
            book.transferred[order] = True
            book.cost_monitoring_usd[order] += world.costs.reroute_usd
            book.charged.charge("transfer", world.costs.reroute_usd)
            self.stock.note_allocation(order, w)
            target.enqueue(order, HIGH_PRIORITY)
            moved += 1
        return moved

    def backups(self, idx: np.ndarray) -> np.ndarray:
        """Per order, its backup warehouse (-1 if none): the least-loaded other warehouse that
        serves its region within ``BACKUP_MAX_DETOUR_ZONES`` of its nearest, shows stock for it,
        and has less pick work queued per picker than the order's own warehouse."""
        now = self.env.now
        load_h = np.array(
            [
                w.backlog * w.spec.pick_time.mean_h / max(w.pickers_on(now), 1)
                for w in self.warehouses
            ]
        )
        zone = self.world.zone[self.orders.region[idx]]  # [order, warehouse]
        served = zone > 0
        nearest = np.where(served, zone, np.iinfo(np.int64).max).min(axis=1)
        product = self.orders.product[idx]
        stock = (self.stock.visible() - self.stock.allocated_since_sync)[:, product].T
        current = self.book.warehouse[idx]
        ok = (
            served
            & (zone <= nearest[:, None] + BACKUP_MAX_DETOUR_ZONES)
            & (stock >= self.orders.items[idx][:, None])
            & (load_h[None, :] < load_h[current][:, None])
        )
        ok[np.arange(len(idx)), current] = False
        score = np.where(ok, load_h[None, :] + 0.01 * zone, np.inf)
        return np.where(ok.any(axis=1), score.argmin(axis=1), -1)

    def transfer(self, idx: np.ndarray) -> int:
        """Move not-yet-picked orders to their backup warehouses (where one exists)."""
        targets = self.backups(idx)
        return sum(
            self.reallocate(idx[targets == w], int(w)) for w in np.unique(targets[targets >= 0])
        )

    def open_claim(self, idx: np.ndarray) -> int:
        book, now = self.book, self.env.now
        fresh = idx[
            (book.stage[idx] == Stage.IN_TRANSIT)
            & (book.delivered_h[idx] > now)
            & np.isnan(book.claim_h[idx])
        ]
        book.claim_h[fresh] = now
        book.cost_monitoring_usd[fresh] += self.world.costs.claim_usd
        book.charged.charge("claim", self.world.costs.claim_usd * len(fresh), len(fresh))
        # a lost parcel's replacement ships now rather than after the carrier's detection delay
        lost = fresh[book.lost[fresh]]
        book.delivered_h[lost] = np.minimum(book.delivered_h[lost], now + book.transit_h[lost])
        return len(fresh)

    def pause_promotion(self, name: str, hours: float) -> bool:
        return self.promotions.pause(name, hours)

    # -- through the human team ----------------------------------------------------------------
    def notify(self, idx: np.ndarray, then: str, handling_h: float, backup: int | None) -> int:
        if then not in NOTIFY_ACTIONS:
            raise ValueError(f"notify(then={then!r}): expected one of {', '.join(NOTIFY_ACTIONS)}")
        if self.team is None:
            raise RuntimeError("notify() needs a monitoring policy with team_size > 0")
        # one notification per order: the team never gets the same order twice
        fresh = idx[np.isnan(self.book.notified_h[idx])]
        self.book.notified_h[fresh] = self.env.now
        for order in fresh.tolist():
            self.in_hand[order] = self.in_hand.get(order, 0) + 1
            self.env.process(self._handle(order, then, handling_h, backup))
        return len(fresh)

    def _handle(
        self, order: int, then: str, handling_h: float, backup: int | None
    ) -> Generator[Any, Any, None]:
        assert self.team is not None
        with self.team.request() as person:
            yield person
            yield self.env.timeout(handling_h)
        self.book.notice_handled_h[order] = self.env.now
        self.book.cost_monitoring_usd[order] += handling_h * self.world.costs.staff_usd_per_h
        self.book.charged.charge("staff", handling_h * self.world.costs.staff_usd_per_h)
        one = np.array([order])
        if then == "prioritise":
            self.prioritise(one)
        elif then == "expedite":
            self.expedite(one, self.fastest_mode)
        elif backup is not None:
            self.reallocate(one, backup)
        else:
            self.transfer(one)
        self.in_hand[order] -= 1
        if not self.in_hand[order]:
            del self.in_hand[order]
