"""The operational mechanics do what the model says: shifts, cut-offs, capacity, stale stock,
storms, outages and the stock-out actions."""

from __future__ import annotations

import numpy as np
import pytest

from sim.engine import RunResult
from tests.helpers import run_config

SHORT = ("horizon_days=6", "warmup_days=1")


@pytest.fixture(scope="module")
def baseline() -> RunResult:
    return run_config("seed=2", *SHORT)


def test_no_pick_starts_in_the_gap_between_shifts(baseline: RunResult) -> None:
    # shifts 06:00-16:30 and 19:30-06:00: a pick may run over, but none starts 16:30-19:30
    pick_start = baseline.orders["queued_h"] + baseline.orders["pick_wait_h"]
    hour = pick_start[~np.isnan(pick_start)] % 24
    assert len(hour) > 1000
    assert not ((hour > 16.5 + 1e-9) & (hour < 19.5 - 1e-9)).any()


def test_parcels_leave_only_at_pickup_hours(baseline: RunResult) -> None:
    o = baseline.orders
    for mode, hours in (("ground", [15.0]), ("air", [17.0])):
        shipped = o["shipped_h"][(o["mode"] == mode) & ~np.isnan(o["shipped_h"])]
        assert len(shipped) > 0
        assert np.isin(np.round(shipped % 24, 9), hours).all()


def test_daily_carrier_capacity_is_respected() -> None:
    result = run_config("seed=2", "scenario.modes.air.daily_capacity=40", *SHORT)
    o = result.orders
    air = (o["mode"] == "air") & ~np.isnan(o["shipped_h"])
    keys = list(zip(o["warehouse"][air], np.floor(o["shipped_h"][air] / 24), strict=True))
    _, counts = np.unique(np.array(keys, dtype=object).astype(str), axis=0, return_counts=True)
    assert counts.max() == 40  # the cap binds, and is never exceeded
    assert result.kpis["delivery_time_mean_h"] > 0


def test_stale_stock_causes_reroutes_that_real_time_sync_avoids() -> None:
    # with real-time stock and orders routed one by one, routing oversells only when every
    # warehouse is out; a 2 h sync keeps sending orders to the drained warehouse
    common = (
        "scenario=sync_lag",
        "horizon_days=12",
        "warmup_days=1",
        "scenario.allocation_wave_h=0",
    )
    lagging = run_config(*common)
    live = run_config(*common, "scenario.inventory.sync_interval_h=0")
    assert lagging.kpis["reroute_rate"] > 2 * live.kpis["reroute_rate"]
    assert lagging.kpis["cost_exception_per_order"] > live.kpis["cost_exception_per_order"]


@pytest.mark.parametrize(
    ("action", "column"), [("cancel", "cancel_rate"), ("backorder", "backorder_rate")]
)
def test_stockout_action(action: str, column: str) -> None:
    result = run_config(
        "scenario=sync_lag",
        "horizon_days=12",
        "warmup_days=1",
        f"scenario.inventory.on_stockout={action}",
    )
    assert result.kpis[column] > 0
    assert result.kpis["reroute_rate"] == 0.0


def test_storm_delays_parcels_and_hurts_on_time() -> None:
    calm = run_config(
        "seed=4", "horizon_days=16", "warmup_days=1", "scenario.weather.storm_rate_per_day=0"
    )
    storm = run_config("scenario=storm", "seed=4", "horizon_days=16", "warmup_days=1")
    o = storm.orders
    southeast = o["region"] == "southeast"
    # parcels already on the road when the storm (hours 240-288, severity 0.95) arrives
    on_road = southeast & (o["shipped_h"] >= 216) & (o["shipped_h"] < 240)
    assert (o["storm_delay_h"][on_road] > 0).mean() > 0.9
    # the storm stops pickups at the south warehouse, which serves the south-east
    during = southeast & (o["shipped_h"] >= 240) & (o["shipped_h"] < 288)
    assert not (during & (o["warehouse"] == "south")).any()
    assert (calm.orders["storm_delay_h"] == 0).all()
    assert storm.kpis["on_time_rate"] < calm.kpis["on_time_rate"]


def test_outage_stops_picking() -> None:
    result = run_config(
        "seed=1", *SHORT, "+scenario.warehouses.east.outages=[{start_h: 50, duration_h: 20}]"
    )
    o = result.orders
    pick_start = o["queued_h"] + o["pick_wait_h"]
    east = (o["warehouse"] == "east") & ~np.isnan(pick_start)
    assert not ((pick_start[east] >= 50) & (pick_start[east] < 70)).any()
    assert result.meta["pickups_skipped"] >= 1


def test_replenishment_keeps_stock_flowing() -> None:
    result = run_config("seed=1", "horizon_days=14", "warmup_days=1")
    assert result.meta["replenishments"] > 0
    assert result.kpis["cancel_rate"] == 0.0
