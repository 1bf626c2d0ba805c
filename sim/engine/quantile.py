"""An exact percentile of more values than a run should hold in memory, read back chunk by chunk.

The delivery-time p90 ranks one value per delivered cohort order (18 M in a year of the `large`
network). The values go to a :class:`ValueStore` as the run records them — in memory by default,
or spilled to a scratch file by the output layer (:mod:`sim.io.scratch`) — and
:func:`exact_percentile` finds the two order statistics the percentile needs by narrowing a
histogram over a few passes through the chunks, then ranking the few values left: the same
number ``np.percentile`` gives on the whole array (its default linear method), with memory of one
chunk and the histogram.
"""

from __future__ import annotations

import math
from collections.abc import Iterator
from typing import Protocol

import numpy as np

BINS = 4096  # histogram bins per pass
RANK_AT_MOST = 1 << 20  # values gathered and ranked directly once a bin holds no more


class ValueStore(Protocol):
    """Values appended chunk by chunk, read back as chunks (any size), as often as needed."""

    def append(self, values: np.ndarray) -> None: ...

    def chunks(self) -> Iterator[np.ndarray]: ...


class InMemoryValues:
    """Keeps the chunks as they come (8 bytes a value: for library use and short runs)."""

    def __init__(self) -> None:
        self._chunks: list[np.ndarray] = []

    def append(self, values: np.ndarray) -> None:
        self._chunks.append(np.array(values, dtype=np.float64, copy=True))

    def chunks(self) -> Iterator[np.ndarray]:
        return iter(self._chunks)


def exact_percentile(store: ValueStore, percent: float) -> float:
    """``np.percentile(all values, percent)`` (linear interpolation) over the store's chunks; NaN
    when there are none. The values must be finite."""
    n, low, high = 0, math.inf, -math.inf
    for chunk in store.chunks():
        if len(chunk):
            n += len(chunk)
            low, high = min(low, float(chunk.min())), max(high, float(chunk.max()))
    if not n:
        return math.nan
    q = np.true_divide(percent, 100)
    virtual = (n - 1) * q  # numpy's index for its linear method
    if virtual >= n - 1:
        return high
    below = math.floor(virtual)
    gamma = virtual - below
    a = order_statistic(store, below, low, high)
    b = order_statistic(store, below + 1, low, high)
    diff = b - a  # numpy's _lerp, so the result agrees to the bit
    return float(b - diff * (1 - gamma)) if gamma >= 0.5 else float(a + diff * gamma)


def order_statistic(store: ValueStore, rank: int, low: float, high: float) -> float:
    """The value of 0-based ``rank`` in ascending order of the store's values, all of which lie
    in ``[low, high]``: narrow to the histogram bin that holds the rank, pass after pass."""
    below = 0  # values under the current range
    closed = True  # the range includes ``high`` (later ranges are half-open bins)
    while True:
        if low == high:
            return low
        edges = np.linspace(low, high, BINS + 1)
        counts = np.zeros(BINS, dtype=np.int64)
        for x in _within(store, low, high, closed):
            counts += np.bincount(_bin(edges, x), minlength=BINS)
        cum = np.cumsum(counts)
        j = int(np.searchsorted(cum, rank - below, side="right"))
        under = below + (int(cum[j - 1]) if j else 0)
        lo, hi = float(edges[j]), float(edges[j + 1])
        last = j == BINS - 1
        if counts[j] <= RANK_AT_MOST:
            hits = [x[_bin(edges, x) == j] for x in _within(store, low, high, closed)]
            values = np.concatenate(hits)
            return float(np.partition(values, rank - under)[rank - under])
        if (lo, hi) == (low, high):  # too narrow to split: at most two distinct floats left
            at_low = sum(int((x == low).sum()) for x in _within(store, low, high, closed))
            if rank - below < at_low:
                return low
            return high
        low, high, below, closed = lo, hi, under, closed and last


def _within(store: ValueStore, low: float, high: float, closed: bool) -> Iterator[np.ndarray]:
    for chunk in store.chunks():
        inside = (chunk >= low) & ((chunk <= high) if closed else (chunk < high))
        yield chunk[inside]


def _bin(edges: np.ndarray, x: np.ndarray) -> np.ndarray:
    """Bin ``j`` holds ``edges[j] <= x < edges[j + 1]``; the last bin also its upper edge."""
    return np.minimum(np.searchsorted(edges, x, side="right") - 1, len(edges) - 2)
