"""What ship and delivery times say about warehouses and carriers (for the fit report).

Pick-to-ship (created -> shipped) per warehouse mixes the OMS allocation wave, the pick queue,
shifts, picking and the wait for the carrier's pickup. The share of orders that missed the first
pickup they could have made (ready = created + allocation wave + mean pick time) is the part that
speaks to picking capacity: near 0 means pickers keep up with cut-offs; a large share means a
backlog, which the carried-over picker numbers must reproduce in the backtest.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import numpy as np
import pandas as pd

from scenarios.calibration.network import NetworkFit, lane_zones

MISSED_SLACK_H = 0.5  # shipped this much after the first feasible pickup counts as missed


def first_feasible_pickup_h(
    ready_h: np.ndarray, ready_hod: np.ndarray, pickups: list[float]
) -> np.ndarray:
    """Time of the first pickup at or after ``ready_h`` (hour of day ``ready_hod``)."""
    waits = np.stack([(p - ready_hod) % 24.0 for p in pickups])
    return ready_h + waits.min(axis=0)


def pick_to_ship(orders: pd.DataFrame, scenario: Mapping[str, Any]) -> dict[str, Any]:
    """Per warehouse: created -> shipped hours (mean, p50, p90) and the missed-pickup share."""
    shipped = orders[~orders["shipped_h"].isna()]
    hours = shipped["shipped_h"] - shipped["created_h"]
    created_hod = shipped["created_at"] + pd.to_timedelta(
        shipped["created_at_offset_min"], unit="min"
    )
    created_hod = (created_hod - created_hod.dt.floor("D")) / pd.Timedelta(hours=1)
    out: dict[str, Any] = {}
    for wh, idx in shipped.groupby("warehouse").groups.items():
        spec = scenario["warehouses"][wh]
        ready = float(scenario["allocation_wave_h"]) + float(spec["pick_time"]["mean_h"])
        missed = []
        for mode, sub in shipped.loc[idx].groupby("mode").groups.items():
            first = first_feasible_pickup_h(
                shipped.loc[sub, "created_h"].to_numpy() + ready,
                (created_hod.loc[sub].to_numpy() + ready) % 24.0,
                list(scenario["modes"][mode]["pickup_hours"]),
            )
            missed.append(shipped.loc[sub, "shipped_h"].to_numpy() > first + MISSED_SLACK_H)
        mine = hours.loc[idx]
        out[str(wh)] = {
            "n": int(len(mine)),
            "mean_h": float(mine.mean()),
            "p50_h": float(mine.quantile(0.5)),
            "p90_h": float(mine.quantile(0.9)),
            "missed_first_pickup": float(np.concatenate(missed).mean()),
        }
    return out


def carrier_late_rates(orders: pd.DataFrame, network: NetworkFit) -> dict[str, Any]:
    """Per mode: share delivered after the promise, and share late although shipped in time.

    "Shipped in time" means at least the lane's mean transit before the promise, so the
    lateness is the carrier's, not the warehouse's.
    """
    delivered = orders[orders["status"] == "delivered"]
    out: dict[str, Any] = {}
    for mode, sub in delivered.groupby("mode"):
        late = sub["delivered_h"] > sub["promised_h"]
        zone = lane_zones(sub, network.zone_to)
        fits = network.transit_fits.get(str(mode), {})
        typical = np.array([fits[z].sample_mean_h if z in fits else np.nan for z in zone])
        in_time = (sub["promised_h"] - sub["shipped_h"]).to_numpy() >= typical
        carrier_late = late.to_numpy() & in_time
        out[str(mode)] = {
            "n": int(len(sub)),
            "late_rate": float(late.mean()),
            "carrier_late_rate": float(carrier_late[in_time].mean()) if in_time.any() else None,
        }
    return out
