"""``ordertwin-nowcast``: per-order on-time risk for the orders open in a state snapshot.

    ordertwin-nowcast SNAPSHOT --scenario NAME [--days 7] [--replications 200] [--out DIR]
                      [--routing nearest] [--monitoring none] [--jobs 2]
                      [--driver-replications 50] [what-ifs ...] [overrides ...]

What-ifs (each on the same replication seeds; late orders saved and cost added, paired 95%
intervals; of the orders one names, how many it acted on and why not the others):
``--expedite-red-by MODE [--savable-only]``, ``--orders FILE --expedite-by MODE``,
``--orders FILE --move-to WAREHOUSE`` or ``--move-queued-from WAREHOUSE --move-to WAREHOUSE``,
``--add-pickers WAREHOUSE:COUNT@HOUR``, ``--storm REGION:START_H:DURATION_H:SEVERITY`` (hours
from hour 0 of the scenario; see :mod:`sim.nowcast.what_ifs`).

Writes ``risk.parquet``, ``risk.csv`` and ``risk.xlsx`` (one row per open order, riskiest
first: ``order_id``, ``p_on_time`` with its Wilson 95% interval, ``delivery_p10_h`` and
``delivery_p90_h``, ``risk_tier``, ``driver``, ...), ``charts/`` (risk by warehouse, region and
promise day) and ``summary.json`` into ``--out`` (default ``results/nowcasts/<time>/``).
"""

from __future__ import annotations

import argparse
import datetime
import math
import os
import sys
from collections.abc import Mapping
from pathlib import Path
from typing import Any

from tqdm import tqdm

from sim.cli.errors import BAD_INPUT, fail
from sim.config.validate import ConfigError
from sim.io.safe import path_name
from sim.nowcast.nowcast import NowcastRequest, run_nowcast
from sim.nowcast.outputs import write_outputs
from sim.nowcast.risk import Tiers
from sim.nowcast.what_ifs import WhatIfRequest

PROG = "ordertwin-nowcast"
MAX_DAYS = 60.0
MAX_REPLICATIONS = 100_000
DRIVER_REPLICATIONS = 50


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog=PROG, description=__doc__.splitlines()[0])
    parser.add_argument("snapshot", type=Path, help="snapshot folder (docs/snapshot.md)")
    parser.add_argument("--scenario", required=True, help="scenario config name")
    parser.add_argument("--days", type=float, default=7.0, help="new demand for at most this long")
    parser.add_argument("--replications", type=int, default=200)
    parser.add_argument(
        "--driver-replications", type=int, default=None, help="per factor (default 50); 0: off"
    )
    parser.add_argument("--routing", default="nearest")
    parser.add_argument("--monitoring", default="none")
    parser.add_argument("--jobs", type=int, default=min(2, os.cpu_count() or 1))
    parser.add_argument("--first-seed", type=int, default=1_000_000)
    parser.add_argument("--red-below", type=float, default=0.5)
    parser.add_argument("--yellow-below", type=float, default=0.8)
    parser.add_argument("--blue-below", type=float, default=0.95)
    what_if = parser.add_argument_group("what-ifs")
    what_if.add_argument("--expedite-red-by", metavar="MODE", help="expedite the red orders")
    what_if.add_argument(
        "--savable-only", action="store_true", help="expedite/move only orders not past promise"
    )
    what_if.add_argument("--orders", type=Path, metavar="FILE", help="order ids (CSV order_id)")
    what_if.add_argument("--expedite-by", metavar="MODE", help="expedite the --orders")
    what_if.add_argument("--move-to", metavar="WAREHOUSE", help="move the --orders there")
    what_if.add_argument("--move-queued-from", metavar="WAREHOUSE", help="move its queued orders")
    what_if.add_argument("--add-pickers", metavar="WAREHOUSE:COUNT@HOUR")
    what_if.add_argument("--storm", metavar="REGION:START_H:DURATION_H:SEVERITY")
    parser.add_argument("--out", type=Path, default=None)
    parser.add_argument("overrides", nargs="*", help="extra config overrides, Hydra syntax")
    return parser


def _checked(args: argparse.Namespace) -> NowcastRequest:
    if args.driver_replications is None:
        args.driver_replications = min(DRIVER_REPLICATIONS, args.replications)
    if not (math.isfinite(args.days) and 0 < args.days <= MAX_DAYS):
        raise ConfigError("--days", f"a number of days in (0, {MAX_DAYS:g}]", args.days)
    if not 2 <= args.replications <= MAX_REPLICATIONS:
        raise ConfigError("--replications", f"2 to {MAX_REPLICATIONS:,}", args.replications)
    if not 0 <= args.driver_replications <= args.replications:
        raise ConfigError(
            "--driver-replications", "0 (off) up to --replications", args.driver_replications
        )
    if args.driver_replications == 1:
        raise ConfigError("--driver-replications", "0 (off) or at least 2", 1)
    if not 1 <= args.jobs <= 256:
        raise ConfigError("--jobs", "1 to 256 worker processes", args.jobs)
    if args.first_seed < 0:
        raise ConfigError("--first-seed", "an integer >= 0", args.first_seed)
    if not 0 <= args.red_below <= args.yellow_below <= args.blue_below <= 1:
        raise ConfigError(
            "--red-below/--yellow-below/--blue-below",
            "probabilities with red <= yellow <= blue",
            (args.red_below, args.yellow_below, args.blue_below),
        )
    for key in ("scenario", "routing", "monitoring"):
        path_name(f"--{key}", getattr(args, key))
    return NowcastRequest(
        snapshot=args.snapshot,
        scenario=args.scenario,
        days=args.days,
        replications=args.replications,
        driver_replications=args.driver_replications,
        routing=args.routing,
        monitoring=args.monitoring,
        first_seed=args.first_seed,
        jobs=args.jobs,
        tiers=Tiers(args.red_below, args.yellow_below, args.blue_below),
        what_ifs=WhatIfRequest(
            expedite_red_by=args.expedite_red_by,
            savable_only=args.savable_only,
            orders_file=args.orders,
            expedite_by=args.expedite_by,
            move_to=args.move_to,
            move_queued_from=args.move_queued_from,
            add_pickers=args.add_pickers,
            storm=args.storm,
        ),
        overrides=tuple(args.overrides),
    )


def main(argv: list[str] | None = None) -> None:
    args = _parser().parse_intermixed_args(argv)  # overrides before or after the options
    out = args.out or Path("results", "nowcasts", datetime.datetime.now().strftime("%Y%m%d-%H%M%S"))
    try:
        request = _checked(args)
        total = request.replications + 4 * request.driver_replications
        total += request.replications * request.what_ifs.count
        with tqdm(total=total, unit="rep", desc=PROG, disable=None, leave=False) as bar:
            result = run_nowcast(request, progress=bar.update)
        written = write_outputs(result.table, result.summary, out)
    except BAD_INPUT as err:
        fail(PROG, err)
    except KeyboardInterrupt:
        print(f"{PROG}: interrupted", file=sys.stderr)
        sys.exit(130)
    summary = result.summary
    print(
        f"{PROG}: {summary['open_orders']:,} open orders at {summary['snapshot_at']} "
        f"({summary['replications']} replications): tiers {summary['tiers']}, "
        f"expected late {summary['expected_late_orders']:.1f}, "
        f"unresolved {summary['unresolved_orders']}"
    )
    for what_if in summary["what_ifs"]:
        print(what_if_line(what_if))
    print(f"  wrote {len(written)} files to {out}")


def what_if_line(what_if: Mapping[str, Any]) -> str:
    """One line per what-if: what it did (of the orders it names, how many it acted on and why
    not the others), late orders saved and cost added with their paired 95% intervals."""
    left = what_if["not_acted_on"]
    if left is None:
        acted = "; on the whole network"
    elif left:
        acted = "; not acted on: " + ", ".join(f"{n:,} {reason}" for reason, n in left.items())
    else:
        acted = ""  # "n of the n"
    saved, cost = what_if["late_orders_saved"], what_if["cost_added_usd"]
    return (
        f"  what-if: {what_if['what_if']}{acted}; late orders saved {saved['mean']:,.1f} "
        f"[{saved['low']:,.1f}, {saved['high']:,.1f}], cost added {cost['mean']:,.2f} USD "
        f"[{cost['low']:,.2f}, {cost['high']:,.2f}] ({saved['replications']} paired replications)"
    )


if __name__ == "__main__":
    main()
