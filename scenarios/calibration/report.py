"""The fit report: every number behind a calibrated scenario, as JSON and as markdown.

Planners must see what was fitted from their data, how well, what was dropped from the log and
why, and what was carried over from the template as an assumption. The JSON holds the numbers;
the markdown is the same, readable.
"""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from scenarios.calibration.clock import LogClock
from scenarios.calibration.demand import DemandFit
from scenarios.calibration.monthly_forecast import MONTH_NAMES
from scenarios.calibration.network import NetworkFit
from scenarios.calibration.quality import REASONS, CleanLog

CARRIED_OVER = (
    "pickers, shifts and pick time per warehouse (not separable from ship times; the backtest "
    "checks the combination)",
    "stock and replenishment: inventory is off (unlimited stock); an order log does not show "
    "stock levels",
    "costs (pick/pack, re-route, back-order, cancel); carrier prices by zone where the log has "
    "no cost column or too few priced orders (see Carrier prices)",
    "the customer model (NPS curve, pseudo-urgency) and return rates per product class",
    "weather: random storms are OFF, because the fitted transit times already contain the "
    "log period's weather; add scripted storms to study one",
    "lost parcels: loss_p 0, their late replacements are inside the fitted transit tails",
    "carrier capacity per day, scan intervals and the OMS allocation wave",
)


def summarise(
    log_path: str | Path,
    template: str,
    clean: CleanLog,
    clock: LogClock,
    orders: pd.DataFrame,
    demand: DemandFit,
    network: NetworkFit,
    warehouse_notes: list[str],
    scenario: Mapping[str, Any],
) -> dict[str, Any]:
    """The report's numbers as plain data (JSON-ready)."""
    first_h, last_h = demand.window_h
    origin = clock.origin_local
    notes = list(network.notes) + list(warehouse_notes)
    if not demand.weekdays_seen.all():
        notes.append("the log covers less than a week: unseen weekdays get the mean weekly level")
    return {
        "log": {
            "path": str(log_path),
            "rows_read": clean.rows_read,
            "orders_kept": len(clean.orders),
            "dropped": clean.counts,
            "period_local": [str(origin + pd.Timedelta(hours=h)) for h in (first_h, last_h)],
            "utc_offset_min": clock.offset_min,
            "hour_0_local": str(origin),
        },
        "template": template,
        "demand": {
            "base_rate_per_h": demand.base_rate_per_h,
            "hourly_profile": demand.hourly_profile.tolist(),
            "weekly_profile": demand.weekly_profile.tolist(),
            "hours_observed": last_h - first_h,
            "burst_hours_left_out": int(len(demand.burst_hours)),
            "bursts": scenario["demand"]["bursts"],
            "burst_extra_orders": [b.extra_orders for b in demand.bursts],
        },
        "regions": {r: v["share"] for r, v in scenario["regions"].items()},
        "channels": scenario["channels"],
        "product_classes": scenario["product_classes"],
        "promise": {level: row["promise_h"] for level, row in scenario["service_levels"].items()},
        "service_mode": {
            level: next(iter(row["mode_mix"])) for level, row in scenario["service_levels"].items()
        },
        "zones": {"source": network.zone_source, "n_zones": network.n_zones},
        "zone_to": network.zone_to,
        "transit": {
            mode: {
                "by_zone": {str(z): f.summary() for z, f in fits.items()},
                "filled": {str(z): note for z, note in network.transit_notes[mode].items()},
                "mean_h": _mode_mean(fits),
            }
            for mode, fits in network.transit_fits.items()
        },
        "pickup_hours": network.pickup_hours,
        "warehouse_region": network.warehouse_region,
        "carried_over": list(CARRIED_OVER),
        "notes": notes,
    }


def _mode_mean(fits: Mapping[int, Any]) -> float | None:
    """Delivery-weighted mean transit of a mode over its observed zones."""
    if not fits:
        return None
    distinct = {id(f): f for f in fits.values()}.values()
    return float(np.average([f.mean_h for f in distinct], weights=[f.n for f in distinct]))


def _table(header: list[str], rows: list[list[Any]]) -> list[str]:
    lines = ["| " + " | ".join(header) + " |", "|" + "---|" * len(header)]
    lines += ["| " + " | ".join(str(c) for c in row) + " |" for row in rows]
    return lines + [""]


def markdown(report: Mapping[str, Any], scenario_path: str) -> str:
    """The report as markdown."""
    log, d = report["log"], report["demand"]
    out = [
        f"# Fit report: {Path(scenario_path).stem}",
        "",
        f"Scenario: `{scenario_path}` (template: `{report['template']}`). "
        f"Log: `{log['path']}`, {log['rows_read']:,} rows read, {log['orders_kept']:,} kept; "
        f"period {log['period_local'][0]} to {log['period_local'][1]} (local, UTC offset "
        f"{log['utc_offset_min']:+.0f} min); hour 0 = {log['hour_0_local']}.",
        "",
        "## Data quality (rows dropped, by first reason)",
        "",
    ]
    out += _table(
        ["reason", "rows", "meaning"],
        [[k, log["dropped"][k], REASONS[k]] for k in REASONS],
    )
    out += ["## Demand (non-homogeneous Poisson)", ""]
    out += [
        f"Base rate {d['base_rate_per_h']:.2f} orders/h over {d['hours_observed']:.0f} h; "
        f"{d['burst_hours_left_out']} burst hours left out of the profile fit.",
        "",
    ]
    hourly = [f"{v:.2f}" for v in d["hourly_profile"]]
    out += _table([f"{h:02d}" for h in range(12)], [hourly[:12]])
    out += _table([f"{h:02d}" for h in range(12, 24)], [hourly[12:]])
    days = ["Mon", "Tue", "Wed", "Thu", "Fri", "Sat", "Sun"]
    out += _table(days, [[f"{v:.3f}" for v in d["weekly_profile"]]])
    if d["bursts"]:
        out += _table(
            ["burst", "start_h", "peak x", "decay tau h", "duration h", "extra orders", "channel"],
            [
                [
                    b["name"],
                    b["start_h"],
                    b["peak_multiplier"],
                    b["decay_tau_h"],
                    b["duration_h"],
                    f"{x:.0f}",
                    b["channel"],
                ]
                for b, x in zip(d["bursts"], d["burst_extra_orders"], strict=True)
            ],
        )
    out += ["## Mix", ""]
    out += _table(["region", "share"], [[r, f"{s:.4f}"] for r, s in report["regions"].items()])
    out += _table(
        ["channel", "share (regular demand)", "level mix", "value multiplier"],
        [
            [c, v["share"], v.get("level_mix", {}), v["value_multiplier"]]
            for c, v in report["channels"].items()
        ],
    )
    out += _table(
        ["product class", "share", "value mean USD", "value sd USD", "margin"],
        [
            [p, v["share"], v["value_mean_usd"], v["value_sd_usd"], v["margin_mean"]]
            for p, v in report["product_classes"].items()
        ],
    )
    out += _network_md(report)
    out += _real_log_md(report)
    out += ["## Carried over from the template (assumptions)", ""]
    out += [f"- {item}" for item in report["carried_over"]] + [""]
    if report["notes"]:
        out += ["## Notes", ""] + [f"- {n}" for n in report["notes"]] + [""]
    return "\n".join(out)


def _network_md(report: Mapping[str, Any]) -> list[str]:
    z = report["zones"]
    out = [
        "## Network",
        "",
        f"Zones: {z['source']} ({z['n_zones']} zones). Transit = shipped -> delivered; families "
        "compared by AIC, the chosen one is the best the schema knows; KS distance <= 0.05 passes.",
        "",
    ]
    rows = []
    for mode, t in report["transit"].items():
        for zone, f in t["by_zone"].items():
            c = f["chosen"]
            rows.append(
                [
                    mode,
                    zone,
                    f["n"],
                    f"{f['sample_mean_h']:.1f}",
                    f"{c['dist']} {c['mean_h']:.1f}/{c.get('sd_h') or c['mean_h']:.1f}",
                    f["best_family"],
                    f"{f['ks_d']:.3f} {'ok' if f['ks_ok'] else 'POOR'}",
                ]
            )
    out += _table(["mode", "zone", "n", "mean h", "chosen (mean/sd h)", "best AIC", "KS D"], rows)
    filled = [n for t in report["transit"].values() for n in t["filled"].values()]
    if filled:
        out += ["Unobserved zones:", ""] + [f"- {n}" for n in filled] + [""]
    out += _table(
        ["mode", "pickup hours (local)", "late rate", "late though shipped in time"],
        [
            [
                m,
                ", ".join(f"{h:g}" for h in hours),
                _pct(report.get("carrier_late_rates", {}).get(m, {}).get("late_rate")),
                _pct(report.get("carrier_late_rates", {}).get(m, {}).get("carrier_late_rate")),
            ]
            for m, hours in report["pickup_hours"].items()
        ],
    )
    out += _table(
        [
            "warehouse",
            "region",
            "orders",
            "created->shipped mean / p50 / p90 h",
            "missed 1st pickup",
        ],
        [
            [
                w,
                report["warehouse_region"].get(w, "-"),
                p["n"],
                f"{p['mean_h']:.1f} / {p['p50_h']:.1f} / {p['p90_h']:.1f}",
                _pct(p["missed_first_pickup"]),
            ]
            for w, p in report.get("pick_to_ship", {}).items()
        ],
    )
    return out


def _real_log_md(report: Mapping[str, Any]) -> list[str]:
    """Calendar, profile shrinkage, handling, lanes, levels, drift and warnings."""
    out: list[str] = []
    if report.get("warnings"):
        out += ["## Warnings", ""] + [f"- {w}" for w in report["warnings"]] + [""]
    cal = report.get("calendar")
    if cal:
        out += ["## Demand over time (calendar)", ""] + [f"- {n}" for n in cal["notes"]] + [""]
        out += _table(
            ["event", "start", "days", "multiplier", "orders", "expected at the level"],
            [
                [e["name"], e["start"], e["days"], e["multiplier"], e["orders"], e["expected"]]
                for e in cal["events"]
            ],
        )
        seasons = (cal.get("yearly") or {}).get("seasons")
        if seasons:
            out += [f"Month-of-year multipliers ({seasons['estimated']}; mean 1):", ""]
            out += _table(
                ["month", "multiplier", "se (log scale)"],
                [
                    [MONTH_NAMES[i], f"{m:.3f}", f"{se:.3f}"]
                    for i, (m, se) in enumerate(
                        zip(seasons["multipliers"], seasons["log_se"], strict=True)
                    )
                ],
            )
    shrink = report.get("profile_shrinkage") or {}
    if shrink:
        out += _table(
            ["profile", "chi-square p vs flat", "tau", "mean weight kept"],
            [
                [k, f"{v['chi2_p_vs_flat']:.2g}", f"{v['tau']:.3f}", f"{v['mean_weight_kept']:.2f}"]
                for k, v in shrink.items()
            ],
        )
    handling = report.get("handling")
    if handling:
        out += ["## Handling (created -> shipped)", "", f"Chosen: **{handling['chosen']}**: "
                f"{handling['reason']}.", ""]  # fmt: skip
        out += _table(
            ["origin", "n", "mean h", "p90 h", "written", "how"],
            [
                [
                    o,
                    int(handling["observed"][o]["n"]),
                    f"{handling['observed'][o]['mean_h']:.1f}",
                    f"{handling['observed'][o]['p90_h']:.1f}",
                    f.get("chosen"),
                    f.get("how", ""),
                ]
                for o, f in handling["per_origin"].items()
            ],
        )
    lanes = report.get("lanes") or []
    if lanes:
        out += ["## Lanes (every lane: fitted, pooled or from its group)", ""]
        out += _table(
            [
                "region",
                "origin",
                "orders",
                "deliveries",
                "mean h",
                "pooled mean h",
                "km",
                "group",
                "zone",
                "status",
            ],  # fmt: skip
            [list(lane.values()) for lane in lanes],
        )
    prices = report.get("carrier_prices") or {}
    if prices:
        out += ["## Carrier prices (USD per parcel)", ""]
        out += _table(
            ["mode", "source", "orders", "price by zone (from: zone / mode)"],
            [
                [
                    mode,
                    p["source"],
                    p.get("orders", "-"),
                    ", ".join(
                        f"{z}: {c['price_usd']:.2f} ({c['from']}, {c['orders']})"
                        for z, c in p.get("by_zone", {}).items()
                    )
                    or "-",
                ]
                for mode, p in prices.items()
            ],
        )
    levels = report.get("service_levels") or {}
    if levels:
        out += ["## Service levels", ""]
        out += _table(
            ["level", "promise h", "by region", "mode mix", "urgent", "cancel_p"],
            [
                [
                    n,
                    v["promise_h"],
                    v["promise_h_by_region"] or "-",
                    v["mode_mix"],
                    v["urgent"],
                    v["cancel_p"],
                ]  # fmt: skip
                for n, v in levels.items()
            ],
        )
    drift = report.get("mix_drift") or {}
    if drift:
        out += _table(
            ["mix", "drifts by month", "chi-square p"],
            [
                [k, v["drifts"], "-" if v["p_value"] is None else f"{v['p_value']:.2g}"]
                for k, v in drift.items()
            ],  # fmt: skip
        )
    if report.get("not_written"):
        out += ["Fitted, not written (no key in this version's schema): "
                + ", ".join(report["not_written"]), ""]  # fmt: skip
    return out


def _pct(value: float | None) -> str:
    return "-" if value is None else f"{value:.1%}"
