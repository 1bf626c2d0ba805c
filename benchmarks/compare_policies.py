"""Policy comparison for the record: KPIs per routing and monitoring policy over seeds.

    python benchmarks/compare_policies.py [--scenarios baseline storm] [--seeds 5] [--days 28]

Prints, per scenario, mean late rate, cost per order and NPS by routing policy (monitoring none),
alert precision / recall by monitoring policy (routing nearest), and each policy's run time
relative to ``nearest`` on the same seeds (a model for ``predictive`` is trained first, outside the
timing). Common random numbers: every policy sees the same seeds.
"""

from __future__ import annotations

import argparse
import time

import numpy as np

from scenarios.build import build
from sim.config.compose import load_config, load_policies
from sim.engine import run

ROUTING = ("nearest", "cheapest", "rules", "value_tiered", "predictive")
MONITORING = ("none", "sla_rules", "health_score")


def timed_run(
    scenario: str,
    routing: str,
    monitoring: str,
    seed: int,
    days: float,
) -> tuple[dict[str, float], float]:
    cfg = load_config(f"scenario={scenario}", f"routing={routing}", f"monitoring={monitoring}")
    router, monitor = load_policies(cfg)
    world = build(cfg["scenario"])
    router.start(world, seed)  # trains or loads a model outside the timing
    start = time.perf_counter()
    result = run(world, router, monitor, seed=seed, horizon_days=days, warmup_days=3.0)
    return result.kpis, time.perf_counter() - start


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--scenarios", nargs="+", default=["baseline", "storm"])
    parser.add_argument("--seeds", type=int, default=5)
    parser.add_argument("--days", type=float, default=28.0)
    args = parser.parse_args()
    seeds = range(1, args.seeds + 1)
    for scenario in args.scenarios:
        print(f"\n== {scenario}: {args.seeds} seeds x {args.days:g} days ==")
        print(
            f"{'routing':<14}{'late rate':>10}{'cost/order':>12}{'NPS':>8}{'NPS VIP':>9}"
            f"{'time vs nearest':>17}"
        )
        base_time = None
        for routing in ROUTING:
            rows = [timed_run(scenario, routing, "none", s, args.days) for s in seeds]
            k = {
                key: np.mean([r[0][key] for r in rows])
                for key in ("late_rate", "cost_per_order", "nps", "nps_vip")
            }
            seconds = np.array([r[1] for r in rows])
            base_time = seconds if base_time is None else base_time
            print(
                f"{routing:<14}{k['late_rate']:>10.2%}{k['cost_per_order']:>12.2f}"
                f"{k['nps']:>+8.1f}{k['nps_vip']:>+9.1f}"
                f"{np.median(seconds / base_time):>16.2f}x"
            )
        print(
            f"{'monitoring':<14}{'late rate':>10}{'cost/order':>12}{'precision':>11}"
            f"{'recall':>8}{'alerts':>9}{'lead h':>8}"
        )
        for monitoring in MONITORING:
            rows = [timed_run(scenario, "nearest", monitoring, s, args.days)[0] for s in seeds]
            k = {
                key: np.nanmean([r[key] for r in rows])
                if monitoring != "none" or key in ("late_rate", "cost_per_order")
                else float("nan")
                for key in (
                    "late_rate",
                    "cost_per_order",
                    "alert_precision",
                    "alert_recall",
                    "alerts_total",
                    "alert_lead_time_median_h",
                )
            }
            print(
                f"{monitoring:<14}{k['late_rate']:>10.2%}{k['cost_per_order']:>12.2f}"
                f"{k['alert_precision']:>11.2f}{k['alert_recall']:>8.2f}"
                f"{k['alerts_total']:>9.0f}{k['alert_lead_time_median_h']:>8.1f}"
            )


if __name__ == "__main__":
    main()
