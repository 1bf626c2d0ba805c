"""Paused promotions: a monitoring action that holds back a burst's new orders for a while.

While a promotion is paused its arriving orders are held; when the pause ends they enter the
allocation, promised from their release, and the held margin loss is charged to them.
"""

from __future__ import annotations

from collections.abc import Callable, Generator
from typing import Any

import numpy as np
import simpy

from scenarios.world import World
from sim.engine.demand import OrderStream
from sim.engine.orderbook import OrderBook


class PromotionPauses:
    def __init__(
        self,
        env: simpy.Environment,
        world: World,
        orders: OrderStream,
        book: OrderBook,
        promised_h: np.ndarray,
        route: Callable[[np.ndarray], None],
    ) -> None:
        self._env = env
        self._world = world
        self._orders = orders
        self._book = book
        self._promised_h = promised_h
        self._route = route
        self.paused_until_h: dict[int, float] = {}  # burst -> hour its promotion resumes
        self._held: dict[int, list[int]] = {}  # burst -> orders held back meanwhile

    def hold_paused(self, arrivals: np.ndarray) -> np.ndarray:
        """Keep back orders of paused promotions; return the ones that enter now."""
        if not self.paused_until_h:
            return arrivals
        now, burst = self._env.now, self._orders.burst[arrivals]
        enter = np.ones(len(arrivals), dtype=bool)
        for b, until in self.paused_until_h.items():
            if until > now:
                mine = burst == b
                self._held.setdefault(b, []).extend(arrivals[mine].tolist())
                enter &= ~mine
        return arrivals[enter]

    def held_orders(self) -> list[int]:
        """Orders held back by paused promotions, awaiting release."""
        return [order for held in self._held.values() for order in held]

    def pause(self, name: str, hours: float) -> bool:
        """Pause the named promotion for ``hours`` from now (False if it is none, or already
        paused at least that long)."""
        names = [b.name for b in self._world.demand.bursts]
        if name not in names or hours <= 0:
            return False
        burst = names.index(name)
        if not self._world.demand.bursts[burst].promotion:
            return False
        until = self._env.now + hours
        if self.paused_until_h.get(burst, -np.inf) >= until:
            return False
        self.paused_until_h[burst] = until
        self._env.process(self._release(burst, until))
        return True

    def status(self, now_h: float) -> dict[str, tuple[bool, float]]:
        """By promotion name: (running now per the plan, paused until hour or NaN)."""
        return {
            b.name: (
                b.start_h <= now_h < b.start_h + b.duration_h,
                self.paused_until_h.get(i, float("nan")),
            )
            for i, b in enumerate(self._world.demand.bursts)
            if b.promotion
        }

    def _release(self, burst: int, until_h: float) -> Generator[Any, Any, None]:
        """At the end of a pause, held orders enter, promised from now."""
        yield self._env.timeout(until_h - self._env.now)
        if self.paused_until_h.get(burst) != until_h:
            return  # the pause was extended; a later release takes them
        del self.paused_until_h[burst]
        held = np.asarray(self._held.pop(burst, []), dtype=np.int64)
        if len(held):
            now, book, world = self._env.now, self._book, self._world
            book.held[held] = True
            book.released_h[held] = now
            self._promised_h[held] = (
                now + world.customer.promise_h[self._orders.service_level[held]]
            )
            margin_loss = world.costs.held_order_margin_loss_p * self._orders.margin_usd[held]
            book.cost_monitoring_usd[held] += margin_loss
            book.charged.charge("held_margin", float(margin_loss.sum()), len(held))
            self._route(held)
