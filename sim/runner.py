"""Run one composed config: validate it, build the world and the policies, simulate, write files.

The library behind the ``ordertwin`` command (:mod:`sim.cli.run` only parses and prints) and the
one place where a run config's keys become the engine's arguments, so that a Hydra job, a tuning
trial and a test all simulate a config the same way.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from pathlib import Path
from typing import Any

from tqdm import tqdm

from policies.protocols import MonitoringPolicy, RoutingPolicy
from scenarios.build import build
from scenarios.dates import DEFAULT_START_DATE
from scenarios.world import World
from sim.config.compose import load_config, load_policies
from sim.config.validate import validate
from sim.engine import RunResult, run
from sim.engine.quantile import ValueStore
from sim.engine.simulation import DEFAULT_COOLDOWN_DAYS
from sim.engine.sink import CollectedOrders, OrderSink, TeeOrders
from sim.engine.snapshot_state import SnapshotRequest, SnapshotState
from sim.io.run_files import streamed_orders, withdraw_kpis, write_run
from sim.io.scratch import scratch_values
from sim.io.snapshot import SNAPSHOT_DIR, write_snapshot


def simulate(
    cfg: Mapping[str, Any],
    world: World,
    routing: RoutingPolicy,
    monitoring: MonitoringPolicy,
    progress: Callable[[float], None] | None = None,
    sink: OrderSink | None = None,
    snapshot: SnapshotRequest | None = None,
    delivery_times: ValueStore | None = None,
) -> RunResult:
    """Simulate the world under the policies for the config's seed, horizon and warm-up; the
    orders' records go to ``sink`` as they finish (default: collected into the result), the
    delivery times for the exact p90 to ``delivery_times`` (default: memory), and the OMS's view
    at ``snapshot.at_h`` to its callback."""
    return run(
        world,
        routing,
        monitoring,
        seed=int(cfg["seed"]),
        horizon_days=float(cfg["horizon_days"]),
        warmup_days=float(cfg["warmup_days"]),
        timeseries_interval_h=float(cfg["timeseries_interval_h"]),
        progress=progress,
        cooldown_days=float(cfg.get("cooldown_days", DEFAULT_COOLDOWN_DAYS)),
        sink=sink,
        snapshot=snapshot,
        delivery_times=delivery_times,
    )


def run_overrides(*overrides: str) -> RunResult:
    """Compose the packaged config with ``overrides``, build and simulate one run; no files."""
    cfg = load_config(*overrides)
    world = build(cfg["scenario"])
    routing, monitoring = load_policies(cfg, world)
    return simulate(cfg, world, routing, monitoring)


def run_from_config(cfg: Mapping[str, Any], output_dir: str | Path) -> dict[str, float]:
    """Validate, build, simulate and write one run; returns its KPIs."""
    return run_and_write(cfg, output_dir).kpis


def run_and_write(cfg: Mapping[str, Any], output_dir: str | Path) -> RunResult:
    """Validate, build, simulate and write one run; returns its result (``orders`` empty: they
    went to the run's files as the run went on)."""
    withdraw_kpis(output_dir)  # until this run writes its own: the folder holds no finished run
    validate(cfg)
    world = build(cfg["scenario"])
    routing, monitoring = load_policies(dict(cfg), world)
    horizon_days = float(cfg["horizon_days"])
    progress_bar = None
    if cfg.get("progress", False):
        progress_bar = tqdm(  # the horizon; the cool-down shows past it
            total=round(horizon_days),
            unit="sim-day",
            leave=False,
            disable=None,  # only on a terminal
            desc=f"{world.name}/{routing.name}/{monitoring.name}",
        )

    def advance(day: float) -> None:
        if progress_bar is not None:
            progress_bar.update(round(day) - progress_bar.n)

    export = cfg.get("export", {})
    order_log = CollectedOrders() if export.get("order_log", False) else None
    snapshots: list[SnapshotState] = []
    at_h = export.get("snapshot_at_h")
    request = None if at_h is None else SnapshotRequest(float(at_h), snapshots.append)
    try:
        # orders.parquet is written as orders finish, and renamed into place before kpis.json
        # and the delivery times for the exact p90 go to a scratch file there, removed after
        with (
            streamed_orders(
                output_dir, export.get("orders", "full"), int(export.get("sample_every", 1))
            ) as orders,
            scratch_values(output_dir) as delivery_times,
        ):
            result = simulate(
                cfg,
                world,
                routing,
                monitoring,
                advance if progress_bar is not None else None,
                orders if order_log is None else TeeOrders(orders, order_log),
                request,
                delivery_times,
            )
    finally:
        if progress_bar is not None:
            progress_bar.close()
    if order_log is not None:  # before kpis.json marks the run done
        from sim.io.order_log import write_order_log  # pandas: only when asked for

        result.orders = order_log.columns()
        start_date = str(cfg["scenario"].get("start_date", DEFAULT_START_DATE))
        write_order_log(result, export, int(cfg["seed"]), output_dir, start_date)
        result.orders = {}  # orders.parquet is written already (or not wanted)
    for state in snapshots:  # before kpis.json marks the run done
        out = Path(output_dir)
        write_snapshot(state, world, int(cfg["seed"]), out / SNAPSHOT_DIR, root=out)
    write_run(result, output_dir)
    return result
