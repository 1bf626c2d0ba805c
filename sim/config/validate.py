"""Checks on a composed run config, run before anything simulates: one layer that sees every value.

In order: every key and value against the schemas (:func:`check_keys`: unknown keys, types, a
required value left out, NaN, infinities and absurd sizes in any number, including keys added
with Hydra's ``+key=value``); what a type cannot say about the run (warm-up shorter than horizon,
periodic steps no shorter than ``limits.min_interval_h``, a valid export); the scenario
(:func:`scenarios.validate.validate_scenario`); both policies, built without their models and
checked against the scenario (:func:`sim.config.policy.check_policies`); and the resource budget
(:func:`sim.config.budget.check_budget`). The first problem raises :class:`ConfigError` naming the
full key and what was expected; the error type lives in :mod:`scenarios.errors` and is
re-exported here, where policies and commands have always imported it.
"""

from __future__ import annotations

import calendar
import dataclasses
import datetime
import math
import zoneinfo
from collections.abc import Collection, Mapping
from typing import Any

from scenarios.checks import (
    check_schema,
    count,
    known,
    non_negative,
    positive,
    probability,
)
from scenarios.dates import DEFAULT_START_DATE
from scenarios.errors import ConfigError, unknown_key
from scenarios.validate import validate_scenario
from sim.config.budget import check_budget
from sim.config.policy import check_policies, policy_parts
from sim.config.schema import LimitsConf, RunConf
from sim.engine.contract import LearnedPolicy

OPTIONAL = ("progress", "export", "limits", "routing", "monitoring")  # older callers' configs
__all__ = ["ConfigError", "check_keys", "unknown_key", "validate", "validate_scenario"]


def check_keys(value: Any, schema: Any, key: str = "", optional: Collection[str] = ()) -> None:
    """Every key of ``value`` (plain data) is a field of its dataclass in ``schema``, and every
    value fits its field (see :func:`scenarios.checks.check_schema`).

    The composed config is typed, but Hydra's ``+key=value`` adds keys even to typed nodes, so an
    unknown key would otherwise be silently ignored.
    """
    check_schema(value, schema, key, optional=optional)


def validate(cfg: Mapping[str, Any]) -> None:
    """Check a whole run config (a plain nested mapping); raise ConfigError on the first problem.

    Configs without ``routing`` and ``monitoring`` (older callers) skip the policy checks; without
    ``limits``, the default limits apply.
    """
    check_keys(cfg, RunConf, optional=OPTIONAL)
    count("seed", cfg["seed"], 0)
    positive("horizon_days", cfg["horizon_days"])
    non_negative("warmup_days", cfg["warmup_days"])
    if cfg["warmup_days"] >= cfg["horizon_days"]:
        raise ConfigError(
            "warmup_days", f"less than horizon_days ({cfg['horizon_days']})", cfg["warmup_days"]
        )
    non_negative("cooldown_days", cfg.get("cooldown_days", 0.0))
    limits = _validate_limits(cfg.get("limits"), "limits")
    shortest = limits["min_interval_h"]
    interval("timeseries_interval_h", cfg["timeseries_interval_h"], shortest)
    validate_scenario(cfg["scenario"])
    interval("scenario.allocation_wave_h", cfg["scenario"]["allocation_wave_h"], shortest, off=0)
    inventory = cfg["scenario"]["inventory"]
    interval("scenario.inventory.sync_interval_h", inventory["sync_interval_h"], shortest, off=0)
    if "export" in cfg:  # older callers may pass a config without the export group
        start_date = cfg["scenario"].get("start_date", DEFAULT_START_DATE)
        _validate_export(cfg["export"], "export", start_date)
        snapshot_at_h = cfg["export"].get("snapshot_at_h")
        if snapshot_at_h is not None:  # taken while the run goes on: before its horizon
            horizon_h = float(cfg["horizon_days"]) * 24.0
            if not (isinstance(snapshot_at_h, int | float) and 0 <= snapshot_at_h < horizon_h):
                raise ConfigError(
                    "export.snapshot_at_h",
                    f"an hour in [0, {horizon_h:g}) (before horizon_days x 24)",
                    snapshot_at_h,
                )
    monitoring_interval_h = math.inf
    if "routing" in cfg and "monitoring" in cfg:
        routing, monitoring = check_policies(cfg)
        monitoring_interval_h = monitoring.interval_h
        interval("monitoring.interval_h", monitoring_interval_h, shortest, off=math.inf)
        for key, days in _training_horizons(routing):
            check_budget(cfg, limits, horizon_days=days, horizon_key=key)
    check_budget(cfg, limits, monitoring_interval_h)


def interval(key: str, value: float, shortest: float, off: float | None = None) -> None:
    """A periodic step of at least ``shortest`` hours (``off``, 0 or infinity, switches it off)."""
    if off is not None and value == off:
        return
    what = "an interval" if off is None else f"{off:g} (off) or an interval"
    if not (isinstance(value, int | float) and value >= shortest and math.isfinite(value)):
        raise ConfigError(key, f"{what} of at least limits.min_interval_h ({shortest:g} h)", value)


def _training_horizons(routing: Any) -> list[tuple[str, float]]:
    """``(key, days)`` of each training run a learned router without a model file would make."""
    return [
        (f"{key}.training_days", one.model_request()[1])
        for one, key in policy_parts(routing, "routing")
        if isinstance(one, LearnedPolicy) and one.model_path is None
    ]


def _validate_limits(limits: Mapping[str, Any] | None, k: str) -> dict[str, Any]:
    """The limits (defaults for any not given): counts >= 1, a shortest interval > 0."""
    values: dict[str, Any] = {f.name: f.default for f in dataclasses.fields(LimitsConf)}
    values.update(limits or {})
    for name, value in values.items():
        if name == "min_interval_h":
            positive(f"{k}.{name}", value)
        else:
            count(f"{k}.{name}", value, 1)
    return values


def _validate_export(e: Mapping[str, Any], k: str, start_date: str) -> None:
    """What is written of the orders: a known choice for orders.parquet; for the order log, a
    known format and zone, and hour 0 (when given: at 00:00 on the weekday of the scenario's
    ``start_date``, so the weekly profile falls on the log's own weekdays)."""
    known(f"{k}.orders", e.get("orders", "full"), ("full", "sample", "none"), "choice")
    count(f"{k}.sample_every", e.get("sample_every", 1), 1)
    known(f"{k}.format", e["format"], ("csv", "parquet"), "format")
    try:
        zoneinfo.ZoneInfo(e["time_zone"])
    except (zoneinfo.ZoneInfoNotFoundError, ValueError):
        raise ConfigError(
            f"{k}.time_zone", "an IANA time zone such as UTC or Europe/Berlin", e["time_zone"]
        ) from None
    if e.get("start") is not None:
        try:
            start = datetime.datetime.fromisoformat(e["start"])
        except ValueError:
            raise ConfigError(
                f"{k}.start", "a local time like 2026-01-05T00:00:00", e["start"]
            ) from None
        weekday = datetime.date.fromisoformat(str(start_date)).weekday()
        if (
            start.tzinfo is not None
            or start.weekday() != weekday
            or start.time() != datetime.time(0)
        ):
            day = calendar.day_name[weekday]
            raise ConfigError(
                f"{k}.start", f"a {day} (start_date's weekday) at 00:00, without offset", e["start"]
            )
    probability(f"{k}.test_order_p", e["test_order_p"])
    probability(f"{k}.duplicate_p", e["duplicate_p"])
