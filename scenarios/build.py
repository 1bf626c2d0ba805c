"""Turn a validated scenario mapping into a frozen :class:`~scenarios.world.World`.

Takes plain nested dicts (``OmegaConf.to_container`` of ``cfg.scenario``), so it is usable without
Hydra; run :func:`scenarios.validate.validate_scenario` first for clear errors.
"""

from __future__ import annotations

import datetime
from collections.abc import Mapping, Sequence
from typing import Any

import numpy as np

from scenarios.dates import DEFAULT_START_DATE, hours_from, parse_date
from scenarios.distributions import Distribution
from scenarios.world import (
    Burst,
    Calendar,
    Costs,
    CustomerModel,
    Demand,
    Emissions,
    Inventory,
    Mode,
    MonthRows,
    ScriptedStorm,
    ServiceLevel,
    Shift,
    Warehouse,
    Weather,
    World,
)

UNLIMITED_STOCK = np.iinfo(np.int64).max // 4


def distribution(conf: Mapping[str, Any]) -> Distribution:
    return Distribution(conf["dist"], float(conf["mean_h"]), float(conf.get("sd_h") or 0.0))


def _mix(mix: Mapping[str, float], names: Sequence[str], default: np.ndarray) -> np.ndarray:
    if not mix:
        return default
    return np.array([float(mix.get(n, 0.0)) for n in names])


def _normalised(values: Sequence[float]) -> np.ndarray:
    arr = np.asarray(values, dtype=float)
    return arr / arr.mean()


def build(sc: Mapping[str, Any]) -> World:
    """Build the world from a scenario mapping."""
    regions = tuple(sc["regions"])
    wh_names = tuple(sc["warehouses"])
    mode_names = tuple(sc["modes"])
    products = tuple(sc["product_classes"])
    channels = tuple(sc["channels"])
    inventory_enabled = bool(sc["inventory"]["enabled"])
    start = parse_date("start_date", sc.get("start_date", DEFAULT_START_DATE))
    return World(
        name=str(sc["name"]),
        start_date=start,
        regions=regions,
        warehouses=tuple(
            _warehouse(name, wh, regions, products, inventory_enabled)
            for name, wh in sc["warehouses"].items()
        ),
        modes=tuple(_mode(name, m) for name, m in sc["modes"].items()),
        product_classes=products,
        channels=channels,
        zone=_zones(sc["regions"], regions, wh_names),
        demand=_demand(sc, regions, products, channels, start),
        customer=_customer(sc["customer"]),
        weather=_weather(sc["weather"], sc["regions"], regions, start),
        inventory=_inventory(sc["inventory"]),
        costs=Costs.from_conf(sc["costs"]),
        allocation_wave_h=float(sc["allocation_wave_h"]),
        service_levels=tuple(
            _service_level(name, level, regions, mode_names)
            for name, level in sc["service_levels"].items()
        ),
        observed_origin=_observed_origin(sc.get("observed_origins") or {}, regions, wh_names),
        emissions=emissions(sc, regions, wh_names, mode_names, products),
    )


def emissions(
    sc: Mapping[str, Any],
    regions: Sequence[str],
    wh_names: Sequence[str],
    mode_names: Sequence[str],
    products: Sequence[str],
) -> Emissions:
    """Emission factors by mode, lane distances and item weights; NaN wherever not given.

    A lane's distance is its region's ``distance_km_to`` entry, else its zone's
    ``distance_km_by_zone``; a lane with neither stays unknown.
    """
    em = sc.get("emissions") or {}
    factors = em.get("kg_co2e_per_tonne_km") or {}
    by_zone = [float(d) for d in em.get("distance_km_by_zone") or []]
    zone = _zones(sc["regions"], regions, wh_names)
    distance = np.full(zone.shape, np.nan)
    for (r, w), z in np.ndenumerate(zone):
        if 1 <= z <= len(by_zone):
            distance[r, w] = by_zone[z - 1]
    for r, name in enumerate(regions):
        for wh, km in (sc["regions"][name].get("distance_km_to") or {}).items():
            distance[r, wh_names.index(wh)] = float(km)
    weights = [sc["product_classes"][p].get("item_weight_kg") for p in products]
    return Emissions(
        kg_per_tonne_km=np.array([float(factors.get(m, np.nan)) for m in mode_names]),
        distance_km=distance,
        item_weight_kg=np.array([np.nan if w is None else float(w) for w in weights]),
        last_mile_kg_per_parcel=float(em.get("last_mile_kg_per_parcel", 0.0)),
    )


def _observed_origin(
    origins: Mapping[str, Mapping[str, float]], regions: Sequence[str], wh_names: Sequence[str]
) -> np.ndarray | None:
    """Origin shares by [region, warehouse] as logged, or None when the scenario has none."""
    if not origins:
        return None
    table = np.zeros((len(regions), len(wh_names)))
    for region, shares_by_wh in origins.items():
        table[regions.index(region)] = [float(shares_by_wh.get(w, 0.0)) for w in wh_names]
    return table


def _service_level(
    name: str, level: Mapping[str, Any], regions: Sequence[str], modes: Sequence[str]
) -> ServiceLevel:
    by_region = level["promise_h_by_region"]
    return ServiceLevel(
        name=name,
        promise_h=np.array([float(by_region.get(r, level["promise_h"])) for r in regions]),
        mode_mix=np.array([float(level["mode_mix"].get(m, 0.0)) for m in modes]),
        urgent=bool(level["urgent"]),
        cancel_p=float(level["cancel_p"]),
    )


def _zones(
    regions_cfg: Mapping[str, Any], regions: Sequence[str], wh_names: Sequence[str]
) -> np.ndarray:
    """Carrier zone by (region, warehouse); 0 where the region names no zone to it."""
    zone = np.zeros((len(regions), len(wh_names)), dtype=np.int64)
    for r, name in enumerate(regions):
        for wh, z in regions_cfg[name]["zone_to"].items():
            zone[r, wh_names.index(wh)] = int(z)
    return zone


def _stock(
    wh: Mapping[str, Any], products: Sequence[str], inventory_enabled: bool
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """(initial, reorder point s, order-up-to S) by product class; unlimited with inventory off."""
    n_products = len(products)
    if not inventory_enabled:
        initial = np.full(n_products, UNLIMITED_STOCK, dtype=np.int64)
        return initial, np.full(n_products, -1, dtype=np.int64), initial.copy()
    initial = np.zeros(n_products, dtype=np.int64)
    s_point = np.full(n_products, -1, dtype=np.int64)  # -1: never reorder
    s_upto = np.zeros(n_products, dtype=np.int64)
    for p, st in wh["stock"].items():
        i = products.index(p)
        initial[i], s_point[i], s_upto[i] = st["initial"], st["reorder_point"], st["order_up_to"]
    return initial, s_point, s_upto


def _warehouse(
    name: str,
    wh: Mapping[str, Any],
    regions: Sequence[str],
    products: Sequence[str],
    inventory_enabled: bool,
) -> Warehouse:
    initial, s_point, s_upto = _stock(wh, products, inventory_enabled)
    shifts = tuple(
        Shift(
            float(s["start_h"]),
            float(s["length_h"]),
            int(wh["pickers"] if s["pickers"] is None else s["pickers"]),
        )
        for s in wh["shifts"]
    )
    return Warehouse(
        name=name,
        region=regions.index(wh["region"]),
        pickers=int(wh["pickers"]),
        shifts=shifts,
        pick_time=distribution(wh["pick_time"]),
        stock_initial=initial,
        reorder_point=s_point,
        order_up_to=s_upto,
        replenish_lead_time_h=float(wh["replenish_lead_time_h"]),
        outages=tuple(
            (float(o["start_h"]), float(o["start_h"] + o["duration_h"])) for o in wh["outages"]
        ),
        handling=None if wh.get("handling") is None else distribution(wh["handling"]),
    )


def _mode(name: str, m: Mapping[str, Any]) -> Mode:
    return Mode(
        name=name,
        price_usd_by_zone=np.asarray(m["price_usd_by_zone"], dtype=float),
        transit_by_zone=tuple(distribution(d) for d in m["transit_by_zone"]),
        pickup_hours=tuple(sorted(float(h) for h in m["pickup_hours"])),
        daily_capacity=int(m["daily_capacity"]),
        scan_interval_h=float(m["scan_interval_h"]),
        scan_gap_p=float(m["scan_gap_p"]),
        loss_p=float(m["loss_p"]),
        storm_delay_h=float(m["storm_delay_h"]),
        storm_stop_severity=float(m["storm_stop_severity"]),
    )


def _burst(
    b: Mapping[str, Any],
    regions: Sequence[str],
    products: Sequence[str],
    channels: Sequence[str],
    region_share: np.ndarray,
    product_share: np.ndarray,
    start: datetime.date,
) -> Burst:
    return Burst(
        name=b["name"],
        start_h=storm_start_h(b, start),
        ramp_h=float(b["ramp_h"]),
        peak_multiplier=float(b["peak_multiplier"]),
        decay_tau_h=float(b["decay_tau_h"]),
        duration_h=float(b["duration_h"]),
        channel=channels.index(b["channel"]),
        product_mix=_mix(b["product_mix"], products, product_share),
        region_mix=_mix(b["region_mix"], regions, region_share),
        promotion=bool(b["promotion"]),
    )


def _demand(
    sc: Mapping[str, Any],
    regions: Sequence[str],
    products: Sequence[str],
    channels: Sequence[str],
    start: datetime.date,
) -> Demand:
    """Base demand with its profiles, calendar and mixes, and the bursts on top."""
    pcs = sc["product_classes"]
    chs = sc["channels"]
    region_share = np.array([sc["regions"][r]["share"] for r in regions], dtype=float)
    product_share = np.array([pcs[p]["share"] for p in products], dtype=float)
    d = sc["demand"]
    levels = list(sc["service_levels"])
    first_only = np.eye(len(levels))[0]
    level_mix = np.array(
        [_mix(chs[c]["level_mix"], levels, first_only) for c in channels], dtype=float
    )
    return Demand(
        base_rate_per_h=float(d["base_rate_per_h"]),
        hourly_profile=_normalised(d["hourly_profile"]),
        weekly_profile=_normalised(d["weekly_profile"]),
        extra_items_mean=float(d["extra_items_mean"]),
        vip_p=float(d["vip_p"]),
        region_share=region_share,
        product_share=product_share,
        product_value_mean_usd=np.array([pcs[p]["value_mean_usd"] for p in products], float),
        product_value_sd_usd=np.array([pcs[p]["value_sd_usd"] for p in products], float),
        product_margin_mean=np.array([pcs[p]["margin_mean"] for p in products], float),
        product_return_p=np.array([pcs[p]["return_p"] for p in products], float),
        channel_share=np.array([chs[c]["share"] for c in channels], float),
        channel_level_mix=level_mix,
        channel_value_multiplier=np.array([chs[c]["value_multiplier"] for c in channels], float),
        bursts=tuple(
            _burst(b, regions, products, channels, region_share, product_share, start)
            for b in d["bursts"]
        ),
        calendar=None
        if d.get("calendar") is None
        else calendar(d["calendar"], start, regions, channels, levels),
    )


def _month_rows(
    rows: Sequence[Mapping[str, Any]], start: datetime.date, names: Sequence[str]
) -> MonthRows:
    """``*_mix_by_month`` rows as days from hour 0 and shares in ``names``' order."""
    return MonthRows(
        from_day=np.array(
            [hours_from(start, "month", f"{r['month']}-01") / 24.0 for r in rows], dtype=float
        ),
        shares=np.array(
            [[float(r["shares"].get(name, 0.0)) for name in names] for r in rows], dtype=float
        ).reshape(len(rows), len(names)),
    )


def calendar(
    c: Mapping[str, Any],
    start: datetime.date,
    regions: Sequence[str] = (),
    channels: Sequence[str] = (),
    levels: Sequence[str] = (),
) -> Calendar:
    """The dated demand calendar, dates turned into days and hours from hour 0."""
    knots = c["daily_level"]
    knot_day = np.array([hours_from(start, "date", k["date"]) / 24.0 for k in knots])
    knot_level = np.array([float(k["level"]) for k in knots])
    trend = 0.0
    if c["past_last_knot"] == "trend" and len(knots) >= 2:
        trend = (knot_level[-1] - knot_level[-2]) / (knot_day[-1] - knot_day[-2])
    events = c["events"]
    mixes = c.get("region_mix_by_month") or []
    event_start = np.array([hours_from(start, "start", e["start"]) for e in events])
    return Calendar(
        knot_day=knot_day,
        knot_level=knot_level,
        trend_per_day=float(trend),
        yearly_profile=_normalised(c["yearly_profile"]) if c["yearly_profile"] else np.ones(0),
        start_date=np.datetime64(start.isoformat(), "D"),
        event_start_h=event_start,
        event_end_h=event_start + np.array([24.0 * float(e["days"]) for e in events]),
        event_multiplier=np.array([float(e["multiplier"]) for e in events]),
        mix_from_day=np.array(
            [hours_from(start, "month", f"{r['month']}-01") / 24.0 for r in mixes], dtype=float
        ),
        region_share_by_month=np.array(
            [[float(r["shares"].get(name, 0.0)) for name in regions] for r in mixes], dtype=float
        ).reshape(len(mixes), len(regions)),
        channel_mix=_month_rows(c.get("channel_mix_by_month") or [], start, channels),
        level_mix=_month_rows(c.get("level_mix_by_month") or [], start, levels),
    )


def _customer(c: Mapping[str, Any]) -> CustomerModel:
    return CustomerModel(
        pseudo_urgent_p=float(c["pseudo_urgent_p"]),
        pseudo_urgent_extra_h=float(c["pseudo_urgent_extra_h"]),
        pseudo_urgent_extra_sd_h=float(c["pseudo_urgent_extra_sd_h"]),
        signal_separation=float(c["signal_separation"]),
        nps_row_upper_days=np.asarray(c["nps_row_upper_days"], float),
        nps_drop_days=float(c["nps_drop_days"]),
        nps_promoter_p=np.asarray(c["nps_promoter_p"], float),
        nps_detractor_p=np.asarray(c["nps_detractor_p"], float),
        cancelled_promoter_p=float(c["cancelled_promoter_p"]),
        cancelled_detractor_p=float(c["cancelled_detractor_p"]),
        early_return_uplift_per_day=float(c["early_return_uplift_per_day"]),
        claim_lateness_credit_days=float(c["claim_lateness_credit_days"]),
    )


def storm_start_h(storm: Mapping[str, Any], start: datetime.date, key: str = "start") -> float:
    """A scripted storm's or a burst's onset in hours: ``start_h``, or its ``start`` date from
    ``start_date``."""
    if storm.get("start") is not None:  # absent from files older than dated storms
        return hours_from(start, key, storm["start"])
    return float(storm["start_h"])


def _weather(
    w: Mapping[str, Any],
    regions_cfg: Mapping[str, Any],
    regions: Sequence[str],
    start: datetime.date,
) -> Weather:
    """Random storms (a region's own rate, else the default) and the scenario's scripted ones."""
    default_rate = float(w["storm_rate_per_day"])
    return Weather(
        storm_rate_per_day=np.array(
            [
                default_rate
                if regions_cfg[r]["storm_rate_per_day"] is None
                else float(regions_cfg[r]["storm_rate_per_day"])
                for r in regions
            ]
        ),
        storm_duration=distribution(w["storm_duration"]),
        severity_min=float(w["severity_min"]),
        severity_max=float(w["severity_max"]),
        warehouse_slowdown=float(w["warehouse_slowdown"]),
        forecast_lead_h=float(w["forecast_lead_h"]),
        forecast_hit_p=float(w["forecast_hit_p"]),
        forecast_late_lead_h=float(w["forecast_late_lead_h"]),
        forecast_late_hit_p=float(w["forecast_late_hit_p"]),
        false_alarm_ratio=float(w["false_alarm_ratio"]),
        forecast_start_sd_h_per_lead_day=float(w["forecast_start_sd_h_per_lead_day"]),
        forecast_severity_sd=float(w["forecast_severity_sd"]),
        scripted=tuple(
            ScriptedStorm(
                regions.index(s["region"]),
                storm_start_h(s, start),
                float(s["duration_h"]),
                float(s["severity"]),
                bool(s["forecast"]),
            )
            for s in w["storms"]
        ),
    )


def _inventory(inv: Mapping[str, Any]) -> Inventory:
    return Inventory(
        enabled=bool(inv["enabled"]),
        sync_interval_h=float(inv["sync_interval_h"]),
        on_stockout=str(inv["on_stockout"]),
        max_reroutes=int(inv["max_reroutes"]),
        reroute_delay_h=float(inv["reroute_delay_h"]),
        other_channel_share=float(inv["other_channel_share"]),
        shrink_share=float(inv["shrink_share"]),
    )
