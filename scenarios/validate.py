"""Range and cross-field checks on a scenario, run before anything is built from it.

Types and unknown keys are caught by the schema (:mod:`scenarios.schema`), and checked again here
(:func:`scenarios.checks.check_schema`, which also refuses NaN, infinities and absurd sizes in
every number) for callers that pass plain data; this module then checks what a type cannot say:
rates > 0, probabilities in [0, 1], shares that sum to 1, lanes that name known warehouses, one
distribution per zone, profiles that still mean something once normalised. The first problem raises
:class:`~scenarios.errors.ConfigError` naming the full key and what was expected. It lives in
scenarios so that calibration can validate a fitted scenario without importing ``sim``; the run
config's own checks (``sim.config.validate``) call :func:`validate_scenario`.
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from typing import Any

import numpy as np

from scenarios.checks import (
    SHARE_TOLERANCE,
    at_least,
    at_most,
    check_schema,
    count,
    distribution,
    in_range,
    known,
    non_negative,
    positive,
    probability,
    shares,
)
from scenarios.dates import DEFAULT_START_DATE, parse_date, parse_moment
from scenarios.errors import ConfigError
from scenarios.nps_curve import monotone, nps_knots
from scenarios.schema import ScenarioConf

GROUPS = ("regions", "warehouses", "modes", "product_classes", "channels")
STOCKOUT_ACTIONS = ("reroute", "backorder", "cancel")
MAX_EXTRA_ITEMS_MEAN = 1000.0  # items per order = 1 + Poisson(mean): beyond, not an order
MAX_PROMISE_H = 8760.0  # a promise within a year
MIN_LEAD_TIME_H = 1.0 / 60.0  # replenishment takes at least a minute
CLOCK_RESOLUTION_H = 1.0 / 3600.0  # times of day: a second; finer ones vanish in hour sums


def validate_scenario(sc: Mapping[str, Any], prefix: str = "scenario") -> None:
    """Check a scenario mapping (keys relative to ``prefix``); raise on the first problem."""
    k = prefix
    check_schema(sc, ScenarioConf, prefix)
    start_date = sc.get("start_date", DEFAULT_START_DATE)
    parse_date(f"{k}.start_date", start_date)
    for group in GROUPS:
        if not sc[group]:
            raise ConfigError(f"{k}.{group}", "at least one entry")
    warehouses, regions, modes = list(sc["warehouses"]), list(sc["regions"]), list(sc["modes"])
    products, channels = list(sc["product_classes"]), list(sc["channels"])

    _validate_modes(sc["modes"], f"{k}.modes")
    n_zones = min(len(m["price_usd_by_zone"]) for m in sc["modes"].values())
    _validate_service_levels(sc["service_levels"], f"{k}.service_levels", modes, regions)
    _validate_observed_origins(sc.get("observed_origins") or {}, f"{k}.observed_origins", sc)
    _validate_regions(sc["regions"], f"{k}.regions", warehouses, n_zones)
    _validate_warehouses(sc["warehouses"], f"{k}.warehouses", regions, products)
    _validate_product_classes(sc["product_classes"], f"{k}.product_classes", products)
    _validate_channels(sc["channels"], f"{k}.channels", channels, list(sc["service_levels"]))
    _validate_demand(sc["demand"], f"{k}.demand", products, regions, channels, start_date)
    if sc["demand"].get("calendar") is not None:
        _validate_calendar(
            sc["demand"]["calendar"],
            f"{k}.demand.calendar",
            {"region": regions, "channel": channels, "level": list(sc["service_levels"])},
        )
    _validate_customer(sc["customer"], f"{k}.customer")
    _validate_weather(sc["weather"], f"{k}.weather", regions, start_date)
    _validate_inventory(sc["inventory"], f"{k}.inventory")
    _validate_costs(sc["costs"], f"{k}.costs")
    _validate_emissions(sc.get("emissions") or {}, f"{k}.emissions", modes, n_zones)
    non_negative(f"{k}.allocation_wave_h", sc["allocation_wave_h"])


def _validate_modes(modes: Mapping[str, Any], k: str) -> None:
    """Per carrier mode: prices and transit per zone, pickups, capacity, scans and storms."""
    for name, mode in modes.items():
        mk = f"{k}.{name}"
        prices, transits = mode["price_usd_by_zone"], mode["transit_by_zone"]
        if not prices:
            raise ConfigError(f"{mk}.price_usd_by_zone", "one price per zone (zone 1 first)")
        _one_per_zone(f"{mk}.transit_by_zone", transits, len(prices), "distribution")
        for z, price in enumerate(prices):
            non_negative(f"{mk}.price_usd_by_zone[{z}]", price)
        for z, dist in enumerate(transits):
            distribution(f"{mk}.transit_by_zone[{z}]", dist)
        if not mode["pickup_hours"]:
            raise ConfigError(f"{mk}.pickup_hours", "at least one pickup hour")
        for i, hour in enumerate(mode["pickup_hours"]):
            in_range(f"{mk}.pickup_hours[{i}]", hour, 0.0, 24.0, high_open=True)
        count(f"{mk}.daily_capacity", mode["daily_capacity"], 1)
        positive(f"{mk}.scan_interval_h", mode["scan_interval_h"])
        for p in ("scan_gap_p", "loss_p", "storm_stop_severity"):
            probability(f"{mk}.{p}", mode[p])
        non_negative(f"{mk}.storm_delay_h", mode["storm_delay_h"])


def _one_per_zone(k: str, values: Sequence[Any], n_zones: int, what: str, more: str = "") -> None:
    """A list with one entry per zone, as the modes' prices have."""
    if len(values) != n_zones:
        raise ConfigError(k, f"one {what} per zone ({n_zones}, as prices){more}", len(values))


def _validate_service_levels(
    levels: Mapping[str, Any], k: str, modes: list[str], regions: list[str]
) -> None:
    """The service-level table: per level a promise (by region where given), the customer's mode
    mix over known modes, a cancellation probability."""
    if not levels:
        raise ConfigError(k, "at least one service level (name: {promise_h, mode_mix, urgent})")
    for name, level in levels.items():
        lk = f"{k}.{name}"
        # 0 h is a log's "same day" written as whole days: due at the order time, always late
        non_negative(f"{lk}.promise_h", level["promise_h"])
        at_most(f"{lk}.promise_h", level["promise_h"], MAX_PROMISE_H, "hours")
        for region, hours in level["promise_h_by_region"].items():
            rk = f"{lk}.promise_h_by_region.{region}"
            known(rk, region, regions, "region")
            non_negative(rk, hours)
            at_most(rk, hours, MAX_PROMISE_H, "hours")
        if not level["mode_mix"]:
            raise ConfigError(f"{lk}.mode_mix", "the share of each mode its customers choose")
        shares(f"{lk}.mode_mix", level["mode_mix"], modes, "mode")
        probability(f"{lk}.cancel_p", level["cancel_p"])


def _validate_observed_origins(
    origins: Mapping[str, Mapping[str, float]], k: str, sc: Mapping[str, Any]
) -> None:
    """Per known region: shares of known warehouses serving it (in its zone_to), summing to 1."""
    for region, shares_by_wh in origins.items():
        known(f"{k}.{region}", region, list(sc["regions"]), "region")
        serving = list(sc["regions"][region]["zone_to"])
        shares(f"{k}.{region}", shares_by_wh, list(sc["warehouses"]), "warehouse")
        for wh, share in shares_by_wh.items():
            if share > 0 and wh not in serving:
                raise ConfigError(
                    f"{k}.{region}.{wh}",
                    f"a warehouse serving {region} (in its zone_to: {', '.join(serving)})",
                    share,
                )


def _validate_regions(
    regions: Mapping[str, Any], k: str, warehouses: list[str], n_zones: int
) -> None:
    """Region shares, and each region's zone to known warehouses within the modes' zones."""
    shares(k, {r: v["share"] for r, v in regions.items()}, list(regions), "region")
    for name, region in regions.items():
        rk = f"{k}.{name}"
        if not region["zone_to"]:
            raise ConfigError(f"{rk}.zone_to", "a zone for at least one warehouse")
        for wh, zone in region["zone_to"].items():
            known(f"{rk}.zone_to.{wh}", wh, warehouses, "warehouse")
            if not 1 <= zone <= n_zones:
                raise ConfigError(f"{rk}.zone_to.{wh}", f"a zone in 1..{n_zones}", zone)
        if region["storm_rate_per_day"] is not None:
            non_negative(f"{rk}.storm_rate_per_day", region["storm_rate_per_day"])
        for wh, km in (region.get("distance_km_to") or {}).items():
            known(f"{rk}.distance_km_to.{wh}", wh, warehouses, "warehouse")
            non_negative(f"{rk}.distance_km_to.{wh}", km)


def _validate_warehouses(
    warehouses: Mapping[str, Any], k: str, regions: list[str], products: list[str]
) -> None:
    """Per warehouse: its region, pickers and shifts, pick time, stock, lead time, outages."""
    for name, wh in warehouses.items():
        wk = f"{k}.{name}"
        known(f"{wk}.region", wh["region"], regions, "region")
        count(f"{wk}.pickers", wh["pickers"], 1)
        for i, shift in enumerate(wh["shifts"]):
            start = shift["start_h"]
            in_range(f"{wk}.shifts[{i}].start_h", start, 0.0, 24.0, high_open=True)
            if 0 < start < CLOCK_RESOLUTION_H:  # the pickers' clock would not move (a hang)
                raise ConfigError(
                    f"{wk}.shifts[{i}].start_h",
                    "0 or an hour of day of 1 s (0.000278) or more",
                    start,
                )
            in_range(f"{wk}.shifts[{i}].length_h", shift["length_h"], CLOCK_RESOLUTION_H, 24.0)
            if shift["pickers"] is not None:
                count(f"{wk}.shifts[{i}].pickers", shift["pickers"], 0)
        distribution(f"{wk}.pick_time", wh["pick_time"])
        if wh.get("handling") is not None:
            distribution(f"{wk}.handling", wh["handling"])
        for product, stock in wh["stock"].items():
            _validate_stock(stock, f"{wk}.stock.{product}", product, products)
        at_least(
            f"{wk}.replenish_lead_time_h",
            wh["replenish_lead_time_h"],
            MIN_LEAD_TIME_H,
            "a lead time of a minute or more: hours",
        )
        for i, outage in enumerate(wh["outages"]):
            non_negative(f"{wk}.outages[{i}].start_h", outage["start_h"])
            positive(f"{wk}.outages[{i}].duration_h", outage["duration_h"])


def _validate_stock(stock: Mapping[str, Any], sk: str, product: str, products: list[str]) -> None:
    """(s, S) of one known product class: counts >= 0 and s < S."""
    known(sk, product, products, "product class")
    for field_name in ("initial", "reorder_point", "order_up_to"):
        count(f"{sk}.{field_name}", stock[field_name], 0)
    if stock["reorder_point"] >= stock["order_up_to"]:
        raise ConfigError(
            f"{sk}.reorder_point",
            f"less than order_up_to ({stock['order_up_to']})",
            stock["reorder_point"],
        )


def _validate_product_classes(pcs: Mapping[str, Any], k: str, products: list[str]) -> None:
    shares(k, {p: v["share"] for p, v in pcs.items()}, products, "product class")
    for name, pc in pcs.items():
        pk = f"{k}.{name}"
        positive(f"{pk}.value_mean_usd", pc["value_mean_usd"])
        non_negative(f"{pk}.value_sd_usd", pc["value_sd_usd"])
        probability(f"{pk}.margin_mean", pc["margin_mean"])
        probability(f"{pk}.return_p", pc["return_p"])
        if pc.get("item_weight_kg") is not None:
            positive(f"{pk}.item_weight_kg", pc["item_weight_kg"])


def _validate_channels(
    chs: Mapping[str, Any], k: str, channels: list[str], levels: list[str]
) -> None:
    shares(k, {c: v["share"] for c, v in chs.items()}, channels, "channel")
    for name, ch in chs.items():
        if ch["level_mix"]:  # empty: every order at the first service level
            shares(f"{k}.{name}.level_mix", ch["level_mix"], levels, "service level")
        positive(f"{k}.{name}.value_multiplier", ch["value_multiplier"])


def _validate_demand(
    d: Mapping[str, Any],
    k: str,
    products: list[str],
    regions: list[str],
    channels: list[str],
    start_date: Any,
) -> None:
    positive(f"{k}.base_rate_per_h", d["base_rate_per_h"])
    for key, length in (("hourly_profile", 24), ("weekly_profile", 7)):
        _validate_profile(d[key], f"{k}.{key}", length)
    non_negative(f"{k}.extra_items_mean", d["extra_items_mean"])
    at_most(f"{k}.extra_items_mean", d["extra_items_mean"], MAX_EXTRA_ITEMS_MEAN, "a mean")
    probability(f"{k}.vip_p", d["vip_p"])
    _unique_names(d["bursts"], f"{k}.bursts", "burst")
    for i, burst in enumerate(d["bursts"]):
        bk = f"{k}.bursts[{i}]"
        _validate_start(burst, bk, start_date)
        non_negative(f"{bk}.ramp_h", burst["ramp_h"])
        if burst["peak_multiplier"] < 1:
            raise ConfigError(
                f"{bk}.peak_multiplier", "a multiplier >= 1", burst["peak_multiplier"]
            )
        positive(f"{bk}.decay_tau_h", burst["decay_tau_h"])
        positive(f"{bk}.duration_h", burst["duration_h"])
        known(f"{bk}.channel", burst["channel"], channels, "channel")
        if burst["product_mix"]:
            shares(f"{bk}.product_mix", burst["product_mix"], products, "product class")
        if burst["region_mix"]:
            shares(f"{bk}.region_mix", burst["region_mix"], regions, "region")


CALENDAR_PROJECTIONS = ("hold", "trend")


def _unique_names(items: list[Mapping[str, Any]], k: str, what: str) -> None:
    """Each item of a list names itself once (a burst, an event: streams and reports key on it)."""
    seen: dict[str, int] = {}
    for i, item in enumerate(items):
        if item["name"] in seen:
            where = f"{k.rsplit('.', 1)[-1]}[{seen[item['name']]}]"
            expected = f"a name no other {what} has ({where})"
            raise ConfigError(f"{k}[{i}].name", expected, item["name"])
        seen[item["name"]] = i


MONTH = re.compile(r"^\d{4}-\d{2}$")


def _is_month(value: Any) -> bool:
    return isinstance(value, str) and MONTH.match(value) is not None


def _validate_calendar(c: Mapping[str, Any], k: str, names: Mapping[str, Sequence[str]]) -> None:
    """Knots on increasing dates with levels >= 0, 12 month factors (or none), named events with a
    date, a length in days and a multiplier >= 0, and how to project past the last knot."""
    previous = None
    for i, knot in enumerate(c["daily_level"]):
        kk = f"{k}.daily_level[{i}]"
        day = parse_date(f"{kk}.date", knot["date"])
        if previous is not None and day <= previous:
            raise ConfigError(
                f"{kk}.date", f"a date after the previous knot's ({previous})", knot["date"]
            )
        previous = day
        non_negative(f"{kk}.level", knot["level"])
    if c["yearly_profile"]:
        _validate_profile(c["yearly_profile"], f"{k}.yearly_profile", 12)
    known(f"{k}.past_last_knot", c["past_last_knot"], CALENDAR_PROJECTIONS, "projection")
    if c["past_last_knot"] == "trend" and len(c["daily_level"]) < 2:
        raise ConfigError(f"{k}.daily_level", "two or more knots to take a trend from")
    _unique_names(c["events"], f"{k}.events", "event")
    for i, event in enumerate(c["events"]):
        ek = f"{k}.events[{i}]"
        parse_moment(f"{ek}.start", event["start"])
        positive(f"{ek}.days", event["days"])
        non_negative(f"{ek}.multiplier", event["multiplier"])
    for what, known_names in names.items():
        _validate_month_rows(c.get(f"{what}_mix_by_month") or [], k, what, known_names)


def _validate_month_rows(
    rows: Sequence[Mapping[str, Any]], k: str, what: str, known_names: Sequence[str]
) -> None:
    """``{what}_mix_by_month`` rows: months as YYYY-MM, increasing, shares of known names."""
    previous_month = None
    for i, row in enumerate(rows):
        mk = f"{k}.{what}_mix_by_month[{i}]"
        month = parse_date(f"{mk}.month", f"{row['month']}-01") if _is_month(row["month"]) else None
        if month is None:
            raise ConfigError(f"{mk}.month", "a month as YYYY-MM", row["month"])
        if previous_month is not None and month <= previous_month:
            raise ConfigError(f"{mk}.month", "a month after the previous row's", row["month"])
        previous_month = month
        shares(f"{mk}.shares", row["shares"], known_names, what)


def _validate_profile(profile: list[float], k: str, length: int) -> None:
    """``length`` values >= 0 whose mean is a number > 0: the engine divides by it."""
    if len(profile) != length:
        raise ConfigError(k, f"{length} values", len(profile))
    for i, v in enumerate(profile):
        non_negative(f"{k}[{i}]", v)
    with np.errstate(all="ignore"):
        values = np.asarray(profile, dtype=float)
        normalised = values / values.mean()
    if not (values.mean() > 0 and np.isfinite(normalised).all()):
        raise ConfigError(
            k, "values whose mean is a number > 0 (the profile is relative: scale it down)"
        )


def _validate_customer(c: Mapping[str, Any], k: str) -> None:
    probability(f"{k}.pseudo_urgent_p", c["pseudo_urgent_p"])
    non_negative(f"{k}.pseudo_urgent_extra_h", c["pseudo_urgent_extra_h"])
    non_negative(f"{k}.pseudo_urgent_extra_sd_h", c["pseudo_urgent_extra_sd_h"])
    non_negative(f"{k}.signal_separation", c["signal_separation"])
    _validate_nps_table(c, k)
    for key in ("cancelled_promoter_p", "cancelled_detractor_p"):
        probability(f"{k}.{key}", c[key])
    non_negative(f"{k}.early_return_uplift_per_day", c["early_return_uplift_per_day"])
    non_negative(f"{k}.claim_lateness_credit_days", c["claim_lateness_credit_days"])


def _validate_nps_table(c: Mapping[str, Any], k: str) -> None:
    """DOMAIN's NPS rows: bounds, shares, and a monotone curve that keeps each row's mean."""
    bounds = c["nps_row_upper_days"]
    if (
        len(bounds) < 2
        or bounds[0] != 0
        or any(b <= a for a, b in zip(bounds, bounds[1:], strict=False))
    ):
        raise ConfigError(
            f"{k}.nps_row_upper_days", "increasing upper bounds from 0, two or more", bounds
        )
    drop = c["nps_drop_days"]
    if not 0 < drop < bounds[1]:
        raise ConfigError(f"{k}.nps_drop_days", f"inside the second row, (0, {bounds[1]})", drop)
    curves = {}
    for key in ("nps_promoter_p", "nps_detractor_p"):
        if len(c[key]) != len(bounds) + 1:
            raise ConfigError(
                f"{k}.{key}", f"{len(bounds) + 1} values, one per lateness row", len(c[key])
            )
        for i, p in enumerate(c[key]):
            probability(f"{k}.{key}[{i}]", p)
        _, curves[key] = nps_knots(np.asarray(bounds, float), np.asarray(c[key], float), drop)
        if not monotone(curves[key]) or curves[key].min() < 0 or curves[key].max() > 1:
            raise ConfigError(
                f"{k}.{key}",
                "row shares a monotone curve between 0 and 1 can average to",
                c[key],
            )
    both = curves["nps_promoter_p"] + curves["nps_detractor_p"]
    if both.max() > 1 + SHARE_TOLERANCE:
        raise ConfigError(
            f"{k}.nps_detractor_p",
            "shares whose curve stays at most 1 - promoter",
            c["nps_detractor_p"],
        )


def _validate_start(event: Mapping[str, Any], k: str, start_date: Any) -> None:
    """Exactly one of ``start_h`` (hours from hour 0) and ``start`` (a date), not before hour 0."""
    start = event.get("start")
    if (event["start_h"] is None) == (start is None):
        raise ConfigError(
            f"{k}.start_h", "either start_h (hours) or start (a date such as 2025-03-10), not both"
        )
    if start is None:
        non_negative(f"{k}.start_h", event["start_h"])
        return
    moment = parse_moment(f"{k}.start", start)
    if moment.date() < parse_date("start_date", start_date):
        raise ConfigError(f"{k}.start", f"a date on or after start_date ({start_date})", start)


def _validate_weather(w: Mapping[str, Any], k: str, regions: list[str], start_date: Any) -> None:
    non_negative(f"{k}.storm_rate_per_day", w["storm_rate_per_day"])
    distribution(f"{k}.storm_duration", w["storm_duration"])
    probability(f"{k}.severity_min", w["severity_min"])
    probability(f"{k}.severity_max", w["severity_max"])
    if w["severity_min"] > w["severity_max"]:
        raise ConfigError(
            f"{k}.severity_min", f"at most severity_max ({w['severity_max']})", w["severity_min"]
        )
    non_negative(f"{k}.warehouse_slowdown", w["warehouse_slowdown"])
    non_negative(f"{k}.forecast_lead_h", w["forecast_lead_h"])
    probability(f"{k}.forecast_hit_p", w["forecast_hit_p"])
    in_range(
        f"{k}.forecast_late_lead_h", w["forecast_late_lead_h"], 0.0, float(w["forecast_lead_h"])
    )
    in_range(f"{k}.forecast_late_hit_p", w["forecast_late_hit_p"], float(w["forecast_hit_p"]), 1.0)
    in_range(f"{k}.false_alarm_ratio", w["false_alarm_ratio"], 0.0, 1.0, high_open=True)
    non_negative(f"{k}.forecast_start_sd_h_per_lead_day", w["forecast_start_sd_h_per_lead_day"])
    non_negative(f"{k}.forecast_severity_sd", w["forecast_severity_sd"])
    for i, storm in enumerate(w["storms"]):
        sk = f"{k}.storms[{i}]"
        known(f"{sk}.region", storm["region"], regions, "region")
        _validate_start(storm, sk, start_date)
        positive(f"{sk}.duration_h", storm["duration_h"])
        probability(f"{sk}.severity", storm["severity"])


def _validate_inventory(inv: Mapping[str, Any], k: str) -> None:
    non_negative(f"{k}.sync_interval_h", inv["sync_interval_h"])
    known(f"{k}.on_stockout", inv["on_stockout"], STOCKOUT_ACTIONS, "stock-out action")
    count(f"{k}.max_reroutes", inv["max_reroutes"], 0)
    non_negative(f"{k}.reroute_delay_h", inv["reroute_delay_h"])
    # a share of 1 would mean the web sells nothing of the warehouse's units
    in_range(f"{k}.other_channel_share", inv["other_channel_share"], 0.0, 1.0, high_open=True)
    probability(f"{k}.shrink_share", inv["shrink_share"])


def _validate_emissions(em: Mapping[str, Any], k: str, modes: list[str], n_zones: int) -> None:
    """Factors >= 0 for known modes, one distance > 0 per zone (or none), last mile >= 0."""
    for mode, factor in (em.get("kg_co2e_per_tonne_km") or {}).items():
        known(f"{k}.kg_co2e_per_tonne_km.{mode}", mode, modes, "mode")
        non_negative(f"{k}.kg_co2e_per_tonne_km.{mode}", factor)
    by_zone = em.get("distance_km_by_zone") or []
    if by_zone:
        _one_per_zone(f"{k}.distance_km_by_zone", by_zone, n_zones, "distance", ", or none")
    for z, km in enumerate(by_zone):
        positive(f"{k}.distance_km_by_zone[{z}]", km)
    non_negative(f"{k}.last_mile_kg_per_parcel", em.get("last_mile_kg_per_parcel", 0.0))


def _validate_costs(costs: Mapping[str, Any], k: str) -> None:
    probability(f"{k}.held_order_margin_loss_p", costs["held_order_margin_loss_p"])
    probability(f"{k}.unserved_margin_loss_p", costs["unserved_margin_loss_p"])
    for name, value in costs.items():
        non_negative(f"{k}.{name}", value)
