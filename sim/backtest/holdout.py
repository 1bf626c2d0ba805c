"""Backtest a calibrated twin: simulate the log's period and compare KPIs with history.

A twin earns trust when it reproduces the past. The scenario is simulated over the log's own
period (same hour 0, same end) with several replications; the same KPI code then reads the
history and each replication over the same window (orders created after a warm-up, as of the
log's last timestamp). History is one realisation, so each KPI passes when history lies inside
the replications' 95% prediction interval, or within a stated practical tolerance of their mean
(with a hundred thousand orders the interval can be narrower than anything that matters).
Delivery time is compared as a distribution: the two-sample KS distance to history against
the distances between replications themselves.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import pandas as pd
from scipy import stats

from scenarios.build import build
from scenarios.calibration.clock import LogClock, log_clock, on_engine_clock
from scenarios.calibration.order_log import OrderLogError, read_order_log
from scenarios.calibration.quality import clean_log
from scenarios.calibration.reading import ReadOptions
from sim.backtest.planner import planner_checks, volume_shift
from sim.backtest.resolution import as_written, log_resolution_h
from sim.config.compose import load_config, load_policies
from sim.engine import run

KS_D_OK = 0.05  # practical bound on the KS distance of delivery-time distributions
TOLERANCES: dict[str, tuple[str, float]] = {  # (relative | absolute, bound)
    "daily_volume": ("relative", 0.05),
    "delivery_time_mean_h": ("relative", 0.05),
    "on_time_rate": ("absolute", 0.02),
    "cost_per_order": ("relative", 0.05),
    "ship_time_mean_h": ("relative", 0.10),
}
LABELS = {
    "daily_volume": "orders per day",
    "delivery_time_mean_h": "delivery time, mean (h)",
    "on_time_rate": "on-time rate",
    "cost_per_order": "cost per order (USD)",
    "ship_time_mean_h": "created -> shipped, mean (h)",
}
FRAME_COLUMNS = (
    "created_h",
    "promised_h",
    "shipped_h",
    "delivered_h",
    "status",
    "region",
    "warehouse",
    "service_level",
)


@dataclass(frozen=True)
class Window:
    """Orders created in [start_h, end_h) count; the period is seen as of ``end_h``."""

    start_h: float
    end_h: float

    @property
    def days(self) -> float:
        return (self.end_h - self.start_h) / 24.0


@dataclass
class History:
    orders: pd.DataFrame  # engine clock: *_h columns
    clock: LogClock
    window: Window
    dropped: dict[str, int]


@dataclass
class KpiCheck:
    name: str
    history: float
    history_ci: tuple[float, float]
    sim_mean: float
    sim_ci: tuple[float, float]  # of the replications' mean
    prediction: tuple[float, float]  # where one more period would fall, 95%
    tolerance: str
    passed: bool


@dataclass
class Backtest:
    history: History
    sims: list[pd.DataFrame]
    checks: list[KpiCheck]
    ks: dict[str, Any]
    meta: dict[str, Any] = field(default_factory=dict)
    planner: dict[str, Any] = field(default_factory=dict)  # per period, region, level, lane
    demand: dict[str, Any] = field(default_factory=dict)  # the calendar's in-sample / holdout

    @property
    def volume_shifts(self) -> list[str]:
        """Runs of periods outside the twin's volume bands long enough to fail the backtest."""
        return volume_shift(self.planner.get("volume", {}))

    @property
    def passed(self) -> bool:
        checks = all(c.passed for c in self.checks) and bool(self.ks["passed"])
        return checks and not self.volume_shifts


def load_history(log_path: str, warmup_days: float, options: ReadOptions | None = None) -> History:
    """Read and clean a log, put it on the engine clock, and fix the compared window."""
    clean = clean_log(read_order_log(log_path, options).frame, any_level=True)
    if clean.orders.empty:
        raise OrderLogError(log_path, "file", "no orders left after the data-quality checks")
    clock = log_clock(clean.orders)
    orders = on_engine_clock(clean.orders, clock)
    first_day_h = float(np.floor(orders["created_h"].min() / 24.0) * 24.0)
    times = orders[["created_h", "shipped_h", "delivered_h"]].to_numpy(dtype=float)
    end_h = float(np.ceil(np.nanmax(times)))
    start_h = first_day_h + 24.0 * warmup_days
    if start_h >= float(orders["created_h"].max()):
        raise OrderLogError(log_path, "file", f"shorter than the {warmup_days:g}-day warm-up")
    return History(orders, clock, Window(start_h, end_h), clean.counts)


def scenario_config(
    scenario: str, config_dir: str | None, routing: str, monitoring: str
) -> dict[str, Any]:
    """The composed, validated run config for the twin (user config dir searched first)."""
    overrides = [f"scenario={scenario}", f"routing={routing}", f"monitoring={monitoring}"]
    if config_dir:
        overrides.append(f"hydra.searchpath=[file://{config_dir}]")
    return load_config(*overrides)


def simulate(
    cfg: Mapping[str, Any],
    end_h: float,
    replications: int,
    progress: Callable[[int], None] | None = None,
) -> list[pd.DataFrame]:
    """Replications 1..R of the twin from hour 0 to the log's end, as order frames."""
    world = build(cfg["scenario"])
    frames = []
    for seed in range(1, replications + 1):
        routing, monitoring = load_policies(dict(cfg), world)
        result = run(world, routing, monitoring, seed=seed, horizon_days=end_h / 24.0)
        columns = {k: result.orders[k] for k in (*FRAME_COLUMNS, "cost")}
        frames.append(pd.DataFrame(columns))
        if progress is not None:
            progress(seed)
    return frames


def counted(orders: pd.DataFrame, window: Window) -> pd.DataFrame:
    created = orders["created_h"]
    return orders[(created >= window.start_h) & (created < window.end_h)]


def daily_counts(orders: pd.DataFrame, window: Window) -> np.ndarray:
    edges = np.arange(window.start_h, window.end_h + 1e-9, 24.0)
    counts, _ = np.histogram(orders["created_h"], edges)
    return counts


def delivery_times_h(orders: pd.DataFrame, window: Window) -> np.ndarray:
    c = counted(orders, window)
    delivered = c[(c["status"] == "delivered") & (c["delivered_h"] <= window.end_h)]
    return (delivered["delivered_h"] - delivered["created_h"]).to_numpy(dtype=float)


def period_kpis(orders: pd.DataFrame, window: Window) -> dict[str, tuple[float, float, float]]:
    """Each KPI with its own 95% CI (value, low, high) over the window."""
    c = counted(orders, window)
    delivered = (c["status"] == "delivered") & (c["delivered_h"] <= window.end_h)
    due = (c["status"] != "cancelled") & (delivered | (c["promised_h"] <= window.end_h))
    on_time = (delivered & (c["delivered_h"] <= c["promised_h"]))[due]
    shipped = c["shipped_h"].notna() & (c["shipped_h"] <= window.end_h)
    out = {
        "daily_volume": _mean_ci(daily_counts(orders, window).astype(float)),
        "delivery_time_mean_h": _mean_ci(delivery_times_h(orders, window)),
        "on_time_rate": _mean_ci(on_time.to_numpy(dtype=float)),
        "ship_time_mean_h": _mean_ci((c["shipped_h"] - c["created_h"])[shipped].to_numpy(float)),
    }
    if "cost" in c and c["cost"].notna().all():
        out["cost_per_order"] = _mean_ci(c["cost"].to_numpy(dtype=float))
    return out


def _mean_ci(values: np.ndarray) -> tuple[float, float, float]:
    if len(values) == 0:
        return (float("nan"),) * 3
    mean = float(np.mean(values))
    if len(values) < 2:
        return mean, mean, mean
    half = float(
        stats.t.ppf(0.975, len(values) - 1) * np.std(values, ddof=1) / np.sqrt(len(values))
    )
    return mean, mean - half, mean + half


def compare_kpi(name: str, history: tuple[float, float, float], sims: Sequence[float]) -> KpiCheck:
    """History against the replications: inside the prediction interval, or within tolerance."""
    values = np.asarray(sims, dtype=float)
    r = len(values)
    mean = float(values.mean())
    sd = float(values.std(ddof=1)) if r > 1 else 0.0
    t = float(stats.t.ppf(0.975, r - 1)) if r > 1 else float("inf")
    ci_half, pi_half = t * sd / np.sqrt(r), t * sd * np.sqrt(1.0 + 1.0 / r)
    kind, bound = TOLERANCES[name]
    allowed = bound * abs(mean) if kind == "relative" else bound
    value = history[0]
    inside = mean - pi_half <= value <= mean + pi_half
    near = abs(value - mean) <= allowed
    tolerance = f"{bound:.0%} of the twin" if kind == "relative" else f"{bound:g} absolute"
    return KpiCheck(
        name=name,
        history=value,
        history_ci=(history[1], history[2]),
        sim_mean=mean,
        sim_ci=(mean - ci_half, mean + ci_half),
        prediction=(mean - pi_half, mean + pi_half),
        tolerance=tolerance,
        passed=bool(inside or near),
    )


def ks_check(history: np.ndarray, sims: Sequence[np.ndarray]) -> dict[str, Any]:
    """KS distance of history's delivery times to the pooled replications, and the null range
    (the replications' times as the log writes them: :mod:`sim.backtest.resolution`)."""
    resolution = log_resolution_h(history)
    sims = [as_written(s, resolution) for s in sims]
    pooled = np.concatenate(list(sims))
    result = stats.ks_2samp(history, pooled)
    null = [
        float(
            stats.ks_2samp(s, np.concatenate([o for j, o in enumerate(sims) if j != i])).statistic
        )
        for i, s in enumerate(sims)
        if len(sims) > 1
    ]
    bound = max([KS_D_OK, *null])
    return {
        "d": float(result.statistic),
        "p_value": float(result.pvalue),
        "null_d": null,
        "bound": bound,
        "passed": bool(result.statistic <= bound),
    }


def backtest(history: History, sims: list[pd.DataFrame], meta: Mapping[str, Any]) -> Backtest:
    """Compare history with the simulated replications over the same window."""
    window = history.window
    hist = period_kpis(history.orders, window)
    per_sim = [period_kpis(s, window) for s in sims]
    checks = [
        compare_kpi(name, hist[name], [k[name][0] for k in per_sim])
        for name in TOLERANCES
        if name in hist and all(name in k for k in per_sim)
    ]
    ks = ks_check(
        delivery_times_h(history.orders, window), [delivery_times_h(s, window) for s in sims]
    )
    planner = planner_checks(history.orders, sims, history.clock, window.start_h, window.end_h)
    return Backtest(history, sims, checks, ks, dict(meta), planner)
