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

from scenarios.world import World
from sim.engine.snapshot_state import STAGE_CODE, SnapshotState

BACKLOG_PICKER_FACTOR = 4
STUCK = ("backordered", "rerouting", "held")


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
