"""Checks on a composed run config, run before anything simulates.

Types and unknown keys are caught by the schemas at compose time, except keys added with Hydra's
``+key=value``, which :func:`check_keys` catches. This module also checks what a type cannot say
about the run (warm-up shorter than horizon, a valid export) and hands the scenario to
:func:`scenarios.validate.validate_scenario`. The first problem raises :class:`ConfigError` naming
the full key and what was expected; the error type lives in :mod:`scenarios.errors` and is
re-exported here, where policies and commands have always imported it.
"""

from __future__ import annotations

import dataclasses
import datetime
import types
import typing
import zoneinfo
from collections.abc import Mapping
from typing import Any

from scenarios.checks import known, non_negative, positive, probability
from scenarios.errors import ConfigError, unknown_key
from scenarios.validate import validate_scenario
from sim.config.schema import RunConf

__all__ = ["ConfigError", "check_keys", "unknown_key", "validate", "validate_scenario"]


def check_keys(value: Any, schema: Any, key: str = "") -> None:
    """Every key of ``value`` (plain data) is a field of its dataclass in ``schema``.

    The composed config is typed, but Hydra's ``+key=value`` adds keys even to typed nodes, so an
    unknown key would otherwise be silently ignored.
    """
    origin, args = typing.get_origin(schema), typing.get_args(schema)
    if origin in (typing.Union, types.UnionType):
        for option in args:
            if option is not type(None):
                check_keys(value, option, key)
        return
    if dataclasses.is_dataclass(schema) and isinstance(schema, type):
        if not isinstance(value, Mapping):
            return
        hints = typing.get_type_hints(schema)
        fields = [f.name for f in dataclasses.fields(schema)]
        for name, item in value.items():
            item_key = f"{key}.{name}" if key else str(name)
            if name not in fields:
                raise unknown_key(item_key, str(name), fields)
            check_keys(item, hints[name], item_key)
    elif origin is dict and isinstance(value, Mapping) and len(args) == 2:
        for name, item in value.items():
            check_keys(item, args[1], f"{key}.{name}")
    elif origin is list and isinstance(value, list) and len(args) == 1:
        for i, item in enumerate(value):
            check_keys(item, args[0], f"{key}[{i}]")


def validate(cfg: Mapping[str, Any]) -> None:
    """Check a whole run config (a plain nested mapping); raise ConfigError on the first problem."""
    check_keys(cfg, RunConf)
    if cfg["seed"] < 0:
        raise ConfigError("seed", "an integer >= 0", cfg["seed"])
    positive("horizon_days", cfg["horizon_days"])
    non_negative("warmup_days", cfg["warmup_days"])
    if cfg["warmup_days"] >= cfg["horizon_days"]:
        raise ConfigError(
            "warmup_days", f"less than horizon_days ({cfg['horizon_days']})", cfg["warmup_days"]
        )
    non_negative("cooldown_days", cfg.get("cooldown_days", 0.0))
    positive("timeseries_interval_h", cfg["timeseries_interval_h"])
    validate_scenario(cfg["scenario"])
    if "export" in cfg:  # older callers may pass a config without the export group
        _validate_export(cfg["export"], "export")


def _validate_export(e: Mapping[str, Any], k: str) -> None:
    """The order-log export: a known format and zone, hour 0 on a Monday at 00:00."""
    known(f"{k}.format", e["format"], ("csv", "parquet"), "format")
    try:
        zoneinfo.ZoneInfo(e["time_zone"])
    except (zoneinfo.ZoneInfoNotFoundError, ValueError):
        raise ConfigError(
            f"{k}.time_zone", "an IANA time zone such as UTC or Europe/Berlin", e["time_zone"]
        ) from None
    try:
        start = datetime.datetime.fromisoformat(e["start"])
    except ValueError:
        raise ConfigError(
            f"{k}.start", "a local time like 2026-01-05T00:00:00", e["start"]
        ) from None
    if start.tzinfo is not None or start.weekday() != 0 or start.time() != datetime.time(0):
        raise ConfigError(f"{k}.start", "a Monday at 00:00, without offset", e["start"])
    probability(f"{k}.test_order_p", e["test_order_p"])
    probability(f"{k}.duplicate_p", e["duplicate_p"])
