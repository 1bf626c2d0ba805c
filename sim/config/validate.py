"""Range and cross-field checks on a composed config, run before anything simulates.

Types and unknown keys are caught by the schemas at compose time, except keys added with Hydra's
``+key=value``, which :func:`check_keys` catches. This module also checks what a type cannot say
(rates > 0, probabilities in [0, 1], shares sum to 1, lanes name known warehouses, warm-up
shorter than horizon). The first problem raises :class:`ConfigError` naming the full key
and what was expected.
"""

from __future__ import annotations

import dataclasses
import datetime
import difflib
import math
import types
import typing
import zoneinfo
from collections.abc import Iterable, Mapping
from typing import Any

from scenarios.distributions import FAMILIES, NEEDS_SD
from scenarios.world import SERVICE_LEVELS
from sim.config.schema import RunConf

SHARE_TOLERANCE = 1e-6


class ConfigError(ValueError):
    """A config value out of range or inconsistent; ``key`` is the full dotted key."""

    def __init__(self, key: str, expected: str, got: Any = None, hint: str = "") -> None:
        self.key = key
        self.expected = expected
        self.got = got
        shown = "" if got is None else f", got {got!r}"
        note = f" ({hint})" if hint else ""
        super().__init__(f"{key}: expected {expected}{shown}{note}")


def unknown_key(key: str, name: str, known: Iterable[str]) -> ConfigError:
    """The error for a key that its schema does not have, with a close match if there is one."""
    names = list(known)
    close = difflib.get_close_matches(name, names, n=1)
    hint = f"did you mean {close[0]!r}?" if close else ""
    return ConfigError(key, f"a known key (one of {', '.join(names)})", name, hint)


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


def _positive(key: str, value: float) -> None:
    if not (isinstance(value, int | float) and value > 0 and math.isfinite(value)):
        raise ConfigError(key, "a number > 0", value)


def _non_negative(key: str, value: float) -> None:
    if not (isinstance(value, int | float) and value >= 0 and math.isfinite(value)):
        raise ConfigError(key, "a number >= 0", value)


def _probability(key: str, value: float) -> None:
    if not (isinstance(value, int | float) and 0.0 <= value <= 1.0):
        raise ConfigError(key, "a probability in [0, 1]", value)


def _in_range(key: str, value: float, low: float, high: float, *, high_open: bool = False) -> None:
    ok = low <= value < high if high_open else low <= value <= high
    if not ok:
        bracket = ")" if high_open else "]"
        raise ConfigError(key, f"a value in [{low}, {high}{bracket}", value)


def _known(key: str, name: str, known: Iterable[str], what: str) -> None:
    names = list(known)
    if name not in names:
        raise ConfigError(key, f"a known {what} (one of {', '.join(names)})", name)


def _shares(key: str, shares: Mapping[str, float], known: Iterable[str], what: str) -> None:
    """Probabilities keyed by name: known names, each >= 0, summing to 1."""
    for name, share in shares.items():
        _known(f"{key}.{name}", name, known, what)
        _non_negative(f"{key}.{name}", share)
    total = sum(shares.values())
    if abs(total - 1.0) > SHARE_TOLERANCE:
        raise ConfigError(key, "shares that sum to 1", round(total, 6))


def check_distribution(key: str, dist: Mapping[str, Any]) -> None:
    family = dist["dist"]
    if family not in FAMILIES:
        raise ConfigError(f"{key}.dist", f"one of {', '.join(FAMILIES)}", family)
    if family == "constant":
        _non_negative(f"{key}.mean_h", dist["mean_h"])
        return
    _positive(f"{key}.mean_h", dist["mean_h"])
    if family in NEEDS_SD:
        if dist.get("sd_h") is None:
            raise ConfigError(f"{key}.sd_h", f"a standard deviation (the {family} needs one)")
        _positive(f"{key}.sd_h", dist["sd_h"])


def validate(cfg: Mapping[str, Any]) -> None:
    """Check a whole run config (a plain nested mapping); raise ConfigError on the first problem."""
    check_keys(cfg, RunConf)
    if cfg["seed"] < 0:
        raise ConfigError("seed", "an integer >= 0", cfg["seed"])
    _positive("horizon_days", cfg["horizon_days"])
    _non_negative("warmup_days", cfg["warmup_days"])
    if cfg["warmup_days"] >= cfg["horizon_days"]:
        raise ConfigError(
            "warmup_days", f"less than horizon_days ({cfg['horizon_days']})", cfg["warmup_days"]
        )
    _positive("timeseries_interval_h", cfg["timeseries_interval_h"])
    validate_scenario(cfg["scenario"])
    if "export" in cfg:  # older callers may pass a config without the export group
        _validate_export(cfg["export"], "export")


def validate_scenario(sc: Mapping[str, Any], prefix: str = "scenario") -> None:
    """Check a scenario mapping (keys relative to ``prefix``)."""
    k = prefix
    for group in ("regions", "warehouses", "modes", "product_classes", "channels"):
        if not sc[group]:
            raise ConfigError(f"{k}.{group}", "at least one entry")
    warehouses, regions, modes = list(sc["warehouses"]), list(sc["regions"]), list(sc["modes"])
    products, channels = list(sc["product_classes"]), list(sc["channels"])

    for name, mode in sc["modes"].items():
        mk = f"{k}.modes.{name}"
        prices, transits = mode["price_usd_by_zone"], mode["transit_by_zone"]
        if not prices:
            raise ConfigError(f"{mk}.price_usd_by_zone", "one price per zone (zone 1 first)")
        if len(transits) != len(prices):
            raise ConfigError(
                f"{mk}.transit_by_zone",
                f"one distribution per zone ({len(prices)}, as prices)",
                len(transits),
            )
        for z, price in enumerate(prices):
            _non_negative(f"{mk}.price_usd_by_zone[{z}]", price)
        for z, dist in enumerate(transits):
            check_distribution(f"{mk}.transit_by_zone[{z}]", dist)
        if not mode["pickup_hours"]:
            raise ConfigError(f"{mk}.pickup_hours", "at least one pickup hour")
        for i, hour in enumerate(mode["pickup_hours"]):
            _in_range(f"{mk}.pickup_hours[{i}]", hour, 0.0, 24.0, high_open=True)
        if mode["daily_capacity"] < 1:
            raise ConfigError(f"{mk}.daily_capacity", "an integer >= 1", mode["daily_capacity"])
        _positive(f"{mk}.scan_interval_h", mode["scan_interval_h"])
        for p in ("scan_gap_p", "loss_p", "storm_stop_severity"):
            _probability(f"{mk}.{p}", mode[p])
        _non_negative(f"{mk}.storm_delay_h", mode["storm_delay_h"])
    n_zones = min(len(m["price_usd_by_zone"]) for m in sc["modes"].values())

    for level in SERVICE_LEVELS:
        if level not in sc["service_mode"]:
            raise ConfigError(
                f"{k}.service_mode.{level}", "the default mode for this service level"
            )
    for level, mode_name in sc["service_mode"].items():
        _known(f"{k}.service_mode.{level}", level, SERVICE_LEVELS, "service level")
        _known(f"{k}.service_mode.{level}", mode_name, modes, "mode")

    _shares(f"{k}.regions", {r: v["share"] for r, v in sc["regions"].items()}, regions, "region")
    for name, region in sc["regions"].items():
        rk = f"{k}.regions.{name}"
        if not region["zone_to"]:
            raise ConfigError(f"{rk}.zone_to", "a zone for at least one warehouse")
        for wh, zone in region["zone_to"].items():
            _known(f"{rk}.zone_to.{wh}", wh, warehouses, "warehouse")
            if not 1 <= zone <= n_zones:
                raise ConfigError(f"{rk}.zone_to.{wh}", f"a zone in 1..{n_zones}", zone)
        if region["storm_rate_per_day"] is not None:
            _non_negative(f"{rk}.storm_rate_per_day", region["storm_rate_per_day"])

    for name, wh in sc["warehouses"].items():
        wk = f"{k}.warehouses.{name}"
        _known(f"{wk}.region", wh["region"], regions, "region")
        if wh["pickers"] < 1:
            raise ConfigError(f"{wk}.pickers", "an integer >= 1", wh["pickers"])
        for i, shift in enumerate(wh["shifts"]):
            _in_range(f"{wk}.shifts[{i}].start_h", shift["start_h"], 0.0, 24.0, high_open=True)
            _in_range(f"{wk}.shifts[{i}].length_h", shift["length_h"], 1e-9, 24.0)
            if shift["pickers"] is not None and shift["pickers"] < 0:
                raise ConfigError(f"{wk}.shifts[{i}].pickers", "an integer >= 0", shift["pickers"])
        check_distribution(f"{wk}.pick_time", wh["pick_time"])
        for product, stock in wh["stock"].items():
            sk = f"{wk}.stock.{product}"
            _known(sk, product, products, "product class")
            for field_name in ("initial", "reorder_point", "order_up_to"):
                if stock[field_name] < 0:
                    raise ConfigError(f"{sk}.{field_name}", "an integer >= 0", stock[field_name])
            if stock["reorder_point"] >= stock["order_up_to"]:
                raise ConfigError(
                    f"{sk}.reorder_point",
                    f"less than order_up_to ({stock['order_up_to']})",
                    stock["reorder_point"],
                )
        _positive(f"{wk}.replenish_lead_time_h", wh["replenish_lead_time_h"])
        for i, outage in enumerate(wh["outages"]):
            _non_negative(f"{wk}.outages[{i}].start_h", outage["start_h"])
            _positive(f"{wk}.outages[{i}].duration_h", outage["duration_h"])

    _shares(
        f"{k}.product_classes",
        {p: v["share"] for p, v in sc["product_classes"].items()},
        products,
        "product class",
    )
    for name, pc in sc["product_classes"].items():
        pk = f"{k}.product_classes.{name}"
        _positive(f"{pk}.value_mean_usd", pc["value_mean_usd"])
        _non_negative(f"{pk}.value_sd_usd", pc["value_sd_usd"])
        _probability(f"{pk}.margin_mean", pc["margin_mean"])
        _probability(f"{pk}.return_p", pc["return_p"])

    _shares(
        f"{k}.channels", {c: v["share"] for c, v in sc["channels"].items()}, channels, "channel"
    )
    for name, ch in sc["channels"].items():
        _probability(f"{k}.channels.{name}.express_p", ch["express_p"])
        _positive(f"{k}.channels.{name}.value_multiplier", ch["value_multiplier"])

    _validate_demand(sc["demand"], f"{k}.demand", products, regions, channels)
    _validate_customer(sc["customer"], f"{k}.customer")
    _validate_weather(sc["weather"], f"{k}.weather", regions)

    inv = sc["inventory"]
    _non_negative(f"{k}.inventory.sync_interval_h", inv["sync_interval_h"])
    _known(
        f"{k}.inventory.on_stockout",
        inv["on_stockout"],
        ("reroute", "backorder", "cancel"),
        "stock-out action",
    )
    if inv["max_reroutes"] < 0:
        raise ConfigError(f"{k}.inventory.max_reroutes", "an integer >= 0", inv["max_reroutes"])
    _non_negative(f"{k}.inventory.reroute_delay_h", inv["reroute_delay_h"])
    _probability(f"{k}.costs.held_order_margin_loss_p", sc["costs"]["held_order_margin_loss_p"])
    for name, value in sc["costs"].items():
        _non_negative(f"{k}.costs.{name}", value)
    _non_negative(f"{k}.allocation_wave_h", sc["allocation_wave_h"])


def _validate_demand(
    d: Mapping[str, Any], k: str, products: list[str], regions: list[str], channels: list[str]
) -> None:
    _positive(f"{k}.base_rate_per_h", d["base_rate_per_h"])
    for key, length in (("hourly_profile", 24), ("weekly_profile", 7)):
        profile = d[key]
        if len(profile) != length:
            raise ConfigError(f"{k}.{key}", f"{length} values", len(profile))
        for i, v in enumerate(profile):
            _non_negative(f"{k}.{key}[{i}]", v)
        if sum(profile) <= 0:
            raise ConfigError(f"{k}.{key}", "at least one value > 0")
    _non_negative(f"{k}.extra_items_mean", d["extra_items_mean"])
    _probability(f"{k}.vip_p", d["vip_p"])
    for i, burst in enumerate(d["bursts"]):
        bk = f"{k}.bursts[{i}]"
        _non_negative(f"{bk}.start_h", burst["start_h"])
        _non_negative(f"{bk}.ramp_h", burst["ramp_h"])
        if burst["peak_multiplier"] < 1:
            raise ConfigError(
                f"{bk}.peak_multiplier", "a multiplier >= 1", burst["peak_multiplier"]
            )
        _positive(f"{bk}.decay_tau_h", burst["decay_tau_h"])
        _positive(f"{bk}.duration_h", burst["duration_h"])
        _known(f"{bk}.channel", burst["channel"], channels, "channel")
        if burst["product_mix"]:
            _shares(f"{bk}.product_mix", burst["product_mix"], products, "product class")
        if burst["region_mix"]:
            _shares(f"{bk}.region_mix", burst["region_mix"], regions, "region")


def _validate_customer(c: Mapping[str, Any], k: str) -> None:
    for level in SERVICE_LEVELS:
        if level not in c["promise_h"]:
            raise ConfigError(f"{k}.promise_h.{level}", "a promised delivery time in hours")
        _positive(f"{k}.promise_h.{level}", c["promise_h"][level])
    _probability(f"{k}.pseudo_urgent_p", c["pseudo_urgent_p"])
    _non_negative(f"{k}.pseudo_urgent_extra_h", c["pseudo_urgent_extra_h"])
    _non_negative(f"{k}.pseudo_urgent_extra_sd_h", c["pseudo_urgent_extra_sd_h"])
    _non_negative(f"{k}.signal_separation", c["signal_separation"])
    lateness = c["nps_lateness_days"]
    if len(lateness) < 2 or any(b <= a for a, b in zip(lateness, lateness[1:], strict=False)):
        raise ConfigError(
            f"{k}.nps_lateness_days", "two or more increasing lateness points", lateness
        )
    for key in ("nps_promoter_p", "nps_detractor_p"):
        if len(c[key]) != len(lateness):
            raise ConfigError(
                f"{k}.{key}", f"{len(lateness)} values, one per lateness point", len(c[key])
            )
        for i, p in enumerate(c[key]):
            _probability(f"{k}.{key}[{i}]", p)
    for i, (pro, det) in enumerate(zip(c["nps_promoter_p"], c["nps_detractor_p"], strict=True)):
        if pro + det > 1 + SHARE_TOLERANCE:
            raise ConfigError(
                f"{k}.nps_detractor_p[{i}]", f"at most 1 - promoter ({1 - pro:.2f})", det
            )
    for key in ("cancelled_promoter_p", "cancelled_detractor_p"):
        _probability(f"{k}.{key}", c[key])
    _non_negative(f"{k}.early_return_uplift_per_day", c["early_return_uplift_per_day"])
    _non_negative(f"{k}.claim_lateness_credit_days", c["claim_lateness_credit_days"])


def _validate_weather(w: Mapping[str, Any], k: str, regions: list[str]) -> None:
    _non_negative(f"{k}.storm_rate_per_day", w["storm_rate_per_day"])
    check_distribution(f"{k}.storm_duration", w["storm_duration"])
    _probability(f"{k}.severity_min", w["severity_min"])
    _probability(f"{k}.severity_max", w["severity_max"])
    if w["severity_min"] > w["severity_max"]:
        raise ConfigError(
            f"{k}.severity_min", f"at most severity_max ({w['severity_max']})", w["severity_min"]
        )
    _non_negative(f"{k}.warehouse_slowdown", w["warehouse_slowdown"])
    _non_negative(f"{k}.forecast_lead_h", w["forecast_lead_h"])
    _probability(f"{k}.forecast_hit_p", w["forecast_hit_p"])
    _in_range(f"{k}.false_alarm_ratio", w["false_alarm_ratio"], 0.0, 1.0, high_open=True)
    for i, storm in enumerate(w["storms"]):
        sk = f"{k}.storms[{i}]"
        _known(f"{sk}.region", storm["region"], regions, "region")
        _non_negative(f"{sk}.start_h", storm["start_h"])
        _positive(f"{sk}.duration_h", storm["duration_h"])
        _probability(f"{sk}.severity", storm["severity"])


def _validate_export(e: Mapping[str, Any], k: str) -> None:
    """The order-log export: a known format and zone, hour 0 on a Monday at 00:00."""
    _known(f"{k}.format", e["format"], ("csv", "parquet"), "format")
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
    _probability(f"{k}.test_order_p", e["test_order_p"])
    _probability(f"{k}.duplicate_p", e["duplicate_p"])
