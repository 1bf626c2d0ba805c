"""Run-level KPIs from the order records, orders created in the warm-up left out."""

from __future__ import annotations

from collections.abc import Mapping

import numpy as np

DELIVERED, OPEN, CANCELLED = "delivered", "open", "cancelled"
ALERT_BITS = {"blue": 1, "yellow": 2, "red": 4}
NAN = float("nan")


def _mean(values: np.ndarray) -> float:
    return float(np.mean(values)) if len(values) else NAN


def alert_quality(c: Mapping[str, np.ndarray]) -> dict[str, float]:
    """Alerts scored against what really happened to each order.

    An order *failed* if it was cancelled, its parcel was lost, or it was (or still is) late
    against its promise; it failed at its cancellation or at its promised time. Precision: share
    of alerted orders that failed. Recall: share of failed orders alerted before they failed.
    Lead time: how long before the failure the first alert came (true positives).
    """
    alerted = c["alert_level"] > 0
    cancelled = c["status"] == CANCELLED
    failed = cancelled | c["lost"] | (np.nan_to_num(c["late_h"]) > 0)
    failed_h = np.where(cancelled, c["cancelled_h"], c["promised_h"])
    in_time = alerted & failed & (c["alert_first_h"] <= failed_h)
    lead_h = (failed_h - c["alert_first_h"])[in_time]
    by_level = {
        f"alerts_{level}": int(((c["alert_mask"] & bit) > 0).sum())
        for level, bit in ALERT_BITS.items()
    }
    out = {
        "alerts_total": sum(by_level.values()),
        **by_level,
        "orders_alerted": int(alerted.sum()),
        "orders_failed": int(failed.sum()),
        "alert_precision": float(failed[alerted].mean()) if alerted.any() else NAN,
        "alert_recall": float(in_time.sum() / failed.sum()) if failed.any() else NAN,
        "alert_lead_time_median_h": float(np.median(lead_h)) if len(lead_h) else NAN,
    }
    return out


def compute_kpis(
    columns: Mapping[str, np.ndarray],
    warmup_h: float,
    horizon_h: float,
    mode_names: tuple[str, ...] = (),
) -> dict[str, float]:
    """Flat KPI mapping over orders created at or after ``warmup_h``."""
    counted = columns["created_h"] >= warmup_h
    c = {k: v[counted] for k, v in columns.items()}
    status = c["status"]
    delivered = status == DELIVERED
    cancelled = status == CANCELLED
    n = int(counted.sum())

    def per_order(column: str) -> float:
        return float(c[column].sum() / n) if n else NAN

    def share(mask: np.ndarray) -> float:
        return float(mask.mean()) if n else NAN

    # held-back promotion orders count from when they entered, not from the first click
    delivery_h = c["delivered_h"][delivered] - c["released_h"][delivered]
    due = ~cancelled & (delivered | (c["promised_h"] <= horizon_h))
    on_time = delivered & (c["delivered_h"] <= c["promised_h"])
    rated = ~np.isnan(c["promoter_p"])
    vip = c["vip"] & rated
    kpis = {
        "orders_created": n,
        "orders_delivered": int(delivered.sum()),
        "orders_open": int((status == OPEN).sum()),
        "orders_cancelled": int(cancelled.sum()),
        "cost_per_order": per_order("cost"),
        "cost_pick_per_order": per_order("cost_pick_usd"),
        "cost_transport_per_order": per_order("cost_transport_usd"),
        "cost_exception_per_order": per_order("cost_exception_usd"),
        "monitoring_cost_per_order": per_order("cost_monitoring_usd"),
        "delivery_time_mean_h": _mean(delivery_h),
        "delivery_time_p90_h": float(np.percentile(delivery_h, 90)) if len(delivery_h) else NAN,
        "on_time_rate": float(on_time[due].mean()) if due.any() else NAN,
        "late_rate": float(1.0 - on_time[due].mean()) if due.any() else NAN,
        "nps": 100.0 * (_mean(c["promoter_p"][rated]) - _mean(c["detractor_p"][rated])),
        "nps_vip": 100.0 * (_mean(c["promoter_p"][vip]) - _mean(c["detractor_p"][vip])),
        "return_rate": _mean(c["return_p"][delivered]),
        "pick_wait_mean_h": _mean(c["pick_wait_h"][~np.isnan(c["pick_wait_h"])]),
        "cancel_rate": share(cancelled),
        "reroute_rate": share(c["reroutes"] > 0),
        "backorder_rate": share(c["backordered"]),
        "lost_rate": share(c["lost"]),
        "held_rate": share(c["held"]),
        "express_share": share(c["service_level"] == "express"),
    }
    for mode in mode_names:
        kpis[f"mode_share_{mode}"] = share(c["mode"] == mode)
    kpis.update(alert_quality(c))
    return kpis
