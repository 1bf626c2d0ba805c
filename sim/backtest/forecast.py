"""Holdout backtest of demand: fit up to a date, forecast the rest, and score the forecast.

The demand calendar is refitted on the orders created before the cut (as ``ordertwin-calibrate
--until`` does) and its forecast paths (:func:`scenarios.calibration.calendar.demand_paths`: the
monthly model chosen by cross-validation inside the fitted months, simulated under parameter
draws, Poisson arrivals, the weekday pattern) give each month's 90% band. Scored per whole
month after the cut: how many months fall inside their band (coverage), the median half-width
relative to the band's centre, and the twin's mean absolute percentage error beside a naive
forecast, the mean of the last three whole months before the cut. The same paths over the
fitted period give the in-sample comparison.

One cut is one draw of luck: a month after a holiday, or a naive mean that happens to include
Black Friday, can decide it. :func:`rolling_origins` repeats the holdout from each of the last
month starts inside the log (rolling-origin evaluation, the forecasting literature's standard
check) and pools the scored months: whether the 90% bands cover about 90% over many origins is
what says they are honest, and the spread of the twin's own errors says how narrow an honest
band could be. Successive origins score the same calendar months, so the pooled months are not
independent trials: one odd month is outside from every origin that reaches it.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import numpy as np
import pandas as pd

from scenarios.calibration.calendar import demand_paths, fit_calendar
from sim.backtest.planner import volume_check

N_PATHS = 2000
NAIVE_MONTHS = 3
ORIGIN_HORIZON_MONTHS = 7  # months scored from each rolling origin (the holdout's seven)
MIN_FITTED_MONTHS = 6  # an origin needs this many whole months before it
BAND = 0.90


def _whole_months(start: pd.Timestamp, end: pd.Timestamp) -> pd.PeriodIndex:
    months = pd.period_range(start, end - pd.Timedelta(seconds=1), freq="M")
    return pd.PeriodIndex(
        [m for m in months if m.start_time >= start and m.end_time < end], freq="M"
    )


def _monthly(days: pd.DatetimeIndex, paths: np.ndarray, months: pd.PeriodIndex) -> np.ndarray:
    return _totals(days.to_period("M"), paths, months)


def _totals(of_day: pd.PeriodIndex, paths: np.ndarray, periods: pd.PeriodIndex) -> np.ndarray:
    """Path totals per period (paths x periods; no periods: an empty second axis)."""
    out = np.zeros((paths.shape[0], len(periods)))
    for i, p in enumerate(periods):
        out[:, i] = paths[:, of_day == p].sum(axis=1)
    return out


def _by_freq(
    local: pd.Series, paths: np.ndarray, days: pd.DatetimeIndex, freq: str
) -> dict[str, Any]:
    """History and path totals per whole period (day, week or month) inside ``days``."""
    code = {"day": "D", "week": "W-SUN", "month": "M"}[freq]
    start, end = days[0], days[-1] + pd.Timedelta(days=1)
    periods = pd.period_range(start, end - pd.Timedelta(seconds=1), freq=code)
    whole = pd.PeriodIndex(
        [p for p in periods if p.start_time >= start and p.end_time < end], freq=code
    )
    twin = _totals(days.to_period(code), paths, whole)
    counts = local.dt.to_period(code).value_counts()
    real = pd.Series([int(counts.get(p, 0)) for p in whole], index=whole)
    return volume_check(real, twin)


def in_sample(
    local_created: pd.Series, weekday_weight: np.ndarray, seed: int = 0
) -> dict[str, Any]:
    """The calendar fitted on the whole log against the log: per day, week and month."""
    fit = fit_calendar(local_created)
    rng = np.random.default_rng(seed)
    days = fit.days
    paths = demand_paths(fit, days, weekday_weight, N_PATHS, rng)
    return {f: _by_freq(local_created, paths, days, f) for f in ("day", "week", "month")}


def holdout(
    local_created: pd.Series,
    cut: pd.Timestamp,
    end: pd.Timestamp,
    weekday_weight: np.ndarray,
    seed: int = 0,
) -> dict[str, Any]:
    """Fit before ``cut``, forecast [cut, end), score whole months (see the module docstring)."""
    before = local_created[local_created < cut]
    fit = fit_calendar(before)
    months = _whole_months(cut, end)
    days = pd.date_range(cut, end - pd.Timedelta(days=1), freq="D")
    rng = np.random.default_rng(seed)
    paths = demand_paths(fit, days, weekday_weight, N_PATHS, rng)
    totals = _monthly(days, paths, months)
    counts = local_created.dt.to_period("M").value_counts()
    real = pd.Series([int(counts.get(m, 0)) for m in months], index=months)
    scored = volume_check(real, totals)  # 2,000 paths: quantile bands
    prior = _whole_months(before.min().floor("D"), cut)[-NAIVE_MONTHS:]
    naive = float(np.mean([counts.get(m, 0) for m in prior])) if len(prior) else float("nan")
    scored["naive"] = {
        "months": [str(m) for m in prior],
        "forecast": naive,
        "mape": float(np.mean(np.abs(naive - real.to_numpy()) / real.to_numpy())),
    }
    chosen = [fit.forecast.note()] if fit.forecast is not None else []
    scored["fit"] = {
        "until": str(cut.date()),
        "model": fit.forecast.chosen if fit.forecast is not None else "",
        "notes": [*fit.notes, *chosen],
    }
    return scored


def rolling_origins(
    local_created: pd.Series,
    end: pd.Timestamp,
    weekday_weight: np.ndarray,
    origins: int,
    progress: Callable[[int, int], None] | None = None,
) -> dict[str, Any]:
    """The holdout from each of the last ``origins`` month starts with at least
    :data:`MIN_FITTED_MONTHS` whole months before it and a whole month after it (before
    ``end``), each scoring up to :data:`ORIGIN_HORIZON_MONTHS` months; pooled over every scored
    month: band coverage, median half-width, the twin's and the naive forecast's mean absolute
    percentage error, and the half-width a band around each forecast's centre would have
    needed to hold 90% of the months (the 90% quantile of its relative errors)."""
    first = local_created.min().floor("D")
    months = _whole_months(first, end)
    starts = [m.start_time for m in months[MIN_FITTED_MONTHS:]]
    cuts = [c for c in starts if c + pd.offsets.MonthBegin(1) <= end][-origins:]
    rows: list[dict[str, Any]] = []
    for i, cut in enumerate(cuts):
        stop = min(end, cut + pd.offsets.MonthBegin(ORIGIN_HORIZON_MONTHS))
        h = holdout(local_created[local_created < stop], cut, stop, weekday_weight)
        naive = h["naive"]["forecast"]
        for k, period in enumerate(h["periods"]):
            rows.append(
                {
                    "origin": str(cut.date()),
                    "month": period,
                    "months_ahead": k + 1,
                    "history": h["history"][k],
                    "twin": h["twin"][k],
                    "low": h["low"][k],
                    "high": h["high"][k],
                    "naive": naive,
                    "model": h["fit"]["model"],  # the forecast model chosen at the origin
                }
            )
        if progress is not None:
            progress(i + 1, len(cuts))
    return {"origins": [str(c.date()) for c in cuts], "months": rows, **pooled(rows)}


def pooled(rows: list[dict[str, Any]]) -> dict[str, Any]:
    """Coverage, widths and errors over every scored month of every origin (months with no
    orders have no percentage error and are left out of the errors only)."""
    if not rows:
        return {
            "n": 0,
            "inside": 0,
            "coverage": None,
            "median_half_width": None,
            "mape": None,
            "naive_mape": None,
            "needed_half_width": None,
            "naive_needed_half_width": None,
            "origins_twin_better": 0,
            "by_origin": [],
        }
    f = pd.DataFrame(rows)
    inside = (f["history"] >= f["low"]) & (f["history"] <= f["high"])
    half = (f["high"] - f["low"]) / 2 / f["twin"].clip(lower=1e-9)
    seen = f[f["history"] > 0]
    twin_err = (seen["twin"] - seen["history"]).abs() / seen["history"]
    naive_err = (seen["naive"] - seen["history"]).abs() / seen["history"]
    errors = pd.DataFrame({"origin": seen["origin"], "twin": twin_err, "naive": naive_err})
    per_origin = errors.groupby("origin")[["twin", "naive"]].mean()
    by_origin = [
        {
            "origin": origin,
            "model": g["model"].iloc[0] if "model" in g else "",
            "months": len(g),
            "inside": int(inside[g.index].sum()),
            "mape": float(per_origin["twin"].get(origin, np.nan)),
            "naive_mape": float(per_origin["naive"].get(origin, np.nan)),
        }
        for origin, g in f.groupby("origin", sort=True)
    ]
    return {
        "n": len(f),
        "inside": int(inside.sum()),
        "coverage": float(inside.mean()),
        "median_half_width": float(half.median()),
        "mape": float(twin_err.mean()) if len(seen) else None,
        "naive_mape": float(naive_err.mean()) if len(seen) else None,
        "needed_half_width": float(np.quantile(twin_err, BAND)) if len(seen) else None,
        "naive_needed_half_width": float(np.quantile(naive_err, BAND)) if len(seen) else None,
        "origins_twin_better": int((per_origin["twin"] < per_origin["naive"]).sum()),
        "by_origin": by_origin,  # the same figures per origin, for the report's table
    }
