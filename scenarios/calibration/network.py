"""Fit the network side of an order log: zones, transit by mode and zone, pickups, warehouses.

What an order log identifies, and what it does not:

- Transit (shipped -> delivered) by mode and zone: identified where a lane was used; the history's
  weather and lost parcels are inside these times, so the fitted scenario keeps random storms off
  (and loss at 0) rather than count them twice.
- Carrier pickup hours (the cut-offs): identified where ship times cluster at hours of the day
  (:mod:`scenarios.calibration.pickups`); evenly spread ship times give hourly pickups and a
  warning.
- Pick-to-ship time per warehouse: observed, but it mixes queueing, shifts, picking and the wait
  for the pickup. Pickers, shifts and pick time are not separately identifiable from ship times;
  they are carried over from a template scenario and the backtest checks the combination.
- Zones: taken from the template when its regions and warehouses carry the log's names; otherwise
  bands of each lane's pooled mean transit (:mod:`scenarios.calibration.lanes`).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import pandas as pd

from scenarios.calibration.durations import DurationFit, fit_duration
from scenarios.calibration.lanes import Lane, pool_lanes
from scenarios.calibration.pickups import infer_pickups

MIN_CELL = 50  # delivered orders needed to fit a mode-zone transit


@dataclass
class NetworkFit:
    zone_to: dict[str, dict[str, int]]  # region -> warehouse -> zone
    zone_source: str  # "template" or "estimated"
    n_zones: int
    transit: dict[str, list[dict[str, Any]]]  # mode -> one distribution per zone
    transit_fits: dict[str, dict[int, DurationFit]]
    transit_notes: dict[str, dict[int, str]]  # mode -> zone -> how an unobserved zone was filled
    pickup_hours: dict[str, list[float]]
    warehouse_region: dict[str, str]
    notes: list[str] = field(default_factory=list)
    lanes: list[Lane] = field(default_factory=list)  # estimated zones: every lane, pooled


def _zones_from_template(
    regions: list[str], warehouses: list[str], template: Mapping[str, Any]
) -> dict[str, dict[str, int]] | None:
    t_regions = template["regions"]
    if not set(regions) <= set(t_regions) or not set(warehouses) <= set(template["warehouses"]):
        return None
    zone_to = {
        r: {w: int(z) for w, z in t_regions[r]["zone_to"].items() if w in warehouses}
        for r in regions
    }
    return zone_to if all(zone_to.values()) else None


def _estimate_zones(
    delivered: pd.DataFrame, routed: pd.DataFrame
) -> tuple[dict[str, dict[str, int]], list[Lane], list[str]]:
    """Zones from the pooled lanes (see :mod:`scenarios.calibration.lanes`): every routed lane
    kept, thin ones pooled, zones as bands of pooled mean transit."""
    transit = delivered.assign(transit_h=delivered["delivered_h"] - delivered["shipped_h"])
    lanes, notes = pool_lanes(transit, routed)
    zone_to: dict[str, dict[str, int]] = {}
    for lane in lanes:
        zone_to.setdefault(lane.region, {})[lane.origin] = lane.zone
    return zone_to, lanes, notes


def _fill_unobserved(
    mode: str,
    fitted: dict[int, DurationFit],
    n_zones: int,
    template_mode: Mapping[str, Any] | None,
) -> tuple[list[dict[str, Any]], dict[int, str]]:
    """One distribution per zone: fitted where observed, else template x ratio, else nearest."""
    dists: list[dict[str, Any]] = []
    notes: dict[int, str] = {}
    t_transit = list(template_mode["transit_by_zone"]) if template_mode else []
    shared = [z for z in fitted if z <= len(t_transit)]
    ratio = 1.0
    if shared:  # observed over template means, weighted by deliveries
        ratios = [fitted[z].mean_h / float(t_transit[z - 1]["mean_h"]) for z in shared]
        ratio = float(np.average(ratios, weights=[fitted[z].n for z in shared]))
    for z in range(1, n_zones + 1):
        if z in fitted:
            dists.append(fitted[z].conf())
        elif z <= len(t_transit):
            t = dict(t_transit[z - 1])
            t["mean_h"] = round(float(t["mean_h"]) * ratio, 3)
            if t.get("sd_h") is not None:
                t["sd_h"] = round(float(t["sd_h"]) * ratio, 3)
            dists.append(t)
            notes[z] = f"no {mode} orders in zone {z}: template x {ratio:.3f} (observed zones)"
        else:
            nearest = min(fitted, key=lambda f: abs(f - z))
            dists.append(fitted[nearest].conf())
            notes[z] = f"no {mode} orders in zone {z}: copied from zone {nearest}"
    return dists, notes


def fit_network(
    orders: pd.DataFrame,
    shipped_hod: np.ndarray,
    template: Mapping[str, Any],
    rng: np.random.Generator,
) -> NetworkFit:
    """Zones, transit per mode and zone, pickup hours and warehouse locations from the log."""
    regions = sorted(orders["region"].unique().tolist())
    routed = orders[orders["warehouse"] != ""]
    warehouses = sorted(routed["warehouse"].unique().tolist())
    delivered = orders[orders["status"] == "delivered"]
    notes: list[str] = []
    zone_to = _zones_from_template(regions, warehouses, template)
    source = "template"
    lanes: list[Lane] = []
    if zone_to is None:
        zone_to, lanes, notes = _estimate_zones(delivered, routed)
        source = "estimated"
        for region in regions:
            if region not in zone_to:  # never delivered to: serve it from its busiest warehouse
                wh = routed.loc[routed["region"] == region, "warehouse"].mode()
                zone_to[region] = {str(wh.iloc[0]) if len(wh) else warehouses[0]: 1}
    n_zones = max(z for lanes in zone_to.values() for z in lanes.values())
    if source == "template":
        n_zones = max(n_zones, *(len(m["price_usd_by_zone"]) for m in template["modes"].values()))

    zone = lane_zones(delivered, zone_to)
    transit_h = (delivered["delivered_h"] - delivered["shipped_h"]).to_numpy(dtype=float)
    transit: dict[str, list[dict[str, Any]]] = {}
    fits: dict[str, dict[int, DurationFit]] = {}
    fill_notes: dict[str, dict[int, str]] = {}
    modes = sorted(routed["mode"].unique().tolist())
    for mode in modes:
        mine = (delivered["mode"] == mode).to_numpy()
        fits[mode] = {
            z: fit_duration(transit_h[mine & (zone == z)], rng)
            for z in range(1, n_zones + 1)
            if np.sum(mine & (zone == z)) >= MIN_CELL
        }
        if not fits[mode] and mine.any():  # too few to split by zone: one fit for all zones
            pooled = fit_duration(transit_h[mine], rng)
            fits[mode] = {z: pooled for z in range(1, n_zones + 1)}
            notes.append(f"{mode}: too few deliveries per zone, one transit fit for every zone")
        if not fits[mode]:
            notes.append(f"{mode}: never delivered in the log; transit from the template")
        t_mode = template["modes"].get(mode)
        if fits[mode]:
            transit[mode], fill_notes[mode] = _fill_unobserved(mode, fits[mode], n_zones, t_mode)
        else:
            transit[mode] = [dict(d) for d in _fallback_mode(template, mode)["transit_by_zone"]]
            transit[mode] = (transit[mode] * n_zones)[:n_zones]
            fill_notes[mode] = {}

    shipped = (~orders["shipped_h"].isna()).to_numpy()
    inferred = {
        mode: infer_pickups(shipped_hod[shipped & (orders["mode"] == mode).to_numpy()])
        for mode in modes
    }
    pickups = {mode: p.hours for mode, p in inferred.items()}
    notes += [f"{mode} pickups: {p.note}" for mode, p in inferred.items() if not p.shown]
    warehouse_region = {}
    lane_mean = {(lane.region, lane.origin): lane.pooled_mean_h for lane in lanes}
    for wh in warehouses:
        t_wh = template["warehouses"].get(wh)
        if wh in regions:  # an origin named as a region stands there (a seller's state)
            warehouse_region[wh] = wh
        elif t_wh is not None and t_wh["region"] in regions:
            warehouse_region[wh] = str(t_wh["region"])
        else:  # the region its fastest lane reaches (pooled means break zone ties)
            near = {r: (z[wh], lane_mean.get((r, wh), 0.0)) for r, z in zone_to.items() if wh in z}
            warehouse_region[wh] = min(near, key=lambda r: near[r]) if near else regions[0]
    return NetworkFit(
        zone_to,
        source,
        n_zones,
        transit,
        fits,
        fill_notes,
        pickups,
        warehouse_region,
        notes,
        lanes,
    )


def lane_zones(orders: pd.DataFrame, zone_to: Mapping[str, Mapping[str, int]]) -> np.ndarray:
    """Each order's zone (0 where its region-warehouse lane has none)."""
    lane_zone = {(r, w): z for r, lanes in zone_to.items() for w, z in lanes.items()}
    pairs = zip(orders["region"], orders["warehouse"], strict=True)
    return np.array([lane_zone.get((r, w), 0) for r, w in pairs], dtype=np.int64)


def _fallback_mode(template: Mapping[str, Any], mode: str) -> Mapping[str, Any]:
    """The template's mode of that name, else its first mode."""
    modes = template["modes"]
    return modes.get(mode) or next(iter(modes.values()))
