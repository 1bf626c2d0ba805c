"""Changes to the world or the snapshot a now-cast compares against: neutralised factors and
what-ifs. Each is a function ``(world, state) -> (world, state)`` applied in the worker before
its replications, which keep their seeds (common random numbers).

Neutralising a factor asks how likely each order would be on time without it — the driver of
an order's risk is the factor whose neutralisation lowers its late probability most:

- ``stage``: orders stuck in a stage (back-ordered, re-routing, held) are queued at their
  warehouse now, as if stock had been there;
- ``lane``: every parcel travels its mode's shortest lane (the zone-1 transit law);
- ``backlog``: every warehouse has four times its pickers on every shift;
- ``weather``: no storms, true or forecast.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Sequence

import numpy as np

from scenarios.world import ScriptedStorm, World
from sim.engine.snapshot_state import STAGE_CODE, SnapshotState
from sim.nowcast.decision import ACTED, Decision, first_reasons, listed_rows, stage_reasons

BACKLOG_PICKER_FACTOR = 4
STUCK = ("backordered", "rerouting", "held")
MOVABLE = ("rerouting", "backordered", "queued")  # routed, not yet in a picker's hands
EXPEDITABLE = ("backordered", "queued", "picking", "at_dock")  # the engine's: routed, unshipped


def neutral_stage(world: World, state: SnapshotState) -> tuple[World, SnapshotState]:
    o = state.orders
    stuck = np.isin(o["stage"], [STAGE_CODE[s] for s in STUCK]) & (o["warehouse"] >= 0)
    stage = np.where(stuck, STAGE_CODE["queued"], o["stage"])
    queued_h = np.where(stuck, state.snapshot_h, o["queued_h"])
    routed_h = np.where(stuck & np.isnan(o["routed_h"]), state.snapshot_h, o["routed_h"])
    orders = {**o, "stage": stage, "queued_h": queued_h, "routed_h": routed_h}
    return world, dataclasses.replace(state, orders=orders)


def neutral_lane(world: World, state: SnapshotState) -> tuple[World, SnapshotState]:
    modes = tuple(
        dataclasses.replace(m, transit_by_zone=(m.transit_by_zone[0],) * len(m.transit_by_zone))
        for m in world.modes
    )
    return dataclasses.replace(world, modes=modes), state


def neutral_backlog(world: World, state: SnapshotState) -> tuple[World, SnapshotState]:
    k = BACKLOG_PICKER_FACTOR
    warehouses = tuple(
        dataclasses.replace(
            w,
            pickers=w.pickers * k,
            shifts=tuple(dataclasses.replace(s, pickers=s.pickers * k) for s in w.shifts),
        )
        for w in world.warehouses
    )
    return dataclasses.replace(world, warehouses=warehouses), state


def neutral_weather(world: World, state: SnapshotState) -> tuple[World, SnapshotState]:
    weather = dataclasses.replace(
        world.weather,
        storm_rate_per_day=np.zeros_like(world.weather.storm_rate_per_day),
        scripted=(),
    )
    forecasts = {k: v[:0] for k, v in state.forecasts.items()}
    return dataclasses.replace(world, weather=weather), dataclasses.replace(
        state, forecasts=forecasts
    )


FACTORS = {
    "stage": neutral_stage,
    "lane": neutral_lane,
    "backlog": neutral_backlog,
    "weather": neutral_weather,
}


@dataclasses.dataclass(frozen=True)
class Expedite:
    """What-if: the listed orders (snapshot order ids) go by ``mode`` — those the engine's own
    expedite would change (:meth:`~sim.engine.interventions.Interventions.expedite`): routed,
    not re-routing, not yet handed to the carrier, and not already going by ``mode``. With
    ``savable_only``, only those not already past their promise (:mod:`sim.nowcast.decision`
    names the reason for each order left)."""

    order_ids: tuple[int, ...]
    mode: int
    savable_only: bool = False

    def decide(self, world: World, state: SnapshotState) -> Decision:
        o = state.orders
        rows = listed_rows(self.order_ids, state)
        checks = [
            *_past_promise(self.savable_only, state, rows),
            *stage_reasons(o["stage"][rows], EXPEDITABLE),
            ("already_by_mode", o["mode"][rows] == self.mode),
        ]
        return Decision(rows, first_reasons(len(rows), checks))

    def __call__(self, world: World, state: SnapshotState) -> tuple[World, SnapshotState]:
        o = state.orders
        acted = self.decide(world, state).acted_mask(state.n_orders)
        mode = np.where(acted, self.mode, o["mode"]).astype(o["mode"].dtype)
        expedited = o["expedited"] | acted
        return world, dataclasses.replace(state, orders={**o, "mode": mode, "expedited": expedited})


def expedite(order_ids: Sequence[int], mode: int, savable_only: bool = False) -> Expedite:
    return Expedite(tuple(int(i) for i in order_ids), int(mode), savable_only)


@dataclasses.dataclass(frozen=True)
class Move:
    """What-if: the listed orders (snapshot order ids) that are routed but not yet being picked
    (re-routing, back-ordered or queued) are queued at ``warehouse`` now, by their mode; their
    units are taken from its stock as the OMS sees it (an order that does not fit stays where
    it is, in the list's order) and a queued order's units go back where they were reserved.
    Orders of a region the warehouse does not serve stay too; with ``savable_only``, so do
    orders already past their promise."""

    order_ids: tuple[int, ...]
    warehouse: int
    savable_only: bool = False

    def decide(self, world: World, state: SnapshotState) -> Decision:
        o, s = state.orders, state.stock
        rows = listed_rows(self.order_ids, state)
        at = o["warehouse"][rows]
        checks = [
            *_past_promise(self.savable_only, state, rows),
            *stage_reasons(o["stage"][rows], MOVABLE),
            ("not_yet_routed", at < 0),
            ("already_at_target", at == self.warehouse),
            ("region_not_served", world.zone[o["region"][rows], self.warehouse] == 0),
        ]
        reason = first_reasons(len(rows), checks)
        room = np.zeros(len(world.product_classes), dtype=np.int64)
        here = s["warehouse"] == self.warehouse
        room[s["product"][here]] = (s["synced_units"] - s["allocated_since_sync"])[here]
        for k in np.flatnonzero(reason == ACTED).tolist():  # in the list's order
            product, items = int(o["product"][rows[k]]), int(o["items"][rows[k]])
            if room[product] >= items:
                room[product] -= items
            else:
                reason[k] = "no_stock_at_target"
        return Decision(rows, reason)

    def __call__(self, world: World, state: SnapshotState) -> tuple[World, SnapshotState]:
        o, s, now = state.orders, state.stock, state.snapshot_h
        moved = self.decide(world, state).acted_mask(state.n_orders)
        allocated = s["allocated_since_sync"].copy()
        pairs = zip(s["warehouse"].tolist(), s["product"].tolist(), strict=True)
        slot = {pair: k for k, pair in enumerate(pairs)}
        returned = moved & (o["stage"] == STAGE_CODE["queued"])
        for r in np.flatnonzero(moved).tolist():
            items, product = int(o["items"][r]), int(o["product"][r])
            allocated[slot[(self.warehouse, product)]] += items
            if returned[r]:
                allocated[slot[(int(o["warehouse"][r]), product)]] -= items
        orders = {
            **o,
            "warehouse": np.where(moved, self.warehouse, o["warehouse"]),
            "stage": np.where(moved, STAGE_CODE["queued"], o["stage"]).astype(o["stage"].dtype),
            "queued_h": np.where(moved, now, o["queued_h"]),
        }
        stock = {**s, "allocated_since_sync": allocated}
        return world, dataclasses.replace(state, orders=orders, stock=stock)


def _past_promise(
    savable_only: bool, state: SnapshotState, rows: np.ndarray
) -> list[tuple[str, np.ndarray]]:
    """``--savable-only``: orders already past their promise are left."""
    if not savable_only:
        return []
    return [("past_promise", state.orders["promised_h"][rows] <= state.snapshot_h)]


@dataclasses.dataclass(frozen=True)
class Storm:
    """What-if: a storm over ``region`` from ``start_h`` for ``duration_h`` hours at ``severity``
    comes for certain (as a scenario's scripted storm: forecast at the scenario's lead, and
    known to policies from then)."""

    region: int
    start_h: float
    duration_h: float
    severity: float

    def __call__(self, world: World, state: SnapshotState) -> tuple[World, SnapshotState]:
        storm = ScriptedStorm(self.region, self.start_h, self.duration_h, self.severity, True)
        weather = dataclasses.replace(world.weather, scripted=(*world.weather.scripted, storm))
        return dataclasses.replace(world, weather=weather), state


@dataclasses.dataclass(frozen=True)
class AddPickers:
    """What-if: ``pickers`` more pickers at ``warehouse``, working every shift from ``from_h``."""

    warehouse: int
    pickers: int
    from_h: float

    def __call__(self, world: World, state: SnapshotState) -> tuple[World, SnapshotState]:
        w = world.warehouses[self.warehouse]
        added = dataclasses.replace(w, extra_pickers=self.pickers, extra_from_h=self.from_h)
        warehouses = tuple(
            added if k == self.warehouse else x for k, x in enumerate(world.warehouses)
        )
        return dataclasses.replace(world, warehouses=warehouses), state
