"""The engine against queueing theory on the M/M/c reduction (``scenario=mmc``)."""

from __future__ import annotations

import math

import numpy as np
import pytest
from scipy import stats

from policies.monitoring.none import NoMonitoring
from policies.routing.nearest import NearestRouting
from sim.engine import run
from tests.helpers import world_of

REPLICATIONS = 8
ORDERS_PER_CASE = 60_000  # over all replications, before clipping the horizon
WARMUP_DAYS = 2.0


def erlang_c_wait_h(arrival_rate_per_h: float, servers: int, mean_service_h: float) -> float:
    """Mean queue wait Wq of an M/M/c queue (Erlang C)."""
    a = arrival_rate_per_h * mean_service_h
    rho = a / servers
    assert rho < 1
    head = sum(a**k / math.factorial(k) for k in range(servers))
    tail = a**servers / math.factorial(servers) / (1 - rho)
    p_wait = tail / (head + tail)
    return p_wait * mean_service_h / (servers * (1 - rho))


def mmc_world(rate: float, servers: int, mean_h: float):
    return world_of(
        "scenario=mmc",
        f"scenario.demand.base_rate_per_h={rate}",
        f"scenario.warehouses.main.pickers={servers}",
        f"scenario.warehouses.main.pick_time.mean_h={mean_h}",
    )


def replicate_waits(rate: float, servers: int, mean_h: float) -> np.ndarray:
    """Mean pick wait per replication, warm-up deleted."""
    world = mmc_world(rate, servers, mean_h)
    horizon_days = float(np.clip(ORDERS_PER_CASE / (REPLICATIONS * 24 * rate), 10, 40))
    means = []
    for seed in range(REPLICATIONS):
        result = run(
            world,
            NearestRouting(),
            NoMonitoring(),
            seed=seed,
            horizon_days=horizon_days,
            warmup_days=WARMUP_DAYS,
        )
        o = result.orders
        counted = (o["created_h"] >= WARMUP_DAYS * 24) & ~np.isnan(o["pick_wait_h"])
        means.append(o["pick_wait_h"][counted].mean())
    return np.asarray(means)


# (arrival rate per h, pickers, mean pick time h): loads from 0.5 to 0.9, 1 to 8 servers
CASES = [
    (5.0, 1, 0.1),  # rho 0.5
    (8.0, 1, 0.1),  # rho 0.8
    (18.0, 2, 0.1),  # rho 0.9
    (28.0, 4, 0.125),  # rho 0.875
    (64.0, 8, 0.1),  # rho 0.8
    (22.5, 5, 0.2),  # rho 0.9
]


@pytest.mark.slow
@pytest.mark.parametrize(("rate", "servers", "mean_h"), CASES)
def test_mean_pick_wait_matches_erlang_c(rate: float, servers: int, mean_h: float) -> None:
    theory = erlang_c_wait_h(rate, servers, mean_h)
    waits = replicate_waits(rate, servers, mean_h)
    mean = waits.mean()
    half = stats.t.ppf(0.975, len(waits) - 1) * waits.std(ddof=1) / np.sqrt(len(waits))
    print(
        f"Erlang C rho={rate * mean_h / servers:.3f} c={servers}: theory {theory:.4f} h, "
        f"simulated {mean:.4f} +/- {half:.4f} h"
    )
    assert mean - half <= theory <= mean + half, (
        f"Erlang C Wq={theory:.4f} h outside the 95% CI {mean:.4f} +/- {half:.4f} h"
    )


def test_littles_law_on_sampled_queue_length() -> None:
    """Time-average queue length from the hourly samples equals lambda x Wq from the records."""
    rate, servers, mean_h = 18.0, 2, 0.1
    world = mmc_world(rate, servers, mean_h)
    result = run(
        world,
        NearestRouting(),
        NoMonitoring(),
        seed=11,
        horizon_days=60.0,
        warmup_days=5.0,
        timeseries_interval_h=0.25,
    )
    ts = result.warehouse_series
    after = ts["time_h"] >= 5 * 24
    queue_length = ts["backlog"][after].mean()
    o = result.orders
    counted = (o["created_h"] >= 5 * 24) & ~np.isnan(o["pick_wait_h"])
    arrival_rate = counted.sum() / (55 * 24)
    wait = o["pick_wait_h"][counted].mean()
    assert queue_length == pytest.approx(arrival_rate * wait, rel=0.08)
    # and servers busy = lambda / mu (Little's law on the servers)
    assert ts["picking"][after].mean() == pytest.approx(arrival_rate * mean_h, rel=0.05)


def test_no_queue_when_pickers_are_plentiful() -> None:
    world = mmc_world(5.0, 50, 0.1)
    result = run(world, NearestRouting(), NoMonitoring(), seed=3, horizon_days=5.0)
    waits = result.orders["pick_wait_h"]
    assert np.nanmax(waits) == 0.0
