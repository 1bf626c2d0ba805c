"""Fit the network side of an order log: zones, transit by mode and zone, pickups, warehouses.

What an order log identifies, and what it does not:

- Transit (shipped -> delivered) by mode and zone: identified where a lane was used; the history's
  weather and lost parcels are inside these times, so the fitted scenario keeps random storms off
  (and loss at 0) rather than count them twice.
- Carrier pickup hours (the cut-offs): identified, as the hours at which parcels leave.
- Pick-to-ship time per warehouse: observed, but it mixes queueing, shifts, picking and the wait
  for the pickup. Pickers, shifts and pick time are not separately identifiable from ship times;
  they are carried over from a template scenario and the backtest checks the combination.
- Zones: taken from the template when its regions and warehouses carry the log's names; otherwise
  estimated by clustering the median transit of each region-warehouse lane.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import pandas as pd

from scenarios.calibration.durations import DurationFit, fit_duration

MIN_CELL = 50  # delivered orders needed to fit a mode-zone transit
MIN_LANE = 20  # orders needed to place a lane in a zone
ZONE_GAP_H = 12.0  # lanes whose median transit differs by more start a new zone
PICKUP_MIN_SHARE = 0.05  # an hour of day with this share of a mode's shipments is a pickup
PICKUP_GRID_H = 0.25


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


def _estimate_zones(delivered: pd.DataFrame) -> tuple[dict[str, dict[str, int]], list[str]]:
    """Cluster lanes by median transit of the busiest mode (other modes rescaled to it)."""
    transit = delivered["delivered_h"] - delivered["shipped_h"]
    ref_mode = str(delivered["mode"].value_counts().idxmax())
    is_ref = delivered["mode"] == ref_mode
    scale = float(transit[is_ref].median() / transit.median())
    lanes: dict[tuple[str, str], float] = {}
    keys = delivered["region"] + "\t" + delivered["warehouse"]
    for key in sorted(keys.unique().tolist()):
        mine = (keys == key).to_numpy()
        region, wh = str(key).split("\t")
        ref = transit[mine & is_ref.to_numpy()]
        if len(ref) >= MIN_LANE:
            lanes[(region, wh)] = float(ref.median())
        elif mine.sum() >= MIN_LANE or len(lanes) == 0:
            lanes[(region, wh)] = float(transit[mine].median()) * scale
    zone_of: dict[tuple[str, str], int] = {}
    zone, anchor = 0, -np.inf
    for lane_key, median in sorted(lanes.items(), key=lambda kv: kv[1]):
        if median > anchor + ZONE_GAP_H:
            zone, anchor = zone + 1, median
        zone_of[lane_key] = zone
    zone_to: dict[str, dict[str, int]] = {}
    for (region, wh), z in zone_of.items():
        zone_to.setdefault(region, {})[wh] = z
    notes = [
        f"zones estimated from the median {ref_mode} transit of each region-warehouse lane "
        f"(a new zone every {ZONE_GAP_H:.0f} h); lanes with fewer than {MIN_LANE} orders are "
        "left out, so routing cannot use them"
    ]
    return zone_to, notes


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


def pickup_hours(shipped_hod: np.ndarray) -> list[float]:
    """Hours of day at which a mode's parcels leave (quarter-hour grid, share >= 5%)."""
    grid = np.round(shipped_hod / PICKUP_GRID_H) * PICKUP_GRID_H % 24.0
    values, counts = np.unique(grid, return_counts=True)
    share = counts / counts.sum()
    hours = values[share >= PICKUP_MIN_SHARE]
    return [float(h) for h in (hours if len(hours) else values[[np.argmax(counts)]])]


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
    if zone_to is None:
        zone_to, notes = _estimate_zones(delivered)
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
    pickups = {
        mode: pickup_hours(shipped_hod[shipped & (orders["mode"] == mode).to_numpy()])
        for mode in modes
    }
    for mode in modes:
        if not pickups[mode]:
            pickups[mode] = list(_fallback_mode(template, mode)["pickup_hours"])
    warehouse_region = {}
    for wh in warehouses:
        t_wh = template["warehouses"].get(wh)
        if t_wh is not None and t_wh["region"] in regions:
            warehouse_region[wh] = str(t_wh["region"])
        else:
            lanes = {r: z[wh] for r, z in zone_to.items() if wh in z}
            warehouse_region[wh] = min(lanes, key=lambda r: lanes[r]) if lanes else regions[0]
    return NetworkFit(
        zone_to, source, n_zones, transit, fits, fill_notes, pickups, warehouse_region, notes
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
