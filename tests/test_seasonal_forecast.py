"""Yearly seasons in the monthly forecast, on synthetic logs of known truth.

A log of three years with a +-30% yearly cycle must get a seasonal model, bands that cover the
next year and a forecast clearly better than the same model without seasons; one with no
season must keep a model without seasons (the one-standard-error rule, which a rule taking the
seasonal candidate whenever offered fails); logs of under two years are not offered seasons;
gaps (a missing year, missing months) do not crash it. The calibrated scenario's knots past a
cut carry the seasons.
"""

from __future__ import annotations

from typing import Any

import numpy as np
import pandas as pd
import pytest
from scipy import stats

import scenarios.calibration.monthly_forecast as mf
from scenarios.calibration.calendar import demand_paths, fit_calendar, yearly_seasons
from scenarios.calibration.counted_level import KINDS, is_seasonal
from scenarios.calibration.monthly_forecast import (
    MonthlyForecast,
    candidates,
    fit_from_kind,
    fit_from_totals,
)

FIT, AHEAD = 36, 12  # three years fitted, the next one forecast
AMPLITUDE = 0.3
SCATTER = 0.05  # month-to-month scatter of the true rate beyond counting
MONTHS = pd.period_range("2020-01", periods=FIT + AHEAD, freq="M")


def cycle(month: np.ndarray, amplitude: float) -> np.ndarray:
    """The true yearly cycle: peak in April, trough in October (a month index from January)."""
    return 1.0 + amplitude * np.sin(2.0 * np.pi * np.asarray(month) / 12.0)


def monthly_log(seed: int, amplitude: float) -> np.ndarray:
    """Orders per month around 300 a month times the cycle, with scatter and Poisson counts."""
    rng = np.random.default_rng(seed)
    m = np.arange(len(MONTHS))
    rate = 300.0 * cycle(m, amplitude) * np.exp(SCATTER * rng.standard_normal(len(m)))
    return rng.poisson(rate).astype(float)


NO_SEASON = monthly_log(11, 0.0)[:FIT]


def kept_without_seasons(forecast: MonthlyForecast) -> None:
    assert not is_seasonal(forecast.chosen), (forecast.chosen, forecast.cv_mape)
    assert forecast.seasons() is None


def test_no_season_keeps_a_model_without_seasons() -> None:
    """Three years without a season: the month effects are not told apart from none, so the
    seasonal candidates are not even scored."""
    forecast = fit_from_totals(MONTHS[:FIT], NO_SEASON, NO_SEASON)
    kept_without_seasons(forecast)
    assert forecast.season_p >= mf.SEASON_TEST_P
    assert "not told apart from none" in forecast.note()


def test_the_check_fails_when_the_seasonal_candidate_is_always_taken(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """Break on purpose: a choice that takes the seasonal candidate whenever two years are
    seen (no test, the rule replaced) is caught by the same check."""

    def always_seasonal(errors: dict[str, np.ndarray]) -> str:
        return next(k for k in reversed(KINDS) if k in errors and is_seasonal(k))

    monkeypatch.setattr(mf, "SEASON_TEST_P", 1.01)
    monkeypatch.setattr(mf, "SEASONAL_CV_ORIGINS", 2)  # the choice is broken anyway: quicker
    monkeypatch.setattr(mf, "one_standard_error_choice", always_seasonal)
    with pytest.raises(AssertionError):
        kept_without_seasons(fit_from_totals(MONTHS[:FIT], NO_SEASON, NO_SEASON))


SEEDS = range(6)
PATHS = 400


@pytest.fixture(scope="module")
def forecasts() -> list[dict[str, Any]]:
    """Per seed: the seasonal model and its non-seasonal twin fitted on three years, their
    median forecast's error over the next year, and the seasonal bands' cover (Poisson arrivals
    on the paths, as the engine draws them)."""
    out = []
    for seed in SEEDS:
        y = monthly_log(100 + seed, AMPLITUDE)
        rng = np.random.default_rng(seed)
        truth = y[FIT:]
        row: dict[str, Any] = {}
        for kind in ("level + season", "level"):
            forecast = fit_from_kind(kind, MONTHS[:FIT], y[:FIT], y[:FIT])
            paths = rng.poisson(forecast.month_totals(AHEAD, PATHS, rng))
            row[kind] = float(np.mean(np.abs(np.median(paths, axis=0) - truth) / truth))
            low, high = np.quantile(paths, [0.05, 0.95], axis=0)
            row[f"{kind} inside"] = float(np.mean((truth >= low) & (truth <= high)))
        out.append(row)
    return out


def test_seasonal_bands_cover_the_next_year(forecasts: list[dict[str, Any]]) -> None:
    """72 forecast months (6 logs x 12): the 90% bands cover 75-99% of them."""
    covered = np.mean([r["level + season inside"] for r in forecasts])
    assert 0.75 <= covered <= 0.99, covered


def test_seasons_cut_the_forecast_error_paired_over_logs(forecasts: list[dict[str, Any]]) -> None:
    """The paired difference in MAPE (seasonal - without) over 6 logs: its 95% confidence
    interval lies below -5 points (the cycle's +-30% is what the model without seasons misses)."""
    diff = np.array([r["level + season"] - r["level"] for r in forecasts])
    half = stats.t.ppf(0.975, len(diff) - 1) * diff.std(ddof=1) / np.sqrt(len(diff))
    assert diff.mean() + half < -0.05, diff


def test_under_two_years_no_seasons_are_tried() -> None:
    """13 to 23 months: every month of the year is not seen twice, so no seasonal candidate;
    the fit says so."""
    y = monthly_log(3, AMPLITUDE)
    for n in (13, 23):
        assert not any(is_seasonal(k) for k in candidates(MONTHS[:n], y[:n]))
    assert any(is_seasonal(k) for k in candidates(MONTHS[:24], y[:24]))
    forecast = fit_from_totals(MONTHS[:20], y[:20], y[:20])
    assert not any(is_seasonal(k) for k in forecast.cv_mape)
    assert forecast.seasons() is None
    assert "no seasons tried" in forecast.note()


def test_missing_months_do_not_crash() -> None:
    """Three years with a month missing here and there: fitted, the seasons' multipliers and
    the paths finite."""
    y = monthly_log(5, AMPLITUDE)[:FIT].copy()
    y[[3, 14, 15, 27]] = np.nan
    forecast = fit_from_kind("damped trend + season", MONTHS[:FIT], y, y)
    seasons = forecast.seasons()
    assert seasons is not None and np.all(np.isfinite(seasons["multipliers"]))
    paths = forecast.month_totals(AHEAD, 50, np.random.default_rng(0))
    assert np.all(np.isfinite(paths)) and paths.shape == (50, AHEAD)


DAYS = pd.date_range("2020-01-01", "2023-12-31")


def created(seed: int) -> pd.Series:
    """Local creation times of a four-year daily log: ~10 orders a day times the cycle."""
    rng = np.random.default_rng(seed)
    month = (DAYS.year - 2020) * 12 + DAYS.month - 1
    n = rng.poisson(10.0 * cycle(np.asarray(month), AMPLITUDE))
    hours = pd.to_timedelta(rng.random(int(n.sum())) * 24.0, unit="h")
    return pd.Series(np.sort(np.repeat(DAYS.to_numpy(), n) + hours.to_numpy()))


@pytest.fixture(scope="module")
def three_years() -> tuple[Any, pd.Series]:
    """The calendar fitted on the first three years of a daily log (its forecast fitted too)."""
    local = created(1)
    fit = fit_calendar(local[local < pd.Timestamp("2023-01-01")])
    assert fit.forecast is not None
    return fit, local


def test_a_yearly_cycle_is_chosen_and_pays_inside_the_log(
    three_years: tuple[Any, pd.Series],
) -> None:
    forecast = three_years[0].forecast
    assert is_seasonal(forecast.chosen), forecast.cv_mape
    assert forecast.cv_mape[forecast.chosen] < 0.5 * forecast.cv_mape["level"]


def test_knots_past_the_cut_carry_the_seasons(three_years: tuple[Any, pd.Series]) -> None:
    """calibrate --until's knots past the cut follow the forecast's median, so they rise and
    fall with the cycle (peak April, trough October) rather than hold one level; the fit report
    lists the 12 multipliers, not written as a yearly profile."""
    from scenarios.calibration.calibrate import _projected_knots

    fit, _ = three_years
    mean_per_day = float(fit.counts.mean())
    knots = _projected_knots(fit, mean_per_day, np.random.default_rng(0))
    assert len(knots) == 12 and knots[0]["date"] == "2023-01-15"
    levels = np.array([k["level"] for k in knots])
    truth = cycle(np.arange(12), AMPLITUDE)
    assert np.corrcoef(levels, truth)[0, 1] > 0.9
    assert levels.max() / levels.min() > 1.5  # the true peak/trough is 1.3 / 0.7
    yearly = yearly_seasons(fit)
    assert yearly is not None and is_seasonal(yearly["chosen"])
    multipliers = np.array(yearly["seasons"]["multipliers"])
    assert np.abs(multipliers / truth - 1.0).max() < 0.15
    assert "not written" in yearly["yearly_profile"]


def test_daily_log_holdout_bands_cover_the_next_year(three_years: tuple[Any, pd.Series]) -> None:
    """The holdout's own paths (Poisson arrivals, weekday pattern flat) cover most of 2023's
    months in their 90% bands."""
    fit, local = three_years
    days = pd.date_range("2023-01-01", "2023-12-31")
    paths = demand_paths(fit, days, np.ones(7), 400, np.random.default_rng(0))
    month = days.to_period("M")
    periods = month.unique()
    totals = np.stack([paths[:, month == p].sum(axis=1) for p in periods], axis=1)
    real = local[local >= pd.Timestamp("2023-01-01")].dt.to_period("M").value_counts()
    truth = np.array([real.get(p, 0) for p in periods])
    low, high = np.quantile(totals, [0.05, 0.95], axis=0)
    assert np.mean((truth >= low) & (truth <= high)) >= 9 / 12


def test_a_gap_year_does_not_crash() -> None:
    """A daily log of 2020 and 2022 with 2021 empty (a gap event): each month of the year seen
    twice, so seasons are tried, scored only from origins with every month seen before them."""
    local = created(2)
    local = local[(local < pd.Timestamp("2021-01-01")) | (local >= pd.Timestamp("2022-01-01"))]
    fit = fit_calendar(local[local < pd.Timestamp("2023-01-01")])
    assert any(e.multiplier == 0 for e in fit.events)
    yearly = yearly_seasons(fit)
    assert yearly is not None and "level + season" in yearly["cv_mape"]
    paths = demand_paths(
        fit, pd.date_range("2023-01-01", periods=60), np.ones(7), 50, np.random.default_rng(0)
    )
    assert np.all(paths >= 0)
