"""A backtest fails when the twin misses a shift in volume, not only when an overall mean is off.

Issue 13's other log falls by 60% in its last four months; a twin holding the old level still
matches the overall mean (and 32 of 36 months sit inside its bands), so only a run of periods
outside the band on one side shows it.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from sim.backtest.holdout import Backtest
from sim.backtest.planner import SHIFT_RUN, longest_run_outside, volume_check, volume_shift

MONTHS = pd.period_range("2015-01", periods=36, freq="M")
LEVEL = np.full(36, 1000.0)
FALLING = LEVEL * np.r_[np.ones(32), 0.85, 0.7, 0.55, 0.4]  # -60% over the last four months


def twin(level: np.ndarray, seed: int, replications: int = 5) -> list[pd.Series]:
    rng = np.random.default_rng(seed)
    return [pd.Series(rng.poisson(level), index=MONTHS) for _ in range(replications)]


def history(level: np.ndarray, seed: int) -> pd.Series:
    return pd.Series(np.random.default_rng(seed).poisson(level), index=MONTHS, dtype=float)


def test_the_longest_run_by_hand() -> None:
    low, high = np.zeros(8), np.ones(8)
    real = np.array([0.5, 2, 2, -1, -1, -1, 0.5, 2])
    run = longest_run_outside([str(i) for i in range(8)], real, low, high)
    assert run == {"length": 3, "side": "below", "first": "3", "last": "5"}
    assert longest_run_outside(["a"], np.array([0.5]), low[:1], high[:1])["length"] == 0


def test_a_twin_holding_the_old_level_misses_the_fall() -> None:
    volume = {"month": volume_check(history(FALLING, 1), twin(LEVEL, 2))}
    shifts = volume_shift(volume)
    assert len(shifts) == 1 and "4 months in a row below" in shifts[0]
    assert "(2017-09 to 2017-12)" in shifts[0]
    assert volume["month"]["inside"] >= 30  # coverage alone would not tell


def test_a_twin_that_follows_the_fall_passes() -> None:
    for seed in range(5):  # several logs: a chance run of 3 months is rare (~1% of logs)
        volume = {"month": volume_check(history(FALLING, 10 + seed), twin(FALLING, 20 + seed))}
        assert volume_shift(volume) == []


def test_the_backtest_verdict_includes_it() -> None:
    """Break on purpose: every KPI and the KS pass; the missed fall alone fails the backtest."""
    planner = {"volume": {"month": volume_check(history(FALLING, 1), twin(LEVEL, 2))}}
    bt = Backtest(None, [], [], {"passed": True}, {}, planner)  # type: ignore[arg-type]
    assert bt.volume_shifts and not bt.passed
    planner = {"volume": {"month": volume_check(history(FALLING, 1), twin(FALLING, 2))}}
    assert Backtest(None, [], [], {"passed": True}, {}, planner).passed  # type: ignore[arg-type]
    assert set(SHIFT_RUN) == {"week", "month"}
