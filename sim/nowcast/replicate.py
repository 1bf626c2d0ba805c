"""Replications of the network's future from one snapshot, in parallel, in process.

Each replication is a run started from the snapshot (:mod:`sim.engine.restart`) with its own
seed: the open orders' remaining work, new demand and weather drawn afresh. The run's horizon is
the snapshot itself, so its cohort is exactly the snapshot's orders: it goes on (new demand
arriving for at most ``days``, competing for pickers and carriers) until they are all resolved,
or ``days`` + :data:`CAP_DAYS` have passed (those still open are reported as unresolved). Only
their outcomes are kept (:class:`SnapshotOrders`); nothing is written to disk.

Workers (joblib) build the world once each and run chunks of replications; a variant (a
neutralised factor or a what-if, :mod:`sim.nowcast.variants`) changes the world or the snapshot
before the runs, keeping the seeds: common random numbers across variants.
"""

from __future__ import annotations

import copy
from collections.abc import Callable, Iterator, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np
from joblib import Parallel, delayed

from scenarios.world import World
from sim.config.compose import load_config, load_policies
from sim.engine import run
from sim.engine.contract import MonitoringPolicy, RoutingPolicy
from sim.engine.restart import in_engine_order
from sim.engine.snapshot_state import SnapshotState

HORIZON_PAST_SNAPSHOT_H = 1e-6  # the cohort: orders created by the snapshot (all of its own)
CAP_DAYS = 14.0  # past the demand bound, the longest a replication waits for the orders to resolve
CHUNK = 8  # replications per task: coarse enough to pay for the hand-over, fine for progress
Variant = Callable[[World, SnapshotState], tuple[World, SnapshotState]]
Policies = tuple[RoutingPolicy, MonitoringPolicy]


@dataclass
class Outcomes:
    """Per replication (rows) and snapshot order (columns, in the snapshot's order)."""

    seeds: np.ndarray
    on_time: np.ndarray  # bool: delivered by the promise
    delivered_h: np.ndarray  # NaN: not delivered (cancelled, or unresolved at the end)
    unresolved: np.ndarray  # bool: still open when the replication stopped
    cost_usd: np.ndarray  # whole-life cost of each order


class SnapshotOrders:
    """A sink keeping the records of the snapshot's orders (the first ``n`` ids) only."""

    def __init__(self, n: int) -> None:
        self.n = n
        self.delivered_h = np.full(n, np.nan)
        self.promised_h = np.full(n, np.nan)
        self.open = np.zeros(n, dtype=bool)
        self.cost_usd = np.zeros(n)

    def write(self, columns: Mapping[str, np.ndarray]) -> None:
        ids = np.asarray(columns["order_id"])
        mine = ids < self.n
        if not mine.any():
            return
        at = ids[mine]
        self.delivered_h[at] = np.asarray(columns["delivered_h"])[mine]
        self.promised_h[at] = np.asarray(columns["promised_h"])[mine]
        self.open[at] = np.asarray(columns["status"])[mine] == "open"
        self.cost_usd[at] = np.asarray(columns["cost"])[mine]


_WORLDS: dict[tuple[str, ...], tuple[dict[str, Any], World, Policies]] = {}  # per worker


def _world(overrides: tuple[str, ...]) -> tuple[dict[str, Any], World, Policies]:
    """The composed config, its world and its policies, built once per worker (each replication
    gets fresh copies of the policies)."""
    if overrides not in _WORLDS:
        from scenarios.build import build

        cfg = load_config(*overrides)
        world = build(cfg["scenario"])
        _WORLDS[overrides] = (cfg, world, load_policies(cfg, world))
    return _WORLDS[overrides]


def replicate_one(
    policies: Policies, world: World, state: SnapshotState, seed: int, days: float
) -> SnapshotOrders:
    """One replication from ``state`` with ``seed``; the snapshot orders' outcomes."""
    routing, monitoring = copy.deepcopy(policies)  # nothing a run leaves in them carries over
    sink = SnapshotOrders(state.n_orders)
    horizon_h = state.snapshot_h + HORIZON_PAST_SNAPSHOT_H
    run(
        world,
        routing,
        monitoring,
        seed=seed,
        horizon_days=horizon_h / 24.0,
        warmup_days=0.0,
        timeseries_interval_h=24.0,
        cooldown_days=days + CAP_DAYS,
        sink=sink,
        start=state,
        demand_until_h=state.snapshot_h + days * 24.0,
    )
    return sink


def _chunk(
    overrides: tuple[str, ...],
    state: SnapshotState,
    seeds: Sequence[int],
    days: float,
    variant: Variant | None,
) -> tuple[list[int], list[SnapshotOrders]]:
    _, world, policies = _world(overrides)
    if variant is not None:
        world, state = variant(world, state)
    return list(seeds), [replicate_one(policies, world, state, int(s), days) for s in seeds]


def replicate(
    overrides: Sequence[str],
    state: SnapshotState,
    seeds: Sequence[int],
    days: float,
    jobs: int = 1,
    variant: Variant | None = None,
    progress: Callable[[int], object] | None = None,
) -> Outcomes:
    """Run one replication per seed (in ``jobs`` worker processes; 1: here) and gather the
    snapshot orders' outcomes, rows in the order of ``seeds``, columns in the order of
    :func:`~sim.engine.restart.in_engine_order` (creation)."""
    key = tuple(overrides)
    state = in_engine_order(state)  # so that engine id k is row k
    chunks = [list(seeds[i : i + CHUNK]) for i in range(0, len(seeds), CHUNK)]
    results: Iterator[tuple[list[int], list[SnapshotOrders]]]
    if jobs == 1:
        results = (_chunk(key, state, c, days, variant) for c in chunks)
    else:
        results = Parallel(n_jobs=jobs, return_as="generator_unordered")(
            delayed(_chunk)(key, state, c, days, variant) for c in chunks
        )
    by_seed: dict[int, SnapshotOrders] = {}
    for done_seeds, sinks in results:
        by_seed.update(zip(done_seeds, sinks, strict=True))
        if progress is not None:
            progress(len(done_seeds))
    rows = [by_seed[int(s)] for s in seeds]
    delivered = np.stack([r.delivered_h for r in rows])
    promised = np.stack([r.promised_h for r in rows])
    return Outcomes(
        seeds=np.asarray(seeds, dtype=np.int64),
        on_time=delivered <= promised,
        delivered_h=delivered,
        unresolved=np.stack([r.open for r in rows]),
        cost_usd=np.stack([r.cost_usd for r in rows]),
    )
