"""The resource budget: what a run would allocate, estimated from its config before it does.

A run draws every order of its horizon up front, keeps one SimPy process per picker, samples its
time series into preallocated arrays and steps through periodic events (allocation waves, stock
syncs, monitoring inspections, samples, carrier pickups). Each is estimated here from the config
alone, in microseconds, and compared with ``limits.*`` (:class:`sim.config.schema.LimitsConf`);
a run above one is refused with a :class:`~scenarios.errors.BudgetError` that gives the estimate
and the key asking for most of it, instead of filling the memory or running for days.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from typing import Any

import numpy as np

from scenarios.build import calendar
from scenarios.dates import DEFAULT_START_DATE, parse_date
from scenarios.errors import BudgetError
from sim.config.schema import RunConf

EVENTS_PER_ORDER = 3.0  # measured 1.3-2.6 over the shipped scenarios and policies
SAMPLE_SERIES = 6  # warehouse series per sample (sim.engine.result.WAREHOUSE_SERIES)


def _check(key: str, what: str, limit: float, parts: Mapping[str, float]) -> None:
    total = float(sum(parts.values()))
    if total > limit:
        cause = max(parts, key=lambda k: parts[k]) if parts else ""
        raise BudgetError(key, what, limit, total, cause)


def _normalised(profile: list[float]) -> np.ndarray:
    values = np.asarray(profile, dtype=float)
    return values / values.mean()


def expected_orders(sc: Mapping[str, Any], horizon_h: float) -> dict[str, float]:
    """Orders the run draws, by the key that asks for them: the regular profile over the horizon
    (hour by hour, as :func:`sim.engine.demand.base_arrival_times`) and each burst's candidates
    (drawn over its whole duration before thinning, whether or not it falls in the horizon)."""
    d = sc["demand"]
    rate = float(d["base_rate_per_h"])
    week = np.outer(_normalised(d["weekly_profile"]), _normalised(d["hourly_profile"])).ravel()
    weeks, rest = divmod(math.ceil(horizon_h), week.size)
    parts = {
        "scenario.demand.base_rate_per_h": rate * (weeks * week.sum() + week[:rest].sum()),
    }
    if d.get("calendar") is not None:  # the dated level, season and events, hour by hour
        hours = math.ceil(horizon_h)
        days = calendar(
            d["calendar"], parse_date("start_date", sc.get("start_date", DEFAULT_START_DATE))
        )
        factor = np.concatenate(
            [days.hourly_multiplier(day) for day in range(math.ceil(hours / 24))]
        )
        parts["scenario.demand.base_rate_per_h"] = rate * float(
            (np.resize(week, hours) * factor[:hours]).sum()
        )
    for i, burst in enumerate(d["bursts"]):
        extra = max(float(burst["peak_multiplier"]) - 1.0, 0.0) * rate
        parts[f"scenario.demand.bursts[{i}].peak_multiplier"] = extra * float(burst["duration_h"])
    return parts


def picker_processes(name: str, wh: Mapping[str, Any]) -> tuple[str, float]:
    """A warehouse's picker processes (its head count, or its largest shift's) and their key."""
    key, most = f"scenario.warehouses.{name}.pickers", float(wh["pickers"])
    if wh["shifts"]:
        sizes = [wh["pickers"] if s["pickers"] is None else s["pickers"] for s in wh["shifts"]]
        i = int(np.argmax(sizes))
        most = float(sizes[i])
        if wh["shifts"][i]["pickers"] is not None:
            key = f"scenario.warehouses.{name}.shifts[{i}].pickers"
    return key, most


def _storms(sc: Mapping[str, Any], days: float) -> dict[str, float]:
    default = float(sc["weather"]["storm_rate_per_day"])
    parts = {"scenario.weather.storm_rate_per_day": 0.0}
    for name, region in sc["regions"].items():
        if region["storm_rate_per_day"] is None:
            parts["scenario.weather.storm_rate_per_day"] += default * days
        else:
            parts[f"scenario.regions.{name}.storm_rate_per_day"] = (
                float(region["storm_rate_per_day"]) * days
            )
    return parts


def _every(horizon_h: float, interval_h: float) -> float:
    """Events of a process stepping every ``interval_h`` (0 or infinite: none)."""
    return horizon_h / interval_h if 0 < interval_h < math.inf else 0.0


def check_budget(
    cfg: Mapping[str, Any],
    limits: Mapping[str, Any],
    monitoring_interval_h: float = math.inf,
    horizon_days: float | None = None,
    horizon_key: str = "horizon_days",
) -> None:
    """Refuse a run that would need more than ``limits`` allows (a :class:`BudgetError`).

    ``horizon_days`` replaces the config's (a learned policy's training runs); ``horizon_key``
    then names it where the horizon itself is the cause.
    """
    sc = cfg["scenario"]
    # the run goes on past its horizon for at most the cool-down: orders, storms and events of
    # the whole stretch are drawn and simulated (the time series stop at the horizon)
    days = float(cfg["horizon_days"] if horizon_days is None else horizon_days)
    series_h = days * 24.0
    days += float(cfg.get("cooldown_days", RunConf.cooldown_days))
    horizon_h = days * 24.0

    orders = expected_orders(sc, horizon_h)
    if horizon_days is not None:  # a training horizon: it is the key to name
        orders = {horizon_key: sum(orders.values())}
    _check("limits.max_orders", "orders", limits["max_orders"], orders)
    _check("limits.max_storms", "storms", limits["max_storms"], _storms(sc, days))
    pickers = dict(picker_processes(name, wh) for name, wh in sc["warehouses"].items())
    _check("limits.max_pickers", "picker processes", limits["max_pickers"], pickers)

    n_wh, modes = len(sc["warehouses"]), sc["modes"]
    samples = math.floor(series_h / float(cfg["timeseries_interval_h"])) + 1
    rows = {"timeseries_interval_h": float(samples) * (n_wh + len(modes))}
    _check("limits.max_timeseries_rows", "time-series rows", limits["max_timeseries_rows"], rows)

    inventory = sc["inventory"]
    events = {key: n * EVENTS_PER_ORDER for key, n in orders.items()}
    events["scenario.allocation_wave_h"] = _every(horizon_h, float(sc["allocation_wave_h"]))
    if inventory["enabled"]:
        events["scenario.inventory.sync_interval_h"] = _every(
            horizon_h, float(inventory["sync_interval_h"])
        )
    events["monitoring.interval_h"] = _every(horizon_h, monitoring_interval_h)
    events["timeseries_interval_h"] = float(samples)
    pickups = sum(len(m["pickup_hours"]) for m in modes.values()) * n_wh
    events[horizon_key] = days * (pickups + 2.0)  # pickups, midnight, progress
    for name, wh in sc["warehouses"].items():  # a picker wakes at the start of each shift
        key, n = picker_processes(name, wh)
        events[key] = events.get(key, 0.0) + n * max(len(wh["shifts"]), 1) * days
    _check("limits.max_events", "simulation events", limits["max_events"], events)
