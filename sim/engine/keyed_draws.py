"""Uniforms keyed by (seed, order id, stage, purpose): common random numbers per order.

A run started from a snapshot draws each open order's remaining work afresh. For what-ifs on
the same snapshot to share random numbers order by order (an expedited order keeps its transit
percentile, an untouched one its whole future), the draw must depend on nothing but the
replication's seed, the order, the stage it is drawn for and what it is for — not on how many
orders came before it. A ``SeedSequence`` per order would do that but costs ~10 µs each (tens
of thousands of orders x hundreds of replications); instead each uniform is a hash of its key:
the SplitMix64 finaliser (Steele, Lea & Flood 2014), vectorised in numpy's wrapping uint64
arithmetic, whose outputs pass BigCrush for consecutive inputs.
"""

from __future__ import annotations

import zlib
from typing import Any

import numpy as np

_GOLDEN = np.uint64(0x9E3779B97F4A7C15)
_MIX1 = np.uint64(0xBF58476D1CE4E5B9)
_MIX2 = np.uint64(0x94D049BB133111EB)
_TO_UNIT = 2.0**-53


def _mix(x: Any) -> Any:
    x = x ^ (x >> np.uint64(30))
    x = x * _MIX1
    x = x ^ (x >> np.uint64(27))
    x = x * _MIX2
    return x ^ (x >> np.uint64(31))


def keyed_uniforms(seed: int, order_ids: np.ndarray, stage: str, purpose: str) -> np.ndarray:
    """One uniform in (0, 1) per order id, a function of (seed, id, stage, purpose) only."""
    ids = np.asarray(order_ids, dtype=np.int64).astype(np.uint64)
    label = np.uint64(zlib.crc32(f"{stage}/{purpose}".encode()))
    with np.errstate(over="ignore"):
        key = _mix(np.uint64(int(seed) % 2**64) * _GOLDEN + label)
        x = _mix(_mix(key ^ (ids * _GOLDEN + _GOLDEN)) + label)
    return ((x >> np.uint64(11)).astype(np.float64) + 0.5) * _TO_UNIT
