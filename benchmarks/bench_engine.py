"""Engine throughput: orders simulated per second and SimPy events per order (run on demand).

    python benchmarks/bench_engine.py [--days 28] [--repeats 3] [--scenario baseline]

Reports the median of the repeats on one core (the engine is single-threaded). Speed targets live
here, not in the unit tests.
"""

from __future__ import annotations

import argparse
import statistics
import time
import tracemalloc

from policies.monitoring.none import NoMonitoring
from policies.routing.nearest import NearestRouting
from sim.config.compose import load_world
from sim.engine import run


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--scenario", default="baseline")
    parser.add_argument("--days", type=float, default=28.0)
    parser.add_argument("--repeats", type=int, default=3)
    parser.add_argument("--memory", action="store_true", help="also trace peak memory (slower)")
    args = parser.parse_args()
    world = load_world(f"scenario={args.scenario}")
    rates, events = [], []
    for seed in range(1, args.repeats + 1):
        start = time.perf_counter()
        result = run(
            world,
            NearestRouting(),
            NoMonitoring(),
            seed=seed,
            horizon_days=args.days,
            warmup_days=min(3.0, args.days / 4),
        )
        elapsed = time.perf_counter() - start
        n = len(result.orders["order_id"])
        rates.append(n / elapsed)
        events.append(result.meta["events"] / n)
        print(
            f"seed {seed}: {n:,} orders in {elapsed:.2f} s = {n / elapsed:,.0f} orders/s, "
            f"{result.meta['events'] / n:.2f} events/order"
        )
    print(
        f"{args.scenario}, {args.days:g} days: median {statistics.median(rates):,.0f} orders/s, "
        f"{statistics.median(events):.2f} events/order"
    )
    if args.memory:
        tracemalloc.start()
        result = run(world, NearestRouting(), NoMonitoring(), seed=1, horizon_days=args.days)
        _, peak = tracemalloc.get_traced_memory()
        n = len(result.orders["order_id"])
        print(f"peak traced memory {peak / 1e6:.0f} MB = {peak / n:,.0f} bytes/order")


if __name__ == "__main__":
    main()
