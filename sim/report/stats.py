"""Statistics across replications: t-intervals, paired differences under common random numbers,
comparison with the best, risk views and how many replications a target half-width needs.

Every function takes plain numbers (one value per replication) and returns small frozen records,
so the aggregator, the tuner and the tests share one implementation. Intervals are two-sided
Student-t intervals (Law, *Simulation Modeling and Analysis*, ch. 9-10); the comparison with the
best is Hsu's MCB with Bonferroni-adjusted paired intervals (Nelson & Matejcik 1995), valid under
common random numbers.
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass

import numpy as np
from scipy import stats

CONFIDENCE = 0.95
MAX_REPLICATIONS = 100_000


@dataclass(frozen=True)
class Interval:
    """Mean of ``n`` replications with a two-sided t confidence interval."""

    mean: float
    low: float
    high: float
    sd: float
    n: int

    @property
    def half_width(self) -> float:
        return (self.high - self.low) / 2.0


@dataclass(frozen=True)
class Difference:
    """Mean difference (treatment - reference) with its interval and two-sided p-value."""

    interval: Interval
    p_value: float


@dataclass(frozen=True)
class BestVerdict:
    """Hsu's MCB interval for ``mean_i - best of the others`` (in the better direction)."""

    name: str
    low: float
    high: float

    @property
    def can_be_best(self) -> bool:
        return self.high > 0.0

    @property
    def is_best(self) -> bool:
        return self.low >= 0.0 and self.high > 0.0


@dataclass(frozen=True)
class RiskView:
    """Spread of one KPI across replications: the tails a planner should see beside the mean."""

    best: float
    mean: float
    worst: float
    p5: float
    p95: float


def _clean(values: Sequence[float] | np.ndarray) -> np.ndarray:
    a = np.asarray(values, dtype=float)
    return a[np.isfinite(a)]


def t_quantile(n: int, confidence: float = CONFIDENCE) -> float:
    """Two-sided Student-t critical value for ``n`` observations."""
    return float(stats.t.ppf(0.5 + confidence / 2.0, n - 1))


def t_interval(values: Sequence[float] | np.ndarray, confidence: float = CONFIDENCE) -> Interval:
    """Mean and t-interval of independent replications (NaN bounds with fewer than two)."""
    a = _clean(values)
    n = len(a)
    if n == 0:
        return Interval(math.nan, math.nan, math.nan, math.nan, 0)
    mean = float(a.mean())
    if n < 2:
        return Interval(mean, math.nan, math.nan, math.nan, n)
    sd = float(a.std(ddof=1))
    half = t_quantile(n, confidence) * sd / math.sqrt(n)
    return Interval(mean, mean - half, mean + half, sd, n)


def _p_value(mean: float, se: float, dof: float) -> float:
    if not math.isfinite(se) or dof <= 0:
        return math.nan
    if se == 0.0:
        return 1.0 if mean == 0.0 else 0.0
    return float(2.0 * stats.t.sf(abs(mean / se), dof))


def paired_difference(
    treatment: Sequence[float] | np.ndarray,
    reference: Sequence[float] | np.ndarray,
    confidence: float = CONFIDENCE,
) -> Difference:
    """Paired-t interval of ``treatment - reference`` replication by replication (same seeds).

    Under common random numbers the pairs are positively correlated, so the variance of the
    difference is smaller than the sum of the variances: a narrower interval for the same runs.
    """
    t = np.asarray(treatment, dtype=float)
    r = np.asarray(reference, dtype=float)
    if t.shape != r.shape:
        raise ValueError(f"paired samples differ in length: {t.shape} vs {r.shape}")
    d = _clean(t - r)
    interval = t_interval(d, confidence)
    se = interval.sd / math.sqrt(interval.n) if interval.n >= 2 else math.nan
    return Difference(interval, _p_value(interval.mean, se, interval.n - 1))


def welch_difference(
    treatment: Sequence[float] | np.ndarray,
    reference: Sequence[float] | np.ndarray,
    confidence: float = CONFIDENCE,
) -> Difference:
    """Unpaired (Welch) interval of the difference of means: what independent seeds would give."""
    t, r = _clean(treatment), _clean(reference)
    if len(t) < 2 or len(r) < 2:
        nan = Interval(math.nan, math.nan, math.nan, math.nan, min(len(t), len(r)))
        return Difference(nan, math.nan)
    vt, vr = t.var(ddof=1) / len(t), r.var(ddof=1) / len(r)
    se = math.sqrt(vt + vr)
    denom = vt**2 / (len(t) - 1) + vr**2 / (len(r) - 1)
    dof = (vt + vr) ** 2 / denom if denom > 0 else float(len(t) + len(r) - 2)
    mean = float(t.mean() - r.mean())
    half = float(stats.t.ppf(0.5 + confidence / 2.0, dof)) * se
    interval = Interval(mean, mean - half, mean + half, se, min(len(t), len(r)))
    return Difference(interval, _p_value(mean, se, dof))


def compare_with_best(
    samples: Mapping[str, Sequence[float] | np.ndarray],
    higher_is_better: bool,
    confidence: float = CONFIDENCE,
) -> list[BestVerdict]:
    """Hsu's multiple comparisons with the best, for systems run on the same seeds.

    ``samples`` maps each system to its replications, aligned by seed. For each system ``i`` the
    interval bounds ``mean_i - max_{j != i} mean_j`` (sign flipped when lower is better); a system
    whose upper bound is 0 is statistically not the best, one whose lower bound is >= 0 is the
    best. Paired intervals use ``1 - alpha / (k - 1)`` each (Bonferroni), so the set holds jointly
    at ``confidence``.
    """
    names = list(samples)
    k = len(names)
    if k < 2:
        return [BestVerdict(name, 0.0, math.inf) for name in names]
    sign = 1.0 if higher_is_better else -1.0
    data = {n: sign * np.asarray(samples[n], dtype=float) for n in names}
    level = 1.0 - (1.0 - confidence) / (k - 1)
    verdicts = []
    for i in names:
        lows, highs = [], []
        for j in names:
            if j == i:
                continue
            diff = paired_difference(data[i], data[j], level).interval
            half = diff.half_width if math.isfinite(diff.half_width) else math.inf
            lows.append(diff.mean - half)
            highs.append(diff.mean + half)
        verdicts.append(BestVerdict(i, min(0.0, min(lows)), max(0.0, min(highs))))
    return verdicts


def risk_view(values: Sequence[float] | np.ndarray, higher_is_better: bool | None) -> RiskView:
    """Best, mean and worst replication and the 5th/95th percentiles (linear interpolation)."""
    a = _clean(values)
    if len(a) == 0:
        return RiskView(math.nan, math.nan, math.nan, math.nan, math.nan)
    low, high = float(a.min()), float(a.max())
    best, worst = (high, low) if higher_is_better else (low, high)
    p5, p95 = (float(q) for q in np.percentile(a, [5.0, 95.0]))
    return RiskView(best, float(a.mean()), worst, p5, p95)


def replications_needed(
    sd: float,
    replications_run: int,
    half_width: float,
    confidence: float = CONFIDENCE,
) -> int:
    """Replications for a t-interval of at most ``half_width``, given the spread seen so far.

    The usual sequential estimate (Law, sec. 9.4.1): the smallest ``n`` with
    ``t_{n-1} * sd / sqrt(n) <= half_width``, ``sd`` the sample standard deviation of the
    replications run so far (so a result at or below ``replications_run`` means: enough). -1 when
    fewer than two replications give no spread to go on.
    """
    if replications_run < 2 or half_width <= 0 or not math.isfinite(sd):
        return -1
    if sd == 0.0:
        return replications_run
    z = float(stats.norm.ppf(0.5 + confidence / 2.0))
    n = max(2, math.ceil((z * sd / half_width) ** 2))  # the normal guess is a lower bound
    while n < MAX_REPLICATIONS and t_quantile(n, confidence) * sd / math.sqrt(n) > half_width:
        n += 1
    return n


def days_for_power(
    effect: float,
    sd_daily: float,
    lag1_autocorrelation: float = 0.0,
    alpha: float = 1.0 - CONFIDENCE,
    power: float = 0.8,
) -> float:
    """Days a pilot must run to detect ``effect`` in a daily difference series (two-sided test).

    ``n = ((z_{1-alpha/2} + z_power) * sd / effect)^2``, inflated by ``(1 + rho) / (1 - rho)``
    for a lag-1 autocorrelation ``rho`` of the daily values (days are not independent when
    backlogs carry over).
    """
    if effect == 0 or not math.isfinite(effect) or not math.isfinite(sd_daily):
        return math.inf
    rho = min(max(lag1_autocorrelation, 0.0), 0.95)
    z = float(stats.norm.ppf(1.0 - alpha / 2.0) + stats.norm.ppf(power))
    return (z * sd_daily / abs(effect)) ** 2 * (1.0 + rho) / (1.0 - rho)
