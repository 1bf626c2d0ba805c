"""Booking a wave as the OMS would: an order routed earlier in the wave reduces the stock the
later ones see.

A router that keeps a ledger (last sync minus its own allocations) decides a whole allocation wave
at once from one stock estimate; without this, every order of a wave would count the same units,
and a burst would pile onto the warehouse that shows stock until true stock runs out. Here the
wave is booked in order: where an order would take units an earlier order of the same wave
already took, the rest of the wave is decided again with those units gone. Decisions are
vectorised; a wave is decided again only at such a conflict, at most once per order.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import replace

import numpy as np

from policies.routing.estimates import CandidateEstimates, estimated_stock
from sim.engine.contract import OrderBatch, RoutingDecision, RoutingView

Decide = Callable[[CandidateEstimates], RoutingDecision]


def decide_in_wave(
    orders: OrderBatch, view: RoutingView, est: CandidateEstimates, decide: Decide
) -> RoutingDecision:
    """``decide`` the wave, deducting each order's units from the OMS's stock estimate for the
    orders after it (:func:`book_in_order` on the view's estimate)."""
    return book_in_order(orders.product, orders.items, estimated_stock(view), est, decide)


def book_in_order(
    product: np.ndarray,
    items: np.ndarray,
    stock: np.ndarray,
    est: CandidateEstimates,
    decide: Decide,
) -> RoutingDecision:
    """Decisions for a wave whose orders draw, in order, on ``stock`` [warehouse, product].

    An order conflicts when the stock estimate left after the earlier orders' choices no longer
    covers it at its chosen warehouse, though the router believed it did; from the first conflict
    on, ``stock_short`` is recomputed with the earlier orders' units gone and the rest decided
    again. An order sent knowingly to a short warehouse (nothing better) is no conflict and,
    as its reservation will fail, takes nothing from the estimate.
    """
    n = len(items)
    rows = np.arange(n)
    short = est.stock_short
    decision = decide(est)
    while True:
        warehouse = np.asarray(decision.warehouse, dtype=np.int64)
        believed = ~short[rows, warehouse]  # the router thought the estimate covered the order
        taking = np.where(believed, items, 0)  # an order sent knowingly short takes nothing
        if _covers_all(stock, warehouse, product, taking, items, believed):
            return decision
        left = stock[warehouse, product] - _taken_before(warehouse, product, taking, stock.shape[1])
        conflict = np.flatnonzero((left < items) & believed)
        if not len(conflict):
            return decision
        k = int(conflict[0])
        remaining = stock.copy()
        np.subtract.at(remaining, (warehouse[:k], product[:k]), taking[:k])
        short = short.copy()
        short[k:] = items[k:, None] > remaining[:, product[k:]].T
        decision = _splice(decision, decide(replace(est, stock_short=short)), k)


def _covers_all(
    stock: np.ndarray,
    warehouse: np.ndarray,
    product: np.ndarray,
    taking: np.ndarray,
    items: np.ndarray,
    believed: np.ndarray,
) -> bool:
    """No conflict is possible: at each believed order's (warehouse, product), the stock left
    after *every* order of the wave that takes from it still covers the order (what earlier
    orders take is at most that). Exact in float64 for unit counts below 2**53."""
    key = warehouse * stock.shape[1] + product
    after_all = stock.ravel()[key] - np.bincount(key, weights=taking, minlength=stock.size)[key]
    return not bool(((after_all < items) & believed).any())


def _taken_before(
    warehouse: np.ndarray, product: np.ndarray, items: np.ndarray, n_products: int
) -> np.ndarray:
    """Per order: units that earlier orders of the wave take at its (warehouse, product)."""
    key = warehouse * n_products + product
    order = np.argsort(key, kind="stable")
    units = items[order]
    running = np.cumsum(units)
    first = np.flatnonzero(np.r_[True, np.diff(key[order]) != 0])  # each group's first row
    group_base = np.repeat(running[first] - units[first], np.diff(np.r_[first, len(items)]))
    taken = np.empty(len(items), dtype=running.dtype)
    taken[order] = running - units - group_base
    return taken


def _splice(head: RoutingDecision, tail: RoutingDecision, k: int) -> RoutingDecision:
    """``head``'s decisions for orders before ``k``, ``tail``'s from ``k`` on."""

    def join(a: np.ndarray | None, b: np.ndarray | None, n: int) -> np.ndarray | None:
        if a is None and b is None:
            return None
        a = np.zeros(n, dtype=bool) if a is None else np.asarray(a)
        b = np.zeros(n, dtype=bool) if b is None else np.asarray(b)
        return np.concatenate([a[:k], b[k:]])

    n = len(head.warehouse)
    warehouse = np.concatenate([np.asarray(head.warehouse)[:k], np.asarray(tail.warehouse)[k:]])
    mode = np.concatenate([np.asarray(head.mode)[:k], np.asarray(tail.mode)[k:]])
    return RoutingDecision(warehouse, mode, join(head.priority, tail.priority, n))
