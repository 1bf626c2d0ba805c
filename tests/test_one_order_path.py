"""Scalar per-order paths decide exactly as the code they short-cut. Arrivals routed one by one
(no allocation waves) go through the nearest router's ``route_one`` and the engine's checks and
bookkeeping for a batch of one: compared with the vectorised route on random one-order batches,
and a router that returns a bad decision is refused on either path. A picker's remembered
working span answers as the plain shift-and-outage check at every hour."""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass
from typing import Any

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from policies.monitoring.none import NoMonitoring
from policies.routing.estimates import lowest_zone
from policies.routing.nearest import NearestRouting, candidate_mask
from scenarios.build import build
from sim.config.compose import load_config
from sim.engine import run
from sim.engine.contract import OrderBatch, RoutingDecision
from sim.engine.simulation import PolicyError


@dataclass
class TableView:
    """The few readings the nearest router takes, as plain tables."""

    zone: np.ndarray
    stock: np.ndarray
    waiting: np.ndarray
    default_mode: np.ndarray

    def visible_stock(self) -> np.ndarray:
        return self.stock

    def backlog(self) -> np.ndarray:
        return self.waiting


def one_order(region: int, product: int, items: int, excluded: list[bool]) -> OrderBatch:
    one = np.zeros(1)
    return OrderBatch(
        order_id=np.zeros(1, dtype=np.int64),
        created_h=one,
        promised_h=one,
        region=np.array([region]),
        product=np.array([product]),
        items=np.array([items]),
        value_usd=one,
        margin_usd=one,
        channel=np.zeros(1, dtype=np.int64),
        service_level=np.array([region % 2]),
        urgent=np.zeros(1, dtype=bool),
        vip=np.zeros(1, dtype=bool),
        signal=one,
        excluded=np.array([excluded]),
    )


@settings(max_examples=200, deadline=None)
@given(st.integers(0, 2**32 - 1), st.integers(1, 5))
def test_nearest_route_one_equals_the_vectorised_route(seed: int, n_wh: int) -> None:
    rng = np.random.default_rng(seed)
    view = TableView(
        zone=rng.integers(0, 4, (3, n_wh)),  # 0: does not serve; equal zones tie on backlog
        stock=rng.integers(0, 4, (n_wh, 2)),
        waiting=rng.integers(0, 3, n_wh),
        default_mode=np.array([0, 2]),
    )
    orders = one_order(
        int(rng.integers(0, 3)),
        int(rng.integers(0, 2)),
        2,
        [bool(x) for x in rng.random(n_wh) < 0.3],
    )
    got = NearestRouting().route(orders, view)  # type: ignore[arg-type]
    zone = view.zone[orders.region]
    want = lowest_zone(zone, orders.excluded, candidate_mask(orders, view), view.backlog())  # type: ignore[arg-type]
    assert np.array_equal(got.warehouse, want)
    assert np.array_equal(got.mode, view.default_mode[orders.service_level])


class Returns:
    """A router that returns what it is told (to break the engine's decision checks)."""

    name = "broken"

    def __init__(self, decide: Any) -> None:
        self.decide = decide

    def start(self, world: Any, seed: int) -> None:
        return None

    def route(self, orders: OrderBatch, view: Any) -> RoutingDecision:
        return self.decide(len(orders))


def zeros(n: int) -> np.ndarray:
    return np.zeros(n, dtype=np.int64)


@pytest.mark.parametrize(
    ("decide", "message"),
    [
        (lambda n: RoutingDecision(zeros(n + 1), zeros(n + 1)), "decisions for"),
        (lambda n: RoutingDecision(zeros(n) + 9, zeros(n)), "unknown warehouse or mode"),
        (lambda n: RoutingDecision(zeros(n), zeros(n) - 1), "unknown warehouse or mode"),
        (lambda n: RoutingDecision(zeros(n) + 1, zeros(n)), "does not serve the region"),
    ],
)
@pytest.mark.parametrize("waves", ["allocation_wave_h=0", "allocation_wave_h=0.25"])
def test_a_bad_decision_is_refused_one_by_one_and_in_waves(
    waves: str, decide: Any, message: str
) -> None:
    """Each of the engine's decision checks, broken on purpose, on both paths."""
    world = build(load_config(f"scenario.{waves}")["scenario"])
    if message == "does not serve the region":  # warehouse 1 serves no region but the first
        zone = world.zone.copy()
        zone[1:, 1] = 0
        world = dataclasses.replace(world, zone=zone)
    with pytest.raises(PolicyError, match=message):
        run(world, Returns(decide), NoMonitoring(), seed=1, horizon_days=1)


@settings(max_examples=150, deadline=None)
@given(
    st.lists(
        st.tuples(
            st.sampled_from([0.0, 6.0, 16.5, 22.0, 23.75]), st.sampled_from([4.0, 10.5, 8.25])
        ),
        max_size=3,
    ),
    st.lists(st.tuples(st.floats(0, 200), st.floats(0.1, 30)), max_size=3),
    st.integers(0, 2**32 - 1),
)
def test_a_pickers_known_working_span_never_outlives_its_shift(
    shifts: list[tuple[float, float]], outages: list[tuple[float, float]], seed: int
) -> None:
    """Asked before every pick, ``hours_until_on`` remembers when a picker works until; at
    every hour, shift ends and outage starts included (and a hair either side), it answers as
    the plain check does."""
    from sim.engine.availability import Availability
    from sim.engine.warehouse import WarehouseOps

    availability = Availability.__new__(Availability)
    availability._outages = [[(start, start + length) for start, length in outages]]
    ops = WarehouseOps.__new__(WarehouseOps)
    ops.availability, ops.index = availability, 0
    ops._on_intervals = [[(start, start + length) for start, length in shifts]] if shifts else []
    ops._on_span = [(np.inf, -np.inf)]
    ops._staff, ops._added_from_h = 1, 0.0  # the scenario's own picker, no what-if's added
    rng = np.random.default_rng(seed)
    ends = [end for _, end in ops._on_intervals[0]] if shifts else []
    marks = [end + 24.0 * day for end in ends for day in range(9)]
    marks += [t for start, end in availability._outages[0] for t in (start, end)]
    hours = np.concatenate([rng.uniform(0, 220, 60), marks])
    hours = np.sort(np.concatenate([hours, hours - 1e-9, hours + 1e-9, hours - 1e-6]))
    for t in hours[hours >= 0].tolist():
        assert ops.hours_until_on(0, t) == ops._hours_until_on(0, t), t
