"""Fit how demand changes over the log's dates: a daily level, dated events, and its forecast.

A real log's volume grows, dips, stops for a while and surges for a day (Black Friday); one
stationary rate flattens all of it. The level is a structural time-series model from statsmodels
(:class:`~statsmodels.tsa.statespace.structural.UnobservedComponents`: a local level, a random
walk for lasting shifts, plus an AR(1) transient for weeks that pass, such as a holiday season),
fitted by maximum likelihood with the Kalman filter, on weekly counts after Anscombe's
square-root transform ``2 sqrt(y + 3/8)`` (Poisson counts then have variance close to 1 at any
level, so quiet early weeks and busy late weeks weigh alike; weeks smooth out the weekday
pattern, which the weekly profile carries). Days that the level cannot explain are taken out
and become dated events:

- a **surge** day: a count the Poisson tail at the level makes very unlikely (p < 1e-4), at least
  twice the level and :data:`SURGE_MIN_EXTRA` orders above it (multiplier = count / level);
- a **gap**: :data:`GAP_MIN_DAYS` or more days in a row without an order (multiplier 0).

The filter then sees those days as missing, so an event neither lifts nor drags the level.
The calendar's knots are the smoothed rate, one per week, relative to the mean rate. Past the
last knot the scenario holds the level; forecasts past the log (holdout bands, what-ifs) come from
:mod:`scenarios.calibration.monthly_forecast` instead, a model of monthly totals chosen by
cross-validation inside the log, which :func:`demand_paths` samples.
Yearly seasonality is fitted only from two full years of data on (:func:`yearly_seasons`: the
monthly forecast's seasonal candidates, tried where every month of the year is seen twice):
with less, a month's effect cannot be told apart from the trend, and the report says so. Where
a seasonal model is chosen, its month-of-year multipliers are reported, not written as
``calendar.yearly_profile``: the weekly knots already follow the seasons inside the log, and the
knots projected past a cut come from the seasonal forecast's median, so a yearly profile on top
would count them twice.
"""

from __future__ import annotations

import functools
import warnings
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import pandas as pd
from scipy import stats

from scenarios.calibration.monthly_forecast import MonthlyForecast, fit_monthly_forecast

SURGE_P = 1e-4
SURGE_MIN_RATIO = 2.0
SURGE_MIN_EXTRA = 5.0  # orders above the level: fewer is a busy day, not an event
GAP_MIN_DAYS = 14
ROUNDS = 3
YEARLY_MIN_DAYS = 2 * 365


@dataclass(frozen=True)
class DayEvent:
    name: str
    start: str  # ISO date, local
    days: float
    multiplier: float
    orders: int
    expected: float


@dataclass(frozen=True)
class CalendarFit:
    """Orders per day, the weekly model's smoothed rate, its events and what forecasts need."""

    first_day: pd.Timestamp  # local date of the first order (naive)
    counts: np.ndarray  # orders per day
    first_week: pd.Timestamp  # Monday of the first week
    week_rate: np.ndarray  # smoothed orders per week (level + transient), events excluded
    per_day: np.ndarray  # orders per day with events out (a surge day at the level; gaps NaN)
    events: tuple[DayEvent, ...]
    notes: list[str] = field(default_factory=list)

    @functools.cached_property
    def forecast(self) -> MonthlyForecast | None:
        """The monthly model for dates past the log (None: under two months seen), fitted when
        first asked for: its cross-validation refits a dozen times, which only forecasts need."""
        return fit_monthly_forecast(self.first_day, self.per_day)

    @property
    def days(self) -> pd.DatetimeIndex:
        return pd.date_range(self.first_day, periods=len(self.counts), freq="D")

    def level_per_day(self, days: pd.DatetimeIndex) -> np.ndarray:
        """The smoothed rate (orders/day) on ``days``, linear between mid-weeks, held outside."""
        mid = self.first_week + pd.Timedelta(days=3.5)
        x = ((days - mid) / pd.Timedelta(days=7)).to_numpy(dtype=float)
        return np.interp(x, np.arange(len(self.week_rate)), self.week_rate) / 7.0

    def knots(self, mean_per_day: float) -> list[dict[str, Any]]:
        """The smoothed rate as ``{date, level}`` knots (multipliers of the mean rate), one a
        week on its Thursday, linear in between as the engine reads them."""
        out = []
        for i, rate in enumerate(self.week_rate):
            day = self.first_week + pd.Timedelta(days=7 * i + 3)
            out.append(
                {"date": day.date().isoformat(), "level": round(float(rate / 7 / mean_per_day), 4)}
            )
        return out

    def event_days(self, days: pd.DatetimeIndex) -> np.ndarray:
        """Each of ``days``' event multiplier (1 outside events)."""
        multiplier = np.ones(len(days))
        for e in self.events:
            start = pd.Timestamp(e.start)
            hit = (days >= start) & (days < start + pd.Timedelta(days=e.days))
            multiplier[hit] = e.multiplier
        return multiplier


def anscombe(counts: np.ndarray) -> np.ndarray:
    return 2.0 * np.sqrt(np.asarray(counts, dtype=float) + 3.0 / 8.0)


def rate_from_z(z: np.ndarray) -> np.ndarray:
    """Poisson rate whose Anscombe transform has mean ``z`` (to first order)."""
    return np.maximum((np.asarray(z) / 2.0) ** 2 - 1.0 / 8.0, 0.0)


def _zero_runs(counts: np.ndarray, min_days: int) -> list[tuple[int, int]]:
    """(first day, length) of each run of ``min_days`` or more empty days inside the log."""
    out, start = [], None
    for i, c in enumerate(np.append(counts, 1)):
        if c == 0 and start is None:
            start = i
        elif c != 0 and start is not None:
            if i - start >= min_days and start > 0 and i < len(counts):
                out.append((start, i - start))
            start = None
    return out


def _fit_weekly(z: np.ndarray) -> Any:
    """Local level plus an AR(1) transient: lasting shifts apart from weeks that pass (a holiday
    season), so a forecast holds the level and lets the transient die out."""
    from statsmodels.tsa.statespace.structural import UnobservedComponents

    kwargs: dict[str, Any] = {"autoregressive": 1} if np.isfinite(z).sum() >= AR_MIN_WEEKS else {}
    model = UnobservedComponents(z, level="llevel", **kwargs)
    with warnings.catch_warnings():  # convergence chatter on short or flat series
        warnings.simplefilter("ignore")
        return model.fit(disp=False)


AR_MIN_WEEKS = 26
MIN_WEEKS = 6


def daily_counts(local_created: pd.Series) -> tuple[pd.Timestamp, np.ndarray]:
    """Orders per local calendar day, from the first day to the last (zeros included)."""
    days = local_created.dt.floor("D")
    first, last = days.min(), days.max()
    index = ((days - first) / pd.Timedelta(days=1)).to_numpy(dtype=np.int64)
    n_days = int((last - first) / pd.Timedelta(days=1)) + 1
    return first, np.bincount(index, minlength=n_days)


def _weekly(
    first: pd.Timestamp, counts: np.ndarray, out: np.ndarray
) -> tuple[pd.Timestamp, np.ndarray]:
    """Anscombe-transformed orders per Monday-Sunday week; weeks not fully observed or touching
    an event are missing (NaN), as the filter reads them."""
    first_week = first - pd.Timedelta(days=first.weekday())
    lead = first.weekday()
    padded = np.concatenate([np.zeros(lead), counts])
    seen = np.concatenate([np.zeros(lead, bool), ~out])
    n_weeks = int(np.ceil(len(padded) / 7))
    pad = n_weeks * 7 - len(padded)
    padded = np.concatenate([padded, np.zeros(pad)]).reshape(n_weeks, 7)
    seen = np.concatenate([seen, np.zeros(pad, bool)]).reshape(n_weeks, 7)
    z = anscombe(padded.sum(1))
    z[~seen.all(1)] = np.nan
    return first_week, z


def fit_calendar(local_created: pd.Series) -> CalendarFit:
    """Level and events from the local (naive wall-clock) creation times."""
    first, counts = daily_counts(local_created)
    n = len(counts)
    days = pd.date_range(first, periods=n, freq="D")
    gaps = _zero_runs(counts, GAP_MIN_DAYS)
    out = np.zeros(n, dtype=bool)
    for start, length in gaps:
        out[start : start + length] = True
    surge = np.zeros(n, dtype=bool)
    first_week, z = _weekly(first, counts, out)
    if np.isfinite(z).sum() < MIN_WEEKS:
        rate = np.full(len(z), counts[~out].mean() * 7)
        note = f"{n} days: too few full weeks for a level over time; the calendar is flat"
        per_day = np.where(out, np.nan, counts.astype(float))
        return CalendarFit(first, counts, first_week, rate, per_day, (), [note])
    res: Any = None
    week_rate = np.zeros(len(z))
    for _ in range(ROUNDS):
        first_week, z = _weekly(first, counts, out | surge)
        res = _fit_weekly(z)
        week_rate = rate_from_z(np.asarray(res.smoother_results.smoothed_forecasts, dtype=float)[0])
        fit = CalendarFit(first, counts, first_week, week_rate, counts, ())
        level = fit.level_per_day(days)
        p_high = stats.poisson.sf(counts - 1, np.maximum(level, 1e-9))
        flagged = (
            (p_high < SURGE_P)
            & (counts >= SURGE_MIN_RATIO * level)
            & (counts - level >= SURGE_MIN_EXTRA)
        )
        if not (flagged & ~surge).any():
            break
        surge = surge | flagged
    level = CalendarFit(first, counts, first_week, week_rate, counts, ()).level_per_day(days)
    events = [
        DayEvent(
            f"gap_{days[s].date().isoformat()}",
            days[s].date().isoformat(),
            float(k),
            0.0,
            0,
            round(float(level[s : s + k].sum()), 1),
        )  # fmt: skip
        for s, k in gaps
    ]
    for i in np.flatnonzero(surge).tolist():
        events.append(
            DayEvent(
                f"surge_{days[i].date().isoformat()}",
                days[i].date().isoformat(),
                1.0,
                round(float(counts[i] / max(level[i], 1e-9)), 3),
                int(counts[i]),
                round(float(level[i]), 2),
            )
        )
    events.sort(key=lambda e: e.start)
    params = np.asarray(res.params, dtype=float)
    per_day = np.where(out, np.nan, np.where(surge, level, counts))  # events out
    shown = ", ".join(f"{k} {v:.3g}" for k, v in zip(res.model.param_names, params, strict=True))
    notes = [
        "level: local level + AR(1) transient (statsmodels UnobservedComponents, maximum "
        f"likelihood) on Anscombe-transformed weekly counts ({shown}); {len(gaps)} gap(s) of "
        f">= {GAP_MIN_DAYS} empty days and {int(surge.sum())} surge day(s) taken out as dated "
        "events"
    ]
    if n < YEARLY_MIN_DAYS:
        notes.append(
            f"yearly profile not fitted: {n} days, fewer than two years, so a month's effect "
            "cannot be told apart from the level"
        )
    return CalendarFit(first, counts, first_week, week_rate, per_day, tuple(events), notes)


def yearly_seasons(fit: CalendarFit) -> dict[str, Any] | None:
    """What the fit says about seasons, for a log of two years or more (None: shorter, the
    calendar's note says why): the forecast model chosen, and its month-of-year multipliers
    where it has them, with why they are not written as ``calendar.yearly_profile``."""
    if len(fit.counts) < YEARLY_MIN_DAYS or fit.forecast is None:
        return None
    forecast = fit.forecast
    seasons = forecast.seasons()
    return {
        "chosen": forecast.chosen,
        "cv_mape": {k: round(v, 4) for k, v in forecast.cv_mape.items() if np.isfinite(v)},
        "seasons": seasons,
        "yearly_profile": "not written: the weekly knots follow the seasons inside the log and "
        "knots projected past a cut carry them from the forecast; a yearly profile on top would "
        "count them twice"
        if seasons is not None
        else "not written: cross-validation kept a model without seasons",
    }


def demand_paths(
    fit: CalendarFit,
    days: pd.DatetimeIndex,
    weekday_weight: np.ndarray,
    n_paths: int,
    rng: np.random.Generator,
) -> np.ndarray:
    """Simulated orders per day on ``days`` (n_paths x days), as the twin's arrivals would come:
    Poisson around the fitted rate inside the log and its last fitted month, around the monthly
    forecast's paths past them (:meth:`MonthlyForecast.month_totals`, spread evenly over the
    month's days), times the weekday weight (7, mean 1, Monday first) and the events."""
    rate = np.tile(fit.level_per_day(days), (n_paths, 1))
    log_end = fit.first_day + pd.Timedelta(days=len(fit.counts))
    if days[-1] >= log_end and fit.forecast is not None:
        last = fit.forecast.last_month
        step = ((days.year - last.year) * 12 + days.month - last.month).to_numpy()
        ahead = (days >= log_end) & (step >= 1)
        if ahead.any():
            paths = fit.forecast.month_totals(int(step[ahead].max()), n_paths, rng)
            rate[:, ahead] = paths[:, step[ahead] - 1] / days[ahead].days_in_month.to_numpy()
    rate = rate * weekday_weight[days.day_of_week.to_numpy()][None, :]
    return rng.poisson(rate * fit.event_days(days)[None, :])
