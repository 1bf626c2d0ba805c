"""A regional pilot: one routing policy for orders from the pilot region(s), another elsewhere.

The rollout advice of the source article: try a new policy in one region, keep the rest as
control, and compare. This wrapper makes that a routing policy like any other, so a sweep can run
the pilot beside the control-everywhere world on the same seeds (common random numbers) and the
report can show both the regional effect and what the pilot's own data would reveal.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from scenarios.errors import ConfigError
from scenarios.world import World
from sim.engine.contract import OrderBatch, RoutingDecision, RoutingPolicy, RoutingView


def subset(orders: OrderBatch, mask: np.ndarray) -> OrderBatch:
    """The orders of a batch where ``mask`` holds (every per-order field indexed alike)."""
    return type(orders)(
        **{f.name: getattr(orders, f.name)[mask] for f in dataclasses.fields(orders)}
    )


@dataclass
class PilotRouting:
    """``treatment`` routes orders from ``regions``; ``control`` routes all others."""

    treatment: dict[str, Any] = field(default_factory=dict)  # a routing config (with _target_)
    control: dict[str, Any] = field(default_factory=dict)
    regions: list[str] = field(default_factory=list)
    name: str = "pilot"

    def __post_init__(self) -> None:
        self._parts: dict[str, RoutingPolicy] = {}
        self._in_pilot = np.zeros(0, dtype=bool)
        if not self.regions:
            raise ConfigError("regions", "at least one region of the scenario", self.regions)

    def world_names(self) -> Iterable[tuple[str, str, Any]]:
        return [(f"regions[{i}]", "regions", region) for i, region in enumerate(self.regions)]

    def parts(self) -> Mapping[str, Mapping[str, Any]]:
        """The two routing configs the config layer builds (keys ``routing.<part>``)."""
        return {"treatment": self.treatment, "control": self.control}

    def attach(self, built: Mapping[str, Any]) -> None:
        self._parts = dict(built)

    def attached(self) -> Mapping[str, Any]:
        return dict(self._parts)

    @property
    def _treatment(self) -> RoutingPolicy:
        return self._parts["treatment"]

    @property
    def _control(self) -> RoutingPolicy:
        return self._parts["control"]

    def start(self, world: World, seed: int = 0) -> None:
        """Check the pilot regions exist; start both policies."""
        if set(self._parts) != {"treatment", "control"}:
            raise RuntimeError("pilot: build it through sim.config, which attaches its parts")
        unknown = [r for r in self.regions if r not in world.regions]
        if not self.regions or unknown:
            raise ConfigError(
                "routing.regions", f"regions of the scenario ({', '.join(world.regions)})", unknown
            )
        self._in_pilot = np.isin(np.asarray(world.regions), self.regions)
        self._treatment.start(world, seed)
        self._control.start(world, seed)

    def route(self, orders: OrderBatch, view: RoutingView) -> RoutingDecision:
        pilot = self._in_pilot[orders.region]
        n = len(orders)
        warehouse = np.zeros(n, dtype=np.int64)
        mode = np.zeros(n, dtype=np.int64)
        priority = np.zeros(n, dtype=bool)
        any_priority = False
        for policy, mask in ((self._treatment, pilot), (self._control, ~pilot)):
            if not mask.any():
                continue
            decision = policy.route(subset(orders, mask), view)
            warehouse[mask] = decision.warehouse
            mode[mask] = decision.mode
            if decision.priority is not None:
                priority[mask] = decision.priority
                any_priority = True
        return RoutingDecision(warehouse, mode, priority if any_priority else None)
