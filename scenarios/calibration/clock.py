"""Put an order log on the engine's clock: hours from a Monday 00:00 local, hour 0.

The engine's profiles are by local hour of day and day of week from a Monday. A log's clock is
its wall-clock time: the UTC offset written on its first order fixes "local"; hour 0 is the
Monday 00:00 (that local time) on or before its first order. Durations are exact (UTC); across a
daylight-saving change the hour-of-day profile blurs by an hour for part of the log.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd

HOUR = pd.Timedelta(hours=1)
TIME_FIELDS = ("created", "promised", "shipped", "delivered")


@dataclass(frozen=True)
class LogClock:
    origin_utc: pd.Timestamp  # hour 0
    offset_min: float  # local = UTC + offset

    @property
    def origin_local(self) -> pd.Timestamp:
        return (self.origin_utc + pd.Timedelta(minutes=self.offset_min)).tz_localize(None)

    def hours(self, utc: pd.Series) -> np.ndarray:
        """Hours from hour 0 (NaN where the time is missing)."""
        return ((utc - self.origin_utc) / HOUR).to_numpy(dtype=float)

    def local_hour_of_day(self, utc: pd.Series, offset_min: pd.Series) -> np.ndarray:
        """Wall-clock hour of day (0-24, fractional) of each time, by its own offset."""
        local = utc + pd.to_timedelta(offset_min, unit="min")
        midnight = local.dt.floor("D")
        return ((local - midnight) / HOUR).to_numpy(dtype=float)


def log_clock(orders: pd.DataFrame) -> LogClock:
    """The clock of a log: its first order's offset, and the Monday 00:00 before that order."""
    first = int(np.argmin(orders["created_at"].to_numpy()))
    offset = float(orders["created_at_offset_min"].iloc[first])
    first_local = orders["created_at"].iloc[first] + pd.Timedelta(minutes=offset)
    monday_local = first_local.floor("D") - pd.Timedelta(days=first_local.weekday())
    return LogClock(origin_utc=monday_local - pd.Timedelta(minutes=offset), offset_min=offset)


def on_engine_clock(orders: pd.DataFrame, clock: LogClock) -> pd.DataFrame:
    """The log with ``created_h``, ``promised_h``, ``shipped_h``, ``delivered_h`` added."""
    out = orders.copy()
    for name in TIME_FIELDS:
        out[f"{name}_h"] = clock.hours(orders[f"{name}_at"])
    return out
