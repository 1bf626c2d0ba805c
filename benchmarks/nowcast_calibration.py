"""Calibration of now-cast on-time probabilities against what really happened.

    python benchmarks/nowcast_calibration.py [--scenario storm] [--seeds 1 2 3 4]
        [--times 100 160 220 236 300] [--replications 40] [--jobs 2] [--bootstrap 1000]
        [--nowcast-override KEY=VALUE ...] [--out benchmarks/results/nowcast_calibration.json]

For every (seed, hour) a run of the scenario from hour 0 writes a snapshot at that hour and goes
on until the snapshot's orders resolve: its outcomes are the truth. Each snapshot is now-cast on
*other* seeds (``--first-seed`` on; the snapshot's own run is never a replication). Predictions
are pooled over snapshots and compared per fixed-width bin (0.1) with the realised on-time
share, with ECE and the Brier skill against a "late rate of the lane" forecaster (each order's
(warehouse, region, mode) late rate in a separate history run of the scenario; region, then
overall, where the lane is unseen or the order not yet routed). Intervals: cluster bootstrap
over snapshots. Prints the table and writes the JSON.
"""

from __future__ import annotations

import argparse
import json
import time
from pathlib import Path

import numpy as np

from scenarios.build import build
from scenarios.world import World
from sim.config.compose import load_config, load_policies
from sim.engine import run
from sim.engine.restart import in_engine_order
from sim.engine.snapshot_state import SnapshotRequest, SnapshotState
from sim.nowcast.calibration import Pooled, report
from sim.nowcast.replicate import replicate

HISTORY_DAYS = 28.0


def lane_forecaster(world: World, cfg: dict, seed: int) -> dict[str, np.ndarray]:
    """Late rates by lane, region and overall from one history run (cohort orders)."""
    r = run(world, *load_policies(cfg, world), seed=seed, horizon_days=HISTORY_DAYS, warmup_days=3)
    o = r.orders
    names = {"warehouse": [w.name for w in world.warehouses], "mode": [m.name for m in world.modes]}
    known = (o["status"] != "cancelled") & (o["created_h"] >= 72)
    late = (o["late_h"] > 0)[known]
    w_idx = np.array([names["warehouse"].index(x) for x in o["warehouse"][known]])
    m_idx = np.array([names["mode"].index(x) for x in o["mode"][known]])
    r_idx = np.array([world.regions.index(x) for x in o["region"][known]])
    shape = (len(names["warehouse"]), len(world.regions), len(names["mode"]))
    n = np.zeros(shape)
    k = np.zeros(shape)
    np.add.at(n, (w_idx, r_idx, m_idx), 1)
    np.add.at(k, (w_idx, r_idx, m_idx), late)
    by_region_n = np.bincount(r_idx, minlength=len(world.regions))
    by_region_k = np.bincount(r_idx, late.astype(float), minlength=len(world.regions))
    return {
        "lane": np.where(n >= 30, k / np.maximum(n, 1), np.nan),
        "region": by_region_k / np.maximum(by_region_n, 1),
        "overall": np.array(late.mean()),
    }


def reference(rates: dict[str, np.ndarray], state: SnapshotState) -> np.ndarray:
    """On-time probability per order (engine order) from its lane's late rate."""
    o = in_engine_order(state).orders
    lane = np.full(len(o["order_id"]), np.nan)
    routed = (o["warehouse"] >= 0) & (o["mode"] >= 0)
    lane[routed] = rates["lane"][o["warehouse"][routed], o["region"][routed], o["mode"][routed]]
    late = np.where(np.isnan(lane), rates["region"][o["region"]], lane)
    return 1.0 - np.where(np.isnan(late), float(rates["overall"]), late)


def truth(world: World, cfg: dict, seed: int, at_h: float) -> tuple[SnapshotState, np.ndarray]:
    """A snapshot at ``at_h`` and, per snapshot order (engine order), whether it was on time."""
    got: list[SnapshotState] = []
    result = run(
        world, *load_policies(cfg, world), seed=seed, horizon_days=(at_h + 1.0) / 24.0,
        warmup_days=0.0, cooldown_days=14.0, snapshot=SnapshotRequest(at_h, got.append),
    )  # fmt: skip
    state = in_engine_order(got[0])
    ids = state.orders["order_id"]
    o = result.orders
    assert (o["order_id"][ids] == ids).all()
    return state, o["delivered_h"][ids] <= o["promised_h"][ids]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--scenario", default="storm")
    parser.add_argument("--seeds", type=int, nargs="+", default=[1, 2, 3, 4])
    parser.add_argument("--times", type=float, nargs="+", default=[100, 160, 220, 236, 300])
    parser.add_argument("--replications", type=int, default=40)
    parser.add_argument("--days", type=float, default=7.0)
    parser.add_argument("--jobs", type=int, default=2)
    parser.add_argument("--first-seed", type=int, default=1_000_000)
    parser.add_argument("--history-seed", type=int, default=99)
    parser.add_argument("--bootstrap", type=int, default=1000)
    parser.add_argument(
        "--nowcast-override",
        action="append",
        default=[],
        help="a config override for the now-cast's world only (the truth keeps the scenario), "
        "e.g. 'scenario.weather.storms=[]': the scripted storms known only through the "
        "snapshot's forecasts",
    )
    parser.add_argument(
        "--out", type=Path, default=Path("benchmarks/results/nowcast_calibration.json")
    )
    args = parser.parse_args()
    started = time.perf_counter()
    overrides = (f"scenario={args.scenario}", "routing=nearest", "monitoring=none")
    cfg = load_config(*overrides)
    world = build(cfg["scenario"])
    rates = lane_forecaster(world, cfg, args.history_seed)
    seeds = [args.first_seed + i for i in range(args.replications)]
    parts = []
    for c, (seed, at_h) in enumerate((s, t) for s in args.seeds for t in args.times):
        state, on_time = truth(world, cfg, seed, at_h)
        base = replicate((*overrides, *args.nowcast_override), state, seeds, args.days, args.jobs)
        parts.append((base.on_time.mean(axis=0), reference(rates, state), on_time, c))
        print(
            f"snapshot seed {seed} at {at_h:g} h: {state.n_orders:,} open orders, "
            f"predicted late {1 - parts[-1][0].mean():.3f}, realised {1 - on_time.mean():.3f}",
            flush=True,
        )
    data = Pooled(
        predicted=np.concatenate([p[0] for p in parts]),
        reference=np.concatenate([p[1] for p in parts]),
        on_time=np.concatenate([p[2] for p in parts]),
        cluster=np.concatenate([np.full(len(p[0]), p[3]) for p in parts]),
    )
    result = report(data, draws=args.bootstrap)
    result.update(
        scenario=args.scenario,
        seeds=args.seeds,
        times_h=args.times,
        replications=args.replications,
        nowcast_overrides=args.nowcast_override,
        first_seed=args.first_seed,
        seconds=round(time.perf_counter() - started, 1),
    )
    print(
        f"{'bin':<12}{'orders':>8}{'pred':>8}{'real':>8}{'gap pp':>8}  95% CI pp     counted pass"
    )
    for b in result["bins"]:  # type: ignore[union-attr]
        print(
            f"{b['bin']:<12}{b['orders']:>8,}{b['predicted']:>8.3f}{b['realised']:>8.3f}"
            f"{b['gap_pp']:>+8.2f}  [{b['gap_low_pp']:+.2f}, {b['gap_high_pp']:+.2f}]"
            f"  {b['counted']!s:>6} {b['passes']!s:>5}"
        )
    print(
        f"ECE {result['ece']:.4f} {result['ece_ci']}; Brier {result['brier']:.4f} vs lane "
        f"{result['brier_reference']:.4f}: skill {result['brier_skill']:.3f} "
        f"{result['brier_skill_ci']}; every counted bin passes: "
        f"{result['every_counted_bin_passes']}; {result['seconds']} s"
    )
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.write_text(json.dumps(result, indent=2) + "\n")


if __name__ == "__main__":
    main()
