"""The backtest's volume bands from few replications hold a new realisation at their level.

History is one more realisation of the process the replications sample. With R replications,
mean +- 1.645 sd takes their mean and sd as known and holds ~79% of new realisations at R = 5,
~59% at R = 2; the t prediction interval holds 90% at any R (normal draws).
"""

from __future__ import annotations

import numpy as np
import pytest

from sim.backtest.planner import MIN_QUANTILE_REPS, bands, prediction_interval

TRIALS = 20_000


def held(replications: int, interval: object, seed: int) -> float:
    rng = np.random.default_rng(seed)
    draws = rng.normal(100.0, 10.0, size=(replications, TRIALS))
    history = rng.normal(100.0, 10.0, size=TRIALS)
    low, _, high = interval(draws)  # type: ignore[operator]
    return float(np.mean((history >= low) & (history <= high)))


@pytest.mark.parametrize("replications", [2, 5, 10])
def test_few_replications_hold_ninety_percent(replications: int) -> None:
    assert abs(held(replications, bands, replications) - 0.90) < 0.01  # binomial sd 0.002


def test_the_known_sd_band_is_caught_too_narrow() -> None:
    """Break on purpose: the old mean +- 1.645 sd band."""

    def known_sd(values: np.ndarray) -> tuple[np.ndarray, ...]:
        mean, sd = values.mean(axis=0), values.std(axis=0, ddof=1)
        return mean - 1.6449 * sd, mean, mean + 1.6449 * sd

    assert held(5, known_sd, 5) < 0.82
    assert held(5, prediction_interval, 5) > 0.88


def test_many_replications_use_their_quantiles() -> None:
    values = np.arange(MIN_QUANTILE_REPS, dtype=float)[:, None]
    low, mid, high = bands(values)
    assert (low[0], mid[0], high[0]) == pytest.approx(tuple(np.quantile(values, [0.05, 0.5, 0.95])))
