"""Per-order state as preallocated columns (one array per field, indexed by order id).

The engine writes here instead of keeping an object per order; as orders finish, their rows are
turned into ``orders.parquet`` records chunk by chunk and their memory given back (the columns live
in a :class:`~sim.engine.window.Window`).
"""

from __future__ import annotations

import numpy as np

from sim.engine.contract import Stage
from sim.engine.ledger import CostLedger
from sim.engine.window import Window

__all__ = ["COLUMNS", "OrderBook", "Stage"]


# column -> (dtype, value before anything happened to the order)
COLUMNS: dict[str, tuple[type, object]] = {
    "stage": (np.int8, 0),
    "warehouse": (np.int64, -1),
    "mode": (np.int64, -1),
    "zone": (np.int64, 0),
    "routed_h": (np.float64, np.nan),
    "queued_h": (np.float64, np.nan),
    "pick_start_h": (np.float64, np.nan),
    "picked_h": (np.float64, np.nan),
    "shipped_h": (np.float64, np.nan),
    "delivered_h": (np.float64, np.nan),
    "cancelled_h": (np.float64, np.nan),
    "track_gap_start_h": (np.float64, np.nan),  # tracking dark from here (lost: until replaced)
    "lost_declared_h": (np.float64, np.nan),  # the carrier declares the parcel lost; replaced then
    "cost_pick_usd": (np.float64, 0.0),
    "cost_transport_usd": (np.float64, 0.0),
    "cost_exception_usd": (np.float64, 0.0),
    "reroutes": (np.int64, 0),
    "backordered": (np.bool_, False),
    "transferred": (np.bool_, False),
    "expedited": (np.bool_, False),
    "prioritised": (np.bool_, False),
    "lost": (np.bool_, False),
    "customer_cancelled": (np.bool_, False),  # cancelled by the customer at checkout
    "storm_delay_h": (np.float64, 0.0),
    "transit_h": (np.float64, np.nan),  # carrier transit of the (first) parcel, storms included
    "released_h": (np.float64, np.nan),  # when the order entered the system (later if held back)
    "held": (np.bool_, False),  # held back while its promotion was paused
    "alert_level": (np.int8, 0),  # highest raised: 0 none, 1-3 blue-red
    "alert_first_h": (np.float64, np.nan),
    "alert_mask": (np.int8, 0),  # bit 0 blue, 1 yellow, 2 red
    "claim_h": (np.float64, np.nan),
    "notified_h": (np.float64, np.nan),  # first (only) notification to the human team
    "notice_handled_h": (np.float64, np.nan),  # when the team finished with it
    "cost_monitoring_usd": (np.float64, 0.0),
    "cost_unserved_usd": (np.float64, 0.0),  # never served: margin lost (+ cancel_usd if open)
    "queue_token": (np.int64, 0),  # invalidates stale pick-queue entries
}


class OrderBook:
    """Mutable columns of the whole run, by global order id, held in a :class:`Window`."""

    stage: np.ndarray
    warehouse: np.ndarray
    mode: np.ndarray
    zone: np.ndarray
    routed_h: np.ndarray
    queued_h: np.ndarray
    pick_start_h: np.ndarray
    picked_h: np.ndarray
    shipped_h: np.ndarray
    delivered_h: np.ndarray
    cancelled_h: np.ndarray
    track_gap_start_h: np.ndarray
    lost_declared_h: np.ndarray
    cost_pick_usd: np.ndarray
    cost_transport_usd: np.ndarray
    cost_exception_usd: np.ndarray
    reroutes: np.ndarray
    backordered: np.ndarray
    transferred: np.ndarray
    expedited: np.ndarray
    prioritised: np.ndarray
    lost: np.ndarray
    customer_cancelled: np.ndarray
    storm_delay_h: np.ndarray
    transit_h: np.ndarray
    released_h: np.ndarray
    held: np.ndarray
    alert_level: np.ndarray
    alert_first_h: np.ndarray
    alert_mask: np.ndarray
    claim_h: np.ndarray
    notified_h: np.ndarray
    notice_handled_h: np.ndarray
    cost_monitoring_usd: np.ndarray
    cost_unserved_usd: np.ndarray
    queue_token: np.ndarray

    def __init__(self, window: Window) -> None:
        for name, (dtype, fill) in COLUMNS.items():
            window.add(self, name, dtype, fill)
        self.charged = CostLedger()  # every charge also lands here, to reconcile the columns

    @classmethod
    def detached(cls, columns: dict[str, np.ndarray]) -> OrderBook:
        """A book over given columns (every one of :data:`COLUMNS`), outside any window: rows
        kept aside (:mod:`sim.engine.parked`), read as a run's own."""
        book = cls.__new__(cls)
        for name in COLUMNS:
            setattr(book, name, columns[name])
        book.charged = CostLedger()
        return book

    def cost_columns(self, lo: int = 0, hi: int | None = None) -> dict[str, np.ndarray]:
        """Every per-order cost column (``cost_*_usd``), by name, for ids ``[lo, hi)``."""
        return {k: getattr(self, k)[lo:hi] for k in COLUMNS if _is_cost(k)}


def _is_cost(name: str) -> bool:
    return name.startswith("cost_") and name.endswith("_usd")
