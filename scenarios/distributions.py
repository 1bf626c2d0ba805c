"""Duration distributions that know their mean and variance and sample by inverse CDF.

Sampling through the quantile function of a per-order uniform draw is what gives common random
numbers across policies: an order keeps its transit-time percentile whichever lane it is sent on.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from scipy import special


def _std_normal_pdf(z: float) -> float:
    return float(np.exp(-0.5 * z * z) / np.sqrt(2.0 * np.pi))


FAMILIES = ("exponential", "lognormal", "gamma", "normal", "constant")
NEEDS_SD = ("lognormal", "gamma", "normal")


@dataclass(frozen=True)
class Distribution:
    """A non-negative duration in hours, parameterised by its mean and standard deviation."""

    family: str
    mean_h: float
    sd_h: float = 0.0

    @property
    def mean(self) -> float:
        """The true mean of the durations drawn: for ``normal``, which is clipped at 0 (a
        duration is never negative), the clipped normal's mean, above ``mean_h``."""
        if self.family == "normal" and self.sd_h > 0:
            z = self.mean_h / self.sd_h
            return float(self.mean_h * special.ndtr(z) + self.sd_h * _std_normal_pdf(z))
        return self.mean_h

    @property
    def variance(self) -> float:
        if self.family == "exponential":
            return self.mean_h**2
        if self.family == "constant":
            return 0.0
        if self.family == "normal" and self.sd_h > 0:
            m, s = self.mean_h, self.sd_h
            z = m / s
            second = (m * m + s * s) * special.ndtr(z) + m * s * _std_normal_pdf(z)
            return float(second - self.mean**2)
        return self.sd_h**2

    def quantile(self, u: np.ndarray) -> np.ndarray:
        """Inverse CDF at probabilities ``u`` in (0, 1); vectorised."""
        u = np.asarray(u, dtype=float)
        m, s = self.mean_h, self.sd_h
        if self.family == "exponential":
            return -m * np.log1p(-u)
        if self.family == "constant":
            return np.full_like(u, m)
        if self.family == "lognormal":
            sigma2 = np.log1p((s / m) ** 2)
            mu = np.log(m) - sigma2 / 2.0
            return np.asarray(np.exp(mu + np.sqrt(sigma2) * special.ndtri(u)))
        if self.family == "gamma":
            shape = (m / s) ** 2
            return np.asarray(special.gammaincinv(shape, u) * (s * s / m))
        if self.family == "normal":
            return np.maximum(m + s * special.ndtri(u), 0.0)
        raise ValueError(f"unknown distribution family {self.family!r}")

    def cdf(self, x_h: np.ndarray) -> np.ndarray:
        """P(duration <= ``x_h``); vectorised, the inverse of :meth:`quantile`."""
        x = np.maximum(np.asarray(x_h, dtype=float), 0.0)
        m, s = self.mean_h, self.sd_h
        if self.family == "exponential":
            return np.asarray(-np.expm1(-x / m))
        if self.family == "constant":
            return np.where(x >= m, 1.0, 0.0)
        if self.family == "lognormal":
            sigma2 = np.log1p((s / m) ** 2)
            mu = np.log(m) - sigma2 / 2.0
            with np.errstate(divide="ignore"):
                return np.asarray(special.ndtr((np.log(x) - mu) / np.sqrt(sigma2)))
        if self.family == "gamma":
            return np.asarray(special.gammainc((m / s) ** 2, x * m / (s * s)))
        if self.family == "normal":  # clipped at 0: the mass below 0 sits at 0
            return np.asarray(special.ndtr((x - m) / s))
        raise ValueError(f"unknown distribution family {self.family!r}")

    def remaining(self, elapsed_h: np.ndarray, u: np.ndarray) -> np.ndarray:
        """What is left of a duration that has already lasted ``elapsed_h``, drawn from the law
        conditioned on lasting that long: ``F^-1(F(a) + u (1 - F(a))) - a`` (for the
        memoryless exponential, a fresh draw). Vectorised; never below 0."""
        a = np.maximum(np.asarray(elapsed_h, dtype=float), 0.0)
        if self.family == "constant":
            return np.maximum(self.mean_h - a, 0.0)
        low = self.cdf(a)
        p = np.minimum(low + np.asarray(u, dtype=float) * (1.0 - low), 1.0 - 1e-12)
        return np.maximum(self.quantile(p) - a, 0.0)
