"""Every shipped scenario runs, accounts for every order, and never takes stock below zero; the
time series is sampled up to and including the horizon. (Each invariant seen failing when
broken: ``test_invariants_break.py``.)"""

from __future__ import annotations

import numpy as np
import pytest

from policies.monitoring.none import NoMonitoring
from policies.routing.nearest import NearestRouting
from sim.engine import Simulation
from sim.engine.result import InvariantError, RunResult
from tests.helpers import run_config, scenario_names, world_of

SHORT = ("horizon_days=6", "warmup_days=1")


# `large` is the baseline scaled x 10.5 (its utilisation: tests/test_streamed.py; the benchmarks
# run it): ten times the orders for no new path through the engine
@pytest.fixture(scope="module", params=[s for s in scenario_names() if s != "large"])
def short_run(request: pytest.FixtureRequest) -> RunResult:
    return run_config(f"scenario={request.param}", *SHORT)


def test_every_order_is_accounted_for(short_run: RunResult) -> None:
    k = short_run.kpis
    assert k["orders_created"] > 0
    assert k["orders_created"] == k["orders_delivered"] + k["orders_open"] + k["orders_cancelled"]
    status = short_run.orders["status"]
    assert set(np.unique(status)) <= {"delivered", "open", "cancelled"}


def test_stock_never_negative(short_run: RunResult) -> None:
    stock = short_run.warehouse_series["stock_units"]
    assert stock.min() >= -1  # -1 marks a scenario without stock


def test_life_cycle_times_are_ordered(short_run: RunResult) -> None:
    o = short_run.orders
    shipped = ~np.isnan(o["shipped_h"])
    for earlier, later in (
        ("created_h", "routed_h"),
        ("routed_h", "queued_h"),
        ("queued_h", "picked_h"),
        ("picked_h", "shipped_h"),
    ):
        both = ~np.isnan(o[earlier]) & ~np.isnan(o[later])
        assert (o[later][both] >= o[earlier][both] - 1e-9).all(), f"{earlier} after {later}"
    delivered = o["status"] == "delivered"
    assert (o["delivered_h"][delivered] > o["shipped_h"][delivered]).all()
    assert shipped[delivered].all()
    assert (o["pick_wait_h"][~np.isnan(o["pick_wait_h"])] >= 0).all()
    cancelled = o["status"] == "cancelled"
    assert np.isnan(o["shipped_h"][cancelled]).all()


def test_probabilities_and_costs_are_sane(short_run: RunResult) -> None:
    o = short_run.orders
    rated = ~np.isnan(o["promoter_p"])
    assert (
        (o["promoter_p"][rated] >= 0)
        & (o["promoter_p"][rated] + o["detractor_p"][rated] <= 1 + 1e-9)
    ).all()
    assert (o["cost"] >= 0).all()
    assert -100 <= short_run.kpis["nps"] <= 100


def test_invariant_breach_fails_loudly(short_run: RunResult) -> None:
    with pytest.raises(InvariantError, match="stock went negative"):
        short_run.check_invariants(min_stock=-1)


def test_the_time_series_ends_with_the_state_at_the_horizon() -> None:
    """The last row (at the horizon) is sampled, not left at zeros."""
    sim = Simulation(world_of(), NearestRouting(), NoMonitoring(), seed=2, horizon_days=2)
    ts = sim.run().warehouse_series
    last = ts["time_h"] == 48.0
    assert last.sum() == len(sim.warehouses)
    assert list(ts["pickers_on_shift"][last]) == [w.pickers_on(48.0) for w in sim.warehouses]
    assert (ts["pickers_on_shift"][last] > 0).all() and (ts["stock_units"][last] > 0).all()
    if sim.env.now == 48.0:  # the run stopped at the horizon: the row is its final state
        assert list(ts["stock_units"][last]) == [int(w.on_hand.sum()) for w in sim.warehouses]
        assert list(ts["backlog"][last]) == [w.backlog for w in sim.warehouses]
        assert list(ts["at_dock"][last]) == [sim.carriers.dock_size(w) for w in range(4)]
