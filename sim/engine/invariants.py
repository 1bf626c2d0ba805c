"""Invariants that can fail: each compares two records kept apart, never one sum computed twice.

- **Every open order in exactly one place**: membership is read from the containers themselves
  (the allocation wave's backlog, paused promotions' held lists, pending re-routes, back-order
  lists, pick queues, pickers' hands, docks, parcels in transit) and must agree with the stage the
  order book shows; a finished order (delivered or cancelled) must be in none.
- **Units conserve per warehouse and product**: the stock ledger's movements
  (:class:`~sim.engine.ledger.StockLedger`) must add up to true stock on hand.
- **Costs reconcile**: the cost ledger written at each charge
  (:class:`~sim.engine.ledger.CostLedger`) must equal the per-order cost columns' totals.

Each check raises :class:`InvariantError` naming what broke; a breach is a bug, never a result.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence

import numpy as np

from sim.engine.contract import Stage
from sim.engine.ledger import CostLedger, StockLedger

# where an open order can be -> the stage the order book must show for it
PLACE_STAGE = {
    "awaiting the allocation wave": Stage.NOT_ARRIVED,
    "held by a paused promotion": Stage.WAITING_ROUTE,
    "waiting for a re-route": Stage.WAITING_ROUTE,
    "back-ordered": Stage.BACKORDERED,
    "in a pick queue": Stage.QUEUED,
    "being picked": Stage.PICKING,
    "at a dock": Stage.PACKED,
    "in transit": Stage.IN_TRANSIT,
}
STAGE_NAMES = {v: k for k, v in vars(Stage).items() if isinstance(v, int)}
COST_RTOL = 1e-9  # float sums in a different order; a real breach is cents or more
COST_ATOL_USD = 1e-6


class InvariantError(RuntimeError):
    """A run broke an invariant (orders, stock or costs): a bug, never a result."""


def check_places(
    places: Mapping[str, Sequence[int] | np.ndarray],
    stage: np.ndarray,
    delivered_h: np.ndarray,
    now_h: float,
    n_created: int,
    first: int = 0,
    drawn: int | None = None,
) -> None:
    """Each order ``first..n_created-1`` (created by ``now_h``; those before ``first`` finished
    and recorded) is in exactly one of ``places`` (name in :data:`PLACE_STAGE` -> order ids, one
    entry per holding) with the matching stage, or finished (delivered by ``now_h`` or cancelled)
    and in none; later orders (up to ``drawn``) have not arrived."""
    n = n_created - first
    count = np.zeros(n, dtype=np.int64)
    where = np.full(n, -1, dtype=np.int64)
    names = list(places)
    for k, name in enumerate(names):
        ids = np.asarray(places[name], dtype=np.int64)
        if len(ids) and (ids.min() < first or ids.max() >= n_created):
            bad = int(ids[(ids < first) | (ids >= n_created)][0])
            when = "was already recorded as finished" if 0 <= bad < first else "was never created"
            raise InvariantError(f"order {bad} is {name} at {now_h:.2f} h but {when}")
        count += np.bincount(ids - first, minlength=n)
        where[ids - first] = k
    twice = np.flatnonzero(count > 1)
    if len(twice):
        order = first + int(twice[0])
        held = [n for n in names if (np.asarray(places[n]) == order).any()]
        raise InvariantError(
            f"{len(twice)} orders in more than one place at {now_h:.2f} h, e.g. order {order}: "
            + ", ".join(f"{n} x{int((np.asarray(places[n]) == order).sum())}" for n in held)
        )
    expected = np.array([PLACE_STAGE[n] for n in names] + [-1], dtype=np.int64)[where]
    s = stage[first:n_created].astype(np.int64)
    finished = (s == Stage.CANCELLED) | (
        (s == Stage.IN_TRANSIT) & (delivered_h[first:n_created] <= now_h)
    )
    placed = count == 1
    wrong = np.flatnonzero((placed & (s != expected)) | (~placed & ~finished))
    if len(wrong):
        i = int(wrong[0])
        place = names[where[i]] if placed[i] else "in no place"
        raise InvariantError(
            f"{len(wrong)} orders where the book does not put them at {now_h:.2f} h, e.g. order "
            f"{first + i}: {place}, but its stage is {STAGE_NAMES.get(int(s[i]), s[i])}"
        )
    late = stage[n_created:drawn] != Stage.NOT_ARRIVED
    if late.any():
        order = n_created + int(np.argmax(late))
        raise InvariantError(f"order {order} has a stage before its creation time ({now_h:.2f} h)")


def check_counts(warehouse: str, counts: Mapping[str, tuple[int, int]]) -> None:
    """Counters the engine keeps (and policies read) equal what their containers hold:
    name -> (counter, count from the container)."""
    for name, (counter, held) in counts.items():
        if counter != held:
            raise InvariantError(
                f"{name} counter at warehouse {warehouse!r} is {counter}, "
                f"but its containers hold {held}"
            )


def check_stock(warehouse: str, on_hand: np.ndarray, ledger: StockLedger) -> None:
    """initial + received + released - reserved = on hand, per product."""
    expected = ledger.expected_on_hand()
    off = np.flatnonzero(expected != on_hand)
    if len(off):
        p = int(off[0])
        raise InvariantError(
            f"units not conserved at warehouse {warehouse!r}, product {p}: initial "
            f"{ledger.initial[p]} + received {ledger.received[p]} + released "
            f"{ledger.released[p]} - reserved {ledger.reserved[p]} = {expected[p]}, "
            f"but {on_hand[p]} on hand"
        )


def check_costs(ledger: CostLedger, columns: Mapping[str, np.ndarray]) -> None:
    """Each per-order cost column (every ``cost_*_usd`` of the order book) totals what the ledger
    charged to it; a cost column no kind of charge lands in is itself a breach."""
    charged = ledger.by_column()
    for column in columns:
        if column not in charged:
            raise InvariantError(f"cost column {column} has no kind of charge in the cost ledger")
    for column, usd in charged.items():
        booked = float(np.sum(columns[column]))
        if abs(booked - usd) > COST_RTOL * max(abs(booked), abs(usd)) + COST_ATOL_USD:
            raise InvariantError(
                f"costs do not reconcile: orders' {column} total {booked:.6f} USD, "
                f"ledger {usd:.6f} USD (charges: "
                + ", ".join(f"{k} {v:.2f}" for k, v in ledger.usd.items() if v)
                + ")"
            )


def check_cost_total(columns: Mapping[str, np.ndarray], total: str = "cost") -> None:
    """The per-order total is the sum of every ``cost_*_usd`` part (none left out)."""
    parts = [c for c in columns if c.startswith("cost_") and c.endswith("_usd")]
    summed = np.sum([columns[c] for c in parts], axis=0)
    off = np.flatnonzero(~np.isclose(columns[total], summed, rtol=COST_RTOL, atol=COST_ATOL_USD))
    if len(off):
        i = int(off[0])
        raise InvariantError(
            f"{len(off)} orders' {total} is not the sum of {', '.join(parts)}, e.g. row {i}: "
            f"{columns[total][i]:.6f} vs {summed[i]:.6f} USD"
        )
