"""Run-level KPIs from the order records, orders created in the warm-up left out."""

from __future__ import annotations

from collections.abc import Mapping

import numpy as np

DELIVERED, OPEN, CANCELLED = "delivered", "open", "cancelled"


def _mean(values: np.ndarray) -> float:
    return float(np.mean(values)) if len(values) else float("nan")


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
    delivery_h = c["delivered_h"][delivered] - c["created_h"][delivered]
    due = ~cancelled & (delivered | (c["promised_h"] <= horizon_h))
    on_time = delivered & (c["delivered_h"] <= c["promised_h"])
    rated = ~np.isnan(c["promoter_p"])
    express = c["service_level"] == "express"
    kpis = {
        "orders_created": n,
        "orders_delivered": int(delivered.sum()),
        "orders_open": int((status == OPEN).sum()),
        "orders_cancelled": int(cancelled.sum()),
        "cost_per_order": float(c["cost"].sum() / n) if n else float("nan"),
        "cost_pick_per_order": float(c["cost_pick_usd"].sum() / n) if n else float("nan"),
        "cost_transport_per_order": float(c["cost_transport_usd"].sum() / n) if n else float("nan"),
        "cost_exception_per_order": float(c["cost_exception_usd"].sum() / n) if n else float("nan"),
        "delivery_time_mean_h": _mean(delivery_h),
        "delivery_time_p90_h": float(np.percentile(delivery_h, 90))
        if len(delivery_h)
        else float("nan"),
        "on_time_rate": float(on_time[due].mean()) if due.any() else float("nan"),
        "late_rate": float(1.0 - on_time[due].mean()) if due.any() else float("nan"),
        "nps": 100.0 * (_mean(c["promoter_p"][rated]) - _mean(c["detractor_p"][rated])),
        "return_rate": _mean(c["return_p"][delivered]),
        "pick_wait_mean_h": _mean(c["pick_wait_h"][~np.isnan(c["pick_wait_h"])]),
        "cancel_rate": float(cancelled.mean()) if n else float("nan"),
        "reroute_rate": float((c["reroutes"] > 0).mean()) if n else float("nan"),
        "backorder_rate": float(c["backordered"].mean()) if n else float("nan"),
        "lost_rate": float(c["lost"].mean()) if n else float("nan"),
        "express_share": float(express.mean()) if n else float("nan"),
    }
    for mode in mode_names:
        kpis[f"mode_share_{mode}"] = float((c["mode"] == mode).mean()) if n else float("nan")
    return kpis
