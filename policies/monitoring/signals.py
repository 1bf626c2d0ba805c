"""Order-health signals a monitor can compute from its view (never from hidden truth).

Shared by the SLA-rule and health-score monitors: how long an order has waited for picking, its
ship-by deadline (promise minus expected transit on its lane), hours of tracking silence and past
the carrier's expected delivery once shipped, the
backlog of its warehouse, forecast storms on its lane, and whether stock is short where it waits.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from sim.engine.contract import MonitorView, OpenOrders, Stage

NOT_PICKED = (Stage.BACKORDERED, Stage.QUEUED)
UNSHIPPED = (Stage.BACKORDERED, Stage.QUEUED, Stage.PICKING, Stage.PACKED)


@dataclass(frozen=True)
class OrderSignals:
    open: OpenOrders
    now_h: float
    not_picked: np.ndarray  # waiting for stock or a picker
    unshipped: np.ndarray
    in_transit: np.ndarray
    waiting_h: np.ndarray  # since it entered the warehouse queue (or was created), unpicked only
    ship_by_h: np.ndarray  # latest pickup that still meets the promise on expected transit
    tracking_silence_h: np.ndarray  # in transit: hours since the last scan (NaN otherwise)
    overdue_h: np.ndarray  # in transit: hours past the carrier's expected delivery (NaN otherwise)
    backlog_h: np.ndarray  # pick backlog per picker on shift at the order's warehouse
    storm_on_lane: np.ndarray  # forecast storm over the order's region or its warehouse
    backordered: np.ndarray


def order_signals(view: MonitorView) -> OrderSignals:
    o = view.open_orders()
    now = view.now_h
    stage = o.stage
    not_picked = np.isin(stage, NOT_PICKED)
    unshipped = np.isin(stage, UNSHIPPED)
    in_transit = stage == Stage.IN_TRANSIT
    waiting_since = np.where(np.isnan(o.queued_h), o.created_h, o.queued_h)
    waiting_h = np.where(not_picked, now - waiting_since, 0.0)
    zone = np.where(o.warehouse >= 0, view.zone[o.region, np.maximum(o.warehouse, 0)], 1)
    mode = np.where(o.mode >= 0, o.mode, view.default_mode[o.service_level])
    ship_by = o.promised_h - view.transit_mean_h[mode, np.maximum(zone, 1)]
    silence = np.where(in_transit, now - o.last_scan_h, np.nan)
    # the carrier's estimate: pickup + mean transit on the lane (what an OMS is told)
    expected_h = o.shipped_h + view.transit_mean_h[mode, np.maximum(zone, 1)]
    overdue = np.where(in_transit, now - expected_h, np.nan)
    backlog = view.backlog().astype(float)
    on_shift = np.maximum(view.pickers_on_shift(), 1)
    backlog_h = (backlog * view.pick_time_mean_h / on_shift)[np.maximum(o.warehouse, 0)]
    forecast = view.storm_forecast()
    wh_region = np.array([w.region for w in view.world.warehouses])[np.maximum(o.warehouse, 0)]
    storm = forecast[o.region] | forecast[wh_region]
    return OrderSignals(
        open=o,
        now_h=now,
        not_picked=not_picked,
        unshipped=unshipped,
        in_transit=in_transit,
        waiting_h=waiting_h,
        ship_by_h=ship_by,
        tracking_silence_h=silence,
        overdue_h=overdue,
        backlog_h=backlog_h,
        storm_on_lane=storm,
        backordered=stage == Stage.BACKORDERED,
    )


def newly(signals: OrderSignals, mask: np.ndarray, level: int) -> np.ndarray:
    """Order ids where ``mask`` holds and no alert of this level or higher was raised yet."""
    return signals.open.order_id[mask & (signals.open.alert_level < level)]


class StockSwing:
    """Relative change of visible stock by [warehouse, product] between inspections."""

    def __init__(self) -> None:
        self._last: np.ndarray | None = None

    def update(self, visible: np.ndarray) -> np.ndarray:
        now = visible.astype(float)
        last = self._last if self._last is not None else now
        self._last = now
        return np.abs(now - last) / np.maximum(last, 1.0)
