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

BACKLOG_PICKER_FACTOR = 4
STUCK = ("backordered", "rerouting", "held")
MOVABLE = ("rerouting", "backordered", "queued")  # routed, not yet in a picker's hands


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
    """What-if: the listed orders (snapshot order ids) go by ``mode`` — those not yet handed to
    the carrier (an order not yet routed keeps its routing, with the faster mode asked of it by
    nothing: it is left as is)."""

    order_ids: tuple[int, ...]
    mode: int

    def __call__(self, world: World, state: SnapshotState) -> tuple[World, SnapshotState]:
        o = state.orders
        chosen = np.isin(o["order_id"], np.asarray(self.order_ids, dtype=np.int64))
        movable = chosen & (o["mode"] >= 0) & (o["stage"] < STAGE_CODE["in_transit"])
        mode = np.where(movable, self.mode, o["mode"])
        expedited = o["expedited"] | movable
        return world, dataclasses.replace(state, orders={**o, "mode": mode, "expedited": expedited})


def expedite(order_ids: Sequence[int], mode: int) -> Expedite:
    return Expedite(tuple(int(i) for i in order_ids), int(mode))


@dataclasses.dataclass(frozen=True)
class Move:
    """What-if: the listed orders (snapshot order ids) that are routed but not yet being picked
    (re-routing, back-ordered or queued) are queued at ``warehouse`` now, by their mode; their
    units are taken from its stock as the OMS sees it (an order that does not fit stays where
    it is, in the list's order) and a queued order's units go back where they were reserved.
    Orders of a region the warehouse does not serve stay too."""

    order_ids: tuple[int, ...]
    warehouse: int

    def movable(self, world: World, state: SnapshotState) -> np.ndarray:
        """Per snapshot order: True if this what-if moves it."""
        o, s = state.orders, state.stock
        chosen = np.isin(o["order_id"], np.asarray(self.order_ids, dtype=np.int64))
        chosen &= np.isin(o["stage"], [STAGE_CODE[x] for x in MOVABLE])
        chosen &= (o["warehouse"] >= 0) & (o["warehouse"] != self.warehouse)
        chosen &= world.zone[o["region"], self.warehouse] > 0
        room = np.zeros(len(world.product_classes), dtype=np.int64)
        at = s["warehouse"] == self.warehouse
        room[s["product"][at]] = (s["synced_units"] - s["allocated_since_sync"])[at]
        listed = {int(k): i for i, k in enumerate(self.order_ids)}
        rows = sorted(np.flatnonzero(chosen).tolist(), key=lambda r: listed[int(o["order_id"][r])])
        out = np.zeros(len(chosen), dtype=bool)
        for r in rows:
            product, items = int(o["product"][r]), int(o["items"][r])
            if room[product] >= items:
                room[product] -= items
                out[r] = True
        return out

    def __call__(self, world: World, state: SnapshotState) -> tuple[World, SnapshotState]:
        o, s, now = state.orders, state.stock, state.snapshot_h
        moved = self.movable(world, state)
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
