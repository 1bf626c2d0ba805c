"""Lanes (region x origin) that never lie quietly: distances, hierarchical pooling, zones.

A lane with three deliveries has a mean transit that is mostly noise; dropping it leaves its
region with whatever lane is left, and putting it in the fastest zone pollutes that zone. Here
every lane the log used is kept and its mean transit is *pooled*: shrunk toward its group's mean
(lanes of similar distance, or of unknown distance) and each group's toward the mode's, by
empirical Bayes (method of moments): a unit with ``n`` deliveries keeps the weight
``tau^2 / (tau^2 + s^2 / n)`` on its own mean, where ``s^2`` is the spread of single deliveries
and ``tau^2`` the spread of true means between units, so a busy lane speaks for itself and a thin
one borrows from its neighbours. Every lane is listed in the fit report with its deliveries, its
own and pooled mean, and whether it was fitted, pooled or filled from its group.

Distances come from region locations where the region and origin names are known state codes
(Brazil's 27 states and the US states: approximate centres, good to about 100 km, which is
enough to put a lane in a distance band); other lanes are marked "unknown distance".
Zones are then bands of pooled mean transit (at most :data:`MAX_ZONES`, zone 1 the fastest, cut at
delivery-weighted quantiles), so a zone holds lanes that really take alike.
"""

from __future__ import annotations

import csv
import math
from dataclasses import dataclass
from importlib import resources
from typing import Any

import numpy as np
import pandas as pd

MIN_LANE = 20  # deliveries for a lane's mean to count as fitted (below: pooled, and listed)
MAX_ZONES = 8
DISTANCE_BANDS_KM = (300.0, 800.0, 1500.0, 2500.0)
UNKNOWN = "unknown distance"
EARTH_KM = 6371.0


def centroids() -> dict[str, dict[str, tuple[float, float]]]:
    """country -> region code -> (lat, lon), from the shipped table."""
    out: dict[str, dict[str, tuple[float, float]]] = {}
    text = resources.files("scenarios.calibration").joinpath("data/region_centroids.csv")
    with text.open(encoding="utf-8") as f:
        for row in csv.DictReader(f):
            out.setdefault(row["country"], {})[row["code"]] = (float(row["lat"]), float(row["lon"]))
    return out


def locate(names: list[str]) -> tuple[str | None, dict[str, tuple[float, float]]]:
    """The country whose state codes cover most of ``names``, and the names it locates."""
    table = centroids()
    best: str | None = None
    found: dict[str, tuple[float, float]] = {}
    for country, codes in table.items():
        hits = {n: codes[n.upper()] for n in names if n.upper() in codes}
        if len(hits) > len(found):
            best, found = country, hits
    if len(found) < max(2, len(names) // 2):  # a few chance matches ('PA', 'MA') are not a map
        return None, {}
    return best, found


def km(a: tuple[float, float], b: tuple[float, float]) -> float:
    """Great-circle distance."""
    lat1, lon1, lat2, lon2 = map(math.radians, (*a, *b))
    h = math.sin((lat2 - lat1) / 2) ** 2
    h += math.cos(lat1) * math.cos(lat2) * math.sin((lon2 - lon1) / 2) ** 2
    return 2 * EARTH_KM * math.asin(math.sqrt(min(h, 1.0)))


def band(distance_km: float | None) -> str:
    if distance_km is None:
        return UNKNOWN
    lo = 0.0
    for hi in DISTANCE_BANDS_KM:
        if distance_km < hi:
            return f"{lo:.0f}-{hi:.0f} km"
        lo = hi
    return f">= {lo:.0f} km"


@dataclass(frozen=True)
class Lane:
    region: str
    origin: str
    orders: int  # routed on it
    deliveries: int  # of the busiest mode, with a transit time
    mean_h: float | None  # its own mean transit (None: no deliveries)
    pooled_mean_h: float
    distance_km: float | None
    group: str
    zone: int
    status: str  # fitted | pooled | from group

    def row(self) -> dict[str, Any]:
        return {
            "region": self.region,
            "origin": self.origin,
            "orders": self.orders,
            "deliveries": self.deliveries,
            "mean_h": None if self.mean_h is None else round(self.mean_h, 2),
            "pooled_mean_h": round(self.pooled_mean_h, 2),
            "distance_km": None if self.distance_km is None else round(self.distance_km),
            "group": self.group,
            "zone": self.zone,
            "status": self.status,
        }


def shrink(means: np.ndarray, counts: np.ndarray, unit_var: float, target: float) -> np.ndarray:
    """Empirical-Bayes means: each pulled toward ``target`` by ``tau^2 / (tau^2 + s^2/n)``."""
    seen = counts > 0
    if not seen.any():
        return np.full(len(means), target)
    noise = unit_var / np.maximum(counts, 1)
    spread = float(np.average((means[seen] - target) ** 2, weights=counts[seen]))
    tau2 = max(spread - float(np.average(noise[seen], weights=counts[seen])), 0.0)
    weight = np.where(seen, tau2 / (tau2 + noise) if tau2 > 0 else 0.0, 0.0)
    return weight * np.where(seen, means, target) + (1 - weight) * target


def _zone_cuts(pooled: np.ndarray, weight: np.ndarray) -> np.ndarray:
    """Upper edges of up to MAX_ZONES bands, at weighted quantiles of the pooled means."""
    distinct = np.unique(np.round(pooled, 6))
    k = min(MAX_ZONES, len(distinct))
    if k <= 1:
        return np.array([])
    order = np.argsort(pooled)
    cum = np.cumsum(weight[order]) / weight.sum()
    cuts = [pooled[order][int(np.searchsorted(cum, q))] for q in np.arange(1, k) / k]
    return np.unique(cuts)


def pool_lanes(delivered: pd.DataFrame, routed: pd.DataFrame) -> tuple[list[Lane], list[str]]:
    """Every routed lane with a pooled mean transit of the busiest mode, and its zone.

    ``delivered`` carries ``transit_h``; lanes other modes use are placed by their own pooled
    mean rescaled to the busiest mode (ratio of the modes' overall means).
    """
    notes: list[str] = []
    ref_mode = str(delivered["mode"].value_counts().idxmax())
    mode_mean = delivered.groupby("mode")["transit_h"].mean()
    scale = (float(mode_mean[ref_mode]) / mode_mean).to_dict()
    rescaled = delivered["transit_h"] * delivered["mode"].map(scale).astype(float)
    d = delivered.assign(t=rescaled)
    lanes = routed.groupby(["region", "warehouse"]).size().rename("orders").reset_index()
    stats = d.groupby(["region", "warehouse"])["t"].agg(["count", "mean"]).reset_index()
    lanes = lanes.merge(stats, on=["region", "warehouse"], how="left").fillna({"count": 0})
    names = sorted(set(lanes["region"]) | set(lanes["warehouse"]))
    country, where = locate(names)
    if country:
        notes.append(f"lane distances from {country} state centres ({len(where)} names located)")
    else:
        notes.append("region names are not state codes: lane distances unknown, one group")
    dist = [
        km(where[r], where[w]) if r in where and w in where else None
        for r, w in zip(lanes["region"], lanes["warehouse"], strict=True)
    ]
    lanes["distance_km"] = dist
    lanes["group"] = [band(x) for x in dist]
    unit_var = float(d["t"].var(ddof=1)) if len(d) > 1 else 0.0
    overall = float(d["t"].mean())
    counts = lanes["count"].to_numpy(dtype=float)
    means = lanes["mean"].fillna(overall).to_numpy(dtype=float)
    sums = lanes.assign(total=lanes["count"] * lanes["mean"].fillna(0.0)).groupby("group")
    groups = sums[["count", "total"]].sum().rename(columns={"count": "n"})
    groups["mean"] = (groups["total"] / groups["n"].where(groups["n"] > 0)).fillna(overall)
    g_pooled = shrink(
        groups["mean"].to_numpy(float), groups["n"].to_numpy(float), unit_var, overall
    )
    group_mean = dict(zip(groups.index, g_pooled, strict=True))
    target = lanes["group"].map(group_mean).to_numpy(dtype=float)
    pooled = np.empty(len(lanes))
    for g in groups.index:  # lanes shrink toward their own group's pooled mean
        mine = (lanes["group"] == g).to_numpy()
        pooled[mine] = shrink(means[mine], counts[mine], unit_var, float(group_mean[g]))
    pooled = np.where(counts > 0, pooled, target)
    cuts = _zone_cuts(pooled, lanes["orders"].to_numpy(dtype=float))
    zones = np.searchsorted(cuts, pooled, side="left") + 1
    zones = _dense(zones)
    out = []
    for i in range(len(lanes)):
        n = int(counts[i])
        status = "fitted" if n >= MIN_LANE else ("pooled" if n > 0 else "from group")
        out.append(
            Lane(
                str(lanes["region"].iloc[i]),
                str(lanes["warehouse"].iloc[i]),
                int(lanes["orders"].iloc[i]),
                n,
                float(means[i]) if n > 0 else None,
                float(pooled[i]),
                dist[i],
                str(lanes["group"].iloc[i]),
                int(zones[i]),
                status,
            )
        )
    thin = sum(1 for lane in out if lane.status != "fitted")
    notes.append(
        f"{len(out)} lanes; {thin} with fewer than {MIN_LANE} {ref_mode} deliveries pooled "
        f"toward their distance group (listed under lanes); {int(zones.max())} zones by pooled "
        "mean transit"
    )
    return out, notes


def _dense(zones: np.ndarray) -> np.ndarray:
    """Zone numbers 1..K without holes, order kept."""
    _, dense = np.unique(zones, return_inverse=True)
    return dense + 1
