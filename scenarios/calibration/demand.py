"""Fit the demand process of an order log: base rate x hour-of-day x day-of-week, plus bursts.

The engine's arrivals are a non-homogeneous Poisson process whose rate is ``base x hourly[hour] x
weekly[day]`` (profiles of mean 1) plus bursts. Here the multiplicative model is fitted to the
hourly counts by Poisson maximum likelihood (iterative proportional fitting, exact for this
log-linear model), with burst hours left out; bursts are the sustained peaks over that profile:
hours whose count the profile makes very unlikely (Poisson tail p < 1e-6) and at least 1.5x what it
expects. Each burst's start, ramp, peak multiplier and decay are then fitted on minute counts by
Poisson maximum likelihood, with the profile as the baseline.

Times are hours from the Monday 00:00 (local wall time of the log's first order) before the
log's first order, the engine's hour 0.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import numpy as np
from scipy import optimize, stats

BURST_P = 1e-6
BURST_MIN_RATIO = 1.5
BURST_MIN_EXTRA = 10.0  # orders above the profile in an hour: fewer is noise on a quiet hour
FIT_ROUNDS = 3
MINUTE_H = 1.0 / 60.0
SUB_STEPS = 6  # evaluations of the burst shape per minute bin


@dataclass(frozen=True)
class BurstFit:
    start_h: float
    ramp_h: float
    peak_multiplier: float
    decay_tau_h: float
    duration_h: float
    extra_orders: float  # orders above the profile


@dataclass(frozen=True)
class DemandFit:
    base_rate_per_h: float
    hourly_profile: np.ndarray  # 24, mean 1
    weekly_profile: np.ndarray  # 7, mean 1
    window_h: tuple[float, float]  # whole hours observed (from hour 0)
    bursts: tuple[BurstFit, ...]
    burst_hours: np.ndarray  # absolute hours left out of the profile fit
    weekdays_seen: np.ndarray = field(default_factory=lambda: np.ones(7, bool))
    shrinkage: dict[str, Any] = field(default_factory=dict)  # per profile: test and weight
    weight: np.ndarray | None = None  # calendar multiplier per hour of the window (None: 1)

    def expected_per_h(self, hours: np.ndarray) -> np.ndarray:
        """Profile rate (no bursts) at absolute whole hours, times the calendar's multiplier."""
        h = np.asarray(hours, dtype=np.int64)
        day = (h // 24) % 7
        rate = self.base_rate_per_h * self.hourly_profile[h % 24] * self.weekly_profile[day]
        if self.weight is not None:
            i = np.clip(h - int(self.window_h[0]), 0, len(self.weight) - 1)
            rate = rate * self.weight[i]
        return rate

    def in_burst(self, created_h: np.ndarray) -> np.ndarray:
        """Orders created during a fitted burst."""
        out = np.zeros(len(created_h), dtype=bool)
        for b in self.bursts:
            out |= (created_h >= b.start_h) & (created_h < b.start_h + b.duration_h)
        return out


SHRINK_P = 0.05  # chi-square p above which a profile is reported as indistinguishable from flat


def shrink_toward_flat(multipliers: np.ndarray, counts: np.ndarray) -> tuple[np.ndarray, dict]:
    """Empirical-Bayes shrinkage of a profile toward flat (all 1).

    Bin ``i`` with ``n_i`` orders and fitted multiplier ``m_i`` has sampling variance about
    ``m_i^2 / n_i``; the spread of true multipliers is ``tau^2 = max(0, mean (m_i - 1)^2 -
    mean m_i^2 / n_i)`` (method of moments), and each bin keeps the weight ``tau^2 / (tau^2 +
    m_i^2 / n_i)`` on its own value. A flat process gives ``tau^2`` near 0, so its profile comes
    out flat instead of fitted to noise; a clear daily rhythm keeps nearly all of its shape. The
    chi-square test of the counts against flat is reported beside it.
    """
    from scipy import stats as st

    m = np.asarray(multipliers, dtype=float)
    n = np.maximum(np.asarray(counts, dtype=float), 1e-9)
    noise = m**2 / n
    tau2 = max(float(np.mean((m - 1.0) ** 2) - np.mean(noise)), 0.0)
    weight = tau2 / (tau2 + noise) if tau2 > 0 else np.zeros(len(m))
    shrunk = 1.0 + weight * (m - 1.0)
    shrunk = shrunk / shrunk.mean()
    flat = max(float(counts.sum()) / len(m), 1e-9)  # full weeks: every bin has equal exposure
    chi2 = float(np.sum((counts - flat) ** 2 / flat))
    p = float(st.chi2.sf(chi2, len(m) - 1)) if counts.sum() > 0 else 1.0
    return shrunk, {
        "chi2_p_vs_flat": p,
        "flat_by_test": bool(p > SHRINK_P),
        "tau": float(np.sqrt(tau2)),
        "mean_weight_kept": float(np.mean(weight)),
    }


def fit_profile(
    counts: np.ndarray,
    hours: np.ndarray,
    use: np.ndarray,
    weight: np.ndarray | None = None,
    shrinkage: dict[str, Any] | None = None,
) -> tuple[float, np.ndarray, np.ndarray]:
    """Poisson MLE of base x hourly x weekly on per-hour counts (``use`` masks hours in), each
    hour's exposure scaled by the calendar's ``weight``; both profiles then shrunk toward flat
    (:func:`shrink_toward_flat`, its tests written into ``shrinkage``)."""
    hod, dow = hours % 24, (hours // 24) % 7
    w = np.ones(len(hours)) if weight is None else weight
    use = use & (w > 0)
    n = np.zeros((7, 24))
    exposure = np.zeros((7, 24))
    np.add.at(n, (dow[use], hod[use]), counts[use])
    np.add.at(exposure, (dow[use], hod[use]), w[use])
    hourly, weekly = np.ones(24), np.ones(7)
    seen_h, seen_d = exposure.sum(0) > 0, exposure.sum(1) > 0
    for _ in range(100):
        hourly_new = n.sum(0) / np.maximum((exposure * weekly[:, None]).sum(0), 1e-12)
        weekly_new = n.sum(1) / np.maximum((exposure * hourly_new[None, :]).sum(1), 1e-12)
        done = np.allclose(hourly_new, hourly, rtol=1e-10) and np.allclose(weekly_new, weekly)
        hourly, weekly = hourly_new, weekly_new
        if done:
            break
    hourly[~seen_h] = hourly[seen_h].mean()  # never observed: carry the mean, and say so
    weekly[~seen_d] = weekly[seen_d].mean()
    h_mean, w_mean = hourly.mean(), weekly.mean()
    base = float(h_mean * w_mean)
    hourly, weekly = hourly / h_mean, weekly / w_mean
    hourly, hour_test = shrink_toward_flat(hourly, n.sum(0))
    weekly, week_test = shrink_toward_flat(weekly, n.sum(1))
    if shrinkage is not None:
        shrinkage.update(hourly=hour_test, weekly=week_test)
    return base, hourly, weekly


def _burst_rate(t_h: np.ndarray, start: float, ramp: float, tau: float, end: float) -> np.ndarray:
    """The engine's burst shape (0-1): linear ramp, exponential decay, nothing after ``end``."""
    dt = t_h - start
    rise = np.clip(dt / ramp, 0.0, 1.0) if ramp > 0 else (dt >= 0) * 1.0
    shape = rise * np.exp(-np.maximum(dt - ramp, 0.0) / tau)
    return np.where((dt >= 0) & (t_h < end), shape, 0.0)


def _fit_burst(
    created_h: np.ndarray, first_h: int, last_h: int, fit: DemandFit, window_end_h: float
) -> BurstFit:
    """Start, ramp, peak and decay of one burst, by Poisson MLE on minute counts."""
    lo, hi = float(first_h - 1), float(min(last_h + 2, window_end_h))
    edges = np.arange(lo, hi + MINUTE_H / 2, MINUTE_H)
    counts, _ = np.histogram(created_h, edges)
    base = fit.expected_per_h(np.floor(edges[:-1]).astype(np.int64)) * MINUTE_H
    sub = edges[:-1, None] + (np.arange(SUB_STEPS) + 0.5)[None, :] * MINUTE_H / SUB_STEPS
    excess = np.maximum(counts - base, 0.0)
    loud = np.flatnonzero(counts > base + 4 * np.sqrt(base) + 2)
    start0 = float(edges[loud[0]]) if len(loud) else float(first_h)
    peak0 = max(np.convolve(excess, np.ones(3) / 3, "same").max() / MINUTE_H, 1.0)
    tau0 = max(excess.sum() / peak0, 2 * MINUTE_H)

    def rate(theta: np.ndarray) -> np.ndarray:
        start, log_peak, log_tau, log_ramp = theta
        shape = _burst_rate(sub, start, np.exp(log_ramp), np.exp(log_tau), hi).mean(axis=1)
        return base + np.exp(log_peak) * MINUTE_H * shape

    def nll(theta: np.ndarray) -> float:
        lam = rate(theta)
        return float(np.sum(lam - counts * np.log(lam)))

    theta0 = np.array([start0 - MINUTE_H, np.log(peak0), np.log(tau0), np.log(MINUTE_H)])
    best = optimize.minimize(nll, theta0, method="Nelder-Mead", options={"maxiter": 4000})
    start, log_peak, log_tau, log_ramp = best.x
    tau = float(np.exp(log_tau))
    extra = float(np.sum(rate(best.x) - base))
    duration = max(5.0 * tau, float(last_h + 1) - start)
    duration = float(min(np.ceil(duration * 4) / 4, hi - start))
    return BurstFit(
        start_h=float(start),
        ramp_h=float(np.exp(log_ramp)),
        peak_multiplier=1.0 + float(np.exp(log_peak)) / fit.base_rate_per_h,
        decay_tau_h=tau,
        duration_h=duration,
        extra_orders=extra,
    )


def _runs(flags: np.ndarray) -> list[tuple[int, int]]:
    """(first, last) index of each run of True."""
    idx = np.flatnonzero(flags)
    if not len(idx):
        return []
    breaks = np.flatnonzero(np.diff(idx) > 1)
    firsts = np.concatenate([[idx[0]], idx[breaks + 1]])
    lasts = np.concatenate([idx[breaks], [idx[-1]]])
    return list(zip(firsts.tolist(), lasts.tolist(), strict=True))


def fit_demand(
    created_h: np.ndarray, weight_at: Callable[[np.ndarray], np.ndarray] | None = None
) -> DemandFit:
    """Fit the profile and its bursts to creation times (hours from hour 0, a Monday 00:00).

    ``weight_at`` gives the calendar's multiplier (level x events) at absolute hours: with it the
    profile is fitted on top of the level, hours in gaps are left out, and bursts are hours the
    level and profile cannot explain; days the calendar already marks as events are not bursts.
    """
    start_h = int(np.floor(created_h.min()))
    end_h = int(np.floor(created_h.max())) + 1
    hours = np.arange(start_h, end_h)
    counts = np.bincount(np.floor(created_h).astype(np.int64) - start_h, minlength=len(hours))
    weight = None if weight_at is None else np.asarray(weight_at(hours), dtype=float)
    use = np.ones(len(hours), dtype=bool)
    fit: DemandFit | None = None
    shrinkage: dict[str, Any] = {}
    for _ in range(FIT_ROUNDS):
        base, hourly, weekly = fit_profile(counts.astype(float), hours, use, weight, shrinkage)
        fit = DemandFit(
            base, hourly, weekly, (float(start_h), float(end_h)), (), hours[~use], weight=weight
        )
        expected = fit.expected_per_h(hours)
        p_high = stats.poisson.sf(counts - 1, np.maximum(expected, 1e-12))
        flagged = (p_high < BURST_P) & (counts >= BURST_MIN_RATIO * expected)
        flagged &= counts - expected >= BURST_MIN_EXTRA
        if np.array_equal(~flagged, use):
            break
        use = ~flagged
    assert fit is not None
    bursts = tuple(
        _fit_burst(created_h, int(hours[a]), int(hours[b]), fit, end_h) for a, b in _runs(~use)
    )
    seen = np.zeros(7, dtype=bool)
    seen[np.unique((hours // 24) % 7)] = True
    return DemandFit(
        fit.base_rate_per_h,
        fit.hourly_profile,
        fit.weekly_profile,
        fit.window_h,
        bursts,
        hours[~use],
        seen,
        shrinkage,
        weight,
    )


def burst_mix(
    names: np.ndarray, created_h: np.ndarray, burst: BurstFit, base_share: dict[str, float]
) -> dict[str, float]:
    """Shares of a burst's extra orders by category: window counts minus the usual mix."""
    inside = (created_h >= burst.start_h) & (created_h < burst.start_h + burst.duration_h)
    n_inside = int(inside.sum())
    baseline = max(n_inside - burst.extra_orders, 0.0)
    found: dict[str, Any] = {}
    values, counts = np.unique(names[inside], return_counts=True)
    for name, count in zip(values.tolist(), counts.tolist(), strict=True):
        found[str(name)] = max(count - baseline * base_share.get(str(name), 0.0), 0.0)
    total = sum(found.values())
    return {k: v / total for k, v in found.items() if v > 0} if total > 0 else {}
