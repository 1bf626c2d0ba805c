"""Calibrate a scenario from an order log: read, clean, fit, and assemble a valid scenario.

What the log identifies is fitted (demand profile and bursts, mixes, values, promise, transit,
pickup hours, zones when names are new); what it cannot identify (pickers, shifts, pick time,
stock, costs, the customer model, storms) is carried over from a template scenario and listed
in the report as an assumption. The result validates against the scenario schema before anything
is written; :func:`calibrate` itself writes nothing, and takes the template as plain data (the
commands compose it with Hydra), so calibration needs nothing from ``sim``.
"""

from __future__ import annotations

import copy
import dataclasses
import math
import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
from omegaconf import OmegaConf

from scenarios import schema
from scenarios.calibration.calendar import CalendarFit, fit_calendar, yearly_seasons
from scenarios.calibration.clock import LogClock, log_clock, on_engine_clock
from scenarios.calibration.demand import DemandFit, burst_mix, fit_demand
from scenarios.calibration.emissions import (
    emissions_conf,
    item_weights,
    located_distances,
    unpriced_modes,
)
from scenarios.calibration.handling import HandlingFit, fit_handling
from scenarios.calibration.levels import (
    fit_level_mix,
    fit_service_levels,
    monthly_mix_drift,
    observed_origins,
)
from scenarios.calibration.mix import (
    ONE_CHANNEL,
    ONE_CLASS,
    column_or,
    fit_channels,
    fit_product_classes,
    shares,
)
from scenarios.calibration.monthly_mix import fit_mix_by_month
from scenarios.calibration.network import NetworkFit, fit_network, lane_zones
from scenarios.calibration.order_log import OrderLog, OrderLogError, read_order_log
from scenarios.calibration.prices import fit_mode_prices
from scenarios.calibration.quality import CleanLog, clean_log
from scenarios.calibration.reading import ReadOptions
from scenarios.calibration.report import summarise
from scenarios.calibration.shipping import carrier_late_rates, pick_to_ship
from scenarios.schema import ScenarioConf
from scenarios.validate import validate_scenario

UNLIMITED_CAPACITY = 100_000
MIN_ORDERS = 20  # kept after the data-quality checks: fewer cannot fit a profile
MIN_DELIVERED = 10  # with ship and delivery times: fewer cannot fit transit
MIN_SPAN_H = 24.0  # of creation times: a shorter log has no daily profile to fit
MAX_SPAN_DAYS = 3_660  # ten years: longer is a stray date, and the hourly fit would take minutes
PILE_MIN_ORDERS, PILE_MAX_SHARE = 100, 0.05  # more at one instant: a batch stamp, not demand
PROFILE_DIGITS = 4


@dataclass
class Calibration:
    scenario: dict[str, Any]  # plain scenario mapping, validated
    report: dict[str, Any]  # every number behind it, for fit.json and the markdown report
    clean: CleanLog
    warnings: list[str] = field(default_factory=list)  # for the command line, one line each


def schema_fields(conf: type) -> set[str]:
    """Keys a schema section knows: fitted keys the engine does not read yet are kept out of
    the scenario (and listed in the report) rather than refused by validation."""
    return {f.name for f in dataclasses.fields(conf)}


def _blank_routing(log: OrderLog) -> tuple[OrderLog, list[str]]:
    """A log whose mode (or warehouse) column is blank on every row has one carrier network (or
    one origin) it did not name: fitted as such, under a stated name, and said so."""
    frame, notes = log.frame, []
    for column, name in (("mode", "parcel"), ("warehouse", "origin")):
        if (frame[column] == "").all():
            frame = frame.assign(**{column: name})
            notes.append(f"column {column} is blank on every row: one {column}, named {name!r}")
    return dataclasses.replace(log, frame=frame), notes


_INTERPOLATION = re.compile(r"(\\*)\$\{")


def literal(value: Any) -> Any:
    """``value`` with every string escaped for OmegaConf, so that text from an order log (a region
    called ``${oc.env:HOME}``, a file name) reads back as itself and is never resolved."""
    if isinstance(value, str):
        return _INTERPOLATION.sub(lambda m: m.group(1) * 2 + "\\${", value)
    if isinstance(value, Mapping):
        return {k: literal(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [literal(v) for v in value]
    return value


def checked(scenario: Mapping[str, Any]) -> dict[str, Any]:
    """The scenario merged over the schema's defaults and validated (raises ConfigError)."""
    merged = OmegaConf.merge(OmegaConf.structured(ScenarioConf), literal(scenario))
    plain = OmegaConf.to_container(merged, resolve=True)
    assert isinstance(plain, dict)
    validate_scenario({str(k): v for k, v in plain.items()})
    return {str(k): v for k, v in plain.items()}


def _warehouses(
    orders: pd.DataFrame, network: NetworkFit, template: Mapping[str, Any]
) -> tuple[dict[str, Any], list[str]]:
    """Warehouses by name: the template's where names match, else its first, pickers scaled."""
    t_whs = template["warehouses"]
    t_rate = float(template["demand"]["base_rate_per_h"])
    pickers_per_rate = sum(int(w["pickers"]) for w in t_whs.values()) / t_rate
    hours = max(float(orders["created_h"].max() - orders["created_h"].min()), 1.0)
    out, notes = {}, []
    for name, region in network.warehouse_region.items():
        base = t_whs.get(name)
        if base is None:
            base = next(iter(t_whs.values()))
            rate = float((orders["warehouse"] == name).sum()) / hours
            pickers = max(1, math.ceil(pickers_per_rate * rate))
            notes.append(
                f"warehouse {name}: not in the template; shifts and pick time of its first "
                f"warehouse, {pickers} pickers (its pickers per order/h)"
            )
        else:
            pickers = int(base["pickers"])
        wh = {k: copy.deepcopy(base[k]) for k in ("shifts", "pick_time", "replenish_lead_time_h")}
        out[name] = {"region": region, "pickers": pickers, **wh, "stock": {}, "outages": []}
    return out, notes


def _modes(
    network: NetworkFit, template: Mapping[str, Any], orders: pd.DataFrame
) -> tuple[dict[str, Any], dict[str, Any]]:
    """Each fitted mode (the template's of that name, else its first) with the fitted transit,
    pickups and prices (:mod:`scenarios.calibration.prices`), and the prices' report."""
    template_prices = {}
    for name in network.transit:
        base = template["modes"].get(name) or next(iter(template["modes"].values()))
        prices = [float(p) for p in base["price_usd_by_zone"]]
        template_prices[name] = (prices + [prices[-1]] * network.n_zones)[: network.n_zones]
    zone = lane_zones(orders, network.zone_to)
    fitted, report = fit_mode_prices(orders, zone, template_prices, template["costs"])
    out = {}
    for name, transit in network.transit.items():
        base = template["modes"].get(name) or next(iter(template["modes"].values()))
        mode = copy.deepcopy(dict(base))
        mode.update(
            price_usd_by_zone=fitted[name],
            transit_by_zone=transit,
            pickup_hours=network.pickup_hours[name],
            loss_p=0.0,  # lost parcels' late replacements are inside the fitted transit
        )
        if name not in template["modes"]:
            mode["daily_capacity"] = UNLIMITED_CAPACITY
        out[name] = mode
    return out, report


def _bursts(orders: pd.DataFrame, demand: DemandFit, base: np.ndarray) -> list[dict[str, Any]]:
    created = orders["created_h"].to_numpy()
    channel = column_or(orders, "channel", ONE_CHANNEL)
    product = column_or(orders, "product_class", ONE_CLASS)
    out = []
    for i, b in enumerate(demand.bursts, start=1):
        usual = {str(c): float(s) for c, s in channel[base].value_counts(normalize=True).items()}
        channels = burst_mix(channel.to_numpy(), created, b, usual)
        mixes = {}
        for key, names in (("product_mix", product), ("region_mix", orders["region"])):
            usual = {str(c): float(s) for c, s in names[base].value_counts(normalize=True).items()}
            mix = burst_mix(names.to_numpy(), created, b, usual)
            mixes[key] = shares(mix, mix.values()) if mix else {}
        out.append(
            {
                "name": f"burst_{i}",
                "start_h": round(b.start_h, 4),
                "ramp_h": round(b.ramp_h, 4),
                "peak_multiplier": round(max(b.peak_multiplier, 1.0), 3),
                "decay_tau_h": round(b.decay_tau_h, 4),
                "duration_h": round(b.duration_h, 2),
                "channel": max(channels, key=lambda c: channels[c]) if channels else "",
                **mixes,
                "promotion": True,
            }
        )
    return out


def check_fittable(path: str | Path, clean: CleanLog, row_word: str = "line") -> None:
    """Refuse, in one line, a log that parses but cannot be fitted (too few orders, no deliveries,
    all at one instant, a stray far date), instead of a traceback or a silently absurd scenario."""
    orders = clean.orders
    if len(orders) < MIN_ORDERS:
        dropped = ", ".join(f"{k} {v:,}" for k, v in clean.counts.items() if v)
        raise OrderLogError(
            path,
            "file",
            f"expected at least {MIN_ORDERS} orders after the data-quality checks, got "
            f"{len(orders):,} of {clean.rows_read:,} rows"
            + (f" (dropped: {dropped})" if dropped else ""),
        )
    delivered = (orders["status"] == "delivered") & orders["delivered_at"].notna()
    if int(delivered.sum()) < MIN_DELIVERED:
        counts = orders["status"].value_counts()
        seen = ", ".join(f"{counts[s]:,} {s}" for s in counts.index)
        raise OrderLogError(
            path,
            "file",
            f"expected at least {MIN_DELIVERED} delivered orders to fit transit times from, "
            f"got {int(delivered.sum()):,} ({seen})",
        )
    created = orders["created_at"]
    first, last = int(created.to_numpy().argmin()), int(created.to_numpy().argmax())
    span_h = (created.iloc[last] - created.iloc[first]) / pd.Timedelta(hours=1)
    where = f"created_at, {row_word}s {orders['line'].iloc[first]} and {orders['line'].iloc[last]}"
    if span_h > MAX_SPAN_DAYS * 24:
        raise OrderLogError(
            path,
            where,
            f"expected orders within {MAX_SPAN_DAYS:,} days, got {span_h / 24:,.0f} days "
            f"({created.iloc[first]} to {created.iloc[last]}; a stray date?)",
        )
    if span_h < MIN_SPAN_H:
        raise OrderLogError(
            path,
            where,
            f"expected orders created over at least {MIN_SPAN_H:g} h to fit a rate, got "
            f"{span_h:g} h for {len(orders):,} orders (batch-import timestamps?)",
        )
    pile = created.value_counts()
    if len(pile) and pile.iloc[0] >= max(PILE_MIN_ORDERS, PILE_MAX_SHARE * len(orders)):
        at = pile.index[0]
        line = orders["line"].iloc[int((created == at).to_numpy().argmax())]
        raise OrderLogError(
            path,
            f"{row_word} {line}, column created_at",
            f"expected creation times spread out, got {pile.iloc[0]:,} orders "
            f"({pile.iloc[0] / len(orders):.0%}) at one instant, {at} (batch-import timestamps? "
            f"they would read as a burst of {pile.iloc[0]:,} orders in one hour)",
        )


def _local_created(orders: pd.DataFrame) -> pd.Series:
    """Creation times as local wall-clock (naive) times, by each row's own offset."""
    local = orders["created_at"] + pd.to_timedelta(orders["created_at_offset_min"], unit="min")
    return local.dt.tz_localize(None)


def _calendar_weight(calendar: CalendarFit, clock: LogClock, mean_per_day: float) -> Any:
    """The calendar's multiplier (level x events, relative to the mean) at absolute hours."""

    def weight(hours: np.ndarray) -> np.ndarray:
        local = clock.origin_local + pd.to_timedelta(hours, unit="h")
        days = pd.DatetimeIndex(local).floor("D")
        return calendar.level_per_day(days) * calendar.event_days(days) / mean_per_day

    return weight


PROJECTED_MONTHS = 12
PROJECTION_PATHS = 400


def _projected_knots(
    calendar: CalendarFit, mean_per_day: float, rng: np.random.Generator
) -> list[dict[str, Any]]:
    """Knots past the log on each month's 15th for :data:`PROJECTED_MONTHS` months: the monthly
    forecast's median rate (:mod:`scenarios.calibration.monthly_forecast`), so a holdout run of
    the twin follows the forecast the holdout scores instead of holding the last week's level
    (then held, as ``past_last_knot: hold`` says)."""
    forecast = calendar.forecast
    if forecast is None:
        return []
    paths = forecast.month_totals(PROJECTED_MONTHS, PROJECTION_PATHS, rng)
    last_knot = calendar.first_week + pd.Timedelta(days=7 * (len(calendar.week_rate) - 1) + 3)
    out = []
    for step, total in enumerate(np.median(paths, axis=0), start=1):
        month = forecast.last_month + step
        day = month.start_time + pd.Timedelta(days=14)
        if day > last_knot:
            per_day = float(total) / month.days_in_month
            out.append({"date": day.date().isoformat(), "level": round(per_day / mean_per_day, 4)})
    return out


def _calendar_conf(calendar: CalendarFit, mean_per_day: float) -> dict[str, Any]:
    return {
        "daily_level": calendar.knots(mean_per_day),
        "events": [
            {"name": e.name, "start": e.start, "days": e.days, "multiplier": e.multiplier}
            for e in calendar.events
        ],
        "past_last_knot": "hold",
    }


def _drop_unknown(
    scenario: dict[str, Any], fitted: dict[str, Any], section: str, known: set[str]
) -> list[str]:
    """Put each fitted key into ``scenario`` if the schema knows it; return those it does not."""
    left_out = []
    for key, value in fitted.items():
        if key in known:
            scenario[key] = value
        else:
            left_out.append(f"{section}.{key}")
    return left_out


def calibrate(
    log_path: str | Path,
    name: str,
    template: Mapping[str, Any],
    template_name: str,
    options: ReadOptions | None = None,
    until: pd.Timestamp | None = None,
) -> Calibration:
    """Fit a scenario called ``name`` to the log; raises OrderLogError or ConfigError.

    ``template`` is a whole scenario as plain data (the caller composes it: a packaged scenario or
    a YAML file); what the log cannot identify is carried over from it. ``template_name`` is how
    the report names it. ``until`` (a local date) fits on orders created before it only, for a
    holdout backtest on the rest.
    """
    options = options or ReadOptions()
    log, blank_notes = _blank_routing(read_order_log(log_path, options))
    if until is not None:
        local = _local_created(log.frame)
        log = dataclasses.replace(log, frame=log.frame[(local < until).to_numpy()])
        if log.frame.empty:
            raise OrderLogError(log_path, "file", f"no orders created before {until.date()}")
    scenario_keys = schema_fields(schema.ScenarioConf)
    clean = clean_log(log.frame, any_level=True)  # every class is a level of the table
    check_fittable(log_path, clean, log.row_word)
    t = template
    clock = log_clock(clean.orders)
    orders = on_engine_clock(clean.orders, clock)
    rng = np.random.default_rng(0)
    local = _local_created(orders)
    calendar = fit_calendar(local)
    dated = "calendar" in schema_fields(schema.DemandConf)
    open_days = calendar.event_days(calendar.days) > 0
    mean_per_day = float(calendar.counts[open_days].mean()) if open_days.any() else 1.0
    weight = _calendar_weight(calendar, clock, mean_per_day) if dated else None
    demand = fit_demand(orders["created_h"].to_numpy(), weight)
    base = ~demand.in_burst(orders["created_h"].to_numpy())
    month_of = local[base].dt.to_period("M")
    by_month = {  # shares by month, written where the months drift beyond sampling
        "region": fit_mix_by_month(orders.loc[base, "region"], month_of),
        "channel": fit_mix_by_month(column_or(orders, "channel", ONE_CHANNEL)[base], month_of),
        "level": fit_mix_by_month(orders.loc[base, "service_level"], month_of),
    }
    calendar_conf = _calendar_conf(calendar, mean_per_day)
    yearly = yearly_seasons(calendar)
    projected: list[dict[str, Any]] = []
    if until is not None:  # a holdout: the level past the cut follows the forecast
        projected = _projected_knots(calendar, mean_per_day, np.random.default_rng(0))
    calendar_conf["daily_level"] += projected
    for what, fit in by_month.items():
        if fit["rows"]:  # months drift beyond sampling: their shares, shrunk
            calendar_conf[f"{what}_mix_by_month"] = fit["rows"]
    shipped_hod = clock.local_hour_of_day(orders["shipped_at"], orders["shipped_at_offset_min"])
    network = fit_network(orders, shipped_hod, t, rng)
    modes, prices_report = _modes(network, t, orders)
    created_hod = clock.local_hour_of_day(orders["created_at"], orders["created_at_offset_min"])
    handling = fit_handling(orders, created_hod, t, rng)
    channels = fit_channels(orders, base)
    warehouses, wh_notes = _warehouses(orders, network, t)
    levels = fit_service_levels(orders)
    region_counts = orders.loc[base, "region"].value_counts()
    regions = sorted(orders["region"].unique().tolist())
    region_share = shares(regions, [region_counts.get(r, 0) + 1e-12 for r in regions])
    items = orders.get("items")
    demand_conf: dict[str, Any] = {
        "base_rate_per_h": round(demand.base_rate_per_h, 3),
        "hourly_profile": [round(float(v), PROFILE_DIGITS) for v in demand.hourly_profile],
        "weekly_profile": [round(float(v), PROFILE_DIGITS) for v in demand.weekly_profile],
        "extra_items_mean": round(float(np.nanmean(items) - 1.0), 4)
        if items is not None and np.isfinite(items).any()
        else t["demand"]["extra_items_mean"],
        "vip_p": t["demand"]["vip_p"],
        "bursts": _bursts(orders, demand, base),
    }
    left_out = _drop_unknown(
        demand_conf,
        {"calendar": calendar_conf},
        "demand",
        schema_fields(schema.DemandConf),
    )
    wh_keys = schema_fields(schema.WarehouseConf)
    if handling.chosen == "handling":
        for wh in warehouses:
            left_out += _drop_unknown(
                warehouses[wh], {"handling": handling.conf(wh)}, f"warehouses.{wh}", wh_keys
            )
    product_classes = fit_product_classes(orders, base, channels, t)
    emissions = emissions_conf(t, modes, network.zone_source == "template")
    distance_to, co2e_notes = located_distances(network.lanes)
    co2e_notes += unpriced_modes(emissions, modes) + item_weights(product_classes, t)
    scenario = {
        "name": name,
        "description": f"Calibrated from {Path(log_path).name} ({len(orders):,} orders)",
        "regions": {
            r: {
                "share": region_share.get(r, 0.0),
                "zone_to": network.zone_to[r],
                "distance_km_to": distance_to.get(r, {}),
            }
            for r in regions
        },
        "warehouses": warehouses,
        "modes": modes,
        "emissions": emissions,
        "product_classes": product_classes,
        "channels": channels,
        "demand": demand_conf,
        "customer": copy.deepcopy(t["customer"]),
        "weather": {**copy.deepcopy(t["weather"]), "storm_rate_per_day": 0.0, "storms": []},
        "inventory": {**copy.deepcopy(t["inventory"]), "enabled": False},
        "costs": copy.deepcopy(t["costs"]),
        "allocation_wave_h": t["allocation_wave_h"],
    }
    left_out += _drop_unknown(
        scenario,
        {
            "start_date": clock.origin_local.date().isoformat(),
            "service_levels": levels,
            "observed_origins": observed_origins(orders),
        },
        "scenario",
        scenario_keys,
    )
    mix = fit_level_mix(orders, list(levels), ONE_CHANNEL)
    for ch, conf in scenario["channels"].items():
        conf["level_mix"] = mix.get(ch, {})
    checked(scenario)
    report = summarise(
        log_path,
        template_name,
        clean,
        clock,
        orders,
        demand,
        network,
        wh_notes + co2e_notes,
        scenario,
    )
    report["pick_to_ship"] = pick_to_ship(orders, scenario) if handling.chosen == "pickers" else {}
    times = orders[["created_h", "shipped_h", "delivered_h"]].to_numpy(dtype=float)
    report["log"]["period_days"] = int(np.ceil(np.nanmax(times) / 24.0))  # hour 0 to last time
    report["carrier_late_rates"] = carrier_late_rates(orders, network)
    months = local.dt.to_period("M").astype(str)
    report.update(
        reading={
            "timezone": options.timezone,
            "status_map": options.status_map,
            "currency": options.currency,
            "usd_per_unit": options.usd_per_unit,
            "fitted_until": None if until is None else str(until.date()),
        },
        calendar={
            "notes": calendar.notes
            + (
                [calendar.forecast.note()]
                if (projected or yearly) and calendar.forecast is not None
                else []
            )
            + ([f"{len(projected)} monthly knots past the cut"] if projected else [])
            + ([f"yearly profile {yearly['yearly_profile']}"] if yearly else []),
            "yearly": yearly,
            "mean_orders_per_day": mean_per_day,
            "events": [dataclasses.asdict(e) for e in calendar.events],
            "daily_level": _calendar_conf(calendar, mean_per_day)["daily_level"],
            "first_day": str(calendar.first_day.date()),
            "days": len(calendar.counts),
        },
        profile_shrinkage=demand.shrinkage,
        **{
            f"{what}_mix_by_month": {
                **{k: v for k, v in fit.items() if k != "rows"},
                "rows_written": len(fit["rows"]),
            }
            for what, fit in by_month.items()
        },
        handling=_handling_report(handling),
        carrier_prices=prices_report,
        lanes=[lane.row() for lane in network.lanes],
        service_levels=levels,
        mix_drift={
            "region": monthly_mix_drift(orders, orders["region"], months),
            "service_level": monthly_mix_drift(orders, orders["service_level"], months),
            "channel": monthly_mix_drift(orders, column_or(orders, "channel", ONE_CHANNEL), months),
        },
        not_written=left_out,
    )
    warnings = blank_notes + [n for n in network.notes if "pickups" in n] + co2e_notes
    if left_out:
        warnings.append(
            "fitted but not written (this version's scenario schema has no key for them): "
            + ", ".join(sorted({k.split(".")[-1] for k in left_out}))
        )
    report["warnings"] = warnings
    return Calibration(scenario=scenario, report=report, clean=clean, warnings=warnings)


def _handling_report(handling: HandlingFit) -> dict[str, Any]:
    return {
        "chosen": handling.chosen,
        "reason": handling.reason,
        "observed": handling.observed,
        "picker_model": handling.picker_model,
        "pooled_origins": handling.pooled_origins,
        "per_origin": {
            o: {**f.summary(), "chosen": handling.conf(o), "how": handling.how[o]}
            for o, f in handling.per_origin.items()
        },
    }


__all__ = ["Calibration", "LogClock", "calibrate", "checked"]
