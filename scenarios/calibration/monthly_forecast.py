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
extra scatter, so a young log's small early months do not pass for a restless level. From
:data:`SEASONAL_MIN_LOOKS` looks at every month of the year (two years seen, gaps aside), a
level and a damped trend **with month-of-year effects** are candidates too (fixed effects: with
two to four looks at each month a drifting season cannot be told from a fixed one), if the
twelve effects are told apart from none at all (:func:`season_test`); with fewer looks, a
month's effect cannot be told apart from the trend and the scatter, and they are not tried.

Which one is chosen by **rolling-origin cross-validation inside the fitted months only**: from
each of the last :data:`CV_ORIGINS` origins (a year of them, :data:`SEASONAL_CV_ORIGINS`, with
seasonal candidates) after the first :data:`MIN_MONTHS` months, every
candidate is fitted on the months before it and forecasts the next :data:`CV_HORIZON`; the
simplest candidate whose mean absolute percentage error is within one standard error of the
lowest wins (the one-standard-error rule; simplest = most cautious: level, damped trend,
trend, then the seasonal twins, so seasons are kept only where they clearly paid). So growth
or a fall is extrapolated only where extrapolating it clearly paid inside the
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
from scipy import stats

from scenarios.calibration.counted_level import (
    KINDS,
    MONTHS_A_YEAR,
    base_kind,
    design,
    draw_space_cov,
    fit_counted_level,
    innovation_variances,
    is_seasonal,
    n_states,
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
SEASONAL_MIN_LOOKS = 2  # looks at every month of the year before seasons are tried (24 months)
SEASONAL_CV_ORIGINS = 12
SEASON_TEST_P = 0.05  # the month-of-year effects must differ from none at this level
SEASONAL_SPARE = 3  # a seasonal candidate is scored from an origin with every month of the year
# seen before it and at least its states plus these months seen (a few left to fit variances)


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


def looks_per_month_of_year(months: pd.PeriodIndex, y: np.ndarray) -> np.ndarray:
    """How many times each month of the year (January first) is seen in the series."""
    seen = np.isfinite(np.asarray(y, dtype=float))
    return np.bincount(np.asarray(months.month)[seen] - 1, minlength=MONTHS_A_YEAR)


def candidates(months: pd.PeriodIndex, y: np.ndarray) -> tuple[str, ...]:
    """The kinds tried on a monthly series: the seasonal ones only where every month of the
    year is seen :data:`SEASONAL_MIN_LOOKS` times."""
    seasonal = looks_per_month_of_year(months, y).min() >= SEASONAL_MIN_LOOKS
    return tuple(k for k in KINDS if seasonal or not is_seasonal(k))


def season_test(months: pd.PeriodIndex, totals: np.ndarray, counted: np.ndarray) -> float:
    """p-value of "no month-of-year effects" in ``level + season`` fitted on the whole series:
    the Wald statistic of the eleven free effects (their filtered mean and covariance at the
    last month) over 11, against F(11, months seen - states - parameters), since the scatter is
    estimated from few spare months (NaN: none spare).

    Why a test before cross-validation: on synthetic logs without seasons (36 months, 5% scatter
    beyond counting) a year of rolling origins alone took the seasonal candidate on 2 of 12, its
    1-3-month errors being correlated across neighbouring origins; the test lets through 0 of
    40 at p < 0.01 and 3 of 40 at p < 0.05 (chi-square instead of F: 3 and 8 of 40), and every
    one of 10 logs with a +-15% yearly cycle."""
    kind = "level + season"
    res = _fit(kind, months, totals, counted)
    spare = int(np.isfinite(totals).sum()) - n_states(kind) - len(res.params)
    if spare < 1:
        return float("nan")
    t = n_states(base_kind(kind))
    effects = np.asarray(res.filtered_state[t:, -1], dtype=float)
    cov = np.asarray(res.filtered_state_cov[t:, t:, -1], dtype=float)
    wald = float(effects @ np.linalg.pinv(cov) @ effects)
    free = MONTHS_A_YEAR - 1
    return float(stats.f.sf(wald / free, free, spare))


def cv_origins(months: pd.PeriodIndex, y: np.ndarray, kinds: tuple[str, ...]) -> list[int]:
    """The last :data:`CV_ORIGINS` months after the first :data:`MIN_MONTHS` that were seen;
    with a seasonal candidate the last :data:`SEASONAL_CV_ORIGINS` (a year of origins, each
    month of the year forecast from once, so a season is judged over the whole year), and only
    those with every month of the year and enough months seen before them to fit it. The same
    origins for every candidate, so their errors pair up."""
    seen = np.concatenate([[0], np.cumsum(np.isfinite(y))])  # months seen before each origin
    need = max((n_states(k) + SEASONAL_SPARE for k in kinds if is_seasonal(k)), default=0)
    n_origins = SEASONAL_CV_ORIGINS if need else CV_ORIGINS
    return [
        origin
        for origin in range(max(MIN_MONTHS, len(y) - n_origins), len(y))
        if np.isfinite(y[origin])
        and seen[origin] >= need
        and (not need or looks_per_month_of_year(months[:origin], y[:origin]).min() >= 1)
    ]


def cross_validated_errors(
    kind: str,
    months: pd.PeriodIndex,
    y: np.ndarray,
    counted: np.ndarray,
    origins: list[int] | None = None,
) -> np.ndarray:
    """Absolute percentage errors of ``kind``'s 1..CV_HORIZON-month forecasts from ``origins``
    (default :func:`cv_origins` for ``kind`` alone; empty: no origin)."""
    errors: list[float] = []
    for origin in cv_origins(months, y, (kind,)) if origins is None else origins:
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
    season_p: float = float("nan")  # :func:`season_test`'s p-value (NaN: not tested)

    @property
    def last_month(self) -> pd.Period:
        return self.months[-1]

    def seasons(self) -> dict[str, Any] | None:
        """The chosen model's month-of-year multipliers (None: no seasons): January first,
        normalised to mean 1 as ``calendar.yearly_profile`` reads them, with each effect's
        standard error on the log scale (about a relative one) from the Kalman filter's state
        covariance at the last month (fixed effects: every month seen has informed them)."""
        if not is_seasonal(self.chosen):
            return None
        t = n_states(base_kind(self.chosen))
        mean = np.asarray(self.result.filtered_state[t:, -1], dtype=float)
        cov = np.asarray(self.result.filtered_state_cov[t:, t:, -1], dtype=float)
        # the state holds this month's effect and the ten before it; the year's 12th is minus
        # their sum (a year of effects sums to zero)
        to_effects = np.vstack([np.eye(MONTHS_A_YEAR - 1), -np.ones(MONTHS_A_YEAR - 1)])
        effects = to_effects @ mean
        se = np.sqrt(np.maximum(np.diag(to_effects @ cov @ to_effects.T), 0.0))
        month = (self.last_month.month - 1 - np.arange(MONTHS_A_YEAR)) % MONTHS_A_YEAR
        order = np.argsort(month)  # January first
        multipliers = np.exp(effects[order])
        return {
            "multipliers": [round(float(v), 4) for v in multipliers / multipliers.mean()],
            "log_se": [round(float(v), 4) for v in se[order]],
            "estimated": "month-of-year effects as fixed states of the chosen model (no "
            "seasonal innovation), maximum likelihood with the Kalman filter from a diffuse "
            f"start, {int(np.isfinite(self.totals).sum())} months seen",
        }

    def note(self) -> str:
        scores = ", ".join(f"{k} {v:.1%}" for k, v in self.cv_mape.items() if np.isfinite(v))
        seasonal = any(is_seasonal(k) for k in self.cv_mape)
        how = (
            f"rolling-origin MAPE of 1-{CV_HORIZON}-month forecasts from the last "
            f"{SEASONAL_CV_ORIGINS if seasonal else CV_ORIGINS} origins inside the log: "
            f"{scores}, the simplest within one standard "
            "error of the lowest"
            if scores
            else f"fewer than {MIN_MONTHS + 1} months, so no trend is tried"
        )
        looks = int(looks_per_month_of_year(self.months, self.totals).min())
        seasons = self.seasons()
        if seasons is not None:
            shown = ", ".join(
                f"{name} {m:.2f} (se {se:.0%})"
                for name, m, se in zip(
                    MONTH_NAMES, seasons["multipliers"], seasons["log_se"], strict=True
                )
            )
            how += (
                f"; month-of-year effects told apart from none (F test p = {self.season_p:.2g}),"
                f" multipliers (mean 1, {seasons['estimated']}): {shown}"
            )
        elif np.isfinite(self.season_p) and self.season_p >= SEASON_TEST_P:
            how += (
                "; no seasons tried: month-of-year effects not told apart from none (F test "
                f"p = {self.season_p:.2g} >= {SEASON_TEST_P})"
            )
        elif looks < SEASONAL_MIN_LOOKS:
            how += (
                f"; no seasons tried: the least-seen month of the year seen {looks} time(s), "
                f"{SEASONAL_MIN_LOOKS} needed"
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
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            filtered = model.filter(params)
        mean = np.asarray(filtered.filtered_state[:, -1], dtype=float)
        cov = np.asarray(filtered.filtered_state_cov[:, :, -1], dtype=float)
        cov = (cov + cov.T) / 2 if draw_state else np.zeros_like(cov)
        state = rng.multivariate_normal(mean, cov, PATHS_PER_DRAW, method="eigh")
        step = transition(model.kind, params)
        innovation_sd = np.sqrt(innovation_variances(model.kind, params))
        read = design(model.kind)
        extra_sd = np.sqrt(params[0])
        out = np.empty((PATHS_PER_DRAW, months))
        for m in range(months):
            state = state @ step.T + innovation_sd * rng.standard_normal(state.shape)
            out[:, m] = state @ read + extra_sd * rng.standard_normal(PATHS_PER_DRAW)
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


MONTH_NAMES = ("Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec")


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
    kinds = candidates(months, totals)
    season_p = float("nan")
    if any(is_seasonal(k) for k in kinds):
        season_p = season_test(months, totals, counted)
        if not season_p < SEASON_TEST_P:
            kinds = tuple(k for k in kinds if not is_seasonal(k))
    origins = cv_origins(months, totals, kinds)
    errors = {k: cross_validated_errors(k, months, totals, counted, origins) for k in kinds}
    scores = {k: float(e.mean()) if len(e) else float("nan") for k, e in errors.items()}
    chosen = one_standard_error_choice(errors)
    return fit_from_kind(chosen, months, totals, counted, scores, season_p)


def fit_from_kind(
    kind: str,
    months: pd.PeriodIndex,
    totals: np.ndarray,
    counted: np.ndarray,
    cv_mape: dict[str, float] | None = None,
    season_p: float = float("nan"),
) -> MonthlyForecast:
    """``kind`` fitted on a monthly series, without choosing (``cv_mape``, ``season_p``: the
    choice's scores)."""
    result = _fit(kind, months, totals, counted)
    return MonthlyForecast(months, totals, kind, cv_mape or {}, result, season_p)
