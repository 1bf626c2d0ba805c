"""Re-routes join the allocation wave: no SimPy process per re-routed order (issue 10, item 3)."""

from __future__ import annotations

from collections.abc import Generator
from typing import Any

import numpy as np
import pytest
import simpy

from tests.helpers import run_config

# the sync_lag flash sale, ten times stronger: thousands of orders routed on stale stock
STALE = ("scenario=sync_lag", "horizon_days=4", "warmup_days=1", "progress=false")
BIG_SALE = ("scenario.demand.bursts.0.peak_multiplier=60", "scenario.demand.bursts.0.start_h=60")


def test_a_burst_of_reroutes_costs_no_process_per_order(monkeypatch: pytest.MonkeyPatch) -> None:
    started = {"n": 0}
    process = simpy.Environment.process

    def counting(env: simpy.Environment, generator: Generator[Any, Any, Any]) -> Any:
        started["n"] += 1
        return process(env, generator)

    monkeypatch.setattr(simpy.Environment, "process", counting)
    result = run_config(*STALE, *BIG_SALE)
    o = result.orders
    rerouted = o["reroutes"] > 0
    assert rerouted.sum() > 2000
    # pickers, pickups, waves, syncs, samples and one per replenishment: none per re-route
    assert started["n"] - result.meta["replenishments"] < 100

    # each re-routed order waited out the delay and joined the first wave after it
    wave, delay = 0.25, 0.5
    queued = rerouted & ~np.isnan(o["queued_h"]) & ~o["backordered"]
    waited = o["queued_h"][queued] - o["routed_h"][queued]
    assert (waited >= delay * o["reroutes"][queued] - 1e-9).all()
    assert (waited <= (delay + wave) * o["reroutes"][queued] + 1e-9).all()
