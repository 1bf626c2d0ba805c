"""Stock that drifts (issue 11, part 1): other channels and shrink drain stock the OMS sees only
at its next sync, so a slower sync costs re-routes for every router — the naive one and those
that keep a ledger of their own allocations; a wave is booked in order; the ledgers keep step.

The paired test runs the sync_lag flash sale moved to day 2.5 (so a 6-day run covers the sale and
the stock-outs after it) under a 15-minute and a 4-hour sync on the same seeds.
"""

from __future__ import annotations

import numpy as np
import pytest

from policies.routing.estimates import CandidateEstimates
from policies.routing.wave_ledger import book_in_order
from sim.engine.contract import RoutingDecision
from sim.engine.drains import drain_rates_per_h, web_units_per_h
from sim.report.stats import paired_difference
from tests.helpers import run_config, world_of

SALE = (
    "scenario=sync_lag",
    "scenario.demand.bursts.0.start_h=60",
    "horizon_days=6",
    "warmup_days=1",
    "progress=false",
)
SEEDS = (1, 2, 3, 4)


def reroute_rate(routing: str, sync_h: float, seed: int) -> float:
    result = run_config(
        *SALE, f"routing={routing}", f"seed={seed}", f"scenario.inventory.sync_interval_h={sync_h}"
    )
    return float(result.kpis["reroute_rate"])


@pytest.mark.parametrize("routing", ["nearest", "rules", "cheapest"])
def test_reroutes_rise_with_the_sync_interval(routing: str) -> None:
    fast = [reroute_rate(routing, 0.25, s) for s in SEEDS]
    slow = [reroute_rate(routing, 4.0, s) for s in SEEDS]
    diff = paired_difference(slow, fast)
    print(routing, fast, slow, diff)
    assert diff.interval.low > 0.0, (routing, fast, slow)


def test_drain_rates_follow_the_configured_shares() -> None:
    world = world_of("scenario=baseline")
    web = web_units_per_h(world)
    other, shrink = drain_rates_per_h(world)
    share = world.inventory.other_channel_share
    assert other.sum() / (other.sum() + web.sum()) == pytest.approx(share)
    assert shrink.sum() / (other.sum() + web.sum()) == pytest.approx(world.inventory.shrink_share)
    # the web's own units: every order's units land at some warehouse
    d = world.demand
    assert web.sum() == pytest.approx(d.base_rate_per_h * (1.0 + d.extra_items_mean))


def _estimates(stock_short: np.ndarray) -> CandidateEstimates:
    n, n_wh = stock_short.shape
    return CandidateEstimates(
        zone=np.tile(np.arange(1, n_wh + 1), (n, 1)),
        eta_h=np.zeros((n, n_wh, 1)),
        transport_usd=np.zeros((n, n_wh, 1)),
        stock_short=stock_short,
        storm_at_destination=np.zeros((n, n_wh, 1), dtype=bool),
        storm_at_warehouse=np.zeros((n_wh, 1), dtype=bool),
        backlog_h=np.zeros(n_wh),
    )


def _first_not_short(est: CandidateEstimates) -> RoutingDecision:
    """A ledger-keeping router in miniature: the lowest zone whose stock estimate covers it."""
    warehouse = np.where(est.stock_short.all(axis=1), 0, np.argmin(est.stock_short, axis=1))
    return RoutingDecision(warehouse, np.zeros(len(warehouse), dtype=np.int64))


def test_a_wave_is_booked_in_order() -> None:
    """Warehouse 0 shows 3 units of product 0: five one-unit orders of it take those 3 and the
    rest go to warehouse 1; an order of product 1 is untouched; without the booking all five
    would go to warehouse 0."""
    stock = np.array([[3, 5], [10, 5]])
    product = np.array([0, 0, 1, 0, 0, 0])
    items = np.ones(6, dtype=np.int64)
    short = items[:, None] > stock[:, product].T
    naive = _first_not_short(_estimates(short)).warehouse
    assert naive.tolist() == [0, 0, 0, 0, 0, 0]
    booked = book_in_order(product, items, stock, _estimates(short), _first_not_short)
    assert booked.warehouse.tolist() == [0, 0, 0, 0, 1, 1]


def test_an_order_sent_knowingly_to_a_short_warehouse_takes_nothing() -> None:
    stock = np.array([[1], [5]])
    product, items = np.zeros(3, dtype=np.int64), np.array([9, 1, 1])
    short = items[:, None] > stock[:, product].T
    booked = book_in_order(product, items, stock, _estimates(short), _first_not_short)
    # order 0 (9 units) is short everywhere and goes to 0 anyway: its reservation will fail, so
    # order 1 still gets warehouse 0's unit; order 2 finds it gone and goes to warehouse 1
    assert booked.warehouse.tolist() == [0, 0, 1]
