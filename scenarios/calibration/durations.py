"""Fit a duration distribution to observed hours: compare families, keep one the schema knows.

Several scipy.stats families are fitted by maximum likelihood (location fixed at 0 where the
family is for positive durations) on up to :data:`MAX_FIT_SAMPLE` values and ranked by AIC; the
best is checked with a Kolmogorov-Smirnov test. The scenario schema knows exponential, lognormal,
gamma and (truncated) normal by mean and sd, so the result is the best of those by AIC, refitted
on all values, with its mean and sd. When the best family overall (e.g. Weibull) is not one of
them, the report says how much worse the schema's choice is.

A **fixed lead time** (a carrier service always taking 48 h) is not a family's fit at all:
maximum likelihood diverges on equal values (scipy's gamma raises). A duration with at least
:data:`CONSTANT_SHARE` of its values on one value is that constant — a few odd records around it
(a daylight-saving hour read as 47 or 49 h, a correction) do not make it a spread — written as a
normal with a vanishing sd, its KS distance that of the point mass against every value. A family
that maximum likelihood cannot fit on a sample is left out of the ranking, never a traceback.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np
from scipy import stats

MAX_FIT_SAMPLE = 4000  # AIC and KS on a random subsample: enough to rank families, fast
KS_D_OK = 0.05  # largest KS distance accepted as a fit (p-values shrink with n; D does not)
MIN_DURATION_H = 1e-3  # log-families need positive values
CONSTANT_REL_SD = 1e-4  # sd of a constant duration, relative to its mean (the schema needs sd > 0)
CONSTANT_SHARE = 0.99  # at least this share of the values on one value: a fixed lead time
FAMILIES: dict[str, Any] = {
    "exponential": stats.expon,
    "lognormal": stats.lognorm,
    "gamma": stats.gamma,
    "weibull": stats.weibull_min,
    "normal": stats.norm,
}
SCHEMA_FAMILIES = ("exponential", "lognormal", "gamma", "normal")


@dataclass(frozen=True)
class FamilyFit:
    family: str
    aic: float
    ks_d: float
    ks_p: float
    mean_h: float
    sd_h: float


@dataclass(frozen=True)
class DurationFit:
    """The families compared (best AIC first) and the schema family chosen, by mean and sd."""

    n: int
    sample_mean_h: float
    sample_sd_h: float
    families: tuple[FamilyFit, ...]
    dist: str
    mean_h: float
    sd_h: float

    @property
    def best(self) -> FamilyFit:
        return self.families[0]

    @property
    def chosen(self) -> FamilyFit:
        return next(f for f in self.families if f.family == self.dist)

    @property
    def ks_ok(self) -> bool:
        return self.chosen.ks_d <= KS_D_OK

    def conf(self) -> dict[str, Any]:
        """As a scenario distribution mapping ``{dist, mean_h, sd_h}``."""
        if self.dist == "exponential":
            return {"dist": "exponential", "mean_h": round(self.mean_h, 3)}
        sd = float(f"{self.sd_h:.4g}")  # significant digits: a near-constant sd must stay > 0
        return {"dist": self.dist, "mean_h": round(self.mean_h, 3), "sd_h": sd}

    def summary(self) -> dict[str, Any]:
        return {
            "n": self.n,
            "sample_mean_h": self.sample_mean_h,
            "sample_sd_h": self.sample_sd_h,
            "chosen": self.conf(),
            "best_family": self.best.family,
            "ks_d": self.chosen.ks_d,
            "ks_ok": self.ks_ok,
            "families": [vars(f) for f in self.families],
        }


def _fit_family(name: str, sample: np.ndarray) -> FamilyFit:
    family = FAMILIES[name]
    params = family.fit(sample) if name == "normal" else family.fit(sample, floc=0.0)
    frozen = family(*params)
    loglik = float(np.sum(family.logpdf(sample, *params)))
    k = len(params) - (0 if name == "normal" else 1)  # the fixed location is not a parameter
    ks = stats.kstest(sample, frozen.cdf)
    return FamilyFit(
        name,
        2 * k - 2 * loglik,
        float(ks.statistic),
        float(ks.pvalue),
        float(frozen.mean()),
        float(frozen.std()),
    )


def _moments_normal(sample: np.ndarray) -> FamilyFit:
    mean, sd = float(sample.mean()), max(float(sample.std()), _tolerance(float(sample.mean())))
    ks = stats.kstest(sample, stats.norm(mean, sd).cdf)
    return FamilyFit("normal", float("nan"), float(ks.statistic), float(ks.pvalue), mean, sd)


def _mean_sd_on_all(family: str, values: np.ndarray) -> tuple[float, float]:
    """Maximum-likelihood mean and sd of a schema family on every value (closed form if any)."""
    if family == "lognormal":
        logs = np.log(values)
        mu, sigma = float(logs.mean()), float(logs.std())
        mean = float(np.exp(mu + sigma**2 / 2))
        return mean, mean * float(np.sqrt(np.expm1(sigma**2)))
    if family == "gamma":
        shape, _, scale = stats.gamma.fit(values, floc=0.0)
        return float(shape * scale), float(np.sqrt(shape) * scale)
    if family == "exponential":
        return float(values.mean()), float(values.mean())
    return float(values.mean()), float(values.std())


def _tolerance(value: float) -> float:
    return CONSTANT_REL_SD * max(abs(value), MIN_DURATION_H)


def constant_value(values: np.ndarray) -> float | None:
    """The value a duration is fixed at (its median), when :data:`CONSTANT_SHARE` of the values
    sit on it; else None."""
    median = float(np.median(values))
    on = np.abs(values - median) <= _tolerance(median)
    return median if float(on.mean()) >= CONSTANT_SHARE else None


def is_constant(values: np.ndarray) -> bool:
    return constant_value(np.asarray(values, dtype=float)) is not None


def _constant(values: np.ndarray, value: float) -> DurationFit:
    """A fixed lead time: a normal with a vanishing sd (the schema needs sd > 0). Its KS distance
    is the point mass's: the larger share of the values below or above it."""
    sd = value * CONSTANT_REL_SD
    tol = _tolerance(value)
    d = max(float(np.mean(values < value - tol)), float(np.mean(values > value + tol)))
    only = FamilyFit("normal", float("nan"), d, 1.0 if d == 0.0 else float("nan"), value, sd)
    return DurationFit(
        len(values), float(values.mean()), float(values.std()), (only,), "normal", value, sd
    )


def _ranked(sample: np.ndarray) -> list[FamilyFit]:
    """The families maximum likelihood could fit on ``sample``, best AIC first."""
    fits = []
    for name in FAMILIES:
        try:
            with np.errstate(all="ignore"):
                fit = _fit_family(name, sample)
        except (ValueError, RuntimeError, FloatingPointError, OverflowError):
            continue  # e.g. gamma's likelihood equation without a root on near-equal values
        if np.isfinite(fit.aic):
            fits.append(fit)
    return sorted(fits, key=lambda f: f.aic)


def fit_duration(values_h: np.ndarray, rng: np.random.Generator) -> DurationFit:
    """Rank the families on ``values_h`` by AIC and express the best schema family."""
    values = np.maximum(np.asarray(values_h, dtype=float), MIN_DURATION_H)
    fixed = constant_value(values)
    if fixed is not None:
        return _constant(values, fixed)
    sample = values
    if len(values) > MAX_FIT_SAMPLE:
        sample = rng.choice(values, MAX_FIT_SAMPLE, replace=False)
    fits = _ranked(sample)
    if not any(f.family in SCHEMA_FAMILIES for f in fits):  # normal by moments always exists
        fits.append(_moments_normal(sample))
    chosen = next(f for f in fits if f.family in SCHEMA_FAMILIES)
    dist = chosen.family
    try:
        with np.errstate(all="ignore"):
            mean_h, sd_h = _mean_sd_on_all(dist, values)
    except (ValueError, RuntimeError, FloatingPointError, OverflowError):
        mean_h, sd_h = chosen.mean_h, chosen.sd_h  # the sample's fit
    if not (np.isfinite(mean_h) and np.isfinite(sd_h)):
        mean_h, sd_h = chosen.mean_h, chosen.sd_h
    return DurationFit(
        n=len(values),
        sample_mean_h=float(values.mean()),
        sample_sd_h=float(values.std()),
        families=tuple(fits),
        dist=dist,
        mean_h=mean_h,
        sd_h=sd_h,
    )
