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
last knot the level is held (a random walk's forecast, the transient dying out); its uncertainty
grows with the horizon, which :func:`demand_paths` samples through the model's own forecast paths
under parameter draws from the fit's covariance, for holdout prediction bands.
Yearly seasonality is fitted only from two full years of data on: with less, a month's
effect cannot be told apart from the trend, and the report says so.
"""

from __future__ import annotations

import warnings
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import pandas as pd
from scipy import stats

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
    model: Any  # statsmodels UnobservedComponents (None: too short, flat)
    params: np.ndarray
    params_cov: np.ndarray
    events: tuple[DayEvent, ...]
    notes: list[str] = field(default_factory=list)

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

    def forecast_week_rates(self, weeks: int, n_paths: int, rng: np.random.Generator) -> np.ndarray:
        """Orders per week for ``weeks`` after the last fitted week (n_paths x weeks): the model's
        forecast paths (level diffusion and decaying transients) under parameter draws from the
        fit's estimate and covariance, so the bands carry parameter and forecast uncertainty."""
        if self.model is None:
            return np.tile(self.week_rate[-1:], (n_paths, weeks))
        draws = max(n_paths // PATHS_PER_DRAW, 1)
        out = []
        for _ in range(draws):
            params = _drawn_params(self.model, self.params, self.params_cov, rng)
            with warnings.catch_warnings():
                warnings.simplefilter("ignore")
                res = self.model.filter(params)
                paths = res.simulate(weeks, repetitions=PATHS_PER_DRAW, anchor="end", rng=rng)
            z = np.asarray(paths).reshape(weeks, -1).T
            out.append(rate_from_z(z))
        return np.concatenate(out)[:n_paths]


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


PATHS_PER_DRAW = 50


def _drawn_params(
    model: Any, params: np.ndarray, cov: np.ndarray, rng: np.random.Generator
) -> np.ndarray:
    """Parameters drawn from the MLE's normal approximation, kept valid (variances >= 0,
    |AR| < 1); the MLE itself when the covariance is not usable."""
    if not np.all(np.isfinite(cov)):
        return params
    drawn = rng.multivariate_normal(params, cov, method="eigh")
    for i, name in enumerate(model.param_names):
        if name.startswith("sigma2"):
            drawn[i] = abs(drawn[i])
        elif name.startswith("ar."):
            drawn[i] = float(np.clip(drawn[i], -0.98, 0.98))
    return drawn


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
        return CalendarFit(
            first, counts, first_week, rate, None, np.zeros(0), np.zeros((0, 0)), (), [note]
        )
    res: Any = None
    week_rate = np.zeros(len(z))
    for _ in range(ROUNDS):
        first_week, z = _weekly(first, counts, out | surge)
        res = _fit_weekly(z)
        week_rate = rate_from_z(np.asarray(res.smoother_results.smoothed_forecasts, dtype=float)[0])
        fit = CalendarFit(
            first, counts, first_week, week_rate, None, np.zeros(0), np.zeros((0, 0)), ()
        )
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
    level = CalendarFit(
        first, counts, first_week, week_rate, None, np.zeros(0), np.zeros((0, 0)), ()
    ).level_per_day(days)
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
    cov = np.asarray(res.cov_params(), dtype=float)
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
    return CalendarFit(
        first, counts, first_week, week_rate, res.model, params, cov, tuple(events), notes
    )


def demand_paths(
    fit: CalendarFit,
    days: pd.DatetimeIndex,
    weekday_weight: np.ndarray,
    n_paths: int,
    rng: np.random.Generator,
) -> np.ndarray:
    """Simulated orders per day on ``days`` (n_paths x days), as the twin's arrivals would come:
    Poisson around the fitted rate inside the log, around forecast paths past it (see
    :meth:`CalendarFit.forecast_week_rates`), times the weekday weight (7, mean 1, Monday first)
    and the events on their dates."""
    last_week_end = fit.first_week + pd.Timedelta(days=7 * len(fit.week_rate))
    rate = np.tile(fit.level_per_day(days), (n_paths, 1))
    ahead = days >= last_week_end
    if ahead.any():
        week = ((days[ahead] - last_week_end) / pd.Timedelta(days=7)).to_numpy(dtype=float)
        week_i = np.floor(week).astype(np.int64)
        paths = fit.forecast_week_rates(int(week_i.max()) + 1, n_paths, rng)
        rate[:, ahead] = paths[:, week_i] / 7.0
    rate = rate * weekday_weight[days.day_of_week.to_numpy()][None, :]
    return rng.poisson(rate * fit.event_days(days)[None, :])
