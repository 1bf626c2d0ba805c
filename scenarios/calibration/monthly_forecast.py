"""Forecast monthly volume past the log, the way a planner's forecaster would, chosen on the log.

A holdout or a what-if needs volume past the last order. The weekly level the calendar smooths
with is the wrong tool for that: week-to-week swings a year of growth leaves behind read as a
fast random walk, so its forecast follows the last two weeks (a Christmas lull) and its bands
grow without bound. Here the forecast is made on **monthly totals** (events taken out: a surge
day counts at the smoothed level, gap days are unseen and a month seen on fewer than
:data:`MIN_DAYS_SEEN` days is missing), on the log scale so a change is relative, by the
exponential-smoothing family of statsmodels' state-space
:class:`~statsmodels.tsa.statespace.exponential_smoothing.ExponentialSmoothing`, fitted by
maximum likelihood (from several starts, initial states concentrated out):

- ``level``: a level that moves (simple exponential smoothing);
- ``trend``: a level and a lasting trend (Holt);
- ``damped trend``: a trend that fades, so growth or a fall levels off (Gardner-McKenzie).

Which one is chosen by **rolling-origin cross-validation inside the fitted months only**: from
each of the last :data:`CV_ORIGINS` origins after the first :data:`MIN_MONTHS` months, every
candidate is fitted on the months before it and forecasts the next :data:`CV_HORIZON`; the
simplest candidate whose mean absolute percentage error is within one standard error of the
lowest wins (the one-standard-error rule; simplest = most cautious: level, damped trend,
trend). So growth or a fall is extrapolated only where extrapolating it clearly paid inside the
log, and a log that has moved is followed by its level rather than held at its past.

Forecast paths simulate the chosen model from its last state, under parameters drawn from the
fit's covariance (projected into the valid region: smoothing in [0, 1], trend smoothing at most
the level's, damping in the library's [0.8, 0.98]), so bands carry parameter and forecast
uncertainty. A path is a month's orders-per-day rate; arrivals are Poisson on top (the model's
noise, fitted on counts, already holds their Poisson part: at 300 a month that is a 6% sd against
the ~18% month-to-month spread Olist's 2017 shows, a small double count).
"""

from __future__ import annotations

import warnings
from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd

MIN_DAYS_SEEN = 20  # a month seen on fewer days is missing from the monthly series
MIN_MONTHS = 6  # months before the first cross-validation origin; fewer in all: ``level``
CV_HORIZON = 3  # months forecast from each origin
CV_ORIGINS = 6  # the latest origins only: recent months say most about the next ones
DAMPING_BOUNDS = (0.8, 0.98)  # statsmodels' own bounds on the damping factor
PATHS_PER_DRAW = 50
MAX_GROWTH = 100.0  # a path is capped at 100x the busiest month: a numeric guard, not a band
CANDIDATES: dict[str, dict[str, bool]] = {  # simplest first: it wins ties
    "level": {"trend": False},
    "damped trend": {"trend": True, "damped_trend": True},
    "trend": {"trend": True},
}


def monthly_totals(
    first_day: pd.Timestamp, per_day: np.ndarray
) -> tuple[pd.PeriodIndex, np.ndarray]:
    """Orders per month as if every day were seen, from orders per day with events taken out
    (NaN: unseen, such as a gap): the seen days' mean times the month's days; months seen on
    fewer than :data:`MIN_DAYS_SEEN` days are NaN, and leading or trailing ones dropped."""
    days = pd.date_range(first_day, periods=len(per_day), freq="D")
    grouped = pd.Series(per_day, index=days).groupby(days.to_period("M"))
    seen = grouped.count()
    totals = grouped.mean() * pd.PeriodIndex(seen.index, freq="M").days_in_month
    totals[seen < MIN_DAYS_SEEN] = np.nan
    kept = np.flatnonzero(totals.notna().to_numpy())
    if len(kept) == 0:
        return pd.PeriodIndex([], freq="M"), np.zeros(0)
    totals = totals.iloc[kept[0] : kept[-1] + 1]
    return pd.PeriodIndex(totals.index, freq="M"), totals.to_numpy(dtype=float)


def _log(y: np.ndarray) -> np.ndarray:
    return np.log(np.asarray(y, dtype=float) + 1.0)


STARTS = ((0.5, 0.05), (0.95, 0.05))  # (level, trend) smoothing where a trend fit starts
START_DAMPING = 0.9


def _fit(kind: str, log_y: np.ndarray) -> Any:
    """The maximum-likelihood fit; a trend model's from each of :data:`STARTS`, keeping the
    likeliest: its likelihood has a ridge at smoothing 0 (a straight line through everything)
    where the library's own start stops even when a moving level fits better (Olist through
    2017, a log that turns down)."""
    from statsmodels.tsa.statespace.exponential_smoothing import ExponentialSmoothing

    model = ExponentialSmoothing(log_y, initialization_method="concentrated", **CANDIDATES[kind])
    starts: list[Any] = [None]
    if model.trend:
        damping = [START_DAMPING] if model.damped_trend else []
        starts = [np.array([level, trend, *damping]) for level, trend in STARTS]
    best = None
    with warnings.catch_warnings():  # convergence chatter on a dozen points
        warnings.simplefilter("ignore")
        for start in starts:
            res = model.fit(start_params=start, disp=False)
            if best is None or res.llf > best.llf + 1e-9:
                best = res
    return best


def cross_validated_errors(kind: str, y: np.ndarray) -> np.ndarray:
    """Absolute percentage errors of ``kind``'s 1..CV_HORIZON-month forecasts from the last
    CV_ORIGINS origins after the first MIN_MONTHS months (empty: no origin)."""
    errors: list[float] = []
    for origin in range(max(MIN_MONTHS, len(y) - CV_ORIGINS), len(y)):
        if not np.isfinite(y[origin]):
            continue
        ahead = y[origin : origin + CV_HORIZON]
        forecast = np.exp(np.asarray(_fit(kind, _log(y[:origin])).forecast(len(ahead)))) - 1.0
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
        held = _near_bound(names, params, np.asarray(self.result.cov_params(), dtype=float))
        fitted = ", ".join(f"{n} {v:.3g}" for n, v in zip(names, params, strict=True))
        drawn = [n for n, h in zip(names, held, strict=True) if not h]
        return (
            f"forecast past the log: {self.chosen} (exponential smoothing on log monthly totals, "
            f"{len(self.months)} months, statsmodels, maximum likelihood: {fitted}); chosen by "
            f"{how}; parameters drawn for the bands: {', '.join(drawn) or 'none'} (the others' "
            "95% Wald interval crosses a bound, so they are held at the estimate)"
        )

    def _drawn(self, rng: np.random.Generator) -> np.ndarray:
        """Parameters from the fit's normal approximation, projected into the valid region.

        A parameter whose 95% Wald interval crosses a bound of its range (a smoothing weight
        near 0 or 1, a damping factor near :data:`DAMPING_BOUNDS`) is held at its estimate and
        the others drawn from their normal given it: near a bound the normal approximation the
        draws rely on does not hold (Olist's level weight through 2017 is 0.002 with a standard
        error of 0.38), and drawing it spreads the bands over every model of the family (77-94%
        half-width on Olist) rather than over this fit's uncertainty. :meth:`note` says which
        were held."""
        params = np.asarray(self.result.params, dtype=float)
        cov = np.asarray(self.result.cov_params(), dtype=float)
        names = list(self.result.model.param_names)
        free = ~_near_bound(names, params, cov)
        if not (np.all(np.isfinite(cov)) and free.any()):
            return params
        drawn = params.copy()
        mean, sub = params[free], cov[np.ix_(free, free)]
        if (~free).any():  # the free ones given the held ones at their estimates: mean unchanged
            cross = cov[np.ix_(free, ~free)]
            held = cov[np.ix_(~free, ~free)]
            sub = sub - cross @ np.linalg.pinv(held) @ cross.T
        drawn[free] = rng.multivariate_normal(mean, sub, method="eigh")
        level = float(np.clip(drawn[names.index("smoothing_level")], 0.0, 1.0))
        drawn[names.index("smoothing_level")] = level
        if "smoothing_trend" in names:
            i = names.index("smoothing_trend")
            drawn[i] = float(np.clip(drawn[i], 0.0, level))
        if "damping_trend" in names:
            i = names.index("damping_trend")
            drawn[i] = float(np.clip(drawn[i], *DAMPING_BOUNDS))
        return drawn

    def month_totals(self, months: int, n_paths: int, rng: np.random.Generator) -> np.ndarray:
        """Orders-per-month rates for the ``months`` after :attr:`last_month` (n_paths x
        months): the chosen model simulated from its last state under parameter draws (a
        trend drawn steep can run off to infinity on the log scale: paths are capped at
        :data:`MAX_GROWTH` times the busiest month, far outside any 90% band)."""
        model = self.result.model
        ceiling = _log(np.array([MAX_GROWTH * np.nanmax(self.totals)]))[0]
        out = []
        for _ in range(max(n_paths // PATHS_PER_DRAW, 1)):
            with warnings.catch_warnings():
                warnings.simplefilter("ignore")
                res = model.filter(self._drawn(rng))
                try:
                    sim = res.simulate(months, repetitions=PATHS_PER_DRAW, anchor="end", rng=rng)
                    log_paths = np.asarray(sim, dtype=float).reshape(months, -1).T
                except np.linalg.LinAlgError:  # a draw whose end state has no usable spread
                    noise = np.sqrt(res.scale) * rng.standard_normal((PATHS_PER_DRAW, months))
                    log_paths = np.asarray(res.forecast(months), dtype=float)[None, :] + noise
            out.append(np.maximum(np.exp(np.minimum(log_paths, ceiling)) - 1.0, 0.0))
        return np.concatenate(out)[:n_paths]


WALD_Z = 1.96


def _near_bound(names: list[str], params: np.ndarray, cov: np.ndarray) -> np.ndarray:
    """Which parameters' 95% Wald interval crosses a bound of their range (smoothing [0, 1],
    damping :data:`DAMPING_BOUNDS`); a parameter without a usable standard error counts too."""
    out = np.zeros(len(names), dtype=bool)
    for i, (name, value) in enumerate(zip(names, params, strict=True)):
        low, high = DAMPING_BOUNDS if name == "damping_trend" else (0.0, 1.0)
        se = float(np.sqrt(cov[i, i])) if np.isfinite(cov[i, i]) and cov[i, i] >= 0 else np.inf
        if name.startswith(("smoothing", "damping")):
            out[i] = min(value - low, high - value) < WALD_Z * se
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
    return next(k for k in CANDIDATES if k in scored and scored[k].mean() <= bound)


def fit_monthly_forecast(first_day: pd.Timestamp, per_day: np.ndarray) -> MonthlyForecast | None:
    """The monthly series and its chosen model (None: fewer than two months seen enough)."""
    months, totals = monthly_totals(first_day, per_day)
    if np.isfinite(totals).sum() < 2:
        return None
    errors = {kind: cross_validated_errors(kind, totals) for kind in CANDIDATES}
    scores = {k: float(e.mean()) if len(e) else float("nan") for k, e in errors.items()}
    chosen = one_standard_error_choice(errors)
    return MonthlyForecast(months, totals, chosen, scores, _fit(chosen, _log(totals)))
