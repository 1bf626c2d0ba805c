"""The two seams of the engine.

A routing policy decides warehouse and mode for a batch of orders (an allocation wave) from a
:class:`~sim.engine.views.RoutingView`; a monitoring policy looks at open orders every
``interval_h`` hours through a :class:`~sim.engine.views.MonitorView` and may act through
:class:`~sim.engine.views.EngineActions`. Neither sees hidden truth. A new policy is a class that
satisfies one of these Protocols, in its own module, plus a YAML file naming it as ``_target_``.
"""

from __future__ import annotations

from typing import Protocol, runtime_checkable

from scenarios.world import World
from sim.engine.views import (
    EngineActions,
    MonitorView,
    OrderBatch,
    RoutingDecision,
    RoutingView,
)


@runtime_checkable
class RoutingPolicy(Protocol):
    name: str

    def start(self, world: World, seed: int) -> None:
        """Called once before the run (``seed`` is the run's): precompute what depends only on
        the network, load or train a model, refuse seeds the policy was trained on."""

    def route(self, orders: OrderBatch, view: RoutingView) -> RoutingDecision:
        """Choose a warehouse serving each order's region, and a mode, for every order."""
        ...


@runtime_checkable
class MonitoringPolicy(Protocol):
    name: str
    interval_h: float  # how often to inspect; math.inf: never

    def start(self, world: World, seed: int) -> None:
        """Called once before the run."""

    def inspect(self, view: MonitorView, actions: EngineActions) -> None:
        """Look at the open orders and act on those at risk."""
        ...
