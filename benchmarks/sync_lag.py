"""Re-route rate against the stock sync interval, per router, paired over seeds.

    python benchmarks/sync_lag.py [--routing nearest rules cheapest] [--seeds 5] [--days 12]
                                  [--syncs 0.25 4] [--scenario sync_lag]

Prints, per router, the cohort's re-route rate and fill rate (orders served from the first
warehouse tried: no re-route, back-order or stock cancellation) at each sync interval, and the
paired difference between the slowest and the fastest sync with its t-based 95% interval (common
random numbers: every sync interval sees the same seeds, so the same orders and drains).
"""

from __future__ import annotations

import argparse

import numpy as np

from sim.report.stats import paired_difference
from sim.runner import run_overrides


def fill_rate(orders: dict[str, np.ndarray]) -> float:
    """Share of cohort orders served from the first warehouse tried."""
    hit = (orders["reroutes"] == 0) & ~orders["backordered"] & (orders["status"] != "cancelled")
    return float(hit.mean())


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--routing", nargs="+", default=["nearest", "rules", "cheapest"])
    parser.add_argument("--syncs", nargs="+", type=float, default=[0.25, 4.0])
    parser.add_argument("--seeds", type=int, default=5)
    parser.add_argument("--days", type=float, default=12.0)
    parser.add_argument("--scenario", default="sync_lag")
    args = parser.parse_args()
    seeds = range(1, args.seeds + 1)
    print(f"== {args.scenario}: {args.seeds} seeds x {args.days:g} days, 3-day warm-up ==")
    for routing in args.routing:
        rates: dict[float, list[float]] = {}
        for sync in args.syncs:
            rates[sync] = []
            fills = []
            for seed in seeds:
                result = run_overrides(
                    f"scenario={args.scenario}",
                    f"routing={routing}",
                    f"seed={seed}",
                    f"horizon_days={args.days}",
                    "warmup_days=3",
                    f"scenario.inventory.sync_interval_h={sync}",
                    "progress=false",
                )
                rates[sync].append(result.kpis["reroute_rate"])
                fills.append(fill_rate(result.orders))
            print(
                f"{routing:<10} sync {sync:>5g} h: re-route rate "
                f"{np.mean(rates[sync]):.4%}  fill rate {np.mean(fills):.4%}  "
                f"(per seed: {', '.join(f'{r:.4%}' for r in rates[sync])})"
            )
        slow, fast = max(args.syncs), min(args.syncs)
        diff = paired_difference(rates[slow], rates[fast])
        lo, hi = diff.interval.low, diff.interval.high
        print(
            f"{routing:<10} {slow:g} h - {fast:g} h: {diff.interval.mean:+.4%} "
            f"[{lo:+.4%}, {hi:+.4%}] (paired t, 95%)"
        )


if __name__ == "__main__":
    main()
