"""Per-order risk from replications: on-time probability with its Wilson interval, delivery
percentiles, a risk tier, and the driver found by neutralising one factor at a time."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

import numpy as np
import pandas as pd

from scenarios.world import World
from sim.engine.restart import in_engine_order
from sim.engine.snapshot_state import STAGES, SnapshotState
from sim.io.snapshot import world_names
from sim.nowcast.replicate import Outcomes

Z_95 = 1.959963984540054


@dataclass(frozen=True)
class Tiers:
    """On-time probability below ``red`` is red, below ``yellow`` yellow, below ``blue`` blue."""

    red: float = 0.5
    yellow: float = 0.8
    blue: float = 0.95

    def of(self, p: np.ndarray) -> np.ndarray:
        return np.select(
            [p < self.red, p < self.yellow, p < self.blue], ["red", "yellow", "blue"], "none"
        )


def wilson(successes: np.ndarray, n: int, z: float = Z_95) -> tuple[np.ndarray, np.ndarray]:
    """The Wilson score interval of a binomial proportion (good near 0 and 1, unlike Wald)."""
    successes = np.asarray(successes)
    p = successes / n
    centre = (p + z * z / (2 * n)) / (1 + z * z / n)
    half = z * np.sqrt(p * (1 - p) / n + z * z / (4 * n * n)) / (1 + z * z / n)
    low = np.where(successes == 0, 0.0, np.clip(centre - half, 0.0, 1.0))
    high = np.where(successes == n, 1.0, np.clip(centre + half, 0.0, 1.0))
    return low, high


def drivers(base: Outcomes, neutralised: Mapping[str, Outcomes]) -> np.ndarray:
    """Per order, the factor whose neutralisation lowers the late probability most (paired on
    the same seeds); "none" where no factor lowers it."""
    n_orders = base.on_time.shape[1]
    if not neutralised:
        return np.full(n_orders, "", dtype=object)
    names = list(neutralised)
    gains = []
    for name in names:
        seeds = neutralised[name].seeds
        rows = np.searchsorted(base.seeds, seeds) if _sorted(base.seeds) else _rows(base, seeds)
        late_base = 1.0 - base.on_time[rows].mean(axis=0)
        gains.append(late_base - (1.0 - neutralised[name].on_time.mean(axis=0)))
    gain = np.stack(gains)
    best = np.argmax(gain, axis=0)
    out = np.asarray(names, dtype=object)[best]
    out[gain.max(axis=0) <= 0] = "none"
    return out


def _sorted(a: np.ndarray) -> bool:
    return bool((np.diff(a) > 0).all())


def _rows(base: Outcomes, seeds: np.ndarray) -> np.ndarray:
    where = {int(s): i for i, s in enumerate(base.seeds.tolist())}
    return np.array([where[int(s)] for s in seeds.tolist()], dtype=np.int64)


def risk_table(
    state: SnapshotState,
    world: World,
    base: Outcomes,
    driver: np.ndarray,
    tiers: Tiers = Tiers(),
) -> pd.DataFrame:
    """One row per open order, ranked riskiest first (``base`` and ``driver`` in engine order)."""
    o = in_engine_order(state).orders
    n_reps = base.on_time.shape[0]
    on_time = base.on_time.sum(axis=0)
    p = on_time / n_reps
    low, high = wilson(on_time, n_reps)
    delivered = base.delivered_h
    with np.errstate(all="ignore"):
        some = ~np.isnan(delivered).all(axis=0)
        p10 = np.full(delivered.shape[1], np.nan)
        p90 = np.full(delivered.shape[1], np.nan)
        if some.any():
            p10[some] = np.nanpercentile(delivered[:, some], 10, axis=0)
            p90[some] = np.nanpercentile(delivered[:, some], 90, axis=0)
    names = world_names(world)
    start = pd.Timestamp(world.start_date)
    table = pd.DataFrame(
        {
            "order_id": o["order_id"],
            "p_on_time": p,
            "p_on_time_low": low,
            "p_on_time_high": high,
            "delivery_p10_h": p10,
            "delivery_p90_h": p90,
            "risk_tier": tiers.of(p),
            "driver": np.where(tiers.of(p) == "none", "", driver),
            "stage": np.asarray(STAGES)[o["stage"]],
            "warehouse": _named(names["warehouse"], o["warehouse"]),
            "mode": _named(names["mode"], o["mode"]),
            "region": _named(names["region"], o["region"]),
            "service_level": _named(names["service_level"], o["service_level"]),
            "created_h": o["created_h"],
            "promised_h": o["promised_h"],
            "promise_day": (start + pd.to_timedelta(o["promised_h"] // 24, unit="D")).date,
            "value_usd": o["value_usd"],
            "unresolved_share": base.unresolved.mean(axis=0),
        }
    )
    return table.sort_values(["p_on_time", "promised_h", "order_id"], kind="stable").reset_index(
        drop=True
    )


def _named(names: tuple[str, ...], index: np.ndarray) -> np.ndarray:
    return np.asarray([*names, ""], dtype=object)[np.asarray(index, dtype=np.int64)]
