"""Forecast monthly volume past the log, the way a planner's forecaster would, chosen on the log.

A holdout or a what-if needs volume past the last order. The weekly level the calendar smooths
with is the wrong tool for that: week-to-week swings a year of growth leaves behind read as a
fast random walk, so its forecast follows the last two weeks (a Christmas lull) and its bands
grow without bound. Here the forecast is made on **monthly totals** (events taken out: a surge
day counts at the smoothed level, gap days are unseen and a month seen on fewer than
:data:`MIN_DAYS_SEEN` days is missing), as log orders per day of the month (a change is
relative, a 28-day month no dip), by the state-space models of
:mod:`scenarios.calibration.counted_level`: a level, a damped trend or a trend, each seen
through the month's **counting noise as a known variance** (1 / orders counted) plus a fitted
extra scatter, so a young log's small early months do not pass for a restless level.

Which one is chosen by **rolling-origin cross-validation inside the fitted months only**: from
each of the last :data:`CV_ORIGINS` origins after the first :data:`MIN_MONTHS` months, every
candidate is fitted on the months before it and forecasts the next :data:`CV_HORIZON`; the
simplest candidate whose mean absolute percentage error is within one standard error of the
lowest wins (the one-standard-error rule; simplest = most cautious: level, damped trend,
trend). So growth or a fall is extrapolated only where extrapolating it clearly paid inside the
log, and a log that has moved is followed by its level rather than held at its past.

Forecast paths carry three uncertainties: the **parameters** (drawn from the likelihood's
normal approximation, :func:`~scenarios.calibration.counted_level.parameter_draws`), the
**state** at the last month and its innovations ahead (the Kalman filter's, under each draw)
and the extra scatter of each month. A path is a month's rate; the Poisson counting on top is
added by whoever draws arrivals from it (:func:`scenarios.calibration.calendar.demand_paths`),
as the engine does.
"""

from __future__ import annotations

import warnings
from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd

from scenarios.calibration.counted_level import (
    KINDS,
    draw_space_cov,
    fit_counted_level,
    near_bound,
    parameter_draws,
    point_forecast,
    transition,
)

MIN_DAYS_SEEN = 20  # a month seen on fewer days is missing from the monthly series
MIN_MONTHS = 6  # months before the first cross-validation origin; fewer in all: ``level``
CV_HORIZON = 3  # months forecast from each origin
CV_ORIGINS = 6  # the latest origins only: recent months say most about the next ones
PATHS_PER_DRAW = 10  # paths under one parameter draw: many draws, so parameters are integrated
MAX_GROWTH = 100.0  # a path is capped at 100x the busiest month: a numeric guard, not a band
HALF = 0.5  # added before the log, so an empty month has a finite log and counting variance


def monthly_totals(
    first_day: pd.Timestamp, per_day: np.ndarray
) -> tuple[pd.PeriodIndex, np.ndarray, np.ndarray]:
    """Orders per month as if every day were seen, from orders per day with events taken out
    (NaN: unseen, such as a gap): the seen days' mean times the month's days; and the orders
    counted on the seen days (what the month's counting noise comes from). Months seen on fewer
    than :data:`MIN_DAYS_SEEN` days are NaN, and leading or trailing ones dropped."""
    days = pd.date_range(first_day, periods=len(per_day), freq="D")
    grouped = pd.Series(per_day, index=days).groupby(days.to_period("M"))
    seen = grouped.count()
    totals = grouped.mean() * pd.PeriodIndex(seen.index, freq="M").days_in_month
    counted = grouped.sum()
    totals[seen < MIN_DAYS_SEEN] = np.nan
    counted[seen < MIN_DAYS_SEEN] = np.nan
    kept = np.flatnonzero(totals.notna().to_numpy())
    if len(kept) == 0:
        return pd.PeriodIndex([], freq="M"), np.zeros(0), np.zeros(0)
    totals = totals.iloc[kept[0] : kept[-1] + 1]
    counted = counted.iloc[kept[0] : kept[-1] + 1]
    index = pd.PeriodIndex(totals.index, freq="M")
    return index, totals.to_numpy(dtype=float), counted.to_numpy(dtype=float)


def _days(months: pd.PeriodIndex) -> np.ndarray:
    return np.asarray(months.days_in_month, dtype=float)


def _log(totals: np.ndarray, days: np.ndarray) -> np.ndarray:
    """Log orders per day of each month (the model's scale: a 28-day month is not a dip)."""
    return np.log((np.asarray(totals, dtype=float) + HALF) / days)


def _totals(log_per_day: np.ndarray, days: np.ndarray) -> np.ndarray:
    return np.maximum(np.exp(log_per_day) * days - HALF, 0.0)


def counting_variance(counted: np.ndarray) -> np.ndarray:
    """Variance of a month's log total from Poisson counting alone (delta method): 1 / orders."""
    return 1.0 / (np.asarray(counted, dtype=float) + HALF)


def _fit(kind: str, months: pd.PeriodIndex, totals: np.ndarray, counted: np.ndarray) -> Any:
    return fit_counted_level(_log(totals, _days(months)), counting_variance(counted), kind)


def cross_validated_errors(
    kind: str, months: pd.PeriodIndex, y: np.ndarray, counted: np.ndarray
) -> np.ndarray:
    """Absolute percentage errors of ``kind``'s 1..CV_HORIZON-month forecasts from the last
    CV_ORIGINS origins after the first MIN_MONTHS months (empty: no origin)."""
    errors: list[float] = []
    for origin in range(max(MIN_MONTHS, len(y) - CV_ORIGINS), len(y)):
        if not np.isfinite(y[origin]):
            continue
        ahead = y[origin : origin + CV_HORIZON]
        res = _fit(kind, months[:origin], y[:origin], counted[:origin])
        days = _days(months[origin : origin + len(ahead)])
        forecast = _totals(point_forecast(res, len(ahead)), days)
        seen = np.isfinite(ahead) & (ahead > 0)
        errors += list(np.abs(forecast[seen] - ahead[seen]) / ahead[seen])
    return np.asarray(errors, dtype=float)


@dataclass(frozen=True)
class MonthlyForecast:
    """The chosen model on the log's monthly totals, ready to simulate months past the last."""

    months: pd.PeriodIndex  # the fitted months (the last one is where forecasts start from)
    totals: np.ndarray  # orders per month, events out (NaN: missing)
    chosen: str
    cv_mape: dict[str, float]  # each candidate's rolling-origin error (NaN: too few months)
    result: Any  # the statsmodels fit of ``chosen``

    @property
    def last_month(self) -> pd.Period:
        return self.months[-1]

    def note(self) -> str:
        scores = ", ".join(f"{k} {v:.1%}" for k, v in self.cv_mape.items() if np.isfinite(v))
        how = (
            f"rolling-origin MAPE of 1-{CV_HORIZON}-month forecasts from the last "
            f"{CV_ORIGINS} origins inside the log: {scores}, the simplest within one standard "
            "error of the lowest"
            if scores
            else f"fewer than {MIN_MONTHS + 1} months, so no trend is tried"
        )
        names = list(self.result.model.param_names)
        params = np.asarray(self.result.params, dtype=float)
        fitted = ", ".join(f"{n} {v:.3g}" for n, v in zip(names, params, strict=True))
        flags = near_bound(self.chosen, params, draw_space_cov(self.result))
        held = [n for n, f in zip(names, flags, strict=True) if f]
        return (
            f"forecast past the log: {self.chosen} (state space on log orders per day by month, "
            f"each month's Poisson counting variance known, {len(self.months)} months, statsmodels,"
            f" maximum likelihood: {fitted}); chosen by {how}; bands draw every parameter"
            + (f" but {', '.join(held)} (at an edge of its range: held)" if held else "")
        )

    def month_totals(
        self,
        months: int,
        n_paths: int,
        rng: np.random.Generator,
        draw_parameters: bool = True,
        draw_state: bool = True,
    ) -> np.ndarray:
        """Orders-per-month rates for the ``months`` after :attr:`last_month` (n_paths x
        months): per parameter draw (``draw_parameters=False``: the estimate throughout), the
        last month's state drawn from the filter (``draw_state=False``: its mean), carried on
        with its innovations, plus each month's extra scatter. A trend drawn steep can run off
        on the log scale: paths are capped at :data:`MAX_GROWTH` times the busiest month, far
        outside any 90% band."""
        ceiling = float(np.nanmax(_log(MAX_GROWTH * self.totals, _days(self.months))))
        n_draws = max(int(np.ceil(n_paths / PATHS_PER_DRAW)), 1)
        if draw_parameters:
            draws = parameter_draws(self.result, n_draws, rng)
        else:
            draws = np.tile(np.asarray(self.result.params, dtype=float), (n_draws, 1))
        out = [self._paths(params, months, rng, draw_state) for params in draws]
        log_paths = np.concatenate(out)[:n_paths]
        ahead = _days(pd.period_range(self.last_month + 1, periods=months, freq="M"))
        return _totals(np.minimum(log_paths, ceiling), ahead[None, :])

    def _paths(
        self, params: np.ndarray, months: int, rng: np.random.Generator, draw_state: bool
    ) -> np.ndarray:
        """:data:`PATHS_PER_DRAW` log-rate paths under one parameter set."""
        model = self.result.model
        k = model.k_states
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            filtered = model.filter(params)
        mean = np.asarray(filtered.filtered_state[:, -1], dtype=float)
        cov = np.asarray(filtered.filtered_state_cov[:, :, -1], dtype=float)
        cov = (cov + cov.T) / 2 if draw_state else np.zeros_like(cov)
        state = rng.multivariate_normal(mean, cov, PATHS_PER_DRAW, method="eigh")
        step = transition(model.kind, params)
        innovation_sd = np.sqrt(params[1 : 1 + k])
        extra_sd = np.sqrt(params[0])
        out = np.empty((PATHS_PER_DRAW, months))
        for m in range(months):
            state = state @ step.T + innovation_sd * rng.standard_normal((PATHS_PER_DRAW, k))
            out[:, m] = state[:, 0] + extra_sd * rng.standard_normal(PATHS_PER_DRAW)
        return out


def one_standard_error_choice(errors: dict[str, np.ndarray]) -> str:
    """The first (simplest, most cautious) candidate whose mean error is within one standard
    error of the lowest: the one-standard-error rule of cross-validation, so a trend must beat
    the level by more than the noise of a dozen errors (``level`` when nothing was scored)."""
    scored = {k: e for k, e in errors.items() if len(e)}
    if not scored:
        return "level"
    best = min(scored, key=lambda k: scored[k].mean())
    e = scored[best]
    bound = e.mean() + (e.std(ddof=1) / np.sqrt(len(e)) if len(e) > 1 else 0.0)
    return next(k for k in KINDS if k in scored and scored[k].mean() <= bound)


def fit_monthly_forecast(first_day: pd.Timestamp, per_day: np.ndarray) -> MonthlyForecast | None:
    """The monthly series and its chosen model (None: fewer than two months seen enough)."""
    months, totals, counted = monthly_totals(first_day, per_day)
    if np.isfinite(totals).sum() < 2:
        return None
    return fit_from_totals(months, totals, counted)


def fit_from_totals(
    months: pd.PeriodIndex, totals: np.ndarray, counted: np.ndarray
) -> MonthlyForecast:
    """The chosen model on a monthly series (totals as if every day were seen, orders counted)."""
    errors = {kind: cross_validated_errors(kind, months, totals, counted) for kind in KINDS}
    scores = {k: float(e.mean()) if len(e) else float("nan") for k, e in errors.items()}
    return fit_from_kind(one_standard_error_choice(errors), months, totals, counted, scores)


def fit_from_kind(
    kind: str,
    months: pd.PeriodIndex,
    totals: np.ndarray,
    counted: np.ndarray,
    cv_mape: dict[str, float] | None = None,
) -> MonthlyForecast:
    """``kind`` fitted on a monthly series, without choosing (``cv_mape``: the choice's scores)."""
    return MonthlyForecast(months, totals, kind, cv_mape or {}, _fit(kind, months, totals, counted))
