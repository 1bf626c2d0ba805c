"""Warm-up detection by MSER-5 (White 1997; White, Cobb & Spratt 2000).

The series is cut into batches of five observations; for each truncation point ``d`` (in batches)
the marginal standard error ``MSER(d) = sum_{i>d} (Y_i - mean_d)^2 / (m - d)^2`` of the remaining
batch means is computed, and the ``d`` that minimises it over the first half of the series is the
warm-up. A minimum in the second half means the series never settled: the rule then refuses.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

BATCH = 5
TAIL_BATCHES = 5


@dataclass(frozen=True)
class Truncation:
    """Where MSER-5 cuts a series: observations to drop, and whether the rule found a cut."""

    observations: int
    settled: bool


def mser(batch_means: np.ndarray) -> np.ndarray:
    """MSER statistic for every truncation point 0..m-1 of a series of batch means."""
    y = np.asarray(batch_means, dtype=float)
    m = len(y)
    tail_count = np.arange(m, 0, -1, dtype=float)  # m - d
    tail_sum = np.cumsum(y[::-1])[::-1]
    tail_sq = np.cumsum((y * y)[::-1])[::-1]
    tail_mean = tail_sum / tail_count
    sse = np.maximum(tail_sq - tail_count * tail_mean**2, 0.0)
    return sse / tail_count**2


def mser5(series: np.ndarray | list[float]) -> Truncation:
    """Warm-up of one output series by MSER-5; the series must hold at least 10 batches."""
    y = np.asarray(series, dtype=float)
    m = len(y) // BATCH
    if m < 10:
        return Truncation(0, settled=False)
    batch_means = y[: m * BATCH].reshape(m, BATCH).mean(axis=1)
    stat = mser(batch_means)
    half = m // 2
    d = int(np.argmin(stat[: half + 1]))
    rest = stat[half + 1 : m - TAIL_BATCHES]  # the last few points rest on too few batches
    settled = bool(rest.size == 0 or stat[d] <= rest.min())
    return Truncation(d * BATCH, settled)
