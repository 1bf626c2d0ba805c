"""Are now-cast probabilities calibrated? Predicted against realised on-time, with intervals that
respect that orders of one snapshot are not independent.

Orders are pooled over snapshots; each fixed-width probability bin compares its mean predicted
on-time probability with the share realised in the original continuations. The expected
calibration error (ECE: the bins' |predicted - realised| weighted by their orders) and the Brier
skill against a reference forecaster (``1 - Brier / Brier_ref``; here the late rate of the
order's lane) get 95% intervals from a cluster bootstrap: snapshots, not orders, are resampled
(one storm moves thousands of orders of one snapshot together).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

import numpy as np

BIN_WIDTH = 0.1
MIN_BIN_ORDERS = 2_000
TOLERANCE_PP = 3.0


@dataclass(frozen=True)
class Pooled:
    """Orders pooled over snapshots: prediction, reference prediction, outcome, snapshot."""

    predicted: np.ndarray  # on-time probability
    reference: np.ndarray
    on_time: np.ndarray  # bool, realised
    cluster: np.ndarray  # the snapshot each order came from

    def take(self, rows: np.ndarray) -> Pooled:
        return Pooled(
            self.predicted[rows], self.reference[rows], self.on_time[rows], self.cluster[rows]
        )


def bin_of(p: np.ndarray, width: float = BIN_WIDTH) -> np.ndarray:
    """Fixed-width bin index of each probability (1.0 in the last bin)."""
    n_bins = int(round(1.0 / width))
    return np.minimum((np.asarray(p) / width).astype(np.int64), n_bins - 1)


def bins(data: Pooled, width: float = BIN_WIDTH) -> dict[str, np.ndarray]:
    """Per bin: orders, mean predicted and realised on-time share (NaN where empty)."""
    n_bins = int(round(1.0 / width))
    b = bin_of(data.predicted, width)
    n = np.bincount(b, minlength=n_bins).astype(float)
    with np.errstate(invalid="ignore", divide="ignore"):
        predicted = np.bincount(b, data.predicted, n_bins) / n
        realised = np.bincount(b, data.on_time.astype(float), n_bins) / n
    return {"orders": n, "predicted": predicted, "realised": realised}


def ece(data: Pooled, width: float = BIN_WIDTH) -> float:
    t = bins(data, width)
    gap = np.nan_to_num(np.abs(t["predicted"] - t["realised"]))
    return float((t["orders"] * gap).sum() / t["orders"].sum())


def brier(p: np.ndarray, on_time: np.ndarray) -> float:
    return float(np.mean((np.asarray(p) - on_time.astype(float)) ** 2))


def brier_skill(data: Pooled) -> float:
    return 1.0 - brier(data.predicted, data.on_time) / brier(data.reference, data.on_time)


def cluster_bootstrap(
    data: Pooled, statistic: Callable[[Pooled], np.ndarray], draws: int, seed: int = 0
) -> np.ndarray:
    """``statistic`` over ``draws`` resamples of whole clusters (with replacement)."""
    rng = np.random.default_rng(seed)
    clusters = np.unique(data.cluster)
    rows_of = {c: np.flatnonzero(data.cluster == c) for c in clusters.tolist()}
    out = []
    for _ in range(draws):
        pick = rng.choice(clusters, len(clusters), replace=True)
        out.append(statistic(data.take(np.concatenate([rows_of[c] for c in pick.tolist()]))))
    return np.asarray(out)


def report(
    data: Pooled,
    width: float = BIN_WIDTH,
    min_orders: int = MIN_BIN_ORDERS,
    draws: int = 1_000,
    tolerance_pp: float = TOLERANCE_PP,
) -> dict[str, object]:
    """Bins (with the bootstrap 95% interval of realised - predicted), ECE and Brier skill with
    their intervals, and whether every bin with ``min_orders`` passes (within the tolerance or
    its interval covering 0)."""
    table = bins(data, width)

    def gaps(d: Pooled) -> np.ndarray:
        t = bins(d, width)
        return np.concatenate([t["realised"] - t["predicted"], [ece(d, width), brier_skill(d)]])

    boot = cluster_bootstrap(data, gaps, draws)
    n_bins = len(table["orders"])
    low = np.nanpercentile(boot, 2.5, axis=0)
    high = np.nanpercentile(boot, 97.5, axis=0)
    gap = table["realised"] - table["predicted"]
    counted = table["orders"] >= min_orders
    ok = (np.abs(gap) * 100 <= tolerance_pp) | ((low[:n_bins] <= 0) & (high[:n_bins] >= 0))
    rows = [
        {
            "bin": f"[{k * width:.1f}, {(k + 1) * width:.1f})",
            "orders": int(table["orders"][k]),
            "predicted": float(table["predicted"][k]),
            "realised": float(table["realised"][k]),
            "gap_pp": float(gap[k] * 100),
            "gap_low_pp": float(low[k] * 100),
            "gap_high_pp": float(high[k] * 100),
            "counted": bool(counted[k]),
            "passes": bool(ok[k]),
        }
        for k in range(n_bins)
        if table["orders"][k] > 0
    ]
    return {
        "orders": int(len(data.predicted)),
        "snapshots": int(len(np.unique(data.cluster))),
        "orders_below_0_8": int((data.predicted < 0.8).sum()),
        "bins": rows,
        "every_counted_bin_passes": bool(ok[counted].all()),
        "ece": ece(data, width),
        "ece_ci": [float(low[n_bins]), float(high[n_bins])],
        "brier": brier(data.predicted, data.on_time),
        "brier_reference": brier(data.reference, data.on_time),
        "brier_skill": brier_skill(data),
        "brier_skill_ci": [float(low[n_bins + 1]), float(high[n_bins + 1])],
        "bootstrap_draws": draws,
    }
