"""Holdout backtest of demand: fit up to a date, forecast the rest, and score the forecast.

The demand calendar is refitted on the orders created before the cut (as ``ordertwin-calibrate
--until`` does) and its forecast paths (:func:`scenarios.calibration.calendar.demand_paths`: the
monthly model chosen by cross-validation inside the fitted months, simulated under parameter
draws, Poisson arrivals, the weekday pattern) give each month's 90% band. Scored per whole
month after the cut: how many months fall inside their band (coverage), the median half-width
relative to the band's centre, and the twin's mean absolute percentage error beside a naive
forecast, the mean of the last three whole months before the cut. The same paths over the
fitted period give the in-sample comparison.
"""

from __future__ import annotations

from typing import Any

import numpy as np
import pandas as pd

from scenarios.calibration.calendar import demand_paths, fit_calendar
from sim.backtest.planner import volume_check

N_PATHS = 2000
NAIVE_MONTHS = 3


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
    scored["fit"] = {"until": str(cut.date()), "notes": [*fit.notes, *chosen]}
    return scored
