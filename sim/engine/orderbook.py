"""Per-order state as preallocated columns (one array per field, indexed by order id).

The engine writes here instead of keeping an object per order; the result turns these columns
into ``orders.parquet`` in one step.
"""

from __future__ import annotations

import numpy as np

from sim.engine.contract import Stage
from sim.engine.ledger import CostLedger

__all__ = ["OrderBook", "Stage"]


class OrderBook:
    """Mutable columns of the whole run."""

    def __init__(self, n: int) -> None:
        nan = np.full(n, np.nan)
        self.stage = np.zeros(n, dtype=np.int8)
        self.warehouse = np.full(n, -1, dtype=np.int64)
        self.mode = np.full(n, -1, dtype=np.int64)
        self.zone = np.zeros(n, dtype=np.int64)
        self.routed_h = nan.copy()
        self.queued_h = nan.copy()
        self.pick_start_h = nan.copy()
        self.picked_h = nan.copy()
        self.shipped_h = nan.copy()
        self.delivered_h = nan.copy()
        self.cancelled_h = nan.copy()
        self.track_gap_start_h = nan.copy()  # tracking dark from here until delivery
        self.cost_pick_usd = np.zeros(n)
        self.cost_transport_usd = np.zeros(n)
        self.cost_exception_usd = np.zeros(n)
        self.reroutes = np.zeros(n, dtype=np.int64)
        self.backordered = np.zeros(n, dtype=bool)
        self.transferred = np.zeros(n, dtype=bool)
        self.expedited = np.zeros(n, dtype=bool)
        self.prioritised = np.zeros(n, dtype=bool)
        self.lost = np.zeros(n, dtype=bool)
        self.customer_cancelled = np.zeros(n, dtype=bool)  # cancelled by the customer at checkout
        self.storm_delay_h = np.zeros(n)
        self.transit_h = nan.copy()  # carrier transit of the (first) parcel, storms included
        self.released_h = nan.copy()  # when the order entered the system (later if held back)
        self.held = np.zeros(n, dtype=bool)  # held back while its promotion was paused
        self.alert_level = np.zeros(n, dtype=np.int8)  # highest raised: 0 none, 1-3 blue-red
        self.alert_first_h = nan.copy()
        self.alert_mask = np.zeros(n, dtype=np.int8)  # bit 0 blue, 1 yellow, 2 red
        self.claim_h = nan.copy()
        self.cost_monitoring_usd = np.zeros(n)
        self.cost_unserved_usd = np.zeros(n)  # never served: margin lost (+ cancel_usd if open)
        self.queue_token = np.zeros(n, dtype=np.int64)  # invalidates stale pick-queue entries
        self.charged = CostLedger()  # every charge also lands here, to reconcile the columns

    def cost_columns(self) -> dict[str, np.ndarray]:
        """Every per-order cost column (``cost_*_usd``), by name."""
        return {k: v for k, v in vars(self).items() if k.startswith("cost_") and k.endswith("_usd")}

    def __len__(self) -> int:
        return len(self.stage)
