"""The network's state at one instant as the order-management system knows it: a snapshot.

A now-cast starts from the state of a live operation, not from an empty network at hour 0. This
module takes that state from a running :class:`~sim.engine.simulation.Simulation` — open orders
at their stages with their times so far, stock and purchase orders as the OMS sees them, pickers
on shift, carrier bookings, the weather forecasts issued so far — and *only* that: nothing the
OMS cannot know at the instant (no parcel's settled delivery time, no true stock, no true storm,
no per-order random draw, no customer expectation). A real system's snapshot holds the same
columns (``docs/snapshot.md``; :mod:`sim.io.snapshot` writes and reads the files).

Columns hold indices into the world's tables (region, warehouse, mode, ...); the file layer
turns them into names.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from sim.engine.contract import Stage

# the simulation is typed Any here: it imports this module, and the layers allow no cycle
Simulation = Any

# an open order's stage as a snapshot names it (the order of the codes in ``stage``)
STAGES = (
    "created",  # arrived, waiting for the allocation wave
    "held",  # held back while its promotion is paused
    "rerouting",  # failed for stock, waiting out the re-route delay
    "backordered",
    "queued",  # stock reserved, waiting for a picker
    "picking",
    "at_dock",  # packed, waiting for the carrier's pickup
    "in_transit",
)
STAGE_CODE = {name: code for code, name in enumerate(STAGES)}

# every column of the open-orders table, what the OMS knows of an order (nothing else may go in)
ORDER_COLUMNS = (
    "order_id",
    "stage",
    "created_h",
    "promised_h",
    "region",
    "product",
    "channel",
    "items",
    "value_usd",
    "margin_usd",
    "vip",
    "service_level",
    "urgent",
    "signal",
    "warehouse",  # -1 until routed
    "mode",  # -1 until routed
    "routed_h",
    "queued_h",
    "pick_start_h",
    "picked_h",
    "shipped_h",
    "reshipped_h",  # a parcel declared lost: its replacement shipped then
    "reroutes",
    "backordered",
    "prioritised",
    "expedited",
)
STOCK_COLUMNS = ("warehouse", "product", "synced_units", "allocated_since_sync", "on_order_units")
RECEIPT_COLUMNS = ("warehouse", "product", "units", "due_h")
PICKER_COLUMNS = ("warehouse", "pickers_on_shift", "pickers_busy", "backlog")
BOOKING_COLUMNS = ("warehouse", "mode", "shipped_today", "daily_capacity")
FORECAST_COLUMNS = ("region", "issued_h", "start_h", "end_h", "severity")
STORM_COLUMNS = ("region", "start_h", "end_h", "severity")  # observed so far; end NaN: ongoing
STORM_LOOKBACK_H = 14 * 24.0  # storms that ended longer ago than this cannot touch open orders


@dataclass(frozen=True)
class SnapshotRequest:
    """Take a snapshot when the clock reaches ``at_h`` and hand it to ``deliver``."""

    at_h: float
    deliver: Callable[[SnapshotState], None]


@dataclass(frozen=True)
class SnapshotState:
    """What the OMS knows at ``snapshot_h``: one column dict per table (see the ``*_COLUMNS``)."""

    snapshot_h: float
    stock_synced_h: float  # when the OMS last synced stock with the warehouses
    orders: dict[str, np.ndarray]
    stock: dict[str, np.ndarray]
    receipts: dict[str, np.ndarray]
    pickers: dict[str, np.ndarray]
    bookings: dict[str, np.ndarray]
    forecasts: dict[str, np.ndarray]
    storms: dict[str, np.ndarray] = field(default_factory=dict)  # observed; may be left out

    @property
    def n_orders(self) -> int:
        return len(self.orders["order_id"])


def capture(sim: Simulation) -> SnapshotState:
    """The OMS's view of ``sim`` now (reads only; the run goes on unchanged)."""
    now = float(sim.env.now)
    return SnapshotState(
        snapshot_h=now,
        stock_synced_h=float(sim.stock.synced_h),
        orders=_open_orders(sim, now),
        stock=_stock(sim),
        receipts=_receipts(sim),
        pickers=_pickers(sim, now),
        bookings=_bookings(sim),
        forecasts=_forecasts(sim, now),
        storms=_storms(sim, now),
    )


def _open_orders(sim: Simulation, now: float) -> dict[str, np.ndarray]:
    """Orders created by now and neither delivered nor cancelled, in id order."""
    sim._draw_through(now)  # the day's orders, drawn as the run would (same per-day streams)
    book, orders, lo = sim.book, sim.orders, sim._recorded
    created = orders.created_h[lo : sim.n_orders]
    hi = lo + int(np.searchsorted(created, now, side="right"))
    stage = book.stage[lo:hi]
    done = (stage == Stage.CANCELLED) | (
        (stage == Stage.IN_TRANSIT) & (book.delivered_h[lo:hi] <= now)
    )
    idx = lo + np.flatnonzero(~done)
    code = _stage_codes(sim, idx, book.stage[idx])
    declared = book.lost_declared_h[idx]
    columns = {
        "order_id": idx.astype(np.int64),
        "stage": code,
        "created_h": orders.created_h[idx],
        "promised_h": sim.promised_h[idx],
        "region": orders.region[idx].astype(np.int64),
        "product": orders.product[idx].astype(np.int64),
        "channel": orders.channel[idx].astype(np.int64),
        "items": orders.items[idx],
        "value_usd": orders.value_usd[idx],
        "margin_usd": orders.margin_usd[idx],
        "vip": orders.vip[idx],
        "service_level": orders.service_level[idx],
        "urgent": orders.urgent[idx],
        "signal": orders.signal[idx],
        "warehouse": book.warehouse[idx],
        "mode": book.mode[idx],
        "routed_h": book.routed_h[idx],
        "queued_h": book.queued_h[idx],
        "pick_start_h": book.pick_start_h[idx],
        "picked_h": book.picked_h[idx],
        "shipped_h": book.shipped_h[idx],
        # known once declared (the carrier tells the OMS); a later declaration is the future
        "reshipped_h": np.where(declared <= now, declared, np.nan),
        "reroutes": book.reroutes[idx],
        "backordered": book.backordered[idx],
        "prioritised": book.prioritised[idx],
        "expedited": book.expedited[idx],
    }
    # times of steps the order has not reached yet are NaN (a re-routed order may carry old ones)
    unrouted = code <= STAGE_CODE["rerouting"]
    for name in ("queued_h", "pick_start_h", "picked_h", "shipped_h"):
        columns[name] = np.where(unrouted, np.nan, columns[name])
    assert tuple(columns) == ORDER_COLUMNS
    return {k: np.array(v, copy=True) for k, v in columns.items()}


def _stage_codes(sim: Simulation, idx: np.ndarray, stage: np.ndarray) -> np.ndarray:
    """Each open order's snapshot stage, from its engine stage and the container it waits in."""
    held = np.isin(idx, np.asarray(sim.promotions.held_orders(), dtype=np.int64))
    rerouting = np.isin(idx, np.asarray([o for _, o in sim._reroutes], dtype=np.int64))
    code = np.full(len(idx), -1, dtype=np.int8)
    code[stage == Stage.NOT_ARRIVED] = STAGE_CODE["created"]
    code[(stage == Stage.WAITING_ROUTE) & held] = STAGE_CODE["held"]
    code[(stage == Stage.WAITING_ROUTE) & rerouting] = STAGE_CODE["rerouting"]
    code[(stage == Stage.WAITING_ROUTE) & ~held & ~rerouting] = STAGE_CODE["created"]
    code[stage == Stage.BACKORDERED] = STAGE_CODE["backordered"]
    code[stage == Stage.QUEUED] = STAGE_CODE["queued"]
    code[stage == Stage.PICKING] = STAGE_CODE["picking"]
    code[stage == Stage.PACKED] = STAGE_CODE["at_dock"]
    code[stage == Stage.IN_TRANSIT] = STAGE_CODE["in_transit"]
    if (code < 0).any():
        raise AssertionError(
            f"open orders in stages a snapshot cannot name: {set(stage[code < 0])}"
        )
    return code


def _stock(sim: Simulation) -> dict[str, np.ndarray]:
    """Per warehouse and product: units at the last sync, the OMS's own allocations since, and
    units on order (its purchase orders)."""
    synced = sim.stock.visible()
    n_wh, n_products = synced.shape
    on_order = np.stack([w.on_order for w in sim.warehouses])
    return {
        "warehouse": np.repeat(np.arange(n_wh, dtype=np.int64), n_products),
        "product": np.tile(np.arange(n_products, dtype=np.int64), n_wh),
        "synced_units": synced.astype(np.int64).ravel(),
        "allocated_since_sync": sim.stock.allocated_since_sync.astype(np.int64).ravel().copy(),
        "on_order_units": on_order.astype(np.int64).ravel(),
    }


def _receipts(sim: Simulation) -> dict[str, np.ndarray]:
    """Purchase orders not yet received: warehouse, product, units and when they are due."""
    rows = sorted(
        (due_h, w, product, units)
        for w, ops in enumerate(sim.warehouses)
        for due_h, product, units in ops.inbound.values()
    )
    due, wh, product, units = (list(c) for c in zip(*rows, strict=True)) if rows else ([],) * 4
    return {
        "warehouse": np.asarray(wh, dtype=np.int64),
        "product": np.asarray(product, dtype=np.int64),
        "units": np.asarray(units, dtype=np.int64),
        "due_h": np.asarray(due, dtype=np.float64),
    }


def _pickers(sim: Simulation, now: float) -> dict[str, np.ndarray]:
    return {
        "warehouse": np.arange(len(sim.warehouses), dtype=np.int64),
        "pickers_on_shift": np.array([w.pickers_on(now) for w in sim.warehouses], dtype=np.int64),
        "pickers_busy": np.array([w.busy for w in sim.warehouses], dtype=np.int64),
        "backlog": np.array([w.backlog for w in sim.warehouses], dtype=np.int64),
    }


def _bookings(sim: Simulation) -> dict[str, np.ndarray]:
    """Parcels each carrier mode has taken at each warehouse today, against its daily capacity."""
    shipped, capacity = sim.carriers.shipped_today, sim.carriers.capacity
    n_wh, n_modes = shipped.shape
    return {
        "warehouse": np.repeat(np.arange(n_wh, dtype=np.int64), n_modes),
        "mode": np.tile(np.arange(n_modes, dtype=np.int64), n_wh),
        "shipped_today": shipped.astype(np.int64).ravel().copy(),
        "daily_capacity": capacity.astype(np.int64).ravel().copy(),
    }


def _forecasts(sim: Simulation, now: float) -> dict[str, np.ndarray]:
    """Forecasts issued by now of storms not yet over (predicted times and severity only)."""
    f = sim.forecasts
    live = np.flatnonzero((f.issued_h <= now) & (f.end_h > now))
    live = live[np.lexsort((f.region[live], f.start_h[live], f.issued_h[live]))]
    return {
        "region": f.region[live].astype(np.int64),
        "issued_h": f.issued_h[live].astype(np.float64),
        "start_h": f.start_h[live].astype(np.float64),
        "end_h": f.end_h[live].astype(np.float64),
        "severity": f.severity[live].astype(np.float64),
    }


def _storms(sim: Simulation, now: float) -> dict[str, np.ndarray]:
    """Storms observed so far (started by now; the end only if it has come): the weather of the
    past and present, which the OMS sees — not the future."""
    t = sim.storms
    seen = np.flatnonzero((t.start_h <= now) & (t.end_h > now - STORM_LOOKBACK_H))
    return {
        "region": t.region[seen].astype(np.int64),
        "start_h": t.start_h[seen].astype(np.float64),
        "end_h": np.where(t.end_h[seen] <= now, t.end_h[seen], np.nan),
        "severity": t.severity[seen].astype(np.float64),
    }
