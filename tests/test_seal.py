"""The policy seam is sealed: nothing a policy is given leads to the simulation's state.

A probe policy keeps everything the engine hands it (the world at ``start``, each order batch
and view, the actions); a walk over every object reachable from those — attributes, containers,
bound methods, closures, array bases — must find no simulation, order book, true storm
timeline, engine component, and no numpy array a policy could write.
"""

from __future__ import annotations

import gc
import math
import types
from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import simpy

from scenarios.world import World
from sim.engine import Simulation
from sim.engine.carrier import CarrierOps
from sim.engine.contract import EngineActions, MonitorView, OrderBatch, RoutingDecision, RoutingView
from sim.engine.demand import OrderStream
from sim.engine.interventions import Interventions
from sim.engine.orderbook import OrderBook
from sim.engine.warehouse import WarehouseOps
from sim.engine.weather import Forecasts, StormTimeline
from tests.helpers import world_of

FORBIDDEN = (
    Simulation,
    OrderBook,
    OrderStream,
    StormTimeline,
    Forecasts,
    WarehouseOps,
    CarrierOps,
    Interventions,
    simpy.Environment,
)


def reachable(roots: Iterable[Any]) -> list[Any]:
    """Every object reachable from ``roots`` the way code holding them could get at it; classes,
    modules and functions' globals are not followed (they hold code, not run state), nor the
    inside of the policy random stream the view hands out (its state must advance)."""
    seen: set[int] = set()
    stack, out = list(roots), []
    while stack:
        obj = stack.pop()
        if id(obj) in seen:
            continue
        seen.add(id(obj))
        out.append(obj)
        if isinstance(obj, type | types.ModuleType | np.random.Generator):
            continue  # code, or the policy's own random stream (it must advance)
        if isinstance(obj, types.FunctionType):
            nxt: list[Any] = [*(obj.__closure__ or ()), obj.__defaults__, obj.__kwdefaults__]
        elif isinstance(obj, types.CellType):
            try:
                nxt = [obj.cell_contents]
            except ValueError:  # an empty cell
                nxt = []
        elif isinstance(obj, np.ndarray):
            nxt = [obj.base] if obj.base is not None else []
        else:
            nxt = list(gc.get_referents(obj))
        stack.extend(nxt)
    return out


def leaks(roots: Iterable[Any]) -> list[str]:
    """What a policy could reach that it must not: engine objects and writeable arrays."""
    found = []
    for obj in reachable(roots):
        if isinstance(obj, FORBIDDEN):
            found.append(type(obj).__name__)
        elif isinstance(obj, np.ndarray) and obj.flags.writeable:
            found.append(f"writeable array {obj.dtype}{obj.shape}")
    return found


@dataclass
class ProbeRouting:
    """Routes to the nearest serving warehouse and keeps what it was given."""

    name: str = "probe"
    given: list[Any] = field(default_factory=list)

    def start(self, world: World, seed: int) -> None:
        self.given.append(world)

    def route(self, orders: OrderBatch, view: RoutingView) -> RoutingDecision:
        self.given += [orders, view]
        zone = np.where(view.zone[orders.region] > 0, view.zone[orders.region], 99)
        return RoutingDecision(zone.argmin(axis=1), view.default_mode[orders.service_level])


@dataclass
class ProbeMonitoring:
    """Reads everything a monitoring policy can read and asks for an alert."""

    name: str = "probe"
    interval_h: float = 6.0
    given: list[Any] = field(default_factory=list)

    def start(self, world: World, seed: int) -> None:
        self.given.append(world)

    def inspect(self, view: MonitorView, actions: EngineActions) -> None:
        opened = view.open_orders()
        readings = [
            view.visible_stock(),
            view.allocated_since_sync(),
            view.backlog(),
            view.pickers_on_shift(),
            view.carrier_load(),
            view.storm_forecast(),
            *view.storm_window(),
            view.storm_forecast_severity(),
            view.promotions(),
        ]
        actions.alert(opened.order_id[:5], "blue")
        self.given += [view, actions, opened, readings]


def _probe_run() -> tuple[ProbeRouting, ProbeMonitoring]:
    routing, monitoring = ProbeRouting(), ProbeMonitoring()
    world = world_of("scenario=storm")
    Simulation(world, routing, monitoring, seed=3, horizon_days=2).run()
    assert math.isfinite(monitoring.interval_h) and len(monitoring.given) > 4
    return routing, monitoring


def test_nothing_a_policy_is_given_reaches_engine_state() -> None:
    routing, monitoring = _probe_run()
    found = leaks([routing.given, monitoring.given])
    assert not found, f"policies can reach: {sorted(set(found))}"


def test_the_walk_finds_a_leak_when_one_is_planted() -> None:
    """Break the seal on purpose: a view holding the simulation, or a writeable array, is
    caught (so the test above can fail)."""
    routing, monitoring = _probe_run()
    view = routing.given[-1]
    sim = Simulation(world_of(), ProbeRouting(), ProbeMonitoring(), seed=1, horizon_days=1)
    view._sim = sim  # the old design: the view kept the whole simulation
    assert "Simulation" in leaks([view])
    del view._sim
    view._scratch = np.zeros(3)  # a writeable array handed out
    assert any(f.startswith("writeable") for f in leaks([view]))
    del view._scratch
    assert not leaks([view])
