"""The demand forecast's 90% bands cover at their nominal rate on synthetic logs of known truth.

Each scenario draws many monthly logs (a true rate with an 8% month-to-month scatter, Poisson
orders on top), fits the model on the first year, simulates the next six months' orders from the
forecast paths (:meth:`MonthlyForecast.month_totals`, Poisson on top as the engine does) and
counts how often the log's months fall inside the 5-95% band. The model is the scenario's own
(the choice between models is cross-validation's, tested in test_demand_forecast.py), so a miss
here is the bands' fault: the counting variance, the state, the parameter draws.
"""

from __future__ import annotations

from collections.abc import Callable

import numpy as np
import pandas as pd
import pytest

from scenarios.calibration.monthly_forecast import MonthlyForecast, fit_from_kind

TRAIN, TEST, SERIES, PATHS = 12, 6, 24, 200
SCATTER = 0.08
MONTH = np.arange(TRAIN + TEST)
SCENARIOS: dict[str, tuple[str, Callable[[np.ndarray], np.ndarray]]] = {
    "flat": ("level", lambda m: np.full(len(m), 300.0)),
    "trend": ("trend", lambda m: 100.0 * 1.08**m),
    # 40 orders in the first month, growth fading by 0.85 a month: ~230 a month by the end
    "small early months": ("damped trend", lambda m: 40.0 * np.exp(np.cumsum(0.3 * 0.85**m) - 0.3)),
}


def coverage(name: str, seed: int = 0, **uncertainty: bool) -> float:
    """Share of the scenario's forecast months inside their 90% band (``uncertainty``: what
    :meth:`MonthlyForecast.month_totals` draws, all by default)."""
    kind, truth = SCENARIOS[name]
    rng = np.random.default_rng(seed)
    months = pd.period_range("2020-01", periods=TRAIN, freq="M")
    inside = []
    for _ in range(SERIES):
        rate = truth(MONTH) * np.exp(SCATTER * rng.standard_normal(len(MONTH)))
        log = rng.poisson(rate).astype(float)
        forecast: MonthlyForecast = fit_from_kind(kind, months, log[:TRAIN], log[:TRAIN])
        paths = forecast.month_totals(TEST, PATHS, rng, **uncertainty)
        low, high = np.quantile(rng.poisson(paths), [0.05, 0.95], axis=0)
        inside.append((log[TRAIN:] >= low) & (log[TRAIN:] <= high))
    return float(np.mean(inside))


@pytest.fixture(scope="module")
def covered() -> dict[str, float]:
    return {name: coverage(name) for name in SCENARIOS}


@pytest.mark.parametrize("name", list(SCENARIOS))
def test_bands_cover_at_their_nominal_rate(covered: dict[str, float], name: str) -> None:
    """144 forecast months a scenario: 90% bands cover 70-97% of them (binomial sd ~2.5 points,
    more with six months of a series sharing one fit). Measured on 100 series a scenario (seed
    7): flat 0.85, trend 0.84, small early months 0.79 — a few points under nominal: twelve
    months leave the maximum-likelihood variances low."""
    assert 0.70 <= covered[name] <= 0.97, covered


def test_bands_without_the_state_uncertainty_are_caught_too_narrow(
    covered: dict[str, float],
) -> None:
    """Break on purpose: forecasts from the last month's filtered mean, as if level and trend
    were known, cover well under the nominal rate where a trend is carried forward (100 series:
    trend 0.71, small early months 0.71). Holding the parameters at their estimates instead is
    not caught at this power: on 100 series it moves coverage by -3 to +4 points (flat 0.84,
    trend 0.875, small early months 0.75), since most variances sit at an edge and are held."""
    trended = ("trend", "small early months")
    broken = np.mean([coverage(name, draw_state=False) for name in trended])
    assert broken < 0.75
    assert broken < np.mean([covered[name] for name in trended]) - 0.05
