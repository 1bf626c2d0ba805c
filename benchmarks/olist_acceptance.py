"""Issue 13's "Done when" figures on the Olist sample: real against the calibrated twin's model.

    python benchmarks/olist_acceptance.py [../shared/data/olist_orderlog.parquet] [--out table.md]

Demand figures come from 2,000 paths of the fitted demand calendar (what the twin's arrivals are
once the engine plays the calendar); handling, transit, late rate and region shares from the
order-by-order Monte Carlo of the fitted model (:mod:`sim.backtest.fit_check`). Top-8 states,
whole months only (the first and last partial months left out); holdout: fitted through
2017-12-31, tested 2018-01 to 2018-07; and the same check from the last 12 month starts
(:func:`sim.backtest.forecast.rolling_origins`), which says whether one cut's verdict is luck.
"""

from __future__ import annotations

import argparse
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from scenarios.calibration.calendar import demand_paths, fit_calendar
from scenarios.calibration.calibrate import calibrate
from scenarios.calibration.clock import log_clock, on_engine_clock
from sim.backtest.fit_check import fit_check
from sim.backtest.forecast import holdout, in_sample, rolling_origins
from sim.config.compose import load_scenario

LOG = Path(__file__).resolve().parents[2] / "shared" / "data" / "olist_orderlog.parquet"
BLACK_FRIDAY_WEEK = ("2017-11-20", "2017-11-27")  # Monday to Sunday
HOLDOUT = ("2018-01-01", "2018-08-01")
ORIGINS = 12


def measure(log: Path) -> dict[str, Any]:
    """Every figure, as plain data."""
    template = load_scenario("baseline")
    cal = calibrate(log, "olist", template, "baseline")
    orders = on_engine_clock(cal.clean.orders, log_clock(cal.clean.orders))
    local = cal.clean.orders["created_at"] + pd.to_timedelta(
        cal.clean.orders["created_at_offset_min"], unit="min"
    )
    local = local.dt.tz_localize(None)
    weekly = np.asarray(cal.scenario["demand"]["weekly_profile"], dtype=float)
    demand = in_sample(local, weekly / weekly.mean())
    fit = fit_calendar(local)
    start, end = (pd.Timestamp(d) for d in BLACK_FRIDAY_WEEK)
    days = pd.date_range(start, end - pd.Timedelta(days=1))
    paths = demand_paths(fit, days, weekly / weekly.mean(), 2000, np.random.default_rng(0))
    bf_real = int(((local >= start) & (local < end)).sum())
    bf_twin = float(np.median(paths.sum(axis=1)))
    cut, stop = (pd.Timestamp(d) for d in HOLDOUT)
    held = holdout(local[local < stop], cut, stop, weekly / weekly.mean())
    return {
        "in_sample": demand,
        "black_friday_week": {"history": bf_real, "twin": bf_twin, "rel": bf_twin / bf_real - 1},
        "fit": fit_check(orders, cal.scenario, cal.report),
        "holdout": held,
        "origins": rolling_origins(local[local < stop], stop, weekly / weekly.mean(), ORIGINS),
    }


def table(m: dict[str, Any]) -> str:
    month, week = m["in_sample"]["month"], m["in_sample"]["week"]
    f, h = m["fit"], m["holdout"]
    bf = m["black_friday_week"]
    rows = [
        ("monthly volume correlation (in-sample)", "-", f"{month['correlation']:.3f}", ">= 0.9"),
        ("weekly volume MAPE (in-sample)", "-", f"{week['mape']:.1%}", "<= 25%"),
        (
            "Black Friday 2017 week (Mon-Sun), orders",
            f"{bf['history']}",
            f"{bf['twin']:.0f} ({bf['rel']:+.1%})",
            "within 25%",
        ),
    ]
    hd = f["handling"]
    rows += [
        (
            "handling mean (h)",
            f"{hd['history_mean_h']:.1f}",
            f"{hd['twin_mean_h']:.1f} ({hd['twin_mean_h'] / hd['history_mean_h'] - 1:+.1%})",
            "within 10%",
        ),
        (
            "handling p90 (h)",
            f"{hd['history_p90_h']:.1f}",
            f"{hd['twin_p90_h']:.1f} ({hd['twin_p90_h'] / hd['history_p90_h'] - 1:+.1%})",
            "within 10%",
        ),
    ]
    for region, t in f["transit_by_region"].items():
        rows.append(
            (
                f"transit mean {region} (h)",
                f"{t['history']:.1f}",
                f"{t['twin']:.1f} ({t['rel']:+.1%})",
                "within 10%",
            )
        )
    late = f["late_rate"]
    rows.append(
        (
            "late rate",
            f"{late['history']:.2%}",
            f"{late['twin']:.2%} ({100 * (late['twin'] - late['history']):+.2f} pp)",
            "within 1.5 pp",
        )
    )
    for region, s in f["region_shares"].items():
        rows.append(
            (
                f"region share {region}",
                f"{s['history']:.2%}",
                f"{s['twin']:.2%} ({s['pp']:+.2f} pp)",
                "within 1.5 pp",
            )
        )
    naive = h["naive"]
    rows += [
        ("holdout months inside the 90% band", "-", f"{h['inside']} of {h['n']}", ">= 5 of 7"),
        ("holdout median band half-width", "-", f"{h['median_half_width']:.1%}", "<= 25%"),
        (
            "holdout monthly MAPE: twin vs naive",
            f"naive {naive['mape']:.1%}",
            f"{h['mape']:.1%}",
            "twin < naive",
        ),
    ]
    o = m["origins"]
    rows += [
        (
            f"rolling origins ({len(o['origins'])} month starts): months inside the 90% band",
            "-",
            f"{o['inside']} of {o['n']} ({o['coverage']:.1%})",
            "(about 90%)",
        ),
        ("rolling origins: median band half-width", "-", f"{o['median_half_width']:.1%}", "-"),
        (
            "rolling origins: monthly MAPE, twin vs naive",
            f"naive {o['naive_mape']:.1%}",
            f"{o['mape']:.1%} (better from {o['origins_twin_better']} origins)",
            "-",
        ),
        (
            "rolling origins: half-width a centred 90% band needed",
            f"naive {o['naive_needed_half_width']:.1%}",
            f"{o['needed_half_width']:.1%}",
            "-",
        ),
    ]
    lines = ["| figure | real (Olist) | twin | target |", "|---|---|---|---|"]
    lines += [f"| {a} | {b} | {c} | {d} |" for a, b, c, d in rows]
    lines += [
        "",
        "Holdout months: "
        + ", ".join(
            f"{p} {int(r)} in [{lo:.0f}, {hi:.0f}]"
            for p, r, lo, hi in zip(h["periods"], h["history"], h["low"], h["high"], strict=True)
        ),
    ]
    return "\n".join(lines) + "\n"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("log", nargs="?", type=Path, default=LOG)
    parser.add_argument("--out", type=Path)
    args = parser.parse_args()
    text = table(measure(args.log))
    print(text)
    if args.out:
        args.out.write_text(text)


if __name__ == "__main__":
    main()
