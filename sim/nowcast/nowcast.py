"""A now-cast: from a snapshot, each open order's chance of meeting its promise, why, and what
an intervention would change.

Replications (:mod:`sim.nowcast.replicate`) give each order's on-time probability and delivery
spread (:mod:`sim.nowcast.risk`); the same seeds with one factor neutralised at a time give its
driver, and with an intervention (a what-if, :mod:`sim.nowcast.variants`) the orders it saves
and what it costs, as paired differences per replication (common random numbers) with t-based
95% intervals.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from scenarios.build import build
from sim.config.compose import load_config
from sim.io.snapshot_read import Snapshot, read_snapshot
from sim.nowcast.replicate import Outcomes, Variant, replicate
from sim.nowcast.risk import Tiers, drivers, risk_table
from sim.nowcast.variants import FACTORS
from sim.nowcast.what_ifs import WhatIf, WhatIfRequest, check, plan
from sim.report.stats import paired_difference


@dataclass(frozen=True)
class NowcastRequest:
    snapshot: Path
    scenario: str
    days: float = 7.0
    replications: int = 200
    driver_replications: int = 50  # per neutralised factor (0: no drivers)
    routing: str = "nearest"
    monitoring: str = "none"
    first_seed: int = 1_000_000  # replication seeds: first_seed, first_seed + 1, ...
    jobs: int = 1
    tiers: Tiers = Tiers()
    what_ifs: WhatIfRequest = WhatIfRequest()
    overrides: tuple[str, ...] = field(default_factory=tuple)

    @property
    def config_overrides(self) -> tuple[str, ...]:
        return (
            f"scenario={self.scenario}",
            f"routing={self.routing}",
            f"monitoring={self.monitoring}",
            *self.overrides,
        )


@dataclass
class Nowcast:
    snapshot: Snapshot
    table: pd.DataFrame
    summary: dict[str, Any]
    base: Outcomes


def paired(a: np.ndarray, b: np.ndarray) -> dict[str, float]:
    """Mean of ``a - b`` over replications with its paired-t 95% interval (the report's own)."""
    d = paired_difference(a, b).interval
    return {"mean": d.mean, "low": d.low, "high": d.high, "replications": d.n}


def run_nowcast(
    request: NowcastRequest, progress: Callable[[int], object] | None = None
) -> Nowcast:
    cfg = load_config(*request.config_overrides)
    world = build(cfg["scenario"])
    snapshot = read_snapshot(request.snapshot, world)
    state = snapshot.state
    asked = check(request.what_ifs, world, state)  # before any replication runs
    seeds = [request.first_seed + i for i in range(request.replications)]

    def go(which: Sequence[int], variant: Variant | None = None) -> Outcomes:
        return replicate(
            request.config_overrides, state, which, request.days, request.jobs, variant, progress
        )

    base = go(seeds)
    few = seeds[: min(request.driver_replications, len(seeds))]
    neutralised = {name: go(few, f) for name, f in FACTORS.items()} if len(few) else {}
    table = risk_table(state, world, base, drivers(base, neutralised), request.tiers)
    unresolved = base.unresolved.any(axis=0)
    summary: dict[str, Any] = {
        "snapshot": str(request.snapshot),
        "snapshot_h": state.snapshot_h,
        "snapshot_at": snapshot.snapshot_at,
        "scenario": request.scenario,
        "routing": request.routing,
        "monitoring": request.monitoring,
        "replications": request.replications,
        "driver_replications": len(few) if neutralised else 0,
        "days": request.days,
        "open_orders": state.n_orders,
        "expected_late_orders": float((1.0 - base.on_time.mean(axis=0)).sum()),
        "tiers": table["risk_tier"].value_counts().to_dict(),
        "drivers": table.loc[table["risk_tier"] != "none", "driver"].value_counts().to_dict(),
        "unresolved_orders": int(unresolved.sum()),
        "unresolved_order_ids": table.loc[table["unresolved_share"] > 0, "order_id"]
        .head(50)
        .tolist(),
    }
    what_ifs = plan(asked, world, state, table)
    summary["what_ifs"] = [_compare(w, base, go(base.seeds.tolist(), w.variant)) for w in what_ifs]
    return Nowcast(snapshot, table, summary, base)


def _compare(what_if: WhatIf, base: Outcomes, after: Outcomes) -> dict[str, Any]:
    """Late snapshot orders saved and cost added by a what-if, per replication on the same
    seeds (common random numbers), with paired 95% intervals; how many of the orders it names
    it acts on."""
    late_before = (~base.on_time).sum(axis=1)
    late_after = (~after.on_time).sum(axis=1)
    counts = what_if.counts or dict.fromkeys(("listed", "acted_on", "not_acted_on"))
    return {
        "what_if": what_if.description,
        "orders": what_if.orders,
        **counts,  # null for a what-if on the whole network (it names no orders)
        "late_orders_saved": paired(late_before, late_after),
        "cost_added_usd": paired(after.cost_usd.sum(axis=1), base.cost_usd.sum(axis=1)),
    }
