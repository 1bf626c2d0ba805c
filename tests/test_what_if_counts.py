"""What-ifs on listed orders say how many they act on and why not the others: checked on a
hand-built snapshot, order by order, and shown to catch a count taken from another path."""

from __future__ import annotations

import dataclasses
from typing import Any

import numpy as np
import pandas as pd
import pytest

from scenarios.build import build
from scenarios.world import World
from sim.config.compose import load_config
from sim.engine.snapshot_state import ORDER_COLUMNS, STAGE_CODE, SnapshotState
from sim.nowcast.decision import counted, first_reasons
from sim.nowcast.variants import Expedite, Move, expedite
from sim.nowcast.what_ifs import Checked, WhatIfRequest, plan

NOW_H = 100.0
EAST, SOUTH, CENTRAL = 0, 1, 2
GROUND, AIR, ECONOMY = 0, 1, 2
NORTHEAST, TEXAS = 0, 4
APPAREL = 0

# order id: (stage, promised_h, warehouse, mode) -> why an expedite by air with --savable-only
# leaves it ("" : acted on)
EXPEDITE_CASE = {
    0: (("queued", 120.0, SOUTH, GROUND), ""),
    1: (("at_dock", 120.0, SOUTH, GROUND), ""),
    2: (("in_transit", 120.0, SOUTH, GROUND), "in_transit"),
    3: (("in_transit", 90.0, SOUTH, GROUND), "past_promise"),  # past its promise first
    4: (("created", 120.0, -1, -1), "created"),
    5: (("rerouting", 120.0, SOUTH, GROUND), "rerouting"),  # its routing picks the mode again
    6: (("queued", 120.0, SOUTH, AIR), "already_by_mode"),
    7: (("picking", 120.0, CENTRAL, ECONOMY), ""),
    8: (("backordered", 95.0, CENTRAL, GROUND), "past_promise"),
    9: (("held", 130.0, -1, -1), "held"),
}
# order id: (stage, warehouse, region, items of apparel) -> why a move to east leaves it; east
# has 3 apparel units as the OMS sees them and does not serve texas
MOVE_CASE = {
    20: (("queued", SOUTH, NORTHEAST, 2), ""),
    21: (("queued", SOUTH, NORTHEAST, 2), "no_stock_at_target"),  # 1 unit left after order 20
    22: (("backordered", CENTRAL, NORTHEAST, 1), ""),  # the last unit
    23: (("queued", EAST, NORTHEAST, 1), "already_at_target"),
    24: (("queued", SOUTH, TEXAS, 1), "region_not_served"),
    25: (("rerouting", -1, NORTHEAST, 1), "not_yet_routed"),
    26: (("picking", SOUTH, NORTHEAST, 1), "picking"),
    27: (("at_dock", SOUTH, NORTHEAST, 1), "at_dock"),
    28: (("in_transit", SOUTH, NORTHEAST, 1), "in_transit"),
    29: (("created", -1, NORTHEAST, 1), "created"),
}
UNLISTED = 40  # a queued order no what-if names: never touched


@pytest.fixture(scope="module")
def world() -> World:
    world = build(load_config("scenario=baseline")["scenario"])
    zone = world.zone.copy()
    zone[TEXAS, EAST] = 0  # east does not serve texas
    return dataclasses.replace(world, zone=zone)


@pytest.fixture(scope="module")
def state(world: World) -> SnapshotState:
    rows: list[dict[str, Any]] = []
    for order_id, ((stage, promised, warehouse, mode), _) in EXPEDITE_CASE.items():
        rows.append(_order(order_id, stage, promised, warehouse, mode, NORTHEAST, 1))
    for order_id, ((stage, warehouse, region, items), _) in MOVE_CASE.items():
        mode = GROUND if warehouse >= 0 else -1
        rows.append(_order(order_id, stage, 120.0, warehouse, mode, region, items))
    rows.append(_order(UNLISTED, "queued", 120.0, SOUTH, GROUND, NORTHEAST, 1))
    orders = {k: np.asarray([r[k] for r in rows]) for k in ORDER_COLUMNS}
    n_w, n_p = len(world.warehouses), len(world.product_classes)
    warehouse, product = np.divmod(np.arange(n_w * n_p), n_p)
    synced = np.full(n_w * n_p, 50, dtype=np.int64)
    synced[(warehouse == EAST) & (product == APPAREL)] = 5
    allocated = np.where((warehouse == EAST) & (product == APPAREL), 2, 0)
    stock = {
        "warehouse": warehouse,
        "product": product,
        "synced_units": synced,
        "allocated_since_sync": allocated,
        "on_order_units": np.zeros(n_w * n_p, dtype=np.int64),
    }
    return SnapshotState(NOW_H, NOW_H, orders, stock, {}, {}, {}, {})


def _order(
    order_id: int, stage: str, promised_h: float, warehouse: int, mode: int, region: int, items: int
) -> dict[str, Any]:
    routed = warehouse >= 0
    return {
        **{k: np.nan for k in ORDER_COLUMNS if k.endswith("_h")},
        "order_id": order_id,
        "stage": STAGE_CODE[stage],
        "created_h": 60.0,
        "promised_h": promised_h,
        "region": region,
        "product": APPAREL,
        "channel": 0,
        "items": items,
        "value_usd": 40.0,
        "margin_usd": 12.0,
        "vip": False,
        "service_level": 0,
        "urgent": False,
        "signal": 0.0,
        "warehouse": warehouse,
        "mode": mode,
        "routed_h": 70.0 if routed else np.nan,
        "queued_h": 71.0 if stage == "queued" else np.nan,
        "reroutes": 0,
        "backordered": stage == "backordered",
        "prioritised": False,
        "expedited": False,
    }


def _reasons(variant: Expedite | Move, world: World, state: SnapshotState) -> dict[int, str]:
    decision = variant.decide(world, state)
    ids = state.orders["order_id"][decision.rows]
    return dict(zip(ids.tolist(), decision.reason.tolist(), strict=True))


def _adds_up(counts: dict[str, Any]) -> bool:
    return bool(counts["listed"] == counts["acted_on"] + sum(counts["not_acted_on"].values()))


def test_expedite_acts_on_what_the_engine_would_and_names_each_reason(
    world: World, state: SnapshotState
) -> None:
    listed = [3, 0, 1, 2, 4, 5, 6, 7, 8, 9]
    variant = expedite(listed, AIR, savable_only=True)
    assert _reasons(variant, world, state) == {k: EXPEDITE_CASE[k][1] for k in listed}
    counts = counted(variant, world, state)
    assert (counts["listed"], counts["acted_on"]) == (10, 3)
    assert list(counts["not_acted_on"].items()) == [  # in the order they are checked
        ("past_promise", 2),
        ("created", 1),
        ("held", 1),
        ("rerouting", 1),
        ("in_transit", 1),
        ("already_by_mode", 1),
    ]
    assert _adds_up(counts)
    # the count the summary gave before (listed orders not past their promise, 8) does not
    assert not _adds_up({**counts, "acted_on": 8})
    _, after = variant(world, state)
    o = after.orders
    acted = np.isin(o["order_id"], [0, 1, 7])
    assert (o["mode"][acted] == AIR).all() and o["expedited"][acted].all()
    assert not o["expedited"][~acted].any()
    # without --savable-only order 3 is in transit and order 8 back-ordered: expedited
    again = counted(expedite(listed, AIR), world, state)
    assert again["acted_on"] == 4 and again["not_acted_on"]["in_transit"] == 2


def test_move_takes_the_list_in_order_and_names_each_reason(
    world: World, state: SnapshotState
) -> None:
    listed = list(MOVE_CASE)
    move = Move(tuple(listed), EAST)
    assert _reasons(move, world, state) == {k: v[1] for k, v in MOVE_CASE.items()}
    counts = counted(move, world, state)
    assert counts["listed"] == 10 and counts["acted_on"] == 2 and _adds_up(counts)
    assert counts["not_acted_on"]["no_stock_at_target"] == 1
    # the list's order decides who gets east's 3 units: reversed, 22 and 21 fit and 20 does not
    backwards = _reasons(Move(tuple(reversed(listed)), EAST), world, state)
    assert [backwards[k] for k in (22, 21, 20)] == ["", "", "no_stock_at_target"]


def test_a_count_from_another_path_than_the_change_is_caught(
    world: World, state: SnapshotState, monkeypatch: pytest.MonkeyPatch
) -> None:
    listed = list(EXPEDITE_CASE)
    # the old expedite: every routed order not yet in transit, re-routing and already-by-air
    # ones too; its count (listed orders not in transit) disagreed with what it changed
    stages = state.orders["stage"]
    old_rule = (state.orders["mode"] >= 0) & (stages < STAGE_CODE["in_transit"])

    def old_call(self: Expedite, w: World, s: SnapshotState) -> tuple[World, SnapshotState]:
        o = s.orders
        act = np.isin(o["order_id"], self.order_ids) & old_rule
        mode = np.where(act, self.mode, o["mode"])
        return w, dataclasses.replace(s, orders={**o, "mode": mode, "expedited": act})

    monkeypatch.setattr(Expedite, "__call__", old_call)
    with pytest.raises(RuntimeError, match="counted 4 orders acted on but changed 6"):
        counted(expedite(listed, AIR), world, state)
    # ... and through the now-cast's own plan, before any replication runs
    table = pd.DataFrame({"order_id": listed, "risk_tier": "red"})
    checked = Checked(WhatIfRequest(expedite_red_by="air"), np.zeros(0, np.int64), None, None)
    with pytest.raises(RuntimeError, match="acted on but changed"):
        plan(checked, world, state, table)
    # a reason outside the documented words is refused, not counted
    with pytest.raises(ValueError, match="'stuck' is not a reason"):
        first_reasons(1, [("stuck", np.array([True]))])
