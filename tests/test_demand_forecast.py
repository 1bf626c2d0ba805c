"""The holdout forecast on synthetic logs: flat, and falling 60% in its last four months.

A forecast that only extrapolates growth, or holds a level the log has left, fails these: the
flat log must get narrow bands that cover and tie the naive mean of the last three months; the
falling one must be followed down, beating the naive forecast that lags behind it.
"""

from __future__ import annotations

from typing import Any

import numpy as np
import pandas as pd
import pytest

from scenarios.calibration.counted_level import draw_space_cov, near_bound, parameter_draws
from scenarios.calibration.monthly_forecast import fit_monthly_forecast
from sim.backtest.forecast import holdout

START, END = pd.Timestamp("2020-01-01"), pd.Timestamp("2021-07-01")
DAYS = pd.date_range(START, END - pd.Timedelta(days=1))
MONTH = ((DAYS.year - 2020) * 12 + DAYS.month - 1).to_numpy()
FLAT = np.full(len(DAYS), 10.0)  # ~300 orders a month
# flat for a year, then -15% of it a month from 2021-01 to 2021-04 (60% down), then held
FALLING = np.maximum(10.0 * (1.0 - 0.15 * np.maximum(MONTH - 11, 0)), 4.0)


def created(rate_per_day: np.ndarray, seed: int) -> pd.Series:
    """Local creation times: Poisson orders per day, uniform within the day."""
    rng = np.random.default_rng(seed)
    n = rng.poisson(rate_per_day)
    hours = pd.to_timedelta(rng.random(int(n.sum())) * 24.0, unit="h")
    return pd.Series(np.sort(np.repeat(DAYS.to_numpy(), n) + hours.to_numpy()))


@pytest.fixture(scope="module")
def flat() -> dict[str, Any]:
    return holdout(created(FLAT, 1), pd.Timestamp("2021-01-01"), END, np.ones(7))


@pytest.fixture(scope="module")
def falling() -> dict[str, Any]:
    return holdout(created(FALLING, 1), pd.Timestamp("2021-05-01"), END, np.ones(7))


def test_flat_log_narrow_bands_that_cover_and_tie_naive(flat: dict[str, Any]) -> None:
    assert flat["n"] == 6
    assert flat["inside"] >= 5
    assert flat["median_half_width"] <= 0.25
    assert flat["mape"] <= flat["naive"]["mape"] + 0.02


def test_falling_log_is_followed_down(falling: dict[str, Any]) -> None:
    assert falling["n"] == 2
    assert falling["inside"] == 2
    assert falling["mape"] < falling["naive"]["mape"] - 0.1  # naive lags a third behind
    assert max(falling["high"]) < 0.8 * 300  # the old level is outside the bands


def test_parameters_at_an_edge_are_held_in_the_draws() -> None:
    """A variance the fit puts at zero (no trend innovations on a log that falls then holds)
    is held in the draws, not drawn as a normal around zero; the others are drawn."""
    local = created(FALLING, 2)
    per_day = np.bincount(((local - START).dt.days).to_numpy(), minlength=len(DAYS))
    forecast = fit_monthly_forecast(START, per_day[: (pd.Timestamp("2021-04-01") - START).days])
    assert forecast is not None
    result = forecast.result
    params = np.asarray(result.params, dtype=float)
    held = near_bound(forecast.chosen, params, draw_space_cov(result))
    assert held.any() and not held.all()
    drawn = parameter_draws(result, 50, np.random.default_rng(0))
    assert np.all(drawn[:, held] == params[held])
    assert np.all(drawn[:, ~held].std(axis=0) > 0)
    assert "held" in forecast.note()


def test_a_holdout_scenario_follows_the_forecast_past_the_cut() -> None:
    """calibrate --until writes the forecast's monthly medians as knots past the cut: the
    falling log's twin runs on at the fallen level, not at the year's mean."""
    from scenarios.calibration.calendar import fit_calendar
    from scenarios.calibration.calibrate import _projected_knots

    local = created(FALLING, 1)
    before = local[local < pd.Timestamp("2021-05-01")]
    fit = fit_calendar(before)
    mean_per_day = float(fit.counts.mean())
    knots = _projected_knots(fit, mean_per_day, np.random.default_rng(0))
    assert [k["date"] for k in knots[:2]] == ["2021-05-15", "2021-06-15"]
    assert len(knots) == 12
    level_now = 4.0 / mean_per_day  # the fallen rate, relative to the fitted mean
    assert all(abs(k["level"] / level_now - 1.0) < 0.25 for k in knots[:3])
