"""The report's statistics against scipy and against what they promise."""

from __future__ import annotations

import math

import numpy as np
import pytest
from scipy import stats as sps

from sim.report import stats
from sim.report.warmup import mser5


def test_t_interval_matches_scipy() -> None:
    x = np.random.default_rng(3).normal(10.0, 2.0, 12)
    ci = stats.t_interval(x)
    low, high = sps.t.interval(0.95, len(x) - 1, loc=x.mean(), scale=sps.sem(x))
    assert ci.low == pytest.approx(low)
    assert ci.high == pytest.approx(high)
    assert ci.n == 12 and ci.half_width == pytest.approx((high - low) / 2)


def test_t_interval_with_one_value_has_no_bounds() -> None:
    ci = stats.t_interval([4.0, float("nan")])
    assert ci.mean == 4.0 and ci.n == 1 and math.isnan(ci.low)


def test_paired_difference_matches_ttest_rel() -> None:
    rng = np.random.default_rng(5)
    base = rng.normal(14.0, 1.0, 8)
    treat = base - 0.3 + rng.normal(0.0, 0.1, 8)
    d = stats.paired_difference(treat, base)
    ref = sps.ttest_rel(treat, base)
    assert d.p_value == pytest.approx(ref.pvalue)
    low, high = ref.confidence_interval(0.95)
    assert (d.interval.low, d.interval.high) == pytest.approx((low, high))


def test_welch_difference_matches_ttest_ind() -> None:
    rng = np.random.default_rng(6)
    a, b = rng.normal(1.0, 1.0, 9), rng.normal(0.0, 2.0, 7)
    d = stats.welch_difference(a, b)
    ref = sps.ttest_ind(a, b, equal_var=False)
    assert d.p_value == pytest.approx(ref.pvalue)
    low, high = ref.confidence_interval(0.95)
    assert (d.interval.low, d.interval.high) == pytest.approx((low, high))


def test_pairing_under_common_random_numbers_is_narrower() -> None:
    """Shared noise (same seed under both policies) cancels in the paired difference only."""
    rng = np.random.default_rng(7)
    shared = rng.normal(0.0, 3.0, 10)  # what the seed decides: demand, weather
    baseline = 20.0 + shared + rng.normal(0.0, 0.2, 10)
    policy = 19.5 + shared + rng.normal(0.0, 0.2, 10)
    paired = stats.paired_difference(policy, baseline)
    unpaired = stats.welch_difference(policy, baseline)
    assert paired.interval.half_width < unpaired.interval.half_width / 5
    assert paired.interval.high < 0 < unpaired.interval.high  # only pairing sees the gain


def test_constant_difference_is_certain() -> None:
    d = stats.paired_difference([3.0, 4.0, 5.0], [2.0, 3.0, 4.0])
    assert d.interval.half_width == 0.0 and d.p_value == 0.0


def test_compare_with_best_picks_the_clear_winner_and_keeps_close_ones() -> None:
    rng = np.random.default_rng(11)
    shared = rng.normal(0.0, 1.0, 10)
    samples = {
        "a": 10.0 + shared + rng.normal(0, 0.05, 10),
        "b": 12.0 + shared + rng.normal(0, 0.05, 10),  # clearly lowest cost is "a"
        "c": 10.02 + shared + rng.normal(0, 0.05, 10),  # too close to "a" to separate
    }
    verdicts = {v.name: v for v in stats.compare_with_best(samples, higher_is_better=False)}
    assert not verdicts["b"].can_be_best
    assert verdicts["a"].can_be_best and verdicts["c"].can_be_best
    assert not verdicts["a"].is_best  # c cannot be ruled out


def test_compare_with_best_names_a_sole_best() -> None:
    rng = np.random.default_rng(12)
    shared = rng.normal(0.0, 1.0, 8)
    samples = {
        name: shift + shared + rng.normal(0, 0.05, 8)
        for name, shift in (("x", 0.0), ("y", 1.0), ("z", 2.0))
    }
    verdicts = {v.name: v for v in stats.compare_with_best(samples, higher_is_better=True)}
    assert verdicts["z"].is_best
    assert [n for n, v in verdicts.items() if v.can_be_best] == ["z"]


def test_replications_needed_reaches_the_half_width() -> None:
    sd, target = 2.0, 0.5
    n = stats.replications_needed(sd, 5, target)
    assert sps.t.ppf(0.975, n - 1) * sd / math.sqrt(n) <= target
    assert sps.t.ppf(0.975, n - 2) * sd / math.sqrt(n - 1) > target
    assert stats.replications_needed(0.1, 5, target) <= 5  # already enough
    assert stats.replications_needed(1.0, 1, target) == -1  # no spread to go on


def test_risk_view_orients_best_and_worst() -> None:
    values = np.arange(1.0, 21.0)
    cost = stats.risk_view(values, higher_is_better=False)
    assert (cost.best, cost.worst) == (1.0, 20.0)
    assert cost.p5 == pytest.approx(np.percentile(values, 5))
    assert stats.risk_view(values, higher_is_better=True).best == 20.0


def test_days_for_power_matches_the_normal_formula() -> None:
    z = sps.norm.ppf(0.975) + sps.norm.ppf(0.8)
    assert stats.days_for_power(0.5, 2.0) == pytest.approx((z * 2.0 / 0.5) ** 2)
    assert stats.days_for_power(0.5, 2.0, 0.5) == pytest.approx((z * 4.0) ** 2 * 3.0)
    assert stats.days_for_power(0.0, 2.0) == math.inf


def test_mser5_finds_a_known_transient() -> None:
    """An exponential start-up transient (tau 50) in unit noise: cut well past 50, before 400."""
    t = np.arange(2000)
    cuts = [
        mser5(10.0 * np.exp(-t / 50.0) + np.random.default_rng(s).normal(0, 1, len(t)))
        for s in range(5)
    ]
    for cut in cuts:
        assert cut.settled
        assert 75 <= cut.observations <= 400
        assert cut.observations % 5 == 0


def test_mser5_leaves_a_stationary_series_alone_and_refuses_a_trend() -> None:
    rng = np.random.default_rng(2)
    assert mser5(rng.normal(0, 1, 1000)).observations <= 100
    assert not mser5(np.arange(1000) * 0.01 + rng.normal(0, 1, 1000)).settled
    assert not mser5([1.0, 2.0, 3.0]).settled  # too short to judge
