"""Carrier pickup hours, inferred only where an order log shows them.

A quarter-hour of the day is a pickup when it holds at least :data:`PICKUP_MIN_SHARE` of a mode's
shipments *and* more than a uniform day would give by chance (binomial tail, Bonferroni over the
96 quarter-hours). Evenly spread ship times (sellers dropping parcels off all day) show no
pickups: the mode then keeps an hourly pickup (a parcel waits at most an hour, 0.5 h on average)
and the fit report warns, instead of one noise-chosen daily pickup adding half a day to every
delivery.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from scipy import stats

PICKUP_MIN_SHARE = 0.05
PICKUP_GRID_H = 0.25
PICKUP_P = 1e-3  # family-wise, over the day's quarter-hours
EVERY_HOUR = [float(h) for h in range(24)]


@dataclass(frozen=True)
class Pickups:
    hours: list[float]
    shown: bool  # False: the log shows no pickup pattern, hourly pickups assumed
    note: str


def infer_pickups(shipped_hod: np.ndarray) -> Pickups:
    """Pickup hours a mode's ship times show, or hourly pickups with a warning."""
    n = len(shipped_hod)
    if n == 0:
        return Pickups(EVERY_HOUR, False, "no shipments: hourly pickups assumed")
    bins = int(round(24.0 / PICKUP_GRID_H))
    grid = np.round(np.asarray(shipped_hod) / PICKUP_GRID_H).astype(np.int64) % bins
    counts = np.bincount(grid, minlength=bins)
    p_high = stats.binom.sf(counts - 1, n, 1.0 / bins)
    peak = (counts >= PICKUP_MIN_SHARE * n) & (p_high < PICKUP_P / bins)
    if not peak.any():
        chi2 = stats.chisquare(counts)
        return Pickups(
            EVERY_HOUR,
            False,
            f"ship times show no pickup hour ({n:,} shipments spread over the day, chi-square "
            f"p={chi2.pvalue:.2g} against uniform, no quarter-hour with >= "
            f"{PICKUP_MIN_SHARE:.0%} beyond chance): hourly pickups assumed",
        )
    hours = [float(h * PICKUP_GRID_H) for h in np.flatnonzero(peak)]
    share = float(counts[peak].sum() / n)
    return Pickups(hours, True, f"{len(hours)} pickup time(s) hold {share:.0%} of shipments")
