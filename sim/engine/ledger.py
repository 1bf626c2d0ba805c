"""Ledgers written beside the state they audit: stock movements and charges.

The engine keeps true stock in ``on_hand`` and costs in the order book's columns; these ledgers
are written separately, one entry at each movement or charge, so the invariants
(:mod:`sim.engine.invariants`) can compare two independent records instead of one sum computed
twice. Entries are counters (per product) and running totals (per kind of charge), not a record
per order, to keep the per-order path cheap.
"""

from __future__ import annotations

import numpy as np

# kind of charge -> the order-book cost column it lands in
CHARGE_COLUMNS = {
    "pick": "cost_pick_usd",
    "transport": "cost_transport_usd",
    "reroute": "cost_exception_usd",
    "backorder": "cost_exception_usd",
    "cancel": "cost_exception_usd",
    "lost_replacement": "cost_exception_usd",
    "transfer": "cost_monitoring_usd",
    "claim": "cost_monitoring_usd",
    "staff": "cost_monitoring_usd",
    "held_margin": "cost_monitoring_usd",
    "unserved_margin": "cost_unserved_usd",  # margin lost on an order never served
    "unserved_open": "cost_unserved_usd",  # cancel_usd on an order still open when the run ends
}


class StockLedger:
    """Units moved in and out of one warehouse's true stock, per product.

    ``initial + received + released - reserved - other_channels - shrunk`` must equal
    ``on_hand`` at any time: received are replenishments that arrived, released are reserved
    units put back (the order moved), reserved are units taken for an order, other_channels are
    units drawn by channels outside the web OMS, shrunk are units lost without an order. A new
    kind of movement gets its own counter here and its term in :meth:`expected_on_hand`.
    """

    def __init__(self, initial: np.ndarray) -> None:
        self.initial = initial.copy()
        self.received = np.zeros_like(initial)
        self.released = np.zeros_like(initial)
        self.reserved = np.zeros_like(initial)
        self.other_channels = np.zeros_like(initial)
        self.shrunk = np.zeros_like(initial)

    def expected_on_hand(self) -> np.ndarray:
        return (
            self.initial
            + self.received
            + self.released
            - self.reserved
            - self.other_channels
            - self.shrunk
        )

    def net_reserved(self) -> np.ndarray:
        """Units reserved for orders and not put back: what the OMS's allocations took."""
        return self.reserved - self.released


class CostLedger:
    """Running USD totals by kind of charge (:data:`CHARGE_COLUMNS`), written at each charge."""

    def __init__(self) -> None:
        self.usd = dict.fromkeys(CHARGE_COLUMNS, 0.0)
        self.charges = dict.fromkeys(CHARGE_COLUMNS, 0)

    def charge(self, kind: str, usd: float, count: int = 1) -> None:
        """Record ``count`` charges of kind ``kind`` totalling ``usd``."""
        self.usd[kind] += usd
        self.charges[kind] += count

    def by_column(self) -> dict[str, float]:
        """Total charged per order-book cost column."""
        totals = dict.fromkeys(CHARGE_COLUMNS.values(), 0.0)
        for kind, usd in self.usd.items():
            totals[CHARGE_COLUMNS[kind]] += usd
        return totals
