"""Every invariant is seen failing when the engine is broken on purpose.

Each test patches one movement, container or charge the way a real bug would (a step that skips
its ledger entry, an order dropped from or left in a container, a cost charged twice) and checks
the run stops with an :class:`InvariantError` naming it. The runs are two days of a stressed
baseline (scarce beauty stock, slow sync, short lead times, a short-handed south warehouse, the
``health_score`` monitor) so every kind of movement happens: re-routes, transfers that put units
back, replenishments that arrive.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import numpy as np
import pytest

from scenarios.build import build
from sim.config.compose import load_config, load_policies
from sim.engine import RunResult, Simulation
from sim.engine.carrier import CarrierOps
from sim.engine.contract import Stage
from sim.engine.invariants import InvariantError, check_costs, check_places
from sim.engine.ledger import CostLedger
from sim.engine.stock_view import StockVisibility
from sim.engine.warehouse import WarehouseOps

STRESS = (
    "scenario=baseline",
    "monitoring=health_score",
    "scenario.inventory.sync_interval_h=2",
    "scenario.inventory.max_reroutes=1",  # so some orders wait as back-orders
    "scenario.warehouses.east.stock.apparel.initial=400",
    *(
        f"scenario.warehouses.{w}.stock.beauty.initial=150"
        for w in ("east", "south", "central", "west")
    ),
    "scenario.warehouses.east.replenish_lead_time_h=8",
    "scenario.warehouses.south.replenish_lead_time_h=8",
    "scenario.warehouses.south.pickers=4",
)


def stressed(*extra: str) -> Simulation:
    cfg = load_config(*STRESS, *extra)
    routing, monitoring = load_policies(cfg)
    return Simulation(build(cfg["scenario"]), routing, monitoring, seed=1, horizon_days=2)


def wrap(monkeypatch: pytest.MonkeyPatch, owner: type, name: str, around: Callable) -> None:
    """Replace ``owner.name`` by ``around(original, self, *args)``."""
    original = getattr(owner, name)

    def patched(self: Any, *args: Any) -> Any:
        return around(original, self, *args)

    monkeypatch.setattr(owner, name, patched)


def test_the_stressed_run_holds_and_exercises_every_movement() -> None:
    sim = stressed()
    result: RunResult = sim.run()
    o = result.orders
    assert o["reroutes"].sum() > 0 and o["transferred"].sum() > 0
    assert sum(int(w.units.released.sum()) for w in sim.warehouses) > 0
    assert sum(int(w.units.received.sum()) for w in sim.warehouses) > 0
    assert sum(int(w.units.other_channels.sum()) for w in sim.warehouses) > 0
    assert sum(int(w.units.shrunk.sum()) for w in sim.warehouses) > 0
    assert o["backordered"].sum() > 0 and (o["backordered"] & ~np.isnan(o["queued_h"])).any()
    assert sim.book.charged.charges["transfer"] > 0


# -- every open order in exactly one place -----------------------------------------------------
def test_an_order_dropped_from_the_dock_is_caught(monkeypatch: pytest.MonkeyPatch) -> None:
    def lose_some(original: Callable, carriers: CarrierOps, order: int) -> None:
        if order % 997 != 0:  # every 997th packed parcel never reaches the dock
            original(carriers, order)

    wrap(monkeypatch, CarrierOps, "add_packed", lose_some)
    with pytest.raises(InvariantError, match=r"in no place, but its stage is PACKED"):
        stressed().run()


def test_an_order_left_on_the_re_route_list_is_caught(monkeypatch: pytest.MonkeyPatch) -> None:
    routed: set[int] = set()

    def due_reroutes(self: Simulation) -> np.ndarray:
        now = self.env.now  # routes each due order once, but forgets to take it off the list
        due = [o for ready, o in self._reroutes if ready <= now and o not in routed]
        routed.update(due)
        return np.asarray(due, dtype=np.int64)

    monkeypatch.setattr(Simulation, "_due_reroutes", due_reroutes)
    with pytest.raises(InvariantError, match=r"more than one place.*waiting for a re-route x1"):
        stressed().run()


def test_a_queue_counter_out_of_step_is_caught(monkeypatch: pytest.MonkeyPatch) -> None:
    """A transfer that forgets to take the order off its old warehouse's backlog."""
    monkeypatch.setattr(WarehouseOps, "dequeue", lambda self, order: None)
    with pytest.raises(InvariantError, match=r"backlog counter at warehouse"):
        stressed().run()


@pytest.mark.parametrize(
    ("places", "stage", "message"),
    [
        ({"in a pick queue": [5]}, [3, 3], "never created"),
        ({"in a pick queue": [0], "at a dock": [0]}, [3, 0], "more than one place"),
        ({"at a dock": [0, 0]}, [5, 0], r"at a dock x2"),
        ({"back-ordered": [1]}, [7, 3], "back-ordered, but its stage is QUEUED"),
        ({}, [4, 7], "in no place, but its stage is PICKING"),
        ({"in a pick queue": [0], "in transit": [1]}, [3, 6, 1], "stage before its creation"),
    ],
)
def test_place_census_on_hand_made_cases(
    places: dict[str, list[int]], stage: list[int], message: str
) -> None:
    """Two orders created by hour 10, none delivered yet."""
    with pytest.raises(InvariantError, match=message):
        check_places(places, np.array(stage, dtype=np.int8), np.full(len(stage), np.inf), 10.0, 2)


def test_place_census_passes_a_consistent_case() -> None:
    stage = np.array([Stage.CANCELLED, Stage.QUEUED, Stage.IN_TRANSIT, Stage.NOT_ARRIVED])
    delivered_h = np.array([np.nan, np.nan, 9.0, np.nan])  # order 2 delivered at hour 9
    check_places({"in a pick queue": [1], "in transit": []}, stage, delivered_h, 10.0, 3)


# -- units conserve per warehouse and product ----------------------------------------------------
def test_units_put_back_without_a_ledger_entry_are_caught(monkeypatch: pytest.MonkeyPatch) -> None:
    def release(self: WarehouseOps, order: int) -> None:
        self.on_hand[self.orders.product[order]] += self.orders.items[order]

    monkeypatch.setattr(WarehouseOps, "release", release)
    # with live stock there is no allocation ledger to catch it first
    with pytest.raises(InvariantError, match=r"units not conserved .* released"):
        stressed("scenario.inventory.sync_interval_h=0").run()


def test_units_taken_twice_are_caught(monkeypatch: pytest.MonkeyPatch) -> None:
    def take_twice(original: Callable, ops: WarehouseOps, order: int) -> bool:
        ok = original(ops, order)
        if ok and order % 1009 == 0:  # a second, unrecorded take from stock
            ops.on_hand[ops.orders.product[order]] -= ops.orders.items[order]
        return bool(ok)

    wrap(monkeypatch, WarehouseOps, "try_reserve", take_twice)
    with pytest.raises(InvariantError, match=r"units not conserved"):
        stressed().run()


def test_a_drain_without_its_ledger_entry_is_caught(monkeypatch: pytest.MonkeyPatch) -> None:
    def drain(original: Callable, ops: WarehouseOps, other: np.ndarray, shrink: np.ndarray) -> None:
        before = ops.units.shrunk.copy()
        original(ops, other, shrink)
        ops.units.shrunk[:] = before  # shrink taken from stock but never written down

    wrap(monkeypatch, WarehouseOps, "drain", drain)
    with pytest.raises(InvariantError, match=r"units not conserved .* shrunk"):
        stressed().run()


# -- the OMS's allocation ledger keeps step with the warehouses -----------------------------------
def test_a_back_order_filled_behind_the_oms_is_caught() -> None:
    """The bug issue 11 fixed: back-orders filled on replenishment skipped the OMS's ledger."""
    sim = stressed()
    for ops in sim.warehouses:
        ops.on_allocated = None
    with pytest.raises(InvariantError, match=r"allocation ledger out of step"):
        sim.run()


def test_a_transfer_that_forgets_the_units_it_put_back_is_caught(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setattr(StockVisibility, "note_release", lambda self, order, w: None)
    with pytest.raises(InvariantError, match=r"allocation ledger out of step"):
        stressed().run()


def test_units_put_back_serve_waiting_back_orders() -> None:
    """A transfer's returned stock goes to the product's waiting back-orders first."""
    sim = stressed()
    sim._draw_through(0.0)  # the first day's orders, as the clock would draw them
    ops, book = sim.warehouses[0], sim.book
    items, product = sim.orders.items, sim.orders.product
    moved, waiting = (int(k) for k in np.flatnonzero((items == 1) & (product == 0))[:2])
    ops.on_hand[0] = 1
    assert ops.try_reserve(moved) and ops.on_hand[0] == 0
    ops.backorder(waiting)
    ops.release(moved)  # the order moved elsewhere: its unit serves the back-order
    assert book.stage[waiting] == Stage.QUEUED and ops.on_hand[0] == 0
    assert not ops.backordered_orders().size


# -- costs reconcile with the ledger --------------------------------------------------------------
def test_a_cost_charged_twice_to_an_order_is_caught(monkeypatch: pytest.MonkeyPatch) -> None:
    def stockout(original: Callable, sim: Simulation, order: int, w: int) -> None:
        sim.book.cost_exception_usd[order] += sim.world.costs.reroute_usd  # charged again
        original(sim, order, w)

    wrap(monkeypatch, Simulation, "_stockout", stockout)
    with pytest.raises(InvariantError, match=r"cost_exception_usd total"):
        stressed().run()


def test_a_charge_missing_from_the_ledger_is_caught(monkeypatch: pytest.MonkeyPatch) -> None:
    def charge(original: Callable, ledger: CostLedger, kind: str, *args: Any) -> None:
        if kind != "transfer":
            original(ledger, kind, *args)

    wrap(monkeypatch, CostLedger, "charge", charge)
    with pytest.raises(InvariantError, match=r"cost_monitoring_usd total"):
        stressed().run()


def test_a_total_that_drops_a_part_is_caught() -> None:
    result = stressed().run()
    result.check_invariants(min_stock=0)  # holds as run
    result.orders["cost"] = result.orders["cost"] - result.orders["cost_monitoring_usd"]
    with pytest.raises(InvariantError, match=r"cost is not the sum of .*cost_monitoring_usd"):
        result.check_invariants(min_stock=0)


def test_a_cost_column_without_a_kind_of_charge_is_caught() -> None:
    with pytest.raises(InvariantError, match=r"cost_new_usd has no kind of charge"):
        check_costs(CostLedger(), {"cost_new_usd": np.zeros(3)})
