"""A synthetic order log with the traits of real ones: naive local times, the shop's own status
words, four customer-chosen shipping classes, a constant lead time, cancellations, a level that
changes over time, a gap and a surge day, sellers that take days to hand parcels over."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd

ZONE = "America/Chicago"
CLASSES = {  # name: (share, promise h, mode, constant transit h or None)
    "standard": (0.55, 96.0, "ground", None),
    "second": (0.25, 48.0, "two_day", None),
    "first": (0.15, 24.0, "first_class", 48.0),  # always 48 h: a constant lead time
    "same_day": (0.05, 12.0, "courier", None),
}
STATUS_WORDS = {"delivered": "Completed", "open": "Shipped", "cancelled": "Canceled"}
STATUS_MAP = "completed=delivered,shipped=open,canceled=cancelled"
CANCEL_P = 0.044
REGIONS = {"TX": 0.4, "CA": 0.35, "NY": 0.25}
ORIGIN = {"TX": "TX", "CA": "TX", "NY": "NJ"}
GAP = ("2025-04-07", 21)  # three weeks without orders
SURGE = ("2025-06-13", 6.0)  # one day at 6x


def daily_rate(days: pd.DatetimeIndex) -> np.ndarray:
    """Orders a day: 40 growing to 100 over the period, times the gap and the surge."""
    t = np.linspace(0.0, 1.0, len(days))
    rate = 40.0 + 60.0 * t
    gap = (days >= pd.Timestamp(GAP[0])) & (days < pd.Timestamp(GAP[0]) + pd.Timedelta(days=GAP[1]))
    rate[gap] = 0.0
    rate[days == pd.Timestamp(SURGE[0])] *= SURGE[1]
    return rate


def make_log(path: Path, days: int = 210, seed: int = 3) -> pd.DataFrame:
    """Write the log (CSV, naive local times) and return it with the true values."""
    rng = np.random.default_rng(seed)
    dates = pd.date_range("2025-01-06", periods=days, freq="D")
    counts = rng.poisson(daily_rate(dates))
    day = np.repeat(dates.to_numpy(), counts)
    n = len(day)
    hour = np.clip(rng.normal(14.0, 3.5, n), 0.0, 23.99)  # a daytime rhythm
    created = pd.to_datetime(day) + pd.to_timedelta(hour, unit="h")
    names = list(CLASSES)
    level = rng.choice(names, n, p=[CLASSES[c][0] for c in names])
    region = rng.choice(list(REGIONS), n, p=list(REGIONS.values()))
    origin = np.array([ORIGIN[r] for r in region], dtype=object)
    handling = rng.lognormal(np.log(30.0), 0.5, n)  # ~34 h mean, any hour of the day
    shipped = created + pd.to_timedelta(handling, unit="h")
    transit = rng.lognormal(np.log(40.0), 0.4, n) * np.where(region == "NY", 1.6, 1.0)
    for name, (_, _, _, fixed) in CLASSES.items():
        if fixed is not None:
            transit[level == name] = fixed
    delivered = shipped + pd.to_timedelta(transit, unit="h")
    promise = np.array([CLASSES[c][1] for c in level])
    promised = created + pd.to_timedelta(promise, unit="h")
    mode = np.array([CLASSES[c][2] for c in level], dtype=object)
    status = np.where(rng.random(n) < CANCEL_P, "cancelled", "delivered").astype(object)
    last = created.max()
    status[(status == "delivered") & (delivered > last)] = "open"
    fmt = "%Y-%m-%dT%H:%M:%S"
    frame = pd.DataFrame(
        {
            "order_id": [f"o{i}" for i in range(n)],
            "created_at": created.strftime(fmt),
            "region": region,
            "value": np.round(rng.lognormal(3.5, 0.6, n), 2),
            "service_level": level,
            "promised_at": promised.strftime(fmt),
            "warehouse": np.where(status == "cancelled", "", origin),
            "mode": np.where(status == "cancelled", "", mode),
            "shipped_at": np.where(status == "cancelled", "", shipped.strftime(fmt)),
            "delivered_at": np.where(status == "delivered", delivered.strftime(fmt), ""),
            "status": [STATUS_WORDS[s] for s in status],
        }
    )
    frame.to_csv(path, index=False)
    return frame
