"""Alert volume and quality per monitoring policy and scenario: the figures a supervisor asks for.

    python benchmarks/monitoring_quality.py [--scenarios baseline storm livestream]
        [--monitoring sla_rules health_score] [--seeds 1 2 3] [--days 21] [--warmup 3]

Prints, per scenario x monitoring policy (means over seeds): alerts per 1,000 cohort orders,
precision (alert before the failure became known), recall, orders first alerted in transit,
team notifications per 1,000 orders, the team's response time (mean, p90) and its queue at the
end; and, pooled over seeds, the lost-parcel recall with a 95% Wilson interval.
"""

from __future__ import annotations

import argparse
import math

import numpy as np

from sim.engine.kpis import Orders
from sim.nowcast.risk import wilson as score_interval
from sim.runner import run_overrides

SHOWN = (
    "orders_created",
    "alerts_blue",
    "alerts_yellow",
    "alerts_red",
    "alerts_per_1000_orders",
    "alert_precision",
    "alert_recall",
    "orders_alerted_in_transit",
    "notifications_per_1000_orders",
    "notify_response_mean_h",
    "notify_response_p90_h",
    "notifications_unhandled",
)


def wilson(found: int, n: int) -> tuple[float, float]:
    """95% Wilson score interval of a binomial share (the now-cast's; NaN for no trials)."""
    if n == 0:
        return math.nan, math.nan
    low, high = score_interval(np.asarray(found), n)
    return float(low), float(high)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--scenarios", nargs="+", default=["baseline", "storm", "livestream"])
    parser.add_argument("--monitoring", nargs="+", default=["sla_rules", "health_score"])
    parser.add_argument("--seeds", type=int, nargs="+", default=[1, 2, 3])
    parser.add_argument("--days", type=float, default=21.0)
    parser.add_argument("--warmup", type=float, default=3.0)
    args = parser.parse_args()
    print("scenario,monitoring," + ",".join(SHOWN) + ",lost,lost_found,lost_recall,ci_low,ci_high")
    for scenario in args.scenarios:
        for monitoring in args.monitoring:
            rows, lost, found = [], 0, 0
            for seed in args.seeds:
                result = run_overrides(
                    f"scenario={scenario}",
                    f"monitoring={monitoring}",
                    f"seed={seed}",
                    f"horizon_days={args.days:g}",
                    f"warmup_days={args.warmup:g}",
                )
                rows.append([result.kpis[k] for k in SHOWN])
                o = Orders.counted(result.orders, args.warmup * 24.0, args.days * 24.0)
                is_lost = o["lost"]
                lost += int(is_lost.sum())
                found += int(
                    (is_lost & o.alerted & (o["alert_first_h"] < o["lost_declared_h"])).sum()
                )
            mean = np.nanmean(np.array(rows, dtype=float), axis=0)
            low, high = wilson(found, lost)
            share = found / lost if lost else math.nan
            print(
                f"{scenario},{monitoring},"
                + ",".join(f"{v:.4g}" for v in mean)
                + f",{lost},{found},{share:.3f},{low:.3f},{high:.3f}",
                flush=True,
            )


if __name__ == "__main__":
    main()
