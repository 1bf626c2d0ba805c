"""``ordertwin-backtest LOG --scenario NAME``: does the twin reproduce the log's history?

Simulates the scenario over the log's period with replications and writes ``backtest.md``,
``backtest.json`` and charts into ``--out`` (default ``results/backtest/NAME``). Exit code 0 when
every KPI passes, 1 when one fails (the report says which), 2 for bad input.
"""

from __future__ import annotations

import argparse
import math
import sys
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
from scipy import stats

from scenarios.calibration.reading import read_options
from sim.backtest.forecast import BAND, holdout, in_sample, rolling_origins
from sim.backtest.holdout import LABELS, backtest, load_history, scenario_config, simulate
from sim.backtest.report import origins_summary, write_report
from sim.cli.calibrate import parse_until
from sim.cli.errors import BAD_INPUT, EXIT_FAILED, fail
from sim.config.validate import ConfigError
from sim.io.safe import path_name


def parse_args(argv: Sequence[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(
        prog="ordertwin-backtest",
        description="Simulate a scenario over an order log's period and compare KPIs.",
    )
    parser.add_argument("log", help="the order log the twin should reproduce")
    parser.add_argument("--scenario", required=True, help="scenario name (as for ordertwin)")
    parser.add_argument("--config-dir", help="folder with scenario/NAME.yaml (as --config-dir)")
    parser.add_argument("--replications", type=int, default=5)
    parser.add_argument("--warmup-days", type=float, default=3.0)
    parser.add_argument("--routing", default="nearest")
    parser.add_argument("--monitoring", default="none")
    parser.add_argument("--out", type=Path, help="report folder (default results/backtest/NAME)")
    parser.add_argument("--timezone", help="IANA zone of times written without an offset")
    parser.add_argument(
        "--time-format", help="strftime pattern of times not in ISO-8601 (as calibrate)"
    )
    parser.add_argument("--encoding", help="a CSV log not saved as UTF-8 (as calibrate)")
    parser.add_argument("--status-map", help="WORD=delivered|open|cancelled,... (as calibrate)")
    parser.add_argument("--currency", help="CODE=USD_PER_UNIT (as calibrate)")
    parser.add_argument(
        "--holdout-from",
        help="a holdout: the scenario was fitted before this local date (calibrate --until); "
        "monthly volumes from it on are scored against the demand forecast's 90%% bands",
    )
    parser.add_argument(
        "--origins",
        type=int,
        default=0,
        help="also score the demand forecast from each of the last N month starts inside the "
        "log (rolling origins, up to 7 months each): pooled band coverage, half-width and error "
        "against the naive forecast (0: off)",
    )
    return parser.parse_args(argv)


def _origin(done: int, total: int) -> None:
    print(f"  rolling origin {done}/{total} scored", file=sys.stderr)


def weekday_weight(cfg: dict) -> np.ndarray:
    """The scenario's weekly profile (Monday first, mean 1) for the demand forecast paths."""
    weekly = np.asarray(cfg["scenario"]["demand"]["weekly_profile"], dtype=float)
    return weekly / weekly.mean()


MAX_REPLICATIONS = 1_000
MAX_ORIGINS = 120


HOLDOUT_NOTE_P = 0.05  # one-sided binomial p below which a holdout's coverage is called short


def holdout_note(holdout: dict[str, Any] | None) -> str | None:
    """A line when the holdout's months fell outside their 90% bands more often than such bands
    allow: the verdict is the KPI table's over the whole log, and "PASS" printed under "2/6
    months inside" reads as if the forecast had passed too."""
    if not holdout or not holdout.get("n"):
        return None
    inside, n = int(holdout["inside"]), int(holdout["n"])
    p = float(stats.binom.cdf(inside, n, BAND))
    if p >= HOLDOUT_NOTE_P:
        return None
    return (
        f"the verdict below is the KPI table's; the holdout put {inside} of {n} months inside "
        f"their {BAND:.0%} bands, fewer than such bands hold (binomial p = {p:.2g}): the demand "
        "forecast did not foresee the months after the cut"
    )


def main(argv: Sequence[str] | None = None) -> None:
    args = parse_args(argv)
    try:
        if not 2 <= args.replications <= MAX_REPLICATIONS:
            raise ConfigError("--replications", f"2 to {MAX_REPLICATIONS}", args.replications)
        if not 0 <= args.origins <= MAX_ORIGINS:
            raise ConfigError("--origins", f"0 to {MAX_ORIGINS} month starts", args.origins)
        if not (math.isfinite(args.warmup_days) and args.warmup_days >= 0):
            raise ConfigError("--warmup-days", "a number of days >= 0", args.warmup_days)
        if args.out is None:  # the scenario's name becomes a folder name
            path_name("--scenario", args.scenario)
        options = read_options(
            args.timezone, args.status_map, args.currency, args.time_format, args.encoding
        )
        cut = parse_until(args.holdout_from)
        history = load_history(args.log, args.warmup_days, options)
        config_dir = str(Path(args.config_dir).resolve()) if args.config_dir else None
        cfg = scenario_config(args.scenario, config_dir, args.routing, args.monitoring)
    except BAD_INPUT as err:  # a bad log or option, or Hydra's own: an unknown scenario name
        fail("ordertwin-backtest", err)

    def progress(seed: int) -> None:
        print(f"  replication {seed}/{args.replications} done", file=sys.stderr)

    sims = simulate(cfg, history.window.end_h, args.replications, progress)
    meta = {
        "scenario": args.scenario,
        "log": str(args.log),
        "replications": args.replications,
        "warmup_days": args.warmup_days,
        "routing": args.routing,
        "monitoring": args.monitoring,
    }
    result = backtest(history, sims, meta)
    local = history.clock.origin_local + pd.to_timedelta(history.orders["created_h"], unit="h")
    weights = weekday_weight(cfg)
    result.demand["in_sample"] = in_sample(local if cut is None else local[local < cut], weights)
    if cut is not None:
        end = local.max().floor("D") + pd.Timedelta(days=1)
        result.demand["holdout"] = holdout(local, cut, end, weights)
    if args.origins:
        result.demand["origins"] = rolling_origins(
            local, local.max().floor("D") + pd.Timedelta(days=1), weights, args.origins, _origin
        )
    report = write_report(result, args.out or Path("results") / "backtest" / args.scenario)
    for c in result.checks:
        print(
            f"  {LABELS[c.name]:<30} history {c.history:12.4g}  twin {c.sim_mean:12.4g}  "
            f"{'pass' if c.passed else 'FAIL'}"
        )
    print(
        f"  {'delivery time KS distance':<30} {result.ks['d']:.3f} "
        f"(bound {result.ks['bound']:.3f})  {'pass' if result.ks['passed'] else 'FAIL'}"
    )
    for freq, v in result.planner["volume"].items():
        print(
            f"  volume per {freq:<5} {v['inside']}/{v['n']} inside the twin's 90% band, "
            f"MAPE {v['mape'] if v['mape'] is None else round(100 * v['mape'], 1)}%"
        )
    if cut is not None:
        h = result.demand["holdout"]
        print(
            f"  holdout from {cut.date()}: {h['inside']}/{h['n']} months inside the 90% band, "
            f"median half-width {h['median_half_width']:.0%}, MAPE {h['mape']:.1%} "
            f"(naive last-3-months {h['naive']['mape']:.1%})"
        )
    if args.origins:
        print(f"  {origins_summary(result.demand['origins'])}")
    note = holdout_note(result.demand.get("holdout"))
    if note:
        print(f"  note: {note}")
    for shift in result.volume_shifts:
        print(f"  {shift}  FAIL")
    print(f"ordertwin-backtest: {'PASS' if result.passed else 'FAIL'}; report: {report}")
    sys.exit(0 if result.passed else EXIT_FAILED)


if __name__ == "__main__":
    main()
