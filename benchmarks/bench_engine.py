"""Engine throughput: orders simulated per second and SimPy events per order (run on demand).

    python benchmarks/bench_engine.py [--days 28] [--repeats 3] [--scenario baseline]
                                      [--routing nearest predictive] [--memory]

Reports the median of the repeats on one core (the engine is single-threaded; pin it with
``taskset -c 0``), and each routing policy's run time relative to the first one listed, measured
in the same process on the same seeds. A learned router's model is trained or loaded before the
timing. Speed targets live here, not in the unit tests.
"""

from __future__ import annotations

import argparse
import statistics
import time
import tracemalloc

from policies.monitoring.none import NoMonitoring
from scenarios.build import build
from sim.config.compose import load_config, load_policies
from sim.engine import run


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--scenario", default="baseline")
    parser.add_argument("--days", type=float, default=28.0)
    parser.add_argument("--repeats", type=int, default=3)
    parser.add_argument("--routing", nargs="+", default=["nearest"])
    parser.add_argument("--memory", action="store_true", help="also trace peak memory (slower)")
    args = parser.parse_args()
    seconds: dict[str, list[float]] = {r: [] for r in args.routing}
    for seed in range(1, args.repeats + 1):
        for name in args.routing:
            cfg = load_config(f"scenario={args.scenario}", f"routing={name}")
            world = build(cfg["scenario"])
            routing, _ = load_policies(cfg)
            routing.start(world, seed)  # train or load a model outside the timing
            start = time.perf_counter()
            result = run(
                world,
                routing,
                NoMonitoring(),
                seed=seed,
                horizon_days=args.days,
                warmup_days=min(3.0, args.days / 4),
            )
            elapsed = time.perf_counter() - start
            seconds[name].append(elapsed)
            n = len(result.orders["order_id"])
            print(
                f"{name} seed {seed}: {n:,} orders in {elapsed:.2f} s = {n / elapsed:,.0f} "
                f"orders/s, {result.meta['events'] / n:.2f} events/order"
            )
    first = args.routing[0]
    for name in args.routing:
        ratios = [a / b for a, b in zip(seconds[name], seconds[first], strict=True)]
        rate = n / statistics.median(seconds[name])
        print(
            f"{args.scenario}, {args.days:g} days, {name}: median {rate:,.0f} orders/s; "
            f"run time {statistics.median(ratios):.2f}x {first}"
        )
    if args.memory:
        cfg = load_config(f"scenario={args.scenario}")
        tracemalloc.start()
        result = run(
            build(cfg["scenario"]),
            load_policies(cfg)[0],
            NoMonitoring(),
            seed=1,
            horizon_days=args.days,
        )
        _, peak = tracemalloc.get_traced_memory()
        n = len(result.orders["order_id"])
        print(f"peak traced memory {peak / 1e6:.0f} MB = {peak / n:,.0f} bytes/order")


if __name__ == "__main__":
    main()
