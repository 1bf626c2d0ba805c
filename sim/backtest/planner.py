"""Backtest checks a planner can believe: volume by day, week and month against the twin's
prediction bands, transit per lane, handling time, late rate per region and level, cancellations.

One overall mean hides a log whose volume falls by 60% in its last months; here every period is
compared on its own. Periods are local calendar days, Monday-Sunday weeks and months (hour 0 is
the log's local midnight, so hours map to dates one to one), whole ones only, up to the day of
the last logged order (the window runs on to the last delivery, when no orders are created).
A period's 90% band is the 5-95% quantile of the replications when there are at least
:data:`MIN_QUANTILE_REPS` of them, else the normal prediction interval for one more
realisation (history is one): mean +- t(0.95, R-1) sd sqrt(1 + 1/R) over the R replications (few
replications cannot place a quantile, and mean +- 1.645 sd treats their mean and sd as known:
it holds ~79% of new realisations at 5 replications, ~59% at 2). Late rate = delivered after
the promise / delivered with a promise.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import numpy as np
import pandas as pd
from scipy import stats

from scenarios.calibration.clock import LogClock
from sim.backtest.resolution import as_written, log_resolution_h

FREQS = {"day": "D", "week": "W-SUN", "month": "M"}
# A run this long of consecutive periods outside the twin's 90% band on the same side fails the
# backtest: the twin misses a shift in volume (a log falling 60% in its last four months whose
# overall mean the twin still matches). Under bands that hold, a given run of 3 months has
# probability 2 x 0.05^3 = 2.5e-4 (4 weeks: 1.3e-5), so ~1% of 36-month logs and ~0.2% of
# 160-week logs fail by chance.
SHIFT_RUN = {"week": 4, "month": 3}
MIN_QUANTILE_REPS = 20
MIN_LANE_DELIVERIES = 30  # per lane in history, for its KS comparison
TOP_LANES = 12


def local_times(orders: pd.DataFrame, clock: LogClock, column: str = "created_h") -> pd.Series:
    """Engine hours as local wall-clock times (the clock's hour 0 is local midnight)."""
    hours = pd.to_timedelta(orders[column].to_numpy(dtype=float), unit="h")
    return pd.Series(clock.origin_local + hours, index=orders.index)


def period_counts(
    orders: pd.DataFrame, clock: LogClock, freq: str, start: pd.Timestamp, end: pd.Timestamp
) -> pd.Series:
    """Orders per whole period inside [start, end)."""
    when = local_times(orders, clock)
    when = when[(when >= start) & (when < end)]
    periods = pd.period_range(start, end - pd.Timedelta(seconds=1), freq=FREQS[freq])
    whole = [p for p in periods if p.start_time >= start and p.end_time < end]
    counts = pd.Series(when).dt.to_period(FREQS[freq]).value_counts()
    index = pd.PeriodIndex(whole, freq=FREQS[freq])
    return pd.Series([int(counts.get(p, 0)) for p in whole], index=index, dtype=float)


def bands(values: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """(low, centre, high) per column of a replications x periods array."""
    if len(values) >= MIN_QUANTILE_REPS:
        low, mid, high = np.quantile(values, [0.05, 0.5, 0.95], axis=0)
        return low, mid, high
    return prediction_interval(values)


def prediction_interval(
    values: np.ndarray, level: float = 0.90
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """(low, mean, high) per column: where one more realisation falls with probability
    ``level`` if the replications are normal draws, their mean and sd estimated (Student's t)."""
    n = len(values)
    mean, sd = values.mean(axis=0), values.std(axis=0, ddof=1)
    half = float(stats.t.ppf((1 + level) / 2, n - 1)) * sd * np.sqrt(1.0 + 1.0 / n)
    return mean - half, mean, mean + half


def volume_check(history: pd.Series, twin: Sequence[pd.Series] | np.ndarray) -> dict[str, Any]:
    """Per period: history, band and centre; coverage, MAPE, correlation and half-width."""
    values = np.asarray(
        [np.asarray(t.reindex(history.index, fill_value=0)) for t in twin]
        if not isinstance(twin, np.ndarray)
        else twin,
        dtype=float,
    )
    low, mid, high = bands(values)
    real = history.to_numpy(dtype=float)
    inside = (real >= low) & (real <= high)
    seen = real > 0
    ape = np.abs(mid[seen] - real[seen]) / real[seen]
    corr = float(np.corrcoef(real, mid)[0, 1]) if len(real) > 2 and real.std() > 0 else None
    half = (high - low) / 2 / np.maximum(mid, 1e-9)
    return {
        "periods": [str(p) for p in history.index],
        "history": real.tolist(),
        "twin": mid.tolist(),
        "low": low.tolist(),
        "high": high.tolist(),
        "coverage": float(inside.mean()) if len(real) else None,
        "inside": int(inside.sum()),
        "n": len(real),
        "mape": float(ape.mean()) if len(ape) else None,
        "correlation": corr,
        "median_half_width": float(np.median(half)) if len(half) else None,
        "longest_run_outside": longest_run_outside(
            [str(p) for p in history.index], real, low, high
        ),
    }


def longest_run_outside(
    periods: Sequence[str], real: np.ndarray, low: np.ndarray, high: np.ndarray
) -> dict[str, Any]:
    """The longest run of consecutive periods with history outside the band on one side:
    ``length`` (0: none), ``side`` (``above``/``below``), its ``first`` and ``last`` period."""
    side = np.where(real > high, 1, np.where(real < low, -1, 0))
    best: dict[str, Any] = {"length": 0, "side": None, "first": None, "last": None}
    start = 0
    for i in range(1, len(side) + 1):
        if i == len(side) or side[i] != side[start]:
            length = i - start
            if side[start] != 0 and length > best["length"]:
                best = {
                    "length": length,
                    "side": "above" if side[start] > 0 else "below",
                    "first": periods[start],
                    "last": periods[i - 1],
                }
            start = i
    return best


def volume_shift(volume: dict[str, dict[str, Any]]) -> list[str]:
    """One sentence per frequency whose longest run outside the band reaches
    :data:`SHIFT_RUN` (empty: no shift missed)."""
    out = []
    for freq, run_length in SHIFT_RUN.items():
        run = volume.get(freq, {}).get("longest_run_outside") or {}
        if run.get("length", 0) >= run_length:
            out.append(
                f"volume per {freq}: {run['length']} {freq}s in a row {run['side']} the twin's 90% "
                f"band ({run['first']} to {run['last']}): the twin misses a shift in volume"
            )
    return out


def _delivered(orders: pd.DataFrame, end_h: float) -> pd.DataFrame:
    return orders[(orders["status"] == "delivered") & (orders["delivered_h"] <= end_h)]


def late_rate(orders: pd.DataFrame, end_h: float) -> float:
    d = _delivered(orders, end_h)
    d = d[d["promised_h"].notna()]
    return float((d["delivered_h"] > d["promised_h"]).mean()) if len(d) else float("nan")


def rates_by(
    history: pd.DataFrame, sims: Sequence[pd.DataFrame], column: str, end_h: float, top: int = 8
) -> dict[str, dict[str, float]]:
    """Late rate per value of ``column`` (its ``top`` busiest in history): history, twin mean."""
    names = history[column].value_counts().index[:top]
    out = {}
    for name in names:
        twin = [late_rate(s[s[column] == name], end_h) for s in sims]
        out[str(name)] = {
            "history": late_rate(history[history[column] == name], end_h),
            "twin": float(np.nanmean(twin)) if twin else float("nan"),
            "orders": int((history[column] == name).sum()),
        }
    return out


def shares_by(
    history: pd.DataFrame, sims: Sequence[pd.DataFrame], column: str, top: int = 8
) -> dict[str, dict[str, float]]:
    """Share of orders per value of ``column``: history and the twin's mean."""
    real = history[column].value_counts(normalize=True)
    twin = pd.concat([s[column].value_counts(normalize=True) for s in sims], axis=1).mean(axis=1)
    return {
        str(n): {"history": float(real[n]), "twin": float(twin.get(n, 0.0))}
        for n in real.index[:top]
    }


def region_share_by_month(
    history: pd.DataFrame, sims: Sequence[pd.DataFrame], clock: LogClock, top: int = 8
) -> dict[str, dict[str, Any]]:
    """Per top region, its share of each month's orders: history, the twin's mean, and the
    largest gap in percentage points (does the twin's mix drift as the log's did?)."""

    def table(orders: pd.DataFrame) -> pd.DataFrame:
        month = local_times(orders, clock).dt.to_period("M").astype(str)
        return pd.crosstab(month, orders["region"].astype(str), normalize="index")

    real = table(history)
    twin = real * 0.0
    for s in sims:
        twin = twin + table(s).reindex_like(real).fillna(0.0) / len(sims)
    out = {}
    for region in history["region"].value_counts().index[:top]:
        r, t = real[str(region)], twin[str(region)]
        out[str(region)] = {
            "months": [str(m) for m in real.index],
            "history": [round(float(v), 4) for v in r],
            "twin": [round(float(v), 4) for v in t],
            "max_gap_pp": round(float(100 * np.max(np.abs(r - t))), 2) if len(r) else None,
        }
    return out


def durations(orders: pd.DataFrame, start: str, stop: str, end_h: float) -> np.ndarray:
    ok = orders[start].notna() & orders[stop].notna() & (orders[stop] <= end_h)
    return (orders.loc[ok, stop] - orders.loc[ok, start]).to_numpy(dtype=float)


def summary(values: np.ndarray) -> dict[str, float]:
    if not len(values):
        return {"n": 0, "mean_h": float("nan"), "p90_h": float("nan")}
    return {
        "n": len(values),
        "mean_h": float(values.mean()),
        "p90_h": float(np.quantile(values, 0.9)),
    }


def lane_transit(
    history: pd.DataFrame, sims: Sequence[pd.DataFrame], end_h: float
) -> list[dict[str, Any]]:
    """Transit (shipped -> delivered) per busy lane: means and the two-sample KS test."""
    h = _delivered(history, end_h)
    lanes = h.groupby(["region", "warehouse"]).size().sort_values(ascending=False)
    out = []
    for key, n in lanes[lanes >= MIN_LANE_DELIVERIES].head(TOP_LANES).items():
        region, wh = (str(part) for part in key)  # type: ignore[attr-defined]
        real = durations(h[(h["region"] == region) & (h["warehouse"] == wh)], "shipped_h",
                         "delivered_h", end_h)  # fmt: skip
        twin = np.concatenate(
            [
                durations(
                    s[(s["region"] == region) & (s["warehouse"] == wh)],
                    "shipped_h",
                    "delivered_h",
                    end_h,
                )  # fmt: skip
                for s in sims
            ]
        )
        # the twin's transit as the log writes it (a fixed lead time stays a point mass)
        twin_written = as_written(twin, log_resolution_h(real))
        ks = stats.ks_2samp(real, twin_written) if len(twin) else None
        out.append(
            {
                "region": str(region),
                "origin": str(wh),
                "deliveries": int(n),
                "history_mean_h": float(real.mean()),
                "twin_mean_h": float(twin.mean()) if len(twin) else float("nan"),
                "ks_d": float(ks.statistic) if ks else None,
                "ks_p": float(ks.pvalue) if ks else None,
            }
        )
    return out


def transit_by_region(
    history: pd.DataFrame, sims: Sequence[pd.DataFrame], end_h: float, top: int = 8
) -> dict[str, dict[str, float]]:
    """Mean transit per region (all its origins): history and the twin's."""
    h = _delivered(history, end_h)
    out = {}
    for region in h["region"].value_counts().index[:top]:
        real = durations(h[h["region"] == region], "shipped_h", "delivered_h", end_h)
        twin = np.concatenate(
            [durations(s[s["region"] == region], "shipped_h", "delivered_h", end_h) for s in sims]
        )
        out[str(region)] = {
            "history_mean_h": float(real.mean()),
            "twin_mean_h": float(twin.mean()) if len(twin) else float("nan"),
        }
    return out


def planner_checks(
    history: pd.DataFrame,
    sims: Sequence[pd.DataFrame],
    clock: LogClock,
    start_h: float,
    end_h: float,
) -> dict[str, Any]:
    """Every check above over orders created in [start_h, end_h) (seen as of end_h)."""
    start = clock.origin_local + pd.Timedelta(hours=start_h)
    end = clock.origin_local + pd.Timedelta(hours=end_h)

    def window(o: pd.DataFrame) -> pd.DataFrame:
        return o[(o["created_h"] >= start_h) & (o["created_h"] < end_h)]

    h, s = window(history), [window(o) for o in sims]
    # volume up to the last logged creation's day: the log's last (partial) period is left out
    created_end = min(end, local_times(h, clock).max().floor("D")) if len(h) else end
    volumes = {}
    for freq in FREQS:
        real = period_counts(history, clock, freq, start, created_end)
        twin = [period_counts(o, clock, freq, start, created_end) for o in sims]
        volumes[freq] = volume_check(real, twin)
    cancelled = [float((o["status"] == "cancelled").mean()) for o in s]
    return {
        "volume": volumes,
        "late_rate": {"history": late_rate(h, end_h), "twin": [late_rate(o, end_h) for o in s]},
        "late_by_region": rates_by(h, s, "region", end_h),
        "late_by_level": rates_by(h, s, "service_level", end_h),
        "region_shares": shares_by(h, s, "region"),
        "region_share_by_month": region_share_by_month(h, s, clock),
        "cancel_rate": {"history": float((h["status"] == "cancelled").mean()), "twin": cancelled},
        "handling": {
            "history": summary(durations(h, "created_h", "shipped_h", end_h)),
            "twin": summary(
                np.concatenate([durations(o, "created_h", "shipped_h", end_h) for o in s])
            ),
        },
        "transit_by_region": transit_by_region(h, s, end_h),
        "lanes": lane_transit(h, s, end_h),
    }
