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

from sim.backtest.holdout import LABELS, backtest, load_history, scenario_config, simulate
from sim.backtest.report import write_report
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
    return parser.parse_args(argv)


MAX_REPLICATIONS = 1_000


def main(argv: Sequence[str] | None = None) -> None:
    args = parse_args(argv)
    try:
        if not 2 <= args.replications <= MAX_REPLICATIONS:
            raise ConfigError("--replications", f"2 to {MAX_REPLICATIONS}", args.replications)
        if not (math.isfinite(args.warmup_days) and args.warmup_days >= 0):
            raise ConfigError("--warmup-days", "a number of days >= 0", args.warmup_days)
        if args.out is None:  # the scenario's name becomes a folder name
            path_name("--scenario", args.scenario)
        history = load_history(args.log, args.warmup_days)
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
    print(f"ordertwin-backtest: {'PASS' if result.passed else 'FAIL'}; report: {report}")
    sys.exit(0 if result.passed else EXIT_FAILED)


if __name__ == "__main__":
    main()
